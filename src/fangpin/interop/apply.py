"""Write a plan to the database in the caller's transaction (R-INT-02).

Divisions are created through ``fangpin.registry.divisions.create_division`` (few, audited one by one);
households, members, incomes, measures and the audit events (one per created or changed household)
are written set-based: ``BulkWriter`` for new rows, ``bulk.update_grouped`` for changed ones. The
caller holds one transaction around everything, so a failure leaves nothing behind.

The caller also holds the county's batch lock (``areas.locks.county_batch_lock``): writers of this
county wait, writers of other counties do not (R-OPS-04). So nothing here may assume the tables are
its own: new household ids come from the id sequence (``registry.bulk.reserve_ids``), and the faster
first-load path that drops a table's indexes and foreign keys while loading (``bulk.indexes_rebuilt``,
which locks the whole table on PostgreSQL) is taken on PostgreSQL only while no other county has
households yet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from fangpin.areas.lookups import successor
from fangpin.areas.models import Division
from fangpin.assistance.models import Measure, MeasureSource
from fangpin.assistance.national import classify_national
from fangpin.audit.context import current_source
from fangpin.audit.models import Event
from fangpin.followup.tickets import open_from_registry
from fangpin.registry.bulk import BulkWriter, reserve_ids
from fangpin.registry.divisions import create_division
from fangpin.registry.models import Household, IncomeRecord, Member, MemberMove
from fangpin.registry.vocab import RELATION_ORDER

from . import bulk
from .layouts import FIELDS
from .plan import MONEY_PARTS, Plan
from .state import NO, YES, category_text, household_type_key

CREATE_ACTION = "household.import_create"
UPDATE_ACTION = "household.import_update"
MOVE_REASON = "国家系统数据导入"
APPLY_CACHE_KIB = 256 * 1024  # SQLite page cache during the apply


def apply_plan(plan: Plan, *, actor, profile, progress: Callable[[int, str], None] | None = None, county_code: str = "") -> dict:
    progress = progress or (lambda pct, label: None)
    now = timezone.now()
    if connection.vendor == "sqlite":
        # A larger page cache for the load (SQLite only; reset below). Not larger than this: the pages the
        # transaction writes stay in it until it is full, beside the rows prepared meanwhile (R-OPS-05).
        # No memory-mapped reads meanwhile: the pages the load touches through the map stay in the
        # process's resident memory as long as the connection is open (restored below).
        with connection.cursor() as cur:
            cur.execute("PRAGMA mmap_size")
            row = cur.fetchone()  # no row where memory mapping is not available (an in-memory database)
            mmap_size = row[0] if row else None
            cur.execute("PRAGMA mmap_size=0")
            cur.execute(f"PRAGMA cache_size=-{APPLY_CACHE_KIB}")
    # New households get their ids now (from the sequence), so the member, income and audit rows can
    # be prepared in a second thread while this one writes divisions and households.
    new_households = plan.household_inserts.height if plan.household_inserts is not None else 0
    new_ids = reserve_ids(Household, new_households)
    hkey_to_id = _household_ids(plan, new_ids)
    members = BulkWriter(Member, MEMBER_COLUMNS)
    incomes = BulkWriter(IncomeRecord, INCOME_COLUMNS)
    events = BulkWriter(Event, EVENT_COLUMNS)
    sole = _sole_county(county_code or profile.county_code)
    new_members = plan.member_inserts.height if plan.member_inserts is not None else 0
    new_incomes = sum(f.filter(pl.col("i_id").is_null()).height for f in plan.income_frames)
    new_events = plan.households.filter(pl.col("action") == "create").height
    slots = [bulk.take_slot(n) for n in (new_members, new_incomes, new_events)]
    source = current_source()
    with ThreadPoolExecutor(max_workers=1) as pool:
        household_rows = pool.submit(_household_rows, plan, profile, new_ids)
        staged_members = pool.submit(_stage, members, _member_rows, (plan, hkey_to_id), slots[0])
        staged_incomes = pool.submit(_stage, incomes, _income_rows, (plan, hkey_to_id, _actor_fields(actor)[0]), slots[1])
        staged_events = pool.submit(_stage, events, _created_events, (plan, hkey_to_id, _actor_fields(actor), profile, source), slots[2])
        progress(1, "新建区划")
        codes = _create_divisions(plan, actor)
        progress(10, "写入农户")
        _insert_households(household_rows.result(), codes, sole)
        _update_households(plan, codes, now)
        progress(35, "写入家庭成员")
        with bulk.indexes_rebuilt(Member, new_members if sole else 0):
            _insert(staged_members.result())
        _update_members(plan, hkey_to_id, actor)
        progress(70, "写入收入记录")
        with bulk.indexes_rebuilt(IncomeRecord, new_incomes if sole else 0):
            _insert(staged_incomes.result())
        _update_incomes(plan, actor, now)
        progress(78, "写入帮扶措施")
        _write_measures(plan, hkey_to_id, now)
        progress(85, "写入操作留痕")
        count = _write_events(plan, hkey_to_id, actor, source, staged_events.result(), new_events, sole)
    # Every basic-needs or water problem the data shows becomes a ticket with its deadline (R-TRACK-05).
    progress(95, "登记问题清零台账")
    tickets = open_from_registry(actor, county_code or profile.county_code, source="import", source_ref=source[1])
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size=-65536")
            if mmap_size is not None:
                cur.execute(f"PRAGMA mmap_size={int(mmap_size)}")
    return {"events": count, "tickets": tickets}


def _sole_county(county_code: str) -> bool:
    """May the load take whole tables (drop and rebuild their indexes)? Always on SQLite (one writer at
    a time anyway); on PostgreSQL only while no other county has households, since rebuilding locks
    the table against everyone (two index lookups)."""
    if connection.vendor != "postgresql":
        return True
    return not Household.objects.filter(Q(division_code__lt=county_code) | Q(division_code__gte=successor(county_code))).exists()


def _stage(writer, build, args, slot):
    """Build a frame of rows and stage it for insertion (runs in the worker thread); None when empty."""
    frame = build(*args)
    if frame is None or not frame.height:
        return None
    return bulk.stage_frame(writer, frame, slot)


def _insert(staged) -> None:
    if staged is not None:
        staged.insert()


def _household_ids(plan: Plan, new_ids: list[int]) -> dict[str, int]:
    """户编号 → id of every household of the plan: existing ones, and new ones taking ``new_ids`` in
    the order ``_insert_households`` writes them."""
    hkey_to_id = dict(plan.households.filter(pl.col("h_id").is_not_null()).select("_hkey", "h_id").iter_rows())
    new = plan.household_inserts
    if new is not None and new.height:
        hkey_to_id.update(zip(new["_hkey"].to_list(), new_ids, strict=True))
    return hkey_to_id


def _create_divisions(plan: Plan, actor) -> dict[str, int]:
    """Create the new townships, villages and groups (parents first); code -> id of every division used."""
    for d in sorted(plan.new_divisions, key=lambda d: (d["level"], d["code"])):
        parent = Division.objects.get(code=d["parent"])
        create_division(actor, parent=parent, level=d["level"], code=d["code"], name=d["name"])
    wanted = set(plan.households["village_code"].drop_nulls().to_list())
    if "group_code" in plan.households.columns:
        wanted |= set(plan.households["group_code"].drop_nulls().to_list())
    return dict(Division.objects.filter(code__in=wanted).values_list("code", "id"))


def _bool_db(text: str | None):
    return True if text == YES else False if text == NO else None


def _month_date(text: str | None):
    return dt.date.fromisoformat(text + "-01") if text else None


def _month_date_expr(expr: pl.Expr) -> pl.Expr:
    """``YYYY-MM`` → ISO date of the month's first day (null when empty)."""
    return pl.when(expr != "").then(pl.concat_str([expr, pl.lit("-01")])).otherwise(pl.lit(None, pl.String))


