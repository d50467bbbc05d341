"""Kinds of background job, registered by the apps that own them (``AppConfig.ready``).

The mechanism (claim, progress, heartbeat, sweep) is the same for every kind; a kind adds what only
its app knows: how to name a job to an operator, and what to do to its own records when the sweeper
finds the job's worker dead (run in the sweeper's transaction). The jobs app imports no app above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# What the user reads about a job whose worker stopped; {reason} says how it was noticed
# ("后台任务超过30分钟没有进展（任务进程可能已停止）").
DEFAULT_INTERRUPTED = "{reason}，已视为中断，未写入任何数据；请重新运行"


@dataclass(frozen=True)
class JobKind:
    name: str
    label: str  # 导入, 导出 …
    describe: Callable | None = None  # job -> "导入#12（濉溪县，导入中）" for operators' output
    on_interrupted: Callable | None = None  # job -> None: update the app's own records (same transaction)
    interrupted_message: str = DEFAULT_INTERRUPTED


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    return _KINDS.get(name) or JobKind(name=name, label=name)


def describe(job) -> str:
    kind = get(job.kind)
    if kind.describe is not None:
        try:
            return kind.describe(job)
        except Exception:  # noqa: BLE001 - a record without its app row is still listed
            pass
    return f"{kind.label}任务#{job.pk}"
