"""Writes to divisions (groups and grids a county adds; divisions a national import brings).

Checked for the actor's scope, validated against the code rules of ``fangpin.areas.services``,
and audited, in one transaction.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from fangpin.accounts.scoping import require_write_in
from fangpin.areas.models import Division
from fangpin.areas.services import validate_child_code
from fangpin.audit.services import record


@transaction.atomic
def create_division(actor, *, parent: Division | None, level: int, code: str, name: str, profile_key: str = "") -> Division:
    if parent is not None:
        require_write_in(actor, parent.code)
    elif actor is not None and not actor.is_administrator:
        raise ValidationError("只有系统管理员可以新建县（区）")
    validate_child_code(parent, level, code)
    if not name.strip():
        raise ValidationError({"name": "名称不能为空"})
    if Division.objects.filter(code=code).exists():
        raise ValidationError({"code": f"区划代码 {code} 已存在"})
    division = Division.objects.create(parent=parent, level=level, code=code, name=name.strip(), profile_key=profile_key)
    record(actor, "division.create", division, after={"code": code, "name": name, "level": level})
    return division
