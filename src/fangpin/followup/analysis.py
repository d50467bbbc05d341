"""Village half-monthly analysis and township monthly dispatch material, meetings, the income series (R-TRACK-03).

- ``income_series``: monthly income records (from the monthly visits) and annual records (from imports
  and the registry's income form) of a household as one series (see docs/analysis.md for the chart).
- ``material`` / ``dispatch_material``: for a village or a township, every unresolved household
  (monitored and not eliminated, or with an open problem ticket) with its risks, measures, latest visit,
  12-month income trend (numbers and an inline SVG sparkline, so the printed page needs no script),
  open tickets and overdue items. Set-based: a fixed number of queries however many households.
- ``record_meeting``: the one door for a meeting's record (who, when, conclusions, per-household notes).
- ``register``: the household page's "跟踪帮扶" panel, the pending actions for meetings due, audit labels.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from fangpin import validation
from fangpin.accounts.masking import mask_text
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import in_scope, require_area, require_role, scope_filter
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division, Level
from fangpin.audit.services import record
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import (
    Household,
    IncomePeriod,
    IncomePurpose,
    IncomeRecord,
    Member,
    MonitoringStatus,
)
from fangpin.validation import Errors, fail, scrub

from .colour import colours_for
from .models import Meeting, MeetingKind, Ticket, TicketStatus, Visit
from .overdue import overdue_by_household

MEETING_ROLES = {MeetingKind.VILLAGE_ANALYSIS: Role.VILLAGE_CADRE, MeetingKind.TOWNSHIP_DISPATCH: Role.TOWNSHIP_STAFF}
MEETING_LEVEL = {MeetingKind.VILLAGE_ANALYSIS: Level.VILLAGE, MeetingKind.TOWNSHIP_DISPATCH: Level.TOWNSHIP}
FINDINGS_SHOWN = 60
NOTE_MAX = 500
PURPOSE_ORDER = {IncomePurpose.REGULAR: 0, IncomePurpose.ELIMINATION: 1, IncomePurpose.IDENTIFICATION: 2}


# --- income series ---------------------------------------------------------------------------------


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def month_window(end_month: dt.date, months: int = 12) -> list[dt.date]:
    end = _month_start(end_month)
    return [_add_months(end, -i) for i in range(months - 1, -1, -1)]


def _num(value) -> float | None:
    return None if value is None else float(Decimal(value).quantize(Decimal("0.01")))


def _lines(county: str) -> dict[int, float]:
    try:
        table = profile_for_county(county).param("income.monitoring_line")
    except Exception:
        return {}
    return {int(y): float(v) for y, v in table.items()}


def income_series(household_ids, *, end_month, months: int = 12) -> dict:
    """Per household the income series of the ``months`` months ending with ``end_month`` (monthly
    records from visits and annual records from imports as one series). Two queries whatever the count.

    Each value: ``{"months": ["2026-01", …], "per_capita": [monthly per-capita net income or None],
    "net": [monthly household net income or None], "line": [the monitoring line ÷ 12 of that month's
    year], "annual": [{"year", "per_capita", "net", "line", "purpose"}], "annual_line": {year: line}}``.
    ``household_ids`` is a list of ids or a queryset of ids.
    """
    window = month_window(end_month, months)
    first, last = window[0], window[-1]
    counties = dict(Household.objects.filter(pk__in=household_ids).values_list("id", "division_code"))
    lines_by_county: dict[str, dict[int, float]] = {}
    out: dict[int, dict] = {}
    index = {(d.year, d.month): i for i, d in enumerate(window)}
    for pk, code in counties.items():
        county = code[:6]
        lines = lines_by_county.get(county)
        if lines is None:
            lines = lines_by_county[county] = _lines(county)
        out[pk] = {
            "months": [f"{d:%Y-%m}" for d in window],
            "per_capita": [None] * len(window), "net": [None] * len(window),
            "line": [round(lines[d.year] / 12, 2) if d.year in lines else None for d in window],
            "annual": [], "annual_line": {str(y): lines[y] for y in range(first.year - 1, last.year + 1) if y in lines},
            "_rank": {},
        }
    rows = (IncomeRecord.objects.filter(household_id__in=household_ids, year__gte=first.year - 1, year__lte=last.year,
                                        period__in=[IncomePeriod.MONTH, IncomePeriod.ANNUAL])
            .values_list("household_id", "year", "period", "month", "purpose", "net_income", "per_capita_net_income"))
    annual: dict[tuple[int, int], tuple] = {}
    for pk, year, period, month, purpose, net, per_capita in rows:
        series = out.get(pk)
        if series is None:
            continue
        rank = PURPOSE_ORDER.get(purpose, 9)
        if period == IncomePeriod.MONTH:
            i = index.get((year, month))
            if i is None:
                continue
            if series["_rank"].get(i, 99) > rank:
                series["_rank"][i] = rank
                series["per_capita"][i] = _num(per_capita)
                series["net"][i] = _num(net)
        else:
            held = annual.get((pk, year))
            if held is None or held[0] > rank:
                annual[(pk, year)] = (rank, purpose, net, per_capita)
    for (pk, year), (_rank, purpose, net, per_capita) in sorted(annual.items()):
        line = out[pk]["annual_line"].get(str(year))
        out[pk]["annual"].append({"year": year, "per_capita": _num(per_capita), "net": _num(net), "line": line,
                                  "purpose": IncomePurpose(purpose).label})
    for series in out.values():
        series.pop("_rank")
    return out


def sparkline(values, line=None, *, width: int = 120, height: int = 28) -> str:
    """An inline SVG of the values (None: a gap) with the dashed monitoring line; numbers only, so safe to
    mark safe. Empty when there is nothing to draw."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return ""
    refs = [v for v in (line or []) if v is not None]
    top = max([v for _, v in points] + refs) or 1.0
    bottom = min([v for _, v in points] + refs + [0.0])
    span = (top - bottom) or 1.0
    n = max(len(values) - 1, 1)

    def xy(i, v):
        return f"{2 + i * (width - 4) / n:.1f},{height - 2 - (v - bottom) * (height - 4) / span:.1f}"

    parts = [f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="近12个月人均收入走势">']
    if refs:
        pts = " ".join(xy(i, v) for i, v in enumerate(line or []) if v is not None)
        parts.append(f'<polyline points="{pts}" fill="none" stroke="#d92d20" stroke-width="1" stroke-dasharray="3,2"/>')
    parts.append(f'<polyline points="{" ".join(xy(i, v) for i, v in points)}" fill="none" stroke="#1570ef" '
                 f'stroke-width="1.5"/>')
    for i, v in points:
        x, y = xy(i, v).split(",")
        parts.append(f'<circle cx="{x}" cy="{y}" r="1.5" fill="#1570ef"/>')
    parts.append("</svg>")
    return "".join(parts)


# --- analysis material -----------------------------------------------------------------------------


def unresolved_households(division_code: str):
    """Households of the division that the meetings review: monitored and not eliminated, or with an open
    problem ticket (a queryset; filtered on the indexed place and status columns)."""
    open_tickets = Ticket.objects.filter(prefix_q("division_code", division_code), status=TicketStatus.OPEN)
    return Household.objects.filter(prefix_q("division_code", division_code)).filter(
        Q(monitoring_status=MonitoringStatus.MONITORED) | Q(pk__in=open_tickets.values("household_id")))


def get_division_for(user, code: str, level: int | None = None) -> Division:
    """A village or township in the user's area by code; anything else is one 404."""
    code = scrub(str(code or "")).strip()
    qs = Division.objects.filter(level__in=[Level.VILLAGE, Level.TOWNSHIP])
    if level is not None:
        qs = qs.filter(level=level)
    division = qs.filter(code=code).first() if code.isdigit() else None
    if division is None or not in_scope(user, division.code):
        raise Http404("村/乡镇不存在或不在您的管辖范围内")
    return division


def material(user, division: Division, *, today: dt.date | None = None) -> list[dict]:
    """The analysis material of a village or township for ``user`` (404 outside the user's area)."""
    from fangpin.assistance.models import ContactAssignment, Measure, MeasureStatus

    if division is None or not in_scope(user, division.code) or division.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise Http404("村/乡镇不存在或不在您的管辖范围内")
    day = today or local_today()
    latest_visit = Subquery(Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on", "-id").values("id")[:1])
    base = scope_filter(unresolved_households(division.code), user)
    households = list(base.order_by("division_code", "number").values(
        "id", "number", "division_code", "category", "monitoring_status", "risk_types", "included_on"))
    if not households:
        return []
    ids = [h["id"] for h in households]
    id_query = base.values("id")
    heads = dict(Member.objects.filter(household_id__in=id_query, relation="户主", active=True)
                 .values_list("household_id", "name"))
    names = dict(Division.objects.filter(code__in={h["division_code"][:12] for h in households})
                 .values_list("code", "name"))
    measures: dict[int, list] = {}
    for hid, category, content, status in (Measure.objects.filter(household_id__in=id_query)
                                           .exclude(status=MeasureStatus.CANCELLED)
                                           .order_by("household_id", "id")
                                           .values_list("household_id", "category", "content", "status")):
        measures.setdefault(hid, []).append({"category": category, "content": mask_text(user, content),
                                             "status": MeasureStatus(status).label, "status_code": status})
    visits = {}
    for v in Visit.objects.filter(id__in=base.annotate(lv=latest_visit).values("lv")).values(
            "household_id", "visited_on", "mode", "visitor_name", "findings", "purpose"):
        findings = mask_text(user, v["findings"] or "")
        visits[v["household_id"]] = {
            "visited_on": v["visited_on"], "mode": dict(Visit._meta.get_field("mode").choices).get(v["mode"], v["mode"]),
            "visitor": v["visitor_name"],
            "findings": findings if len(findings) <= FINDINGS_SHOWN else findings[:FINDINGS_SHOWN] + "…"}
    tickets: dict[int, list] = {}
    dims = dict(Ticket._meta.get_field("dimension").choices)
    for hid, dim, due, desc in (Ticket.objects.filter(household_id__in=id_query, status=TicketStatus.OPEN)
                                .order_by("due_on").values_list("household_id", "dimension", "due_on", "description")):
        tickets.setdefault(hid, []).append({"dimension": dims.get(dim, dim), "due_on": due, "overdue": due < day,
                                            "description": mask_text(user, desc)})
    contacts = dict(ContactAssignment.objects.filter(household_id__in=id_query, ended_on__isnull=True)
                    .values_list("household_id", "contact__display_name"))
    overdue = overdue_by_household(ids, day)
    colours = colours_for(ids, day, overdue=overdue)
    series = income_series(id_query, end_month=day)
    category_names = {}
    try:
        category_names = profile_for_county(division.code[:6]).category_names()
    except Exception:
        pass
    rows = []
    for h in households:
        hid = h["id"]
        s = series.get(hid) or {"per_capita": [], "line": [], "annual": [], "months": []}
        rows.append({
            "id": hid, "number": h["number"],
            "village": names.get(h["division_code"][:12], ""),
            "head_name": mask_text(user, heads.get(hid, "（无户主）")),
            "category": category_names.get(h["category"], h["category"]),
            "monitoring_status": MonitoringStatus(h["monitoring_status"]).label,
            "risks": list(h["risk_types"] or []),
            "measures": measures.get(hid, []),
            "latest_visit": visits.get(hid),
            "contact": contacts.get(hid, ""),
            "income": s["per_capita"], "income_months": s["months"], "income_line": s["line"],
            "annual_income": s["annual"],
            "sparkline": sparkline(s["per_capita"], s["line"]),
            "tickets": tickets.get(hid, []),
            "overdue": overdue.get(hid, []),
            "colour": colours.get(hid),
        })
    return rows


def dispatch_material(user, township: Division, today: dt.date | None = None) -> list[dict]:
    """The township's monthly dispatch material: ``material`` for a township."""
    if township is None or township.level != Level.TOWNSHIP:
        raise Http404("乡镇不存在或不在您的管辖范围内")
    return material(user, township, today=today)


# --- meetings --------------------------------------------------------------------------------------


def _interval(kind: str, division_code: str) -> tuple[str, int]:
    profile = profile_for_county(division_code[:6])
    if kind == MeetingKind.VILLAGE_ANALYSIS:
        return "days", int(profile.param("followup.village_analysis_days"))
    return "months", int(profile.param("followup.township_dispatch_months"))


def next_due(kind: str, division_code: str, last_held: dt.date | None, today: dt.date) -> dt.date:
    """When the next meeting is due: the interval after the last one (today when none was held)."""
    if last_held is None:
        return today
    unit, n = _interval(kind, division_code)
    if unit == "days":
        return last_held + dt.timedelta(days=n)
    return _add_months(last_held, n)


def last_meetings(codes, kind: str | None = None) -> dict[tuple[str, str], dt.date]:
    """(division code, kind) -> the last meeting's day, for these divisions (one GROUP BY)."""
    qs = Meeting.objects.filter(division_code__in=list(codes))
    if kind:
        qs = qs.filter(kind=kind)
    return {(c, k): d for c, k, d in qs.values("division_code", "kind").annotate(last=Max("held_on"))
            .values_list("division_code", "kind", "last")}


def meetings_visible_to(user):
    return scope_filter(Meeting.objects.select_related("division", "recorded_by"), user)


def get_meeting_for(user, pk) -> Meeting:
    from fangpin.accounts.scoping import get_visible

    return get_visible(meetings_visible_to(user), user, pk, not_found="会议记录不存在或不在您的管辖范围内")


def clean_meeting(division: Division, kind: str, data: dict, today: dt.date) -> dict:
    data = scrub(dict(data or {}))
    errors = Errors()
    held_on = validation.date(data.get("held_on"), "held_on", "召开日期", errors, not_after=today,
                              not_before=today - dt.timedelta(days=366), before_label="")
    attendees = validation.text(data.get("attendees"), "attendees", "参会人员", errors, max_length=500)
    conclusions = validation.text(data.get("conclusions"), "conclusions", "会议结论", errors, max_length=4000)
    period_start = validation.date(data.get("period_start"), "period_start", "研判期间起", errors, required=False)
    period_end = validation.date(data.get("period_end"), "period_end", "研判期间止", errors, required=False,
                                 not_after=today)
    if held_on and "held_on" not in errors:
        unit, n = _interval(kind, division.code)
        period_end = period_end or held_on
        if period_start is None:
            period_start = (held_on - dt.timedelta(days=n)) if unit == "days" else _add_months(held_on, -n)
        if period_start > period_end and "period_start" not in errors:
            errors["period_start"] = "研判期间起不能晚于研判期间止"
    raw_notes = data.get("household_notes") or {}
    notes: dict[str, str] = {}
    if not isinstance(raw_notes, dict):
        errors["household_notes"] = "逐户研判意见格式不正确"
    else:
        wanted = {}
        for key, note in raw_notes.items():
            note = validation.text(note, "household_notes", "逐户研判意见", errors, required=False, max_length=NOTE_MAX)
            if note:
                if not str(key).isdigit() or len(str(key)) > 18:
                    errors["household_notes"] = f"逐户研判意见的农户“{validation.shown(key)}”不正确"
                    continue
                wanted[int(key)] = note
        if wanted:
            known = set(Household.objects.filter(prefix_q("division_code", division.code), pk__in=list(wanted))
                        .values_list("id", flat=True))
            if set(wanted) - known:
                errors["household_notes"] = "逐户研判意见中有不属于本村/乡镇的农户"
            notes = {str(k): v for k, v in wanted.items()}
    errors.raise_if_any()
    return {"held_on": held_on, "attendees": attendees, "conclusions": conclusions, "period_start": period_start,
            "period_end": period_end, "household_notes": notes}


@transaction.atomic
def record_meeting(actor, division: Division, kind: str, data: dict, today: dt.date | None = None) -> Meeting:
    """Record a village's half-monthly analysis (by its village cadre) or a township's monthly dispatch (by
    its township staff), with the conclusions (R-TRACK-03). Audited as ``meeting.record``."""
    if kind not in MEETING_ROLES:
        fail("kind", "会议类型不正确（村级半月分析研判、乡镇月度调度）")
    label = MeetingKind(kind).label
    require_role(actor, {MEETING_ROLES[kind]}, f"记录{label}", "会议记录必须由具体人员录入并留痕")
    division = Division.objects.select_for_update().get(pk=division.pk)
    if division.level != MEETING_LEVEL[kind]:
        fail("division", f"{division.name}不是{'村' if kind == MeetingKind.VILLAGE_ANALYSIS else '乡镇'}，不能记录{label}")
    require_area(actor, division.code, f"{division.name}不在您的管辖范围内")
    if len(actor.scope_code or "") != len(division.code):
        raise PermissionDenied(f"{label}由{division.name}的{'村干部' if kind == MeetingKind.VILLAGE_ANALYSIS else '乡镇工作人员'}记录")
    day = today or local_today()
    clean = clean_meeting(division, kind, data, day)
    count = unresolved_households(division.code).count()
    meeting = Meeting.objects.create(kind=kind, division=division, division_code=division.code, households=count,
                                     recorded_by=actor, **clean)
    record(actor, "meeting.record", meeting, division_code=division.code, after={
        "kind": label, "held_on": clean["held_on"], "attendees": clean["attendees"],
        "conclusions": clean["conclusions"], "households": count, "household_notes": len(clean["household_notes"])})
    return meeting


# --- hooks -----------------------------------------------------------------------------------------


def pending_meetings(user, today: dt.date | None = None) -> list[dict]:
    """A village cadre's half-monthly analysis and a township's monthly dispatch when due."""
    code = user.scope_code or ""
    if user.role == Role.VILLAGE_CADRE and len(code) == 12:
        kind, url_name = MeetingKind.VILLAGE_ANALYSIS, "followup:village_analysis"
        title = "本村半月分析研判待开展"
    elif user.role == Role.TOWNSHIP_STAFF and len(code) == 9:
        kind, url_name = MeetingKind.TOWNSHIP_DISPATCH, "followup:township_dispatch"
        title = "本乡镇月度调度待开展"
    else:
        return []
    day = today or local_today()
    try:
        last = last_meetings([code], kind).get((code, kind))
        due = next_due(kind, code, last, day)
    except Exception:
        return []
    if due > day:
        return []
    suffix = f"（上次{last:%Y-%m-%d}）" if last else "（尚无记录）"
    return [{"title": title + suffix, "url": reverse(url_name, args=[code]), "due": due, "overdue": due < day,
             "remaining": "" if due < day else "今天到期"}]


def _panel(user, household) -> dict | None:
    from fangpin.assistance.models import ContactAssignment

    day = local_today()
    overdue_all = overdue_by_household([household.pk], day)
    colour = colours_for([household.pk], day, overdue=overdue_all).get(household.pk)
    overdue = overdue_all[household.pk]
    visits = list(Visit.objects.filter(household=household).order_by("-visited_on", "-id")[:3])
    for v in visits:
        v.findings_shown = mask_text(user, v.findings)
    series = income_series([household.pk], end_month=day).get(household.pk)
    contact = (ContactAssignment.objects.filter(household=household, ended_on__isnull=True)
               .values_list("contact_id", flat=True).first())
    return {"title": "跟踪帮扶", "template": "followup/_followup_panel.html", "order": 40, "context": {
        "household": household, "colour": colour, "overdue": overdue, "visits": visits, "series": series,
        "has_income": bool(series and (any(v is not None for v in series["per_capita"]) or series["annual"])),
        "card_url": reverse("followup:door_card", args=[household.pk]),
        "visit_url": _monthly_visit_url(household.pk) if contact is not None and contact == user.pk else "",
    }}


def _monthly_visit_url(household_id: int) -> str:
    try:
        return reverse("followup:monthly_visit", args=[household_id])
    except NoReverseMatch:
        return ""


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS
    from fangpin.registry.panels import HOUSEHOLD_PANELS

    ACTION_LABELS.update({"meeting.record": "记录分析研判/调度会议"})
    if _panel not in HOUSEHOLD_PANELS:
        HOUSEHOLD_PANELS.append(_panel)
    if pending_meetings not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(pending_meetings)
