"""Overdue items and escalation (R-TRACK-04): levels at the exact day boundaries, the lists per
responsible person (contact: own; township: all, escalated marked; county: escalated to the county),
scoping, the pending actions and the API."""

from __future__ import annotations

import datetime as dt

import pytest

from fangpin.accounts.roles import Role
from fangpin.assistance.models import ContactAssignment, Plan, PlanStatus
from fangpin.followup import overdue, schedule
from fangpin.followup.models import Ticket, VisitSchedule
from tests.factories import household, user

MARCH = dt.date(2026, 3, 1)
DUE = dt.date(2026, 3, 31)  # the March schedule's due date
# Default profile: escalated to the township 5 days after the due date, to the county 10 days after that.
DAY_4, DAY_5, DAY_14, DAY_15 = (DUE + dt.timedelta(days=n) for n in (4, 5, 14, 15))


@pytest.fixture
def world(county, households, personas):
    contact = personas["contact"]
    a2 = households["a2"]
    ContactAssignment.objects.create(household=a2, contact=contact, assigned_on=dt.date(2026, 1, 5))
    a3 = household(county["grid_a1"], "3406211002010003", "蔡国庆", category="sudden_hardship", status="monitored")
    c2 = household(county["grid_c1"], "3406211022010002", "马红", category="marginal_at_risk", status="monitored")
    schedule.generate("340621", MARCH)
    # A ticket of a3 (responsible: the village cadre) due on April 10; a plan of a2 due on March 20.
    ticket = Ticket.objects.create(household=a3, division_code=a3.division_code, dimension="housing",
                                   description="住房出现裂缝，需鉴定", source="visit", opened_on=dt.date(2026, 3, 26),
                                   due_on=dt.date(2026, 4, 10), responsible_code=a3.division_code[:12],
                                   responsible=personas["cadre_a"], responsible_name="蔡书记")
    plan = Plan.objects.create(household=a2, status=PlanStatus.DRAFT, started_on=dt.date(2026, 3, 1),
                               due_on=dt.date(2026, 3, 20))
    return {**households, "a3": a3, "c2": c2, "contact": contact, "ticket": ticket, "plan": plan}


def test_escalation_levels_at_the_boundaries_R_TRACK_04():
    esc = overdue.Escalation(5, 10)
    assert esc.level(DUE, DUE) == overdue.LEVEL_NONE
    assert esc.level(DUE, DAY_4) == overdue.LEVEL_NONE
    assert esc.level(DUE, DAY_5) == overdue.LEVEL_TOWNSHIP  # exactly 5 days
    assert esc.level(DUE, DAY_14) == overdue.LEVEL_TOWNSHIP
    assert esc.level(DUE, DAY_15) == overdue.LEVEL_COUNTY  # exactly 5 + 10 days
    # The due-date filter agrees with the levels on the boundary days.
    for today in (DAY_4, DAY_5, DAY_14, DAY_15):
        for level in (overdue.LEVEL_TOWNSHIP, overdue.LEVEL_COUNTY):
            assert (DUE < esc.due_before(level, today)) == (esc.level(DUE, today) >= level)
    assert esc.due_before(overdue.LEVEL_NONE, DAY_4) == DAY_4


def test_overdue_by_household_R_TRACK_04(world):
    items = overdue.overdue_by_household([world["a2"].pk, world["a3"].pk, world["b1"].pk], DAY_5)
    assert [(i["kind"], i["level"]) for i in items[world["a2"].pk]] == [("plan", 2), ("visit", 1)]
    assert [i["kind"] for i in items[world["a3"].pk]] == ["visit"]  # the ticket is not due before April 10
    assert items[world["b1"].pk] == []


def test_contact_sees_own_items_R_TRACK_04(world):
    page = overdue.overdue_page(world["contact"], DAY_5)
    assert [(i["kind"], i["household_id"]) for i in page["items"]] == [("plan", world["a2"].pk),
                                                                      ("visit", world["a2"].pk)]
    assert page["people"][0]["name"] == "帮扶联系人" and page["people"][0]["total"] == 2
    assert page["people"][0]["oldest"] == dt.date(2026, 3, 20)
    # Done: the visit is no longer overdue.
    VisitSchedule.objects.filter(household=world["a2"]).update(done_on=dt.date(2026, 4, 1), visits_done=1)
    assert [i["kind"] for i in overdue.overdue_page(world["contact"], DAY_5)["items"]] == ["plan"]


