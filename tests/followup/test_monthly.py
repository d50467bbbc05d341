"""The monthly visit of a monitored household by its assistance contact (R-TRACK-02): one door, one
transaction, once per household and month, idempotent resubmits, nothing half-saved on a refusal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import OutOfScope
from fangpin.assistance.models import ContactAssignment, Measure, MeasureStatus
from fangpin.audit.models import Event as AuditEvent
from fangpin.discovery.models import Lead
from fangpin.followup import monthly, services, tickets
from fangpin.followup.models import MemberChange, Ticket, Visit, VisitSchedule
from fangpin.registry.models import IncomeRecord
from tests.factories import id_number, user

DAY = dt.date(2026, 11, 20)


@pytest.fixture
def setup(households, personas):
    h = households["a2"]  # monitored, village 蔡桥村
    contact = personas["contact"]
    ContactAssignment.objects.create(household=h, contact=contact, assigned_on=dt.date(2026, 6, 1))
    measure = Measure.objects.create(household=h, category="产业帮扶", content="发展肉牛养殖", status=MeasureStatus.IN_PLACE)
    return {"h": h, "contact": contact, "measure": measure}


def form(measure=None, **over) -> dict:
    data = {
        "visited_on": DAY.isoformat(), "mode": "home",
        "income": {"wage_other": "2600", "production_income": "800", "transfer_dibao": "450",
                   "production_expense": "300"},
        "basic_needs": {"food": True, "clothing": True, "education": True, "medical": True, "housing": "B",
                        "water": True, "note": ""},
        "measures": [{"measure": measure.pk, "in_place": True, "effect": "good", "note": "已购牛犊两头"}] if measure else [],
        "findings": "户主在县城务工，家中种植玉米",
    }
    data.update(over)
    return data


def counts() -> tuple:
    return (Visit.objects.count(), IncomeRecord.objects.count(), MemberChange.objects.count(), Lead.objects.count(),
            Ticket.objects.count(), AuditEvent.objects.filter(action="visit.monthly").count())


def test_monthly_visit_happy_path_stores_income_measures_and_month_R_TRACK_02(setup):
    s = setup
    result = monthly.record_monthly_visit(s["contact"], s["h"], form(s["measure"]), today=DAY, idempotency_key="k-12345678")
    v = result.obj
    assert result.created and v.purpose == "monthly" and v.month == dt.date(2026, 11, 1)
    income = v.income_record
    assert income.period == "month" and income.month == 11 and income.year == 2026 and income.purpose == "regular"
    assert income.net_income == Decimal("3550.00") == v.income_total
    assert v.measures_status[0]["measure"] == s["measure"].pk and v.measures_status[0]["effect"] == "good"
    assert v.basic_needs["food"] is True and v.basic_needs["housing"] == "B"
    assert AuditEvent.objects.filter(action="visit.monthly").count() == 1
    assert "2026年11月" in result.message


def test_monthly_visit_opens_tickets_for_insecure_dimensions_R_TRACK_02_R_TRACK_05(setup, monkeypatch):
    s = setup
    seen = []
    real = tickets.open_from_findings

    def spy(actor, household, problems, **kw):
        seen.append((problems, kw))
        return real(actor, household, problems, **kw)

    monkeypatch.setattr(tickets, "open_from_findings", spy)
    bn = {"food": True, "clothing": True, "education": True, "medical": False, "housing": "C", "water": False,
          "note": "户主慢性病未办门诊慢特病；房屋漏雨；自来水停供"}
    v = monthly.record_monthly_visit(s["contact"], s["h"], form(basic_needs=bn), today=DAY).obj
    problems, kw = seen[0]
    assert sorted(p["dimension"] for p in problems) == ["housing", "medical", "water"]
    assert kw["source"] == "visit" and kw["visit"] == v and all(p["difficulty"] == "general" for p in problems)
    found = Ticket.objects.filter(household=s["h"], visit=v)
    assert set(found.values_list("dimension", flat=True)) == {"housing", "medical", "water"}
    assert all(t.status == "open" and t.source == "visit" and t.difficulty == "general" for t in found)


def test_insecure_dimension_without_note_refused_R_TRACK_02(setup):
    s = setup
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(basic_needs={**form()["basic_needs"], "water": False}),
                                     today=DAY)
    assert "问题情况" in exc.value.message_dict["basic_needs.note"][0]
    assert counts() == before


def test_future_visit_refused_R_TRACK_02(setup):
    s = setup
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(visited_on="2026-11-21"), today=DAY)
    assert "走访日期不能晚于2026-11-20" in exc.value.message_dict["visited_on"][0]
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(visited_on="2026-09-30"), today=DAY)
    assert "不能早于上月1日 2026-10-01" in exc.value.message_dict["visited_on"][0]
    assert counts() == before


def test_second_visit_same_month_refused_R_TRACK_02(setup):
    s = setup
    monthly.record_monthly_visit(s["contact"], s["h"], form(visited_on="2026-11-03"), today=DAY)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(), today=DAY, idempotency_key="other-key-1")
    msg = exc.value.message_dict["visited_on"][0]
    assert "2026年11月的月访视已于2026-11-03录入" in msg
    assert counts() == before
    # The previous month is still open for a late entry.
    assert monthly.record_monthly_visit(s["contact"], s["h"], form(visited_on="2026-10-28"), today=DAY).created


def test_same_idempotency_key_twice_makes_one_visit_R_TRACK_02(setup):
    s = setup
    first = monthly.record_monthly_visit(s["contact"], s["h"], form(), today=DAY, idempotency_key="visit-abc-123")
    before = counts()
    again = monthly.record_monthly_visit(s["contact"], s["h"], form(), today=DAY, idempotency_key="visit-abc-123")
    assert not again.created and again.obj.pk == first.obj.pk and "未重复录入" in again.message
    assert counts() == before
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(), today=DAY, idempotency_key="bad key!")
    assert "提交标识" in exc.value.message_dict["idempotency_key"][0]


@pytest.mark.parametrize("field,value,text", [
    ("wage_other", "-100", "其他工资性收入不能为负数"),
    ("production_income", "abc", "生产经营性收入必须是数字"),
    ("wage_other", "250000", "其他工资性收入 250000.00 元超过当月200000元"),
])
def test_negative_or_absurd_income_refused_naming_the_field_R_TRACK_02(setup, field, value, text):
    s = setup
    before = counts()
    data = form()
    data["income"] = {**data["income"], field: value}
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], data, today=DAY)
    assert text in exc.value.message_dict[f"income.{field}"][0]
    assert counts() == before


def test_total_income_above_the_profile_limit_refused_R_TRACK_02(setup):
    s = setup
    data = form()
    data["income"] = {"wage_other": "150000", "production_income": "120000"}
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], data, today=DAY)
    assert "明显不合理" in exc.value.message_dict["income"][0]
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(income={}), today=DAY)
    assert "请填写当月收入" in exc.value.message_dict["income"][0]


def test_only_the_current_contact_records_it_R_TRACK_02(setup, personas, county):
    s = setup
    before = counts()
    other = user("contact_x", Role.ASSISTANCE_CONTACT, county["va"], display_name="另一联系人")
    with pytest.raises(PermissionDenied) as exc:
        monthly.record_monthly_visit(other, s["h"], form(), today=DAY)
    assert "该户的帮扶联系人不是您" in str(exc.value)
    with pytest.raises(PermissionDenied):
        monthly.record_monthly_visit(personas["cadre_a"], s["h"], form(), today=DAY)
    far = user("contact_far", Role.ASSISTANCE_CONTACT, county["vc"], display_name="马桥联系人")
    with pytest.raises(OutOfScope):
        monthly.record_monthly_visit(far, s["h"], form(), today=DAY)
    assert counts() == before


def test_a_household_not_monitored_without_a_schedule_refused_R_TRACK_01(households, personas):
    h, contact = households["a1"], personas["contact"]  # formerly poor, not monitored
    ContactAssignment.objects.create(household=h, contact=contact, assigned_on=dt.date(2026, 6, 1))
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(contact, h, form(), today=DAY)
    assert "没有月访视计划" in exc.value.message_dict["__all__"][0]
    VisitSchedule.objects.create(household=h, division_code=h.division_code, month=dt.date(2026, 11, 1),
                                 reason="formerly_poor", responsible=contact, due_on=dt.date(2026, 11, 30))
    v = monthly.record_monthly_visit(contact, h, form(), today=DAY).obj
    assert v.schedule is not None


def test_remote_mode_needs_a_reason_R_TRACK_02(setup):
    s = setup
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(mode="wechat"), today=DAY)
    assert "未入户原因" in exc.value.message_dict["remote_reason"][0]
    assert counts() == before
    v = monthly.record_monthly_visit(s["contact"], s["h"], form(mode="phone", remote_reason="户主在外地务工，视频连线"),
                                     today=DAY).obj
    assert v.mode == "phone" and v.remote_reason == "户主在外地务工，视频连线"


def test_a_measure_of_another_household_refused_R_TRACK_02(setup, households):
    s = setup
    foreign = Measure.objects.create(household=households["b1"], category="就业帮扶", content="公益性岗位")
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(foreign), today=DAY)
    assert "不是本户的帮扶措施" in exc.value.message_dict["measures[0].measure"][0]
    assert counts() == before


def test_new_risk_raises_a_lead_in_the_same_step_R_TRACK_02(setup):
    s = setup
    v = monthly.record_monthly_visit(s["contact"], s["h"], form(risk_found=True, risk_types=["因病"],
                                                               findings="户主住院，花费较大", raise_lead=True),
                                     today=DAY).obj
    lead = Lead.objects.get()
    assert v.lead_reference == lead.reference and lead.household == s["h"]


def test_member_changes_proposed_with_the_visit_and_bad_one_saves_nothing_R_TRACK_02(setup, households):
    s = setup
    baby = {"kind": "birth", "name": "蔡小雨", "id_number": id_number(dt.date(2026, 10, 2), False),
            "relation": "之女", "happened_on": "2026-10-02"}
    v = monthly.record_monthly_visit(s["contact"], s["h"], form(member_changes=[baby]), today=DAY).obj
    change = MemberChange.objects.get()
    assert change.visit == v and change.status == "proposed" and change.data["name"] == "蔡小雨"
    taken = households["c1"].members.first().id_number  # registered in another township
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(visited_on="2026-10-20", member_changes=[
            {"kind": "move_in", "name": "马某", "id_number": taken, "relation": "其他", "happened_on": "2026-10-15"}]),
            today=DAY)
    msg = exc.value.message_dict["member_changes[0].id_number"][0]
    assert "该身份证号已在其他户登记" in msg and "马桥" not in msg and "3406211022010001" not in msg
    assert counts() == before


def test_the_general_visit_form_refuses_monthly_purpose_R_TRACK_02(households, personas):
    with pytest.raises(ValidationError) as exc:
        services.record_visit(personas["grid_worker"], households["a1"],
                              {"visited_on": DAY.isoformat(), "mode": "home", "purpose": "monthly"}, today=DAY)
    assert "月访视" in exc.value.message_dict["purpose"][0]
    assert not Visit.objects.exists()


def test_the_same_person_twice_in_one_visit_refused_R_TRACK_02(setup):
    s = setup
    head = s["h"].members.get(relation="户主")
    rows = [{"kind": "death", "member": head.pk, "happened_on": "2026-11-10"},
            {"kind": "move_out", "member": head.pk, "happened_on": "2026-11-11"}]
    before = counts()
    with pytest.raises(ValidationError) as exc:
        monthly.record_monthly_visit(s["contact"], s["h"], form(member_changes=rows), today=DAY)
    assert "同一人填写了两条变动" in exc.value.message_dict["member_changes[1].member"][0]
    assert counts() == before


def test_a_refusal_after_the_visit_row_leaves_nothing_behind_R_TRACK_02(setup, monkeypatch):
    """A later step (the tickets' door) refusing rolls back the visit, the income record and the proposals."""
    s = setup

    def refuse(*args, **kwargs):
        raise ValidationError({"problems": "第1项问题的问题描述不能为空"})

    monkeypatch.setattr(tickets, "open_from_findings", refuse)
    bn = {**form()["basic_needs"], "water": False, "note": "自来水停供"}
    baby = {"kind": "birth", "name": "蔡小雨", "id_number": id_number(dt.date(2026, 10, 2), False),
            "relation": "之女", "happened_on": "2026-10-02"}
    before = counts()
    with pytest.raises(ValidationError):
        monthly.record_monthly_visit(s["contact"], s["h"], form(basic_needs=bn, member_changes=[baby]), today=DAY,
                                     idempotency_key="rollback-1")
    assert counts() == before
    # the same form can be sent again once the problem is fixed: the key was not used up
    monkeypatch.undo()
    assert monthly.record_monthly_visit(s["contact"], s["h"], form(basic_needs=bn), today=DAY,
                                        idempotency_key="rollback-1").created
