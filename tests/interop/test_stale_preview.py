"""What the officer confirmed is what is written (R-INT-02).

A preview confirmed after the data changed must not write changes it never showed: the apply plans
again under its locks and, when the result differs from the confirmed preview, writes nothing and asks
for a new dry run. When nothing changed it applies as before (reusing the stored plan when there is one).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import override_settings

from fangpin.audit.models import Event
from fangpin.interop import jobs, services
from fangpin.interop.models import ImportJob, ImportStatus
from fangpin.registry.models import Household, Member

STALE = "数据已在预检后发生变化，请重新预检"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _check(county, path, user=None, **options):
    with open(path, "rb") as fh:
        job = services.start_import(user, county["county"], fh, options=options, name=Path(path).name, enqueue=False)
    return jobs.run_check(job.pk)


def _confirm(job, user=None):
    services.request_apply(user, job, refused_seen=True, divisions_confirmed=True, enqueue=False)
    return jobs.run_apply(job.pk)


@pytest.fixture(params=["planned_again", "stored_plan"])
def plan_mode(request, monkeypatch):
    """Both ways the apply gets its plan: planned again, or the dry run's stored plan (large counties)."""
    if request.param == "stored_plan":
        monkeypatch.setattr(jobs, "PLAN_REUSE_MIN_ROWS", 0)
    return request.param


def _versions(family):
    """v1 and v2 of the same two households; v2 changes the phone numbers of two members."""
    v1 = family() + family("3406211002019002", "王大山")
    for i, r in enumerate(v1):
        r["成员联系电话"] = f"1395561{i:04d}"
    v2 = [dict(r) for r in v1]
    v2[0]["成员联系电话"] = "13800000001"
    v2[4]["成员联系电话"] = "13800000002"
    return v1, v2


def _phones():
    return dict(Member.objects.values_list("id_number", "phone"))


def test_a_stale_preview_is_refused_and_writes_nothing_R_INT_02(county, personas, xlsx, family, plan_mode):
    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    assert _confirm(_check(county, xlsx(v1), officer), officer).status == ImportStatus.APPLIED

    preview_v1 = _check(county, xlsx(v1), officer)
    assert preview_v1.counts["households"] == {"create": 0, "update": 0, "unchanged": 2, "refused": 0}
    assert preview_v1.counts["members"]["update"] == 0

    applied_v2 = _confirm(_check(county, xlsx(v2), officer), officer)
    assert applied_v2.status == ImportStatus.APPLIED, applied_v2.error
    assert applied_v2.counts["members"]["update"] == 2
    phones_v2, events = _phones(), Event.objects.count()
    assert phones_v2[v2[0]["证件号码"]] == "13800000001"

    # The officer now confirms the v1 preview, which showed no changes.
    job = _confirm(preview_v1, officer)
    assert job.status == ImportStatus.FAILED
    assert STALE in job.error and "未写入任何数据" in job.error
    assert _phones() == phones_v2  # the v2 phone numbers stay: nothing of v1 was written
    assert Event.objects.count() == events
    assert job.applied_at is None


def test_the_stale_preview_page_shows_the_message_and_a_new_dry_run_button_R_INT_02(
    county, personas, login, xlsx, family, django_capture_on_commit_callbacks
):
    officer = personas["county_officer"]
    client = login(officer)
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    preview_v1 = _check(county, xlsx(v1), officer)
    _confirm(_check(county, xlsx(v2), officer), officer)
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        client.post(f"/interop/imports/{preview_v1.pk}/apply/", {})
    page = client.get(f"/interop/imports/{preview_v1.pk}/").content.decode()
    assert STALE in page and "重新预检" in page and f"/interop/imports/{preview_v1.pk}/recheck/" in page
    api = client.get(f"/api/interop/imports/{preview_v1.pk}").json()
    assert api["status"] == "failed" and STALE in api["error"]
    # A new dry run of v1 now shows the two changes, and confirming it writes them.
    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        client.post(f"/interop/imports/{preview_v1.pk}/recheck/")
    job = ImportJob.objects.get(pk=preview_v1.pk)
    assert job.status == ImportStatus.CHECKED and job.counts["members"]["update"] == 2
    job = _confirm(job, officer)
    assert job.status == ImportStatus.APPLIED, job.error
    assert _phones()[v1[0]["证件号码"]] == v1[0]["成员联系电话"]


def test_an_unchanged_database_still_applies_R_INT_02(county, personas, xlsx, family, plan_mode):
    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    job = _check(county, xlsx(v2), officer)
    assert job.counts["members"]["update"] == 2
    job = _confirm(job, officer)
    assert job.status == ImportStatus.APPLIED, job.error
    assert _phones()[v2[4]["证件号码"]] == "13800000002"


