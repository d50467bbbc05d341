"""The one place profiles and the working-day calendar are read from."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fangpin.policy.calendar import WorkingCalendar, official_entries
from fangpin.policy.profiles import Profile, ProfileError, load_profiles_dir

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
    profile_for_county.cache_clear()
    return results


@lru_cache(maxsize=64)
def profile_for_county(county_code: str) -> Profile:
    row = PolicyProfile.objects.filter(county_code=county_code[:6]).order_by("-version").first()
    if row is None:
        raise ProfileError(f"区划 {county_code[:6]} 没有载入县级政策画像")
    return row.as_profile()


def profile_by_key(key: str) -> Profile:
    row = PolicyProfile.objects.filter(key=key).order_by("-version").first()
    if row is None:
        raise ProfileError(f"没有名为 {key} 的县级政策画像")
    return row.as_profile()


# --- calendar ---------------------------------------------------------------------------------

_calendar_cache: dict[str, WorkingCalendar] = {}


def invalidate_calendar() -> None:
    _calendar_cache.clear()


def working_calendar() -> WorkingCalendar:
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

    Administrator entries are never overwritten.
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
    for year in covered:
        CalendarYear.objects.get_or_create(year=year, defaults={"note": "来自 chinese-calendar 官方安排"})
    invalidate_calendar()
    return len(new_rows)
