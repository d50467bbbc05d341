"""Row and household checks on a file, before the database (R-INT-01, R-INT-02, R-REG-02)."""

import datetime as dt

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin.interop.reader import read_table
from fangpin.interop.validate import id_number_valid, prepare
from fangpin.policy.idnumbers import IdNumberError, make_id_number, parse_id_number
from fangpin.profiles.services import profile_for_county

from .conftest import new_id, person

TODAY = dt.date(2026, 1, 10)


def _prepare(xlsx, county, rows, **kw):
    table = read_table(xlsx(rows, **kw))
    return prepare(table, county=county["county"], profile=profile_for_county("340621"), today=TODAY)


def _issues(prep, level="refused"):
    return [(r["row"], r["column"], r["message"]) for r in prep.issues.filter(pl.col("level") == level).iter_rows(named=True)]


def test_wrong_checksum_is_refused_naming_row_and_column_R_INT_02(county, xlsx, family):
    rows = family()
    good = rows[1]["证件号码"]
    rows[1]["证件号码"] = good[:17] + ("0" if good[17] != "0" else "1")
    prep = _prepare(xlsx, county, rows)
    issues = _issues(prep)
    assert any(row == 5 and col == "证件号码" and "校验位错误" in msg for row, col, msg in issues)
    assert prep.refused_keys() == {"3406211002019001"}


def test_id_stored_as_a_number_is_refused_with_its_row_R_INT_01(county, xlsx, family):
    rows = family()
    prep = _prepare(xlsx, county, rows, numeric={"证件号码": {2}})
    issues = _issues(prep)
    assert any(row == 6 and col == "证件号码" and "被存成了数字" in msg for row, col, msg in issues)


def test_disability_card_numbers_and_no_id_numbers_R_INT_01(county, xlsx, family):
    rows = family()
    rows[0]["证件号码"] = rows[0]["证件号码"] + "42"  # 20 chars: category 4, grade 2
    rows[2]["证件号码"] = rows[2]["证件号码"] + "1101"  # 22 chars
    rows[1]["证件号码"] = "999999000000000001"
    prep = _prepare(xlsx, county, rows)
    assert _issues(prep) == []
    grades = dict(prep.rows.select("m_id_number", "m_disability_grade").iter_rows())
    assert grades[rows[0]["证件号码"]] == "二级"
    assert grades[rows[2]["证件号码"]] == "一级"
    assert dict(prep.rows.select("m_id_number", "m_sex").iter_rows())["999999000000000001"] == "女"


def test_disability_card_number_checks_its_first_18_characters_R_INT_01(county, xlsx, family):
    rows = family()
    base = rows[0]["证件号码"]
    rows[0]["证件号码"] = base[:17] + ("0" if base[17] != "0" else "1") + "42"
    prep = _prepare(xlsx, county, rows)
    assert any("校验位错误" in msg for _, _, msg in _issues(prep))


def test_sex_as_1_or_2_and_checked_against_the_id_R_INT_01(county, xlsx, family):
    rows = family()
    rows[0]["性别"] = "1"
    rows[1]["性别"] = "2"
    prep = _prepare(xlsx, county, rows)
    assert _issues(prep) == []
    rows[1]["性别"] = "1"
    prep = _prepare(xlsx, county, rows)
    assert any(row == 5 and col == "性别" and "与证件号码不符" in msg for row, col, msg in _issues(prep))


def test_one_id_in_two_households_refuses_both_R_INT_02(county, xlsx, family):
    a, b = family(), family("3406211002019002", "王大山")
    b[1]["证件号码"] = a[1]["证件号码"]
    prep = _prepare(xlsx, county, a + b)
    assert prep.refused_keys() == {"3406211002019001", "3406211002019002"}
    assert any("出现2次" in msg for _, _, msg in _issues(prep))


def test_two_heads_and_same_sex_spouse_are_refused_R_INT_02(county, xlsx, family):
    two_heads = family()
    two_heads[1]["与户主关系"] = "户主"
    same_sex = family("3406211002019002", "王大山")
    same_sex[1] = person("3406211002019002", "王二", "配偶", male=True)
    fine = family("3406211002019003", "赵一")
    prep = _prepare(xlsx, county, two_heads + same_sex + fine)
    messages = [m for _, _, m in _issues(prep)]
    assert any("2名户主" in m for m in messages)
    assert any("户主与配偶性别相同" in m for m in messages)
    assert prep.refused_keys() == {"3406211002019001", "3406211002019002"}


def test_household_values_must_agree_on_every_member_row_R_INT_02(county, xlsx, family):
    rows = family()
    rows[0]["户联系电话"], rows[1]["户联系电话"], rows[2]["户联系电话"] = "13955610001", "13955610002", "13955610001"
    prep = _prepare(xlsx, county, rows)
    assert any(col == "户联系电话" and "不一致" in msg for _, col, msg in _issues(prep))


def test_other_county_rows_and_bad_values_are_refused_R_INT_02(county, xlsx, family):
    rows = family()
    for r in rows:
        r["县"] = "相山区"
    other = family("3406211002019002", "王大山")
    other[0]["民族"] = "火星族"
    for r in other:
        r["识别监测时间"] = "2023-13"
    prep = _prepare(xlsx, county, rows + other)
    issues = _issues(prep)
    assert any(col == "县" and "不是本次导入的濉溪县" in msg for _, col, msg in issues)
    assert any(col == "民族" and "不在字典值中" in msg for _, col, msg in issues)
    assert any(col == "识别监测时间" and "格式不正确" in msg for _, col, msg in issues)


def test_dates_in_national_formats_R_INT_01(county, xlsx, family):
    rows = []
    for i, month in enumerate(["202303", "2023年03月", "2023-03", "2023年3月"]):
        household = family(f"340621100201900{i}", f"户主{i}")
        for r in household:
            r["识别监测时间"] = month
        rows += household
    rows[0]["出生日期"] = "19690407"
    prep = _prepare(xlsx, county, rows)
    assert _issues(prep) == []
    assert prep.households["h_included_on"].to_list() == ["2023-03"] * 4


def test_unknown_columns_are_reported_not_fatal_R_INT_01(county, xlsx, family):
    rows = family()
    for r in rows:
        r["自定义备注"] = "x"
    prep = _prepare(xlsx, county, rows)
    assert _issues(prep) == []
    assert any(col == "自定义备注" and "未识别的列" in msg for _, col, msg in _issues(prep, "warning"))


@settings(max_examples=300, deadline=None)
@given(
    birth=st.dates(dt.date(1900, 1, 1), dt.date(2025, 12, 31)),
    seq=st.integers(0, 999),
    male=st.booleans(),
    tweak=st.sampled_from(["none", "check", "digit", "suffix", "short", "month"]),
)
def test_vectorised_id_check_agrees_with_parse_id_number_R_REG_02(birth, seq, male, tweak):
    value = make_id_number("340621", birth, seq, male)
    if tweak == "check":
        value = value[:17] + ("X" if value[17] != "X" else "0")
    elif tweak == "digit":
        value = value[:3] + str((int(value[3]) + 1) % 10) + value[4:]
    elif tweak == "suffix":
        value = value + "41"
    elif tweak == "short":
        value = value[:16]
    elif tweak == "month":
        value = value[:10] + "13" + value[12:]
    try:
        parse_id_number(value, TODAY)
        expected = True
    except IdNumberError:
        expected = False
    got = pl.DataFrame({"v": [value]}).select(id_number_valid(pl.col("v"), TODAY))["v"][0]
    assert got == expected, value


def test_new_id_helper_makes_valid_numbers():
    parse_id_number(new_id(), TODAY)
