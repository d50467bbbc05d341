"""Problem tickets for 两不愁三保障 and water problems with clearing deadlines by difficulty (R-TRACK-05)."""

from __future__ import annotations


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""


def open_from_findings(actor, household, problems: list[dict], *, source: str, visit=None, source_ref: str = "",
                       today=None) -> list:
    """Open (or add to) tickets for the problems found, in the caller's transaction. Each problem is a dict
    {"dimension", "description", "difficulty"?}; errors name ``problems[i].<field>`` in Chinese."""
    return []


def open_from_registry(actor, county_code: str, *, today=None, source: str = "import", source_ref: str = "") -> int:
    """Open tickets, set-based, for households whose registry flags show a basic-needs or water problem
    and that have no open ticket for it; returns how many were opened."""
    return 0
