"""Per-process caches that every process invalidates (R-CFG-04).

Profiles, the working-day calendar and the member value lists are read on almost every page, so each
process keeps them in memory. Each kind of configuration has a row in ``ConfigStamp`` whose counter is
raised (:func:`changed`) in the same transaction as any change to it, by whichever process makes it.
Before a cache is used, :func:`ensure_fresh` compares the counters with those the process last saw and
clears the caches of every kind that moved. The comparison is one indexed SELECT of a few rows, made
at most once per web request or background task (the first time a cache is used in it) and, for code
that runs outside requests and tasks, at most every ``FANGPIN_CACHE_RECHECK_SECONDS`` (default 2).

A kind's caches register their clear function with :func:`register`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import receiver

PROFILES = "profiles"
CALENDAR = "calendar"
VOCAB = "vocab"
DEFAULT_RECHECK_SECONDS = 2.0

_clearers: dict[str, list[Callable[[], None]]] = {}
_NEVER = object()
_seen: dict[str, object] = {}
_checked_at: float | None = None


def register(kind: str, clear: Callable[[], None]) -> None:
    """``clear`` empties this process's cache of configuration ``kind``."""
    clears = _clearers.setdefault(kind, [])
    if clear not in clears:
        clears.append(clear)


def clear_local(kind: str) -> None:
    """Empty this process's caches of ``kind`` and make the next check reload them in any case."""
    for clear in _clearers.get(kind, ()):
        clear()
    _seen[kind] = _NEVER


def recheck_soon() -> None:
    """The next use of a cache compares the stamps again (called when a request or a task starts)."""
    global _checked_at
    _checked_at = None


_recheck: list[float] = []


def _recheck_seconds() -> float:
    if not _recheck:
        _recheck.append(float(getattr(settings, "FANGPIN_CACHE_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS)))
    return _recheck[0]


@receiver(setting_changed)
def _setting_changed(setting, **kwargs):
    if setting == "FANGPIN_CACHE_RECHECK_SECONDS":
        _recheck.clear()


def ensure_fresh() -> None:
    """Clear the caches of every kind another process changed since this one last looked."""
    global _checked_at
    now = time.monotonic()
    if _checked_at is not None and now - _checked_at < _recheck_seconds():
        return
    from .models import ConfigStamp

    versions = dict(ConfigStamp.objects.values_list("kind", "version"))
    _checked_at = now
    for kind in _clearers:
        version = versions.get(kind, 0)
        if _seen.get(kind, _NEVER) != version:
            for clear in _clearers[kind]:
                clear()
            _seen[kind] = version


def changed(kind: str) -> None:
    """Configuration ``kind`` changed in the current transaction: raise its stamp for every process and
    empty this process's caches now and again when the transaction commits."""
    from .models import ConfigStamp

    if not ConfigStamp.objects.filter(kind=kind).update(version=F("version") + 1):
        try:
            with transaction.atomic():
                ConfigStamp.objects.create(kind=kind, version=1)
        except IntegrityError:
            ConfigStamp.objects.filter(kind=kind).update(version=F("version") + 1)
    clear_local(kind)
    transaction.on_commit(lambda: clear_local(kind))
