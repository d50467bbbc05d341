"""What the officer is told when a file cannot be read or a step fails: Chinese, naming the problem, and
never a server path, a stack trace or a library's own text (R-INT-01, R-SEC-05). The technical detail
goes to the operators' log."""

from __future__ import annotations

import io
import logging
import os
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from fangpin.interop import jobs, services
from fangpin.interop.models import ImportJob, ImportStatus

from .conftest import person, write_xlsx

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Product and format names the officer knows; every other Latin word is library or server text.
KNOWN_NAMES = re.compile(r"Excel|xlsx|xlsm|xls|CSV|UTF-8|GBK|SHA-256")


def assert_plain_chinese(message: str) -> None:
    assert message, "the officer must be told why"
    assert re.search(r"[\u4e00-\u9fff]", message), message
    for leak in ("/", "\\", "Error", "error", "zip", "Zip", "Traceback", "calamine", "File "):
        assert leak not in message, (leak, message)
    assert not re.search(r"[A-Za-z]{2,}", KNOWN_NAMES.sub("", message)), message


def _good_workbook(tmp_path: Path) -> Path:
    rows = [person("3406211002019001", "张建国", "户主"), person("3406211002019001", "李秀兰", "配偶", male=False)]
    rows += [person(f"34062110020191{i:02d}", f"王{i}", "户主") for i in range(60)]
    return write_xlsx(tmp_path / "good.xlsx", rows)


def _zip_of_other_files(tmp_path):
    path = tmp_path / "照片.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "hello")
        z.writestr("data/a.csv", "x,y\n1,2\n")
    return path


def _random_bytes(tmp_path):
    path = tmp_path / "随机.xlsx"
    path.write_bytes(os.urandom(5000))
    return path


