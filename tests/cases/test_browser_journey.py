"""A township officer takes a household from application to county filing on a phone, in a real
browser (R-ID-03 … R-ID-07); the county officer files it. Every step is enforced by the engine."""

import os
from pathlib import Path

import pytest

from fangpin.cases.models import Case, CaseStatus
from fangpin.registry.models import MonitoringStatus

from .conftest import DAY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name, tmp_path):
    folder = Path(os.environ.get("FANGPIN_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _login(page, url, username):
    page.goto(f"{url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo-pass-2026")
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(f"{url}/")


def _submit(page):
    page.click("form.stacked button[type=submit]")
    page.wait_for_load_state()


def test_township_officer_takes_a_household_to_county_filing_on_a_phone_R_ID_03(
        live_server, phone, personas, applicant_household, clock, tmp_path):
    page, url = phone, live_server.url
    _login(page, url, "township")
    page.click("nav.main >> text=识别程序")
    page.click("text=受理识别申请")
    page.fill("#q", "蔡德胜")
    page.click("form.stacked button[type=submit]")
    page.click("text=受理申请")
    page.check("input[name=risk_types][value=因病]")
    page.fill("#id_reasons", "户主今年三月因病住院，家庭收入骤减")
    page.select_option("#id_category", "unstable_formerly_poor")
    page.select_option("#id_long_resident", "1")
    page.fill("#id_medical_expense", "15000")
    _submit(page)
    page.wait_for_selector("text=须签署承诺授权书")  # consent not ticked: refused, input kept
    assert page.input_value("#id_reasons") == "户主今年三月因病住院，家庭收入骤减"
    assert not Case.objects.exists()
    page.check("#id_consent_signed")
    _submit(page)
    page.wait_for_selector("text=已受理，受理编号")
    case = Case.objects.get()
    _shot(page, "01-case-opened", tmp_path)

    page.click("text=办理：村初核（核查组入户核查）")
    page.fill("#id_verifiers", "孙站长 乡镇\n张队员 驻村工作队")
    page.fill("#id_findings", "入户核实，情况属实")
    page.check("input[name=outcome][value=pass]")
    _shot(page, "02-verification-form", tmp_path)
    _submit(page)
    page.wait_for_selector("text=已完成“村初核（核查组入户核查）”")

    page.click("text=办理：组评议")
    for field, value in {"expected_villager_representatives": "9", "present_villager_representatives": "5",
                         "expected_party_members": "3", "present_party_members": "2",
                         "expected_village_cadres": "3", "present_village_cadres": "2", "approvals": "9"}.items():
        page.fill(f"#id_{field}", value)
    _submit(page)
    page.wait_for_selector("text=评议会无效")  # 9 of 15 present: below two thirds
    page.click("text=办理：组评议")
    for field, value in {"expected_villager_representatives": "9", "present_villager_representatives": "7",
                         "expected_party_members": "3", "present_party_members": "2",
                         "expected_village_cadres": "3", "present_village_cadres": "1", "approvals": "6"}.items():
        page.fill(f"#id_{field}", value)
    _submit(page)
    page.wait_for_selector("text=已完成“组评议”")

    page.click("text=办理：信息比对（县牵头）")
    for code in ("urban_housing", "vehicle", "large_machinery", "business", "public_payroll"):
        page.check(f"input[name=result_{code}][value=none]")
    _submit(page)
    page.wait_for_selector("text=不自动否决")

    page.click("text=办理：村研究确定并公示")
    page.check("input[name=decision][value=approve]")
    _submit(page)
    page.click("a.btn:has-text('发布村级公示')")
    page.check(f"input[name=cases][value='{case.pk}']")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=请打印张贴")
    page.click("button:has-text('结束公示')")
    page.wait_for_selector("text=公示期未满")
    clock.advance(7)
    page.reload()
    page.click("button:has-text('结束公示')")
    page.wait_for_selector("text=1户进入下一步")

    page.goto(f"{url}/cases/{case.pk}/")
    page.click("text=办理：镇审定公示")
    page.check("input[name=decision][value=approve]")
    _submit(page)
    page.click("a.btn:has-text('发布乡镇公示')")
    page.check(f"input[name=cases][value='{case.pk}']")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=请打印张贴")
    with page.expect_popup() as popup:
        page.click("text=打印乡镇公示")
    printed = popup.value
    printed.wait_for_load_state()
    assert "蔡德胜" in printed.content() and "13855612345" not in printed.content()
    _shot(printed, "03-township-notice-print", tmp_path)
    clock.advance(7)
    page.reload()
    page.click("button:has-text('结束公示')")
    page.wait_for_selector("text=1户进入下一步")
    page.goto(f"{url}/cases/{case.pk}/")
    assert "办理：县备案并公告" not in page.content()  # the county files, not the township
    _shot(page, "04-case-at-county", tmp_path)

    page.context.clear_cookies()
    _login(page, url, "county")
    page.goto(f"{url}/cases/{case.pk}/")
    page.click("text=办理：县备案并公告")
    page.check("input[name=decision][value=approve]")
    _submit(page)
    page.wait_for_selector("text=已备案纳入监测对象")
    _shot(page, "05-filed", tmp_path)
    case.refresh_from_db()
    assert case.status == CaseStatus.FILED
    applicant_household.refresh_from_db()
    assert applicant_household.monitoring_status == MonitoringStatus.MONITORED
    assert applicant_household.included_on == DAY.replace(day=25)
