"""One household, one plan (一户一策, R-AID-03 … R-AID-05, R-AID-07): the one door for plan writes.

A plan is created (draft) when the household is filed as monitored (:func:`on_household_filed`, called
by the identification procedure), with its clocks counted from the filing date on the one working-day
calendar: the plan is made and approved by the county within ``deadlines.plan_working_days`` working
days; the measures are entered into the national system within
``deadlines.measures_entered_working_days``. The township (or the village cadre, drafting) chooses
measures from the county's published catalogue (:func:`add_measure`); the township submits the plan
(:func:`submit_plan`), the county office approves it (:func:`approve_plan`) or returns it with a reason
(:func:`return_plan`). Approval starts each measure's clock: a township measure is carried out within
``deadlines.measure_township_working_days``; an application to a county department is prepared within
``deadlines.measure_department_working_days`` (:func:`apply_to_department`) and answered within as many
working days (the department's part). An approved plan changes only after :func:`reopen_plan` (a reason,
a new approval). :func:`mark_developmental` records the R-AID-07 review.

Every public function runs in one transaction: role, area (a plan outside the area is not found),
lock, form version, state, fields (Chinese messages naming the field), write, audit. A refused call
changes nothing; a call that changes nothing records no event. Measures that bring money are not
income: income appears only through recorded income records (nothing here writes one).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils import timezone

from fangpin import validation
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import get_visible, require_area, require_role, scope_filter
from fangpin.areas.models import Division
from fangpin.audit.services import jsonable, record
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import Household, Member
from fangpin.validation import Errors, fail

from . import matching
from .models import (
    ContactAssignment,
    Handler,
    ListKind,
    ListStatus,
    Measure,
    MeasureKind,
    MeasureSource,
    MeasureStatus,
    Plan,
    PlanStatus,
    Policy,
    PolicyList,
)

# Who may do what (R-SEC-01): declared once, shown on the pages, tested from the declaration.
DRAFT_ROLES = (Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE)
SUBMIT_ROLES = (Role.TOWNSHIP_STAFF,)
APPROVE_ROLES = (Role.COUNTY_OFFICE,)
CARRY_OUT_ROLES = (Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE)
REVIEW_ROLES = (Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE)
WHY = "帮扶方案的每一步都必须由具体人员办理并留痕"

EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)
TOWNSHIP_LENGTH = 9

KEYS = {
    "plan": "deadlines.plan_working_days",
    "township": "deadlines.measure_township_working_days",
    "department": "deadlines.measure_department_working_days",
    "entry": "deadlines.measures_entered_working_days",
}

ACTION_NAMES = {
    "plan.create": "建立帮扶方案",
    "plan.measure_add": "方案增加帮扶措施",
    "plan.measure_remove": "方案删除帮扶措施",
    "plan.submit": "帮扶方案报县审定",
    "plan.approve": "县级审定帮扶方案",
    "plan.return": "县级退回帮扶方案",
    "plan.reopen": "调整已审定的帮扶方案",
    "plan.entry": "帮扶措施录入国家系统",
    "plan.developmental": "开发式帮扶核查",
    "plan.deadline_recompute": "日历调整后重算帮扶方案期限",
    "measure.apply": "措施报送县级部门",
    "measure.carry_out": "帮扶措施落实",
    "measure.deadline_recompute": "日历调整后重算措施期限",
}


@dataclass(frozen=True)
class Result:
    obj: object
    message: str
    changed: bool = True


# --- reads (the one door, R-SEC-01) ----------------------------------------------------------------


def plans_visible_to(user):
    return scope_filter(Plan.objects.all(), user, "household__division_code")


def get_plan_for(user, pk) -> Plan:
    return get_visible(Plan.objects.select_related("household", "catalogue"), user, pk,
                       field="household__division_code", not_found="帮扶方案不存在或不在您的管辖范围内")


def get_plan_measure_for(user, pk) -> Measure:
    return get_visible(Measure.objects.filter(plan__isnull=False).select_related("household", "plan", "policy", "member"),
                       user, pk, field="household__division_code", not_found="帮扶措施不存在或不在您的管辖范围内")


def open_plan(household) -> Plan | None:
    return Plan.objects.filter(household_id=household.pk).exclude(status=PlanStatus.CLOSED).select_related(
        "catalogue").first()


def current_catalogue(county_code: str, year: int | None = None) -> PolicyList | None:
    """The county's published catalogue (the catalogue part's function when it is there)."""
    year = year or local_today().year
    try:
        from .catalogue import current_catalogue as lookup
    except ImportError:
        lookup = None
    if lookup is not None:
        found = lookup(county_code[:6], year)
        if found is not None:
            return found
    return (PolicyList.objects.filter(county_code=county_code[:6], kind=ListKind.CATALOGUE, status=ListStatus.PUBLISHED)
            .order_by("-year", "-version").first())


def plan_measures(plan: Plan):
    return plan.measures.select_related("policy", "member").order_by("pk")


# --- clocks ------------------------------------------------------------------------------------------


def _days(code: str, which: str) -> int:
    try:
        return int(profile_for_county(code[:6]).param(KEYS[which]))
    except ProfileError as exc:
        fail("__all__", f"本县政策画像不完整，不能计算帮扶期限：{exc}")


def clock(code: str, which: str, start: dt.date):
    return working_calendar().add_working_days(start, _days(code, which))


def remaining_text(due: dt.date | None, today: dt.date) -> str:
    if due is None:
        return ""
    if due == today:
        return "今天到期"
    days = working_calendar().working_days_between(today, due)
    if due > today:
        return f"剩余{days}个工作日" if days else "剩余不足1个工作日"
    return f"已逾期{-days}个工作日" if days else "已逾期"


# --- checks ------------------------------------------------------------------------------------------


def _today(today) -> dt.date:
    return today or local_today()


def _lock_plan(plan) -> Plan:
    pk = plan.pk if isinstance(plan, Plan) else plan
    try:
        return Plan.objects.select_for_update(of=("self",)).select_related("household", "catalogue").get(pk=pk)
    except (Plan.DoesNotExist, ValueError, TypeError):
        fail("plan", "帮扶方案不存在")


def _lock_measure(measure) -> Measure:
    pk = measure.pk if isinstance(measure, Measure) else measure
    try:
        return (Measure.objects.select_for_update(of=("self",)).select_related("household", "plan", "policy")
                .get(pk=pk, plan__isnull=False))
    except (Measure.DoesNotExist, ValueError, TypeError):
        fail("measure", "帮扶措施不存在")


def _scope(actor, plan: Plan):
    require_area(actor, plan.household.division_code, "该帮扶方案不在您的管辖范围内")


def _check_version(plan: Plan, expected):
    if expected in (None, ""):
        return
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        fail("version", "表单版本号无效，请刷新页面后再办理")
    if expected != plan.version:
        fail("version", "该帮扶方案已被他人修改或表单重复提交，未做任何修改；请刷新页面查看最新状态")


def _state(plan: Plan) -> dict:
    return {"status": plan.status, "version": plan.version}


def _save_plan(plan: Plan, actor, action: str, before: dict, after: dict | None = None):
    plan.version += 1
    plan.save()
    record(actor, action, plan, before=jsonable(before), after=jsonable({**_state(plan), **(after or {})}),
           household=plan.household)


def _active_measures(plan: Plan):
    return plan.measures.exclude(status__in=matching.INACTIVE_STATUSES)


def _flags(plan: Plan, today: dt.date) -> list[dict]:
    facts = matching.household_facts(plan.household, today=today)
    return [f.as_dict() for f in matching.check_plan(facts, list(_active_measures(plan).only("kind", "status")))]


# --- creation on filing (R-ID-07) --------------------------------------------------------------------


@transaction.atomic
def on_household_filed(actor, household: Household, filed_on: dt.date) -> Plan:
    """The household was filed as monitored on ``filed_on``: its plan (draft) starts, with the plan and
    entry clocks; the township is asked to name the assistance contact (pending action). Called inside
    the filing's transaction by the identification procedure. A household with an open plan keeps it."""
    existing = Plan.objects.select_for_update().filter(household=household).exclude(status=PlanStatus.CLOSED).first()
    if existing is not None:
        return existing
    code = household.division_code
    due = clock(code, "plan", filed_on)
    entry = clock(code, "entry", filed_on)
    plan = Plan(household=household, catalogue=current_catalogue(code, filed_on.year), status=PlanStatus.DRAFT,
                started_on=filed_on, due_on=due.due, due_warnings=list(due.warnings), entry_due_on=entry.due,
                entry_due_warnings=list(entry.warnings),
                created_by=actor if getattr(actor, "is_authenticated", False) else None)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError:
        return open_plan(household)
    record(actor, "plan.create", plan, after={"status": plan.status, "started_on": filed_on, "due_on": due.due,
                                              "entry_due_on": entry.due}, household=household)
    return plan


