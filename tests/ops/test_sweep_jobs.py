"""The job sweeper a timer runs (R-OPS-03): imports nobody looks at are still shown interrupted."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangpin.interop.models import ImportJob, ImportStatus


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _job(county, status, age_minutes):
    job = ImportJob.objects.create(county=county, original_name="监测对象.xlsx", sha256="0" * 64, status=status)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=age_minutes))
    return job


def test_sweep_marks_only_jobs_without_progress_for_the_stall_time_R_OPS_03(county):
    dead = _job(county["county"], ImportStatus.APPLYING, age_minutes=31)
    busy = _job(county["county"], ImportStatus.CHECKING, age_minutes=5)
    done = _job(county["county"], ImportStatus.APPLIED, age_minutes=600)
    out = io.StringIO()
    call_command("sweep_jobs", "--list", stdout=out)
    assert f"导入#{dead.pk}" in out.getvalue() and f"导入#{busy.pk}" in out.getvalue()
    assert ImportJob.objects.get(pk=dead.pk).status == ImportStatus.APPLYING  # --list marks nothing

    out = io.StringIO()
    call_command("sweep_jobs", stdout=out)
    assert f"导入#{dead.pk}（濉溪县，导入中）超过30分钟没有进展，已标记为中断" in out.getvalue()
    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED and "已视为中断" in dead.error and "未写入任何数据" in dead.error
    assert ImportJob.objects.get(pk=busy.pk).status == ImportStatus.CHECKING
    assert ImportJob.objects.get(pk=done.pk).status == ImportStatus.APPLIED
    out = io.StringIO()
    call_command("sweep_jobs", stdout=out)
    assert out.getvalue() == ""  # nothing left to mark: a timer's run stays quiet
