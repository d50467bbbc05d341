"""Reading national exports: header detection, aliases, duplicate headers, numeric cells, CSV (R-INT-01)."""

import datetime as dt

import openpyxl
import pytest

from fangpin.interop.layouts import map_columns
from fangpin.interop.reader import NotAnExport, read_table

from .conftest import new_id, person, write_xlsx


@pytest.mark.parametrize("title_rows", [0, 1, 2, 3])
def test_header_row_found_below_0_to_3_title_rows_R_INT_01(tmp_path, title_rows):
    rows = [person("001", "张三", "户主"), person("001", "李四", "配偶", male=False)]
    table = read_table(write_xlsx(tmp_path / "a.xlsx", rows, title_rows=title_rows))
    assert table.header_row == title_rows + 1
    assert table.headers[:5] == ["县", "乡", "村", "户编号", "姓名"]
    assert table.frame["_row"].to_list() == [title_rows + 2, title_rows + 3]
    assert table.row_count == 2


def test_header_aliases_map_to_the_same_fields_R_INT_01():
    cm = map_columns(["县(市、区、旗)", "乡（镇）", "行政村", "户编号", "人口编号", "证件号码", "风险是否消除", "成员联系电话", "未知列X"])
    for key in ("county", "township", "village", "household_number", "person_number", "id_number", "risk_resolved", "member_phone"):
        assert key in cm.fields
    assert cm.unknown == [(8, "未知列X")]
    cm = map_columns(["人编号", "风险是否已消除", "县", "家庭成员联系电话"])
    assert {"person_number", "risk_resolved", "county", "member_phone"} <= set(cm.fields)


def test_duplicate_header_names_are_kept_by_position_R_INT_01(tmp_path):
    path = tmp_path / "dup.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["户编号", "证件号码", "风险是否已消除", "姓名", "风险是否已消除"])
    ws.append(["001", new_id(), "是", "张三", "否"])
    wb.save(path)
    table = read_table(path)
    assert table.headers == ["户编号", "证件号码", "风险是否已消除", "姓名", "风险是否已消除#2"]
    assert table.frame.row(0)[:5] == ("001", table.frame.row(0)[1], "是", "张三", "否")
    assert map_columns(table.headers).fields["risk_resolved_again"] == 4


def test_numeric_cells_read_as_text_and_id_stored_as_number_is_located_R_INT_01(tmp_path):
    rows = [person("3406211002019001", "张三", "户主", **{"家庭成员联系电话": "13955612345", "识别监测时间": "202303", "出生日期": "19700305"}),
            person("3406211002019001", "李四", "配偶", male=False)]
    path = write_xlsx(tmp_path / "n.xlsx", rows, numeric={"家庭成员联系电话": {0}, "识别监测时间": {0}, "出生日期": {0}, "证件号码": {1}, "户编号": {0, 1}})
    table = read_table(path)
    cm = map_columns(table.headers)
    first = dict(zip(table.headers, table.frame.row(0), strict=False))
    assert first["家庭成员联系电话"] == "13955612345"
    assert first["识别监测时间"] == "202303"
    assert first["户编号"] == "3406211002019001"
    id_pos = cm.fields["id_number"]
    assert table.numeric_cells == {id_pos: {3 + 2}}  # header on row 3, second data row is Excel row 5


def test_a_file_without_the_key_headers_is_not_an_export_R_INT_01(tmp_path):
    path = tmp_path / "other.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["序号", "项目名称", "金额"])
    wb.active.append([1, "道路硬化", 30000])
    wb.save(path)
    with pytest.raises(NotAnExport, match="没有找到表头"):
        read_table(path)


def test_csv_in_gbk_with_wrapped_cells_R_INT_01(tmp_path):
    idn = new_id(dt.date(1980, 1, 2))
    text = f'监测对象信息\n县,乡,村,户编号,姓名,证件号码,与户主关系\n濉溪县,濉溪镇,蔡桥村,="001",张三,="{idn}",户主\n'
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("gbk"))
    table = read_table(path)
    assert table.header_row == 2
    assert table.frame.row(0)[:7] == ("濉溪县", "濉溪镇", "蔡桥村", "001", "张三", idn, "户主")
    assert table.frame["_row"].to_list() == [3]
