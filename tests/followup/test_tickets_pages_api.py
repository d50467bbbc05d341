"""Problem tickets on the pages, over the API, in pending actions and from a national import (R-TRACK-05)."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangpin.accounts.pending import pending_actions
from fangpin.accounts.roles import Role
from fangpin.followup import tickets
from fangpin.followup.models import Ticket
from fangpin.profiles.services import today
from fangpin.registry.models import Household
from tests.factories import user

API = "/api/followup/tickets"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def board(households, personas):
    """An overdue water problem (found 20 days ago), a fresh housing problem in 蔡桥村 and a food problem in 任集村."""
    day = today()
    cadre = personas["cadre_a"]
    late = tickets.open_ticket(cadre, households["a1"], {
        "dimension": "water", "description": "水井干涸，联系电话13955612345", "opened_on": day - dt.timedelta(days=20)},
        today=day).obj
    fresh = tickets.open_ticket(cadre, households["a2"], {
        "dimension": "housing", "description": "住房鉴定为C级", "opened_on": day}, today=day).obj
    other = tickets.open_ticket(personas["cadre_b"], households["b1"], {
        "dimension": "food", "description": "家中缺粮，靠亲戚接济"}, today=day).obj
    return {"late": late, "fresh": fresh, "other": other}


def test_list_puts_overdue_first_and_is_scoped_R_TRACK_05(board, personas, login):
    client = login(personas["cadre_a"])
    page = client.get(reverse("followup:ticket_list")).content.decode()
    assert page.index(f'/visits/tickets/{board["late"].pk}/') < page.index(f'/visits/tickets/{board["fresh"].pk}/')
    assert "已逾期5天" in page and "还有15天" in page
    assert f'/visits/tickets/{board["other"].pk}/' not in page
    assert "13955612345" in page or "139****2345" in page
    page = client.get(reverse("followup:ticket_list") + "?overdue=1").content.decode()
    assert f'/visits/tickets/{board["fresh"].pk}/' not in page and f'/visits/tickets/{board["late"].pk}/' in page


def test_township_sees_counts_per_village_R_TRACK_05(board, personas, login):
    page = login(personas["township_officer"]).get(reverse("followup:ticket_list")).content.decode()
    assert "各村情况" in page and "蔡桥村" in page and "任集村" in page
    summary = tickets.village_summary(personas["township_officer"], today())
    rows = {r["name"]: r for r in summary}
    assert (rows["蔡桥村"]["open"], rows["蔡桥村"]["overdue"]) == (2, 1)
    assert (rows["任集村"]["open"], rows["任集村"]["overdue"]) == (1, 0)


def test_other_village_or_township_gets_404_R_TRACK_05(board, personas, login, county):
    other_township = user("hancun", Role.TOWNSHIP_STAFF, county["t2"], display_name="韩站长")
    pk = board["late"].pk
    for person in (personas["cadre_b"], other_township):
        client = login(person)
        for name in ("ticket_detail", "ticket_evidence"):
            assert client.get(reverse(f"followup:{name}", args=[pk])).status_code == 404
        assert client.post(reverse("followup:ticket_close", args=[pk]),
                           {"evidence": "已接通自来水并试水正常使用"}).status_code == 404
        assert client.get(f"{API}/{pk}").status_code == 404
    board["late"].refresh_from_db()
    assert board["late"].status == "open"


def test_register_close_and_download_evidence_on_the_pages_R_TRACK_05(households, personas, login):
    Household.objects.filter(pk=households["a1"].pk).update(water_secure=False)
    client = login(personas["cadre_a"])
    url = reverse("followup:ticket_new") + f"?household={households['a1'].pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, {"household": households["a1"].pk, "dimension": "water", "description": "",
                                 "difficulty": "general", "source": "manual"})
    assert response.status_code == 200 and "问题描述不能为空" in response.content.decode()
    assert not Ticket.objects.exists()
    response = client.post(url, {"household": households["a1"].pk, "dimension": "water", "difficulty": "general",
                                 "description": "自来水入户管道破裂", "source": "manual"})
    t = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("followup:ticket_detail", args=[t.pk])
    page = client.get(response["Location"]).content.decode()
    assert "销号" in page and "调整难易程度" not in page  # a village does not reclassify
    response = client.post(reverse("followup:ticket_close", args=[t.pk]), {"version": t.version, "evidence": ""})
    assert response.status_code == 400 and "销号必须提供佐证" in response.content.decode()
    pdf = SimpleUploadedFile("验收单.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(reverse("followup:ticket_close", args=[t.pk]), {
        "version": t.version, "evidence": "已更换入户管道并试水正常", "file": pdf})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.status == "closed" and Household.objects.get(pk=households["a1"].pk).water_secure is True
    download = client.get(reverse("followup:ticket_evidence", args=[t.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert "attachment" in download["Content-Disposition"]
    household_page = client.get(reverse("registry:household_detail", args=[households["a1"].pk])).content.decode()
    assert "问题清零" in household_page and "已销号" in household_page


def test_township_reclassifies_and_assigns_on_the_page_R_TRACK_05(board, personas, login):
    client = login(personas["township_officer"])
    t = board["fresh"]
    page = client.get(reverse("followup:ticket_detail", args=[t.pk])).content.decode()
    assert "调整难易程度" in page and "指定责任人" in page
    response = client.post(reverse("followup:ticket_reclassify", args=[t.pk]), {"difficulty": "special", "reason": ""})
    assert response.status_code == 400 and "调整原因不能为空" in response.content.decode()
    response = client.post(reverse("followup:ticket_reclassify", args=[t.pk]),
                           {"difficulty": "special", "reason": "需易地搬迁安置"})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.difficulty == "special" and t.due_on == t.opened_on + dt.timedelta(days=365)
    response = client.post(reverse("followup:ticket_assign", args=[t.pk]), {"responsible": personas["contact"].pk})
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.responsible == personas["contact"]
    assert login(personas["cadre_a"]).post(reverse("followup:ticket_reclassify", args=[t.pk]), {
        "difficulty": "general", "reason": "想改回"}).status_code == 403


def test_export_is_for_township_and_county_with_masked_text_R_TRACK_05(board, personas, login):
    response = login(personas["township_officer"]).get(reverse("followup:ticket_export"))
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 3 and rows[0][5] == "饮水安全" and rows[0][12] == 5  # overdue first, 5 days late
    assert login(personas["cadre_a"]).get(reverse("followup:ticket_export")).status_code == 403
    assert login(personas["grid_worker"]).get(reverse("followup:ticket_export")).status_code == 403


def test_pending_actions_show_overdue_first_and_township_counts_R_TRACK_05(board, personas):
    items = [i for i in pending_actions(personas["cadre_a"]) if i["title"].startswith("问题清零")]
    assert [i["remaining"] for i in items] == ["已逾期5天", "还有15天"]
    assert items[0]["overdue"] is True and items[0]["url"] == reverse("followup:ticket_detail", args=[board["late"].pk])
    tickets.assign(personas["cadre_a"], board["fresh"], personas["contact"].pk)
    mine = [i for i in pending_actions(personas["contact"]) if i["title"].startswith("问题清零")]
    assert [i["url"] for i in mine] == [reverse("followup:ticket_detail", args=[board["fresh"].pk])]
    township = [i for i in pending_actions(personas["township_officer"]) if "逾期未销号" in i["title"]]
    assert township[0]["title"] == "本乡镇逾期未销号的问题 1 个"


def test_api_lists_creates_and_closes_R_TRACK_05(board, households, personas, login):
    client = login(personas["cadre_a"])
    data = client.get(API).json()
    assert data["total"] == 2 and data["items"][0]["id"] == board["late"].pk and data["items"][0]["overdue"] is True
    assert data["items"][0]["remaining"] == "已逾期5天"
    created = client.post(API, {"household_id": households["a2"].pk, "dimension": "medical",
                                "description": "慢性病门诊未办理，药费负担重", "difficulty": "general"},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    tid = created.json()["ticket"]["id"]
    closed = client.post(f"{API}/{tid}/close", {"evidence": "已办理慢病门诊卡，报销比例70%"},
                         content_type="application/json")
    assert closed.status_code == 200 and closed.json()["ticket"]["status"] == "closed"
    assert Household.objects.get(pk=households["a2"].pk).medical_secure is True
    pdf = SimpleUploadedFile("验收.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(f"{API}/{board['late'].pk}/close-with-file",
                           {"evidence": "已打深水井并接通管道", "file": pdf})
    assert response.status_code == 200, response.content
    assert response.json()["ticket"]["evidence_file_name"] == "验收.pdf"


def test_api_unhappy_paths_R_TRACK_05(board, households, personas, login):
    client = login(personas["cadre_a"])
    t = board["fresh"]
    response = client.post(API, {"household_id": households["a1"].pk, "dimension": "roof", "description": ""},
                           content_type="application/json")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "问题类别" in errors["dimension"][0] and "问题描述不能为空" in errors["description"][0]
    response = client.post(API, {"household_id": households["a1"].pk, "dimension": "water", "description": "又缺水"},
                           content_type="application/json")
    assert response.status_code == 422 and f"问题#{board['late'].pk}" in response.json()["detail"]
    assert client.post(API, {"household_id": households["b1"].pk, "dimension": "water", "description": "缺水"},
                       content_type="application/json").status_code == 404
    response = client.post(f"{API}/{t.pk}/close", {"evidence": ""}, content_type="application/json")
    assert response.status_code == 422 and "销号必须提供佐证" in response.json()["detail"]
    response = client.post(f"{API}/{t.pk}/reclassify", {"difficulty": "special", "reason": "拖延"},
                           content_type="application/json")
    assert response.status_code == 403
    response = client.post(f"{API}/{t.pk}/assign", {"responsible_id": personas["cadre_b"].pk},
                           content_type="application/json")
    assert response.status_code == 422 and "责任人" in response.json()["detail"]
    assert client.post(f"{API}/{t.pk}/close", "{not json", content_type="application/json").status_code == 400
    assert client.get(f"{API}/{board['other'].pk}").status_code == 404
    assert client.get(f"{API}/abc").status_code in (404, 422)
    bad = SimpleUploadedFile("x.exe", b"MZ")
    response = client.post(f"{API}/{t.pk}/close-with-file", {"evidence": "已完成危房改造并验收合格", "file": bad})
    assert response.status_code == 422 and "文件类型不支持" in response.json()["detail"]
    t.refresh_from_db()
    assert (t.status, t.difficulty, t.responsible_id) == ("open", "general", None)
    township = login(personas["township_officer"])
    response = township.post(f"{API}/{t.pk}/reclassify", {"difficulty": "difficult", "reason": "需统一规划改造"},
                             content_type="application/json")
    assert response.status_code == 200 and response.json()["ticket"]["difficulty"] == "difficult"
    assert json.loads(township.get(f"{API}?difficulty=difficult").content)["total"] == 1


def test_a_national_import_opens_tickets_for_the_problems_it_shows_R_TRACK_05(county, personas, tmp_path):
    from fangpin.interop import jobs, services
    from fangpin.interop.models import ImportStatus
    from tests.interop.conftest import person, write_xlsx

    rows = [person("3406211002019101", "韩德福", "户主", birth=dt.date(1966, 3, 8)),
            person("3406211002019101", "刘桂芳", "配偶", birth=dt.date(1968, 5, 2), male=False)]
    for r in rows:
        r.update({"监测对象类别": "边缘易致贫户", "户类型": "普通农户", "识别监测时间": "202403",
                  "致贫/返贫风险1": "因病", "风险是否已消除": "否", "家庭人口数": "2",
                  "是否解决安全饮用水": "否", "是否危房户": "否"})
    path = write_xlsx(tmp_path / "export.xlsx", rows)
    officer = personas["county_officer"]
    with open(path, "rb") as fh:
        job = services.start_import(officer, county["county"], fh, name="export.xlsx", enqueue=False)
    job = jobs.run_check(job.pk)
    assert job.status == ImportStatus.CHECKED, job.error
    services.request_apply(officer, job, refused_seen=False, divisions_confirmed=True, enqueue=False)
    job = jobs.run_apply(job.pk)
    assert job.status == ImportStatus.APPLIED, job.error
    h = Household.objects.get(number="3406211002019101")
    assert h.water_secure is False
    t = Ticket.objects.get(household=h)
    assert (t.dimension, t.source, t.status, t.difficulty) == ("water", "import", "open", "general")
    assert t.due_on == t.opened_on + dt.timedelta(days=15)
