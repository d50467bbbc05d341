"""The life of a background job, the same for every kind (R-OPS-03).

    job = create("export", owner=user, scope_code=county.code)      # queued, attempt 1
    some_task.enqueue(domain_id, job.attempt)                       # (on commit)
    # in the worker:
    if not claim(job, attempt):       # a late or duplicate task: nothing to do
        return
    with running(job) as report:      # heartbeat thread; KeyboardInterrupt/SystemExit mark it interrupted
        report(40, "写出数据")
        with transaction.atomic():
            ...write...
            if not finish(job, result={...}):   # the sweeper gave it up meanwhile: roll back
                raise JobLost

``claim`` is a compare-and-set from ``queued`` (for the attempt the task was sent for) to ``running``:
of two deliveries of one task only one gets it; a task sent for an earlier attempt gets nothing.
``finish`` and ``fail`` are compare-and-sets from ``running`` of the same attempt, so a job the
sweeper marked interrupted is never turned into a success afterwards (and a job that succeeded is
never marked interrupted: the sweeper's update requires ``running``/``queued`` of the same attempt).

Quiet times: a job ``queued`` for ``stall_seconds()`` (``FANGPIN_IMPORT_STALL_SECONDS``, default
1800: the worker may be busy with a long job before it) or ``running`` without a heartbeat for
``dead_seconds()`` (``FANGPIN_JOB_DEAD_SECONDS``, default 300; the worker beats every 10 seconds) is
interrupted — by ``sweep`` (the ``sweep_jobs`` command, run by a timer) or when its page is opened.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from fangpin.areas.locks import is_busy_error

from . import heartbeat, kinds
from .models import ACTIVE_STATES, Job, JobState

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]

STALLED_REASON = "后台任务超过{minutes}分钟没有进展（任务进程可能已停止）"
STOPPED_REASON = "后台任务被停止（服务重启或命令被中断）"


class JobLost(Exception):
    """The job is no longer this worker's (interrupted by the sweeper meanwhile): roll back, write nothing."""


def stall_seconds() -> int:
    return int(getattr(settings, "FANGPIN_JOB_STALL_SECONDS", getattr(settings, "FANGPIN_IMPORT_STALL_SECONDS", 1800)))


def dead_seconds() -> int:
    return int(getattr(settings, "FANGPIN_JOB_DEAD_SECONDS", os.environ.get("FANGPIN_JOB_DEAD_SECONDS", 300)))


# --- create, queue, claim ---------------------------------------------------------------------------


def create(kind: str, *, owner=None, scope_code: str = "", phase: str = "") -> Job:
    """A new job, queued (attempt 1). The caller enqueues its task with ``job.attempt``, on commit."""
    owner = owner if owner is not None and getattr(owner, "is_authenticated", False) else None
    return Job.objects.create(kind=kind, owner=owner, scope_code=scope_code, phase=phase[:100])


def requeue(job: Job, *, phase: str = "") -> Job:
    """Queue the job again (a re-run, or the next step of its work) as a new attempt. Refused (returns
    the job unchanged, still running) while a worker holds it."""
    now = timezone.now()
    updated = Job.objects.filter(pk=job.pk).exclude(state=JobState.RUNNING).update(
        state=JobState.QUEUED, attempt=F("attempt") + 1, progress=0, phase=phase[:100], error="", result={},
        queued_at=now, started_at=None, heartbeat_at=None, finished_at=None,
    )
    job.refresh_from_db()
    if not updated:
        log.info("job %s is running: not queued again", job.pk)
    return job


def claim(job: Job, attempt: int | None = None) -> bool:
    """Take the queued job for this worker; False for a task that is late (another attempt) or a
    duplicate (already claimed), or for a job no longer waiting. ``attempt`` None: the current one
    (the command line, which runs the job itself)."""
    qs = Job.objects.filter(pk=job.pk, state=JobState.QUEUED)
    if attempt is not None:
        qs = qs.filter(attempt=attempt)
    now = timezone.now()
    if not qs.update(state=JobState.RUNNING, started_at=now, heartbeat_at=now, progress=0, error=""):
        job.refresh_from_db()
        log.info("job %s (%s, attempt %s, task for attempt %s) is not waiting: nothing to do", job.pk, job.state, job.attempt, attempt)
        return False
    job.refresh_from_db()
    heartbeat.write(job.token, job.attempt, 0, job.phase)
    return True


# --- progress and heartbeat -------------------------------------------------------------------------


def report(job: Job, pct: int, phase: str) -> None:
    """Progress of a running job: always to its heartbeat file; to its row too when no transaction is
    open (inside one the row would only change at commit, and on PostgreSQL stay locked until then)."""
    pct = max(0, min(100, int(pct)))
    job.progress, job.phase = pct, phase[:100]
    heartbeat.write(job.token, job.attempt, pct, job.phase)
    if not connection.in_atomic_block:
        try:
            Job.objects.filter(pk=job.pk, attempt=job.attempt, state=JobState.RUNNING).update(
                progress=pct, phase=job.phase, heartbeat_at=timezone.now()
            )
        except OperationalError as exc:  # SQLite held by an import for longer than the busy timeout: the file has it
            if not is_busy_error(exc):
                raise
            log.info("job %s: progress kept in its heartbeat file only (database busy)", job.pk)


