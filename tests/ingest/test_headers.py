"""Column aliases as data, header normalisation and duplicate headers (R-INT-01)."""

import pytest

from fangpin.ingest.headers import Aliases, dedupe_headers, find_header_row, normalize_header


def test_headers_compare_after_nfkc_and_without_spaces_R_INT_01():
    assert normalize_header(" 县（市、区、旗） ") == normalize_header("县(市、区、旗)") == "县(市、区、旗)"
    assert normalize_header("家庭 成员\n联系电话") == "家庭成员联系电话"
    assert normalize_header(None) == ""


def test_aliases_map_every_name_of_a_field_and_report_the_rest_R_INT_01():
    aliases = Aliases({"person_number": ["人编号", "人口编号"], "phone": ["家庭成员联系电话", "成员联系电话", "人联系电话"]})
    cm = aliases.map_columns(["人口编号", "备注", "人联系电话", "家庭成员联系电话"])
    assert cm.fields == {"person_number": 0, "phone": 2}
    assert cm.unknown == [(1, "备注")]
    assert cm.same_as == [(3, "家庭成员联系电话", "phone")]
    assert cm.kept_positions() == [0, 2, 3]
    assert cm.header_of("phone") == "人联系电话" and aliases.header("phone") == "家庭成员联系电话"


def test_an_alias_claimed_by_two_fields_is_refused_in_chinese_R_INT_01():
    with pytest.raises(ValueError, match="同时对应"):
        Aliases({"a": ["风险是否消除"], "b": ["风险 是否消除"]})


def test_duplicate_headers_get_a_position_suffix_R_INT_01():
    assert dedupe_headers(["户编号", "风险是否已消除", None, "风险是否已消除", " 风险是否已消除 "]) == [
        "户编号", "风险是否已消除", "", "风险是否已消除#2", "风险是否已消除#3",
    ]


def test_header_row_is_the_first_row_naming_a_marker_R_INT_01():
    aliases = Aliases({"household_number": ["户编号"], "id_number": ["证件号码"]})
    rows = [["监测对象信息"], ["导出时间：2026-01-05"], [None, "户编号", "姓名"], ["证件号码"]]
    is_header = lambda values: aliases.marks_header(values, ("household_number", "id_number"))  # noqa: E731
    assert find_header_row(rows, is_header, scan_rows=15) == 2
    assert find_header_row(rows, is_header, scan_rows=2) is None
