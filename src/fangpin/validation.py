"""Shared validators for what users type into services: text, dates, integers, money, choices,
yes/no answers, phone numbers and ID numbers (R-SEC-02; docs/decisions/0008-shared-validators.md).

Every validator takes the raw value, the field name and the field's Chinese label, and returns the
clean value. A bad value does not raise: it puts one Chinese message naming the field into
``errors[field]`` (a plain dict or an ``Errors``), so a service checks every field, reports all the
problems at once and raises before it writes anything::

    errors = Errors()
    name = text(data.get("name"), "name", "姓名", errors, max_length=40)
    year = integer(data.get("year"), "year", "年度", errors, minimum=2000, maximum=2027)
    errors.raise_if_any()

Overrides: ``missing`` replaces the message for an empty required value; ``message`` replaces every
other message of the validator (for services whose wording says more than the generic text, e.g.
"月度收入必须填写1到12的月份"); ``money`` also takes ``out_of_range`` for negative or too large amounts.

Messages never echo more than a short piece of what was typed, and never library text.
The import checks (``interop.validate``, set-based over polars frames) share the patterns and hints
defined here, so a phone number is judged the same way in a form and in a national-system file.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, MutableMapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from fangpin.policy.idnumbers import IdInfo, IdNumberError, parse_id_number

# Mobile numbers (11 digits, 13x–19x) and fixed lines with an area code (0xx[x]-xxxxxxx[x]).
PHONE_PATTERN = r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"
PHONE_RE = re.compile(PHONE_PATTERN)
PHONE_HINT = "应为11位手机号或带区号的固定电话"
DATE_HINT = "应为 年-月-日，如 2026-05-01"
# Amounts up to the registry's money columns (12 digits, 2 decimals): below 100亿 yuan.
MONEY_MAX = Decimal("10000000000")
CENT = Decimal("0.01")
TRUE_WORDS = frozenset({"1", "true", "yes", "on", "是", "y"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "否", "n"})
ECHO_LIMIT = 40  # characters of a bad value repeated in a message

ErrorMap = MutableMapping[str, str]  # an Errors, or any dict


class Errors(dict):
    """Field → Chinese message, collected while a service checks its input."""

    def absorb(self, exc: ValidationError) -> None:
        """Take the first message of each field of ``exc`` (a check that raises on its own)."""
        if hasattr(exc, "error_dict"):
            for field, messages in exc.message_dict.items():
                self[field] = messages[0]
        else:
            self["__all__"] = exc.messages[0]

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def fail(field: str, message: str):
    """Refuse at once with one Chinese message on ``field`` (``"__all__"`` for the whole form)."""
    raise ValidationError({field: message})


def scrub(value):
    """Drop NUL characters from every string, also inside dicts and lists (PostgreSQL text and jsonb
    refuse them; they are never meaningful input)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def shown(value) -> str:
    """What a message repeats of a bad value: NUL characters dropped, at most ``ECHO_LIMIT`` characters."""
    value = scrub(str(value))
    return value if len(value) <= ECHO_LIMIT else value[:ECHO_LIMIT] + "…"


def is_empty(value) -> bool:
    """None, "" and text of blanks only (NUL characters count as blanks)."""
    return value is None or (isinstance(value, str) and not scrub(value).strip())


def _clean_str(value) -> str:
    return "" if value is None else scrub(str(value)).strip()


# --- text and choices -----------------------------------------------------------------------------


def text(value, field: str, label: str, errors: ErrorMap, *, required: bool = True, max_length: int | None = 2000,
         missing: str | None = None, message: str | None = None) -> str:
    """Trimmed text without NUL characters; ``max_length`` counts characters (None: no limit)."""
    value = _clean_str(value)
    if not value:
        if required:
            errors[field] = missing or f"{label}不能为空"
    elif max_length is not None and len(value) > max_length:
        errors[field] = message or f"{label}不能超过{max_length}字"
    return value


def choice(value, field: str, label: str, errors: ErrorMap, *, choices: Mapping[str, str],
           message: str | None = None) -> str:
    """One of the keys of ``choices`` (code → Chinese name); the message lists the names."""
    value = _clean_str(value)
    if value not in choices:
        errors[field] = message or f"请选择{label}（{'、'.join(choices.values())}）"
    return value


# --- yes / no -------------------------------------------------------------------------------------


