"""Personal data masking by role (R-SEC-03, R-SEC-05): the one masking function.

Everything that renders personal data — lists, detail pages, history and audit diffs, error
messages, exports, the API, print views — goes through ``mask_field`` (or the two shortcuts
below). A value is masked by the name of its field: ID-number fields and phone fields by the
role's capabilities; any other text has ID numbers and phones typed into it masked the same way.
"""

from __future__ import annotations

from fangpin.policy.idnumbers import mask_id_number, mask_phone
from fangpin.policy.pii import mask_ids_in_text, mask_phones_in_text

ID_FIELDS = frozenset({"id_number", "head_id_number", "applicant_id_number", "member_id_number", "证件号码", "身份证号"})
PHONE_FIELDS = frozenset({"phone", "household_phone", "contact_phone", "mobile", "联系电话", "电话"})


def _sees_full_id(user) -> bool:
    return user is not None and user.is_authenticated and user.caps.full_id_number


def _sees_full_phone(user) -> bool:
    return user is not None and user.is_authenticated and user.caps.full_phone


def show_id_number(user, value: str) -> str:
    if _sees_full_id(user):
        return value or ""
    return mask_id_number(value or "")


def show_phone(user, value: str) -> str:
    if _sees_full_phone(user):
        return value or ""
    return mask_phone(value or "")


def mask_text(user, text):
    """Free text as ``user`` may see it: ID numbers and phones typed into it masked by role."""
    if not isinstance(text, str) or not text:
        return text
    if not _sees_full_id(user):
        text = mask_ids_in_text(text)
    if not _sees_full_phone(user):
        text = mask_phones_in_text(text)
    return text


def is_id_field(field: str) -> bool:
    return field in ID_FIELDS or field.endswith("id_number")


def is_phone_field(field: str) -> bool:
    return field in PHONE_FIELDS or field.endswith("_phone")


def mask_field(user, field: str, value):
    """``value`` of ``field`` as ``user`` may see it. Lists and mappings are masked item by item."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {k: mask_field(user, str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_field(user, field, v) for v in value]
    value = str(value)
    if is_id_field(field):
        return show_id_number(user, value)
    if is_phone_field(field):
        return show_phone(user, value)
    return mask_text(user, value)


def mask_mapping(user, data: dict) -> dict:
    return {k: mask_field(user, str(k), v) for k, v in data.items()}
