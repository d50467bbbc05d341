"""A department officer answers an application on a phone, and a village cadre opens the village's
assistance list, in a real browser under the content security policy (R-AID-08, R-AID-06)."""

import datetime as dt

import pytest

from fangpin.assistance.models import Handler, Measure, MeasureStatus
from fangpin.profiles.services import today
from tests.browser.test_content_security_policy import Watch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, url, username):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-2026")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{url}/")


def test_a_department_answers_on_a_phone_R_AID_08(live_server, phone, personas, households):
    day = today()
    measure = Measure.objects.create(
        household=households["a2"], category="健康帮扶", content="申请医疗救助", source="local",
        handler=Handler.DEPARTMENT, department="医保局", status=MeasureStatus.APPLIED,
        applied_on=day - dt.timedelta(days=8), answer_due_on=day - dt.timedelta(days=1), year=day.year)
    page, watch = phone, Watch(phone)
    _login(page, live_server.url, "yibao")
    assert "待部门答复" in page.content()  # the home page's pending work, overdue
    page.click("nav.main >> text=部门帮扶")
    page.wait_for_selector("h1 >> text=医保局")
    assert "已逾期" in page.content() and "蔡永华" in page.content()
    watch.check("department list")
    page.click(f"a[href$=\"/{measure.pk}/answer/\"]")
    page.check("input[name=decision][value=refuse]")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=不予批准时必须填写理由")
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPLIED
    page.check("input[name=decision][value=approve]")
    page.fill("#id_amount", "1,200")
    page.fill("#id_start_month", f"{day:%Y-%m}")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=已答复：同意")
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPROVED and measure.amount == 1200
    watch.check("answer")


def test_a_cadre_opens_the_village_list_on_a_phone_R_AID_06(live_server, phone, personas, households):
    page, watch = phone, Watch(phone)
    _login(page, live_server.url, "cadre_a")
    page.click("nav.main >> text=帮扶清单")
    page.click("table >> text=查看")
    page.wait_for_selector("h1 >> text=濉溪镇蔡桥村脱贫户和防贫监测对象帮扶清单")
    content = page.content()
    assert "蔡德胜" in content and "任建国" not in content
    assert "注：仅统计脱贫户和防贫监测对象当年享受的政策" in content
    watch.check("village list")
