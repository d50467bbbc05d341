"""Every change is attributable and the history cannot be edited (R-SEC-02, R-SUP-07)."""

import pytest
from django.urls import reverse

from fangpin.audit.models import Event
from fangpin.registry import services


def test_every_change_records_who_when_before_after_R_SEC_02(login, personas, households):
    client = login(personas["cadre_a"])
    h = households["a1"]
    r = client.post(reverse("registry:household_edit", args=[h.pk]), {"phone": "13912345678", "address": "蔡桥村3号"})
    assert r.status_code == 302
    e = Event.objects.get(action="household.update", household=h)
    assert e.actor == personas["cadre_a"] and e.actor_name == "蔡书记" and e.actor_role == "village_cadre"
    assert e.before["phone"] == "13955612345" and e.after["phone"] == "13912345678"
    assert e.source == "web" and e.at is not None
    # Shown on the household page.
    page = client.get(reverse("registry:household_detail", args=[h.pk])).content.decode()
    assert "修改农户信息" in page and "13912345678" in page and "蔡书记" in page


def test_api_changes_are_recorded_as_coming_from_the_api_R_SUP_07(login, personas, households):
    client = login(personas["cadre_a"])
    h = households["a1"]
    r = client.patch(f"/api/households/{h.pk}", {"address": "蔡桥村5号"}, content_type="application/json")
    assert r.status_code == 200
    e = Event.objects.get(action="household.update", household=h)
    assert e.source == "api" and e.actor == personas["cadre_a"]


def test_the_history_cannot_be_edited_or_deleted_R_SEC_02(personas, households):
    services.update_household(personas["cadre_a"], households["a1"], phone="13912345670")
    e = Event.objects.latest("id")
    e.after = {"phone": "forged"}
    with pytest.raises(PermissionError):
        e.save()
    with pytest.raises(PermissionError):
        e.delete()
    with pytest.raises(PermissionError):
        Event.objects.filter(pk=e.pk).update(actor_name="someone else")
    with pytest.raises(PermissionError):
        Event.objects.all().delete()
    assert Event.objects.get(pk=e.pk).after["phone"] == "13912345670"


def test_the_admin_offers_no_way_to_change_history(client, personas, households):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    admin = user("admin", Role.ADMINISTRATOR, None, is_staff=True, is_superuser=True)
    services.update_household(personas["cadre_a"], households["a1"], phone="13912345671")
    e = Event.objects.latest("id")
    client.force_login(admin)
    assert client.get(f"/admin/audit/event/{e.pk}/change/").status_code == 200  # view only
    r = client.post(f"/admin/audit/event/{e.pk}/change/", {"actor_name": "x"})
    assert r.status_code == 403
    assert client.post(f"/admin/audit/event/{e.pk}/delete/", {"post": "yes"}).status_code == 403


def test_unchanged_saves_write_no_event(personas, households):
    h = households["a1"]
    services.update_household(personas["cadre_a"], h, phone=h.phone)
    assert not Event.objects.filter(action="household.update").exists()


def test_an_objects_trail_is_read_through_an_index_R_SEC_02(db):
    """The case page reads ``object_type, object_id`` newest first; the plan must use the index,
    not scan millions of events."""
    from django.db import connection

    qs = Event.objects.filter(object_type="Case", object_id="42").order_by("-at", "-id")[:100]
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "event_object_at" in plan, plan
