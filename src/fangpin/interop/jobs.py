"""Running an import: the dry run (预检) and the apply (确认导入), for the worker and the command line.

The dry run reads and checks the file, diffs it against the county and stores the preview (counts,
new divisions, refused rows and warnings); the checked rows are kept as Parquet next to the upload,
so the apply does not read the Excel file again. The apply re-plans against the database as it is
then, inside one transaction, and refuses to write if households would be refused that the officer
has not seen in the preview.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fangpin.areas.models import Division
from fangpin.assistance.models import Measure
from fangpin.audit.context import using_source
from fangpin.audit.models import Event
from fangpin.policy.idnumbers import mask_id_number
from fangpin.profiles.services import profile_for_county, today
from fangpin.registry.bulk import BulkWriter, lock_for_load
from fangpin.registry.models import Household, IncomeRecord, Member, MemberMove

from . import bulk
from .apply import apply_plan
from .layouts import FIELDS, ColumnMap
from .models import ImportIssue, ImportJob, ImportStatus
from .plan import build_plan
from .reader import NotAnExport, read_table
from .state import load_state
from .validate import REFUSED, Prepared, prepare

log = logging.getLogger(__name__)
Progress = Callable[[int, str], None]


class ApplyRefused(Exception):
    """The apply found problems the officer has not seen; nothing was written (Chinese message)."""


# What the officer reads when a step fails unexpectedly. The exception (with paths and library text)
# is logged for the operators under the job's number, which the message names.
CHECK_FAILED = "预检出错，未写入任何数据。请点击“重新预检”；如仍出错，请联系系统管理员并告知导入编号{job}"
APPLY_FAILED = "导入出错，已全部撤销，未写入任何数据。请点击“重新预检”后再确认导入；如仍出错，请联系系统管理员并告知导入编号{job}"
PREPARED_MISSING = "预检结果已不存在（可能已被清理），未写入任何数据；请点击“重新预检”后再确认导入"


def work_dir(job: ImportJob) -> Path:
    path = Path(settings.MEDIA_ROOT) / "interop" / "work" / str(job.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_of(fileobj) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: fileobj.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return digest.hexdigest(), size


# --- progress ------------------------------------------------------------------------------------


def write_progress(job: ImportJob, pct: int, label: str, *, to_db: bool = True) -> None:
    """Progress goes to a small file (readable while the apply transaction is open) and, outside
    transactions, to the job row."""
    path = work_dir(job) / "progress.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"pct": pct, "label": label, "at": time.time()}, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
    if to_db:
        ImportJob.objects.filter(pk=job.pk).update(progress=pct, progress_label=label[:100])


def read_progress(job: ImportJob) -> tuple[int, str]:
    path = Path(settings.MEDIA_ROOT) / "interop" / "work" / str(job.pk) / "progress.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return int(data["pct"]), str(data["label"])
    except (OSError, ValueError, KeyError):
        return job.progress, job.progress_label


STALL_SECONDS = int(getattr(settings, "FANGPIN_IMPORT_STALL_SECONDS", 1800))
STALLED_MESSAGE = (
    "后台任务超过{minutes}分钟没有进展（任务进程可能已停止），已视为中断。导入在一个事务中写入，中断时未写入任何数据；"
    "请点击“重新预检”后再确认导入"
)


def mark_if_stalled(job: ImportJob) -> bool:
    """A job waiting or running in the background with no progress for ``STALL_SECONDS`` is marked
    failed, so the officer can check it again (a dead worker leaves nothing half-written: the apply
    is one transaction). A task that still arrives later finds the job no longer waiting and stops."""
    if not job.running:
        return False
    try:
        at = json.loads((work_dir(job) / "progress.json").read_text(encoding="utf-8"))["at"]
    except (OSError, ValueError, KeyError):
        at = 0
    last = max(at, job.created_at.timestamp(), job.checked_at.timestamp() if job.checked_at else 0)
    if time.time() - last < STALL_SECONDS:
        return False
    message = STALLED_MESSAGE.format(minutes=STALL_SECONDS // 60)
    changed = ImportJob.objects.filter(pk=job.pk, status=job.status).update(
        status=ImportStatus.FAILED, error=message, progress=100, progress_label=""
    )
    if changed:
        log.warning("import job %s marked as stalled (status %s)", job.pk, job.status)
        job.refresh_from_db()
    return bool(changed)


class _Reporter:
    """Reports progress and keeps the seconds spent in each phase (shown to operators, used by the benchmark)."""

    def __init__(self, job: ImportJob, extra: Progress | None, *, to_db: bool = True):
        self.job, self.extra, self.to_db = job, extra, to_db
        self.started = self.last = time.monotonic()
        self.label = ""
        self.marks: list[tuple[str, float]] = []

    def __call__(self, pct: int, label: str) -> None:
        now = time.monotonic()
        if self.label:
            self.marks.append((self.label, round(now - self.last, 2)))
        self.last, self.label = now, label
        write_progress(self.job, pct, label, to_db=self.to_db)
        if self.extra is not None:
            self.extra(pct, label)

    def timings(self) -> list[tuple[str, float]]:
        return [*self.marks, (self.label, round(time.monotonic() - self.last, 2))] if self.label else list(self.marks)


def _reporter(job: ImportJob, extra: Progress | None, *, to_db: bool = True) -> _Reporter:
    return _Reporter(job, extra, to_db=to_db)


# --- saved checked rows ----------------------------------------------------------------------------


def _save_prepared(job: ImportJob, prep: Prepared, refused: set[str]) -> None:
    d = work_dir(job)
    prep.rows.write_parquet(d / "rows.parquet", compression="lz4")
    prep.households.write_parquet(d / "households.parquet", compression="lz4")
    prep.issues.write_parquet(d / "issues.parquet", compression="lz4")
    meta = {
        "grain": prep.grain, "present": sorted(prep.present), "layout": prep.layout,
        "household_columns": prep.household_columns, "member_columns": prep.member_columns,
        "colmap": {"fields": prep.colmap.fields, "headers": prep.colmap.headers},
        "sha256": job.sha256,
    }
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (d / "refused.json").write_text(json.dumps(sorted(refused), ensure_ascii=False), encoding="utf-8")


def _load_prepared(job: ImportJob) -> tuple[Prepared, set[str]]:
    d = work_dir(job)
    try:
        meta = json.loads((d / "meta.json").read_text(encoding="utf-8"))
        if meta.get("sha256") != job.sha256:
            raise ApplyRefused("预检结果与上传文件不一致，请重新预检")
        colmap = ColumnMap(fields={k: int(v) for k, v in meta["colmap"]["fields"].items()}, headers=meta["colmap"]["headers"])
        prep = Prepared(
            meta["grain"], colmap, frozenset(meta["present"]), pl.read_parquet(d / "rows.parquet"),
            pl.read_parquet(d / "households.parquet"), pl.read_parquet(d / "issues.parquet"), meta["layout"],
            meta["household_columns"], meta["member_columns"],
        )
        refused = set(json.loads((d / "refused.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, pl.exceptions.PolarsError):
        log.warning("import job %s: the checked rows of its dry run cannot be read", job.pk, exc_info=True)
        raise ApplyRefused(PREPARED_MISSING) from None
    return prep, refused


# --- the dry run's plan, reused by the apply when nothing changed in between ---------------------

PLAN_REUSE_MIN_ROWS = 20_000  # re-planning against a (nearly) empty county is cheaper than storing the plan


def data_fingerprint() -> dict:
    """What the plan depends on besides the file: the highest id of every table it reads or writes,
    the profile versions and the date. An update moves no table's highest id, so the fingerprint also
    holds the highest id of the audit ``Event`` table (every service write records one) and of the
    row-history tables (a row saved outside the services, e.g. in the admin site, still adds a history
    row). Each is one index lookup, so the apply of an unchanged county stays cheap. Equal fingerprints
    mean the dry run's plan is still exactly what a new plan would be."""
    from django.db.models import Max

    from fangpin.profiles.models import PolicyProfile

    tables = (
        Event, Household, Member, IncomeRecord, Measure, MemberMove, Division, PolicyProfile,
        Household.history.model, Member.history.model, IncomeRecord.history.model,
    )
    return {"today": today().isoformat(), **{m._meta.label: m.objects.aggregate(m=Max("pk"))["m"] for m in tables}}


