"""Follow-up monthly over HTTP: the same scoped getters and service functions as the pages.

POST /followup/monthly-visits records the month's visit of a household by its assistance contact
(R-TRACK-02); the idempotency key (field ``idempotency_key`` or header ``Idempotency-Key``) makes a
resubmit after a network drop answer 200 with the visit already recorded instead of a second one (201).
Member changes are proposed, listed, verified and rejected through ``fangpin.followup.members``.
Personal data in answers is masked as the user's role requires.
"""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status

from fangpin.accounts.masking import mask_text, show_id_number
from fangpin.accounts.scoping import get_visible
from fangpin.audit.context import using_source
from fangpin.followup import members, monthly
from fangpin.followup.models import MemberChange, MemberChangeStatus, Visit, VisitPurpose
from fangpin.followup.selectors import visits_visible_to
from fangpin.registry.queries import paginate
from fangpin.registry.selectors import get_household_for
from fangpin.validation import fail

router = Router(tags=["跟踪帮扶"])

Text = str | int | float | None
PAGE_SIZE = 50


class MonthlyVisitIn(Schema):
    household_id: int
    visited_on: Text = None
    mode: str = ""
    remote_reason: str = ""
    companion_name: str = ""
    findings: str = ""
    risk_found: bool = False
    risk_types: list[str] = []
    raise_lead: bool = False
    income: dict[str, Text] = {}
    basic_needs: dict[str, str | bool | None] = {}
    measures: list[dict] = []
    member_changes: list[dict] = []
    idempotency_key: str | None = None


class MonthlyVisitOut(Schema):
    id: int
    household_id: int
    household_number: str
    month: dt.date | None
    visited_on: dt.date
    mode: str
    mode_label: str
    remote_reason: str
    visitor_name: str
    income_total: str | None
    income_record_id: int | None
    basic_needs: dict
    measures_status: list[dict]
    risk_found: bool
    risk_types: list[str]
    findings: str
    lead_reference: str
    member_change_ids: list[int]
    ticket_ids: list[int]


class MonthlyVisitSaved(Schema):
    message: str
    created: bool
    visit: MonthlyVisitOut


class MonthlyVisitPage(Schema):
    total: int
    page: int
    pages: int
    items: list[MonthlyVisitOut]


class MonthlyParams(Schema):
    household: int | None = None
    month: str = ""
    page: int = 1


class MemberChangeIn(Schema):
    household_id: int
    kind: str = ""
    member: int | None = None
    name: str = ""
    id_number: str = ""
    sex: str = ""
    birth_date: Text = None
    relation: str = ""
    happened_on: Text = None
    note: str = ""


class MemberChangeOut(Schema):
    id: int
    household_id: int
    household_number: str
    kind: str
    kind_label: str
    member_id: int | None
    member_name: str
    person: dict
    happened_on: dt.date
    note: str
    status: str
    status_label: str
    visit_id: int | None
    proposed_by: str
    proposed_at: dt.datetime
    verified_by: str
    verified_at: dt.datetime | None
    decision_note: str
    applied_member_id: int | None


class MemberChangePage(Schema):
    total: int
    page: int
    pages: int
    items: list[MemberChangeOut]


class MemberChangeParams(Schema):
    status: str = ""
    household: int | None = None
    page: int = 1


class MemberChangeDecisionIn(Schema):
    note: str = ""


def _visit_out(user, v: Visit) -> dict:
    needs = dict(v.basic_needs or {})
    if needs.get("note"):
        needs["note"] = mask_text(user, needs["note"])
    return {
        "id": v.pk, "household_id": v.household_id, "household_number": v.household.number, "month": v.month,
        "visited_on": v.visited_on, "mode": v.mode, "mode_label": v.get_mode_display(),
        "remote_reason": mask_text(user, v.remote_reason), "visitor_name": v.visitor_name,
        "income_total": None if v.income_total is None else str(v.income_total), "income_record_id": v.income_record_id,
        "basic_needs": needs,
        "measures_status": [{**m, "note": mask_text(user, m.get("note", ""))} for m in v.measures_status or []],
        "risk_found": v.risk_found, "risk_types": v.risk_types, "findings": mask_text(user, v.findings),
        "lead_reference": v.lead_reference,
        "member_change_ids": list(v.member_changes.values_list("pk", flat=True)),
        "ticket_ids": list(v.tickets.values_list("pk", flat=True)),
    }