def _truncated(tmp_path):
    data = _good_workbook(tmp_path).read_bytes()
    path = tmp_path / "截断.xlsx"
    path.write_bytes(data[: len(data) // 2])
    return path


def _broken_sheet(tmp_path):
    """A sound zip whose worksheet XML is cut off in the middle."""
    good = zipfile.ZipFile(_good_workbook(tmp_path))
    path = tmp_path / "坏表.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        for info in good.infolist():
            data = good.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            z.writestr(info, data)
    return path


def _corrupt_deflate(tmp_path):
    """Bytes damaged inside the compressed worksheet (the zip directory itself is intact)."""
    good = _good_workbook(tmp_path)
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + 200
    for i in range(start, start + 300):
        data[i] ^= 0x5A
    path = tmp_path / "损坏.xlsx"
    path.write_bytes(bytes(data))
    return path


def _random_xls(tmp_path):
    path = tmp_path / "旧格式.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(5000))
    return path


def _utf16_csv(tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes("户编号,证件号码,姓名\n1,2,3\n".encode("utf-16"))
    return path


def _utf16_csv_without_bom(tmp_path):
    path = tmp_path / "名单2.csv"
    path.write_bytes("户编号,证件号码,姓名,与户主关系\n1,2,3,户主\n".encode("utf-16-le"))
    return path


def _random_csv(tmp_path):
    path = tmp_path / "乱码.csv"
    path.write_bytes(os.urandom(5000))
    return path


CORRUPT = {
    "zip_of_other_files": _zip_of_other_files,
    "random_bytes_xlsx": _random_bytes,
    "truncated_xlsx": _truncated,
    "broken_sheet_xml": _broken_sheet,
    "corrupt_deflate": _corrupt_deflate,
    "random_bytes_xls": _random_xls,
    "utf16_csv": _utf16_csv,
    "utf16_csv_without_bom": _utf16_csv_without_bom,
    "random_bytes_csv": _random_csv,
}


@pytest.fixture
def immediate_tasks():
    with override_settings(TASKS=IMMEDIATE):
        yield


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_file_in_the_page_is_explained_in_chinese_without_internals_R_INT_01_R_SEC_05(
    kind, county, personas, login, tmp_path, immediate_tasks, django_capture_on_commit_callbacks, caplog
):
    path = CORRUPT[kind](tmp_path)
    client = login(personas["county_officer"])
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True), caplog.at_level(logging.WARNING):
        r = client.post("/interop/", {"county": "340621", "file": fh})
    assert r.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED
    assert "文件无法读取" in job.error and "重新上传" in job.error
    assert_plain_chinese(job.error)
    page = client.get(f"/interop/imports/{job.pk}/").content.decode()
    assert job.error in page
    for leak in (str(tmp_path), settings.MEDIA_ROOT, "/media/", "interop/imports/", "calamine", "Traceback", "BadZip", "zipfile", "Error:"):
        assert leak not in page, leak
    # The operators' log keeps the technical reason.
    assert any(rec.name.startswith("fangpin.interop") and rec.levelno >= logging.WARNING for rec in caplog.records)


@pytest.mark.parametrize("kind", list(CORRUPT))
def test_corrupt_file_through_the_api_is_explained_in_chinese_without_internals_R_INT_01_R_SEC_05(
    kind, county, personas, login, tmp_path, immediate_tasks, django_capture_on_commit_callbacks
):
    path = CORRUPT[kind](tmp_path)
    client = login(personas["county_officer"])
    with open(path, "rb") as fh, django_capture_on_commit_callbacks(execute=True):
        r = client.post("/api/interop/imports", {"county_code": "340621", "file": fh})
    assert r.status_code == 201, r.content
    data = client.get(f"/api/interop/imports/{r.json()['id']}").json()
    assert data["status"] == "rejected"
    assert_plain_chinese(data["error"])
    body = client.get(f"/api/interop/imports/{r.json()['id']}").content.decode()
    for leak in (str(tmp_path), settings.MEDIA_ROOT, "media", "calamine", "Traceback"):
        assert leak not in body, leak


def test_the_excel_message_asks_to_save_again_from_excel_R_INT_01(county, tmp_path):
    with open(_random_bytes(tmp_path), "rb") as fh:
        job = services.start_import(None, county["county"], fh, name="随机.xlsx", enqueue=False)
    job = jobs.run_check(job.pk)
    assert job.error == "文件无法读取：不是有效的Excel工作簿（.xlsx），请用Excel另存为后重新上传"


@pytest.mark.parametrize("kind", ["zip_of_other_files", "broken_sheet_xml", "utf16_csv"])
def test_corrupt_file_in_the_command_output_R_INT_01_R_SEC_05(kind, county, tmp_path):
    path = CORRUPT[kind](tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_national", str(path), "--county", "340621", stdout=out, stderr=err)
    assert_plain_chinese(str(caught.value))
    assert "calamine" not in out.getvalue() + err.getvalue()


def test_an_unexpected_failure_of_the_check_is_told_without_internals_R_SEC_05(county, xlsx, family, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("polars: ColumnNotFoundError at /srv/fangpin/var/media/interop/work/7")

    monkeypatch.setattr(jobs, "prepare", broken)
    with open(xlsx(family()), "rb") as fh:
        job = services.start_import(None, county["county"], fh, name="a.xlsx", enqueue=False)
    with caplog.at_level(logging.ERROR):
        job = jobs.run_check(job.pk)
    assert job.status == ImportStatus.FAILED
    assert "预检出错" in job.error and "重新预检" in job.error
    assert_plain_chinese(job.error)
    assert any("ColumnNotFoundError" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)


def test_an_unexpected_failure_of_the_apply_is_told_without_internals_R_SEC_05(county, xlsx, family, monkeypatch):
    with open(xlsx(family()), "rb") as fh:
        job = services.start_import(None, county["county"], fh, name="a.xlsx", enqueue=False)
    job = jobs.run_check(job.pk)

    def broken(*args, **kwargs):
        raise OSError("[Errno 28] No space left on device: '/srv/fangpin/var/media/interop/work/7/stage_1.db'")

    monkeypatch.setattr(jobs, "apply_plan", broken)
    services.request_apply(None, job, refused_seen=False, divisions_confirmed=True, enqueue=False)
    job = jobs.run_apply(job.pk)
    assert job.status == ImportStatus.FAILED
    assert "未写入任何数据" in job.error
    assert_plain_chinese(job.error)


def test_apply_with_its_checked_rows_gone_is_told_without_internals_R_SEC_05(county, xlsx, family):
    with open(xlsx(family()), "rb") as fh:
        job = services.start_import(None, county["county"], fh, name="a.xlsx", enqueue=False)
    job = jobs.run_check(job.pk)
    (jobs.work_dir(job) / "rows.parquet").unlink()
    services.request_apply(None, job, refused_seen=False, divisions_confirmed=True, enqueue=False)
    job = jobs.run_apply(job.pk)
    assert job.status == ImportStatus.FAILED and "重新预检" in job.error
    assert_plain_chinese(job.error)


def test_an_export_failure_is_told_without_internals_R_SEC_05(county, households, monkeypatch):
    from fangpin.interop import export

    def broken(*args, **kwargs):
        raise PermissionError("[Errno 13] Permission denied: '/srv/fangpin/var/media/interop/exports/x.xlsx'")

    monkeypatch.setattr(export, "export_county", broken)
    job = services.start_export(None, county["county"], "monitoring", enqueue=False)
    job = services.run_export(job.pk)
    assert job.status == "failed" and "导出出错" in job.error
    assert_plain_chinese(job.error)


def test_a_sound_workbook_still_reads_R_INT_01(county, tmp_path):
    path = _good_workbook(tmp_path)
    wb = openpyxl.load_workbook(path)
    assert wb.active.max_row > 2
    with open(path, "rb") as fh:
        job = services.start_import(None, county["county"], fh, name="good.xlsx", enqueue=False)
    assert jobs.run_check(job.pk).status == ImportStatus.CHECKED
