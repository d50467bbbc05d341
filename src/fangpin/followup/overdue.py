"""What is overdue, for whom, and how far it has escalated (R-TRACK-04).

Five kinds of item have a due date: a month's visits (``VisitSchedule``), a plan not yet approved, an
approved plan's measures not entered into the national system, a measure not carried out, and a
problem ticket not cleared. This module is the one definition of "overdue" for all of them: the lists
per responsible person, the escalation, the pending actions, the risk colour and the analysis material
all read it. Every function is set-based: a query per kind, never one per household.

Escalation is read from the due date and the county profile, never stored (a stored level would go
stale): an item overdue for at least ``followup.escalate_to_township_days`` days is shown to the
township, and after ``followup.escalate_to_county_days`` more days to the county.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Min, OuterRef, QuerySet, Subquery

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import scope_filter
from fangpin.assistance.models import ContactAssignment, Measure, MeasureStatus, Plan, PlanStatus
from fangpin.profiles.services import profile_for_county

from .models import Ticket, TicketStatus, VisitSchedule

OPEN_PLAN = (PlanStatus.DRAFT, PlanStatus.RETURNED, PlanStatus.SUBMITTED)

KIND_LABELS = {
    "visit": "月访视",
    "plan": "帮扶方案",
    "entry": "措施录入国家系统",
    "measure": "帮扶措施落实",
    "ticket": "问题清零",
}

LEVEL_NONE, LEVEL_TOWNSHIP, LEVEL_COUNTY = 0, 1, 2
LEVEL_LABELS = {LEVEL_NONE: "逾期", LEVEL_TOWNSHIP: "已升级至乡镇", LEVEL_COUNTY: "已升级至县级"}


@dataclass(frozen=True)
class Escalation:
    to_township_days: int
    to_county_days: int

    @classmethod
    def for_county(cls, county_code: str) -> Escalation:
        profile = profile_for_county(county_code[:6])
        return cls(int(profile.param("followup.escalate_to_township_days")),
                   int(profile.param("followup.escalate_to_county_days")))

    def level(self, due_on: dt.date, today: dt.date) -> int:
        late = (today - due_on).days
        if late < 1:
            return LEVEL_NONE
        if late >= self.to_township_days + self.to_county_days:
            return LEVEL_COUNTY
        if late >= self.to_township_days:
            return LEVEL_TOWNSHIP
        return LEVEL_NONE

    def due_before(self, level: int, today: dt.date) -> dt.date:
        """Items due before this day have reached ``level`` (for a filter on the due-date index): an item
        due exactly ``to_township_days`` days ago has reached the township, as :meth:`level` says."""
        days = {LEVEL_NONE: 0, LEVEL_TOWNSHIP: self.to_township_days,
                LEVEL_COUNTY: self.to_township_days + self.to_county_days}[level]
        if days <= 0:
            return today
        return today - dt.timedelta(days=days - 1)


def _contact_id():
    # No ordering: there is one current assignment per household (a unique constraint), and the model's
    # default ordering would join the household table and sort inside the subquery for every row.
    return Subquery(ContactAssignment.objects.filter(household=OuterRef("household"), ended_on__isnull=True)
                    .order_by().values("contact_id")[:1])


def overdue_querysets(today: dt.date, due_before: dt.date | None = None) -> dict[str, QuerySet]:
    """Per kind, the unscoped queryset of overdue items as rows of ``id``, ``household_id``,
    ``division_code``, ``due`` and ``responsible_ref`` (the person who should act: the scheduled visitor, the household's
    contact for plans and measures, the ticket's responsible person). Scope them with ``scope_filter`` on
    ``division_code`` (a field or an alias of each row; for plans and measures filter on
    ``household__division_code`` for the index)."""
    before = min(today, due_before) if due_before else today
    visits = (VisitSchedule.objects.order_by().filter(done_on__isnull=True, due_on__lt=before)
              .values("id", "household_id", "division_code", due=F("due_on"), responsible_ref=F("responsible_id")))
    tickets = (Ticket.objects.order_by().filter(status=TicketStatus.OPEN, due_on__lt=before)
               .values("id", "household_id", "division_code", due=F("due_on"), responsible_ref=F("responsible_id")))
    plans = (Plan.objects.order_by().filter(status__in=OPEN_PLAN, due_on__lt=before)
             .annotate(scope_code=F("household__division_code"), responsible_ref=_contact_id())
             .values("id", "household_id", "responsible_ref", division_code=F("scope_code"), due=F("due_on")))
    entries = (Plan.objects.order_by().filter(status=PlanStatus.APPROVED, entered_on__isnull=True, entry_due_on__lt=before)
               .annotate(scope_code=F("household__division_code"), responsible_ref=_contact_id())
               .values("id", "household_id", "responsible_ref", division_code=F("scope_code"),
                       due=F("entry_due_on")))
    measures = (Measure.objects.order_by().filter(plan__status=PlanStatus.APPROVED, status=MeasureStatus.PLANNED,
                                       due_on__lt=before)
                .annotate(scope_code=F("household__division_code"), responsible_ref=_contact_id())
                .values("id", "household_id", "responsible_ref", division_code=F("scope_code"), due=F("due_on")))
    return {"visit": visits, "plan": plans, "entry": entries, "measure": measures, "ticket": tickets}


def overdue_by_household(household_ids, today: dt.date) -> dict[int, list[dict]]:
    """The overdue items of these households (a page of a list, one household): per household a list of
    ``{"kind", "label", "due_on", "days", "level"}``, most overdue first. One query per kind."""
    ids = [int(i) for i in household_ids]
    out: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    escalations: dict[str, Escalation] = {}
    for kind, qs in overdue_querysets(today).items():
        for row in qs.filter(household_id__in=ids):
            county = row["division_code"][:6]
            esc = escalations.get(county) or escalations.setdefault(county, Escalation.for_county(county))
            out[row["household_id"]].append({
                "kind": kind, "label": KIND_LABELS[kind], "due_on": row["due"],
                "days": (today - row["due"]).days, "level": esc.level(row["due"], today),
            })
    for items in out.values():
        items.sort(key=lambda i: i["due_on"])
    return out


# --- the overdue lists per user (R-TRACK-04) ----------------------------------------------------------
#
# Contacts and grid workers see the items they are responsible for; township staff and village cadres
# every overdue item of their area (the escalated ones marked); the county office by default only the
# items escalated to the county. One query per kind, each cut to the page by the due-date indexes.

OWN_ROLES = (Role.ASSISTANCE_CONTACT, Role.GRID_WORKER)
COUNTY_ROLES = (Role.COUNTY_OFFICE, Role.SUPERVISOR, Role.DEPARTMENT_OFFICER, Role.ADMINISTRATOR)
NO_ONE = "（未确定责任人）"


def escalation_for(user) -> Escalation | None:
    code = user.scope_code or ""
    return Escalation.for_county(code[:6]) if len(code) >= 6 else None


def default_level(user, show_all: bool = False) -> int:
    """The escalation level a user's list starts from: the county office sees what reached the county."""
    return LEVEL_COUNTY if user.role in COUNTY_ROLES and not show_all else LEVEL_NONE


def querysets_for(user, today: dt.date, *, level: int = LEVEL_NONE, kinds=None) -> dict[str, QuerySet]:
    """Per kind, the overdue items the user sees (``overdue_querysets`` rows), at least at ``level``."""
    esc = escalation_for(user)
    due_before = esc.due_before(level, today) if esc is not None and level else None
    out = {}
    for kind, qs in overdue_querysets(today, due_before).items():
        if kinds and kind not in kinds:
            continue
        if user.role in OWN_ROLES:
            if kind in ("visit", "ticket"):
                qs = qs.filter(responsible=user)
            else:
                mine = ContactAssignment.objects.filter(contact=user, ended_on__isnull=True).values("household_id")
                qs = qs.filter(household_id__in=mine)
        else:
            field = "division_code" if kind in ("visit", "ticket") else "household__division_code"
            qs = scope_filter(qs, user, field)
        out[kind] = qs
    return out


def count_for(user, today: dt.date, *, level: int = LEVEL_NONE) -> int:
    return sum(qs.order_by().count() for qs in querysets_for(user, today, level=level).values())


def _names(user_ids) -> dict[int, str]:
    from django.contrib.auth import get_user_model

    ids = {i for i in user_ids if i}
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)} if ids else {}


