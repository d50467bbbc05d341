"""Village half-monthly analysis and township monthly dispatch material, meetings, the income series (R-TRACK-03)."""

from __future__ import annotations


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""


def income_series(household_ids, *, end_month, months: int = 12) -> dict:
    """Per household the income series of the last ``months`` months (monthly records from visits and
    annual records from imports as one series)."""
    return {int(i): [] for i in household_ids}
