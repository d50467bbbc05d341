"""Accounts edited in the back office leave an audit event for every change, never a password (R-SEC-02)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from fangpin.accounts.models import User
from fangpin.accounts.roles import Role
from fangpin.audit.models import Event
from tests.factories import user

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(county):
    return user("sysadmin", Role.ADMINISTRATOR, None, display_name="系统管理员", is_staff=True, is_superuser=True)


def _change_form(account: User, **changes) -> dict:
    data = {
        "username": account.username, "first_name": "", "last_name": "", "email": "",
        "is_active": "on", "display_name": account.display_name, "role": account.role,
        "division": account.division_id or "", "department": account.department, "phone": account.phone,
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-05", "date_joined_1": "08:00:00",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_changing_an_accounts_role_and_division_is_audited_R_SEC_02(county, administrator, client):
    account = user("cadre_va", Role.VILLAGE_CADRE, county["va"], display_name="孙立新")
    client.force_login(administrator)
    r = client.post(reverse("admin:accounts_user_change", args=[account.pk]),
                    _change_form(account, role=Role.TOWNSHIP_STAFF, division=county["t1"].pk))
    assert r.status_code == 302, r.content.decode()[:2000]
    event = Event.objects.get(action="user.change", object_id=str(account.pk))
    assert event.actor == administrator
    assert event.before == {"role": Role.VILLAGE_CADRE, "division": county["va"].code}
    assert event.after == {"role": Role.TOWNSHIP_STAFF, "division": county["t1"].code}
    assert event.division_code == county["t1"].code


def test_saving_an_account_unchanged_records_nothing_R_SEC_02(county, administrator, client):
    account = user("cadre_va", Role.VILLAGE_CADRE, county["va"], display_name="孙立新")
    client.force_login(administrator)
    r = client.post(reverse("admin:accounts_user_change", args=[account.pk]), _change_form(account))
    assert r.status_code == 302
    assert not Event.objects.filter(object_type="User").exists()


def test_creating_resetting_and_deleting_an_account_are_audited_without_passwords_R_SEC_02(county, administrator, client):
    client.force_login(administrator)
    r = client.post(reverse("admin:accounts_user_add"), {
        "username": "grid_new", "password1": "Qz7!mountain-river", "password2": "Qz7!mountain-river",
        "usable_password": "true", "display_name": "周小梅", "role": Role.GRID_WORKER, "division": county["grid_a1"].pk,
    })
    assert r.status_code == 302, r.content.decode()[:2000]
    account = User.objects.get(username="grid_new")
    created = Event.objects.get(action="user.create", object_id=str(account.pk))
    assert created.after["role"] == Role.GRID_WORKER and created.after["division"] == county["grid_a1"].code

    r = client.post(reverse("admin:auth_user_password_change", args=[account.pk]),
                    {"password1": "Lk9#another-valley", "password2": "Lk9#another-valley", "usable_password": "true"})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Event.objects.filter(action="user.password_change", object_id=str(account.pk)).count() == 1

    pk = account.pk
    r = client.post(reverse("admin:accounts_user_delete", args=[pk]), {"post": "yes"})
    assert r.status_code == 302
    assert not User.objects.filter(pk=pk).exists()
    deleted = Event.objects.get(action="user.delete", object_id=str(pk))
    assert deleted.before["username"] == "grid_new"

    trail = json.dumps([[e.before, e.after] for e in Event.objects.filter(object_type="User")], ensure_ascii=False)
    assert "Qz7!" not in trail and "Lk9#" not in trail and "pbkdf2" not in trail and "argon2" not in trail
