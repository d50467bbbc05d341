"""The one door for procedure-case writes (R-ID-01 … R-ID-07, R-WARN-04, R-SEC-01, R-SEC-02).

Every public function here runs in one transaction, locks the case row (``select_for_update``),
checks the actor's role and jurisdiction, the step order, the notice duration and duplicates,
validates the input (Chinese messages naming the field), writes, records the audit event and
computes the next due date. Pages, the API and commands call these functions and nothing else.

The engine is generic: the steps, roles, notice days and deadlines come from the procedure
definition copied from the county profile when the case opened (``Case.procedure_def``). Step
*kinds* have handlers here; the final step applies the procedure's *effect*. Elimination, rollback
and removal will add kinds and effects, not a second engine.

``today`` is injectable everywhere (tests, replays); by default it is today in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from fangpin import validation
from fangpin.accounts.scoping import (
    OutOfScope,
    in_scope,
    require_area,
    require_person,
    require_role,
)
from fangpin.areas.models import Division
from fangpin.assistance import plans as assistance_plans
from fangpin.audit.services import jsonable, record
from fangpin.policy import quorum
from fangpin.policy.eligibility import category_allowed
from fangpin.policy.procedures import LEVEL_LABELS, LEVELS, ProcedureError, StepDef, parse_procedure
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.profiles.services import today as local_today
from fangpin.registry import services as registry_services
from fangpin.registry import vocab
from fangpin.registry.models import Household, MonitoringStatus
from fangpin.validation import Errors, fail, scrub, to_bool

from .assess import assess
from .models import (
    Case,
    CaseAttachment,
    CaseSequence,
    CaseSource,
    CaseStatus,
    CaseStep,
    Notice,
    NoticeEntry,
    Objection,
    Phase,
    StepStatus,
)

# Cross-check evidence from other modules (the warnings engine registers here): callables
# ``(case) -> {item_code: {"result": "none"|"found"|"unavailable", "detail": str}}`` used to prefill.
CROSS_CHECK_PROVIDERS: list = []

CROSS_CHECK_RESULTS = {"none": "未发现", "found": "发现相关情况", "unavailable": "暂无数据"}
ALLOWED_EXTENSIONS = {".pdf", ".jpg", ".jpeg", ".png", ".heic", ".doc", ".docx", ".xls", ".xlsx"}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_NOTICE_LEAD_DAYS = 30
CHECK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
NOTICE_PREFIX = {Notice.Kind.VILLAGE: "GS", Notice.Kind.TOWNSHIP: "GS", Notice.Kind.COUNTY: "GG"}
KIND_OF_NOTICE = {"village_decision": Notice.Kind.VILLAGE, "township_approval": Notice.Kind.TOWNSHIP,
                  "county_filing": Notice.Kind.COUNTY}


@dataclass(frozen=True)
class Result:
    """What an action did, in one Chinese sentence for the page or the API."""

    case: Case
    message: str


# --- small helpers (the validators themselves are shared: fangpin.validation) --------------------

# Declared expenses of an application: 0 to 1亿 yuan, with one message for the whole range.
EXPENSE_MAX = Decimal("100000000")


def _expense(value, field: str, label: str, errors) -> Decimal:
    return validation.money(value, field, label, errors, maximum=EXPENSE_MAX,
                            out_of_range=f"{label}应为0到1亿之间的金额")


def _today(today: dt.date | None) -> dt.date:
    return today or local_today()


def clean_files(files, errors: dict, label: str = "证明材料") -> list:
    """Uploaded evidence checked against the allowed types and size (shared by every app that keeps
    attachments); the problems go to ``errors["attachments"]``."""
    files = list(files or [])
    bad = []
    for f in files:
        ext = Path(f.name).suffix.lower()
        if ext not in ALLOWED_EXTENSIONS:
            bad.append(f"{f.name}（不支持的文件类型，可上传 {'、'.join(sorted(ALLOWED_EXTENSIONS))}）")
        elif f.size > MAX_ATTACHMENT_BYTES:
            bad.append(f"{f.name}（超过10MB）")
    if bad:
        errors["attachments"] = f"{label}无法上传：" + "；".join(bad)
    return files


def _save_files(case: Case, row: CaseStep, actor, files) -> list[str]:
    names = []
    for f in files:
        CaseAttachment.objects.create(case=case, step=row, file=f, name=Path(f.name).name[:200], size=f.size,
                                      uploaded_by=actor)
        names.append(Path(f.name).name)
    return names


# --- permission and order checks ----------------------------------------------------------------


WHY_PERSON = "识别程序的每一步都必须由具体人员办理并留痕"


def _require_actor(actor):
    require_person(actor, WHY_PERSON)


def _require_role(actor, roles, what: str):
    require_role(actor, roles, what, WHY_PERSON)


def _require_scope(actor, code: str):
    _require_actor(actor)
    require_area(actor, code, "该农户不在您的管辖范围内，不能办理")


def _lock_case(case) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    try:
        return Case.objects.select_for_update(of=("self",)).select_related("household").get(pk=pk)
    except Case.DoesNotExist:
        fail("case", "案件不存在")


def _check_version(case: Case, expected_version):
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        fail("version", "表单版本号无效，请刷新页面后再办理")
    if expected != case.version:
        fail("version", "该案件已被他人办理或表单重复提交，未做任何修改；请刷新页面查看最新状态")


def _check_open(case: Case):
    if case.status == CaseStatus.REJECTED:
        fail("__all__", f"受理编号 {case.reference} 已不予纳入（理由：{case.rejection_reason}），不能继续办理")
    if case.status == CaseStatus.FILED:
        fail("__all__", f"受理编号 {case.reference} 已备案纳入，程序已办结，不能再办理")


def _step_def(case: Case, step_key: str) -> StepDef:
    if not case.proc.has_step(step_key):
        fail("step", f"本程序没有步骤“{step_key}”")
    return case.proc.step(step_key)


def _check_turn(case: Case, step_key: str) -> StepDef:
    """The step may be done now: not skipped, not out of order, not done before (R-ID-04)."""
    target = _step_def(case, step_key)
    _check_open(case)
    current = case.current_step_def
    if target.key == current.key:
        return target
    proc = case.proc
    if proc.index(target.key) < proc.index(current.key):
        fail("step", f"“{target.name}”已办理完成，不能重复提交")
    fail("step", f"当前应办理“{current.name}”，不能跳过步骤提前办理“{target.name}”")


def _current_row(case: Case) -> CaseStep:
    return CaseStep.objects.select_for_update().get(case=case, status=StepStatus.CURRENT)


# --- step life cycle -----------------------------------------------------------------------------


def step_due(step: StepDef, start: dt.date):
    """Due date of a step started on ``start``: the notice period, then the step's own deadline."""
    if not step.deadline_days:
        return None
    base = start + dt.timedelta(days=step.notice_days if step.has_notice else 0)
    return working_calendar().add(base, step.deadline_days, step.deadline_unit)


