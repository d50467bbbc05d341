"""Deliberation (R-ID-05): validity with ≥ 2/3 present, pass with approvals > half of those present,
participant groups and fractions from the profile; an invalid meeting cannot pass a case."""

import pytest
from django.core.exceptions import ValidationError

from fangpin.cases import services
from fangpin.cases.models import CaseStatus, CaseStep
from fangpin.policy import quorum

from .conftest import DAY, deliberation, verification


@pytest.fixture
def at_deliberation(opened, personas):
    services.act(personas["cadre_a"], opened, "verification", verification(), today=DAY)
    opened.refresh_from_db()
    assert opened.current_step == "deliberation"
    return opened


@pytest.mark.parametrize("expected, present, approvals, valid, passed", [
    (9, 6, 4, True, True),     # exactly 2/3 present is valid; 4 of 6 > half
    (9, 5, 5, False, False),   # 5/9 < 2/3: invalid even with unanimous approval
    (12, 8, 4, True, False),   # exactly half approving fails
    (12, 8, 5, True, True),
    (3, 2, 1, True, False),
    (3, 3, 2, True, True),
])
def test_quorum_edges_R_ID_05(expected, present, approvals, valid, passed):
    result = quorum.evaluate(expected, present, approvals, "2/3", "1/2")
    assert (result.valid, result.passed) == (valid, passed)


def test_exactly_two_thirds_present_and_more_than_half_approving_passes_the_case_R_ID_05(at_deliberation, personas):
    services.act(personas["cadre_a"], at_deliberation, "deliberation",
                 deliberation(expected=(6, 2, 1), present=(4, 1, 1), approvals=4), today=DAY)
    at_deliberation.refresh_from_db()
    assert at_deliberation.current_step == "cross_check"
    row = CaseStep.objects.get(case=at_deliberation, key="deliberation")
    assert row.payload["result"]["valid"] and row.payload["result"]["passed"]
    assert row.payload["counts"]["villager_representatives"] == {"name": "村民代表", "expected": 6, "present": 4}
    assert row.params["deliberation.presence_fraction"] == "2/3"
    assert row.params["deliberation.approval_fraction"] == "1/2"
    assert row.params["profile"] == "suixi"


def test_exactly_half_approving_rejects_the_case_with_the_figures_R_ID_05(at_deliberation, personas):
    result = services.act(personas["cadre_a"], at_deliberation, "deliberation",
                          deliberation(expected=(6, 2, 1), present=(5, 2, 1), approvals=4), today=DAY)
    at_deliberation.refresh_from_db()
    assert at_deliberation.status == CaseStatus.REJECTED
    assert "民主评议未通过" in at_deliberation.rejection_reason and "赞成4人" in at_deliberation.rejection_reason
    assert "不予通过" in result.message


def test_an_invalid_meeting_is_recorded_but_cannot_pass_the_case_R_ID_05(at_deliberation, personas):
    result = services.act(personas["cadre_a"], at_deliberation, "deliberation",
                          deliberation(expected=(9, 4, 2), present=(5, 3, 1), approvals=9), today=DAY)
    assert "评议会无效" in result.message
    at_deliberation.refresh_from_db()
    assert at_deliberation.status == CaseStatus.OPEN and at_deliberation.current_step == "deliberation"
    row = CaseStep.objects.get(case=at_deliberation, key="deliberation")
    assert row.status == "current" and len(row.payload["invalid_meetings"]) == 1
    # A new, valid meeting then decides.
    services.act(personas["cadre_a"], at_deliberation, "deliberation", deliberation(), today=DAY)
    at_deliberation.refresh_from_db()
    assert at_deliberation.current_step == "cross_check"


@pytest.mark.parametrize("change, field, message", [
    ({"expected_party_members": ""}, "expected_party_members", "应到中共党员人数未填写"),
    ({"present_villager_representatives": None}, "present_villager_representatives", "实到村民代表人数未填写"),
    ({"approvals": ""}, "approvals", "赞成人数未填写"),
    ({"present_village_cadres": 5}, "present_village_cadres", "实到村干部人数不能多于应到人数"),
    ({"approvals": 30}, "approvals", "赞成人数不能多于实到人数"),
    ({"approvals": "十"}, "approvals", "赞成人数应为整数"),
    ({"meeting_date": "2026-05-01"}, "meeting_date", "评议会日期不能早于本步骤开始日期"),
    ({"meeting_date": "2026-06-01"}, "meeting_date", "评议会日期不能晚于"),
])
def test_missing_or_impossible_attendance_figures_are_refused_and_nothing_changes_R_ID_05(
        at_deliberation, personas, change, field, message):
    version = at_deliberation.version
    with pytest.raises(ValidationError) as err:
        services.act(personas["cadre_a"], at_deliberation, "deliberation", deliberation(**change), today=DAY)
    assert message in err.value.message_dict[field][0]
    at_deliberation.refresh_from_db()
    assert at_deliberation.version == version
    assert "invalid_meetings" not in CaseStep.objects.get(case=at_deliberation, key="deliberation").payload


def test_deliberation_fractions_come_from_the_profile_R_ID_05_R_CFG_01(at_deliberation, personas, monkeypatch):
    from fangpin.profiles.models import PolicyProfile
    from fangpin.profiles.services import profile_for_county

    row = PolicyProfile.objects.get(key="suixi")
    data = dict(row.data)
    data["deliberation"] = {**data["deliberation"], "presence_fraction": "3/4"}
    row.data = data
    row.save()
    profile_for_county.cache_clear()
    result = services.act(personas["cadre_a"], at_deliberation, "deliberation",
                          deliberation(expected=(6, 2, 1), present=(4, 1, 1), approvals=5), today=DAY)
    assert "评议会无效" in result.message and "3/4" in result.message
