"""A village cadre's whole journey on a phone, in a real browser (R-REG-02, R-SEC-01, R-SEC-02)."""

import datetime as dt

import pytest

from fangpin.policy.idnumbers import make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cadre_registers_a_member_on_a_phone(live_server, phone, personas, households):
    page = phone
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "cadre_a")
    page.fill("#id_password", "demo-pass-2026")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert "蔡桥村 · 工作台" in page.content()

    page.click("nav.main >> text=农户信息")
    page.fill("#q", "蔡德")
    page.click("form.filters button[type=submit]")
    page.wait_for_selector("text=共 1 户")
    assert "任建国" not in page.content()  # another village, never shown
    page.click("text=蔡德胜")
    page.wait_for_selector("h1 >> text=户 3406211002010001")

    page.click("text=登记成员")
    good = make_id_number("340621", dt.date(2003, 4, 12), 77, male=False)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    page.fill("#id_name", "蔡小燕")
    page.fill("#id_id_number", bad)
    page.select_option("#id_relation", "之女")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=校验位错误")
    assert page.input_value("#id_name") == "蔡小燕"  # input kept
    page.fill("#id_id_number", good)
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=成员已登记")
    content = page.content()
    assert "蔡小燕" in content and "2003-04-12" in content
    assert "新增家庭成员" in content  # the change is in the household's history
    # The stylesheet is served: on a phone the member table is stacked into cards.
    display = page.eval_on_selector("table.responsive thead", "el => getComputedStyle(el).display")
    assert display == "none"
