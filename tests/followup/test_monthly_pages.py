"""The monthly visit on a phone and the member-change pages (R-TRACK-02)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from fangpin.accounts.roles import Role
from fangpin.assistance.models import ContactAssignment, Measure
from fangpin.followup import members
from fangpin.followup.models import MemberChange, Visit
from fangpin.profiles.services import today
from fangpin.registry.models import IncomeRecord
from tests.factories import id_number, user


@pytest.fixture
def setup(households, personas):
    h = households["a2"]
    ContactAssignment.objects.create(household=h, contact=personas["contact"], assigned_on=dt.date(2026, 6, 1))
    measure = Measure.objects.create(household=h, category="就业帮扶", content="推荐到县城物流园务工")
    return {"h": h, "measure": measure}


def post_data(key="mv-abcdefgh12345678", **over):
    data = {"idempotency_key": key, "visited_on": today().isoformat(), "mode": "home",
            "income.wage_other": "3000", "income.transfer_pension": "200", "income.production_expense": "0",
            "basic_needs.food": "1", "basic_needs.clothing": "1", "basic_needs.education": "1",
            "basic_needs.medical": "1", "basic_needs.water": "1", "basic_needs.housing": "A",
            "member_changes[0].kind": "", "findings": "家中一切正常"}
    data.update(over)
    return data


def test_the_phone_form_renders_prefilled_with_a_key_and_no_inline_script_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    page = client.get(f"/visits/household/{setup['h'].pk}/monthly/").content.decode()
    assert re.search(r'name="idempotency_key" value="mv-[\w-]{20,}"', page)
    assert 'inputmode="decimal"' in page and "<details" in page and "mv-submitbar" in page
    assert "推荐到县城物流园务工" in page and f'value="{today().isoformat()}"' in page
    assert "followup/visit_form.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script (CSP)
    assert " onclick=" not in page and " onchange=" not in page


def test_the_phone_form_records_once_per_key_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    url = f"/visits/household/{setup['h'].pk}/monthly/"
    data = post_data(**{"measures[0].measure": str(setup["measure"].pk), "measures[0].in_place": "1",
                        "measures[0].effect": "fair"})
    r = client.post(url, data)
    assert r.status_code == 302
    visit = Visit.objects.get()
    assert r["Location"].startswith(f"/visits/records/{visit.pk}/")
    assert visit.income_total == 3200 and visit.measures_status[0]["effect"] == "fair"
    r = client.post(url, data)  # the network dropped after the first submit: sent again
    assert r.status_code == 302 and Visit.objects.count() == 1 and IncomeRecord.objects.count() == 1
    assert "的月访视已于" in client.get(url).content.decode()  # the form says this month is done
    detail = client.get(f"/visits/records/{visit.pk}/").content.decode()
    assert "当月家庭纯收入" in detail and "3200" in detail


def test_errors_shown_per_field_and_inputs_kept_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    r = client.post(f"/visits/household/{setup['h'].pk}/monthly/",
                    post_data(**{"income.wage_other": "-5", "mode": "phone", "findings": "电话回访"}))
    page = r.content.decode()
    assert r.status_code == 200 and not Visit.objects.exists()
    assert "其他工资性收入不能为负数" in page and "未入户原因" in page
    assert 'value="-5"' in page and "电话回访" in page and 'value="mv-abcdefgh12345678"' in page


def test_member_change_rows_from_the_form_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    d = today()
    born = d - dt.timedelta(days=20)
    r = client.post(f"/visits/household/{setup['h'].pk}/monthly/", post_data(**{
        "member_changes[0].kind": "birth", "member_changes[0].name": "蔡小雨",
        "member_changes[0].id_number": id_number(born, False), "member_changes[0].relation": "之女",
        "member_changes[0].happened_on": born.isoformat(),
        "member_changes[1].kind": "", "member_changes[1].name": ""}))
    assert r.status_code == 302, re.findall(r'<ul class="errorlist"><li>(.*?)</li>', r.content.decode())
    change = MemberChange.objects.get()
    assert change.kind == "birth" and change.visit == Visit.objects.get()


def test_not_the_contact_403_other_area_404_R_TRACK_02(setup, personas, login, county, households):
    client = login(personas["cadre_a"])  # sees the household, is not its contact
    assert client.get(f"/visits/household/{setup['h'].pk}/monthly/").status_code == 403
    assert client.post(f"/visits/household/{setup['h'].pk}/monthly/", post_data()).status_code == 403
    far = user("contact_c", Role.ASSISTANCE_CONTACT, county["vc"], display_name="马桥联系人")
    client = login(far)
    assert client.get(f"/visits/household/{setup['h'].pk}/monthly/").status_code == 404
    assert client.post(f"/visits/household/{setup['h'].pk}/monthly/", post_data()).status_code == 404
    assert not Visit.objects.exists()


def test_household_page_and_my_households_link_to_the_form_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    page = client.get(f"/households/{setup['h'].pk}/").content.decode()
    assert f"/visits/household/{setup['h'].pk}/monthly/" in page and "录入月访视" in page


def test_member_change_pages_verify_and_reject_R_TRACK_02(households, personas, login):
    h = households["a1"]
    born = today() - dt.timedelta(days=10)
    change = members.propose(personas["contact"], h, {"kind": "birth", "name": "蔡小雨", "relation": "之女",
                                                      "id_number": id_number(born, False),
                                                      "happened_on": born.isoformat()})
    other = members.propose(personas["contact"], h, {"kind": "marry_out", "member": h.members.get(name="王秀英").pk,
                                                     "happened_on": today().isoformat()})
    client = login(personas["cadre_a"])
    page = client.get("/visits/member-changes/").content.decode()
    assert "蔡小雨" in page and "待村级核实" in page
    assert "待核实的家庭成员变动" in client.get(f"/households/{h.pk}/").content.decode()
    detail = client.get(f"/visits/member-changes/{change.pk}/").content.decode()
    assert "核实无误" in detail
    r = client.post(f"/visits/member-changes/{other.pk}/decide/", {"action": "reject", "note": ""})
    assert "驳回时请填写核实意见" in r.content.decode()
    r = client.post(f"/visits/member-changes/{change.pk}/decide/", {"action": "verify", "note": "见出生证明"})
    assert r.status_code == 302 and h.members.filter(name="蔡小雨", active=True).exists()
    r = client.post(f"/visits/member-changes/{change.pk}/decide/", {"action": "reject", "note": "重复"})
    assert "不能再次核实或驳回" in r.content.decode()
    # another village cannot see it
    assert login(personas["cadre_b"]).get(f"/visits/member-changes/{change.pk}/").status_code == 404


def test_contact_finds_the_form_from_my_households_and_visit_list_R_TRACK_02(setup, personas, login):
    client = login(personas["contact"])
    url = f"/visits/household/{setup['h'].pk}/monthly/"
    assert url in client.get(reverse("assistance:my_households")).content.decode()
    assert reverse("assistance:my_households") in client.get("/visits/records/").content.decode()
