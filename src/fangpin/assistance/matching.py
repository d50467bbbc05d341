"""Which catalogue policies fit a household, and why (R-AID-03); the R-AID-04 check of a plan.

:func:`household_facts` reads what the rules look at in at most three queries (the household, its
active members, its latest annual income record). :func:`propose` compares those facts with the
structured conditions of every policy of a catalogue in memory (one query for the policies, none per
policy) and says, for each condition, what it asked and what the household has — in Chinese, as the
cadre will read it. :func:`check_plan` flags a plan that leaves a household with labour capacity
without a developmental measure, or a household without labour without a safety net ("一兜了之").

Structured conditions (``Policy.conditions``; an absent key does not restrict):
``categories`` (household category codes), ``risk_types``, ``max_per_capita_income`` (yuan/year) are
about the household; ``labour``, ``min_age`` / ``max_age``, ``disability``, ``student`` are about one
member, and one and the same member must meet all of them (the measure is for that member, 一人一措施).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import Household, IncomePeriod, IncomeRecord

from .models import MeasureKind, MeasureStatus, Policy, PolicyList

FULL_LABOUR = ("普通劳动力", "技能劳动力")
WEAK_LABOUR = ("弱劳动力或半劳动力",)
NO_LABOUR = ("丧失劳动力", "无劳动力")
# Measures that no longer count in a plan.
INACTIVE_STATUSES = (MeasureStatus.CANCELLED, MeasureStatus.REFUSED)


@dataclass(frozen=True)
class MemberFacts:
    id: int
    name: str
    relation: str
    age: int | None
    labour: str
    disability_grade: str
    student_status: str
    health: str

    @property
    def disabled(self) -> bool:
        return bool(self.disability_grade) or "残疾" in self.health

    @property
    def student(self) -> bool:
        return bool(self.student_status) and self.student_status not in ("学龄前儿童",)


@dataclass(frozen=True)
class Facts:
    household_id: int
    division_code: str
    category: str
    category_name: str
    risk_types: tuple[str, ...]
    no_labour_household: bool
    members: tuple[MemberFacts, ...]
    per_capita_income: Decimal | None
    income_year: int | None

    @property
    def full_labour(self) -> list[MemberFacts]:
        return [m for m in self.members if m.labour in FULL_LABOUR]

    @property
    def weak_labour(self) -> list[MemberFacts]:
        return [m for m in self.members if m.labour in WEAK_LABOUR]

    @property
    def without_labour(self) -> bool:
        """整户无劳动能力: flagged so in the registry, or no member with any labour capacity."""
        return self.no_labour_household or not (self.full_labour or self.weak_labour)


def _age(birth: dt.date | None, today: dt.date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def household_facts(household: Household, *, today: dt.date | None = None) -> Facts:
    """What the matching rules and the plan check look at (at most three queries)."""
    today = today or local_today()
    if not isinstance(household, Household):
        household = Household.objects.get(pk=household)
    members = tuple(
        MemberFacts(id=m["id"], name=m["name"], relation=m["relation"], age=_age(m["birth_date"], today),
                    labour=m["labour"], disability_grade=m["disability_grade"], student_status=m["student_status"],
                    health=m["health"])
        for m in household.members.filter(active=True).order_by("relation_order", "birth_date", "pk")
        .values("id", "name", "relation", "birth_date", "labour", "disability_grade", "student_status", "health")
    )
    income = (IncomeRecord.objects.filter(household_id=household.pk, period=IncomePeriod.ANNUAL)
              .order_by("-year", "-entered_at").values("year", "per_capita_net_income").first())
    names = profile_for_county(household.division_code).category_names()
    return Facts(
        household_id=household.pk, division_code=household.division_code, category=household.category,
        category_name=names.get(household.category, household.category),
        risk_types=tuple(household.risk_types or ()), no_labour_household=household.no_labour_household,
        members=members, per_capita_income=income["per_capita_net_income"] if income else None,
        income_year=income["year"] if income else None,
    )


# --- proposals ------------------------------------------------------------------------------------


@dataclass
class Proposal:
    """One policy of the catalogue against one household: each condition with the household's value."""

    policy: Policy
    matched: list[tuple[str, str]] = field(default_factory=list)
    unmatched: list[tuple[str, str]] = field(default_factory=list)
    members: list[MemberFacts] = field(default_factory=list)  # members who meet the member conditions

    @property
    def score(self) -> float:
        total = len(self.matched) + len(self.unmatched)
        return len(self.matched) / total if total else 0.0

    @property
    def eligible(self) -> bool:
        return bool(self.matched) and not self.unmatched

    def explain(self) -> str:
        parts = [f"{label}（本户：{value}）" for label, value in self.matched]
        return "；".join(parts)


