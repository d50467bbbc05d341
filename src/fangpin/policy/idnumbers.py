"""Resident ID numbers (GB 11643) and the national system's variants (R-REG-02).

- 18 characters, checked with python-stdnum's ``cn.ric`` (checksum, birth date, region).
- 20 or 22 characters: a disability-card number (残疾人证号) = ID number + category/level digits;
  the first 18 are checked.
- A ``999999`` prefix marks a person with no ID number; it is accepted but never checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric

NO_ID_PREFIX = "999999"


class IdNumberError(ValueError):
    """Raised with a Chinese message that names the problem."""


@dataclass(frozen=True)
class IdInfo:
    number: str  # as stored: upper-case, no spaces
    base: str  # the 18-character resident ID part ("" for no-ID numbers)
    birth_date: dt.date | None
    sex: str | None  # "男" / "女"
    disability_suffix: str = ""

    @property
    def is_no_id(self) -> bool:
        return self.number.startswith(NO_ID_PREFIX)


def parse_id_number(raw: str, today: dt.date | None = None) -> IdInfo:
    value = "".join(str(raw or "").split()).upper()
    if not value:
        raise IdNumberError("身份证号不能为空")
    if value.startswith(NO_ID_PREFIX):
        return IdInfo(value, "", None, None)
    if "E+" in value or "." in value:
        raise IdNumberError("身份证号被存成了数字（科学计数法），后几位已丢失，请以文本格式重新导出")
    if len(value) not in (18, 20, 22):
        raise IdNumberError(f"身份证号应为18位（残疾人证号20或22位），现为{len(value)}位")
    base, suffix = value[:18], value[18:]
    if suffix and not suffix.isdigit():
        raise IdNumberError("残疾人证号第19位以后只能是数字")
    if not base[:17].isdigit() or not (base[17].isdigit() or base[17] == "X"):
        raise IdNumberError("身份证号只能包含数字，最后一位可以是X")
    try:
        birth = ric.get_birth_date(base)
    except (stdnum_exc.ValidationError, ValueError):
        raise IdNumberError("身份证号中的出生日期无效")
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise IdNumberError("身份证号中的出生日期无效")
    if ric.calc_check_digit(base) != base[17]:
        raise IdNumberError("身份证号校验位错误，请核对")
    sex = "男" if int(base[16]) % 2 == 1 else "女"
    return IdInfo(value, base, birth, sex, suffix)


def make_id_number(region: str, birth: dt.date, sequence: int, male: bool) -> str:
    """Build a valid synthetic 18-digit number (demo and test data only)."""
    seq = sequence % 500 * 2 + (1 if male else 0)
    if seq == 0:
        seq = 2
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum expects a placeholder check digit


def mask_id_number(value: str) -> str:
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "****" + value[-4:]
