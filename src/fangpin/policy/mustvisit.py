"""Must-visit lists as profile data (R-DISC-05): 六个必访 (001 §三(四)1) and 十必访 (004 §二(一)2).

A profile's ``[must_visit]`` table names the lists and, per criterion, the rules that put a household
on it (a criterion holds when any of its rules does). The rule *kinds* are the engine's
(``fangpin.followup.mustvisit`` evaluates each kind set-based against the registry); this module only
reads and checks the data, so a bad profile is refused at load with a Chinese reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

# kind -> (Chinese description, the keys a rule of that kind may carry besides ``kind``)
RULE_KINDS: dict[str, tuple[str, frozenset[str]]] = {
    "tag": ("农户带有所列标签之一", frozenset({"values"})),
    "risk_type": ("农户的致贫/返贫风险含所列之一", frozenset({"values"})),
    "visit_finding": ("近期走访发现所列风险之一", frozenset({"values"})),
    "member_health": ("在户成员健康状况含所列之一", frozenset({"values"})),
    "member_disability": ("在户成员残疾等级为所列之一（空列表：任何等级）", frozenset({"values"})),
    "member_student": ("在户成员在校生状况为所列之一", frozenset({"values"})),
    "member_employment": ("在户成员务工状况为所列之一（可限劳动技能与年龄）",
                          frozenset({"values", "labour", "min_age", "max_age"})),
    "lives_alone": ("户内仅一名在户成员且达到老年年龄", frozenset({"min_age"})),
    "member_left": ("近期有成员离户（死亡、迁出、分户等）", frozenset()),
    "low_income": ("最近一年人均纯收入低于监测线的一定比例", frozenset({"fraction"})),
}
NEEDS_VALUES = {"tag", "risk_type", "visit_finding", "member_health", "member_student", "member_employment"}


@dataclass(frozen=True)
class Rule:
    kind: str
    values: tuple[str, ...] = ()
    labour: tuple[str, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    fraction: Fraction | None = None


@dataclass(frozen=True)
class Criterion:
    list: str
    code: str
    name: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class MustVisitSpec:
    lists: dict[str, str]  # code -> name, in profile order
    sources: dict[str, str]
    criteria: tuple[Criterion, ...]
    recent_days: int
    elderly_min_age: int
    low_income_fraction: Fraction
    params: dict = field(default_factory=dict)  # the table as loaded, for storing with a run (R-CFG-01)

    def criterion(self, list_code: str, code: str) -> Criterion | None:
        return next((c for c in self.criteria if c.list == list_code and c.code == code), None)


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _positive_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def problems(data: dict) -> list[str]:
    """Validation of the ``[must_visit]`` table of a merged profile (absent: no must-visit lists)."""
    table = data.get("must_visit")
    if table is None:
        return []
    if not isinstance(table, dict):
        return ["must_visit 应为参数表"]
    out: list[str] = []
    for key in ("recent_days", "elderly_min_age"):
        if not _positive_int(table.get(key)):
            out.append(f"must_visit.{key} 应为正整数")
    try:
        if Fraction(str(table.get("low_income_fraction"))) <= 0:
            out.append("must_visit.low_income_fraction 应大于0")
    except (ValueError, ZeroDivisionError):
        out.append("must_visit.low_income_fraction 不是有效的分数或小数")
    lists = table.get("lists")
    codes: set[str] = set()
    if not isinstance(lists, list) or not lists:
        out.append("must_visit.lists 至少需要一个名单（code、name）")
    else:
        for i, item in enumerate(lists, 1):
            if not isinstance(item, dict) or not item.get("code") or not item.get("name"):
                out.append(f"must_visit.lists 第{i}项缺少 code 或 name")
            elif item["code"] in codes:
                out.append(f"must_visit.lists 名单代码 {item['code']} 重复")
            else:
                codes.add(item["code"])
    seen: set[tuple[str, str]] = set()
    for i, crit in enumerate(table.get("criteria") or [], 1):
        where = f"must_visit.criteria 第{i}项"
        if not isinstance(crit, dict):
            out.append(f"{where} 应为参数表")
            continue
        if crit.get("list") not in codes:
            out.append(f"{where} 的名单 {crit.get('list')} 不在 must_visit.lists 中")
        if not crit.get("code") or not crit.get("name"):
            out.append(f"{where} 缺少 code 或 name")
        key = (crit.get("list"), crit.get("code"))
        if key in seen:
            out.append(f"{where} 与前面的条件重复（{key[0]}/{key[1]}）")
        seen.add(key)
        rules = crit.get("rules")
        if not isinstance(rules, list) or not rules:
            out.append(f"{where}（{crit.get('name')}）至少需要一条规则")
            continue
        for j, rule in enumerate(rules, 1):
            out.extend(_rule_problems(rule, f"{where}（{crit.get('name')}）规则{j}"))
    return out


def _rule_problems(rule, where: str) -> list[str]:
    if not isinstance(rule, dict):
        return [f"{where} 应为参数表"]
    kind = rule.get("kind")
    if kind not in RULE_KINDS:
        return [f"{where} 的类型 {kind} 未知（可用：{'、'.join(RULE_KINDS)}）"]
    out = []
    extra = set(rule) - {"kind"} - RULE_KINDS[kind][1]
    if extra:
        out.append(f"{where} 含 {kind} 类规则不认识的参数 {'、'.join(sorted(extra))}")
    if "values" in rule and not (isinstance(rule["values"], list) and (not rule["values"] or _strings(rule["values"]))):
        out.append(f"{where} 的 values 应为文字列表")
    if kind in NEEDS_VALUES and not rule.get("values"):
        out.append(f"{where} 的 values 不能为空")
    if "labour" in rule and not _strings(rule["labour"]):
        out.append(f"{where} 的 labour 应为文字列表")
    for key in ("min_age", "max_age"):
        if key in rule and not _positive_int(rule[key]):
            out.append(f"{where} 的 {key} 应为正整数")
    if "fraction" in rule:
        try:
            Fraction(str(rule["fraction"]))
        except (ValueError, ZeroDivisionError):
            out.append(f"{where} 的 fraction 不是有效的分数或小数")
    return out


def parse(data: dict) -> MustVisitSpec | None:
    """The must-visit spec of a (validated) merged profile; None when the profile has no lists."""
    table = data.get("must_visit")
    if not table:
        return None
    criteria = []
    for crit in table.get("criteria") or []:
        rules = tuple(
            Rule(
                kind=r["kind"], values=tuple(r.get("values") or ()), labour=tuple(r.get("labour") or ()),
                min_age=r.get("min_age"), max_age=r.get("max_age"),
                fraction=Fraction(str(r["fraction"])) if "fraction" in r else None,
            )
            for r in crit["rules"]
        )
        criteria.append(Criterion(list=crit["list"], code=crit["code"], name=crit["name"], rules=rules))
    return MustVisitSpec(
        lists={item["code"]: item["name"] for item in table["lists"]},
        sources={item["code"]: item.get("source", "") for item in table["lists"]},
        criteria=tuple(criteria),
        recent_days=table["recent_days"],
        elderly_min_age=table["elderly_min_age"],
        low_income_fraction=Fraction(str(table["low_income_fraction"])),
        params=table,
    )


def quarter_of(month: int) -> int:
    return (month - 1) // 3 + 1


def screening_departments(data: dict) -> list[str]:
    """Departments that report a sector-wide screening every quarter (R-DISC-07)."""
    return list((data.get("screening") or {}).get("departments") or [])


def screening_problems(data: dict) -> list[str]:
    table = data.get("screening")
    if table is None:
        return []
    deps = table.get("departments") if isinstance(table, dict) else None
    if not _strings(deps) or len(set(deps)) != len(deps):
        return ["screening.departments 应为不重复的部门名称列表"]
    return []
