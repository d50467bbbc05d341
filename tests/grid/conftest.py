"""Helpers for the grid tests: households added in bulk to a grid (or to a group without a grid)."""

from __future__ import annotations

import itertools

import pytest

from fangpin.registry.models import Household

_numbers = itertools.count(5000)


def fill(place, n: int, *, grid=True) -> list[Household]:
    """``n`` households in ``place`` (a grid, or a group when ``grid`` is False), bulk-inserted."""
    group = place.parent if grid else place
    village = group.parent
    rows = [
        Household(number=f"{village.code[-6:]}{next(_numbers):05d}", village=village, group=group,
                  grid=place if grid else None, division_code=place.code, category="ordinary")
        for _ in range(n)
    ]
    return Household.objects.bulk_create(rows)


@pytest.fixture
def filler():
    return fill
