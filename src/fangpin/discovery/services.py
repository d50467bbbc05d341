"""The one door for lead writes (R-DISC-01, R-DISC-03, R-DISC-04, R-SEC-02).

Every public function runs in one transaction: it checks the actor's role and area (and takes the
county's write lock in shared mode), locks the lead, checks the state and the form's version,
validates every field (Chinese messages naming the field), writes, records the audit event and
computes the next deadline. Pages, the API, the public self-declaration page and commands call
these functions and nothing else; a refused call changes nothing.

Clocks (003 第二步, profile ``[deadlines]`` and ``[leads]``): a lead found at county level reaches
the township within ``lead_to_township_days``; the home verification by two named people is due
``lead_verification_days`` after the lead reached the township; a lead found not eligible is
reported to the county for closing (销号) within ``lead_closing_report_days``; a serious individual
or scale risk is reported to the county within ``serious_risk_report_working_days`` working days.
The day counts use ``leads.day_unit`` (calendar days by default); every date comes from the one
working-day calendar, and the values used are stored with the lead (``Lead.params``).

``today`` is injectable everywhere (tests, replays); by default it is today in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from fangpin import validation
from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import (
    OutOfScope,
    in_scope,
    require_area,
    require_person,
    require_role,
    roles_text,
)
from fangpin.areas.locks import county_write_lock
from fangpin.areas.models import CODE_LENGTH, Division, Level
from fangpin.audit.services import jsonable, record
from fangpin.cases import services as case_services
from fangpin.cases.models import CaseSource
from fangpin.policy.procedures import UNITS
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.profiles.services import today as local_today
from fangpin.registry import services as registry_services
from fangpin.registry import vocab
from fangpin.registry.models import Household, Member
from fangpin.registry.moves import elsewhere_message
from fangpin.validation import Errors, fail, scrub

from .models import (
    CLOCK_STATES,
    OPEN_STATES,
    PUBLIC_CHANNELS,
    Channel,
    Lead,
    LeadAttachment,
    LeadReport,
    LeadState,
    Outcome,
    SeriousKind,
)

# Who may do what (R-SEC-01): declared once, shown on the pages, tested from the declaration.
RAISE_ROLES = (Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE, Role.GRID_WORKER,
               Role.ASSISTANCE_CONTACT, Role.DEPARTMENT_OFFICER)
DISPATCH_ROLES = (Role.COUNTY_OFFICE,)
VERIFY_ROLES = (Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE)
CLOSE_ROLES = (Role.TOWNSHIP_STAFF,)
SERIOUS_ROLES = (Role.TOWNSHIP_STAFF,)

REFERENCE_PREFIX = "XS"
MIN_VERIFIERS = 2  # 两人同行 (003 第二步)
# Codes up to this length belong to the county (or above): what is found there goes to a township first.
COUNTY_ORIGIN_LENGTH = CODE_LENGTH[Level.COUNTY]
TOWNSHIP_LENGTH = CODE_LENGTH[Level.TOWNSHIP]
VILLAGE_LENGTH = CODE_LENGTH[Level.VILLAGE]

ACTION_NAMES = {
    "lead.raise": "登记线索",
    "lead.merge": "合并重复反映",
    "lead.dispatch": "县级转交乡镇",
    "lead.verify": "入户核实线索",
    "lead.close": "报县销号",
    "lead.serious_flag": "标记严重风险",
    "lead.serious_report": "严重风险告知县级",
    "lead.deadline_recompute": "日历调整后重算线索期限",
}

DEADLINE_KEYS = {
    LeadState.AWAITING_DISPATCH: "deadlines.lead_to_township_days",
    LeadState.AWAITING_VERIFICATION: "deadlines.lead_verification_days",
    LeadState.AWAITING_CLOSING_REPORT: "deadlines.lead_closing_report_days",
}
SERIOUS_KEY = "deadlines.serious_risk_report_working_days"
PARAM_KEYS = (*DEADLINE_KEYS.values(), SERIOUS_KEY, "leads.day_unit", "leads.opens_procedure",
              "leads.new_household_category")


@dataclass(frozen=True)
class Result:
    """What an action did, in one Chinese sentence for the page or the API."""

    lead: Lead
    message: str
    report: LeadReport | None = None
    merged: bool = False


# --- checks --------------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or local_today()


WHY_PERSON = "线索的每一步都必须由具体人员办理并留痕"


def _require_actor(actor):
    require_person(actor, WHY_PERSON)


def _require_role(actor, roles, what: str):
    require_role(actor, roles, what, WHY_PERSON)


def _require_scope(actor, code: str):
    """The lead lies in the actor's area; then hold the county's write lock (shared) (R-OPS-04)."""
    _require_actor(actor)
    require_area(actor, code, "该线索不在您的管辖范围内，不能办理")


def _lock(lead) -> Lead:
    pk = lead.pk if isinstance(lead, Lead) else lead
    try:
        return Lead.objects.select_for_update(of=("self",)).select_related("household").get(pk=pk)
    except (Lead.DoesNotExist, ValueError, TypeError):
        fail("lead", "线索不存在")


def _check_version(lead: Lead, expected_version):
    if expected_version in (None, ""):
        return
    try:
        expected = int(expected_version)
    except (TypeError, ValueError):
        fail("version", "表单版本号无效，请刷新页面后再办理")
    if expected != lead.version:
        fail("version", "该线索已被他人办理或表单重复提交，未做任何修改；请刷新页面查看最新状态")


def _refuse_state(lead: Lead, action: str):
    """A Chinese sentence for an action out of order (R-DISC-03)."""
    state = lead.state
    if state == LeadState.AWAITING_DISPATCH:
        fail("__all__", f"线索 {lead.reference} 尚未由县级转交乡镇，不能{action}")
    if state == LeadState.AWAITING_VERIFICATION:
        fail("__all__", f"线索 {lead.reference} 尚未入户核实，不能{action}")
    if state == LeadState.AWAITING_CLOSING_REPORT:
        fail("__all__", f"线索 {lead.reference} 已核实为不符合识别条件、待报县销号，不能{action}")
    if state == LeadState.CASE_OPENED:
        ref = f"（识别受理编号 {lead.case.reference}）" if lead.case_id else ""
        fail("__all__", f"线索 {lead.reference} 已核实并启动识别程序{ref}，不能{action}")
    fail("__all__", f"线索 {lead.reference} 已销号，不能{action}")


def _state(lead: Lead) -> dict:
    return {"state": lead.state, "current_due_on": lead.current_due_on, "version": lead.version}


def _save(lead: Lead, actor, action: str, before: dict, extra: dict | None = None):
    lead.version += 1
    lead.save()
    record(actor, action, lead, before=before, after={**_state(lead), **(extra or {})}, household=lead.household,
           division_code=lead.division_code)


# --- profile values and clocks -------------------------------------------------------------------


def lead_params(code: str) -> dict:
    """The profile values a lead's clocks use, stored with the lead (decisions keep their reasons)."""
    profile = profile_for_county(code)
    try:
        params = {key: profile.param(key) for key in PARAM_KEYS}
    except ProfileError as exc:
        fail("__all__", f"本县政策画像不完整，不能登记线索：{exc}")
    if params["leads.day_unit"] not in UNITS:
        fail("__all__", f"本县政策画像中 leads.day_unit 应为 {'、'.join(UNITS)} 之一")
    params["profile"] = f"{profile.key} v{profile.version}"
    return params