PLAN_HOUSEHOLD_COLUMNS = ("_hkey", "h_id", "village_code", "group_code", "action", "division_code", "t_category", "t_status")


def _save_plan(job: ImportJob, plan, fingerprint: dict) -> None:
    """Store the plan with only the household columns the apply reads (the rest is the diff's working data)."""
    import dataclasses

    keep = [c for c in plan.households.columns if c in PLAN_HOUSEHOLD_COLUMNS]
    plan = dataclasses.replace(plan, households=plan.households.select(keep))
    d = work_dir(job)
    with open(d / "plan.pickle", "wb") as fh:
        pickle.dump({"sha256": job.sha256, "options": job.options, "fingerprint": fingerprint, "plan": plan}, fh, protocol=5)


def _reusable_plan(job: ImportJob, fingerprint: dict):
    """The dry run's plan if it was stored for this file and options and the data has not changed since."""
    path = work_dir(job) / "plan.pickle"
    if not path.exists():
        return None
    with open(path, "rb") as fh:
        saved = pickle.load(fh)  # written by this application's own dry run, in its private work folder
    if saved["sha256"] != job.sha256 or saved["options"] != job.options or saved["fingerprint"] != fingerprint:
        return None
    return saved["plan"]


# --- dry run ---------------------------------------------------------------------------------------


