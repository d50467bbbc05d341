"""Pages: upload → background dry run → preview → confirm → background apply; exports (R-INT-01…03)."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from fangpin.areas.models import Division

from . import services
from .jobs import mark_if_stalled
from .layouts import layouts
from .models import ExportStatus, ImportStatus, IssueLevel


def _require(user):
    if not services.can_import(user):
        raise PermissionDenied("只有县乡村振兴局或系统管理员可以导入、导出国家系统数据")


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages


@login_required
def import_list(request):
    _require(request.user)
    counties = list(services.importable_counties(request.user))
    errors = []
    if request.method == "POST":
        county = next((c for c in counties if c.code == request.POST.get("county")), counties[0] if len(counties) == 1 else None)
        upload = request.FILES.get("file")
        if county is None:
            errors.append("请选择导入的县（区）")
        elif upload is None:
            errors.append("请选择要上传的文件")
        else:
            try:
                options = services.clean_options(request.POST)
                job = services.start_import(request.user, county, upload, options=options)
                messages.success(request, f"已上传“{job.original_name}”，正在后台预检")
                return redirect("interop:import_detail", pk=job.pk)
            except ValidationError as exc:
                errors.extend(_errors(exc))
    jobs = services.jobs_visible_to(request.user)[:50]
    exports = list(services.exports_visible_to(request.user)[:20])
    for export in exports:
        if export.running:
            mark_if_stalled(export)
    return render(request, "interop/import_list.html", {
        "counties": counties, "jobs": jobs, "exports": exports, "errors": errors,
        "layouts": [(name, layout.label) for name, layout in layouts().items()],
    })


def _issue_page(request, job):
    level = request.GET.get("level") or IssueLevel.REFUSED
    if level not in IssueLevel.values:
        level = IssueLevel.REFUSED
    paginator = Paginator(job.issues.filter(level=level).order_by("row", "id"), 50)
    return level, paginator.get_page(request.GET.get("page") or 1)


@login_required
def import_detail(request, pk):
    job = services.get_job_for(request.user, pk)
    mark_if_stalled(job)
    level, page = _issue_page(request, job)
    return render(request, "interop/import_detail.html", {
        "job": job, "level": level, "page": page,
        "counts": job.counts or {}, "preview": job.preview or {},
        "can_apply": job.status == ImportStatus.CHECKED,
        "refused_count": job.issues.filter(level=IssueLevel.REFUSED).count(),
        "warning_count": job.issues.filter(level=IssueLevel.WARNING).count(),
    })


@login_required
def import_progress(request, pk):
    job = services.get_job_for(request.user, pk)
    mark_if_stalled(job)
    response = render(request, "interop/_progress.html", {"job": job})
    if not job.running and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_apply(request, pk):
    job = services.get_job_for(request.user, pk)
    try:
        services.request_apply(
            request.user, job,
            refused_seen=request.POST.get("refused_seen") == "on",
            divisions_confirmed=request.POST.get("divisions_confirmed") == "on",
        )
        messages.success(request, "已确认，正在后台导入")
    except ValidationError as exc:
        for msg in _errors(exc):
            messages.error(request, msg)
    return redirect("interop:import_detail", pk=job.pk)


@login_required
@require_POST
def import_recheck(request, pk):
    job = services.get_job_for(request.user, pk)
    try:
        services.recheck(request.user, job)
        messages.success(request, "已重新开始预检")
    except ValidationError as exc:
        for msg in _errors(exc):
            messages.error(request, msg)
    return redirect("interop:import_detail", pk=job.pk)


@login_required
@require_POST
def export_create(request):
    _require(request.user)
    county = services.importable_counties(request.user).filter(code=request.POST.get("county")).first()
    if county is None:
        counties = list(services.importable_counties(request.user)[:2])
        county = counties[0] if len(counties) == 1 else None
    if county is None:
        messages.error(request, "请选择导出的县（区）")
        return redirect("interop:import_list")
    try:
        job = services.start_export(request.user, county, request.POST.get("layout") or "monitoring",
                                    national_style=request.POST.get("national_style") == "on")
        messages.success(request, f"正在后台生成导出文件（导出#{job.pk}），完成后可在下方下载")
    except ValidationError as exc:
        for msg in _errors(exc):
            messages.error(request, msg)
    return redirect("interop:import_list")


@login_required
def export_download(request, pk):
    job = services.exports_visible_to(request.user).filter(pk=pk).first()
    if job is None or job.status != ExportStatus.DONE or not job.file:
        raise Http404("导出文件不存在或尚未生成")
    name = f"{job.county.name}_{layouts()[job.layout].title}_{job.created_at:%Y%m%d}.xlsx"
    response = FileResponse(job.file.open("rb"), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


__all__ = ["Division"]
