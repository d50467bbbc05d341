"""Shared pieces of the background-job tests (R-OPS-03, R-OPS-04)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from tests.interop.conftest import family, write_xlsx, xlsx  # noqa: F401 - fixtures reused here

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path_factory):
    """Uploads, work folders and heartbeat files of this test only (job ids restart with every test database)."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


def age(job, minutes: float) -> None:
    """Make a job look as if it was queued, started and last heard of ``minutes`` ago (its worker silent since)."""
    from fangpin.jobs import heartbeat
    from fangpin.jobs.models import Job

    then = timezone.now() - dt.timedelta(minutes=minutes)
    Job.objects.filter(pk=job.pk).update(queued_at=then, started_at=then, heartbeat_at=then)
    heartbeat.remove(job.token)
    job.refresh_from_db()


def checked_import(county, path: Path, user=None, **options):
    """An import of ``path`` whose dry run is done (run in this process, as the command line does)."""
    from fangpin.interop import jobs, services

    with open(path, "rb") as fh:
        job = services.start_import(user, county, fh, options=options, name=Path(path).name, enqueue=False)
    return jobs.run_check(job.pk)
