"""SQLite staging files for large inserts: the import outside a test transaction, as the worker runs it (R-INT-02)."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from django.db import connection, transaction

from fangpin.assistance.models import Measure
from fangpin.audit.models import Event
from fangpin.interop import bulk, jobs, services
from fangpin.interop.models import ImportStatus
from fangpin.registry.models import Household, IncomeRecord, Member

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="staging files are the SQLite insert path; PostgreSQL uses COPY"),
]


@pytest.fixture
def staged(monkeypatch):
    """Stage every frame (however small) and count the staged inserts."""
    calls = []
    real = bulk.stage_frame

    def spy(writer, frame, slot=None):
        if slot is not None:
            calls.append(writer.table)
        return real(writer, frame, slot)

    monkeypatch.setattr(bulk, "STAGING_MIN_ROWS", 0)
    monkeypatch.setattr(bulk, "stage_frame", spy)
    return calls


def _import(county, path):
    with open(path, "rb") as fh:
        job = services.start_import(None, county["county"], fh, name=Path(path).name, enqueue=False)
    job = jobs.run_check(job.pk)
    assert job.status == ImportStatus.CHECKED, job.error
    services.request_apply(None, job, refused_seen=True, divisions_confirmed=True, enqueue=False)
    return jobs.run_apply(job.pk)


def test_staged_import_writes_what_the_row_path_writes_R_INT_02(county, xlsx, family, staged):
    rows = family() + family("3406211002019002", "王大山", village="新建村", township="新兴镇")
    for r in rows[:3]:
        r.update({"工资性收入": "12000", "生产经营性收入": "3000.5", "家庭人口数": "3", "健康帮扶": "其他"})
    path = xlsx(rows)
    job = _import(county, path)
    assert job.status == ImportStatus.APPLIED, job.error
    assert '"registry_member"' in staged and '"registry_household"' in staged and '"audit_event"' in staged
    h = Household.objects.get(number="3406211002019001")
    head = h.members.get(relation="户主")
    assert (head.name, head.sex, head.birth_date, head.active) == ("张建国", "男", dt.date(1969, 4, 7), True)
    assert head.medical_insurance is None and head.dibao is False and head.extra == {}
    assert h.members.count() == 3 and Member.objects.count() == 6
    income = IncomeRecord.objects.get(household=h)
    assert str(income.per_capita_net_income) == "5000.17" and income.entered_by_id is None
    assert Measure.objects.get(household=h).content == "其他"
    events = Event.objects.filter(action="household.import_create").order_by("household_id")
    assert [e.household_id for e in events] == sorted(Household.objects.values_list("id", flat=True))
    assert events[0].after["成员数"] == 3 and events[0].before is None and events[0].source == "import"
    # the staging files are gone and detached; a re-import finds nothing to change
    assert not list(Path(jobs.work_dir(job)).glob("stage_*"))
    with connection.cursor() as cur:
        cur.execute("PRAGMA database_list")
        assert not [r[1] for r in cur.fetchall() if r[1].startswith("stage_")]
    again = _import(county, path)
    assert again.counts["households"]["unchanged"] == 2 and again.counts["members"]["unchanged"] == 6


def test_a_failure_after_a_staged_insert_leaves_nothing_R_INT_02(county, tmp_path, staged):
    frame = pl.DataFrame({"household_id": [None], "category": ["健康帮扶"], "content": ["其他"], "items": ["[]"], "source": ["national"]})
    before = Measure.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - the NOT NULL failure of the copy itself
        with bulk.staging(tmp_path), transaction.atomic():
            bulk.insert_frame(Measure, frame.columns, frame)
    assert staged == ['"assistance_measure"']
    assert Measure.objects.count() == before
    assert not list(tmp_path.glob("stage_*"))
    with connection.cursor() as cur:
        cur.execute("PRAGMA database_list")
        assert not [r[1] for r in cur.fetchall() if r[1].startswith("stage_")]


def test_staging_is_not_used_inside_an_open_transaction_R_INT_02(county, households, tmp_path, staged):
    frame = pl.DataFrame({"household_id": [households["a1"].pk], "category": ["健康帮扶"], "content": ["其他"], "items": ["[]"], "source": ["national"]})
    with transaction.atomic():
        with bulk.staging(tmp_path):
            bulk.insert_frame(Measure, frame.columns, frame)
    assert staged == []  # SQLite cannot attach inside a transaction: the rows went through executemany
    assert Measure.objects.filter(household=households["a1"], content="其他").count() == 1
