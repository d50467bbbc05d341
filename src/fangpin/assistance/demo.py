"""Demo assistance data for the demo county (a ``registry.demo.DEMO_STEPS`` step, run after the demo
cases so the households they filed get a contact and a plan too).

What it writes, for the year of ``as_of``:

- the departments' policy lists, all submitted, and the county catalogue compiled from them
  (version 1, published by the profile's ``policy_catalogue.county_due``), each catalogue policy
  pointing at the department policy it came from; then 人社局 submits one more policy after the
  publication (work for a version 2) and 工商联 is still drafting its list (``demo_catalogue``);
- an assistance contact for every monitored household (R-AID-05): synthetic village-level users
  without a password, about one per two households and never more than the profile's
  ``assistance.contact_max_households``; the demo login ``contact`` takes the first households of
  its own village; a few households were reassigned once, so the history has an ended row;
- one plan per monitored household (R-AID-03) from the published catalogue, with measures chosen
  from the household's risks and members (一人一措施 where a policy is for a person): a household
  with labour capacity gets at least one developmental measure, one without gets a safety net
  (R-AID-04). Most plans are approved and their measures in place; the most recently identified
  households have drafts, plans waiting for the county or returned, some past their deadline;
  department measures were applied for and answered, a few still wait for their answer (some
  overdue) and a few were refused; some plans carry the "已实施开发式帮扶" mark (R-AID-07);
- this year's measures of the 脱贫户 outside monitoring (no plan), so the village assistance lists
  (R-AID-06) have them.

Deadlines come from the profile and the one working calendar as the services compute them. Rows are
generated in memory from a seeded random generator and written set-based (``BulkWriter``: COPY on
PostgreSQL, executemany on SQLite); like the registry's bulk rows they have no history rows. One
audit event, recorded under the build's source, sums up what was written. The step does nothing
when the county already has a catalogue for the year.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.registry import demo_words as words
from fangpin.registry.bulk import BulkWriter, reserve_ids, reset_sequences
from fangpin.registry.models import Household, Member, MonitoringStatus

from . import demo_catalogue as data
from .models import (
    ContactAssignment,
    Handler,
    ListKind,
    ListStatus,
    Measure,
    MeasureKind,
    MeasureSource,
    MeasureStatus,
    Plan,
    PlanStatus,
    Policy,
    PolicyList,
)

DEMO_ACTION = "demo.assistance"
# Usernames of the synthetic contacts: prefix + village code + number.
CONTACT_PREFIX = "bflx"
CONTACT_DEMO_USERNAME = "contact"
# Area codes of the demo counties' cities for the catalogue's office numbers.
AREA_CODES = {"淮北市": "0561", "湛江市": "0759", "重庆市": "023", "济南市": "0531", "临沧市": "0883"}
DEFAULT_AREA_CODE = "0759"

CONTACTS_PER_HOUSEHOLD = 0.55  # about one contact per two households
REASSIGNED_SHARE = 0.04
RECENT_DAYS = 60  # households identified in the last two months still have plans in the making
RECENT_SPLIT = [(PlanStatus.APPROVED, 0.45), (PlanStatus.SUBMITTED, 0.25), (PlanStatus.DRAFT, 0.2),
                (PlanStatus.RETURNED, 0.1)]
OLDER_SPLIT = [(PlanStatus.APPROVED, 0.97), (PlanStatus.SUBMITTED, 0.015), (PlanStatus.RETURNED, 0.01),
               (PlanStatus.DRAFT, 0.005)]
LATE_APPLICATION_SHARE = 0.05  # department measures of approved plans applied for lately, still unanswered
REFUSED_SHARE = 0.03
MARKED_SHARE = 0.15
FORMERLY_POOR_MEASURED = 0.6

CAPABLE = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力")
FULL = ("普通劳动力", "技能劳动力")
MIGRANT = ("省外务工", "县外省内务工")
VOCATIONAL = ("中职", "高职")
# Measures paid every month: they carry the month they started from.
MONTHLY = {"dibao", "dibao_single", "tekun", "disability_allowance", "orphan", "elderly", "public_post", "cleaner",
           "forest_ranger"}
RETURN_REASONS = ["措施与家庭风险不对应，请补充因病帮扶措施", "有劳动能力成员未安排开发式帮扶措施，请补充",
                  "帮扶措施未落实到具体成员，请完善一人一措施"]
REFUSAL_REASONS = ["经核查，家庭人均收入高于救助标准，不符合申请条件", "申请材料不全，未提供医疗费用票据，请补齐后重新申请",
                   "本年度已享受同类补助，不得重复享受"]


def register() -> None:
    """Hooks of this part (pending actions, deadline recomputers, audit labels, demo steps)."""
    from fangpin.audit.services import ACTION_LABELS
    from fangpin.registry.demo import DEMO_STEPS

    ACTION_LABELS.setdefault(DEMO_ACTION, "生成演示帮扶数据")
    if build_demo_assistance not in DEMO_STEPS:
        DEMO_STEPS.append(build_demo_assistance)


# --- helpers -----------------------------------------------------------------------------------


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _due_date(profile, path: str, default: str, year: int) -> dt.date:
    try:
        text = str(profile.param(path))
    except Exception:  # an older profile without the catalogue dates
        text = default
    month, day = (int(x) for x in text.split("-"))
    return dt.date(year, month, day)


def _param(profile, path: str, default: int) -> int:
    try:
        return int(profile.param(path))
    except Exception:
        return default


def _name(rng: random.Random) -> str:
    surname = rng.choices([s for s, _ in words.SURNAMES], [w for _, w in words.SURNAMES])[0]
    male = rng.random() < 0.6
    chars = (words.MALE_OLD + words.MALE_YOUNG) if male else (words.FEMALE_OLD + words.FEMALE_YOUNG)
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.75 else "")
    return surname + given


def _mobile(rng: random.Random) -> str:
    return rng.choice(words.PHONE_PREFIXES) + f"{rng.randrange(10**8):08d}"


class Clock:
    """Working-day deadlines from the one calendar, memoised (thousands of rows share a few dates)."""

    def __init__(self):
        self.calendar = working_calendar()
        self.memo: dict[tuple[dt.date, int], tuple[dt.date, str]] = {}

    def add(self, start: dt.date, n: int) -> tuple[dt.date, str]:
        key = (start, n)
        if key not in self.memo:
            result = self.calendar.add_working_days(start, n)
            self.memo[key] = (result.due, json.dumps(list(result.warnings), ensure_ascii=False))
        return self.memo[key]


# --- the catalogue ---------------------------------------------------------------------------------


def _policy(entry: dict, plist: PolicyList, position: int, area: str, dibao_year: Decimal, origin=None) -> Policy:
    fields = {k: entry[k] for k in data.STORED_FIELDS}
    fields["conditions"] = dict(fields["conditions"])
    if entry.get("dibao_line"):
        fields["conditions"]["max_per_capita_income"] = str(dibao_year)
    name, local = data.DEPARTMENT_CONTACTS.get(entry["department"], ("", ""))
    return Policy(policy_list=plist, position=position, contact_name=name,
                  office_phone=f"{area}-{local}" if local else "", origin=origin, **fields)


def build_catalogue(county: Division, profile, as_of: dt.date) -> tuple[PolicyList, dict[str, Policy]]:
    """The departments' lists and the published catalogue; returns it and its policies by demo key."""
    year = as_of.year
    area = AREA_CODES.get(profile.data.get("city", ""), DEFAULT_AREA_CODE)
    dibao_year = Decimal(profile.for_year("income.dibao_monthly", year)) * 12
    published_on = min(_due_date(profile, "policy_catalogue.county_due", "02-10", year), as_of - dt.timedelta(days=5))
    departments_on = min(_due_date(profile, "policy_catalogue.departments_due", "02-08", year),
                         published_on - dt.timedelta(days=2))
    county_user = User.objects.filter(username="county", role=Role.COUNTY_OFFICE).first()
    officers = {u.department: u for u in User.objects.filter(role=Role.DEPARTMENT_OFFICER).exclude(department="")}

    by_department: dict[str, list[dict]] = defaultdict(list)
    for entry in data.POLICIES:
        by_department[entry["department"]].append(entry)
    late = data.LATE_SUBMISSION
    late_on = min(published_on + dt.timedelta(days=21), as_of - dt.timedelta(days=1))
    lists = []
    for department in by_department:
        officer = officers.get(department)
        submitted = late_on if department == late["department"] else departments_on
        lists.append(PolicyList(
            county=county, county_code=county.code, year=year, kind=ListKind.DEPARTMENT, department=department,
            status=ListStatus.SUBMITTED, title=f"{year}年{department}防止返贫帮扶政策清单", created_by=officer,
            submitted_by=officer, submitted_at=_at(submitted, 16),
            note="补充返乡入乡创业政策，请纳入下一版县级清单" if department == late["department"] else ""))
    draft = PolicyList(county=county, county_code=county.code, year=year, kind=ListKind.DEPARTMENT,
                       department=data.DRAFT_DEPARTMENT, status=ListStatus.DRAFT,
                       title=f"{year}年{data.DRAFT_DEPARTMENT}防止返贫帮扶政策清单", created_by=officers.get(data.DRAFT_DEPARTMENT))
    catalogue = PolicyList(county=county, county_code=county.code, year=year, kind=ListKind.CATALOGUE, version=1,
                           status=ListStatus.PUBLISHED, title=f"{county.name}{year}年防止返贫帮扶政策清单",
                           note="由各行业部门报送的政策清单汇总，经县防止返贫监测帮扶工作领导小组审定发布",
                           created_by=county_user, published_by=county_user, published_at=_at(published_on, 17))
    for plist in (*lists, draft, catalogue):
        plist.save()

    department_policies: dict[str, Policy] = {}
    rows = []
    for plist, entries in zip(lists, by_department.values(), strict=True):
        if plist.department == late["department"]:
            entries = [*entries, late]
        for i, entry in enumerate(entries, start=1):
            policy = _policy(entry, plist, i, area, dibao_year)
            department_policies[entry["key"]] = policy
            rows.append(policy)
    rows += [_policy(entry, draft, i, area, dibao_year) for i, entry in enumerate(data.DRAFT_POLICIES, start=1)]
    Policy.objects.bulk_create(rows)
    compiled = [_policy(entry, catalogue, i, area, dibao_year, origin=department_policies[entry["key"]])
                for i, entry in enumerate(data.POLICIES, start=1)]
    Policy.objects.bulk_create(compiled)
    return catalogue, {entry["key"]: p for entry, p in zip(data.POLICIES, compiled, strict=True)}