def _start_step(case: Case, step: StepDef, start_on: dt.date) -> CaseStep:
    attempt = CaseStep.objects.filter(case=case, key=step.key).count() + 1
    due = step_due(step, start_on)
    row = CaseStep.objects.create(
        case=case, position=case.proc.index(step.key), key=step.key, kind=step.kind, name=step.name, attempt=attempt,
        status=StepStatus.CURRENT, started_on=start_on, due_on=due.due if due else None,
        due_warnings=list(due.warnings) if due else [],
    )
    case.current_step = step.key
    case.phase = Phase.PENDING
    case.current_due_on = row.due_on
    return row


def _finish_row(row: CaseStep, actor, on: dt.date, outcome: str, status: str = StepStatus.DONE):
    row.status = status
    row.phase = Phase.PENDING
    row.completed_on = on
    row.completed_at = timezone.now()
    row.actor = actor
    row.actor_name = str(actor)
    row.actor_role = actor.role
    row.outcome = outcome[:200]
    row.save()


def _case_state(case: Case) -> dict:
    return {"status": case.status, "current_step": case.current_step, "phase": case.phase,
            "current_due_on": case.current_due_on}


def _save_case(case: Case, actor, action: str, before: dict, extra: dict | None = None):
    case.version += 1
    case.save()
    record(actor, action, case, before=before, after={**_case_state(case), **(extra or {})}, household=case.household)


def _advance(case: Case, row: CaseStep, actor, on: dt.date) -> str:
    """Start the next step, or apply the procedure's effect after the final one. Returns a sentence."""
    nxt = case.proc.next_after(row.key)
    if nxt is None:
        return _apply_effect(case, actor, on, on)
    new = _start_step(case, nxt, on)
    due = f"，办理期限 {new.due_on:%Y-%m-%d}" if new.due_on else ""
    warn = f"（{new.due_warnings[0]}）" if new.due_warnings else ""
    return f"下一步：{nxt.name}{due}{warn}"


def _withdraw_from_notices(case: Case, reason: str):
    NoticeEntry.objects.filter(case=case, withdrawn=False, notice__status=Notice.Status.OPEN).update(
        withdrawn=True, withdrawn_reason=reason[:200]
    )


def _close_open_objections(row: CaseStep, actor, on: dt.date, outcome: str, resolution: str):
    Objection.objects.filter(step=row, outcome="").update(outcome=outcome, resolution=resolution, resolved_by=actor,
                                                          resolved_on=on)


def _reject(case: Case, row: CaseStep, actor, on: dt.date, reason: str) -> str:
    _close_open_objections(row, actor, on, Objection.Outcome.CLOSED, "案件已不予纳入，异议一并办结")
    _finish_row(row, actor, on, f"不予通过：{reason}", StepStatus.REJECTED)
    _withdraw_from_notices(case, "不予纳入")
    case.status = CaseStatus.REJECTED
    case.rejection_reason = reason
    case.rejected_step = row.key
    case.closed_on = on
    case.current_step = ""
    case.phase = Phase.PENDING
    case.current_due_on = None
    return f"已终止：{row.name}不予通过，理由已告知申请人（{reason}）"


def _return_to_verification(case: Case, row: CaseStep, actor, on: dt.date, reason: str) -> str:
    _close_open_objections(row, actor, on, Objection.Outcome.REVERIFY, "随案件退回重新核实一并处理")
    _finish_row(row, actor, on, f"退回重新核实：{reason}", StepStatus.RETURNED)
    _withdraw_from_notices(case, "退回重新核实")
    target = case.proc.step(case.proc.reverify_step)
    new = _start_step(case, target, on)
    due = f"，期限 {new.due_on:%Y-%m-%d}" if new.due_on else ""
    return f"已退回“{target.name}”重新核实{due}；之后各步骤须重新办理"


def _apply_effect(case: Case, actor, on: dt.date, filed_on: dt.date) -> str:
    """Completing the final step (R-ID-07): the household becomes a monitored household."""
    proc = case.proc
    if proc.effect == "include_monitored":
        registry_services.include_in_monitoring(
            actor, case.household, category=case.category, included_on=filed_on, risk_types=list(case.risk_types),
            reason=f"识别程序 {case.reference} 县级备案纳入监测",
        )
        # R-ID-07, R-AID-05: the plan starts (draft) and the township is asked for the assistance contact.
        assistance_plans.on_household_filed(actor, case.household, filed_on)
    case.status = CaseStatus.FILED
    case.filed_on = filed_on
    case.closed_on = on
    case.current_step = ""
    case.phase = Phase.PENDING
    case.current_due_on = None
    entry = working_calendar().add(filed_on, proc.entry_days, proc.entry_unit)
    case.system_entry_due_on = entry.due
    return (f"已备案纳入监测对象（纳入时间 {filed_on:%Y-%m-%d}）；请于 {entry.due:%Y-%m-%d} 前录入全国防返贫监测信息系统，"
            "并发布县级公告")


# --- numbers ------------------------------------------------------------------------------------


def next_number(prefix: str, scope_code: str, year: int) -> int:
    """The next number of a yearly series (case references, notices, lead references) of one division."""
    try:
        with transaction.atomic():
            CaseSequence.objects.get_or_create(prefix=prefix, scope_code=scope_code, year=year)
    except IntegrityError:
        pass
    seq = CaseSequence.objects.select_for_update().get(prefix=prefix, scope_code=scope_code, year=year)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


def check_code_for(reference: str) -> str:
    """A short code printed on the receipt; the public status page needs it with the reference."""
    digest = hmac.new(settings.SECRET_KEY.encode(), reference.encode(), hashlib.sha256).digest()
    return "".join(CHECK_ALPHABET[b % len(CHECK_ALPHABET)] for b in digest[:4])


