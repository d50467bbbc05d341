"""Cell text into values, over whole columns (R-INT-01)."""

import datetime as dt

import polars as pl

from fangpin.ingest.values import (
    cents,
    date_text,
    drop_point_zero,
    id_number_valid,
    month_text,
    number_text,
    split_multi,
)
from fangpin.policy.idnumbers import make_id_number


def _apply(expr, values):
    return pl.DataFrame({"v": values}).select(expr(pl.col("v")).alias("v"))["v"].to_list()


def test_numbers_back_from_float_cells_lose_their_point_zero_R_INT_01():
    assert _apply(drop_point_zero, ["13955612345.0", "12.50", "-3.00", "abc"]) == ["13955612345", "12.50", "-3", "abc"]


def test_dates_and_months_in_the_forms_exports_use_R_INT_01():
    assert _apply(date_text, ["19750305", "1975-3-5", "1975/03/05 00:00:00", "1975年3月5日", "19750230", ""]) == [
        "1975-03-05", "1975-03-05", "1975-03-05", "1975-03-05", None, None,
    ]
    assert _apply(month_text, ["202303", "2023年3月", "2023-03", "20230315", "2023-13", "1970-01"]) == [
        "2023-03", "2023-03", "2023-03", "2023-03", None, None,
    ]


def test_money_in_cents_and_number_text_R_INT_01():
    assert _apply(cents, ["1,200.505", "0", "x", "-3"]) == [120051, 0, None, -300]
    assert _apply(number_text, ["3.50", "2.0", "x"]) == ["3.5", "2", None]


def test_multi_select_cells_split_on_commas_and_enumeration_marks_R_INT_01():
    assert _apply(split_multi, ["其他,技能培训", "残疾，长期慢性病", "因病、因残, ", ""]) == [
        ["其他", "技能培训"], ["残疾", "长期慢性病"], ["因病", "因残"], [],
    ]


def test_id_number_check_R_REG_02():
    good = make_id_number("340621", dt.date(1969, 4, 7), 1, True)
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    values = [good, wrong_check, good + "42", good[:10] + "13" + good[12:], good[:17], make_id_number("340621", dt.date(2027, 1, 1), 1, True)]
    got = pl.DataFrame({"v": values}).select(id_number_valid(pl.col("v"), dt.date(2026, 1, 10)))["v"].to_list()
    assert got == [True, False, True, False, False, False]
