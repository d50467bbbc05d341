"""Must-visit lists computed from the registry, set-based (R-DISC-05).

The lists and criteria are profile data (``[must_visit]``, read by ``fangpin.policy.mustvisit``); each
rule *kind* is one query here over the whole scope (a county, a part of it, or a few households), never
a loop over households: a county of 300 000 households is a few dozen queries. Their rows (household,
place, the values that matched) are gathered into one :class:`MustVisitEntry` per household on any list,
with every criterion that put it there and the values it saw, and the household's last visit.

Who calls it: the ``compute_must_visits`` command for whole counties (nightly, and after an import), the
registry's row signals for the one household that changed (``refresh_households``, after commit), and
the visit service, which only moves ``last_visited_on`` forward.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    DecimalField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast
from django.utils import timezone

from fangpin.areas.lookups import prefix_q
from fangpin.audit.services import jsonable
from fangpin.policy.mustvisit import MustVisitSpec, Rule, parse
from fangpin.profiles.services import profile_for_county
from fangpin.profiles.services import today as local_today
from fangpin.registry.models import (
    Household,
    IncomePeriod,
    IncomePurpose,
    IncomeRecord,
    Member,
    MemberMove,
    Tag,
)

from .models import MustVisitEntry, MustVisitRun, Visit

MAX_DETAILS = 4  # values shown per criterion (the rest are counted)
BATCH = 2000


def spec_for(county_code: str) -> MustVisitSpec | None:
    return parse(profile_for_county(county_code).data)


# --- scope ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Households under a division code, or given households (all in one county)."""

    code: str = ""
    household_ids: tuple[int, ...] = ()

    def q(self, path: str = "") -> Q:
        """Restrict a query whose household is reached by ``path`` (``""``: the household itself)."""
        if self.household_ids:
            return Q(**{f"{path}pk__in": list(self.household_ids)})
        return prefix_q(f"{path}division_code", self.code)

    @property
    def label(self) -> str:
        return self.code if not self.household_ids else f"{len(self.household_ids)}户"


def _age_cutoff(as_of: dt.date, years: int) -> dt.date:
    """Born on or before this day: at least ``years`` old on ``as_of``."""
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def _age(birth: dt.date | None, as_of: dt.date) -> int | None:
    if birth is None:
        return None
    return as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))


def _json_has_any(column: str, values: Iterable[str]) -> tuple[str, list]:
    """SQL: the JSON array in ``column`` holds any of ``values`` (jsonb ``?|`` / SQLite ``json_each``)."""
    values = list(values)
    if connection.vendor == "postgresql":
        return f"{column} ?| %s", [values]
    marks = ", ".join(["%s"] * len(values))
    return f"EXISTS (SELECT 1 FROM json_each({column}) AS j WHERE j.value IN ({marks}))", values


# --- rule kinds ------------------------------------------------------------------------------------------
#
# Rules of one family are answered together by one query over the scope (all tag rules by one read of
# the tag links, all member rules by one scan of the members with one flag column per rule …), so a
# county costs a handful of queries whatever the profile lists. Each family returns, per rule, the rows
# (household id, division code, detail) that satisfy it.

Hits = dict[Rule, list[tuple[int, str, str]]]


@dataclass(frozen=True)
class Context:
    scope: Scope
    spec: MustVisitSpec
    as_of: dt.date
    profile: object


def _tags(rules: list[Rule], ctx: Context) -> Hits:
    codes = {v for r in rules for v in r.values}
    tags = {t.id: t for t in Tag.objects.filter(code__in=codes)}
    found: list[list] = [[] for _ in rules]
    if not tags:
        return dict(zip(rules, found, strict=True))
    # tag id -> (the hit lists of the rules naming it, the detail)
    targets = {tag_id: ([hits for rule, hits in zip(rules, found, strict=True)
                         if tag.code in rule.values], f"标签：{tag.name}") for tag_id, tag in tags.items()}
    rows = (Household.tags.through.objects.filter(ctx.scope.q("household__"), tag_id__in=list(tags))
            .values_list("household_id", "household__division_code", "tag_id"))
    for hid, code, tag_id in _raw_rows(rows):
        lists, detail = targets[tag_id]
        hit = (hid, code, detail)
        for hits in lists:
            hits.append(hit)
    return dict(zip(rules, found, strict=True))


