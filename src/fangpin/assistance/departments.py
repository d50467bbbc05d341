"""Assistance: the department view (R-AID-08) and the departments' answers (R-AID-05, 003 第三步).

A county department (行业部门) sees the measures of its own department in its county and the
households they are for (ID numbers masked as its role requires), answers the applications the
townships sent it (approved with amount and start month, or refused with a reason) and exports its
list month by month (the monthly push of 003 第三步). The county office sees every department of
its county, read-only.

``answer_application`` is the one door for an answer: one transaction that locks the measure, checks
the actor (a department officer of the measure's department, in its area), the state (waiting for an
answer) and every field (Chinese messages naming the field), writes, and records one audit event. A
refused answer changes nothing.

The answer clock (``answer_due_on``, ``measure_department_working_days`` working days from
``applied_on``) is stored when the application is sent; it follows calendar corrections through the
recomputer registered here.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from fangpin import validation
from fangpin.accounts.masking import mask_text, show_id_number
from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import require_area, require_role, scope_filter
from fangpin.audit.services import jsonable, record
from fangpin.policy.profiles import ProfileError
from fangpin.profiles.services import profile_for_county, working_calendar
from fangpin.profiles.services import today as local_today
from fangpin.validation import Errors, fail

from .models import Measure, MeasureStatus

ANSWER_ROLES = (Role.DEPARTMENT_OFFICER,)
VIEW_ROLES = (Role.DEPARTMENT_OFFICER, Role.COUNTY_OFFICE, Role.SUPERVISOR)
WHY_PERSON = "部门答复必须由具体人员办理并留痕"
DAYS_KEY = "deadlines.measure_department_working_days"

ACTION_NAMES = {
    "measure.department_approve": "部门同意申请",
    "measure.department_refuse": "部门不予批准",
    "measure.answer_deadline_recompute": "日历调整后重算部门答复期限",
}

# Status filters of the list: the stored statuses, plus "awaiting" (= applied) and "overdue".
AWAITING = "awaiting"
OVERDUE = "overdue"
STATUS_FILTERS = {AWAITING: "待答复", OVERDUE: "已逾期未答复", **dict(MeasureStatus.choices)}

MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-年/.]\s*(\d{1,2})\s*月?\s*(?:[-/.]\s*\d{1,2}\s*日?)?\s*$")
REASON_MAX = 300
MAX_PER_PAGE = 100


# --- who sees what ----------------------------------------------------------------------------------


def _county_code(user) -> str | None:
    code = getattr(user, "scope_code", None)
    if code is None or not getattr(user, "is_authenticated", False):
        return None
    return code


def parse_month(value, field: str = "month", label: str = "月份", errors=None) -> dt.date | None:
    """First day of a month given as 2026-05, 2026年5月, 2026-05-01 or a date; None when empty.
    A bad value puts a Chinese message naming the field into ``errors`` (or raises at once)."""
    if validation.is_empty(value):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.replace(day=1)
    match = MONTH_RE.match(validation.scrub(str(value)))
    message = f"{label}格式不正确（应为 年-月，如 2026-05），收到“{validation.shown(value)}”"
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return dt.date(year, month, 1)
        message = f"{label}应为2000年至2100年间的有效月份，收到“{validation.shown(value)}”"
    if errors is None:
        fail(field, message)
    errors[field] = message
    return None


def _month_end(first: dt.date) -> dt.date:
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def measures_for_department(user, *, status=None, month=None, q=None, department: str | None = None,
                            today: dt.date | None = None):
    """The measures that concern the user's department, in the user's county (R-AID-08).

    A department officer sees its own department only (an officer without a department sees nothing);
    the county office and the supervisors see every department of their area (``department`` narrows).
    ``status``: a stored status, ``awaiting`` (waiting for an answer) or ``overdue`` (waiting past its
    answer date). ``month`` (2026-05 or a date): applied, answered or starting in that month.
    ``q``: the household number or its head's name (prefix). Other roles see nothing.
    """
    if _county_code(user) is None or user.role not in VIEW_ROLES:
        return Measure.objects.none()
    qs = scope_filter(Measure.objects.all(), user, "household__division_code").exclude(department="")
    if user.role == Role.DEPARTMENT_OFFICER:
        if not user.department:
            return Measure.objects.none()
        qs = qs.filter(department=user.department)
    elif department:
        qs = qs.filter(department=validation.scrub(str(department)).strip())
    status = validation.scrub(str(status or "")).strip()
    if status == AWAITING:
        qs = qs.filter(status=MeasureStatus.APPLIED)
    elif status == OVERDUE:
        qs = qs.filter(status=MeasureStatus.APPLIED, answer_due_on__lt=today or local_today())
    elif status:
        if status not in MeasureStatus.values:
            fail("status", f"状态只能是{'、'.join(STATUS_FILTERS.values())}之一")
        qs = qs.filter(status=status)
    first = parse_month(month)
    if first is not None:
        last = _month_end(first)
        qs = qs.filter(Q(applied_on__range=(first, last)) | Q(answered_on__range=(first, last)) | Q(start_month=first))
    q = validation.scrub(str(q or "")).strip()[:40]
    if q:
        from fangpin.registry.models import Member

        heads = Member.objects.filter(relation="户主", active=True, name__startswith=q).values("household_id")
        qs = qs.filter(Q(household__number__startswith=q) | Q(household_id__in=heads))
    return qs


def ordered(qs):
    """Waiting for an answer first (earliest answer date first), then the rest, newest first."""
    from django.db.models import Case, IntegerField, Value, When

    waiting = Case(When(status=MeasureStatus.APPLIED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return qs.order_by(waiting.asc(), "answer_due_on", "-pk")


ROW_FIELDS = ("pk", "household_id", "category", "content", "policy_id", "member_id", "department", "status",
              "applied_on", "answer_due_on", "answered_on", "refusal_reason", "amount", "start_month",
              "household__number", "household__division_code", "policy__name", "member__name")


def page_of(qs, page: int, per_page: int = 30) -> tuple[list[Measure], int, bool]:
    """One page of ``qs`` in the list's order: (measures, page, has_next). The order is taken over the
    ids only (a narrow sort), then the page's rows are read by id — the list stays fast however many
    measures a department has. No total count: a department's list is paged forward and back."""
    try:
        page = max(1, int(page or 1))
    except (TypeError, ValueError):
        page = 1
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    start = (page - 1) * per_page
    ids = list(ordered(qs).values_list("pk", flat=True)[start:start + per_page + 1])
    has_next = len(ids) > per_page
    ids = ids[:per_page]
    found = {m.pk: m for m in Measure.objects.filter(pk__in=ids).select_related("household", "policy", "member")
             .only(*ROW_FIELDS)}
    return [found[pk] for pk in ids if pk in found], page, has_next


