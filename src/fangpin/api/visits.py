"""Visits, must-visit lists, sweeps and department screenings over HTTP (R-DISC-05 … R-DISC-07): the
same scoped getters and service functions as the pages. Dates and counts are taken as text so that the
service answers bad values with the same Chinese messages (naming the field) as the pages do."""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from ninja import Query, Router, Schema, Status

from fangpin.accounts.masking import mask_text
from fangpin.accounts.scoping import in_scope
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division
from fangpin.audit.context import using_source
from fangpin.followup import selectors, services
from fangpin.followup.models import Visit
from fangpin.profiles.services import today
from fangpin.registry.queries import paginate
from fangpin.registry.selectors import get_household_for

router = Router(tags=["走访与排查"])

Text = str | int | None
PAGE_SIZE = 50


class VisitOut(Schema):
    id: int
    household_id: int
    household_number: str
    visited_on: dt.date
    mode: str
    mode_label: str
    purpose: str
    purpose_label: str
    sweep_id: int | None
    visitor_name: str
    companion_name: str
    risk_found: bool
    risk_types: list[str]
    findings: str
    lead_reference: str


class VisitPage(Schema):
    total: int
    page: int
    pages: int
    items: list[VisitOut]


class VisitIn(Schema):
    household_id: int
    visited_on: Text = None
    mode: str = ""
    purpose: str = "routine"
    companion_name: str = ""
    risk_found: bool = False
    risk_types: list[str] = []
    findings: str = ""
    raise_lead: bool = False


class VisitCreated(Schema):
    message: str
    visit: VisitOut


class ReasonOut(Schema):
    list: str
    list_name: str
    code: str
    name: str
    details: list[str]


class MustVisitOut(Schema):
    household_id: int
    household_number: str
    head_name: str
    division_code: str
    lists: list[str]
    reasons: list[ReasonOut]
    last_visited_on: dt.date | None
    due_on: dt.date | None
    overdue: bool


class MustVisitPage(Schema):
    total: int
    page: int
    pages: int
    overdue_total: int | None
    items: list[MustVisitOut]


class MustVisitParams(Schema):
    list: str = ""
    division: str = ""
    overdue: bool = False
    page: int = 1


class CoverageRow(Schema):
    code: str
    name: str
    households: int
    visited: int
    missing: int
    risk_found: int
    percent: str


class CoverageOut(Schema):
    sweep_id: int
    name: str
    status: str
    starts_on: dt.date
    ends_on: dt.date
    households: int
    visited: int
    missing: int
    percent: str
    rows: list[CoverageRow]


class ScreeningIn(Schema):
    county_code: str
    department: str = ""
    year: Text = None
    quarter: Text = None
    scope: str = ""
    households_screened: Text = None
    findings_count: Text = None
    note: str = ""


class ScreeningOut(Schema):
    id: int
    department: str
    year: int
    quarter: int
    scope: str
    households_screened: int
    findings_count: int
    note: str


class ScreeningQuarter(Schema):
    year: int
    quarter: int
    reported: list[ScreeningOut]
    not_reported: list[str]


def _visit_out(user, v: Visit) -> dict:
    return {"id": v.pk, "household_id": v.household_id, "household_number": v.household.number,
            "visited_on": v.visited_on, "mode": v.mode, "mode_label": v.get_mode_display(), "purpose": v.purpose,
            "purpose_label": v.get_purpose_display(), "sweep_id": v.sweep_id, "visitor_name": v.visitor_name,
            "companion_name": v.companion_name, "risk_found": v.risk_found, "risk_types": v.risk_types,
            "findings": mask_text(user, v.findings), "lead_reference": v.lead_reference}


@router.get("/visits", response=VisitPage, summary="走访记录（本辖区，最新在前）")
def list_visits(request, page: int = 1, division: str = "", risk_found: bool = False):
    qs = selectors.visits_visible_to(request.user).select_related("household")
    if division:
        qs = qs.filter(prefix_q("household__division_code", division))
    if risk_found:
        qs = qs.filter(risk_found=True)
    items, total, page, pages = paginate(qs.order_by("-visited_on", "-id"), page, PAGE_SIZE)
    return {"total": total, "page": page, "pages": pages, "items": [_visit_out(request.user, v) for v in items]}


