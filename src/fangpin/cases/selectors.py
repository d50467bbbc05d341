"""Scoped reads for cases and notices (R-SEC-01): every page, API call and list starts here."""

from __future__ import annotations

import datetime as dt
import hmac

from django.db.models import Q
from django.http import Http404
from django.urls import reverse

from fangpin.accounts.scoping import get_visible, scope_filter
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import CODE_LENGTH
from fangpin.policy.pii import scrub_personal_data
from fangpin.policy.procedures import LEVEL_LABELS, LEVELS
from fangpin.profiles.services import working_calendar

from .models import Case, CaseAttachment, CaseStatus, CaseStep, Notice, NoticeEntry, Objection, Phase


def cases_visible_to(user):
    return scope_filter(Case.objects.all(), user, "division_code")


def get_case_for(user, pk) -> Case:
    return get_visible(Case.objects.select_related("household", "applicant"), user, pk,
                       not_found="案件不存在或不在您的管辖范围内")


def get_objection_for(user, pk) -> Objection:
    """An objection, looked up only among those of cases in the user's area (404 otherwise)."""
    return get_visible(Objection.objects.select_related("case"), user, pk, field="case__division_code",
                       not_found="异议不存在或不在您的管辖范围内")


def get_attachment_for(user, pk) -> CaseAttachment:
    """A case's proof document, looked up only among those of cases in the user's area (404 otherwise)."""
    return get_visible(CaseAttachment.objects.select_related("case"), user, pk, field="case__division_code",
                       not_found="附件不存在或不在您的管辖范围内")


def notices_visible_to(user):
    """Notices published in the user's area, and those of the township/county above it."""
    scope = user.scope_code if user.is_authenticated else None
    if scope is None:
        return Notice.objects.none()
    if scope == "":
        return Notice.objects.all()
    ancestors = [scope[:n] for n in CODE_LENGTH.values() if n < len(scope)]
    return Notice.objects.filter(prefix_q("division_code", scope) | Q(division_code__in=ancestors))


def get_notice_for(user, pk) -> Notice:
    try:
        return notices_visible_to(user).get(pk=pk)
    except (Notice.DoesNotExist, ValueError, TypeError):
        raise Http404("公示不存在或不在您的管辖范围内")


def notice_entries_for(user, notice: Notice):
    """The households of a notice the user may see (a village sees its own rows of a township notice)."""
    qs = NoticeEntry.objects.filter(notice=notice).select_related("case__household", "case__household__group")
    return scope_filter(qs, user, "case__division_code").order_by("position")


def remaining_text(due: dt.date | None, today: dt.date, unit: str = "working_days") -> str:
    """How many (working) days are left, or how late it is — every deadline says so."""
    if due is None:
        return ""
    cal = working_calendar()
    if due == today:
        return "今天到期"
    if unit == "calendar_days":
        days = (due - today).days
        return f"剩余{days}天" if days > 0 else f"已逾期{-days}天"
    days = cal.working_days_between(today, due)
    if due > today:
        return f"剩余{days}个工作日" if days else "剩余不足1个工作日"
    return f"已逾期{-days}个工作日" if days else "已逾期"


def responsible_division(case: Case) -> tuple[str, str]:
    """The division code and level label responsible for the current step."""
    step = case.current_step_def
    if step is None:
        return case.division_code[:9], "乡镇"
    return case.division_code[: LEVELS[step.level]], LEVEL_LABELS[step.level]


def _pending_case_item(case: Case, step, today: dt.date) -> dict | None:
    url = reverse("cases:case_detail", args=[case.pk])
    who = f"{case.reference} 户{case.household.number}"
    if case.phase == Phase.DECIDED:
        title = f"{who}：待发布{step.notice_label}"
        url = reverse("cases:notice_new") + f"?step={step.key}"
    elif case.phase == Phase.IN_NOTICE:
        row = case.steps.filter(status="current").select_related("notice").first()
        notice = row.notice if row else None
        if notice is None:
            return None
        if row.objections.filter(outcome="").exists():
            title = f"{who}：{step.notice_label}异议待处理"
        elif notice.status == Notice.Status.OPEN and today > notice.ends_on:
            title = f"{who}：{step.notice_label}期满，待结束公示"
            url = reverse("cases:notice_detail", args=[notice.pk])
        else:
            return None  # in its notice period: nothing to do yet
    else:
        title = f"{who}：{step.name}"
    due = case.current_due_on
    return {"title": title, "url": url, "due": due, "overdue": bool(due and due < today),
            "remaining": remaining_text(due, today, step.deadline_unit)}


