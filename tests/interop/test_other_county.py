"""A person the file names who is registered in another county (R-SEC-04, R-SEC-05, R-INT-02).

The import must not tell where: not the county, village, household number or the head's name. The
row is refused with a neutral message (ID number masked) and, when the import is applied, a move
request goes to the county offices.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from fangpin.areas.models import Level
from fangpin.interop.models import ImportJob, ImportStatus
from fangpin.policy.idnumbers import mask_id_number
from fangpin.registry.models import Household, Member, MoveRequest
from tests.factories import division, household

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
SECRETS = ("3406021002010001", "新庄村", "杜集区", "高岳街道", "杜某", "第一网格")


@pytest.fixture
def elsewhere(county):
    """A household of another county (杜集区), and the ID number of its head."""
    other = division("340602", "杜集区", Level.COUNTY)
    t = division("340602100", "高岳街道", Level.TOWNSHIP, other)
    v = division("340602100201", "新庄村", Level.VILLAGE, t)
    g = division("340602100201001", "第一村民小组", Level.GROUP, v)
    h = household(division("34060210020100101", "第一网格", Level.GRID, g), "3406021002010001", "杜某")
    return h.members.get(relation="户主")


def _file_naming(xlsx, family, holder):
    rows = family()
    rows[2]["证件号码"] = holder.id_number
    return xlsx(rows + family("3406211002019002", "王大山"))


def test_a_person_of_another_county_is_refused_without_saying_where_and_a_move_request_is_raised_R_SEC_04(
    county, personas, login, xlsx, family, elsewhere, django_capture_on_commit_callbacks
):
    officer = personas["county_officer"]
    client = login(officer)
    path = _file_naming(xlsx, family, elsewhere)
    with override_settings(TASKS=IMMEDIATE), open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/interop/imports", {"county_code": "340621", "file": fh})
    assert r.status_code == 201, r.content
    job_id = r.json()["id"]
    job = ImportJob.objects.get(pk=job_id)
    assert job.status == ImportStatus.CHECKED, job.error
    assert job.refused_households == 1
    issue = job.issues.get(level="refused")
    assert issue.row == 6 and issue.column == "证件号码" and issue.household_number == "3406211002019001"
    masked = mask_id_number(elsewhere.id_number)
    assert masked in issue.message and elsewhere.id_number not in issue.message
    assert "已在其他地区登记" in issue.message and "一人只能属于一户" in issue.message and "迁移申请" in issue.message

    # Nothing about the other household anywhere: preview page, API job and API issues.
    shown = [
        client.get(f"/interop/imports/{job_id}/").content.decode(),
        client.get(f"/interop/imports/{job_id}/?level=refused").content.decode(),
        client.get(f"/interop/imports/{job_id}/?level=warning").content.decode(),
        client.get(f"/api/interop/imports/{job_id}").content.decode(),
        client.get(f"/api/interop/imports/{job_id}/issues?level=refused").content.decode(),
        client.get(f"/api/interop/imports/{job_id}/issues?level=warning").content.decode(),
    ]
    for text in shown:
        for secret in (*SECRETS, elsewhere.id_number):
            assert secret not in text, secret
    assert masked in shown[1]
    assert not MoveRequest.objects.exists()  # the dry run writes nothing

    with override_settings(TASKS=IMMEDIATE), django_capture_on_commit_callbacks(execute=True):
        r = client.post(f"/api/interop/imports/{job_id}/apply", {"refused_seen": True}, content_type="application/json")
    assert r.status_code == 200
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.error
    move = MoveRequest.objects.get(id_number=elsewhere.id_number)
    assert move.source == "import" and f"导入#{job.pk}" in move.source_ref
    assert move.target_division_code == "340621100201"  # 蔡桥村, where the file puts the person
    assert move.holder_member == elsewhere and move.status == "open"
    assert move.name == "张小明" and move.requested_by == officer
    # The person stays where they are; the rest of the file is imported.
    elsewhere.refresh_from_db()
    assert elsewhere.household.number == "3406021002010001"
    assert not Household.objects.filter(number="3406211002019001").exists()
    assert Household.objects.filter(number="3406211002019002").exists()
    issue.refresh_from_db()
    assert "已生成迁移申请" in issue.message and masked in issue.message
    after = client.get(f"/interop/imports/{job_id}/?level=refused").content.decode()
    for secret in (*SECRETS, elsewhere.id_number):
        assert secret not in after, secret


def test_the_command_line_import_also_raises_the_move_request_R_SEC_04(county, xlsx, family, elsewhere):
    from django.core.management import call_command

    path = _file_naming(xlsx, family, elsewhere)
    call_command("import_national", str(path), "--county", "340621", "--apply", "--confirm-refused")
    move = MoveRequest.objects.get(id_number=elsewhere.id_number)
    assert move.requested_by is None and move.source == "import"
    assert Member.objects.filter(id_number=elsewhere.id_number).count() == 1
