"""The worker's heartbeat file of a running job: progress and "still alive", readable by any process.

A job that writes its data in one long transaction (an import's apply) cannot update its own row
where others see it — on SQLite nobody else may even write while it runs — so the worker keeps a
small JSON file per job under ``MEDIA_ROOT/jobs/`` (shared between servers like the uploads): the
attempt, the percentage, the phase and the time. A thread of the worker rewrites it every
``FANGPIN_JOB_HEARTBEAT_SECONDS`` (default 10) while the job runs, so its age says whether the
worker is still alive even during a long silent phase.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Beat:
    attempt: int
    pct: int
    phase: str
    at: float  # seconds since the epoch


def folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "jobs"


def path(token: str) -> Path:
    return folder() / f"{token}.json"


def write(token: str, attempt: int, pct: int, phase: str) -> None:
    target = path(token)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = {"attempt": attempt, "pct": int(pct), "phase": phase, "at": time.time()}
    tmp = target.with_name(f"{target.stem}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)


def read(token: str, attempt: int) -> Beat | None:
    """The file's beat if it belongs to ``attempt`` (an older attempt's file says nothing about this one)."""
    try:
        data = json.loads(path(token).read_text(encoding="utf-8"))
        beat = Beat(int(data["attempt"]), int(data["pct"]), str(data["phase"]), float(data["at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return beat if beat.attempt == attempt else None


def remove(token: str) -> None:
    path(token).unlink(missing_ok=True)


def interval() -> float:
    return float(getattr(settings, "FANGPIN_JOB_HEARTBEAT_SECONDS", os.environ.get("FANGPIN_JOB_HEARTBEAT_SECONDS", 10)))
