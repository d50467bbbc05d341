"""Row issues collected set-based: the Excel row, the column as the file names it, a Chinese reason.

A check is a polars condition plus the message expression for the rows where it holds. Checks are
collected and evaluated together, one pass per frame, so polars runs their conditions side by side
instead of scanning the rows once per check; messages are built only for the rows that fail.

Messages name the row and column and are written for the officer: Chinese, no server path, no
library text (``user_text`` refuses such a message before it reaches anyone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

REFUSED, WARNING = "refused", "warning"


def issue_schema(key: str = "key") -> dict:
    """Columns of an issue frame; ``key`` names the group a refusal refuses whole (e.g. a household)."""
    return {"level": pl.String, "row": pl.Int64, "column": pl.String, "message": pl.String, key: pl.String}


@dataclass
class Check:
    """A row check: where ``cond`` holds, the row gets ``text`` (built only for those rows)."""

    cond: pl.Expr
    text: pl.Expr


def msg(cond: pl.Expr, text: pl.Expr | str) -> Check:
    return Check(cond.fill_null(False), text if isinstance(text, pl.Expr) else pl.lit(text))


def quoted(expr: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("“"), expr, pl.lit("”")])


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LEAKS = re.compile(
    r"(?:^|[\s（(：:“\"'])(?:/[\w.\-]+){2,}|[A-Za-z]:\\|Traceback|Error\b|Exception\b|\.py\b|0x[0-9a-f]{6,}",
)


def user_text(message: str) -> str:
    """``message`` if it can be shown to an officer: Chinese, without a file-system path, a stack trace
    or an exception's name; otherwise ``ValueError`` (a programming error, caught by the tests)."""
    if not _CJK.search(message or "") or _LEAKS.search(message):
        raise ValueError(f"not a user-facing message: {message!r}")
    return message


class Issues:
    """Issues found so far. ``row_column`` holds the row number and ``key_column`` the group key
    (null when the row has none) in the frames checked."""

    def __init__(self, key: str = "key", *, key_column: str | None = None, row_column: str = "_row"):
        self.key, self.key_column, self.row_column = key, key_column or f"_{key}", row_column
        self.schema = issue_schema(key)
        self.frames: list[pl.DataFrame] = []
        self.pending: list[tuple[pl.DataFrame, Check, str, str]] = []

    def add_frame(self, frame: pl.DataFrame):
        if frame.height:
            self.frames.append(frame.select([pl.col(k).cast(t) for k, t in self.schema.items()]))

    def from_mask(self, df: pl.DataFrame, check: Check, column: str, level: str = REFUSED):
        """Add an issue for every row of ``df`` where the check's condition holds (evaluated at ``flush``)."""
        self.pending.append((df, check, column, level))

    def flush(self):
        pending, self.pending = self.pending, []
        by_frame: dict[int, list] = {}
        for item in pending:
            by_frame.setdefault(id(item[0]), []).append(item)
        for items in by_frame.values():
            df = items[0][0]
            fired = df.select([check.cond.any().alias(f"_{i}") for i, (_, check, _, _) in enumerate(items)]).row(0)
            for hit_any, (_, check, column, level) in zip(fired, items, strict=True):
                if not hit_any:
                    continue
                key = pl.col(self.key_column) if self.key_column in df.columns else pl.lit(None, pl.String)
                hit = df.filter(check.cond).select(
                    pl.col(self.row_column).alias("row"), key.alias(self.key), check.text.alias("message")
                )
                self.add_frame(hit.with_columns(pl.lit(level).alias("level"), pl.lit(column).alias("column")))

    def add(self, level: str, row, column: str, message: str, key=None):
        self.add_frame(pl.DataFrame(
            [{"level": level, "row": row, "column": column, "message": message, self.key: key}], schema=self.schema,
        ))

    def frame(self) -> pl.DataFrame:
        self.flush()
        if not self.frames:
            return pl.DataFrame(schema=self.schema)
        return pl.concat(self.frames, how="vertical").sort(["row", "column"], nulls_last=True)
