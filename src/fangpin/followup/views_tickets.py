"""Pages for problem tickets (问题清零台账, R-TRACK-05).

Phone first: the list shows overdue problems first, then by deadline, each with the household's risk
colour; a problem's page carries the forms the user's role allows (close with evidence, reclassify,
assign). Every write calls ``fangpin.followup.tickets``; every read is scoped (404 outside the area).
"""

from __future__ import annotations

import io
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from fangpin.accounts.masking import mask_text
from fangpin.accounts.roles import Role
from fangpin.areas.lookups import prefix_q
from fangpin.areas.models import Division
from fangpin.profiles.services import today
from fangpin.registry.models import Member
from fangpin.registry.panels import badges_for
from fangpin.registry.queries import household_rows, paginate
from fangpin.registry.selectors import get_household_for
from fangpin.validation import scrub
from fangpin.web import apply_errors, web_source

from . import tickets
from .models import TicketDifficulty, TicketDimension, TicketSource, TicketStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SUMMARY_ROLES = (Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE)
EXPORT_ROLES = (Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICE)
EXPORT_LIMIT = 50_000


class TicketForm(forms.Form):
    dimension = forms.ChoiceField(label="问题类别", choices=[("", "请选择")] + TicketDimension.choices, required=False)
    description = forms.CharField(label="问题描述", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  help_text="写明看到的情况，如“房屋墙体开裂，住房鉴定为C级”")
    difficulty = forms.ChoiceField(label="难易程度", choices=TicketDifficulty.choices, required=False,
                                   help_text="一般性问题15天内销号，疑难问题半年内，特殊问题一年内（以本县政策画像为准）")
    source = forms.ChoiceField(label="来源", choices=list(tickets.MANUAL_SOURCES.items()), required=False)
    source_ref = forms.CharField(label="来源编号（走访记录编号或线索编号）", required=False)
    opened_on = forms.CharField(label="发现日期", required=False, widget=DATE)


class CloseForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, required=False)
    closed_on = forms.CharField(label="销号日期", required=False, widget=DATE)
    evidence = forms.CharField(label="销号佐证（采取了什么措施、问题如何解决）", required=False,
                               widget=forms.Textarea(attrs={"rows": 3}),
                               help_text="至少10个字，如“已完成危房改造并验收，住房鉴定为B级”")
    housing_grade = forms.ChoiceField(label="新的住房鉴定等级（住房安全问题）", required=False,
                                      choices=[("", "不变"), ("A", "A级"), ("B", "B级")])
    file = forms.FileField(label="佐证材料（可不传；pdf、jpg、png、doc、docx，10MB以内）", required=False)

    def __init__(self, *args, housing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not housing:
            del self.fields["housing_grade"]

    def payload(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "file"}


class ReclassifyForm(forms.Form):
    difficulty = forms.ChoiceField(label="难易程度", choices=TicketDifficulty.choices, required=False)
    reason = forms.CharField(label="调整原因", required=False)


class AssignForm(forms.Form):
    responsible = forms.ChoiceField(label="责任人", required=False)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].choices = [("", "请选择")] + [
            (str(u.pk), f"{u}（{u.role_label}，{u.division.name}）") for u in candidates]


