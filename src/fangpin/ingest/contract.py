"""The dry run → confirmed apply contract: what the officer confirmed is what is written.

A dry run computes a plan, shows it, and keeps two things with the preview: the *fingerprint* of the
data the plan depends on (taken before the dry run read it: e.g. the highest id of every table it
reads) and the *digest* of the plan's change set (``Digest``: SHA-256 over a canonical form that is
the same in any process or machine). The apply, under its locks, computes the fingerprint again and
``confirmed_plan`` decides:

- equal, and the dry run's plan was kept: that plan is written (nothing else is computed);
- equal, no kept plan: plan again (the same inputs give the same plan; no digest needed);
- different: plan again, and write only if the new plan's digest equals the confirmed one, else
  ``StalePreview`` (Chinese message) and nothing is written.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import polars as pl

P = TypeVar("P")
STALE = "数据已在预检后发生变化，请重新预检：按现在的数据导入，结果将与确认的预检结果不同。本次未写入任何数据"


class StalePreview(Exception):
    """The data changed since the dry run and the plan is no longer the one confirmed."""

    def __init__(self, message: str = STALE):
        super().__init__(message)


class Digest:
    """SHA-256 over values and frames fed in order; JSON for values (sorted keys), CSV for frames
    (put in order by an expression first), so it is the same in any process or machine."""

    def __init__(self):
        self.sha = hashlib.sha256()

    def feed(self, value: Any) -> None:
        self.sha.update(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8"))
        self.sha.update(b"\x1e")

    def feed_frame(self, frame: pl.DataFrame | None, columns: Iterable[str], order: pl.Expr, *, batch_rows: int = 200_000) -> None:
        """The frame's ``columns`` (those it has) in the order of ``order``; empty or None feeds a marker."""
        if frame is None or not frame.height:
            self.feed(None)
            return
        frame = frame.select(*[c for c in columns if c in frame.columns], order.alias("_order"))
        frame = frame.sort("_order").drop("_order")
        self.feed(frame.columns)
        for start in range(0, frame.height, batch_rows):
            out = io.BytesIO()
            frame.slice(start, batch_rows).write_csv(out, include_header=False)
            self.sha.update(out.getbuffer())
        self.sha.update(b"\x1e")

    def hexdigest(self) -> str:
        return self.sha.hexdigest()


def confirmed_plan(
    *,
    preview_fingerprint: Any,
    preview_digest: str,
    fingerprint: Any,
    kept_plan: P | None,
    replan: Callable[[], P],
    digest: Callable[[P], str],
) -> P:
    """The plan the apply may write (see the module's description), or ``StalePreview``."""
    if fingerprint == preview_fingerprint:
        return kept_plan if kept_plan is not None else replan()
    plan = replan()
    if digest(plan) != preview_digest:
        raise StalePreview()
    return plan