@transaction.atomic
def start_plan(actor, household: Household, *, on=None, today=None) -> Result:
    """A plan for a household already monitored without one — loaded from the national system, or whose
    earlier plan was closed (R-AID-03: every monitored household has a plan). Township staff start it in
    their area; the clocks run from ``on`` (default today), the day the township takes the plan up, not
    from an inclusion date that may lie years back. Anything but a monitored household without an open
    plan is refused."""
    today = _today(today)
    require_role(actor, SUBMIT_ROLES, "建立帮扶方案", WHY)
    household = Household.objects.select_for_update().get(pk=household.pk)
    require_area(actor, household.division_code, "该农户不在您的管辖范围内")
    if household.monitoring_status != "monitored":
        fail("__all__", "只有监测对象（风险未消除）建立帮扶方案")
    if open_plan(household) is not None:
        fail("__all__", "该户已有进行中的帮扶方案")
    errors = Errors()
    day = validation.date(on, "started_on", "起算日期", errors, required=False, not_after=today,
                          not_before=household.included_on, before_label="纳入时间 ") or today
    errors.raise_if_any()
    plan = on_household_filed(actor, household, day)
    return Result(plan, f"已建立帮扶方案（起算 {day:%Y-%m-%d}），请于 {plan.due_on:%Y-%m-%d} 前制定并报县审定")


