"""The shared validators (fangpin.validation): every service judges text, dates, numbers, money,
choices, yes/no answers, phones and ID numbers the same way, with Chinese messages that name the field
(R-REG-02 member fields, R-REG-04 incomes, R-ID-03/R-ID-04 case steps; docs/decisions/0008-shared-validators.md).
"""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fangpin import validation as v
from fangpin.audit.models import Event
from fangpin.policy.idnumbers import make_id_number
from fangpin.registry import moves, services
from fangpin.registry.models import Household, IncomeRecord, Member, MoveRequest

VALID_ID = make_id_number("340621", dt.date(1990, 3, 7), 12, male=True)
VALID_ID_X = next(
    n for n in (make_id_number("340621", dt.date(1985, 1, 2), s, male=s % 2 == 0) for s in range(400)) if n.endswith("X")
)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def check(errors, field, label, *parts):
    """One Chinese message on ``field`` that names the label and contains every part."""
    assert list(errors) == [field], errors
    message = errors[field]
    assert CHINESE.search(message) and label in message, message
    for part in parts:
        assert part in message, message
    return message


# --- Errors ---------------------------------------------------------------------------------------


def test_errors_collect_every_field_then_raise_once_R_REG_02():
    errors = v.Errors()
    v.text("", "name", "姓名", errors)
    v.integer("x", "months_worked", "务工时间（月）", errors)
    with pytest.raises(ValidationError) as exc:
        errors.raise_if_any()
    assert exc.value.message_dict == {"name": ["姓名不能为空"], "months_worked": ["务工时间（月）应为整数，收到“x”"]}


def test_errors_without_problems_do_not_raise_R_REG_02():
    v.Errors().raise_if_any()


def test_errors_absorb_a_raised_check_R_REG_02():
    errors = v.Errors()
    errors.absorb(ValidationError({"year": ["年度无效", "第二条"]}))
    errors.absorb(ValidationError("该导入已在处理中"))
    assert errors == {"year": "年度无效", "__all__": "该导入已在处理中"}


def test_fail_refuses_with_one_field_R_ID_04():
    with pytest.raises(ValidationError) as exc:
        v.fail("reason", "理由不能超过500字")
    assert exc.value.message_dict == {"reason": ["理由不能超过500字"]}


def test_scrub_drops_nul_everywhere_R_SEC_05():
    assert v.scrub({"a": "x\x00y", "b": ["\x00", ("z\x00",)], "c": 3}) == {"a": "xy", "b": ["", ["z"]], "c": 3}


# --- text -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, clean", [("  蔡新民 ", "蔡新民"), ("蔡\x00新民", "蔡新民"), (12, "12"), ("a" * 40, "a" * 40)])
def test_text_is_trimmed_and_without_nul_R_REG_02(raw, clean):
    errors = {}
    assert v.text(raw, "name", "姓名", errors, max_length=40) == clean
    assert errors == {}


@pytest.mark.parametrize("raw", [None, "", "   ", "\x00", " \x00 \t"])
def test_empty_text_is_refused_when_required_R_ID_03(raw):
    errors = {}
    assert v.text(raw, "reasons", "申请理由", errors) == ""
    assert check(errors, "reasons", "申请理由") == "申请理由不能为空"
    optional = {}
    v.text(raw, "note", "会议情况", optional, required=False)
    assert optional == {}


def test_over_long_text_names_the_limit_R_ID_03():
    errors = {}
    v.text("字" * 501, "reason", "不通过理由", errors, max_length=500)
    assert check(errors, "reason", "不通过理由") == "不通过理由不能超过500字"
    fine = {}
    v.text("字" * 500, "reason", "不通过理由", fine, max_length=500)
    v.text("字" * 100_000, "reason", "退回理由", fine, max_length=None)
    assert fine == {}


def test_text_messages_can_be_the_services_own_R_ID_04():
    errors = {}
    v.text("", "reason", "理由", errors, missing="不予纳入必须填写理由（申请人可凭受理编号查询）")
    v.text("名" * 41, "name", "姓名", errors, max_length=40, message="姓名过长")
    assert errors == {"reason": "不予纳入必须填写理由（申请人可凭受理编号查询）", "name": "姓名过长"}


# --- choices --------------------------------------------------------------------------------------

OUTCOMES = {"pass": "核实通过", "reject": "核实不通过"}


@pytest.mark.parametrize("raw", ["pass", " reject ", "re\x00ject"])
def test_a_listed_choice_is_accepted_R_ID_04(raw):
    errors = {}
    assert v.choice(raw, "outcome", "核实结论", errors, choices=OUTCOMES) in OUTCOMES
    assert errors == {}


