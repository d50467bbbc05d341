"""Deliberation validity and result (R-ID-05), with exact fractions (no float edge errors)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class DeliberationResult:
    expected: int
    present: int
    approvals: int
    valid: bool
    passed: bool
    presence_fraction: str
    approval_fraction: str

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def evaluate(expected: int, present: int, approvals: int, presence_fraction: str, approval_fraction: str):
    """Valid when present/expected >= presence_fraction; passes when approvals > approval_fraction × present."""
    if expected <= 0:
        raise ValueError("应到人数必须大于0")
    if present < 0 or present > expected:
        raise ValueError("实到人数必须在0到应到人数之间")
    if approvals < 0 or approvals > present:
        raise ValueError("赞成人数必须在0到实到人数之间")
    need_present = Fraction(presence_fraction)
    need_approve = Fraction(approval_fraction)
    valid = Fraction(present, expected) >= need_present
    passed = valid and present > 0 and Fraction(approvals, present) > need_approve
    return DeliberationResult(expected, present, approvals, valid, passed, presence_fraction, approval_fraction)
