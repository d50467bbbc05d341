"""ID numbers (R-REG-02): GB 11643 checksum, birth date and sex derived, national variants."""

import datetime as dt

import pytest

from fangpin.policy.idnumbers import (
    IdNumberError,
    make_id_number,
    mask_id_number,
    mask_phone,
    parse_id_number,
)


def test_a_valid_number_gives_birth_date_and_sex_R_REG_02():
    number = make_id_number("340621", dt.date(1980, 2, 29), 7, male=False)
    info = parse_id_number(number)
    assert info.birth_date == dt.date(1980, 2, 29)
    assert info.sex == "女"


@pytest.mark.parametrize(
    "value, message",
    [
        ("34062119800229002", "18位"),
        ("340621198002300021", "出生日期"),
        ("34062119800229002A", "数字"),
        ("3.40621198002291E+17", "科学计数法"),
        ("", "不能为空"),
    ],
)
def test_bad_numbers_are_refused_in_chinese_R_REG_02(value, message):
    with pytest.raises(IdNumberError, match=message):
        parse_id_number(value)


def test_a_wrong_check_digit_is_refused_R_REG_02():
    good = make_id_number("340621", dt.date(1990, 5, 17), 3, male=True)
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(IdNumberError, match="校验位"):
        parse_id_number(bad)


def test_a_future_birth_date_is_refused():
    future = make_id_number("340621", dt.date(2030, 1, 1), 3, male=True)
    with pytest.raises(IdNumberError, match="出生日期"):
        parse_id_number(future, today=dt.date(2026, 11, 24))


def test_disability_card_numbers_check_the_first_18():
    base = make_id_number("340621", dt.date(1966, 4, 2), 11, male=True)
    info = parse_id_number(base + "42")
    assert info.base == base and info.disability_suffix == "42"
    with pytest.raises(IdNumberError):
        parse_id_number(base[:17] + ("0" if base[17] != "0" else "1") + "42")


def test_no_id_numbers_are_accepted_unchecked():
    info = parse_id_number("999999200001010012")
    assert info.is_no_id and info.birth_date is None


def test_masking_keeps_only_the_ends_R_SEC_03():
    assert mask_id_number("340621198002290021") == "3406**********0021"
    assert mask_phone("13955612345") == "139****2345"