def _change_out(user, c: MemberChange) -> dict:
    person = dict(c.data or {})
    if person.get("id_number"):
        person["id_number"] = show_id_number(user, person["id_number"])
    if person.get("phone"):
        person["phone"] = mask_text(user, person["phone"])
    return {
        "id": c.pk, "household_id": c.household_id, "household_number": c.household.number, "kind": c.kind,
        "kind_label": c.get_kind_display(), "member_id": c.member_id, "member_name": c.member.name if c.member_id else "",
        "person": person, "happened_on": c.happened_on, "note": mask_text(user, c.note), "status": c.status,
        "status_label": c.get_status_display(), "visit_id": c.visit_id,
        "proposed_by": str(c.proposed_by) if c.proposed_by_id else "", "proposed_at": c.proposed_at,
        "verified_by": str(c.verified_by) if c.verified_by_id else "", "verified_at": c.verified_at,
        "decision_note": mask_text(user, c.decision_note), "applied_member_id": c.applied_member_id,
    }


@router.post("/followup/monthly-visits", response={200: MonthlyVisitSaved, 201: MonthlyVisitSaved},
             summary="录入月访视（帮扶联系人；同一提交标识重复提交不重复录入）")
def create_monthly_visit(request, payload: MonthlyVisitIn):
    household = get_household_for(request.user, payload.household_id)
    data = payload.dict()
    data.pop("household_id")
    key = data.pop("idempotency_key") or request.headers.get("Idempotency-Key") or None
    with using_source("api", request.path):
        result = monthly.record_monthly_visit(request.user, household, data, idempotency_key=key)
    body = {"message": result.message, "created": result.created,
            "visit": _visit_out(request.user, Visit.objects.select_related("household").get(pk=result.obj.pk))}
    return Status(201 if result.created else 200, body)


@router.get("/followup/monthly-visits", response=MonthlyVisitPage, summary="月访视记录（本辖区，可按户、月份筛选）")
def list_monthly_visits(request, params: Query[MonthlyParams]):
    qs = visits_visible_to(request.user).filter(purpose=VisitPurpose.MONTHLY).select_related("household")
    if params.household:
        qs = qs.filter(household_id=params.household)
    if params.month:
        try:
            month = dt.date.fromisoformat(params.month[:7] + "-01")
        except ValueError:
            fail("month", "月份格式不正确（如 2026-11）")
        qs = qs.filter(month=month)
    items, total, page, pages = paginate(qs.order_by("-month", "-id"), params.page, PAGE_SIZE)
    return {"total": total, "page": page, "pages": pages, "items": [_visit_out(request.user, v) for v in items]}


@router.get("/followup/member-changes", response=MemberChangePage, summary="家庭成员变动（本辖区，待核实在前）")
def list_member_changes(request, params: Query[MemberChangeParams]):
    qs = members.changes_visible_to(request.user).select_related("household", "member", "proposed_by", "verified_by")
    if params.status:
        if params.status not in MemberChangeStatus.values:
            fail("status", f"状态只能是{'、'.join(MemberChangeStatus.values)}")
        qs = qs.filter(status=params.status)
    if params.household:
        qs = qs.filter(household_id=params.household)
    items, total, page, pages = paginate(qs.order_by("-proposed_at", "-id"), params.page, PAGE_SIZE)
    return {"total": total, "page": page, "pages": pages, "items": [_change_out(request.user, c) for c in items]}


@router.post("/followup/member-changes", response={201: MemberChangeOut}, summary="提出家庭成员变动（待村级核实）")
def propose_member_change(request, payload: MemberChangeIn):
    household = get_household_for(request.user, payload.household_id)
    data = {k: v for k, v in payload.dict().items() if k != "household_id" and v not in (None, "")}
    with using_source("api", request.path):
        change = members.propose(request.user, household, data)
    return Status(201, _change_out(request.user, change))


def _change_for(user, change_id: int) -> MemberChange:
    return get_visible(MemberChange.objects.select_related("household", "member"), user, change_id,
                       not_found="变动记录不存在或不在您的管辖范围内")


@router.post("/followup/member-changes/{change_id}/verify", response=MemberChangeOut,
             summary="核实家庭成员变动并更新户籍成员（村干部、乡镇工作人员）")
def verify_member_change(request, change_id: int, payload: MemberChangeDecisionIn):
    change = _change_for(request.user, change_id)
    with using_source("api", request.path):
        change = members.verify(request.user, change, note=payload.note)
    return _change_out(request.user, MemberChange.objects.select_related("household", "member").get(pk=change.pk))


@router.post("/followup/member-changes/{change_id}/reject", response=MemberChangeOut,
             summary="驳回家庭成员变动（须填写核实意见）")
def reject_member_change(request, change_id: int, payload: MemberChangeDecisionIn):
    change = _change_for(request.user, change_id)
    with using_source("api", request.path):
        change = members.reject(request.user, change, payload.note)
    return _change_out(request.user, MemberChange.objects.select_related("household", "member").get(pk=change.pk))