def clock_due(params: dict, state: str, start: dt.date):
    """Due date of the clock of ``state`` started on ``start`` (None when the state has no clock)."""
    key = DEADLINE_KEYS.get(state)
    if key is None:
        return None
    return working_calendar().add(start, int(params[key]), params["leads.day_unit"])


def serious_due(params: dict, start: dt.date):
    return working_calendar().add_working_days(start, int(params[SERIOUS_KEY]))


def _start_clock(lead: Lead, state: str, start: dt.date):
    lead.state = state
    lead.clock_started_on = start
    due = clock_due(lead.params, state, start)
    lead.current_due_on = due.due if due else None
    lead.due_warnings = list(due.warnings) if due else []


def unit_label(params: dict, state: str | None = None) -> str:
    if state == "serious":
        return UNITS["working_days"]
    return UNITS.get(params.get("leads.day_unit", "calendar_days"), "天")


# --- input ---------------------------------------------------------------------------------------


def _risk_types(raw, errors: Errors, *, required: bool) -> list[str]:
    risks = raw or []
    if isinstance(risks, str):
        risks = [r for r in risks.replace("，", ",").replace("、", ",").split(",")]
    if not isinstance(risks, list | tuple):
        errors["risk_types"] = "风险类型应为列表"
        return []
    risks = list(dict.fromkeys(str(r).strip() for r in risks if str(r).strip()))
    allowed = vocab.values("risk_type")
    unknown = [r for r in risks if r not in allowed]
    if unknown:
        errors["risk_types"] = f"风险类型“{'、'.join(validation.shown(u) for u in unknown)}”不在字典值中"
    elif required and not risks:
        errors["risk_types"] = "至少选择一项风险类型"
    return risks


