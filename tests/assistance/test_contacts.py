"""Assistance contacts (R-AID-05, R-ID-07): assigned on filing, at most two households per contact,
reassignment recorded."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import OutOfScope
from fangpin.assistance import contacts
from fangpin.assistance.models import ContactAssignment
from fangpin.audit.models import Event
from tests.assistance.test_plans import DAY
from tests.factories import household, user


@pytest.fixture
def monitored(county, households):
    """Three monitored households of 蔡桥村."""
    extra = [household(county["grid_a1"], f"340621100201000{i}", name, category="marginal_at_risk", status="monitored")
             for i, name in ((7, "蔡国强"), (8, "蔡明亮"))]
    for h in [households["a2"], *extra]:
        h.included_on = DAY
        h.save(update_fields=["included_on"])
    return [households["a2"], *extra]


def _snapshot():
    return list(ContactAssignment.objects.order_by("pk").values()), Event.objects.count()


def test_contact_is_assigned_and_shown_R_AID_05(monitored, personas):
    township, contact = personas["township_officer"], personas["contact"]
    row, changed = contacts.assign_contact(township, monitored[0], contact, today=DAY)
    assert changed and row.assigned_on == DAY and row.assigned_by == township
    assert contacts.current_contact(monitored[0]) == contact
    assert list(contacts.households_of(contact)) == [monitored[0]]
    event = Event.objects.get(action="contact.assign")
    assert event.household_id == monitored[0].pk and event.after["contact"] == "帮扶联系人"
    # The same contact again changes nothing and records nothing.
    events = Event.objects.count()
    assert contacts.assign_contact(township, monitored[0], contact, today=DAY)[1] is False
    assert Event.objects.count() == events


def test_a_third_household_for_a_contact_is_refused_R_AID_05(monitored, personas):
    township, contact = personas["township_officer"], personas["contact"]
    contacts.assign_contact(township, monitored[0], contact, today=DAY)
    contacts.assign_contact(township, monitored[1], contact, today=DAY)
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        contacts.assign_contact(township, monitored[2], contact, today=DAY)
    assert exc.value.message_dict["contact"] == ["帮扶联系人已联系2户，每名帮扶联系人最多联系2户（原则上1户），请另选联系人"]
    assert _snapshot() == before
    # The township officer may be the contact instead.
    contacts.assign_contact(township, monitored[2], township, today=DAY)
    assert contacts.current_contact(monitored[2]) == township


def test_reassignment_needs_a_reason_and_keeps_the_history_R_AID_05(monitored, personas, county):
    township, contact = personas["township_officer"], personas["contact"]
    second = user("contact_a2", Role.ASSISTANCE_CONTACT, county["va"], display_name="蔡红梅")
    contacts.assign_contact(township, monitored[0], contact, today=DAY)
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        contacts.assign_contact(township, monitored[0], second, today=DAY)
    assert exc.value.message_dict == {"reason": ["更换帮扶联系人须填写说明（更换原因）"]}
    assert _snapshot() == before
    later = DAY + dt.timedelta(days=20)
    contacts.assign_contact(township, monitored[0], second, on=later, reason="原联系人调岗", today=later)
    rows = list(contacts.history(monitored[0]))
    assert [(r.contact.display_name, r.assigned_on, r.ended_on, r.end_reason) for r in rows] == [
        ("蔡红梅", later, None, ""), ("帮扶联系人", DAY, later, "原联系人调岗")]
    assert Event.objects.filter(action="contact.reassign").get().before["contact"] == "帮扶联系人"
    # The former contact is free again.
    assert list(contacts.households_of(contact)) == []


@pytest.mark.parametrize("case", ["other_village_contact", "grid_worker_contact", "not_monitored", "bad_date"])
def test_bad_assignments_are_refused_with_the_field_named_R_AID_05(case, monitored, personas, households, county):
    township = personas["township_officer"]
    target, person, kwargs, field = monitored[0], personas["contact"], {}, "contact"
    if case == "other_village_contact":
        person = user("contact_b", Role.ASSISTANCE_CONTACT, county["vb"])
    elif case == "grid_worker_contact":
        person = personas["grid_worker"]
    elif case == "not_monitored":
        target, field = households["a1"], "__all__"
    else:
        kwargs, field = {"on": "2026-02-30"}, "assigned_on"
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        contacts.assign_contact(township, target, person, today=DAY, **kwargs)
    assert field in exc.value.message_dict
    assert _snapshot() == before


def test_only_the_township_assigns_within_its_area_R_AID_05(monitored, personas, county):
    before = _snapshot()
    with pytest.raises(PermissionDenied, match="乡镇工作人员"):
        contacts.assign_contact(personas["cadre_a"], monitored[0], personas["contact"], today=DAY)
    other_township = user("township_b", Role.TOWNSHIP_STAFF, county["t2"])
    with pytest.raises(OutOfScope):
        contacts.assign_contact(other_township, monitored[0], personas["contact"], today=DAY)
    assert _snapshot() == before


def test_candidates_show_current_load(monitored, personas):
    township, contact = personas["township_officer"], personas["contact"]
    contacts.assign_contact(township, monitored[0], contact, today=DAY)
    people = {u.display_name: u.current for u in contacts.candidates(monitored[1], actor=township)}
    assert people == {"帮扶联系人": 1, "孙站长": 0}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_assignments_cannot_exceed_the_limit_R_AID_05(monitored, personas):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite has one writer at a time")
    township, contact = personas["township_officer"], personas["contact"]
    contacts.assign_contact(township, monitored[0], contact, today=DAY)
    barrier, results = threading.Barrier(2), []

    def assign(h):
        from django.db import connections

        try:
            barrier.wait()
            contacts.assign_contact(township, h, contact, today=DAY)
            results.append("ok")
        except ValidationError:
            results.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign, args=(h,)) for h in monitored[1:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok", "refused"]
    assert ContactAssignment.objects.filter(contact=contact, ended_on__isnull=True).count() == 2
