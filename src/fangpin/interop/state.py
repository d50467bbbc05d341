"""The county's current data as polars frames, read set-based (a few queries for the whole county).

Reading a million rows through Python cursor objects costs seconds per column, so the frames are
read natively where the database allows it: ``COPY … TO STDOUT`` (CSV) on PostgreSQL, the ADBC
SQLite driver (Arrow) on an SQLite file, run in a child process (``sqlite_arrow``). Other cases (an in-memory SQLite test database) fall back
to a plain cursor. Every column arrives as text; callers cast what they need.

Each frame also carries the values in the national system's text form (``n_<field key>``), worked
out the same way as the export writes them, so "unchanged" means "our export would write exactly
what the file says" (R-INT-03 round trip).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import polars as pl
from django.conf import settings
from django.db import connection

from fangpin.areas.models import Division
from fangpin.ingest.memory import give_back
from fangpin.policy.income import INCOME_FIELDS

from . import sqlite_arrow
from .layouts import FIELDS, value_aliases

YES, NO = "是", "否"


# --- reading ---------------------------------------------------------------------------------


def _sqlite_file() -> str | None:
    db = settings.DATABASES["default"]
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict.get("NAME") or db.get("NAME") or "")
    if not name or name == ":memory:" or "mode=memory" in name or name.startswith("file:"):
        return None
    return name


def _inline(sql: str, params: list) -> str:
    parts = sql.split("%s")
    if len(parts) - 1 != len(params):
        raise ValueError("参数个数与占位符不符")
    out = [parts[0]]
    for value, rest in zip(params, parts[1:], strict=True):
        if isinstance(value, int):
            out.append(str(value))
        else:
            out.append("'" + str(value).replace("'", "''") + "'")
        out.append(rest)
    return "".join(out)


def fetch_frame(sql: str, params: list, columns: list[str]) -> pl.DataFrame:
    """Run a SELECT whose every column is text; return it as a frame of strings (nulls kept)."""
    frame = _fetch(sql, params, columns)
    give_back()  # the buffers the rows came through (R-OPS-05)
    return frame


def _fetch(sql: str, params: list, columns: list[str]) -> pl.DataFrame:
    schema = {c: pl.String for c in columns}
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        buf = io.BytesIO()
        with connection.connection.cursor() as cur:
            with cur.copy(f"COPY ({_inline(sql, params)}) TO STDOUT (FORMAT csv, FORCE_QUOTE *)") as copy:
                for block in copy:
                    buf.write(block)
        if not buf.getbuffer().nbytes:
            return pl.DataFrame(schema=schema)
        buf.seek(0)
        # FORCE_QUOTE: NULL is an empty unquoted field, '' is a quoted empty string.
        return pl.read_csv(buf, has_header=False, new_columns=columns, schema=schema)
    path = _sqlite_file()
    if path is not None:
        frame = adbc_frame(path, _inline(sql, params), columns)
        if frame is not None:
            return frame
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    if not rows:
        return pl.DataFrame(schema=schema)
    data = list(zip(*rows, strict=True))
    return pl.DataFrame({c: pl.Series(c, [None if v is None else str(v) for v in d], dtype=pl.String) for c, d in zip(columns, data, strict=True)})


def adbc_frame(path: str, sql: str, columns: list[str]) -> pl.DataFrame | None:
    """Read an SQLite file through the ADBC driver (Arrow, no Python row objects), in a child process
    (``sqlite_arrow``: the driver's own copy of SQLite must never open the file in this process); None
    if unavailable."""
    timeout_ms = int(float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 20)) * 1000)
    frame = sqlite_arrow.read(path, sql, timeout_ms)
    if frame is None:
        return None
    if frame.width != len(columns):
        return None
    frame.columns = columns
    if not frame.height:
        return pl.DataFrame(schema={c: pl.String for c in columns})
    return frame.with_columns([pl.col(c).cast(pl.String) for c in columns])


def _text(column: str) -> str:
    return f"CAST({column} AS TEXT)"


def bool_text(expr: pl.Expr) -> pl.Expr:
    """Database boolean text ('1'/'0', 'true'/'false', 't'/'f', null) → 是 / 否 / ''."""
    return (
        pl.when(expr.is_in(["1", "true", "t", "True"])).then(pl.lit(YES))
        .when(expr.is_in(["0", "false", "f", "False"])).then(pl.lit(NO))
        .otherwise(pl.lit(""))
    )


def cents(expr: pl.Expr) -> pl.Expr:
    return (expr.cast(pl.Float64, strict=False) * 100).round(0).cast(pl.Int64)


def extra_struct(expr: pl.Expr, keys: list[str]) -> pl.Expr:
    dtype = pl.Struct({k: pl.String for k in keys})
    return expr.fill_null("{}").str.json_decode(dtype=dtype)


# --- the county --------------------------------------------------------------------------------


@dataclass
class CountyState:
    county: Division
    divisions: dict[str, dict]  # code -> {id, name, level, parent}
    households: pl.DataFrame
    members: pl.DataFrame
    incomes: pl.DataFrame
    measures: pl.DataFrame


HOUSEHOLD_COLUMNS = [
    "id", "village_id", "group_id", "grid_id", "number", "division_code", "category", "monitoring_status",
    "included_on", "risk_types", "elimination_mode", "eliminated_on", "no_labour_household", "phone",
    "water_secure", "housing_grade", "extra",
]
MEMBER_COLUMNS = [
    "id", "household_id", "id_number", "name", "sex", "birth_date", "relation", "ethnicity", "political",
    "education", "student_status", "health", "disability_grade", "labour", "months_worked",
    "medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun", "phone",
    "person_number", "active", "extra",
]
INCOME_COLUMNS = ["id", "household_id", "year", "purpose", *INCOME_FIELDS, "household_size"]
MEASURE_COLUMNS = ["id", "household_id", "category", "content"]


def household_extra_keys() -> list[str]:
    return [f.header for f in FIELDS.values() if f.store == "household.extra"] + [FIELDS["household_type"].header]


def member_extra_keys() -> list[str]:
    return [f.header for f in FIELDS.values() if f.store == "member.extra"]


def load_divisions(county: Division) -> dict[str, dict]:
    rows = Division.objects.within(county.code).values_list("id", "code", "name", "level", "parent__code")
    return {code: {"id": pk, "name": name, "level": level, "parent": parent} for pk, code, name, level, parent in rows}


def load_state(county: Division, *, members: bool = True, incomes: bool = True, measures: bool = True,
               household_ids: list[int] | None = None) -> CountyState:
    """The county's current rows. Each frame is made compact as soon as it is read, before the next is
    read, so only one frame's text is held beside the compact state at a time (R-OPS-05)."""
    prefix = county.code
    hh_where = "h.division_code >= %s AND h.division_code < %s"
    hh_params = [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
    categories = pl.Categories.random()  # the state's own categories, freed with it
    households = _households(fetch_frame(
        f"SELECT {', '.join(_text('h.' + c) for c in HOUSEHOLD_COLUMNS)} FROM registry_household h WHERE {hh_where}",
        hh_params, HOUSEHOLD_COLUMNS,
    ), categories)
    member_frame = pl.DataFrame(schema={c: pl.String for c in MEMBER_COLUMNS})
    if members:
        member_frame = fetch_frame(
            f"SELECT {', '.join(_text('m.' + c) for c in MEMBER_COLUMNS)} FROM registry_member m "
            f"JOIN registry_household h ON h.id = m.household_id WHERE {hh_where}",
            hh_params, MEMBER_COLUMNS,
        )
    member_frame = _members(member_frame, categories)
    income_frame = pl.DataFrame(schema={c: pl.String for c in INCOME_COLUMNS})
    if incomes:
        income_frame = fetch_frame(
            f"SELECT {', '.join(_text('i.' + c) for c in INCOME_COLUMNS)} FROM registry_incomerecord i "
            f"JOIN registry_household h ON h.id = i.household_id WHERE {hh_where} AND i.period = 'annual'",
            hh_params, INCOME_COLUMNS,
        )
    measure_frame = pl.DataFrame(schema={c: pl.String for c in MEASURE_COLUMNS})
    if measures:
        measure_frame = fetch_frame(
            f"SELECT {', '.join(_text('a.' + c) for c in MEASURE_COLUMNS)} FROM assistance_measure a "
            f"JOIN registry_household h ON h.id = a.household_id WHERE {hh_where} AND a.source = 'national'",
            hh_params, MEASURE_COLUMNS,
        )
    return CountyState(county, load_divisions(county), households, member_frame, _incomes(income_frame), _measures(measure_frame))


# Member columns with few distinct values (value lists, yes/no) are kept as polars Categorical: 4 bytes a
# cell instead of a 16-byte string view; so are the fields of the extras' structs (mostly empty). The raw
# ``extra`` and ``risk_types`` JSON are dropped once decoded. Columns the diff or the export use as text
# (keys, names, dates, numbers, division codes) stay text. Comparing a Categorical with text, ``is_in``,
# ``fill_null`` and ``replace_strict`` work as on text; ``.str`` functions and joins need a cast (R-OPS-05).
COMPACT_MEMBER_COLUMNS = (
    "sex", "relation", "ethnicity", "political", "education", "student_status", "health", "disability_grade",
    "labour", "months_worked", "medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao",
    "tekun", "active",
)
MEMBER_FLAGS = ("medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao", "tekun", "active")
PREPARE_ROWS = 200_000  # rows of a fetched frame turned into their compact form at a time


def _in_slices(frame: pl.DataFrame, exprs: list[pl.Expr]) -> pl.DataFrame:
    """``frame.select(exprs)`` a slice at a time: the intermediate text (decoded JSON, yes/no words) of
    only one slice exists at once, beside the fetched frame and the compact result."""
    if frame.height <= PREPARE_ROWS:
        return frame.select(exprs)
    parts = [frame.slice(start, PREPARE_ROWS).select(exprs) for start in range(0, frame.height, PREPARE_ROWS)]
    return pl.concat(parts, how="vertical", rechunk=False)


def _extras(keys: list[str], categories: pl.Categories) -> pl.Expr:
    compact = pl.Categorical(categories)
    return extra_struct(pl.col("extra"), keys).cast(pl.Struct({k: compact for k in keys})).alias("x")


def _households(frame: pl.DataFrame, categories: pl.Categories) -> pl.DataFrame:
    return _in_slices(frame, [
        pl.col("id").cast(pl.Int64).alias("h_id"),
        pl.col("village_id").cast(pl.Int64),
        pl.col("group_id").cast(pl.Int64),
        pl.col("grid_id").cast(pl.Int64),
        pl.col("number"),
        pl.col("division_code"),
        pl.col("category"),
        pl.col("monitoring_status"),
        pl.col("included_on").fill_null(""),
        pl.col("elimination_mode").fill_null(""),
        pl.col("eliminated_on").fill_null(""),
        bool_text(pl.col("no_labour_household")).alias("no_labour_household"),
        pl.col("phone").fill_null(""),
        bool_text(pl.col("water_secure")).alias("water_secure"),
        pl.col("housing_grade").fill_null(""),
        pl.col("risk_types").fill_null("[]").str.json_decode(dtype=pl.List(pl.String)).alias("risk_list"),
        _extras(household_extra_keys(), categories),
    ])


def _members(frame: pl.DataFrame, categories: pl.Categories) -> pl.DataFrame:
    compact = pl.Categorical(categories)
    return _in_slices(frame, [
        pl.col("id").cast(pl.Int64).alias("m_id"),
        pl.col("household_id").cast(pl.Int64),
        pl.col("id_number"),
        *[pl.col(c).fill_null("") for c in ("name", "phone", "person_number", "birth_date")],
        pl.col("months_worked").fill_null("0").cast(compact),
        *[bool_text(pl.col(c)).cast(compact).alias(c) for c in MEMBER_FLAGS],
        *[pl.col(c).fill_null("").cast(compact) for c in COMPACT_MEMBER_COLUMNS if c not in MEMBER_FLAGS and c != "months_worked"],
        _extras(member_extra_keys(), categories),
    ])


def _incomes(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("id").cast(pl.Int64).alias("i_id"),
        pl.col("household_id").cast(pl.Int64),
        pl.col("year").cast(pl.Int64),
        pl.col("household_size").cast(pl.Int64),
        *[cents(pl.col(f)).alias(f) for f in INCOME_FIELDS],
    ).drop("id")


def _measures(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.col("id").cast(pl.Int64).alias("a_id"), pl.col("household_id").cast(pl.Int64), pl.col("content").fill_null("")
    ).drop("id")


# --- national text of our data (shared with the export) ----------------------------------------


def reverse_alias(kind: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for national, ours in value_aliases(kind).items():
        out.setdefault(ours, national)
    return out


def category_text(profile):
    """Expressions mapping ``category`` to 监测对象类别 and the derived 户类型 (by profile names)."""
    names = profile.category_names()
    monitored = set(profile.monitored_categories())
    to_national = reverse_alias("household_type")
    ordinary = next((c["name"] for c in profile.categories if not c.get("monitored") and "脱贫" not in c["name"]), "")
    poor = next((c["name"] for c in profile.categories if not c.get("monitored") and "脱贫" in c["name"]), "脱贫户")
    monitored_name = {code: names[code] for code in monitored}
    htype = {}
    for code, name in names.items():
        if code in monitored:
            base = poor if "脱贫" in name else ordinary
        else:
            base = name
        htype[code] = to_national.get(base, base)
    return monitored_name, htype


def household_type_key(value: pl.Expr) -> pl.Expr:
    """户类型 compared in our vocabulary (普通农户 == 一般农户)."""
    return value.replace(value_aliases("household_type"))


def status_text(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr == "eliminated").then(pl.lit(YES)).when(expr == "monitored").then(pl.lit(NO)).otherwise(pl.lit(""))


def month_of(expr: pl.Expr) -> pl.Expr:
    return expr.fill_null("").str.slice(0, 7)


def danger_text(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_in(["C", "D"])).then(pl.lit(YES)).when(expr.is_in(["A", "B"])).then(pl.lit(NO)).otherwise(pl.lit(""))


def dibao_text(flag: pl.Expr, stored: pl.Expr, yes_values: tuple[str, str], default_yes: str, default_no: str) -> pl.Expr:
    """享受低保/特困政策情况: the stored national text when it agrees with the flag, else derived from it."""
    stored = stored.fill_null("")
    agrees = pl.when(flag == YES).then(stored.is_in(list(yes_values))).otherwise(~stored.is_in(list(yes_values)) & stored.is_in(["", "未享受", "不享受"]))
    has = stored.is_not_null() & agrees
    derived = pl.when(flag == YES).then(pl.lit(default_yes)).otherwise(pl.lit(default_no))
    return pl.when(has & (stored != "")).then(stored).otherwise(derived)


def income_totals(frame: pl.DataFrame) -> pl.DataFrame:
    """Add national totals (cents) to an income frame: wage_total, property_total, transfer_total."""
    return frame.with_columns(
        (pl.col("wage_public_welfare") + pl.col("wage_other")).alias("wage_total"),
        (pl.col("property_dividend") + pl.col("property_other")).alias("property_total"),
        pl.sum_horizontal(
            "transfer_family_planning", "transfer_dibao", "transfer_tekun", "transfer_pension", "transfer_eco", "transfer_other"
        ).alias("transfer_total"),
    )
