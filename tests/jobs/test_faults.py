"""Bad input and faults of background jobs (R-OPS-03): a task delivered twice runs once; a worker killed in
the middle of an apply leaves nothing written, its job is shown interrupted by the sweeper and a re-run
succeeds; a worker that was only slow cannot write after the sweeper gave its job up."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection

import fangpin
from fangpin.audit.models import Event
from fangpin.interop import jobs, services
from fangpin.interop.models import ImportJob, ImportStatus
from fangpin.interop.tasks import apply_import, check_import
from fangpin.jobs import heartbeat
from fangpin.jobs.models import JobState
from fangpin.registry.models import Household, Member

from .conftest import checked_import

only_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="另一个工作进程或连接同时访问数据库需要 PostgreSQL（SQLite 测试库在内存中，只有本进程可见）",
)


def test_an_import_task_delivered_twice_runs_once_R_OPS_03(county, personas, xlsx, family):
    officer = personas["county_officer"]
    with open(xlsx(family()), "rb") as fh:
        job = services.start_import(officer, county["county"], fh, name="监测对象.xlsx", enqueue=False)
    assert check_import.call(job.pk, 1) == ImportStatus.CHECKED
    issues = job.issues.count()
    assert check_import.call(job.pk, 1) == ImportStatus.CHECKED  # delivered again: nothing happens
    job.refresh_from_db()
    assert job.issues.count() == issues and job.job.attempt == 1 and job.job.state == JobState.SUCCEEDED
    services.request_apply(officer, job, refused_seen=False, divisions_confirmed=False, enqueue=False)
    assert apply_import.call(job.pk, 2) == ImportStatus.APPLIED
    counts = (Household.objects.count(), Member.objects.count(), Event.objects.count())
    assert apply_import.call(job.pk, 2) == ImportStatus.APPLIED
    assert check_import.call(job.pk, 1) == ImportStatus.APPLIED  # the dry run's task, very late
    assert (Household.objects.count(), Member.objects.count(), Event.objects.count()) == counts
    assert Household.objects.filter(number="3406211002019001").count() == 1


@only_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_apply_task_delivered_to_four_workers_at_once_applies_once_R_OPS_03(county, personas, xlsx, family):
    officer = personas["county_officer"]
    job = checked_import(county["county"], xlsx(family()), officer)
    services.request_apply(officer, job, refused_seen=False, divisions_confirmed=False, enqueue=False)
    barrier = threading.Barrier(4)
    results = []

    def worker():
        close_old_connections()
        try:
            barrier.wait()
            results.append(jobs.run_apply(job.pk, attempt=2).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(results) == 4 and ImportJob.objects.get(pk=job.pk).status == ImportStatus.APPLIED
    assert Household.objects.filter(number="3406211002019001").count() == 1
    assert Event.objects.filter(source="import", action="household.import_create").count() == 1


@only_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_slow_apply_given_up_by_the_sweeper_writes_nothing_R_OPS_03(county, personas, xlsx, family, monkeypatch, settings):
    """The worker was alive but silent past the quiet time (a frozen machine): the sweeper marks its job
    interrupted from another process; when the worker wakes up, its transaction is rolled back."""
    officer = personas["county_officer"]
    job = checked_import(county["county"], xlsx(family()), officer)
    services.request_apply(officer, job, refused_seen=False, divisions_confirmed=False, enqueue=False)
    real = jobs.apply_plan

    def frozen(plan, **kw):
        result = real(plan, **kw)  # everything written, not yet committed
        settings.FANGPIN_JOB_DEAD_SECONDS = 0
        sweeper = threading.Thread(target=lambda: (close_old_connections(), call_command("sweep_jobs", stdout=io.StringIO()),
                                                   connection.close()))
        sweeper.start()
        sweeper.join(30)
        return result

    monkeypatch.setattr(jobs, "apply_plan", frozen)
    job = jobs.run_apply(job.pk)
    assert job.status == ImportStatus.FAILED and "已视为中断" in job.error
    assert job.job.state == JobState.INTERRUPTED
    assert not Household.objects.filter(number="3406211002019001").exists()
    assert not Event.objects.filter(source="import").exists()


def _worker_env(media_root: Path) -> dict:
    db = connection.settings_dict
    url = f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    src = str(Path(fangpin.__file__).resolve().parent.parent)
    drop = ("FANGPIN_TEST_DB_NAME", "FANGPIN_TEST_SQLITE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(DATABASE_URL=url, FANGPIN_DATA_DIR=str(media_root.parent), PYTHONPATH=src, DJANGO_DEBUG="1",
               FANGPIN_TASKS_BACKEND="django_tasks_db.DatabaseBackend", FANGPIN_JOB_HEARTBEAT_SECONDS="0.2")
    return env


@only_postgres
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_in_the_middle_of_an_apply_writes_nothing_and_a_rerun_succeeds_R_OPS_03(
    county, personas, xlsx, family, settings, tmp_path
):
    """A real ``db_worker`` process is killed (SIGKILL) while its apply has written households and members
    and waits to write the audit events (held back by a table lock this test takes)."""
    media = tmp_path / "data" / "media"
    media.mkdir(parents=True)
    settings.MEDIA_ROOT = str(media)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    officer = personas["county_officer"]
    job = checked_import(county["county"], xlsx(family()), officer)
    services.request_apply(officer, job, refused_seen=False, divisions_confirmed=False)  # queued for the worker
    job.refresh_from_db()
    import psycopg

    db = connection.settings_dict
    blocker = psycopg.connect(dbname=db["NAME"], user=db["USER"] or None, host=db["HOST"] or None, port=db["PORT"] or None)
    blocker.execute(f"LOCK TABLE {Event._meta.db_table} IN SHARE MODE")  # the apply stops at its audit events
    worker = subprocess.Popen(
        [sys.executable, "-m", "fangpin.manage", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        env=_worker_env(media), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 25
        while True:
            beat = heartbeat.read(job.job.token, job.job.attempt)
            if beat is not None and beat.phase == "写入操作留痕":
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the worker did not reach the audit events"
            time.sleep(0.05)
        time.sleep(0.3)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
        blocker.rollback()
        blocker.close()
    assert not Household.objects.filter(number="3406211002019001").exists()
    assert ImportJob.objects.get(pk=job.pk).job.state == JobState.RUNNING  # the dead worker cannot say so

    settings.FANGPIN_JOB_DEAD_SECONDS = 1
    time.sleep(1.2)
    out = io.StringIO()
    call_command("sweep_jobs", stdout=out)
    assert f"导入#{job.pk}（濉溪县，导入中）" in out.getvalue() and "已标记为中断" in out.getvalue()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "已视为中断" in job.error and job.job.state == JobState.INTERRUPTED
    assert not Household.objects.filter(number="3406211002019001").exists() and not Event.objects.filter(source="import").exists()

    settings.FANGPIN_JOB_DEAD_SECONDS = 300
    services.recheck(officer, job, enqueue=False)
    job = jobs.run_check(job.pk)
    services.request_apply(officer, job, refused_seen=False, divisions_confirmed=False, enqueue=False)
    assert jobs.run_apply(job.pk).status == ImportStatus.APPLIED
    assert Household.objects.filter(number="3406211002019001").count() == 1
