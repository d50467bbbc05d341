"""Verification clocks and outcomes (R-DISC-03, R-DISC-04): dispatch, two people at home, an
identification case opened from the lead or closing with a reason, serious risks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.audit.models import Event
from fangpin.cases.models import Case, CaseSource
from fangpin.discovery import services
from fangpin.discovery.models import Channel, Lead, LeadState
from fangpin.registry.models import Household, Member
from tests.discovery.conftest import DAY, raise_for, two_people
from tests.factories import id_number

pytestmark = pytest.mark.django_db
NEXT = DAY + dt.timedelta(days=1)


def _snapshot():
    return (list(Lead.objects.order_by("pk").values()), Case.objects.count(), Household.objects.count(),
            Member.objects.count(), Event.objects.count())


def test_two_named_people_verify_and_the_case_opened_links_back_R_DISC_03(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    result = services.verify_lead(personas["township_officer"], lead, today=DAY, **two_people())
    lead.refresh_from_db()
    case = lead.case
    assert lead.state == LeadState.CASE_OPENED and lead.current_due_on is None
    assert case.source == CaseSource.LEAD and case.household == households["a1"]
    assert case.origin_lead == lead and case.lead_ref == lead.reference  # the case's origin is the lead
    assert case.discovered_on == lead.discovered_on and case.current_step == "application"
    assert [p["name"] for p in lead.verifiers] == ["孙站长", "蔡书记"]
    assert "已启动识别程序" in result.message and case.reference in result.message


@pytest.mark.parametrize("verifiers", [
    [{"name": "孙站长"}],
    "孙站长 乡镇",
    [{"name": "孙站长"}, {"name": "孙站长"}],
    [{"name": "孙站长"}, {"name": "", "unit": "村两委"}],
])
def test_verification_by_one_person_is_refused_and_nothing_changes_R_DISC_03(verifiers, households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["township_officer"], lead, today=DAY, **two_people(verifiers=verifiers))
    assert "两人同行" in exc.value.message_dict["verifiers"][0]
    assert _snapshot() == before


def test_not_eligible_is_reported_for_closing_within_a_day_with_its_reason_R_DISC_03(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["cadre_a"], lead, today=DAY, **two_people(outcome="not_eligible"))
    assert "销号理由" in exc.value.message_dict["reason"][0]
    services.verify_lead(personas["cadre_a"], lead, today=DAY,
                         **two_people(outcome="not_eligible", reason="医保报销后自付不足两千元，收入稳定"))
    lead.refresh_from_db()
    assert lead.state == LeadState.AWAITING_CLOSING_REPORT and lead.current_due_on == NEXT
    assert not Case.objects.filter(household=households["a1"]).exists()
    services.close_lead(personas["township_officer"], lead, today=NEXT)
    lead.refresh_from_db()
    assert lead.state == LeadState.CLOSED and lead.closed_on == NEXT and lead.current_due_on is None


def test_county_leads_are_dispatched_before_verification_R_DISC_03(households, personas):
    lead = raise_for(personas["county_officer"], households["a1"], channel=Channel.PETITION).lead
    assert lead.state == LeadState.AWAITING_DISPATCH
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["township_officer"], lead, today=DAY, **two_people())
    assert "尚未由县级转交乡镇" in str(exc.value)
    with pytest.raises(PermissionDenied):
        services.dispatch_lead(personas["township_officer"], lead, today=DAY)
    assert _snapshot() == before
    services.dispatch_lead(personas["county_officer"], lead, assignee=personas["cadre_a"].pk, today=NEXT)
    lead.refresh_from_db()
    assert lead.state == LeadState.AWAITING_VERIFICATION and lead.dispatched_on == NEXT
    assert lead.clock_started_on == NEXT and lead.current_due_on == NEXT + dt.timedelta(days=1)
    assert lead.assignee == personas["cadre_a"]


@pytest.mark.parametrize("action", ["dispatch", "verify_again", "close_open", "close_case", "serious_before_dispatch"])
def test_actions_out_of_order_are_refused_in_chinese_and_change_nothing_R_DISC_03(action, households, personas):
    officer, township = personas["county_officer"], personas["township_officer"]
    if action == "serious_before_dispatch":
        lead = raise_for(officer, households["a1"]).lead
    else:
        lead = raise_for(personas["cadre_a"], households["a1"]).lead
    if action in ("verify_again", "close_case"):
        services.verify_lead(township, lead, today=DAY, **two_people())
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        if action == "dispatch":
            services.dispatch_lead(officer, lead, today=DAY)
        elif action == "verify_again":
            services.verify_lead(township, lead, today=DAY, **two_people())
        elif action in ("close_open", "close_case"):
            services.close_lead(township, lead, today=DAY)
        else:
            services.flag_serious(township, lead, kind="individual", note="重病", departments="医保局", today=DAY)
    text = "；".join(m for msgs in exc.value.message_dict.values() for m in msgs)
    assert lead.reference in text and any(w in text for w in ("不能", "已"))
    assert _snapshot() == before


def test_a_verified_unregistered_person_becomes_an_ordinary_household_R_DISC_01(county, personas):
    number = id_number(dt.date(1985, 7, 1))
    lead = raise_for(personas["cadre_a"], None, id_number=number, person_name="陈新来", person_phone="13955619999",
                     address="蔡桥村东头", division_code=county["ga1"].code).lead
    before = Household.objects.count()
    services.verify_lead(personas["township_officer"], lead, today=DAY, **two_people())
    lead.refresh_from_db()
    assert Household.objects.count() == before + 1
    household = lead.household
    assert household.category == "ordinary" and household.group == county["ga1"]
    head = household.members.get()
    assert head.id_number == number and head.name == "陈新来" and head.relation == "户主"
    assert lead.case.household == household and lead.case.origin_lead == lead


def test_an_unregistered_person_closed_after_verification_gets_no_household_R_DISC_01(county, personas):
    lead = raise_for(personas["cadre_a"], None, person_name="陈某", division_code=county["va"].code).lead
    before = Household.objects.count()
    services.verify_lead(personas["township_officer"], lead, today=DAY,
                         **two_people(outcome="not_eligible", reason="查无此人，反映情况不实"))
    assert Household.objects.count() == before


def test_a_person_without_id_number_needs_it_before_a_case_opens_R_DISC_01(county, personas):
    lead = raise_for(personas["cadre_a"], None, person_name="陈某", division_code=county["va"].code).lead
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["township_officer"], lead, today=DAY, **two_people())
    assert "身份证号" in exc.value.message_dict["id_number"][0]
    assert _snapshot() == before
    services.verify_lead(personas["township_officer"], lead, today=DAY,
                         **two_people(id_number=id_number(dt.date(1990, 1, 1))))
    lead.refresh_from_db()
    assert lead.state == LeadState.CASE_OPENED and lead.household.members.get().name == "陈某"


def test_a_case_the_engine_refuses_leaves_the_lead_unverified_R_DISC_03(households, personas):
    """A monitored household cannot be identified again: nothing is half saved (no household, no case)."""
    lead = raise_for(personas["cadre_a"], households["a2"]).lead  # a2 is already monitored
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["township_officer"], lead, today=DAY, **two_people())
    assert "已是监测对象" in str(exc.value)
    assert _snapshot() == before


def test_a_grid_worker_raises_but_cannot_verify_R_DISC_03(households, personas):
    lead = raise_for(personas["grid_worker"], households["a1"]).lead
    with pytest.raises(PermissionDenied) as exc:
        services.verify_lead(personas["grid_worker"], lead, today=DAY, **two_people())
    assert "入户核实" in str(exc.value)


def test_another_village_cannot_act_on_the_lead_R_DISC_03(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.verify_lead(personas["cadre_b"], lead, today=DAY, **two_people())
    assert _snapshot() == before


def test_a_serious_risk_is_reported_to_the_county_within_three_working_days_R_DISC_04(households, personas):
    township = personas["township_officer"]
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    friday = dt.date(2026, 5, 15)
    result = services.flag_serious(township, lead, kind="scale", note="全组多户因洪灾房屋受损",
                                   departments="应急管理局、住建局", today=friday)
    lead.refresh_from_db()
    assert lead.serious_report_due_on == dt.date(2026, 5, 20)  # Fri + 3 working days = next Wed
    assert "2026-05-20" in result.message
    with pytest.raises(ValidationError):
        services.flag_serious(township, lead, kind="scale", note="再次", departments="应急管理局", today=friday)
    services.report_serious(township, lead, report="会同应急管理局、住建局调查：5户房屋受损，已安排临时救助",
                            today=dt.date(2026, 5, 19))
    lead.refresh_from_db()
    assert lead.serious_reported_on == dt.date(2026, 5, 19) and not lead.serious_pending
    with pytest.raises(ValidationError):
        services.report_serious(township, lead, report="重复", today=dt.date(2026, 5, 19))


def test_a_stale_form_is_refused_R_DISC_03(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["township_officer"], lead, today=DAY, expected_version=lead.version + 1,
                             **two_people())
    assert "已被他人办理" in exc.value.message_dict["version"][0]
    assert _snapshot() == before


def test_a_person_registered_in_another_area_is_not_registered_twice_R_DISC_01(households, personas, county):
    """Village B raised a lead about someone registered in village A: opening a case is refused with the
    neutral message (nothing about the other household), and nothing is created."""
    holder = households["a1"].members.get(relation="户主")
    lead = raise_for(personas["cadre_b"], None, id_number=holder.id_number, person_name="蔡德胜",
                     division_code=county["vb"].code).lead
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        services.verify_lead(personas["cadre_b"], lead, today=DAY, **two_people())
    text = exc.value.message_dict["outcome"][0]
    assert "已在其他地区登记" in text and "蔡桥村" not in text and households["a1"].number not in text
    assert _snapshot() == before
