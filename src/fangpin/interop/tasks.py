"""Background work for the pages (django-tasks, run by the ``db_worker`` command)."""

from django_tasks import task


@task()
def check_import(job_id: int) -> str:
    from .jobs import run_check

    return run_check(job_id).status


@task()
def apply_import(job_id: int) -> str:
    from .jobs import run_apply

    return run_apply(job_id).status


@task()
def build_export(job_id: int) -> str:
    from .export import run_export

    return run_export(job_id).status