# --- choosing measures -------------------------------------------------------------------------------


def _age(birth: dt.date | None, as_of: dt.date) -> int:
    if birth is None:
        return 40
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def choose_measures(rng: random.Random, household: dict, members: list[tuple], as_of: dt.date) -> list[tuple]:
    """``(policy key, member id or None, required)`` for one monitored household.

    ``members``: (id, age, labour, disability grade, student status, employment, dibao, tekun). The
    R-AID-04 measures come first and are marked required (never refused in the demo).
    """
    chosen: list[tuple] = []
    seen: set[tuple[str, int | None]] = set()

    def add(key, member=None, required=False):
        if (key, member) not in seen:
            seen.add((key, member))
            chosen.append((key, member, required))

    risks = set(household["risk_types"] or ())
    capable = [m for m in members if m[2] in CAPABLE]
    no_labour = household["no_labour_household"] or not capable
    if not no_labour:
        working_age = [m for m in capable if 18 <= m[1] <= 60]
        weak_or_older = [m for m in capable if m[2] == "弱劳动力或半劳动力" or m[1] > 55]
        migrants = [m for m in working_age if m[5] in MIGRANT]
        options: list[tuple[str, tuple | None]] = []
        if migrants:
            options += [("transport", m) for m in migrants] * 2
        if "因务工就业不稳" in risks and working_age:
            options += [("job_service", working_age[0]), ("training", working_age[0]), ("workshop", working_age[0])]
        if "因产业项目失败" in risks and working_age:
            options += [("industry", None), ("microcredit", working_age[0]), ("agri_tech", None)]
        if working_age:
            w = rng.choice(working_age)
            options += [("industry", None), ("microcredit", w), ("training", w), ("workshop", w), ("work_relief", w)]
            if w[2] in FULL and rng.random() < 0.15:
                options.append(("forest_ranger", w))
        if weak_or_older:
            w = rng.choice(weak_or_older)
            options += [("public_post", w), ("public_post", w), ("cleaner", w), ("courtyard", None)]
        if not options:
            options = [("courtyard", None)]
        for _ in range(1 if rng.random() < 0.65 else 2):
            key, member = rng.choice(options)
            add(key, member[0] if member else None, required=True)
    tekun = [m for m in members if m[7]]
    if tekun:
        add("tekun", tekun[0][0], required=no_labour)
    elif no_labour or any(m[6] for m in members):
        add("dibao", None, required=no_labour)
    for m in [m for m in members if m[3]][:2]:
        add("disability_allowance", m[0])
    if "因病" in risks:
        add("medical_aid" if rng.random() < 0.7 else "serious_illness")
        if rng.random() < 0.5:
            add("family_doctor")
        if rng.random() < 0.2:
            add("chronic")
    for m in members:
        status = m[4] or ""
        if status.startswith(VOCATIONAL):
            add("yulu", m[0])
        elif status.startswith("普通高中"):
            add("high_school", m[0])
        elif status.startswith("本科") and ("因学" in risks or rng.random() < 0.5):
            add("student_loan", m[0])
        elif status in ("小学", "七年级", "八年级", "九年级") and ("因学" in risks or rng.random() < 0.3):
            add("compulsory", m[0])
        elif status == "学前教育" and rng.random() < 0.3:
            add("preschool", m[0])
        if m[1] >= 80 and rng.random() < 0.6:
            add("elderly", m[0])
    if household["housing_grade"] in ("C", "D"):
        add("dangerous_house")
    if household["water_secure"] is False:
        add("water")
    if risks & {"因意外事故", "因自然灾害"} and rng.random() < 0.6:
        add("temporary")
    if "因自然灾害" in risks and rng.random() < 0.4:
        add("agri_insurance")
    if rng.random() < 0.8:
        add("insurance_subsidy")
    if risks & {"因病", "因意外事故", "因残"} and rng.random() < 0.3:
        add("anti_poverty_insurance")
    if rng.random() < 0.1:
        add("pairing")
    required = [c for c in chosen if c[2]]
    others = [c for c in chosen if not c[2]]
    return required + others[: max(0, 6 - len(required))]


