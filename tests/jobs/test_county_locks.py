"""County-scoped locking on PostgreSQL (R-OPS-04): an import's apply locks its county, not whole tables.

A write in another county goes on while the apply runs; a write in the same county waits until the
apply commits; two applies of one county never interleave; applies of two counties run side by side.
The apply is held open in the middle of its transaction (a wrapper around ``apply_plan``) while the
rest of the test acts through other connections, as the web server and a second worker would.

SQLite has one writer for the whole database: these tests need PostgreSQL (DATABASE_URL=postgres://…).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import close_old_connections, connection

from fangpin.areas.locks import CountyBusy
from fangpin.areas.models import Level
from fangpin.audit.models import Event
from fangpin.interop import jobs, services
from fangpin.interop.models import ImportJob, ImportStatus
from fangpin.jobs import heartbeat
from fangpin.registry import services as registry
from fangpin.registry.models import Household
from tests.factories import division, household

from .conftest import checked_import

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("县级锁（advisory lock）并发测试需要 PostgreSQL（SQLite 整库只有一个写入者）：设置 DATABASE_URL=postgres://… 后运行")


@pytest.fixture
def other_county(db):
    """金安区 (county B, profile jinan) with one household."""
    county = division("341502", "金安区", Level.COUNTY, profile_key="jinan")
    town = division("341502100", "城北镇", Level.TOWNSHIP, county)
    village = division("341502100201", "三里村", Level.VILLAGE, town)
    group = division("341502100201001", "第一村民小组", Level.GROUP, village)
    grid = division("34150210020100101", "第一村民小组第一网格", Level.GRID, group)
    return {"county": county, "household": household(grid, "3415021002010001", "金某")}


class PausedApply:
    """Runs ``run_apply`` in a thread of its own and holds it inside its transaction, after the county
    lock and before the first row is written, until ``release``."""

    def __init__(self, monkeypatch):
        self.inside = threading.Event()
        self.go_on = threading.Event()
        self.hold = set()
        real = jobs.apply_plan

        def paused(plan, **kw):
            if threading.current_thread().name in self.hold:
                self.inside.set()
                assert self.go_on.wait(60), "the test never released the apply"
            return real(plan, **kw)

        monkeypatch.setattr(jobs, "apply_plan", paused)

    def start(self, job_id: int, *, hold: bool = True) -> threading.Thread:
        result = {}

        def work():
            close_old_connections()
            try:
                result["job"] = jobs.run_apply(job_id)
            except BaseException as exc:  # reported by the test
                result["error"] = exc
            finally:
                connection.close()

        name = f"apply-{job_id}"
        if hold:
            self.hold.add(name)
        thread = threading.Thread(target=work, name=name, daemon=True)
        thread.result = result
        thread.start()
        return thread

    def release(self):
        self.go_on.set()


def _in_thread(fn) -> threading.Thread:
    result = {}

    def work():
        close_old_connections()
        try:
            result["value"] = fn()
        except BaseException as exc:
            result["error"] = exc
        finally:
            result["at"] = time.monotonic()
            connection.close()

    thread = threading.Thread(target=work, daemon=True)
    thread.result = result
    thread.start()
    return thread


def _confirmed(county, xlsx, rows, user=None) -> ImportJob:
    job = checked_import(county, xlsx(rows), user)
    assert job.status == ImportStatus.CHECKED, job.error
    services.request_apply(user, job, refused_seen=True, divisions_confirmed=True, enqueue=False)
    return job


def _phase(job: ImportJob) -> str:
    job.refresh_from_db()
    beat = heartbeat.read(job.job.token, job.job.attempt)
    return beat.phase if beat else ""


def _wait_until(condition, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_write_in_another_county_goes_on_while_an_apply_runs_and_one_in_the_same_county_waits_R_OPS_04(
    county, households, personas, xlsx, family, other_county, monkeypatch
):
    officer = personas["county_officer"]
    job = _confirmed(county["county"], xlsx, family(), officer)
    paused = PausedApply(monkeypatch)
    apply = paused.start(job.pk)
    assert paused.inside.wait(30), "the apply did not start"

    # County B: not held up at all.
    started = time.monotonic()
    registry.update_household(None, other_county["household"], phone="13900002222")
    assert time.monotonic() - started < 2
    assert Household.objects.get(pk=other_county["household"].pk).phone == "13900002222"

    # County A: the write waits for the apply's commit.
    waiting = _in_thread(lambda: registry.update_household(officer, households["a1"], phone="13900001111"))
    time.sleep(1.0)
    assert waiting.is_alive(), "a write in the county of a running apply must wait"
    released = time.monotonic()
    paused.release()
    apply.join(60)
    waiting.join(30)
    assert "error" not in apply.result and apply.result["job"].status == ImportStatus.APPLIED, apply.result
    assert "error" not in waiting.result, waiting.result
    assert waiting.result["at"] >= released
    assert Household.objects.get(pk=households["a1"].pk).phone == "13900001111"
    # The write committed after the import: its audit event follows all of the import's.
    imported = Event.objects.filter(source="import").order_by("-pk").values_list("pk", flat=True).first()
    assert Event.objects.filter(action="household.update", household=households["a1"]).get().pk > imported


def test_a_write_that_waits_too_long_is_refused_with_nothing_written_and_a_503_R_OPS_04(
    county, households, personas, login, xlsx, family, monkeypatch, settings
):
    settings.FANGPIN_COUNTY_LOCK_WAIT_SECONDS = 0.5
    officer = personas["county_officer"]
    job = _confirmed(county["county"], xlsx, family(), officer)
    paused = PausedApply(monkeypatch)
    apply = paused.start(job.pk)
    assert paused.inside.wait(30)
    try:
        events = Event.objects.count()
        with pytest.raises(CountyBusy):
            registry.update_household(officer, households["a1"], phone="13900001111")
        client = login(officer)
        r = client.post(f"/households/{households['a1'].pk}/edit/", {"phone": "13900001111", "address": ""})
        assert r.status_code == 503 and "系统正在写入大批数据（如导入），请稍后再试" in r.content.decode()
        r = client.patch(f"/api/households/{households['a1'].pk}", {"phone": "13900001111"}, content_type="application/json")
        assert r.status_code == 503 and r.json() == {"detail": "系统正在写入大批数据（如导入），请稍后再试"}
        assert Event.objects.count() == events
        assert Household.objects.get(pk=households["a1"].pk).phone != "13900001111"
    finally:
        paused.release()
        apply.join(60)
    assert apply.result["job"].status == ImportStatus.APPLIED


def test_two_applies_of_one_county_run_one_after_the_other_R_OPS_04(county, personas, xlsx, family, monkeypatch):
    officer = personas["county_officer"]
    first = _confirmed(county["county"], xlsx, family(), officer)
    second = _confirmed(county["county"], xlsx, family("3406211002019002", "王大山"), officer)
    paused = PausedApply(monkeypatch)
    one = paused.start(first.pk)
    assert paused.inside.wait(30)
    two = paused.start(second.pk, hold=False)
    _wait_until(lambda: _phase(second) == jobs.WAITING_FOR_COUNTY, "the second apply should wait for the county")
    time.sleep(0.5)
    assert two.is_alive() and not Household.objects.filter(number="3406211002019002").exists()
    paused.release()
    one.join(60)
    two.join(60)
    assert one.result["job"].status == ImportStatus.APPLIED, one.result
    assert two.result["job"].status == ImportStatus.APPLIED, two.result  # its preview still holds: applied after
    first_events = set(Event.objects.filter(source_ref__endswith=f"导入#{first.pk}").values_list("pk", flat=True))
    second_events = set(Event.objects.filter(source_ref__endswith=f"导入#{second.pk}").values_list("pk", flat=True))
    assert first_events and second_events and max(first_events) < min(second_events)  # never interleaved


def test_applies_of_two_counties_run_side_by_side_R_OPS_04(county, personas, xlsx, family, other_county, monkeypatch):
    a = _confirmed(county["county"], xlsx, family())
    rows_b = family("3415021002019001", "金大山", village="三里村", township="城北镇")
    for row in rows_b:
        row["县"] = "金安区"
    b = _confirmed(other_county["county"], xlsx, rows_b)
    paused = PausedApply(monkeypatch)
    one = paused.start(a.pk)
    assert paused.inside.wait(30)
    try:
        two = paused.start(b.pk, hold=False)
        two.join(60)
        assert two.result["job"].status == ImportStatus.APPLIED, two.result
        assert Household.objects.filter(number="3415021002019001").exists()
    finally:
        paused.release()
        one.join(60)
    assert one.result["job"].status == ImportStatus.APPLIED, one.result