# --- opening a case ------------------------------------------------------------------------------


def _procedure_for(household: Household, procedure: str):
    profile = profile_for_county(household.division_code)
    try:
        return profile, parse_procedure(profile.data, procedure)
    except ProcedureError as exc:
        fail("procedure", f"本县政策画像中的{procedure}程序无法使用：{exc}")


def _clean_application(case_household: Household, profile, data: dict, today: dt.date, *,
                       not_before: dt.date | None, files=()) -> dict:
    data = data or {}
    errors = Errors()
    applicant = None
    raw = data.get("applicant_id")
    try:
        applicant = case_household.members.filter(active=True, pk=int(raw)).first() if raw not in (None, "") else None
    except (TypeError, ValueError):
        applicant = None
    if applicant is None:
        errors["applicant_id"] = "申请人必须是本户在户的家庭成员"
    app_date = validation.date(data.get("application_date"), "application_date", "申请日期", errors, not_after=today,
                               not_before=not_before, before_label="线索发现日期 ")
    reasons = validation.text(data.get("reasons"), "reasons", "申请理由", errors)
    risks = data.get("risk_types") or []
    if isinstance(risks, str):
        risks = [r for r in risks.replace("，", ",").replace("、", ",").split(",") if r.strip()]
    risks = [str(r).strip() for r in risks]
    allowed = vocab.values("risk_type")
    unknown = [r for r in risks if r not in allowed]
    if not risks:
        errors["risk_types"] = "至少选择一项风险类型"
    elif unknown:
        errors["risk_types"] = f"风险类型“{'、'.join(unknown)}”不在字典值中"
    category = str(data.get("category") or "").strip()
    monitored = profile.monitored_categories()
    names = profile.category_names()
    if category not in monitored:
        errors["category"] = f"拟纳入类别应为本县监测对象类别之一：{'、'.join(names[c] for c in monitored)}"
    elif not category_allowed(profile.data, category, case_household.category):
        errors["category"] = (f"该户当前为{names.get(case_household.category, case_household.category)}，"
                              f"不能认定为{names[category]}")
    if to_bool(data.get("consent_signed")) is not True:
        errors["consent_signed"] = "申请人须签署承诺授权书（承诺如实申报并授权核查家庭经济状况）后方可受理"
    consent_date = validation.date(data.get("consent_date"), "consent_date", "承诺授权书签署日期", errors, not_after=today)
    long_resident = to_bool(data.get("long_resident"))
    if long_resident is None:
        errors["long_resident"] = "请说明是否在本县长期居住"
    medical = _expense(data.get("medical_expense"), "medical_expense", "申请前12个月医疗自付支出", errors)
    other = _expense(data.get("other_rigid_expense"), "other_rigid_expense", "申请前12个月其他刚性支出", errors)
    can_repair = to_bool(data.get("can_repair_house"))
    files = clean_files(files, errors)
    errors.raise_if_any()
    return {
        "applicant": applicant, "application_date": app_date, "reasons": reasons, "risk_types": risks,
        "category": category, "consent_date": consent_date, "files": files,
        "declaration": {"long_resident": long_resident, "medical_expense": str(medical),
                        "other_rigid_expense": str(other), "can_repair_house": can_repair},
    }


def _apply_application(case: Case, row: CaseStep, actor, clean: dict, today: dt.date, profile) -> str:
    evaluation, params = assess(case.household, clean["declaration"], clean["application_date"], profile)
    case.applicant = clean["applicant"]
    case.applicant_name = clean["applicant"].name
    case.application_date = clean["application_date"]
    case.reasons = clean["reasons"]
    case.risk_types = clean["risk_types"]
    case.category = clean["category"]
    case.consent_signed = True
    case.consent_date = clean["consent_date"]
    case.declaration = clean["declaration"]
    case.eligibility = evaluation.as_dict()
    case.eligibility_params = params
    names = _save_files(case, row, actor, clean["files"])
    row.payload = jsonable({
        "applicant": case.applicant_name, "application_date": case.application_date, "reasons": case.reasons,
        "risk_types": case.risk_types, "category": case.category, "consent_date": case.consent_date,
        "declaration": case.declaration, "attachments": names, "eligibility": case.eligibility,
    })
    row.params = params
    verdict = {True: "符合识别范围和标准", False: "不符合识别范围或标准", None: "部分条件待核实"}[evaluation.eligible]
    _finish_row(row, actor, today, f"申请已受理；系统评估：{verdict}")
    return _advance(case, row, actor, today)


@transaction.atomic
def open_case(actor, household: Household, *, source: str = CaseSource.APPLICATION, application: dict | None = None,
              lead_ref: str = "", lead_note: str = "", discovered_on=None, procedure: str = "identification",
              today: dt.date | None = None, files=()) -> Result:
    """Open a case from a household application, or from a verified lead (the village then invites
    the household to apply). Returns the case with its reference number and check code."""
    today = _today(today)
    _require_actor(actor)
    application, lead_ref, lead_note, discovered_on = scrub([application, lead_ref, lead_note, discovered_on])
    household = Household.objects.select_for_update().get(pk=household.pk)
    _require_scope(actor, household.division_code)
    profile, proc = _procedure_for(household, procedure)
    first = proc.first
    _require_role(actor, first.roles, first.name)
    if source not in CaseSource.values:
        fail("source", "来源只能是农户主动申请或排查预警线索")
    if household.monitoring_status == MonitoringStatus.MONITORED:
        fail("household", "该户已是监测对象（风险未消除），无需重复识别")
    existing = Case.objects.filter(household=household, procedure=procedure, status=CaseStatus.OPEN).first()
    if existing is not None:
        fail("household", f"该户已有办理中的申请（受理编号 {existing.reference}），不能重复受理")
    errors = Errors()
    lead_ref = (lead_ref or "").strip()
    if source == CaseSource.LEAD:
        if not lead_ref:
            errors["lead_ref"] = "由排查预警线索发起时必须填写线索编号"
        discovered_on = validation.date(discovered_on, "discovered_on", "线索发现日期", errors, not_after=today)
    elif application is None:
        errors["application"] = "农户主动申请时必须填写申请内容"
    errors.raise_if_any()
    clean = None
    if application is not None:
        clean = _clean_application(household, profile, application, today,
                                   not_before=discovered_on if source == CaseSource.LEAD else None, files=files)
        if source == CaseSource.APPLICATION:
            discovered_on = clean["application_date"]
    number = next_number(proc.reference_prefix, profile.county_code, today.year)
    reference = f"{proc.reference_prefix}-{profile.county_code}-{today.year}-{number:06d}"
    total = working_calendar().add(discovered_on, proc.total_days, proc.total_unit)
    case = Case.objects.create(
        reference=reference, check_code=check_code_for(reference), procedure=procedure, procedure_name=proc.name,
        procedure_def=proc.as_dict(), profile_key=profile.key, profile_version=profile.version, household=household,
        division_code=household.division_code, source=source, lead_ref=lead_ref, lead_note=(lead_note or "")[:300],
        discovered_on=discovered_on, opened_on=today, opened_by=actor, overall_due_on=total.due,
        overall_due_warnings=list(total.warnings),
    )
    row = _start_step(case, first, today)
    case.save()
    record(actor, "case.open", case, household=household, after={
        "reference": reference, "source": source, "lead_ref": lead_ref, "discovered_on": discovered_on,
        "overall_due_on": case.overall_due_on, "profile": f"{profile.key} v{profile.version}",
    })
    message = f"已受理，受理编号 {reference}，查询码 {case.check_code}"
    if clean is not None:
        before = _case_state(case)
        message += "；" + _apply_application(case, row, actor, clean, today, profile)
        _save_case(case, actor, "case.step", before, {"step": first.key})
    return Result(case, message)


