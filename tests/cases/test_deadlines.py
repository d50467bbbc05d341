"""Deadlines (R-CFG-03, R-ID-04a): each step's due date from the working-day calendar, the overall limit
from discovery, overdue cases listed for the responsible division, and the 2027 calendar warning."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from fangpin.cases import services
from fangpin.cases.models import CaseSource, CaseStep
from fangpin.cases.selectors import overdue_cases, pending_for, remaining_text, responsible_division
from fangpin.profiles.models import CalendarDay

from .conftest import advance, application


def _open(personas, h, day, **kw):
    return services.open_case(personas["cadre_a"], h, application=application(
        h, application_date=day.isoformat(), consent_date=day.isoformat()), today=day, **kw).case


def test_a_five_working_day_deadline_crossing_into_2027_computes_with_a_warning_R_CFG_03(
        applicant_household, personas, login, clock):
    day = dt.date(2026, 12, 28)  # Monday
    case, _ = advance(_open(personas, applicant_household, day), personas, until="cross_check", day=day)
    row = CaseStep.objects.get(case=case, key="cross_check")
    # 29, 30, 31 December, then 1 and 4 January 2027 (no 2027 holidays are known yet: weekends only).
    assert row.started_on == day and row.due_on == dt.date(2027, 1, 4)
    assert row.due_warnings == ["2027年官方节假日安排尚未录入，期限按周末推算，请管理员补录2027年日历后复核"]
    clock.day = day
    page = login(personas["county_officer"]).get(f"/cases/{case.pk}/").content.decode()
    assert "2027年官方节假日安排尚未录入" in page
    # The overall limit (30 calendar days in 濉溪) also lands in 2027; calendar days need no holiday data.
    assert case.overall_due_on == dt.date(2027, 1, 27) and case.overall_due_warnings == []


def test_an_administrator_entered_2027_holiday_moves_later_deadlines_R_CFG_03(applicant_household, personas):
    CalendarDay.objects.create(date=dt.date(2027, 1, 1), is_workday=False, note="元旦", source=CalendarDay.SOURCE_ADMIN)
    day = dt.date(2026, 12, 28)
    case, _ = advance(_open(personas, applicant_household, day), personas, until="cross_check", day=day)
    row = CaseStep.objects.get(case=case, key="cross_check")
    assert row.due_on == dt.date(2027, 1, 5) and row.due_warnings  # still warned: 2027 not marked complete


def test_step_due_dates_skip_holidays_and_count_make_up_working_days_R_CFG_03(applicant_household, personas):
    case = _open(personas, applicant_household, dt.date(2026, 9, 30))
    row = CaseStep.objects.get(case=case, key="verification")
    # 3 working days after 30 September 2026: 8 and 9 October, then Saturday 10 October (a make-up working day).
    assert row.due_on == dt.date(2026, 10, 10) and row.due_warnings == []
    assert case.current_due_on == row.due_on


def test_overdue_cases_are_listed_for_the_responsible_division_R_ID_04a(opened, personas):
    day = opened.opened_on
    assert opened.current_due_on == dt.date(2026, 5, 14)
    assert list(overdue_cases(personas["cadre_a"], dt.date(2026, 5, 14))) == []
    late = dt.date(2026, 5, 15)
    assert list(overdue_cases(personas["cadre_a"], late)) == [opened]
    assert list(overdue_cases(personas["township_officer"], late)) == [opened]
    assert list(overdue_cases(personas["cadre_b"], late)) == []
    assert responsible_division(opened) == ("340621100201", "村")
    items = pending_for(personas["cadre_a"], late)
    assert items[0]["overdue"] and items[0]["remaining"] == "已逾期1个工作日"
    assert remaining_text(opened.current_due_on, day) == "剩余3个工作日"
    case, _ = advance(opened, personas, until="cross_check", day=day)
    assert responsible_division(case) == ("340621", "县")


def test_the_overall_limit_runs_from_discovery_of_the_lead_R_ID_04a(applicant_household, personas):
    day = dt.date(2026, 5, 11)
    result = services.open_case(personas["township_officer"], applicant_household, source=CaseSource.LEAD,
                                lead_ref="YJ-2026-0031", lead_note="医保局预警：自付医疗费用较高",
                                discovered_on="2026-05-06", today=day)
    case = result.case
    assert case.current_step == "application" and case.discovered_on == dt.date(2026, 5, 6)
    assert case.overall_due_on == dt.date(2026, 6, 5)  # 30 calendar days after discovery (濉溪 default)
    assert case.current_due_on == dt.date(2026, 5, 12)  # 1 working day to take the household's application
    with pytest.raises(ValidationError) as err:
        services.act(personas["cadre_a"], case, "application",
                     application(applicant_household, application_date="2026-05-05"), today=day)
    assert "不能早于线索发现日期" in err.value.message_dict["application_date"][0]
    services.act(personas["cadre_a"], case, "application", application(applicant_household), today=day)
    case.refresh_from_db()
    assert case.current_step == "verification" and case.applicant_name == "蔡德胜"


def test_a_lead_case_needs_a_lead_reference_and_discovery_date(applicant_household, personas):
    with pytest.raises(ValidationError) as err:
        services.open_case(personas["township_officer"], applicant_household, source=CaseSource.LEAD,
                           lead_ref="", discovered_on=None, today=dt.date(2026, 5, 11))
    assert set(err.value.message_dict) == {"lead_ref", "discovered_on"}


# --- calendar corrections recompute stored deadlines (R-CFG-04) --------------------------------------

WARNING_2027 = "2027年官方节假日安排尚未录入，期限按周末推算，请管理员补录2027年日历后复核"


def _open_as(actor, h, day, **over):
    return services.open_case(actor, h, application=application(
        h, application_date=day.isoformat(), consent_date=day.isoformat(), **over), today=day).case


def _administrator():
    from fangpin.accounts.roles import Role
    from tests.factories import user

    return user("sysadmin", Role.ADMINISTRATOR, None, display_name="系统管理员", is_staff=True, is_superuser=True)


def test_a_calendar_correction_recomputes_a_running_cases_deadline_and_is_audited_R_CFG_04(
        applicant_household, households, personas, login, clock):
    from fangpin.audit.models import Event
    from fangpin.profiles.services import mark_calendar_year, set_calendar_day

    day = dt.date(2026, 12, 28)
    case, _ = advance(_open(personas, applicant_household, day), personas, until="cross_check", day=day)
    assert case.current_due_on == dt.date(2027, 1, 4)
    untouched = _open_as(personas["cadre_b"], households["b1"], dt.date(2026, 5, 11))  # its window is far from 2027
    untouched_version = untouched.version
    admin = _administrator()

    set_calendar_day(admin, dt.date(2027, 1, 1), is_workday=False, note="元旦")
    row = CaseStep.objects.get(case=case, key="cross_check")
    case.refresh_from_db()
    # 29, 30, 31 December, then 4 and 5 January: 1 January is now a holiday.
    assert row.due_on == dt.date(2027, 1, 5) and case.current_due_on == dt.date(2027, 1, 5)
    assert row.due_warnings == [WARNING_2027]  # 2027 is not marked complete yet
    event = Event.objects.get(action="case.deadline_recompute", object_id=str(case.pk))
    assert event.actor == admin and event.household_id == applicant_household.pk
    assert event.before["current_due_on"] == "2027-01-04" and event.after["current_due_on"] == "2027-01-05"
    assert Event.objects.filter(action="calendar.day_set", after__date="2027-01-01").count() == 1

    mark_calendar_year(admin, 2027, complete=True, note="国务院办公厅通知")
    row.refresh_from_db()
    assert row.due_on == dt.date(2027, 1, 5) and row.due_warnings == []
    assert Event.objects.filter(action="case.deadline_recompute", object_id=str(case.pk)).count() == 2
    assert Event.objects.filter(action="calendar.year_set").count() == 1
    clock.day = day
    page = login(personas["county_officer"]).get(f"/cases/{case.pk}/").content.decode()
    assert "2027年官方节假日安排尚未录入" not in page and "2027-01-05" in page

    untouched.refresh_from_db()
    assert untouched.version == untouched_version
    assert not Event.objects.filter(action="case.deadline_recompute", object_id=str(untouched.pk)).exists()
    # The label shown in audit trails is Chinese.
    from fangpin.audit.services import ACTION_LABELS

    assert ACTION_LABELS["case.deadline_recompute"] == "日历调整后重算期限"


def test_an_unchanged_calendar_day_recomputes_nothing_and_writes_no_event_R_CFG_04(applicant_household, personas):
    from fangpin.audit.models import Event
    from fangpin.profiles.services import set_calendar_day

    day = dt.date(2026, 9, 30)
    _open(personas, applicant_household, day)
    # 1 October 2026 is already a holiday (seeded official calendar).
    set_calendar_day(_administrator(), dt.date(2026, 10, 1), is_workday=False, note="法定节假日")
    assert not Event.objects.filter(action__in=["case.deadline_recompute", "calendar.day_set"]).exists()


def test_the_overall_limit_and_the_pending_system_entry_are_recomputed_R_CFG_04(applicant_household, households,
                                                                                 personas):
    """A county whose overall limit and national-system entry count working days: both stored dates follow
    a calendar correction while still pending; an entry already made is left alone."""
    from fangpin.cases.models import Case, CaseStatus
    from fangpin.profiles.services import set_calendar_day
    from tests.cases.conftest import add_income

    day = dt.date(2026, 12, 28)
    case = _open(personas, applicant_household, day)
    proc = dict(case.procedure_def, total_days=5, total_unit="working_days", entry_days=1, entry_unit="working_days")
    Case.objects.filter(pk=case.pk).update(procedure_def=proc, overall_due_on=dt.date(2027, 1, 4),
                                           overall_due_warnings=[WARNING_2027])
    filed = []
    for key in ("b1", "a2"):
        h = households[key]
        h.monitoring_status = "none"
        h.save()
        add_income(h, 2025, 9000)
        add_income(h, 2026, 5200, purpose="identification")
        c = services.open_case(personas["cadre_a"] if key == "a2" else personas["cadre_b"], h,
                               source=CaseSource.LEAD, lead_ref=f"YJ-{key}", discovered_on="2026-05-11",
                               today=dt.date(2026, 5, 11)).case
        Case.objects.filter(pk=c.pk).update(
            procedure_def=proc, status=CaseStatus.FILED, current_step="", current_due_on=None,
            filed_on=dt.date(2026, 12, 31), system_entry_due_on=dt.date(2027, 1, 1))
        CaseStep.objects.filter(case=c).update(status="done")
        filed.append(c)
    Case.objects.filter(pk=filed[1].pk).update(system_entered_on=dt.date(2026, 12, 31))

    set_calendar_day(_administrator(), dt.date(2027, 1, 1), is_workday=False, note="元旦")
    case.refresh_from_db()
    assert case.overall_due_on == dt.date(2027, 1, 5) and case.overall_due_warnings == [WARNING_2027]
    pending, entered = (Case.objects.get(pk=c.pk) for c in filed)
    assert pending.system_entry_due_on == dt.date(2027, 1, 4)  # Friday 1 January is a holiday now
    assert entered.system_entry_due_on == dt.date(2027, 1, 1)  # already entered: history is not rewritten


def test_the_recompute_is_set_based_R_CFG_04(applicant_household, households, personas, settings):
    """Queries grow with the number of changed cases only by the audit event each one needs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fangpin.profiles import stamps
    from fangpin.profiles.services import set_calendar_day

    # Outside a request the caches re-read their stamps every few seconds: on a slow machine that re-read
    # could fall into one capture and not the other. Check now, then not again during the test.
    settings.FANGPIN_CACHE_RECHECK_SECONDS = 3600
    stamps.ensure_fresh()

    day = dt.date(2026, 12, 28)
    _open(personas, applicant_household, day)
    admin = _administrator()
    with CaptureQueriesContext(connection) as one:
        set_calendar_day(admin, dt.date(2026, 12, 30), is_workday=False, note="本县调整")
    _open_as(personas["cadre_b"], households["b1"], day)
    households["a2"].monitoring_status = "none"
    households["a2"].save()
    _open_as(personas["cadre_a"], households["a2"], day, category="marginal_at_risk")
    with CaptureQueriesContext(connection) as three:
        set_calendar_day(admin, dt.date(2026, 12, 30), is_workday=True, note="")
    from fangpin.audit.models import Event

    assert Event.objects.filter(action="case.deadline_recompute").count() == 1 + 3
    assert len(three.captured_queries) <= len(one.captured_queries) + 2


def test_a_newer_official_calendar_seeded_later_also_recomputes_running_deadlines_R_CFG_04(
        applicant_household, personas, monkeypatch):
    """When a chinese-calendar release that knows 2027 is seeded, running 2027 deadlines follow."""
    from fangpin.profiles import services as profile_services

    day = dt.date(2026, 12, 28)
    case, _ = advance(_open(personas, applicant_household, day), personas, until="cross_check", day=day)
    monkeypatch.setattr(profile_services, "official_entries",
                        lambda first, last: ({dt.date(2027, 1, 1): False}, {2027}))
    profile_services.seed_calendar(2027, 2027)
    row = CaseStep.objects.get(case=case, key="cross_check")
    assert row.due_on == dt.date(2027, 1, 5) and row.due_warnings == []