def _target_division(code, errors: Errors) -> Division | None:
    code = str(code or "").strip()
    if not code:
        errors["division_code"] = "请选择线索所在的村（社区）"
        return None
    division = Division.objects.filter(code=code).first()
    if division is None or division.level < Level.VILLAGE:
        errors["division_code"] = "线索所在区划须为具体的村（社区）、村民小组或网格"
        return None
    return division


def _assignee(raw, code: str, errors: Errors) -> User | None:
    """The person responsible for the verification: a verifier whose area holds the lead."""
    if raw in (None, ""):
        return None
    if isinstance(raw, User):
        user = raw
    else:
        try:
            user = User.objects.select_related("division").filter(pk=int(raw), is_active=True).first()
        except (TypeError, ValueError):
            user = None
    if user is None or user.role not in VERIFY_ROLES or not in_scope(user, code):
        errors["assignee"] = f"核实责任人须为该线索所在乡镇或村的{roles_text(VERIFY_ROLES)}"
        return None
    return user


def _registered(actor, id_number: str, division_code: str) -> Member | None:
    """The registered person of ``id_number``, when the lead may name their household.

    Staff: only a household inside their own area; a public submission: only one inside the village
    it was sent to. A person registered anywhere else is treated as not registered here, so the
    answer never tells whether (or where) the person is registered (R-SEC-01); the verification
    finds out through the registry's own checks."""
    member = Member.objects.filter(id_number=id_number, active=True).select_related("household").first()
    if member is None:
        return None
    code = member.household.division_code
    if actor is not None and not in_scope(actor, code):
        return None
    if actor is None and not code.startswith(division_code[:VILLAGE_LENGTH]):
        return None
    return member


def _save_files(lead: Lead, report: LeadReport | None, actor, files, stage: str) -> list[str]:
    names = []
    for f in files:
        LeadAttachment.objects.create(lead=lead, report=report, stage=stage, file=f, name=Path(f.name).name[:200],
                                      size=f.size, uploaded_by=actor if actor is not None else None)
        names.append(Path(f.name).name)
    return names


def _new_reference(county: str, today: dt.date) -> tuple[str, str]:
    n = case_services.next_number(REFERENCE_PREFIX, county, today.year)
    reference = f"{REFERENCE_PREFIX}-{county}-{today.year}-{n:06d}"
    return reference, case_services.check_code_for(reference)


# --- raising a lead (R-DISC-01) ------------------------------------------------------------------