def _bool_expr(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr == YES).then(pl.lit(True)).when(expr == NO).then(pl.lit(False)).otherwise(pl.lit(None, pl.Boolean))


def _extra_json(frame: pl.DataFrame, columns: list[str], type_wanted: pl.Expr | None) -> pl.Series:
    """JSON of the household/member extra fields, leaving out empty values."""
    fields = [pl.when(pl.col(c) != "").then(pl.col(c).cast(pl.String)).alias(FIELDS[c.split("_", 1)[1]].header) for c in columns]
    if type_wanted is not None:
        fields.append(type_wanted.alias(FIELDS["household_type"].header))
    if not fields:
        return pl.Series("extra", ["{}"] * frame.height)
    encoded = frame.select(pl.struct(fields).struct.json_encode().alias("extra"))["extra"]
    return encoded.str.replace_all(r'"[^"]*":null,?', "").str.replace(r",}$", "}")


HOUSEHOLD_COLUMNS = [
    "id", "number", "village_id", "group_id", "division_code", "category", "monitoring_status", "included_on",
    "risk_types", "elimination_mode", "eliminated_on", "no_labour_household", "phone", "water_secure",
    "housing_grade", "extra",
]


def _household_rows(plan: Plan, profile, new_ids: list[int]) -> pl.DataFrame | None:
    """The new households as rows in ``HOUSEHOLD_COLUMNS`` order, with the ids ``new_ids`` and the
    village and group still as codes (pure: the divisions may not exist yet)."""
    new = plan.household_inserts
    if new is None or not new.height:
        return None
    cols = new.columns
    has = lambda c: c in cols  # noqa: E731
    _, htype = category_text(profile)
    type_wanted = None
    if has("h_household_type"):
        derived = pl.col("t_category").replace_strict(htype, default="")
        type_wanted = pl.when(household_type_key(pl.col("h_household_type")) != household_type_key(derived)).then(pl.col("h_household_type"))
    extra = _extra_json(new, [c for c in cols if c.startswith("hx_")], type_wanted)
    frame = new.with_columns(
        pl.Series("_new_id", new_ids, dtype=pl.Int64),
        extra.alias("_extra"),
    )
    division = pl.coalesce(pl.col("group_code"), pl.col("village_code")) if has("group_code") else pl.col("village_code")
    text = lambda c: pl.col(c).fill_null("") if c in cols else pl.lit("")  # noqa: E731
    risks = text("h_risk_types")
    return frame.select(
        "_new_id", "_hkey", "village_code", pl.col("group_code") if has("group_code") else pl.lit(None, pl.String).alias("group_code"),
        division.alias("_division"), "t_category", "t_status", _month_date_expr(text("h_included_on")).alias("_inc"),
        pl.when(risks == "").then(pl.lit("[]")).otherwise(pl.concat_str([pl.lit('["'), risks.str.replace_all(",", '","'), pl.lit('"]')])).alias("_risks"),
        text("h_elimination_mode").alias("_mode"), _month_date_expr(text("h_eliminated_on")).alias("_elim"),
        (text("h_no_labour") == YES).alias("_nolabour"), text("h_phone").alias("_phone"),
        _bool_expr(text("h_safe_water")).alias("_water"),
        pl.when(text("h_dangerous_house") == YES).then(pl.lit("C")).when(text("h_dangerous_house") == NO).then(pl.lit("B")).otherwise(pl.lit("")).alias("_grade"),
        "_extra",
    )


