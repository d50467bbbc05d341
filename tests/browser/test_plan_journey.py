"""On a phone, under the content security policy: the township names a newly filed household's contact,
builds its plan from the proposals and submits it; the county approves it; the contact finds the
household on their own page (R-ID-07, R-AID-03, R-AID-05)."""

import datetime as dt

import pytest

from fangpin.assistance import plans
from fangpin.assistance.models import ContactAssignment, Plan, PlanStatus
from fangpin.profiles.services import today
from fangpin.registry.models import Household
from tests.assistance.test_plans import make_catalogue
from tests.browser.test_content_security_policy import Watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url, username):
    page.context.clear_cookies()
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-2026")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_township_builds_and_county_approves_a_plan_on_a_phone_R_AID_03_R_AID_05(live_server, phone, county,
                                                                                  personas, households):
    catalogue = make_catalogue(county["county"], year=today().year)
    h = households["a2"]
    Household.objects.filter(pk=h.pk).update(risk_types=["因病"])  # as filed: risk of illness
    plan = plans.on_household_filed(personas["county_officer"], h, today() - dt.timedelta(days=1))
    page, watch = phone, Watch(phone)

    _login(page, live_server.url, "township")
    assert f"户{h.number}：确定帮扶联系人" in page.content()  # pending on the home page
    page.goto(f"{live_server.url}/assistance/households/{h.pk}/")
    page.click("text=确定联系人")
    page.select_option("#contact", str(personas["contact"].pk))
    page.click("form.card button[type=submit]")
    page.wait_for_selector("dd >> text=帮扶联系人")
    assert ContactAssignment.objects.get(household=h, ended_on__isnull=True).contact == personas["contact"]
    watch.check("contact")

    # A proposal says why it matches; adding it puts the measure in the plan.
    card = page.locator(".card", has_text="医疗救助").filter(has_text="符合")
    assert card.count() >= 1
    card.first.locator("button", has_text="加入方案").click()
    page.wait_for_selector("td >> text=健康·医疗救助")
    page.click("button >> text=报县级审定")
    page.wait_for_selector("h2 >> text=待县级审定")
    watch.check("plan")

    _login(page, live_server.url, "county")
    page.goto(f"{live_server.url}/assistance/households/{h.pk}/")
    page.click("button >> text=审定通过")
    page.wait_for_selector("h2 >> text=已审定")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.APPROVED and plan.catalogue == catalogue
    assert Plan.objects.get(pk=plan.pk).measures.get().policy.name == "医疗救助"
    watch.check("approval")

    _login(page, live_server.url, "contact_a")
    page.click("text=我联系的农户")
    assert h.number in page.content()
    watch.check("contact's households")
