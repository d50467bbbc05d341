"""National-system imports and exports over HTTP: the same services, scoping and background tasks as the pages."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from fangpin.accounts.scoping import divisions_visible_to
from fangpin.areas.models import Division
from fangpin.interop import services
from fangpin.interop.jobs import mark_if_stalled
from fangpin.interop.layouts import layouts
from fangpin.jobs.schemas import JobOut, job_out

router = Router(tags=["国家系统数据导入导出"])


class ImportOut(Schema):
    id: int
    county_code: str
    file_name: str
    sha256: str
    status: str
    status_label: str
    progress: int
    progress_label: str
    layout: str
    header_row: int | None
    row_count: int
    counts: dict
    refused_rows: int
    refused_households: int
    warning_count: int
    new_divisions: list[dict]
    error: str
    created_at: dt.datetime
    checked_at: dt.datetime | None
    applied_at: dt.datetime | None
    job: JobOut | None  # the background work, shown the same way for every kind of job


class IssueOut(Schema):
    level: str
    row: int | None
    column: str
    household_number: str
    message: str


class IssuePage(Schema):
    total: int
    page: int
    pages: int
    items: list[IssueOut]


class ApplyIn(Schema):
    refused_seen: bool = False
    divisions_confirmed: bool = False


class ExportIn(Schema):
    county_code: str
    layout: str = "monitoring"
    division_code: str = ""
    national_style: bool = False


class ExportOut(Schema):
    id: int
    county_code: str
    layout: str
    status: str  # queued / running / done / failed / interrupted (已中断: its worker stopped; export again)
    progress: int
    row_count: int
    error: str
    download_url: str
    job: JobOut | None


class LayoutOut(Schema):
    name: str
    title: str
    label: str
    grain: str
    title_rows: int
    columns: list[str]


def _import_out(job) -> dict:
    pct, label = job.live_progress
    return {
        "id": job.pk, "county_code": job.county.code, "file_name": job.original_name, "sha256": job.sha256,
        "status": job.status, "status_label": job.get_status_display(), "progress": pct, "progress_label": label,
        "layout": job.layout, "header_row": job.header_row, "row_count": job.row_count, "counts": job.counts or {},
        "refused_rows": job.refused_rows, "refused_households": job.refused_households, "warning_count": job.warning_count,
        "new_divisions": (job.preview or {}).get("new_divisions", []), "error": job.error, "created_at": job.created_at,
        "checked_at": job.checked_at, "applied_at": job.applied_at, "job": job_out(job.job),
    }


def _export_out(job) -> dict:
    from django.urls import reverse

    return {
        "id": job.pk, "county_code": job.county.code, "layout": job.layout, "status": job.status, "progress": job.progress,
        "row_count": job.row_count, "error": job.error,
        "download_url": reverse("interop:export_download", args=[job.pk]) if job.status == "done" else "",
        "job": job_out(job.job),
    }


def _county(user, code: str) -> Division:
    """The county named in a request, among those the user may import into (R-SEC-01).

    A role without imports is refused (403) whatever the code; a county outside the user's area
    answers exactly like a code that does not exist (404), so the answer tells nothing about it.
    """
    if not services.can_import(user):
        raise PermissionDenied("只有县乡村振兴局或系统管理员可以导入、导出国家系统数据")
    county = services.importable_counties(user).filter(code=code).first()
    if county is None:
        if divisions_visible_to(user).filter(code=code).exists():
            raise ValidationError({"county_code": f"{code} 不是县（区）的区划代码：只能按县（区）导入、导出"})
        raise Http404("县（区）不存在或不在您的管辖范围内")
    return county


@router.get("/layouts", response=list[LayoutOut], summary="支持的国家系统导出表样")
def list_layouts(request):
    return [{"name": n, "title": x.title, "label": x.label, "grain": x.grain, "title_rows": x.title_rows, "columns": list(x.columns)}
            for n, x in layouts().items()]


@router.get("/imports", response=list[ImportOut], summary="导入记录（本人管辖的县）")
def list_imports(request):
    return [_import_out(j) for j in services.jobs_visible_to(request.user)[:100]]


@router.post("/imports", response={201: ImportOut}, summary="上传国家系统导出文件并开始预检（后台）")
def create_import(request, county_code: Form[str], file: File[UploadedFile], income_year: Form[str] = "", members_complete: Form[bool] = False):
    county = _county(request.user, county_code)
    options = services.clean_options({"income_year": income_year, "members_complete": members_complete})
    job = services.start_import(request.user, county, file, options=options)
    return Status(201, _import_out(job))


@router.get("/imports/{job_id}", response=ImportOut, summary="导入状态、进度与预检统计")
def get_import(request, job_id: int):
    job = services.get_job_for(request.user, job_id)
    mark_if_stalled(job)
    return _import_out(job)


@router.get("/imports/{job_id}/issues", response=IssuePage, summary="拒绝行与提示（分页）")
def list_issues(request, job_id: int, level: str = "refused", page: int = 1):
    job = services.get_job_for(request.user, job_id)
    if level not in ("refused", "warning"):
        raise ValidationError({"level": "level 只能是 refused 或 warning"})
    qs = job.issues.filter(level=level).order_by("row", "id")
    total = qs.count()
    pages = max(1, (total + 49) // 50)
    page = min(max(1, page), pages)
    items = qs[(page - 1) * 50 : page * 50]
    return {"total": total, "page": page, "pages": pages,
            "items": [{"level": i.level, "row": i.row, "column": i.column, "household_number": i.household_number, "message": i.message} for i in items]}


@router.post("/imports/{job_id}/apply", response=ImportOut, summary="确认导入（后台，一个事务）")
def apply_import(request, job_id: int, payload: ApplyIn):
    job = services.get_job_for(request.user, job_id)
    job = services.request_apply(request.user, job, refused_seen=payload.refused_seen, divisions_confirmed=payload.divisions_confirmed)
    return _import_out(job)


@router.post("/exports", response={201: ExportOut}, summary="按国家系统表样导出（后台生成）")
def create_export(request, payload: ExportIn):
    county = _county(request.user, payload.county_code)
    job = services.start_export(request.user, county, payload.layout, division_code=payload.division_code, national_style=payload.national_style)
    return Status(201, _export_out(job))


@router.get("/exports/{export_id}", response=ExportOut, summary="导出状态")
def get_export(request, export_id: int):
    job = services.exports_visible_to(request.user).filter(pk=export_id).first()
    if job is None:
        raise Http404
    mark_if_stalled(job)
    return _export_out(job)