class Reporter:
    """``report`` for one run, keeping the seconds spent in each phase (operators, the benchmark)."""

    def __init__(self, job: Job, extra: Progress | None = None):
        self.job, self.extra = job, extra
        self.pct, self.phase = job.progress, job.phase
        self.last = time.monotonic()
        self.label = ""
        self.marks: list[tuple[str, float]] = []

    def __call__(self, pct: int, phase: str) -> None:
        now = time.monotonic()
        if self.label:
            self.marks.append((self.label, round(now - self.last, 2)))
        self.last, self.label = now, phase
        self.pct, self.phase = int(pct), phase
        report(self.job, pct, phase)
        if self.extra is not None:
            self.extra(pct, phase)

    def timings(self) -> list[tuple[str, float]]:
        return [*self.marks, (self.label, round(time.monotonic() - self.last, 2))] if self.label else list(self.marks)


def _beat(job: Job, reporter: Reporter, stop: threading.Event) -> None:
    every = heartbeat.interval()
    while not stop.wait(every):
        try:
            heartbeat.write(job.token, job.attempt, reporter.pct, reporter.phase)
        except OSError:  # a full disk must not kill the job; the sweeper will see the silence
            log.warning("job %s: heartbeat not written", job.pk, exc_info=True)


@contextmanager
def running(job: Job, extra: Progress | None = None):
    """Run the claimed job's work: a thread beats its heartbeat file while the block runs; yields the
    ``Reporter``. If the process is being stopped (KeyboardInterrupt, SystemExit) the job is marked
    interrupted at once instead of waiting for the sweeper."""
    reporter = Reporter(job, extra)
    stop = threading.Event()
    thread = threading.Thread(target=_beat, args=(job, reporter, stop), name=f"job-{job.pk}-heartbeat", daemon=True)
    thread.start()
    try:
        yield reporter
    except (KeyboardInterrupt, SystemExit):
        try:
            interrupt(job, STOPPED_REASON)
        except Exception:  # noqa: BLE001 - the sweeper marks it later
            log.warning("job %s: could not be marked interrupted while stopping", job.pk, exc_info=True)
        raise
    finally:
        stop.set()
        thread.join(timeout=5)
        heartbeat.remove(job.token)


# --- the end of a run --------------------------------------------------------------------------------


def finish(job: Job, *, result: dict | None = None, phase: str = "已完成") -> bool:
    """Mark this run succeeded; call it in the transaction that writes the run's results, and roll
    back if it answers False (the sweeper gave the job up meanwhile)."""
    now = timezone.now()
    done = Job.objects.filter(pk=job.pk, attempt=job.attempt, state=JobState.RUNNING).update(
        state=JobState.SUCCEEDED, progress=100, phase=phase[:100], result=result or {}, finished_at=now, heartbeat_at=now,
    )
    if done:
        job.state, job.progress, job.phase, job.result, job.finished_at = JobState.SUCCEEDED, 100, phase[:100], result or {}, now
    return bool(done)


def fail(job: Job, error: str, *, result: dict | None = None) -> bool:
    """Mark this run failed with the Chinese ``error`` the user reads."""
    now = timezone.now()
    done = Job.objects.filter(pk=job.pk, attempt=job.attempt, state=JobState.RUNNING).update(
        state=JobState.FAILED, progress=100, phase="", error=error[:4000], result=result or {}, finished_at=now,
    )
    if done:
        job.state, job.progress, job.phase, job.error, job.finished_at = JobState.FAILED, 100, "", error[:4000], now
    return bool(done)


# --- interrupted jobs ----------------------------------------------------------------------------------


def last_sign_of_life(job: Job) -> dt.datetime:
    """When the job last showed it was alive: queued since, or its latest heartbeat."""
    if job.state == JobState.QUEUED:
        return job.queued_at
    seen = [t for t in (job.started_at, job.heartbeat_at, job.queued_at) if t is not None]
    beat = job.beat
    if beat is not None:
        seen.append(dt.datetime.fromtimestamp(beat.at, tz=dt.UTC))
    return max(seen)


def quiet_limit(job: Job) -> int:
    return stall_seconds() if job.state == JobState.QUEUED else dead_seconds()


def is_stale(job: Job, now: dt.datetime | None = None) -> bool:
    if job.state not in ACTIVE_STATES:
        return False
    now = now or timezone.now()
    return (now - last_sign_of_life(job)).total_seconds() >= quiet_limit(job)


def interrupt(job: Job, reason: str) -> bool:
    """Mark the job's current attempt interrupted (only if it is still queued or running) with its
    kind's message, and let its kind update its own records in the same transaction."""
    kind = kinds.get(job.kind)
    message = kind.interrupted_message.format(reason=reason)
    now = timezone.now()
    with transaction.atomic():
        changed = Job.objects.filter(pk=job.pk, attempt=job.attempt, state__in=ACTIVE_STATES).update(
            state=JobState.INTERRUPTED, error=message[:4000], phase="", finished_at=now,
        )
        if not changed:
            job.refresh_from_db()
            return False
        job.refresh_from_db()
        if kind.on_interrupted is not None:
            kind.on_interrupted(job)
    heartbeat.remove(job.token)
    log.warning("job %s (%s, attempt %s) interrupted: %s", job.pk, job.kind, job.attempt, reason)
    return True


def interrupt_if_stale(job: Job | None, now: dt.datetime | None = None) -> bool:
    """Interrupt the job if its worker has been silent for longer than allowed; True if it was marked."""
    if job is None or not is_stale(job, now):
        return False
    return interrupt(job, STALLED_REASON.format(minutes=max(1, quiet_limit(job) // 60)))


def active_jobs():
    return Job.objects.filter(state__in=ACTIVE_STATES).order_by("pk")


def sweep(now: dt.datetime | None = None) -> list[Job]:
    """Interrupt every active job, of every kind, whose worker is silent for too long; returns them."""
    marked = []
    for job in active_jobs():
        if interrupt_if_stale(job, now):
            marked.append(job)
    return marked
