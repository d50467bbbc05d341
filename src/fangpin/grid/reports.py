"""Grid reports per village, township or county (R-GRID-06, R-GRID-01): grids over the maximum and under
the minimum, households without a grid, grid workers without a grid, grids without a worker.

Set-based: one grouped count of the area's households by division code (a household in a grid carries
the grid's 17-digit code, ``registry.services.resolve_location``; one without a grid its group's or
village's code), read from the ``(division_code, number)`` index; one query for the grids and one for
the workers. No per-household or per-grid query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import CODE_LENGTH, Division, GridPairing, GridWorker, Level
from fangpin.registry.models import Household

from .structure import GridStructure, structure_for

GRID_CODE_LENGTH = CODE_LENGTH[Level.GRID]
MAX_LISTED = 500  # workers without a grid listed by name (all are counted)
STATE_LABELS = {"over_hard": "超过上限", "over_max": "超过常规户数", "under_min": "少于常规户数", "ok": "正常"}


@dataclass
class GridRow:
    id: int
    code: str
    name: str
    households: int
    state: str  # over_hard | over_max | under_min | ok
    workers: list = field(default_factory=list)  # by name for a village's or a grid's report only
    paired: GridWorker | None = None
    staffed: bool = False  # the grid has its group-grid worker

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class AreaRow:
    code: str
    name: str
    grids: int = 0
    households: int = 0
    over_hard: int = 0
    over_max: int = 0
    under_min: int = 0
    without_grid: int = 0
    grids_without_worker: int = 0
    workers_without_grid: int = 0


@dataclass
class GridReport:
    division: Division
    rules: GridStructure
    grids: list[GridRow]
    households: int
    without_grid: int
    workers_without_grid: list[GridWorker]  # the first MAX_LISTED
    workers_without_grid_count: int
    areas: list[AreaRow]

    @property
    def over_hard(self) -> list[GridRow]:
        return [g for g in self.grids if g.state == "over_hard"]

    @property
    def over_max(self) -> list[GridRow]:
        return [g for g in self.grids if g.state in ("over_hard", "over_max")]

    @property
    def under_min(self) -> list[GridRow]:
        return [g for g in self.grids if g.state == "under_min"]

    @property
    def grids_without_worker(self) -> list[GridRow]:
        return [g for g in self.grids if not g.staffed]


def state_of(households: int, rules: GridStructure) -> str:
    if households > rules.households_hard_max:
        return "over_hard"
    if households > rules.households_max:
        return "over_max"
    if households < rules.households_min:
        return "under_min"
    return "ok"


def grid_report(division: Division) -> GridReport:
    """The grid report of ``division`` (a county, township, village or one grid); the caller has checked
    that the user may see it. ``areas`` breaks it down by the next level (townships of a county,
    villages of a township)."""
    code = division.code
    rules = structure_for(code)
    counts = dict(
        Household.objects.filter(prefix_q("division_code", code)).order_by()
        .values_list("division_code").annotate(n=Count("id"))
    )
    households = sum(counts.values())
    grids = list(
        Division.objects.filter(prefix_q("code", code), level=Level.GRID, active=True).order_by("code")
        .values_list("id", "code", "name")
    )
    rows = [GridRow(pk, c, name, counts.get(c, 0), state_of(counts.get(c, 0), rules)) for pk, c, name in grids]
    by_id = {r.id: r for r in rows}
    grid_position = rules.grid_position.code
    workers = GridWorker.objects.filter(prefix_q("division_code", code), active=True, position=grid_position)
    without = workers.filter(grid__isnull=True).select_related("unit").order_by("division_code", "name")
    workers_without_grid = list(without[:MAX_LISTED])
    if division.level >= Level.VILLAGE:  # a village or a grid: the people by name, for its page and ledger
        for w in workers.filter(grid__isnull=False).order_by("division_code", "name"):
            if w.grid_id in by_id:
                by_id[w.grid_id].workers.append(w)
                by_id[w.grid_id].staffed = True
        for p in GridPairing.objects.filter(prefix_q("division_code", code), worker__active=True).select_related("worker"):
            if p.grid_id in by_id:
                by_id[p.grid_id].paired = p.worker
    else:  # a township or county: whether each grid has its worker is enough
        staffed = set(workers.filter(grid__isnull=False).values_list("grid_id", flat=True))
        for row in rows:
            row.staffed = row.id in staffed
    workers_without_count = without.count() if len(workers_without_grid) == MAX_LISTED else len(workers_without_grid)
    without_grid = sum(n for c, n in counts.items() if len(c) < GRID_CODE_LENGTH)
    return GridReport(division, rules, rows, households, without_grid, workers_without_grid, workers_without_count,
                      _areas(division, rows, counts, without))


def _areas(division: Division, rows: list[GridRow], counts: dict, without) -> list[AreaRow]:
    if division.level >= Level.VILLAGE:
        return []
    length = CODE_LENGTH[Level(division.level + 1)]
    names = dict(Division.objects.filter(parent=division).values_list("code", "name"))
    areas = {c: AreaRow(c, n) for c, n in sorted(names.items())}

    def area(code: str) -> AreaRow:
        key = code[:length]
        if key not in areas:
            areas[key] = AreaRow(key, key)
        return areas[key]

    for c, n in counts.items():
        a = area(c)
        a.households += n
        if len(c) < GRID_CODE_LENGTH:
            a.without_grid += n
    for r in rows:
        a = area(r.code)
        a.grids += 1
        a.over_hard += r.state == "over_hard"
        a.over_max += r.state in ("over_hard", "over_max")
        a.under_min += r.state == "under_min"
        a.grids_without_worker += not r.staffed
    for w_code, n in without.order_by().values_list("division_code").annotate(n=Count("id")):
        area(w_code).workers_without_grid += n
    return list(areas.values())