# --- drafting ----------------------------------------------------------------------------------------


def _check_policy(policy, household: Household) -> Policy:
    if not isinstance(policy, Policy):
        if validation.is_empty(policy):
            fail("policy", "请选择帮扶政策")
        try:
            policy = Policy.objects.select_related("policy_list").get(pk=int(policy))
        except (Policy.DoesNotExist, TypeError, ValueError):
            fail("policy", "所选政策不存在")
    plist = policy.policy_list
    county = household.division_code[:6]
    if plist.kind != ListKind.CATALOGUE or plist.county_code != county:
        fail("policy", f"“{policy.name}”不是本县县级政策清单中的政策，只能从本县已发布的政策清单中选择")
    if plist.status == ListStatus.SUPERSEDED:
        fail("policy", f"“{policy.name}”所在的{plist}已被新版本替代，请从现行清单中选择")
    if plist.status != ListStatus.PUBLISHED:
        fail("policy", f"“{policy.name}”所在的{plist}尚未发布，不能选用")
    return policy


def _member(raw, household: Household, errors: Errors) -> Member | None:
    if raw in (None, ""):
        return None
    pk = raw.pk if isinstance(raw, Member) else raw
    try:
        member = Member.objects.filter(pk=int(pk), household=household, active=True).first()
    except (TypeError, ValueError):
        member = None
    if member is None:
        errors["member"] = "受益成员须为本户在户成员"
    return member


def _kind(policy: Policy) -> str:
    if policy.kind and policy.kind != MeasureKind.OTHER:
        return policy.kind
    from .national import POLICY_TYPE_KINDS

    return POLICY_TYPE_KINDS.get(policy.type, MeasureKind.OTHER)


@transaction.atomic
def add_measure(actor, plan, policy, *, member=None, note: str = "", version=None, today=None) -> Result:
    """Add a measure chosen from the county's published catalogue to a plan being drafted (点餐式)."""
    today = _today(today)
    require_role(actor, DRAFT_ROLES, "编制帮扶方案", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status not in EDITABLE:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，不能增加措施"
             + ("；已审定的方案须先“调整方案”，再报县重新审定" if plan.status == PlanStatus.APPROVED else ""))
    household = plan.household
    policy = _check_policy(policy, household)
    errors = Errors()
    member_row = _member(member, household, errors)
    note = validation.text(note, "note", "说明", errors, required=False, max_length=300)
    errors.raise_if_any()
    dup = plan.measures.filter(policy=policy, member=member_row).exclude(status=MeasureStatus.CANCELLED)
    if dup.exists():
        who = f"成员{member_row.name}" if member_row else "本户"
        fail("policy", f"方案中已有{who}的“{policy.name}”，不能重复选择")
    measure = Measure.objects.create(
        household=household, plan=plan, policy=policy, member=member_row, category=policy.type[:30],
        content=policy.name[:500], source=MeasureSource.LOCAL, kind=_kind(policy), handler=policy.handler,
        department=policy.department if policy.handler == Handler.DEPARTMENT else "",
        status=MeasureStatus.PLANNED, year=policy.policy_list.year, note=note, created_by=actor,
    )
    before = _state(plan)
    plan.catalogue = policy.policy_list
    plan.flags = _flags(plan, today)
    _save_plan(plan, actor, "plan.measure_add", before,
               {"measure": measure.pk, "policy": str(policy), "member": member_row.name if member_row else "",
                "kind": measure.kind, "catalogue": str(policy.policy_list)})
    return Result(measure, f"已加入措施“{policy.name}”")


