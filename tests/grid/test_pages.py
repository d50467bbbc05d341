"""Grid pages (R-GRID-01 … R-GRID-06): a village's grids, a grid worker's own grid and nothing else,
splitting and moving in pages, worker forms that keep the input and name the field, the ledger download."""

from __future__ import annotations

from django.urls import reverse

from fangpin.areas.models import Division, GridWorker, Level
from fangpin.audit.models import Event
from fangpin.grid import services
from fangpin.registry.models import Household

from .conftest import fill


def test_a_grid_worker_sees_only_their_grid_R_GRID_06(county, households, personas, login):
    client = login(personas["grid_worker"])
    own = client.get(reverse("grid:index"))
    assert own.status_code == 302 and own.url == reverse("grid:grid_detail", kwargs={"pk": county["grid_a1"].pk})
    page = client.get(own.url)
    assert page.status_code == 200 and "蔡德胜" in page.content.decode()
    assert "调入农户" not in page.content.decode()  # a grid worker does not move households
    for name, pk in (("grid:grid_detail", county["grid_a2"].pk), ("grid:village", county["va"].pk),
                     ("grid:ledger", county["va"].pk), ("grid:group_split", county["ga1"].pk)):
        assert client.get(reverse(name, kwargs={"pk": pk})).status_code == 404, name
    assert client.get(reverse("grid:report") + f"?division={county['va'].code}").status_code == 404
    r = client.post(reverse("grid:grid_assign", kwargs={"pk": county["grid_a1"].pk}), {"household": households["a1"].pk})
    assert r.status_code == 403


def test_the_village_page_shows_grids_counts_and_workers_R_GRID_01(county, households, personas, login):
    services.create_worker(personas["cadre_a"], county["va"], {"name": "蔡德明", "phone": "13955610001",
                                                               "position": "group_worker", "grid": county["grid_a1"].code,
                                                               "is_group_leader": True})
    fill(county["ga2"], 2, grid=False)
    page = login(personas["cadre_a"]).get(reverse("grid:village", kwargs={"pk": county["va"].pk})).content.decode()
    assert "第一村民小组第一网格" in page and "蔡德明（村民组长）" in page and "13955610001" in page
    assert "未入网格的农户（2户）" in page and "导出基层网格工作台账" in page
    other = login(personas["cadre_b"]).get(reverse("grid:village", kwargs={"pk": county["va"].pk}))
    assert other.status_code == 404


def test_splitting_a_group_in_the_page_R_GRID_02(county, households, personas, login):
    fill(county["grid_a1"], 79)
    client = login(personas["cadre_a"])
    url = reverse("grid:group_split", kwargs={"pk": county["ga1"].pk})
    assert "建议分为2个网格" in client.get(url).content.decode()
    refused = client.post(url, {"grids": "1"})
    assert refused.status_code == 200 and "超过本县上限70户" in refused.content.decode()
    assert Division.objects.filter(parent=county["ga1"]).count() == 1
    done = client.post(url, {"grids": "2"})
    assert done.status_code == 302
    assert list(Division.objects.filter(parent=county["ga1"]).values_list("name", flat=True)) == [
        "第一村民小组第一网格", "第一村民小组第二网格"]


def test_moving_households_in_the_page_is_refused_past_the_maximum_R_GRID_06(county, households, personas, login):
    fill(county["grid_a2"], 69)
    client = login(personas["cadre_a"])
    url = reverse("grid:grid_assign", kwargs={"pk": county["grid_a2"].pk})
    r = client.post(url, {"household": [households["a1"].pk]}, follow=True)
    assert "未调整：第二村民小组第一网格调整后将有71户" in r.content.decode()
    assert Household.objects.get(pk=households["a1"].pk).grid == county["grid_a1"]
    fresh = client.post(reverse("grid:grid_assign", kwargs={"pk": county["grid_a1"].pk}),
                        {"household": [Household.objects.filter(grid=county["grid_a2"]).first().pk]}, follow=True)
    assert "已将1户调整到第一村民小组第一网格" in fresh.content.decode()


