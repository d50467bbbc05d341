"""The identification procedure end to end through the service functions (R-ID-03, R-ID-04, R-ID-07)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.audit.models import Event
from fangpin.cases import services
from fangpin.cases.models import Case, CaseStatus, CaseStep, Notice, StepStatus
from fangpin.registry.models import MonitoringStatus

from .conftest import DAY, advance, application, decision, deliberation, verification

SUIXI_ORDER = ["application", "verification", "deliberation", "cross_check", "village_decision", "township_approval",
               "county_filing"]


def test_suixi_case_runs_all_seven_steps_in_order_and_files_the_household_R_ID_03_R_ID_07(opened, personas):
    case = opened
    assert case.reference.startswith("SB-340621-2026-")
    assert len(case.check_code) == 4
    assert [s["key"] for s in case.procedure_def["steps"]] == SUIXI_ORDER
    assert case.current_step == "verification"
    case, day = advance(case, personas, until="none")
    assert case.status == CaseStatus.FILED
    steps = list(CaseStep.objects.filter(case=case).order_by("id"))
    assert [s.key for s in steps] == SUIXI_ORDER
    assert all(s.status == StepStatus.DONE for s in steps)
    # Each step records who did it, when, the evidence and the outcome (R-ID-04).
    for s in steps:
        assert s.actor_id and s.completed_on and s.outcome and s.payload
    assert steps[1].payload["verifiers"][0]["name"] == "蔡书记"
    # Both notices lasted 7 days (濉溪): village 05-11..05-17, township 05-18..05-24.
    notices = list(Notice.objects.order_by("id"))
    assert [(n.kind, n.days, n.starts_on, n.ends_on) for n in notices] == [
        ("village_notice", 7, DAY, dt.date(2026, 5, 17)),
        ("township_notice", 7, dt.date(2026, 5, 18), dt.date(2026, 5, 24)),
    ]
    h = case.household
    h.refresh_from_db()
    assert h.monitoring_status == MonitoringStatus.MONITORED
    assert h.category == "unstable_formerly_poor"
    assert h.included_on == day == dt.date(2026, 5, 25)
    assert h.risk_types == ["因病"]
    # Entry into the national system within 1 day is tracked (003 第三步).
    assert case.system_entry_due_on == dt.date(2026, 5, 26)
    assert case.system_entered_on is None
    services.record_system_entry(personas["township_officer"], case, entered_on=day, today=day)
    case.refresh_from_db()
    assert case.system_entered_on == day
    actions = set(Event.objects.filter(household=h).values_list("action", flat=True))
    assert {"case.open", "case.step", "notice.publish", "household.include", "case.system_entry"} <= actions


def test_a_skipped_or_repeated_step_is_refused_and_nothing_changes_R_ID_04(opened, personas):
    cadre = personas["cadre_a"]
    version = opened.version
    with pytest.raises(ValidationError, match="不能跳过步骤"):
        services.act(cadre, opened, "deliberation", deliberation(), today=DAY)
    with pytest.raises(ValidationError, match="已办理完成"):
        services.act(cadre, opened, "application", application(opened.household), today=DAY)
    opened.refresh_from_db()
    assert opened.version == version and opened.current_step == "verification"
    services.act(cadre, opened, "verification", verification(), today=DAY)
    with pytest.raises(ValidationError, match="已办理完成"):
        services.act(cadre, opened, "verification", verification(), today=DAY)


def test_wrong_role_and_wrong_division_are_refused_R_SEC_01(opened, personas):
    with pytest.raises(PermissionDenied, match="只能由"):
        services.act(personas["county_officer"], opened, "verification", verification(), today=DAY)
    with pytest.raises(PermissionDenied, match="管辖范围"):
        services.act(personas["cadre_b"], opened, "verification", verification(), today=DAY)
    with pytest.raises(PermissionDenied):
        services.act(personas["supervisor"], opened, "verification", verification(), today=DAY)
    opened.refresh_from_db()
    assert opened.current_step == "verification" and opened.version == 1


def test_a_stale_form_is_refused_as_a_double_submission(opened, personas):
    services.act(personas["cadre_a"], opened, "verification", verification(), today=DAY, expected_version=opened.version)
    with pytest.raises(ValidationError, match="重复提交"):
        services.act(personas["cadre_a"], opened, "deliberation", deliberation(), today=DAY,
                     expected_version=opened.version)


def test_rejection_ends_the_case_with_a_reason_and_blocks_further_steps_R_ID_04(opened, personas):
    services.reject_case(personas["cadre_a"], opened, reason="家庭有稳定工资收入", today=DAY)
    opened.refresh_from_db()
    assert opened.status == CaseStatus.REJECTED and opened.rejection_reason == "家庭有稳定工资收入"
    with pytest.raises(ValidationError, match="不予纳入"):
        services.act(personas["cadre_a"], opened, "verification", verification(), today=DAY)
    with pytest.raises(ValidationError, match="不予纳入"):
        services.reject_case(personas["cadre_a"], opened, reason="again", today=DAY)


def test_the_final_approval_of_a_rejected_case_is_refused(opened, personas):
    case, day = advance(opened, personas, until="county_filing")
    services.reject_case(personas["county_officer"], case, reason="县级复核发现家庭有经营实体", today=day)
    with pytest.raises(ValidationError, match="不予纳入"):
        services.act(personas["county_officer"], case, "county_filing", decision(day), today=day)
    case.household.refresh_from_db()
    assert case.household.monitoring_status == MonitoringStatus.NONE


def test_a_household_with_an_open_case_cannot_open_another(opened, personas, applicant_household):
    with pytest.raises(ValidationError, match="不能重复受理"):
        services.open_case(personas["cadre_a"], applicant_household, application=application(applicant_household),
                           today=DAY)
    assert Case.objects.count() == 1