def _member_label(m: MemberFacts) -> str:
    return f"{m.name}（{m.relation}）"


def _member_conditions(cond: dict) -> list[tuple[str, object]]:
    out = []
    if cond.get("labour"):
        out.append(("labour", list(cond["labour"])))
    if cond.get("min_age") is not None or cond.get("max_age") is not None:
        out.append(("age", (cond.get("min_age"), cond.get("max_age"))))
    if cond.get("disability") is not None:
        out.append(("disability", bool(cond["disability"])))
    if cond.get("student") is not None:
        out.append(("student", bool(cond["student"])))
    return out


def _member_meets(m: MemberFacts, key: str, want) -> bool:
    if key == "labour":
        return m.labour in want
    if key == "age":
        low, high = want
        return m.age is not None and (low is None or m.age >= int(low)) and (high is None or m.age <= int(high))
    if key == "disability":
        return m.disabled == want
    if key == "student":
        return m.student == want
    return False


def _member_condition_label(key: str, want) -> str:
    if key == "labour":
        return "劳动技能为" + "、".join(want)
    if key == "age":
        low, high = want
        if low is not None and high is not None:
            return f"年龄在{low}至{high}周岁"
        return f"年龄不低于{low}周岁" if low is not None else f"年龄不超过{high}周岁"
    if key == "disability":
        return "有残疾成员" if want else "无残疾"
    if key == "student":
        return "有在校学生" if want else "不在校"
    return key


def _member_value(m: MemberFacts, key: str) -> str:
    if key == "labour":
        return m.labour or "未登记劳动技能"
    if key == "age":
        return f"{m.age}周岁" if m.age is not None else "出生日期未登记"
    if key == "disability":
        return f"残疾{m.disability_grade}" if m.disability_grade else ("残疾" if m.disabled else "无残疾")
    if key == "student":
        return m.student_status or "不在校"
    return ""


