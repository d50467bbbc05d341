"""On a phone, under the content security policy: the household page's income chart is drawn by ECharts
from the page's JSON, the township's dispatch material shows its printable sparklines, and the door card
shows its QR code — with no policy violation or script error (R-TRACK-03, issue items 6 and 7)."""

import datetime as dt

import pytest

from fangpin.profiles.services import today
from tests.browser.test_content_security_policy import Watch, login
from tests.followup.test_analysis import income

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_income_chart_material_and_door_card_on_a_phone_R_TRACK_03(live_server, phone, county, personas, households):
    h = households["a2"]
    day = today()
    for back in (1, 2, 3):
        month = (day.replace(day=1) - dt.timedelta(days=28 * back)).replace(day=1)
        income(h, month.year, month=month.month, net=str(1500 + 200 * back))
    income(h, day.year - 1, net="24000")
    page, watch = phone, Watch(phone)
    login(page, live_server.url, "township")
    page.goto(f"{live_server.url}/households/{h.pk}/")
    page.wait_for_selector("#income-chart canvas")
    assert "跟踪帮扶" in page.content() and "黄码" in page.content()
    watch.check("household page")
    page.goto(f"{live_server.url}/visits/analysis/township/{county['t1'].code}/")
    page.wait_for_selector("svg.sparkline")
    assert h.number in page.content()
    watch.check("dispatch material")
    page.goto(f"{live_server.url}/visits/card/{h.pk}/")
    page.wait_for_selector(".door-card .qr svg")
    watch.check("door card")
