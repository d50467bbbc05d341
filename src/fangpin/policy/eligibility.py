"""Identification scope and criteria (R-ID-01, R-ID-02), evaluated from plain facts.

Pure functions: the caller turns registry rows into :class:`HouseholdFacts`, the applicant's
statements into :class:`Declaration`, and the county profile into :class:`EligibilityParams`.
:func:`evaluate` returns every scope group and criterion with the figures it used, so the case page
can show which hold and why, and the case can store the inputs and parameter values (R-CFG-01).

A check holds (``True``), does not hold (``False``) or cannot be decided from the data (``None``,
with a note saying what is missing). The system never decides alone: the verification group sees
the evaluation and must write a reason when it passes a household the evaluation does not support.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")

# Scope groups a profile may list in ``eligibility.scope_groups`` (001 §三(五); national guideline).
SCOPE_GROUPS = {
    "all_rural": "本县农村常住户（国家指导意见：农村人口均可申请）",
    "formerly_poor": "截至2020年底建档立卡脱贫户",
    "special_support": "农村低保、特困人员、重度残疾人、重病大病家庭",
    "below_dibao_line": "人均收入低于最低生活保障标准的农村常住群众",
}

CRITERIA = {
    "income_below_line": "家庭年人均纯收入低于监测线",
    "income_drop": "因意外变故收入骤减",
    "expense_spike": "刚性支出骤增、入不敷出",
    "heavy_medical_expense": "刚性医疗支出较大导致基本生活严重困难",
    "housing_unsafe": "住房安全等级鉴定为C级或D级且无力修缮",
    "education_dropout": "因家庭困难适龄儿童少年失学辍学",
    "water_unsafe": "饮水安全受到严重影响",
}


@dataclass(frozen=True)
class IncomeEntry:
    year: int
    period: str  # annual | Q1..Q4 | month
    month: int | None
    purpose: str  # regular | identification | elimination
    net_income: Decimal
    household_size: int
    eligible_out_of_pocket: Decimal = Decimal(0)


@dataclass(frozen=True)
class MemberFacts:
    name: str
    age: int | None
    student_status: str = ""
    education: str = ""
    health: str = ""
    disability_grade: str = ""
    dibao: bool = False
    tekun: bool = False


@dataclass(frozen=True)
class HouseholdFacts:
    division_code: str
    category: str
    tags: frozenset[str] = frozenset()
    members: tuple[MemberFacts, ...] = ()
    housing_grade: str = ""
    water_secure: bool | None = None
    education_secure: bool | None = None
    medical_secure: bool | None = None
    incomes: tuple[IncomeEntry, ...] = ()


@dataclass(frozen=True)
class Declaration:
    """What the applicant states and the verification group confirms."""

    long_resident: bool | None = None
    medical_expense: Decimal = Decimal(0)  # out-of-pocket medical spending in the 12 months
    other_rigid_expense: Decimal = Decimal(0)  # education, disaster loss, funeral … in the 12 months
    can_repair_house: bool | None = None


@dataclass(frozen=True)
class EligibilityParams:
    county_code: str
    year: int
    monitoring_line: Decimal  # 元/人/年
    dibao_monthly: Decimal  # 元/人/月
    scope_groups: tuple[str, ...]
    formerly_poor_categories: tuple[str, ...]
    special_support_tags: tuple[str, ...]
    severe_disability_grades: tuple[str, ...]
    serious_illness_health: tuple[str, ...]
    income_drop_fraction: str
    heavy_medical_expense: Decimal
    compulsory_age_min: int
    compulsory_age_max: int
    compulsory_statuses: tuple[str, ...]

    @classmethod
    def from_profile(cls, profile, year: int) -> EligibilityParams:
        p = profile.param
        return cls(
            county_code=profile.county_code,
            year=year,
            monitoring_line=profile.for_year("income.monitoring_line", year),
            dibao_monthly=profile.for_year("income.dibao_monthly", year),
            scope_groups=tuple(p("eligibility.scope_groups")),
            formerly_poor_categories=tuple(p("eligibility.formerly_poor_categories")),
            special_support_tags=tuple(p("eligibility.special_support_tags")),
            severe_disability_grades=tuple(p("eligibility.severe_disability_grades")),
            serious_illness_health=tuple(p("eligibility.serious_illness_health")),
            income_drop_fraction=str(p("eligibility.income_drop_fraction")),
            heavy_medical_expense=Decimal(str(p("eligibility.heavy_medical_expense"))),
            compulsory_age_min=int(p("eligibility.compulsory_age_min")),
            compulsory_age_max=int(p("eligibility.compulsory_age_max")),
            compulsory_statuses=tuple(p("eligibility.compulsory_statuses")),
        )

    def snapshot(self, profile_key: str, profile_version: int) -> dict:
        """The parameter values a decision used (R-CFG-01), with the year-resolved lines."""
        data = {k: (str(v) if isinstance(v, Decimal) else list(v) if isinstance(v, tuple) else v)
                for k, v in asdict(self).items()}
        return {"profile": profile_key, "version": profile_version, **data}


def category_allowed(profile_data: dict, target: str, current: str) -> bool:
    """May a household of category ``current`` be identified as ``target``? (profile ``category_from``)"""
    for rule in profile_data.get("eligibility", {}).get("category_from", []):
        if rule.get("category") == target:
            return current in rule.get("from", [])
    return True


def problems(data: dict) -> list[str]:
    """Validation of the ``[eligibility]`` table of a merged profile."""
    out: list[str] = []
    table = data.get("eligibility")
    if not isinstance(table, dict):
        return ["缺少参数表 eligibility（识别标准）"]
    lists = ("scope_groups", "formerly_poor_categories", "special_support_tags", "severe_disability_grades",
             "serious_illness_health", "compulsory_statuses")
    for name in lists:
        value = table.get(name)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            out.append(f"eligibility.{name} 应为文字列表")
    groups = table.get("scope_groups") or []
    if isinstance(groups, list):
        if not groups:
            out.append("eligibility.scope_groups 至少需要一个识别范围")
        bad = [g for g in groups if g not in SCOPE_GROUPS]
        if bad:
            out.append(f"eligibility.scope_groups 含未知范围 {'、'.join(map(str, bad))}（可用：{'、'.join(SCOPE_GROUPS)}）")
    try:
        f = Fraction(str(table.get("income_drop_fraction")))
        if not 0 < f < 1:
            out.append("eligibility.income_drop_fraction 应在0到1之间")
    except (ValueError, ZeroDivisionError):
        out.append("eligibility.income_drop_fraction 不是有效的分数或小数")
    heavy = table.get("heavy_medical_expense")
    if not isinstance(heavy, int | float) or isinstance(heavy, bool) or heavy <= 0:
        out.append("eligibility.heavy_medical_expense 应为正数（元）")
    codes = {c.get("code") for c in (data.get("categories", {}).get("household") or []) if isinstance(c, dict)}
    rules = table.get("category_from", [])
    if not isinstance(rules, list):
        out.append("eligibility.category_from 应为列表，每项含 category 和 from")
        rules = []
    for i, rule in enumerate(rules, 1):
        if not isinstance(rule, dict) or not isinstance(rule.get("from"), list):
            out.append(f"eligibility.category_from 第{i}项应含 category 和 from（类别列表）")
            continue
        if rule.get("category") not in codes:
            continue  # a category this county does not use (e.g. after switching to one category, R-CFG-02a)
        unknown = [c for c in rule["from"] if c not in codes]
        if unknown:
            out.append(f"eligibility.category_from 第{i}项含画像类别清单中没有的类别 {'、'.join(map(str, unknown))}")
    lo, hi = table.get("compulsory_age_min"), table.get("compulsory_age_max")
    if not (isinstance(lo, int) and isinstance(hi, int) and 0 < lo <= hi < 25):
        out.append("eligibility.compulsory_age_min/compulsory_age_max 应为整数且 0 < 最小 ≤ 最大 < 25")
    return out


@dataclass(frozen=True)
class Check:
    code: str
    label: str
    holds: bool | None
    figures: dict = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class IncomeWindow:
    start: dt.date  # first day of the first month
    end: dt.date  # last day of the last month
    net_income: Decimal
    household_size: int
    per_capita: Decimal
    out_of_pocket: Decimal
    source: str  # Chinese description of the records used
    exact: bool  # False when an annual record only approximates the 12 months


@dataclass(frozen=True)
class Evaluation:
    application_date: dt.date
    in_scope: bool | None
    scope: tuple[Check, ...]
    criteria: tuple[Check, ...]
    income: IncomeWindow | None
    previous_income: IncomeWindow | None

    @property
    def meets_criteria(self) -> bool | None:
        values = [c.holds for c in self.criteria]
        if any(v is True for v in values):
            return True
        if any(v is None for v in values):
            return None
        return False

    @property
    def eligible(self) -> bool | None:
        if self.in_scope is False or self.meets_criteria is False:
            return False
        if self.in_scope is True and self.meets_criteria is True:
            return True
        return None

    def holding(self) -> list[str]:
        return [c.code for c in self.criteria if c.holds]

    def as_dict(self) -> dict:
        def check(c: Check) -> dict:
            return {"code": c.code, "label": c.label, "holds": c.holds, "figures": _plain(c.figures), "note": c.note}

        def window(w: IncomeWindow | None):
            return None if w is None else _plain(asdict(w))

        return {
            "application_date": self.application_date.isoformat(),
            "in_scope": self.in_scope,
            "meets_criteria": self.meets_criteria,
            "eligible": self.eligible,
            "scope": [check(c) for c in self.scope],
            "criteria": [check(c) for c in self.criteria],
            "income": window(self.income),
            "previous_income": window(self.previous_income),
        }


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# --- income windows --------------------------------------------------------------------------------


def _month_index(year: int, month: int) -> int:
    return year * 12 + (month - 1)


def _month_start(index: int) -> dt.date:
    return dt.date(index // 12, index % 12 + 1, 1)


def _month_end(index: int) -> dt.date:
    return _month_start(index + 1) - dt.timedelta(days=1)


def _money(value) -> Decimal:
    return Decimal(str(value or 0))


def _window(entries, end_exclusive: int, *, identification_year: int | None) -> IncomeWindow | None:
    """Income of the 12 months before month index ``end_exclusive`` (R-REG-04), best source first."""
    first = end_exclusive - 12
    start, end = _month_start(first), _month_end(end_exclusive - 1)
    usable = [e for e in entries if e.purpose in ("regular", "identification")]

    def build(chosen, source, exact):
        net = sum((_money(e.net_income) for e in chosen), Decimal(0))
        latest = max(chosen, key=lambda e: (e.year, e.month or 0, e.period))
        size = latest.household_size
        if size <= 0:
            return None
        oop = sum((_money(e.eligible_out_of_pocket) for e in chosen), Decimal(0))
        per_capita = (net / size).quantize(CENT, ROUND_HALF_UP)
        return IncomeWindow(start, end, net.quantize(CENT), size, per_capita, oop.quantize(CENT), source, exact)

    # 1. The income surveyed at identification for the 12 months before the application.
    if identification_year is not None:
        ident = [e for e in entries if e.purpose == "identification" and e.period == "annual" and e.year == identification_year]
        if ident:
            return build(ident[:1], f"识别时采集的申请前12个月收入（{identification_year}年识别）", True)
    # 2. Twelve monthly records.
    monthly = {}
    for e in usable:
        if e.period == "month" and e.month:
            idx = _month_index(e.year, e.month)
            if first <= idx < end_exclusive:
                monthly.setdefault(idx, e)
    if len(monthly) == 12:
        return build(list(monthly.values()), f"{start:%Y年%m月}至{end:%Y年%m月}逐月收入", True)
    # 3. The four complete quarters before the window ends.
    last_quarter = (end_exclusive // 3) - 1  # quarter index of the last quarter fully inside the window
    quarters = {}
    for e in usable:
        if e.period in ("Q1", "Q2", "Q3", "Q4"):
            qidx = e.year * 4 + int(e.period[1]) - 1
            if last_quarter - 3 <= qidx <= last_quarter:
                quarters.setdefault(qidx, e)
    if len(quarters) == 4:
        qs = sorted(quarters)
        label = f"{qs[0] // 4}年第{qs[0] % 4 + 1}季度至{qs[-1] // 4}年第{qs[-1] % 4 + 1}季度"
        exact = (last_quarter + 1) * 3 == end_exclusive
        return build(list(quarters.values()), f"{label}四个季度收入", exact)
    # 4. The last whole calendar year (an approximation unless the window is exactly that year).
    last_month = _month_start(end_exclusive - 1)
    year = last_month.year if last_month.month == 12 else last_month.year - 1
    annual = [e for e in usable if e.period == "annual" and e.year == year and e.purpose == "regular"]
    if annual:
        exact = last_month.month == 12
        note = f"{year}年全年收入" + ("" if exact else "（近似申请前12个月）")
        return build(annual[:1], note, exact)
    return None


def income_windows(entries, application_date: dt.date) -> tuple[IncomeWindow | None, IncomeWindow | None]:
    """The 12 months before the application and the 12 months before those."""
    end = _month_index(application_date.year, application_date.month)
    return (
        _window(entries, end, identification_year=application_date.year),
        _window(entries, end - 12, identification_year=None),
    )


# --- evaluation ------------------------------------------------------------------------------------


def _members_with(facts: HouseholdFacts, predicate) -> list[str]:
    return [m.name for m in facts.members if predicate(m)]


def evaluate(facts: HouseholdFacts, declaration: Declaration, params: EligibilityParams,
             application_date: dt.date) -> Evaluation:
    current, previous = income_windows(facts.incomes, application_date)
    yuan = lambda v: f"{Decimal(v).quantize(CENT)}元"  # noqa: E731

    # Scope (R-ID-01): registered and long resident in the county, and in one of the profile's groups.
    registered = facts.division_code.startswith(params.county_code)
    scope: list[Check] = []
    base_holds = False if not registered else declaration.long_resident
    scope.append(Check(
        "registered_resident", "户籍在本县且在本县长期居住", base_holds,
        {"区划代码": facts.division_code, "长期居住": {True: "是", False: "否", None: "未说明"}[declaration.long_resident]},
        "" if base_holds is not None else "申请时未说明是否在本县长期居住",
    ))
    group_results: list[bool | None] = []
    for group in params.scope_groups:
        label = SCOPE_GROUPS[group]
        if group == "all_rural":
            holds, figures, note = registered, {}, ""
        elif group == "formerly_poor":
            holds = facts.category in params.formerly_poor_categories
            figures, note = {"户类别": facts.category}, ""
        elif group == "special_support":
            tags = sorted(set(facts.tags) & set(params.special_support_tags))
            dibao = _members_with(facts, lambda m: m.dibao)
            tekun = _members_with(facts, lambda m: m.tekun)
            severe = _members_with(facts, lambda m: m.disability_grade in params.severe_disability_grades)
            ill = _members_with(facts, lambda m: any(h in (m.health or "").split(",") for h in params.serious_illness_health))
            holds = bool(tags or dibao or tekun or severe or ill)
            figures = {"标签": "、".join(tags) or "无", "享受低保成员": len(dibao), "特困供养成员": len(tekun),
                       "重度残疾成员": len(severe), "重病大病成员": len(ill)}
            note = ""
        elif group == "below_dibao_line":
            if current is None:
                holds, figures, note = None, {}, "缺少申请前12个月收入记录"
            else:
                monthly = (current.per_capita / 12).quantize(CENT, ROUND_HALF_UP)
                holds = monthly < params.dibao_monthly
                figures = {"人均月收入": yuan(monthly), "低保标准（元/人/月）": yuan(params.dibao_monthly)}
                note = current.source
        else:  # validated away; kept for safety
            continue
        group_results.append(holds)
        scope.append(Check(group, label, holds, figures, note))
    if any(g is True for g in group_results):
        group_holds: bool | None = True
    elif any(g is None for g in group_results):
        group_holds = None
    else:
        group_holds = False
    if base_holds is False or group_holds is False:
        in_scope: bool | None = False
    elif base_holds is True and group_holds is True:
        in_scope = True
    else:
        in_scope = None

    # Criteria (R-ID-02).
    criteria: list[Check] = []
    if current is None:
        criteria.append(Check("income_below_line", CRITERIA["income_below_line"], None,
                              {"监测线（元/人/年）": yuan(params.monitoring_line)}, "缺少申请前12个月收入记录，请先录入收入"))
    else:
        criteria.append(Check(
            "income_below_line", CRITERIA["income_below_line"], current.per_capita < params.monitoring_line,
            {"人均纯收入": yuan(current.per_capita), "家庭纯收入": yuan(current.net_income), "家庭人口": current.household_size,
             f"{params.year}年监测线": yuan(params.monitoring_line)},
            current.source,
        ))
    if current is None or previous is None:
        criteria.append(Check("income_drop", CRITERIA["income_drop"], None, {},
                              "缺少申请前24个月的收入记录，无法比较"))
    elif previous.per_capita <= 0:
        criteria.append(Check("income_drop", CRITERIA["income_drop"], False,
                              {"上一年度人均纯收入": yuan(previous.per_capita)}, "上一周期人均收入为零，无法计算降幅"))
    else:
        drop = (previous.per_capita - current.per_capita) / previous.per_capita
        threshold = Fraction(params.income_drop_fraction)
        holds = Fraction(str(drop)) >= threshold
        criteria.append(Check(
            "income_drop", CRITERIA["income_drop"], holds,
            {"申请前12个月人均纯收入": yuan(current.per_capita), "再前12个月人均纯收入": yuan(previous.per_capita),
             "降幅": f"{(drop * 100).quantize(Decimal('0.1'))}%", "骤减标准": f"{float(threshold) * 100:.1f}%"},
            f"{current.source}；对比 {previous.source}",
        ))
    out_of_pocket = current.out_of_pocket if current else Decimal(0)
    rigid = declaration.medical_expense + declaration.other_rigid_expense + out_of_pocket
    if current is None:
        criteria.append(Check("expense_spike", CRITERIA["expense_spike"], None,
                              {"刚性支出": yuan(rigid)}, "缺少收入记录，无法判断是否入不敷出"))
    else:
        criteria.append(Check(
            "expense_spike", CRITERIA["expense_spike"], rigid > current.net_income,
            {"刚性支出合计": yuan(rigid), "其中申报医疗支出": yuan(declaration.medical_expense),
             "其中申报其他刚性支出": yuan(declaration.other_rigid_expense), "其中收入记录中的合规自付支出": yuan(out_of_pocket),
             "家庭纯收入": yuan(current.net_income)},
        ))
    medical = declaration.medical_expense + out_of_pocket
    heavy = medical >= params.heavy_medical_expense
    med_holds: bool | None = heavy or facts.medical_secure is False
    criteria.append(Check(
        "heavy_medical_expense", CRITERIA["heavy_medical_expense"], med_holds,
        {"医疗自付支出": yuan(medical), "较大医疗支出标准": yuan(params.heavy_medical_expense),
         "基本医疗有保障": {True: "是", False: "否", None: "未核实"}[facts.medical_secure]},
    ))
    grade = facts.housing_grade or ""
    if not grade:
        housing = Check("housing_unsafe", CRITERIA["housing_unsafe"], None, {"住房安全等级": "未鉴定"}, "住房尚未鉴定等级")
    else:
        unsafe = grade in ("C", "D")
        holds = unsafe and declaration.can_repair_house is not True
        note = "需核实是否无力修缮" if unsafe and declaration.can_repair_house is None else ""
        housing = Check("housing_unsafe", CRITERIA["housing_unsafe"], holds,
                        {"住房安全等级": f"{grade}级", "有能力自行修缮": {True: "是", False: "否", None: "未核实"}[declaration.can_repair_house]},
                        note)
    criteria.append(housing)
    out_of_school = _members_with(
        facts,
        lambda m: m.age is not None and params.compulsory_age_min <= m.age <= params.compulsory_age_max
        and m.student_status not in params.compulsory_statuses and not m.education,
    )
    edu_holds: bool | None = bool(out_of_school) or facts.education_secure is False
    criteria.append(Check(
        "education_dropout", CRITERIA["education_dropout"], edu_holds,
        {"义务教育年龄段未在校成员": "、".join(out_of_school) or "无",
         "义务教育有保障": {True: "是", False: "否", None: "未核实"}[facts.education_secure],
         "义务教育年龄": f"{params.compulsory_age_min}–{params.compulsory_age_max}周岁"},
    ))
    water = facts.water_secure
    criteria.append(Check(
        "water_unsafe", CRITERIA["water_unsafe"], None if water is None else not water,
        {"饮水安全有保障": {True: "是", False: "否", None: "未核实"}[water]},
        "饮水安全尚未核实" if water is None else "",
    ))
    return Evaluation(application_date, in_scope, tuple(scope), tuple(criteria), current, previous)
