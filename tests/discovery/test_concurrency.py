"""Concurrent lead writes on PostgreSQL (R-DISC-01, R-DISC-03): simultaneous reports about one household
make one lead and merged reports; simultaneous verifications open one case; the rest change nothing.

Row locks only mean something on PostgreSQL (SQLite serializes every write transaction), so these
run when DATABASE_URL points at PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection

from fangpin.cases.models import Case
from fangpin.discovery import services
from fangpin.discovery.models import Lead, LeadReport, LeadState
from tests.discovery.conftest import DAY, raise_for, two_people
from tests.factories import id_number

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 6


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("行级锁并发测试需要 PostgreSQL（SQLite 整库串行写入）：设置 DATABASE_URL=postgres://… 后运行")


def _race(fn):
    barrier = threading.Barrier(THREADS)
    ok, refused, crashed = [], [], []

    def worker(i):
        close_old_connections()
        try:
            barrier.wait()
            ok.append(fn(i))
        except (ValidationError, PermissionDenied) as exc:
            refused.append(exc)
        except Exception as exc:  # pragma: no cover - reported below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not crashed, crashed
    return ok, refused


def test_simultaneous_reports_about_one_household_make_one_lead_R_DISC_01(households, personas):
    ok, refused = _race(lambda i: raise_for(personas["cadre_a"], households["a1"], description=f"第{i}次反映"))
    assert len(ok) == THREADS and not refused
    assert Lead.objects.count() == 1
    assert LeadReport.objects.count() == THREADS and LeadReport.objects.filter(merged=True).count() == THREADS - 1


def test_simultaneous_reports_about_one_unregistered_person_make_one_lead_R_DISC_01(county, personas):
    number = id_number(dt.date(1982, 4, 5))
    ok, _ = _race(lambda i: raise_for(personas["cadre_a"], None, id_number=number, person_name="陈新来",
                                      division_code=county["va"].code))
    assert len(ok) == THREADS and Lead.objects.count() == 1 and LeadReport.objects.count() == THREADS


def test_simultaneous_verifications_open_one_case_R_DISC_03(households, personas):
    lead = raise_for(personas["cadre_a"], households["a1"]).lead
    ok, refused = _race(lambda i: services.verify_lead(personas["township_officer"], Lead.objects.get(pk=lead.pk),
                                                       today=DAY, **two_people()))
    assert len(ok) == 1 and len(refused) == THREADS - 1
    assert all("不能重复核实" in str(e) for e in refused)
    lead.refresh_from_db()
    assert lead.state == LeadState.CASE_OPENED and Case.objects.count() == 1