def _insert_households(prepared: pl.DataFrame | None, codes: dict[str, int], sole: bool) -> None:
    """Insert the rows of ``_household_rows`` with the ids of their (now existing) villages and groups."""
    if prepared is None:
        return
    ids = pl.DataFrame({"code": list(codes), "id": list(codes.values())}, schema={"code": pl.String, "id": pl.Int64})
    rows = prepared.join(ids.rename({"code": "village_code", "id": "_village_id"}), on="village_code", how="left", maintain_order="left")
    rows = rows.join(ids.rename({"code": "group_code", "id": "_group_id"}), on="group_code", how="left", maintain_order="left")
    names = prepared.columns
    rows = rows.select(*names[:2], "_village_id", "_group_id", *names[4:])
    with bulk.indexes_rebuilt(Household, rows.height if sole else 0):
        bulk.insert_frame(Household, HOUSEHOLD_COLUMNS, rows)


def _update_households(plan: Plan, codes: dict[str, int], now) -> None:
    if not plan.household_updates:
        return
    village_of = dict(plan.households.filter(pl.col("h_id").is_not_null()).select("h_id", "village_code").iter_rows())
    updates = []
    for h_id, values in plan.household_updates:
        values = dict(values)
        if "group" in values:
            code = values.pop("group")
            values["group_id"] = codes.get(code) if code else None
            values["grid_id"] = None
            values["division_code"] = code or village_of[h_id]
        updates.append((h_id, values))
    bulk.update_grouped(Household, updates, {"updated_at": now})