# --- the generic step action ---------------------------------------------------------------------


def act(actor, case: Case, step_key: str, payload: dict | None = None, *, today: dt.date | None = None,
        expected_version=None, files=()) -> Result:
    """Do the current step of a case. Refuses the wrong role, the wrong division, a skipped,
    out-of-order or repeated step and bad input; on refusal nothing changes."""
    with transaction.atomic():
        today = _today(today)
        _require_actor(actor)
        case = _lock_case(case)
        _require_scope(actor, case.division_code)
        step = _step_def(case, step_key)
        _require_role(actor, step.roles, step.name)
        _check_version(case, expected_version)
        _check_turn(case, step_key)
        row = _current_row(case)
        handler = HANDLERS[step.kind]
        before = _case_state(case)
        message = handler(case, step, row, actor, scrub(dict(payload or {})), today, files)
        _save_case(case, actor, "case.step", before, {"step": step.key, "outcome": row.outcome})
        return Result(case, message)


def _h_application(case, step, row, actor, payload, today, files) -> str:
    profile = profile_for_county(case.division_code)
    clean = _clean_application(case.household, profile, payload, today, not_before=case.discovered_on, files=files)
    return _apply_application(case, row, actor, clean, today, profile)


def _h_verification(case, step, row, actor, payload, today, files) -> str:
    errors = Errors()
    verifiers = validation.people(payload.get("verifiers"), "verifiers", "核查组成员", errors, minimum=step.min_verifiers)
    visit = validation.date(payload.get("visit_date"), "visit_date", "入户核实日期", errors, not_after=today,
                            not_before=case.application_date, before_label="申请日期 ")
    findings = validation.text(payload.get("findings"), "findings", "核实情况", errors, max_length=4000)
    outcome = validation.choice(payload.get("outcome"), "outcome", "核实结论", errors,
                                choices={"pass": "核实通过", "reject": "核实不通过"})
    reason = validation.text(payload.get("reason"), "reason", "不通过理由", errors, required=outcome == "reject",
                             max_length=500)
    override = validation.text(payload.get("override_note"), "override_note", "核实通过依据", {}, required=False,
                               max_length=1000)
    confirmed = {}
    for field in ("long_resident", "can_repair_house"):
        value = to_bool(payload.get(field))
        if value is not None:
            confirmed[field] = value
    if payload.get("medical_expense") not in (None, ""):
        confirmed["medical_expense"] = str(_expense(payload.get("medical_expense"), "medical_expense",
                                                    "医疗自付支出（核实）", errors))
    if payload.get("other_rigid_expense") not in (None, ""):
        confirmed["other_rigid_expense"] = str(_expense(payload.get("other_rigid_expense"), "other_rigid_expense",
                                                        "其他刚性支出（核实）", errors))
    files = clean_files(files, errors)
    errors.raise_if_any()
    profile = profile_for_county(case.division_code)
    declaration = {**case.declaration, **confirmed}
    evaluation, params = assess(case.household, declaration, case.application_date, profile)
    if outcome == "pass" and evaluation.eligible is not True and not override:
        fail("override_note", "系统评估未显示该户同时符合识别范围和识别标准（见评估结果），核实通过须写明依据")
    case.declaration = declaration
    case.eligibility = evaluation.as_dict()
    case.eligibility_params = params
    names = _save_files(case, row, actor, files)
    row.payload = jsonable({
        "verifiers": verifiers, "visit_date": visit, "findings": findings, "confirmed": confirmed,
        "override_note": override, "reason": reason, "attachments": names, "eligibility": case.eligibility,
    })
    row.params = params
    if outcome == "reject":
        return _reject(case, row, actor, today, f"入户核实不通过：{reason}")
    people = "、".join(p["name"] for p in verifiers)
    _finish_row(row, actor, today, f"核实通过（核查组：{people}；{visit:%Y-%m-%d}入户）")
    return f"已完成“{step.name}”；" + _advance(case, row, actor, today)


