"""Imports and exports recorded before the jobs mechanism keep their state and progress (R-OPS-03):
the data migration gives each its ``jobs.Job``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fangpin.interop.models import ExportJob, ImportJob
from fangpin.jobs.models import JobState

BEFORE = [("interop", "0001_initial"), ("jobs", "0001_initial")]
AFTER = [("interop", "0004_remove_progress")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_imports_and_exports_get_their_jobs_R_OPS_03(county, personas):
    officer = personas["county_officer"]
    old = _migrate(BEFORE)
    OldImport, OldExport = old.get_model("interop", "ImportJob"), old.get_model("interop", "ExportJob")
    common = {"county_id": county["county"].pk, "original_name": "监测对象.xlsx", "sha256": "0" * 64, "uploaded_by_id": officer.pk}
    applied = OldImport.objects.create(status="applied", progress=100, progress_label="导入完成", **common)
    applying = OldImport.objects.create(status="applying", progress=40, progress_label="写入家庭成员", **common)
    failed = OldImport.objects.create(status="failed", progress=100, error="导入出错，已全部撤销", **common)
    done = OldExport.objects.create(county_id=county["county"].pk, division_code="340621", layout="monitoring", status="done",
                                    progress=100, row_count=12, created_by_id=officer.pk)
    try:
        _migrate(AFTER)
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    job = ImportJob.objects.select_related("job").get(pk=applied.pk).job
    assert (job.kind, job.state, job.progress, job.phase, job.scope_code, job.owner_id) == (
        "import", JobState.SUCCEEDED, 100, "导入完成", "340621", officer.pk)
    job = ImportJob.objects.get(pk=applying.pk).job
    # Waiting for the worker (stopped for the upgrade): its queued task runs it, or the sweeper gives it up.
    assert (job.state, job.progress, job.phase, job.attempt, job.started_at) == (JobState.QUEUED, 40, "写入家庭成员", 2, None)
    job = ImportJob.objects.get(pk=failed.pk).job
    assert (job.state, job.error) == (JobState.FAILED, "导入出错，已全部撤销")
    export = ExportJob.objects.get(pk=done.pk)
    assert (export.status, export.job.state, export.job.result, export.progress) == ("done", JobState.SUCCEEDED, {"rows": 12}, 100)