def counts(user, today: dt.date | None = None) -> dict:
    """Waiting for an answer and overdue, in one query over the (department, status) index."""
    from django.db.models import Count

    day = today or local_today()
    return measures_for_department(user, status=AWAITING).aggregate(
        awaiting=Count("pk"), overdue=Count("pk", filter=Q(answer_due_on__lt=day)))


def get_measure_for(user, pk) -> Measure:
    """One measure the user's department view shows, by id; anything else (another department,
    another county, a missing or malformed id) is a 404 with the same message."""
    from django.http import Http404

    try:
        return measures_for_department(user).select_related("household", "policy", "member").get(pk=pk)
    except (Measure.DoesNotExist, ValueError, TypeError, validation.ValidationError):
        raise Http404("帮扶措施不存在或不在您的管辖范围内")


def rows(user, measures) -> list[dict]:
    """List rows of measures (a page): household, head (ID number masked by role), size, measure,
    status and clocks. Three queries whatever the page size."""
    from fangpin.registry.models import Member
    from fangpin.registry.queries import division_names

    measures = list(measures)
    household_ids = {m.household_id for m in measures}
    heads, sizes = {}, {}
    for hid, relation, name, id_number in (Member.objects.filter(household_id__in=household_ids, active=True)
                                           .values_list("household_id", "relation", "name", "id_number")):
        sizes[hid] = sizes.get(hid, 0) + 1
        if relation == "户主":
            heads[hid] = (name, id_number)
    codes = set()
    for m in measures:
        codes.update({m.household.division_code[:9], m.household.division_code[:12]})
    names = division_names(codes)
    today = local_today()
    out = []
    for m in measures:
        h = m.household
        head_name, head_id = heads.get(h.pk, ("（无户主）", ""))
        out.append({
            "id": m.pk, "measure": m, "household_id": h.pk, "household_number": h.number,
            "township": names.get(h.division_code[:9], ""), "village": names.get(h.division_code[:12], ""),
            "head_name": head_name, "head_id_number": show_id_number(user, head_id) if head_id else "",
            "size": sizes.get(h.pk, 0), "category": m.category,
            "policy": m.policy.name if m.policy_id else "", "content": mask_text(user, m.content),
            "member_name": m.member.name if m.member_id else "",
            "department": m.department, "status": m.status, "status_label": m.get_status_display(),
            "applied_on": m.applied_on, "answer_due_on": m.answer_due_on, "answered_on": m.answered_on,
            "overdue": m.status == MeasureStatus.APPLIED and bool(m.answer_due_on) and m.answer_due_on < today,
            "amount": m.amount, "start_month": m.start_month, "refusal_reason": mask_text(user, m.refusal_reason),
        })
    return out


