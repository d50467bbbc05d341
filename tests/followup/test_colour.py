"""一户一码三色 (R-TRACK-04 colour rule, issue item 7): the pure rule, the set-based colours of a page of
households, the badge on the household page and in the registry list, the API."""

import datetime as dt

import pytest

from fangpin.followup.colour import colours_for
from fangpin.followup.models import Ticket, VisitSchedule
from fangpin.policy.colour import ColourParams, colour

DAY = dt.date(2026, 11, 20)
RULE = ColourParams(red_open_tickets=2, yellow_when_monitored=True, yellow_categories=("marginal_at_risk",))


@pytest.mark.parametrize("monitored,category,tickets,overdue,expected,reason", [
    (False, "ordinary", 0, 0, "green", "无逾期事项"),
    (True, "ordinary", 0, 0, "yellow", "监测对象，风险未消除"),
    (False, "ordinary", 1, 0, "yellow", "有1个未销号问题"),
    (False, "marginal_at_risk", 0, 0, "yellow", "户类别为边缘易致贫户"),
    (False, "ordinary", 2, 0, "red", "有2个未销号问题（达到2个即为红码）"),
    (False, "ordinary", 0, 1, "red", "有1项逾期事项"),
    (True, "ordinary", 1, 3, "red", "有3项逾期事项"),
])
def test_colour_rule_table_risk_colour(monitored, category, tickets, overdue, expected, reason):
    value, reasons = colour(monitored=monitored, category=category, open_tickets=tickets, overdue_items=overdue,
                            params=RULE, category_name="边缘易致贫户" if category == "marginal_at_risk" else "")
    assert value == expected
    assert any(reason in r for r in reasons), reasons


def test_colour_rule_red_keeps_the_yellow_reasons_and_params_switch_off_risk_colour():
    value, reasons = colour(monitored=True, category="ordinary", open_tickets=1, overdue_items=1, params=RULE)
    assert value == "red" and reasons == ["有1项逾期事项", "监测对象，风险未消除", "有1个未销号问题"]
    off = ColourParams.from_mapping({"red_open_tickets": 0, "yellow_when_monitored": False, "yellow_categories": []})
    assert colour(monitored=True, category="x", open_tickets=5, overdue_items=0, params=off)[0] == "yellow"
    assert colour(monitored=True, category="x", open_tickets=0, overdue_items=0, params=off)[0] == "green"


def ticket(h, dimension="water", due=DAY + dt.timedelta(days=10), opened=DAY - dt.timedelta(days=5)):
    return Ticket.objects.create(household=h, division_code=h.division_code, dimension=dimension,
                                 description="自来水入户管道破裂，饮水不稳定", source="visit", opened_on=opened,
                                 due_on=due, responsible_code=h.division_code[:12])


@pytest.fixture
def coloured(households):
    a1, a2, b1 = households["a1"], households["a2"], households["b1"]
    ticket(a1, "water", due=DAY - dt.timedelta(days=3))  # overdue ticket: red
    ticket(b1, "housing")  # one open ticket, not overdue: yellow
    VisitSchedule.objects.create(household=a2, division_code=a2.division_code, month=dt.date(2026, 11, 1),
                                 reason="monitored", due_on=DAY + dt.timedelta(days=10))  # not overdue
    return households


def test_colours_for_is_set_based_with_tickets_and_overdue_risk_colour(coloured, django_assert_max_num_queries):
    ids = [h.pk for h in coloured.values()]
    with django_assert_max_num_queries(10):  # households, tickets GROUP BY, 5 overdue kinds, profile reads
        out = colours_for(ids, DAY)
    assert out[coloured["a1"].pk]["colour"] == "red"
    assert "有1项逾期事项" in out[coloured["a1"].pk]["reasons"]
    assert out[coloured["a2"].pk] == {"colour": "yellow", "label": "黄", "reasons": ["监测对象，风险未消除"]}
    assert out[coloured["b1"].pk]["colour"] == "yellow"
    assert out[coloured["c1"].pk]["colour"] == "green"
    assert colours_for([], DAY) == {}


def test_two_open_tickets_make_red_and_an_overdue_visit_makes_red_risk_colour(households):
    b1, a2 = households["b1"], households["a2"]
    ticket(b1, "housing")
    ticket(b1, "water")
    VisitSchedule.objects.create(household=a2, division_code=a2.division_code, month=dt.date(2026, 10, 1),
                                 reason="monitored", due_on=dt.date(2026, 10, 31))
    out = colours_for([b1.pk, a2.pk], DAY)
    assert out[b1.pk]["colour"] == "red" and out[a2.pk]["colour"] == "red"


def test_badge_on_household_page_and_registry_list_risk_colour(households, personas, login):
    ticket(households["a1"], "water", due=dt.date(2024, 1, 31), opened=dt.date(2024, 1, 15))  # overdue whatever today is
    client = login(personas["cadre_a"])
    page = client.get(f"/households/{households['a2'].pk}/").content.decode()
    assert "colour-yellow" in page and "黄码" in page and "跟踪帮扶" in page
    listing = client.get("/households/").content.decode()
    assert "红码" in listing and "colour-red" in listing


def test_api_colour_and_404_outside_area_risk_colour(households, personas, login):
    client = login(personas["cadre_a"])
    body = client.get(f"/api/followup/households/{households['a2'].pk}/colour").json()
    assert body["colour"] == "yellow" and body["label"] == "黄" and body["reasons"] == ["监测对象，风险未消除"]
    assert client.get(f"/api/followup/households/{households['c1'].pk}/colour").status_code == 404


def test_badge_on_plan_list_and_my_households_risk_colour(households, personas, login):
    from fangpin.assistance.models import ContactAssignment, Plan

    a2 = households["a2"]
    Plan.objects.create(household=a2, started_on=dt.date(2026, 11, 1), due_on=dt.date(2026, 11, 30))
    ContactAssignment.objects.create(household=a2, contact=personas["contact"], assigned_on=dt.date(2026, 3, 1))
    plans_page = login(personas["township_officer"]).get("/assistance/plans/").content.decode()
    assert a2.number in plans_page and "colour-" in plans_page
    mine = login(personas["contact"]).get("/assistance/my-households/").content.decode()
    assert a2.number in mine and "colour-" in mine


def test_badge_beside_the_household_in_the_visit_lead_and_member_change_lists_risk_colour(households, personas,
                                                                                          login):
    from fangpin.discovery import services as lead_services
    from fangpin.followup import members
    from fangpin.followup import services as visit_services
    from fangpin.profiles.services import today

    day, cadre = today(), personas["cadre_a"]
    a2 = households["a2"]  # monitored: yellow
    visit_services.record_visit(cadre, a2, {"visited_on": day.isoformat(), "mode": "home"}, today=day)
    lead_services.raise_lead(cadre, channel="visit", household=a2, description="走访发现户主住院", today=day)
    members.propose(cadre, a2, {"kind": "death", "member": a2.members.get(relation="户主").pk,
                                "happened_on": day.isoformat(), "note": "村委会核实"}, today=day)
    client = login(cadre)
    for url in ("/visits/records/", "/leads/", "/visits/member-changes/"):
        page = client.get(url).content.decode()
        assert a2.number in page and "colour-yellow" in page and "黄码" in page, url
