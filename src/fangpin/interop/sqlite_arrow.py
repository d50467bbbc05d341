"""Read the live SQLite database as Arrow, in a child process of its own.

The ADBC SQLite driver carries its own copy of the SQLite library, beside the one Python's ``sqlite3``
(and so Django) uses. Two copies of SQLite in one process must never open the same database file: the
locks SQLite takes are POSIX locks, held per process, and one copy knows nothing of the other's. When
the driver's connection closes it releases the locks Django's connection holds on the file and, finding
no other connection it knows of, checkpoints the WAL and deletes it — while Django's connection goes on
writing into the deleted file. Those writes are lost to every other process: an export that wrote its
workbook stayed "running" for ever, because its worker's later updates went nowhere.

So the driver runs here, in a separate process (just another reader, as the web server's are), and
streams its Arrow record batches back through a pipe:

    python -m fangpin.interop.sqlite_arrow <database file> <busy timeout ms>   (the SELECT on stdin)

Nothing here imports Django; the parent side (``read``) imports polars and pyarrow only when called.
"""

from __future__ import annotations

import logging
import subprocess
import sys

log = logging.getLogger(__name__)


def read(path: str, sql: str, timeout_ms: int):
    """The SELECT's result as a polars frame, or None when the driver is missing or the child failed
    (the caller then reads through its own connection)."""
    try:
        import adbc_driver_sqlite  # noqa: F401 - only to know whether the driver is installed
        import polars as pl
        import pyarrow.ipc
    except ImportError:
        return None
    proc = subprocess.Popen(
        [sys.executable, "-m", __name__, path, str(int(timeout_ms))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        proc.stdin.write(sql.encode("utf-8"))
        proc.stdin.close()
        table = pyarrow.ipc.open_stream(proc.stdout).read_all()
    except (OSError, pyarrow.ArrowInvalid):
        table = None
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode("utf-8", "replace")
        proc.stderr.close()
        code = proc.wait()
    if code != 0 or table is None:
        log.warning("reading the database through the Arrow driver failed (exit %s): %s", code, stderr[-2000:])
        return None
    return pl.from_arrow(table, rechunk=False)


def _child(path: str, timeout_ms: int) -> None:
    # The driver's own interface, not its DB-API module (that one imports polars and pyarrow.dataset:
    # half a second per read); the rows are streamed in the driver's batches (64 MB at most measured
    # for 1M rows × 25 text columns).
    import adbc_driver_manager
    import adbc_driver_sqlite
    import pyarrow
    import pyarrow.ipc

    sql = sys.stdin.buffer.read().decode("utf-8")
    database = adbc_driver_sqlite.connect(path)
    try:
        conn = adbc_driver_manager.AdbcConnection(database)
        try:
            stmt = adbc_driver_manager.AdbcStatement(conn)
            try:
                # Wait for locks as Django's own connections do: in WAL mode a reader is still refused for
                # a moment while another process opens the database or checkpoints it on closing.
                stmt.set_sql_query(f"PRAGMA busy_timeout = {int(timeout_ms)}")
                stmt.execute_update()
                stmt.set_sql_query(sql)
                stream, _ = stmt.execute_query()
                reader = pyarrow.RecordBatchReader.from_stream(stream)
                with pyarrow.ipc.new_stream(sys.stdout.buffer, reader.schema) as out:
                    for batch in reader:
                        out.write_batch(batch)
            finally:
                stmt.close()
        finally:
            conn.close()
    finally:
        database.close()


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]))
