"""The import and export kinds of background job (``fangpin.jobs``), registered when Django starts."""

from __future__ import annotations

from django.utils import timezone

from fangpin.jobs.kinds import JobKind, register

from .models import ExportJob, ExportStatus, ImportJob, ImportStatus

IMPORT_INTERRUPTED = "{reason}，已视为中断。导入在一个事务中写入，中断时未写入任何数据；请点击“重新预检”后再确认导入"
EXPORT_INTERRUPTED = "{reason}，导出已中断，未生成文件；请重新导出"


def _describe_import(job) -> str:
    imp = ImportJob.objects.select_related("county").get(job=job)
    return f"导入#{imp.pk}（{imp.county.name}，{imp.get_status_display()}）"


def _import_interrupted(job) -> None:
    """The import fails with the job's message; the officer checks it again (重新预检)."""
    ImportJob.objects.filter(job=job, status__in=(ImportStatus.UPLOADED, ImportStatus.CHECKING, ImportStatus.APPLYING)).update(
        status=ImportStatus.FAILED, error=job.error
    )


def _describe_export(job) -> str:
    from .layouts import layouts

    exp = ExportJob.objects.select_related("county").get(job=job)
    layout = layouts().get(exp.layout)
    return f"导出#{exp.pk}（{exp.county.name}，{layout.title if layout else exp.layout}）"


def _export_interrupted(job) -> None:
    from .export import partial_path

    for exp in ExportJob.objects.filter(job=job, status__in=(ExportStatus.QUEUED, ExportStatus.RUNNING)):
        ExportJob.objects.filter(pk=exp.pk).update(status=ExportStatus.INTERRUPTED, error=job.error, finished_at=timezone.now())
        partial_path(exp).unlink(missing_ok=True)


def register_kinds() -> None:
    register(JobKind("import", "导入", describe=_describe_import, on_interrupted=_import_interrupted,
                     interrupted_message=IMPORT_INTERRUPTED))
    register(JobKind("export", "导出", describe=_describe_export, on_interrupted=_export_interrupted,
                     interrupted_message=EXPORT_INTERRUPTED))
