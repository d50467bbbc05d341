"""Working-day arithmetic (R-CFG-03).

A day is a working day when an explicit entry says so; otherwise Monday–Friday are working days
and weekends are not. Entries come from the official calendar (seeded from ``chinese_calendar``)
and from administrators. A year is *covered* when its official calendar has been entered; any
deadline that touches an uncovered year still computes (weekends only, plus the entries that
exist) and carries a warning naming the missing year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeadlineResult:
    due: dt.date
    warnings: tuple[str, ...] = field(default_factory=tuple)
    uncovered_years: tuple[int, ...] = field(default_factory=tuple)

    @property
    def reliable(self) -> bool:
        return not self.uncovered_years


def missing_calendar_warning(year: int) -> str:
    return f"{year}年官方节假日安排尚未录入，期限按周末推算，请管理员补录{year}年日历后复核"


class WorkingCalendar:
    """Pure working-day calendar over explicit day entries and covered years."""

    def __init__(self, entries: Mapping[dt.date, bool], covered_years: Iterable[int]):
        self.entries = dict(entries)
        self.covered_years = frozenset(covered_years)

    def is_workday(self, day: dt.date) -> bool:
        if day in self.entries:
            return self.entries[day]
        return day.weekday() < 5

    def _result(self, due: dt.date, touched: set[int]) -> DeadlineResult:
        uncovered = tuple(sorted(y for y in touched if y not in self.covered_years))
        return DeadlineResult(due, tuple(missing_calendar_warning(y) for y in uncovered), uncovered)

    def add_working_days(self, start: dt.date, n: int) -> DeadlineResult:
        """The date ``n`` working days after ``start`` (``start`` itself not counted)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        touched = {start.year}
        remaining = n
        while remaining:
            day += dt.timedelta(days=1)
            touched.add(day.year)
            if self.is_workday(day):
                remaining -= 1
        return self._result(day, touched)

    def add_calendar_days(self, start: dt.date, n: int) -> DeadlineResult:
        due = start + dt.timedelta(days=n)
        # Calendar-day deadlines do not depend on holidays, so no year is "touched" for warnings.
        return DeadlineResult(due)

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def add(self, start: dt.date, n: int, unit: str) -> DeadlineResult:
        if unit == "working_days":
            return self.add_working_days(start, n)
        if unit == "calendar_days":
            return self.add_calendar_days(start, n)
        raise ValueError(f"unknown deadline unit {unit!r}")


def official_entries(first_year: int, last_year: int) -> tuple[dict[dt.date, bool], set[int]]:
    """Exceptions to the weekday rule from the ``chinese_calendar`` package, and the years it covers."""
    import chinese_calendar

    from_year = first_year
    entries: dict[dt.date, bool] = {}
    covered: set[int] = set()
    for year in range(from_year, last_year + 1):
        try:
            chinese_calendar.is_workday(dt.date(year, 1, 1))
        except NotImplementedError:
            continue
        covered.add(year)
        day = dt.date(year, 1, 1)
        while day.year == year:
            official = chinese_calendar.is_workday(day)
            if official != (day.weekday() < 5):
                entries[day] = official
            day += dt.timedelta(days=1)
    return entries, covered
