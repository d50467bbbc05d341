"""The leads API goes through the same services and scoping as the pages (R-DISC-01, R-DISC-03, R-DISC-04)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fangpin.discovery.models import Lead, LeadState
from fangpin.profiles.services import today
from tests.factories import id_number

pytestmark = pytest.mark.django_db


def _post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_raise_merge_and_verify_through_the_api_R_DISC_01_R_DISC_03(households, personas, login):
    client = login(personas["cadre_a"])
    r = _post(client, "/api/leads", {"channel": "visit", "household_id": households["a1"].pk, "risk_types": ["因病"],
                                     "description": "户主住院"})
    assert r.status_code == 201, r.content
    lead = r.json()["lead"]
    assert lead["state"] == "verify" and lead["reference"].startswith("XS-")
    again = _post(client, "/api/leads", {"channel": "hotline_12317", "household_id": households["a1"].pk,
                                         "description": "热线再次反映"})
    assert again.status_code == 201 and again.json()["merged"] and again.json()["lead"]["id"] == lead["id"]
    township = login(personas["township_officer"])
    one = _post(township, f"/api/leads/{lead['id']}/verify", {"verifiers": [{"name": "孙站长"}],
                                                               "visited_on": today().isoformat(),
                                                               "findings": "核实", "outcome": "open_case"})
    assert one.status_code == 422 and "两人同行" in one.json()["detail"]
    assert Lead.objects.get(pk=lead["id"]).state == LeadState.AWAITING_VERIFICATION
    two = _post(township, f"/api/leads/{lead['id']}/verify", {
        "verifiers": [{"name": "孙站长", "unit": "乡镇"}, {"name": "蔡书记", "unit": "村"}],
        "visited_on": today().isoformat(), "findings": "核实属实", "outcome": "open_case"})
    assert two.status_code == 200, two.content
    body = two.json()["lead"]
    assert body["state"] == "case_opened" and body["case_reference"].startswith("SB-")
    detail = township.get(f"/api/leads/{lead['id']}").json()
    assert [r["channel"] for r in detail["reports"]] == ["visit", "hotline_12317"]


def test_out_of_order_and_other_areas_through_the_api_R_DISC_03(households, personas, login):
    client = login(personas["cadre_a"])
    lead = _post(client, "/api/leads", {"channel": "visit", "household_id": households["a1"].pk,
                                        "description": "户主住院"}).json()["lead"]
    r = _post(login(personas["township_officer"]), f"/api/leads/{lead['id']}/close", {})
    assert r.status_code == 422 and "尚未入户核实" in r.json()["detail"]
    other = login(personas["cadre_b"])
    assert other.get(f"/api/leads/{lead['id']}").status_code == 404
    r = _post(other, "/api/leads", {"channel": "visit", "household_id": households["a1"].pk, "description": "x"})
    assert r.status_code == 404 and Lead.objects.count() == 1


def test_lists_flows_overdue_and_pending_through_the_api_R_DISC_03(households, personas, login):
    county = login(personas["county_officer"])
    _post(county, "/api/leads", {"channel": "petition", "household_id": households["b1"].pk, "description": "来信",
                                 "discovered_on": (today() - dt.timedelta(days=2)).isoformat()})
    page = county.get("/api/leads?state=dispatch").json()
    assert page["total"] == 1 and page["items"][0]["channel_label"] == "信访投诉"
    assert county.get("/api/leads/pending").json()[0]["title"].endswith("待转交乡镇")
    flows = county.get("/api/leads/flows").json()
    petition = next(c for c in flows["by_channel"] if c["code"] == "petition")
    assert petition["total"] == 1 and petition["by_state"]["dispatch"] == 1
    assert county.get("/api/leads/overdue").json() == []  # due tomorrow
    assert login(personas["cadre_b"]).get("/api/leads").json()["total"] == 1  # b1 is village B's


def test_the_api_masks_id_numbers_for_a_grid_worker_R_DISC_01(county, personas, login):
    number = id_number(dt.date(1980, 2, 3))
    cadre = login(personas["cadre_a"])
    lead = _post(cadre, "/api/leads", {"channel": "visit", "id_number": number, "person_name": "陈新来",
                                       "division_code": county["grid_a1"].code, "description": "外来人员"}).json()["lead"]
    assert lead["person_id_number"] == number
    shown = login(personas["grid_worker"]).get(f"/api/leads/{lead['id']}").json()
    assert shown["person_id_number"] != number and shown["person_id_number"].startswith(number[:4])
