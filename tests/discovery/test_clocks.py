"""Lead clocks on calendar edges (R-DISC-03, R-DISC-04, R-CFG-04): durations from the profile, dates
from the one working-day calendar, stored deadlines recomputed when the calendar is corrected."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from django.conf import settings

from fangpin.accounts.roles import Role
from fangpin.audit.models import Event
from fangpin.discovery import services
from fangpin.discovery.models import Channel, LeadState
from fangpin.profiles.services import load_profiles, profile_for_county, set_calendar_day
from tests.discovery.conftest import raise_for, two_people
from tests.factories import user

pytestmark = pytest.mark.django_db
EVE = dt.date(2026, 9, 30)  # Wednesday before the National Day holiday (Oct 1–7; Sat Oct 10 is worked)


def _administrator():
    return user("sysadmin", Role.ADMINISTRATOR, None, display_name="系统管理员", is_staff=True, is_superuser=True)


@pytest.fixture
def working_day_profile(tmp_path):
    """The county counts its 1-day lead clocks in working days (profile ``leads.day_unit``)."""
    folder = tmp_path / "profiles"
    shutil.copytree(settings.PROFILES_DIR, folder)
    with open(folder / "suixi.toml", "a", encoding="utf-8") as f:
        f.write('\n[leads]\nday_unit = "working_days"\n')
    load_profiles(folder)
    profile_for_county.cache_clear()
    yield
    profile_for_county.cache_clear()


def test_a_lead_raised_before_a_holiday_is_due_the_next_calendar_day_R_DISC_03(households, personas):
    """003 says "1天内": by default the clock does not stop for the holiday."""
    lead = raise_for(personas["cadre_a"], households["a1"], today=EVE).lead
    assert lead.current_due_on == dt.date(2026, 10, 1)
    assert lead.params["leads.day_unit"] == "calendar_days"


def test_a_county_counting_working_days_waits_for_the_holiday_to_end_R_DISC_03(households, personas,
                                                                               working_day_profile):
    lead = raise_for(personas["department"], households["a1"], channel=Channel.DEPARTMENT_WARNING, today=EVE).lead
    assert lead.state == LeadState.AWAITING_DISPATCH
    assert lead.current_due_on == dt.date(2026, 10, 8)
    services.dispatch_lead(personas["county_officer"], lead, today=dt.date(2026, 10, 9))
    lead.refresh_from_db()
    assert lead.current_due_on == dt.date(2026, 10, 10)  # the make-up Saturday is a working day


def test_a_serious_risk_flagged_before_the_holiday_counts_working_days_R_DISC_04(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"], today=EVE).lead
    services.flag_serious(personas["township_officer"], lead, kind="individual", note="户主重病，家中无劳动力",
                          departments="医保局", today=EVE)
    lead.refresh_from_db()
    assert lead.serious_report_due_on == dt.date(2026, 10, 10)  # Oct 8, 9, 10 (make-up Saturday)


def test_a_corrected_calendar_recomputes_the_serious_risk_deadline_R_DISC_04(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"], today=EVE).lead
    services.flag_serious(personas["township_officer"], lead, kind="scale", note="全村受灾",
                          departments="应急管理局", today=EVE)
    set_calendar_day(_administrator(), dt.date(2026, 10, 9), is_workday=False, note="更正：调休")
    lead.refresh_from_db()
    assert lead.serious_report_due_on == dt.date(2026, 10, 12)
    event = Event.objects.get(action="lead.deadline_recompute", object_id=str(lead.pk))
    assert event.before["serious_report_due_on"] == "2026-10-10" and event.after["serious_report_due_on"] == "2026-10-12"
    assert "工作日历调整" in event.after["reason"]


def test_a_corrected_calendar_recomputes_a_running_working_day_clock_R_DISC_03(households, personas,
                                                                              working_day_profile):
    lead = raise_for(personas["cadre_a"], households["a1"], today=EVE).lead
    assert lead.current_due_on == dt.date(2026, 10, 8)
    set_calendar_day(_administrator(), dt.date(2026, 10, 8), is_workday=False, note="更正：延长假期")
    lead.refresh_from_db()
    assert lead.current_due_on == dt.date(2026, 10, 9)
    assert lead.params["leads.day_unit"] == "working_days"  # the lead keeps the values it started with


def test_finished_clocks_are_history_and_stay_R_DISC_03(households, personas, working_day_profile):
    lead = raise_for(personas["cadre_a"], households["a1"], today=EVE).lead
    services.verify_lead(personas["township_officer"], lead, today=dt.date(2026, 10, 8),
                         **two_people(visited_on="2026-10-08", outcome="not_eligible", reason="情况不实"))
    services.close_lead(personas["township_officer"], lead, today=dt.date(2026, 10, 8))
    set_calendar_day(_administrator(), dt.date(2026, 10, 9), is_workday=False, note="更正")
    lead.refresh_from_db()
    assert lead.state == LeadState.CLOSED and lead.current_due_on is None
    assert not Event.objects.filter(action="lead.deadline_recompute").exists()


def test_a_calendar_day_outside_every_window_changes_nothing_R_DISC_03(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"], today=EVE).lead
    set_calendar_day(_administrator(), dt.date(2026, 11, 2), is_workday=False, note="无关")
    lead.refresh_from_db()
    assert lead.current_due_on == dt.date(2026, 10, 1)
    assert not Event.objects.filter(action="lead.deadline_recompute").exists()