def test_the_worker_form_keeps_the_input_and_names_the_field_in_chinese_R_GRID_03(county, personas, login):
    client = login(personas["cadre_a"])
    url = reverse("grid:worker_create", kwargs={"pk": county["va"].pk})
    form = client.get(url).content.decode()
    assert "村组网格员" in form and "村级网格员" in form and "第二村民小组第一网格" in form
    r = client.post(url, {"name": "蔡德明", "phone": "1395561", "position": "group_worker", "grid": county["grid_a1"].code})
    body = r.content.decode()
    assert r.status_code == 200 and "联系电话格式不正确" in body and 'value="蔡德明"' in body
    assert not GridWorker.objects.exists() and not Event.objects.filter(action__startswith="grid_worker").exists()
    ok = client.post(url, {"name": "蔡德明", "phone": "13955610001", "position": "group_worker",
                           "grid": county["grid_a1"].code, "is_party_member": "on"})
    assert ok.status_code == 302
    worker = GridWorker.objects.get()
    assert worker.is_party_member and not worker.is_group_leader
    edit = reverse("grid:worker_edit", kwargs={"pk": worker.pk})
    assert client.post(edit, {"name": "蔡德明", "phone": "13955610002", "position": "group_worker", "grid": ""}).status_code == 302
    worker.refresh_from_db()
    assert worker.phone == "13955610002" and worker.grid is None
    assert login(personas["cadre_b"]).get(edit).status_code == 404


def test_the_ledger_downloads_for_the_village_R_GRID_04(county, households, personas, login):
    r = login(personas["cadre_a"]).get(reverse("grid:ledger", kwargs={"pk": county["va"].pk}))
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r["Content-Disposition"]


def test_the_county_report_and_working_groups_pages_R_GRID_01(county, households, personas, login):
    client = login(personas["county_officer"])
    page = client.get(reverse("grid:index")).content.decode()
    assert "按乡镇（街道）" in page and "濉溪镇" in page
    r = client.post(reverse("grid:working_groups"), follow=True)
    assert "防止返贫动态监测政策落实工作组" in r.content.decode() and "农业农村局" in r.content.decode()
    township = login(personas["township_officer"])
    assert township.post(reverse("grid:working_groups") + f"?division={county['t2'].code}").status_code == 404
    assert Division.objects.filter(level=Level.GRID).count() == 4


def test_households_without_a_grid_and_oversized_grids_are_pending_work_R_GRID_06(county, households, personas, login):
    fill(county["ga2"], 2, grid=False)
    fill(county["grid_a1"], 70)
    page = login(personas["cadre_a"]).get(reverse("home")).content.decode()
    assert "2户农户尚未划入网格" in page and "1个网格超过70户上限" in page
    assert "尚未划入网格" not in login(personas["cadre_b"]).get(reverse("home")).content.decode()


def test_a_fengdu_township_page_names_its_general_grid_head_R_GRID_05(db, login):
    from fangpin.accounts.roles import Role
    from tests.factories import division, user

    fengdu = division("500230", "丰都县", Level.COUNTY, profile_key="fengdu")
    town = division("500230100", "三合街道", Level.TOWNSHIP, fengdu)
    staff = user("sanhe", Role.TOWNSHIP_STAFF, town)
    client = login(staff)
    page = client.get(reverse("grid:index")).content.decode()
    assert "登记总网格长" in page and "每30–50户一名，每15天走访一次；发现风险当天报村级" in page
    form = client.get(reverse("grid:worker_create", kwargs={"pk": town.pk})).content.decode()
    assert "总网格长" in form and "网格监测员" not in form
    r = client.post(reverse("grid:worker_create", kwargs={"pk": town.pk}),
                    {"name": "秦大勇", "phone": "13983610001", "position": "general_head", "title": "街道分管负责人"})
    assert r.status_code == 302
    page = client.get(reverse("grid:index")).content.decode()
    assert "总网格长：秦大勇（街道分管负责人）" in page and "当天报村级" in page