# --- the step ----------------------------------------------------------------------------------------


def build_demo_assistance(county: Division, as_of: dt.date, seed: int) -> dict[str, int]:
    from fangpin.audit.services import record

    year = as_of.year
    if PolicyList.objects.filter(county=county, year=year, kind=ListKind.CATALOGUE).exists():
        return {}
    profile = profile_for_county(county.code)
    rng = random.Random(f"{seed}|{county.code}|assistance")
    clock = Clock()
    catalogue, policies = build_catalogue(county, profile, as_of)
    published_on = timezone.localdate(catalogue.published_at)
    county_user = User.objects.filter(username="county", role=Role.COUNTY_OFFICE).first()

    households = list(
        Household.objects.filter(prefix_q("division_code", county.code), monitoring_status=MonitoringStatus.MONITORED)
        .order_by("village_id", "id")
        .values("id", "division_code", "village_id", "category", "included_on", "risk_types", "no_labour_household",
                "housing_grade", "water_secure"))
    members: dict[int, list[tuple]] = defaultdict(list)
    member_rows = (Member.objects.filter(prefix_q("household__division_code", county.code),
                                         household__monitoring_status=MonitoringStatus.MONITORED, active=True)
                   .order_by("household_id", "relation_order", "id")
                   .values_list("id", "household_id", "birth_date", "labour", "disability_grade", "student_status",
                                "employment", "dibao", "tekun"))
    for mid, hid, birth, labour, grade, student, employment, dibao, tekun in member_rows.iterator(chunk_size=5000):
        members[hid].append((mid, _age(birth, as_of), labour, grade, student, employment, dibao, tekun))

    counts = {"policies": Policy.objects.filter(policy_list__county=county, policy_list__year=year).count()}
    # Households the demo cases filed may already have a contact or a plan (started by the case services).
    in_county = prefix_q("household__division_code", county.code)
    with_contact = set(ContactAssignment.objects.filter(in_county, ended_on__isnull=True)
                       .values_list("household_id", flat=True))
    with_plan = set(Plan.objects.filter(in_county).exclude(status=PlanStatus.CLOSED).values_list("household_id", flat=True))
    contacts = _assign_contacts(county, profile, [h for h in households if h["id"] not in with_contact], as_of, rng,
                                counts)
    households = [h for h in households if h["id"] not in with_plan]
    plan_rows, measure_rows = [], []
    plan_ids = reserve_ids(Plan, len(households))
    plan_days = _param(profile, "deadlines.plan_working_days", 5)
    township_days = _param(profile, "deadlines.measure_township_working_days", 5)
    department_days = _param(profile, "deadlines.measure_department_working_days", 5)
    entry_days = _param(profile, "deadlines.measures_entered_working_days", 20)
    now = timezone.now()
    statuses = defaultdict(int)
    for plan_id, h in zip(plan_ids, households, strict=True):
        started = h["included_on"] or (as_of - dt.timedelta(days=30))
        due_on, due_warn = clock.add(started, plan_days)
        entry_due, entry_warn = clock.add(started, entry_days)
        split = RECENT_SPLIT if (as_of - started).days <= RECENT_DAYS else OLDER_SPLIT
        status = rng.choices([s for s, _ in split], [w for _, w in split])[0]
        if (as_of - started).days <= 3:
            status = PlanStatus.DRAFT  # identified in the last days: the plan is being made
        approved_on = submitted_on = None
        version = 1
        if status == PlanStatus.APPROVED:
            if started >= published_on:
                approved_on = clock.add(started, rng.choice([2, 3, 4, 4, 5, 5, 6, 7]))[0]
            else:  # identified before this year's catalogue: the plan was renewed from it
                approved_on = published_on + dt.timedelta(days=rng.randint(3, 15))
                version = 2
            if approved_on >= as_of:
                status, approved_on = PlanStatus.SUBMITTED, None
        if status in (PlanStatus.SUBMITTED, PlanStatus.RETURNED, PlanStatus.APPROVED):
            base = approved_on or min(as_of, due_on + dt.timedelta(days=rng.randint(-3, 4)))
            submitted_on = max(started, base - dt.timedelta(days=rng.randint(1, 2)))
        statuses[status] += 1
        entered_on = None
        if approved_on and version == 1:
            entered_on = min(as_of, approved_on + dt.timedelta(days=rng.randint(1, 10)))
        elif approved_on:  # a renewed plan: its measures were entered when the household was identified
            entered_on = clock.add(started, rng.randint(5, entry_days))[0]
        chosen = choose_measures(rng, h, members[h["id"]], as_of)
        marked = None
        in_place_developmental = False
        for key, member, required in chosen:
            policy = policies[key]
            row = _measure_row(rng, clock, h["id"], plan_id, policy, key, member, required, status, approved_on,
                               as_of, township_days, department_days, county_user, counts)
            measure_rows.append(row)
            if policy.kind == MeasureKind.DEVELOPMENTAL and row[9] == MeasureStatus.IN_PLACE:
                in_place_developmental = True
        if (status == PlanStatus.APPROVED and in_place_developmental and (as_of - started).days > 180
                and rng.random() < MARKED_SHARE):
            reviewed = max(approved_on + dt.timedelta(days=30), as_of - dt.timedelta(days=rng.randint(5, 90)))
            marked = min(reviewed, as_of)
        plan_rows.append((
            plan_id, h["id"], catalogue.pk, status, started, due_on, due_warn, entry_due, entry_warn, entered_on,
            _at(submitted_on, 15) if submitted_on else None, approved_on, county_user.pk if approved_on and county_user else None,
            rng.choice(RETURN_REASONS) if status == PlanStatus.RETURNED else "", "[]", marked is not None, marked,
            county_user.pk if marked and county_user else None,
            "经县级核查，开发式帮扶措施已落实到位，家庭收入稳定增长" if marked else "", version, now, now,
        ))
    BulkWriter(Plan, PLAN_COLUMNS).write(plan_rows)
    reset_sequences(Plan)
    counts["plans"] = len(plan_rows)
    counts.update({f"plans_{k}": v for k, v in statuses.items()})
    counts["developmental_marked"] = sum(1 for r in plan_rows if r[15])
    measure_rows += _formerly_poor_measures(county, profile, policies, as_of, rng, clock, counts)
    BulkWriter(Measure, MEASURE_COLUMNS).write(measure_rows)
    counts["measures"] = len(measure_rows)
    counts["contacts"] = contacts
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            tables = ", ".join(connection.ops.quote_name(m._meta.db_table)
                               for m in (Policy, PolicyList, ContactAssignment, Plan, Measure))
            cur.execute(f"ANALYZE {tables}")
    record(None, DEMO_ACTION, county, after=counts)
    return counts