def to_bool(value) -> bool | None:
    """True, False, or None for an empty or unrecognised answer (是/否, 1/0, true/false, yes/no, on/off, y/n)."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        return value
    word = _clean_str(value).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def boolean(value, field: str, label: str, errors: ErrorMap, *, required: bool = False, missing: str | None = None,
            message: str | None = None) -> bool | None:
    """A yes/no answer; empty gives None (an error when ``required``), anything else unrecognised is refused."""
    if is_empty(value):
        if required:
            errors[field] = missing or message or f"请填写{label}（是或否）"
        return None
    answer = to_bool(value)
    if answer is None:
        errors[field] = message or f"{label}只能填“是”或“否”，收到“{shown(value)}”"
    return answer


# --- numbers --------------------------------------------------------------------------------------


def _whole_number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        try:
            return int(value) if value == int(value) else None
        except (ValueError, OverflowError, InvalidOperation):  # NaN, infinity
            return None
    digits = _clean_str(value)
    if len(digits) > 30 or not re.fullmatch(r"[+-]?\d+", digits):
        return None
    return int(digits)


def integer(value, field: str, label: str, errors: ErrorMap, *, minimum: int = 0, maximum: int = 100000,
            required: bool = True, default: int | None = None, missing: str | None = None,
            message: str | None = None) -> int | None:
    """A whole number within ``minimum``…``maximum``; empty gives ``default`` (an error when ``required``).
    Integral floats and decimals (``3.0``) are accepted, ``3.5`` and booleans are not."""
    if is_empty(value):
        if required:
            errors[field] = missing or message or f"{label}未填写"
        return default
    number = _whole_number(value)
    if number is None:
        errors[field] = message or f"{label}应为整数，收到“{shown(value)}”"
        return None
    if not minimum <= number <= maximum:
        errors[field] = message or f"{label}应在{minimum}到{maximum}之间"
        return None
    return number


def money(value, field: str, label: str, errors: ErrorMap, *, maximum: Decimal = MONEY_MAX,
          message: str | None = None, out_of_range: str | None = None) -> Decimal:
    """An amount in yuan, 0 ≤ amount < ``maximum``, rounded to cents; empty is 0. Thousands commas
    are allowed ("12,000.50"); NaN and infinity are not numbers. A bad amount gives 0 and a message."""
    if is_empty(value):
        return Decimal(0)
    try:
        amount = None if isinstance(value, bool) else Decimal(_clean_str(value).replace(",", ""))
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        errors[field] = message or f"{label}必须是数字，收到“{shown(value)}”"
        return Decimal(0)
    if amount < 0:
        errors[field] = out_of_range or message or f"{label}不能为负数"
        return Decimal(0)
    if amount >= maximum:
        errors[field] = out_of_range or message or f"{label}数值过大"
        return Decimal(0)
    return amount.quantize(CENT)


# --- dates ----------------------------------------------------------------------------------------


def date(value, field: str, label: str, errors: ErrorMap, *, required: bool = True,
         not_before: dt.date | None = None, not_after: dt.date | None = None, before_label: str = "",
         missing: str | None = None, message: str | None = None) -> dt.date | None:
    """A calendar date (a date, a datetime, or ISO text such as 2026-05-01), optionally bounded.
    ``before_label`` names the lower bound in its message ("申请日期 ")."""
    if is_empty(value):
        if required:
            errors[field] = missing or message or f"{label}不能为空"
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(_clean_str(value))
        except ValueError:
            errors[field] = message or f"{label}格式不正确（{DATE_HINT}），收到“{shown(value)}”"
            return None
    if not_after is not None and day > not_after:
        errors[field] = message or f"{label}不能晚于{not_after:%Y-%m-%d}"
    elif not_before is not None and day < not_before:
        errors[field] = message or f"{label}不能早于{before_label}{not_before:%Y-%m-%d}"
    return day


# --- people ---------------------------------------------------------------------------------------


def people(raw, field: str, label: str, errors: ErrorMap, *, minimum: int = 1) -> list[dict]:
    """Named people who did something together, such as a home verification by two people (两人同行):
    a list of ``{"name", "unit"}`` dicts or text with one person a line ("姓名 单位/身份"). Blank
    names are dropped; a repeated name or fewer than ``minimum`` people is refused."""
    if isinstance(raw, str):
        raw = [line for line in scrub(raw).splitlines() if line.strip()]
    found = []
    for item in raw if isinstance(raw, list | tuple) else []:
        if isinstance(item, dict):
            name, unit = _clean_str(item.get("name")), _clean_str(item.get("unit"))
        else:
            parts = _clean_str(item).replace("，", " ").replace(",", " ").split(None, 1)
            name, unit = (parts[0], parts[1].strip() if len(parts) > 1 else "") if parts else ("", "")
        if name:
            found.append({"name": name[:40], "unit": unit[:60]})
    names = [p["name"] for p in found]
    if len(set(names)) != len(names):
        errors[field] = f"{label}姓名重复"
    elif len(found) < minimum:
        errors[field] = f"{label}不得少于{minimum}人（每行一人：姓名 单位/身份），现为{len(found)}人"
    return found


# --- phones and ID numbers ------------------------------------------------------------------------


def phone(value, field: str, label: str, errors: ErrorMap, *, required: bool = False) -> str:
    """A mobile or fixed-line number; a trailing ".0" (a number that went through a float cell) is dropped."""
    value = _clean_str(value)
    if value.endswith(".0"):
        value = value[:-2]
    if not value:
        if required:
            errors[field] = f"{label}不能为空"
    elif not PHONE_RE.match(value):
        errors[field] = f"{label}格式不正确：{shown(value)}（{PHONE_HINT}）"
    return value


def id_number(value, field: str, label: str, errors: ErrorMap, *, today: dt.date | None = None) -> IdInfo | None:
    """A resident ID number (GB 11643; 20/22-character disability-card numbers; 999999 no-ID numbers),
    parsed by ``fangpin.policy.idnumbers``: upper-cased, blanks removed, checksum and birth date checked."""
    try:
        return parse_id_number(_clean_str(value), today)
    except IdNumberError as exc:
        errors[field] = f"{label}：{exc}"
        return None
