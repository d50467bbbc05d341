"""The one door for visits, sweeps and department screenings (R-DISC-05, R-DISC-06, R-DISC-07).

Every function runs in one transaction: lock, check the actor's role and area, validate (Chinese
messages naming the field, all problems at once), write, audit. Pages, the API and commands call these.
``today`` is injectable (tests, replays); by default it is today in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction

from fangpin import validation
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import require_area, require_role
from fangpin.areas.models import Division, Level
from fangpin.audit.services import record
from fangpin.policy.mustvisit import quarter_of, screening_departments
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry import vocab
from fangpin.registry.models import Household
from fangpin.validation import Errors, fail, scrub

from . import mustvisit, schedule
from .models import DepartmentScreening, Sweep, SweepStatus, Visit, VisitMode, VisitPurpose

# Who records visits: the people who go to households (monthly follow-up visits by assistance contacts
# use the same door).
VISIT_ROLES = {Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE, Role.ASSISTANCE_CONTACT}
SWEEP_ROLES = {Role.COUNTY_OFFICE}
SCREENING_ROLES = {Role.DEPARTMENT_OFFICER, Role.COUNTY_OFFICE}
VISIT_BACKDATE_DAYS = 92  # a visit is entered within a quarter of the day it took place
FINDINGS_MAX = 1000
SCREENING_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".csv", ".zip"}
SCREENING_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Result:
    obj: object
    message: str
    created: bool = True  # False: an idempotent resubmit found the earlier record (nothing changed)


def _require(actor, roles, what: str):
    require_role(actor, roles, what, "走访、排查记录必须由具体人员录入并留痕")


def _require_scope(actor, code: str, message: str = "该农户不在您的管辖范围内，不能办理"):
    require_area(actor, code, message)


def _today(today):
    return today or local_today()


# --- visits ---------------------------------------------------------------------------------------


def clean_visit(household: Household, data: dict, today: dt.date) -> dict:
    """Validate a visit's fields; every problem at once, each naming its field in Chinese."""
    data = scrub(dict(data or {}))
    errors = Errors()
    visited_on = validation.date(data.get("visited_on"), "visited_on", "走访日期", errors, not_after=today,
                                 not_before=today - dt.timedelta(days=VISIT_BACKDATE_DAYS), before_label="")
    mode = validation.choice(data.get("mode"), "mode", "走访方式", errors, choices=dict(VisitMode.choices))
    purpose = validation.choice(data.get("purpose") or VisitPurpose.ROUTINE, "purpose", "走访类型", errors,
                                choices=dict(VisitPurpose.choices))
    if purpose == VisitPurpose.MONTHLY:
        errors["purpose"] = "帮扶联系人月访视请使用“月访视”表单录入（收入、措施、三保障、成员变动一并填写）"
    findings_part = clean_findings(data, errors)
    sweep = None
    if purpose == VisitPurpose.SWEEP and visited_on and "purpose" not in errors:
        sweep = Sweep.objects.filter(division_code=household.division_code[:6], status=SweepStatus.OPEN).first()
        if sweep is None:
            errors["purpose"] = "本县当前没有进行中的拉网式排查，请选择其他走访类型"
        elif not sweep.starts_on <= visited_on <= sweep.ends_on:
            errors["visited_on"] = (f"走访日期不在“{sweep.name}”的排查期间"
                                    f"（{sweep.starts_on:%Y-%m-%d}至{sweep.ends_on:%Y-%m-%d}）内")
    errors.raise_if_any()
    return {"visited_on": visited_on, "mode": mode, "purpose": purpose, **findings_part, "sweep": sweep}


def clean_findings(data: dict, errors: Errors) -> dict:
    """Companion, findings and the risks found (shared by every kind of visit): errors go into ``errors``."""
    companion = validation.text(data.get("companion_name"), "companion_name", "同行人", errors, required=False,
                                max_length=40)
    findings = validation.text(data.get("findings"), "findings", "走访情况", errors, required=False,
                               max_length=FINDINGS_MAX)
    risk_found = validation.boolean(data.get("risk_found"), "risk_found", "是否发现风险", errors) or False
    raw_risks = data.get("risk_types") or []
    if isinstance(raw_risks, str):
        raw_risks = [r for r in raw_risks.replace("，", ",").split(",") if r.strip()]
    risks = list(dict.fromkeys(str(r).strip() for r in raw_risks if str(r).strip()))
    unknown = [r for r in risks if r not in vocab.values("risk_type")]
    if not isinstance(data.get("risk_types") or [], list | tuple | str):
        errors["risk_types"] = "风险类型应为列表"
    elif unknown:
        errors["risk_types"] = f"风险类型“{validation.shown('、'.join(unknown))}”不在字典值中"
    elif risks and not risk_found:
        errors["risk_types"] = "选择了风险类型，请同时勾选“发现风险”"
    elif risk_found and not risks:
        errors["risk_types"] = "发现风险时请至少选择一项风险类型"
    if risk_found and not findings and "findings" not in errors:
        errors["findings"] = "发现风险时请填写走访情况（看到了什么、农户说了什么）"
    return {"companion_name": companion, "findings": findings, "risk_found": risk_found, "risk_types": risks}


