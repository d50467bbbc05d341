# Every existing import and export gets its jobs.Job, with its progress, phase, error and times.

from django.db import migrations

# The import's own status -> the state of its background job. Work still in progress was either waiting
# in the task queue (the worker is stopped for an upgrade) or cut off: queued, its task (which carries no
# attempt) runs it after the upgrade, and a job with no task left is interrupted by the sweeper.
IMPORT_STATES = {
    "uploaded": "queued", "checking": "queued", "applying": "queued",
    "checked": "succeeded", "applied": "succeeded", "rejected": "failed", "failed": "failed",
}
EXPORT_STATES = {"queued": "queued", "running": "queued", "done": "succeeded", "failed": "failed"}


def _token():
    import uuid

    return uuid.uuid4().hex


def forward(apps, schema_editor):
    from django.utils import timezone

    now = timezone.now()  # the worker gets the full waiting time to take up what is still queued
    Job = apps.get_model("jobs", "Job")
    ImportJob = apps.get_model("interop", "ImportJob")
    ExportJob = apps.get_model("interop", "ExportJob")
    for imp in ImportJob.objects.select_related("county").order_by("pk").iterator():
        state = IMPORT_STATES.get(imp.status, "failed")
        last = imp.applied_at or imp.checked_at or imp.created_at
        job = Job.objects.create(
            kind="import", owner_id=imp.uploaded_by_id, scope_code=imp.county.code, state=state,
            attempt=2 if imp.status in ("applying", "applied") else 1, token=_token(),
            progress=imp.progress, phase=imp.progress_label[:100],
            error=imp.error if state == "failed" else "",
            queued_at=now if state == "queued" else imp.checked_at or imp.created_at,
            started_at=None if state == "queued" else last, heartbeat_at=None if state == "queued" else last,
            finished_at=last if state in ("succeeded", "failed") else None,
        )
        Job.objects.filter(pk=job.pk).update(created_at=imp.created_at)
        ImportJob.objects.filter(pk=imp.pk).update(job=job)
    for exp in ExportJob.objects.select_related("county").order_by("pk").iterator():
        state = EXPORT_STATES.get(exp.status, "failed")
        job = Job.objects.create(
            kind="export", owner_id=exp.created_by_id, scope_code=exp.county.code, state=state, token=_token(),
            progress=exp.progress, error=exp.error if state == "failed" else "",
            queued_at=now if state == "queued" else exp.created_at,
            started_at=None if state == "queued" else exp.created_at,
            heartbeat_at=None if state == "queued" else (exp.finished_at or exp.created_at),
            finished_at=exp.finished_at if state in ("succeeded", "failed") else None,
            result={"rows": exp.row_count} if state == "succeeded" else {},
        )
        Job.objects.filter(pk=job.pk).update(created_at=exp.created_at)
        ExportJob.objects.filter(pk=exp.pk).update(job=job)


def backward(apps, schema_editor):
    ImportJob = apps.get_model("interop", "ImportJob")
    ExportJob = apps.get_model("interop", "ExportJob")
    Job = apps.get_model("jobs", "Job")
    for imp in ImportJob.objects.exclude(job=None).select_related("job"):
        ImportJob.objects.filter(pk=imp.pk).update(progress=imp.job.progress, progress_label=imp.job.phase, job=None)
    for exp in ExportJob.objects.exclude(job=None).select_related("job"):
        status = "failed" if exp.status == "interrupted" else exp.status
        ExportJob.objects.filter(pk=exp.pk).update(progress=exp.job.progress, status=status, job=None)
    Job.objects.filter(kind__in=("import", "export")).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('interop', '0002_jobs'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]
