"""Running an import: the dry run (预检) and the apply (确认导入), for the worker and the command line.

The dry run reads and checks the file, diffs it against the county and stores the preview (counts,
new divisions, refused rows and warnings); the checked rows are kept as Parquet next to the upload,
so the apply does not read the Excel file again. The apply re-plans against the database as it is
then, inside one transaction, and refuses to write if households would be refused that the officer
has not seen in the preview.

Both run as attempts of the import's ``jobs.Job`` (R-OPS-03): a task claims its attempt or does
nothing (late, duplicate), progress and the heartbeat go through ``fangpin.jobs.services``, and the
import's result is written in the same transaction as the job's success, so a job the sweeper gave
up meanwhile writes nothing. The apply holds its county's lock (``areas.locks.county_batch_lock``,
R-OPS-04): writers of that county wait, other counties' writers do not.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import polars as pl
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from fangpin.areas.locks import county_batch_lock, is_busy_error
from fangpin.areas.lookups import successor
from fangpin.areas.models import Division
from fangpin.assistance.models import Measure
from fangpin.audit.context import using_source
from fangpin.audit.models import Event
from fangpin.ingest.memory import give_back
from fangpin.jobs import services as background
from fangpin.jobs.services import JobLost
from fangpin.policy.idnumbers import mask_id_number
from fangpin.profiles.services import profile_for_county, today
from fangpin.registry.bulk import BulkWriter
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
BUSY_FAILED = "数据库正忙（可能正在进行其他导入），已全部撤销，未写入任何数据。请稍后点击“重新预检”后再确认导入"
WAITING_FOR_COUNTY = "等待本县正在进行的其他导入完成"
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


# --- progress and interrupted jobs (fangpin.jobs) ---------------------------------------------------


def mark_if_stalled(record) -> bool:
    """An import or export waiting or running in the background whose worker has gone silent is marked
    interrupted (an import becomes 导入失败 with "已视为中断", an export 已中断), so the officer can run it
    again: a dead worker leaves nothing half-written (the apply is one transaction, an export's file is
    only named when complete). A task that still arrives later finds its attempt gone and stops. While
    an import holds the SQLite database the mark waits for the next look (or the sweeper)."""
    if not record.running or record.job is None:
        return False
    try:
        marked = background.interrupt_if_stale(record.job)
    except OperationalError as exc:
        if not is_busy_error(exc):
            raise
        return False
    if marked:
        record.refresh_from_db()
    return marked


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


def _tables():
    from fangpin.profiles.models import PolicyProfile

    return (
        Event, Household, Member, IncomeRecord, Measure, MemberMove, Division, PolicyProfile,
        Household.history.model, Member.history.model, IncomeRecord.history.model,
    )


def data_fingerprint() -> dict:
    """The high-water marks the dry run takes before it reads the county: the highest id of every
    table the plan reads or writes (the audit ``Event`` table, which every service write adds to, and
    the row-history tables, which a row saved outside the services still adds to), the date. One
    index lookup each. The apply asks only whether rows *of its county* came after these marks
    (``changes_since``), so work in other counties does not spoil the preview."""
    return {"today": today().isoformat(), **{m._meta.label: m.objects.aggregate(m=Max("pk"))["m"] for m in _tables()}}


def _county_marks(county: Division, report) -> dict:
    """``data_fingerprint`` taken under the county's lock for an instant (PostgreSQL): the county's
    writes still in flight commit first, so none of them can get an id below the marks and yet be
    missed by the read that follows. (On SQLite ids follow commit order.)"""
    if connection.vendor != "postgresql":
        return data_fingerprint()
    with transaction.atomic():
        if not county_batch_lock(county.code, wait=False):
            report(2, WAITING_FOR_COUNTY)
            county_batch_lock(county.code)
        return data_fingerprint()


def _code_in(field: str, prefix: str) -> Q:
    """``field`` (a division code, possibly across a join) within ``prefix``, written so that no index on it
    is used: the check must walk the few rows added since the marks (primary-key range), not the county's
    hundreds of thousands of households (which SQLite's planner would otherwise pick)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": successor(prefix)})


def changes_since(county: Division, marks: dict) -> list[str]:
    """What of this county changed after the dry run's marks (names of the tables; empty: nothing).

    Each check reads only rows added since the marks (a primary-key range), filtered to the county, so the
    apply of an unchanged county stays cheap however busy the other counties are. Rows of other counties
    matter to the plan only through people registered there (``_elsewhere_unchanged``).
    """
    if not marks:
        return ["预检记录"]
    from django.db.models import CharField, F, Value
    from django.db.models.functions import Concat

    from fangpin.profiles.models import PolicyProfile

    def unindexed(path: str):
        return Concat(F(path), Value(""), output_field=CharField())

    changed = [] if marks.get("today") == today().isoformat() else ["日期"]
    prefix = county.code
    checks = {
        Event: ("division_code",), Household: ("division_code",), Member: ("household__division_code",),
        IncomeRecord: ("household__division_code",), Measure: ("household__division_code",),
        MemberMove: ("from_household__division_code", "to_household__division_code"), Division: ("code",),
        PolicyProfile: (), Household.history.model: ("division_code",),
        Member.history.model: ("household__division_code",), IncomeRecord.history.model: ("household__division_code",),
    }
    for model in _tables():
        label = model._meta.label
        if label not in marks:
            changed.append(str(model._meta.verbose_name))
            continue
        qs = model.objects.filter(pk__gt=marks[label] or 0)
        paths = checks[model]
        if paths:
            qs = qs.annotate(**{f"_c{i}": unindexed(path) for i, path in enumerate(paths)})
            where = Q()
            for i in range(len(paths)):
                where |= _code_in(f"_c{i}", prefix)
            qs = qs.filter(where)
        if qs.exists():
            changed.append(str(model._meta.verbose_name))
    return changed


def _elsewhere_unchanged(county: Division, plan, marks: dict) -> bool:
    """The people the plan creates are still registered nowhere else, and those it refused as
    registered elsewhere still are. Free when no member was added or changed anywhere since the marks;
    otherwise one indexed lookup per 5,000 people."""
    labels = (Member._meta.label, Member.history.model._meta.label)
    now = {m._meta.label: m.objects.aggregate(m=Max("pk"))["m"] for m in (Member, Member.history.model)}
    if all(marks.get(label) == now[label] for label in labels):
        return True
    refused = {item["id_number"] for item in (getattr(plan, "move_requests", None) or [])}
    inserts = plan.member_inserts
    wanted = sorted(refused | (set(inserts["m_id_number"].to_list()) if inserts is not None and inserts.height else set()))
    outside = Member.objects.filter(Q(household__division_code__lt=county.code) | Q(household__division_code__gte=successor(county.code)))
    found: set[str] = set()
    for start in range(0, len(wanted), 5000):
        found.update(outside.filter(id_number__in=wanted[start : start + 5000]).values_list("id_number", flat=True))
    return found == refused


PLAN_HOUSEHOLD_COLUMNS = ("_hkey", "h_id", "village_code", "group_code", "action", "division_code", "t_category", "t_status")


def _save_plan(job: ImportJob, plan, fingerprint: dict) -> None:
    """Store the plan with only the household columns the apply reads (the rest is the diff's working data)."""
    import dataclasses

    keep = [c for c in plan.households.columns if c in PLAN_HOUSEHOLD_COLUMNS]
    plan = dataclasses.replace(plan, households=plan.households.select(keep))
    d = work_dir(job)
    with open(d / "plan.pickle", "wb") as fh:
        pickle.dump({"sha256": job.sha256, "options": job.options, "fingerprint": fingerprint, "plan": plan}, fh, protocol=5)


def _reusable_plan(job: ImportJob):
    """The dry run's plan if it was stored for this file, options and preview (the caller has checked
    that the county has not changed since)."""
    path = work_dir(job) / "plan.pickle"
    if not path.exists():
        return None
    with open(path, "rb") as fh:
        saved = pickle.load(fh)  # written by this application's own dry run, in its private work folder
    if saved["sha256"] != job.sha256 or saved["options"] != job.options or saved["fingerprint"] != job.preview.get("fingerprint"):
        return None
    return saved["plan"]


# --- dry run ---------------------------------------------------------------------------------------


def _claim(job: ImportJob, waiting_for: tuple, attempt: int | None) -> bool:
    """This task's turn: the import is in a waiting status and its job's attempt is claimed now."""
    if job.status not in waiting_for or job.job is None:
        log.info("import job %s is %s: nothing to do", job.pk, job.status)
        return False
    return background.claim(job.job, attempt)


def run_check(job_id: int, progress: Progress | None = None, *, attempt: int | None = None) -> ImportJob:
    """The dry run of an import (the ``check_import`` task, or the command line with ``attempt`` None)."""
    job = ImportJob.objects.select_related("county", "job").get(pk=job_id)
    if not _claim(job, (ImportStatus.UPLOADED, ImportStatus.CHECKING), attempt):
        job.refresh_from_db()
        return job
    run = job.job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.CHECKING, error="")
    job.issues.all().delete()
    with background.running(run, progress) as report:
        report(2, "读取文件")
        started = time.monotonic()
        try:
            profile = profile_for_county(job.county.code)
            fingerprint = _county_marks(job.county, report)  # before the county is read: a change after it is seen by the apply
            give_back()  # what earlier work of this worker freed goes back to the system before the file is read
            table = read_table(job.file.path, job.original_name)
            report(40, f"读取完成（{table.row_count}行），正在校验")
            prep = prepare(table, county=job.county, profile=profile, today=today())
            # The county's current data is read only now, once the file's cells have been released by the
            # checks: the parsed workbook and the county's rows are never in memory together (R-OPS-05).
            report(60, "读取库中数据")
            state = load_state(job.county)
            report(70, "比对中")
            plan = build_plan(prep, state, profile=profile, options=job.options, today=today())
            report(85, "保存预检结果")
            digest = plan.digest()
            _save_prepared(job, prep, plan.refused)
            if state.members.height >= PLAN_REUSE_MIN_ROWS:
                _save_plan(job, plan, fingerprint)
            issues = pl.concat([prep.issues, plan.issues], how="vertical").sort(["row"], nulls_last=False)
            refused_rows = prep.rows.filter(pl.col("_hkey").is_in(list(plan.refused)) | pl.col("_hkey").is_null()).height
            previous = (
                ImportJob.objects.filter(county=job.county, sha256=job.sha256, status=ImportStatus.APPLIED)
                .exclude(pk=job.pk).order_by("-applied_at").first()
            )
            with transaction.atomic():
                _store_issues(job, issues)
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
                job.checked_at = timezone.now()
                job.save()
                if not background.finish(run, result={"counts": plan.counts}, phase="预检完成"):
                    raise JobLost
        except JobLost:
            log.warning("import job %s: its check was given up meanwhile (interrupted); nothing kept", job.pk)
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
    """The run failed: the import's status and its job's, together (unless the job was given up meanwhile)."""
    with transaction.atomic():
        if job.job is not None and not background.fail(job.job, message):
            return
        ImportJob.objects.filter(pk=job.pk).update(status=status, error=message[:4000])


