"""How the API shows a background job, the same for every kind (R-OPS-03)."""

from __future__ import annotations

import datetime as dt

from ninja import Schema

from .models import Job


class JobOut(Schema):
    id: int
    kind: str
    state: str  # queued / running / succeeded / failed / interrupted
    state_label: str
    progress: int  # 0–100
    phase: str  # what it is doing now (Chinese)
    attempt: int
    error: str
    queued_at: dt.datetime
    started_at: dt.datetime | None
    heartbeat_at: dt.datetime | None
    finished_at: dt.datetime | None


def job_out(job: Job | None) -> dict | None:
    if job is None:
        return None
    pct, phase = job.live_progress
    return {
        "id": job.pk, "kind": job.kind, "state": job.state, "state_label": job.get_state_display(), "progress": pct,
        "phase": phase, "attempt": job.attempt, "error": job.error, "queued_at": job.queued_at, "started_at": job.started_at,
        "heartbeat_at": job.heartbeat_at, "finished_at": job.finished_at,
    }
