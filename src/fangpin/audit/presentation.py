"""Audit events as a given user may see them (R-SEC-02, R-SEC-05).

History tables on the household and case pages, and the API, show events through
``present_events``: before/after values masked by field through the one masking function, free
text (reasons, notes, object names, source notes) with typed ID numbers and phones masked by role.
"""

from __future__ import annotations

from fangpin.accounts.masking import mask_field, mask_text

from .services import ACTION_LABELS

# Chinese names of the fields events carry (the rest are shown by their key).
FIELD_LABELS = {
    "id_number": "身份证号", "name": "姓名", "sex": "性别", "birth_date": "出生日期", "relation": "与户主关系",
    "ethnicity": "民族", "political": "政治面貌", "education": "文化程度", "student_status": "在校生状况",
    "health": "健康状况", "disability_grade": "残疾等级", "labour": "劳动技能", "employment": "务工状况",
    "months_worked": "务工时间（月）", "medical_insurance": "基本医疗保险", "serious_illness_insurance": "大病保险",
    "pension_insurance": "养老保险", "dibao": "低保", "tekun": "特困供养", "phone": "联系电话",
    "person_number": "人编号", "number": "户编号", "address": "住址", "category": "户类别",
    "division_code": "区划代码", "reason": "原因", "active": "在户", "household": "所在户",
    "monitoring_status": "监测状态", "included_on": "纳入时间", "risk_types": "风险类型",
    "elimination_mode": "风险消除方式", "eliminated_on": "风险消除时间", "tags": "标签",
    "housing_grade": "住房安全等级", "basic_needs_note": "三保障说明", "year": "年度", "period": "期间",
    "household_size": "家庭人口", "per_capita_net_income": "人均纯收入", "status": "状态", "note": "说明",
}


def field_label(key: str) -> str:
    return FIELD_LABELS.get(key, key)


def present_changes(user, event) -> list[tuple[str, object, object]]:
    return [(field_label(k), mask_field(user, k, b), mask_field(user, k, a)) for k, b, a in event.changes()]


def present_event(user, event):
    """Annotate ``event`` in place with what ``user`` may see: label, masked changes and notes."""
    event.label = ACTION_LABELS.get(event.action, event.action)
    event.shown_changes = present_changes(user, event)
    event.shown_repr = mask_text(user, event.object_repr)
    event.shown_source_ref = mask_text(user, event.source_ref)
    return event


def present_events(user, events) -> list:
    return [present_event(user, e) for e in events]