# --- the monitored households that concern a department ---------------------------------------------


def department_risks(county_code: str, department: str) -> list[str]:
    """Risk types the department's policies in the county's published catalogue address (their
    structured ``risk_types`` conditions), in the order first met."""
    from .models import Policy
    from .plans import current_catalogue

    catalogue = current_catalogue(county_code[:6])
    if catalogue is None or not department:
        return []
    risks: list[str] = []
    for conditions in Policy.objects.filter(policy_list=catalogue, department=department).values_list(
            "conditions", flat=True):
        for risk in (conditions or {}).get("risk_types") or []:
            if risk not in risks:
                risks.append(risk)
    return risks


def households_for_department(user, *, department: str | None = None, q=None) -> list[dict]:
    """The monitored households (监测中) of the user's county that concern the department (R-AID-08,
    003 第三步 monthly push): those with a measure of the department, and those with a risk type the
    department's catalogue policies address. Each with why it is listed. A department officer sees its
    own department; the county office and supervisors name one (``department``). Monitored households
    are a small part of a county, read with their risks in one query; heads and sizes in one more."""
    from fangpin.registry.models import Household, Member, MonitoringStatus

    if _county_code(user) is None or user.role not in VIEW_ROLES:
        return []
    dept = user.department if user.role == Role.DEPARTMENT_OFFICER else validation.scrub(str(department or "")).strip()
    if not dept:
        return []
    county = (user.scope_code or "")[:6]
    risks = set(department_risks(county, dept)) if len(county) == 6 else set()
    with_measures = set(measures_for_department(user, department=dept).exclude(
        status=MeasureStatus.CANCELLED).values_list("household_id", flat=True))
    monitored = scope_filter(Household.objects.filter(monitoring_status=MonitoringStatus.MONITORED), user)
    q = validation.scrub(str(q or "")).strip()[:40]
    if q:
        heads = Member.objects.filter(relation="户主", active=True, name__startswith=q).values("household_id")
        monitored = monitored.filter(Q(number__startswith=q) | Q(pk__in=heads))
    found = []
    for pk, number, division_code, category, risk_types in monitored.order_by("division_code", "number").values_list(
            "pk", "number", "division_code", "category", "risk_types"):
        hits = [r for r in (risk_types or []) if r in risks]
        if hits or pk in with_measures:
            why = []
            if pk in with_measures:
                why.append(f"有{dept}负责的帮扶措施")
            if hits:
                why.append(f"风险“{'、'.join(hits)}”属{dept}政策范围")
            found.append({"id": pk, "number": number, "division_code": division_code, "category": category,
                          "risks": "、".join(risk_types or []), "why": "；".join(why)})
    return found


