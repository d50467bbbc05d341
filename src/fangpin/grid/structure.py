"""The grid's structure as the county profile declares it (R-GRID-01, R-GRID-03, R-GRID-05).

``[grid].positions`` names the people at each level — 村组网格员 and 村级网格员 (004), or 网格监测员,
分网格长 and 总网格长 (丰都, 003 第一步) — and ``[grid].working_groups`` the township and county working
groups with their member units (004 附件3/附件4). Nothing here names a county: a county's variant is its
profile's data.
"""

from __future__ import annotations

from dataclasses import dataclass

from fangpin.areas.models import Level
from fangpin.policy.profiles import Profile, ProfileError

LEVELS = {"grid": Level.GRID, "village": Level.VILLAGE, "township": Level.TOWNSHIP}
LEVEL_LABELS = {"grid": "村组网格", "village": "村级网格", "township": "乡级网格"}


@dataclass(frozen=True)
class Position:
    code: str
    name: str
    level: str  # grid | village | township

    @property
    def division_level(self) -> int:
        return LEVELS[self.level]


@dataclass(frozen=True)
class WorkingGroupTemplate:
    code: str
    name: str
    level: str  # township | county
    leader: str
    units: tuple[str, ...]

    @property
    def division_level(self) -> int:
        return Level.TOWNSHIP if self.level == "township" else Level.COUNTY


@dataclass(frozen=True)
class GridStructure:
    positions: tuple[Position, ...]
    working_groups: tuple[WorkingGroupTemplate, ...]
    households_min: int
    households_max: int
    households_hard_max: int
    monitor_households_min: int
    monitor_households_max: int
    visit_interval_days: int
    report_to_village_days: int
    village_judgement_days: int
    township_decision_days: int

    def position(self, code: str) -> Position | None:
        return next((p for p in self.positions if p.code == code), None)

    def at(self, level: str) -> list[Position]:
        return [p for p in self.positions if p.level == level]

    @property
    def grid_position(self) -> Position:
        """The position of the person bound to one group grid (the ledger's 村组网格员)."""
        return self.at("grid")[0]

    @property
    def village_position(self) -> Position | None:
        """The village-level position that pairs group grids (the ledger's 村级网格员)."""
        found = self.at("village")
        return found[0] if found else None

    def position_names(self) -> dict[str, str]:
        return {p.code: p.name for p in self.positions}

    def days_label(self, days: int) -> str:
        return "当天" if days == 0 else f"{days}天内"


def structure(profile: Profile) -> GridStructure:
    """The profile's grid structure, checked; a bad profile is refused with a Chinese reason."""
    problems: list[str] = []
    positions = []
    for i, raw in enumerate(_list(profile, "grid.positions"), start=1):
        code, name, level = (str(raw.get(k) or "") for k in ("code", "name", "level"))
        if not code or not name or level not in LEVELS:
            problems.append(f"grid.positions 第{i}项应有 code、name，level 为 grid、village 或 township")
            continue
        positions.append(Position(code, name, level))
    codes = [p.code for p in positions]
    if len(set(codes)) != len(codes):
        problems.append("grid.positions 的 code 不能重复")
    if sum(p.level == "grid" for p in positions) != 1:
        problems.append("grid.positions 应恰有一个 level 为 grid 的岗位（村组网格员）")
    if sum(p.level == "village" for p in positions) > 1:
        problems.append("grid.positions 至多一个 level 为 village 的岗位（村级网格员）")
    groups = []
    for i, raw in enumerate(_list(profile, "grid.working_groups"), start=1):
        code, name, level = (str(raw.get(k) or "") for k in ("code", "name", "level"))
        units = raw.get("units") or []
        if not code or not name or level not in ("township", "county") or not isinstance(units, list):
            problems.append(f"grid.working_groups 第{i}项应有 code、name、units，level 为 township 或 county")
            continue
        groups.append(WorkingGroupTemplate(code, name, level, str(raw.get("leader") or ""), tuple(str(u) for u in units)))
    if problems:
        raise ProfileError(f"画像{profile.key}：" + "；".join(problems))

    def days(path: str, default: int) -> int:
        return int(profile.param(path)) if profile.has(path) else default

    return GridStructure(
        positions=tuple(positions),
        working_groups=tuple(groups),
        households_min=int(profile.param("grid.households_min")),
        households_max=int(profile.param("grid.households_max")),
        households_hard_max=int(profile.param("grid.households_hard_max")),
        monitor_households_min=int(profile.param("grid.monitor_households_min")),
        monitor_households_max=int(profile.param("grid.monitor_households_max")),
        visit_interval_days=int(profile.param("grid.visit_interval_days")),
        report_to_village_days=days("grid.report_to_village_days", 1),
        village_judgement_days=days("grid.village_judgement_days", 1),
        township_decision_days=days("grid.township_decision_days", 1),
    )


def _list(profile: Profile, path: str) -> list[dict]:
    value = profile.param(path) if profile.has(path) else []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ProfileError(f"画像{profile.key}：{path} 应为表数组")
    return value


def structure_for(code: str) -> GridStructure:
    """The grid structure of the county a division code lies in."""
    from fangpin.profiles.services import profile_for_county

    return structure(profile_for_county(code))