def test_township_sees_all_and_county_only_escalated_R_TRACK_04(world, personas, county):
    township = overdue.overdue_page(personas["township_officer"], DAY_14)
    got = {(i["kind"], i["household_id"]): i["level_label"] for i in township["items"]}
    assert got == {("plan", world["a2"].pk): "已升级至县级", ("visit", world["a2"].pk): "已升级至乡镇",
                   ("visit", world["a3"].pk): "已升级至乡镇", ("ticket", world["a3"].pk): "逾期"}
    assert world["c2"].pk not in {i["household_id"] for i in township["items"]}  # other township
    names = {p["name"]: p["total"] for p in township["people"]}
    assert names == {"帮扶联系人": 2, "（未确定责任人）": 1, "蔡书记": 1}
    # The county office: by default only what reached the county (on day 14 the plan only; day 15 all visits).
    officer = personas["county_officer"]
    assert [i["kind"] for i in overdue.overdue_page(officer, DAY_14)["items"]] == ["plan"]
    on_15 = overdue.overdue_page(officer, DAY_15)
    assert {(i["kind"], i["household_id"]) for i in on_15["items"]} == {
        ("plan", world["a2"].pk), ("visit", world["a2"].pk), ("visit", world["a3"].pk), ("visit", world["c2"].pk)}
    assert overdue.overdue_page(officer, DAY_14, show_all=True)["total"] == 5
    assert overdue.overdue_page(officer, DAY_14, show_all=True, kind="ticket")["total"] == 1
    # Pending actions: counts of items escalated to the user's level.
    assert schedule.pending_for(officer, DAY_14)[0]["title"] == "已升级至县级的逾期事项 1 项"
    assert schedule.pending_for(personas["township_officer"], DAY_14)[0]["title"] == "已升级至乡镇的逾期事项 3 项"
    assert schedule.pending_for(personas["cadre_a"], DAY_14)[0]["title"] == "逾期事项 4 项"
    other = user("t2", Role.TOWNSHIP_STAFF, county["t2"], display_name="韩站长")
    assert schedule.pending_for(other, DAY_4) == []


def test_contact_pending_actions_overdue_first_R_TRACK_04(world, personas):
    items = schedule.pending_for(world["contact"], dt.date(2026, 3, 12))
    assert [(i["overdue"], i["due"]) for i in items] == [(False, DUE)]
    assert "月访视：户3406211002010002 蔡永华" == items[0]["title"] and items[0]["remaining"] == "还有19天"
    schedule.generate("340621", dt.date(2026, 4, 1))
    items = schedule.pending_for(world["contact"], dt.date(2026, 4, 3))
    assert [(i["overdue"], i["due"]) for i in items] == [(True, DUE), (False, dt.date(2026, 4, 30))]


def test_overdue_page_and_api_scoped_R_TRACK_04(world, personas, login, monkeypatch, county):
    monkeypatch.setattr("fangpin.followup.views_schedule.today", lambda: DAY_14)
    monkeypatch.setattr("fangpin.api.followup_schedule.today", lambda: DAY_14)
    text = login(personas["township_officer"]).get("/visits/overdue/").content.decode()
    assert "蔡国庆" in text and "已升级至县级" in text and "马红" not in text and "帮扶联系人" in text
    text = login(world["contact"]).get("/visits/overdue/").content.decode()
    assert "蔡永华" in text and "蔡国庆" not in text
    text = login(personas["county_officer"]).get("/visits/overdue/").content.decode()
    assert "默认只列出已升级至县级的事项" in text and "蔡国庆" not in text
    assert "蔡国庆" in login(personas["county_officer"]).get("/visits/overdue/?all=1").content.decode()
    body = login(personas["township_officer"]).get("/api/followup/overdue").json()
    assert body["total"] == 4 and body["totals"]["visit"] == 2
    assert {i["head_name"] for i in body["items"]} == {"蔡永华", "蔡国庆"}
    other = user("t2", Role.TOWNSHIP_STAFF, county["t2"], display_name="韩站长")
    body = login(other).get("/api/followup/overdue").json()
    assert [i["head_name"] for i in body["items"]] == ["马红"]
    assert login(other).get("/api/followup/overdue?kind=ticket").json()["total"] == 0
