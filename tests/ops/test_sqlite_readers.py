"""Several processes on one SQLite file (R-OPS-01): the web server opens and closes a connection per
request while the worker's dry run reads the county through ADBC (in a child process of its own, decision
0011). The reader must wait for the brief locks those openings and closings take, as Django's own
connections do, instead of failing the import (or falling back to the slow cursor read)."""

import sqlite3
import subprocess
import sys
import time

from fangpin.interop.state import adbc_frame

from .conftest import only_sqlite

OPEN_AND_CLOSE = """
import sqlite3, sys, time
end = time.time() + float(sys.argv[2])
while time.time() < end:
    con = sqlite3.connect(sys.argv[1], timeout=20)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("SELECT COUNT(*) FROM t").fetchone()
    con.close()
"""


@only_sqlite
def test_the_dry_runs_sqlite_reader_waits_for_other_processes_connections_R_OPS_01(tmp_path):
    path = tmp_path / "fangpin.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE t (x TEXT)")
    con.executemany("INSERT INTO t VALUES (?)", [(str(i),) for i in range(100)])
    con.commit()
    con.close()
    other = subprocess.Popen([sys.executable, "-c", OPEN_AND_CLOSE, str(path), "120"])
    try:
        time.sleep(0.5)
        for _ in range(8):  # each read starts the reader's process: a handful of reads, all while the other one churns
            frame = adbc_frame(str(path), "SELECT x FROM t", ["x"])
            assert frame is not None and frame.height == 100
            assert other.poll() is None
    finally:
        other.kill()
        other.wait(timeout=30)
