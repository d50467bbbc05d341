"""Helpers for the operations tests: a throwaway PostgreSQL database and a writer that keeps inserting
audit events through its own connection while a backup runs."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid

import pytest
from django.db import connection

from fangpin.audit.models import Event
from fangpin.ops.backup import _pg_env

EVENTS = Event._meta.db_table

only_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's online backup API; the PostgreSQL pass runs the pg_dump test"
)
only_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="pg_dump/pg_restore need PostgreSQL; the SQLite pass runs the SQLite test"
)


def current_db() -> dict:
    return dict(connection.settings_dict)


def admin_env(db: dict) -> dict:
    env = _pg_env(db)
    env.pop("PGDATABASE", None)
    return env


@pytest.fixture
def throwaway_postgres():
    """A database created for one test on the test server (createdb/dropdb), dropped afterwards."""
    db = current_db()
    name = f"fp_restore_{uuid.uuid4().hex[:10]}"
    env = admin_env(db)
    subprocess.run(["createdb", name], env=env, check=True, capture_output=True)
    try:
        yield {**db, "NAME": name}
    finally:
        subprocess.run(["dropdb", "--if-exists", name], env=env, check=False, capture_output=True)


def connect(db: dict):
    """A plain DB-API connection of our own to ``db`` (not Django's)."""
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        return sqlite3.connect(name, uri=name.startswith("file:"), timeout=20)
    import psycopg

    return psycopg.connect(
        dbname=db["NAME"], user=db.get("USER") or None, password=db.get("PASSWORD") or None,
        host=db.get("HOST") or None, port=db.get("PORT") or None,
    )


def event_columns(con) -> list[str]:
    cur = con.cursor()
    cur.execute(f"SELECT * FROM {EVENTS} WHERE 1 = 0")
    return [d[0] for d in cur.description]


def rows(con, sql: str, params=()) -> list[tuple]:
    cur = con.cursor()
    cur.execute(sql.replace("?", "%s") if not isinstance(con, sqlite3.Connection) else sql, params)
    return cur.fetchall()


class Writer(threading.Thread):
    """Copies audit event ``template_id`` again and again, one committed insert at a time, through its
    own connection: what the web server and the worker do while a nightly backup runs."""

    def __init__(self, db: dict, template_id: int):
        super().__init__(daemon=True)
        self.db, self.template_id = db, template_id
        self.inserted = 0
        self.error: BaseException | None = None
        self.stop = threading.Event()

    def run(self):
        try:
            con = connect(self.db)
            cols = [c for c in event_columns(con) if c != "id"]
            names = ", ".join(cols)
            mark = "?" if isinstance(con, sqlite3.Connection) else "%s"
            sql = f"INSERT INTO {EVENTS} ({names}) SELECT {names} FROM {EVENTS} WHERE id = {mark}"
            while not self.stop.is_set():
                con.cursor().execute(sql, (self.template_id,))
                con.commit()
                self.inserted += 1
                time.sleep(0.002)
            con.close()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_for(self, n: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        start = self.inserted
        while self.inserted < start + n:
            assert self.error is None, self.error
            assert time.monotonic() < deadline, "the writer made no progress"
            time.sleep(0.01)

    def finish(self) -> int:
        self.stop.set()
        self.join(30)
        assert self.error is None, self.error
        return self.inserted


def machine_env() -> dict:
    """This process's environment without what the test run itself set (the test database, pytest's
    async switch): what a command started by an operator would see."""
    drop = ("DATABASE_URL", "FANGPIN_TEST_DB_NAME", "FANGPIN_TEST_SQLITE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    return {k: v for k, v in os.environ.items() if k not in drop}


def manage(*args, env: dict, timeout: float = 120) -> subprocess.CompletedProcess:
    from django.conf import settings

    return subprocess.run(
        [sys.executable, "-m", "fangpin.manage", *args],
        env=env, cwd=str(settings.PROJECT_DIR), capture_output=True, text=True, timeout=timeout,
    )
