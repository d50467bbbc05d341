"""File intake: header by content, aliases, encodings, duplicate headers, Parquet, bounded Excel windows
(R-INT-01, R-OPS-05)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os

import polars as pl
import pytest

from fangpin.ingest import intake, xlsx
from fangpin.ingest.intake import IntakeError, read_table
from fangpin.ingest.issues import user_text

from .conftest import HEADERS, ROWS, make_spec, write_xlsx


def _cells(table):
    return [list(r) for r in table.frame.drop("_row").iter_rows()]


@pytest.mark.parametrize("engine", ["openpyxl", "xlsxwriter"])
@pytest.mark.parametrize("title_rows", [0, 1, 2, 3])
def test_header_row_found_by_content_below_0_to_3_title_rows_R_INT_01(tmp_path, spec, title_rows, engine):
    table = read_table(write_xlsx(tmp_path / "a.xlsx", ROWS, title_rows=title_rows, engine=engine), spec)
    assert table.header_row == title_rows + 1
    assert table.headers == HEADERS
    assert table.frame["_row"].to_list() == [title_rows + 2, title_rows + 3, title_rows + 4]
    assert _cells(table) == ROWS
    assert table.sheet_name == "名单"


def test_column_aliases_are_data_and_unknown_columns_are_not_kept_R_INT_01(tmp_path, spec):
    headers = ["行政村", "户编号", "姓名", "身份证号", "成员联系电话", "备注"]
    rows = [[*r[:5], "某备注"] for r in ROWS]
    table = read_table(write_xlsx(tmp_path / "b.xlsx", rows, headers=headers), spec)
    cm = spec.map_columns(table.headers)
    assert cm.fields == {"village": 0, "household_number": 1, "name": 2, "id_number": 3, "phone": 4}
    assert cm.unknown == [(5, "备注")]
    assert table.frame.columns == ["c0", "c1", "c2", "c3", "c4", "_row"]  # the unknown column is dropped at once
    assert cm.header_of("amount") == "amount" and cm.header_of("id_number") == "身份证号"


def test_duplicate_headers_are_kept_by_position_R_INT_01(tmp_path, spec):
    headers = ["户编号", "证件号码", "风险是否已消除", "姓名", "风险是否已消除"]
    rows = [["001", "340621196904070011", "是", "张三", "否"]]
    table = read_table(write_xlsx(tmp_path / "d.xlsx", rows, headers=headers), spec)
    assert table.headers == ["户编号", "证件号码", "风险是否已消除", "姓名", "风险是否已消除#2"]
    cm = spec.map_columns(table.headers)
    assert cm.fields["resolved"] == 2 and cm.fields["resolved_again"] == 4  # the second one by its own name
    assert _cells(table) == [["001", "340621196904070011", "是", "张三", "否"]]
    # A repeated synonym (two names of one field) is kept too, to be compared with the first.
    headers = ["户编号", "风险是否已消除", "风险是否消除"]
    table = read_table(write_xlsx(tmp_path / "e.xlsx", [["001", "是", "否"]], headers=headers), spec)
    assert spec.map_columns(table.headers).same_as == [(2, "风险是否消除", "resolved")]
    assert _cells(table) == [["001", "是", "否"]]


def _csv_text(title_rows=1, newline="\n"):
    lines = [f"标题{i}" for i in range(title_rows)] + [",".join(HEADERS)] + [",".join(r) for r in ROWS]
    return newline.join(lines) + newline


@pytest.mark.parametrize(
    "encoding,prefix", [("gbk", b""), ("gb18030", b""), ("utf-8", b""), ("utf-8", b"\xef\xbb\xbf")], ids=["gbk", "gb18030", "utf8", "utf8-bom"]
)
def test_csv_in_gbk_utf8_and_utf8_with_bom_R_INT_01(tmp_path, spec, encoding, prefix):
    path = tmp_path / "c.csv"
    path.write_bytes(prefix + _csv_text().encode(encoding))
    table = read_table(path, spec)
    assert table.header_row == 2 and table.headers == HEADERS
    assert _cells(table) == ROWS
    assert table.frame["_row"].to_list() == [3, 4, 5]


def test_csv_with_windows_line_ends_wrapped_cells_and_quoted_commas_R_INT_01(tmp_path, spec):
    text = "户编号,姓名,证件号码,金额（元）\r\n=\"001\",\"张,三\",=\"340621196904070011\",\"1,200.50\"\r\n"
    path = tmp_path / "w.csv"
    path.write_bytes(text.encode("gbk"))
    table = read_table(path, spec)
    assert _cells(table) == [["001", "张,三", "340621196904070011", "1,200.50"]]


def test_csv_with_lone_carriage_returns_counts_one_record_per_line_R_INT_01(tmp_path, spec):
    path = tmp_path / "mac.csv"
    path.write_bytes(_csv_text(title_rows=0, newline="\r").encode("utf-8"))
    table = read_table(path, spec)
    assert _cells(table) == ROWS and table.frame["_row"].to_list() == [2, 3, 4]


def test_parquet_columns_become_text_and_float_ids_are_reported_R_INT_01(tmp_path):
    spec = make_spec()
    frame = pl.DataFrame({
        "户编号": ["3406211002019001", "3406211002019002"],
        "身份证号": [340621196904070011.0, None],
        "姓名": ["张建国", "王大山"],
        "金额（元）": [1200.5, 300.0],
        "发放日期": [dt.date(2024, 3, 5), dt.date(2024, 12, 31)],
        "备注": ["a", "b"],
    })
    path = tmp_path / "feed.parquet"
    frame.write_parquet(path)
    table = read_table(path, spec)
    assert table.headers == list(frame.columns) and table.header_row == 0
    assert table.frame["_row"].to_list() == [1, 2]
    cm = spec.map_columns(table.headers)
    assert table.frame[f"c{cm.fields['amount']}"].to_list() == ["1200.5", "300"]
    assert table.frame[f"c{cm.fields['paid_on']}"].to_list() == ["2024-03-05", "2024-12-31"]
    assert table.numeric_cells == {cm.fields["id_number"]: {1}}
    assert "c5" not in table.frame.columns


def test_parquet_without_the_key_columns_is_refused_in_chinese_R_INT_01(tmp_path, spec):
    path = tmp_path / "other.parquet"
    pl.DataFrame({"项目": ["道路"], "金额": [3.0]}).write_parquet(path)
    with pytest.raises(IntakeError, match="没有找到表头"):
        read_table(path, spec)


def test_a_file_kind_the_user_does_not_take_is_refused_R_INT_01(tmp_path):
    path = tmp_path / "feed.parquet"
    pl.DataFrame({"户编号": ["1"]}).write_parquet(path)
    spec = make_spec(kinds=("xlsx", "xls", "csv"), unsupported="不支持的文件格式：请上传Excel或CSV文件")
    with pytest.raises(IntakeError, match="不支持的文件格式"):
        read_table(path, spec)


def test_header_not_found_names_the_rows_searched_R_INT_01(tmp_path, spec):
    path = write_xlsx(tmp_path / "x.xlsx", [["道路硬化", "30000"]], headers=["项目名称", "金额"])
    with pytest.raises(IntakeError) as caught:
        read_table(path, spec)
    assert str(caught.value) == "在文件前15行中没有找到表头（需要含“户编号”或“证件号码”列）"


def _zip_of_text(path):
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
    return path


UNREADABLE = {
    "random.xlsx": lambda p: p.write_bytes(os.urandom(3000)) and p,
    "other.xlsx": _zip_of_text,
    "utf16.csv": lambda p: p.write_bytes("户编号,证件号码\n1,2\n".encode("utf-16")) and p,
    "random.xls": lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0" + os.urandom(3000)) and p,
}


@pytest.mark.parametrize("name", list(UNREADABLE))
def test_unreadable_files_are_told_in_chinese_without_paths_or_library_text_R_INT_01(tmp_path, name, caplog):
    path = tmp_path / name
    UNREADABLE[name](path)
    spec = make_spec(log_name="fangpin.feeds.reader")
    with caplog.at_level(logging.WARNING), pytest.raises(IntakeError) as caught:
        read_table(path, spec)
    message = str(caught.value)
    assert message.startswith("文件无法读取") and user_text(message) == message
    assert str(tmp_path) not in message and "calamine" not in message and "zip" not in message.lower()
    assert any(rec.name == "fangpin.feeds.reader" and str(tmp_path) in rec.getMessage() for rec in caplog.records)


# --- bounded windows -----------------------------------------------------------------------------


def _many_rows(n):
    rows = []
    for i in range(n):
        rows.append([f"第{i % 7}村", f"34062110{i // 3:08d}", f"姓名{i}", f"3406211969{i % 12 + 1:02d}07{i:04d}", f"139{i:08d}", f"{i}.5"])
    return rows


@pytest.mark.parametrize("engine", ["openpyxl", "xlsxwriter"])
def test_a_sheet_read_in_small_windows_equals_the_whole_sheet_read_R_OPS_05(tmp_path, engine, monkeypatch):
    rows = _many_rows(1200)
    numbers = {(5, 3): 340621196907070005.0, (700, 3): 340621196901070700.0, (5, 4): 13900000005, (1100, 5): 1100.5}
    path = write_xlsx(tmp_path / "big.xlsx", rows, title_rows=2, engine=engine, numbers=numbers, blank_rows=(10, 600))
    spec = make_spec(window_bytes=8 << 10)
    seen = []
    original = xlsx.windows

    def counting(*args, **kwargs):
        for window in original(*args, **kwargs):
            seen.append(window.first_row)
            yield window

    monkeypatch.setattr(xlsx, "windows", counting)
    windowed = read_table(path, spec)
    scanned = intake._scan_sheet_headers(path, spec)
    whole = intake._read_whole(path, spec, scanned)
    assert len(seen) > 10  # many windows, none holding the sheet
    assert windowed.frame.equals(whole.frame)
    assert windowed.numeric_cells == whole.numeric_cells == {3: {4 + 5, 4 + 700 + 2}}  # two blank rows above the second
    assert windowed.headers == whole.headers and windowed.header_row == whole.header_row == 3
    assert windowed.frame.height == 1200
    assert windowed.frame.filter(pl.col("_row") == 4 + 11 + 1)["c2"].to_list() == ["姓名11"]  # below a blank row


def test_window_memory_does_not_grow_with_the_sheet_R_OPS_05(tmp_path):
    """Each window's workbook holds only its own rows: the largest is about ``window_bytes`` of sheet XML."""
    path = write_xlsx(tmp_path / "big.xlsx", _many_rows(3000), engine="xlsxwriter")
    sizes = [len(w.workbook) for w in xlsx.windows(path, "名单", after_row=1, window_bytes=32 << 10)]
    assert len(sizes) > 20
    assert max(sizes) < (32 << 10) + (24 << 10)  # the window's rows, the styles and the workbook part


def test_a_sheet_without_row_numbers_is_read_whole_R_INT_01(tmp_path, spec):
    import zipfile

    src = write_xlsx(tmp_path / "a.xlsx", ROWS, title_rows=1)
    path = tmp_path / "norow.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                import re

                data = re.sub(rb'(<row\b[^>]*?) r="\d+"', rb"\1", data)
            zout.writestr(item, data)
    with pytest.raises(xlsx.NotWindowed):
        list(xlsx.windows(path, "名单", after_row=2))
    table = read_table(path, spec)
    assert _cells(table) == ROWS and table.header_row == 2


def test_window_size_is_a_setting_of_the_spec_R_OPS_05():
    assert dataclasses.replace(make_spec(), window_bytes=1 << 20).window_bytes == 1 << 20
