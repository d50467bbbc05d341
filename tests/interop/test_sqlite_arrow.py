"""The county's rows are read through the ADBC driver without losing anybody's writes (R-OPS-03).

The driver carries its own copy of SQLite; opened in the worker's own process it released the locks of
the worker's Django connection and deleted the WAL under it when it closed, so everything the worker
wrote afterwards (an export's "done", its job's result) never reached any other process.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from fangpin.interop import sqlite_arrow

pytest.importorskip("adbc_driver_sqlite")


def _other_process_count(path) -> int:
    """What another process (a web request) sees: it opens, reads and closes the database."""
    code = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from t').fetchone()[0]); c.close()"
    out = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    return int(out.stdout)


@pytest.fixture
def wal_db(tmp_path):
    path = tmp_path / "county.sqlite3"
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, note TEXT)")
    con.execute("INSERT INTO t (name, note) VALUES ('张三', NULL), ('李四', '低保')")
    yield path, con
    con.close()


def test_writes_after_an_arrow_read_reach_other_processes_R_OPS_03(wal_db):
    path, worker = wal_db
    frame = sqlite_arrow.read(str(path), "SELECT CAST(id AS TEXT), name, note FROM t ORDER BY id", 1000)
    assert frame is not None and frame.height == 2
    assert (path.parent / (path.name + "-wal")).exists()  # the worker's WAL is still in place
    assert _other_process_count(path) == 2  # a request opens and closes the database meanwhile
    worker.execute("INSERT INTO t (name) VALUES ('王五')")  # the worker goes on writing
    assert worker.execute("SELECT count(*) FROM t").fetchone()[0] == 3
    assert _other_process_count(path) == 3  # and everybody else sees it


def test_the_frame_carries_the_rows_and_their_nulls_R_OPS_03(wal_db):
    path, _ = wal_db
    frame = sqlite_arrow.read(str(path), "SELECT CAST(id AS TEXT), name, note FROM t ORDER BY id", 1000)
    assert frame.rows() == [("1", "张三", None), ("2", "李四", "低保")]
    empty = sqlite_arrow.read(str(path), "SELECT name FROM t WHERE id < 0", 1000)
    assert empty is not None and empty.height == 0


def test_a_failed_read_answers_none_so_the_caller_reads_itself_R_OPS_03(wal_db, caplog):
    path, _ = wal_db
    assert sqlite_arrow.read(str(path), "SELECT no_such_column FROM t", 1000) is None
    assert "exit" in caplog.text
