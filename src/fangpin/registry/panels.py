"""Hooks through which apps above the registry add to the household pages without the registry
importing them (the layers only point down).

- ``HOUSEHOLD_PANELS``: callables ``(user, household) -> dict | None``; a dict ``{"title", "template",
  "context", "order"}`` is rendered as a section of the household page (``template`` included with
  ``context``). Return None to show nothing.
- ``HOUSEHOLD_BADGES``: callables ``(user, household_ids: list[int]) -> dict[int, dict]``; each dict
  ``{"label", "css", "title"}`` is a badge shown beside the household in lists and on its page (the
  risk colour). One query per provider per page, never one per household.
"""

from __future__ import annotations

HOUSEHOLD_PANELS: list = []
HOUSEHOLD_BADGES: list = []


def panels_for(user, household) -> list[dict]:
    out = []
    for provider in HOUSEHOLD_PANELS:
        panel = provider(user, household)
        if panel:
            out.append(panel)
    return sorted(out, key=lambda p: p.get("order", 100))


def badges_for(user, household_ids) -> dict[int, list[dict]]:
    """Badges per household id, from every provider (empty lists for households without any)."""
    ids = [int(i) for i in household_ids]
    out: dict[int, list[dict]] = {i: [] for i in ids}
    if not ids:
        return out
    for provider in HOUSEHOLD_BADGES:
        for hid, badge in (provider(user, ids) or {}).items():
            if hid in out and badge:
                out[hid].append(badge)
    return out
