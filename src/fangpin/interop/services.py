"""The one door for imports and exports: who may, into which county, and starting the background work.

Only the county office (县乡村振兴局) and the system administrator import, and only into a county
inside their own area (R-SEC-01); rows of another county are refused by the check itself. Pages,
the API and the commands all go through here.

The background work is a ``jobs.Job`` per import or export (R-OPS-03): created with it, queued again
(a new attempt) when the officer confirms or asks for a new check, and each task carries the attempt
it was sent for, so a late or repeated task does nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import OutOfScope, in_scope, scope_filter
from fangpin.areas.models import Division, Level
from fangpin.jobs import services as background

from .export import run_export  # noqa: F401 - the export job's runner lives beside the export (the task calls it there)
from .layouts import layouts
from .models import ExportJob, ImportJob, ImportStatus

IMPORT_ROLES = {Role.COUNTY_OFFICE, Role.ADMINISTRATOR}
ALLOWED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
MAX_UPLOAD_BYTES = 400 * 1024 * 1024


def can_import(user) -> bool:
    return bool(user is not None and user.is_authenticated and (user.role in IMPORT_ROLES or user.is_superuser))


def importable_counties(user):
    if not can_import(user):
        return Division.objects.none()
    return scope_filter(Division.objects.filter(level=Level.COUNTY), user, "code").order_by("code")


def require_import(user, county: Division) -> None:
    if not can_import(user):
        raise PermissionDenied("只有县乡村振兴局或系统管理员可以导入、导出国家系统数据")
    if county.level != Level.COUNTY:
        raise ValidationError({"county": "只能按县（区）导入"})
    if not in_scope(user, county.code):
        raise OutOfScope("只能导入到本人所在的县（区）")


def jobs_visible_to(user):
    return ImportJob.objects.filter(county__in=importable_counties(user)).select_related("county", "uploaded_by", "applied_by", "job")


def get_job_for(user, pk) -> ImportJob:
    from django.http import Http404

    try:
        return jobs_visible_to(user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404("导入记录不存在或不在您的管辖范围内")


def clean_options(data: dict) -> dict:
    options = {}
    year = str(data.get("income_year") or "").strip()
    if year:
        if not year.isdigit() or not 2000 <= int(year) <= dt.date.today().year + 1:
            raise ValidationError({"income_year": "收入年度应为2000年至明年之间的四位年份"})
        options["income_year"] = int(year)
    if data.get("members_complete") in (True, "1", "on", "true", "是"):
        options["members_complete"] = True
    return options


def start_import(user, county: Division, uploaded, *, options: dict | None = None, name: str = "", enqueue: bool = True) -> ImportJob:
    """Store the upload and queue its dry run (预检)."""
    if user is not None:
        require_import(user, county)
    name = name or getattr(uploaded, "name", "") or "upload.xlsx"
    if not name.lower().endswith(ALLOWED_SUFFIXES):
        raise ValidationError({"file": "请上传国家系统导出的Excel文件（.xlsx/.xls）或CSV文件"})
    size = getattr(uploaded, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise ValidationError({"file": "文件过大（超过400MB）"})
    from .jobs import sha256_of

    digest, size = sha256_of(uploaded)
    with transaction.atomic():
        run = background.create("import", owner=user, scope_code=county.code, phase="等待预检")
        job = ImportJob.objects.create(
            job=run, county=county, original_name=Path(name).name[:200], sha256=digest, size=size, uploaded_by=user,
            options=options or {}, file=File(uploaded, name=Path(name).name),
        )
    if enqueue:
        from .tasks import check_import

        attempt = run.attempt
        transaction.on_commit(lambda: check_import.enqueue(job.pk, attempt))
    return job


def request_apply(user, job: ImportJob, *, refused_seen: bool, divisions_confirmed: bool, enqueue: bool = True) -> ImportJob:
    """The officer confirms the preview; the apply runs in the background."""
    if user is not None:
        require_import(user, job.county)
    job.refresh_from_db()
    if job.status != ImportStatus.CHECKED:
        raise ValidationError(f"当前状态为“{job.get_status_display()}”，只有预检完成的导入可以确认")
    if job.refused_rows and not refused_seen:
        raise ValidationError({"refused_seen": f"有{job.refused_rows}行被拒绝（{job.refused_households}户不导入），请查看后勾选确认"})
    if job.preview.get("new_divisions") and not divisions_confirmed:
        raise ValidationError({"divisions_confirmed": "请确认新建文件中出现的区划"})
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED).update(
            status=ImportStatus.APPLYING, applied_by=user, refused_confirmed=bool(refused_seen)
        )
        if not updated:
            raise ValidationError("该导入已在处理中")
        run = _queue_again(job, "等待后台导入")
    job.refresh_from_db()
    if enqueue:
        from .tasks import apply_import

        attempt = run.attempt
        transaction.on_commit(lambda: apply_import.enqueue(job.pk, attempt))
    return job


def _queue_again(job: ImportJob, phase: str):
    """The next attempt of the import's job (its quiet time for the sweeper counts from now)."""
    if job.job is None:  # an import recorded before jobs existed
        run = background.create("import", owner=job.uploaded_by, scope_code=job.county.code, phase=phase)
        ImportJob.objects.filter(pk=job.pk).update(job=run)
        return run
    run = background.requeue(job.job, phase=phase)
    if run.state != "queued":
        raise ValidationError("该导入已在处理中")
    return run


def recheck(user, job: ImportJob, *, enqueue: bool = True) -> ImportJob:
    if user is not None:
        require_import(user, job.county)
    if job.status not in (ImportStatus.CHECKED, ImportStatus.FAILED):
        raise ValidationError("只有预检完成或导入失败的记录可以重新预检")
    with transaction.atomic():
        if not ImportJob.objects.filter(pk=job.pk, status=job.status).update(status=ImportStatus.UPLOADED):
            raise ValidationError("该导入已在处理中")
        run = _queue_again(job, "等待预检")
    if enqueue:
        from .tasks import check_import

        attempt = run.attempt
        transaction.on_commit(lambda: check_import.enqueue(job.pk, attempt))
    job.refresh_from_db()
    return job


# --- exports ---------------------------------------------------------------------------------------


def exports_visible_to(user):
    if not can_import(user):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(county__code__in=importable_counties(user).values("code")).select_related("county", "created_by", "job")


def start_export(user, county: Division, layout: str, *, division_code: str = "", national_style: bool = False, enqueue: bool = True) -> ExportJob:
    if user is not None:
        require_import(user, county)
    if layout not in layouts():
        raise ValidationError({"layout": f"未知的表样：{layout}"})
    division_code = division_code or county.code
    if not division_code.startswith(county.code):
        raise ValidationError({"division": "导出范围不在所选县（区）内"})
    with transaction.atomic():
        run = background.create("export", owner=user, scope_code=county.code, phase="等待生成")
        job = ExportJob.objects.create(job=run, county=county, division_code=division_code, layout=layout,
                                       national_style=national_style, created_by=user)
    if enqueue:
        from .tasks import build_export

        attempt = run.attempt
        transaction.on_commit(lambda: build_export.enqueue(job.pk, attempt))
    return job
