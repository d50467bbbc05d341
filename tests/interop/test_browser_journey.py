"""The county officer's import journey in a real browser: upload, preview, apply, re-apply, export back
(R-INT-01, R-INT-02, R-INT-03)."""

import pytest
from django.test import override_settings

from fangpin.interop.models import ImportJob
from fangpin.registry.models import Household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def test_officer_uploads_previews_applies_reapplies_and_exports(live_server, desk_page, personas, xlsx, family):
    path = xlsx(family() + family("3406211002019002", "王大山", village="新建村"))
    page = desk_page
    with override_settings(TASKS=IMMEDIATE):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "county")
        page.fill("#id_password", "demo-pass-2026")
        page.click("form.stacked button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        page.click("nav.main >> text=数据导入")
        page.set_input_files("#file", str(path))
        page.click("button:has-text('上传并预检')")
        page.wait_for_selector("text=预检结果（尚未写入）")
        assert "新建村" in page.content()  # the new village is listed for confirmation
        assert Household.objects.filter(number__startswith="340621100201900").count() == 0
        page.check("input[name=divisions_confirmed]")
        page.click("button:has-text('确认导入')")
        page.wait_for_selector("h2 >> text=导入结果")
        assert Household.objects.filter(number__startswith="340621100201900").count() == 2

        page.click("text=← 数据导入")
        page.set_input_files("#file", str(path))
        page.click("button:has-text('上传并预检')")
        page.wait_for_selector("text=预检结果（尚未写入）")
        again = ImportJob.objects.latest("pk").counts
        assert again["households"]["unchanged"] == 2 and again["households"]["create"] == 0
        assert "已于" in page.content()  # the officer is told this file was imported before
        page.click("button:has-text('确认导入')")
        page.wait_for_selector("h2 >> text=导入结果")

        page.click("text=← 数据导入")
        page.select_option("#layout", "monitoring")
        page.click("button:has-text('生成导出文件')")
        page.wait_for_selector("a.btn >> text=下载")
        with page.expect_download() as info:
            page.click("a.btn >> text=下载")
        assert info.value.suggested_filename.endswith(".xlsx")