@pytest.mark.parametrize("raw", [None, "", "  ", "maybe", "PASS", "核实通过", 1])
def test_a_choice_outside_the_list_names_the_allowed_ones_R_ID_04(raw):
    errors = {}
    v.choice(raw, "outcome", "核实结论", errors, choices=OUTCOMES)
    assert check(errors, "outcome", "核实结论") == "请选择核实结论（核实通过、核实不通过）"


def test_a_choice_message_can_be_the_services_own_R_REG_04():
    errors = {}
    v.choice("weekly", "period", "期间", errors, choices={"annual": "年度", "month": "月度"}, message="期间无效")
    assert errors == {"period": "期间无效"}


# --- yes / no -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, answer",
    [(True, True), (False, False), ("是", True), ("否", False), ("1", True), ("0", False), (1, True), (0, False),
     ("TRUE", True), (" yes ", True), ("No", False), ("on", True), ("off", False), ("y", True), ("n", False)],
)
def test_yes_and_no_answers_are_recognised_R_REG_02a(raw, answer):
    errors = {}
    assert v.to_bool(raw) is answer
    assert v.boolean(raw, "dibao", "享受低保", errors) is answer
    assert errors == {}


@pytest.mark.parametrize("raw", [None, "", "  ", "\x00"])
def test_an_empty_answer_is_none_and_refused_only_when_required_R_REG_02a(raw):
    errors = {}
    assert v.to_bool(raw) is None
    assert v.boolean(raw, "medical_insurance", "参加大病保险", errors) is None
    assert errors == {}
    v.boolean(raw, "long_resident", "是否长期居住", errors, required=True)
    assert check(errors, "long_resident", "是否长期居住") == "请填写是否长期居住（是或否）"


@pytest.mark.parametrize("raw", ["也许", "2", 2, "truthy", Decimal("1.5")])
def test_an_unrecognised_answer_is_refused_R_REG_02a(raw):
    errors = {}
    assert v.to_bool(raw) is None
    assert v.boolean(raw, "dibao", "享受低保", errors) is None
    check(errors, "dibao", "享受低保", "只能填“是”或“否”", f"收到“{raw}”")


def test_a_yes_no_message_can_be_the_services_own_R_ID_01():
    errors = {}
    v.boolean("", "long_resident", "长期居住", errors, required=True, message="请说明是否在本县长期居住")
    assert errors == {"long_resident": "请说明是否在本县长期居住"}


# --- integers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, number",
    [("12", 12), (" 7 ", 7), (0, 0), (12, 12), (3.0, 3), (Decimal("4"), 4), ("+5", 5), ("１２", 12), ("1\x002", 12)],
)
def test_whole_numbers_are_accepted_R_ID_05(raw, number):
    errors = {}
    assert v.integer(raw, "approvals", "赞成人数", errors, maximum=100) == number
    assert errors == {}


@pytest.mark.parametrize("raw", ["十", "3.5", 3.5, "1e3", "1_000", "12a", True, False, float("nan"), float("inf"),
                                 Decimal("NaN"), "9" * 5000])
def test_a_non_integer_is_refused_naming_the_field_R_ID_05(raw):
    errors = {}
    assert v.integer(raw, "approvals", "赞成人数", errors) is None
    message = check(errors, "approvals", "赞成人数", "应为整数", "收到“")
    assert len(message) < 80  # a long value is not repeated whole


@pytest.mark.parametrize("raw, ok", [(-1, False), (0, True), (12, True), (13, False), ("-0", True)])
def test_integer_bounds_are_inclusive_R_REG_02(raw, ok):
    errors = {}
    number = v.integer(raw, "months_worked", "务工时间（月）", errors, minimum=0, maximum=12)
    if ok:
        assert number == int(raw) and errors == {}
    else:
        assert number is None
        assert check(errors, "months_worked", "务工时间（月）") == "务工时间（月）应在0到12之间"


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_empty_integer_is_missing_or_the_default_R_ID_05(raw):
    errors = {}
    assert v.integer(raw, "approvals", "赞成人数", errors) is None
    assert check(errors, "approvals", "赞成人数") == "赞成人数未填写"
    optional = {}
    assert v.integer(raw, "months_worked", "务工时间（月）", optional, required=False, default=0) == 0
    assert optional == {}