def run_check(job_id: int, progress: Progress | None = None) -> ImportJob:
    job = ImportJob.objects.select_related("county").get(pk=job_id)
    if job.status not in (ImportStatus.UPLOADED, ImportStatus.CHECKING):
        log.info("import job %s is %s, not waiting for a check: nothing to do", job.pk, job.status)
        return job
    report = _reporter(job, progress)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING, error="")
    job.issues.all().delete()
    report(2, "读取文件和库中数据")
    started = time.monotonic()
    try:
        profile = profile_for_county(job.county.code)
        # The workbook is parsed in a second thread (fastexcel releases the GIL) while this thread
        # reads the county's current data from the database.
        with ThreadPoolExecutor(max_workers=1) as pool:
            reading = pool.submit(read_table, job.file.path, job.original_name)
            fingerprint = data_fingerprint()  # taken before the read: a change after it is seen by the apply
            state = load_state(job.county)
            table = reading.result()
        report(40, f"读取完成（{table.row_count}行），正在校验")
        prep = prepare(table, county=job.county, profile=profile, today=today())
        report(70, "比对中")
        plan = build_plan(prep, state, profile=profile, options=job.options, today=today())
        report(85, "保存预检结果")
        digest = plan.digest()
        _save_prepared(job, prep, plan.refused)
        if state.members.height >= PLAN_REUSE_MIN_ROWS:
            _save_plan(job, plan, fingerprint)
        issues = pl.concat([prep.issues, plan.issues], how="vertical").sort(["row"], nulls_last=False)
        _store_issues(job, issues)
        refused_rows = prep.rows.filter(pl.col("_hkey").is_in(list(plan.refused)) | pl.col("_hkey").is_null()).height
        previous = (
            ImportJob.objects.filter(county=job.county, sha256=job.sha256, status=ImportStatus.APPLIED)
            .exclude(pk=job.pk).order_by("-applied_at").first()
        )
        job.refresh_from_db()
        job.status = ImportStatus.CHECKED
        job.layout = prep.layout
        job.sheet_name = table.sheet_name[:100]
        job.header_row = table.header_row
        job.row_count = table.row_count
        job.counts = plan.counts
        job.refused_rows = refused_rows
        job.refused_households = len(plan.refused)
        job.warning_count = issues.filter(pl.col("level") != REFUSED).height
        job.preview = {
            "new_divisions": [
                {"code": d["code"], "name": d["name"], "level": d["level"], "parent": d["parent"]} for d in plan.new_divisions
            ],
            "columns": [{"header": prep.colmap.headers[pos], "field": FIELDS[key].header} for key, pos in sorted(prep.colmap.fields.items(), key=lambda kv: kv[1])],
            "unknown_columns": [text for _, text in table_unknown(prep)],
            "grain": prep.grain,
            "seconds": round(time.monotonic() - started, 1),
            "previous_import": {"id": previous.pk, "at": previous.applied_at.isoformat()} if previous else None,
            "timings": report.timings(),
            # What the officer confirms: the apply writes only a plan with this digest (see run_apply).
            "plan_digest": digest,
            "fingerprint": fingerprint,
        }
        job.progress, job.progress_label, job.checked_at = 100, "预检完成", timezone.now()
        job.save()
        write_progress(job, 100, "预检完成", to_db=False)
    except NotAnExport as exc:
        _fail(job, ImportStatus.REJECTED, str(exc))
    except Exception:  # noqa: BLE001 - the officer is told it failed; the reason is for the operators' log
        log.exception("import check failed for job %s", job.pk)
        _fail(job, ImportStatus.FAILED, CHECK_FAILED.format(job=job.pk))
    job.refresh_from_db()
    return job


def table_unknown(prep: Prepared) -> list[tuple[int, str]]:
    from .layouts import map_columns

    return map_columns(prep.colmap.headers).unknown


def _store_issues(job: ImportJob, issues: pl.DataFrame) -> None:
    writer = BulkWriter(ImportIssue, ["job_id", "level", "row", "column", "household_number", "message"])
    writer.write(
        (job.pk, level, row, (column or "")[:100], (hkey or "")[:40], (message or "")[:500])
        for level, row, column, message, hkey in issues.select("level", "row", "column", "message", "hkey").iter_rows()
    )


def _fail(job: ImportJob, status: str, message: str) -> None:
    ImportJob.objects.filter(pk=job.pk).update(status=status, error=message[:4000], progress=100, progress_label="")
    write_progress(job, 100, "", to_db=False)