@transaction.atomic
def raise_lead(actor, *, channel: str, household: Household | None = None, division_code: str = "",
               id_number: str = "", person_name: str = "", person_phone: str = "", address: str = "",
               risk_types=None, description: str = "", source_detail: str = "", reporter_name: str = "",
               reporter_phone: str = "", discovered_on=None, assignee=None, today: dt.date | None = None,
               files=()) -> Result:
    """Record a possible risk from any channel (R-DISC-01).

    ``actor`` is the staff member who records it, or None for a public self-declaration (a channel of
    ``PUBLIC_CHANNELS``; ``division_code`` is then the village the QR code names, and name, ID number
    and phone are required). The household is ``household`` (already fetched through a scoped
    getter), or the registered household of ``id_number``; a person not registered here stays on the
    lead (name, ID number, phone, address) until verification confirms the risk.

    A report about a household (or an unregistered person) that already has a lead waiting for
    verification is merged into that lead as a further report with its own channel — never a second
    lead. Every report gets a reference number and check code for the public status page.
    """
    today = _today(today)
    public = actor is None
    (channel, division_code, id_number, person_name, person_phone, address, risk_types, description, source_detail,
     reporter_name, reporter_phone, discovered_on) = scrub(
        [channel, division_code, id_number, person_name, person_phone, address, risk_types, description,
         source_detail, reporter_name, reporter_phone, discovered_on])
    if public:
        if channel not in PUBLIC_CHANNELS:
            raise PermissionDenied("请先登录：只有扫码自主申报可以不登录提交")
    else:
        _require_role(actor, RAISE_ROLES, "登记线索")
        if channel in PUBLIC_CHANNELS:
            fail("channel", f"“{Channel(channel).label}”只能由农户本人通过扫码页面提交，工作人员请选择其他来源渠道")
    errors = Errors()
    channel = validation.choice(channel, "channel", "来源渠道", errors,
                                choices={k: v for k, v in Channel.choices if public or k not in PUBLIC_CHANNELS})
    source_detail = validation.text(source_detail, "source_detail", "来源说明", errors, required=False, max_length=200)
    reporter_name = validation.text(reporter_name, "reporter_name", "反映人", errors, required=False, max_length=60)
    reporter_phone = validation.phone(reporter_phone, "reporter_phone", "反映人电话", errors)
    description = validation.text(description, "description", "情况描述", errors, max_length=2000)
    risks = _risk_types(risk_types, errors, required=False)
    discovered = validation.date(discovered_on, "discovered_on", "发现日期", errors, required=False, not_after=today,
                                 not_before=today - dt.timedelta(days=366), before_label="") or today
    files = case_services.clean_files(files, errors, "线索材料")

    person = {"name": "", "id_number": "", "phone": "", "address": ""}
    if household is not None:
        household = Household.objects.select_for_update().get(pk=household.pk)
        head = household.members.filter(active=True, relation="户主").first()
        person["name"] = head.name if head else ""
        code = household.division_code
    else:
        info = None
        if id_number or public:
            info = validation.id_number(id_number, "id_number", "身份证号", errors, today=today)
        division = _target_division(division_code, errors) if (division_code or public) else None
        member = None
        if info is not None:
            person["id_number"] = info.number
            if not public or division is not None:
                member = _registered(actor, info.number, division.code if division else "")
        if member is not None:
            household = Household.objects.select_for_update().get(pk=member.household_id)
            person["name"] = member.name
            if public:  # what the applicant typed is kept beside the registry's record
                person["phone"] = validation.phone(person_phone, "person_phone", "联系电话", errors, required=True)
        else:
            person["name"] = validation.text(person_name, "person_name", "当事人姓名", errors, max_length=40,
                                             missing="请选择在册农户，或填写当事人姓名（未在册人员经核实后建档）")
            person["phone"] = validation.phone(person_phone, "person_phone", "联系电话", errors, required=public)
            person["address"] = validation.text(address, "address", "住址", errors, required=False, max_length=120)
            if division is None and "division_code" not in errors:
                errors["division_code"] = "未在册人员须选择所在的村（社区）"
        code = household.division_code if household is not None else (division.code if division else "")
    if code and not public and not in_scope(actor, code):
        if household is not None:
            raise OutOfScope("该农户不在您的管辖范围内，不能登记线索")
        errors["division_code"] = "所选村（社区）不在您的管辖范围内"
    assignee = _assignee(assignee, code, errors) if code and not public else None
    errors.raise_if_any()
    county_write_lock(code)
    params = lead_params(code)

    reference, check_code = _new_reference(code[:COUNTY_ORIGIN_LENGTH], today)
    report_fields = dict(
        reference=reference, check_code=check_code, channel=channel, source_detail=source_detail,
        reporter=actor, reporter_name=reporter_name or (str(actor) if actor else person["name"]),
        reporter_phone=reporter_phone, risk_types=risks, description=description, discovered_on=discovered,
        reported_on=today,
    )
    existing = _open_lead_for(household, person["id_number"])
    if existing is None:
        origin = "" if public else (actor.scope_code or "")
        lead = Lead(
            reference=reference, check_code=check_code, channel=channel, source_detail=source_detail, reporter=actor,
            reporter_name=report_fields["reporter_name"], reporter_phone=reporter_phone, origin_code=origin,
            division_code=code, household=household, person_name=person["name"],
            person_id_number=person["id_number"], person_phone=person["phone"], address=person["address"],
            risk_types=risks, description=description, discovered_on=discovered, raised_on=today,
            assignee=assignee, params=params,
        )
        county_found = not public and len(origin) <= COUNTY_ORIGIN_LENGTH
        _start_clock(lead, LeadState.AWAITING_DISPATCH if county_found else LeadState.AWAITING_VERIFICATION, today)
        try:
            with transaction.atomic():
                lead.save()
        except IntegrityError:
            # Another report of the same household landed in between: merge into it.
            existing = _open_lead_for(household, person["id_number"])
            if existing is None:
                raise
    if existing is not None:
        return _merge(actor, existing, report_fields, files, today)
    report = LeadReport.objects.create(lead=lead, **report_fields)
    names = _save_files(lead, report, actor, files, "report")
    record(actor, "lead.raise", lead, household=household, division_code=code, after={
        **_state(lead), "reference": reference, "channel": channel, "risk_types": risks, "attachments": names,
        "discovered_on": discovered, "params": params,
    })
    due = f"{lead.current_due_on:%Y-%m-%d}"
    if lead.state == LeadState.AWAITING_DISPATCH:
        next_step = f"县乡村振兴局须于 {due} 前转交乡镇"
    else:
        next_step = f"请于 {due} 前两人同行入户核实"
    return Result(lead, f"已登记线索，编号 {reference}，查询码 {check_code}；{next_step}", report)


