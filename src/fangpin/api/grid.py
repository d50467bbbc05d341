"""Grids and grid workers over HTTP (R-GRID-01 … R-GRID-06): the same scoped getters, services and
masking as the grid pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from ninja import Router, Schema, Status

from fangpin.accounts.masking import show_phone
from fangpin.areas.models import Division, GridWorker, Level
from fangpin.audit.context import using_source
from fangpin.grid import selectors, services
from fangpin.grid.reports import grid_report
from fangpin.grid.structure import structure_for

router = Router(tags=["网格"])


class WorkerOut(Schema):
    id: int
    name: str
    phone: str
    position: str
    position_name: str
    unit_code: str
    grid_code: str
    grid_name: str
    is_group_leader: bool
    is_party_member: bool
    other_duty: str
    title: str
    paired_grids: list[str]
    username: str
    note: str
    active: bool


class GridOut(Schema):
    id: int
    code: str
    name: str
    households: int
    state: str
    state_name: str
    workers: list[str]
    paired_worker: str


class GridDetailOut(GridOut):
    group_code: str
    village_code: str
    households_min: int
    households_max: int
    households_hard_max: int
    worker_details: list[WorkerOut]


class AreaOut(Schema):
    code: str
    name: str
    grids: int
    households: int
    over_hard: int
    over_max: int
    under_min: int
    without_grid: int
    grids_without_worker: int
    workers_without_grid: int


class ReportOut(Schema):
    division_code: str
    division_name: str
    grids: int
    households: int
    households_without_grid: int
    households_min: int
    households_max: int
    households_hard_max: int
    grids_over_hard_max: list[GridOut]
    grids_over_max: list[GridOut]
    grids_under_min: list[GridOut]
    grids_without_worker: list[GridOut]
    workers_without_grid: list[WorkerOut]
    workers_without_grid_count: int
    areas: list[AreaOut]


class WorkerIn(Schema):
    unit_code: str
    name: str
    phone: str
    position: str
    grid: str = ""
    is_group_leader: bool = False
    is_party_member: bool = False
    other_duty: str = ""
    title: str = ""
    paired_grids: list[str] = []
    username: str = ""
    note: str = ""


class WorkerPatch(Schema):
    name: str | None = None
    phone: str | None = None
    position: str | None = None
    grid: str | None = None
    is_group_leader: bool | None = None
    is_party_member: bool | None = None
    other_duty: str | None = None
    title: str | None = None
    paired_grids: list[str] | None = None
    username: str | None = None
    note: str | None = None


class RemoveIn(Schema):
    reason: str


class SplitIn(Schema):
    grids: int


class AssignIn(Schema):
    household_ids: list[int]


class MovedOut(Schema):
    moved: int
    grid_households: int


def _worker(user, w: GridWorker, names: dict | None = None) -> dict:
    names = names if names is not None else structure_for(w.division_code).position_names()
    return {
        "id": w.pk, "name": w.name, "phone": show_phone(user, w.phone), "position": w.position,
        "position_name": names.get(w.position, w.position), "unit_code": w.unit.code,
        "grid_code": w.grid.code if w.grid_id else "", "grid_name": w.grid.name if w.grid_id else "",
        "is_group_leader": w.is_group_leader, "is_party_member": w.is_party_member, "other_duty": w.other_duty,
        "title": w.title, "paired_grids": [p.grid.code for p in w.pairings.select_related("grid")],
        "username": w.user.username if w.user_id else "", "note": w.note, "active": w.active,
    }


def _grid(row) -> dict:
    return {"id": row.id, "code": row.code, "name": row.name, "households": row.households, "state": row.state,
            "state_name": row.state_label, "workers": [w.name for w in row.workers],
            "paired_worker": row.paired.name if row.paired else ""}


def _source(request):
    return using_source("api", request.path)


@router.get("/grid-report", response=ReportOut, summary="网格情况：超过上限或偏少的网格、未入网格农户、未分配网格的网格员")
def report(request, division: str = ""):
    user = request.user
    place = selectors.visible_division_by_code(user, division) if division else user.division
    if place is None and not division:
        raise Http404("请指定区划代码")
    if place is None:
        raise Http404()
    data = grid_report(place)
    names = data.rules.position_names()
    return {
        "division_code": place.code, "division_name": place.name, "grids": len(data.grids),
        "households": data.households, "households_without_grid": data.without_grid,
        "households_min": data.rules.households_min, "households_max": data.rules.households_max,
        "households_hard_max": data.rules.households_hard_max,
        "grids_over_hard_max": [_grid(r) for r in data.over_hard[:500]],
        "grids_over_max": [_grid(r) for r in data.over_max[:500]],
        "grids_under_min": [_grid(r) for r in data.under_min[:500]],
        "grids_without_worker": [_grid(r) for r in data.grids_without_worker[:500]],
        "workers_without_grid": [_worker(user, w, names) for w in data.workers_without_grid[:500]],
        "workers_without_grid_count": data.workers_without_grid_count,
        "areas": [a.__dict__ for a in data.areas],
    }


@router.get("/villages/{village_id}/grids", response=list[GridOut], summary="一个村的网格及户数、网格员")
def village_grids(request, village_id: int):
    village = selectors.get_village_for(request.user, village_id)
    return [_grid(r) for r in grid_report(village).grids]


@router.get("/grids/{grid_id}", response=GridDetailOut, summary="网格详情（网格员只能查看本人所在网格）")
def grid_detail(request, grid_id: int):
    user = request.user
    grid = selectors.get_grid_for(user, grid_id)
    data = grid_report(grid)
    row = data.grids[0]
    names = data.rules.position_names()
    workers = GridWorker.objects.filter(grid=grid, active=True).select_related("unit", "grid", "user")
    return {**_grid(row), "group_code": grid.code[:15], "village_code": grid.code[:12],
            "households_min": data.rules.households_min, "households_max": data.rules.households_max,
            "households_hard_max": data.rules.households_hard_max,
            "worker_details": [_worker(user, w, names) for w in workers]}


@router.post("/grids/{grid_id}/households", response=MovedOut, summary="把本村农户调入该网格（超过网格户数上限的不予调整）")
def assign(request, grid_id: int, payload: AssignIn):
    user = request.user
    grid = selectors.get_grid_for(user, grid_id)
    if not user.caps.write_registry:
        raise PermissionDenied(f"{user.role_label}角色不能调整网格")
    village = Division.objects.get(code=grid.code[:12], level=Level.VILLAGE)
    with _source(request):
        moved = services.assign_households(user, village, [(hid, grid.code) for hid in payload.household_ids])
    return {"moved": len(moved), "grid_households": grid_report(grid).households}


@router.post("/villager-groups/{group_id}/split", response=list[GridOut],
             summary="把村民小组划分为若干网格（命名“村民小组+第一网格”…，按户编号平均分户）")
def split(request, group_id: int, payload: SplitIn):
    user = request.user
    group = selectors.get_group_for(user, group_id)
    with _source(request):
        services.split_group(user, group, payload.grids)
    return [_grid(r) for r in grid_report(group).grids]


@router.get("/grid-workers", response=list[WorkerOut], summary="网格员名单（本人管辖范围内）")
def list_workers(request, division: str = "", without_grid: bool = False):
    user = request.user
    qs = selectors.workers_visible_to(user).filter(active=True).select_related("unit", "grid", "user")
    if division:
        place = selectors.visible_division_by_code(user, division)
        if place is None:
            raise Http404()
        qs = qs.within(place.code)
    if without_grid:
        qs = qs.filter(grid__isnull=True)
    return [_worker(user, w) for w in qs[:1000]]


@router.post("/grid-workers", response={201: WorkerOut}, summary="登记网格员（村组网格员、村级网格员或网格长）")
def create_worker(request, payload: WorkerIn):
    user = request.user
    unit = selectors.visible_division_by_code(user, payload.unit_code)
    if unit is None or unit.level not in (Level.TOWNSHIP, Level.VILLAGE):
        raise Http404()
    data = payload.dict()
    data.pop("unit_code")
    with _source(request):
        worker = services.create_worker(user, unit, data)
    return Status(201, _worker(user, worker))


@router.get("/grid-workers/{worker_id}", response=WorkerOut, summary="网格员详情")
def get_worker(request, worker_id: int):
    return _worker(request.user, selectors.get_worker_for(request.user, worker_id))


@router.patch("/grid-workers/{worker_id}", response=WorkerOut, summary="修改网格员（只改提交的项）")
def patch_worker(request, worker_id: int, payload: WorkerPatch):
    user = request.user
    worker = selectors.get_worker_for(user, worker_id)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    with _source(request):
        worker = services.update_worker(user, worker, data)
    return _worker(user, worker)


@router.post("/grid-workers/{worker_id}/remove", response=WorkerOut, summary="网格员离岗（须填写原因）")
def remove_worker(request, worker_id: int, payload: RemoveIn):
    user = request.user
    worker = selectors.get_worker_for(user, worker_id)
    with _source(request):
        worker = services.remove_worker(user, worker, payload.reason)
    return _worker(user, worker)
