"""Follow-up analysis over HTTP: the same scoped getters and service functions as the pages.

The income series and the risk colour of a household, the analysis material of a village or township
(R-TRACK-03), and the meetings' records. Outside the user's area: 404; wrong role: 403; bad input: 400
with Chinese messages naming the field (the service's own)."""

from __future__ import annotations

import datetime as dt

from ninja import Router, Schema, Status

from fangpin.accounts.masking import mask_text
from fangpin.audit.context import using_source
from fangpin.followup import analysis
from fangpin.followup.colour import colours_for
from fangpin.followup.models import Meeting, MeetingKind
from fangpin.profiles.services import today
from fangpin.registry.queries import paginate
from fangpin.registry.selectors import get_household_for

router = Router(tags=["跟踪帮扶"])

Text = str | int | None
PAGE_SIZE = 50


class SeriesAnnualOut(Schema):
    year: int
    per_capita: float | None
    net: float | None
    line: float | None
    purpose: str


class IncomeSeriesOut(Schema):
    household_id: int
    months: list[str]
    per_capita: list[float | None]
    net: list[float | None]
    line: list[float | None]
    annual: list[SeriesAnnualOut]


class RiskColourOut(Schema):
    household_id: int
    colour: str
    label: str
    reasons: list[str]


class MaterialMeasureOut(Schema):
    category: str
    content: str
    status: str


class MaterialVisitOut(Schema):
    visited_on: dt.date
    mode: str
    visitor: str
    findings: str


class MaterialTicketOut(Schema):
    dimension: str
    due_on: dt.date
    overdue: bool


class MaterialOverdueOut(Schema):
    kind: str
    label: str
    due_on: dt.date
    days: int
    level: int


class MaterialRowOut(Schema):
    household_id: int
    number: str
    village: str
    head_name: str
    category: str
    monitoring_status: str
    colour: str
    colour_reasons: list[str]
    risks: list[str]
    measures: list[MaterialMeasureOut]
    latest_visit: MaterialVisitOut | None
    income_months: list[str]
    income: list[float | None]
    income_line: list[float | None]
    tickets: list[MaterialTicketOut]
    overdue: list[MaterialOverdueOut]


class MaterialOut(Schema):
    division_code: str
    division_name: str
    kind: str
    households: int
    items: list[MaterialRowOut]


class MeetingIn(Schema):
    division: str
    held_on: Text = None
    attendees: str = ""
    conclusions: str = ""
    period_start: Text = None
    period_end: Text = None
    household_notes: dict[str, str] = {}


class MeetingOut(Schema):
    id: int
    kind: str
    kind_label: str
    division_code: str
    division_name: str
    held_on: dt.date
    period_start: dt.date
    period_end: dt.date
    attendees: str
    conclusions: str
    households: int
    household_notes: dict[str, str]
    recorded_by: str


class MeetingPage(Schema):
    total: int
    page: int
    pages: int
    items: list[MeetingOut]


def _meeting_out(user, m: Meeting) -> dict:
    return {"id": m.pk, "kind": m.kind, "kind_label": m.get_kind_display(), "division_code": m.division_code,
            "division_name": m.division.name, "held_on": m.held_on, "period_start": m.period_start,
            "period_end": m.period_end, "attendees": m.attendees, "conclusions": mask_text(user, m.conclusions),
            "households": m.households,
            "household_notes": {k: mask_text(user, v) for k, v in (m.household_notes or {}).items()},
            "recorded_by": str(m.recorded_by) if m.recorded_by else ""}


@router.get("/followup/households/{household_id}/income-series", response=IncomeSeriesOut,
            summary="农户近12个月收入序列（月度与年度，附监测线）")
def household_income_series(request, household_id: int, months: int = 12):
    household = get_household_for(request.user, household_id)
    months = min(max(int(months), 1), 36)
    series = analysis.income_series([household.pk], end_month=today(), months=months)[household.pk]
    return {"household_id": household.pk, **{k: series[k] for k in ("months", "per_capita", "net", "line", "annual")}}


@router.get("/followup/households/{household_id}/colour", response=RiskColourOut, summary="农户风险码（红黄绿）及原因")
def household_colour(request, household_id: int):
    household = get_household_for(request.user, household_id)
    c = colours_for([household.pk], today())[household.pk]
    return {"household_id": household.pk, **c}


@router.get("/followup/analysis", response=MaterialOut, summary="村级分析研判/乡镇调度材料（未解决农户）")
def analysis_material(request, division: str):
    place = analysis.get_division_for(request.user, division)
    rows = analysis.material(request.user, place, today=today())
    kind = MeetingKind.VILLAGE_ANALYSIS if len(place.code) == 12 else MeetingKind.TOWNSHIP_DISPATCH
    items = [{
        "household_id": r["id"], "number": r["number"], "village": r["village"], "head_name": r["head_name"],
        "category": r["category"], "monitoring_status": r["monitoring_status"],
        "colour": r["colour"]["colour"] if r["colour"] else "", "colour_reasons": r["colour"]["reasons"] if r["colour"] else [],
        "risks": r["risks"], "measures": r["measures"], "latest_visit": r["latest_visit"],
        "income_months": r["income_months"], "income": r["income"], "income_line": r["income_line"],
        "tickets": r["tickets"], "overdue": r["overdue"],
    } for r in rows]
    return {"division_code": place.code, "division_name": place.name, "kind": kind, "households": len(items),
            "items": items}


@router.post("/followup/meetings", response={201: MeetingOut}, summary="记录村级分析研判或乡镇月度调度会议")
def create_meeting(request, payload: MeetingIn):
    data = payload.dict()
    place = analysis.get_division_for(request.user, data.pop("division"))
    kind = MeetingKind.VILLAGE_ANALYSIS if len(place.code) == 12 else MeetingKind.TOWNSHIP_DISPATCH
    with using_source("api", request.path):
        meeting = analysis.record_meeting(request.user, place, kind, data)
    return Status(201, _meeting_out(request.user, meeting))


@router.get("/followup/meetings", response=MeetingPage, summary="会议记录（本辖区，最新在前）")
def list_meetings(request, page: int = 1, kind: str = "", division: str = ""):
    qs = analysis.meetings_visible_to(request.user)
    if kind in MeetingKind.values:
        qs = qs.filter(kind=kind)
    if division.isdigit():
        qs = qs.filter(division_code__startswith=division)
    items, total, page, pages = paginate(qs, page, PAGE_SIZE)
    return {"total": total, "page": page, "pages": pages, "items": [_meeting_out(request.user, m) for m in items]}
