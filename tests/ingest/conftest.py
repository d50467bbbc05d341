"""Files for the ingest toolkit's tests: a small alias table and workbooks, CSVs and Parquet files."""

from __future__ import annotations

import pytest

from fangpin.ingest.headers import Aliases
from fangpin.ingest.intake import TableSpec

NAMES = {
    "household_number": ["户编号"],
    "id_number": ["证件号码", "身份证号", "身份证号码"],
    "name": ["姓名"],
    "village": ["村", "行政村", "村(社区)"],
    "phone": ["联系电话", "家庭成员联系电话", "成员联系电话"],
    "amount": ["金额（元）", "金额"],
    "resolved": ["风险是否已消除", "风险是否消除"],
    "resolved_again": ["风险是否已消除#2"],
    "paid_on": ["发放日期"],
}
HEADERS = ["村", "户编号", "姓名", "证件号码", "联系电话", "金额（元）"]
ROWS = [
    ["蔡桥村", "3406211002019001", "张建国", "340621196904070011", "13955612345", "1200.50"],
    ["蔡桥村", "3406211002019001", "李秀兰", "34062119710910002X", "", "0"],
    ["双堆村", "3406211002019002", "王大山", "340621198001020013", "13800000000", "300"],
]


def make_spec(**overrides) -> TableSpec:
    options = dict(
        aliases=Aliases(NAMES),
        markers=("household_number", "id_number"),
        exact_text=("id_number",),
        no_header="在文件前{scan_rows}行中没有找到表头（需要含“户编号”或“证件号码”列）",
    )
    options.update(overrides)
    return TableSpec(**options)


@pytest.fixture
def spec():
    return make_spec()


def write_xlsx(path, rows, *, headers=HEADERS, title_rows=0, engine="openpyxl", numbers=None, blank_rows=()):
    """A workbook with ``title_rows`` title lines, the header row, then ``rows`` (blank rows inserted
    before the given data indexes). ``numbers`` maps (data index, column index) -> a number written as
    a number cell. ``engine``: openpyxl (shared strings) or xlsxwriter (inline strings, constant memory)."""
    numbers = numbers or {}
    lines = [[f"标题{i + 1}"] for i in range(title_rows)] + [list(headers)]
    for i, row in enumerate(rows):
        if i in blank_rows:
            lines.append([])
        lines.append([numbers.get((i, j), v) for j, v in enumerate(row)])
    if engine == "openpyxl":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "名单"
        for line in lines:
            ws.append(line if line else [None])
        wb.save(path)
    else:
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        ws = wb.add_worksheet("名单")
        for r, line in enumerate(lines):
            for c, value in enumerate(line):
                if value is None or value == "":
                    continue
                if isinstance(value, int | float):
                    ws.write_number(r, c, value)
                else:
                    ws.write_string(r, c, value)
        wb.close()
    return path
