"""Monthly visit schedules (R-TRACK-01) and the lists and pending actions built on them and on overdue.py
(R-TRACK-04).

A :class:`VisitSchedule` row says that a household owes a month's visit(s) by one kind of visitor:

- ``contact``: every monitored household whose risk is not eliminated, by its assistance contact (the
  current :class:`ContactAssignment`), once a month; where the profile says
  (``followup.formerly_poor_monthly``) every 脱贫户 (category ``formerly_poor``) too;
- ``monitor``: where the profile asks for grid-monitor visits (``followup.monitor_visits_per_month`` > 0,
  丰都: twice a month), every monitored household by a grid worker of its grid.

:func:`generate` makes a county's month set-based (a handful of statements whatever the county's size) and
is idempotent: the ``generate_visit_schedules`` command runs it daily. :func:`note_visit` keeps the rows in
step when a visit is recorded (called by the visit services in their transaction).
"""

from __future__ import annotations

import calendar
import datetime as dt
import time

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, F, Q, When
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import require_area, require_role, scope_filter
from fangpin.areas.lookups import prefix_q, successor
from fangpin.areas.models import Division, Level
from fangpin.assistance.models import ContactAssignment
from fangpin.audit.services import record
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import Household, MonitoringStatus

from .models import ScheduleKind, ScheduleReason, Visit, VisitPurpose, VisitSchedule

FORMERLY_POOR = "formerly_poor"
GENERATE_ROLES = (Role.COUNTY_OFFICE, Role.ADMINISTRATOR)
# Who is, by default, shown only the rows they are responsible for.
OWN_ROLES = (Role.ASSISTANCE_CONTACT, Role.GRID_WORKER)
PENDING_ITEMS = 8


# --- months ---------------------------------------------------------------------------------------------


