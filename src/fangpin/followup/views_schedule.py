"""Pages for the monthly visit schedule and the overdue lists (R-TRACK-01, R-TRACK-04).

Phone first: a contact opens "月访视计划" and sees their own households of the month, overdue first, each
one tap from the monthly visit form; township and county users see the counts per contact, village and
township on top. "逾期事项" lists every overdue visit, plan, entry, measure and ticket per responsible
person with how far it has escalated. Reads go through ``schedule`` / ``overdue`` (scoped); the one
write (the county regenerating its month) calls ``schedule.generate``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import divisions_visible_to
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Level
from fangpin.profiles.services import today
from fangpin.validation import scrub
from fangpin.web import web_source

from . import overdue, schedule
from .models import ScheduleKind, VisitSchedule

SUMMARY_ROLES = (Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE, Role.VILLAGE_CADRE, Role.SUPERVISOR, Role.ADMINISTRATOR)


def _page(raw) -> int:
    try:
        return max(1, int(raw or 1))
    except (TypeError, ValueError):
        return 1


def _village_param(user, raw: str) -> str:
    code = scrub(raw or "").strip()
    scope = user.scope_code or ""
    return code if code.isdigit() and len(code) >= 9 and code.startswith(scope) else ""


def schedule_filters(user, params: dict, day) -> dict:
    """The list's filters from request parameters (bad values fall back to the defaults, never an error)."""
    try:
        month = schedule.month_start(params.get("month") or day)
    except ValidationError:
        month = day.replace(day=1)
    status = params.get("status", "")
    if status not in schedule.STATUS_CHOICES:
        status = ""
    kind = params.get("kind", "")
    if kind not in ScheduleKind.values:
        kind = ""
    mine_raw = params.get("mine", "")
    mine = schedule.default_mine(user) if mine_raw == "" else mine_raw in ("1", "true", "True", "on")
    return {"month": month, "status": status, "kind": kind, "village": _village_param(user, params.get("village")),
            "mine": mine}


def schedule_page(user, filters: dict, day, page: int, size: int) -> dict:
    qs = schedule.schedules_for(user, filters["month"], today=day, status=filters["status"], kind=filters["kind"],
                                village=filters["village"], mine=filters["mine"])
    total = qs.count()
    pages = max(1, (total + size - 1) // size)
    page = min(max(1, page), pages)
    rows = list(qs.select_related("household")[(page - 1) * size: page * size])
    return {"rows": schedule.decorate(user, rows, day), "total": total, "page": page, "pages": pages, "qs": qs}


@login_required
def schedule_list(request):
    user, day = request.user, today()
    params = scrub(request.GET.dict())
    filters = schedule_filters(user, params, day)
    data = schedule_page(user, filters, day, _page(params.get("page")), settings.FANGPIN_PAGE_SIZE)
    summary = None
    if user.role in SUMMARY_ROLES:
        base = schedule.schedules_for(user, filters["month"], today=day, kind=filters["kind"],
                                      village=filters["village"])
        summary = schedule.summary_for(base, day)
    villages = list(divisions_visible_to(user).filter(level=Level.VILLAGE).order_by("code")
                    .values_list("code", "name")[:500])
    query = {k: v for k, v in {"month": f"{filters['month']:%Y-%m}", "status": filters["status"],
                               "kind": filters["kind"], "village": filters["village"],
                               "mine": "1" if filters["mine"] else "0"}.items() if v}
    code = user.scope_code or ""
    return render(request, "followup/schedule/list.html", {
        **data, "filters": filters, "summary": summary, "villages": villages, "query": query,
        "statuses": schedule.STATUS_CHOICES, "kinds": ScheduleKind.choices, "today": day,
        "can_generate": user.role in schedule.GENERATE_ROLES and len(code) == 6,
        "month_label": f"{filters['month']:%Y年%m月}",
        "generated": VisitSchedule.objects.filter(prefix_q("division_code", code[:6]), month=filters["month"])
        .exists() if len(code) >= 6 else True,
    })


@login_required
@require_POST
def schedule_generate(request):
    user = request.user
    code = (user.scope_code or "")[:6]
    with web_source(request):
        counts = schedule.generate(code, today(), actor=user)
    messages.success(request, f"已生成本月访视计划：新增{counts['created']}条，更新{counts['updated']}条，"
                              f"移除{counts['removed']}条，共{counts['total']}条（用时{counts['seconds']}秒）")
    return redirect("followup:schedule_list")


@login_required
def overdue_list(request):
    user, day = request.user, today()
    params = scrub(request.GET.dict())
    show_all = params.get("all") in ("1", "true", "on")
    kind = params.get("kind", "")
    if kind not in overdue.KIND_LABELS:
        kind = ""
    data = overdue.overdue_page(user, day, show_all=show_all, kind=kind, page=_page(params.get("page")),
                                size=settings.FANGPIN_PAGE_SIZE)
    items = decorate_items(user, data["items"])
    query = {k: v for k, v in {"all": "1" if show_all else "", "kind": kind}.items() if v}
    esc = overdue.escalation_for(user)
    return render(request, "followup/schedule/overdue.html", {
        **data, "items": items, "query": query, "kind": kind, "show_all": show_all, "kinds": overdue.KIND_LABELS,
        "county_view": user.role in overdue.COUNTY_ROLES, "own_view": user.role in overdue.OWN_ROLES,
        "escalation": esc, "today": day,
    })


def decorate_items(user, items: list[dict]) -> list[dict]:
    """Household number, head and badges for a page of overdue items (a few queries per page)."""
    from fangpin.registry.models import Household
    from fangpin.registry.panels import badges_for
    from fangpin.registry.queries import heads_for

    ids = {i["household_id"] for i in items}
    households = {h.pk: h for h in Household.objects.filter(pk__in=ids).only("id", "number", "division_code")}
    heads = heads_for(households.values())
    badges = badges_for(user, list(ids))
    for i in items:
        h = households.get(i["household_id"])
        head = heads.get(i["household_id"])
        i["household_number"] = h.number if h else ""
        i["head_name"] = head.name if head else "（无户主）"
        i["badges"] = badges.get(i["household_id"], [])
        i["action_url"] = (schedule.monthly_visit_url(i["household_id"])
                           if i["kind"] == "visit" and i["responsible_id"] == user.pk else "")
    return items
