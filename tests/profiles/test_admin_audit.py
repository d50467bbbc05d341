"""Back-office edits of the calendar and of value lists go through services and leave audit events
(R-SEC-02, R-CFG-03); a calendar correction there recomputes running deadlines (R-CFG-04)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from fangpin.audit.models import Event
from fangpin.profiles.models import CalendarDay, CalendarYear
from fangpin.profiles.services import set_calendar_day, working_calendar
from fangpin.registry import vocab
from fangpin.registry.models import Tag, Term

D = dt.date


@pytest.fixture
def admin_user(db):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    return user("sysadmin", Role.ADMINISTRATOR, None, display_name="系统管理员", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def _events(action):
    return list(Event.objects.filter(action=action).order_by("id"))


def test_a_calendar_day_added_changed_and_deleted_in_the_admin_is_audited_R_SEC_02(admin_client, admin_user):
    r = admin_client.post("/admin/profiles/calendarday/add/", {"date": "2027-01-01", "note": "元旦", "_save": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    row = CalendarDay.objects.get(date=D(2027, 1, 1))
    assert row.is_workday is False and row.source == CalendarDay.SOURCE_ADMIN
    [added] = _events("calendar.day_set")
    assert added.actor == admin_user and added.before is None
    assert added.after == {"date": "2027-01-01", "is_workday": False, "note": "元旦"}
    assert not working_calendar().is_workday(D(2027, 1, 1))

    r = admin_client.post(f"/admin/profiles/calendarday/{row.pk}/change/",
                          {"is_workday": "on", "note": "本县调整上班", "_save": "1"})
    assert r.status_code == 302
    row.refresh_from_db()
    assert row.is_workday is True
    changed = _events("calendar.day_set")[-1]
    assert changed.before["is_workday"] is False and changed.after["is_workday"] is True
    assert working_calendar().is_workday(D(2027, 1, 1))

    r = admin_client.post(f"/admin/profiles/calendarday/{row.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
    [deleted] = _events("calendar.day_delete")
    assert deleted.before["date"] == "2027-01-01" and deleted.after is None


def test_calendar_days_deleted_in_bulk_in_the_admin_are_each_audited_R_SEC_02(admin_client):
    rows = [set_calendar_day(None, D(2027, 1, d), is_workday=False, note="元旦") for d in (1, 2)]
    r = admin_client.post("/admin/profiles/calendarday/", {
        "action": "delete_selected", "_selected_action": [str(r.pk) for r in rows], "post": "yes"})
    assert r.status_code == 302
    assert not CalendarDay.objects.filter(pk__in=[r.pk for r in rows]).exists()
    assert {e.before["date"] for e in _events("calendar.day_delete")} == {"2027-01-01", "2027-01-02"}


def test_a_calendar_year_marked_in_the_admin_is_audited_and_clears_the_warning_R_SEC_02(admin_client, admin_user):
    assert working_calendar().add_working_days(D(2026, 12, 28), 5).warnings
    r = admin_client.post("/admin/profiles/calendaryear/add/",
                          {"year": "2027", "complete": "on", "note": "国办发明电", "_save": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert working_calendar().add_working_days(D(2026, 12, 28), 5).warnings == ()
    [marked] = _events("calendar.year_set")
    assert marked.actor == admin_user and marked.after == {"year": 2027, "complete": True, "note": "国办发明电"}
    row = CalendarYear.objects.get(year=2027)
    r = admin_client.post(f"/admin/profiles/calendaryear/{row.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert _events("calendar.year_delete")[0].before["year"] == 2027
    assert working_calendar().add_working_days(D(2026, 12, 28), 5).warnings


def test_only_an_administrator_may_change_the_calendar_R_SEC_02(personas):
    with pytest.raises(PermissionDenied):
        set_calendar_day(personas["county_officer"], D(2027, 1, 1), is_workday=False, note="元旦")
    assert not CalendarDay.objects.filter(date=D(2027, 1, 1)).exists()
    assert not _events("calendar.day_set")


def test_value_list_terms_edited_in_the_admin_are_audited_R_SEC_02(admin_client, admin_user):
    r = admin_client.post("/admin/registry/term/add/",
                          {"vocabulary": "relation", "value": "曾孙子", "position": "40", "active": "on", "_save": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    term = Term.objects.get(vocabulary="relation", value="曾孙子")
    [created] = _events("term.create")
    assert created.actor == admin_user and created.after["value"] == "曾孙子"
    assert "曾孙子" in vocab.values("relation")

    # The list page edits position and active in place: that path is audited too.
    r = admin_client.post("/admin/registry/term/?vocabulary=relation", {
        "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "1", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(term.pk), "form-0-position": "41", "_save": "保存"})
    assert r.status_code == 302, r.content.decode()[:3000]
    term.refresh_from_db()
    assert term.active is False and term.position == 41
    [updated] = _events("term.update")
    assert updated.before == {"active": True, "position": 40} and updated.after == {"active": False, "position": 41}
    assert "曾孙子" not in vocab.values("relation")

    r = admin_client.post(f"/admin/registry/term/{term.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert not Term.objects.filter(pk=term.pk).exists()
    assert _events("term.delete")[0].before["value"] == "曾孙子"


def test_household_tags_edited_in_the_admin_are_audited_R_SEC_02(admin_client):
    r = admin_client.post("/admin/registry/tag/add/", {"code": "orphan", "name": "孤儿", "position": "20", "_save": "1"})
    assert r.status_code == 302, r.content.decode()[:2000]
    tag = Tag.objects.get(code="orphan")
    [created] = _events("tag.create")
    assert created.after == {"code": "orphan", "name": "孤儿", "position": 20}
    assert created.division_code == ""  # a county-wide list, not a place
    r = admin_client.post(f"/admin/registry/tag/{tag.pk}/change/",
                          {"code": "orphan", "name": "事实无人抚养儿童", "position": "20", "_save": "1"})
    assert r.status_code == 302
    [updated] = _events("tag.update")
    assert updated.before == {"name": "孤儿"} and updated.after == {"name": "事实无人抚养儿童"}
    r = admin_client.post(f"/admin/registry/tag/{tag.pk}/delete/", {"post": "yes"})
    assert r.status_code == 302
    assert _events("tag.delete")[0].before["code"] == "orphan"


def test_an_unchanged_admin_save_writes_no_event_R_SEC_02(admin_client):
    tag = Tag.objects.order_by("position").first()
    r = admin_client.post(f"/admin/registry/tag/{tag.pk}/change/",
                          {"code": tag.code, "name": tag.name, "position": str(tag.position), "_save": "1"})
    assert r.status_code == 302
    assert not _events("tag.update")


def test_only_an_administrator_may_change_value_lists_R_SEC_02(personas):
    with pytest.raises(PermissionDenied):
        vocab.save_term(personas["county_officer"], None, vocabulary="relation", value="曾孙子", position=1,
                        active=True)
    assert not Term.objects.filter(value="曾孙子").exists()