def test_an_integer_message_can_be_the_services_own_R_REG_04():
    errors = {}
    text = "月度收入必须填写1到12的月份"
    v.integer(None, "m1", "月份", errors, minimum=1, maximum=12, message=text)
    v.integer("x", "m2", "月份", errors, minimum=1, maximum=12, message=text)
    v.integer(13, "m3", "月份", errors, minimum=1, maximum=12, message=text)
    assert errors == {"m1": text, "m2": text, "m3": text}


# --- money ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, amount",
    [("1200", "1200.00"), (" 12,000.50 ", "12000.50"), ("0", "0.00"), (0, "0.00"), (3500, "3500.00"),
     (12.5, "12.50"), (Decimal("7.25"), "7.25"), ("0.01", "0.01"), ("1e3", "1000.00"), ("-0", "0.00"),
     ("9999999999.99", "9999999999.99"), ("12.345", "12.34"), ("12.355", "12.36")],
)
def test_amounts_are_kept_to_the_cent_R_REG_04(raw, amount):
    errors = {}
    value = v.money(raw, "wage_other", "其他工资性收入", errors)
    assert value == Decimal(amount) and value.as_tuple().exponent == -2
    assert errors == {}


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_an_empty_amount_is_zero_R_REG_04(raw):
    errors = {}
    assert v.money(raw, "wage_other", "其他工资性收入", errors) == 0 and errors == {}


@pytest.mark.parametrize("raw", ["三千", "12元", "1.2.3", "NaN", "nan", "inf", "-Infinity", "sNaN", float("nan"),
                                 float("inf"), True, "1\x002x"])
def test_a_non_number_or_non_finite_amount_is_refused_R_REG_04(raw):
    errors = {}
    assert v.money(raw, "production_income", "生产经营性收入", errors) == 0
    check(errors, "production_income", "生产经营性收入", "必须是数字", "收到“")


@pytest.mark.parametrize("raw", ["-100", "-0.01", -1, Decimal("-5")])
def test_a_negative_amount_is_refused_R_REG_04(raw):
    errors = {}
    assert v.money(raw, "wage_other", "其他工资性收入", errors) == 0
    assert check(errors, "wage_other", "其他工资性收入") == "其他工资性收入不能为负数"


@pytest.mark.parametrize("raw", ["1e10", "10000000000", 1e10, "1e999999"])
def test_an_amount_from_100_yi_yuan_is_too_large_R_REG_04(raw):
    errors = {}
    assert v.money(raw, "wage_other", "其他工资性收入", errors) == 0
    assert check(errors, "wage_other", "其他工资性收入") == "其他工资性收入数值过大"


def test_a_lower_maximum_and_one_range_message_R_ID_01():
    text = "申请前12个月医疗自付支出应为0到1亿之间的金额"
    kw = {"maximum": Decimal("100000000"), "out_of_range": text}
    for raw in ("100000000", "-1"):
        errors = {}
        v.money(raw, "medical_expense", "申请前12个月医疗自付支出", errors, **kw)
        assert errors == {"medical_expense": text}
    errors = {}
    assert v.money("99999999.99", "medical_expense", "申请前12个月医疗自付支出", errors, **kw) == Decimal("99999999.99")
    v.money("一万", "medical_expense", "申请前12个月医疗自付支出", errors, **kw)
    assert errors == {"medical_expense": "申请前12个月医疗自付支出必须是数字，收到“一万”"}


# --- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, day",
    [("2026-05-01", dt.date(2026, 5, 1)), (" 2026-05-01 ", dt.date(2026, 5, 1)), ("20260501", dt.date(2026, 5, 1)),
     (dt.date(2026, 2, 28), dt.date(2026, 2, 28)), (dt.datetime(2026, 5, 1, 23, 59), dt.date(2026, 5, 1)),
     ("2028-02-29", dt.date(2028, 2, 29))],
)
def test_dates_are_read_from_iso_text_and_date_objects_R_ID_04(raw, day):
    errors = {}
    assert v.date(raw, "visit_date", "入户核实日期", errors) == day
    assert errors == {}


@pytest.mark.parametrize("raw", ["2026-02-30", "20260230", "2027-02-29", "2026-13-01", "2026/05/11", "2026年5月1日",
                                 "明天", "05-01-2026", "2026-05-01\x00x", 20260230])
def test_an_impossible_or_misformatted_date_is_refused_R_ID_04(raw):
    errors = {}
    assert v.date(raw, "visit_date", "入户核实日期", errors) is None
    message = check(errors, "visit_date", "入户核实日期", "格式不正确", "2026-05-01", "收到“")
    assert "\x00" not in message


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_empty_date_is_refused_when_required_R_ID_04(raw):
    errors = {}
    assert v.date(raw, "meeting_date", "评议会日期", errors) is None
    assert check(errors, "meeting_date", "评议会日期") == "评议会日期不能为空"
    optional = {}
    assert v.date(raw, "meeting_date", "评议会日期", optional, required=False) is None and optional == {}


