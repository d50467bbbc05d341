"""County-scoped locks: a county-wide batch (an import's apply) keeps the county's writers out, and only
that county's (R-OPS-04).

On PostgreSQL every write of a service takes its county's advisory lock in shared mode
(``county_write_lock``, called by the write door ``accounts.scoping.require_write_in``); a batch takes
it exclusively (``county_batch_lock``). Writers of one county run side by side, writers of other
counties never wait for a batch, and a batch waits for the county's running writes to end and then
keeps new ones out until it commits. Both are transaction-level locks (``pg_advisory_xact_lock*``),
released at commit or rollback, so nothing is left behind by a failure or a killed process.

A writer does not queue for the lock: it tries it, and while a batch holds it the writer retries for
up to ``FANGPIN_COUNTY_LOCK_WAIT_SECONDS`` (default 20, SQLite's busy timeout) and then gives up with
``CountyBusy`` (the pages and the API answer 503 "please try again"). Queuing would risk a deadlock:
a service that already locked a household row and then queued behind the batch would wait for the
batch while the batch waits for that row, and PostgreSQL might cancel the batch. A retrying writer
holds up the batch at most until it gives up and rolls back.

On SQLite there is one writer for the whole database anyway (transactions start ``IMMEDIATE``): these
functions do nothing, and a write that waits past the busy timeout fails with "database is locked",
which ``is_busy_error`` recognises for the same 503 answer.

The key is (``COUNTY_LOCK_SPACE``, the 6-digit county code as an integer): PostgreSQL's two-integer
advisory keys never collide with single-bigint ones other code might use.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

COUNTY_LOCK_SPACE = int.from_bytes(b"fpCL", "big")  # 1718633292, fits a PostgreSQL int4
COUNTY_CODE_LENGTH = 6
BUSY_MESSAGE = "系统正在写入大批数据（如导入），请稍后再试"


class CountyBusy(Exception):
    """A write waited too long for a county-wide batch (an import) to finish; nothing was written."""

    def __init__(self, message: str = BUSY_MESSAGE):
        super().__init__(message)


def county_of(code: str | None) -> str | None:
    """The county (6-digit code) a division code lies in; None above county level."""
    code = (code or "").strip()
    if len(code) < COUNTY_CODE_LENGTH or not code[:COUNTY_CODE_LENGTH].isdigit():
        return None
    return code[:COUNTY_CODE_LENGTH]


def wait_seconds() -> float:
    return float(getattr(settings, "FANGPIN_COUNTY_LOCK_WAIT_SECONDS", 20))


def _applies(connection) -> bool:
    return connection.vendor == "postgresql" and connection.in_atomic_block


def county_write_lock(code: str | None, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Take the county's lock in shared mode for the rest of the transaction (PostgreSQL).

    Returns at once unless a batch of the county holds or awaits it; then retries until the batch
    ends or ``wait_seconds()`` pass (``CountyBusy``). A transaction that holds the county's batch
    lock itself passes. Outside a transaction, on SQLite and above county level: nothing to do.
    """
    connection = connections[using]
    county = county_of(code)
    if county is None or not _applies(connection):
        return
    key = [COUNTY_LOCK_SPACE, int(county)]
    deadline = time.monotonic() + wait_seconds()
    delay = 0.02
    with connection.cursor() as cur:
        while True:
            cur.execute("SELECT pg_try_advisory_xact_lock_shared(%s::integer, %s::integer)", key)
            if cur.fetchone()[0]:
                return
            # A waiting batch of another session refuses shared requests, even from the session that
            # holds the batch lock: that session (an import creating a village) may go on.
            cur.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND classid = %s::integer::oid AND objid = %s::integer::oid AND objsubid = 2 AND mode = 'ExclusiveLock' AND granted)",
                [COUNTY_LOCK_SPACE, int(county)],
            )
            if cur.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise CountyBusy()
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def county_batch_lock(code: str, *, wait: bool = True, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Take the county's lock exclusively for the rest of the transaction (PostgreSQL).

    Waits for the county's running writes to end (they are short) and for another batch of the same
    county to commit, unless ``wait`` is false: then returns False instead of waiting. Must be called
    inside ``transaction.atomic()``. On SQLite the transaction's write lock already excludes everyone.
    """
    connection = connections[using]
    county = county_of(code)
    if county is None:
        raise ValueError(f"{code} 不是县（区）及以下的区划代码")
    if connection.vendor != "postgresql":
        return True
    if not connection.in_atomic_block:
        raise RuntimeError("county_batch_lock must be called inside transaction.atomic()")
    with connection.cursor() as cur:
        if wait:
            cur.execute("SELECT pg_advisory_xact_lock(%s::integer, %s::integer)", [COUNTY_LOCK_SPACE, int(county)])
            return True
        cur.execute("SELECT pg_try_advisory_xact_lock(%s::integer, %s::integer)", [COUNTY_LOCK_SPACE, int(county)])
        return bool(cur.fetchone()[0])


def is_busy_error(exc: BaseException | None) -> bool:
    """A write refused because a batch holds the database (SQLite) or the county (PostgreSQL)."""
    if isinstance(exc, CountyBusy):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return "database is locked" in text or "database table is locked" in text
    return False
