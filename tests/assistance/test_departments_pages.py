"""Pages of the department view and the village list (R-AID-08, R-AID-06): list with filters, the
answer form and its refusals, the monthly export, village list pages, the county export job page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from fangpin.assistance import village_list
from fangpin.assistance.models import Handler, Measure, MeasureStatus
from fangpin.audit.models import Event
from fangpin.jobs.models import Job
from fangpin.profiles.services import today as local_today

TODAY = local_today()


@pytest.fixture
def measure(households):
    return Measure.objects.create(
        household=households["a2"], category="健康帮扶", content="申请医疗救助", source="local",
        handler=Handler.DEPARTMENT, department="医保局", status=MeasureStatus.APPLIED,
        applied_on=TODAY - dt.timedelta(days=3), answer_due_on=TODAY + dt.timedelta(days=4), year=TODAY.year)


def test_department_list_page_with_filters_R_AID_08(measure, personas, login):
    client = login(personas["department"])
    r = client.get("/assistance/departments/")
    body = r.content.decode()
    assert r.status_code == 200 and "蔡永华" in body and "答复" in body and "医保局" in body
    r = client.get("/assistance/departments/?status=approved")
    assert "蔡永华" not in r.content.decode()
    r = client.get("/assistance/departments/?q=蔡永")
    assert "蔡永华" in r.content.decode()
    r = client.get("/assistance/departments/?month=2026-99")
    assert r.status_code == 200 and "月份" in r.content.decode()


def test_households_page_R_AID_08(measure, personas, login):
    r = login(personas["department"]).get("/assistance/departments/households/")
    body = r.content.decode()
    assert r.status_code == 200 and "蔡永华" in body and "有医保局负责的帮扶措施" in body
    assert login(personas["cadre_a"]).get("/assistance/departments/households/").status_code == 403


def test_answer_form_approves_R_AID_08(measure, personas, login):
    client = login(personas["department"])
    url = f"/assistance/departments/{measure.pk}/answer/"
    assert client.get(url).status_code == 200
    r = client.post(url, {"decision": "approve", "amount": "800", "start_month": f"{TODAY:%Y-%m}", "reason": "",
                          "on": ""})
    assert r.status_code == 302
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPROVED and measure.amount == 800
    assert Event.objects.get(action="measure.department_approve").source == "web"


def test_answer_form_refusal_without_reason_shows_the_field_and_saves_nothing_R_AID_08(measure, personas, login):
    client = login(personas["department"])
    r = client.post(f"/assistance/departments/{measure.pk}/answer/", {"decision": "refuse", "reason": ""})
    assert r.status_code == 200 and "不予批准时必须填写理由" in r.content.decode()
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPLIED and not Event.objects.exists()


def test_answer_page_of_another_department_is_404_R_AID_08(measure, county, login):
    from fangpin.accounts.roles import Role
    from tests.factories import user

    other = user("minzheng", Role.DEPARTMENT_OFFICER, county["county"], display_name="民政局", department="民政局")
    client = login(other)
    assert client.get(f"/assistance/departments/{measure.pk}/answer/").status_code == 404
    assert client.post(f"/assistance/departments/{measure.pk}/answer/",
                       {"decision": "refuse", "reason": "不符合"}).status_code == 404
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPLIED


def test_county_office_reads_but_cannot_answer_R_AID_08(measure, personas, login):
    client = login(personas["county_officer"])
    r = client.get(f"/assistance/departments/{measure.pk}/answer/")
    assert r.status_code == 200 and "提交答复" not in r.content.decode()
    assert client.post(f"/assistance/departments/{measure.pk}/answer/",
                       {"decision": "refuse", "reason": "不符合"}).status_code == 403
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.APPLIED


def test_monthly_export_download_R_AID_08(measure, personas, login):
    client = login(personas["department"])
    r = client.get(f"/assistance/departments/export.xlsx?year={measure.applied_on.year}&month={measure.applied_on.month}")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.content)).active
    assert any(row[4] == "蔡永华" for row in ws.iter_rows(values_only=True))
    r = client.get("/assistance/departments/export.xlsx?year=2026&month=13")
    assert r.status_code == 302


def test_village_cadre_cannot_open_the_department_view_R_AID_08(personas, login):
    assert login(personas["cadre_a"]).get("/assistance/departments/").status_code == 403


def test_village_list_pages_R_AID_06(households, county, personas, login):
    client = login(personas["cadre_a"])
    r = client.get("/assistance/departments/lists/")
    assert r.status_code == 200 and "蔡桥村" in r.content.decode() and "任集村" not in r.content.decode()
    r = client.get(f"/assistance/departments/lists/villages/{county['va'].pk}/?year={TODAY.year}")
    body = r.content.decode()
    assert r.status_code == 200 and "濉溪镇蔡桥村脱贫户和防贫监测对象帮扶清单" in body and "蔡德胜" in body
    r = client.get(f"/assistance/departments/lists/villages/{county['va'].pk}/list.xlsx?year={TODAY.year}")
    assert r.status_code == 200
    assert load_workbook(io.BytesIO(r.content)).active["A1"].value == "濉溪镇蔡桥村脱贫户和防贫监测对象帮扶清单"
    assert client.get(f"/assistance/departments/lists/villages/{county['vb'].pk}/").status_code == 404
    assert client.get(f"/assistance/departments/lists/villages/{county['vb'].pk}/list.xlsx").status_code == 404


def test_county_export_job_pages_R_AID_06(households, county, personas, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(personas["county_officer"])
    r = client.post("/assistance/departments/lists/export/", {"division": county["county"].code, "year": TODAY.year})
    job = Job.objects.get(kind=village_list.JOB_KIND)
    assert r.status_code == 302 and r["Location"].endswith(f"/lists/jobs/{job.pk}/")
    page = client.get(r["Location"])
    assert page.status_code == 200 and "排队中" in page.content.decode() and "hx-get" in page.content.decode()
    # Not ready yet: back to the job page, no file.
    assert client.get(f"/assistance/departments/lists/jobs/{job.pk}/download/").status_code == 302
    village_list.run_area_export(job.pk, attempt=job.attempt)
    r = client.get(f"/assistance/departments/lists/jobs/{job.pk}/download/")
    assert r.status_code == 200 and "attachment" in r["Content-Disposition"]
    card = client.get(f"/assistance/departments/lists/jobs/{job.pk}/?partial=1")
    assert card.status_code == 200 and "下载 Excel" in card.content.decode() and "hx-get" not in card.content.decode()
    # A cadre of a village cannot start it; another county's division is 404.
    cadre = login(personas["cadre_a"])
    assert cadre.post("/assistance/departments/lists/export/", {"division": county["t1"].code,
                                                                 "year": TODAY.year}).status_code == 404
    assert Job.objects.filter(kind=village_list.JOB_KIND).count() == 1