MEMBER_COLUMNS = [
    "household_id", "id_number", "name", "sex", "birth_date", "relation", "relation_order", "ethnicity", "political",
    "education", "student_status", "health", "disability_grade", "labour", "months_worked", "medical_insurance",
    "serious_illness_insurance", "pension_insurance", "dibao", "tekun", "phone", "person_number", "active", "extra",
]


def _member_rows(plan: Plan, hkey_to_id: dict[str, int]) -> pl.DataFrame | None:
    """The new members as database rows in ``MEMBER_COLUMNS`` order (pure: no database access)."""
    new = plan.member_inserts
    if new is None or not new.height:
        return None
    cols = set(new.columns)
    extra_cols = sorted(c for c in cols if c.startswith("mx_"))
    extra = _extra_json(new, extra_cols, None)
    text = lambda c: pl.col(c).cast(pl.String).fill_null("") if c in cols else pl.lit("")  # noqa: E731  (compact columns as text)
    ids = pl.DataFrame({"_hkey": list(hkey_to_id), "_hid": list(hkey_to_id.values())}, schema={"_hkey": pl.String, "_hid": pl.Int64})
    order = pl.DataFrame({"m_relation": list(RELATION_ORDER), "_order": list(RELATION_ORDER.values())}, schema={"m_relation": pl.String, "_order": pl.Int64})
    # Lazily, so that only the columns written are joined and sorted (not a copy of the plan's rows), and
    # sorted last by ID number: the unique index on it then grows at its end instead of splitting pages.
    frame = new.lazy().with_columns(extra.alias("_extra")).join(ids.lazy(), on="_hkey", how="left").with_columns(pl.col("m_relation").cast(pl.String)).join(order.lazy(), on="m_relation", how="left")
    return frame.select(
        "_hid", "m_id_number", "m_name", pl.col("m_sex").cast(pl.String), pl.when(text("m_birth_date") != "").then(text("m_birth_date")).alias("_birth"),
        text("m_relation").alias("_relation"), pl.col("_order").fill_null(99), *[text(f"m_{k}").alias(f"_{k}") for k in (
            "ethnicity", "political", "education", "student_status", "health", "disability_grade", "labour")],
        text("m_months_worked").cast(pl.Int64, strict=False).fill_null(0).alias("_months"),
        *[_bool_expr(text(f"m_{k}")).alias(f"_{k}") for k in ("medical_insurance", "serious_illness_insurance", "pension_insurance")],
        (text("m_dibao") == YES).alias("_dibao"), (text("m_tekun") == YES).alias("_tekun"), text("m_phone").alias("_phone"),
        text("m_person_number").alias("_pn"), pl.lit(True).alias("_active"), "_extra",
    ).sort("m_id_number", maintain_order=True).collect()


