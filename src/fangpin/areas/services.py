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


def next_grid_name(group: Division) -> str:
    """R-GRID-02: grids of one group are named "<group>第一网格", "<group>第二网格"…"""
    numerals = "一二三四五六七八九十"
    n = group.children.count() + 1
    label = numerals[n - 1] if n <= 10 else str(n)
    return f"{group.name}第{label}网格"
