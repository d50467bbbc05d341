"""Monthly visit schedules (R-TRACK-01): generation per profile, idempotence, contact changes, households
leaving the list, visits counted, ``note_visit``, the page, the API and the command."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from fangpin.accounts.roles import Role
from fangpin.assistance.models import ContactAssignment
from fangpin.audit.models import Event
from fangpin.followup import schedule
from fangpin.followup.models import ScheduleKind, ScheduleReason, Visit, VisitSchedule
from fangpin.profiles.models import PolicyProfile
from fangpin.profiles.services import profile_for_county
from tests.factories import household, user

MARCH = dt.date(2026, 3, 1)
MID_MARCH = dt.date(2026, 3, 12)


def set_followup(**params):
    """Override the test county's [followup] parameters (as a county's profile file would)."""
    row = PolicyProfile.objects.filter(county_code="340621").order_by("-version").first()
    data = dict(row.data)
    data["followup"] = {**data["followup"], **params}
    row.data = data
    row.save(update_fields=["data"])
    profile_for_county.cache_clear()


def assign(h, contact, on=dt.date(2026, 1, 5)):
    return ContactAssignment.objects.create(household=h, contact=contact, assigned_on=on)


def visit(h, on, *, purpose="monthly", visitor=None):
    return Visit.objects.create(
        household=h, division_code=h.division_code, visited_on=on, mode="home", purpose=purpose,
        visitor=visitor, visitor_name=str(visitor) if visitor else "走访人",
        month=on.replace(day=1) if purpose == "monthly" else None)


@pytest.fixture
def world(county, households, personas):
    """Monitored a2 (contact: 帮扶联系人), monitored a3 without contact, eliminated a4, 脱贫户 a1 and b1."""
    a3 = household(county["grid_a1"], "3406211002010003", "蔡国庆", category="sudden_hardship", status="monitored")
    a4 = household(county["grid_a1"], "3406211002010004", "蔡建军", category="marginal_at_risk", status="eliminated")
    c2 = household(county["grid_c1"], "3406211022010002", "马红", category="marginal_at_risk", status="monitored")
    contact = personas["contact"]
    assign(households["a2"], contact)
    return {**households, "a3": a3, "a4": a4, "c2": c2, "contact": contact}


def rows(month=MARCH, kind=None):
    qs = VisitSchedule.objects.filter(month=month)
    if kind:
        qs = qs.filter(kind=kind)
    return {(r.household_id, r.kind): r for r in qs}


def test_generation_takes_monitored_households_only_by_default_R_TRACK_01(world):
    counts = schedule.generate("340621", MARCH, today=MID_MARCH)
    got = rows()
    assert set(got) == {(world["a2"].pk, "contact"), (world["a3"].pk, "contact"), (world["c2"].pk, "contact")}
    a2 = got[world["a2"].pk, "contact"]
    assert a2.reason == ScheduleReason.MONITORED and a2.responsible == world["contact"]
    assert a2.responsible_name == "帮扶联系人" and a2.visits_required == 1
    assert a2.due_on == dt.date(2026, 3, 31) and a2.division_code == world["a2"].division_code
    assert got[world["a3"].pk, "contact"].responsible is None  # no contact yet: shown without a person
    assert counts["created"] == 3 and counts["total"] == 3 and counts["removed"] == 0
    event = Event.objects.get(action="schedule.generate")
    assert event.division_code == "340621" and event.after["created"] == 3 and event.actor is None


def test_formerly_poor_where_the_profile_says_so_R_TRACK_01(world):
    set_followup(formerly_poor_monthly=True)
    schedule.generate("340621", MARCH, today=MID_MARCH)
    got = rows()
    assert got[world["a1"].pk, "contact"].reason == ScheduleReason.FORMERLY_POOR
    assert got[world["b1"].pk, "contact"].reason == ScheduleReason.FORMERLY_POOR
    assert (world["c1"].pk, "contact") not in got and (world["a4"].pk, "contact") not in got
    assert len(got) == 5


def test_monitor_visits_where_the_profile_asks_for_them_R_TRACK_01(world, county, personas):
    set_followup(monitor_visits_per_month=2)
    later = user("grid_a1_b", Role.GRID_WORKER, county["grid_a1"], display_name="蔡二网格员")
    assert later.pk > personas["grid_worker"].pk
    schedule.generate("340621", MARCH, today=MID_MARCH)
    monitor = rows(kind=ScheduleKind.MONITOR)
    assert set(h for h, _ in monitor) == {world["a2"].pk, world["a3"].pk, world["c2"].pk}
    a3 = monitor[world["a3"].pk, "monitor"]
    assert a3.visits_required == 2 and a3.responsible == personas["grid_worker"]  # lowest id of its grid
    assert monitor[world["a2"].pk, "monitor"].responsible is None  # grid a2 has no grid worker


def test_rerun_is_idempotent_and_follows_changes_R_TRACK_01(world, county):
    schedule.generate("340621", MARCH, today=MID_MARCH)
    first = {k: r.pk for k, r in rows().items()}
    again = schedule.generate("340621", MARCH, today=MID_MARCH)
    assert again == {**again, "created": 0, "updated": 0, "removed": 0, "total": 3}
    assert {k: r.pk for k, r in rows().items()} == first
    # The contact changes: the row follows; a3 is eliminated mid-month: its open row goes.
    old = ContactAssignment.objects.get(household=world["a2"])
    old.ended_on = dt.date(2026, 3, 10)
    old.save()
    other = user("contact_b", Role.ASSISTANCE_CONTACT, county["va"], display_name="李帮扶")
    assign(world["a2"], other, dt.date(2026, 3, 10))
    world["a3"].monitoring_status = "eliminated"
    world["a3"].save()
    counts = schedule.generate("340621", MARCH, today=MID_MARCH)
    got = rows()
    assert counts["removed"] == 1 and counts["updated"] == 1 and counts["created"] == 0
    assert (world["a3"].pk, "contact") not in got
    assert got[world["a2"].pk, "contact"].responsible == other
    assert got[world["a2"].pk, "contact"].responsible_name == "李帮扶"
    assert got[world["a2"].pk, "contact"].pk == first[world["a2"].pk, "contact"]


def test_done_rows_stay_when_the_household_leaves_R_TRACK_01(world):
    visit(world["a3"], dt.date(2026, 3, 3), visitor=world["contact"])
    schedule.generate("340621", MARCH, today=MID_MARCH)
    world["a3"].monitoring_status = "eliminated"
    world["a3"].save()
    schedule.generate("340621", MARCH, today=MID_MARCH)
    kept = rows()[world["a3"].pk, "contact"]
    assert kept.done_on == dt.date(2026, 3, 3) and kept.visits_done == 1


def test_visits_of_the_month_are_counted_R_TRACK_01(world, personas):
    set_followup(monitor_visits_per_month=2)
    a2, a3 = world["a2"], world["a3"]
    monthly = visit(a2, dt.date(2026, 3, 5), visitor=world["contact"])
    visit(a2, dt.date(2026, 2, 27), visitor=world["contact"])  # last month: not counted
    visit(a3, dt.date(2026, 3, 2), purpose="routine", visitor=personas["grid_worker"])
    visit(a3, dt.date(2026, 3, 9), purpose="must_visit", visitor=personas["grid_worker"])
    visit(a3, dt.date(2026, 3, 10), purpose="routine", visitor=personas["cadre_a"])  # not a grid worker
    schedule.generate("340621", MARCH, today=MID_MARCH)
    got = rows()
    assert got[a2.pk, "contact"].visits_done == 1 and got[a2.pk, "contact"].done_on == dt.date(2026, 3, 5)
    monthly.refresh_from_db()
    assert monthly.schedule_id == got[a2.pk, "contact"].pk
    assert got[a3.pk, "contact"].visits_done == 0 and got[a3.pk, "contact"].done_on is None
    mon = got[a3.pk, "monitor"]
    assert mon.visits_done == 2 and mon.done_on == dt.date(2026, 3, 9) and mon.last_visited_on == dt.date(2026, 3, 9)


def test_note_visit_counts_and_completes_R_TRACK_01(world, personas):
    set_followup(monitor_visits_per_month=2)
    schedule.generate("340621", MARCH, today=MID_MARCH)
    a3 = world["a3"]
    first = visit(a3, dt.date(2026, 3, 4), purpose="routine", visitor=personas["grid_worker"])
    schedule.note_visit(first)
    mon = VisitSchedule.objects.get(household=a3, month=MARCH, kind="monitor")
    assert (mon.visits_done, mon.done_on, mon.last_visited_on) == (1, None, dt.date(2026, 3, 4))
    assert first.schedule_id == mon.pk
    second = visit(a3, dt.date(2026, 3, 11), purpose="routine", visitor=personas["grid_worker"])
    schedule.note_visit(second)
    mon.refresh_from_db()
    assert (mon.visits_done, mon.done_on, mon.last_visited_on) == (2, dt.date(2026, 3, 11), dt.date(2026, 3, 11))
    # A routine visit by a contact does not count for the contact's monthly row.
    routine = visit(a3, dt.date(2026, 3, 11), purpose="routine", visitor=world["contact"])
    schedule.note_visit(routine)
    assert VisitSchedule.objects.get(household=a3, month=MARCH, kind="contact").visits_done == 0


def test_note_visit_makes_the_row_of_a_household_monitored_since_the_run_R_TRACK_01(world, county):
    schedule.generate("340621", MARCH, today=MID_MARCH)
    new = household(county["grid_b1"], "3406211002020009", "任晓东", category="sudden_hardship", status="monitored")
    assign(new, world["contact"])
    v = visit(new, dt.date(2026, 3, 20), visitor=world["contact"])
    schedule.note_visit(v)
    row = VisitSchedule.objects.get(household=new, month=MARCH, kind="contact")
    assert row.responsible == world["contact"] and row.visits_done == 1 and row.done_on == dt.date(2026, 3, 20)
    assert row.due_on == dt.date(2026, 3, 31) and v.schedule_id == row.pk
    # The next run keeps it as it is.
    schedule.generate("340621", MARCH, today=MID_MARCH)
    row.refresh_from_db()
    assert row.visits_done == 1 and row.done_on == dt.date(2026, 3, 20)


def test_generate_refused_for_the_wrong_person_changes_nothing_R_TRACK_01(world, personas):
    with pytest.raises(PermissionDenied):
        schedule.generate("340621", MARCH, actor=personas["township_officer"])
    assert not VisitSchedule.objects.exists() and not Event.objects.filter(action="schedule.generate").exists()
    with pytest.raises(ValidationError) as err:
        schedule.generate("340621", "2026-13")
    assert "月份" in str(err.value)
    counts = schedule.generate("340621", "2026-03", actor=personas["county_officer"])
    assert counts["total"] == 3
    assert Event.objects.get(action="schedule.generate").actor == personas["county_officer"]


# --- pages and API -----------------------------------------------------------------------------------


@pytest.fixture
def in_march(monkeypatch):
    monkeypatch.setattr("fangpin.followup.views_schedule.today", lambda: MID_MARCH)
    monkeypatch.setattr("fangpin.api.followup_schedule.today", lambda: MID_MARCH)


def test_contact_sees_own_rows_township_sees_summary_R_TRACK_01(world, personas, login, in_march, county):
    schedule.generate("340621", MARCH, today=MID_MARCH)
    page = login(world["contact"]).get("/visits/schedule/?month=2026-03")
    assert page.status_code == 200
    text = page.content.decode()
    assert "蔡永华" in text and "蔡国庆" not in text and "马红" not in text  # only the contact's own
    assert "按责任人" not in text
    township = login(personas["township_officer"]).get("/visits/schedule/?month=2026-03")
    text = township.content.decode()
    assert "蔡永华" in text and "蔡国庆" in text and "马红" not in text  # other township: absent
    assert "按责任人" in text and "帮扶联系人" in text and "蔡桥村" in text
    other = user("t2", Role.TOWNSHIP_STAFF, county["t2"], display_name="韩站长")
    text = login(other).get("/visits/schedule/?month=2026-03&status=pending").content.decode()
    assert "马红" in text and "蔡永华" not in text


def test_county_office_regenerates_with_the_button_R_TRACK_01(world, personas, login):
    client = login(personas["county_officer"])
    page = client.get("/visits/schedule/")
    assert "重新生成本月访视计划" in page.content.decode()
    response = client.post("/visits/schedule/generate/")
    assert response.status_code == 302
    assert VisitSchedule.objects.count() == 3
    refused = login(personas["cadre_a"]).post("/visits/schedule/generate/")
    assert refused.status_code == 403


def test_schedule_api_R_TRACK_01(world, personas, login, in_march):
    schedule.generate("340621", MARCH, today=MID_MARCH)
    body = login(world["contact"]).get("/api/followup/schedule?month=2026-03").json()
    assert body["total"] == 1 and body["items"][0]["household_id"] == world["a2"].pk
    assert body["items"][0]["status"] == "pending" and body["items"][0]["responsible_name"] == "帮扶联系人"
    body = login(personas["township_officer"]).get("/api/followup/schedule?month=2026-03&mine=0").json()
    assert body["total"] == 2 and body["summary"]["villages"][0]["name"] == "蔡桥村"
    bad = login(personas["township_officer"]).get("/api/followup/schedule?month=2026-3x")
    assert bad.status_code == 422 and "月份" in bad.json()["detail"]


def test_command_generates_every_county_R_TRACK_01(world):
    out = io.StringIO()
    call_command("generate_visit_schedules", "--month", "2026-03", stdout=out)
    assert "340621" in out.getvalue() and "新增 3" in out.getvalue()
    assert VisitSchedule.objects.filter(month=MARCH).count() == 3
    out = io.StringIO()
    call_command("generate_visit_schedules", "--county", "340621", "--month", "2026-03", stdout=out)
    assert "新增 0" in out.getvalue()
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("generate_visit_schedules", "--month", "March", stdout=io.StringIO())


def test_schedule_filters_and_generate_api_R_TRACK_01(world, personas, login, in_march, county):
    visit(world["a2"], dt.date(2026, 3, 5), visitor=world["contact"])
    schedule.generate("340621", MARCH, today=MID_MARCH)
    client = login(personas["township_officer"])
    done = client.get("/api/followup/schedule?month=2026-03&status=done").json()
    assert [i["household_id"] for i in done["items"]] == [world["a2"].pk]
    pending = client.get("/api/followup/schedule?month=2026-03&status=pending&village=340621100201").json()
    assert [i["household_id"] for i in pending["items"]] == [world["a3"].pk]
    # A village outside the user's area is ignored (never a hint that it exists): the user's own rows.
    outside = client.get("/api/followup/schedule?month=2026-03&village=340621102201").json()
    assert {i["household_id"] for i in outside["items"]} == {world["a2"].pk, world["a3"].pk}
    assert client.post("/api/followup/schedule/generate").status_code == 403
    assert VisitSchedule.objects.count() == 3
    ok = login(personas["county_officer"]).post("/api/followup/schedule/generate")
    assert ok.status_code == 200 and ok.json()["total"] == 3
