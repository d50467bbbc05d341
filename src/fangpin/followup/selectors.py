"""Visits, must-visit lists, sweeps and screenings as a user may see them (R-SEC-01).

Built on the one door, ``fangpin.accounts.scoping``: lists through ``scope_filter``, one row by id
only among the rows of the user's area (404 otherwise, never 403). Visits and list entries belong to
a household's place; sweeps and department screenings belong to a whole county and are seen by
everyone working in it (a township tracks its part of the county's sweep and reads the screenings
reported to it).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.http import Http404
from django.urls import reverse

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import scope_filter
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import CODE_LENGTH, Division, Level
from fangpin.policy.mustvisit import quarter_of, screening_departments
from fangpin.profiles.services import profile_for_county
from fangpin.registry.selectors import households_visible_to

from .models import DepartmentScreening, MustVisitEntry, Sweep, SweepStatus, Visit

NOT_FOUND = "对象不存在或不在您的管辖范围内"


# --- visits -----------------------------------------------------------------------------------------


def visits_visible_to(user):
    return scope_filter(Visit.objects.all(), user, "household__division_code")


def get_visit_for(user, pk) -> Visit:
    try:
        return visits_visible_to(user).select_related("household", "sweep").get(pk=pk)
    except (ValueError, TypeError, Visit.DoesNotExist):
        raise Http404("走访记录不存在或不在您的管辖范围内")


# --- must-visit lists ---------------------------------------------------------------------------------


def interval_days(code: str) -> int:
    return int(profile_for_county(code[:6]).param("grid.visit_interval_days"))


def must_visits_for(user, *, list_code: str = "", division: str = "", criterion: str = "", overdue_before=None):
    """Entries in the user's area, never-visited and longest-unvisited first (R-DISC-05)."""
    qs = scope_filter(MustVisitEntry.objects.all(), user)
    if division:
        qs = qs.filter(prefix_q("division_code", division))
    if list_code:
        qs = qs.filter(list_codes__contains=f",{list_code},")
    if criterion:
        qs = qs.filter(criteria_codes__contains=f",{criterion},")
    if overdue_before is not None:
        qs = qs.filter(Q(last_visited_on__isnull=True) | Q(last_visited_on__lt=overdue_before))
    return qs.order_by(F("last_visited_on").asc(nulls_first=True), "division_code", "household_id")


