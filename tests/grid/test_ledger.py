"""The village grid ledger in the 004 附件2 layout (R-GRID-04), checked cell by cell against the seed."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from fangpin.grid import services
from fangpin.grid.ledger import ledger_workbook

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "004_7d7a87d8e79f35c1.txt"
# 附件2 as the seed prints it: the title line and the two header rows (tab-separated columns).
SEED_TITLE = "_____ 乡镇（街道、开发区） _____ 村防止返贫动态监测基层网格工作台账"
SEED_HEADER_TOP = "序号\t村组网格名称\t农户数\t村组网格员\t\t\t\t\t村级网格员\t\t\t备注"
SEED_HEADER_SUB = "\t\t\t姓名\t村民组长\t党员\t其他(职务)\t联系电话\t姓名\t职务\t联系电话\t"


def test_the_expected_header_is_the_seeds_R_GRID_04():
    if not SEED.exists():
        pytest.skip("source documents not checked out beside the repository")
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert SEED_TITLE in lines
    top = lines.index(SEED_HEADER_TOP)
    assert lines[top + 1] == SEED_HEADER_SUB


@pytest.fixture
def staffed(county, households, personas):
    cadre = personas["cadre_a"]
    services.split_group(cadre, county["ga1"], 2)
    services.create_worker(cadre, county["va"], {"name": "蔡德明", "phone": "13955610001", "position": "group_worker",
                                                 "grid": county["grid_a1"].code, "is_group_leader": True,
                                                 "is_party_member": True})
    services.create_worker(cadre, county["va"], {"name": "王秀英", "phone": "13955610002", "position": "group_worker",
                                                 "grid": "34062110020100102", "other_duty": "党员代表"})
    services.create_worker(cadre, county["va"], {"name": "蔡永胜", "phone": "13805610003", "position": "village_worker",
                                                 "title": "村党总支书记",
                                                 "paired_grids": [county["grid_a1"].code, "34062110020100102"]})
    return county


def sheet(user, village):
    wb = openpyxl.load_workbook(io.BytesIO(ledger_workbook(user, village)))
    return wb.active


def test_the_ledger_has_the_004_annex_2_title_and_header_cell_by_cell_R_GRID_04(staffed, personas):
    ws = sheet(personas["cadre_a"], staffed["va"])
    assert ws.cell(1, 1).value == " 濉溪 乡镇（街道、开发区） 蔡桥 村防止返贫动态监测基层网格工作台账"
    assert ws.cell(1, 1).value.replace(" 濉溪 ", "_____ ").replace(" 蔡桥 ", " _____ ") == SEED_TITLE
    top = [ws.cell(2, c).value or "" for c in range(1, 13)]
    sub = [ws.cell(3, c).value or "" for c in range(1, 13)]
    assert "\t".join(top) == SEED_HEADER_TOP
    assert "\t".join(sub) == SEED_HEADER_SUB
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:L1", "A2:A3", "B2:B3", "C2:C3", "D2:H2", "I2:K2", "L2:L3"} <= merged


def test_the_ledger_lists_each_grid_with_its_workers_R_GRID_04(staffed, personas):
    ws = sheet(personas["cadre_a"], staffed["va"])
    rows = [[ws.cell(r, c).value for c in range(1, 13)] for r in range(4, 7)]
    assert rows[0] == [1, "第一村民小组第一网格", 1, "蔡德明", "√", "√", None, "13955610001", "蔡永胜", "村党总支书记",
                       "13805610003", None]
    assert rows[1] == [2, "第一村民小组第二网格", 0, "王秀英", None, None, "党员代表", "13955610002", "蔡永胜",
                       "村党总支书记", "13805610003", None]
    assert rows[2][:4] == [3, "第二村民小组第一网格", 1, None]
    notes = [ws.cell(r, 1).value for r in range(8, 10)]
    assert notes[0].startswith("备注：1. 村组网格名称可根据村民小组名称确定") and notes[1].startswith("2. 网格员按照具体职务勾选")


def test_ledger_phones_follow_the_roles_masking_R_GRID_04(staffed, personas):
    ws = sheet(personas["supervisor"], staffed["va"])
    assert ws.cell(4, 8).value == "139****0001" and ws.cell(4, 11).value == "138****0003"
