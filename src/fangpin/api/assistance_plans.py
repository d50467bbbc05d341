"""Assistance over HTTP: contacts and plans. Thin: the same scoped getters and service functions as the
pages (R-AID-03 … R-AID-05, R-AID-07). Dates are taken as text so that the services answer bad values
with the same Chinese messages (naming the field) as the pages do."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status

from fangpin.accounts.masking import mask_text
from fangpin.assistance import contacts, matching, plans
from fangpin.assistance.models import ListStatus, Measure, Plan
from fangpin.audit.context import using_source
from fangpin.profiles.services import today
from fangpin.registry.selectors import get_household_for

router = Router(tags=["帮扶"])

Text = str | int | None


class ContactOut(Schema):
    contact_id: int
    contact_name: str
    assigned_on: dt.date
    reason: str


class PlanMeasureOut(Schema):
    id: int
    category: str
    content: str
    policy_id: int | None
    member_id: int | None
    member_name: str
    kind: str
    kind_label: str
    handler: str
    department: str
    status: str
    status_label: str
    due_on: dt.date | None
    applied_on: dt.date | None
    answer_due_on: dt.date | None
    carried_out_on: dt.date | None
    note: str


class FlagOut(Schema):
    code: str
    message: str


class PlanOut(Schema):
    id: int
    household_id: int
    household_number: str
    status: str
    status_label: str
    version: int
    catalogue_id: int | None
    started_on: dt.date
    due_on: dt.date | None
    entry_due_on: dt.date | None
    entered_on: dt.date | None
    approved_on: dt.date | None
    returned_reason: str
    developmental_marked: bool
    developmental_reviewed_on: dt.date | None
    flags: list[FlagOut]
    contact: ContactOut | None
    measures: list[PlanMeasureOut]


class ConditionOut(Schema):
    condition: str
    value: str


class ProposalOut(Schema):
    policy_id: int
    type: str
    name: str
    kind: str
    eligible: bool
    score: float
    matched: list[ConditionOut]
    unmatched: list[ConditionOut]
    member_ids: list[int]


class ResultOut(Schema):
    message: str
    plan: PlanOut


class ContactResult(Schema):
    message: str
    changed: bool
    contact: ContactOut


class ContactIn(Schema):
    contact_id: Text = None
    assigned_on: Text = None
    reason: str = ""


class MeasureIn(Schema):
    policy_id: Text = None
    member_id: Text = None
    note: str = ""
    version: Text = None


class VersionIn(Schema):
    version: Text = None


class PlanApproveIn(Schema):
    approved_on: Text = None
    version: Text = None


class PlanReasonIn(Schema):
    reason: str = ""
    version: Text = None


class PlanEntryIn(Schema):
    entered_on: Text = None
    version: Text = None


class ReviewIn(Schema):
    found: bool | str | None = None
    note: str = ""
    reviewed_on: Text = None
    version: Text = None


class MeasureApplyIn(Schema):
    applied_on: Text = None


class CarryOutIn(Schema):
    carried_out_on: Text = None
    note: str = ""


def _measure_out(user, m: Measure) -> dict:
    return {"id": m.pk, "category": m.category, "content": m.content, "policy_id": m.policy_id,
            "member_id": m.member_id, "member_name": m.member.name if m.member_id else "", "kind": m.kind,
            "kind_label": m.get_kind_display(), "handler": m.handler, "department": m.department, "status": m.status,
            "status_label": m.get_status_display(), "due_on": m.due_on, "applied_on": m.applied_on,
            "answer_due_on": m.answer_due_on, "carried_out_on": m.carried_out_on, "note": mask_text(user, m.note)}


def _plan_out(user, plan: Plan) -> dict:
    plan.refresh_from_db()
    assignment = contacts.current_assignment(plan.household)
    contact = None
    if assignment is not None:
        contact = {"contact_id": assignment.contact_id, "contact_name": str(assignment.contact),
                   "assigned_on": assignment.assigned_on, "reason": mask_text(user, assignment.reason)}
    return {
        "id": plan.pk, "household_id": plan.household_id, "household_number": plan.household.number,
        "status": plan.status, "status_label": plan.get_status_display(), "version": plan.version,
        "catalogue_id": plan.catalogue_id, "started_on": plan.started_on, "due_on": plan.due_on,
        "entry_due_on": plan.entry_due_on, "entered_on": plan.entered_on, "approved_on": plan.approved_on,
        "returned_reason": mask_text(user, plan.returned_reason), "developmental_marked": plan.developmental_marked,
        "developmental_reviewed_on": plan.developmental_reviewed_on, "flags": plan.flags or [],
        "contact": contact, "measures": [_measure_out(user, m) for m in plans.plan_measures(plan)],
    }


def _open_plan_for(user, household_id) -> Plan:
    household = get_household_for(user, household_id)
    plan = plans.open_plan(household)
    if plan is None:
        raise Http404("该户没有进行中的帮扶方案")
    return plan


def _result(request, result, plan: Plan) -> dict:
    return {"message": result.message, "plan": _plan_out(request.user, plan)}


@router.get("/assistance/households/{household_id}/plan", response=PlanOut, summary="农户的帮扶方案（含联系人、措施、方案提示）")
def get_plan(request, household_id: int):
    return _plan_out(request.user, _open_plan_for(request.user, household_id))


@router.get("/assistance/households/{household_id}/proposals", response=list[ProposalOut],
            summary="按风险类型和成员情况推荐的政策，逐条说明符合哪些条件及本户取值")
def get_proposals(request, household_id: int, eligible_only: bool = False):
    household = get_household_for(request.user, household_id)
    day = today()
    plan = plans.open_plan(household)
    catalogue = plan.catalogue if plan and plan.catalogue and plan.catalogue.status == ListStatus.PUBLISHED else None
    catalogue = catalogue or plans.current_catalogue(household.division_code, day.year)
    if catalogue is None:
        return []
    out = []
    for p in matching.propose(household, catalogue, today=day, include_partial=not eligible_only):
        out.append({"policy_id": p.policy.pk, "type": p.policy.type, "name": p.policy.name, "kind": p.policy.kind,
                    "eligible": p.eligible, "score": round(p.score, 3),
                    "matched": [{"condition": c, "value": v} for c, v in p.matched],
                    "unmatched": [{"condition": c, "value": v} for c, v in p.unmatched],
                    "member_ids": [m.id for m in p.members]})
    return out


class StartIn(Schema):
    started_on: Text = None


@router.post("/assistance/households/{household_id}/plan", response={201: ResultOut},
             summary="为没有进行中方案的监测对象建立帮扶方案（如从国家系统导入的监测对象）")
def start_plan(request, household_id: int, payload: StartIn):
    household = get_household_for(request.user, household_id)
    with using_source("api", request.path):
        result = plans.start_plan(request.user, household, on=payload.started_on)
    return Status(201, _result(request, result, result.obj))


@router.post("/assistance/households/{household_id}/contact", response=ContactResult, summary="确定或更换帮扶联系人")
def assign_contact(request, household_id: int, payload: ContactIn):
    household = get_household_for(request.user, household_id)
    with using_source("api", request.path):
        row, changed = contacts.assign_contact(request.user, household, payload.contact_id, on=payload.assigned_on,
                                               reason=payload.reason)
    return {"message": f"已确定帮扶联系人：{row.contact}" if changed else "帮扶联系人未变化", "changed": changed,
            "contact": {"contact_id": row.contact_id, "contact_name": str(row.contact), "assigned_on": row.assigned_on,
                        "reason": mask_text(request.user, row.reason)}}


@router.post("/assistance/plans/{plan_id}/measures", response=ResultOut, summary="从县级政策清单选择措施加入方案")
def add_measure(request, plan_id: int, payload: MeasureIn):
    plan = plans.get_plan_for(request.user, plan_id)
    with using_source("api", request.path):
        r = plans.add_measure(request.user, plan, payload.policy_id if payload.policy_id not in (None, "") else "",
                              member=payload.member_id, note=payload.note, version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plans/{plan_id}/submit", response=ResultOut, summary="帮扶方案报县级审定")
def submit_plan(request, plan_id: int, payload: VersionIn):
    plan = plans.get_plan_for(request.user, plan_id)
    with using_source("api", request.path):
        r = plans.submit_plan(request.user, plan, version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plans/{plan_id}/approve", response=ResultOut, summary="县级审定帮扶方案")
def approve_plan(request, plan_id: int, payload: PlanApproveIn):
    plan = plans.get_plan_for(request.user, plan_id)
    with using_source("api", request.path):
        r = plans.approve_plan(request.user, plan, on=payload.approved_on, version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plans/{plan_id}/return", response=ResultOut, summary="县级退回帮扶方案")
def return_plan(request, plan_id: int, payload: PlanReasonIn):
    plan = plans.get_plan_for(request.user, plan_id)
    with using_source("api", request.path):
        r = plans.return_plan(request.user, plan, payload.reason, version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plans/{plan_id}/reopen", response=ResultOut, summary="调整已审定的帮扶方案（须重新审定）")
def reopen_plan(request, plan_id: int, payload: PlanReasonIn):
    plan = plans.get_plan_for(request.user, plan_id)
    with using_source("api", request.path):
        r = plans.reopen_plan(request.user, plan, payload.reason, version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plans/{plan_id}/entry", response=ResultOut, summary="登记措施已录入国家系统")
def record_entry(request, plan_id: int, payload: PlanEntryIn):
    plan = plans.get_plan_for(request.user, plan_id)
    with using_source("api", request.path):
        r = plans.record_entry(request.user, plan, payload.entered_on, version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plans/{plan_id}/developmental", response=ResultOut, summary="开发式帮扶核查结论")
def mark_developmental(request, plan_id: int, payload: ReviewIn):
    plan = plans.get_plan_for(request.user, plan_id)
    found = "" if payload.found is None else payload.found
    with using_source("api", request.path):
        r = plans.mark_developmental(request.user, plan, found=found, note=payload.note, on=payload.reviewed_on,
                                     version=payload.version)
    return _result(request, r, plan)


@router.post("/assistance/plan-measures/{measure_id}/remove", response=ResultOut, summary="从编制中的方案删除措施")
def remove_measure(request, measure_id: int):
    m = plans.get_plan_measure_for(request.user, measure_id)
    with using_source("api", request.path):
        r = plans.remove_measure(request.user, m)
    return _result(request, r, m.plan)


@router.post("/assistance/plan-measures/{measure_id}/apply", response=ResultOut, summary="措施报送县级部门")
def apply_to_department(request, measure_id: int, payload: MeasureApplyIn):
    m = plans.get_plan_measure_for(request.user, measure_id)
    with using_source("api", request.path):
        r = plans.apply_to_department(request.user, m, payload.applied_on)
    return _result(request, r, m.plan)


@router.post("/assistance/plan-measures/{measure_id}/carry-out", response=ResultOut, summary="登记措施落实")
def carry_out(request, measure_id: int, payload: CarryOutIn):
    m = plans.get_plan_measure_for(request.user, measure_id)
    with using_source("api", request.path):
        r = plans.carry_out(request.user, m, payload.carried_out_on, note=payload.note)
    return _result(request, r, m.plan)