def page_of_entries(qs, page: int, size: int):
    """One page of a must-visit list: the order is taken from the narrow index (household ids only), then
    the page's entries are read with their households. Returns (entries, total, page, pages)."""
    total = qs.count()
    pages = max(1, (total + size - 1) // size)
    page = min(max(1, page), pages)
    ids = list(qs.values_list("household_id", flat=True)[(page - 1) * size: page * size])
    rows = {e.household_id: e for e in MustVisitEntry.objects.filter(household_id__in=ids).select_related("household")}
    return [rows[i] for i in ids if i in rows], total, page, pages


def overdue_cutoff(user, today: dt.date) -> dt.date | None:
    """Entries last visited before this day are overdue (the user's county interval)."""
    code = user.scope_code or ""
    if len(code) < 6:
        return None
    return today - dt.timedelta(days=interval_days(code))


def decorate_entries(entries, today: dt.date) -> list:
    """Due date, days overdue/left and the household's head for a page of entries."""
    from fangpin.registry.queries import heads_for

    entries = list(entries)
    households = [e.household for e in entries]
    heads = heads_for(households)
    intervals: dict[str, int] = {}
    for e in entries:
        county = e.division_code[:6]
        if county not in intervals:
            intervals[county] = interval_days(county)
        head = heads.get(e.household_id)
        e.head_name = head.name if head else "（无户主）"
        if e.last_visited_on is None:
            e.due_on, e.overdue, e.remaining = None, True, "从未走访"
        else:
            e.due_on = e.last_visited_on + dt.timedelta(days=intervals[county])
            days = (e.due_on - today).days
            e.overdue = days < 0
            e.remaining = f"逾期{-days}天" if days < 0 else ("今天到期" if days == 0 else f"还有{days}天")
    return entries


# --- county-wide rows: sweeps and screenings ---------------------------------------------------------------


def county_rows_visible_to(qs, user):
    """Rows that belong to a whole county (``division_code`` = the county's 6 digits)."""
    code = user.scope_code if user is not None and user.is_authenticated else None
    if code is None:
        return qs.none()
    if len(code) >= 6:
        return qs.filter(division_code=code[:6])
    return qs.filter(prefix_q("division_code", code)) if code else qs


def sweeps_visible_to(user):
    return county_rows_visible_to(Sweep.objects.all(), user)


def get_sweep_for(user, pk) -> Sweep:
    try:
        return sweeps_visible_to(user).select_related("county").get(pk=pk)
    except (ValueError, TypeError, Sweep.DoesNotExist):
        raise Http404("拉网式排查不存在或不在您的管辖范围内")


def screenings_visible_to(user):
    return county_rows_visible_to(DepartmentScreening.objects.all(), user)


def get_screening_for(user, pk) -> DepartmentScreening:
    try:
        return screenings_visible_to(user).get(pk=pk)
    except (ValueError, TypeError, DepartmentScreening.DoesNotExist):
        raise Http404("排查报送不存在或不在您的管辖范围内")


# --- sweep coverage (R-DISC-06) -----------------------------------------------------------------------


def _child_length(parent_code: str) -> int:
    """Households are counted per child division: townships of a county, villages of a township, grids
    of a village or group (a household without a grid counts under its own place)."""
    n = len(parent_code)
    if n <= CODE_LENGTH[Level.COUNTY]:
        return CODE_LENGTH[Level.TOWNSHIP]
    if n <= CODE_LENGTH[Level.TOWNSHIP]:
        return CODE_LENGTH[Level.VILLAGE]
    return CODE_LENGTH[Level.GRID]


def coverage(sweep: Sweep, user, parent_code: str) -> dict:
    """Households and households visited in ``sweep`` under ``parent_code``, per child division: a few
    grouped counts, never a loop over households. A household counts once it has a sweep visit."""
    households = households_visible_to(user).filter(prefix_q("division_code", parent_code))
    visited_ids = Visit.objects.filter(sweep=sweep).values("household_id")
    risk_ids = Visit.objects.filter(sweep=sweep, risk_found=True).values("household_id")
    n = _child_length(parent_code)
    rows = (households.annotate(child=Substr("division_code", 1, n)).values("child")
            .annotate(total=Count("id"), visited=Count("id", filter=Q(pk__in=visited_ids)),
                      risk=Count("id", filter=Q(pk__in=risk_ids)))
            .order_by("child"))
    rows = list(rows)
    visitors: dict[str, dict[str, int]] = {}
    per_visitor = (scope_filter(Visit.objects.filter(sweep=sweep), user, "household__division_code")
                   .filter(prefix_q("household__division_code", parent_code))
                   .annotate(child=Substr("household__division_code", 1, n)).values("child", "visitor_name")
                   .annotate(n=Count("household_id", distinct=True)).order_by("child", "-n"))
    for r in per_visitor:
        visitors.setdefault(r["child"], {})[r["visitor_name"]] = r["n"]
    names = dict(Division.objects.filter(code__in=[r["child"] for r in rows]).values_list("code", "name"))
    total = sum(r["total"] for r in rows)
    visited = sum(r["visited"] for r in rows)
    for r in rows:
        r["name"] = names.get(r["child"]) or ("（未分网格）" if len(r["child"]) < n else r["child"])
        r["missing"] = r["total"] - r["visited"]
        r["percent"] = _percent(r["visited"], r["total"])
        r["visitors"] = sorted(visitors.get(r["child"], {}).items(), key=lambda kv: -kv[1])[:5]
        r["drill"] = len(r["child"]) == n and n < CODE_LENGTH[Level.GRID]
    return {"rows": rows, "total": total, "visited": visited, "missing": total - visited,
            "risk": sum(r["risk"] for r in rows), "percent": _percent(visited, total)}


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "—"
    value = part * 100 / whole
    return "100%" if part == whole else f"{min(value, 99.9):.1f}%"


def missing_households(sweep: Sweep, user, parent_code: str):
    """Households under ``parent_code`` still without a visit in ``sweep``."""
    visited_ids = Visit.objects.filter(sweep=sweep).values("household_id")
    return (households_visible_to(user).filter(prefix_q("division_code", parent_code))
            .exclude(pk__in=visited_ids).order_by("division_code", "number"))


# --- department screenings (R-DISC-07) ---------------------------------------------------------------------


def current_quarter(today: dt.date) -> tuple[int, int]:
    return today.year, quarter_of(today.month)


def quarter_end(year: int, quarter: int) -> dt.date:
    month = quarter * 3
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def not_reported(county_code: str, year: int, quarter: int) -> list[str]:
    """The county's departments with no screening reported for the quarter, in profile order."""
    expected = screening_departments(profile_for_county(county_code).data)
    reported = set(DepartmentScreening.objects.filter(division_code=county_code, year=year, quarter=quarter)
                   .values_list("department", flat=True))
    return [d for d in expected if d not in reported]


# --- pending actions (home page) ------------------------------------------------------------------------


PENDING_ITEMS = 8


def pending_for(user, today: dt.date) -> list[dict]:
    code = user.scope_code or ""
    if len(code) < 6:
        return []
    items: list[dict] = []
    if user.role in (Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.TOWNSHIP_STAFF):
        cutoff = overdue_cutoff(user, today)
        overdue = must_visits_for(user, overdue_before=cutoff)
        url = reverse("followup:must_visit_list")
        if user.role == Role.GRID_WORKER:
            entries = decorate_entries(overdue.select_related("household")[:PENDING_ITEMS], today)
            for e in entries:
                items.append({"title": f"必访：户{e.household.number} {e.head_name}（{e.reasons[0]['name']}）",
                              "url": reverse("followup:visit_new", args=[e.household_id]), "due": e.due_on,
                              "overdue": True, "remaining": e.remaining})
        else:
            count = overdue.count()
            if count:
                items.append({"title": f"必访农户逾期未走访 {count} 户", "url": url + "?overdue=1", "due": None,
                              "overdue": True, "remaining": ""})
    year, quarter = current_quarter(today)
    end = quarter_end(year, quarter)
    if user.role == Role.DEPARTMENT_OFFICER and user.department:
        if user.department in not_reported(code[:6], year, quarter):
            items.append({"title": f"{user.department}{year}年第{quarter}季度行业排查待报送",
                          "url": reverse("followup:screening_new"), "due": end, "overdue": False,
                          "remaining": f"本季度还有{(end - today).days}天"})
    if user.role == Role.COUNTY_OFFICE and len(code) == 6:
        missing = not_reported(code, year, quarter)
        if missing:
            items.append({"title": f"{year}年第{quarter}季度未报送行业排查的部门 {len(missing)} 个",
                          "url": reverse("followup:screening_list"), "due": end, "overdue": False,
                          "remaining": f"本季度还有{(end - today).days}天"})
    sweep = Sweep.objects.filter(division_code=code[:6], status=SweepStatus.OPEN).first()
    if sweep is not None and sweep.ends_on < today and user.role in (Role.COUNTY_OFFICE, Role.TOWNSHIP_STAFF):
        items.append({"title": f"“{sweep.name}”已过结束日期，请核对覆盖情况后结束", "url": reverse(
            "followup:sweep_detail", args=[sweep.pk]), "due": sweep.ends_on, "overdue": True, "remaining": ""})
    return items