def _open_lead_for(household: Household | None, id_number: str) -> Lead | None:
    qs = Lead.objects.select_for_update(of=("self",)).filter(state__in=OPEN_STATES)
    if household is not None:
        return qs.filter(household=household).first()
    if id_number:
        return qs.filter(household__isnull=True, person_id_number=id_number).first()
    return None


def _merge(actor, lead: Lead, report_fields: dict, files, today: dt.date) -> Result:
    """A further report about a lead still waiting for verification: kept with its channel, not repeated."""
    before = {**_state(lead), "risk_types": list(lead.risk_types)}
    report = LeadReport.objects.create(lead=lead, merged=True, **report_fields)
    names = _save_files(lead, report, actor, files, "report")
    added = [r for r in report_fields["risk_types"] if r not in lead.risk_types]
    lead.risk_types = [*lead.risk_types, *added]
    if report_fields["discovered_on"] < lead.discovered_on:
        lead.discovered_on = report_fields["discovered_on"]
    _save(lead, actor, "lead.merge", before, {
        "report": report.reference, "channel": report.channel, "risk_types": lead.risk_types, "attachments": names,
    })
    return Result(lead, f"该户已有待核实的线索（{lead.reference}），本次反映（编号 {report.reference}，查询码 "
                        f"{report.check_code}，来源：{report.get_channel_display()}）已合并到该线索，不重复登记",
                  report, merged=True)


# --- dispatch (R-DISC-03: county to township within 1 day) ----------------------------------------


@transaction.atomic
def dispatch_lead(actor, lead: Lead, *, assignee=None, note: str = "", today: dt.date | None = None,
                  expected_version=None) -> Result:
    """The county office passes a lead it found (or received) to the township concerned."""
    today = _today(today)
    _require_actor(actor)
    lead = _lock(lead)
    _require_scope(actor, lead.division_code)
    _require_role(actor, DISPATCH_ROLES, "转交乡镇")
    _check_version(lead, expected_version)
    if lead.state != LeadState.AWAITING_DISPATCH:
        if lead.state == LeadState.AWAITING_VERIFICATION:
            fail("__all__", f"线索 {lead.reference} 已在乡镇待入户核实，不能重复转交")
        _refuse_state(lead, "转交乡镇")
    errors = Errors()
    assignee, note = scrub([assignee, note])
    person = _assignee(assignee, lead.division_code, errors)
    note = validation.text(note, "note", "转交说明", errors, required=False, max_length=300)
    errors.raise_if_any()
    before = _state(lead)
    on_time = lead.current_due_on is None or today <= lead.current_due_on
    lead.dispatched_on, lead.dispatched_by, lead.dispatch_note = today, actor, note
    if person is not None:
        lead.assignee = person
    _start_clock(lead, LeadState.AWAITING_VERIFICATION, today)
    _save(lead, actor, "lead.dispatch", before, {"assignee": str(person or ""), "on_time": on_time, "note": note})
    town = Division.objects.filter(code=lead.division_code[:TOWNSHIP_LENGTH]).first()
    late = "" if on_time else "（已超过转交期限）"
    return Result(lead, f"已转交{town.name if town else '乡镇'}{late}；须于 {lead.current_due_on:%Y-%m-%d} 前两人同行入户核实")


# --- verification (R-DISC-03: two named people at home within 1 day) ------------------------------


def _next_household_number(village: Division) -> str:
    """A new household number in the village: one more than the largest numeric number there."""
    numbers = Household.objects.filter(village=village).aggregate(top=Max("number"))["top"] or ""
    if numbers.isdigit():
        candidate = str(int(numbers) + 1).zfill(len(numbers))
    else:
        candidate = f"{village.code}0001"
    while Household.objects.filter(village=village, number=candidate).exists():
        candidate = str(int(candidate) + 1).zfill(len(candidate))
    return candidate


