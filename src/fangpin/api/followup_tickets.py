"""Follow-up tickets over HTTP: the same scoped getters and service functions as the pages.

Problem tickets (问题清零台账, R-TRACK-05): list (overdue first), register, one ticket, close with
evidence (JSON; a multipart variant carries a file), reclassify, assign. Dates and ids are taken as text
so that the service answers bad values with the same Chinese messages (naming the field) as the pages.
"""

from __future__ import annotations

import datetime as dt

from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile

from fangpin.audit.context import using_source
from fangpin.followup import tickets
from fangpin.followup.models import Ticket, TicketDifficulty, TicketDimension, TicketStatus
from fangpin.profiles.services import today
from fangpin.registry.queries import paginate
from fangpin.registry.selectors import get_household_for

router = Router(tags=["跟踪帮扶"])

Text = str | int | None
PAGE_SIZE = 50


class TicketOut(Schema):
    id: int
    household_id: int
    household_number: str
    division_code: str
    dimension: str
    dimension_label: str
    description: str
    difficulty: str
    difficulty_label: str
    source: str
    source_label: str
    source_ref: str
    opened_on: dt.date
    due_on: dt.date
    overdue: bool
    remaining: str
    responsible_code: str
    responsible_id: int | None
    responsible_name: str
    status: str
    status_label: str
    closed_on: dt.date | None
    evidence: str
    evidence_file_name: str
    version: int


class TicketPage(Schema):
    total: int
    page: int
    pages: int
    items: list[TicketOut]


class TicketParams(Schema):
    status: str = ""
    dimension: str = ""
    difficulty: str = ""
    overdue: bool = False
    village: str = ""
    page: int = 1


class TicketIn(Schema):
    household_id: int
    dimension: str = ""
    description: str = ""
    difficulty: str = ""
    source: str = ""
    source_ref: str = ""
    opened_on: Text = None


class TicketCloseIn(Schema):
    closed_on: Text = None
    evidence: str = ""
    housing_grade: str = ""
    version: Text = None


class ReclassifyIn(Schema):
    difficulty: str = ""
    reason: str = ""


class TicketAssignIn(Schema):
    responsible_id: Text = None


class TicketResult(Schema):
    message: str
    ticket: TicketOut


def _out(user, t: Ticket, day: dt.date) -> dict:
    t = tickets.decorate([t], day, user)[0]
    return {"id": t.pk, "household_id": t.household_id, "household_number": t.household.number,
            "division_code": t.division_code, "dimension": t.dimension, "dimension_label": t.get_dimension_display(),
            "description": t.description_shown, "difficulty": t.difficulty,
            "difficulty_label": t.get_difficulty_display(), "source": t.source, "source_label": t.get_source_display(),
            "source_ref": t.source_ref, "opened_on": t.opened_on, "due_on": t.due_on, "overdue": t.overdue,
            "remaining": t.remaining, "responsible_code": t.responsible_code, "responsible_id": t.responsible_id,
            "responsible_name": t.responsible_name, "status": t.status, "status_label": t.get_status_display(),
            "closed_on": t.closed_on, "evidence": t.evidence_shown, "evidence_file_name": t.evidence_file_name,
            "version": t.version}


def _result(request, result) -> dict:
    ticket = tickets.get_ticket_for(request.user, result.obj.pk)
    return {"message": result.message, "ticket": _out(request.user, ticket, today())}


@router.get("/followup/tickets", response=TicketPage, summary="问题清零台账（本辖区，逾期在前，再按销号期限）")
def list_tickets(request, params: Query[TicketParams]):
    user, day = request.user, today()
    scope = user.scope_code or ""
    f = {
        "status": params.status if params.status in TicketStatus.values else "",
        "dimension": params.dimension if params.dimension in TicketDimension.values else "",
        "difficulty": params.difficulty if params.difficulty in TicketDifficulty.values else "",
        "overdue": "1" if params.overdue else "",
        "village": params.village if params.village.isdigit() and params.village.startswith(scope) else "",
    }
    qs = tickets.filtered_tickets(user, f, day).select_related("household")
    items, total, page, pages = paginate(qs, params.page, PAGE_SIZE)
    decorated = tickets.decorate(items, day, user)
    return {"total": total, "page": page, "pages": pages, "items": [_out(user, t, day) for t in decorated]}


@router.post("/followup/tickets", response={201: TicketResult}, summary="登记问题（两不愁三保障及饮水安全）")
def create_ticket(request, payload: TicketIn):
    household = get_household_for(request.user, payload.household_id)
    data = payload.dict()
    data.pop("household_id")
    with using_source("api", request.path):
        result = tickets.open_ticket(request.user, household, data)
    return Status(201, _result(request, result))


@router.get("/followup/tickets/{ticket_id}", response=TicketOut, summary="一个问题")
def get_ticket(request, ticket_id: int):
    return _out(request.user, tickets.get_ticket_for(request.user, ticket_id), today())


@router.post("/followup/tickets/{ticket_id}/close", response=TicketResult, summary="问题销号（须提供佐证）")
def close_ticket(request, ticket_id: int, payload: TicketCloseIn):
    ticket = tickets.get_ticket_for(request.user, ticket_id)
    with using_source("api", request.path):
        result = tickets.close_ticket(request.user, ticket, payload.dict())
    return _result(request, result)


@router.post("/followup/tickets/{ticket_id}/close-with-file", response=TicketResult,
             summary="问题销号并上传佐证材料（multipart/form-data）")
def close_ticket_with_file(request, ticket_id: int, file: File[UploadedFile], evidence: Form[str] = "",
                           closed_on: Form[str] = "", housing_grade: Form[str] = "", version: Form[str] = ""):
    ticket = tickets.get_ticket_for(request.user, ticket_id)
    data = {"evidence": evidence, "closed_on": closed_on, "housing_grade": housing_grade, "version": version}
    with using_source("api", request.path):
        result = tickets.close_ticket(request.user, ticket, data, upload=file)
    return _result(request, result)


@router.post("/followup/tickets/{ticket_id}/reclassify", response=TicketResult,
             summary="调整难易程度（乡镇、县级；期限按发现日期重算）")
def reclassify_ticket(request, ticket_id: int, payload: ReclassifyIn):
    ticket = tickets.get_ticket_for(request.user, ticket_id)
    with using_source("api", request.path):
        result = tickets.reclassify(request.user, ticket, payload.difficulty, payload.reason)
    return _result(request, result)


@router.post("/followup/tickets/{ticket_id}/assign", response=TicketResult, summary="指定责任人（乡镇、村）")
def assign_ticket(request, ticket_id: int, payload: TicketAssignIn):
    ticket = tickets.get_ticket_for(request.user, ticket_id)
    with using_source("api", request.path):
        result = tickets.assign(request.user, ticket, payload.responsible_id)
    return _result(request, result)
