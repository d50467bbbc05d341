"""Procedures as data (R-ID-03, R-ID-04, R-ID-04a).

A county profile defines each procedure (identification today; risk elimination, rollback and
removal later) as an ordered list of steps under ``[procedures.<key>]``::

    [procedures.identification]
    name = "识别程序"
    reference_prefix = "SB"
    total_days = "deadlines.identification_total_days"   # a number or a dotted profile path
    total_unit = "calendar_days"
    reverify_step = "verification"
    effect = "include_monitored"

    [[procedures.identification.steps]]
    key = "verification"
    kind = "verification"
    name = "村初核（入户核实）"
    roles = ["village_cadre", "township_staff"]
    level = "village"
    deadline_days = 2
    deadline_unit = "working_days"
    min_verifiers = 2

This module parses and validates those tables (pure Python, no Django). The engine in
``fangpin.cases`` enforces order, roles, jurisdiction, notice durations and deadlines from the
parsed definition; no county name appears in code.

Deadline meaning: a step's due date is ``deadline_days`` (in ``deadline_unit``) after the day the
step became current, *not counting its notice period*: for a step with a 7-day notice and a
3-working-day deadline the due date is 7 calendar days plus 3 working days after the step started.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

# Role codes, mirroring ``fangpin.accounts.roles.Role`` (kept in step by a test).
ROLE_CODES = frozenset(
    {
        "county_office",
        "township_staff",
        "village_cadre",
        "grid_worker",
        "assistance_contact",
        "department_officer",
        "supervisor",
        "administrator",
    }
)

UNITS = {"working_days": "个工作日", "calendar_days": "天"}

# The division level responsible for a step, by the length of its division code.
LEVELS = {"village": 12, "township": 9, "county": 6}
LEVEL_LABELS = {"village": "村", "township": "乡镇", "county": "县"}


@dataclass(frozen=True)
class KindSpec:
    label: str
    notice: str = ""  # "" none; "notice" = 公示 that gates the step; "announcement" = 公告 after the step
    first: bool = False  # must be the first step
    final: bool = False  # must be the last step; completing it applies the procedure's effect
    notice_label: str = ""


KINDS: dict[str, KindSpec] = {
    "application": KindSpec("户申请", first=True),
    "verification": KindSpec("入户核实"),
    "deliberation": KindSpec("民主评议"),
    "cross_check": KindSpec("信息比对"),
    "village_decision": KindSpec("村级研究确定并公示", notice="notice", notice_label="村级公示"),
    "township_approval": KindSpec("乡镇审定并公示", notice="notice", notice_label="乡镇公示"),
    "county_filing": KindSpec("县级备案并公告", notice="announcement", final=True, notice_label="县级公告"),
}

# What completing the final step does to the household.
EFFECTS = {"include_monitored": "纳入监测对象（户类别、纳入时间、风险类型）"}

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PREFIX_RE = re.compile(r"^[A-Z]{1,4}$")


class ProcedureError(ValueError):
    """A malformed procedure definition; the message is Chinese and names the field."""


@dataclass(frozen=True)
class StepDef:
    key: str
    kind: str
    name: str
    roles: tuple[str, ...]
    level: str
    notice_days: int = 0
    deadline_days: int = 0
    deadline_unit: str = "working_days"
    min_verifiers: int = 0

    @property
    def spec(self) -> KindSpec:
        return KINDS[self.kind]

    @property
    def has_notice(self) -> bool:
        """A 公示 the step waits for (at least ``notice_days`` days, objections resolved)."""
        return self.spec.notice == "notice" and self.notice_days > 0

    @property
    def announces(self) -> bool:
        """A 公告 published after the step (does not hold the step back)."""
        return self.spec.notice == "announcement"

    @property
    def notice_label(self) -> str:
        return self.spec.notice_label

    @property
    def final(self) -> bool:
        return self.spec.final

    def deadline_text(self) -> str:
        if not self.deadline_days:
            return "不设单独时限"
        text = f"{self.deadline_days}{UNITS[self.deadline_unit]}"
        if self.has_notice:
            text = f"公示{self.notice_days}天后{text}"
        return text


@dataclass(frozen=True)
class ProcedureDef:
    key: str
    name: str
    reference_prefix: str
    steps: tuple[StepDef, ...]
    total_days: int
    total_unit: str
    reverify_step: str
    effect: str
    entry_days: int = 1
    entry_unit: str = "calendar_days"
    entry_roles: tuple[str, ...] = field(default_factory=tuple)
    announcement_days: int = 7

    def step(self, key: str) -> StepDef:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    def has_step(self, key: str) -> bool:
        return any(s.key == key for s in self.steps)

    def index(self, key: str) -> int:
        for i, s in enumerate(self.steps):
            if s.key == key:
                return i
        raise KeyError(key)

    @property
    def first(self) -> StepDef:
        return self.steps[0]

    def next_after(self, key: str) -> StepDef | None:
        i = self.index(key)
        return self.steps[i + 1] if i + 1 < len(self.steps) else None

    def as_dict(self) -> dict:
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> ProcedureDef:
        data = dict(data)
        steps = tuple(StepDef(**{**s, "roles": tuple(s["roles"])}) for s in data.pop("steps"))
        data["entry_roles"] = tuple(data.get("entry_roles") or ())
        return cls(steps=steps, **data)

    def describe(self, role_labels: dict[str, str] | None = None) -> list[str]:
        """One Chinese line per step, for pages and documentation."""
        labels = role_labels or {}
        lines = []
        for i, s in enumerate(self.steps, 1):
            notice = ""
            if s.has_notice:
                notice = f"；{s.notice_label}不少于{s.notice_days}天"
            elif s.announces:
                notice = f"；{s.notice_label}"
            lines.append(
                f"{i}. {s.name}（{LEVEL_LABELS[s.level]}级，办理角色：{'、'.join(labels.get(r, r) for r in s.roles)}{notice}；时限：{s.deadline_text()}）"
            )
        return lines


def _lookup(data: dict, path: str):
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def _int_param(data: dict, value, where: str, problems: list[str], *, minimum: int = 0) -> int:
    """A whole number given directly or as the dotted path of another profile parameter."""
    shown = value
    if isinstance(value, str):
        try:
            value = _lookup(data, value)
        except KeyError:
            problems.append(f"{where} 引用的参数 {shown} 不存在")
            return minimum
    if not isinstance(value, int) or isinstance(value, bool):
        problems.append(f"{where} 应为整数（或引用整数参数），实际为 {shown!r}")
        return minimum
    if value < minimum:
        problems.append(f"{where} 不能小于 {minimum}（实际为 {value}）")
        return minimum
    return value


def _roles(raw, where: str, problems: list[str]) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}.roles 必须是非空的角色列表")
        return ()
    unknown = [r for r in raw if r not in ROLE_CODES]
    if unknown:
        problems.append(f"{where}.roles 含未知角色 {'、'.join(map(str, unknown))}（可用：{'、'.join(sorted(ROLE_CODES))}）")
    if "supervisor" in raw:
        problems.append(f"{where}.roles 不能包含只读的督导角色 supervisor")
    return tuple(r for r in raw if r in ROLE_CODES)


def _parse(data: dict, key: str, problems: list[str]) -> ProcedureDef | None:
    where = f"procedures.{key}"
    table = data.get("procedures", {}).get(key)
    if not isinstance(table, dict):
        problems.append(f"缺少程序定义 {where}")
        return None
    if not KEY_RE.match(key):
        problems.append(f"程序标识 {key} 只能由小写字母、数字和下划线组成")
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}.name 不能为空")
        name = key
    prefix = table.get("reference_prefix", "")
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        problems.append(f"{where}.reference_prefix 应为1到4个大写字母（如 SB）")
    total_days = _int_param(data, table.get("total_days"), f"{where}.total_days", problems, minimum=1)
    total_unit = table.get("total_unit", "calendar_days")
    if total_unit not in UNITS:
        problems.append(f"{where}.total_unit 只能是 {'、'.join(UNITS)}")
    effect = table.get("effect", "")
    if effect not in EFFECTS:
        problems.append(f"{where}.effect 只能是 {'、'.join(EFFECTS)}")
    entry_days = _int_param(data, table.get("entry_days", 1), f"{where}.entry_days", problems, minimum=0)
    entry_unit = table.get("entry_unit", "calendar_days")
    if entry_unit not in UNITS:
        problems.append(f"{where}.entry_unit 只能是 {'、'.join(UNITS)}")
    entry_roles = _roles(table.get("entry_roles", ["township_staff", "county_office"]), where + ".entry", problems)
    announcement_days = _int_param(data, table.get("announcement_days", 7), f"{where}.announcement_days", problems,
                                   minimum=1)

    raw_steps = table.get("steps")
    if not isinstance(raw_steps, list) or len(raw_steps) < 2:
        problems.append(f"{where}.steps 至少需要2个步骤")
        return None
    steps: list[StepDef] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_steps, 1):
        sw = f"{where}.steps[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{sw} 应为表")
            continue
        skey = raw.get("key", "")
        if not isinstance(skey, str) or not KEY_RE.match(skey):
            problems.append(f"{sw}.key 只能由小写字母、数字和下划线组成")
            skey = f"step{i}"
        if skey in seen:
            problems.append(f"{sw}.key {skey} 重复")
        seen.add(skey)
        sw = f"{where}.steps[{i}]（{skey}）"
        kind = raw.get("kind", "")
        if kind not in KINDS:
            problems.append(f"{sw}.kind {kind!r} 不是已知的步骤类型（{'、'.join(KINDS)}）")
            continue
        spec = KINDS[kind]
        sname = raw.get("name") or spec.label
        if not isinstance(sname, str):
            problems.append(f"{sw}.name 应为文字")
            sname = spec.label
        level = raw.get("level", "")
        if level not in LEVELS:
            problems.append(f"{sw}.level 只能是 {'、'.join(LEVELS)}")
            level = "village"
        roles = _roles(raw.get("roles"), sw, problems)
        notice_days = 0
        if "notice_days" in raw:
            if not spec.notice:
                problems.append(f"{sw} 的步骤类型 {kind} 没有公示，不能设置 notice_days")
            else:
                notice_days = _int_param(data, raw["notice_days"], f"{sw}.notice_days", problems)
        elif spec.notice == "notice":
            problems.append(f"{sw} 必须设置 notice_days（公示天数，0 表示不公示）")
        deadline_days = _int_param(data, raw.get("deadline_days", 0), f"{sw}.deadline_days", problems)
        deadline_unit = raw.get("deadline_unit", "working_days")
        if deadline_unit not in UNITS:
            problems.append(f"{sw}.deadline_unit 只能是 {'、'.join(UNITS)}")
            deadline_unit = "working_days"
        min_verifiers = 0
        if kind == "verification":
            min_verifiers = _int_param(data, raw.get("min_verifiers", 2), f"{sw}.min_verifiers", problems, minimum=2)
        elif "min_verifiers" in raw:
            problems.append(f"{sw} 不是入户核实步骤，不能设置 min_verifiers")
        unknown = set(raw) - {
            "key", "kind", "name", "roles", "level", "notice_days", "deadline_days", "deadline_unit", "min_verifiers",
        }
        if unknown:
            problems.append(f"{sw} 含未知字段 {'、'.join(sorted(unknown))}")
        steps.append(StepDef(skey, kind, sname, roles, level, notice_days, deadline_days, deadline_unit, min_verifiers))

    if steps:
        if not steps[0].spec.first:
            problems.append(f"{where} 的第一步必须是户申请（kind = application）")
        if not steps[-1].final:
            problems.append(f"{where} 的最后一步必须是县级备案/审批（kind = county_filing）")
        for s in steps[1:]:
            if s.spec.first:
                problems.append(f"{where} 中户申请只能是第一步（{s.key}）")
        for s in steps[:-1]:
            if s.final:
                problems.append(f"{where} 中县级备案/审批只能是最后一步（{s.key}）")
    reverify = table.get("reverify_step", "")
    keys = [s.key for s in steps]
    if reverify not in keys:
        problems.append(f"{where}.reverify_step {reverify!r} 不是本程序的步骤")
    else:
        target = steps[keys.index(reverify)]
        if target.kind != "verification":
            problems.append(f"{where}.reverify_step 必须指向入户核实步骤（kind = verification）")
        first_notice = next((i for i, s in enumerate(steps) if s.spec.notice), len(steps))
        if keys.index(reverify) >= first_notice:
            problems.append(f"{where}.reverify_step 必须位于公示步骤之前")
    unknown = set(table) - {
        "name", "reference_prefix", "total_days", "total_unit", "reverify_step", "effect", "entry_days",
        "entry_unit", "entry_roles", "announcement_days", "steps",
    }
    if unknown:
        problems.append(f"{where} 含未知字段 {'、'.join(sorted(unknown))}")
    if problems:
        return None
    return ProcedureDef(
        key=key,
        name=name,
        reference_prefix=prefix,
        steps=tuple(steps),
        total_days=total_days,
        total_unit=total_unit,
        reverify_step=reverify,
        effect=effect,
        entry_days=entry_days,
        entry_unit=entry_unit,
        entry_roles=entry_roles,
        announcement_days=announcement_days,
    )


REQUIRED_PROCEDURES = ("identification",)


def _code_name_list(data: dict, path: str, found: list[str]) -> None:
    try:
        items = _lookup(data, path)
    except KeyError:
        found.append(f"缺少参数 {path}")
        return
    if not isinstance(items, list) or not items:
        found.append(f"{path} 应为非空列表，每项含 code 和 name")
        return
    codes = []
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
            found.append(f"{path} 第{i}项必须有 code 和 name")
            continue
        if not KEY_RE.match(str(item["code"])):
            found.append(f"{path} 第{i}项的 code 只能由小写字母、数字和下划线组成")
        codes.append(item["code"])
    if len(codes) != len(set(codes)):
        found.append(f"{path} 的 code 不能重复")


def problems(data: dict) -> list[str]:
    """Every problem with the procedures of a merged profile (empty when they are usable)."""
    found: list[str] = []
    _code_name_list(data, "cross_check.items", found)
    _code_name_list(data, "deliberation.participant_groups", found)
    procs = data.get("procedures")
    if not isinstance(procs, dict):
        return [*found, "缺少程序定义 procedures（至少需要识别程序 procedures.identification）"]
    prefixes: dict[str, str] = {}
    for key in sorted(set(procs) | set(REQUIRED_PROCEDURES)):
        own: list[str] = []
        proc = _parse(data, key, own)
        found.extend(own)
        if proc is not None:
            if proc.reference_prefix in prefixes:
                found.append(f"procedures.{key}.reference_prefix 与 {prefixes[proc.reference_prefix]} 重复")
            prefixes[proc.reference_prefix] = key
    return found


def parse_procedure(data: dict, key: str) -> ProcedureDef:
    found: list[str] = []
    proc = _parse(data, key, found)
    if proc is None:
        raise ProcedureError("；".join(found) or f"程序 {key} 定义无效")
    return proc
