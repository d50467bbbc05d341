"""The one place profiles and the working-day calendar are read from, and the one door for calendar edits.

Reads are cached per process; :mod:`fangpin.profiles.stamps` keeps every process's caches in step
with changes made by any other process (R-CFG-04). Calendar edits (:func:`set_calendar_day`,
:func:`delete_calendar_day`, :func:`mark_calendar_year`, :func:`delete_calendar_year`) check that the
actor is an administrator, write, record an audit event, raise the calendar stamp and recompute every
stored deadline the change touches (:mod:`fangpin.profiles.deadlines`), all in one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from fangpin.audit.services import record
from fangpin.policy.calendar import WorkingCalendar, official_entries
from fangpin.policy.profiles import Profile, ProfileError, load_profiles_dir

from . import deadlines, stamps
from .models import CalendarDay, CalendarYear, PolicyProfile


def today() -> dt.date:
    """Today in Asia/Shanghai. Tests override time with ``django.utils.timezone`` mocks."""
    return timezone.localdate()


@transaction.atomic
def load_profiles(directory=None) -> list[tuple[PolicyProfile, bool]]:
    """Load every profile file; a changed file becomes a new version, history is kept."""
    directory = directory or settings.PROFILES_DIR
    results = []
    for profile in load_profiles_dir(directory):
        latest = PolicyProfile.objects.filter(key=profile.key).order_by("-version").first()
        if latest and latest.checksum == profile.checksum:
            results.append((latest, False))
            continue
        version = max(profile.version, (latest.version + 1) if latest else 1)
        data = dict(profile.data, version=version)
        row = PolicyProfile.objects.create(
            key=profile.key,
            version=version,
            name=profile.name,
            county_code=profile.county_code,
            valid_from=dt.date.fromisoformat(data["valid_from"]),
            data=data,
            checksum=profile.checksum,
            source_file=f"{profile.key}.toml",
        )
        results.append((row, True))
    if any(created for _, created in results):
        stamps.changed(stamps.PROFILES)
    return results


@lru_cache(maxsize=256)
def _latest_profile(county: str) -> Profile:
    row = PolicyProfile.objects.filter(county_code=county).order_by("-version").first()
    if row is None:
        raise ProfileError(f"区划 {county} 没有载入县级政策画像")
    return row.as_profile()


def profile_for_county(county_code: str) -> Profile:
    """The latest profile of the county a division code lies in (any code length from 6 digits)."""
    stamps.ensure_fresh()
    return _latest_profile(county_code[:6])


_county_codes: dict[str, tuple[str, ...]] = {}


def county_codes() -> tuple[str, ...]:
    """The codes of every county with a loaded profile, in code order."""
    stamps.ensure_fresh()
    codes = _county_codes.get("all")
    if codes is None:
        codes = tuple(sorted(set(PolicyProfile.objects.values_list("county_code", flat=True))))
        _county_codes["all"] = codes
    return codes


def _clear_profiles() -> None:
    _latest_profile.cache_clear()
    _county_codes.clear()


profile_for_county.cache_clear = _clear_profiles  # type: ignore[attr-defined]
stamps.register(stamps.PROFILES, _clear_profiles)


def profile_by_key(key: str) -> Profile:
    row = PolicyProfile.objects.filter(key=key).order_by("-version").first()
    if row is None:
        raise ProfileError(f"没有名为 {key} 的县级政策画像")
    return row.as_profile()


# --- calendar ---------------------------------------------------------------------------------

_calendar_cache: dict[str, WorkingCalendar] = {}


def invalidate_calendar() -> None:
    """Empty this process's calendar cache (other processes follow the calendar stamp)."""
    _calendar_cache.clear()


stamps.register(stamps.CALENDAR, invalidate_calendar)


def working_calendar() -> WorkingCalendar:
    stamps.ensure_fresh()
    cal = _calendar_cache.get("cal")
    if cal is None:
        entries = dict(CalendarDay.objects.values_list("date", "is_workday"))
        covered = CalendarYear.objects.filter(complete=True).values_list("year", flat=True)
        cal = WorkingCalendar(entries, covered)
        _calendar_cache["cal"] = cal
    return cal


@transaction.atomic
def seed_calendar(first_year: int = 2020, last_year: int = 2030) -> int:
    """Copy the official calendar from ``chinese_calendar`` into the editable table.

    Administrator entries are never overwritten. Stored deadlines touched by newly copied days or
    newly covered years (a newer package release) are recomputed.
    """
    entries, covered = official_entries(first_year, last_year)
    admin_dates = set(CalendarDay.objects.filter(source=CalendarDay.SOURCE_ADMIN).values_list("date", flat=True))
    existing = set(CalendarDay.objects.filter(source=CalendarDay.SOURCE_OFFICIAL).values_list("date", flat=True))
    new_rows = [
        CalendarDay(date=d, is_workday=w, note="法定节假日" if not w else "调休上班", source=CalendarDay.SOURCE_OFFICIAL)
        for d, w in entries.items()
        if d not in admin_dates and d not in existing
    ]
    CalendarDay.objects.bulk_create(new_rows)
    new_years = set()
    for year in covered:
        row, created = CalendarYear.objects.get_or_create(year=year, defaults={"note": "来自 chinese-calendar 官方安排"})
        if created:
            new_years.add(year)
    stamps.changed(stamps.CALENDAR)
    deadlines.calendar_changed(None, deadlines.CalendarChange.of((r.date for r in new_rows), new_years))
    return len(new_rows)


# --- calendar edits (R-CFG-03, R-CFG-04, R-SEC-02) ------------------------------------------------