def _page(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


def _village_param(user, raw: str) -> str:
    code = scrub(raw or "").strip()
    scope = user.scope_code or ""
    return code if code.isdigit() and code.startswith(scope) else ""


def _filters(request) -> dict:
    params = scrub(request.GET.dict())
    out = {
        "status": params.get("status", "") if params.get("status", "") in TicketStatus.values else "",
        "dimension": params.get("dimension", "") if params.get("dimension", "") in TicketDimension.values else "",
        "difficulty": params.get("difficulty", "") if params.get("difficulty", "") in TicketDifficulty.values else "",
        "overdue": "1" if params.get("overdue") else "",
        "village": _village_param(request.user, params.get("village", "")),
    }
    return out


def _villages(user) -> list[tuple[str, str]]:
    scope = user.scope_code or ""
    if len(scope) >= 12:
        return []
    return list(Division.objects.filter(prefix_q("code", scope), level=3).order_by("code").values_list("code", "name")[:300])


@login_required
def ticket_list(request):
    user, day = request.user, today()
    f = _filters(request)
    qs = tickets.filtered_tickets(user, f, day).select_related("household")
    items, total, page, pages = paginate(qs, _page(request), settings.FANGPIN_PAGE_SIZE)
    items = tickets.decorate(items, day, user)
    badges = badges_for(user, {t.household_id for t in items})
    names = dict(Division.objects.filter(code__in={t.responsible_code for t in items}).values_list("code", "name"))
    for t in items:
        t.badges = badges.get(t.household_id, [])
        t.village_name = names.get(t.responsible_code, "")
    summary = tickets.village_summary(user, day) if user.role in SUMMARY_ROLES else None
    query = {k: v for k, v in f.items() if v}
    return render(request, "followup/tickets/list.html", {
        "items": items, "total": total, "page": page, "pages": pages, "query": query, "f": f, "summary": summary,
        "dimensions": TicketDimension.choices, "difficulties": TicketDifficulty.choices,
        "statuses": TicketStatus.choices, "villages": _villages(user), "today": day,
        "can_export": user.role in EXPORT_ROLES and user.caps.export,
    })


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    user = request.user
    household = get_household_for(user, request.GET.get("household") or request.POST.get("household"))
    if not tickets.may_open(user):
        raise PermissionDenied("您的角色不能登记问题")
    day = today()
    form = TicketForm(request.POST or None, initial={
        "opened_on": day.isoformat(), "difficulty": TicketDifficulty.GENERAL, "source": TicketSource.MANUAL,
        "dimension": scrub(request.GET.get("dimension", ""))})
    if request.method == "POST" and form.is_valid():
        try:
            with web_source(request):
                result = tickets.open_ticket(user, household, form.cleaned_data)
            messages.success(request, result.message)
            return redirect("followup:ticket_detail", pk=result.obj.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    open_now = tickets.tickets_visible_to(user).filter(household=household, status=TicketStatus.OPEN)
    return render(request, "followup/tickets/form.html", {
        "form": form, "household": household, "row": household_rows(user, [household])[0],
        "open_now": tickets.decorate(open_now, day, user)})


def _detail_context(request, ticket, **forms_):
    user, day = request.user, today()
    ticket = tickets.decorate([ticket], day, user)[0]
    ctx = {"t": ticket, "row": household_rows(user, [ticket.household])[0],
           "badges": badges_for(user, [ticket.household_id])[ticket.household_id], "today": day,
           "village_name": Division.objects.filter(code=ticket.responsible_code).values_list("name", flat=True).first()}
    if tickets.may_close(user, ticket):
        ctx["close_form"] = forms_.get("close_form") or CloseForm(
            housing=ticket.dimension == TicketDimension.HOUSING,
            initial={"version": ticket.version, "closed_on": day.isoformat()})
    if tickets.may_reclassify(user, ticket) and ticket.status == TicketStatus.OPEN:
        ctx["reclassify_form"] = forms_.get("reclassify_form") or ReclassifyForm(initial={"difficulty": ticket.difficulty})
    if tickets.may_assign(user, ticket):
        candidates = tickets.responsible_candidates(user, ticket.household)
        ctx["assign_form"] = forms_.get("assign_form") or AssignForm(candidates=candidates)
    return ctx


@login_required
def ticket_detail(request, pk):
    ticket = tickets.get_ticket_for(request.user, pk)
    return render(request, "followup/tickets/detail.html", _detail_context(request, ticket))


@login_required
@require_POST
def ticket_close(request, pk):
    user = request.user
    ticket = tickets.get_ticket_for(user, pk)
    form = CloseForm(request.POST, request.FILES, housing=ticket.dimension == TicketDimension.HOUSING)
    if form.is_valid():
        try:
            with web_source(request):
                result = tickets.close_ticket(user, ticket, form.payload(), upload=form.cleaned_data.get("file"))
            messages.success(request, result.message)
            return redirect("followup:ticket_detail", pk=ticket.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    ticket.refresh_from_db()
    return render(request, "followup/tickets/detail.html", _detail_context(request, ticket, close_form=form), status=400)


@login_required
@require_POST
def ticket_reclassify(request, pk):
    user = request.user
    ticket = tickets.get_ticket_for(user, pk)
    form = ReclassifyForm(request.POST)
    if form.is_valid():
        try:
            with web_source(request):
                result = tickets.reclassify(user, ticket, form.cleaned_data["difficulty"], form.cleaned_data["reason"])
            messages.success(request, result.message)
            return redirect("followup:ticket_detail", pk=ticket.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    ticket.refresh_from_db()
    return render(request, "followup/tickets/detail.html", _detail_context(request, ticket, reclassify_form=form),
                  status=400)


@login_required
@require_POST
def ticket_assign(request, pk):
    user = request.user
    ticket = tickets.get_ticket_for(user, pk)
    if user.role not in tickets.ASSIGN_ROLES:
        raise PermissionDenied("指定责任人由乡镇或村干部办理")
    candidates = tickets.responsible_candidates(user, ticket.household)
    form = AssignForm(request.POST, candidates=candidates)
    if form.is_valid():
        try:
            with web_source(request):
                result = tickets.assign(user, ticket, form.cleaned_data["responsible"])
            messages.success(request, result.message)
            return redirect("followup:ticket_detail", pk=ticket.pk)
        except ValidationError as exc:
            apply_errors(form, exc)
    ticket.refresh_from_db()
    return render(request, "followup/tickets/detail.html", _detail_context(request, ticket, assign_form=form),
                  status=400)


@login_required
def ticket_evidence(request, pk):
    ticket = tickets.get_ticket_for(request.user, pk)
    if not ticket.evidence_file:
        raise Http404("该问题没有上传佐证材料")
    response = FileResponse(ticket.evidence_file.open("rb"), as_attachment=True,
                            filename=ticket.evidence_file_name or "佐证材料")
    response["Cache-Control"] = "private, no-store"
    return response


EXPORT_COLUMNS = ["序号", "乡镇（街道）", "行政村", "户编号", "户主姓名", "问题类别", "问题描述", "难易程度", "来源",
                  "发现日期", "销号期限", "状态", "逾期天数", "责任人", "销号日期", "销号佐证"]


def export_workbook(user, qs, day) -> bytes:
    """The filtered list as an .xlsx (问题清零台账): scoped like the page, free text masked by role."""
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": True})
    ws = wb.add_worksheet("问题清零台账")
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1, "text_wrap": True})
    ws.write(0, 0, f"问题清零台账（{day:%Y-%m-%d}导出）", title)
    for col, name in enumerate(EXPORT_COLUMNS):
        ws.write_string(1, col, name, head)
    ws.set_column(1, 2, 12)
    ws.set_column(3, 3, 18)
    ws.set_column(6, 6, 40)
    ws.set_column(15, 15, 40)
    rows = list(qs.select_related("household")[:EXPORT_LIMIT])
    ids = [t.pk for t in rows]
    late = set()
    for start in range(0, len(ids), 2000):
        late |= tickets.overdue_ids(ids[start:start + 2000], day)
    heads: dict[int, str] = {}
    hids = list({t.household_id for t in rows})
    for start in range(0, len(hids), 2000):
        heads.update(Member.objects.filter(household_id__in=hids[start:start + 2000], active=True, relation="户主")
                     .values_list("household_id", "name"))
    codes = {t.division_code[:9] for t in rows} | {t.division_code[:12] for t in rows}
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    for i, t in enumerate(rows, start=1):
        overdue_days = (day - t.due_on).days if t.pk in late else 0
        values = [i, names.get(t.division_code[:9], ""), names.get(t.division_code[:12], ""), t.household.number,
                  heads.get(t.household_id, ""), t.get_dimension_display(), mask_text(user, t.description),
                  t.get_difficulty_display(), t.get_source_display(), f"{t.opened_on:%Y-%m-%d}", f"{t.due_on:%Y-%m-%d}",
                  t.get_status_display(), overdue_days, t.responsible_name,
                  f"{t.closed_on:%Y-%m-%d}" if t.closed_on else "", mask_text(user, t.evidence)]
        for col, value in enumerate(values):
            if isinstance(value, int):
                ws.write_number(i + 1, col, value)
            else:
                ws.write_string(i + 1, col, value or "")
    wb.close()
    return buffer.getvalue()


@login_required
def ticket_export(request):
    user, day = request.user, today()
    if user.role not in EXPORT_ROLES or not user.caps.export:
        raise PermissionDenied("问题清零台账由乡镇、县乡村振兴局导出")
    content = export_workbook(user, tickets.filtered_tickets(user, _filters(request), day), day)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote('问题清零台账')}_{day:%Y%m%d}.xlsx"
    return response