def test_date_bounds_are_inclusive_and_named_R_ID_04():
    lo, hi = dt.date(2026, 5, 1), dt.date(2026, 5, 10)
    kw = {"not_before": lo, "not_after": hi, "before_label": "申请日期 "}
    for ok in ("2026-05-01", "2026-05-10"):
        errors = {}
        v.date(ok, "visit_date", "入户核实日期", errors, **kw)
        assert errors == {}
    errors = {}
    v.date("2026-04-30", "visit_date", "入户核实日期", errors, **kw)
    assert check(errors, "visit_date", "入户核实日期") == "入户核实日期不能早于申请日期 2026-05-01"
    errors = {}
    v.date("2026-05-11", "visit_date", "入户核实日期", errors, **kw)
    assert check(errors, "visit_date", "入户核实日期") == "入户核实日期不能晚于2026-05-10"


def test_a_long_bad_value_is_echoed_short_R_SEC_05():
    errors = {}
    v.date("x" * 10_000, "visit_date", "入户核实日期", errors)
    assert len(errors["visit_date"]) < 100 and errors["visit_date"].endswith("…”")


# --- phones ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, clean",
    [("13955612345", "13955612345"), (" 13955612345 ", "13955612345"), ("13955612345.0", "13955612345"),
     (13955612345, "13955612345"), (13955612345.0, "13955612345"), ("0561-3012345", "0561-3012345"),
     ("05613012345", "05613012345"), ("010-12345678", "010-12345678"), ("", ""), (None, "")],
)
def test_mobile_and_fixed_line_numbers_are_accepted_R_REG_02(raw, clean):
    errors = {}
    assert v.phone(raw, "phone", "联系电话", errors) == clean
    assert errors == {}


@pytest.mark.parametrize("raw", ["12345", "12955612345", "1395561234", "139556123456", "0561-301234",
                                 "13955612345x", "１３９５５６１２３４５", "+8613955612345"])
def test_a_bad_phone_is_refused_naming_the_field_R_REG_02(raw):
    errors = {}
    v.phone(raw, "phone", "户联系电话", errors)
    assert check(errors, "phone", "户联系电话") == f"户联系电话格式不正确：{raw}（应为11位手机号或带区号的固定电话）"


def test_the_import_checks_use_the_same_phone_pattern_R_INT_01():
    from fangpin.interop import validate

    assert validate.PHONE_PATTERN == v.PHONE_PATTERN


# --- ID numbers -----------------------------------------------------------------------------------


def test_a_valid_id_number_gives_sex_and_birth_date_R_REG_02():
    errors = {}
    info = v.id_number(f" {VALID_ID[:6]} {VALID_ID[6:]} ", "id_number", "身份证号", errors)
    assert errors == {} and info.number == VALID_ID
    assert (info.birth_date, info.sex) == (dt.date(1990, 3, 7), "男")


def test_a_lower_case_x_is_read_as_upper_case_R_REG_02():
    errors = {}
    info = v.id_number(VALID_ID_X.lower(), "id_number", "身份证号", errors)
    assert errors == {} and info.number == VALID_ID_X


def test_disability_card_and_no_id_numbers_are_accepted_R_REG_02():
    errors = {}
    assert v.id_number(VALID_ID + "12", "id_number", "身份证号", errors).disability_suffix == "12"
    assert v.id_number("99999920230001", "id_number", "身份证号", errors).is_no_id
    assert errors == {}


