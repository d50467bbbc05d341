"""Scoped reads for leads (R-SEC-01): every page, API call, count and home-page item starts here.

Lists through ``leads_visible_to`` (the scoping door's ``scope_filter``), one lead by id through
``get_lead_for`` (404 outside the user's area). Counts by channel, state, township and responsible
person are computed by the database (set-based), never by walking leads in Python.
"""

from __future__ import annotations

import datetime as dt
import hmac

from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.urls import reverse

from fangpin.accounts.scoping import get_visible, scope_filter
from fangpin.areas.models import Division
from fangpin.cases.selectors import remaining_text
from fangpin.policy.pii import REMOVED, scrub_personal_data

from .models import CLOCK_STATES, Channel, Lead, LeadAttachment, LeadReport, LeadState
from .services import (
    CLOSE_ROLES,
    COUNTY_ORIGIN_LENGTH,
    DISPATCH_ROLES,
    SERIOUS_ROLES,
    TOWNSHIP_LENGTH,
    VERIFY_ROLES,
)

NOT_FOUND = "线索不存在或不在您的管辖范围内"
# What a row of a list or a pending item shows: lists read only these columns (R-DISC-03 list targets).
ROW_FIELDS = ("id", "reference", "channel", "division_code", "household_id", "household__number", "person_name",
              "risk_types", "state", "current_due_on", "raised_on", "params", "serious_kind", "serious_reported_on",
              "serious_report_due_on", "assignee_id")
STATE_BADGE = {LeadState.AWAITING_DISPATCH: "pending", LeadState.AWAITING_VERIFICATION: "pending",
               LeadState.AWAITING_CLOSING_REPORT: "pending", LeadState.CASE_OPENED: "done",
               LeadState.CLOSED: "rejected"}


def leads_visible_to(user):
    return scope_filter(Lead.objects.all(), user, "division_code")


def get_lead_for(user, pk) -> Lead:
    return get_visible(Lead.objects.select_related("household", "case", "assignee", "reporter"), user, pk,
                       not_found=NOT_FOUND)


def get_attachment_for(user, pk) -> LeadAttachment:
    """A lead's file, looked up only among those of leads in the user's area (404 otherwise)."""
    return get_visible(LeadAttachment.objects.select_related("lead"), user, pk, field="lead__division_code",
                       not_found="附件不存在或不在您的管辖范围内")


# --- overdue ------------------------------------------------------------------------------------------


def overdue_q(today: dt.date) -> Q:
    """A running clock past its date: dispatch, verification or closing report, or a serious-risk report."""
    return (Q(state__in=CLOCK_STATES, current_due_on__lt=today)
            | Q(serious_kind__gt="", serious_reported_on__isnull=True, serious_report_due_on__lt=today))


def overdue_leads(user, today: dt.date):
    return leads_visible_to(user).filter(overdue_q(today))


def responsible_code(lead: Lead) -> str:
    """The division answering for the lead's current clock: the county to dispatch, else the township."""
    if lead.state == LeadState.AWAITING_DISPATCH:
        return lead.division_code[:COUNTY_ORIGIN_LENGTH]
    return lead.division_code[:TOWNSHIP_LENGTH]


