"""Grids, grid workers and working groups as a user may see them (R-SEC-01, R-GRID-01).

Built on the one door, ``fangpin.accounts.scoping``: a grid worker bound to a grid sees that grid and
nothing around it; a village cadre the village's grids and workers; outside the user's area every id
answers 404, the same as a missing one.
"""

from __future__ import annotations

from fangpin.accounts.scoping import divisions_visible_to, get_visible, scope_filter
from fangpin.areas.models import Division, GridWorker, Level, WorkingGroup


def get_division_for(user, pk, level: int) -> Division:
    return get_visible(Division.objects.filter(level=level), user, pk, field="code",
                       not_found="区划不存在或不在您的管辖范围内")


def get_village_for(user, pk) -> Division:
    return get_division_for(user, pk, Level.VILLAGE)


def get_group_for(user, pk) -> Division:
    return get_division_for(user, pk, Level.GROUP)


def get_grid_for(user, pk) -> Division:
    return get_division_for(user, pk, Level.GRID)


def workers_visible_to(user):
    return scope_filter(GridWorker.objects.all(), user)


def get_worker_for(user, pk) -> GridWorker:
    return get_visible(GridWorker.objects.select_related("unit", "grid", "user"), user, pk,
                       not_found="网格员不存在或不在您的管辖范围内")


def working_groups_visible_to(user):
    return scope_filter(WorkingGroup.objects.all(), user)


def get_working_group_for(user, pk) -> WorkingGroup:
    return get_visible(WorkingGroup.objects.select_related("division"), user, pk,
                       not_found="工作组不存在或不在您的管辖范围内")


def villages_visible_to(user):
    return divisions_visible_to(user).filter(level=Level.VILLAGE)


def visible_division_by_code(user, code: str) -> Division | None:
    """A division of the user's area by its code (None outside the area or unknown: the caller answers 404)."""
    code = (code or "").strip()
    if not code:
        return None
    return divisions_visible_to(user).filter(code=code).first()