def _bad_checksum(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


@pytest.mark.parametrize(
    "raw, part",
    [
        (None, "不能为空"),
        ("  ", "不能为空"),
        (_bad_checksum(VALID_ID), "校验位错误"),
        (VALID_ID[:15], "应为18位（残疾人证号20或22位），现为15位"),
        ("340621900307123", "现为15位"),
        (VALID_ID[:17], "现为17位"),
        (VALID_ID + "1", "现为19位"),
        (VALID_ID + "AB", "第19位以后只能是数字"),
        ("34062119900307A23X", "只能包含数字"),
        ("340621199002300021", "出生日期无效"),
        ("340621209901010011", "出生日期无效"),
        (3.40621199003071e17, "科学计数法"),
        ("3.40621E+17", "科学计数法"),
    ],
)
def test_a_bad_id_number_is_refused_naming_the_field_R_REG_02(raw, part):
    errors = {}
    assert v.id_number(raw, "id_number", "身份证号", errors, today=dt.date(2026, 5, 1)) is None
    check(errors, "id_number", "身份证号", part)
    assert VALID_ID not in errors["id_number"]  # the number typed is not repeated


def test_an_id_number_given_as_a_number_is_read_as_text_R_REG_02():
    errors = {}
    assert v.id_number(int(VALID_ID), "id_number", "身份证号", errors).number == VALID_ID
    assert errors == {}


# --- the services use them ------------------------------------------------------------------------


def _member(**kw):
    return {"id_number": make_id_number("340621", dt.date(2001, 7, 15), 402, male=False), "name": "蔡小芳",
            "relation": "之女", **kw}


def test_member_text_is_stored_without_nul_R_REG_02(personas, households):
    """A NUL typed into a name is dropped (PostgreSQL refuses NUL characters in text)."""
    m = services.add_member(personas["cadre_a"], households["a1"], _member(name="蔡\x00小芳", person_number=" P1\x00 "))
    m.refresh_from_db()
    assert (m.name, m.person_number) == ("蔡小芳", "P1")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("person_number", "P" * 31, "人编号不能超过30字"),
        ("medical_insurance", "也许", "参加城乡居民基本医疗保险只能填“是”或“否”，收到“也许”"),
        ("dibao", "maybe", "享受低保只能填“是”或“否”，收到“maybe”"),
        ("months_worked", "3.5", "务工时间（月）应为0到12之间的整数"),
        ("name", "名" * 41, "姓名过长"),
    ],
)
def test_member_values_the_columns_cannot_hold_are_refused_R_REG_02(personas, households, field, value, message):
    before = (Member.objects.count(), Event.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.add_member(personas["cadre_a"], households["a1"], _member(**{field: value}))
    assert exc.value.message_dict[field] == [message]
    assert (Member.objects.count(), Event.objects.count()) == before


def test_household_address_and_reasons_within_their_columns_R_REG_03(personas, households):
    h = households["a1"]
    before = (Household.objects.get(pk=h.pk).address, Event.objects.count())
    with pytest.raises(ValidationError) as exc:
        services.update_household(personas["cadre_a"], h, address="路" * 121)
    assert exc.value.message_dict == {"address": ["住址不能超过120字"]}
    with pytest.raises(ValidationError) as exc:
        services.change_category(personas["cadre_a"], h, "marginal_at_risk", "因" * 101)
    assert exc.value.message_dict == {"reason": ["调整原因不能超过100字"]}
    assert (Household.objects.get(pk=h.pk).address, Event.objects.count()) == before


def test_income_year_month_and_amounts_are_checked_together_R_REG_04(personas, households):
    with pytest.raises(ValidationError) as exc:
        services.save_income(personas["cadre_a"], households["a1"], year="二〇二六", period="month", month="13",
                             data={"wage_other": "-1", "production_income": "1e10"})
    assert exc.value.message_dict == {
        "year": ["年度无效"], "month": ["月度收入必须填写1到12的月份"], "wage_other": ["其他工资性收入不能为负数"],
        "production_income": ["生产经营性收入数值过大"],
    }
    assert not IncomeRecord.objects.exists()


def test_a_move_request_keeps_no_nul_and_its_reasons_fit_their_columns_R_SEC_04(personas, households):
    """Raised from a name typed with a NUL; declining and approving refuse texts longer than the column
    instead of cutting them, and a refused step changes nothing."""
    holder = households["a1"].members.get(relation="配偶")
    with pytest.raises(ValidationError):
        services.add_member(personas["cadre_b"], households["b1"],
                            _member(id_number=holder.id_number, name="王秀\x00英", phone="1395561\x002345"))
    move = MoveRequest.objects.get()
    assert move.name == "王秀英" and "\x00" not in str(move.details)
    officer = personas["county_officer"]
    events = Event.objects.count()
    with pytest.raises(ValidationError) as exc:
        moves.decline_move(officer, move, reason="因" * 301)
    assert exc.value.message_dict == {"reason": ["不予迁移原因不能超过300字"]}
    with pytest.raises(ValidationError) as exc:
        moves.decline_move(officer, move, reason=" \x00 ")
    assert exc.value.message_dict == {"reason": ["不予迁移必须填写原因"]}
    with pytest.raises(ValidationError) as exc:
        moves.approve_move(officer, move, relation="之女", note="说" * 301)
    assert exc.value.message_dict == {"note": ["办理说明不能超过300字"]}
    move.refresh_from_db()
    assert (move.status, move.note, move.accepted_at, Event.objects.count()) == ("open", "", None, events)
