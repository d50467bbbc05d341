"""The monthly follow-up visit (R-TRACK-02): income by source, measures, 两不愁三保障 and water, member changes, new risks; offline-tolerant with an idempotency key."""

from __future__ import annotations


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