def _risk_types(rules: list[Rule], ctx: Context) -> Hits:
    values = sorted({v for r in rules for v in r.values})
    table = connection.ops.quote_name(Household._meta.db_table)
    where, params = _json_has_any(f"{table}.{connection.ops.quote_name('risk_types')}", values)
    rows = Household.objects.filter(ctx.scope.q()).extra(where=[where], params=params).values_list(
        "id", "division_code", "risk_types").order_by()
    out: Hits = {r: [] for r in rules}
    for hid, code, risks in rows.iterator(chunk_size=BATCH):  # few rows; JSON decoded by the ORM
        for rule in rules:
            seen = [x for x in risks if x in rule.values]
            if seen:
                out[rule].append((hid, code, "风险类型：" + "、".join(seen)))
    return out


def _visit_findings(rules: list[Rule], ctx: Context) -> Hits:
    values = sorted({v for r in rules for v in r.values})
    table = connection.ops.quote_name(Visit._meta.db_table)
    where, params = _json_has_any(f"{table}.{connection.ops.quote_name('risk_types')}", values)
    since = ctx.as_of - dt.timedelta(days=ctx.spec.recent_days)
    rows = (Visit.objects.filter(ctx.scope.q("household__"), risk_found=True, visited_on__gte=since,
                                 visited_on__lte=ctx.as_of)
            .extra(where=[where], params=params)
            .values_list("household_id", "household__division_code", "visited_on", "risk_types").order_by())
    out: Hits = {r: [] for r in rules}
    for hid, code, on, risks in _raw_rows(rows):
        on, risks = _as_date(on), risks if isinstance(risks, list) else json.loads(risks)
        for rule in rules:
            seen = [x for x in risks if x in rule.values]
            if seen:
                out[rule].append((hid, code, f"{on:%Y-%m-%d}走访发现：" + "、".join(seen)))
    return out


HEALTHY = ("健康", "")


def _member_prefilter(rule: Rule) -> Q:
    """Plain comparisons every member a rule is about passes (no substring tests): the scan keeps few
    rows, and ``_members`` decides each rule exactly on those."""
    if rule.kind == "member_health":
        if any(v in h for v in rule.values for h in HEALTHY if h):
            return ~Q(health="")
        return ~Q(health__in=HEALTHY)
    if rule.kind == "member_disability":
        return Q(disability_grade__in=rule.values) if rule.values else ~Q(disability_grade="")
    if rule.kind == "member_student":
        return Q(student_status__in=rule.values)
    return Q(employment__in=rule.values)  # member_employment


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _raw_rows(qs):
    """The rows of a ``values_list`` query as the database returns them: at county scale the ORM's
    per-value conversion costs more than the query (dates stay text on SQLite; see ``_as_date``).

    Every rule query reads its own table (members, tag links, visits, incomes) and joins the household
    for its place. SQLite's planner would start from the households' place index and probe the rule's
    table household by household (a county: 300 000 probes, seconds); ``CROSS JOIN`` is SQLite's
    documented way to keep the written order, so the rule's table is scanned once and each matching
    row probes the household by id. PostgreSQL plans the join itself.
    """
    sql, params = qs.order_by().query.sql_with_params()  # no model ordering: no sort of the whole scope
    if connection.vendor == "sqlite":
        sql = sql.replace(" INNER JOIN ", " CROSS JOIN ")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            chunk = cursor.fetchmany(BATCH * 5)
            if not chunk:
                return
            yield from chunk


