"""Department view and answers (R-AID-08, R-AID-05): scoped list, the answer service and its refusals,
the monthly export, the pending action and the answer clock after a calendar correction."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from openpyxl import load_workbook

from fangpin.accounts.pending import pending_actions
from fangpin.accounts.roles import Role
from fangpin.assistance import departments
from fangpin.assistance.models import (
    Handler,
    ListKind,
    Measure,
    MeasureKind,
    MeasureStatus,
    Policy,
    PolicyList,
)
from fangpin.audit.models import Event
from fangpin.profiles.services import today as local_today
from tests.factories import user

TODAY = local_today()
APPLIED = TODAY - dt.timedelta(days=10)


def _policy(county, department="医保局"):
    plist = PolicyList.objects.create(county=county, county_code=county.code, year=TODAY.year, kind=ListKind.CATALOGUE,
                                      version=1, status="published", title="县级政策清单")
    return Policy.objects.create(policy_list=plist, type="健康帮扶", name="医疗救助", content="对符合条件的困难群众给予医疗救助",
                                 department=department, kind=MeasureKind.SAFETY_NET, handler=Handler.DEPARTMENT,
                                 conditions={"risk_types": ["因病", "因残"]})


def _applied(household, department="医保局", *, applied_on=APPLIED, due=None, policy=None, category="健康帮扶"):
    return Measure.objects.create(
        household=household, category=category, content="申请医疗救助", source="local", policy=policy,
        kind=MeasureKind.SAFETY_NET, handler=Handler.DEPARTMENT, department=department, status=MeasureStatus.APPLIED,
        applied_on=applied_on, answer_due_on=due or TODAY + dt.timedelta(days=3), year=TODAY.year,
    )


@pytest.fixture
def setup(county, households, personas):
    policy = _policy(county["county"])
    return {
        "own": _applied(households["a2"], policy=policy),
        "overdue": _applied(households["a1"], applied_on=TODAY - dt.timedelta(days=20),
                            due=TODAY - dt.timedelta(days=5)),
        "other_dept": _applied(households["b1"], department="民政局", category="综合保障"),
        "minzheng": user("minzheng", Role.DEPARTMENT_OFFICER, county["county"], display_name="民政局", department="民政局"),
    }


def _snapshot():
    return (list(Measure.objects.order_by("pk").values()), Event.objects.count())


# --- the list ---------------------------------------------------------------------------------------


def test_department_sees_only_its_own_measures_R_AID_08(setup, personas):
    officer = personas["department"]
    pks = set(departments.measures_for_department(officer).values_list("pk", flat=True))
    assert pks == {setup["own"].pk, setup["overdue"].pk}
    assert set(departments.measures_for_department(setup["minzheng"]).values_list("pk", flat=True)) == {
        setup["other_dept"].pk}


def test_county_office_sees_every_department_and_others_see_nothing_R_AID_08(setup, personas):
    assert departments.measures_for_department(personas["county_officer"]).count() == 3
    assert departments.measures_for_department(personas["county_officer"], department="民政局").count() == 1
    assert departments.measures_for_department(personas["cadre_a"]).count() == 0
    assert departments.measures_for_department(personas["grid_worker"]).count() == 0


def test_department_without_department_name_sees_nothing_R_AID_08(setup, county):
    nobody = user("nodept", Role.DEPARTMENT_OFFICER, county["county"], display_name="未设部门")
    assert departments.measures_for_department(nobody).count() == 0


def test_department_of_another_county_sees_nothing_R_AID_08(setup):
    from fangpin.areas.models import Level
    from tests.factories import division

    other = division("340602", "杜集区", Level.COUNTY)
    stranger = user("yibao2", Role.DEPARTMENT_OFFICER, other, display_name="杜集区医保局", department="医保局")
    assert departments.measures_for_department(stranger).count() == 0
    with pytest.raises(Http404):
        departments.get_measure_for(stranger, setup["own"].pk)


def test_filters_awaiting_overdue_status_month_and_search_R_AID_08(setup, personas, households):
    officer = personas["department"]
    assert departments.measures_for_department(officer, status="awaiting").count() == 2
    assert list(departments.measures_for_department(officer, status="overdue").values_list("pk", flat=True)) == [
        setup["overdue"].pk]
    assert departments.measures_for_department(officer, status="approved").count() == 0
    month = f"{APPLIED:%Y-%m}"
    assert setup["own"].pk in set(departments.measures_for_department(officer, month=month).values_list("pk", flat=True))
    assert departments.measures_for_department(officer, q="蔡永华").get().pk == setup["own"].pk
    assert departments.measures_for_department(officer, q=households["a1"].number).get().pk == setup["overdue"].pk
    found, _page, _more = departments.page_of(departments.measures_for_department(officer, q="蔡"), 1, 30)
    assert {m.pk for m in found} == {setup["own"].pk, setup["overdue"].pk}
    with pytest.raises(ValidationError) as exc:
        departments.measures_for_department(officer, status="whatever")
    assert "状态" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        departments.measures_for_department(officer, month="2026-13")
    assert "月份" in str(exc.value)


def test_list_rows_mask_id_numbers_for_departments_R_AID_08(setup, personas, households):
    officer = personas["department"]
    page, number, has_next = departments.page_of(departments.measures_for_department(officer), 1, 30)
    assert number == 1 and not has_next
    assert departments.counts(officer) == {"awaiting": 2, "overdue": 1}
    second, _n, _more = departments.page_of(departments.measures_for_department(officer), 2, 1)
    assert [m.pk for m in second] == [setup["own"].pk]
    rows = departments.rows(officer, page)
    assert [r["id"] for r in rows] == [setup["overdue"].pk, setup["own"].pk]  # overdue first
    head = households["a2"].members.get(relation="户主")
    row = next(r for r in rows if r["id"] == setup["own"].pk)
    assert row["head_name"] == "蔡永华" and row["head_id_number"] != head.id_number and "*" in row["head_id_number"]
    assert row["policy"] == "医疗救助" and row["village"] == "蔡桥村"
    full = departments.rows(personas["county_officer"], page)
    assert next(r for r in full if r["id"] == setup["own"].pk)["head_id_number"] == head.id_number


def test_monitored_households_that_concern_the_department_R_AID_08(setup, personas, county):
    from tests.factories import household

    ill = household(county["grid_b1"], "3406211002020002", "任大病", category="marginal_at_risk", status="monitored")
    ill.risk_types = ["因学", "因病"]
    ill.save()
    school = household(county["grid_b1"], "3406211002020003", "任上学", category="marginal_at_risk", status="monitored")
    school.risk_types = ["因学"]
    school.save()
    done = household(county["grid_b1"], "3406211002020004", "任已消", category="marginal_at_risk", status="eliminated")
    done.risk_types = ["因病"]
    done.save()
    officer = personas["department"]
    found = {r["number"]: r for r in departments.households_for_department(officer)}
    # a2 (monitored) has 医保局's measure; 任大病 has a risk 医保局's policies address; a1 is not monitored.
    assert set(found) == {"3406211002010002", "3406211002020002"}
    assert "有医保局负责的帮扶措施" in found["3406211002010002"]["why"]
    assert found["3406211002020002"]["why"] == "风险“因病”属医保局政策范围"
    rows = departments.household_rows(officer, list(found.values()))
    assert all("*" in r["head_id_number"] for r in rows)
    assert {r["head_name"] for r in rows} == {"蔡永华", "任大病"}
    # 民政局 has no policy in the catalogue and no measure of a monitored household.
    assert departments.households_for_department(setup["minzheng"]) == []
    # The county office names a department; other roles see nothing.
    assert len(departments.households_for_department(personas["county_officer"], department="医保局")) == 2
    assert departments.households_for_department(personas["county_officer"]) == []
    assert departments.households_for_department(personas["cadre_a"], department="医保局") == []
    content = departments.export_month(officer, TODAY.year, TODAY.month)
    sheet = load_workbook(io.BytesIO(content))["相关监测对象"]
    assert {r[4] for r in sheet.iter_rows(min_row=3, values_only=True)} == {"蔡永华", "任大病"}


# --- answers ----------------------------------------------------------------------------------------


def test_approve_with_amount_and_start_month_R_AID_08(setup, personas):
    m = departments.answer_application(personas["department"], setup["own"], approved=True, amount="1,200.50",
                                       start_month="2026-05" if TODAY.year == 2026 else f"{TODAY:%Y-%m}")
    m.refresh_from_db()
    assert m.status == MeasureStatus.APPROVED and m.amount == Decimal("1200.50")
    assert m.start_month.day == 1 and m.answered_on == TODAY and m.answered_by == personas["department"]
    event = Event.objects.get(action="measure.department_approve")
    assert event.after["status"] == "approved" and event.before["status"] == "applied"
    assert "同意" in departments.answer_message(m)


def test_refuse_with_reason_R_AID_08(setup, personas):
    m = departments.answer_application(personas["department"], setup["own"], approved=False,
                                       reason="家庭人均收入高于救助标准")
    assert m.status == MeasureStatus.REFUSED and m.refusal_reason == "家庭人均收入高于救助标准"
    assert m.amount is None and m.start_month is None
    assert Event.objects.filter(action="measure.department_refuse").count() == 1


@pytest.mark.parametrize("kwargs, field, words", [
    ({"approved": False}, "reason", "理由"),
    ({"approved": False, "reason": "   "}, "reason", "理由"),
    ({"approved": True, "start_month": "2026-05", "amount": "abc"}, "amount", "金额"),
    ({"approved": True, "start_month": "2026-05", "amount": "-5"}, "amount", "金额"),
    ({"approved": True}, "start_month", "起始月份"),
    ({"approved": True, "start_month": "五月"}, "start_month", "起始月份"),
    ({"approved": True, "start_month": "2026-00"}, "start_month", "起始月份"),
    ({"approved": True, "start_month": "2099-01"}, "start_month", "起始月份"),
    ({"approved": False, "reason": "不符合", "amount": "100"}, "amount", "金额"),
    ({"approved": "也许", "start_month": "2026-05"}, "approved", "是否同意"),
    ({"approved": True, "start_month": "2026-05", "on": "2099-01-01"}, "on", "答复日期"),
])
def test_bad_answers_are_refused_naming_the_field_and_change_nothing_R_AID_08(setup, personas, kwargs, field, words):
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        departments.answer_application(personas["department"], setup["own"], **kwargs)
    assert field in exc.value.message_dict and words in exc.value.message_dict[field][0]
    assert _snapshot() == before


def test_another_department_cannot_answer_R_AID_08(setup, personas):
    before = _snapshot()
    with pytest.raises(PermissionDenied) as exc:
        departments.answer_application(setup["minzheng"], setup["own"], approved=False, reason="不符合")
    assert "医保局" in str(exc.value)
    assert _snapshot() == before


@pytest.mark.parametrize("who", ["county_officer", "cadre_a", "township_officer", "supervisor"])
def test_other_roles_cannot_answer_R_AID_08(setup, personas, who):
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        departments.answer_application(personas[who], setup["own"], approved=False, reason="不符合")
    assert _snapshot() == before


def test_answering_twice_is_refused_R_AID_08(setup, personas):
    departments.answer_application(personas["department"], setup["own"], approved=False, reason="不符合条件")
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        departments.answer_application(personas["department"], setup["own"], approved=True,
                                       start_month=f"{TODAY:%Y-%m}")
    assert "不在等待部门答复" in str(exc.value)
    assert _snapshot() == before


@pytest.mark.parametrize("status", [MeasureStatus.PLANNED, MeasureStatus.IN_PLACE, MeasureStatus.CANCELLED])
def test_measure_not_awaiting_an_answer_is_refused_R_AID_08(setup, personas, status):
    Measure.objects.filter(pk=setup["own"].pk).update(status=status)
    before = _snapshot()
    with pytest.raises(ValidationError):
        departments.answer_application(personas["department"], setup["own"], approved=False, reason="不符合")
    assert _snapshot() == before


def test_department_of_another_county_cannot_answer_R_AID_08(setup):
    from fangpin.accounts.scoping import OutOfScope
    from fangpin.areas.models import Level
    from tests.factories import division

    other = division("340602", "杜集区", Level.COUNTY)
    stranger = user("yibao2", Role.DEPARTMENT_OFFICER, other, display_name="杜集区医保局", department="医保局")
    before = _snapshot()
    with pytest.raises(OutOfScope):
        departments.answer_application(stranger, setup["own"], approved=False, reason="不符合")
    assert _snapshot() == before


# --- export, pending, clock ------------------------------------------------------------------------


def test_monthly_export_masks_id_numbers_R_AID_08(setup, personas, households):
    content = departments.export_month(personas["department"], APPLIED.year, APPLIED.month)
    ws = load_workbook(io.BytesIO(content)).active
    values = [tuple(row) for row in ws.iter_rows(values_only=True)]
    assert "医保局" in values[0][0]
    assert values[2][:6] == ("序号", "乡镇", "村", "户编号", "户主姓名", "户主证件号码")
    heads = {r[4] for r in values[3:]}
    assert "蔡永华" in heads and "任建国" not in heads  # 民政局's measure is not on 医保局's list
    full_ids = {m.id_number for m in households["a2"].members.all()}
    assert not any(str(v) in full_ids for r in values for v in r if v)


def test_monthly_export_refuses_bad_month_R_AID_08(setup, personas):
    with pytest.raises(ValidationError) as exc:
        departments.export_month(personas["department"], 2026, 13)
    assert "month" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        departments.export_month(personas["cadre_a"], 2026, 5)


def test_pending_action_lists_awaiting_answers_overdue_first_R_AID_08(setup, personas):
    items = [i for i in pending_actions(personas["department"]) if "待部门答复" in i["title"]]
    assert len(items) == 2 and items[0]["overdue"] and not items[1]["overdue"]
    assert f"/{setup['overdue'].pk}/" in items[0]["url"]
    assert not [i for i in pending_actions(personas["cadre_a"]) if "待部门答复" in i["title"]]


def test_answer_clock_follows_calendar_correction_R_AID_05(setup, personas):
    from fangpin.profiles.deadlines import CalendarChange, calendar_changed

    m = setup["own"]
    expected = departments.answer_due(m.household.division_code, m.applied_on)
    Measure.objects.filter(pk=m.pk).update(answer_due_on=expected.due - dt.timedelta(days=3))
    changed = calendar_changed(None, CalendarChange.of([m.applied_on + dt.timedelta(days=1)]))
    assert changed["assistance_department_answers"] >= 1
    m.refresh_from_db()
    assert m.answer_due_on == expected.due
    assert Event.objects.filter(action="measure.answer_deadline_recompute", object_id=str(m.pk)).exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_answers_only_one_is_written_R_AID_08(setup, personas):
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite has one writer at a time")
    officer, measure = personas["department"], setup["own"]
    barrier, results = threading.Barrier(2), []

    def answer(approved):
        try:
            barrier.wait()
            if approved:
                departments.answer_application(officer, measure.pk, approved=True, start_month=f"{TODAY:%Y-%m}")
            else:
                departments.answer_application(officer, measure.pk, approved=False, reason="收入超过救助标准")
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=answer, args=(flag,)) for flag in (True, False)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    measure.refresh_from_db()
    assert measure.status in (MeasureStatus.APPROVED, MeasureStatus.REFUSED)
    assert Event.objects.filter(action__startswith="measure.department_").count() == 1
