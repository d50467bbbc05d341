"""One jobs mechanism for every kind of background job (R-OPS-03): claim, progress, heartbeat, end, sweep."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from fangpin.jobs import heartbeat, kinds, services
from fangpin.jobs.models import Job, JobState

from .conftest import age

pytestmark = pytest.mark.django_db


def test_a_task_delivered_twice_claims_its_job_once_R_OPS_03():
    job = services.create("warning_run", scope_code="340621", phase="等待运行")
    assert (job.state, job.attempt) == (JobState.QUEUED, 1)
    assert services.claim(job, 1)
    assert not services.claim(Job.objects.get(pk=job.pk), 1)  # the same task again: nothing to claim
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.started_at is not None


def test_a_task_sent_for_an_earlier_attempt_does_nothing_R_OPS_03():
    job = services.create("export", scope_code="340621")
    assert services.interrupt(job, "测试")
    job = services.requeue(job, phase="等待生成")
    assert (job.state, job.attempt, job.error) == (JobState.QUEUED, 2, "")
    assert not services.claim(job, 1)  # the first attempt's task arrives late
    assert services.claim(job, 2)


def test_a_running_job_is_not_queued_again_R_OPS_03():
    job = services.create("export")
    services.claim(job)
    assert services.requeue(job).state == JobState.RUNNING and job.attempt == 1


def test_finish_and_fail_only_for_the_running_attempt_R_OPS_03():
    job = services.create("export")
    assert not services.finish(job)  # not claimed yet
    services.claim(job)
    assert services.finish(job, result={"rows": 3}, phase="已导出3行")
    job.refresh_from_db()
    assert (job.state, job.progress, job.result, job.phase) == (JobState.SUCCEEDED, 100, {"rows": 3}, "已导出3行")
    assert not services.fail(job, "迟到的失败")
    assert not services.interrupt(job, "迟到的中断")
    assert Job.objects.get(pk=job.pk).state == JobState.SUCCEEDED


def test_a_job_given_up_by_the_sweeper_can_no_longer_succeed_R_OPS_03(settings):
    job = services.create("export")
    services.claim(job)
    age(job, 10)
    settings.FANGPIN_JOB_DEAD_SECONDS = 300
    assert services.interrupt_if_stale(Job.objects.get(pk=job.pk))
    with transaction.atomic():
        assert not services.finish(job)  # the worker was only slow: its result is rolled back by the caller
    assert Job.objects.get(pk=job.pk).state == JobState.INTERRUPTED


@pytest.mark.django_db(transaction=True)
def test_progress_goes_to_the_heartbeat_file_inside_a_transaction_and_to_the_row_outside_R_OPS_03():
    job = services.create("export")
    services.claim(job)
    with transaction.atomic():
        services.report(job, 40, "写出数据")
        assert Job.objects.get(pk=job.pk).progress == 0  # the row is not touched inside a transaction
    fresh = Job.objects.get(pk=job.pk)
    assert fresh.live_progress == (40, "写出数据")  # what pages and the API show
    services.report(job, 60, "写出数据")
    assert Job.objects.get(pk=job.pk).progress == 60


def test_the_heartbeat_thread_keeps_a_long_silent_phase_alive_and_stops_with_the_job_R_OPS_03(settings):
    settings.FANGPIN_JOB_HEARTBEAT_SECONDS = 0.05
    settings.FANGPIN_JOB_DEAD_SECONDS = 1
    job = services.create("export")
    services.claim(job)
    age(job, 60)
    with services.running(job) as report:
        report(10, "读取数据")
        first = heartbeat.read(job.token, job.attempt).at
        time.sleep(0.3)  # a phase that reports nothing
        assert heartbeat.read(job.token, job.attempt).at > first
        assert not services.is_stale(Job.objects.get(pk=job.pk))
        assert "job-" in " ".join(t.name for t in threading.enumerate())
    assert not any(t.name == f"job-{job.pk}-heartbeat" for t in threading.enumerate())
    assert heartbeat.read(job.token, job.attempt) is None
    assert services.is_stale(Job.objects.get(pk=job.pk))  # its worker gone silent: the sweeper may take it


def test_a_stopped_process_marks_its_job_interrupted_at_once_R_OPS_03():
    job = services.create("warning_run")
    services.claim(job)
    with pytest.raises(KeyboardInterrupt), services.running(job):
        raise KeyboardInterrupt
    job.refresh_from_db()
    assert job.state == JobState.INTERRUPTED and "后台任务被停止" in job.error and "未写入任何数据" in job.error


def test_quiet_times_queued_and_running_R_OPS_03(settings):
    settings.FANGPIN_IMPORT_STALL_SECONDS = 1800
    settings.FANGPIN_JOB_DEAD_SECONDS = 300
    queued = services.create("export")
    age(queued, 20)
    assert not services.is_stale(queued)  # the worker may be busy with another job: 30 minutes
    age(queued, 31)
    assert services.is_stale(queued)
    running = services.create("export")
    services.claim(running)
    age(running, 4)
    assert not services.is_stale(running)
    age(running, 6)
    assert services.is_stale(running)  # no heartbeat for 5 minutes: its worker died


def test_a_kind_updates_its_own_records_in_the_sweepers_transaction_R_OPS_03():
    seen = []
    kinds.register(kinds.JobKind("quality_run", "质量评分", on_interrupted=lambda job: seen.append((job.pk, job.error)),
                                 interrupted_message="{reason}，质量评分已中断；请重新运行"))
    job = services.create("quality_run")
    services.claim(job)
    age(job, 60)
    assert services.sweep() == [job]
    assert seen == [(job.pk, "后台任务超过5分钟没有进展（任务进程可能已停止），质量评分已中断；请重新运行")]