def household_rows(user, items: list[dict]) -> list[dict]:
    """Heads (ID numbers masked by role), sizes, place and category names for a page of households."""
    from fangpin.registry.models import Member
    from fangpin.registry.queries import division_names

    ids = [i["id"] for i in items]
    heads, sizes = {}, {}
    for hid, relation, name, id_number in (Member.objects.filter(household_id__in=ids, active=True)
                                           .values_list("household_id", "relation", "name", "id_number")):
        sizes[hid] = sizes.get(hid, 0) + 1
        if relation == "户主":
            heads[hid] = (name, id_number)
    names = division_names({c for i in items for c in (i["division_code"][:9], i["division_code"][:12])})
    category_names: dict[str, dict] = {}
    out = []
    for i in items:
        county = i["division_code"][:6]
        if county not in category_names:
            try:
                category_names[county] = profile_for_county(county).category_names()
            except ProfileError:
                category_names[county] = {}
        head_name, head_id = heads.get(i["id"], ("（无户主）", ""))
        out.append({**i, "township": names.get(i["division_code"][:9], ""), "village": names.get(i["division_code"][:12], ""),
                    "head_name": head_name, "head_id_number": show_id_number(user, head_id) if head_id else "",
                    "size": sizes.get(i["id"], 0), "category_name": category_names[county].get(i["category"], i["category"])})
    return out


# --- the answer -------------------------------------------------------------------------------------


def _lock(measure) -> Measure:
    pk = measure.pk if isinstance(measure, Measure) else measure
    try:
        return Measure.objects.select_for_update(of=("self",)).select_related("household").get(pk=pk)
    except (Measure.DoesNotExist, ValueError, TypeError):
        fail("measure", "帮扶措施不存在")


def _state(m: Measure) -> dict:
    return {"status": m.status, "answered_on": m.answered_on, "answered_by": m.answered_by_id,
            "refusal_reason": m.refusal_reason, "amount": m.amount, "start_month": m.start_month, "year": m.year}


def answer_application(actor, measure, *, approved, reason="", amount=None, start_month=None, on=None) -> Measure:
    """The department's answer to an application (R-AID-05): approved (with the amount, if any, and the
    start month) or refused (with the reason). Refused when the actor is not an officer of the
    measure's department, when the measure is not waiting for an answer (answered twice, never sent)
    or when a field is bad; a refused answer changes nothing."""
    require_role(actor, ANSWER_ROLES, "答复部门申请", WHY_PERSON)
    with transaction.atomic():
        m = _lock(measure)
        require_area(actor, m.household.division_code, "该帮扶措施不在您的管辖范围内，不能答复")
        if not actor.department or m.department != actor.department:
            raise PermissionDenied(f"该申请应由{m.department or '其他部门'}答复，"
                                   f"您所在部门（{actor.department or '未设置部门'}）不能答复")
        if m.status != MeasureStatus.APPLIED:
            fail("__all__", f"该措施当前状态为“{m.get_status_display()}”，不在等待部门答复，不能答复"
                 "（可能已答复过，请刷新页面查看）")
        errors = Errors()
        decision = approved if isinstance(approved, bool) else validation.boolean(
            approved, "approved", "是否同意", errors, required=True)
        today = local_today()
        answered_on = validation.date(on, "on", "答复日期", errors, required=False, not_after=today,
                                      not_before=m.applied_on, before_label="报送部门日期 ") or today
        reason = validation.text(reason, "reason", "不予批准理由", errors, required=decision is False,
                                 max_length=REASON_MAX, missing="不予批准时必须填写理由")
        money, month = None, None
        if decision is True:
            if not validation.is_empty(amount):
                money = validation.money(amount, "amount", "金额", errors)
            month = parse_month(start_month, "start_month", "起始月份", errors)
            if month is None and "start_month" not in errors:
                errors["start_month"] = "同意时必须填写起始月份（如 2026-05）"
            if month is not None and m.applied_on and month < m.applied_on.replace(day=1, year=m.applied_on.year - 1):
                errors["start_month"] = "起始月份不能早于报送部门日期前一年"
            if month is not None and month > answered_on.replace(day=1, year=answered_on.year + 1):
                errors["start_month"] = "起始月份不能晚于答复日期后一年"
        elif decision is False:
            if not validation.is_empty(amount):
                errors["amount"] = "不予批准时不填写金额"
            if not validation.is_empty(start_month):
                errors["start_month"] = "不予批准时不填写起始月份"
        errors.raise_if_any()
        before = _state(m)
        m.answered_on, m.answered_by = answered_on, actor
        if decision:
            m.status, m.refusal_reason, m.amount, m.start_month = MeasureStatus.APPROVED, "", money, month
            if m.year is None:
                m.year = month.year
        else:
            m.status, m.refusal_reason, m.amount, m.start_month = MeasureStatus.REFUSED, reason, None, None
        m.save(update_fields=["status", "answered_on", "answered_by", "refusal_reason", "amount", "start_month",
                              "year", "updated_at"])
        action = "measure.department_approve" if decision else "measure.department_refuse"
        record(actor, action, m, before=jsonable(before), after=jsonable(_state(m)), household=m.household)
    return m


