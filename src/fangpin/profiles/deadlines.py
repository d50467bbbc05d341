"""Stored deadlines follow calendar corrections (R-CFG-04).

Deadlines are stored when a step, a lead, a plan, a visit or a ticket starts. When the working-day
calendar changes, every stored deadline whose window touches a changed day must be computed again.
Each app that stores deadlines registers one *recomputer* here (usually in its ``AppConfig.ready``);
the calendar services call :func:`calendar_changed` in the transaction of the change, which runs them
all. A recomputer ``(actor, change) -> int`` selects its rows with :meth:`CalendarChange.overlapping`
(one query, only rows whose window touches the change), recomputes them, writes the changed ones in
bulk, records one audit event per changed object and returns how many objects changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

Recomputer = Callable[[object, "CalendarChange"], int]

_recomputers: dict[str, Recomputer] = {}


@dataclass(frozen=True)
class CalendarChange:
    """Days whose working/rest status changed and years whose coverage (``CalendarYear``) changed."""

    dates: frozenset[dt.date] = frozenset()
    years: frozenset[int] = frozenset()

    @classmethod
    def of(cls, dates: Iterable[dt.date] = (), years: Iterable[int] = ()) -> CalendarChange:
        return cls(frozenset(dates), frozenset(years))

    def __bool__(self) -> bool:
        return bool(self.dates or self.years)

    def windows(self) -> list[tuple[dt.date, dt.date]]:
        """Date ranges touched by the change: runs of adjacent changed days, and each whole changed year."""
        out: list[tuple[dt.date, dt.date]] = []
        for day in sorted(self.dates):
            if out and (day - out[-1][1]).days <= 1:
                out[-1] = (out[-1][0], day)
            else:
                out.append((day, day))
        out.extend((dt.date(y, 1, 1), dt.date(y, 12, 31)) for y in sorted(self.years))
        return out

    def overlapping(self, start_field: str, due_field: str) -> Q:
        """Rows whose window from ``start_field`` to ``due_field`` touches the change.

        A deadline counted from its start cannot move because of a day after its due date or on or
        before its start; it can move (or gain or lose a missing-year warning) otherwise.
        """
        q = Q(pk__in=[])
        for first, last in self.windows():
            q |= Q(**{f"{start_field}__lte": last, f"{due_field}__gte": first})
        return q

    def describe(self) -> str:
        parts = []
        if self.dates:
            days = sorted(self.dates)
            shown = "、".join(f"{d:%Y-%m-%d}" for d in days[:5]) + ("等" if len(days) > 5 else "")
            parts.append(f"调整日 {shown}")
        if self.years:
            parts.append("年份 " + "、".join(str(y) for y in sorted(self.years)))
        return "工作日历调整（" + "；".join(parts) + "）"


def register(name: str, recompute: Recomputer) -> None:
    """Register (or replace) the recomputer of one kind of stored deadline."""
    _recomputers[name] = recompute


def unregister(name: str) -> None:
    _recomputers.pop(name, None)


def registered() -> list[str]:
    return list(_recomputers)


def calendar_changed(actor, change: CalendarChange) -> dict[str, int]:
    """Recompute every registered kind of stored deadline touched by ``change`` (in the caller's transaction)."""
    if not change:
        return {}
    return {name: recompute(actor, change) for name, recompute in list(_recomputers.items())}