def _evaluate(policy: Policy, facts: Facts, category_names: dict[str, str]) -> Proposal | None:
    cond = policy.conditions if isinstance(policy.conditions, dict) else {}
    p = Proposal(policy=policy)
    if cond.get("categories"):
        wanted = list(cond["categories"])
        label = "户类别为" + "、".join(category_names.get(c, c) for c in wanted)
        (p.matched if facts.category in wanted else p.unmatched).append((label, facts.category_name))
    if cond.get("risk_types"):
        wanted = list(cond["risk_types"])
        hits = [r for r in facts.risk_types if r in wanted]
        label = "风险类型含" + "、".join(wanted)
        value = "、".join(hits or facts.risk_types) or "未登记风险类型"
        (p.matched if hits else p.unmatched).append((label, value))
    if cond.get("max_per_capita_income") not in (None, ""):
        try:
            limit = Decimal(str(cond["max_per_capita_income"]))
        except (InvalidOperation, ValueError):
            limit = None
        if limit is not None:
            label = f"人均纯收入不高于{limit:,.0f}元"
            if facts.per_capita_income is None:
                p.unmatched.append((label, "尚无收入记录"))
            else:
                value = f"{facts.income_year}年{facts.per_capita_income:,.0f}元"
                (p.matched if facts.per_capita_income <= limit else p.unmatched).append((label, value))
    member_conds = _member_conditions(cond)
    if member_conds:
        meeting = [m for m in facts.members if all(_member_meets(m, k, w) for k, w in member_conds)]
        p.members = meeting
        for key, want in member_conds:
            label = _member_condition_label(key, want)
            if meeting:
                value = "；".join(f"{_member_label(m)}{_member_value(m, key)}" for m in meeting[:3])
                p.matched.append((label, value))
            else:
                near = [m for m in facts.members if _member_meets(m, key, want)]
                if near:
                    value = "；".join(f"{_member_label(m)}{_member_value(m, key)}" for m in near[:3]) + "，但不满足其他成员条件"
                    p.unmatched.append((label, value))
                else:
                    value = "；".join(f"{_member_label(m)}{_member_value(m, key)}" for m in facts.members[:3]) or "无在户成员"
                    p.unmatched.append((label, value))
    if not p.matched and not p.unmatched:
        return None  # no structured condition: nothing to explain, the cadre reads the original text
    return p


def _policies(catalogue) -> list[Policy]:
    if catalogue is None:
        return []
    if isinstance(catalogue, PolicyList):
        return list(catalogue.policies.all())
    return list(catalogue)


def propose(household, catalogue, *, today: dt.date | None = None, facts: Facts | None = None,
            include_partial: bool = True) -> list[Proposal]:
    """The catalogue's policies that fit ``household``, best first, each with its reasons.

    A policy whose every structured condition holds comes first (``eligible``); with
    ``include_partial`` the policies meeting at least one condition follow, with what is missing.
    Policies without structured conditions are not proposed (their text is shown in the catalogue).
    """
    facts = facts or household_facts(household, today=today)
    names = profile_for_county(facts.division_code).category_names()
    out = []
    for policy in _policies(catalogue):
        p = _evaluate(policy, facts, names)
        if p is None or not p.matched:
            continue
        if p.unmatched and not include_partial:
            continue
        out.append(p)
    out.sort(key=lambda p: (not p.eligible, -p.score, -len(p.matched), p.policy.position, p.policy.pk or 0))
    return out


# --- the R-AID-04 check ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Flag:
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def _names(members: Iterable[MemberFacts]) -> str:
    return "、".join(f"{m.name}（{m.labour}）" for m in list(members)[:4])


def check_plan(facts: Facts, measures: Iterable) -> list[Flag]:
    """R-AID-04 flags of a plan's measures (objects with ``kind`` and ``status``; cancelled and refused
    measures do not count)."""
    kinds = {m.kind for m in measures if m.status not in INACTIVE_STATUSES}
    developmental = MeasureKind.DEVELOPMENTAL in kinds
    safety_net = MeasureKind.SAFETY_NET in kinds
    flags = []
    if facts.full_labour and not developmental:
        flags.append(Flag("no_developmental",
                          f"本户有劳动能力成员{_names(facts.full_labour)}，方案中没有开发式帮扶措施；有劳动能力的应至少安排一项"
                          "开发式帮扶（产业、就业、公益岗位、技能培训、小额信贷等），不能“一兜了之”"))
    elif facts.weak_labour and not facts.no_labour_household and not developmental:
        flags.append(Flag("weak_labour_developmental",
                          f"本户有弱劳动力或半劳动力成员{_names(facts.weak_labour)}，请尝试安排开发式帮扶"
                          "（公益岗位、庭院经济、技能培训等）"))
    if facts.without_labour and not facts.full_labour and not safety_net:
        flags.append(Flag("no_safety_net",
                          "本户为整户无劳动能力户，方案中没有兜底保障措施（低保、特困供养、残疾人补贴、临时救助等）"))
    return flags
