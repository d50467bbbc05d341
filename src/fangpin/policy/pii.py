"""Personal numbers inside free text (R-SEC-05).

Staff type reasons, notes and descriptions; sometimes an ID number, a phone or a bank-card number
ends up in them. Two uses:

- ``scrub_personal_data`` removes them from any text that reaches a public page or a notice;
- ``mask_ids_in_text`` / ``mask_phones_in_text`` mask them in text shown to a role that sees those
  numbers masked everywhere else.

Digit runs are matched whole (a number inside a longer run of digits is not a match), so division
codes (6–17 digits) and amounts are left alone; bank cards are 16–19 digits.
"""

from __future__ import annotations

import re

from .idnumbers import mask_id_number, mask_phone

# Resident ID (18 with an X checksum possible; 15-digit first-generation IDs), with optional spaces
# in the groups people often type (6-8-4).
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6}\s?\d{8}\s?\d{3}[\dXx]|\d{15})(?![0-9A-Za-z])")
# Mobile (optionally +86 / spaced 3-4-4) and landline with area code.
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3}[\s-]?\d{7,8})(?!\d)")
# Bank cards: 16–19 digits, possibly in groups of four.
_CARD = re.compile(r"(?<!\d)(\d{4}(?:[\s-]?\d{4}){2}[\s-]?\d{4,7})(?!\d)")

REMOVED = "［已隐去］"


def _digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def scrub_personal_data(text: str | None) -> str:
    """Remove ID numbers, phone numbers and bank-card numbers from ``text`` (for public pages)."""
    if not text:
        return ""
    text = _ID.sub(REMOVED, str(text))
    text = _CARD.sub(REMOVED, text)
    text = _MOBILE.sub(REMOVED, text)
    text = _LANDLINE.sub(REMOVED, text)
    return text


def mask_ids_in_text(text: str) -> str:
    return _ID.sub(lambda m: mask_id_number(_digits(m.group(1)).upper()), text)


def mask_phones_in_text(text: str) -> str:
    text = _MOBILE.sub(lambda m: mask_phone(_digits(m.group(1))), text)
    return _LANDLINE.sub(lambda m: mask_phone(_digits(m.group(1))), text)


def contains_personal_data(text: str | None) -> bool:
    return bool(text) and scrub_personal_data(text) != text
