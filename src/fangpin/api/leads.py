"""Leads over HTTP (R-DISC-01, R-DISC-03, R-DISC-04): the same scoped getters and service functions as
the pages, personal data masked by role the same way.

Dates are taken as text so that the service answers bad values with the same Chinese messages
(naming the field) as the pages do.
"""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status

from fangpin.accounts.masking import mask_text, show_id_number, show_phone
from fangpin.audit.context import using_source
from fangpin.discovery import selectors, services
from fangpin.discovery.models import Channel, Lead, LeadState
from fangpin.profiles.services import today
from fangpin.registry.selectors import get_household_for

router = Router(tags=["线索"])

Text = str | int | None


class LeadReportOut(Schema):
    reference: str
    channel: str
    channel_label: str
    source_detail: str
    reporter_name: str
    risk_types: list[str]
    description: str
    discovered_on: dt.date
    reported_on: dt.date
    merged: bool


class LeadOut(Schema):
    id: int
    reference: str
    channel: str
    channel_label: str
    source_detail: str
    division_code: str
    household_id: int | None
    household_number: str
    person_name: str
    person_id_number: str
    person_phone: str
    risk_types: list[str]
    description: str
    discovered_on: dt.date
    raised_on: dt.date
    state: str
    state_label: str
    current_due_on: dt.date | None
    due_warnings: list[str]
    overdue: bool
    assignee: str
    verifiers: list[dict]
    visited_on: dt.date | None
    findings: str
    outcome: str
    close_reason: str
    closed_on: dt.date | None
    case_id: int | None
    case_reference: str
    serious_kind: str
    serious_report_due_on: dt.date | None
    serious_reported_on: dt.date | None
    version: int


class LeadDetailOut(LeadOut):
    reports: list[LeadReportOut]


class LeadPage(Schema):
    total: int
    page: int
    pages: int
    items: list[LeadOut]


class LeadActionOut(Schema):
    message: str
    merged: bool = False
    report_reference: str = ""
    lead: LeadOut


class LeadListParams(Schema):
    channel: str = ""
    state: str = ""
    overdue: bool = False
    village: str = ""
    page: int = 1


class RaiseIn(Schema):
    channel: str
    household_id: int | None = None
    division_code: str = ""
    id_number: str = ""
    person_name: str = ""
    person_phone: str = ""
    address: str = ""
    risk_types: list[str] = []
    description: str = ""
    source_detail: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    discovered_on: Text = None
    assignee_id: int | None = None


class DispatchIn(Schema):
    version: int | None = None
    assignee_id: int | None = None
    note: str = ""


class Verifier(Schema):
    name: str
    unit: str = ""


class VerifyIn(Schema):
    version: int | None = None
    verifiers: list[Verifier] = []
    visited_on: Text = None
    findings: str = ""
    outcome: str = ""
    reason: str = ""
    id_number: str = ""


class CloseIn(Schema):
    version: int | None = None
    note: str = ""


class SeriousIn(Schema):
    version: int | None = None
    kind: str = ""
    note: str = ""
    departments: str = ""


class SeriousReportIn(Schema):
    version: int | None = None
    report: str = ""


class PendingOut(Schema):
    title: str
    url: str
    due: dt.date | None
    overdue: bool
    remaining: str


class OverdueRowOut(Schema):
    division: str
    code: str
    person: str
    total: int
    dispatch: int
    verify: int
    report: int
    serious: int


class ChannelFlowOut(Schema):
    code: str
    label: str
    total: int
    reports: int
    by_state: dict[str, int]


class TownshipFlowOut(Schema):
    code: str
    name: str
    total: int
    open: int
    overdue_verify: int
    overdue: int
    cases: int
    closed: int


class FlowOut(Schema):
    total: int
    overdue_verify: int
    overdue: int
    by_channel: list[ChannelFlowOut]
    townships: list[TownshipFlowOut]


def _out(user, lead: Lead, day: dt.date | None = None) -> dict:
    day = day or today()
    return {
        **{f: getattr(lead, f) for f in (
            "id", "reference", "channel", "division_code", "household_id", "risk_types", "discovered_on", "raised_on",
            "state", "current_due_on", "due_warnings", "visited_on", "outcome", "closed_on", "case_id",
            "serious_kind", "serious_report_due_on", "serious_reported_on", "version")},
        "channel_label": lead.get_channel_display(), "state_label": lead.get_state_display(),
        "source_detail": mask_text(user, lead.source_detail),
        "household_number": lead.household.number if lead.household_id else "",
        "person_name": lead.person_name, "person_id_number": show_id_number(user, lead.person_id_number),
        "person_phone": show_phone(user, lead.person_phone), "description": mask_text(user, lead.description),
        "findings": mask_text(user, lead.findings), "close_reason": mask_text(user, lead.close_reason),
        "verifiers": lead.verifiers, "assignee": str(lead.assignee) if lead.assignee_id else "",
        "case_reference": lead.case.reference if lead.case_id else "",
        "overdue": bool(lead.current_due_on and lead.current_due_on < day),
    }


def _detail(user, lead: Lead) -> dict:
    reports = [{
        **{f: getattr(r, f) for f in ("reference", "channel", "risk_types", "discovered_on", "reported_on", "merged")},
        "channel_label": r.get_channel_display(), "source_detail": mask_text(user, r.source_detail),
        "reporter_name": mask_text(user, r.reporter_name), "description": mask_text(user, r.description),
    } for r in lead.reports.order_by("id")]
    return {**_out(user, lead), "reports": reports}


def _write(request):
    return using_source("api", request.path)