build_demo_assistance.demo_order = 20  # after the demo cases: the households they filed get plans too


PLAN_COLUMNS = ["id", "household_id", "catalogue_id", "status", "started_on", "due_on", "due_warnings", "entry_due_on",
                "entry_due_warnings", "entered_on", "submitted_at", "approved_on", "approved_by_id", "returned_reason",
                "flags", "developmental_marked", "developmental_reviewed_on", "developmental_reviewed_by_id",
                "developmental_note", "version", "created_at", "updated_at"]
MEASURE_COLUMNS = ["household_id", "plan_id", "policy_id", "member_id", "category", "content", "kind", "handler",
                   "department", "status", "year", "due_on", "due_warnings", "applied_on", "answer_due_on",
                   "answer_due_warnings", "answered_on", "answered_by_id", "refusal_reason", "amount", "start_month",
                   "carried_out_on", "note", "items", "source"]


def _amount(rng: random.Random, key: str, policy_entry: dict | None) -> Decimal | None:
    if not policy_entry or not policy_entry.get("amount"):
        return None
    low, high = policy_entry["amount"]
    step = 100 if high - low >= 100 else 1
    return Decimal(rng.randrange(low, high + 1, step) if high > low else low)


_ENTRIES = {e["key"]: e for e in data.POLICIES}


