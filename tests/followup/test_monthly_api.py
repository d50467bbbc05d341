"""The monthly visit and member changes over the API (R-TRACK-02): same services, same refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from fangpin.accounts.roles import Role
from fangpin.assistance.models import ContactAssignment, Measure
from fangpin.followup.models import MemberChange, Visit
from fangpin.profiles.services import today
from fangpin.registry.models import IncomeRecord
from tests.apischema import call_as, run_settings, schema
from tests.factories import id_number, user

J = "application/json"


@pytest.fixture
def setup(households, personas):
    h = households["a2"]
    ContactAssignment.objects.create(household=h, contact=personas["contact"], assigned_on=dt.date(2026, 6, 1))
    measure = Measure.objects.create(household=h, category="教育帮扶", content="雨露计划助学")
    return {"h": h, "measure": measure}


def body(h, **over):
    data = {"household_id": h.pk, "visited_on": today().isoformat(), "mode": "home",
            "income": {"wage_other": 2800, "transfer_eco": "120.5", "production_expense": 0},
            "basic_needs": {"food": True, "clothing": True, "education": True, "medical": True, "water": True,
                            "housing": "A"},
            "findings": "户主外出务工，收入稳定"}
    data.update(over)
    return data


def test_api_records_once_per_key_201_then_200_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    data = body(setup["h"], measures=[{"measure": setup["measure"].pk, "in_place": True, "effect": "good"}])
    r = client.post("/api/followup/monthly-visits", data, content_type=J, headers={"Idempotency-Key": "api-key-0001"})
    assert r.status_code == 201, r.json()
    out = r.json()
    assert out["created"] and out["visit"]["income_total"] == "2920.50" and out["visit"]["month"].endswith("-01")
    r = client.post("/api/followup/monthly-visits", data, content_type=J, headers={"Idempotency-Key": "api-key-0001"})
    assert r.status_code == 200 and not r.json()["created"] and r.json()["visit"]["id"] == out["visit"]["id"]
    assert Visit.objects.count() == 1 and IncomeRecord.objects.count() == 1
    # a second visit in the same month with another key is refused, naming the month
    r = client.post("/api/followup/monthly-visits", {**data, "idempotency_key": "api-key-0002"}, content_type=J)
    assert r.status_code == 422 and "每户每月只录入一次" in r.json()["errors"]["visited_on"][0]
    listed = client.get(f"/api/followup/monthly-visits?household={setup['h'].pk}&month={today():%Y-%m}").json()
    assert listed["total"] == 1


def test_api_refusals_R_TRACK_02(setup, personas, login, county):
    client = login(personas["contact"])
    h = setup["h"]
    bad = body(h, income={"wage_other": -1})
    r = client.post("/api/followup/monthly-visits", bad, content_type=J)
    assert r.status_code == 422 and "不能为负数" in r.json()["errors"]["income.wage_other"][0]
    r = client.post("/api/followup/monthly-visits", body(h, visited_on=(today() + dt.timedelta(days=1)).isoformat()),
                    content_type=J)
    assert r.status_code == 422 and "不能晚于" in r.json()["errors"]["visited_on"][0]
    r = client.post("/api/followup/monthly-visits", body(h, mode="wechat"), content_type=J)
    assert r.status_code == 422 and "未入户原因" in r.json()["errors"]["remote_reason"][0]
    r = login(personas["cadre_a"]).post("/api/followup/monthly-visits", body(h), content_type=J)
    assert r.status_code == 403 and "该户的帮扶联系人不是您" in r.json()["detail"]
    far = user("contact_far", Role.ASSISTANCE_CONTACT, county["vc"], display_name="马桥联系人")
    r = login(far).post("/api/followup/monthly-visits", body(h), content_type=J)
    assert r.status_code == 404
    assert not Visit.objects.exists() and not IncomeRecord.objects.exists()


def test_api_member_changes_propose_verify_reject_R_TRACK_02(households, personas, login):
    h = households["a1"]
    born = today() - dt.timedelta(days=30)
    contact = login(personas["contact"])
    r = contact.post("/api/followup/member-changes", {"household_id": h.pk, "kind": "birth", "name": "蔡小雨",
                                                      "id_number": id_number(born, False), "relation": "之女",
                                                      "happened_on": born.isoformat()}, content_type=J)
    assert r.status_code == 201, r.json()
    change = r.json()
    assert "*" in change["person"]["id_number"]  # a contact sees ID numbers masked
    taken = households["c1"].members.first().id_number
    r = contact.post("/api/followup/member-changes", {"household_id": h.pk, "kind": "move_in", "name": "马某",
                                                      "id_number": taken, "relation": "其他",
                                                      "happened_on": today().isoformat()}, content_type=J)
    assert r.status_code == 422 and "该身份证号已在其他户登记" in r.json()["errors"]["id_number"][0]
    assert MemberChange.objects.count() == 1
    r = contact.post(f"/api/followup/member-changes/{change['id']}/verify", {}, content_type=J)
    assert r.status_code == 403
    cadre = login(personas["cadre_a"])
    assert cadre.get("/api/followup/member-changes?status=proposed").json()["total"] == 1
    r = cadre.post(f"/api/followup/member-changes/{change['id']}/verify", {"note": "出生医学证明已核"}, content_type=J)
    assert r.status_code == 200 and r.json()["status"] == "applied" and r.json()["applied_member_id"]
    assert h.members.filter(name="蔡小雨", active=True).exists()
    r = cadre.post(f"/api/followup/member-changes/{change['id']}/reject", {"note": "重复"}, content_type=J)
    assert r.status_code == 422 and "不能再次核实或驳回" in r.json()["detail"]
    r = login(personas["cadre_b"]).post(f"/api/followup/member-changes/{change['id']}/reject", {"note": "x"},
                                        content_type=J)
    assert r.status_code == 404


# --- generated requests (schemathesis) never cause a server error -----------------------------------


@pytest.fixture
def monthly_world(setup, households, personas):
    from fangpin.followup import members, monthly

    born = today() - dt.timedelta(days=15)
    monthly.record_monthly_visit(personas["contact"], setup["h"], body(setup["h"]), idempotency_key="schema-key-1")
    members.propose(personas["contact"], households["a1"], {"kind": "birth", "name": "蔡小雨", "relation": "之女",
                                                            "id_number": id_number(born, False),
                                                            "happened_on": born.isoformat()})


@schema.include(path_regex="monthly-visits|member-changes").parametrize()
@run_settings(max_examples=25)
def test_no_generated_request_causes_a_server_error_R_TRACK_02(case, officer_session, monthly_world):
    call_as(case, officer_session)
