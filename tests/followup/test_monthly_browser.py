"""The monthly visit form on a phone, offline-tolerant (R-TRACK-02): inputs kept on the device across a
reload, a network drop says so and keeps them, the resubmit records the visit once; no CSP violation.

Needs Debian's chromium (``make browser-deps``), like the journeys in tests/browser."""

import datetime as dt

import pytest

from fangpin.assistance.models import ContactAssignment
from fangpin.followup.models import Visit
from tests.browser.test_content_security_policy import Watch, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_monthly_form_survives_reload_and_network_drop_R_TRACK_02(live_server, phone, personas, households):
    h = households["a2"]
    ContactAssignment.objects.create(household=h, contact=personas["contact"], assigned_on=dt.date(2026, 6, 1))
    page, watch, url = phone, Watch(phone), live_server.url
    login(page, url, "contact_a")
    form_url = f"{url}/visits/household/{h.pk}/monthly/"
    page.goto(form_url)
    page.fill("[name='income.wage_other']", "2600")
    page.fill("[name='income.transfer_dibao']", "450")
    page.fill("#findings", "户主在县城务工")
    key = page.input_value("[name=idempotency_key]")
    page.reload()  # the phone reloaded the page: the inputs and the form's key come back
    assert page.input_value("[name='income.wage_other']") == "2600"
    assert page.input_value("#findings") == "户主在县城务工"
    assert page.input_value("[name=idempotency_key]") == key

    page.click("summary >> text=家庭成员变动")  # the folded section opens
    page.click("#mv-add-change")  # JS adds a member-change row
    assert page.locator("fieldset.mv-change").count() == 2
    assert page.locator("[name='member_changes[1].kind']").count() == 1

    page.context.set_offline(True)
    page.click(".mv-submitbar button[type=submit]")
    page.wait_for_selector("#mv-status >> text=网络中断，已保存在本机，恢复网络后请再次提交")
    assert not Visit.objects.exists()
    assert page.input_value("[name='income.wage_other']") == "2600"

    page.context.set_offline(False)
    page.click(".mv-submitbar button[type=submit]")
    page.wait_for_url(f"{url}/visits/records/**")
    visit = Visit.objects.get()
    assert visit.idempotency_key == key and visit.income_total == 3050
    assert page.evaluate(f"window.localStorage.getItem('fangpin-monthly-{h.pk}-' + '{visit.month:%Y-%m}')") is None
    watch.check("monthly form")