def _require_administrator(actor) -> None:
    """Calendar edits are for system administrators; ``None`` is the system itself (commands)."""
    if actor is None:
        return
    if not getattr(actor, "is_authenticated", False) or not (
        getattr(actor, "is_superuser", False) or getattr(actor, "is_administrator", False)
    ):
        raise PermissionDenied("只有系统管理员可以修改工作日历")


def _day_state(row: CalendarDay | None) -> dict | None:
    if row is None:
        return None
    return {"date": row.date, "is_workday": row.is_workday, "note": row.note}


def _year_state(row: CalendarYear | None) -> dict | None:
    if row is None:
        return None
    return {"year": row.year, "complete": row.complete, "note": row.note}


def _clean_note(note, max_length: int, label: str) -> str:
    note = (note or "").replace("\x00", "").strip()
    if len(note) > max_length:
        raise ValidationError({"note": f"{label}不能超过{max_length}字"})
    return note


def _clean_day(day) -> dt.date:
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(str(day).strip())
    except ValueError:
        raise ValidationError({"date": f"日期格式不正确（应为 年-月-日，如 2027-01-01），收到“{day}”"})


def _clean_year(year) -> int:
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        raise ValidationError({"year": f"年份应为四位数字，收到“{year}”"})
    if not 2000 <= value <= 2100:
        raise ValidationError({"year": "年份应在2000到2100之间"})
    return value


def _finish_calendar_edit(actor, change: deadlines.CalendarChange) -> dict[str, int]:
    stamps.changed(stamps.CALENDAR)
    return deadlines.calendar_changed(actor, change)


@transaction.atomic
def change_calendar(actor, *, days: dict | None = None, remove_days: Iterable = (), years: dict | None = None,
                    remove_years: Iterable = ()) -> dict[str, int]:
    """Enter, correct or remove calendar days and years in one go, then recompute stored deadlines.

    ``days`` maps a date to ``(is_workday, note)``; ``years`` maps a year to ``(complete, note)``.
    Each row that actually changes gets an audit event; returns the number of objects whose stored
    deadlines changed, per kind of deadline.
    """
    _require_administrator(actor)
    try:
        days = {_clean_day(d): (bool(w), _clean_note(n, 60, "说明")) for d, (w, n) in (days or {}).items()}
        remove_days = {_clean_day(d) for d in remove_days}
        years = {_clean_year(y): (bool(c), _clean_note(n, 100, "说明")) for y, (c, n) in (years or {}).items()}
        remove_years = {_clean_year(y) for y in remove_years}
        existing = {r.date: r for r in CalendarDay.objects.select_for_update().filter(date__in=set(days) | remove_days)}
        existing_years = {r.year: r for r in
                          CalendarYear.objects.select_for_update().filter(year__in=set(years) | remove_years)}
        changed_dates: set[dt.date] = set()
        changed_years: set[int] = set()
        edited = False
        for day, (is_workday, note) in sorted(days.items()):
            row = existing.get(day)
            before = _day_state(row)
            if row is not None and row.is_workday == is_workday and row.note == note:
                continue
            if row is None:
                row = CalendarDay(date=day)
            was_workday = row.is_workday if row.pk else day.weekday() < 5
            row.is_workday, row.note, row.source = is_workday, note, CalendarDay.SOURCE_ADMIN
            row.save()
            record(actor, "calendar.day_set", row, before=before, after=_day_state(row))
            edited = True
            if was_workday != is_workday:
                changed_dates.add(day)
        for day in sorted(remove_days - set(days)):
            row = existing.get(day)
            if row is None:
                continue
            before = _day_state(row)
            record(actor, "calendar.day_delete", row, before=before)
            row.delete()
            edited = True
            if before["is_workday"] != (day.weekday() < 5):
                changed_dates.add(day)
        for year, (complete, note) in sorted(years.items()):
            row = existing_years.get(year)
            before = _year_state(row)
            if row is not None and row.complete == complete and row.note == note:
                continue
            was_complete = bool(row and row.complete)
            row = row or CalendarYear(year=year)
            row.complete, row.note = complete, note
            row.save()
            record(actor, "calendar.year_set", row, before=before, after=_year_state(row))
            edited = True
            if was_complete != complete:
                changed_years.add(year)
        for year in sorted(remove_years - set(years)):
            row = existing_years.get(year)
            if row is None:
                continue
            before = _year_state(row)
            record(actor, "calendar.year_delete", row, before=before)
            row.delete()
            edited = True
            if before["complete"]:
                changed_years.add(year)
        if not edited:
            return {}
        return _finish_calendar_edit(actor, deadlines.CalendarChange.of(changed_dates, changed_years))
    except BaseException:
        # The transaction is rolled back: drop anything this process cached from the uncommitted rows.
        stamps.clear_local(stamps.CALENDAR)
        raise


def set_calendar_day(actor, date, *, is_workday: bool, note: str = "") -> CalendarDay:
    """Enter or correct one day (a holiday on a weekday, a make-up working day on a weekend)."""
    change_calendar(actor, days={date: (is_workday, note)})
    return CalendarDay.objects.get(date=_clean_day(date))


def delete_calendar_day(actor, date) -> None:
    """Remove a day's entry: the day follows the weekday rule again."""
    change_calendar(actor, remove_days=[date])


def mark_calendar_year(actor, year, *, complete: bool = True, note: str = "") -> CalendarYear:
    """Mark a year's official arrangement as entered in full (or not): its missing-year warnings go (or come)."""
    change_calendar(actor, years={year: (complete, note)})
    return CalendarYear.objects.get(year=_clean_year(year))


def delete_calendar_year(actor, year) -> None:
    change_calendar(actor, remove_years=[year])