def _members(rules: list[Rule], ctx: Context) -> Hits:
    """All member rules in one scan of the scope's active members: plain comparisons in SQL keep the
    few members any rule could be about, and the exact test of each rule runs once per kept row here
    (substring tests in SQL, ``LIKE`` or flag columns, cost seconds more at county scale)."""
    keep = Q()
    for rule in rules:
        keep |= _member_prefilter(rule)
    qs = (Member.objects.filter(ctx.scope.q("household__"), active=True).filter(keep)
          .annotate(born=Cast("birth_date", CharField()))
          .values_list("household_id", "household__division_code", "name", "health", "disability_grade",
                       "student_status", "employment", "labour", "born"))
    as_of = ctx.as_of
    found: list[list] = [[] for _ in rules]
    tests = []
    for rule, hits in zip(rules, found, strict=True):
        low = _age_cutoff(as_of, rule.max_age + 1).isoformat() if rule.max_age else ""
        high = _age_cutoff(as_of, rule.min_age).isoformat() if rule.min_age else "9999"
        tests.append((rule.kind, rule.values, frozenset(rule.values), frozenset(rule.labour), low, high, hits))
    for hid, code, name, health, grade, student, employment, labour, born in _raw_rows(qs):
        born = str(born or "")[:10]
        for kind, values, value_set, labours, low, high, hits in tests:
            if kind == "member_health":
                if len(values) == 1:
                    if values[0] in health:
                        hits.append((hid, code, f"{name}：{values[0]}"))
                else:
                    seen = [v for v in values if v in health]
                    if seen:
                        hits.append((hid, code, f"{name}：{'、'.join(seen)}"))
            elif kind == "member_disability":
                if grade and (not values or grade in value_set):
                    hits.append((hid, code, f"{name}：残疾等级{grade}"))
            elif kind == "member_student":
                if student in value_set:
                    hits.append((hid, code, f"{name}：{student}"))
            elif (employment in value_set and (not labours or labour in labours) and born
                  and low < born <= high):
                age = _age(_as_date(born), as_of)
                hits.append((hid, code, f"{name}：{employment}（{labour}，{age}岁）"))
    return dict(zip(rules, found, strict=True))


def _lives_alone(rules: list[Rule], ctx: Context) -> Hits:
    """Old members with nobody else active in their household (an index probe per old member)."""
    out: Hits = {}
    others = Member.objects.filter(household_id=OuterRef("household_id"), active=True).exclude(pk=OuterRef("pk"))
    for rule in rules:
        min_age = rule.min_age or ctx.spec.elderly_min_age
        qs = (Member.objects.filter(ctx.scope.q("household__"), active=True,
                                    birth_date__lte=_age_cutoff(ctx.as_of, min_age))
              .filter(~Exists(others))
              .values_list("household_id", "household__division_code", "name", "birth_date"))
        out[rule] = [(hid, code, f"{name}独自居住，{_age(_as_date(born), ctx.as_of)}岁（≥{min_age}岁）")
                     for hid, code, name, born in _raw_rows(qs)]
    return out


def _members_left(rules: list[Rule], ctx: Context) -> Hits:
    since = timezone.make_aware(dt.datetime.combine(ctx.as_of - dt.timedelta(days=ctx.spec.recent_days), dt.time.min))
    rows = (MemberMove.objects.filter(ctx.scope.q("from_household__"), moved_at__gte=since)
            .values_list("from_household_id", "from_household__division_code", "member__name", "reason", "moved_at")
            .order_by())
    found = [(hid, code, f"{timezone.localtime(at):%Y-%m-%d} {name}离户：{reason}")
             for hid, code, name, reason, at in rows.iterator(chunk_size=BATCH)]
    return {rule: found for rule in rules}


