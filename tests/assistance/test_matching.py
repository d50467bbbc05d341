"""Policy matching with reasons (R-AID-03) and the plan check against "一兜了之" (R-AID-04)."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fangpin.assistance import matching
from fangpin.assistance.models import Measure, MeasureKind, MeasureStatus
from fangpin.registry.models import Member
from tests.assistance.test_plans import DAY, make_catalogue
from tests.cases.conftest import add_income
from tests.factories import id_number


@pytest.fixture
def family(households):
    """蔡永华's household: a marginal household at risk because of illness, with a disabled wife, a student
    daughter and the head a common labourer; income 2025 recorded."""
    h = households["a2"]
    h.risk_types = ["因病", "因学"]
    h.save(update_fields=["risk_types"])
    Member.objects.create(household=h, id_number=id_number(dt.date(1976, 3, 15), False), name="刘翠兰", sex="女", relation="配偶",
                          birth_date=dt.date(1976, 3, 15), labour="弱劳动力或半劳动力", disability_grade="三级",
                          health="残疾")
    Member.objects.create(household=h, id_number=id_number(dt.date(2008, 9, 12), False), name="蔡欣怡", sex="女", relation="之女",
                          birth_date=dt.date(2008, 9, 12), labour="无劳动力", student_status="普通高中二年级")
    add_income(h, 2025, 6800)
    return h


def test_facts_read_in_three_queries_R_AID_03(family):
    with CaptureQueriesContext(connection) as ctx:
        facts = matching.household_facts(family, today=DAY)
    assert len(ctx.captured_queries) <= 3
    assert facts.category == "marginal_at_risk" and facts.risk_types == ("因病", "因学")
    assert [m.name for m in facts.members] == ["蔡永华", "刘翠兰", "蔡欣怡"]
    assert facts.per_capita_income == Decimal("6800.00") and facts.income_year == 2025
    wife = facts.members[1]
    assert wife.disabled and wife.age == 50
    assert facts.members[2].student


def test_proposals_say_which_conditions_matched_with_which_values_R_AID_03(family, county):
    catalogue = make_catalogue(county["county"])
    proposals = matching.propose(family, catalogue, today=DAY)
    by_name = {p.policy.name: p for p in proposals}
    # Disability allowance: the wife, with her grade.
    allowance = by_name["困难残疾人生活补贴和重度残疾人护理补贴"]
    assert allowance.eligible and allowance.score == 1.0
    assert ("有残疾成员", "刘翠兰（配偶）残疾三级") in allowance.matched
    assert [m.name for m in allowance.members] == ["刘翠兰"]
    # Medical assistance matched on the risk type "因病".
    medical = by_name["医疗救助"]
    assert medical.matched == [("风险类型含因病", "因病")]
    # 雨露计划 for the student daughter.
    assert ("有在校学生", "蔡欣怡（之女）普通高中二年级") in by_name["雨露计划"].matched
    # 低保 by income: 6800 under the 8000 line, named with the year.
    dibao = by_name["农村最低生活保障"]
    assert ("人均纯收入不高于8,000元", "2025年6,800元") in dibao.matched
    # A public-welfare post for the head (16–60, common labourer) is eligible; the industry grant is
    # eligible for a marginal household with a full labourer.
    assert by_name["乡村公益性岗位"].eligible
    assert ("户类别为脱贫不稳定户、边缘易致贫户", "边缘易致贫户") in by_name["产业发展奖补"].matched
    # Eligible ones come first, best score first.
    firsts = [p.eligible for p in proposals]
    assert firsts == sorted(firsts, reverse=True)


def test_unmatched_conditions_are_shown_with_the_households_value_R_AID_03(family, county):
    catalogue = make_catalogue(county["county"])
    family.category = "formerly_poor"
    family.save(update_fields=["category"])
    proposals = {p.policy.name: p for p in matching.propose(family, catalogue, today=DAY)}
    grant = proposals["产业发展奖补"]
    assert not grant.eligible and 0 < grant.score < 1
    assert ("户类别为脱贫不稳定户、边缘易致贫户", "脱贫户") in grant.unmatched
    only_eligible = matching.propose(family, catalogue, today=DAY, include_partial=False)
    assert "产业发展奖补" not in {p.policy.name for p in only_eligible}


def test_no_income_record_is_never_a_match_R_AID_03(households, county):
    catalogue = make_catalogue(county["county"])
    proposals = {p.policy.name: p for p in matching.propose(households["a2"], catalogue, today=DAY)}
    dibao = proposals.get("农村最低生活保障")
    assert dibao is None or ("人均纯收入不高于8,000元", "尚无收入记录") in dibao.unmatched


def test_propose_is_fast_for_a_60_policy_catalogue_without_per_policy_queries_R_AID_03(family, county):
    catalogue = make_catalogue(county["county"], extra=54)
    assert catalogue.policies.count() == 60
    matching.propose(family, catalogue, today=DAY)  # warm the profile cache
    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        proposals = matching.propose(family, catalogue, today=DAY)
        elapsed = time.perf_counter() - started
    assert len(ctx.captured_queries) <= 4
    assert elapsed < 0.05, f"{elapsed * 1000:.1f} ms"
    assert len(proposals) >= 6


def _m(kind, status=MeasureStatus.PLANNED):
    return Measure(kind=kind, status=status)


def test_labour_household_without_developmental_measure_is_flagged_R_AID_04(family):
    facts = matching.household_facts(family, today=DAY)
    flags = matching.check_plan(facts, [_m(MeasureKind.SAFETY_NET)])
    assert [f.code for f in flags] == ["no_developmental"]
    assert "蔡永华（普通劳动力）" in flags[0].message and "一兜了之" in flags[0].message
    assert matching.check_plan(facts, [_m(MeasureKind.DEVELOPMENTAL), _m(MeasureKind.SAFETY_NET)]) == []
    # A refused or cancelled developmental measure does not count.
    assert [f.code for f in matching.check_plan(facts, [_m(MeasureKind.DEVELOPMENTAL, MeasureStatus.REFUSED)])] == [
        "no_developmental"]


def test_weak_labour_household_is_flagged_for_a_developmental_attempt_R_AID_04(family):
    family.members.filter(relation="户主").update(labour="弱劳动力或半劳动力")
    facts = matching.household_facts(family, today=DAY)
    assert [f.code for f in matching.check_plan(facts, [])] == ["weak_labour_developmental"]
    assert matching.check_plan(facts, [_m(MeasureKind.DEVELOPMENTAL)]) == []


def test_no_labour_household_without_safety_net_is_flagged_R_AID_04(family):
    family.members.update(labour="丧失劳动力")
    facts = matching.household_facts(family, today=DAY)
    assert facts.without_labour
    flags = matching.check_plan(facts, [_m(MeasureKind.OTHER)])
    assert [f.code for f in flags] == ["no_safety_net"]
    assert "兜底保障" in flags[0].message
    assert matching.check_plan(facts, [_m(MeasureKind.SAFETY_NET)]) == []
