"""The village grid ledger (防止返贫动态监测基层网格工作台账) in the 004 附件2 layout (R-GRID-04).

Title row with the form's printed text and its two blanks filled with the township's and the village's
names; two header rows exactly as the seed shows them (序号, 村组网格名称, 农户数, 备注 span both rows;
村组网格员 spans 姓名 / 村民组长 / 党员 / 其他(职务) / 联系电话; 村级网格员 spans 姓名 / 职务 / 联系电话);
one row per grid; then the form's two notes. Written with xlsxwriter like the project's other exports,
A4 landscape, header rows repeated on every printed page.

Phones are rendered through ``accounts.masking`` like every export: roles that see full phone numbers
(village, township and county staff) get them, others (departments, supervisors) a masked number.
"""

from __future__ import annotations

import io

import xlsxwriter

from fangpin.accounts.masking import show_phone
from fangpin.areas.models import Division

from .reports import grid_report

TITLE_TEXT = ("乡镇（街道、开发区）", "村防止返贫动态监测基层网格工作台账")
# The two header rows of 附件2: (text, first column, last column, spans both rows)
HEADER_TOP = [
    ("序号", 0, 0, True), ("村组网格名称", 1, 1, True), ("农户数", 2, 2, True),
    ("村组网格员", 3, 7, False), ("村级网格员", 8, 10, False), ("备注", 11, 11, True),
]
HEADER_SUB = ["姓名", "村民组长", "党员", "其他(职务)", "联系电话", "姓名", "职务", "联系电话"]
COLUMNS = 12
NOTES = [
    "备注：1. 村组网格名称可根据村民小组名称确定，如一个村民小组划分为多个网格的，建议以“村民小组+第一网格”“村民小组+第二网格”格式等区分。",
    "2. 网格员按照具体职务勾选“村民组长”“党员”等对应项，如为“其他”，则在对应栏中填写具体职务（身份）信息。",
]
TICK = "√"


def short_name(name: str, suffixes: tuple[str, ...]) -> str:
    """The name as written into the form's blank before its printed 乡镇 / 村: 濉溪镇 → 濉溪, 蔡桥村 → 蔡桥."""
    for suffix in suffixes:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def ledger_rows(user, village: Division) -> list[list]:
    report = grid_report(village)
    rows = []
    for seq, grid in enumerate(report.grids, start=1):
        worker = grid.workers[0] if grid.workers else None
        paired = grid.paired
        rows.append([
            seq, grid.name, grid.households,
            worker.name if worker else "", TICK if worker and worker.is_group_leader else "",
            TICK if worker and worker.is_party_member else "", worker.other_duty if worker else "",
            show_phone(user, worker.phone) if worker else "",
            paired.name if paired else "", paired.title if paired else "",
            show_phone(user, paired.phone) if paired else "",
            "；".join(w.name + "（兼）" for w in grid.workers[1:]),
        ])
    return rows


def ledger_workbook(user, village: Division) -> bytes:
    township = village.parent
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = wb.add_worksheet("基层网格工作台账")
    title = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    blank = wb.add_format({"bold": True, "font_size": 14, "underline": 1})
    head = wb.add_format({"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True})
    cell = wb.add_format({"border": 1, "valign": "vcenter", "num_format": "@"})
    center = wb.add_format({"border": 1, "align": "center", "valign": "vcenter"})
    note = wb.add_format({"text_wrap": True, "valign": "top"})

    ws.merge_range(0, 0, 0, COLUMNS - 1, "", title)
    ws.write_rich_string(
        0, 0,
        blank, f" {short_name(township.name if township else '', ('街道', '乡', '镇'))} ", title, TITLE_TEXT[0],
        blank, f" {short_name(village.name, ('社区', '村'))} ", title, TITLE_TEXT[1],
        title,
    )
    for text, first, last, both in HEADER_TOP:
        if both:
            ws.merge_range(1, first, 2, last, text, head)
        else:
            ws.merge_range(1, first, 1, last, text, head)
    for col, text in enumerate(HEADER_SUB, start=3):
        ws.write_string(2, col, text, head)
    row = 3
    for values in ledger_rows(user, village):
        for col, value in enumerate(values):
            fmt = center if col in (0, 2, 4, 5) else cell
            if isinstance(value, int):
                ws.write_number(row, col, value, fmt)
            elif value:
                ws.write_string(row, col, value, fmt)
            else:
                ws.write_blank(row, col, None, fmt)  # an empty cell, still bordered
        row += 1
    row += 1
    for text in NOTES:
        ws.merge_range(row, 0, row, COLUMNS - 1, text, note)
        ws.set_row(row, 30)
        row += 1
    ws.set_row(0, 30)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 8)
    ws.set_column(3, 3, 10)
    ws.set_column(4, 5, 9)
    ws.set_column(6, 6, 14)
    ws.set_column(7, 7, 14)
    ws.set_column(8, 8, 10)
    ws.set_column(9, 9, 14)
    ws.set_column(10, 10, 14)
    ws.set_column(11, 11, 14)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(1, 2)
    wb.close()
    return buffer.getvalue()
