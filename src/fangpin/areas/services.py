"""Division codes checked and looked up (R-REG-01).

Creating a division checks the actor's scope, so it lives above the accounts layer, in
``fangpin.registry.divisions.create_division``; the code rules it applies are here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .models import CODE_LENGTH, Division, Level


def validate_child_code(parent: Division | None, level: int, code: str) -> None:
    expected = CODE_LENGTH[Level(level)]
    if not code.isdigit() or len(code) != expected:
        raise ValidationError({"code": f"{Level(level).label}的区划代码应为{expected}位数字"})
    if parent is None:
        if level != Level.COUNTY:
            raise ValidationError({"parent": "只有县（区）可以没有上级区划"})
        return
    if parent.level != level - 1:
        raise ValidationError({"parent": f"{Level(level).label}的上级应为{Level(level - 1).label}"})
    if not code.startswith(parent.code):
        raise ValidationError({"code": f"区划代码 {code} 不在上级 {parent.name}（{parent.code}）之内"})


def resolve_division(code: str) -> Division:
    """A division by code, or a Chinese error naming the code."""
    code = (code or "").strip()
    try:
        return Division.objects.get(code=code)
    except Division.DoesNotExist:
        raise ValidationError({"division": f"区划代码 {code or '（空）'} 不存在"})


DIGITS = "零一二三四五六七八九"


def numeral(n: int) -> str:
    """1…99 in Chinese numerals as grid names use them: 一, 十, 十一, 二十, 二十三."""
    if not 1 <= n <= 99:
        return str(n)
    tens, ones = divmod(n, 10)
    if tens == 0:
        return DIGITS[ones]
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def grid_name(group_name: str, ordinal: int) -> str:
    """R-GRID-02: the ``ordinal``-th grid of a group is "<group>第一网格", "<group>第二网格"…"""
    return f"{group_name}第{numeral(ordinal)}网格"


def next_grid_name(group: Division) -> str:
    """R-GRID-02: grids of one group are named "<group>第一网格", "<group>第二网格"…"""
    return grid_name(group.name, group.children.count() + 1)