VISIT_FIELDS = ["visited_on", "mode", "purpose", "visitor_name", "companion_name", "risk_found", "risk_types", "findings"]


@transaction.atomic
def record_visit(actor, household: Household, data: dict, *, today: dt.date | None = None,
                 raise_lead: bool = False) -> Result:
    """Record one visit to ``household`` by ``actor`` (R-DISC-05, R-DISC-06).

    With ``raise_lead`` a visit that found a risk also raises a lead (channel: cadre/grid visit) through
    the leads app's one door, in the same transaction: a lead refused leaves no visit either.
    """
    _require(actor, VISIT_ROLES, "录入走访")
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require_scope(actor, household.division_code)
    day = _today(today)
    clean = clean_visit(household, data, day)
    if raise_lead and not clean["risk_found"]:
        fail("raise_lead", "上报线索前请勾选“发现风险”，并选择风险类型、写明走访情况")
    visit = Visit.objects.create(
        household=household, division_code=household.division_code, visitor=actor, visitor_name=str(actor)[:40],
        recorded_by=actor, **clean,
    )
    lead_message = ""
    if raise_lead:
        lead_message = _raise_lead(actor, household, visit, day)
    after = {f: getattr(visit, f) for f in VISIT_FIELDS} | {"sweep": visit.sweep.name if visit.sweep else "",
                                                            "lead_reference": visit.lead_reference}
    record(actor, "visit.record", visit, household=household, after=after)
    if visit.risk_found:  # what a visit finds can put the household on a list (visit_finding rules)
        mustvisit.refresh_households([household.pk], as_of=day)
    else:
        mustvisit.note_visit(household.pk, visit.visited_on)
    schedule.note_visit(visit)
    found = "，发现风险：" + "、".join(visit.risk_types) if visit.risk_found else "，未发现风险"
    message = f"已记录{visit.visited_on:%Y-%m-%d}对户{household.number}的{visit.get_mode_display()}走访{found}"
    return Result(visit, message + (f"；{lead_message}" if lead_message else ""))


def can_raise_lead(user) -> bool:
    from fangpin.discovery.services import RAISE_ROLES

    return user.role in RAISE_ROLES


def _raise_lead(actor, household: Household, visit: Visit, day: dt.date) -> str:
    from fangpin.discovery.models import Channel
    from fangpin.discovery.services import raise_lead

    result = raise_lead(actor, channel=Channel.VISIT, household=household, risk_types=list(visit.risk_types),
                        description=visit.findings, discovered_on=visit.visited_on, today=day,
                        source_detail=f"{visit.visited_on:%Y-%m-%d}{visit.get_mode_display()}走访（{visit.visitor_name}）")
    visit.lead_reference = result.lead.reference[:40]
    visit.save(update_fields=["lead_reference"])
    return result.message


# --- sweeps (拉网式排查) -----------------------------------------------------------------------------


@transaction.atomic
def open_sweep(actor, county: Division, data: dict, *, today: dt.date | None = None) -> Result:
    """Start a county's full-coverage sweep (R-DISC-06). One sweep runs at a time per county."""
    _require(actor, SWEEP_ROLES, "发起拉网式排查")
    if county.level != Level.COUNTY:
        fail("county", f"{county.name}不是县（区），拉网式排查以县为单位发起")
    _require_scope(actor, county.code, "该县不在您的管辖范围内")
    day = _today(today)
    data = scrub(dict(data or {}))
    errors = Errors()
    name = validation.text(data.get("name"), "name", "排查名称", errors, max_length=60)
    starts_on = validation.date(data.get("starts_on"), "starts_on", "开始日期", errors,
                                not_before=day - dt.timedelta(days=366), before_label="")
    ends_on = validation.date(data.get("ends_on"), "ends_on", "结束日期", errors)
    if starts_on and ends_on and "ends_on" not in errors:
        if ends_on < starts_on:
            errors["ends_on"] = "结束日期不能早于开始日期"
        elif (ends_on - starts_on).days > 366:
            errors["ends_on"] = "排查期间不能超过一年"
    if Sweep.objects.filter(division_code=county.code, status=SweepStatus.OPEN).exists():
        errors["__all__"] = f"{county.name}已有进行中的拉网式排查，请先结束后再发起"
    errors.raise_if_any()
    try:
        with transaction.atomic():
            sweep = Sweep.objects.create(county=county, division_code=county.code, year=starts_on.year, name=name,
                                         starts_on=starts_on, ends_on=ends_on, created_by=actor)
    except IntegrityError:
        fail("__all__", f"{county.name}已有进行中的拉网式排查，请先结束后再发起")
    record(actor, "sweep.open", sweep, division_code=county.code,
           after={"name": name, "starts_on": starts_on, "ends_on": ends_on})
    return Result(sweep, f"已发起“{name}”（{starts_on:%Y-%m-%d}至{ends_on:%Y-%m-%d}）")


