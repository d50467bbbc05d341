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

from django.db.models import F, OuterRef, QuerySet, Subquery

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
        """Items due before this day have reached ``level`` (for a filter on the due-date index)."""
        days = {LEVEL_NONE: 0, LEVEL_TOWNSHIP: self.to_township_days,
                LEVEL_COUNTY: self.to_township_days + self.to_county_days}[level]
        return today - dt.timedelta(days=days)


def _contact_id():
    return Subquery(ContactAssignment.objects.filter(household=OuterRef("household"), ended_on__isnull=True)
                    .values("contact_id")[:1])


def overdue_querysets(today: dt.date, due_before: dt.date | None = None) -> dict[str, QuerySet]:
    """Per kind, the unscoped queryset of overdue items as rows of ``id``, ``household_id``,
    ``division_code``, ``due`` and ``responsible_ref`` (the person who should act: the scheduled visitor, the household's
    contact for plans and measures, the ticket's responsible person). Scope them with ``scope_filter`` on
    ``division_code`` (a field or an alias of each row; for plans and measures filter on
    ``household__division_code`` for the index)."""
    before = min(today, due_before) if due_before else today
    visits = (VisitSchedule.objects.filter(done_on__isnull=True, due_on__lt=before)
              .values("id", "household_id", "division_code", due=F("due_on"), responsible_ref=F("responsible_id")))
    tickets = (Ticket.objects.filter(status=TicketStatus.OPEN, due_on__lt=before)
               .values("id", "household_id", "division_code", due=F("due_on"), responsible_ref=F("responsible_id")))
    plans = (Plan.objects.filter(status__in=OPEN_PLAN, due_on__lt=before)
             .annotate(scope_code=F("household__division_code"), responsible_ref=_contact_id())
             .values("id", "household_id", "responsible_ref", division_code=F("scope_code"), due=F("due_on")))
    entries = (Plan.objects.filter(status=PlanStatus.APPROVED, entered_on__isnull=True, entry_due_on__lt=before)
               .annotate(scope_code=F("household__division_code"), responsible_ref=_contact_id())
               .values("id", "household_id", "responsible_ref", division_code=F("scope_code"),
                       due=F("entry_due_on")))
    measures = (Measure.objects.filter(plan__status=PlanStatus.APPROVED, status=MeasureStatus.PLANNED,
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