def _h_deliberation(case, step, row, actor, payload, today, files) -> str:
    profile = profile_for_county(case.division_code)
    groups = profile.param("deliberation.participant_groups")
    errors = Errors()
    meeting = validation.date(payload.get("meeting_date"), "meeting_date", "评议会日期", errors, not_after=today,
                              not_before=row.started_on, before_label="本步骤开始日期 ")
    counts = {}
    expected_total = present_total = 0
    for g in groups:
        code, name = g["code"], g["name"]
        expected = validation.integer(payload.get(f"expected_{code}"), f"expected_{code}", f"应到{name}人数", errors)
        present = validation.integer(payload.get(f"present_{code}"), f"present_{code}", f"实到{name}人数", errors)
        if expected is not None and present is not None and present > expected:
            errors[f"present_{code}"] = f"实到{name}人数不能多于应到人数"
        counts[code] = {"name": name, "expected": expected, "present": present}
        expected_total += expected or 0
        present_total += present or 0
    approvals = validation.integer(payload.get("approvals"), "approvals", "赞成人数", errors)
    if approvals is not None and "approvals" not in errors and approvals > present_total:
        errors["approvals"] = f"赞成人数不能多于实到人数（{present_total}人）"
    if not errors and expected_total == 0:
        errors["expected_villager_representatives"] = "应到人数合计必须大于0"
    group_name = validation.text(payload.get("group_name"), "group_name", "评议村民小组", errors, required=False,
                                 max_length=60) or (case.household.group.name if case.household.group_id else "")
    attendees = validation.text(payload.get("attendees"), "attendees", "到会人员名单", errors, required=False,
                                max_length=2000)
    minutes = validation.text(payload.get("minutes"), "minutes", "评议情况", errors, required=False, max_length=4000)
    files = clean_files(files, errors)
    errors.raise_if_any()
    pf = profile.param("deliberation.presence_fraction")
    af = profile.param("deliberation.approval_fraction")
    result = quorum.evaluate(expected_total, present_total, approvals, pf, af)
    params = profile.snapshot("deliberation.presence_fraction", "deliberation.approval_fraction")
    params["deliberation.participant_groups"] = groups
    names = _save_files(case, row, actor, files)
    record_ = jsonable({
        "meeting_date": meeting, "group_name": group_name, "counts": counts, "approvals": approvals,
        "attendees": attendees, "minutes": minutes, "attachments": names, "result": result.as_dict(),
        "recorded_by": str(actor),
    })
    figures = f"应到{expected_total}人，实到{present_total}人，赞成{approvals}人"
    if not result.valid:
        row.payload = {**row.payload, "invalid_meetings": [*row.payload.get("invalid_meetings", []), record_]}
        row.params = params
        row.save()
        return (f"评议会无效：{figures}，实到人数不足应到人数的{pf}，不能作为评议结果；"
                "已记录本次会议，请重新组织评议")
    row.payload = {**row.payload, **record_}
    row.params = params
    if not result.passed:
        return _reject(case, row, actor, today, f"民主评议未通过（{figures}，赞成未超过实到人数的{af}）")
    _finish_row(row, actor, today, f"评议通过（{figures}）")
    return f"已完成“{step.name}”；" + _advance(case, row, actor, today)


def cross_check_prefill(case: Case) -> dict:
    found: dict = {}
    for provider in CROSS_CHECK_PROVIDERS:
        found.update(provider(case) or {})
    return found


def _h_cross_check(case, step, row, actor, payload, today, files) -> str:
    profile = profile_for_county(case.division_code)
    items = profile.param("cross_check.items")
    errors = Errors()
    checked = validation.date(payload.get("checked_on"), "checked_on", "比对日期", errors, not_after=today,
                              not_before=row.started_on, before_label="本步骤开始日期 ")
    given = payload.get("items") if isinstance(payload.get("items"), dict) else {}
    results = {}
    found = []
    for item in items:
        code, name = item["code"], item["name"]
        entry = given.get(code) or {}
        result = validation.choice(entry.get("result", payload.get(f"result_{code}")), f"result_{code}",
                                   f"{name}比对结果", errors, choices=CROSS_CHECK_RESULTS)
        detail = validation.text(entry.get("detail", payload.get(f"detail_{code}")), f"detail_{code}",
                                 f"{name}比对情况", errors, required=result == "found", max_length=500)
        results[code] = {"name": name, "result": result, "detail": detail}
        if result == "found":
            found.append(name)
    source = str(payload.get("source") or "manual")
    if source not in ("manual", "warnings"):
        errors["source"] = "比对来源只能是手工录入或预警比对"
    conclusion = validation.text(payload.get("conclusion"), "conclusion", "比对结论说明", errors, required=bool(found),
                                 max_length=2000)
    files = clean_files(files, errors)
    errors.raise_if_any()
    names = _save_files(case, row, actor, files)
    row.payload = jsonable({"checked_on": checked, "items": results, "source": source, "conclusion": conclusion,
                            "attachments": names})
    row.params = {"profile": profile.key, "version": profile.version, "cross_check.items": items}
    summary = f"发现{'、'.join(found)}情况，作为评议、审定的参考依据" if found else "未发现城镇住房、车辆、经营实体等情况"
    _finish_row(row, actor, today, f"比对完成：{summary}")
    return f"已完成“{step.name}”（比对结果为参考证据，不自动否决）；" + _advance(case, row, actor, today)


def _h_decision(case, step, row, actor, payload, today, files) -> str:
    """Village decision + notice, township approval + notice, county filing + announcement."""
    if case.phase == Phase.DECIDED:
        fail("__all__", f"“{step.name}”已研究确定，待发布{step.notice_label}，不能重复提交")
    if case.phase == Phase.IN_NOTICE:
        fail("__all__", f"“{step.name}”正在{step.notice_label}中，不能重复提交")
    profile = profile_for_county(case.division_code)
    errors = Errors()
    label = {"village_decision": "村两委会议日期", "township_approval": "乡镇审定会议日期",
             "county_filing": "县级备案日期"}.get(step.kind, "会议日期")
    meeting = validation.date(payload.get("meeting_date"), "meeting_date", label, errors, not_after=today,
                              not_before=row.started_on, before_label="本步骤开始日期 ")
    decision = validation.choice(payload.get("decision"), "decision", "研究结论", errors,
                                 choices={"approve": "同意", "reject": "不同意"})
    reason = validation.text(payload.get("reason"), "reason", "不同意的理由", errors, required=decision == "reject",
                             max_length=500)
    note = validation.text(payload.get("note"), "note", "会议情况", errors, required=False, max_length=2000)
    category = str(payload.get("category") or case.category).strip()
    if category not in profile.monitored_categories():
        errors["category"] = "纳入类别应为本县监测对象类别之一"
    elif not category_allowed(profile.data, category, case.household.category):
        errors["category"] = f"该户当前类别不能认定为{profile.category_names()[category]}"
    files = clean_files(files, errors)
    errors.raise_if_any()
    names = _save_files(case, row, actor, files)
    row.payload = jsonable({"meeting_date": meeting, "decision": decision, "reason": reason, "note": note,
                            "category": category, "attachments": names})
    row.params = {"profile": profile.key, "version": profile.version, "notice_days": step.notice_days}
    row.decided_on = meeting
    if decision == "reject":
        return _reject(case, row, actor, today, f"{step.name}不同意纳入：{reason}")
    if category != case.category:
        row.payload["category_changed_from"] = case.category
        case.category = category
    if step.has_notice:
        row.phase = Phase.DECIDED
        row.actor, row.actor_name, row.actor_role = actor, str(actor), actor.role
        row.save()
        case.phase = Phase.DECIDED
        return f"已研究确定，请发布{step.notice_label}（不少于{step.notice_days}天）"
    _finish_row(row, actor, today, "同意纳入" if not step.final else "县级备案")
    if step.final:
        return _apply_effect(case, actor, today, meeting)
    return f"已完成“{step.name}”；" + _advance(case, row, actor, today)