def _measure_row(rng, clock: Clock, household_id: int, plan_id: int | None, policy: Policy, key: str,
                 member: int | None, required: bool, plan_status: str, approved_on: dt.date | None, as_of: dt.date,
                 township_days: int, department_days: int, county_user, counts: dict) -> tuple:
    """One measure row in ``MEASURE_COLUMNS`` order, with its status and clocks from the plan's."""
    status = MeasureStatus.PLANNED
    due_on = applied_on = answer_due = answered_on = carried = None
    due_warn = answer_warn = "[]"
    refusal = ""
    if approved_on:
        if policy.handler == Handler.TOWNSHIP:
            due_on, due_warn = clock.add(approved_on, township_days)
            late = 2 if rng.random() < 0.05 else 0
            carried = clock.add(approved_on, rng.randint(1, township_days) + late)[0]
            if carried <= as_of:
                status = MeasureStatus.IN_PLACE
            else:
                carried = None
        else:
            due_on, due_warn = clock.add(approved_on, department_days)
            applied_on = clock.add(approved_on, rng.randint(1, department_days - 1 if department_days > 1 else 1))[0]
            if rng.random() < LATE_APPLICATION_SHARE:  # applied for lately (a change during the year)
                applied_on = max(applied_on, as_of - dt.timedelta(days=rng.randint(0, 10)))
            if applied_on <= as_of:
                answer_due, answer_warn = clock.add(applied_on, department_days)
                answered_on = clock.add(applied_on, rng.randint(1, department_days))[0]
                status = MeasureStatus.APPLIED
                if answered_on <= as_of and (as_of - applied_on).days > 10:
                    if not required and rng.random() < REFUSED_SHARE:
                        status, refusal = MeasureStatus.REFUSED, rng.choice(REFUSAL_REASONS)
                    else:
                        carried = min(as_of, answered_on + dt.timedelta(days=rng.randint(0, 7)))
                        status = MeasureStatus.IN_PLACE
                else:
                    answered_on = None
            else:
                applied_on = None
    if status == MeasureStatus.APPLIED:
        counts["awaiting_answer"] = counts.get("awaiting_answer", 0) + 1
    amount = _amount(rng, key, _ENTRIES.get(key)) if status != MeasureStatus.REFUSED else None
    start = carried.replace(day=1) if carried and key in MONTHLY else None
    answered_by = None  # the department officers answer in their own accounts; the demo has one per department at most
    return (household_id, plan_id, policy.pk, member, policy.type, policy.name, policy.kind, policy.handler,
            policy.department, status, as_of.year, due_on, due_warn, applied_on, answer_due, answer_warn, answered_on,
            answered_by, refusal, amount, start, carried, "", "[]", MeasureSource.LOCAL)


