"""Row issues collected set-based: row, column, Chinese reason; nothing technical reaches the officer (R-INT-02)."""

import polars as pl
import pytest

from fangpin.ingest.issues import REFUSED, WARNING, Issues, msg, quoted, user_text


def _frame():
    return pl.DataFrame({
        "_row": [4, 5, 6, 7],
        "_hkey": ["A", "A", "B", None],
        "phone": ["13955612345", "123", "", "1380000000x"],
        "age": ["30", "-2", "x", "40"],
    })


def test_checks_are_evaluated_together_and_name_row_column_and_reason_R_INT_02():
    df = _frame()
    issues = Issues("hkey", key_column="_hkey")
    phone = pl.col("phone")
    issues.from_mask(df, msg((phone != "") & ~phone.str.contains(r"^1\d{10}$"), pl.concat_str([pl.lit("联系电话"), quoted(phone), pl.lit("格式不正确")])), "联系电话", WARNING)
    age = pl.col("age").cast(pl.Int32, strict=False)
    issues.from_mask(df, msg(age.is_null() | (age < 0), "年龄应为不小于0的整数"), "年龄")
    issues.from_mask(df, msg(pl.col("age") == "nobody", "从不触发"), "年龄")
    issues.add(WARNING, None, "备注", "未识别的列，已忽略（不影响导入）")
    frame = issues.frame()
    assert frame.columns == ["level", "row", "column", "message", "hkey"]
    assert frame.rows() == [
        (REFUSED, 5, "年龄", "年龄应为不小于0的整数", "A"),
        (WARNING, 5, "联系电话", "联系电话“123”格式不正确", "A"),
        (REFUSED, 6, "年龄", "年龄应为不小于0的整数", "B"),
        (WARNING, 7, "联系电话", "联系电话“1380000000x”格式不正确", None),
        (WARNING, None, "备注", "未识别的列，已忽略（不影响导入）", None),
    ]


def test_no_issue_gives_an_empty_frame_with_the_schema_R_INT_02():
    frame = Issues().frame()
    assert frame.height == 0 and frame.columns == ["level", "row", "column", "message", "key"]


@pytest.mark.parametrize("text", [
    "文件无法读取：/srv/fangpin/var/media/interop/imports/a.xlsx",
    "读取失败：Traceback (most recent call last)",
    "zipfile.BadZipFile: File is not a zip file",
    "CalamineError 无法读取",
    "",
    "C:\\Users\\a\\导出.xlsx 无法读取",
])
def test_user_text_refuses_paths_library_text_and_non_chinese_R_SEC_05(text):
    with pytest.raises(ValueError):
        user_text(text)


@pytest.mark.parametrize("text", ["证件号码“3406**********0033”校验位错误", "金额应为不小于0的数字，收到“-1”", "日期“2023/13”格式不正确（应为YYYYMM，如202303）"])
def test_user_text_accepts_the_officers_messages_R_SEC_05(text):
    assert user_text(text) == text