def overdue_page(user, today: dt.date, *, show_all: bool = False, kind: str = "", page: int = 1,
                 size: int = 50) -> dict:
    """One page of the user's overdue items, most overdue first, with the per-person summary.

    Returns ``{"items", "total", "totals" (per kind), "page", "pages", "level", "people"}``; each item
    ``{"kind", "label", "id", "household_id", "division_code", "due_on", "days", "level", "level_label",
    "responsible_id", "responsible_name"}``. Households (number, head, badges) are added by the caller's
    ``decorate_items``."""
    level = default_level(user, show_all)
    kinds = [kind] if kind in KIND_LABELS else None
    qss = querysets_for(user, today, level=level, kinds=kinds)
    people, totals = _summary(qss, today)  # the per-person GROUP BY gives the totals per kind too
    total = sum(totals.values())
    pages = max(1, (total + size - 1) // size)
    page = min(max(1, int(page or 1)), pages)
    take = page * size
    rows = []
    for k, qs in qss.items():
        if totals[k]:
            rows.extend({**r, "kind": k} for r in qs.order_by("due", "id")[:take])
    rows.sort(key=lambda r: (r["due"], list(KIND_LABELS).index(r["kind"]), r["id"]))
    rows = rows[(page - 1) * size: take]
    names = _names([*(r["responsible_ref"] for r in rows), *(p["responsible_id"] for p in people)])
    for p in people:
        p["name"] = names.get(p["responsible_id"], NO_ONE)
    esc_cache: dict[str, Escalation] = {}
    items = []
    for r in rows:
        county = r["division_code"][:6]
        esc = esc_cache.get(county) or esc_cache.setdefault(county, Escalation.for_county(county))
        lvl = esc.level(r["due"], today)
        items.append({"kind": r["kind"], "label": KIND_LABELS[r["kind"]], "id": r["id"],
                      "household_id": r["household_id"], "division_code": r["division_code"], "due_on": r["due"],
                      "days": (today - r["due"]).days, "level": lvl, "level_label": LEVEL_LABELS[lvl],
                      "responsible_id": r["responsible_ref"],
                      "responsible_name": names.get(r["responsible_ref"], NO_ONE)})
    return {"items": items, "total": total, "totals": totals, "page": page, "pages": pages, "level": level,
            "people": people}


def _summary(qss: dict[str, QuerySet], today: dt.date) -> tuple[list[dict], dict[str, int]]:
    """Per responsible person: counts by kind and the oldest due date (one GROUP BY per kind); and the
    number of items per kind."""
    people: dict = {}
    totals = dict.fromkeys(qss, 0)
    for kind, qs in qss.items():
        for r in qs.order_by().values("responsible_ref").annotate(n=Count("id"), oldest=Min("due")):
            totals[kind] += r["n"]
            entry = people.setdefault(r["responsible_ref"], {"responsible_id": r["responsible_ref"],
                                                             "counts": dict.fromkeys(KIND_LABELS, 0),
                                                             "total": 0, "oldest": r["oldest"]})
            entry["counts"][kind] += r["n"]
            entry["total"] += r["n"]
            entry["oldest"] = min(entry["oldest"], r["oldest"])
    out = sorted(people.values(), key=lambda e: (e["oldest"], -e["total"]))
    for e in out:
        e["days"] = (today - e["oldest"]).days
        e["by_kind"] = [(KIND_LABELS[k], n) for k, n in e["counts"].items() if n]
    return out, totals
