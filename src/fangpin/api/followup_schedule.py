"""Follow-up schedule over HTTP: the same scoped lists and service function as the pages (R-TRACK-01,
R-TRACK-04). A month given in a wrong format answers 422 with a Chinese message naming the field."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema

from fangpin.audit.context import using_source
from fangpin.followup import overdue, schedule
from fangpin.followup.views_schedule import decorate_items, schedule_filters, schedule_page
from fangpin.profiles.services import today

router = Router(tags=["跟踪帮扶"])
PAGE_SIZE = 50


class ScheduleParams(Schema):
    month: str = ""
    status: str = ""
    kind: str = ""
    village: str = ""
    mine: str = ""
    page: int = 1


class ScheduleRow(Schema):
    id: int
    household_id: int
    household_number: str
    head_name: str
    division_code: str
    month: dt.date
    kind: str
    kind_label: str
    reason: str
    reason_label: str
    responsible_id: int | None
    responsible_name: str
    visits_required: int
    visits_done: int
    last_visited_on: dt.date | None
    due_on: dt.date
    done_on: dt.date | None
    status: str
    remaining: str
    badges: list[dict]
    visit_url: str


class Counts(Schema):
    key: str | int | None
    name: str
    done: int
    pending: int
    overdue: int


class Summary(Schema):
    people: list[Counts]
    villages: list[Counts]
    townships: list[Counts]


class SchedulePage(Schema):
    month: dt.date
    total: int
    page: int
    pages: int
    items: list[ScheduleRow]
    summary: Summary | None


class GenerateOut(Schema):
    created: int
    updated: int
    removed: int
    total: int
    seconds: float


class OverdueParams(Schema):
    all: bool = False
    kind: str = ""
    page: int = 1


class OverdueItem(Schema):
    kind: str
    label: str
    id: int
    household_id: int
    household_number: str
    head_name: str
    division_code: str
    due_on: dt.date
    days: int
    level: int
    level_label: str
    responsible_id: int | None
    responsible_name: str
    badges: list[dict]


class OverduePerson(Schema):
    responsible_id: int | None
    name: str
    counts: dict[str, int]
    total: int
    oldest: dt.date
    days: int


class OverduePage(Schema):
    total: int
    totals: dict[str, int]
    page: int
    pages: int
    level: int
    items: list[OverdueItem]
    people: list[OverduePerson]


def _row(r) -> dict:
    return {"id": r.pk, "household_id": r.household_id, "household_number": r.household.number,
            "head_name": r.head_name, "division_code": r.division_code, "month": r.month, "kind": r.kind,
            "kind_label": r.get_kind_display(), "reason": r.reason, "reason_label": r.get_reason_display(),
            "responsible_id": r.responsible_id, "responsible_name": r.responsible_name,
            "visits_required": r.visits_required, "visits_done": r.visits_done, "last_visited_on": r.last_visited_on,
            "due_on": r.due_on, "done_on": r.done_on, "status": r.state, "remaining": r.remaining,
            "badges": r.badges, "visit_url": r.visit_url}


@router.get("/followup/schedule", response=SchedulePage, summary="月访视计划（本辖区或本人负责，逾期在前）")
def list_schedule(request, params: Query[ScheduleParams]):
    user, day = request.user, today()
    if params.month:
        schedule.month_start(params.month)  # a wrong month: 422 naming the field
    filters = schedule_filters(user, params.dict(), day)
    data = schedule_page(user, filters, day, params.page, PAGE_SIZE)
    summary = None
    if user.role in schedule.OWN_ROLES:
        summary = None
    else:
        summary = schedule.summary_for(schedule.schedules_for(user, filters["month"], today=day, kind=filters["kind"],
                                                              village=filters["village"]), day)
    return {"month": filters["month"], "total": data["total"], "page": data["page"], "pages": data["pages"],
            "items": [_row(r) for r in data["rows"]], "summary": summary}


@router.post("/followup/schedule/generate", response=GenerateOut, summary="重新生成本县本月访视计划（县级）")
def generate_schedule(request):
    user = request.user
    with using_source("api", request.path):
        return schedule.generate((user.scope_code or "")[:6], today(), actor=user)


@router.get("/followup/overdue", response=OverduePage, summary="逾期事项（按责任人，含升级情况）")
def list_overdue(request, params: Query[OverdueParams]):
    user, day = request.user, today()
    kind = params.kind if params.kind in overdue.KIND_LABELS else ""
    data = overdue.overdue_page(user, day, show_all=params.all, kind=kind, page=params.page, size=PAGE_SIZE)
    data["items"] = decorate_items(user, data["items"])
    return data