def overdue_by_responsible(user, today: dt.date) -> list[dict]:
    """Overdue leads counted per responsible division and person (R-DISC-03), by the database."""
    qs = overdue_leads(user, today)
    dispatch = Q(state=LeadState.AWAITING_DISPATCH, current_due_on__lt=today)
    rows = list(
        qs.annotate(unit=Substr("division_code", 1, TOWNSHIP_LENGTH), county=Substr("division_code", 1,
                                                                                  COUNTY_ORIGIN_LENGTH))
        .values("unit", "county", "assignee", "assignee__display_name", "assignee__username")
        .annotate(total=Count("id"), dispatch=Count("id", filter=dispatch),
                  verify=Count("id", filter=Q(state=LeadState.AWAITING_VERIFICATION, current_due_on__lt=today)),
                  report=Count("id", filter=Q(state=LeadState.AWAITING_CLOSING_REPORT, current_due_on__lt=today)),
                  serious=Count("id", filter=Q(serious_kind__gt="", serious_reported_on__isnull=True,
                                                serious_report_due_on__lt=today)))
        .order_by("unit", "assignee")
    )
    codes = {r["unit"] for r in rows} | {r["county"] for r in rows}
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    county_rows: dict[str, dict] = {}
    out = []
    for r in rows:
        person = r["assignee__display_name"] or r["assignee__username"] or "未指定责任人"
        if r["dispatch"]:  # a lead not yet passed on is the county office's
            row = county_rows.setdefault(r["county"], {
                "division": names.get(r["county"], r["county"]), "code": r["county"], "person": "县乡村振兴局",
                "total": 0, "dispatch": 0, "verify": 0, "report": 0, "serious": 0})
            row["total"] += r["dispatch"]
            row["dispatch"] += r["dispatch"]
        rest = r["total"] - r["dispatch"]
        if rest:
            out.append({"division": names.get(r["unit"], r["unit"]), "code": r["unit"], "person": person,
                        "assignee": r["assignee"], "total": rest, "dispatch": 0, "verify": r["verify"],
                        "report": r["report"], "serious": r["serious"]})
    return [*county_rows.values(), *out]


# --- flows (R-DISC-01 … 03: county and township see leads by channel and overdue verification) ----------


def flows(user, today: dt.date, since: dt.date | None = None) -> dict:
    """Counts by channel × state and by township, set-based."""
    qs = leads_visible_to(user)
    if since is not None:
        qs = qs.filter(raised_on__gte=since)
    overdue_verify = Q(state=LeadState.AWAITING_VERIFICATION, current_due_on__lt=today)
    cells = {(r["channel"], r["state"]): r["n"] for r in qs.values("channel", "state").annotate(n=Count("id"))}
    states = list(LeadState.choices)
    by_channel = []
    for code, label in Channel.choices:
        counts = [cells.get((code, s), 0) for s, _ in states]
        by_channel.append({"code": code, "label": label, "counts": counts, "total": sum(counts)})
    totals = [sum(row["counts"][i] for row in by_channel) for i in range(len(states))]
    reports = dict(
        scope_filter(LeadReport.objects.all(), user, "lead__division_code")
        .filter(**({"reported_on__gte": since} if since else {}))
        .values("channel").annotate(n=Count("id")).values_list("channel", "n"))
    for row in by_channel:
        row["reports"] = reports.get(row["code"], 0)
    townships = list(
        qs.annotate(unit=Substr("division_code", 1, TOWNSHIP_LENGTH)).values("unit")
        .annotate(total=Count("id"), open=Count("id", filter=Q(state__in=CLOCK_STATES)),
                  overdue_verify=Count("id", filter=overdue_verify),
                  overdue=Count("id", filter=overdue_q(today)),
                  cases=Count("id", filter=Q(state=LeadState.CASE_OPENED)),
                  closed=Count("id", filter=Q(state=LeadState.CLOSED)))
        .order_by("unit"))
    names = dict(Division.objects.filter(code__in=[t["unit"] for t in townships]).values_list("code", "name"))
    for t in townships:
        t["name"] = names.get(t["unit"], t["unit"])
    return {"states": states, "by_channel": by_channel, "totals": totals, "total": sum(totals),
            "townships": townships, "overdue_verify": sum(t["overdue_verify"] for t in townships),
            "overdue": sum(t["overdue"] for t in townships)}


# --- pending actions on the home page ----------------------------------------------------------------


def _item(lead: Lead, title: str, due, today: dt.date, unit: str) -> dict:
    return {"title": f"{lead.reference} {title}", "url": reverse("discovery:lead_detail", args=[lead.pk]), "due": due,
            "overdue": bool(due and due < today), "remaining": remaining_text(due, today, unit)}