def test_an_unrelated_change_after_the_preview_does_not_block_the_apply_R_INT_02(county, households, personas, xlsx, family, plan_mode):
    from fangpin.registry import services as registry

    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    job = _check(county, xlsx(v2), officer)
    registry.update_household(officer, households["a1"], phone="13900001111")  # a household the file does not name
    job = _confirm(job, officer)
    assert job.status == ImportStatus.APPLIED, job.error
    assert _phones()[v2[0]["证件号码"]] == "13800000001"


def test_an_edit_of_a_household_in_the_preview_refuses_the_stale_preview_R_INT_02(county, personas, xlsx, family, plan_mode):
    """The preview showed changing the phone from A to B; in between someone set it to C by hand."""
    from fangpin.registry import services as registry

    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    job = _check(county, xlsx(v2), officer)
    member = Member.objects.get(id_number=v2[0]["证件号码"])
    registry.update_member(officer, member, {"phone": "13700000000"})
    job = _confirm(job, officer)
    assert job.status == ImportStatus.FAILED and STALE in job.error
    assert Member.objects.get(pk=member.pk).phone == "13700000000"


def test_an_edit_without_an_audit_event_is_still_noticed_R_INT_02(county, personas, xlsx, family, monkeypatch):
    """A row saved outside the services (e.g. the admin site) leaves no Event but a history row: the
    stored plan is not trusted."""
    monkeypatch.setattr(jobs, "PLAN_REUSE_MIN_ROWS", 0)
    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    job = _check(county, xlsx(v2), officer)
    household = Household.objects.get(number="3406211002019002")
    household.phone = "13611112222"
    household.save()
    before = jobs.data_fingerprint()
    assert job.preview["fingerprint"] != before
    job = _confirm(job, officer)
    assert job.status == ImportStatus.APPLIED, job.error  # planned again: the same changes, so it applies
    assert "沿用预检结果" not in " ".join(label for label, _ in job.counts["timings"])


@pytest.fixture
def other_county(db):
    """金安区 (another county, profile jinan) with one household."""
    from fangpin.areas.models import Level
    from tests.factories import division, household

    county = division("341502", "金安区", Level.COUNTY, profile_key="jinan")
    town = division("341502100", "城北镇", Level.TOWNSHIP, county)
    village = division("341502100201", "三里村", Level.VILLAGE, town)
    group = division("341502100201001", "第一村民小组", Level.GROUP, village)
    grid = division("34150210020100101", "第一村民小组第一网格", Level.GRID, group)
    return household(grid, "3415021002010001", "金某")


def test_work_in_another_county_after_the_preview_keeps_the_stored_plan_R_INT_02_R_OPS_04(
    county, personas, xlsx, family, monkeypatch, other_county
):
    """The apply asks only whether the county's own rows changed since its preview (R-OPS-04): a busy
    neighbour county does not cost it its stored plan."""
    from fangpin.registry import services as registry

    monkeypatch.setattr(jobs, "PLAN_REUSE_MIN_ROWS", 0)
    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    job = _check(county, xlsx(v2), officer)
    registry.update_household(None, other_county, phone="13900002222")
    from fangpin.policy.idnumbers import make_id_number

    registry.add_member(None, other_county, {"name": "金小妹", "id_number": make_id_number("341502", dt.date(2010, 1, 1), 7, False),
                                             "sex": "女", "relation": "之女", "birth_date": "2010-01-01"})
    assert job.preview["fingerprint"] != jobs.data_fingerprint()  # the database moved on …
    assert jobs.changes_since(county["county"], job.preview["fingerprint"]) == []  # … but not in this county
    job = _confirm(job, officer)
    assert job.status == ImportStatus.APPLIED, job.error
    assert "库中数据自预检以来未变，沿用预检结果" in [label for label, _ in job.counts["timings"]]
    assert _phones()[v2[0]["证件号码"]] == "13800000001"


def test_a_person_of_the_file_registered_in_another_county_after_the_preview_refuses_the_stored_plan_R_INT_02_R_OPS_04(
    county, personas, xlsx, family, monkeypatch, other_county
):
    from fangpin.registry import services as registry

    monkeypatch.setattr(jobs, "PLAN_REUSE_MIN_ROWS", 0)
    officer = personas["county_officer"]
    v1, v2 = _versions(family)
    _confirm(_check(county, xlsx(v1), officer), officer)
    newcomer = family("3406211002019003", "赵新来")
    job = _check(county, xlsx(v2 + newcomer), officer)
    assert job.counts["households"]["create"] == 1
    # Meanwhile the other county registers one of the newcomers.
    spouse = newcomer[1]
    registry.add_member(None, other_county, {"name": spouse["姓名"], "id_number": spouse["证件号码"], "sex": "女",
                                             "relation": "之女", "birth_date": "1971-09-10"})
    job = _confirm(job, officer)
    assert job.status == ImportStatus.FAILED and STALE in job.error
    assert not Household.objects.filter(number="3406211002019003").exists()
