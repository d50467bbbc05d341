"""Roster export (农户花名册, R-REG-06): what the list shows, scoped and masked like the page."""

from __future__ import annotations

import io

import xlsxwriter

from fangpin.accounts.masking import show_id_number, show_phone
from fangpin.areas.models import Division
from fangpin.profiles.services import profile_for_county

from .models import Member, MonitoringStatus

ROSTER_COLUMNS = [
    "序号", "乡镇（街道）", "行政村", "村民小组", "户编号", "户类别", "监测状态", "姓名", "与户主关系", "性别",
    "身份证号", "出生日期", "民族", "文化程度", "在校生状况", "健康状况", "劳动技能", "务工状况", "联系电话",
]

CHUNK = 2000


def roster_workbook(user, households_qs) -> bytes:
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    ws = wb.add_worksheet("农户花名册")
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
    text = wb.add_format({"num_format": "@"})
    ws.write(0, 0, "农户花名册", title)
    for col, name in enumerate(ROSTER_COLUMNS):
        ws.write_string(1, col, name, head)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 3, 14)
    ws.set_column(10, 10, 21)
    names: dict[str, str] = {}
    categories: dict[str, dict] = {}
    row = 2
    seq = 0
    ids = list(households_qs.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        members = (
            Member.objects.filter(household_id__in=chunk, active=True)
            .select_related("household")
            .order_by("household__division_code", "household__number", "relation_order", "birth_date")
        )
        members = list(members)
        needed = set()
        for m in members:
            code = m.household.division_code
            needed.update({code[:9], code[:12], code[:15]})
        missing = needed - names.keys()
        if missing:
            names.update(Division.objects.filter(code__in=missing).values_list("code", "name"))
        for m in members:
            h = m.household
            county = h.division_code[:6]
            if county not in categories:
                categories[county] = profile_for_county(county).category_names()
            if m.relation == "户主":
                seq += 1
            values = [
                seq, names.get(h.division_code[:9], ""), names.get(h.division_code[:12], ""),
                names.get(h.division_code[:15], "") if len(h.division_code) >= 15 else "", h.number,
                categories[county].get(h.category, h.category), MonitoringStatus(h.monitoring_status).label,
                m.name, m.relation, m.sex, show_id_number(user, m.id_number),
                m.birth_date.strftime("%Y%m%d") if m.birth_date else "", m.ethnicity, m.education,
                m.student_status, m.health, m.labour, m.employment, show_phone(user, m.phone),
            ]
            for col, value in enumerate(values):
                if isinstance(value, int):
                    ws.write_number(row, col, value)
                else:
                    ws.write_string(row, col, value or "", text)
            row += 1
    wb.close()
    return buffer.getvalue()
