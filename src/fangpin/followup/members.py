"""Member changes seen on visits: proposed, verified by the village, applied through the registry's services (R-TRACK-02, 账实相符)."""

from __future__ import annotations


def register() -> None:
    """Hook this module into the pages (pending actions, household panels and badges, audit labels)."""