@transaction.atomic
def remove_measure(actor, measure, *, version=None, today=None) -> Result:
    """Take a measure out of a plan being drafted (a measure of an approved plan is not removed)."""
    today = _today(today)
    require_role(actor, DRAFT_ROLES, "编制帮扶方案", WHY)
    m = _lock_measure(measure)
    plan = _lock_plan(m.plan_id)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status not in EDITABLE or m.status != MeasureStatus.PLANNED:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，不能删除措施")
    before = _state(plan)
    info = {"measure": m.pk, "policy": str(m.policy) if m.policy_id else m.content}
    m.delete()
    plan.flags = _flags(plan, today)
    _save_plan(plan, actor, "plan.measure_remove", before, info)
    return Result(plan, "已从方案中删除该措施")


@transaction.atomic
def submit_plan(actor, plan, *, version=None, today=None) -> Result:
    today = _today(today)
    require_role(actor, SUBMIT_ROLES, "帮扶方案报县审定", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status not in EDITABLE:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，不能报县审定")
    if not _active_measures(plan).exists():
        fail("__all__", "方案中还没有帮扶措施，请先从政策清单中选择措施")
    before = _state(plan)
    plan.status = PlanStatus.SUBMITTED
    plan.submitted_at, plan.submitted_by = timezone.now(), actor
    plan.returned_reason = ""
    plan.flags = _flags(plan, today)
    _save_plan(plan, actor, "plan.submit", before, {"flags": plan.flags})
    extra = f"；请注意方案提示：{plan.flags[0]['message']}" if plan.flags else ""
    return Result(plan, "已报县级审定" + extra)


@transaction.atomic
def approve_plan(actor, plan, *, on=None, version=None, today=None) -> Result:
    """County approval (county office only): the measures' clocks start on the approval date."""
    today = _today(today)
    require_role(actor, APPROVE_ROLES, "审定帮扶方案", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status != PlanStatus.SUBMITTED:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，尚未报县审定，不能审定")
    if not _active_measures(plan).exists():
        fail("__all__", "方案中没有帮扶措施，不能审定")
    errors = Errors()
    on_day = validation.date(on, "approved_on", "审定日期", errors, required=False, not_after=today,
                             not_before=plan.started_on, before_label="纳入时间 ") or today
    errors.raise_if_any()
    code = plan.household.division_code
    township = clock(code, "township", on_day)
    department = clock(code, "department", on_day)
    pending = list(plan.measures.select_for_update().filter(status=MeasureStatus.PLANNED, due_on__isnull=True))
    for m in pending:
        due = township if m.handler == Handler.TOWNSHIP else department
        m.due_on, m.due_warnings = due.due, list(due.warnings)
    if pending:
        Measure.objects.bulk_update(pending, ["due_on", "due_warnings"])
    before = _state(plan)
    plan.status = PlanStatus.APPROVED
    plan.approved_on, plan.approved_by = on_day, actor
    plan.flags = _flags(plan, today)
    _save_plan(plan, actor, "plan.approve", before, {"approved_on": on_day, "flags": plan.flags,
                                                     "measures_started": len(pending)})
    return Result(plan, f"已审定（{on_day:%Y-%m-%d}）；乡镇落实措施于 {township.due:%Y-%m-%d} 前落实，"
                        f"部门审批措施于 {department.due:%Y-%m-%d} 前报送部门")


@transaction.atomic
def return_plan(actor, plan, reason, *, version=None, today=None) -> Result:
    require_role(actor, APPROVE_ROLES, "退回帮扶方案", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status != PlanStatus.SUBMITTED:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，不在待审定状态，不能退回")
    errors = Errors()
    reason = validation.text(reason, "reason", "退回原因", errors, max_length=300)
    errors.raise_if_any()
    before = _state(plan)
    plan.status = PlanStatus.RETURNED
    plan.returned_reason = reason
    _save_plan(plan, actor, "plan.return", before, {"reason": reason})
    return Result(plan, "已退回乡镇修改")


@transaction.atomic
def reopen_plan(actor, plan, reason, *, version=None, today=None) -> Result:
    """The proper step to change an approved plan: the township reopens it with a reason; it is then
    edited, submitted and approved again. Measures already carried out stay."""
    require_role(actor, SUBMIT_ROLES, "调整帮扶方案", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status != PlanStatus.APPROVED:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，只有已审定的方案需要“调整方案”")
    errors = Errors()
    reason = validation.text(reason, "reason", "调整原因", errors, max_length=300)
    errors.raise_if_any()
    before = {**_state(plan), "approved_on": plan.approved_on}
    plan.status = PlanStatus.DRAFT
    plan.returned_reason = f"调整方案：{reason}"
    _save_plan(plan, actor, "plan.reopen", before, {"reason": reason})
    return Result(plan, "方案已转为编制中；调整后请重新报县审定")


# --- carrying out (R-AID-05) -------------------------------------------------------------------------


@transaction.atomic
def apply_to_department(actor, measure, applied_on=None, *, today=None) -> Result:
    """The township sends the application of a department measure to the county department."""
    today = _today(today)
    require_role(actor, SUBMIT_ROLES, "报送部门申请", WHY)
    m = _lock_measure(measure)
    require_area(actor, m.household.division_code, "该帮扶措施不在您的管辖范围内")
    if m.handler != Handler.DEPARTMENT:
        fail("__all__", f"“{m.content}”由乡镇落实，不需要报送部门")
    if m.plan.status != PlanStatus.APPROVED or m.status != MeasureStatus.PLANNED:
        fail("__all__", f"措施当前为“{m.get_status_display()}”，方案为“{m.plan.get_status_display()}”；"
             "只有已审定方案中待落实的措施可以报送部门")
    errors = Errors()
    day = validation.date(applied_on, "applied_on", "报送部门日期", errors, required=False, not_after=today,
                          not_before=m.plan.approved_on, before_label="方案审定日期 ") or today
    errors.raise_if_any()
    due = clock(m.household.division_code, "department", day)
    before = {"status": m.status}
    m.status, m.applied_on = MeasureStatus.APPLIED, day
    m.answer_due_on, m.answer_due_warnings = due.due, list(due.warnings)
    m.save(update_fields=["status", "applied_on", "answer_due_on", "answer_due_warnings", "updated_at"])
    record(actor, "measure.apply", m, before=before,
           after={"status": m.status, "applied_on": day, "department": m.department, "answer_due_on": due.due},
           household=m.household)
    return Result(m, f"已报送{m.department or '县级部门'}，部门应于 {due.due:%Y-%m-%d} 前答复")


@transaction.atomic
def carry_out(actor, measure, on=None, *, note: str = "", today=None) -> Result:
    """A township measure of an approved plan, or a department measure the department approved, is in
    place. Income is not touched: money it brings is counted only through income records."""
    today = _today(today)
    require_role(actor, CARRY_OUT_ROLES, "登记措施落实", WHY)
    m = _lock_measure(measure)
    require_area(actor, m.household.division_code, "该帮扶措施不在您的管辖范围内")
    if m.plan.status != PlanStatus.APPROVED and m.status == MeasureStatus.PLANNED:
        fail("__all__", f"帮扶方案当前为“{m.plan.get_status_display()}”，县级审定后才能落实措施")
    if m.handler == Handler.DEPARTMENT and m.status != MeasureStatus.APPROVED:
        fail("__all__", f"“{m.content}”须经{m.department or '县级部门'}同意后才能登记落实，当前为“{m.get_status_display()}”")
    if m.handler == Handler.TOWNSHIP and m.status != MeasureStatus.PLANNED:
        fail("__all__", f"措施当前为“{m.get_status_display()}”，不能再登记落实")
    errors = Errors()
    floor = m.answered_on or m.plan.approved_on
    day = validation.date(on, "carried_out_on", "落实日期", errors, required=False, not_after=today,
                          not_before=floor, before_label="") or today
    note = validation.text(note, "note", "落实说明", errors, required=False, max_length=300)
    errors.raise_if_any()
    before = {"status": m.status}
    m.status, m.carried_out_on = MeasureStatus.IN_PLACE, day
    if note:
        m.note = note
    m.save(update_fields=["status", "carried_out_on", "note", "updated_at"])
    late = bool(m.due_on and m.handler == Handler.TOWNSHIP and day > m.due_on)
    record(actor, "measure.carry_out", m, before=before,
           after={"status": m.status, "carried_out_on": day, "late": late}, household=m.household)
    return Result(m, f"已登记落实（{day:%Y-%m-%d}）" + ("，已超过落实期限" if late else ""))


@transaction.atomic
def record_entry(actor, plan, entered_on=None, *, version=None, today=None) -> Result:
    """The plan's measures were entered into the national system on ``entered_on``."""
    today = _today(today)
    require_role(actor, SUBMIT_ROLES, "登记措施录入国家系统", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    if plan.status != PlanStatus.APPROVED:
        fail("__all__", f"帮扶方案当前为“{plan.get_status_display()}”，县级审定后才能登记录入国家系统")
    errors = Errors()
    day = validation.date(entered_on, "entered_on", "录入日期", errors, required=False, not_after=today,
                          not_before=plan.approved_on, before_label="方案审定日期 ") or today
    errors.raise_if_any()
    if plan.entered_on == day:
        return Result(plan, "录入日期未变化", changed=False)
    before = {**_state(plan), "entered_on": plan.entered_on}
    plan.entered_on = day
    _save_plan(plan, actor, "plan.entry", before, {"entered_on": day, "late": bool(plan.entry_due_on and day > plan.entry_due_on)})
    return Result(plan, f"已登记录入国家系统（{day:%Y-%m-%d}）")


# --- R-AID-07 ----------------------------------------------------------------------------------------


def developmental_in_place(plan: Plan):
    """The household's developmental measures in place: of the plan, or national records of that kind."""
    return Measure.objects.filter(household_id=plan.household_id, kind=MeasureKind.DEVELOPMENTAL,
                                  status=MeasureStatus.IN_PLACE).filter(Q(plan=plan) | Q(source=MeasureSource.NATIONAL))


@transaction.atomic
def mark_developmental(actor, plan, *, found, note: str = "", on=None, version=None, today=None) -> Result:
    """The review (核查) of developmental assistance: ``found`` sets "已实施开发式帮扶" with who reviewed
    and when — only when developmental measures are in place; not found clears it, with the note."""
    today = _today(today)
    require_role(actor, REVIEW_ROLES, "核查开发式帮扶", WHY)
    plan = _lock_plan(plan)
    _scope(actor, plan)
    _check_version(plan, version)
    errors = Errors()
    found_value = found if isinstance(found, bool) else validation.boolean(found, "found", "核查结论", errors,
                                                                          required=True)
    note = validation.text(note, "note", "核查说明", errors, required=not found_value, max_length=300,
                           missing="核查未发现开发式帮扶措施落实时，须填写核查说明")
    day = validation.date(on, "reviewed_on", "核查日期", errors, required=False, not_after=today,
                          not_before=plan.started_on, before_label="纳入时间 ") or today
    errors.raise_if_any()
    in_place = list(developmental_in_place(plan).values_list("content", flat=True)[:5])
    if found_value and not in_place:
        fail("found", "核查未发现已落实的开发式帮扶措施（产业、就业、公益岗位、技能培训、小额信贷等），不能标记“已实施开发式帮扶”")
    if (plan.developmental_marked == found_value and plan.developmental_note == note
            and plan.developmental_reviewed_on == day and plan.developmental_reviewed_by_id == actor.pk):
        return Result(plan, "核查结论未变化", changed=False)
    before = {**_state(plan), "developmental_marked": plan.developmental_marked}
    plan.developmental_marked = found_value
    plan.developmental_reviewed_on, plan.developmental_reviewed_by = day, actor
    plan.developmental_note = note
    _save_plan(plan, actor, "plan.developmental", before,
               {"developmental_marked": found_value, "reviewed_on": day, "measures": in_place, "note": note})
    return Result(plan, "已标记“已实施开发式帮扶”" if found_value else "已记录核查结论：未发现开发式帮扶措施落实")


# --- pending actions and overdue items ---------------------------------------------------------------

OPEN_PLAN = (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED)


def _contact_name():
    return Subquery(ContactAssignment.objects.filter(household=OuterRef("household"), ended_on__isnull=True)
                    .values("contact__display_name")[:1])


def _item(title: str, url: str, due, today: dt.date) -> dict:
    return {"title": title, "url": url, "due": due, "overdue": bool(due and due < today),
            "remaining": remaining_text(due, today)}


def pending_for(user, today: dt.date | None = None, limit: int = 50) -> list[dict]:
    """The user's plan work for the home page, overdue first."""
    if not getattr(user, "is_authenticated", False) or user.scope_code is None:
        return []
    today = today or local_today()
    role, items = user.role, []
    plans = plans_visible_to(user).select_related("household")
    url = lambda h: reverse("assistance:household_plan", args=[h])  # noqa: E731
    if role == Role.TOWNSHIP_STAFF:
        no_contact = (plans.exclude(status=PlanStatus.CLOSED)
                      .filter(~Exists(ContactAssignment.objects.filter(household=OuterRef("household"),
                                                                       ended_on__isnull=True)))
                      .order_by("started_on", "pk")[:limit])
        for p in no_contact:
            items.append(_item(f"户{p.household.number}：确定帮扶联系人", url(p.household_id), p.started_on, today))
        for p in plans.filter(status__in=EDITABLE).order_by("due_on", "pk")[:limit]:
            what = "修改退回的帮扶方案" if p.status == PlanStatus.RETURNED else "制定帮扶方案并报县审定"
            items.append(_item(f"户{p.household.number}：{what}", url(p.household_id), p.due_on, today))
        refused = (scope_filter(Measure.objects.filter(plan__status=PlanStatus.APPROVED, status=MeasureStatus.REFUSED,
                                                          answered_on__gte=F("plan__approved_on")),
                                user, "household__division_code").select_related("household").order_by("answered_on", "pk"))
        for m in refused[:limit]:
            items.append(_item(f"户{m.household.number} {m.content}：{m.department or '部门'}不予批准，请调整方案",
                               url(m.household_id), None, today))
        for p in plans.filter(status=PlanStatus.APPROVED, entered_on__isnull=True).order_by("entry_due_on", "pk")[:limit]:
            items.append(_item(f"户{p.household.number}：措施录入国家系统", url(p.household_id), p.entry_due_on, today))
    if role in (Role.TOWNSHIP_STAFF, Role.VILLAGE_CADRE):
        measures = (scope_filter(Measure.objects.filter(plan__status=PlanStatus.APPROVED, status=MeasureStatus.PLANNED),
                                 user, "household__division_code")
                    .select_related("household").order_by("due_on", "pk"))
        if role == Role.VILLAGE_CADRE:
            measures = measures.filter(handler=Handler.TOWNSHIP)
        for m in measures[:limit]:
            what = "落实措施" if m.handler == Handler.TOWNSHIP else f"报送{m.department or '部门'}申请"
            items.append(_item(f"户{m.household.number} {m.content}：{what}", url(m.household_id), m.due_on, today))
    if role == Role.COUNTY_OFFICE:
        for p in plans.filter(status=PlanStatus.SUBMITTED).order_by("due_on", "pk")[:limit]:
            items.append(_item(f"户{p.household.number}：审定帮扶方案", url(p.household_id), p.due_on, today))
    if role == Role.ASSISTANCE_CONTACT:
        mine = Plan.objects.filter(household__contact_assignments__contact=user,
                                   household__contact_assignments__ended_on__isnull=True,
                                   status__in=EDITABLE).select_related("household").order_by("due_on", "pk")
        for p in mine[:limit]:
            items.append(_item(f"联系户{p.household.number}：帮扶方案编制中", url(p.household_id), p.due_on, today))
    return items


def overdue_summary(user, today: dt.date | None = None) -> list[dict]:
    """Overdue plan items per township and responsible person (the household's contact): plans not yet
    approved, measures not carried out or not sent, entries not made — set-based, a few queries."""
    today = today or local_today()
    plans = plans_visible_to(user)
    measures = scope_filter(Measure.objects.filter(plan__isnull=False), user, "household__division_code")
    groups: dict[tuple[str, str], dict] = {}

    def add(rows, key):
        for r in rows:
            g = groups.setdefault((r["unit"], r["contact"] or ""), {"unit": r["unit"], "contact": r["contact"] or "",
                                                                     "plans": 0, "measures": 0, "entries": 0})
            g[key] += r["n"]

    def grouped(qs):
        return (qs.annotate(unit=Substr("household__division_code", 1, TOWNSHIP_LENGTH), contact=_contact_name())
                .values("unit", "contact").annotate(n=Count("id")).order_by())

    add(grouped(plans.filter(status__in=OPEN_PLAN, due_on__lt=today)), "plans")
    add(grouped(plans.filter(status=PlanStatus.APPROVED, entered_on__isnull=True, entry_due_on__lt=today)), "entries")
    add(grouped(measures.filter(plan__status=PlanStatus.APPROVED, status=MeasureStatus.PLANNED, due_on__lt=today)),
        "measures")
    names = dict(Division.objects.filter(code__in={u for u, _ in groups}).values_list("code", "name"))
    out = sorted(groups.values(), key=lambda g: (g["unit"], g["contact"]))
    for g in out:
        g["name"] = names.get(g["unit"], g["unit"])
        g["total"] = g["plans"] + g["measures"] + g["entries"]
    return out


# --- deadlines follow the calendar (R-CFG-04) --------------------------------------------------------


def recompute_deadlines(actor, change) -> int:
    """Recompute stored plan and measure deadlines whose running clock touches a calendar change."""
    changed = 0
    plans = list(Plan.objects.select_for_update(of=("self",)).select_related("household").filter(
        Q(change.overlapping("started_on", "due_on"), status__in=OPEN_PLAN)
        | Q(change.overlapping("started_on", "entry_due_on"), entered_on__isnull=True)).exclude(status=PlanStatus.CLOSED)
        .order_by("pk"))
    for plan in plans:
        code = plan.household.division_code
        before, after = {}, {}
        if plan.status in OPEN_PLAN and plan.due_on:
            due = clock(code, "plan", plan.started_on)
            if due.due != plan.due_on or list(due.warnings) != list(plan.due_warnings):
                before |= {"due_on": plan.due_on}
                after |= {"due_on": due.due}
                plan.due_on, plan.due_warnings = due.due, list(due.warnings)
        if plan.entered_on is None and plan.entry_due_on:
            due = clock(code, "entry", plan.started_on)
            if due.due != plan.entry_due_on or list(due.warnings) != list(plan.entry_due_warnings):
                before |= {"entry_due_on": plan.entry_due_on}
                after |= {"entry_due_on": due.due}
                plan.entry_due_on, plan.entry_due_warnings = due.due, list(due.warnings)
        if after:
            Plan.objects.filter(pk=plan.pk).update(due_on=plan.due_on, due_warnings=plan.due_warnings,
                                                   entry_due_on=plan.entry_due_on,
                                                   entry_due_warnings=plan.entry_due_warnings)
            record(actor, "plan.deadline_recompute", plan, before=jsonable(before),
                   after=jsonable({**after, "reason": change.describe()}), household=plan.household)
            changed += 1
    measures = list(Measure.objects.select_for_update(of=("self",)).select_related("household", "plan").filter(
        change.overlapping("plan__approved_on", "due_on"), plan__isnull=False, status=MeasureStatus.PLANNED)
        .order_by("pk"))
    updated = []
    for m in measures:
        due = clock(m.household.division_code, "township" if m.handler == Handler.TOWNSHIP else "department",
                    m.plan.approved_on)
        if due.due != m.due_on or list(due.warnings) != list(m.due_warnings):
            before = {"due_on": m.due_on}
            m.due_on, m.due_warnings = due.due, list(due.warnings)
            updated.append(m)
            record(actor, "measure.deadline_recompute", m, before=jsonable(before),
                   after=jsonable({"due_on": due.due, "reason": change.describe()}), household=m.household)
    if updated:
        Measure.objects.bulk_update(updated, ["due_on", "due_warnings"])
    return changed + len(updated)


def register() -> None:
    """Hooks of this part (pending actions, deadline recomputers, audit labels)."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS
    from fangpin.profiles import deadlines

    from .contacts import ACTION_NAMES as CONTACT_ACTIONS

    if pending_for not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(pending_for)
    ACTION_LABELS.update(ACTION_NAMES)
    ACTION_LABELS.update(CONTACT_ACTIONS)
    deadlines.register("assistance_plans", recompute_deadlines)
