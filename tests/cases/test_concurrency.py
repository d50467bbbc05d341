"""Concurrent actions on PostgreSQL (R-ID-04): many simultaneous approvals of the same step produce exactly
one transition; the others are refused and change nothing.

Row locks (``SELECT … FOR UPDATE``) only mean something on PostgreSQL; SQLite serializes every write
transaction for the whole database, so these tests run when DATABASE_URL points at PostgreSQL.
"""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection

from fangpin.audit.models import Event
from fangpin.cases import services
from fangpin.cases.models import Case, CaseStep, Notice

from .conftest import DAY, advance, application, decision, verification

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("行级锁并发测试需要 PostgreSQL（SQLite 整库串行写入）：设置 DATABASE_URL=postgres://… 后运行")


def _race(fn):
    """Run ``fn`` in THREADS threads released at the same moment; returns (successes, refusals)."""
    barrier = threading.Barrier(THREADS)
    ok, refused, crashed = [], [], []

    def worker():
        close_old_connections()
        try:
            barrier.wait()
            ok.append(fn())
        except (ValidationError, PermissionDenied) as exc:
            refused.append(exc)
        except Exception as exc:  # pragma: no cover - reported below
            crashed.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not crashed, crashed
    return ok, refused


def test_concurrent_approvals_of_the_same_step_make_one_transition_R_ID_04(opened, personas):
    version = opened.version
    ok, refused = _race(lambda: services.act(personas["cadre_a"], Case.objects.get(pk=opened.pk), "verification",
                                             verification(), today=DAY, expected_version=version))
    assert len(ok) == 1 and len(refused) == THREADS - 1
    assert all("重复提交" in str(e) or "已办理完成" in str(e) for e in refused)
    opened.refresh_from_db()
    assert opened.current_step == "deliberation" and opened.version == version + 1
    assert CaseStep.objects.filter(case=opened, key="verification").count() == 1
    assert CaseStep.objects.filter(case=opened, key="deliberation").count() == 1
    assert Event.objects.filter(action="case.step", object_id=str(opened.pk)).count() == 2  # application + one verification


def test_concurrent_county_filings_include_the_household_once_R_ID_07(opened, personas):
    case, day = advance(opened, personas, until="county_filing")
    ok, refused = _race(lambda: services.act(personas["county_officer"], Case.objects.get(pk=case.pk), "county_filing",
                                             decision(day), today=day))
    assert len(ok) == 1 and len(refused) == THREADS - 1
    assert Event.objects.filter(action="household.include").count() == 1


def test_concurrent_notice_publications_list_a_case_once_R_ID_06(opened, personas):
    case, day = advance(opened, personas, until="village_decision")
    services.act(personas["cadre_a"], case, "village_decision", decision(day), today=day)
    ok, refused = _race(lambda: services.publish_notice(personas["cadre_a"], "village_decision", [case.pk],
                                                        starts_on=day, today=day))
    assert len(ok) == 1 and Notice.objects.count() == 1


def test_concurrent_applications_for_one_household_open_one_case(applicant_household, personas):
    ok, refused = _race(lambda: services.open_case(personas["cadre_a"], applicant_household,
                                                   application=application(applicant_household), today=DAY))
    assert len(ok) == 1 and Case.objects.count() == 1
    assert all("不能重复受理" in str(e) for e in refused)
