"""Background work for the pages (django-tasks, run by the ``db_worker`` command).

Each task carries the attempt of the job it was sent for (``jobs.Job.attempt``): a task delivered twice,
or arriving after the job was interrupted and run again, claims nothing and does nothing (R-OPS-03).
Tasks queued before attempts existed carry none and run the job's current attempt if it is waiting.
"""

from django_tasks import task


@task()
def check_import(job_id: int, attempt: int | None = None) -> str:
    from .jobs import run_check

    return run_check(job_id, attempt=attempt).status


@task()
def apply_import(job_id: int, attempt: int | None = None) -> str:
    from .jobs import run_apply

    return run_apply(job_id, attempt=attempt).status


@task()
def build_export(job_id: int, attempt: int | None = None) -> str:
    from .export import run_export

    return run_export(job_id, attempt=attempt).status