def pending_for(user, today: dt.date, limit: int = 200) -> list[dict]:
    """The user's pending actions: steps their role may do in their area, overdue first."""
    if not user.is_authenticated or user.scope_code is None:
        return []
    items = []
    qs = cases_visible_to(user).filter(status=CaseStatus.OPEN).select_related("household").order_by(
        "current_due_on", "pk")
    for case in qs[: limit * 3]:
        step = case.current_step_def
        if step is None or user.role not in step.roles:
            continue
        item = _pending_case_item(case, step, today)
        if item:
            items.append(item)
        if len(items) >= limit:
            break
    filed = cases_visible_to(user).filter(status=CaseStatus.FILED).filter(
        Q(system_entered_on__isnull=True) | Q(announced=False)).select_related("household")[:limit]
    for case in filed:
        proc = case.proc
        who = f"{case.reference} 户{case.household.number}"
        url = reverse("cases:case_detail", args=[case.pk])
        if case.system_entered_on is None and user.role in proc.entry_roles:
            due = case.system_entry_due_on
            items.append({"title": f"{who}：录入全国防返贫监测信息系统", "url": url, "due": due,
                          "overdue": bool(due and due < today), "remaining": remaining_text(due, today, proc.entry_unit)})
        if not case.announced and user.role in proc.steps[-1].roles:
            items.append({"title": f"{who}：待发布县级公告", "url": reverse("cases:notice_new") + f"?step={proc.steps[-1].key}",
                          "due": None, "overdue": False, "remaining": ""})
    return items


def overdue_cases(user, today: dt.date):
    """Open cases whose current step or overall limit is past due, in the user's area."""
    return cases_visible_to(user).filter(status=CaseStatus.OPEN).filter(
        Q(current_due_on__lt=today) | Q(overall_due_on__lt=today)).select_related("household").order_by("current_due_on")


def timeline(case: Case) -> list[CaseStep]:
    return list(case.steps.select_related("notice", "actor").prefetch_related("objections", "attachments").order_by("id"))


# Other receipts with a reference number and check code (a lead's report …) are looked up on the same
# public status page: their app registers ``(reference, check_code) -> dict | None`` here, answering
# with the keys of ``public_status`` (and optionally ``reason_label``), never with personal data.
PUBLIC_STATUS_LOOKUPS: list = []


def public_status_for(reference: str, check_code: str) -> dict | None:
    """The public status of whatever the reference names (a case, or a registered kind), or None."""
    case = find_by_reference(reference, check_code)
    if case is not None:
        return public_status(case)
    for lookup in PUBLIC_STATUS_LOOKUPS:
        found = lookup(reference, check_code)
        if found is not None:
            return found
    return None


def find_by_reference(reference: str, check_code: str) -> Case | None:
    """Public status lookup: both the reference and its check code must match (not enumerable)."""
    reference = (reference or "").replace("\x00", "").strip().upper()
    check_code = (check_code or "").replace("\x00", "").strip().upper()
    if not reference or not check_code:
        return None
    case = Case.objects.filter(reference=reference).first()
    if case is None or not hmac.compare_digest(case.check_code, check_code):
        return None
    return case


def public_status(case: Case) -> dict:
    """What an applicant may see: status, current step, dates, rejection reason — no personal data (R-SEC-05)."""
    step = case.current_step_def
    data = {"reference": case.reference, "procedure": case.procedure_name, "status": case.get_status_display(),
            "opened_on": case.opened_on, "current_step": step.name if step else "", "rejection_reason": "",
            "closed_on": case.closed_on}
    if case.status == CaseStatus.REJECTED:
        # Staff free text reaches a public page only through the shared scrubber (R-SEC-05).
        ended = case.proc.step(case.rejected_step).name if case.rejected_step else ""
        reason = scrub_personal_data(case.rejection_reason)
        data["rejection_reason"] = f"在“{ended}”环节不予纳入：{reason}" if ended else reason
    if case.phase == Phase.IN_NOTICE and step is not None:
        data["current_step"] = f"{step.name}（{step.notice_label}中）"
    return data