def _register_person(actor, lead: Lead) -> Household:
    """A person not in the registry becomes a new household (ordinary by the profile) through the
    registry's own services, only now that verification confirmed the risk."""
    if not (lead.person_id_number and lead.person_name):
        fail("outcome", "该线索的当事人未在册且缺少姓名或身份证号，无法建档；请先补充当事人信息")
    if Member.objects.filter(id_number=lead.person_id_number).exists():
        # Registered outside the actor's area (inside it the household was matched): say nothing more.
        fail("outcome", elsewhere_message(lead.person_id_number) + "请待迁移办结后再启动识别程序，未做任何修改")
    code = lead.division_code
    village = Division.objects.get(code=code[:VILLAGE_LENGTH])
    group_code = code[:CODE_LENGTH[Level.GROUP]] if len(code) >= CODE_LENGTH[Level.GROUP] else ""
    grid_code = code if len(code) == CODE_LENGTH[Level.GRID] else ""
    try:
        household = registry_services.create_household(
            actor, village_code=village.code, number=_next_household_number(village),
            category=lead.params.get("leads.new_household_category", "ordinary"), group_code=group_code,
            grid_code=grid_code, phone=lead.person_phone, address=lead.address)
        registry_services.add_member(actor, household, {
            "id_number": lead.person_id_number, "name": lead.person_name, "relation": "户主", "phone": lead.person_phone,
        })
    except ValidationError as exc:
        detail = "；".join(m for msgs in exc.message_dict.values() for m in msgs) if hasattr(exc, "error_dict") \
            else "；".join(exc.messages)
        fail("outcome", f"当事人建档未成功，未做任何修改：{detail}")
    return household


@transaction.atomic
def verify_lead(actor, lead: Lead, *, verifiers, visited_on, findings: str, outcome: str, reason: str = "",
                id_number: str = "", today: dt.date | None = None, expected_version=None, files=()) -> Result:
    """Record the home verification (两人同行) and its outcome: an identification case opened from the
    lead (the case's origin is the lead), or not eligible — to be reported to the county for closing.

    A person not in the registry becomes a new household only here, when the risk is confirmed;
    ``id_number`` completes a lead raised without one (a hotline call that gave only a name)."""
    today = _today(today)
    _require_actor(actor)
    lead = _lock(lead)
    _require_scope(actor, lead.division_code)
    _require_role(actor, VERIFY_ROLES, "入户核实")
    _check_version(lead, expected_version)
    if lead.state != LeadState.AWAITING_VERIFICATION:
        if lead.state in (LeadState.AWAITING_CLOSING_REPORT, LeadState.CASE_OPENED, LeadState.CLOSED):
            fail("__all__", f"线索 {lead.reference} 已完成入户核实（{lead.get_state_display()}），不能重复核实")
        _refuse_state(lead, "入户核实")
    errors = Errors()
    verifiers, visited_on, findings, outcome, reason, id_number = scrub(
        [verifiers, visited_on, findings, outcome, reason, id_number])
    people = validation.people(verifiers, "verifiers", "核实人员", errors, minimum=MIN_VERIFIERS)
    if "verifiers" in errors:
        errors["verifiers"] += "；入户核实须两人同行，写明每人姓名"
    visited = validation.date(visited_on, "visited_on", "入户核实日期", errors, not_after=today,
                              not_before=lead.clock_started_on, before_label="线索到达乡镇日期 ")
    findings = validation.text(findings, "findings", "核实情况", errors, max_length=4000)
    outcome = validation.choice(outcome, "outcome", "核实结论", errors, choices=dict(Outcome.choices))
    reason = validation.text(reason, "reason", "销号理由", errors, required=outcome == Outcome.NOT_ELIGIBLE,
                             max_length=500, missing="核实不符合识别条件的，须写明销号理由")
    member = None
    if outcome == Outcome.OPEN_CASE and lead.household_id is None:
        if id_number or not lead.person_id_number:
            info = validation.id_number(id_number, "id_number", "当事人身份证号", errors, today=today)
            if info is not None:
                lead.person_id_number = info.number
        if lead.person_id_number:
            member = _registered(actor, lead.person_id_number, lead.division_code)
    files = case_services.clean_files(files, errors, "核实材料")
    errors.raise_if_any()
    before = _state(lead)
    on_time = lead.current_due_on is None or visited <= lead.current_due_on
    lead.visited_on, lead.verified_on, lead.verified_by = visited, today, actor
    lead.verifiers, lead.findings, lead.outcome = people, findings, outcome
    names = _save_files(lead, None, actor, files, "verify")
    who = "、".join(p["name"] for p in people)
    if outcome == Outcome.OPEN_CASE:
        created = lead.household_id is None and member is None
        household = lead.household or (member.household if member else None) or _register_person(actor, lead)
        lead.household = household
        lead.division_code = household.division_code
        result = case_services.open_case(
            actor, household, source=CaseSource.LEAD, lead_ref=lead.reference, lead_note=lead.description[:300],
            discovered_on=lead.discovered_on, procedure=lead.params["leads.opens_procedure"], today=today)
        lead.case = result.case
        lead.state = LeadState.CASE_OPENED
        lead.current_due_on, lead.due_warnings = None, []
        message = (f"入户核实完成（{who}，{visited:%Y-%m-%d}）；{'已为当事人新建一般农户档案，' if created else ''}"
                   f"已启动识别程序：{result.message}")
    else:
        lead.close_reason = reason
        _start_clock(lead, LeadState.AWAITING_CLOSING_REPORT, today)
        message = (f"入户核实完成（{who}，{visited:%Y-%m-%d}），不符合识别条件；"
                   f"请于 {lead.current_due_on:%Y-%m-%d} 前报县乡村振兴局销号")
    _save(lead, actor, "lead.verify", before, {
        "outcome": outcome, "verifiers": people, "visited_on": visited, "on_time": on_time, "reason": reason,
        "case": lead.case.reference if lead.case_id else "", "attachments": names,
    })
    return Result(lead, message)