@router.post("/visits", response={201: VisitCreated}, summary="录入走访")
def create_visit(request, payload: VisitIn):
    household = get_household_for(request.user, payload.household_id)
    data = payload.dict()
    data.pop("household_id")
    raise_lead = data.pop("raise_lead")
    data["risk_found"] = "1" if data["risk_found"] else "0"
    with using_source("api", request.path):
        result = services.record_visit(request.user, household, data, raise_lead=raise_lead)
    return Status(201, {"message": result.message, "visit": _visit_out(request.user, result.obj)})


@router.get("/visits/{visit_id}", response=VisitOut, summary="一条走访记录")
def get_visit(request, visit_id: int):
    return _visit_out(request.user, selectors.get_visit_for(request.user, visit_id))


@router.get("/must-visits", response=MustVisitPage, summary="必访名单（逾期在前，附列入原因与最近走访）")
def list_must_visits(request, params: Query[MustVisitParams]):
    user, day = request.user, today()
    cutoff = selectors.overdue_cutoff(user, day)
    division = params.division if params.division.isdigit() else ""
    qs = selectors.must_visits_for(user, list_code=params.list, division=division,
                                   overdue_before=cutoff if params.overdue and cutoff else None)
    items, total, page, pages = selectors.page_of_entries(qs, params.page, PAGE_SIZE)
    entries = selectors.decorate_entries(items, day)
    overdue_total = None
    if cutoff:
        overdue_total = total if params.overdue else selectors.must_visits_for(
            user, list_code=params.list, division=division, overdue_before=cutoff).count()
    return {"total": total, "page": page, "pages": pages, "overdue_total": overdue_total, "items": [
        {"household_id": e.household_id, "household_number": e.household.number, "head_name": e.head_name,
         "division_code": e.division_code, "lists": [c for c in e.list_codes.split(",") if c], "reasons": e.reasons,
         "last_visited_on": e.last_visited_on, "due_on": e.due_on, "overdue": e.overdue} for e in entries]}


@router.get("/sweeps/{sweep_id}/coverage", response=CoverageOut, summary="拉网式排查覆盖情况（按下一级区划）")
def sweep_coverage(request, sweep_id: int, division: str = ""):
    user = request.user
    sweep = selectors.get_sweep_for(user, sweep_id)
    scope = user.scope_code or sweep.division_code
    scope = scope if len(scope) >= 6 else sweep.division_code
    parent = division if division.isdigit() and division.startswith(scope) else scope
    cover = selectors.coverage(sweep, user, parent)
    return {"sweep_id": sweep.pk, "name": sweep.name, "status": sweep.status, "starts_on": sweep.starts_on,
            "ends_on": sweep.ends_on, "households": cover["total"], "visited": cover["visited"],
            "missing": cover["missing"], "percent": cover["percent"],
            "rows": [{"code": r["child"], "name": r["name"], "households": r["total"], "visited": r["visited"],
                      "missing": r["missing"], "risk_found": r["risk"], "percent": r["percent"]} for r in cover["rows"]]}


def _screening_out(user, r) -> dict:
    return {"id": r.pk, "department": r.department, "year": r.year, "quarter": r.quarter, "scope": r.scope,
            "households_screened": r.households_screened, "findings_count": r.findings_count,
            "note": mask_text(user, r.note)}


@router.get("/screenings", response=ScreeningQuarter, summary="行业部门季度排查：已报送与未报送的部门")
def list_screenings(request, year: int | None = None, quarter: int | None = None):
    user = request.user
    y, q = selectors.current_quarter(today())
    year, quarter = year or y, quarter if quarter in (1, 2, 3, 4) else q
    code = user.scope_code or ""
    rows = selectors.screenings_visible_to(user).filter(year=year, quarter=quarter)
    missing = selectors.not_reported(code[:6], year, quarter) if len(code) >= 6 else []
    return {"year": year, "quarter": quarter, "reported": [_screening_out(user, r) for r in rows],
            "not_reported": missing}


@router.post("/screenings", response={201: ScreeningOut}, summary="报送行业部门季度排查（不含附件）")
def create_screening(request, payload: ScreeningIn):
    user = request.user
    county = Division.objects.filter(code=payload.county_code).first()
    if county is None or not in_scope(user, county.code):
        raise Http404()  # a county outside the user's area answers like one that does not exist
    data = payload.dict()
    data.pop("county_code")
    with using_source("api", request.path):
        result = services.submit_screening(user, county, data)
    return Status(201, _screening_out(user, result.obj))