# --- apply -------------------------------------------------------------------------------------


def run_apply(job_id: int, progress: Progress | None = None) -> ImportJob:
    job = ImportJob.objects.select_related("county", "applied_by", "uploaded_by").get(pk=job_id)
    if job.status != ImportStatus.APPLYING:
        log.info("import job %s is %s, not waiting for an apply: nothing to do", job.pk, job.status)
        return job
    actor = job.applied_by or job.uploaded_by
    report_db = _reporter(job, progress)
    report_tx = _reporter(job, progress, to_db=False)
    report_db(1, "读取预检结果")
    try:
        prep, seen_refused = _load_prepared(job)
        profile = profile_for_county(job.county.code)
        with bulk.staging(work_dir(job)), using_source("import", job.source_ref), transaction.atomic():
            Division.objects.select_for_update().filter(pk=job.county.pk).first()
            lock_for_load(Household, Member, IncomeRecord, Measure, MemberMove, Event)
            fingerprint = data_fingerprint()
            plan = _reusable_plan(job, fingerprint)
            if plan is None:
                report_tx(3, "读取库中数据")
                state = load_state(job.county)
                report_tx(6, "与库中数据比对")
                plan = build_plan(prep, state, profile=profile, options=job.options, today=today())
                if fingerprint != job.preview.get("fingerprint"):
                    # Something changed since the dry run: write only if the new plan is the confirmed one.
                    report_tx(8, "核对预检以来的变化")
                    _require_previewed(job, plan, seen_refused)
            else:
                report_tx(6, "库中数据自预检以来未变，沿用预检结果")
            if plan.refused - seen_refused:
                _require_previewed(job, plan, seen_refused)
            apply_plan(plan, actor=actor, profile=profile, progress=lambda pct, label: report_tx(10 + pct * 85 // 100, label))
            moves = _raise_move_requests(job, plan, actor)
        job.refresh_from_db()
        job.status = ImportStatus.APPLIED
        job.counts = {**plan.counts, "applied": True, "move_requests": moves, "timings": report_tx.timings()}
        job.applied_at = timezone.now()
        job.progress, job.progress_label = 100, "导入完成"
        job.save()
        write_progress(job, 100, "导入完成", to_db=False)
        discard_work(job, keep_progress=True)
    except ApplyRefused as exc:
        _fail(job, ImportStatus.FAILED, str(exc))
    except Exception:  # noqa: BLE001 - the officer is told it failed; the reason is for the operators' log
        log.exception("import apply failed for job %s", job.pk)
        _fail(job, ImportStatus.FAILED, APPLY_FAILED.format(job=job.pk))
    job.refresh_from_db()
    return job


STALE_MESSAGE = "数据已在预检后发生变化，请重新预检：按现在的数据导入，结果将与确认的预检结果不同{detail}。本次未写入任何数据"


def _require_previewed(job: ImportJob, plan, seen_refused: set[str]) -> None:
    """Refuse (nothing written) unless ``plan`` makes exactly the changes of the confirmed preview."""
    unseen = plan.refused - seen_refused
    if not unseen and plan.digest() == job.preview.get("plan_digest"):
        return
    detail = f"（又有{len(unseen)}户将被拒绝）" if unseen else ""
    log.info("import job %s: the data changed since its dry run (%s households newly refused); apply refused", job.pk, len(unseen))
    raise ApplyRefused(STALE_MESSAGE.format(detail=detail))


def _raise_move_requests(job: ImportJob, plan, actor) -> int:
    """People the file names who are registered in another county: one move request each, to the county
    offices of both sides (R-SEC-04); their refused rows now say the request was raised. In the apply's
    transaction, so a failure leaves no request behind."""
    items = getattr(plan, "move_requests", None) or []
    if not items:
        return 0
    from fangpin.registry.moves import request_moves

    from .plan import ELSEWHERE_APPLIED, ELSEWHERE_PREVIEW

    raised = request_moves(actor, items, source="import", source_ref=job.source_ref)
    for masked in {mask_id_number(item["id_number"]) for item in items}:
        job.issues.filter(level=REFUSED, message=ELSEWHERE_PREVIEW.format(masked=masked)).update(
            message=ELSEWHERE_APPLIED.format(masked=masked)
        )
    return len(raised)


def discard_work(job: ImportJob, *, keep_progress: bool = False) -> None:
    """Remove the checked rows kept for the apply (the uploaded file itself stays, referenced by the audit)."""
    folder = Path(settings.MEDIA_ROOT) / "interop" / "work" / str(job.pk)
    if not keep_progress:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in [*folder.glob("*.parquet"), folder / "plan.pickle"]:
        path.unlink(missing_ok=True)
