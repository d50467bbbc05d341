"""Working-day calendar (R-CFG-03)."""

import datetime as dt

import pytest

from fangpin.policy.calendar import WorkingCalendar, official_entries
from fangpin.profiles.models import CalendarDay, CalendarYear
from fangpin.profiles.services import working_calendar

D = dt.date


def test_it_skips_national_day_2026_R_CFG_03():
    cal = working_calendar()
    # National Day 2026: 1–7 October off; 10 October (Saturday) is a make-up working day.
    assert not cal.is_workday(D(2026, 10, 1))
    assert not cal.is_workday(D(2026, 10, 7))
    assert cal.is_workday(D(2026, 10, 10))
    # 5 working days after 30 Sep 2026: 8, 9, 10 (make-up Saturday), 12, 13 October.
    result = cal.add_working_days(D(2026, 9, 30), 5)
    assert result.due == D(2026, 10, 13)
    assert result.warnings == ()


def test_a_deadline_into_2027_computes_with_a_warning_R_CFG_03():
    cal = working_calendar()
    result = cal.add_working_days(D(2026, 12, 28), 5)
    # 29, 30, 31 Dec 2026 (1 Jan 2027 is an ordinary Friday to the weekday rule), then 4 Jan 2027.
    assert result.due == D(2027, 1, 4)
    assert result.uncovered_years == (2027,)
    assert "2027年官方节假日安排尚未录入" in result.warnings[0]


def test_administrator_entries_for_2027_are_used_and_clear_the_warning_R_CFG_03():
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, note="元旦")
    CalendarYear.objects.create(year=2027, complete=True, note="管理员录入")
    cal = working_calendar()
    result = cal.add_working_days(D(2026, 12, 28), 5)
    assert result.due == D(2027, 1, 5)
    assert result.warnings == ()


def test_an_admin_entry_is_not_overwritten_by_reseeding():
    from fangpin.profiles.services import seed_calendar

    CalendarDay.objects.filter(date=D(2026, 10, 8)).delete()
    CalendarDay.objects.create(date=D(2026, 10, 8), is_workday=True, note="本县调整", source=CalendarDay.SOURCE_ADMIN)
    seed_calendar(2026, 2026)
    assert CalendarDay.objects.get(date=D(2026, 10, 8)).is_workday is True


def test_calendar_days_ignore_holidays():
    cal = working_calendar()
    assert cal.add_calendar_days(D(2026, 9, 28), 7).due == D(2026, 10, 5)


def test_working_days_between_counts_forward_and_back():
    cal = WorkingCalendar({}, {2026})
    assert cal.working_days_between(D(2026, 11, 20), D(2026, 11, 27)) == 5
    assert cal.working_days_between(D(2026, 11, 27), D(2026, 11, 20)) == -5


def test_official_entries_cover_only_years_the_package_knows():
    entries, covered = official_entries(2025, 2027)
    assert covered == {2025, 2026}
    assert entries[D(2026, 10, 1)] is False
    assert all(d.year in covered for d in entries)


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        WorkingCalendar({}, set()).add_working_days(D(2026, 1, 5), -1)
