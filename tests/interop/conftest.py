"""Builders for national-style export files used by the interop tests.

Birth dates differ from ``tests.factories`` so synthetic ID numbers never collide with the shared fixtures.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import openpyxl
import pytest

from fangpin.policy.idnumbers import make_id_number

_seq = itertools.count(500)


def new_id(birth=dt.date(1976, 7, 2), male=True) -> str:
    return make_id_number("340621", birth, next(_seq), male)


def person(number, name, relation, *, birth=dt.date(1976, 7, 2), male=True, township="濉溪镇", village="蔡桥村",
           id_number=None, **extra) -> dict:
    row = {
        "县": "濉溪县", "乡": township, "村": village, "户编号": number, "姓名": name,
        "证件号码": id_number or new_id(birth, male), "性别": "男" if male else "女", "与户主关系": relation,
        "民族": "汉族", "劳动技能": "普通劳动力", "健康状况": "健康",
    }
    row.update(extra)
    return row


def write_xlsx(path: Path, rows: list[dict], *, title_rows: int = 2, headers: list[str] | None = None, numeric: dict | None = None) -> Path:
    """A workbook like the national export: ``title_rows`` title lines, then the header row, then one row per person.

    ``numeric`` maps a header to the set of data-row indexes whose cell is written as a number.
    """
    headers = headers or list(dict.fromkeys(k for r in rows for k in r))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    for i in range(title_rows):
        ws.append(["（自定义）监测对象信息" if i == 0 else "导出时间：2026-01-05"])
    ws.append(headers)
    numeric = numeric or {}
    for i, r in enumerate(rows):
        values = []
        for h in headers:
            v = r.get(h, "")
            if h in numeric and i in numeric[h] and v:
                v = str(v)
                v = int(v) if v.isdigit() else float(v[:-1] + "0") if v[:-1].isdigit() else float(v)
            values.append(v)
        ws.append(values)
    wb.save(path)
    return path


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path_factory):
    """Uploads and the import's work folders (named by job id, which restarts with every test database)
    go to a folder of this test, not the shared ``var/media`` where another test run could meet them."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def xlsx(tmp_path):
    counter = itertools.count(1)

    def _make(rows, **kw):
        return write_xlsx(tmp_path / f"export_{next(counter)}.xlsx", rows, **kw)

    return _make


@pytest.fixture
def family():
    """Rows of a small two-household file in the 蔡桥村 of the test county."""

    def _family(number="3406211002019001", head="张建国", *, village="蔡桥村", township="濉溪镇", **head_extra):
        return [
            person(number, head, "户主", birth=dt.date(1969, 4, 7), male=True, village=village, township=township, **head_extra),
            person(number, "李秀兰", "配偶", birth=dt.date(1971, 9, 10), male=False, village=village, township=township),
            person(number, "张小明", "之子", birth=dt.date(2010, 1, 20), male=True, village=village, township=township,
                   **{"在校生状况": "九年级", "劳动技能": "无劳动力"}),
        ]

    return _family
