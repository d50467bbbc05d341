"""Pages for leads: list with filters, raising a lead, the lead's timeline, one phone-sized form per
action, overdue leads per responsible division and person, and lead flows by channel. Every write
calls ``fangpin.discovery.services``; every read goes through ``fangpin.discovery.selectors``."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from fangpin.accounts.masking import mask_text, show_id_number, show_phone
from fangpin.accounts.models import User
from fangpin.accounts.scoping import divisions_visible_to, roles_text, scope_filter
from fangpin.areas.models import Division, Level
from fangpin.cases.selectors import remaining_text
from fangpin.profiles.services import today
from fangpin.registry.panels import badges_for
from fangpin.registry.queries import heads_for
from fangpin.registry.selectors import get_household_for
from fangpin.web import apply_errors, web_source

from . import forms, services
from .models import Channel, LeadState
from .selectors import (
    ROW_FIELDS,
    STATE_BADGE,
    flows,
    get_attachment_for,
    get_lead_for,
    leads_visible_to,
    overdue_by_responsible,
    overdue_leads,
    overdue_q,
    pending_for,
)


def _refuse_role(user, roles, what: str):
    if user.role not in roles:
        raise PermissionDenied(f"“{what}”只能由{roles_text(roles)}办理，您的角色是{user.role_label}")


def _decorate(user, leads, day):
    leads = list(leads)
    heads = heads_for([lead.household for lead in leads if lead.household_id])
    badges = badges_for(user, [lead.household_id for lead in leads if lead.household_id])
    for lead in leads:
        lead.household_badges = badges.get(lead.household_id, [])
        head = heads.get(lead.household_id) if lead.household_id else None
        if lead.household_id:
            lead.who = f"户{lead.household.number} {head.name if head else ''}".strip()
        else:
            lead.who = f"{lead.person_name or '—'}（未在册）"
        lead.badge = STATE_BADGE[lead.state]
        lead.overdue = bool(lead.current_due_on and lead.current_due_on < day)
        lead.serious_overdue = bool(lead.serious_pending and lead.serious_report_due_on < day)
        lead.remaining = remaining_text(lead.current_due_on, day, lead.params.get("leads.day_unit", "calendar_days"))
    return leads


def _villages(user) -> list[tuple[str, str]]:
    """Where a lead about a person not yet registered may be placed: the villages of the user's area, or
    the user's own group or grid."""
    own = user.division
    if own is not None and own.level > Level.VILLAGE:
        return [(own.code, own.full_name())]
    rows = divisions_visible_to(user).filter(level=Level.VILLAGE).select_related("parent").order_by("code")
    return [(d.code, f"{d.parent.name if d.parent_id else ''}{d.name}") for d in rows[:2000]]


def _assignees(user, code: str | None = None) -> list[tuple[str, str]]:
    """People who may be made responsible for a verification, inside the user's area (and the lead's)."""
    if user.role not in (*services.DISPATCH_ROLES, *services.CLOSE_ROLES):
        return []
    qs = scope_filter(User.objects.filter(is_active=True, role__in=services.VERIFY_ROLES), user, "division__code")
    rows = []
    for person in qs.select_related("division").order_by("division__code", "display_name")[:500]:
        if code and not code.startswith(person.division.code):
            continue
        rows.append((str(person.pk), f"{person}（{person.division.name}·{person.role_label}）"))
    return rows