HANDLERS = {
    "application": _h_application,
    "verification": _h_verification,
    "deliberation": _h_deliberation,
    "cross_check": _h_cross_check,
    "village_decision": _h_decision,
    "township_approval": _h_decision,
    "county_filing": _h_decision,
}


# --- rejection and return ------------------------------------------------------------------------


def _lock_current_step(actor, case: Case, label: str, expected_version):
    """Lock an open case for an action on its current step, after the actor, scope, role and version checks."""
    _require_actor(actor)
    case = _lock_case(case)
    _require_scope(actor, case.division_code)
    _check_open(case)
    step = case.current_step_def
    _require_role(actor, step.roles, f"{step.name}（{label}）")
    _check_version(case, expected_version)
    return case, step


@transaction.atomic
def reject_case(actor, case: Case, *, reason: str, today: dt.date | None = None, expected_version=None) -> Result:
    """End a case at its current step with a reason the household can see (R-ID-04)."""
    today = _today(today)
    case, step = _lock_current_step(actor, case, "不予通过", expected_version)
    errors = Errors()
    reason = validation.text(reason, "reason", "理由", errors, max_length=500,
                             missing="不予纳入必须填写理由（申请人可凭受理编号查询）")
    errors.raise_if_any()
    before = _case_state(case)
    row = _current_row(case)
    message = _reject(case, row, actor, today, reason)
    _save_case(case, actor, "case.reject", before, {"reason": reason, "step": step.key})
    return Result(case, message)


@transaction.atomic
def send_back(actor, case: Case, *, reason: str, today: dt.date | None = None, expected_version=None) -> Result:
    """Doubts about the household send the case back to re-verification (001 §三(七)6)."""
    today = _today(today)
    case, step = _lock_current_step(actor, case, "退回重新核实", expected_version)
    proc = case.proc
    if proc.index(step.key) <= proc.index(proc.reverify_step):
        fail("__all__", f"当前步骤“{step.name}”尚未完成入户核实，无需退回")
    errors = Errors()
    reason = validation.text(reason, "reason", "退回理由", errors, max_length=None, missing="退回重新核实必须写明存疑的情况")
    errors.raise_if_any()
    before = _case_state(case)
    row = _current_row(case)
    message = _return_to_verification(case, row, actor, today, reason)
    _save_case(case, actor, "case.return", before, {"reason": reason, "from_step": step.key})
    return Result(case, message)


# --- notices, announcements and objections (R-ID-06) ---------------------------------------------


def _division_name(code: str) -> str:
    division = Division.objects.filter(code=code).first()
    return division.full_name() if division else code


@transaction.atomic
def publish_notice(actor, step_key: str, cases, *, starts_on, today: dt.date | None = None) -> Notice:
    """Publish a printable notice (公示) or announcement (公告) listing a batch of cases."""
    today = _today(today)
    _require_actor(actor)
    starts_on = scrub(starts_on)
    try:
        ids = sorted({c.pk if isinstance(c, Case) else int(scrub(c)) for c in cases})
    except (TypeError, ValueError):
        fail("cases", "所选农户无效，请重新选择")
    if not ids:
        fail("cases", "请至少选择一户")
    locked = [_lock_case(pk) for pk in ids]
    kind = None
    days = None
    division_code = None
    step = None
    for case in locked:
        _require_scope(actor, case.division_code)
        step = _step_def(case, step_key)
        if not (step.has_notice or step.announces):
            fail("step", f"“{step.name}”不需要发布公示或公告")
        _require_role(actor, step.roles, f"发布{step.notice_label}")
        if step.announces:
            if case.status != CaseStatus.FILED or case.announced:
                fail("cases", f"{case.reference}：只有已备案且尚未公告的农户才能列入县级公告")
            this_days = case.proc.announcement_days
        else:
            if not case.is_open or case.current_step != step_key or case.phase != Phase.DECIDED:
                fail("cases", f"{case.reference}：不在“{step.name}—已研究确定、待发布公示”状态，不能列入本次公示")
            this_days = step.notice_days
        code = case.division_code[: LEVELS[step.level]]
        if division_code is None:
            division_code, days, kind = code, this_days, KIND_OF_NOTICE[step.kind]
        elif code != division_code:
            fail("cases", f"一份{step.notice_label}只能包含同一{LEVEL_LABELS[step.level]}的农户（{case.reference}不属于同一单位）")
        elif this_days != days:
            fail("cases", f"{case.reference}的公示天数（{this_days}天）与其他农户（{days}天）不同（县级画像版本不同），请分批发布")
    errors = Errors()
    start = validation.date(starts_on, "starts_on", "公示开始日期", errors, not_before=today,
                            not_after=today + dt.timedelta(days=MAX_NOTICE_LEAD_DAYS), before_label="今天 ")
    if "starts_on" in errors:
        fail("starts_on", errors["starts_on"] + "（公示由本系统生成并张贴，不能倒签）")
    end = start + dt.timedelta(days=days - 1)
    prefix = NOTICE_PREFIX[kind]
    n = next_number(prefix, division_code, start.year)
    name = _division_name(division_code)
    notice = Notice.objects.create(
        number=f"{prefix}-{division_code}-{start.year}-{n:03d}", kind=kind, procedure=locked[0].procedure,
        step_key=step_key, division_code=division_code, division_name=name,
        title=f"{name}{Notice.Kind(kind).label}（{start.year}年第{n}批）", days=days, starts_on=start, ends_on=end,
        params={"profile": locked[0].profile_key, "version": locked[0].profile_version, "days": days,
                "step": step_key},
        published_by=actor,
    )
    for i, case in enumerate(locked, 1):
        before = _case_state(case)
        if step.announces:
            row = case.steps.filter(key=step_key, status=StepStatus.DONE).order_by("-id").first()
            case.announced = True
        else:
            row = _current_row(case)
            row.phase = Phase.IN_NOTICE
            case.phase = Phase.IN_NOTICE
        row.notice = notice
        row.save()
        NoticeEntry.objects.create(notice=notice, case=case, step=row, position=i)
        _save_case(case, actor, "notice.publish", before, {"notice": notice.number, "starts_on": start, "ends_on": end})
    return notice