def _formerly_poor_measures(county, profile, policies, as_of, rng, clock, counts) -> list[tuple]:
    """This year's measures of the 脱贫户 outside monitoring (household level, no plan)."""
    try:
        categories = list(profile.param("eligibility.formerly_poor_categories"))
    except Exception:
        categories = ["formerly_poor"]
    rows = (Household.objects.filter(prefix_q("division_code", county.code), category__in=categories)
            .exclude(monitoring_status=MonitoringStatus.MONITORED).order_by("id")
            .values_list("id", "no_labour_household"))
    start_of_year = dt.date(as_of.year, 1, 1)
    span = max(1, (as_of - start_of_year).days)
    out = []
    for hid, no_labour in rows.iterator(chunk_size=10000):
        if rng.random() >= FORMERLY_POOR_MEASURED:
            continue
        options = ["family_doctor", "anti_poverty_insurance", "consumption"]
        options += ["dibao"] if no_labour else ["microcredit", "industry", "public_post", "courtyard", "training"]
        for key in rng.sample(options, 1 if rng.random() < 0.7 else 2):
            policy = policies[key]
            carried = start_of_year + dt.timedelta(days=rng.randrange(span))
            applied = answered = answer_due = None
            answer_warn = "[]"
            if policy.handler == Handler.DEPARTMENT:
                applied = max(start_of_year, carried - dt.timedelta(days=rng.randint(5, 12)))
                answer_due, answer_warn = clock.add(applied, 5)
                answered = min(carried, clock.add(applied, rng.randint(1, 5))[0])
            out.append((hid, None, policy.pk, None, policy.type, policy.name, policy.kind, policy.handler,
                        policy.department, MeasureStatus.IN_PLACE, as_of.year, None, "[]", applied, answer_due,
                        answer_warn, answered, None, "", _amount(rng, key, _ENTRIES.get(key)),
                        carried.replace(day=1) if key in MONTHLY else None, carried, "", "[]", MeasureSource.LOCAL))
    counts["formerly_poor_measures"] = len(out)
    return out