def _action(request, result) -> dict:
    lead = Lead.objects.select_related("household", "case", "assignee").get(pk=result.lead.pk)
    return {"message": mask_text(request.user, result.message), "merged": result.merged,
            "report_reference": result.report.reference if result.report else "", "lead": _out(request.user, lead)}


@router.get("/leads", response=LeadPage, summary="线索列表（按来源渠道、状态、逾期、村筛选）")
def list_leads(request, params: Query[LeadListParams]):
    from django.conf import settings

    user, day = request.user, today()
    qs = selectors.leads_visible_to(user).select_related("household", "case", "assignee")
    if params.channel in Channel.values:
        qs = qs.filter(channel=params.channel)
    if params.state in LeadState.values:
        qs = qs.filter(state=params.state)
    if params.overdue:
        qs = qs.filter(selectors.overdue_q(day))
    if params.village.isdigit():
        qs = qs.filter(division_code__prefix=params.village)
    total = qs.count()
    size = settings.FANGPIN_PAGE_SIZE
    pages = max(1, (total + size - 1) // size)
    page = min(max(1, params.page), pages)
    items = [_out(user, lead, day) for lead in qs.order_by("-raised_on", "-id")[(page - 1) * size: page * size]]
    return {"total": total, "page": page, "pages": pages, "items": items}


@router.get("/leads/pending", response=list[PendingOut], summary="我的线索待办（转交、核实、销号、严重风险告知）")
def my_pending(request):
    return selectors.pending_for(request.user, today())


@router.get("/leads/overdue", response=list[OverdueRowOut], summary="逾期线索（按责任单位和责任人）")
def overdue(request):
    rows = selectors.overdue_by_responsible(request.user, today())
    return [{k: r[k] for k in ("division", "code", "person", "total", "dispatch", "verify", "report", "serious")}
            for r in rows]


@router.get("/leads/flows", response=FlowOut, summary="线索来源与流转（按渠道、状态、乡镇统计）")
def lead_flows(request, since: dt.date | None = None):
    data = selectors.flows(request.user, today(), since)
    states = [s for s, _ in data["states"]]
    return {
        "total": data["total"], "overdue_verify": data["overdue_verify"], "overdue": data["overdue"],
        "by_channel": [{"code": r["code"], "label": r["label"], "total": r["total"], "reports": r["reports"],
                        "by_state": dict(zip(states, r["counts"], strict=True))} for r in data["by_channel"]],
        "townships": [{"code": t["unit"], **{k: t[k] for k in ("name", "total", "open", "overdue_verify", "overdue",
                                                               "cases", "closed")}} for t in data["townships"]],
    }


@router.post("/leads", response={201: LeadActionOut}, summary="登记线索（同一农户已有待核实线索的合并为补充反映）")
def raise_lead(request, payload: RaiseIn):
    household = get_household_for(request.user, payload.household_id) if payload.household_id else None
    with _write(request):
        result = services.raise_lead(
            request.user, channel=payload.channel, household=household, division_code=payload.division_code,
            id_number=payload.id_number, person_name=payload.person_name, person_phone=payload.person_phone,
            address=payload.address, risk_types=payload.risk_types, description=payload.description,
            source_detail=payload.source_detail, reporter_name=payload.reporter_name,
            reporter_phone=payload.reporter_phone, discovered_on=payload.discovered_on, assignee=payload.assignee_id)
    return Status(201, _action(request, result))


@router.get("/leads/{lead_id}", response=LeadDetailOut, summary="线索详情与各次反映")
def get_lead(request, lead_id: int):
    return _detail(request.user, selectors.get_lead_for(request.user, lead_id))


@router.post("/leads/{lead_id}/dispatch", response=LeadActionOut, summary="县级转交乡镇")
def dispatch(request, lead_id: int, payload: DispatchIn):
    lead = selectors.get_lead_for(request.user, lead_id)
    with _write(request):
        result = services.dispatch_lead(request.user, lead, assignee=payload.assignee_id, note=payload.note,
                                        expected_version=payload.version)
    return _action(request, result)


@router.post("/leads/{lead_id}/verify", response=LeadActionOut, summary="两人同行入户核实（启动识别程序或核实不符合）")
def verify(request, lead_id: int, payload: VerifyIn):
    lead = selectors.get_lead_for(request.user, lead_id)
    with _write(request):
        result = services.verify_lead(
            request.user, lead, verifiers=[v.dict() for v in payload.verifiers], visited_on=payload.visited_on,
            findings=payload.findings, outcome=payload.outcome, reason=payload.reason, id_number=payload.id_number,
            expected_version=payload.version)
    return _action(request, result)


@router.post("/leads/{lead_id}/close", response=LeadActionOut, summary="核实不符合的线索报县销号")
def close(request, lead_id: int, payload: CloseIn):
    lead = selectors.get_lead_for(request.user, lead_id)
    with _write(request):
        result = services.close_lead(request.user, lead, note=payload.note, expected_version=payload.version)
    return _action(request, result)


@router.post("/leads/{lead_id}/serious", response=LeadActionOut, summary="标记严重个体性或规模性风险（会同县级部门调查）")
def serious(request, lead_id: int, payload: SeriousIn):
    lead = selectors.get_lead_for(request.user, lead_id)
    with _write(request):
        result = services.flag_serious(request.user, lead, kind=payload.kind, note=payload.note,
                                       departments=payload.departments, expected_version=payload.version)
    return _action(request, result)


@router.post("/leads/{lead_id}/serious-report", response=LeadActionOut, summary="严重风险调查情况告知县级")
def serious_report(request, lead_id: int, payload: SeriousReportIn):
    lead = selectors.get_lead_for(request.user, lead_id)
    with _write(request):
        result = services.report_serious(request.user, lead, report=payload.report, expected_version=payload.version)
    return _action(request, result)
