"""Export a county in the national system's layouts (R-INT-03).

The values are the national text of our data, worked out by the same expressions the importer
compares against (``state``), so importing an export of ours changes nothing. The workbook is
written with xlsxwriter in constant-memory mode: title rows, the header row, one row per person
(or per household for household-level layouts); ID numbers, household and person numbers are text
cells, money and areas are numbers.

``national_style`` writes the quirks seen in real national exports, so a demo import exercises
them: phone numbers, dates and months as number cells (never ID numbers), and sex as 1/2 in the
full-field layout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl
import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fangpin.areas.models import Division, Level
from fangpin.jobs import services as background
from fangpin.jobs.services import JobLost
from fangpin.profiles.services import profile_for_county, today

from .layouts import FIELDS, Layout, layouts, normalize_header
from .models import ExportJob, ExportStatus
from .state import (
    NO,
    YES,
    category_text,
    danger_text,
    dibao_text,
    income_totals,
    load_state,
    status_text,
)

log = logging.getLogger(__name__)
TEXT_TYPES = {"id_number", "code", "phone", "text", "sex", "date", "month", "year", "months", "int"}
MONEY_KEYS = {k for k, f in FIELDS.items() if f.type == "money"}
NUMBER_KEYS = {k for k, f in FIELDS.items() if f.type == "number"}
NUMERIC_IN_NATIONAL_STYLE = {"household_phone", "member_phone", "birth_date", "identified_month", "eliminated_month", "household_size", "months_worked"}
INCOME_BASE = [
    "wage_total", "wage_public_welfare", "wage_other", "production_income", "property_total", "property_dividend",
    "property_other", "transfer_total", "transfer_family_planning", "transfer_dibao", "transfer_tekun",
    "transfer_pension", "transfer_eco", "transfer_other", "production_expense", "insurance_payout",
    "eligible_out_of_pocket", "net_income", "per_capita_net_income",
]
ELIM_MAP = {
    "e_wage_total": "wage_total", "e_property_total": "property_total", "e_transfer_total": "transfer_total",
    "e_production_income": "production_income", "e_production_expense": "production_expense",
    "e_net_income": "net_income", "e_per_capita_net_income": "per_capita_net_income",
    "e_insurance_payout": "insurance_payout", "e_eligible_out_of_pocket": "eligible_out_of_pocket",
}


def national_frame(county: Division, layout: Layout, division_code: str = "") -> pl.DataFrame:
    """One row per exported line with a column per layout field key (text, or cents for money)."""
    profile = profile_for_county(county.code)
    state = load_state(county)
    names = {code: d["name"] for code, d in state.divisions.items()}
    monitored_name, htype = category_text(profile)
    h = state.households
    if division_code and division_code != county.code:
        h = h.filter(pl.col("division_code").str.starts_with(division_code))
    code_of = {d["id"]: code for code, d in state.divisions.items()}
    h = h.with_columns(
        pl.col("village_id").replace_strict(code_of, default="", return_dtype=pl.String).alias("_village_code"),
        pl.col("group_id").replace_strict(code_of, default="", return_dtype=pl.String).fill_null("").alias("_group_code"),
    )
    active = state.members.filter(pl.col("active") == YES)
    sizes = active.group_by("household_id").agg(pl.len().alias("_active_size"))
    heads = active.filter(pl.col("relation") == "户主").group_by("household_id").agg(
        pl.col("name").first().alias("_head_name"), pl.col("id_number").first().alias("_head_id"),
        pl.col("person_number").first().alias("_head_pn"),
    )
    h = h.join(sizes, left_on="h_id", right_on="household_id", how="left").join(heads, left_on="h_id", right_on="household_id", how="left")
    # The income record each block shows: identification (when included) or the latest regular year; elimination.
    inc = income_totals(state.incomes).with_columns(
        (pl.col("wage_total") + pl.col("production_income") + pl.col("property_total") + pl.col("transfer_total") - pl.col("production_expense")).alias("net_income"),
    )
    inc = inc.with_columns((pl.col("net_income") / pl.col("household_size")).round(0).cast(pl.Int64).alias("per_capita_net_income"))
    regular = inc.filter(pl.col("purpose") == "regular").sort("year").group_by("household_id").last()
    ident = inc.filter(pl.col("purpose") == "identification")
    elim = inc.filter(pl.col("purpose") == "elimination")
    h = h.with_columns(
        pl.col("included_on").str.slice(0, 4).cast(pl.Int64, strict=False).alias("_ident_year"),
        pl.col("eliminated_on").str.slice(0, 4).cast(pl.Int64, strict=False).alias("_elim_year"),
    )
    base_cols = [pl.col(k).alias(f"b_{k}") for k in INCOME_BASE] + [pl.col("household_size").alias("b_size"), pl.col("year").alias("b_year")]
    # Mirror the importer: the unprefixed income block is "at identification" only in layouts that
    # carry 识别监测时间; elsewhere it is the annual (regular) record.
    if "identified_month" not in layout.field_keys():
        h = h.with_columns(pl.lit(None, pl.Int64).alias("_ident_year"))
    h_ident = h.filter(pl.col("_ident_year").is_not_null()).join(
        ident.select("household_id", "year", *base_cols), left_on=["h_id", "_ident_year"], right_on=["household_id", "year"], how="left"
    )
    h_regular = h.filter(pl.col("_ident_year").is_null()).join(regular.select("household_id", *base_cols), left_on="h_id", right_on="household_id", how="left")
    h = pl.concat([h_ident, h_regular], how="diagonal_relaxed")
    h = h.join(
        elim.select("household_id", "year", *[pl.col(v).alias(f"e_{k[2:]}") for k, v in ELIM_MAP.items()]),
        left_on=["h_id", "_elim_year"], right_on=["household_id", "year"], how="left",
    ) if elim.height else h.with_columns([pl.lit(None, pl.Int64).alias(f"e_{k[2:]}") for k in ELIM_MAP])
    measures = state.measures.pivot(on="category", index="household_id", values="content", aggregate_function="first") if state.measures.height else None
    if measures is not None:
        h = h.join(measures, left_on="h_id", right_on="household_id", how="left")
    keys = layout.field_keys()
    grain = layout.grain
    if grain == "person":
        m = active.join(h, left_on="household_id", right_on="h_id", how="inner", suffix="_h")
    else:
        m = h.join(active.filter(pl.col("relation") == "户主"), left_on="h_id", right_on="household_id", how="left", suffix="_m")
    m = m.with_columns(
        pl.col("division_code").alias("_sort_division"),
        pl.col("relation").replace_strict(_relation_order(), default=99, return_dtype=pl.Int64).alias("_sort_relation"),
    ).sort(["_sort_division", "number", "_sort_relation", "birth_date"], nulls_last=True)
    exprs = _exprs(m, keys, profile, names, monitored_name, htype, county)
    return m.select([e.alias(k) for k, e in exprs.items()])


def _relation_order() -> dict:
    from fangpin.registry.vocab import RELATION_ORDER

    return dict(RELATION_ORDER)


def _text(value) -> pl.Expr:
    return value.cast(pl.String).fill_null("")


def _exprs(m: pl.DataFrame, keys, profile, names, monitored_name, htype, county) -> dict[str, pl.Expr]:
    cols = set(m.columns)
    # Person rows: member columns plain, clashing household columns suffixed _h; household rows: the reverse (_m).
    hx_col = "x_h" if "x_h" in cols else "x"
    mx_col = "x" if "x_h" in cols else "x_m"

    def hextra(key):
        return pl.col(hx_col).struct.field(FIELDS[key].header).fill_null("")

    def mextra(key):
        return pl.col(mx_col).struct.field(FIELDS[key].header).fill_null("") if mx_col in cols else pl.lit("")

    out: dict[str, pl.Expr] = {}
    person = lambda c: pl.col(c if c in cols else f"{c}_m").fill_null("")  # noqa: E731
    for key in keys:
        f = FIELDS[key]
        if key == "seq":
            e = pl.int_range(1, pl.len() + 1).cast(pl.String)
        elif key == "province":
            e = pl.lit(profile.data.get("province", ""))
        elif key == "city":
            e = pl.lit(profile.data.get("city", ""))
        elif key == "county":
            e = pl.lit(county.name)
        elif key == "township":
            e = pl.col("division_code").str.slice(0, 9).replace_strict(names, default="")
        elif key == "village":
            e = pl.col("_village_code").replace_strict(names, default="")
        elif key == "group":
            e = pl.col("_group_code").replace_strict(names, default="")
        elif key == "household_number":
            e = pl.col("number")
        elif key in ("name", "sex", "relation", "ethnicity", "political", "education", "student_status", "health", "labour", "person_number"):
            e = person(key)
        elif key == "id_number":
            e = person("id_number")
        elif key == "birth_date":
            e = person("birth_date").str.replace_all("-", "")
        elif key == "months_worked":
            e = person("months_worked")
        elif key == "member_phone":
            e = person("phone") if "phone_m" not in cols else pl.col("phone_m").fill_null("")
        elif key == "household_phone":
            e = pl.col("phone_h").fill_null("") if "phone_h" in cols else pl.col("phone").fill_null("")
        elif key in ("medical_insurance", "serious_illness_insurance", "pension_insurance"):
            e = person(key)
        elif key == "dibao_status":
            e = dibao_text(person("dibao"), pl.col(mx_col).struct.field(f.header), ("城市低保", "农村低保"), "农村低保", "未享受")
        elif key == "tekun_status":
            e = dibao_text(person("tekun"), pl.col(mx_col).struct.field(f.header), ("城市特困", "农村特困"), "农村特困", "不享受")
        elif key == "dibao_flag":
            e = person("dibao")
        elif key == "tekun_flag":
            e = person("tekun")
        elif key == "head_name":
            e = pl.col("_head_name").fill_null("")
        elif key == "head_id_number":
            e = pl.col("_head_id").fill_null("")
        elif key == "head_person_number":
            e = pl.col("_head_pn").fill_null("")
        elif key == "household_type":
            stored = hextra("household_type")
            e = pl.when(stored != "").then(stored).otherwise(pl.col("category").replace_strict(htype, default=""))
        elif key == "monitored_category":
            e = pl.col("category").replace_strict(monitored_name, default="")
        elif key in ("risk_resolved", "risk_resolved_again"):
            e = status_text(pl.col("monitoring_status"))
        elif key == "identified_month":
            e = pl.col("included_on").fill_null("").str.slice(0, 7).str.replace("-", "")
        elif key == "eliminated_month":
            e = pl.col("eliminated_on").fill_null("").str.slice(0, 7).str.replace("-", "")
        elif key == "elimination_mode":
            e = pl.col("elimination_mode").replace_strict({"assisted": "帮扶消除", "natural": "自然消除"}, default="")
        elif key in ("risk_1", "risk_2", "risk_3", "risk_4", "risk_5"):
            e = pl.col("risk_list").list.get(int(key[-1]) - 1, null_on_oob=True).fill_null("")
        elif key == "risk_all":
            e = pl.col("risk_list").list.join(",")
        elif key == "no_labour":
            e = pl.col("no_labour_household").fill_null(NO)
        elif key == "safe_water":
            e = pl.col("water_secure").fill_null("")
        elif key == "dangerous_house":
            e = danger_text(pl.col("housing_grade"))
        elif key == "year":
            e = _text(pl.col("b_year"))
        elif key == "household_size":
            e = _text(pl.coalesce(pl.col("b_size"), pl.col("_active_size")))
        elif key == "current_household_size":
            e = _text(pl.col("_active_size"))
        elif key in INCOME_BASE:
            e = pl.col(f"b_{key}")
        elif key in ELIM_MAP:
            e = pl.col(f"e_{key[2:]}") if f"e_{key[2:]}" in cols else pl.lit(None, pl.Int64)
        elif f.store == "measure":
            e = pl.col(f.header).fill_null("") if f.header in cols else pl.lit("")
        elif f.store == "household.extra":
            e = hextra(key)
        elif f.store == "member.extra":
            e = mextra(key)
        else:
            e = pl.lit("")
        out[key] = e
    return out


def write_workbook(path_or_buffer, layout: Layout, rows: Iterable[tuple], *, county_name: str = "", national_style: bool = False,
                   total: int | None = None, progress: Callable[[int, str], None] | None = None) -> int:
    """Write ``rows`` (values in ``layout.columns`` order; money in cents) as a national-style workbook."""
    keys = layout.field_keys()
    wb = xlsxwriter.Workbook(path_or_buffer, {"constant_memory": True, "in_memory": not isinstance(path_or_buffer, str | Path)})
    ws = wb.add_worksheet("Sheet1")
    title_fmt = wb.add_format({"bold": True, "font_size": 14})
    head_fmt = wb.add_format({"bold": True, "border": 1, "bg_color": "#E8EEF7"})
    text_fmt = wb.add_format({"num_format": "@"})
    row_no = 0
    if layout.title_rows >= 1:
        ws.write_string(row_no, 0, layout.title, title_fmt)
        row_no += 1
    for _ in range(1, layout.title_rows):
        ws.write_string(row_no, 0, f"单位：{county_name}　　导出时间：{today():%Y-%m-%d}")
        row_no += 1
    for col, name in enumerate(layout.columns):
        ws.write_string(row_no, col, name, head_fmt)
    ws.set_column(0, len(layout.columns) - 1, 12)
    row_no += 1
    kinds = []
    for key in keys:
        if key in MONEY_KEYS:
            kinds.append("money")
        elif key in NUMBER_KEYS:
            kinds.append("number")
        elif national_style and key in NUMERIC_IN_NATIONAL_STYLE:
            kinds.append("numeric_text")
        elif key == "sex" and national_style and layout.name == "full_field":
            kinds.append("sex_code")
        else:
            kinds.append("text")
    written = 0
    step = max(1, (total or 0) // 50)
    for values in rows:
        for col, (kind, value) in enumerate(zip(kinds, values, strict=True)):
            if value is None or value == "":
                continue
            if kind == "money":
                ws.write_number(row_no, col, value / 100)
            elif kind == "number":
                try:
                    ws.write_number(row_no, col, float(value))
                except ValueError:
                    ws.write_string(row_no, col, value, text_fmt)
            elif kind == "numeric_text" and value.isdigit() and len(value) <= 15:
                ws.write_number(row_no, col, int(value))
            elif kind == "sex_code":
                ws.write_string(row_no, col, {"男": "1", "女": "2"}.get(value, value))
            else:
                ws.write_string(row_no, col, value, text_fmt)
        row_no += 1
        written += 1
        if progress is not None and total and written % step == 0:
            progress(written * 100 // total, f"已写出{written}/{total}行")
    wb.close()
    return written


def export_county(county: Division, layout_name: str, out, *, division_code: str = "", national_style: bool = False,
                  progress: Callable[[int, str], None] | None = None) -> int:
    layout = layouts()[layout_name]
    if county.level != Level.COUNTY:
        raise ValueError("只能按县（区）导出")
    frame = national_frame(county, layout, division_code)
    keys = layout.field_keys()
    if len(set(keys)) != len(keys):
        # Two headers of one layout meaning the same field (生产经营性支出 and its 合计 form) share the values.
        frame = frame.select([pl.col(k) for k in keys])
    return write_workbook(out, layout, frame.iter_rows(), county_name=county.name, national_style=national_style,
                          total=frame.height, progress=progress)


def layout_for_header(header: str) -> str:
    return normalize_header(header)


EXPORT_FAILED = "导出出错，未生成文件。请稍后重新导出；如仍出错，请联系系统管理员并告知导出编号{job}"


def partial_path(job: ExportJob) -> Path:
    """Where the workbook is written until it is complete (then moved to its place and named on the job)."""
    return Path(settings.MEDIA_ROOT) / "interop" / "exports" / "partial" / f"{job.pk}.xlsx"


def run_export(job_id: int, *, attempt: int | None = None) -> ExportJob:
    """Write an export job's workbook (the ``build_export`` task). A late or repeated task does nothing;
    a worker that dies leaves only a partial file, removed when the sweeper marks the export 已中断."""
    job = ExportJob.objects.select_related("county", "job").get(pk=job_id)
    if job.job is None or not job.running or not background.claim(job.job, attempt):
        log.info("export job %s is %s: nothing to do", job.pk, job.status)
        job.refresh_from_db()
        return job
    run = job.job
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING)
    layout = layouts()[job.layout]
    relative = Path("interop") / "exports" / f"{timezone.now():%Y%m}" / f"{job.county.name}_{layout.title}_{job.pk}.xlsx"
    target = Path(settings.MEDIA_ROOT) / relative
    partial = partial_path(job)
    with background.running(run) as report:
        try:
            report(1, "读取数据")
            partial.parent.mkdir(parents=True, exist_ok=True)
            rows = export_county(job.county, job.layout, str(partial), division_code=job.division_code,
                                 national_style=job.national_style, progress=report)
            target.parent.mkdir(parents=True, exist_ok=True)
            with transaction.atomic():
                ExportJob.objects.filter(pk=job.pk).update(
                    status=ExportStatus.DONE, file=str(relative), row_count=rows, finished_at=timezone.now()
                )
                if not background.finish(run, result={"rows": rows}, phase=f"已导出{rows}行"):
                    raise JobLost
                partial.replace(target)
        except JobLost:
            log.warning("export job %s was given up meanwhile (interrupted); no file kept", job.pk)
            partial.unlink(missing_ok=True)
        except Exception:  # noqa: BLE001 - the officer is told it failed; the reason is for the operators' log
            log.exception("export job %s failed", job.pk)
            partial.unlink(missing_ok=True)
            message = EXPORT_FAILED.format(job=job.pk)
            with transaction.atomic():
                if background.fail(run, message):
                    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, finished_at=timezone.now(), error=message)
    job.refresh_from_db()
    return job