def _page(request, total: int) -> tuple[int, int, int]:
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    size = settings.FANGPIN_PAGE_SIZE
    pages = max(1, (total + size - 1) // size)
    return min(page, pages), pages, size


# --- lists ----------------------------------------------------------------------------------------


@login_required
def lead_list(request):
    user, day = request.user, today()
    params = services.scrub(request.GET.dict())
    qs = leads_visible_to(user).select_related("household").only(*ROW_FIELDS)
    channel = params.get("channel", "")
    if channel in Channel.values:
        qs = qs.filter(channel=channel)
    state = params.get("state", "")
    if state in LeadState.values:
        qs = qs.filter(state=state)
    if params.get("overdue"):
        qs = qs.filter(overdue_q(day))
    village = params.get("village", "").strip()
    if village.isdigit():
        qs = qs.filter(division_code__prefix=village)
    q = params.get("q", "").strip()
    if q:
        qs = qs.filter(reference__icontains=q) | qs.filter(household__number__startswith=q) | qs.filter(
            person_name__startswith=q)
    total = qs.count()
    page, pages, size = _page(request, total)
    items = _decorate(user, qs.order_by("-raised_on", "-id")[(page - 1) * size: page * size], day)
    query = {k: v for k, v in params.items() if k != "page" and v}
    return render(request, "discovery/lead_list.html", {
        "leads": items, "total": total, "page": page, "pages": pages, "query": query, "channel": channel,
        "state": state, "village": village, "q": q, "channels": Channel.choices, "states": LeadState.choices,
        "villages": _villages(user), "pending": pending_for(user, day, limit=20)[:50],
        "can_raise": user.role in services.RAISE_ROLES, "overdue_count": overdue_leads(user, day).count(),
    })


@login_required
def overdue(request):
    """Overdue leads per responsible division and person (R-DISC-03)."""
    user, day = request.user, today()
    rows = overdue_by_responsible(user, day)
    leads = _decorate(user, overdue_leads(user, day).select_related("household", "assignee")
                      .only(*ROW_FIELDS, "assignee__display_name", "assignee__username")
                      .order_by("current_due_on", "pk")[:500], day)
    return render(request, "discovery/overdue.html", {"rows": rows, "leads": leads, "today": day,
                                                      "total": sum(r["total"] for r in rows)})


@login_required
def flow(request):
    """Lead flows by channel and state, and overdue verification per township (county and township)."""
    user, day = request.user, today()
    since = None
    raw = request.GET.get("since", "")
    if raw:
        errors: dict = {}
        since = services.validation.date(raw, "since", "起始日期", errors, required=False, not_after=day)
        if errors:
            messages.error(request, errors["since"])
            since = None
    data = flows(user, day, since)
    return render(request, "discovery/flow.html", {**data, "since": since, "today": day})


# --- raising --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def lead_new(request):
    user = request.user
    _refuse_role(user, services.RAISE_ROLES, "登记线索")
    household = None
    pick = request.POST.get("household") or request.GET.get("household")
    if pick:
        household = get_household_for(user, pick)
    form = forms.RaiseForm(request.POST or None, request.FILES or None, divisions=_villages(user),
                           assignees=_assignees(user), initial={"household": household.pk if household else ""})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            with web_source(request):
                result = services.raise_lead(
                    user, channel=d["channel"], household=household, division_code=d["division_code"],
                    id_number=d["id_number"], person_name=d["person_name"], person_phone=d["person_phone"],
                    address=d["address"], risk_types=d["risk_types"], description=d["description"],
                    source_detail=d["source_detail"], reporter_name=d["reporter_name"],
                    reporter_phone=d["reporter_phone"], discovered_on=d["discovered_on"],
                    assignee=d.get("assignee") or None, files=d.get("attachments") or ())
            messages.success(request, mask_text(user, result.message))
            return redirect("discovery:lead_detail", pk=result.lead.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    head = household.head() if household else None
    return render(request, "discovery/form.html", {
        "form": form, "title": "登记线索", "household": household, "head": head, "multipart": True,
        "back": reverse("discovery:lead_list"),
        "intro": "任何渠道发现的返贫致贫风险都在这里登记：同一农户已有待核实线索的，自动合并为一次补充反映，不重复登记。"})


# --- one lead -------------------------------------------------------------------------------------


def _timeline(user, lead, day) -> list[dict]:
    unit = services.unit_label(lead.params)
    rows = []
    for report in lead.reports.select_related("reporter").prefetch_related("attachments").order_by("id"):
        rows.append({"title": ("补充反映（已合并）" if report.merged else "登记线索") + f"：{report.get_channel_display()}",
                     "status": "done", "date": report.reported_on,
                     "meta": f"{report.reference} · 登记人 {report.reporter or '（群众自行提交）'}"
                             + (f" · 反映人 {mask_text(user, report.reporter_name)}" if report.reporter_name else ""),
                     "text": mask_text(user, report.description),
                     "entries": [("来源说明", mask_text(user, report.source_detail)) if report.source_detail else None,
                                 ("风险类型", "、".join(report.risk_types)) if report.risk_types else None,
                                 ("发现日期", f"{report.discovered_on:%Y-%m-%d}")],
                     "attachments": list(report.attachments.all())})
    if lead.origin_code and len(lead.origin_code) <= services.COUNTY_ORIGIN_LENGTH:
        if lead.dispatched_on:
            rows.append({"title": "县级转交乡镇", "status": "done", "date": lead.dispatched_on,
                         "meta": f"{lead.dispatched_by} 办理", "text": mask_text(user, lead.dispatch_note)})
        elif lead.state == LeadState.AWAITING_DISPATCH:
            rows.append(_current(lead, "县级转交乡镇", day, unit))
    if lead.verified_on:
        people = "、".join(f"{p['name']}{'（' + p['unit'] + '）' if p.get('unit') else ''}" for p in lead.verifiers)
        rows.append({"title": "两人同行入户核实", "status": "done", "date": lead.visited_on,
                     "meta": f"核实人员 {people} · {lead.verified_by} 于 {lead.verified_on:%Y-%m-%d} 登记",
                     "text": mask_text(user, lead.findings), "entries": [("核实结论", lead.get_outcome_display())],
                     "attachments": list(lead.attachments.filter(stage="verify"))})
    elif lead.state == LeadState.AWAITING_VERIFICATION:
        rows.append(_current(lead, "两人同行入户核实", day, unit))
    if lead.state == LeadState.CASE_OPENED and lead.case_id:
        rows.append({"title": "启动识别程序", "status": "done", "date": lead.case.opened_on, "case": lead.case})
    if lead.close_reason:
        if lead.closed_on:
            rows.append({"title": "报县乡村振兴局销号", "status": "rejected", "date": lead.closed_on,
                         "meta": f"{lead.closed_by} 办理", "text": mask_text(user, lead.close_reason)})
        else:
            row = _current(lead, "报县乡村振兴局销号", day, unit)
            row["text"] = "销号理由：" + mask_text(user, lead.close_reason)
            rows.append(row)
    if lead.serious_kind:
        due = lead.serious_report_due_on
        rows.append({"title": f"{lead.get_serious_kind_display()}：会同县级部门调查",
                     "status": "done" if lead.serious_reported_on else "current",
                     "overdue": not lead.serious_reported_on and due < day, "date": lead.serious_flagged_on,
                     "meta": f"{lead.serious_flagged_by} 标记 · 会同 {lead.serious_departments} · 告知县级期限 {due:%Y-%m-%d}"
                             + ("" if lead.serious_reported_on else f"（{remaining_text(due, day, 'working_days')}）"),
                     "text": mask_text(user, lead.serious_note), "warnings": lead.serious_due_warnings,
                     "entries": [("告知县级", f"{lead.serious_reported_on:%Y-%m-%d}：{mask_text(user, lead.serious_report)}")]
                     if lead.serious_reported_on else []})
    for row in rows:
        row["entries"] = [e for e in row.get("entries", []) if e]
    return rows


def _current(lead, title: str, day, unit: str) -> dict:
    due = lead.current_due_on
    return {"title": title, "status": "current", "overdue": bool(due and due < day), "date": lead.clock_started_on,
            "meta": f"{lead.clock_started_on:%Y-%m-%d} 开始 · 期限 {due:%Y-%m-%d}（{remaining_text(due, day, lead.params.get('leads.day_unit', 'calendar_days'))}）"
                    if due else "", "warnings": lead.due_warnings, "unit": unit}


@login_required
def lead_detail(request, pk):
    user, day = request.user, today()
    lead = get_lead_for(user, pk)
    [lead] = _decorate(user, [lead], day)
    lead.shown_description = mask_text(user, lead.description)
    role = user.role
    actions = []
    if lead.state == LeadState.AWAITING_DISPATCH and role in services.DISPATCH_ROLES:
        actions.append(("转交乡镇", reverse("discovery:lead_dispatch", args=[lead.pk]), ""))
    if lead.state == LeadState.AWAITING_VERIFICATION and role in services.VERIFY_ROLES:
        actions.append(("入户核实", reverse("discovery:lead_verify", args=[lead.pk]), ""))
    if lead.state == LeadState.AWAITING_CLOSING_REPORT and role in services.CLOSE_ROLES:
        actions.append(("报县销号", reverse("discovery:lead_close", args=[lead.pk]), ""))
    if (not lead.serious_kind and role in services.SERIOUS_ROLES
            and lead.state not in (LeadState.AWAITING_DISPATCH, LeadState.CLOSED)):
        actions.append(("标记严重风险", reverse("discovery:lead_serious", args=[lead.pk]), "secondary"))
    if lead.serious_pending and role in services.SERIOUS_ROLES:
        actions.append(("调查情况告知县级", reverse("discovery:lead_serious_report", args=[lead.pk]), ""))
    shown = {"id_number": show_id_number(user, lead.person_id_number), "phone": show_phone(user, lead.person_phone),
             "reporter_phone": show_phone(user, lead.reporter_phone), "address": mask_text(user, lead.address),
             "reporter_name": mask_text(user, lead.reporter_name)}
    division = Division.objects.filter(code=lead.division_code).first()
    return render(request, "discovery/lead_detail.html", {
        "lead": lead, "rows": _timeline(user, lead, day), "actions": actions, "shown": shown, "today": day,
        "division": division.full_name() if division else lead.division_code,
    })


def _action_page(request, lead, form, title: str, call, *, multipart=False, intro=""):
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = call(form.cleaned_data)
            messages.success(request, mask_text(request.user, result.message))
            return redirect("discovery:lead_detail", pk=lead.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    return render(request, "discovery/form.html", {
        "form": form, "title": title, "lead": lead, "multipart": multipart, "intro": intro,
        "back": reverse("discovery:lead_detail", args=[lead.pk]),
        "due": lead.current_due_on, "remaining": remaining_text(lead.current_due_on, today(),
                                                               lead.params.get("leads.day_unit", "calendar_days"))})


@login_required
@require_http_methods(["GET", "POST"])
def lead_dispatch(request, pk):
    user = request.user
    lead = get_lead_for(user, pk)
    _refuse_role(user, services.DISPATCH_ROLES, "转交乡镇")
    form = forms.DispatchForm(request.POST or None, initial={"version": lead.version},
                              assignees=_assignees(user, lead.division_code))
    return _action_page(request, lead, form, "县级转交乡镇", lambda d: services.dispatch_lead(
        user, lead, assignee=d["assignee"] or None, note=d["note"], expected_version=d.get("version")),
        intro="县级发现或收到的线索须在期限内以清单方式转交乡镇（003 第二步）。")


@login_required
@require_http_methods(["GET", "POST"])
def lead_verify(request, pk):
    user = request.user
    lead = get_lead_for(user, pk)
    _refuse_role(user, services.VERIFY_ROLES, "入户核实")
    needs_id = lead.household_id is None and not lead.person_id_number
    initial = {"version": lead.version, "visited_on": today()}
    if user.role in services.VERIFY_ROLES:
        initial["verifiers"] = f"{user} {user.division.name if user.division_id else ''}\n"
    form = forms.VerifyForm(request.POST or None, request.FILES or None, initial=initial, needs_id=needs_id)
    return _action_page(request, lead, form, "两人同行入户核实", lambda d: services.verify_lead(
        user, lead, verifiers=d["verifiers"], visited_on=d["visited_on"], findings=d["findings"],
        outcome=d["outcome"], reason=d["reason"], id_number=d.get("id_number", ""),
        expected_version=d.get("version"), files=d.get("attachments") or ()), multipart=True,
        intro="入户核实须两人同行，写明每人姓名。符合识别条件的启动识别程序（本线索即为识别案件的来源）；"
              "不符合的写明理由，报县乡村振兴局销号。")


@login_required
@require_http_methods(["GET", "POST"])
def lead_close(request, pk):
    user = request.user
    lead = get_lead_for(user, pk)
    _refuse_role(user, services.CLOSE_ROLES, "报县销号")
    form = forms.CloseForm(request.POST or None, initial={"version": lead.version})
    return _action_page(request, lead, form, "报县乡村振兴局销号", lambda d: services.close_lead(
        user, lead, note=d["note"], expected_version=d.get("version")),
        intro="核实不符合识别条件的线索，以乡镇为单位在期限内报县乡村振兴局销号。销号理由："
              + mask_text(user, lead.close_reason or "（尚未核实）"))


@login_required
@require_http_methods(["GET", "POST"])
def lead_serious(request, pk):
    user = request.user
    lead = get_lead_for(user, pk)
    _refuse_role(user, services.SERIOUS_ROLES, "标记严重风险")
    form = forms.SeriousForm(request.POST or None, initial={"version": lead.version})
    return _action_page(request, lead, form, "标记严重风险", lambda d: services.flag_serious(
        user, lead, kind=d["kind"], note=d["note"], departments=d["departments"], expected_version=d.get("version")),
        intro="比较严重的个体性风险和规模性风险，第一时间会同县级相关行业部门共同调查，并在3个工作日内将调查情况告知县乡村振兴局（003 第二步）。")


@login_required
@require_http_methods(["GET", "POST"])
def lead_serious_report(request, pk):
    user = request.user
    lead = get_lead_for(user, pk)
    _refuse_role(user, services.SERIOUS_ROLES, "严重风险告知县级")
    form = forms.SeriousReportForm(request.POST or None, initial={"version": lead.version})
    return _action_page(request, lead, form, "调查情况告知县乡村振兴局", lambda d: services.report_serious(
        user, lead, report=d["report"], expected_version=d.get("version")))


@login_required
def attachment(request, pk):
    att = get_attachment_for(request.user, pk)
    return FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name)
