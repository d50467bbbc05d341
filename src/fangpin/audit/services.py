"""Write an audit event inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from .context import current_source
from .models import Event

ACTION_LABELS = {
    "division.create": "新建区划",
    "household.create": "新建农户",
    "household.update": "修改农户信息",
    "household.category": "调整户类别",
    "member.create": "新增家庭成员",
    "member.update": "修改成员信息",
    "member.move": "成员迁移",
    "member.remove": "成员移出",
    "income.save": "录入收入",
    "basic_needs.update": "更新两不愁三保障",
    "tags.update": "调整标签",
    "demo.build": "生成演示县数据",
    "demo.wipe": "清空演示县数据",
    "case.open": "受理识别申请",
    "case.step": "办理识别步骤",
    "case.reject": "不予纳入",
    "case.return": "退回重新核实",
    "case.system_entry": "登记录入国家系统",
    "household.include": "纳入监测对象",
    "notice.publish": "发布公示公告",
    "notice.close": "结束公示",
    "objection.record": "登记公示异议",
    "objection.resolve": "处理公示异议",
    "household.import_create": "国家系统导入：新建农户",
    "household.import_update": "国家系统导入：更新农户",
    "case.deadline_recompute": "日历调整后重算期限",
    "calendar.day_set": "录入或更正日历调整日",
    "calendar.day_delete": "删除日历调整日",
    "calendar.year_set": "标记日历年份录入情况",
    "calendar.year_delete": "删除日历年份",
    "term.create": "新增字典值",
    "term.update": "修改字典值",
    "term.delete": "删除字典值",
    "tag.create": "新增农户标签",
    "tag.update": "修改农户标签",
    "tag.delete": "删除农户标签",
}


def jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if hasattr(value, "pk"):
        return str(value)
    return value


def record(actor, action: str, obj, *, before=None, after=None, household=None, division_code: str = "") -> Event:
    kind, ref = current_source()
    if household is None and obj.__class__.__name__ == "Household":
        household = obj
    if not division_code:
        division_code = getattr(household, "division_code", "") or ""
        if not division_code and obj.__class__.__name__ == "Division":
            division_code = obj.code
    return Event.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=(str(actor) if actor is not None else "系统"),
        actor_role=getattr(actor, "role", "") if actor is not None else "",
        action=action,
        object_type=obj.__class__.__name__,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        household=household,
        division_code=division_code,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        source=kind,
        source_ref=ref[:300],
    )