def _low_income(rules: list[Rule], ctx: Context) -> Hits:
    table = ctx.profile.param("income.monitoring_line")
    lines = {int(y): Decimal(str(v)) for y, v in table.items()}
    money = DecimalField(max_digits=12, decimal_places=2)
    annual = IncomeRecord.objects.filter(period=IncomePeriod.ANNUAL, purpose=IncomePurpose.REGULAR,
                                         year__lte=ctx.as_of.year)
    latest = annual.filter(household_id=OuterRef("household_id")).order_by("-year").values("year")[:1]
    out: Hits = {}
    for rule in rules:
        fraction = rule.fraction if rule.fraction is not None else ctx.spec.low_income_fraction
        limits = {y: (line * fraction.numerator / fraction.denominator).quantize(Decimal("0.01"))
                  for y, line in lines.items()}
        limit = Case(*[When(year=y, then=Value(v, output_field=money)) for y, v in sorted(limits.items())],
                     default=Value(limits[max(limits)], output_field=money), output_field=money)
        rows = (annual.filter(ctx.scope.q("household__"), year=Subquery(latest))
                .annotate(limit=limit).filter(per_capita_net_income__lt=F("limit"))
                .values_list("household_id", "household__division_code", "year", "per_capita_net_income").order_by())
        share = "" if fraction == 1 else f"的{fraction}"
        out[rule] = [(hid, code, f"{year}年人均纯收入{Decimal(str(income)):,.2f}元，低于监测线{(lines.get(year) or lines[max(lines)]):,.0f}元{share}")
                     for hid, code, year, income in _raw_rows(rows)]
    return out


# kind -> the family that answers it
FAMILIES = {
    "tag": _tags,
    "risk_type": _risk_types,
    "visit_finding": _visit_findings,
    "member_health": _members,
    "member_disability": _members,
    "member_student": _members,
    "member_employment": _members,
    "lives_alone": _lives_alone,
    "member_left": _members_left,
    "low_income": _low_income,
}


# --- computing and storing ----------------------------------------------------------------------------


@dataclass
class ComputeResult:
    county_code: str
    households: int
    counts: dict
    seconds: float
    run: MustVisitRun | None = None


def evaluate(scope: Scope, county_code: str, as_of: dt.date) -> tuple[dict[int, dict], dict, MustVisitSpec | None]:
    """Households of ``scope`` on any list: {id: {"code", "hits": {(list, criterion): [details]}}}."""
    profile = profile_for_county(county_code)
    spec = parse(profile.data)
    found: dict[int, dict] = {}
    counts: dict[str, int] = {}
    if spec is None:
        return found, counts, None
    rules = list(dict.fromkeys(rule for crit in spec.criteria for rule in crit.rules))
    ctx = Context(scope, spec, as_of, profile)
    answered: Hits = {}
    for family in dict.fromkeys(FAMILIES[r.kind] for r in rules):
        answered.update(family([r for r in rules if FAMILIES[r.kind] is family], ctx))
    for crit in spec.criteria:
        key = (crit.list, crit.code)
        households: set[int] = set()
        for rule in crit.rules:
            for hid, code, detail in answered[rule]:
                entry = found.get(hid)
                if entry is None:
                    entry = found[hid] = {"code": code, "hits": {}}
                hits = entry["hits"]
                if key in hits:
                    hits[key].append(detail)
                else:
                    hits[key] = [detail]
                households.add(hid)
        counts[f"{crit.list}:{crit.code}"] = len(households)
    return found, counts, spec


def _reasons(spec: MustVisitSpec, names: dict, compact: list) -> list[dict]:
    out = []
    for (list_code, code), details in compact:
        shown = details[:MAX_DETAILS]
        if len(details) > MAX_DETAILS:
            shown.append(f"等共{len(details)}项")
        out.append({"list": list_code, "list_name": spec.lists[list_code], "code": code, "name": names[list_code, code],
                    "details": shown})
    return out


