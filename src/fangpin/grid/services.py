"""The one door for grid writes (R-GRID-01 … R-GRID-06).

Each function has the shape of ``registry.services.update_household``: the actor's role and area are
checked (and the county's write lock taken in shared mode, ``require_write_in``), the rows locked,
every input validated with the shared validators (Chinese messages naming the field), then written
and audited in one transaction. A refused call writes nothing.
"""

from __future__ import annotations

import math
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from fangpin import validation
from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import require_write_in, scope_filter
from fangpin.areas.models import Division, GridPairing, GridWorker, Level, WorkingGroup, WorkingGroupMember
from fangpin.areas.services import grid_name
from fangpin.audit.services import ACTION_LABELS, record
from fangpin.registry.divisions import create_division
from fangpin.registry.models import Household
from fangpin.validation import Errors

from .structure import GridStructure, structure_for

ACTION_LABELS.update({
    "grid.split": "拆分村民小组网格",
    "grid.assign": "调整农户所在网格",
    "grid_worker.create": "登记网格员",
    "grid_worker.update": "修改网格员信息",
    "grid_worker.remove": "网格员离岗",
    "working_group.create": "建立工作组",
    "working_group.update": "修改工作组",
})

MAX_GRIDS_PER_GROUP = 99  # grid codes are the group's code and two digits


# --- households into grids (R-GRID-02, R-GRID-06) -------------------------------------------------


@transaction.atomic
def assign_households(actor, village: Division, assignments) -> list[Household]:
    """Put households of ``village`` into grids of the same village: ``assignments`` is a list of
    ``(household id, grid code)``. Refused as a whole when an id is not a household of the village in
    the actor's area, a grid is not a grid of the village, one household is given two grids, or a grid
    would hold more households than the profile's hard maximum. Returns the households that moved."""
    require_write_in(actor, village.code)
    rules = structure_for(village.code)
    errors = Errors()
    wanted: dict[int, str] = {}
    for i, item in enumerate(assignments, start=1):
        try:
            raw_id, raw_code = item
        except (TypeError, ValueError):
            errors.setdefault("household_ids", f"第{i}项应为 农户编号 和 网格代码")
            continue
        hid = validation.integer(raw_id, "household_ids", f"第{i}项的农户", errors, minimum=1, maximum=2**62)
        code = validation.text(raw_code, "grid", f"第{i}项的网格", errors, max_length=17)
        if hid is None or not code:
            continue
        if hid in wanted:
            if wanted[hid] != code:
                errors.setdefault("household_ids", f"第{i}项：同一户被同时分到两个网格（{wanted[hid]}、{code}），每户只能属于一个网格")
            else:
                errors.setdefault("household_ids", f"第{i}项：同一户重复出现")
            continue
        wanted[hid] = code
    if not wanted and not errors:
        errors["household_ids"] = "请至少选择一户"
    errors.raise_if_any()

    grids = {
        d.code: d
        for d in Division.objects.select_for_update(of=("self",))
        .filter(code__in=set(wanted.values()), level=Level.GRID, active=True)
        .select_related("parent")
        if d.code.startswith(village.code)
    }
    for code in dict.fromkeys(wanted.values()):
        if code not in grids:
            errors.setdefault("grid", f"网格 {validation.shown(code)} 不存在或不属于{village.name}")
    households = Household.objects.select_for_update().filter(pk__in=wanted, village=village)
    if actor is not None:
        households = scope_filter(households, actor)
    found = {h.pk: h for h in households}
    for i, hid in enumerate(wanted, start=1):
        if hid not in found:
            errors.setdefault("household_ids", f"第{i}项：农户不存在或不属于{village.name}")
    errors.raise_if_any()

    moving = [h for h in found.values() if h.grid_id != grids[wanted[h.pk]].pk]
    if not moving:
        return []
    current = dict(
        Household.objects.filter(grid__in=[g.pk for g in grids.values()]).values_list("grid").annotate(n=Count("id"))
    )
    leaving = Counter(h.grid_id for h in moving)
    arriving = Counter(grids[wanted[h.pk]].pk for h in moving)
    for grid in sorted(grids.values(), key=lambda g: g.code):
        after = current.get(grid.pk, 0) - leaving.get(grid.pk, 0) + arriving.get(grid.pk, 0)
        if after > rules.households_hard_max:
            errors.setdefault("grid", f"{grid.name}调整后将有{after}户，超过本县每个网格最多{rules.households_hard_max}户的上限，请先拆分网格")
    errors.raise_if_any()

    names = dict(Division.objects.filter(pk__in={h.grid_id for h in moving if h.grid_id}).values_list("pk", "name"))
    now = timezone.now()
    befores = {}
    for h in moving:
        grid = grids[wanted[h.pk]]
        befores[h.pk] = {"grid": names.get(h.grid_id, ""), "division_code": h.division_code}
        h.grid, h.group, h.division_code, h.updated_at = grid, grid.parent, grid.code, now
    bulk_update_with_history(moving, Household, ["grid", "group", "division_code", "updated_at"], batch_size=500,
                             default_user=actor if actor is not None and actor.is_authenticated else None,
                             default_change_reason="调整网格")
    for h in moving:
        record(actor, "grid.assign", h, before=befores[h.pk], after={"grid": h.grid.name, "division_code": h.division_code})
    return moving


