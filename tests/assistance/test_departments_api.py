"""The department view and the village list over the API (R-AID-08, R-AID-06): the same services,
Chinese errors naming the field, 404 outside the area, a refused answer changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from fangpin.accounts.roles import Role
from fangpin.assistance.models import Handler, Measure, MeasureStatus
from fangpin.audit.models import Event
from fangpin.profiles.services import today as local_today
from tests.factories import user

TODAY = local_today()


@pytest.fixture
def measure(households):
    return Measure.objects.create(
        household=households["a2"], category="健康帮扶", content="申请医疗救助", source="local",
        handler=Handler.DEPARTMENT, department="医保局", status=MeasureStatus.APPLIED,
        applied_on=TODAY - dt.timedelta(days=3), answer_due_on=TODAY + dt.timedelta(days=4), year=TODAY.year)


def test_list_and_one_measure_masked_R_AID_08(measure, personas, households, login):
    client = login(personas["department"])
    page = client.get("/api/assistance/department-measures?status=awaiting").json()
    assert page["awaiting"] == 1 and len(page["items"]) == 1 and not page["has_next"]
    item = page["items"][0]
    head = households["a2"].members.get(relation="户主")
    assert item["head_name"] == "蔡永华" and item["head_id_number"] != head.id_number
    assert client.get(f"/api/assistance/department-measures/{measure.pk}").json()["id"] == measure.pk
    r = client.get("/api/assistance/department-measures?month=五月")
    assert r.status_code == 422 and "月份" in r.json()["errors"]["month"][0]


def test_answer_over_the_api_R_AID_08(measure, personas, login):
    client = login(personas["department"])
    r = client.post(f"/api/assistance/department-measures/{measure.pk}/answer",
                    {"approved": True, "amount": "600", "start_month": f"{TODAY:%Y-%m}"}, content_type="application/json")
    assert r.status_code == 200, r.content
    assert r.json()["measure"]["status"] == "approved" and r.json()["measure"]["amount"] == "600.00"
    r = client.post(f"/api/assistance/department-measures/{measure.pk}/answer",
                    {"approved": False, "reason": "重复"}, content_type="application/json")
    assert r.status_code == 422 and "不在等待部门答复" in r.json()["detail"]


def test_refused_answers_over_the_api_change_nothing_R_AID_08(measure, county, personas, login):
    client = login(personas["department"])
    r = client.post(f"/api/assistance/department-measures/{measure.pk}/answer",
                    {"approved": True, "amount": "很多", "start_month": "2026-05"}, content_type="application/json")
    assert r.status_code == 422 and "金额" in r.json()["errors"]["amount"][0]
    r = client.post(f"/api/assistance/department-measures/{measure.pk}/answer",
                    {"approved": False}, content_type="application/json")
    assert r.status_code == 422 and "理由" in r.json()["errors"]["reason"][0]
    other = login(user("minzheng", Role.DEPARTMENT_OFFICER, county["county"], display_name="民政局", department="民政局"))
    r = other.post(f"/api/assistance/department-measures/{measure.pk}/answer",
                   {"approved": False, "reason": "不符合"}, content_type="application/json")
    assert r.status_code == 404
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPLIED and not Event.objects.exists()


def test_village_list_over_the_api_R_AID_06(households, county, personas, login):
    client = login(personas["cadre_a"])
    data = client.get(f"/api/assistance/villages/{county['va'].pk}/list?year={TODAY.year}").json()
    assert data["title"] == "濉溪镇蔡桥村脱贫户和防贫监测对象帮扶清单"
    assert data["columns"] == ["户主姓名", "家庭人口", "帮扶户类型", "纳入时间", "返贫/致贫风险", "户内享受帮扶措施"]
    assert {r["head_name"] for r in data["rows"]} == {"蔡德胜", "蔡永华"}
    assert client.get(f"/api/assistance/villages/{county['vb'].pk}/list").status_code == 404
    r = client.get(f"/api/assistance/villages/{county['va'].pk}/list?year=1900")
    assert r.status_code == 422 and "年度" in r.json()["errors"]["year"][0]
