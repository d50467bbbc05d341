"""Cell text → values, as polars expressions over whole columns (nulls where the text is not valid).

Every reader of the toolkit delivers text; these turn it into what a check or a diff compares:
numbers that came back from a float cell, dates and months in the forms Chinese exports use, money
in cents, multi-select cells, and the GB 11643 ID-number check vectorised.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = {0: "1", 1: "0", 2: "X", 3: "9", 4: "8", 5: "7", 6: "6", 7: "5", 8: "4", 9: "3", 10: "2"}
MULTI_SPLIT = r"[，、]"


def drop_point_zero(expr: pl.Expr) -> pl.Expr:
    """``13955612345.0`` → ``13955612345`` (numbers that came back from a float cell)."""
    return expr.str.replace(r"^(-?\d+)\.0+$", "${1}")


def date_text(expr: pl.Expr) -> pl.Expr:
    """YYYYMMDD / YYYY-MM-DD[ hh:mm:ss] / YYYY/MM/DD / YYYY年MM月DD日 → ISO date text (null if invalid)."""
    parts = expr.str.replace(r"\s.*$", "").str.extract_groups(r"^(\d{4})[年\-/.]?(\d{1,2})[月\-/.]?(\d{1,2})日?$")
    text = pl.concat_str([parts.struct.field("1"), parts.struct.field("2").str.zfill(2), parts.struct.field("3").str.zfill(2)])
    return text.str.to_date("%Y%m%d", strict=False).dt.to_string("%Y-%m-%d")


def month_text(expr: pl.Expr) -> pl.Expr:
    """YYYYMM / YYYY-MM / YYYY年MM月 / YYYYMMDD / a date cell → ``YYYY-MM`` (null if invalid)."""
    parts = expr.str.replace(r"\s.*$", "").str.extract_groups(r"^(\d{4})[年\-/.]?(\d{1,2})(?:[月\-/.]?(\d{1,2})日?)?月?$")
    year = parts.struct.field("1").cast(pl.Int32, strict=False)
    month = parts.struct.field("2").cast(pl.Int32, strict=False)
    ok = year.is_between(1980, 2100) & month.is_between(1, 12)
    return pl.when(ok).then(
        pl.concat_str([parts.struct.field("1"), pl.lit("-"), parts.struct.field("2").str.zfill(2)])
    ).otherwise(pl.lit(None, pl.String))


def cents(expr: pl.Expr) -> pl.Expr:
    """Yuan text (thousands commas allowed) → integer cents."""
    value = expr.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return (value * 100).round(0).cast(pl.Int64, strict=False)


def number_text(expr: pl.Expr) -> pl.Expr:
    """A number's text in one form (``3.50`` → ``3.5``, ``2.0`` → ``2``); null if not a number."""
    value = expr.str.replace_all(",", "").cast(pl.Float64, strict=False)
    return value.cast(pl.String).str.replace(r"\.0$", "")


def split_multi(expr: pl.Expr) -> pl.Expr:
    """A multi-select cell (``其他,技能培训``; also ``，`` and ``、``) → list of its values."""
    return (
        expr.str.replace_all(MULTI_SPLIT, ",").str.split(",")
        .list.eval(pl.element().str.strip_chars()).list.filter(pl.element() != "")
    )


def id_number_valid(expr: pl.Expr, today: dt.date) -> pl.Expr:
    """True where the (upper-cased, space-free) value is a valid ID number by GB 11643 — 18 characters,
    or 20/22 for disability-card numbers checked on their first 18 — born between 1900 and ``today``.
    Agrees with ``fangpin.policy.idnumbers.parse_id_number`` (a property test holds them together)."""
    base = expr.str.slice(0, 18)
    total = pl.sum_horizontal([base.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(ID_WEIGHTS)])
    check = (total % 11).replace_strict(ID_CHECK, default=None, return_dtype=pl.String)
    birth = base.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    return (
        expr.str.len_chars().is_in([18, 20, 22])
        & base.str.contains(r"^\d{17}[\dX]$")
        & expr.str.slice(18).str.contains(r"^\d*$")
        & birth.is_not_null()
        & (birth >= dt.date(1900, 1, 1))
        & (birth <= today)
        & (check == base.str.slice(17, 1))
    ).fill_null(False)
