"""Personal data masking (R-SEC-03) and the roster export (R-REG-06)."""

import io

import openpyxl
from django.urls import reverse


def _rows(response):
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    return list(wb.active.iter_rows(values_only=True))


def test_id_numbers_and_phones_are_masked_for_roles_that_do_not_need_them_R_SEC_03(login, personas, households):
    head = households["a1"].members.get(relation="户主")
    for persona in ("supervisor", "department"):
        client = login(personas[persona])
        page = client.get("/households/").content.decode()
        assert head.id_number not in page and head.id_number[:4] + "**" in page
        assert "13955612345" not in page and "139****2345" in page
        detail = client.get(reverse("registry:household_detail", args=[households["a1"].pk])).content.decode()
        assert head.id_number not in detail and "13855612345" not in detail
        api = client.get(f"/api/households/{households['a1'].pk}").json()
        assert all("*" in m["id_number"] for m in api["members"])
        export = _rows(client.get("/households/export.xlsx"))
        assert all(head.id_number != r[10] for r in export[2:])
    # A grid worker sees phones (to reach the household) but not full ID numbers.
    client = login(personas["grid_worker"])
    page = client.get("/households/").content.decode()
    assert head.id_number not in page and "13955612345" in page


def test_officers_who_need_it_see_full_data_R_SEC_03(login, personas, households):
    head = households["a1"].members.get(relation="户主")
    page = login(personas["cadre_a"]).get("/households/").content.decode()
    assert head.id_number in page and "13955612345" in page


def test_roster_export_per_village_lists_every_member_R_REG_06(login, personas, households):
    client = login(personas["township_officer"])
    rows = _rows(client.get("/households/export.xlsx", {"division": "340621100201"}))
    assert rows[0][0] == "农户花名册"
    assert rows[1][:5] == ("序号", "乡镇（街道）", "行政村", "村民小组", "户编号")
    data = rows[2:]
    assert len(data) == 4  # a1 has 3 members, a2 has 1
    assert {r[2] for r in data} == {"蔡桥村"}
    assert [r[0] for r in data] == [1, 1, 1, 2]
    head = households["a1"].members.get(relation="户主")
    assert head.id_number in {r[10] for r in data}  # township staff need full numbers


def test_roster_export_per_group(login, personas, households):
    rows = _rows(login(personas["cadre_a"]).get("/households/export.xlsx", {"division": "340621100201002"}))
    assert [r[7] for r in rows[2:]] == ["蔡永华"]


def test_grid_workers_cannot_export(login, personas, households):
    assert login(personas["grid_worker"]).get("/households/export.xlsx").status_code == 403
