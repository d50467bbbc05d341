"""一户一码三色: the household door card and the risk colour shown with the household everywhere."""

from __future__ import annotations


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""


def colours_for(household_ids, today) -> dict:
    """Per household id: {"colour": "red|yellow|green", "label", "reasons": [...]}."""
    return {}
