"""Monthly visit schedules (R-TRACK-01) and the overdue lists and escalation built on overdue.py (R-TRACK-04)."""

from __future__ import annotations


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""


def generate(county_code: str, month, *, today=None, actor=None) -> dict:
    """Generate (idempotently, set-based) the month's visit schedule of a county; returns counts."""
    raise NotImplementedError


def note_visit(visit) -> None:
    """Keep the schedule in step with a visit just recorded (in the caller's transaction)."""
