"""一户一码三色: the risk colour shown with the household everywhere, and the door card's code.

``colours_for`` is set-based: the households in one query, their open tickets in one GROUP BY, their
overdue items through ``fangpin.followup.overdue.overdue_by_household`` (one query per kind) — the
same number of queries for a page of 20 as for one household. The rule itself is
``fangpin.policy.colour.colour`` with the county's ``[risk_colour]`` parameters.

The door card's QR code holds only an URL with an opaque signed token of the household's id (no name,
no ID number, no phone): ``card_token`` / ``household_id_from_token``.
"""

from __future__ import annotations

from django.core import signing
from django.db.models import Count

from fangpin.policy.colour import LABELS, ColourParams, colour
from fangpin.profiles.services import profile_for_county
from fangpin.registry.models import Household, MonitoringStatus

from .models import Ticket, TicketStatus
from .overdue import overdue_by_household

CARD_SALT = "fangpin.followup.door-card"
BADGE_CSS = {"red": "colour-red", "yellow": "colour-yellow", "green": "colour-green"}


def _params(county: str) -> tuple[ColourParams, dict[str, str]]:
    profile = profile_for_county(county)
    data = {key: profile.param(f"risk_colour.{key}")
            for key in ("red_open_tickets", "yellow_when_monitored", "yellow_categories")}
    return ColourParams.from_mapping(data), profile.category_names()


def open_ticket_counts(household_ids) -> dict[int, int]:
    rows = (Ticket.objects.filter(household_id__in=household_ids, status=TicketStatus.OPEN)
            .values("household_id").annotate(n=Count("id")).values_list("household_id", "n"))
    return dict(rows)


def colours_for(household_ids, today, *, overdue: dict | None = None) -> dict:
    """Per household id: {"colour": "red|yellow|green", "label": "红|黄|绿", "reasons": [...]}.
    ``overdue`` (from ``overdue_by_household``) may be passed when the caller already has it."""
    ids = [int(i) for i in household_ids]
    if not ids:
        return {}
    facts = Household.objects.filter(pk__in=ids).values_list("id", "division_code", "category",
                                                               "monitoring_status")
    tickets = open_ticket_counts(ids)
    if overdue is None:
        overdue = overdue_by_household(ids, today)
    params: dict[str, tuple[ColourParams, dict]] = {}
    out = {}
    for pk, code, category, status in facts:
        county = code[:6]
        if county not in params:
            params[county] = _params(county)
        rule, names = params[county]
        value, reasons = colour(monitored=status == MonitoringStatus.MONITORED, category=category,
                                open_tickets=tickets.get(pk, 0), overdue_items=len(overdue.get(pk, [])),
                                params=rule, category_name=names.get(category, category))
        out[pk] = {"colour": value, "label": LABELS[value], "reasons": reasons}
    return out


def _badges(user, household_ids) -> dict[int, dict]:
    from fangpin.profiles.services import today

    return {pk: {"label": f"{c['label']}码", "css": BADGE_CSS[c["colour"]], "title": "；".join(c["reasons"])}
            for pk, c in colours_for(household_ids, today()).items()}


# --- door card token ---------------------------------------------------------------------------------


def card_token(household_id: int) -> str:
    """An opaque, signed code of the household's id (no personal data); printed in the door card's QR."""
    return signing.dumps(int(household_id), salt=CARD_SALT, compress=True)


def household_id_from_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=CARD_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return value if isinstance(value, int) else None


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
    from fangpin.registry.panels import HOUSEHOLD_BADGES

    if _badges not in HOUSEHOLD_BADGES:
        HOUSEHOLD_BADGES.append(_badges)