@transaction.atomic
def split_group(actor, group: Division, grids) -> list[Division]:
    """Split a villager group's households into ``grids`` grids (R-GRID-02): the grids it has are kept
    (in code order), the missing ones are created and named "<group>第二网格" …, and the households are
    shared out in household-number order so each grid gets an even, contiguous block. Refused when a
    grid would exceed the profile's hard maximum or when fewer grids than the group has are asked for."""
    if group.level != Level.GROUP:
        raise ValidationError({"group": "只能拆分村民小组"})
    require_write_in(actor, group.code)
    group = Division.objects.select_for_update(of=("self",)).select_related("parent").get(pk=group.pk)
    rules = structure_for(group.code)
    errors = Errors()
    n = validation.integer(grids, "grids", "网格数", errors, minimum=1, maximum=MAX_GRIDS_PER_GROUP)
    errors.raise_if_any()
    existing = list(Division.objects.filter(parent=group, level=Level.GRID, active=True).order_by("code"))
    if n < len(existing):
        validation.fail("grids", f"{group.name}已有{len(existing)}个网格，网格数不能少于现有网格数；如需合并，请先把农户调整到其他网格")
    households = list(Household.objects.filter(group=group).order_by("number").values_list("pk", flat=True))
    total = len(households)
    biggest = math.ceil(total / n) if total else 0
    if biggest > rules.households_hard_max:
        validation.fail("grids", f"{group.name}共{total}户，分为{n}个网格时每个网格最多有{biggest}户，超过本县上限"
                                 f"{rules.households_hard_max}户；请至少分为{math.ceil(total / rules.households_hard_max)}个网格")
    used = set(Division.objects.filter(parent=group).values_list("code", flat=True))
    free = (f"{group.code}{j:02d}" for j in range(1, MAX_GRIDS_PER_GROUP + 1) if f"{group.code}{j:02d}" not in used)
    targets = list(existing)
    for ordinal in range(len(existing) + 1, n + 1):
        code = next(free, None)
        if code is None:
            validation.fail("grids", f"{group.name}的网格代码已用完（最多{MAX_GRIDS_PER_GROUP}个）")
        targets.append(create_division(actor, parent=group, level=Level.GRID, code=code, name=grid_name(group.name, ordinal)))
    sizes = [total // n + (1 if i < total % n else 0) for i in range(n)]
    plan, start = [], 0
    for grid, size in zip(targets, sizes, strict=True):
        plan.extend((hid, grid.code) for hid in households[start : start + size])
        start += size
    if plan:
        assign_households(actor, group.parent, plan)
    record(actor, "grid.split", group, after={"grids": [g.name for g in targets], "sizes": sizes, "households": total})
    return targets


# --- grid workers (R-GRID-03, R-GRID-05) ----------------------------------------------------------

WORKER_FIELDS = ["name", "phone", "position", "grid", "is_group_leader", "is_party_member", "other_duty", "title",
                 "note", "user", "active"]


def _worker_snapshot(worker: GridWorker) -> dict:
    snap = {f: getattr(worker, f) for f in WORKER_FIELDS}
    snap["grid"] = worker.grid.name if worker.grid_id else ""
    snap["user"] = worker.user.username if worker.user_id else ""
    snap["paired_grids"] = sorted(worker.pairings.values_list("grid__name", flat=True)) if worker.pk else []
    return snap


def _clean_worker(actor, unit: Division, data: dict, rules: GridStructure, worker: GridWorker | None) -> dict:
    errors = Errors()
    data = validation.scrub(dict(data))
    out: dict = {}
    out["name"] = validation.text(data.get("name"), "name", "姓名", errors, max_length=20)
    out["phone"] = validation.phone(data.get("phone"), "phone", "联系电话", errors, required=True)
    position = rules.position(str(data.get("position") or (worker.position if worker else "")))
    if position is None:
        errors["position"] = f"请选择岗位（{'、'.join(p.name for p in rules.positions)}）"
    elif unit.level != (Level.TOWNSHIP if position.level == "township" else Level.VILLAGE):
        errors["position"] = f"{position.name}应登记在{'乡镇（街道）' if position.level == 'township' else '行政村（社区）'}"
    out["position"] = position.code if position else ""
    for key, label in (("is_group_leader", "村民组长"), ("is_party_member", "党员")):
        out[key] = bool(validation.boolean(data.get(key), key, label, errors))
    out["other_duty"] = validation.text(data.get("other_duty"), "other_duty", "其他（职务）", errors, required=False, max_length=40)
    out["title"] = validation.text(data.get("title"), "title", "职务", errors, required=False, max_length=40)
    out["note"] = validation.text(data.get("note"), "note", "备注", errors, required=False, max_length=100)
    errors.raise_if_any()

    # The grid of a group-grid worker: a grid of the same village, without another worker of that position.
    out["grid"] = None
    grid_code = validation.text(data.get("grid"), "grid", "网格", errors, required=False, max_length=17)
    if grid_code:
        if position.level != "grid":
            errors["grid"] = f"{position.name}不绑定单个网格；包保网格请在“包保网格”中选择"
        else:
            grid = Division.objects.select_for_update().filter(code=grid_code, level=Level.GRID, active=True).first()
            if grid is None or not grid.code.startswith(unit.code):
                errors["grid"] = f"网格 {validation.shown(grid_code)} 不存在或不属于{unit.name}"
            else:
                taken = GridWorker.objects.filter(grid=grid, position=position.code, active=True).exclude(
                    pk=getattr(worker, "pk", None)).first()
                if taken is not None:
                    errors["grid"] = f"{grid.name}已有{position.name}{taken.name}，一个网格登记一名{position.name}"
                out["grid"] = grid

    # Grids a village-level worker answers for (包保): grids of the village not paired with someone else.
    out["paired_grids"] = None
    if "paired_grids" in data:
        codes = data.get("paired_grids") or []
        if isinstance(codes, str):
            codes = [c for c in codes.replace("，", ",").split(",") if c.strip()]
        codes = [str(c).strip() for c in codes]
        if codes and position.level != "village":
            errors["paired_grids"] = f"只有{rules.village_position.name if rules.village_position else '村级网格员'}可以包保网格"
        elif len(set(codes)) != len(codes):
            errors["paired_grids"] = "包保网格有重复"
        else:
            paired = list(Division.objects.select_for_update().filter(code__in=codes, level=Level.GRID, active=True))
            inside = {g.code: g for g in paired if g.code.startswith(unit.code)}
            for code in codes:
                if code not in inside:
                    errors["paired_grids"] = f"网格 {validation.shown(code)} 不存在或不属于{unit.name}"
                    break
            else:
                clash = (GridPairing.objects.filter(grid__in=inside.values(), worker__active=True)
                         .exclude(worker_id=getattr(worker, "pk", None)).select_related("grid", "worker").first())
                if clash is not None:
                    errors["paired_grids"] = f"{clash.grid.name}已由{clash.worker.name}包保，一个网格由一名{position.name}包保"
                out["paired_grids"] = [inside[c] for c in codes]

    # An optional login: a user of the same place (the grid, or the village / township) not linked to another worker.
    out["user"] = worker.user if worker else None
    if "username" in data:
        username = validation.text(data.get("username"), "username", "登录账号", errors, required=False, max_length=150)
        out["user"] = None
        if username:
            place = out["grid"] or unit
            account = scope_filter(User.objects.filter(username=username, is_active=True), actor, "division__code").first() \
                if actor is not None else User.objects.filter(username=username, is_active=True).first()
            if account is None or account.division_id != place.pk:
                errors["username"] = f"登录账号 {validation.shown(username)} 不存在，或未绑定到{place.name}"
            elif position.level == "grid" and account.role != Role.GRID_WORKER:
                errors["username"] = f"{position.name}的登录账号应为“网格员”角色"
            elif GridWorker.objects.filter(user=account).exclude(pk=getattr(worker, "pk", None)).exists():
                errors["username"] = f"登录账号 {validation.shown(username)} 已关联其他网格员"
            else:
                out["user"] = account
    errors.raise_if_any()
    return out


def _save_worker(worker: GridWorker, unit: Division, clean: dict) -> None:
    for key in ("name", "phone", "position", "is_group_leader", "is_party_member", "other_duty", "title", "note", "user"):
        setattr(worker, key, clean[key])
    worker.unit = unit
    worker.division_code = worker.grid.code if worker.grid_id else unit.code
    worker.save()
    if clean["paired_grids"] is not None:
        keep = {g.pk for g in clean["paired_grids"]}
        worker.pairings.exclude(grid_id__in=keep).delete()
        have = set(worker.pairings.values_list("grid_id", flat=True))
        for grid in clean["paired_grids"]:
            if grid.pk not in have:
                # A pairing left by a worker who is no longer in post is taken over.
                GridPairing.objects.filter(grid=grid).delete()
                GridPairing.objects.create(worker=worker, grid=grid, division_code=grid.code)


@transaction.atomic
def create_worker(actor, unit: Division, data: dict) -> GridWorker:
    """Register a grid worker in ``unit`` (a village, or a township for a township grid head)."""
    require_write_in(actor, unit.code)
    rules = structure_for(unit.code)
    clean = _clean_worker(actor, unit, data, rules, None)
    worker = GridWorker(grid=clean["grid"])
    _save_worker(worker, unit, clean)
    record(actor, "grid_worker.create", worker, after=_worker_snapshot(worker), division_code=worker.division_code)
    return worker


@transaction.atomic
def update_worker(actor, worker: GridWorker, data: dict) -> GridWorker:
    """Change a grid worker; only the keys present in ``data`` change (``grid`` "" = no grid)."""
    worker = GridWorker.objects.select_for_update(of=("self",)).select_related("unit", "grid", "user").get(pk=worker.pk)
    require_write_in(actor, worker.division_code)
    if not worker.active:
        validation.fail("__all__", "该网格员已离岗，不能修改")
    rules = structure_for(worker.unit.code)
    current = {
        "name": worker.name, "phone": worker.phone, "position": worker.position,
        "grid": worker.grid.code if worker.grid_id else "", "is_group_leader": worker.is_group_leader,
        "is_party_member": worker.is_party_member, "other_duty": worker.other_duty, "title": worker.title,
        "note": worker.note,
    }
    merged = {**current, **{k: v for k, v in data.items()}}
    clean = _clean_worker(actor, worker.unit, merged, rules, worker)
    if clean["grid"] is not None:
        require_write_in(actor, clean["grid"].code)
    before = _worker_snapshot(worker)
    worker.grid = clean["grid"]
    _save_worker(worker, worker.unit, clean)
    after = _worker_snapshot(worker)
    if after != before:
        record(actor, "grid_worker.update", worker, before=before, after=after, division_code=worker.division_code)
    return worker


@transaction.atomic
def remove_worker(actor, worker: GridWorker, reason: str) -> GridWorker:
    """The worker leaves the post: kept for the record, no longer in the grid, pairings and login released."""
    worker = GridWorker.objects.select_for_update(of=("self",)).select_related("unit", "grid", "user").get(pk=worker.pk)
    require_write_in(actor, worker.division_code)
    errors = Errors()
    reason = validation.text(reason, "reason", "离岗原因", errors, max_length=100)
    errors.raise_if_any()
    if not worker.active:
        validation.fail("__all__", "该网格员已离岗")
    before = _worker_snapshot(worker)
    worker.pairings.all().delete()
    worker.active, worker.grid, worker.user = False, None, None
    worker.division_code = worker.unit.code
    worker.note = reason
    worker.save()
    record(actor, "grid_worker.remove", worker, before=before, after=_worker_snapshot(worker) | {"reason": reason},
           division_code=worker.division_code)
    return worker


# --- working groups (R-GRID-01: the township and county levels) --------------------------------------


@transaction.atomic
def setup_working_groups(actor, division: Division) -> list[WorkingGroup]:
    """Create the working groups the profile declares for ``division`` (a township or a county), with
    their member units; groups that exist are left as they are."""
    require_write_in(actor, division.code)
    rules = structure_for(division.code)
    created = []
    for template in rules.working_groups:
        if template.division_level != division.level:
            continue
        if WorkingGroup.objects.filter(division=division, kind=template.code).exists():
            continue
        group = WorkingGroup.objects.create(division=division, division_code=division.code, kind=template.code,
                                           name=template.name, leader=template.leader)
        WorkingGroupMember.objects.bulk_create(
            WorkingGroupMember(group=group, position=i, unit_name=unit) for i, unit in enumerate(template.units, start=1)
        )
        record(actor, "working_group.create", group, after={"name": group.name, "units": list(template.units)},
               division_code=division.code)
        created.append(group)
    if not created and not WorkingGroup.objects.filter(division=division).exists():
        validation.fail("__all__", f"本县政策画像没有为{Level(division.level).label}设置工作组")
    return created


MEMBER_FIELDS = ("leader", "liaison", "contact_phone", "note")


@transaction.atomic
def update_working_group(actor, group: WorkingGroup, *, leader: str, note: str, members: dict) -> WorkingGroup:
    """The group's leader and note, and per member unit (by id) its 分管负责人, 业务联络员, phone and note.
    A bad row is named by its number and unit; nothing is saved unless every row is valid."""
    group = WorkingGroup.objects.select_for_update().get(pk=group.pk)
    require_write_in(actor, group.division_code)
    errors = Errors()
    leader = validation.text(leader, "leader", "组长", errors, required=False, max_length=40)
    note = validation.text(note, "note", "备注", errors, required=False, max_length=200)
    rows = {m.pk: m for m in group.members.select_for_update()}
    unknown = [k for k in members if _as_int(k) not in rows]
    if unknown:
        errors["members"] = "成员单位不属于该工作组"
    changes = []
    for member in sorted(rows.values(), key=lambda m: m.position):
        values = members.get(member.pk) or members.get(str(member.pk))
        if values is None:
            continue
        where = f"第{member.position}行（{member.unit_name}）"
        row_errors = Errors()
        clean = {
            "leader": validation.text(values.get("leader"), "leader", "分管负责人", row_errors, required=False, max_length=20),
            "liaison": validation.text(values.get("liaison"), "liaison", "业务联络员", row_errors, required=False, max_length=20),
            "contact_phone": validation.phone(values.get("contact_phone"), "contact_phone", "联系电话", row_errors),
            "note": validation.text(values.get("note"), "note", "备注", row_errors, required=False, max_length=100),
        }
        for field, message in row_errors.items():
            errors.setdefault(f"members.{member.pk}.{field}", f"{where}{message}")
        changes.append((member, clean))
    errors.raise_if_any()
    before = {"leader": group.leader, "note": group.note,
              "members": {m.unit_name: {f: getattr(m, f) for f in MEMBER_FIELDS} for m in rows.values()}}
    group.leader, group.note = leader, note
    group.save()
    for member, clean in changes:
        if any(getattr(member, f) != v for f, v in clean.items()):
            for f, v in clean.items():
                setattr(member, f, v)
            member.save()
    after = {"leader": group.leader, "note": group.note,
             "members": {m.unit_name: {f: getattr(m, f) for f in MEMBER_FIELDS} for m in rows.values()}}
    if after != before:
        record(actor, "working_group.update", group, before=before, after=after, division_code=group.division_code)
    return group


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
