"""Public notices (R-ID-06): batch notices with start and end dates, minimum duration, objections that
block the next step, doubts that send the case back to verification (R-ID-04), announcements."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.cases import services
from fangpin.cases.models import CaseStatus, CaseStep, Notice, NoticeEntry, Objection
from tests.factories import household as make_household

from .conftest import add_income, advance, application, decision

TUE = dt.date(2026, 9, 29)  # the week before National Day 2026 (1–7 October are holidays)
WED = dt.date(2026, 9, 30)


def _open(personas, h, day):
    category = "unstable_formerly_poor" if h.category == "formerly_poor" else "marginal_at_risk"
    return services.open_case(personas["cadre_a"], h, application=application(
        h, application_date=day.isoformat(), consent_date=day.isoformat(), category=category), today=day).case


@pytest.fixture
def two_at_village_decision(applicant_household, county, personas):
    second = make_household(county["grid_a2"], "3406211002010009", "蔡永年", category="ordinary",
                            members=[("张桂芳", "配偶", dt.date(1974, 4, 4), False)])
    add_income(second, 2026, 4800, purpose="identification")
    cases = []
    for h in (applicant_household, second):
        case = _open(personas, h, TUE)
        case, _ = advance(case, personas, until="village_decision", day=TUE)
        cases.append(case)
    return cases


def _decide_and_publish(personas, cases, day=WED):
    for c in cases:
        services.act(personas["cadre_a"], c, "village_decision", decision(day), today=day)
    return services.publish_notice(personas["cadre_a"], "village_decision", cases, starts_on=day, today=day)


def test_a_seven_day_notice_across_national_day_2026_R_ID_06_R_CFG_03(two_at_village_decision, personas):
    case = two_at_village_decision[0]
    row = CaseStep.objects.get(case=case, key="village_decision")
    # Due: 7 notice days after 29 September, then 2 working days; 7 October is a holiday.
    assert row.started_on == TUE and row.due_on == dt.date(2026, 10, 9)
    notice = _decide_and_publish(personas, two_at_village_decision)
    assert (notice.starts_on, notice.ends_on, notice.days) == (WED, dt.date(2026, 10, 6), 7)
    assert notice.number == "GS-340621100201-2026-001" and notice.entries.count() == 2
    with pytest.raises(ValidationError, match="公示期未满.*2026-10-07起方可结束"):
        services.close_notice(personas["cadre_a"], notice, today=dt.date(2026, 10, 6))
    case.refresh_from_db()
    assert case.current_step == "village_decision" and case.phase == "in_notice"
    result = services.close_notice(personas["cadre_a"], notice, today=dt.date(2026, 10, 7))
    assert len(result["completed"]) == 2 and result["blocked"] == []
    case.refresh_from_db()
    assert case.current_step == "township_approval"
    township = CaseStep.objects.get(case=case, key="township_approval")
    # 7 notice days from 7 October, then 2 working days: 15 and 16 October.
    assert township.started_on == dt.date(2026, 10, 7) and township.due_on == dt.date(2026, 10, 16)
    with pytest.raises(ValidationError, match="已结束"):
        services.close_notice(personas["cadre_a"], notice, today=dt.date(2026, 10, 8))


def test_an_objection_blocks_the_next_step_until_resolved_R_ID_06(two_at_village_decision, personas):
    first, second = two_at_village_decision
    notice = _decide_and_publish(personas, two_at_village_decision)
    services.record_objection(personas["cadre_a"], first, content="该户儿子在城里有商品房", received_on="2026-10-02",
                              raised_by="", today=dt.date(2026, 10, 2))
    result = services.close_notice(personas["cadre_a"], notice, today=dt.date(2026, 10, 7))
    assert result["blocked"] == [first.reference] and result["completed"] == [second.reference]
    first.refresh_from_db()
    assert first.current_step == "village_decision" and first.phase == "in_notice"
    with pytest.raises(ValidationError, match="已办理完成|当前应办理"):
        services.act(personas["township_officer"], first, "township_approval", decision(dt.date(2026, 10, 8)),
                     today=dt.date(2026, 10, 8))
    objection = Objection.objects.get(case=first)
    result = services.resolve_objection(personas["cadre_a"], objection, outcome="unfounded",
                                        resolution="经核实，商品房登记在已分户的儿子名下，不属本户", today=dt.date(2026, 10, 8))
    assert "公示已期满" in result.message
    first.refresh_from_db()
    assert first.current_step == "township_approval"
    assert CaseStep.objects.get(case=first, key="township_approval").started_on == dt.date(2026, 10, 8)
    with pytest.raises(ValidationError, match="已处理"):
        services.resolve_objection(personas["cadre_a"], objection, outcome="upheld", resolution="x",
                                   today=dt.date(2026, 10, 8))


def test_a_doubt_sends_the_case_back_to_verification_and_out_of_the_notice_R_ID_04(two_at_village_decision, personas):
    first, second = two_at_village_decision
    notice = _decide_and_publish(personas, two_at_village_decision)
    objection = services.record_objection(personas["cadre_a"], first, content="反映该户有人在外务工收入较高",
                                          received_on=WED, today=WED)
    result = services.resolve_objection(personas["cadre_a"], objection, outcome="reverify",
                                        resolution="情况存疑，需重新入户核实务工收入", today=dt.date(2026, 10, 2))
    assert "重新核实" in result.message
    first.refresh_from_db()
    assert first.current_step == "verification" and first.status == CaseStatus.OPEN
    rows = list(CaseStep.objects.filter(case=first, key="verification").order_by("id"))
    assert [r.attempt for r in rows] == [1, 2] and rows[1].status == "current"
    assert CaseStep.objects.get(case=first, key="village_decision").status == "returned"
    entry = NoticeEntry.objects.get(notice=notice, case=first)
    assert entry.withdrawn and entry.withdrawn_reason == "退回重新核实"
    # Every later step must be done again, in order.
    with pytest.raises(ValidationError, match="不能跳过"):
        services.act(personas["cadre_a"], first, "village_decision", decision(dt.date(2026, 10, 2)),
                     today=dt.date(2026, 10, 2))
    services.close_notice(personas["cadre_a"], notice, today=dt.date(2026, 10, 7))
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.current_step == "township_approval" and first.current_step == "verification"


def test_an_upheld_objection_rejects_the_case_with_a_reason_R_ID_04(two_at_village_decision, personas):
    first = two_at_village_decision[0]
    _decide_and_publish(personas, two_at_village_decision)
    objection = services.record_objection(personas["cadre_a"], first, content="该户经营一家超市",
                                          received_on=WED, today=WED)
    services.resolve_objection(personas["cadre_a"], objection, outcome="upheld", resolution="核实该户经营超市，年收入较高",
                               today=dt.date(2026, 10, 1))
    first.refresh_from_db()
    assert first.status == CaseStatus.REJECTED
    assert "公示期间异议经核实成立" in first.rejection_reason


def test_send_back_on_doubt_without_objection_R_ID_04(two_at_village_decision, personas):
    first = two_at_village_decision[0]
    _decide_and_publish(personas, two_at_village_decision)
    services.send_back(personas["cadre_a"], first, reason="村两委对家庭收入情况存疑", today=dt.date(2026, 10, 1))
    first.refresh_from_db()
    assert first.current_step == "verification"
    with pytest.raises(ValidationError, match="尚未完成入户核实"):
        services.send_back(personas["cadre_a"], first, reason="再退", today=dt.date(2026, 10, 1))


@pytest.mark.parametrize("received, today, message", [
    ("2026-09-29", dt.date(2026, 10, 2), "不能早于公示开始日期"),
    ("2026-10-03", dt.date(2026, 10, 2), "不能晚于2026-10-02"),
    ("", dt.date(2026, 10, 2), "收到异议日期不能为空"),
])
def test_objections_are_recorded_only_within_the_period_R_ID_06(two_at_village_decision, personas, received, today, message):
    first = two_at_village_decision[0]
    _decide_and_publish(personas, two_at_village_decision)
    with pytest.raises(ValidationError, match=message):
        services.record_objection(personas["cadre_a"], first, content="异议", received_on=received, today=today)
    assert not Objection.objects.exists()


def test_no_objection_outside_a_notice_or_after_it_closed_R_ID_06(two_at_village_decision, personas):
    first, _ = two_at_village_decision
    with pytest.raises(ValidationError, match="只有公示期间"):
        services.record_objection(personas["cadre_a"], first, content="异议", received_on=TUE, today=TUE)
    notice = _decide_and_publish(personas, two_at_village_decision)
    services.record_objection(personas["cadre_a"], first, content="异议一", received_on=WED, today=WED)
    services.close_notice(personas["cadre_a"], notice, today=dt.date(2026, 10, 7))
    with pytest.raises(ValidationError, match="公示已结束"):
        services.record_objection(personas["cadre_a"], first, content="异议二", received_on="2026-10-06",
                                  today=dt.date(2026, 10, 8))


def test_publishing_refuses_backdating_mixed_villages_and_undecided_cases_R_ID_06(
        two_at_village_decision, personas, county):
    first, second = two_at_village_decision
    services.act(personas["cadre_a"], first, "village_decision", decision(WED), today=WED)
    with pytest.raises(ValidationError, match="不能倒签"):
        services.publish_notice(personas["cadre_a"], "village_decision", [first], starts_on=TUE, today=WED)
    with pytest.raises(ValidationError, match="待发布公示"):
        services.publish_notice(personas["cadre_a"], "village_decision", [first, second], starts_on=WED, today=WED)
    with pytest.raises(ValidationError, match="请至少选择一户"):
        services.publish_notice(personas["cadre_a"], "village_decision", [], starts_on=WED, today=WED)
    with pytest.raises(ValidationError, match="已研究确定"):
        services.act(personas["cadre_a"], first, "village_decision", decision(WED), today=WED)
    assert not Notice.objects.exists()
    services.publish_notice(personas["cadre_a"], "village_decision", [first], starts_on=WED, today=WED)
    with pytest.raises(ValidationError, match="待发布公示"):
        services.publish_notice(personas["cadre_a"], "village_decision", [first], starts_on=WED, today=WED)


def test_a_township_notice_holds_one_township_and_is_closed_by_township_staff(opened, personas, county):
    case, day = advance(opened, personas, until="township_approval")
    services.act(personas["township_officer"], case, "township_approval", decision(day), today=day)
    with pytest.raises(PermissionDenied, match="只能由乡镇工作人员办理"):
        services.publish_notice(personas["cadre_a"], "township_approval", [case], starts_on=day, today=day)
    notice = services.publish_notice(personas["township_officer"], "township_approval", [case], starts_on=day, today=day)
    assert notice.division_code == "340621100" and notice.kind == "township_notice"
    with pytest.raises(PermissionDenied):
        services.close_notice(personas["cadre_a"], notice, today=notice.ends_on + dt.timedelta(days=1))


def test_the_county_announcement_follows_filing_and_needs_no_closing_R_ID_06(opened, personas):
    case, day = advance(opened, personas, until="county_filing")
    with pytest.raises(ValidationError, match="已备案"):
        services.publish_notice(personas["county_officer"], "county_filing", [case], starts_on=day, today=day)
    services.act(personas["county_officer"], case, "county_filing", decision(day), today=day)
    notice = services.publish_notice(personas["county_officer"], "county_filing", [case], starts_on=day, today=day)
    assert notice.kind == "county_announcement" and notice.number.startswith("GG-340621-")
    assert notice.days == 7 and notice.ends_on == day + dt.timedelta(days=6)
    case.refresh_from_db()
    assert case.announced
    with pytest.raises(ValidationError, match="无需办理结束"):
        services.close_notice(personas["county_officer"], notice, today=day + dt.timedelta(days=10))
    with pytest.raises(ValidationError, match="尚未公告"):
        services.publish_notice(personas["county_officer"], "county_filing", [case], starts_on=day, today=day)


def test_rejecting_a_case_in_notice_closes_its_pending_objections_R_ID_06(two_at_village_decision, personas):
    first = two_at_village_decision[0]
    _decide_and_publish(personas, two_at_village_decision)
    objection = services.record_objection(personas["cadre_a"], first, content="反映情况", received_on=WED, today=WED)
    services.reject_case(personas["cadre_a"], first, reason="申请人主动撤回申请", today=dt.date(2026, 10, 1))
    objection.refresh_from_db()
    assert objection.outcome == "closed" and objection.resolved_on == dt.date(2026, 10, 1)
    with pytest.raises(ValidationError, match="已处理"):
        services.resolve_objection(personas["cadre_a"], objection, outcome="unfounded", resolution="x",
                                   today=dt.date(2026, 10, 1))
    second = services.record_objection(personas["cadre_a"], two_at_village_decision[1], content="另一条",
                                       received_on=WED, today=WED)
    with pytest.raises(ValidationError, match="请选择处理结果"):
        services.resolve_objection(personas["cadre_a"], second, outcome="closed", resolution="x",
                                   today=dt.date(2026, 10, 1))
