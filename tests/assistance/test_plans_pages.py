"""Pages and API of contacts and plans (R-AID-03 … R-AID-05, R-AID-07): the same services behind both."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from fangpin.accounts.roles import Role
from fangpin.assistance import contacts, plans
from fangpin.assistance.models import Measure, Plan, PlanStatus
from fangpin.audit.models import Event
from tests.assistance.test_plans import DAY, make_catalogue, policy
from tests.factories import user


@pytest.fixture
def setup(households, personas, county):
    h = households["a2"]
    h.risk_types = ["因病"]
    h.included_on = DAY
    h.save(update_fields=["risk_types", "included_on"])
    plan = plans.on_household_filed(personas["county_officer"], h, DAY)
    return {"h": h, "plan": plan, "catalogue": make_catalogue(county["county"])}


def test_household_page_shows_contact_plan_and_explained_proposals_R_AID_03(setup, personas, login):
    h = setup["h"]
    contacts.assign_contact(personas["township_officer"], h, personas["contact"], today=DAY)
    r = login(personas["township_officer"]).get(f"/assistance/households/{h.pk}/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "帮扶联系人（帮扶联系人）" in html
    assert "编制中" in html and "报县级审定" in html
    assert "符合：风险类型含因病（本户：因病）" in html
    assert "符合：劳动技能为普通劳动力、弱劳动力或半劳动力（本户：蔡永华（户主）普通劳动力）" in html


def test_page_post_adds_a_measure_and_a_refusal_changes_nothing_R_AID_03(setup, personas, login, client):
    plan, catalogue = setup["plan"], setup["catalogue"]
    c = login(personas["township_officer"])
    r = c.post(f"/assistance/plans/{plan.pk}/measures/", {"policy": policy(catalogue, "乡村公益性岗位").pk,
                                                         "version": plan.version}, follow=True)
    assert "已加入措施“乡村公益性岗位”" in r.content.decode()
    assert plan.measures.count() == 1
    before = (Measure.objects.count(), Event.objects.count())
    r = c.post(f"/assistance/plans/{plan.pk}/approve/", {}, follow=True)
    assert "只能由县乡村振兴局办理" in r.content.decode()
    r = c.post(f"/assistance/plans/{plan.pk}/measures/", {"policy": policy(catalogue, "医疗救助").pk,
                                                         "version": plan.version}, follow=True)
    assert "已被他人修改" in r.content.decode()
    assert (Measure.objects.count(), Event.objects.count()) == before


def test_contact_page_lists_the_contacts_households_phone_first_R_AID_05(setup, personas, login):
    contacts.assign_contact(personas["township_officer"], setup["h"], personas["contact"], today=DAY)
    r = login(personas["contact"]).get("/assistance/my-households/")
    html = r.content.decode()
    assert r.status_code == 200 and f"户 {setup['h'].number}" in html and "编制中" in html
    assert 'name="viewport"' in html


def test_contact_form_assigns_through_the_service_R_AID_05(setup, personas, login):
    c = login(personas["township_officer"])
    r = c.get(f"/assistance/households/{setup['h'].pk}/contact/")
    assert "现联系0户" in r.content.decode()
    r = c.post(f"/assistance/households/{setup['h'].pk}/contact/", {"contact": personas["contact"].pk,
                                                                    "assigned_on": DAY.isoformat()}, follow=True)
    assert "已确定帮扶联系人" in r.content.decode()
    assert contacts.current_contact(setup["h"]) == personas["contact"]


def test_lists_render_for_each_role(setup, personas, login):
    for who in ("county_officer", "township_officer", "cadre_a", "supervisor", "contact"):
        c = login(personas[who])
        assert c.get("/assistance/plans/").status_code == 200
        assert c.get("/assistance/plans/overdue/").status_code == 200
        assert c.get(f"/assistance/households/{setup['h'].pk}/").status_code == 200
    html = login(personas["county_officer"]).get("/assistance/plans/?status=draft").content.decode()
    assert setup["h"].number in html


def _api(c, path, body=None):
    if body is None:
        return c.get(path)
    return c.post(path, data=json.dumps(body), content_type="application/json")


def test_api_runs_the_plan_through_the_same_services_R_AID_03_R_AID_05(setup, personas, login):
    plan = setup["plan"]
    c = login(personas["township_officer"])
    proposals = _api(c, f"/api/assistance/households/{setup['h'].pk}/proposals?eligible_only=true").json()
    medical = next(p for p in proposals if p["name"] == "医疗救助")
    assert medical["eligible"] and medical["matched"] == [{"condition": "风险类型含因病", "value": "因病"}]
    r = _api(c, f"/api/assistance/plans/{plan.pk}/measures", {"policy_id": medical["policy_id"]})
    assert r.status_code == 200 and r.json()["plan"]["measures"][0]["content"] == "医疗救助"
    r = _api(c, f"/api/assistance/plans/{plan.pk}/measures", {})
    assert r.status_code == 422 and r.json()["errors"] == {"policy": ["请选择帮扶政策"]}
    r = _api(c, f"/api/assistance/plans/{plan.pk}/submit", {})
    assert r.status_code == 200
    assert [f["code"] for f in r.json()["plan"]["flags"]] == ["no_developmental"]
    r = _api(c, f"/api/assistance/plans/{plan.pk}/approve", {})
    assert r.status_code == 403
    county_api = login(personas["county_officer"])
    r = _api(county_api, f"/api/assistance/plans/{plan.pk}/approve", {"approved_on": "2026-05-32"})
    assert r.status_code == 422 and "审定日期格式不正确" in r.json()["errors"]["approved_on"][0]
    r = _api(county_api, f"/api/assistance/plans/{plan.pk}/approve", {"approved_on": DAY.isoformat()})
    assert r.status_code == 200 and r.json()["plan"]["status"] == PlanStatus.APPROVED
    got = _api(county_api, f"/api/assistance/households/{setup['h'].pk}/plan").json()
    assert got["measures"][0]["due_on"] == "2026-05-18"


def test_api_answers_404_outside_the_area_and_writes_nothing_R_SEC_01(setup, personas, login, county, client):
    outsider = user("township_b", Role.TOWNSHIP_STAFF, county["t2"])
    c = login(outsider)
    before = (Plan.objects.get().version, Event.objects.count())
    assert _api(c, f"/api/assistance/households/{setup['h'].pk}/plan").status_code == 404
    r = _api(c, f"/api/assistance/plans/{setup['plan'].pk}/measures",
             {"policy_id": policy(setup["catalogue"], "医疗救助").pk})
    assert r.status_code == 404
    assert (Plan.objects.get().version, Event.objects.count()) == before


def test_household_page_and_home_show_the_contact_and_the_plan_work_R_ID_07(setup, personas, login):
    h = setup["h"]
    c = login(personas["township_officer"])
    home = c.get("/").content.decode()
    assert f"户{h.number}：确定帮扶联系人" in home and f"户{h.number}：制定帮扶方案并报县审定" in home
    assert "我联系的农户" in home
    detail = c.get(reverse("registry:household_detail", args=[h.pk])).content.decode()
    assert "<dt>帮扶联系人</dt><dd>未确定" in detail and f"/assistance/households/{h.pk}/" in detail
    contacts.assign_contact(personas["township_officer"], h, personas["contact"], today=DAY)
    detail = c.get(reverse("registry:household_detail", args=[h.pk])).content.decode()
    assert f"帮扶联系人（{DAY:%Y-%m-%d} 起）" in detail
    assert f"户{h.number}：确定帮扶联系人" not in c.get("/").content.decode()


def test_contact_home_lists_only_the_households_they_look_after_R_AID_05(setup, personas, login, households):
    c = login(personas["contact"])
    assert "我联系的农户</h2>" not in c.get("/").content.decode()
    contacts.assign_contact(personas["township_officer"], setup["h"], personas["contact"], today=DAY)
    home = c.get("/").content.decode()
    assert "我联系的农户</h2>" in home and setup["h"].number in home
    assert households["a1"].number not in home


def test_a_chosen_policy_is_not_proposed_again_R_AID_03(setup, personas, login):
    c = login(personas["cadre_a"])
    url = f"/assistance/households/{setup['h'].pk}/"
    assert "<strong>健康·医疗救助</strong>" in c.get(url).content.decode()
    plans.add_measure(personas["cadre_a"], setup["plan"], policy(setup["catalogue"], "医疗救助"))
    html = c.get(url).content.decode()
    assert "<strong>健康·医疗救助</strong>" not in html and "健康·医疗救助</td>" in html