def answer_message(m: Measure) -> str:
    if m.status == MeasureStatus.APPROVED:
        amount = f"，金额{m.amount}元" if m.amount is not None else ""
        return f"已答复：同意{amount}，自{m.start_month:%Y年%m月}起"
    return f"已答复：不予批准（理由：{m.refusal_reason}）"


# --- monthly export -----------------------------------------------------------------------------------

EXPORT_COLUMNS = ["序号", "乡镇", "村", "户编号", "户主姓名", "户主证件号码", "家庭人口", "户类别", "监测状态", "返贫/致贫风险",
                  "部门", "帮扶类别", "帮扶政策", "受益成员", "状态", "报送部门日期", "答复期限", "答复日期", "金额（元）",
                  "起始月份", "不予批准理由"]
EXPORT_BATCH = 2000


def export_month(user, year, month) -> bytes:
    """The department's list of one month as an XLSX workbook (R-AID-08, 003 第三步 monthly push): every
    measure of the department applied, answered or starting in that month, plus every application still
    waiting for an answer at the month's end; ID numbers masked by the user's role. Streamed in batches
    to a constant-memory workbook."""
    import xlsxwriter

    from fangpin.registry.models import Member, MonitoringStatus
    from fangpin.registry.queries import division_names

    if not getattr(user, "is_authenticated", False) or user.role not in VIEW_ROLES:
        raise PermissionDenied("只有行业部门、县乡村振兴局和督导可以导出部门清单")
    if not user.caps.export:
        raise PermissionDenied("您的角色不能导出数据")
    errors = Errors()
    year = validation.integer(year, "year", "年度", errors, minimum=2000, maximum=2100)
    month_no = validation.integer(month, "month", "月份", errors, minimum=1, maximum=12,
                                  message="月份必须填写1到12的月份")
    errors.raise_if_any()
    first = dt.date(year, month_no, 1)
    last = _month_end(first)
    base = measures_for_department(user)
    qs = base.filter(Q(applied_on__range=(first, last)) | Q(answered_on__range=(first, last)) | Q(start_month=first)
                     | Q(status=MeasureStatus.APPLIED, applied_on__lte=last))
    # The order is taken over the ids only (a narrow sort); the rows are then read by id in batches.
    ids = list(qs.order_by("household__division_code", "household__number", "pk").values_list("pk", flat=True))
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    ws = wb.add_worksheet(f"{year}年{month_no}月")
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    head_fmt = wb.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF7"})
    text_fmt = wb.add_format({"num_format": "@"})
    who = user.department if user.role == Role.DEPARTMENT_OFFICER else "各部门"
    ws.write_string(0, 0, f"{who}{year}年{month_no}月防返贫监测帮扶措施清单", title_fmt)
    ws.write_string(1, 0, f"导出时间：{timezone.localtime():%Y-%m-%d %H:%M}　导出人：{user}")
    for col, name in enumerate(EXPORT_COLUMNS):
        ws.write_string(2, col, name, head_fmt)
    ws.set_column(0, len(EXPORT_COLUMNS) - 1, 12)
    row_no, seq = 3, 0
    status_names = dict(MonitoringStatus.choices)
    category_names: dict[str, dict] = {}
    for start in range(0, len(ids), EXPORT_BATCH):
        batch = ids[start:start + EXPORT_BATCH]
        found = {m.pk: m for m in Measure.objects.filter(pk__in=batch).select_related("household", "policy", "member")
                 .only(*ROW_FIELDS, "household__category", "household__monitoring_status", "household__risk_types")}
        chunk = [found[pk] for pk in batch if pk in found]
        hids = {m.household_id for m in chunk}
        heads, sizes = {}, {}
        for hid, relation, name, id_number in (Member.objects.filter(household_id__in=hids, active=True)
                                               .values_list("household_id", "relation", "name", "id_number")):
            sizes[hid] = sizes.get(hid, 0) + 1
            if relation == "户主":
                heads[hid] = (name, id_number)
        names = division_names({c for m in chunk for c in (m.household.division_code[:9], m.household.division_code[:12])})
        for m in chunk:
            h = m.household
            county = h.division_code[:6]
            if county not in category_names:
                try:
                    category_names[county] = profile_for_county(county).category_names()
                except ProfileError:
                    category_names[county] = {}
            head_name, head_id = heads.get(h.pk, ("", ""))
            seq += 1
            values = [
                seq, names.get(h.division_code[:9], ""), names.get(h.division_code[:12], ""), h.number, head_name,
                show_id_number(user, head_id) if head_id else "", sizes.get(h.pk, 0),
                category_names[county].get(h.category, h.category), status_names.get(h.monitoring_status, ""),
                "、".join(h.risk_types or []), m.department, m.category,
                m.policy.name if m.policy_id else mask_text(user, m.content),
                m.member.name if m.member_id else "", m.get_status_display(),
                _d(m.applied_on), _d(m.answer_due_on), _d(m.answered_on),
                m.amount, f"{m.start_month:%Y-%m}" if m.start_month else "", mask_text(user, m.refusal_reason),
            ]
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, int | Decimal):
                    ws.write_number(row_no, col, float(value))
                else:
                    ws.write_string(row_no, col, str(value), text_fmt)
            row_no += 1
    if seq == 0:
        ws.write_string(row_no, 0, "本月没有需要列出的帮扶措施")
    if user.role == Role.DEPARTMENT_OFFICER:
        _households_sheet(wb, user, title_fmt, head_fmt, text_fmt, f"{year}年{month_no}月")
    wb.close()
    return buffer.getvalue()