# --- closing (销号, reported to the county within 1 day) --------------------------------------------


@transaction.atomic
def close_lead(actor, lead: Lead, *, note: str = "", today: dt.date | None = None, expected_version=None) -> Result:
    """The township reports the not-eligible result to the county office and the lead is closed (销号)."""
    today = _today(today)
    _require_actor(actor)
    lead = _lock(lead)
    _require_scope(actor, lead.division_code)
    _require_role(actor, CLOSE_ROLES, "报县销号")
    _check_version(lead, expected_version)
    if lead.state != LeadState.AWAITING_CLOSING_REPORT:
        if lead.state in OPEN_STATES:
            fail("__all__", f"线索 {lead.reference} 尚未入户核实，不能销号：每条线索都须两人同行入户核实后才能销号")
        _refuse_state(lead, "报县销号")
    errors = Errors()
    note = validation.text(scrub(note), "note", "报送说明", errors, required=False, max_length=500)
    errors.raise_if_any()
    before = _state(lead)
    on_time = lead.current_due_on is None or today <= lead.current_due_on
    lead.closed_on, lead.closed_by = today, actor
    lead.state = LeadState.CLOSED
    lead.current_due_on, lead.due_warnings = None, []
    _save(lead, actor, "lead.close", before, {"reason": lead.close_reason, "note": note, "on_time": on_time})
    late = "" if on_time else "（已超过报送期限）"
    return Result(lead, f"已报县乡村振兴局销号{late}：{lead.close_reason}")


# --- serious risks (R-DISC-04: joint investigation, county informed within 3 working days) --------


@transaction.atomic
def flag_serious(actor, lead: Lead, *, kind: str, note: str, departments: str = "", today: dt.date | None = None,
                 expected_version=None) -> Result:
    """Mark a serious individual or scale-level risk for a joint investigation with county departments."""
    today = _today(today)
    _require_actor(actor)
    lead = _lock(lead)
    _require_scope(actor, lead.division_code)
    _require_role(actor, SERIOUS_ROLES, "标记严重风险")
    _check_version(lead, expected_version)
    if lead.serious_kind:
        fail("__all__", f"线索 {lead.reference} 已于{lead.serious_flagged_on:%Y-%m-%d}标记为{lead.get_serious_kind_display()}，"
                         "不能重复标记")
    if lead.state == LeadState.AWAITING_DISPATCH:
        _refuse_state(lead, "标记严重风险")
    if lead.state == LeadState.CLOSED:
        _refuse_state(lead, "标记严重风险")
    errors = Errors()
    kind, note, departments = scrub([kind, note, departments])
    kind = validation.choice(kind, "kind", "风险程度", errors, choices=dict(SeriousKind.choices))
    note = validation.text(note, "note", "严重风险情况", errors, max_length=2000)
    departments = validation.text(departments, "departments", "会同调查的县级部门", errors, max_length=200)
    errors.raise_if_any()
    before = _state(lead)
    due = serious_due(lead.params, today)
    lead.serious_kind, lead.serious_note, lead.serious_departments = kind, note, departments
    lead.serious_flagged_on, lead.serious_flagged_by = today, actor
    lead.serious_report_due_on, lead.serious_due_warnings = due.due, list(due.warnings)
    _save(lead, actor, "lead.serious_flag", before, {"kind": kind, "departments": departments,
                                                     "serious_report_due_on": due.due})
    warn = f"（{due.warnings[0]}）" if due.warnings else ""
    return Result(lead, f"已标记为{lead.get_serious_kind_display()}，请会同{departments}共同调查，"
                        f"并于 {due.due:%Y-%m-%d} 前将调查情况告知县乡村振兴局{warn}")