def pending_for(user, today: dt.date, limit: int = 100) -> list[dict]:
    """The user's lead work: dispatch, verification, closing report, serious-risk report — overdue first."""
    if not user.is_authenticated or user.scope_code is None:
        return []
    role = user.role
    wanted = []
    if role in DISPATCH_ROLES:
        wanted.append(LeadState.AWAITING_DISPATCH)
    if role in VERIFY_ROLES:
        wanted.append(LeadState.AWAITING_VERIFICATION)
    if role in CLOSE_ROLES:
        wanted.append(LeadState.AWAITING_CLOSING_REPORT)
    items = []
    labels = {LeadState.AWAITING_DISPATCH: "待转交乡镇", LeadState.AWAITING_VERIFICATION: "待两人同行入户核实",
              LeadState.AWAITING_CLOSING_REPORT: "待报县销号"}
    if wanted:
        qs = (leads_visible_to(user).filter(state__in=wanted).select_related("household").only(*ROW_FIELDS)
              .order_by("current_due_on", "pk")[:limit])
        for lead in qs:
            who = f"户{lead.household.number}" if lead.household_id else lead.person_name
            unit = lead.params.get("leads.day_unit", "calendar_days")
            items.append(_item(lead, f"{who}：{labels[lead.state]}", lead.current_due_on, today, unit))
    if role in SERIOUS_ROLES:
        qs = (leads_visible_to(user).filter(serious_kind__gt="", serious_reported_on__isnull=True).only(*ROW_FIELDS)
              .order_by("serious_report_due_on", "pk")[:limit])
        for lead in qs:
            items.append(_item(lead, f"{lead.get_serious_kind_display()}：调查情况待告知县级", lead.serious_report_due_on,
                               today, "working_days"))
    return items


# --- public status (reference + check code, no personal data) ------------------------------------------


def find_report(reference: str, check_code: str) -> LeadReport | None:
    """Public status lookup: both the reference and its check code must match (not enumerable)."""
    reference = (reference or "").replace("\x00", "").strip().upper()
    check_code = (check_code or "").replace("\x00", "").strip().upper()
    if not reference.startswith("XS-") or not check_code:
        return None
    report = LeadReport.objects.filter(reference=reference).select_related("lead", "lead__case").first()
    if report is None or not hmac.compare_digest(report.check_code, check_code):
        return None
    return report


def _without_names(lead: Lead, text: str) -> str:
    """Staff text for a public page also loses the names of the people concerned (the household's members
    and the person reported), besides the numbers the shared scrubber removes."""
    names = {lead.person_name, lead.reporter_name}
    if lead.household_id:
        names |= set(lead.household.members.values_list("name", flat=True))
    for name in sorted((n for n in names if n and len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, REMOVED)
    return text


def public_status(reference: str, check_code: str) -> dict | None:
    """What a person who reported may see on the public status page: the state of the lead their
    report went into, dates, a closing reason scrubbed of personal data — nothing else (R-SEC-05)."""
    report = find_report(reference, check_code)
    if report is None:
        return None
    lead = report.lead
    step = {LeadState.AWAITING_DISPATCH: "县级转交乡镇", LeadState.AWAITING_VERIFICATION: "乡镇（村）入户核实",
            LeadState.AWAITING_CLOSING_REPORT: "核实完成，报县销号"}.get(lead.state, "")
    data = {"reference": report.reference, "procedure": "返贫致贫风险线索核实", "status": lead.get_state_display(),
            "opened_on": report.reported_on, "current_step": step, "rejection_reason": "", "closed_on": None,
            "reason_label": "销号理由"}
    if report.merged:
        data["current_step"] = ("已与同一农户的其他反映合并核实" + (f"；{step}" if step else ""))
    if lead.state == LeadState.CASE_OPENED and lead.case_id:
        data["current_step"] = f"已转入识别程序（受理编号 {lead.case.reference}），请凭识别受理回执查询后续进度"
        data["closed_on"] = lead.verified_on
    if lead.state in (LeadState.CLOSED, LeadState.AWAITING_CLOSING_REPORT):
        data["rejection_reason"] = "经入户核实不符合识别条件：" + _without_names(lead, scrub_personal_data(lead.close_reason))
        data["closed_on"] = lead.closed_on
    return data
