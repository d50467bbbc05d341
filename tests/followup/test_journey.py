"""The month of follow-up as a county runs it, over the HTTP API and the pages (R-TRACK-01 … R-TRACK-05).

The month's schedule is generated; the assistance contact records the month's visit (income by source,
两不愁三保障 with a housing problem, a newborn) and a resubmit after a dropped network makes no second
visit; the village verifies the newborn into the registry; the housing problem is a ticket that cannot be
cleared without evidence and is cleared with it; a visit missed two months ago has escalated to the
township and the county; the township prints its monthly dispatch material with the household on it and
records the meeting. Every step uses the acting person's session, as a phone or a page would.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest

from fangpin.assistance.contacts import assign_contact
from fangpin.followup import schedule
from fangpin.followup.models import Meeting, MemberChange, Ticket, Visit, VisitSchedule
from fangpin.policy.idnumbers import make_id_number
from fangpin.profiles.services import today
from fangpin.registry.models import Household, IncomeRecord, Member
from tests.factories import household

pytestmark = pytest.mark.django_db


def _as(client, person):
    client.force_login(person)
    return client


def _text(response) -> str:
    return json.dumps(response.json(), ensure_ascii=False)


def _months_back(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - n, 12)
    return dt.date(y, m + 1, 1)


def test_a_month_of_follow_up_from_visit_to_dispatch_R_TRACK_01_to_R_TRACK_05(client, county, households, personas):
    day = today()
    this_month = day.replace(day=1)
    contact, cadre, township, county_officer = (personas[k] for k in ("contact", "cadre_a", "township_officer",
                                                                       "county_officer"))
    h = households["a2"]  # 边缘易致贫户, monitored
    missed = household(county["grid_a1"], "3406211002010009", "蔡建华", category="unstable_formerly_poor",
                       status="monitored")
    Household.objects.filter(pk__in=[h.pk, missed.pk]).update(risk_types=["因病"], included_on=day - dt.timedelta(days=90))
    for target in (h, missed):
        assign_contact(township, target, contact, reason="村里确定的帮扶联系人")

    # R-TRACK-01: the schedules — this month for both, and one from two months ago that was never visited.
    counts = schedule.generate("340621", this_month)
    assert counts["total"] == 2
    schedule.generate("340621", _months_back(day, 2))
    assert VisitSchedule.objects.filter(household=missed, month=_months_back(day, 2), done_on__isnull=True).exists()

    # R-TRACK-02: the contact records this month's visit on the phone form's API.
    baby = make_id_number("340621", day - dt.timedelta(days=20), 411, True)
    visit_in = {
        "household_id": h.pk, "visited_on": day.isoformat(), "mode": "home", "findings": "户主慢性病用药稳定，务工收入正常",
        "income": {"wage_other": "2600", "production_income": "500", "production_expense": "120",
                   "transfer_other": "300"},
        "basic_needs": {"food": True, "clothing": True, "education": True, "medical": True, "housing": "C",
                        "water": True, "note": "东侧厢房墙体开裂，经初步查看为C级"},
        "member_changes": [{"kind": "birth", "name": "蔡小禾", "id_number": baby, "sex": "男",
                            "birth_date": (day - dt.timedelta(days=20)).isoformat(), "relation": "之孙子",
                            "happened_on": (day - dt.timedelta(days=20)).isoformat()}],
        "idempotency_key": "visit-a2-" + this_month.strftime("%Y%m"),
    }
    api = _as(client, contact)
    first = api.post("/api/followup/monthly-visits", visit_in, content_type="application/json")
    assert first.status_code == 201, first.content.decode()
    # The network dropped before the answer arrived: the phone resubmits the same form.
    again = api.post("/api/followup/monthly-visits", visit_in, content_type="application/json")
    assert again.status_code == 200 and again.json()["created"] is False
    visit = Visit.objects.get(household=h, purpose="monthly")
    assert visit.month == this_month and visit.visitor == contact
    income = IncomeRecord.objects.get(household=h, period="month", year=day.year, month=day.month)
    assert visit.income_record == income and str(income.net_income) == "3280.00"
    row = VisitSchedule.objects.get(household=h, month=this_month, kind="contact")
    assert row.done_on == day and row.visits_done == 1
    # A second visit in the same month with a new form is refused, naming the month.
    other = api.post("/api/followup/monthly-visits", {**visit_in, "idempotency_key": "visit-a2-second",
                                                       "member_changes": []}, content_type="application/json")
    assert other.status_code in (400, 422) and f"{day.month}月" in _text(other)
    assert Visit.objects.filter(household=h, purpose="monthly").count() == 1

    # R-TRACK-02: the village verifies the newborn; the registry now has him (账实相符).
    change = MemberChange.objects.get(household=h, kind="birth")
    assert change.status == "proposed" and not Member.objects.filter(id_number=baby).exists()
    verified = _as(client, cadre).post(f"/api/followup/member-changes/{change.pk}/verify", {"note": "已入户核实出生证明"},
                                       content_type="application/json")
    assert verified.status_code == 200, verified.content.decode()
    assert Member.objects.get(id_number=baby, active=True).household == h

    # R-TRACK-05: the housing problem became a ticket with its clearing deadline; clearing needs evidence.
    ticket = Ticket.objects.get(household=h, dimension="housing", status="open")
    assert ticket.due_on == ticket.opened_on + dt.timedelta(days=15) and ticket.visit == visit
    no_evidence = _as(client, cadre).post(f"/api/followup/tickets/{ticket.pk}/close",
                                          {"closed_on": day.isoformat(), "evidence": ""},
                                          content_type="application/json")
    assert no_evidence.status_code in (400, 422) and "佐证" in _text(no_evidence)
    ticket.refresh_from_db()
    assert ticket.status == "open"
    cleared = _as(client, cadre).post(f"/api/followup/tickets/{ticket.pk}/close",
                                      {"closed_on": day.isoformat(), "housing_grade": "B",
                                       "evidence": "已完成墙体加固，乡镇住建办复核鉴定为B级"},
                                      content_type="application/json")
    assert cleared.status_code == 200, cleared.content.decode()
    ticket.refresh_from_db()
    h.refresh_from_db()
    assert ticket.status == "closed" and h.housing_grade == "B"

    # R-TRACK-04: the visit missed two months ago is overdue for the contact and escalated beyond the village.
    mine = _as(client, contact).get("/api/followup/overdue").json()
    assert any(i["kind"] == "visit" and i["household_id"] == missed.pk for i in mine["items"])
    at_township = _as(client, township).get("/api/followup/overdue").json()
    item = next(i for i in at_township["items"] if i["kind"] == "visit" and i["household_id"] == missed.pk)
    assert item["level"] >= 1 and item["days"] > 28
    at_county = _as(client, county_officer).get("/api/followup/overdue").json()
    assert any(i["household_id"] == missed.pk for i in at_county["items"])  # ≥ 15 days: the county's too
    home = _as(client, township).get("/")
    assert "逾期" in home.content.decode()

    # R-TRACK-03: the township's monthly dispatch material lists the unresolved households, printable and
    # exportable, and the meeting's conclusions are recorded.
    page = _as(client, township).get(f"/visits/analysis/township/{county['t1'].code}/")
    text = page.content.decode()
    assert page.status_code == 200 and h.number in text and missed.number in text and "打印" in text
    export = client.get(f"/visits/analysis/township/{county['t1'].code}/export/")
    assert export.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(export.content)).active
    numbers = {str(c.value) for row in sheet.iter_rows() for c in row if c.value}
    assert h.number in numbers and missed.number in numbers
    meeting = client.post("/api/followup/meetings", {
        "division": county["t1"].code, "kind": "township_dispatch", "held_on": day.isoformat(),
        "attendees": "分管副镇长、乡村振兴办、蔡桥村、任集村党支部书记",
        "conclusions": "蔡桥村逾期未访视的监测户本周内完成入户；住房问题已销号。",
    }, content_type="application/json")
    assert meeting.status_code == 201, meeting.content.decode()
    assert Meeting.objects.filter(kind="township_dispatch", division_code=county["t1"].code).count() == 1
    # Another township's dispatch is not this township's to see.
    assert client.get(f"/visits/analysis/township/{county['t2'].code}/").status_code == 404