@transaction.atomic
def close_notice(actor, notice: Notice, *, today: dt.date | None = None) -> dict:
    """End a notice after its full period (R-ID-06). Cases with unresolved objections wait."""
    today = _today(today)
    _require_actor(actor)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    if not in_scope(actor, notice.division_code):
        raise OutOfScope("该公示不在您的管辖范围内")
    if not notice.gating:
        fail("__all__", "县级公告到期自动结束，无需办理结束")
    if notice.status == Notice.Status.CLOSED:
        fail("__all__", "该公示已结束，不能重复办理")
    entries = list(notice.entries.filter(withdrawn=False).order_by("case_id"))
    if entries:
        step = _step_def(entries[0].case, notice.step_key)
    else:
        step = parse_procedure(profile_for_county(notice.division_code).data, notice.procedure).step(notice.step_key)
    _require_role(actor, step.roles, f"结束{step.notice_label}")
    earliest = notice.ends_on + dt.timedelta(days=1)
    if today < earliest:
        fail("__all__", f"公示期未满：本公示自{notice.starts_on:%Y-%m-%d}起至{notice.ends_on:%Y-%m-%d}止，共{notice.days}天，"
                         f"{earliest:%Y-%m-%d}起方可结束公示")
    completed, blocked = [], []
    for entry in entries:
        case = _lock_case(entry.case_id)
        if not (case.is_open and case.current_step == notice.step_key and case.phase == Phase.IN_NOTICE):
            continue
        row = _current_row(case)
        if row.notice_id != notice.pk:
            continue
        if row.objections.filter(outcome="").exists():
            blocked.append(case.reference)
            continue
        before = _case_state(case)
        label = "异议已处理" if row.objections.exists() else "无异议"
        _finish_row(row, actor, today, f"{notice.get_kind_display()}{notice.days}天期满{label}")
        _advance(case, row, actor, today)
        _save_case(case, actor, "case.step", before, {"step": row.key, "notice": notice.number})
        completed.append(case.reference)
    notice.status = Notice.Status.CLOSED
    notice.closed_by = actor
    notice.closed_on = today
    notice.save()
    record(actor, "notice.close", notice, division_code=notice.division_code,
           after={"number": notice.number, "completed": completed, "blocked": blocked})
    return {"completed": completed, "blocked": blocked}


@transaction.atomic
def record_objection(actor, case: Case, *, content: str, received_on, raised_by: str = "",
                     today: dt.date | None = None) -> Objection:
    """An objection received during the notice period; it blocks the next step until resolved."""
    today = _today(today)
    _require_actor(actor)
    case = _lock_case(case)
    _require_scope(actor, case.division_code)
    _check_open(case)
    step = case.current_step_def
    _require_role(actor, step.roles, "登记公示异议")
    if case.phase != Phase.IN_NOTICE:
        fail("__all__", "只有公示期间才能登记异议")
    row = _current_row(case)
    notice = row.notice
    if notice.status == Notice.Status.CLOSED:
        fail("__all__", "公示已结束，不能再登记异议；新的情况请作为线索反映")
    errors = Errors()
    content, received_on, raised_by = scrub([content, received_on, raised_by])
    received = validation.date(received_on, "received_on", "收到异议日期", errors, not_before=notice.starts_on,
                               not_after=min(notice.ends_on, today), before_label="公示开始日期 ")
    if "received_on" in errors:
        errors["received_on"] += f"（公示期 {notice.starts_on:%Y-%m-%d} 至 {notice.ends_on:%Y-%m-%d}）"
    content = validation.text(content, "content", "异议内容", errors)
    raised_by = (raised_by or "").strip()[:60]
    errors.raise_if_any()
    objection = Objection.objects.create(case=case, step=row, notice=notice, received_on=received, content=content,
                                         raised_by=raised_by, recorded_by=actor)
    before = _case_state(case)
    _save_case(case, actor, "objection.record", before, {"objection": objection.pk, "received_on": received})
    return objection


@transaction.atomic
def resolve_objection(actor, objection: Objection, *, outcome: str, resolution: str,
                      today: dt.date | None = None) -> Result:
    today = _today(today)
    _require_actor(actor)
    case = _lock_case(objection.case_id)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    _require_scope(actor, case.division_code)
    if objection.outcome:
        fail("__all__", "该异议已处理，不能重复处理")
    _check_open(case)
    step = case.current_step_def
    _require_role(actor, step.roles, "处理公示异议")
    row = _current_row(case)
    if row.pk != objection.step_id:
        fail("__all__", "案件已不在该公示环节，异议不能按本环节处理")
    errors = Errors()
    resolvable = {k: v for k, v in Objection.Outcome.choices if k in Objection.RESOLVABLE}
    outcome, resolution = scrub([outcome, resolution])
    outcome = validation.choice(outcome, "outcome", "处理结果", errors, choices=resolvable)
    resolution = validation.text(resolution, "resolution", "核实处理情况", errors)
    errors.raise_if_any()
    before = _case_state(case)
    objection.outcome = outcome
    objection.resolution = resolution
    objection.resolved_by = actor
    objection.resolved_on = today
    objection.save()
    others = Objection.objects.filter(step=row, outcome="").exclude(pk=objection.pk)
    if outcome == Objection.Outcome.UNFOUNDED:
        message = "异议已处理（不成立）"
        if not others.exists() and row.notice.status == Notice.Status.CLOSED:
            _finish_row(row, actor, today, f"{row.notice.get_kind_display()}期满，异议已处理")
            message += "；公示已期满，" + _advance(case, row, actor, today)
        elif others.exists():
            message += f"；还有{others.count()}条异议待处理"
    elif outcome == Objection.Outcome.REVERIFY:
        message = _return_to_verification(case, row, actor, today, f"公示期间收到异议，情况存疑：{resolution}")
    else:
        message = _reject(case, row, actor, today, f"公示期间异议经核实成立：{resolution}")
    _save_case(case, actor, "objection.resolve", before, {"objection": objection.pk, "outcome": outcome})
    return Result(case, message)