HOUSEHOLD_COLUMNS = ["序号", "乡镇", "村", "户编号", "户主姓名", "户主证件号码", "家庭人口", "户类别", "返贫/致贫风险", "列入原因"]


def _households_sheet(wb, user, title_fmt, head_fmt, text_fmt, when: str) -> None:
    """Second sheet of the monthly list: the monitored households that concern the department now."""
    ws = wb.add_worksheet("相关监测对象")
    ws.write_string(0, 0, f"{user.department}相关防返贫监测对象（风险未消除，截至{when}导出时）", title_fmt)
    for col, name in enumerate(HOUSEHOLD_COLUMNS):
        ws.write_string(1, col, name, head_fmt)
    ws.set_column(0, len(HOUSEHOLD_COLUMNS) - 1, 12)
    found = households_for_department(user)
    row_no = 2
    for start in range(0, len(found), EXPORT_BATCH):
        for i, r in enumerate(household_rows(user, found[start:start + EXPORT_BATCH]), start + 1):
            values = [i, r["township"], r["village"], r["number"], r["head_name"], r["head_id_number"], r["size"],
                      r["category_name"], r["risks"], r["why"]]
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, int):
                    ws.write_number(row_no, col, value)
                else:
                    ws.write_string(row_no, col, str(value), text_fmt)
            row_no += 1
    if not found:
        ws.write_string(row_no, 0, "目前没有与本部门相关的监测对象")