def _update_members(plan: Plan, hkey_to_id: dict[str, int], actor) -> None:
    """Changed members, moves between households and members no longer in the file."""
    if plan.member_updates:
        updates = []
        for m_id, values in plan.member_updates:
            values = dict(values)
            if "household" in values:
                target = values.pop("household")
                if target is None:
                    target = hkey_to_id[next(h for mid, _, h in plan.member_moves if mid == m_id)]
                values["household_id"] = target
            updates.append((m_id, values))
        bulk.update_grouped(Member, updates)
    if plan.deactivations:
        bulk.update_rows(Member, ["active", "left_reason"], [(m_id, False, MOVE_REASON + "：国家系统导出中已无此人") for m_id, _ in plan.deactivations])
    moves = []
    actor_id = _actor_fields(actor)[0]
    for m_id, source, target in plan.member_moves:
        to_id = target if isinstance(target, int) else hkey_to_id[target]
        moves.append((m_id, source, to_id, MOVE_REASON, actor_id))
    for m_id, hkey in plan.deactivations:
        moves.append((m_id, hkey_to_id[hkey], None, MOVE_REASON + "：国家系统导出中已无此人", actor_id))
    if moves:
        BulkWriter(MemberMove, ["member_id", "from_household_id", "to_household_id", "reason", "actor_id"]).write(moves)


