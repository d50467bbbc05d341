"""A user's write that cannot get the database while an import writes gets a Chinese "try again" (R-OPS-04).

SQLite has one writer: while an import's apply holds the database, another write waits for the busy
timeout and then fails with "database is locked" (the in-memory test database answers "database table
is locked" at once). The page answers 503 with "系统正在写入大批数据（如导入），请稍后再试", the API the same
in JSON, and nothing is written. (On PostgreSQL the county lock does the same: test_county_locks.)
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from django.db import close_old_connections, connection, transaction
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.db.utils import OperationalError

from fangpin.areas.locks import BUSY_MESSAGE, CountyBusy, is_busy_error
from fangpin.audit.models import Event
from fangpin.jobs import services as background
from fangpin.jobs.models import Job
from fangpin.registry.models import Household

only_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single writer; PostgreSQL: test_county_locks")


class Holder(threading.Thread):
    """Holds a write transaction through its own connection, as an import's apply does, until ``release``."""

    def __init__(self):
        super().__init__(daemon=True)
        self.holding, self.go = threading.Event(), threading.Event()

    def run(self):
        close_old_connections()
        try:
            with transaction.atomic():
                job = background.create("import", scope_code="340621")
                Job.objects.filter(pk=job.pk).update(phase="写入家庭成员")
                self.holding.set()
                self.go.wait(30)
        finally:
            connection.close()

    def release(self):
        self.go.set()
        self.join(30)


@only_sqlite
@pytest.mark.django_db(transaction=True)
def test_a_write_refused_by_the_busy_database_gets_a_chinese_503_in_the_page_and_the_api_R_OPS_04(
    county, households, personas, login
):
    client = login(personas["county_officer"])
    h = households["a1"]
    events, phone = Event.objects.count(), h.phone
    holder = Holder()
    holder.start()
    assert holder.holding.wait(10)
    try:
        r = client.post(f"/households/{h.pk}/edit/", {"phone": "13900001111", "address": ""})
        assert r.status_code == 503 and r["Retry-After"]
        page = r.content.decode()
        assert BUSY_MESSAGE in page and "未保存任何内容" in page and "locked" not in page
        r = client.patch(f"/api/households/{h.pk}", {"phone": "13900001111"}, content_type="application/json")
        assert r.status_code == 503 and r.json() == {"detail": BUSY_MESSAGE}
    finally:
        holder.release()
    assert Event.objects.count() == events and Household.objects.get(pk=h.pk).phone == phone
    # Once the import is done the same write goes through.
    r = client.post(f"/households/{h.pk}/edit/", {"phone": "13900001111", "address": ""})
    assert r.status_code == 302 and Household.objects.get(pk=h.pk).phone == "13900001111"


def test_a_file_databases_busy_timeout_is_recognised_as_busy_R_OPS_04(db, tmp_path):
    """What a real server sees: the second writer waits its busy timeout (here 0.2 s), then "database is locked"."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    wrapper = DatabaseWrapper({**connection.settings_dict, "NAME": str(path), "OPTIONS": {"timeout": 0.2}}, alias="busy")
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError) as caught, wrapper.cursor() as cur:
            cur.execute("BEGIN IMMEDIATE")
    finally:
        wrapper.close()
        holder.rollback()
        holder.close()
    assert time.monotonic() - started >= 0.2
    assert "database is locked" in str(caught.value) and is_busy_error(caught.value)
    assert is_busy_error(CountyBusy()) and not is_busy_error(OperationalError("no such table: t"))
