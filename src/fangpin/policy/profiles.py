"""County policy profiles (R-CFG-01, R-CFG-02, R-CFG-02a).

A profile is a TOML file in ``profiles/``: ``_defaults.toml`` holds the documented defaults and each
county file overrides what its own documents state. Loading merges the two, validates every
parameter and returns plain data. No county name ever appears in code: everything a rule needs is
looked up here by its dotted path, e.g. ``profile.param("deliberation.presence_fraction")``.
"""

from __future__ import annotations

import copy
import hashlib
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

DEFAULTS_FILE = "_defaults.toml"


class ProfileError(ValueError):
    pass


# dotted path -> (type, description). Every county profile must end up with all of them.
REQUIRED = {
    "key": (str, "profile key"),
    "name": (str, "county name"),
    "county_code": (str, "6-digit county code"),
    "version": (int, "profile version"),
    "valid_from": (str, "first day the version applies (YYYY-MM-DD)"),
    "income.monitoring_line": (dict, "annual per-capita monitoring line by year"),
    "income.dibao_monthly": (dict, "rural 低保 line per person per month by year"),
    "grid.households_min": (int, "normal minimum households per group grid"),
    "grid.households_max": (int, "normal maximum households per group grid"),
    "grid.households_hard_max": (int, "absolute maximum households per group grid"),
    "grid.monitor_households_min": (int, "households per monitor, lower bound"),
    "grid.monitor_households_max": (int, "households per monitor, upper bound"),
    "grid.visit_interval_days": (int, "grid visit interval, days"),
    "assistance.contact_max_households": (int, "households per assistance contact, at most"),
    "assistance.contact_normal_households": (int, "households per assistance contact, normally"),
    "policy_catalogue.departments_due": (str, "departments submit their policy lists by this day (MM-DD)"),
    "policy_catalogue.county_due": (str, "the county catalogue is published by this day (MM-DD)"),
    "policy_catalogue.villages_due": (str, "villages make their assistance lists by this day (MM-DD)"),
    "deliberation.presence_fraction": (str, "share of expected attendees that must be present"),
    "deliberation.approval_fraction": (str, "approvals must exceed this share of those present"),
    "notices.village_days": (int, "village notice length, days"),
    "notices.township_days": (int, "township notice length, days (0 = no township notice)"),
    "deadlines.lead_to_township_days": (int, "county warning to township, days"),
    "deadlines.lead_verification_days": (int, "home verification of a lead, days"),
    "deadlines.lead_closing_report_days": (int, "closing report to county, days"),
    "deadlines.serious_risk_report_working_days": (int, "serious risk reported to county, working days"),
    "deadlines.identification_total_days": (int, "identification overall limit, days"),
    "deadlines.system_entry_days": (int, "entry into the national system after filing, days"),
    "deadlines.plan_working_days": (int, "assistance plan made, working days"),
    "deadlines.measure_township_working_days": (int, "township measures carried out, working days"),
    "deadlines.measure_department_working_days": (int, "department answer, working days"),
    "deadlines.measures_entered_working_days": (int, "measures entered after identification, working days"),
    "deadlines.department_data_day": (int, "departments deliver monthly data by this day of month"),
    "deadlines.warning_to_township_day": (int, "warnings reach townships by this day of month"),
    "followup.visit_interval_months": (int, "assistance-contact visits, months"),
    "followup.village_analysis_days": (int, "village analysis interval, days"),
    "followup.township_dispatch_months": (int, "township dispatch interval, months"),
    "followup.formerly_poor_monthly": (bool, "脱贫户 also get the monthly contact visit"),
    "followup.monitor_visits_per_month": (int, "grid-monitor visits per monitored household per month (0 = none)"),
    "followup.escalate_to_township_days": (int, "days after the due date an overdue item reaches the township"),
    "followup.escalate_to_county_days": (int, "further days until an overdue item reaches the county"),
    "followup.max_monthly_income": (int, "a month's household income above this is refused"),
    "risk_colour.red_open_tickets": (int, "open tickets that make a household red"),
    "risk_colour.yellow_when_monitored": (bool, "monitored households not eliminated are yellow"),
    "risk_colour.yellow_categories": (list, "household categories that are at least yellow"),
    "clearing.general_days": (int, "general problem clearing, days"),
    "clearing.difficult_days": (int, "difficult problem clearing, days"),
    "clearing.special_days": (int, "special problem clearing, days"),
    "exit.cadence": (str, "monthly | half_yearly"),
    "exit.wrong_exit_threshold": (str, "wrong-exit rate above which a township re-reviews"),
    "exit.min_months_since_identification": (int, "months between identification and elimination"),
    "exit.income_stable_months": (int, "months of stable income before elimination"),
    "categories.household": (list, "household categories: [{code, name, monitored}]"),
    "leads.day_unit": (str, "unit of the lead clocks lead_*_days: calendar_days | working_days"),
    "leads.opens_procedure": (str, "the procedure a verified lead opens"),
    "leads.new_household_category": (str, "category of a household created for a verified unregistered person"),
}

CADENCES = {"monthly", "half_yearly"}


def _merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _lookup(data: dict, path: str):
    node = data
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


