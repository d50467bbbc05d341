"""The officer's journey in the browser pages and the API (R-INT-01, R-INT-02, R-INT-03, R-SEC-01)."""

import pytest
from django.test import override_settings

from fangpin.interop.models import ImportJob, ImportStatus
from fangpin.registry.models import Household

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _immediate_tasks():
    """Background tasks run at once (the worker's job) so the journey can be followed in one test."""
    with override_settings(TASKS=IMMEDIATE):
        yield


def _upload(client, path, django_capture_on_commit_callbacks, **extra):
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        return client.post("/interop/", {"county": "340621", "file": fh, **extra})


def test_upload_preview_apply_reapply_and_export_in_the_pages_R_INT_02(county, personas, login, xlsx, family, django_capture_on_commit_callbacks):
    client = login(personas["county_officer"])
    assert client.get("/interop/").status_code == 200
    bad = family("3406211002019002", "王大山")
    bad[0]["与户主关系"] = "配偶"
    path = xlsx(family() + bad)
    r = _upload(client, path, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/interop/imports/{job.pk}/")
    assert job.status == ImportStatus.CHECKED
    page = client.get(f"/interop/imports/{job.pk}/").content.decode()
    assert "预检结果（尚未写入）" in page and "没有“户主”" in page and "确认导入" in page
    assert Household.objects.filter(number__startswith="340621100201900").count() == 0
    # Without confirming the refused rows nothing happens.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/interop/imports/{job.pk}/apply/", {})
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/interop/imports/{job.pk}/apply/", {"refused_seen": "on"})
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.error
    assert list(Household.objects.filter(number__startswith="340621100201900").values_list("number", flat=True)) == ["3406211002019001"]
    assert "导入结果" in client.get(f"/interop/imports/{job.pk}/").content.decode()
    # The same file again: nothing to change.
    _upload(client, path, django_capture_on_commit_callbacks)
    again = ImportJob.objects.latest("pk")
    assert again.counts["households"]["create"] == 0 and again.counts["households"]["update"] == 0
    assert "已于" in client.get(f"/interop/imports/{again.pk}/").content.decode()
    # Export back.
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/interop/exports/", {"county": "340621", "layout": "monitoring"})
    from fangpin.interop.models import ExportJob

    export = ExportJob.objects.get()
    assert export.status == "done", export.error
    r = client.get(f"/interop/exports/{export.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content)[:2] == b"PK"


def test_progress_partial_and_scoping_of_pages_R_SEC_01(county, personas, login, xlsx, family, django_capture_on_commit_callbacks):
    client = login(personas["county_officer"])
    _upload(client, xlsx(family()), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    r = client.get(f"/interop/imports/{job.pk}/progress/")
    assert r.status_code == 200 and "预检完成" in r.content.decode()
    for name in ("township_officer", "cadre_a"):
        other = login(personas[name])
        assert other.get("/interop/").status_code == 403
        assert other.get(f"/interop/imports/{job.pk}/").status_code == 404


def test_api_upload_status_issues_and_apply_R_INT_02(county, personas, login, xlsx, family, django_capture_on_commit_callbacks):
    client = login(personas["county_officer"])
    bad = family("3406211002019002", "王大山")
    bad[1]["证件号码"] = "12345"
    with open(xlsx(family() + bad), "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/interop/imports", {"county_code": "340621", "file": fh})
    assert r.status_code == 201, r.content
    job_id = r.json()["id"]
    data = client.get(f"/api/interop/imports/{job_id}").json()
    assert data["status"] == "checked" and data["refused_households"] == 1
    issues = client.get(f"/api/interop/imports/{job_id}/issues").json()
    assert issues["total"] == 1 and issues["items"][0]["column"] == "证件号码"
    r = client.post(f"/api/interop/imports/{job_id}/apply", {"refused_seen": False}, content_type="application/json")
    assert r.status_code == 422
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/interop/imports/{job_id}/apply", {"refused_seen": True}, content_type="application/json")
    assert r.status_code == 200
    assert client.get(f"/api/interop/imports/{job_id}").json()["status"] == "applied"
    assert client.get("/api/interop/layouts").json()[0]["name"]
    cadre = login(personas["cadre_a"])
    assert cadre.get(f"/api/interop/imports/{job_id}").status_code == 404


def test_an_apply_whose_worker_died_is_shown_as_interrupted_and_can_be_checked_again_R_INT_02(
    county, personas, login, xlsx, family, django_capture_on_commit_callbacks, settings
):
    from fangpin.interop import jobs, services
    from fangpin.jobs import services as background

    client = login(personas["county_officer"])
    _upload(client, xlsx(family()), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    # The officer confirms; a worker takes the apply and dies in the middle (its heartbeat stops).
    services.request_apply(personas["county_officer"], job, refused_seen=False, divisions_confirmed=False, enqueue=False)
    job.refresh_from_db()
    assert background.claim(job.job, job.job.attempt)
    background.report(job.job, 40, "写入家庭成员")
    page = client.get(f"/interop/imports/{job.pk}/").content.decode()
    assert "中断" not in page and "写入家庭成员" in page  # still within the allowed quiet time
    settings.FANGPIN_JOB_DEAD_SECONDS = 0
    page = client.get(f"/interop/imports/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and "已视为中断" in job.error and "未写入任何数据" in job.error
    assert job.job.state == "interrupted"
    assert "已视为中断" in page and "重新预检" in page
    assert not Household.objects.filter(number="3406211002019001").exists()
    # A task for that apply arriving late does nothing.
    assert jobs.run_apply(job.pk, attempt=job.job.attempt).status == ImportStatus.FAILED
    assert not Household.objects.filter(number="3406211002019001").exists()
    # Checked again and applied, it completes.
    settings.FANGPIN_JOB_DEAD_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/interop/imports/{job.pk}/recheck/")
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED, job.error
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/interop/imports/{job.pk}/apply/", {})
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.error
    assert Household.objects.filter(number="3406211002019001").exists()


def test_confirming_long_after_the_preview_is_not_taken_for_an_interrupted_job_R_INT_02(
    county, personas, login, xlsx, family, django_capture_on_commit_callbacks, settings
):
    import datetime as dt

    from fangpin.interop import jobs, services
    from fangpin.jobs.models import Job

    client = login(personas["county_officer"])
    _upload(client, xlsx(family()), django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.CHECKED
    # The preview was finished two hours ago; the officer confirms now and the worker has not started yet.
    long_ago = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ImportJob.objects.filter(pk=job.pk).update(created_at=long_ago, checked_at=long_ago)
    Job.objects.filter(pk=job.job_id).update(queued_at=long_ago, started_at=long_ago, heartbeat_at=long_ago, finished_at=long_ago)
    settings.FANGPIN_IMPORT_STALL_SECONDS = 60
    job.refresh_from_db()
    services.request_apply(personas["county_officer"], job, refused_seen=False, divisions_confirmed=False, enqueue=False)
    page = client.get(f"/interop/imports/{job.pk}/").content.decode()
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLYING and "已视为中断" not in page
    # The same holds for a check asked for again on an old failed job.
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    Job.objects.filter(pk=job.job_id).update(state="failed", queued_at=long_ago)
    job.refresh_from_db()
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        services.recheck(personas["county_officer"], job)
        job.refresh_from_db()
        assert not jobs.mark_if_stalled(job)
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED
