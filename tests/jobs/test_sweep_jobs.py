"""The sweeper a timer runs (``sweep_jobs``, R-OPS-03): jobs of every kind whose worker died are marked
interrupted, even those nobody looks at; nothing of them was written and they can be run again."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.test import override_settings

from fangpin.interop import jobs as import_jobs
from fangpin.interop import services as interop
from fangpin.interop.models import ExportJob, ExportStatus, ImportJob, ImportStatus
from fangpin.jobs import services
from fangpin.jobs.models import Job, JobState
from fangpin.registry.models import Household

from .conftest import DUMMY, age, checked_import


def _sweep(*args) -> str:
    out = io.StringIO()
    call_command("sweep_jobs", *args, stdout=out)
    return out.getvalue()


def test_the_sweeper_marks_stalled_jobs_of_every_kind_and_only_those_R_OPS_03(county, personas, xlsx, family, settings):
    settings.FANGPIN_IMPORT_STALL_SECONDS = 1800
    settings.FANGPIN_JOB_DEAD_SECONDS = 300
    officer = personas["county_officer"]
    # An apply whose worker died in the middle (claimed, then silent for 6 minutes).
    dead = checked_import(county["county"], xlsx(family()), officer)
    interop.request_apply(officer, dead, refused_seen=False, divisions_confirmed=False, enqueue=False)
    dead.refresh_from_db()
    assert services.claim(dead.job, dead.job.attempt)
    age(dead.job, 6)
    # A dry run still waiting for a busy worker: 5 minutes is fine.
    with override_settings(TASKS=DUMMY), open(xlsx(family("3406211002019002", "王大山")), "rb") as fh:
        waiting = interop.start_import(officer, county["county"], fh, name="监测对象.xlsx")
    age(waiting.job, 5)
    # An export whose worker died, and a job of a kind no app registered (a later warning run).
    with override_settings(TASKS=DUMMY):
        export = interop.start_export(officer, county["county"], "monitoring")
    services.claim(export.job)
    age(export.job, 10)
    other = services.create("warning_run", scope_code="340621")
    services.claim(other)
    age(other, 10)
    done = services.create("warning_run")
    services.claim(done)
    services.finish(done)

    listed = _sweep("--list")
    assert f"导入#{dead.pk}（濉溪县，导入中）进行中" in listed and f"导入#{waiting.pk}（濉溪县，已上传，等待预检）进行中" in listed
    assert f"导出#{export.pk}（濉溪县，" in listed and f"任务#{other.pk}" in listed
    assert Job.objects.get(pk=dead.job_id).state == JobState.RUNNING  # --list marks nothing

    out = _sweep()
    assert f"导入#{dead.pk}（濉溪县，导入中）超过5分钟没有进展，已标记为中断" in out
    assert f"导出#{export.pk}（濉溪县，" in out and f"warning_run任务#{other.pk}超过5分钟没有进展" in out
    assert "共标记3个中断的任务" in out
    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED and "已视为中断" in dead.error and "未写入任何数据" in dead.error
    assert dead.job.state == JobState.INTERRUPTED
    assert not Household.objects.filter(number="3406211002019001").exists()
    export.refresh_from_db()
    assert export.status == ExportStatus.INTERRUPTED and export.get_status_display() == "已中断" and "请重新导出" in export.error
    assert Job.objects.get(pk=other.pk).state == JobState.INTERRUPTED
    assert ImportJob.objects.get(pk=waiting.pk).status == ImportStatus.UPLOADED
    assert Job.objects.get(pk=done.pk).state == JobState.SUCCEEDED
    assert _sweep() == ""  # nothing left to mark: a timer's run stays quiet

    # The interrupted apply is checked again and applied; its late task does nothing.
    assert import_jobs.run_apply(dead.pk, attempt=2).status == ImportStatus.FAILED
    with override_settings(TASKS=DUMMY):
        interop.recheck(officer, dead)
    dead = import_jobs.run_check(dead.pk, attempt=3)
    interop.request_apply(officer, dead, refused_seen=False, divisions_confirmed=False, enqueue=False)
    assert import_jobs.run_apply(dead.pk, attempt=4).status == ImportStatus.APPLIED
    assert Household.objects.filter(number="3406211002019001").exists()


def test_a_queued_job_nobody_picked_up_is_interrupted_after_the_stall_time_R_OPS_03(county, personas, xlsx, family, settings):
    settings.FANGPIN_IMPORT_STALL_SECONDS = 1800
    with override_settings(TASKS=DUMMY), open(xlsx(family()), "rb") as fh:
        job = interop.start_import(personas["county_officer"], county["county"], fh, name="监测对象.xlsx")
    age(job.job, 31)
    assert f"导入#{job.pk}（濉溪县，已上传，等待预检）超过30分钟没有进展，已标记为中断" in _sweep()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "已视为中断" in job.error


def test_an_interrupted_export_is_shown_as_such_in_the_page_and_the_api_and_can_be_made_again_R_OPS_03(
    county, personas, login, settings
):
    settings.FANGPIN_JOB_DEAD_SECONDS = 300
    officer = personas["county_officer"]
    client = login(officer)
    with override_settings(TASKS=DUMMY):
        export = interop.start_export(officer, county["county"], "monitoring")
    services.claim(export.job, 1)  # a worker takes it, as run_export does
    ExportJob.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING)
    services.report(export.job, 30, "已写出30/100行")
    page = client.get("/interop/").content.decode()
    assert "生成中" in page and "30% 已写出30/100行" in page  # the same progress display as an import's
    data = client.get(f"/api/interop/exports/{export.pk}").json()
    assert data["status"] == "running" and data["progress"] == 30 and data["job"]["phase"] == "已写出30/100行"
    # The worker is killed while writing the workbook.
    age(export.job, 10)
    data = client.get(f"/api/interop/exports/{export.pk}").json()
    assert data["status"] == "interrupted" and data["job"]["state"] == "interrupted" and "请重新导出" in data["error"]
    assert data["download_url"] == ""
    page = client.get("/interop/").content.decode()
    assert "已中断" in page and "导出已中断，未生成文件；请重新导出" in page
    assert client.get(f"/interop/exports/{export.pk}/").status_code == 404
    from fangpin.interop.export import run_export

    assert run_export(export.pk, attempt=1).status == ExportStatus.INTERRUPTED  # its task arriving late: nothing
    # Made again, it completes.
    again = interop.start_export(officer, county["county"], "monitoring", enqueue=False)
    assert run_export(again.pk).status == ExportStatus.DONE
    assert ExportJob.objects.get(pk=again.pk).job.state == JobState.SUCCEEDED