@transaction.atomic
def close_sweep(actor, sweep: Sweep, *, today: dt.date | None = None) -> Result:
    _require(actor, SWEEP_ROLES, "结束拉网式排查")
    sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
    _require_scope(actor, sweep.division_code, "该排查不在您的管辖范围内")
    if sweep.status == SweepStatus.CLOSED:
        fail("__all__", f"“{sweep.name}”已于{sweep.closed_on:%Y-%m-%d}结束")
    sweep.status, sweep.closed_on = SweepStatus.CLOSED, _today(today)
    sweep.save(update_fields=["status", "closed_on"])
    record(actor, "sweep.close", sweep, division_code=sweep.division_code,
           before={"status": SweepStatus.OPEN}, after={"status": SweepStatus.CLOSED, "closed_on": sweep.closed_on})
    return Result(sweep, f"“{sweep.name}”已结束")


# --- department screenings ----------------------------------------------------------------------------


def _clean_file(upload, errors: Errors):
    if not upload:
        return None
    ext = Path(upload.name).suffix.lower()
    if ext not in SCREENING_EXTENSIONS:
        errors["file"] = f"排查报告 {validation.shown(upload.name)} 的文件类型不支持（可上传 {'、'.join(sorted(SCREENING_EXTENSIONS))}）"
    elif upload.size > SCREENING_MAX_BYTES:
        errors["file"] = f"排查报告 {validation.shown(upload.name)} 超过20MB"
    return upload


@transaction.atomic
def submit_screening(actor, county: Division, data: dict, *, upload=None, today: dt.date | None = None) -> Result:
    """A department reports its sector-wide screening of a quarter (R-DISC-07)."""
    _require(actor, SCREENING_ROLES, "报送行业部门排查")
    if county.level != Level.COUNTY:
        fail("county", f"{county.name}不是县（区），行业排查按县报送")
    _require_scope(actor, county.code, "该县不在您的管辖范围内")
    day = _today(today)
    data = scrub(dict(data or {}))
    errors = Errors()
    departments = screening_departments(profile_for_county(county.code).data)
    if actor.role == Role.DEPARTMENT_OFFICER:
        department = actor.department
        if department not in departments:
            errors["department"] = (f"您的账号所属部门“{department or '未填写'}”不在本县需季度排查的部门名单中"
                                    f"（{'、'.join(departments)}），请联系管理员")
    else:
        department = validation.choice(data.get("department"), "department", "部门", errors,
                                       choices={d: d for d in departments})
    year = validation.integer(data.get("year"), "year", "年度", errors, minimum=2021, maximum=day.year)
    quarter = validation.integer(data.get("quarter"), "quarter", "季度", errors, minimum=1, maximum=4,
                                 message="季度应为1到4")
    if year and quarter and (year, quarter) > (day.year, quarter_of(day.month)):
        errors["quarter"] = f"{year}年第{quarter}季度还未开始，不能报送"
    scope = validation.text(data.get("scope"), "scope", "排查范围", errors, max_length=200)
    screened = validation.integer(data.get("households_screened"), "households_screened", "排查户数", errors,
                                  minimum=1, maximum=5_000_000)
    findings = validation.integer(data.get("findings_count"), "findings_count", "发现问题数", errors,
                                  minimum=0, maximum=5_000_000)
    if screened and findings and findings > screened * 20:
        errors["findings_count"] = "发现问题数远大于排查户数，请核对"
    note = validation.text(data.get("note"), "note", "情况说明", errors, required=False, max_length=1000)
    upload = _clean_file(upload, errors)
    errors.raise_if_any()
    row = DepartmentScreening(county=county, division_code=county.code, department=department, year=year,
                              quarter=quarter, scope=scope, households_screened=screened, findings_count=findings,
                              note=note, submitted_by=actor)
    if upload:
        row.file_name = Path(upload.name).name[:200]
        row.file = upload
    row.save()
    record(actor, "screening.submit", row, division_code=county.code, after={
        "department": department, "year": year, "quarter": quarter, "scope": scope,
        "households_screened": screened, "findings_count": findings, "file": row.file_name})
    return Result(row, f"已报送{department}{year}年第{quarter}季度行业排查（排查{screened}户，发现问题{findings}个）")