def _d(day) -> str:
    return f"{day:%Y-%m-%d}" if day else ""


# --- pending actions and deadlines -------------------------------------------------------------------


def pending_for(user, today: dt.date | None = None, limit: int = 50) -> list[dict]:
    """A department officer's applications waiting for an answer, overdue first (home page)."""
    if not getattr(user, "is_authenticated", False) or user.role != Role.DEPARTMENT_OFFICER or not user.department:
        return []
    today = today or local_today()
    qs = (measures_for_department(user, status=AWAITING).select_related("household")
          .only("pk", "category", "answer_due_on", "household__number", "household__division_code")
          .order_by("answer_due_on", "pk")[:limit])
    items = []
    for m in qs:
        due = m.answer_due_on
        items.append({"title": f"户{m.household.number} {m.category}：待部门答复",
                      "url": reverse("assistance:department_answer", args=[m.pk]), "due": due,
                      "overdue": bool(due and due < today)})
    return items


RECOMPUTE_BATCH = 2000


def answer_due(code: str, applied_on: dt.date):
    """The answer date of an application sent on ``applied_on`` in the county of ``code``."""
    days = int(profile_for_county(code[:6]).param(DAYS_KEY))
    return working_calendar().add_working_days(applied_on, days)


def recompute_deadlines(actor, change) -> int:
    """Recompute the answer dates of applications still waiting whose clock touches a calendar change
    (registered with :mod:`fangpin.profiles.deadlines`). One audit event per changed measure."""
    touched = Measure.objects.select_for_update(of=("self",)).select_related("household").filter(
        change.overlapping("applied_on", "answer_due_on"), status=MeasureStatus.APPLIED).order_by("pk")
    changed, events = [], []
    for m in touched:
        try:
            due = answer_due(m.household.division_code, m.applied_on)
        except ProfileError:
            continue
        if due.due != m.answer_due_on or list(due.warnings) != list(m.answer_due_warnings):
            before = {"answer_due_on": m.answer_due_on, "answer_due_warnings": list(m.answer_due_warnings)}
            m.answer_due_on, m.answer_due_warnings = due.due, list(due.warnings)
            changed.append(m)
            events.append((m, before, {"answer_due_on": due.due, "answer_due_warnings": list(due.warnings),
                                       "reason": change.describe()}))
    if not changed:
        return 0
    now = timezone.now()
    for m in changed:
        m.updated_at = now
    Measure.objects.bulk_update(changed, ["answer_due_on", "answer_due_warnings", "updated_at"],
                                batch_size=RECOMPUTE_BATCH)
    for m, before, after in events:
        record(actor, "measure.answer_deadline_recompute", m, before=jsonable(before), after=jsonable(after),
               household=m.household)
    return len(changed)


def register() -> None:
    """Hooks of this part: pending answers of department officers, audit labels, the answer-date recomputer."""
    from fangpin.accounts.pending import PENDING_PROVIDERS
    from fangpin.audit.services import ACTION_LABELS
    from fangpin.profiles import deadlines

    if pending_for not in PENDING_PROVIDERS:
        PENDING_PROVIDERS.append(pending_for)
    ACTION_LABELS.update(ACTION_NAMES)
    deadlines.register("assistance_department_answers", recompute_deadlines)
    # The village assistance list (R-AID-06) is this part's too: its background job kind.
    from . import village_list

    village_list.register()