def month_start(value) -> dt.date:
    """The first day of a month given as a date or as text ``YYYY-MM`` (``ValidationError`` otherwise)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    try:
        year, month = text.split("-")[:2]
        return dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationError({"month": f"月份格式不正确（应为 年-月，如 2026-03），收到“{text[:20]}”"})


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


# --- generation (R-TRACK-01) -------------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _tables() -> dict[str, str]:
    from django.contrib.auth import get_user_model

    return {"s": _q(VisitSchedule._meta.db_table), "h": _q(Household._meta.db_table),
            "ca": _q(ContactAssignment._meta.db_table), "u": _q(get_user_model()._meta.db_table),
            "v": _q(Visit._meta.db_table)}


def _distinct() -> str:
    """Null-safe "differs" (PostgreSQL and SQLite ≥ 3.39 both know IS DISTINCT FROM)."""
    return "IS DISTINCT FROM"


def _name_sql(alias: str) -> str:
    return f"SUBSTR(COALESCE(NULLIF({alias}.display_name, ''), {alias}.username), 1, 40)"


def _qualifies(kind: str, formerly_poor: bool) -> str:
    """SQL condition on household ``h``: it is due a visit of ``kind`` this month."""
    cond = "h.monitoring_status = 'monitored'"
    if kind == ScheduleKind.CONTACT and formerly_poor:
        cond = f"({cond} OR h.category = '{FORMERLY_POOR}')"
    return cond


def _responsible(kind: str, t: dict, h: str = "h") -> str:
    """SQL: the responsible user's id for the household aliased ``h`` (its current contact, or the grid
    worker of its grid with the lowest id)."""
    if kind == ScheduleKind.CONTACT:
        return f"(SELECT ca.contact_id FROM {t['ca']} ca WHERE ca.household_id = {h}.id AND ca.ended_on IS NULL)"
    return (f"(SELECT MIN(g.id) FROM {t['u']} g WHERE g.role = '{Role.GRID_WORKER}' AND g.is_active "
            f"AND g.division_id = {h}.grid_id)")


def _visits_where(kind: str, t: dict) -> str:
    """SQL (FROM clause and condition) for the visits of the schedule row's household and month that count
    for ``kind``; params: month start, month end."""
    if kind == ScheduleKind.CONTACT:
        return (f"FROM {t['v']} v WHERE v.household_id = {t['s']}.household_id AND v.purpose = 'monthly' "
                f"AND v.visited_on >= %s AND v.visited_on <= %s")
    return (f"FROM {t['v']} v INNER JOIN {t['u']} vu ON vu.id = v.visitor_id AND vu.role = '{Role.GRID_WORKER}' "
            f"WHERE v.household_id = {t['s']}.household_id AND v.visited_on >= %s AND v.visited_on <= %s")


def _generate_kind(cursor, kind: str, county: str, month: dt.date, due: dt.date, *, formerly_poor: bool,
                   required: int, now) -> dict:
    t = _tables()
    day = connection.ops.adapt_datefield_value
    lo, hi = county, successor(county)
    cond = _qualifies(kind, formerly_poor)
    reason = (f"CASE WHEN h.monitoring_status = 'monitored' THEN '{ScheduleReason.MONITORED}' "
              f"ELSE '{ScheduleReason.FORMERLY_POOR}' END")
    in_county = "h.division_code >= %s AND h.division_code < %s"
    qualifying = f"SELECT h.id FROM {t['h']} h WHERE {in_county} AND {cond}"
    counts = {"created": 0, "updated": 0, "removed": 0}

    # 1. Rows of households that no longer qualify (eliminated, moved away, no longer 脱贫户 …), not done.
    cursor.execute(
        f"UPDATE {t['v']} SET schedule_id = NULL WHERE schedule_id IN (SELECT id FROM {t['s']} "
        f"WHERE month = %s AND kind = %s AND done_on IS NULL AND division_code >= %s AND division_code < %s "
        f"AND household_id NOT IN ({qualifying}))", [day(month), kind, lo, hi, lo, hi])
    cursor.execute(
        f"DELETE FROM {t['s']} WHERE month = %s AND kind = %s AND done_on IS NULL "
        f"AND division_code >= %s AND division_code < %s AND household_id NOT IN ({qualifying})",
        [day(month), kind, lo, hi, lo, hi])
    counts["removed"] = max(cursor.rowcount, 0)

    # 2. Rows kept: the household's place, reason, responsible person and required visits refreshed.
    who = _responsible(kind, t, "hh")
    who_name = (f"(SELECT {_name_sql('ru')} FROM {t['u']} ru WHERE ru.id = {who})")
    place = f"(SELECT hh.division_code FROM {t['h']} hh WHERE hh.id = {t['s']}.household_id)"
    why = (f"(SELECT CASE WHEN hh.monitoring_status = 'monitored' THEN '{ScheduleReason.MONITORED}' "
           f"ELSE '{ScheduleReason.FORMERLY_POOR}' END FROM {t['h']} hh WHERE hh.id = {t['s']}.household_id)")
    who_of_row = f"(SELECT {who} FROM {t['h']} hh WHERE hh.id = {t['s']}.household_id)"
    name_of_row = f"(SELECT {who_name} FROM {t['h']} hh WHERE hh.id = {t['s']}.household_id)"
    d = _distinct()
    cursor.execute(
        f"UPDATE {t['s']} SET division_code = {place}, reason = {why}, responsible_id = {who_of_row}, "
        f"responsible_name = COALESCE({name_of_row}, ''), visits_required = %s "
        f"WHERE month = %s AND kind = %s AND done_on IS NULL AND household_id IN ({qualifying}) "
        f"AND (division_code {d} {place} OR reason {d} {why} OR responsible_id {d} {who_of_row} "
        f"OR responsible_name {d} COALESCE({name_of_row}, '') OR visits_required <> %s)",
        [required, day(month), kind, lo, hi, required])
    counts["updated"] += max(cursor.rowcount, 0)

    # 3. New rows for households that qualify and have none.
    cursor.execute(
        f"INSERT INTO {t['s']} (household_id, division_code, month, kind, reason, responsible_id, "
        f"responsible_name, visits_required, visits_done, last_visited_on, due_on, done_on, generated_at) "
        f"SELECT h.id, h.division_code, %s, %s, {reason}, r.id, COALESCE({_name_sql('r')}, ''), %s, 0, NULL, %s, "
        f"NULL, %s FROM {t['h']} h LEFT JOIN {t['u']} r ON r.id = {_responsible(kind, t)} "
        f"WHERE {in_county} AND {cond} AND NOT EXISTS (SELECT 1 FROM {t['s']} x WHERE x.household_id = h.id "
        f"AND x.month = %s AND x.kind = %s)",
        [day(month), kind, required, day(due), now, lo, hi, day(month), kind])
    counts["created"] = max(cursor.rowcount, 0)

    # 4. Visits already recorded in the month counted (rows whose figures differ only).
    where = _visits_where(kind, t)
    n = f"(SELECT COUNT(*) {where})"
    last = f"(SELECT MAX(v.visited_on) {where})"
    first = f"(SELECT MIN(v.visited_on) {where})"
    # The day the row was completed: kept when already known; else the first visit (one required) or the
    # latest (several required; recorded one by one, note_visit keeps the exact day).
    done = (f"CASE WHEN {n} < {t['s']}.visits_required THEN NULL WHEN {t['s']}.done_on IS NOT NULL "
            f"THEN {t['s']}.done_on WHEN {t['s']}.visits_required <= 1 THEN {first} ELSE {last} END")
    span = [day(month), day(due)]
    set_params = span + span + span + span + span
    cursor.execute(
        f"UPDATE {t['s']} SET visits_done = {n}, last_visited_on = {last}, done_on = {done} "
        f"WHERE month = %s AND kind = %s AND division_code >= %s AND division_code < %s "
        # Rows never visited with no visit in the month are passed over after one index probe.
        f"AND (visits_done > 0 OR last_visited_on IS NOT NULL OR EXISTS (SELECT 1 {where})) "
        f"AND (visits_done <> {n} OR last_visited_on {d} {last} OR done_on {d} {done})",
        [*set_params, day(month), kind, lo, hi, *span, *set_params])
    counts["updated"] += max(cursor.rowcount, 0)
    if kind == ScheduleKind.CONTACT:
        # The month's monthly visits point at the row they count for.
        cursor.execute(
            f"UPDATE {t['v']} SET schedule_id = (SELECT x.id FROM {t['s']} x WHERE x.household_id = "
            f"{t['v']}.household_id AND x.month = %s AND x.kind = %s) WHERE purpose = 'monthly' "
            f"AND visited_on >= %s AND visited_on <= %s AND schedule_id IS NULL AND division_code >= %s "
            f"AND division_code < %s AND EXISTS (SELECT 1 FROM {t['s']} x WHERE x.household_id = "
            f"{t['v']}.household_id AND x.month = %s AND x.kind = %s)",
            [day(month), kind, *span, lo, hi, day(month), kind])
    return counts


def generate(county_code: str, month, *, today=None, actor=None) -> dict:
    """Make the month's visit schedule of a county, set-based and idempotent (R-TRACK-01).

    Households that qualify get their row(s); rows of households that no longer qualify and are not
    done are removed; kept rows get the current contact (or grid worker) and place; visits already
    recorded in the month are counted. Returns ``{"created", "updated", "removed", "total", "seconds"}``;
    one audit event per run. ``actor`` None is the system (the command); a person must be the county
    office (or an administrator) of the county.
    """
    started = time.monotonic()
    county_code = str(county_code or "")[:6]
    month = month_start(month if month is not None else (today or local_today()))
    due = month_end(month)
    with transaction.atomic():
        if actor is not None:
            require_role(actor, GENERATE_ROLES, "生成月访视计划", "月访视计划由县级生成")
            require_area(actor, county_code, "该县不在您的管辖范围内")
        county = Division.objects.filter(code=county_code).first()
        if county is None or len(county_code) != 6:
            raise ValidationError({"county": f"县级区划代码不存在：{county_code}"})
        profile = profile_for_county(county_code)
        formerly_poor = bool(profile.param("followup.formerly_poor_monthly"))
        monitor_visits = int(profile.param("followup.monitor_visits_per_month"))
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        counts = {"created": 0, "updated": 0, "removed": 0}
        with connection.cursor() as cursor:
            kinds = [(ScheduleKind.CONTACT, 1)]
            if monitor_visits > 0:
                kinds.append((ScheduleKind.MONITOR, monitor_visits))
            for kind, required in kinds:
                part = _generate_kind(cursor, kind, county_code, month, due, formerly_poor=formerly_poor,
                                      required=required, now=now)
                for k in counts:
                    counts[k] += part[k]
            if monitor_visits <= 0:  # the profile no longer asks for monitor visits: open rows go
                removed, _ = (VisitSchedule.objects.filter(prefix_q("division_code", county_code), month=month,
                                                           kind=ScheduleKind.MONITOR, done_on__isnull=True)
                              .delete())
                counts["removed"] += removed
        counts["total"] = VisitSchedule.objects.filter(prefix_q("division_code", county_code), month=month).count()
        counts["seconds"] = round(time.monotonic() - started, 2)
        record(actor, "schedule.generate", county, division_code=county_code,
               after={"month": month.isoformat(), **counts})
    return counts


def counties_with_households() -> list[str]:
    codes = set()
    for code in Division.objects.filter(level=Level.COUNTY).order_by("code").values_list("code", flat=True):
        if Household.objects.filter(prefix_q("division_code", code)).exists():
            codes.add(code)
    return sorted(codes)


# --- a visit recorded (R-TRACK-01) ------------------------------------------------------------------------


def _note(household_id: int, month: dt.date, kind: str, on: dt.date) -> int:
    return VisitSchedule.objects.filter(household_id=household_id, month=month, kind=kind).update(
        visits_done=F("visits_done") + 1,
        last_visited_on=Case(When(Q(last_visited_on__isnull=True) | Q(last_visited_on__lt=on), then=on),
                             default=F("last_visited_on")),
        done_on=Case(When(done_on__isnull=True, visits_done__gte=F("visits_required") - 1, then=on),
                     default=F("done_on")),
    )


def note_visit(visit) -> None:
    """Keep the schedule in step with a visit just recorded (call in the visit's transaction).

    A monthly visit counts for the household's contact row of the visit's month, a grid worker's visit (any
    purpose) for its monitor row: one UPDATE each with F() expressions, so two visits recorded at once both
    count. A monthly visit of a household without a row yet (monitored since the last run) makes the row.
    The visit points at the row it counted for.
    """
    on = visit.visited_on
    month = on.replace(day=1)
    kinds = []
    if visit.purpose == VisitPurpose.MONTHLY:
        kinds.append(ScheduleKind.CONTACT)
    visitor = getattr(visit, "visitor", None) if visit.visitor_id else None
    if visitor is not None and visitor.role == Role.GRID_WORKER:
        kinds.append(ScheduleKind.MONITOR)
    row_id = None
    for kind in kinds:
        updated = _note(visit.household_id, month, kind, on)
        if not updated and kind == ScheduleKind.CONTACT:
            _make_contact_row(visit.household_id, month)
            updated = _note(visit.household_id, month, kind, on)
        if updated and row_id is None:
            row_id = (VisitSchedule.objects.filter(household_id=visit.household_id, month=month, kind=kind)
                      .values_list("id", flat=True).first())
    if row_id is not None and visit.pk and visit.schedule_id != row_id:
        Visit.objects.filter(pk=visit.pk).update(schedule_id=row_id)
        visit.schedule_id = row_id


def _make_contact_row(household_id: int, month: dt.date) -> None:
    household = Household.objects.filter(pk=household_id).values("division_code", "monitoring_status").first()
    if household is None:
        return
    assignment = (ContactAssignment.objects.filter(household_id=household_id, ended_on__isnull=True)
                  .select_related("contact").first())
    reason = (ScheduleReason.MONITORED if household["monitoring_status"] == MonitoringStatus.MONITORED
              else ScheduleReason.FORMERLY_POOR)
    VisitSchedule.objects.bulk_create([VisitSchedule(
        household_id=household_id, division_code=household["division_code"], month=month,
        kind=ScheduleKind.CONTACT, reason=reason, responsible=assignment.contact if assignment else None,
        responsible_name=str(assignment.contact)[:40] if assignment else "", visits_required=1,
        due_on=month_end(month))], ignore_conflicts=True)


# --- lists (R-TRACK-01) --------------------------------------------------------------------------------------


STATUS_CHOICES = {"": "全部", "pending": "未完成（未到期）", "overdue": "逾期未完成", "done": "已完成"}


def default_mine(user) -> bool:
    return user.role in OWN_ROLES


def schedules_for(user, month: dt.date, *, today: dt.date, status: str = "", kind: str = "", village: str = "",
                  mine: bool = False):
    """The month's schedule rows in the user's area, not done first (overdue before pending), then by place."""
    qs = scope_filter(VisitSchedule.objects.filter(month=month), user)
    if village:
        qs = qs.filter(prefix_q("division_code", village))
    if kind in ScheduleKind.values:
        qs = qs.filter(kind=kind)
    if mine:
        qs = qs.filter(responsible=user)
    if status == "done":
        qs = qs.filter(done_on__isnull=False)
    elif status == "pending":
        qs = qs.filter(done_on__isnull=True, due_on__gte=today)
    elif status == "overdue":
        qs = qs.filter(done_on__isnull=True, due_on__lt=today)
    return qs.order_by(F("done_on").asc(nulls_first=True), "due_on", "division_code", "household_id")


def summary_for(qs, today: dt.date) -> dict:
    """Done / pending / overdue per contact, per village and per township, from one GROUP BY query."""
    rows = (qs.order_by().annotate(village=Substr("division_code", 1, 12))
            .values("responsible_id", "responsible_name", "village")
            .annotate(done=Count("id", filter=Q(done_on__isnull=False)),
                      pending=Count("id", filter=Q(done_on__isnull=True, due_on__gte=today)),
                      overdue=Count("id", filter=Q(done_on__isnull=True, due_on__lt=today))))
    people: dict = {}
    villages: dict = {}
    townships: dict = {}
    for r in rows:
        figures = (r["done"], r["pending"], r["overdue"])
        for table, key, label in ((people, r["responsible_id"], r["responsible_name"] or "（未确定责任人）"),
                                  (villages, r["village"], None), (townships, r["village"][:9], None)):
            entry = table.setdefault(key, {"key": key, "name": label, "done": 0, "pending": 0, "overdue": 0})
            entry["done"] += figures[0]
            entry["pending"] += figures[1]
            entry["overdue"] += figures[2]
    names = dict(Division.objects.filter(code__in=[*villages, *townships]).values_list("code", "name"))
    for table in (villages, townships):
        for code, entry in table.items():
            entry["name"] = names.get(code, code)

    def ordered(table):
        return sorted(table.values(), key=lambda e: (-e["overdue"], -e["pending"], str(e["name"])))

    return {"people": ordered(people), "villages": ordered(villages), "townships": ordered(townships)}


def monthly_visit_url(household_id: int) -> str:
    """The monthly visit form of a household (another part's page; empty while it does not exist)."""
    try:
        return reverse("followup:monthly_visit", args=[household_id])
    except NoReverseMatch:
        return ""


def decorate(user, rows, today: dt.date) -> list:
    """Head, badges, state and links for a page of schedule rows (a few queries per page)."""
    from fangpin.registry.panels import badges_for
    from fangpin.registry.queries import heads_for

    rows = list(rows)
    households = [r.household for r in rows]
    heads = heads_for(households)
    badges = badges_for(user, [h.pk for h in households])
    for r in rows:
        head = heads.get(r.household_id)
        r.head_name = head.name if head else "（无户主）"
        r.badges = badges.get(r.household_id, [])
        if r.done_on:
            r.state, r.state_label, r.remaining = "done", "已完成", f"{r.done_on:%m-%d}完成"
        elif r.due_on < today:
            r.state, r.state_label = "overdue", "逾期"
            r.remaining = f"逾期{(today - r.due_on).days}天"
        else:
            r.state, r.state_label = "pending", "未完成"
            days = (r.due_on - today).days
            r.remaining = "今天到期" if days == 0 else f"还有{days}天"
        r.visit_url = monthly_visit_url(r.household_id) if (r.responsible_id == user.pk
                                                            and r.kind == ScheduleKind.CONTACT) else ""
    return rows


# --- pending actions (home page, R-TRACK-04) ------------------------------------------------------------------


def pending_for(user, today: dt.date) -> list[dict]:
    """A contact's (or grid worker's) households still to visit, overdue first; for village cadres, township
    staff and the county office the number of overdue items that reached their level."""
    from . import overdue

    code = user.scope_code or ""
    if len(code) < 6:
        return []
    items: list[dict] = []
    if user.role in OWN_ROLES:
        rows = list(VisitSchedule.objects.filter(responsible=user, done_on__isnull=True,
                                                 due_on__gte=today.replace(day=1) - dt.timedelta(days=366))
                    .select_related("household").order_by("due_on", "division_code", "household_id")
                    [:PENDING_ITEMS])
        rows = decorate(user, rows, today)
        for r in rows:
            url = r.visit_url or reverse("registry:household_detail", args=[r.household_id])
            kind = "月访视" if r.kind == ScheduleKind.CONTACT else "网格走访"
            left = f"（还差{r.visits_required - r.visits_done}次）" if r.visits_required > 1 else ""
            items.append({"title": f"{kind}：户{r.household.number} {r.head_name}{left}", "url": url,
                          "due": r.due_on, "overdue": r.due_on < today, "remaining": r.remaining})
        return items
    level = {Role.VILLAGE_CADRE: overdue.LEVEL_NONE, Role.TOWNSHIP_STAFF: overdue.LEVEL_TOWNSHIP,
             Role.COUNTY_OFFICE: overdue.LEVEL_COUNTY}.get(user.role)
    if level is None:
        return []
    count = overdue.count_for(user, today, level=level)
    if count:
        where = {overdue.LEVEL_NONE: "逾期事项", overdue.LEVEL_TOWNSHIP: "已升级至乡镇的逾期事项",
                 overdue.LEVEL_COUNTY: "已升级至县级的逾期事项"}[level]
        items.append({"title": f"{where} {count} 项", "url": reverse("followup:overdue_list"), "due": None,
                      "overdue": True, "remaining": ""})
    return items


def _pending(user):
    return pending_for(user, local_today())


def register() -> None:
    """Hook this module into the pages (pending actions, audit labels)."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS

    ACTION_LABELS.update({"schedule.generate": "生成月访视计划"})
    if _pending not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(_pending)