# --- contacts ------------------------------------------------------------------------------------------


def _assign_contacts(county: Division, profile, households: list[dict], as_of: dt.date, rng: random.Random,
                     counts: dict) -> int:
    """Contacts for the monitored households, village by village; returns how many contacts there are."""
    most = max(1, _param(profile, "assistance.contact_max_households", 2))
    by_village: dict[int, list[dict]] = defaultdict(list)
    for h in households:
        by_village[h["village_id"]].append(h)
    codes = dict(Division.objects.filter(pk__in=list(by_village)).values_list("pk", "code"))
    demo_contact = User.objects.filter(username=CONTACT_DEMO_USERNAME, role=Role.ASSISTANCE_CONTACT).first()
    existing = {u.username: u for u in User.objects.filter(username__startswith=f"{CONTACT_PREFIX}{county.code}")}
    wanted: list[tuple[str, int, str, str]] = []  # username, village id, name, phone
    plan: list[tuple[dict, str]] = []  # household, contact username
    for village_id in sorted(by_village, key=lambda v: codes[v]):
        items = by_village[village_id]
        if demo_contact and demo_contact.division_id == village_id:
            mine, items = items[:most], items[most:]
            plan += [(h, CONTACT_DEMO_USERNAME) for h in mine]
        if not items:
            continue
        k = min(len(items), max(math.ceil(len(items) / most), round(len(items) * CONTACTS_PER_HOUSEHOLD)))
        names = [f"{CONTACT_PREFIX}{codes[village_id]}{j + 1:03d}" for j in range(k)]
        wanted += [(u, village_id, _name(rng), _mobile(rng)) for u in names]
        plan += [(h, names[i % k]) for i, h in enumerate(items)]
    new, changed = [], []
    for username, village_id, name, phone in wanted:
        user = existing.get(username)
        if user is None:
            new.append(User(username=username, role=Role.ASSISTANCE_CONTACT, division_id=village_id, display_name=name,
                            phone=phone, password=make_password(None), is_active=True))
        else:
            user.role, user.division_id, user.display_name, user.phone, user.is_active = (
                Role.ASSISTANCE_CONTACT, village_id, name, phone, True)
            changed.append(user)
    User.objects.bulk_create(new, batch_size=1000)
    User.objects.bulk_update(changed, ["role", "division", "display_name", "phone", "is_active"], batch_size=1000)
    ids = dict(User.objects.filter(username__startswith=f"{CONTACT_PREFIX}{county.code}").values_list("username", "pk"))
    if demo_contact:
        ids[CONTACT_DEMO_USERNAME] = demo_contact.pk
    village_contacts: dict[int, list[int]] = defaultdict(list)
    for username, village_id, _, _ in wanted:
        village_contacts[village_id].append(ids[username])
    rows = []
    reassigned = 0
    for h, username in plan:
        contact = ids[username]
        start = h["included_on"] or as_of
        others = [c for c in village_contacts[h["village_id"]] if c != contact]
        if others and (as_of - start).days > 150 and rng.random() < REASSIGNED_SHARE:
            ended = start + dt.timedelta(days=rng.randint(40, 120))
            rows.append((h["id"], rng.choice(others), start, None, "识别纳入后确定帮扶联系人", ended,
                         "原帮扶联系人工作调动，重新确定帮扶联系人"))
            start = ended
            reassigned += 1
        rows.append((h["id"], contact, start, None, "识别纳入后确定帮扶联系人", None, ""))
    BulkWriter(ContactAssignment, ["household_id", "contact_id", "assigned_on", "assigned_by_id", "reason",
                                   "ended_on", "end_reason"]).write(rows)
    counts["contact_assignments"] = len(rows)
    counts["reassigned"] = reassigned
    return len(wanted) + (1 if demo_contact and any(u == CONTACT_DEMO_USERNAME for _, u in plan) else 0)