@dataclass(frozen=True)
class Profile:
    data: dict
    checksum: str

    @property
    def key(self) -> str:
        return self.data["key"]

    @property
    def version(self) -> int:
        return self.data["version"]

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def county_code(self) -> str:
        return self.data["county_code"]

    def param(self, path: str):
        try:
            return _lookup(self.data, path)
        except KeyError:
            raise ProfileError(f"画像{self.key}缺少参数 {path}")

    def has(self, path: str) -> bool:
        try:
            _lookup(self.data, path)
            return True
        except KeyError:
            return False

    def for_year(self, path: str, year: int) -> Decimal:
        """A per-year value: the entry for ``year`` or the latest earlier year."""
        table = self.param(path)
        years = sorted(int(y) for y in table)
        usable = [y for y in years if y <= year]
        if not usable:
            raise ProfileError(f"画像{self.key}的 {path} 没有 {year} 年及以前的取值")
        return Decimal(str(table[str(usable[-1])]))

    def fraction(self, path: str) -> Fraction:
        return Fraction(self.param(path))

    @property
    def categories(self) -> list[dict]:
        return list(self.param("categories.household"))

    def category_names(self) -> dict[str, str]:
        return {c["code"]: c["name"] for c in self.categories}

    def monitored_categories(self) -> list[str]:
        return [c["code"] for c in self.categories if c.get("monitored")]

    def snapshot(self, *paths: str) -> dict:
        """The parameter values a decision used, for storing with the decision (R-CFG-01)."""
        snap = {"profile": self.key, "version": self.version}
        for path in paths:
            snap[path] = self.param(path)
        return snap


def validate(data: dict) -> None:
    problems = []
    for path, (typ, desc) in REQUIRED.items():
        try:
            value = _lookup(data, path)
        except KeyError:
            problems.append(f"缺少参数 {path}（{desc}）")
            continue
        if not isinstance(value, typ) or (typ is int and isinstance(value, bool)):
            problems.append(f"参数 {path} 应为 {typ.__name__}，实际为 {type(value).__name__}")
    if problems:
        raise ProfileError("；".join(problems))
    if not (data["county_code"].isdigit() and len(data["county_code"]) == 6):
        problems.append("county_code 应为6位数字")
    for path in ("deliberation.presence_fraction", "deliberation.approval_fraction", "exit.wrong_exit_threshold"):
        try:
            f = Fraction(_lookup(data, path))
            if not (0 <= f <= 1):
                problems.append(f"参数 {path} 应在0到1之间")
        except (ValueError, ZeroDivisionError):
            problems.append(f"参数 {path} 不是有效的分数或小数")
    if data["exit"]["cadence"] not in CADENCES:
        problems.append(f"exit.cadence 只能是 {sorted(CADENCES)}")
    g = data["grid"]
    if not (0 < g["households_min"] <= g["households_max"] <= g["households_hard_max"]):
        problems.append("网格户数应满足 0 < households_min ≤ households_max ≤ households_hard_max")
    for table in ("income.monitoring_line", "income.dibao_monthly"):
        for year, value in _lookup(data, table).items():
            if not str(year).isdigit() or not isinstance(value, int | float) or value <= 0:
                problems.append(f"{table}.{year} 应为正数")
    codes = [c.get("code") for c in data["categories"]["household"]]
    if len(codes) != len(set(codes)) or not all(codes):
        problems.append("categories.household 的 code 不能为空或重复")
    # Identification criteria and procedures as data (R-ID-02, R-ID-03, R-ID-04).
    from . import eligibility, mustvisit, procedures

    problems.extend(eligibility.problems(data))
    problems.extend(procedures.problems(data))
    problems.extend(mustvisit.problems(data) + mustvisit.screening_problems(data))  # R-DISC-05, R-DISC-07
    problems.extend(_lead_problems(data))  # R-DISC-03
    if problems:
        raise ProfileError("；".join(problems))


def _lead_problems(data: dict) -> list[str]:
    """The lead clocks' unit, the procedure a verified lead opens and the category of a new household."""
    from .procedures import UNITS

    leads, problems = data["leads"], []
    if leads["day_unit"] not in UNITS:
        problems.append(f"leads.day_unit 只能是 {'、'.join(UNITS)}")
    if leads["opens_procedure"] not in (data.get("procedures") or {}):
        problems.append(f"leads.opens_procedure 指定的程序 {leads['opens_procedure']} 在本画像中没有定义")
    categories = {c.get("code"): c for c in data["categories"]["household"]}
    category = categories.get(leads["new_household_category"])
    if category is None or category.get("monitored"):
        problems.append("leads.new_household_category 应为本画像中非监测对象的户类别（如 ordinary）")
    return problems


def load_profile_text(text: str, defaults_text: str = "") -> Profile:
    try:
        own = tomllib.loads(text)
        base = tomllib.loads(defaults_text) if defaults_text else {}
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"画像文件格式错误：{exc}")
    data = _merge(base, own)
    validate(data)
    checksum = hashlib.sha256((defaults_text + "\n--\n" + text).encode()).hexdigest()
    return Profile(data, checksum)


def load_profiles_dir(directory: Path) -> list[Profile]:
    directory = Path(directory)
    defaults_path = directory / DEFAULTS_FILE
    defaults_text = defaults_path.read_text(encoding="utf-8") if defaults_path.exists() else ""
    profiles = []
    for path in sorted(directory.glob("*.toml")):
        if path.name == DEFAULTS_FILE:
            continue
        try:
            profiles.append(load_profile_text(path.read_text(encoding="utf-8"), defaults_text))
        except ProfileError as exc:
            raise ProfileError(f"{path.name}: {exc}")
    return profiles