@transaction.atomic
def report_serious(actor, lead: Lead, *, report: str, today: dt.date | None = None, expected_version=None) -> Result:
    """The joint investigation's findings reported to the county office."""
    today = _today(today)
    _require_actor(actor)
    lead = _lock(lead)
    _require_scope(actor, lead.division_code)
    _require_role(actor, SERIOUS_ROLES, "严重风险告知县级")
    _check_version(lead, expected_version)
    if not lead.serious_kind:
        fail("__all__", f"线索 {lead.reference} 未标记为严重风险，无需告知县级")
    if lead.serious_reported_on:
        fail("__all__", f"线索 {lead.reference} 的调查情况已于{lead.serious_reported_on:%Y-%m-%d}告知县级，不能重复报送")
    errors = Errors()
    report = validation.text(scrub(report), "report", "调查情况", errors, max_length=4000)
    errors.raise_if_any()
    before = _state(lead)
    on_time = today <= lead.serious_report_due_on
    lead.serious_reported_on, lead.serious_report = today, report
    _save(lead, actor, "lead.serious_report", before, {"on_time": on_time})
    late = "" if on_time else f"（已超过期限 {lead.serious_report_due_on:%Y-%m-%d}）"
    return Result(lead, f"调查情况已告知县乡村振兴局{late}")


# --- calendar corrections (R-CFG-04) ---------------------------------------------------------------

RECOMPUTE_BATCH = 2000


def recompute_deadlines(actor, change) -> int:
    """Recompute the stored deadlines of leads whose running clock touches a calendar change.

    Registered with :mod:`fangpin.profiles.deadlines`; runs in the transaction of the calendar edit.
    Covers the current clock (``current_due_on``) of leads waiting for dispatch, verification or the
    closing report, and the serious-risk report of leads not yet reported, with the profile values
    stored on each lead. Finished clocks are history. One audit event per changed lead.
    """
    touched = (Q(change.overlapping("clock_started_on", "current_due_on"), state__in=CLOCK_STATES)
               | Q(change.overlapping("serious_flagged_on", "serious_report_due_on"), serious_reported_on__isnull=True))
    leads = list(Lead.objects.select_for_update(of=("self",)).select_related("household").filter(touched)
                 .order_by("pk"))
    changed, events = [], []
    for lead in leads:
        before, after = {}, {}
        if lead.state in CLOCK_STATES and lead.current_due_on:
            due = clock_due(lead.params, lead.state, lead.clock_started_on)
            if due is not None and (due.due != lead.current_due_on or list(due.warnings) != list(lead.due_warnings)):
                before |= {"current_due_on": lead.current_due_on, "due_warnings": list(lead.due_warnings)}
                after |= {"current_due_on": due.due, "due_warnings": list(due.warnings)}
                lead.current_due_on, lead.due_warnings = due.due, list(due.warnings)
        if lead.serious_flagged_on and lead.serious_report_due_on and not lead.serious_reported_on:
            due = serious_due(lead.params, lead.serious_flagged_on)
            if due.due != lead.serious_report_due_on or list(due.warnings) != list(lead.serious_due_warnings):
                before |= {"serious_report_due_on": lead.serious_report_due_on}
                after |= {"serious_report_due_on": due.due}
                lead.serious_report_due_on, lead.serious_due_warnings = due.due, list(due.warnings)
        if after:
            after["reason"] = change.describe()
            changed.append(lead)
            events.append((lead, before, after))
    if not changed:
        return 0
    now = timezone.now()
    for lead in changed:
        lead.updated_at = now
    history_user = actor if getattr(actor, "is_authenticated", False) else None
    bulk_update_with_history(changed, Lead, ["current_due_on", "due_warnings", "serious_report_due_on",
                                             "serious_due_warnings", "updated_at"], batch_size=RECOMPUTE_BATCH,
                             default_user=history_user, default_change_reason=change.describe())
    for lead, before, after in events:
        record(actor, "lead.deadline_recompute", lead, before=jsonable(before), after=jsonable(after),
               household=lead.household, division_code=lead.division_code)
    return len(changed)
