"""The back office shows registry, case-side and audit rows but never writes them (R-SEC-02, R-SUP-07).

Every change to households, members, incomes, member moves, divisions, measures and audit events goes
through a service that checks scope and records who did it. Django admin would write those rows
with neither, so for these models it is view-only: an administrator who posts an add, a change, a
delete, a bulk delete or a history "revert" is refused and nothing changes — no row, no history row,
no audit event.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.forms import modelform_factory
from django.urls import reverse

from fangpin.accounts.roles import Role
from fangpin.assistance.models import Measure
from fangpin.audit.models import Event
from fangpin.registry import services
from fangpin.registry.models import IncomeRecord, MemberMove
from tests.factories import user

# model label -> (field changed in the attempted edit, new value)
EDITS = {
    "registry.household": ("phone", "13900000000"),
    "registry.member": ("name", "改名"),
    "registry.incomerecord": ("household_size", 9),
    "registry.membermove": ("reason", "改过的原因"),
    "areas.division": ("name", "改过的村名"),
    "assistance.measure": ("content", "改过的措施"),
    "audit.event": ("object_repr", "改过的对象"),
}


@pytest.fixture
def administrator(county):
    return user("sysadmin", Role.ADMINISTRATOR, None, display_name="系统管理员", is_staff=True, is_superuser=True)


@pytest.fixture
def rows(county, households, personas):
    a1 = households["a1"]
    officer = personas["county_officer"]
    income = services.save_income(officer, a1, year=2025, data={"wage_other": "3000"})
    son = a1.members.get(relation="之子")
    services.remove_member(officer, son, "外出务工落户")
    measure = Measure.objects.create(household=a1, category="产业帮扶", content="发展养殖", items=["发展养殖"])
    return {
        "registry.household": a1,
        "registry.member": a1.members.get(relation="配偶"),
        "registry.incomerecord": income,
        "registry.membermove": MemberMove.objects.get(member=son),
        "areas.division": county["va"],
        "assistance.measure": measure,
        "audit.event": Event.objects.filter(household=a1).first(),
    }


def _state(obj) -> dict:
    """Everything stored about the row, its history rows and the audit trail's size."""
    model = type(obj)
    state = {"row": model.objects.filter(pk=obj.pk).values().first(), "events": Event.objects.count(),
             "moves": MemberMove.objects.count(), "incomes": IncomeRecord.objects.count()}
    if hasattr(model, "history"):
        state["history"] = model.history.count()
    return state


def _form_data(obj, field: str, value) -> dict:
    """A complete, valid change form for ``obj`` with one field changed (what a real edit would post)."""
    form = modelform_factory(type(obj), fields="__all__")(instance=obj)
    data = {}
    for name, bound in form._bound_items():
        current = bound.value()
        if current is None:
            continue
        data[name] = [str(v) for v in current] if isinstance(current, list | tuple) else str(current)
    data[field] = str(value)
    return data


def _url(label: str, view: str, *args) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{view}", args=args)


@pytest.mark.parametrize("label", sorted(EDITS))
def test_back_office_can_view_but_not_write_R_SEC_02_R_SUP_07(label, rows, administrator, client):
    obj = rows[label]
    field, value = EDITS[label]
    client.force_login(administrator)
    before = _state(obj)

    assert client.get(_url(label, "changelist")).status_code == 200
    page = client.get(_url(label, "change", obj.pk))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()  # shown as a view, with no save button

    data = _form_data(obj, field, value)
    assert client.get(_url(label, "add")).status_code == 403
    assert client.post(_url(label, "add"), data).status_code == 403
    assert client.post(_url(label, "change", obj.pk), data).status_code == 403
    assert client.post(_url(label, "delete", obj.pk), {"post": "yes"}).status_code == 403
    client.post(_url(label, "changelist"), {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})

    assert _state(obj) == before


HISTORY = ["areas.division", "registry.household", "registry.incomerecord", "registry.member"]


def test_the_history_pages_in_the_table_are_all_there_are_R_SEC_02():
    with_history = {label for label in EDITS if hasattr(admin.site._registry[apps.get_model(label)], "history_form_view")}
    assert with_history == set(HISTORY)


@pytest.mark.parametrize("label", HISTORY)
def test_history_revert_in_the_back_office_is_refused_R_SEC_02(label, rows, administrator, client):
    """django-simple-history's "revert to this version" page saves whatever is posted to it."""
    obj = rows[label]
    field, value = EDITS[label]
    client.force_login(administrator)
    version = obj.history.order_by("history_id").first().history_id
    before = _state(obj)

    assert client.get(_url(label, "simple_history", obj.pk, version)).status_code == 200
    r = client.post(_url(label, "simple_history", obj.pk, version), _form_data(obj, field, value))
    assert r.status_code == 403
    assert _state(obj) == before


def test_staff_of_the_county_do_not_enter_the_back_office_R_SEC_01(rows, personas, client):
    """The id routes of the back office are left out of the route sweep: only the administrator gets in."""
    client.force_login(personas["county_officer"])
    for label, obj in rows.items():
        r = client.get(_url(label, "change", obj.pk))
        assert r.status_code == 302 and r["Location"].startswith(reverse("admin:login")), label