# --- after filing (R-ID-07) -----------------------------------------------------------------------


@transaction.atomic
def record_system_entry(actor, case: Case, *, entered_on, today: dt.date | None = None) -> Result:
    """The filed household was entered in the national monitoring system (within 1 day, 003 第三步)."""
    today = _today(today)
    _require_actor(actor)
    case = _lock_case(case)
    _require_scope(actor, case.division_code)
    _require_role(actor, case.proc.entry_roles, "登记录入国家系统")
    if case.status != CaseStatus.FILED:
        fail("__all__", "只有已备案纳入的农户才能登记录入国家系统")
    if case.system_entered_on:
        fail("__all__", f"已于{case.system_entered_on:%Y-%m-%d}登记录入国家系统，不能重复登记")
    errors = Errors()
    entered = validation.date(entered_on, "entered_on", "录入日期", errors, not_before=case.filed_on, not_after=today,
                              before_label="备案日期 ")
    errors.raise_if_any()
    before = _case_state(case)
    case.system_entered_on = entered
    on_time = entered <= case.system_entry_due_on
    _save_case(case, actor, "case.system_entry", before, {"entered_on": entered, "on_time": on_time})
    text = "按时" if on_time else f"超过期限（应于{case.system_entry_due_on:%Y-%m-%d}前）"
    return Result(case, f"已登记录入国家系统（{entered:%Y-%m-%d}，{text}）")


# --- calendar corrections (R-CFG-04) ---------------------------------------------------------------

RECOMPUTE_BATCH = 2000


def recompute_deadlines(actor, change) -> int:
    """Recompute the stored deadlines of unfinished cases whose window touches a calendar change.

    Registered with :mod:`fangpin.profiles.deadlines` and run in the transaction of the calendar edit.
    Covers what ``_start_step``, ``open_case`` and ``_apply_effect`` store: the current step's
    ``due_on``/``due_warnings`` (and ``Case.current_due_on``), the overall limit of an open case and
    the national-system entry date of a filed case not yet entered. Finished steps and closed
    deadlines are history and stay as they were. One audit event per changed case; returns how many
    cases changed.
    """
    step_window = CaseStep.objects.filter(change.overlapping("started_on", "due_on"), status=StepStatus.CURRENT)
    touched = (
        Q(status=CaseStatus.OPEN, pk__in=step_window.values("case_id"))
        | Q(change.overlapping("discovered_on", "overall_due_on"), status=CaseStatus.OPEN)
        | Q(change.overlapping("filed_on", "system_entry_due_on"), status=CaseStatus.FILED,
            system_entered_on__isnull=True)
    )
    cases = list(Case.objects.select_for_update(of=("self",)).select_related("household").filter(touched)
                 .order_by("pk"))
    if not cases:
        return 0
    current: dict[int, CaseStep] = {}
    ids = [c.pk for c in cases]
    for i in range(0, len(ids), RECOMPUTE_BATCH):
        for row in CaseStep.objects.filter(case_id__in=ids[i:i + RECOMPUTE_BATCH], status=StepStatus.CURRENT):
            current[row.case_id] = row
    calendar = working_calendar()
    changed_cases, changed_rows, events = [], [], []
    for case in cases:
        proc = case.proc
        before, after = {}, {}
        row = current.get(case.pk)
        if case.is_open and row is not None and row.due_on and proc.has_step(row.key):
            due = step_due(proc.step(row.key), row.started_on)
            if due is not None and (due.due != row.due_on or list(due.warnings) != list(row.due_warnings)):
                if due.due != row.due_on:
                    before["current_due_on"], after["current_due_on"] = row.due_on, due.due
                if list(due.warnings) != list(row.due_warnings):
                    before["step_due_warnings"], after["step_due_warnings"] = list(row.due_warnings), list(due.warnings)
                before["step"] = after["step"] = row.key
                row.due_on, row.due_warnings = due.due, list(due.warnings)
                case.current_due_on = row.due_on
                changed_rows.append(row)
        if case.is_open and case.overall_due_on and case.discovered_on:
            total = calendar.add(case.discovered_on, proc.total_days, proc.total_unit)
            if total.due != case.overall_due_on or list(total.warnings) != list(case.overall_due_warnings):
                before |= {"overall_due_on": case.overall_due_on, "overall_due_warnings": case.overall_due_warnings}
                after |= {"overall_due_on": total.due, "overall_due_warnings": list(total.warnings)}
                case.overall_due_on, case.overall_due_warnings = total.due, list(total.warnings)
        if (case.status == CaseStatus.FILED and not case.system_entered_on and case.filed_on
                and case.system_entry_due_on):
            entry = calendar.add(case.filed_on, proc.entry_days, proc.entry_unit)
            if entry.due != case.system_entry_due_on:
                before["system_entry_due_on"], after["system_entry_due_on"] = case.system_entry_due_on, entry.due
                case.system_entry_due_on = entry.due
        if after:
            after["reason"] = change.describe()
            changed_cases.append(case)
            events.append((case, before, after))
    if not changed_cases:
        return 0
    history_user = actor if getattr(actor, "is_authenticated", False) else None
    now = timezone.now()
    for case in changed_cases:
        case.updated_at = now
    if changed_rows:
        bulk_update_with_history(changed_rows, CaseStep, ["due_on", "due_warnings"], batch_size=RECOMPUTE_BATCH,
                                 default_user=history_user, default_change_reason=change.describe())
    bulk_update_with_history(changed_cases, Case,
                             ["current_due_on", "overall_due_on", "overall_due_warnings", "system_entry_due_on",
                              "updated_at"], batch_size=RECOMPUTE_BATCH, default_user=history_user,
                             default_change_reason=change.describe())
    for case, before, after in events:
        record(actor, "case.deadline_recompute", case, before=before, after=after, household=case.household)
    return len(changed_cases)