def decimal_text(expr: pl.Expr) -> pl.Expr:
    """Cents → exact decimal text (``-12.05``) for the database."""
    magnitude = expr.abs()
    text = pl.concat_str([(magnitude // 100).cast(pl.String), pl.lit("."), (magnitude % 100).cast(pl.String).str.zfill(2)])
    return pl.when(expr < 0).then(pl.concat_str([pl.lit("-"), text])).otherwise(text)


INCOME_COLUMNS = ["household_id", "year", "period", "month", "purpose", *MONEY_PARTS, "household_size", "net_income",
                  "per_capita_net_income", "entered_by_id"]


def _income_frame(plan: Plan) -> pl.DataFrame | None:
    if not plan.income_frames:
        return None
    frame = pl.concat(plan.income_frames, how="vertical")
    return frame.with_columns([decimal_text(pl.col(k)).alias(k) for k in (*MONEY_PARTS, "net", "per_capita")]) if frame.height else None


def _income_rows(plan: Plan, hkey_to_id: dict[str, int], actor_id: int | None) -> pl.DataFrame | None:
    """New income records as database rows in ``INCOME_COLUMNS`` order (pure)."""
    frame = _income_frame(plan)
    if frame is None:
        return None
    ids = pl.DataFrame({"hkey": list(hkey_to_id), "_hid": list(hkey_to_id.values())}, schema={"hkey": pl.String, "_hid": pl.Int64})
    inserts = frame.filter(pl.col("i_id").is_null()).join(ids, on="hkey", how="left")
    return inserts.select("_hid", "year", pl.lit("annual").alias("_p"), pl.lit(None, pl.Int64).alias("_m"), "purpose",
                          *MONEY_PARTS, "size", "net", "per_capita", pl.lit(actor_id, pl.Int64).alias("_a"))


def _update_incomes(plan: Plan, actor, now) -> None:
    frame = _income_frame(plan)
    if frame is None:
        return
    updates = frame.filter(pl.col("i_id").is_not_null())
    if updates.height:
        actor_id = _actor_fields(actor)[0]
        fields = [*MONEY_PARTS, "household_size", "net_income", "per_capita_net_income", "entered_by_id", "entered_at"]
        rows = updates.select("i_id", *MONEY_PARTS, "size", "net", "per_capita", pl.lit(actor_id).alias("_a"), pl.lit(now).alias("_t"))
        bulk.update_rows(IncomeRecord, fields, list(rows.iter_rows()))


def _write_measures(plan: Plan, hkey_to_id: dict[str, int], now) -> None:
    if plan.measure_inserts:
        last_pk = Measure.objects.aggregate(last=Max("pk"))["last"] or 0
        BulkWriter(Measure, ["household_id", "category", "content", "items", "source"]).write(
            (hkey_to_id[m["hkey"]], m["category"], m["content"], json.dumps(m["items"], ensure_ascii=False), MeasureSource.NATIONAL)
            for m in plan.measure_inserts
        )
        # The new records take the kind of their category (developmental, safety net, other; R-AID-04).
        classify_national(after_pk=last_pk)
    if plan.measure_updates:
        bulk.update_rows(Measure, ["content", "items", "updated_at"], [(a_id, text, items, now) for a_id, text, items in plan.measure_updates])
    for start in range(0, len(plan.measure_deletes), 5000):
        Measure.objects.filter(pk__in=plan.measure_deletes[start : start + 5000]).delete()


EVENT_COLUMNS = [
    "actor_id", "actor_name", "actor_role", "action", "object_type", "object_id", "object_repr",
    "household_id", "division_code", "before", "after", "source", "source_ref",
]


def _actor_fields(actor) -> tuple:
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    actor_name = str(actor) if actor is not None else "系统"
    actor_role = getattr(actor, "role", "") if actor is not None else ""
    return actor_id, actor_name, actor_role


def _created_events(plan: Plan, hkey_to_id: dict[str, int], who: tuple, profile, source: tuple[str, str]) -> pl.DataFrame | None:
    """One audit event per created household, as rows in ``EVENT_COLUMNS`` order (pure; ``source`` is
    the audit source of the caller's ``using_source``, read in its thread)."""
    created = plan.households.filter(pl.col("action") == "create")
    if not created.height:
        return None
    kind, ref = source
    actor_id, actor_name, actor_role = who
    names = profile.category_names()
    people = plan.member_inserts.group_by("_hkey").agg(pl.col("m_name").str.join("、").alias("_names"), pl.len().alias("_n"))
    division = pl.coalesce(pl.col("group_code"), pl.col("village_code")) if "group_code" in created.columns else pl.col("village_code")
    ids = pl.DataFrame({"_hkey": list(hkey_to_id), "_hid": list(hkey_to_id.values())}, schema={"_hkey": pl.String, "_hid": pl.Int64})
    return created.join(people, on="_hkey", how="left").join(ids, on="_hkey", how="left").select(
        pl.lit(actor_id, pl.Int64).alias("actor_id"), pl.lit(actor_name).alias("actor_name"), pl.lit(actor_role).alias("actor_role"),
        pl.lit(CREATE_ACTION).alias("action"), pl.lit("Household").alias("object_type"), pl.col("_hid").cast(pl.String).alias("object_id"),
        pl.concat_str([pl.lit("户"), pl.col("_hkey")]).alias("object_repr"), pl.col("_hid").alias("household_id"),
        division.alias("division_code"), pl.lit(None, pl.String).alias("before"),
        pl.struct(
            pl.col("_hkey").alias("户编号"),
            pl.col("t_category").replace_strict(names, default=pl.col("t_category")).alias("户类别"),
            pl.col("t_status").alias("监测状态"),
            pl.col("_n").fill_null(0).alias("成员数"),
            pl.col("_names").fill_null("").alias("成员"),
        ).struct.json_encode().alias("after"),
        pl.lit(kind).alias("source"), pl.lit(ref[:300]).alias("source_ref"),
    )


def _write_events(plan: Plan, hkey_to_id: dict[str, int], actor, source, staged_created, created: int, sole: bool) -> int:
    """The created households' events (staged) and one event per changed household."""
    kind, ref = source
    actor_id, actor_name, actor_role = _actor_fields(actor)
    divisions = dict(plan.households.filter(pl.col("action") == "update").select("_hkey", pl.col("division_code")).iter_rows())
    rows = []
    for hkey, change in plan.changes.items():
        if hkey not in hkey_to_id or hkey not in divisions:
            continue
        h_id = hkey_to_id[hkey]
        rows.append((actor_id, actor_name, actor_role, UPDATE_ACTION, "Household", str(h_id), f"户{hkey}", h_id,
                     divisions[hkey] or "", json.dumps(change["before"], ensure_ascii=False, default=str),
                     json.dumps(change["after"], ensure_ascii=False, default=str), kind, ref[:300]))
    count = len(rows) + created
    with bulk.indexes_rebuilt(Event, count if sole else 0):
        _insert(staged_created)
        BulkWriter(Event, EVENT_COLUMNS).write(rows)
    return count
