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
