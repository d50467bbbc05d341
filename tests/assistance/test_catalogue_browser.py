"""The public policy catalogue on a phone, in a real browser under the content security policy
(R-AID-02): a villager opens the page the QR code names, finds a policy, opens it, and prints the
booklet; a department officer adds a policy with the form."""

import pytest

from fangpin.assistance import catalogue
from fangpin.assistance.models import Policy
from tests.browser.test_content_security_policy import PASSWORD, Watch, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLICIES = [
    {"type": "健康帮扶", "name": "医疗救助", "content": "对监测对象住院自付费用按比例给予救助",
     "target_population": "监测对象", "procedure": "乡镇医保站受理", "contact_name": "赵芳",
     "office_phone": "0561-6023456", "mobile": "13955612002"},
    {"type": "教育帮扶", "name": "雨露计划", "content": "脱贫家庭子女就读中职、高职给予每学期1500元补助",
     "target_population": "在校学生", "procedure": "学校审核后报县教育局审批", "office_phone": "0561-6034567"},
]


def test_a_villager_reads_and_prints_the_catalogue_on_a_phone_R_AID_02(live_server, phone, personas):
    yibao, office = personas["department"], personas["county_officer"]
    for user in (yibao, office):
        user.set_password(PASSWORD)
        user.save()
    pl = catalogue.open_department_list(yibao, 2026).obj
    for data in POLICIES:
        catalogue.save_policy(yibao, pl, data)
    catalogue.submit_list(yibao, pl)
    catalogue.publish_catalogue(office, catalogue.compile_catalogue(office, 2026).obj)

    page, url = phone, live_server.url
    watch = Watch(page)
    page.goto(f"{url}/assistance/policies/public/340621/")
    assert page.locator("h1").inner_text() == "濉溪县防返贫帮扶政策"
    assert page.locator(".type-index a").all_inner_texts() == ["健康帮扶", "教育帮扶"]
    watch.check("public page")
    page.fill("#q", "中职")
    page.click("form.public-search button")
    assert page.locator("details.policy summary").all_inner_texts() == ["雨露计划"]
    page.click("details.policy summary")
    assert page.locator("details.policy dd").first.is_visible()
    assert "13955612002" not in page.content()
    watch.check("search")
    page.goto(f"{url}/assistance/policies/public/340621/")
    page.click("text=打印版（口袋书）")
    page.wait_for_selector(".booklet-head svg")
    page.click("[data-print]")
    assert page.evaluate("window.__printed") == 1
    watch.check("booklet")

    # The department officer adds a policy with the form on a phone.
    catalogue.reopen_list(yibao, pl)
    login(page, url, "yibao")
    page.goto(f"{url}/assistance/policies/lists/{pl.pk}/policies/new/")
    page.fill("#id_type", "健康帮扶")
    page.fill("#id_name", "先诊疗后付费")
    page.fill("#id_content", "在县域内定点医院住院先诊疗后付费")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector("text=已新增政策“先诊疗后付费”")
    watch.check("policy form")
    assert Policy.objects.filter(policy_list=pl, name="先诊疗后付费", department="医保局").exists()