def _digest(*parts) -> str:
    return hashlib.md5("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()


def _insert(rows: list[tuple]) -> None:
    """Insert entries with one prepared statement (the ORM's per-value preparation costs seconds at
    county scale)."""
    table = connection.ops.quote_name(MustVisitEntry._meta.db_table)
    cols = ["household_id", "division_code", "list_codes", "criteria_codes", "reasons", "last_visited_on",
            "computed_at", "digest"]
    marks = ["%s"] * len(cols)
    if connection.vendor == "postgresql":
        marks[4] = "%s::jsonb"
    sql = f"INSERT INTO {table} ({', '.join(connection.ops.quote_name(c) for c in cols)}) VALUES ({', '.join(marks)})"
    with connection.cursor() as cursor:
        for i in range(0, len(rows), BATCH * 5):
            cursor.executemany(sql, rows[i:i + BATCH * 5])


def compute(scope: Scope, *, county_code: str | None = None, as_of: dt.date | None = None,
            record_run: bool = True) -> ComputeResult:
    """Recompute the stored lists for every household of ``scope`` (one county), set-based.

    Only what changed is written: each entry carries a digest of its place, lists and reasons, so a
    nightly run over an unchanged county reads the digests and writes nothing.
    """
    started = time.monotonic()
    as_of = as_of or local_today()
    county_code = county_code or scope.code[:6]
    found, counts, spec = evaluate(scope, county_code, as_of)
    visits = Visit.objects.filter(scope.q("household__"))
    last = {hid: _as_date(on) for hid, on in _raw_rows(
        visits.values("household_id").annotate(last=Max("visited_on")).values_list("household_id", "last"))
    } if found else {}
    order = list(spec.lists) if spec else []
    names = {(c.list, c.code): c.name for c in spec.criteria} if spec else {}
    new: dict[int, tuple] = {}
    for hid, data in found.items():
        hits = data["hits"]  # in criteria order
        compact = [(key, details if len(details) == 1 else sorted(set(details))) for key, details in hits.items()]
        lists = "," + ",".join(sorted({k[0] for k in hits}, key=order.index)) + ","
        criteria = ("," + ",".join(f"{a}:{b}" for a, b in hits) + ",")[:400]
        visited = last.get(hid)
        new[hid] = (data["code"], lists, criteria, compact, visited,
                    _digest(data["code"], lists, criteria, repr(compact), str(visited)))
    with transaction.atomic():
        if scope.household_ids:
            existing = MustVisitEntry.objects.filter(household_id__in=scope.household_ids)
        else:
            existing = MustVisitEntry.objects.filter(prefix_q("division_code", scope.code))
        old = dict(_raw_rows(existing.values_list("household_id", "digest")))
        stale = [hid for hid, digest in old.items() if hid not in new or digest != new[hid][5]]
        stale_set = set(stale)
        fresh = [hid for hid in new if hid not in old or hid in stale_set]
        for i in range(0, len(stale), BATCH):
            MustVisitEntry.objects.filter(household_id__in=stale[i:i + BATCH]).delete()
        # A household moved into the scope from elsewhere still has its entry under its old place.
        moved = [hid for hid in fresh if hid not in old]
        for i in range(0, len(moved), BATCH):
            MustVisitEntry.objects.filter(household_id__in=moved[i:i + BATCH]).delete()
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        day = connection.ops.adapt_datefield_value
        _insert([(hid, new[hid][0], new[hid][1], new[hid][2],
                   json.dumps(_reasons(spec, names, new[hid][3]), ensure_ascii=False), day(new[hid][4]), now,
                   new[hid][5]) for hid in fresh])
        run = None
        if record_run and spec is not None:
            run = MustVisitRun.objects.create(
                county_code=county_code, scope=scope.label, as_of=as_of, params=jsonable(spec.params),
                households=len(new), counts=counts | {"written": len(fresh), "deleted": len(stale)},
                seconds=round(time.monotonic() - started, 2))
    return ComputeResult(county_code, len(new), counts, round(time.monotonic() - started, 2), run)


def compute_county(county_code: str, as_of: dt.date | None = None) -> ComputeResult:
    return compute(Scope(code=county_code), county_code=county_code, as_of=as_of)


def refresh_households(household_ids: Iterable[int], as_of: dt.date | None = None) -> None:
    """Recompute the lists for a few households (after a registry change), county by county."""
    by_county: dict[str, list[int]] = {}
    for hid, code in Household.objects.filter(pk__in=list(household_ids)).values_list("id", "division_code"):
        by_county.setdefault(code[:6], []).append(hid)
    for county, ids in by_county.items():
        compute(Scope(household_ids=tuple(ids)), county_code=county, as_of=as_of, record_run=False)


def note_visit(household_id: int, visited_on: dt.date) -> None:
    """A visit was recorded: move the entry's last visit forward (never back)."""
    MustVisitEntry.objects.filter(household_id=household_id).filter(
        Q(last_visited_on__isnull=True) | Q(last_visited_on__lt=visited_on)).update(last_visited_on=visited_on)