# --- apply -------------------------------------------------------------------------------------


def _lock_county(county: Division, report) -> None:
    """The county's batch lock (PostgreSQL): the county's own writers wait until commit, a second apply
    of the county waits here (never interleaves); other counties go on. SQLite: the transaction's write lock."""
    if not county_batch_lock(county.code, wait=False):
        report(2, WAITING_FOR_COUNTY)
        county_batch_lock(county.code)


def run_apply(job_id: int, progress: Progress | None = None, *, attempt: int | None = None) -> ImportJob:
    """The apply of a confirmed import (the ``apply_import`` task, or the command line)."""
    job = ImportJob.objects.select_related("county", "applied_by", "uploaded_by", "job").get(pk=job_id)
    if not _claim(job, (ImportStatus.APPLYING,), attempt):
        job.refresh_from_db()
        return job
    run = job.job
    actor = job.applied_by or job.uploaded_by
    with background.running(run, progress) as report:
        report(1, "读取预检结果")
        try:
            prep, seen_refused = _load_prepared(job)
            profile = profile_for_county(job.county.code)
            marks = job.preview.get("fingerprint") or {}
            with bulk.staging(work_dir(job)), using_source("import", job.source_ref), transaction.atomic():
                _lock_county(job.county, report)
                changed = changes_since(job.county, marks)
                plan = None if changed else _reusable_plan(job)
                if plan is not None and not _elsewhere_unchanged(job.county, plan, marks):
                    plan, changed = None, ["其他地区的人员"]
                if plan is None:
                    report(3, "读取库中数据")
                    state = load_state(job.county)
                    report(6, "与库中数据比对")
                    plan = build_plan(prep, state, profile=profile, options=job.options, today=today())
                    if changed or data_fingerprint() != marks:
                        # Something changed since the dry run: write only if the new plan is the confirmed one.
                        report(8, "核对预检以来的变化")
                        _require_previewed(job, plan, seen_refused)
                else:
                    report(6, "库中数据自预检以来未变，沿用预检结果")
                if plan.refused - seen_refused:
                    _require_previewed(job, plan, seen_refused)
                # The plan holds what the apply writes: the checked rows and the county's state are let go
                # before it (R-OPS-05).
                prep = state = None
                apply_plan(plan, actor=actor, profile=profile, county_code=job.county.code,
                           progress=lambda pct, label: report(10 + pct * 85 // 100, label))
                moves = _raise_move_requests(job, plan, actor)
                report(98, "提交")
                counts = {**plan.counts, "applied": True, "move_requests": moves, "timings": report.timings()}
                ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPLIED, counts=counts, applied_at=timezone.now(), error="")
                # In the apply's transaction: a job the sweeper gave up meanwhile rolls everything back.
                if not background.finish(run, result={"households": plan.counts["households"]}, phase="导入完成"):
                    raise JobLost
            discard_work(job)
        except JobLost:
            log.warning("import job %s: its apply was given up meanwhile (interrupted); rolled back, nothing written", job.pk)
        except ApplyRefused as exc:
            _fail(job, ImportStatus.FAILED, str(exc))
        except Exception as exc:  # noqa: BLE001 - the officer is told it failed; the reason is for the operators' log
            log.exception("import apply failed for job %s", job.pk)
            _fail(job, ImportStatus.FAILED, BUSY_FAILED if is_busy_error(exc) else APPLY_FAILED.format(job=job.pk))
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


def discard_work(job: ImportJob) -> None:
    """Remove the checked rows kept for the apply (the uploaded file itself stays, referenced by the audit)."""
    shutil.rmtree(Path(settings.MEDIA_ROOT) / "interop" / "work" / str(job.pk), ignore_errors=True)
