"""Pages of the department view (R-AID-08) and of the village assistance list (R-AID-06).

Every measure comes through ``departments.get_measure_for`` and every village through
``village_list.get_village_for`` (404 outside the user's area); every answer through
``departments.answer_application``; every list export through ``village_list``.
"""

from __future__ import annotations

from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import divisions_visible_to
from fangpin.areas.models import Division, Level
from fangpin.jobs import services as background
from fangpin.profiles.services import today
from fangpin.validation import scrub
from fangpin.web import apply_errors, web_source

from . import departments, village_list

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PER_PAGE = 30


def _download(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "；".join(m for msgs in exc.message_dict.values() for m in msgs)
    return "；".join(exc.messages)


def _require_view(user) -> None:
    if user.role not in departments.VIEW_ROLES:
        raise PermissionDenied("部门帮扶清单只能由行业部门、县乡村振兴局和督导查看")


# --- department view ------------------------------------------------------------------------------


@login_required
@require_GET
def department_list(request):
    """The department's measures: awaiting answer and overdue first; filters by status, month, name."""
    user = request.user
    _require_view(user)
    params = scrub(request.GET.dict())
    status, month, q = params.get("status", ""), params.get("month", ""), params.get("q", "").strip()
    department = params.get("department", "") if user.role != Role.DEPARTMENT_OFFICER else ""
    error = ""
    try:
        qs = departments.measures_for_department(user, status=status, month=month, q=q, department=department)
    except ValidationError as exc:
        error = _message(exc)
        qs = departments.measures_for_department(user)
    items, page, has_next = departments.page_of(qs, params.get("page"), PER_PAGE)
    day = today()
    counts = departments.counts(user, day)
    return render(request, "assistance/departments/list.html", {
        "rows": departments.rows(user, items), "page": page, "has_next": has_next,
        "query": {k: v for k, v in params.items() if k != "page" and v}, "status": status, "month": month, "q": q,
        "department": department, "statuses": departments.STATUS_FILTERS.items(), "error": error,
        "awaiting_count": counts["awaiting"], "overdue_count": counts["overdue"],
        "can_answer": user.role in departments.ANSWER_ROLES, "is_department": user.role == Role.DEPARTMENT_OFFICER,
        "export_year": day.year, "export_month": day.month, "months": range(1, 13),
    })


@login_required
@require_GET
def department_households(request):
    """The monitored households that concern the department, with why each is listed (R-AID-08)."""
    user = request.user
    _require_view(user)
    params = scrub(request.GET.dict())
    q = params.get("q", "").strip()
    department = params.get("department", "") if user.role != Role.DEPARTMENT_OFFICER else user.department
    found = departments.households_for_department(user, department=department, q=q)
    try:
        page = max(1, int(params.get("page") or 1))
    except ValueError:
        page = 1
    pages = max(1, (len(found) + PER_PAGE - 1) // PER_PAGE)
    page = min(page, pages)
    rows = departments.household_rows(user, found[(page - 1) * PER_PAGE: page * PER_PAGE])
    return render(request, "assistance/departments/households.html", {
        "rows": rows, "total": len(found), "page": page, "pages": pages, "q": q, "department": department,
        "query": {k: v for k, v in params.items() if k != "page" and v},
        "is_department": user.role == Role.DEPARTMENT_OFFICER,
    })


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(label="答复结论", choices=[("approve", "同意"), ("refuse", "不予批准")],
                                 widget=forms.RadioSelect)
    amount = forms.CharField(label="金额（元）", required=False, help_text="同意时填写（如无金额可不填），如 1200 或 1,200.50")
    start_month = forms.CharField(label="起始月份", required=False, widget=forms.TextInput(attrs={"type": "month"}),
                                  help_text="同意时必填，如 2026-05")
    reason = forms.CharField(label="不予批准理由", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="不予批准时必填")
    on = forms.CharField(label="答复日期", required=False, widget=forms.TextInput(attrs={"type": "date"}),
                         help_text="不填为今天")


@login_required
@require_http_methods(["GET", "POST"])
def department_answer(request, pk):
    """One application: its household and measure, and the answer form (department officers)."""
    user = request.user
    measure = departments.get_measure_for(user, pk)
    can_answer = (user.role in departments.ANSWER_ROLES and measure.status == departments.MeasureStatus.APPLIED
                  and measure.department == user.department)
    form = AnswerForm(request.POST or None, initial={"on": today().isoformat()})
    if request.method == "POST":
        if user.role not in departments.ANSWER_ROLES:
            raise PermissionDenied(f"部门答复只能由行业部门办理，您的角色是{user.role_label}")
        if form.is_valid():
            d = form.cleaned_data
            try:
                with web_source(request):
                    m = departments.answer_application(
                        user, measure, approved=d["decision"] == "approve", reason=d["reason"], amount=d["amount"],
                        start_month=d["start_month"], on=d["on"])
                messages.success(request, departments.answer_message(m))
                return redirect(reverse("assistance:department_list"))
            except ValidationError as exc:
                apply_errors(form, exc)
    row = departments.rows(user, [measure])[0]
    return render(request, "assistance/departments/answer.html", {
        "row": row, "measure": measure, "form": form, "can_answer": can_answer,
    })


@login_required
@require_GET
def department_export(request):
    """The monthly list as XLSX (the monthly push of 003 第三步)."""
    user = request.user
    _require_view(user)
    try:
        content = departments.export_month(user, request.GET.get("year"), request.GET.get("month"))
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect(reverse("assistance:department_list"))
    who = user.department if user.role == Role.DEPARTMENT_OFFICER else "各部门"
    return _download(content, f"{who}帮扶措施清单_{request.GET.get('year')}年{request.GET.get('month')}月.xlsx")


# --- village assistance list -------------------------------------------------------------------------


def _year(request) -> tuple[int, str]:
    try:
        return village_list.clean_year(request.GET.get("year") or None, default=today().year), ""
    except ValidationError as exc:
        return today().year, _message(exc)


@login_required
@require_GET
def lists_index(request):
    """The villages of the user's area, each with its list; county and township staff also export them all."""
    user = request.user
    village_list.require_list_role(user)
    year, error = _year(request)
    villages = (divisions_visible_to(user).filter(level=Level.VILLAGE).select_related("parent")
                .order_by("code")[:2000])
    areas = []
    if user.role in village_list.AREA_EXPORT_ROLES:
        areas = list(divisions_visible_to(user).filter(level__in=[Level.COUNTY, Level.TOWNSHIP]).order_by("code")[:200])
    jobs = list(village_list.jobs_visible_to(user).order_by("-created_at")[:10])
    for job in jobs:
        background.interrupt_if_stale(job)
    return render(request, "assistance/departments/lists_index.html", {
        "villages": villages, "year": year, "error": error, "areas": areas, "jobs": jobs,
        "years": range(today().year, today().year - 5, -1),
    })


@login_required
@require_GET
def village_page(request, pk):
    """One village's list for a year (附件2), with the export button."""
    user = request.user
    village = village_list.get_village_for(user, pk)
    year, error = _year(request)
    rows = village_list.village_rows_for(user, village, year)
    return render(request, "assistance/departments/village.html", {
        "village": village, "year": year, "rows": rows, "error": error, "title": village_list.title_for(village),
        "columns": village_list.COLUMNS, "note": village_list.NOTE, "years": range(today().year, today().year - 5, -1),
        "can_export": user.caps.export,
    })


@login_required
@require_GET
def village_xlsx(request, pk):
    user = request.user
    village = village_list.get_village_for(user, pk)
    year, error = _year(request)
    if error:
        raise Http404(error)
    content = village_list.export_village(user, village, year)
    return _download(content, f"{village_list.title_for(village)}_{year}年.xlsx")


@login_required
@require_POST
def lists_export(request):
    """Start the background export of every village of the county (or a township)."""
    user = request.user
    code = scrub(request.POST.get("division", "")).strip()
    division = divisions_visible_to(user).filter(code=code, level__in=[Level.COUNTY, Level.TOWNSHIP]).first()
    if division is None:
        raise Http404("区划不存在或不在您的管辖范围内")
    try:
        job = village_list.start_area_export(user, division, request.POST.get("year"))
    except ValidationError as exc:
        messages.error(request, _message(exc))
        return redirect(reverse("assistance:lists"))
    messages.success(request, f"已开始生成{division.name}{job.result.get('year')}年各村帮扶清单，完成后可在本页下载")
    return redirect(reverse("assistance:lists_job", args=[job.pk]))


@login_required
@require_GET
def lists_job(request, pk):
    """The export job's progress (polled while it runs) and, when done, its download link."""
    user = request.user
    job = village_list.get_job_for(user, pk)
    background.interrupt_if_stale(job)
    context = {"job": job, "poll": reverse("assistance:lists_job", args=[job.pk]) + "?partial=1",
               "division": Division.objects.filter(code=job.scope_code).first()}
    if request.GET.get("partial"):
        return render(request, "assistance/departments/_lists_job_card.html", context)
    return render(request, "assistance/departments/lists_job.html", context)


@login_required
@require_GET
def lists_job_download(request, pk):
    user = request.user
    job = village_list.get_job_for(user, pk)
    path = village_list.file_path(job)
    if job.state != "succeeded" or path is None or not path.exists():
        messages.error(request, "该帮扶清单尚未生成完成（或已失效），请稍后再试或重新导出")
        return redirect(reverse("assistance:lists_job", args=[job.pk]))
    return _download(path.read_bytes(), path.name.rsplit("_", 1)[0] + ".xlsx")
