"""Normalise and check the rows of a national-system export (R-INT-01, R-INT-02).

Everything here is set-based (polars expressions over all rows at once) and independent of the
database: text normalisation, value lists, ID numbers, dates, numbers, and the household checks
that need only the file (one 户主, at most one 配偶, head and spouse of different sex, household
values repeated identically on every member row, one ID number in one household only).

Each problem becomes an issue with the Excel row number, the column header as written in the file
and a Chinese message (collected by the ingest toolkit's ``Issues``). A household with any refused row
is refused whole; warnings never block.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from fangpin.ingest.issues import REFUSED, WARNING, Issues, issue_schema, msg, quoted
from fangpin.ingest.values import (
    cents,
    date_text,
    drop_point_zero,
    id_number_valid,
    month_text,
    number_text,
    split_multi,
)
from fangpin.policy.idnumbers import IdNumberError, parse_id_number
from fangpin.registry import vocab
from fangpin.validation import PHONE_HINT, PHONE_PATTERN

from .layouts import FIELDS, ColumnMap, detect_layout, map_columns, value_aliases
from .reader import NotAnExport, Table, col

ISSUE_SCHEMA = issue_schema("hkey")
GRADES = {"1": "一级", "2": "二级", "3": "三级", "4": "四级"}

RISK_FIELDS = ("risk_1", "risk_2", "risk_3", "risk_4", "risk_5", "risk_all")
HOUSEHOLD_DERIVED = {"household_type", "monitored_category", "dangerous_house", *RISK_FIELDS, "year", "household_size", "risk_resolved"}
HOUSEHOLD_CHECKS = {
    "head_name", "head_id_number", "head_person_number", "current_household_size", "net_income",
    "per_capita_net_income", "e_net_income", "e_per_capita_net_income", "risk_resolved_again",
}
# Household columns the importer does not store but computes itself (from the income parts) or only
# compares with another column: member rows that disagree on them get a warning, not a refusal.
_BY_PARTS = "该列不导入，以按收入分项计算的值为准"
RECOMPUTED = {
    "net_income": _BY_PARTS, "per_capita_net_income": _BY_PARTS, "e_net_income": _BY_PARTS, "e_per_capita_net_income": _BY_PARTS,
    "risk_resolved_again": "该列不导入，以「风险是否已消除」为准",
}
PLACE_FIELDS = ("county", "township", "village", "group")
# Household columns used as text on every member row (keys, and the head's columns of a household-level file).
TEXT_ALWAYS = {"household_number", "head_id_number", "head_name", "head_person_number"}
INCOME_GROUPS = {
    "wage": ("wage_total", ("wage_public_welfare",), "wage_other"),
    "property": ("property_total", ("property_dividend",), "property_other"),
    "transfer": (
        "transfer_total",
        ("transfer_family_planning", "transfer_dibao", "transfer_tekun", "transfer_pension", "transfer_eco"),
        "transfer_other",
    ),
}


def is_household_field(key: str) -> bool:
    f = FIELDS[key]
    return (
        f.scope in ("household", "income", "income_elim", "measure")
        or key in HOUSEHOLD_DERIVED
        or key in HOUSEHOLD_CHECKS
        or key in PLACE_FIELDS
        or key == "natural_village"
    )


@dataclass
class Prepared:
    grain: str  # "person" | "household"
    colmap: ColumnMap
    present: frozenset
    rows: pl.DataFrame  # one row per person (household grain: the head named in the row)
    households: pl.DataFrame  # one row per household key (户编号)
    issues: pl.DataFrame
    layout: str
    household_columns: list[str]
    member_columns: list[str]

    def header(self, key: str) -> str:
        return self.colmap.header_of(key)

    def refused_keys(self) -> set[str]:
        refused = self.issues.filter((pl.col("level") == REFUSED) & pl.col("hkey").is_not_null())
        return set(refused["hkey"].unique().to_list())


def _issues() -> Issues:
    """Issues of the national import: grouped by household (``hkey``, from the rows' ``_hkey``)."""
    return Issues("hkey", key_column="_hkey")


def _vocab_values(name: str) -> list[str]:
    return list(vocab.values(name))


def _value_map(kind: str, allowed: list[str]) -> dict[str, str]:
    mapping = value_aliases(kind)
    if kind == "ethnicity":
        mapping.update({v[:-1]: v for v in allowed if v.endswith("族") and len(v) > 1})
    return mapping


def prepare(table: Table, *, county, profile, today: dt.date) -> Prepared:
    colmap = map_columns(table.headers)
    present = set(colmap.fields)
    if "id_number" in present:
        grain = "person"
        required = ("household_number", "township", "village", "id_number", "name", "relation")
    elif "head_id_number" in present:
        grain = "household"
        required = ("household_number", "township", "village", "head_id_number", "head_name")
    else:
        raise NotAnExport("缺少“证件号码”（或“户主证件号码”）列：这不是国家系统导出的人员或户信息表")
    missing = [FIELDS[k].header for k in required if k not in present]
    if missing:
        raise NotAnExport(f"缺少必需的列：{'、'.join(missing)}（表头在第{table.header_row}行）")

    issues = _issues()
    header = colmap.header_of
    src = table.frame
    # The reader keeps columns with few distinct values as Categorical (compact); member columns become
    # text here, household columns stay compact on the member rows and become text once per household.
    select = [pl.col("_row")]
    for key, pos in colmap.fields.items():
        value = pl.col(col(pos))
        if not is_household_field(key) or key in TEXT_ALWAYS:
            value = value.cast(pl.String)
        select.append(value.alias(key))
    df = src.select(select)
    df = df.with_columns(drop_point_zero(pl.col("household_number")).alias("household_number"))
    df = df.with_columns(pl.when(pl.col("household_number") != "").then(pl.col("household_number")).otherwise(None).alias("_hkey"))
    for _pos, text in colmap.unknown:
        issues.add(WARNING, None, text, "未识别的列，已忽略（不影响导入）", None)

    issues.from_mask(df, msg(pl.col("household_number") == "", "户编号不能为空"), header("household_number"))
    issues.from_mask(
        df,
        msg((pl.col("household_number") != "") & ~pl.col("household_number").str.contains(r"^[0-9A-Za-z\-]{1,30}$"),
             pl.concat_str([pl.lit("户编号只能包含数字、字母和短横线（最长30位），收到"), quoted(pl.col("household_number"))])),
        header("household_number"),
    )

    # --- place ------------------------------------------------------------------------------
    if "county" in present:
        names = {county.name, county.name.rstrip("县区市旗")}
        issues.from_mask(
            df,
            msg((pl.col("county") != "") & ~pl.col("county").is_in(list(names)),
                 pl.concat_str([pl.lit("县"), quoted(pl.col("county").cast(pl.String)), pl.lit(f"不是本次导入的{county.name}，该行不导入")])),
            header("county"),
        )
    for key, label in (("township", "乡（镇）"), ("village", "村")):
        issues.from_mask(df, msg(pl.col(key) == "", f"{label}名称不能为空"), header(key))

    # --- ID numbers -------------------------------------------------------------------------
    id_key = "id_number" if grain == "person" else "head_id_number"
    df = _id_columns(df, id_key, today, table.numeric_cells.get(colmap.fields[id_key], set()), header(id_key), issues)
    if grain == "person" and "head_id_number" in present:
        df = df.with_columns(pl.col("head_id_number").str.replace_all(r"\s", "").str.to_uppercase())

    # --- member fields ----------------------------------------------------------------------
    if grain == "household":
        df = df.with_columns(
            pl.col("head_id_number").alias("id_number"),
            pl.col("head_name").alias("name"),
            pl.lit("户主").alias("relation"),
        )
        if "head_person_number" in present:
            df = df.with_columns(pl.col("head_person_number").alias("person_number"))
    member_present = {k for k in present if not is_household_field(k)}
    if grain == "household":
        member_present |= {"id_number", "name", "relation"} | ({"person_number"} if "head_person_number" in present else set())
    df = _member_columns(df, present, member_present, grain, header, issues)
    # The member checks are evaluated now, so the file's raw member columns (text copies) can go: only
    # the normalised ``m_*`` columns and the household columns (still compact) go on (R-OPS-05).
    issues.flush()
    household_keys = [k for k in sorted(present) if is_household_field(k)]
    df = df.select(["_row", "_hkey", *[c for c in df.columns if c.startswith(("m_", "mx_"))], *household_keys])

    # --- household fields: repeated on every member row, so checked for agreement on the raw text
    # and then normalised once per household (its first row) --------------------------------------
    keyed = df.filter(pl.col("_hkey").is_not_null()) if df["_hkey"].null_count() else df  # no copy when all rows have one
    if grain == "person":
        sizes = _check_household_consistency(keyed, household_keys, header, issues)
    else:
        sizes = keyed.group_by("_hkey").agg(pl.len().alias("_row_count"))
    hdf = keyed.select(["_row", "_hkey", *household_keys]).filter(pl.col("_hkey").is_first_distinct())
    hdf = hdf.with_columns([pl.col(k).cast(pl.String) for k in household_keys])
    del keyed
    hdf, household_cols = _household_columns(hdf, present, profile, header, issues)

    # --- same-meaning repeated columns and duplicate headers ----------------------------------
    for pos, text, key in colmap.same_as:
        first = header(key)
        cmp = src.select(
            "_row",
            drop_point_zero(pl.col(col(pos)).cast(pl.String)).alias("a"),
            drop_point_zero(pl.col(col(colmap.fields[key])).cast(pl.String)).alias("b"),
        ).filter(pl.col("a") != pl.col("b"))
        if cmp.height:
            rows = cmp["_row"].head(5).to_list()
            issues.add(WARNING, rows[0], text, f"与「{first}」的值不一致（共{cmp.height}行，如第{'、'.join(map(str, rows))}行），以「{first}」为准", None)
    if "risk_resolved_again" in present and "risk_resolved" in present:
        issues.from_mask(
            hdf,
            msg(pl.col("risk_resolved_again") != pl.col("risk_resolved"), f"与「{header('risk_resolved')}」不一致，以「{header('risk_resolved')}」为准"),
            header("risk_resolved_again"), WARNING,
        )

    # Normalised member fields (``m_*``) and the member columns stored in its extra (``mx_*``).
    member_cols = [c for c in df.columns if c.startswith(("m_", "mx_"))]
    if grain == "person":
        _check_structure(df, hdf, present, header, issues)
    _check_duplicate_keys(df, grain, header, issues)
    households = hdf.select(["_hkey", *household_cols, pl.col("_row").alias("_first_row")]).join(sizes, on="_hkey", how="left")
    # Member columns from value lists go on as Categorical (4 bytes a cell instead of a 16-byte string
    # view): the diff and the apply cast them to text where they compare, join or write them.
    rows = df.select(["_row", "_hkey", *[pl.col(c).cast(ROW_CATEGORIES) if c in COMPACT_ROW_COLUMNS else pl.col(c) for c in member_cols]])
    layout = detect_layout(present)
    found = issues.frame()
    del df, src
    table.release()  # the file's raw cells are no longer needed: only the checked rows go on (R-OPS-05)
    return Prepared(grain, colmap, frozenset(present), rows, households, found, layout, household_cols, member_cols)


# The checked rows' member columns kept as Categorical once the checks are done (R-OPS-05); every other
# ``m_*`` / ``mx_*`` column (keys, names, dates, numbers, free text) stays text. Their values come from
# value lists, so one named set of categories serves every import (the same dtype in every check of a
# file, whose plans are then equal frame for frame).
ROW_CATEGORIES = pl.Categorical(pl.Categories("checked_rows", "fangpin"))
COMPACT_ROW_COLUMNS = frozenset(f"m_{c}" for c in (
    "sex", "relation", "ethnicity", "political", "education", "student_status", "health", "disability_grade",
    "labour", "months_worked", "medical_insurance", "serious_illness_insurance", "pension_insurance", "dibao",
    "tekun",
))


def _id_columns(df, key, today, numeric_rows, column, issues: Issues) -> pl.DataFrame:
    value = pl.col(key).str.replace_all(r"\s", "").str.to_uppercase()
    df = df.with_columns(value.alias(key))
    numeric = pl.col("_row").is_in(sorted(numeric_rows)) if numeric_rows else pl.lit(False)
    df = df.with_columns(
        pl.col(key).str.starts_with("999999").alias("_no_id"),
        numeric.alias("_numeric_id"),
    )
    df = df.with_columns(
        (~pl.col("_no_id") & ~pl.col("_numeric_id") & id_number_valid(pl.col(key), today)).alias("_id_ok")
    )
    df = df.with_columns(
        pl.when(pl.col("_id_ok")).then(pl.when(pl.col(key).str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1).then(pl.lit("男")).otherwise(pl.lit("女"))).otherwise(None).alias("_id_sex"),
        pl.when(pl.col("_id_ok")).then(pl.col(key).str.slice(6, 8).str.to_date("%Y%m%d", strict=False).dt.to_string("%Y-%m-%d")).otherwise(None).alias("_id_birth"),
        pl.when(pl.col("_id_ok") & (pl.col(key).str.len_chars() >= 20))
        .then(pl.col(key).str.slice(19, 1).replace_strict(GRADES, default="", return_dtype=pl.String))
        .otherwise(pl.lit("")).alias("_id_grade"),
    )
    issues.from_mask(df, msg(pl.col(key) == "", "证件号码不能为空"), column)
    issues.from_mask(
        df,
        msg(pl.col("_numeric_id") & (pl.col(key) != ""),
             pl.concat_str([pl.lit("证件号码在Excel中被存成了数字，后几位已丢失（读到"), quoted(pl.col(key)),
                            pl.lit("），请将该列设为文本后重新导出")])),
        column,
    )
    bad = df.filter(~pl.col("_id_ok") & ~pl.col("_no_id") & ~pl.col("_numeric_id") & (pl.col(key) != ""))
    if bad.height:
        messages = []
        cache: dict[str, str] = {}
        for value in bad[key].to_list():
            if value not in cache:
                try:
                    parse_id_number(value, today)
                    cache[value] = "证件号码无效"
                except IdNumberError as exc:
                    cache[value] = f"{exc}（{value}）"
            messages.append(cache[value])
        issues.add_frame(pl.DataFrame({
            "level": REFUSED, "row": bad["_row"], "column": column, "message": messages, "hkey": bad["_hkey"],
        }))
    return df


def _member_columns(df, present, member_present, grain, header, issues: Issues) -> pl.DataFrame:
    out = []
    # key and name
    out.append(pl.col("id_number").alias("m_id_number"))
    issues.from_mask(df, msg(pl.col("name") == "", "姓名不能为空"), header("name" if grain == "person" else "head_name"))
    issues.from_mask(df, msg(pl.col("name").str.len_chars() > 40, "姓名过长（最多40字）"), header("name" if grain == "person" else "head_name"))
    out.append(pl.col("name").alias("m_name"))
    # sex
    if "sex" in present:
        raw = pl.col("sex").replace(value_aliases("sex"))
        issues.from_mask(df, msg(~raw.is_in(["男", "女", ""]), pl.concat_str([pl.lit("性别只能填“男”“女”或“1”“2”，收到"), quoted(pl.col("sex"))])), header("sex"))
        issues.from_mask(
            df,
            msg(raw.is_in(["男", "女"]) & pl.col("_id_sex").is_not_null() & (raw != pl.col("_id_sex")),
                 pl.concat_str([pl.lit("性别"), quoted(raw), pl.lit("与证件号码不符（证件号码显示为"), pl.col("_id_sex"), pl.lit("）")])),
            header("sex"),
        )
        out.append(pl.coalesce(pl.col("_id_sex"), pl.when(raw.is_in(["男", "女"])).then(raw)).fill_null("").alias("m_sex"))
    else:
        out.append(pl.col("_id_sex").fill_null("").alias("m_sex"))
    # birth date
    if "birth_date" in present:
        raw = drop_point_zero(pl.col("birth_date"))
        parsed = date_text(raw)
        issues.from_mask(df, msg((raw != "") & parsed.is_null(), pl.concat_str([pl.lit("出生日期"), quoted(raw), pl.lit("格式不正确（应为YYYYMMDD，如19750305）")])), header("birth_date"))
        issues.from_mask(
            df,
            msg(parsed.is_not_null() & pl.col("_id_birth").is_not_null() & (parsed != pl.col("_id_birth")),
                 pl.concat_str([pl.lit("出生日期"), quoted(raw), pl.lit("与证件号码不符（证件号码显示为"), pl.col("_id_birth"), pl.lit("）")])),
            header("birth_date"),
        )
        out.append(pl.coalesce(pl.col("_id_birth"), parsed).fill_null("").alias("m_birth_date"))
    else:
        out.append(pl.col("_id_birth").fill_null("").alias("m_birth_date"))
    out.append(pl.col("_id_grade").alias("m_disability_grade"))
    out.append(pl.col("_no_id").alias("m_no_id"))
    # relation and value lists
    for key in ("relation", "ethnicity", "political", "education", "student_status", "labour"):
        if key not in member_present:
            continue
        allowed = _vocab_values(key)
        mapping = _value_map(key, allowed)
        value = pl.col(key).replace(mapping) if mapping else pl.col(key)
        label = vocab.label(key)
        issues.from_mask(
            df,
            msg((value != "") & ~value.is_in(allowed), pl.concat_str([pl.lit(label), quoted(pl.col(key)), pl.lit("不在字典值中")])),
            header(key),
        )
        out.append(value.alias(f"m_{key}"))
    if "relation" in member_present:
        issues.from_mask(df, msg(pl.col("relation") == "", "与户主关系不能为空"), header("relation"))
    if "health" in member_present:
        allowed = _vocab_values("health")
        parts = split_multi(pl.col("health"))
        bad = parts.list.eval(pl.element().filter(~pl.element().is_in(allowed))).list.join("、")
        issues.from_mask(df, msg(bad != "", pl.concat_str([pl.lit("健康状况"), quoted(bad), pl.lit("不在字典值中")])), header("health"))
        out.append(parts.list.join(",").alias("m_health"))
    if "education" in member_present and "student_status" in member_present:
        issues.from_mask(
            df,
            msg((pl.col("education") != "") & (pl.col("student_status") != ""), "文化程度与在校生状况只能填写一项（在校生不填文化程度）"),
            header("education"), WARNING,
        )
    if "months_worked" in member_present:
        value = drop_point_zero(pl.col("months_worked"))
        number = value.cast(pl.Int32, strict=False)
        issues.from_mask(df, msg((value != "") & ~number.is_between(0, 12).fill_null(False), pl.concat_str([pl.lit("务工时间（月）应为0到12之间的整数，收到"), quoted(value)])), header("months_worked"))
        out.append(value.alias("m_months_worked"))
    for key, target in (("medical_insurance", "medical_insurance"), ("serious_illness_insurance", "serious_illness_insurance"), ("pension_insurance", "pension_insurance")):
        if key in member_present:
            _check_bool(df, key, header, issues)
            out.append(pl.col(key).alias(f"m_{target}"))
    # 低保 / 特困: from the policy-status column, else from the yes/no column
    for flag, status_key, flag_key, yes in (("dibao", "dibao_status", "dibao_flag", ("城市低保", "农村低保")), ("tekun", "tekun_status", "tekun_flag", ("城市特困", "农村特困"))):
        if status_key in member_present:
            out.append(pl.when(pl.col(status_key).is_in(list(yes))).then(pl.lit("是")).otherwise(pl.lit("否")).alias(f"m_{flag}"))
        elif flag_key in member_present:
            _check_bool(df, flag_key, header, issues)
            out.append(pl.when(pl.col(flag_key) == "是").then(pl.lit("是")).otherwise(pl.lit("否")).alias(f"m_{flag}"))
    if "member_phone" in member_present:
        out.append(_phone(df, "member_phone", header, issues).alias("m_phone"))
    if "person_number" in member_present:
        value = drop_point_zero(pl.col("person_number"))
        issues.from_mask(df, msg(value.str.len_chars() > 30, "人编号过长（最多30位）"), header("person_number" if grain == "person" else "head_person_number"))
        out.append(value.alias("m_person_number"))
    # member extra fields
    for key in sorted(member_present):
        f = FIELDS[key]
        if f.store != "member.extra":
            continue
        out.append(_extra_value(df, key, header, issues).alias(f"mx_{key}"))
    return df.with_columns(out)


def _check_bool(df, key, header, issues: Issues):
    issues.from_mask(
        df,
        msg(~pl.col(key).is_in(["是", "否", ""]), pl.concat_str([pl.lit("只能填“是”或“否”，收到"), quoted(pl.col(key))])),
        header(key),
    )


def _phone(df, key, header, issues: Issues) -> pl.Expr:
    value = drop_point_zero(pl.col(key))
    issues.from_mask(df, msg(value.str.len_chars() > 20, pl.concat_str([pl.lit("联系电话过长："), value])), header(key))
    issues.from_mask(
        df,
        msg((value != "") & (value.str.len_chars() <= 20) & ~value.str.contains(PHONE_PATTERN),
             pl.concat_str([pl.lit("联系电话"), quoted(value), pl.lit(f"格式不正确（{PHONE_HINT}），已按原样导入")])),
        header(key), WARNING,
    )
    return value


def _extra_value(df, key, header, issues: Issues) -> pl.Expr:
    f = FIELDS[key]
    raw = pl.col(key)
    kind = f.type
    if kind == "bool":
        _check_bool(df, key, header, issues)
        return raw
    if kind.startswith("choice:"):
        allowed = kind.split(":", 1)[1].split(",")
        issues.from_mask(df, msg((raw != "") & ~raw.is_in(allowed), pl.concat_str([pl.lit(f"{f.header}"), quoted(raw), pl.lit(f"不是可选值（{'、'.join(allowed)}）")])), header(key))
        return raw
    if kind == "number":
        value = drop_point_zero(raw)
        number = number_text(value)
        issues.from_mask(df, msg((value != "") & number.is_null(), pl.concat_str([pl.lit("应为数字，收到"), quoted(value)])), header(key))
        return pl.when(value == "").then(pl.lit("")).otherwise(number)
    if kind == "int":
        value = drop_point_zero(raw)
        issues.from_mask(df, msg((value != "") & value.cast(pl.Int64, strict=False).is_null(), pl.concat_str([pl.lit("应为整数，收到"), quoted(value)])), header(key))
        return value
    if kind == "code":
        return drop_point_zero(raw)
    issues.from_mask(df, msg(raw.str.len_chars() > 200, "内容过长（最多200字）"), header(key))
    return raw


def _household_columns(df, present, profile, header, issues: Issues):
    out, cols = [], []

    def add(expr: pl.Expr, name: str):
        out.append(expr.alias(name))
        cols.append(name)

    for key in ("county", "township", "village", "group", "natural_village"):
        if key in present:
            add(pl.col(key), f"h_{key}")
    if "household_phone" in present:
        add(_phone(df, "household_phone", header, issues), "h_phone")
    # category: 监测对象类别 first, else 户类型 (names from the county profile)
    names = {c["name"]: c["code"] for c in profile.categories}
    if "monitored_category" in present or "household_type" in present:
        monitored = pl.col("monitored_category") if "monitored_category" in present else pl.lit("")
        htype = pl.col("household_type").replace(value_aliases("household_type")) if "household_type" in present else pl.lit("")
        if "monitored_category" in present:
            issues.from_mask(df, msg((monitored != "") & ~monitored.is_in(list(names)), pl.concat_str([pl.lit("监测对象类别"), quoted(monitored), pl.lit("不在本县政策画像的类别清单中")])), header("monitored_category"))
        if "household_type" in present:
            issues.from_mask(df, msg((htype != "") & ~htype.is_in(list(names)), pl.concat_str([pl.lit("户类型"), quoted(pl.col("household_type")), pl.lit("不在本县政策画像的类别清单中")])), header("household_type"))
        code = pl.when(monitored != "").then(monitored.replace_strict(names, default="")).otherwise(htype.replace_strict(names, default=""))
        add(code, "h_category")
        if "monitored_category" in present:
            add(monitored, "h_monitored_category")
        if "household_type" in present:
            add(pl.col("household_type"), "h_household_type")
    # risk types 1–5 (or one comma-joined column); unknown values are kept with a warning
    risk_keys = [k for k in RISK_FIELDS if k in present]
    if risk_keys:
        allowed = _vocab_values("risk_type")
        mapping = value_aliases("risk")
        lists = [split_multi(pl.col(k)) for k in risk_keys]
        merged = pl.concat_list(lists).list.eval(pl.element().replace(mapping)).list.unique(maintain_order=True)
        unknown = merged.list.eval(pl.element().filter(~pl.element().is_in(allowed))).list.join("、")
        issues.from_mask(df, msg(unknown != "", pl.concat_str([pl.lit("风险类型"), quoted(unknown), pl.lit("不在字典值中，已按原样导入")])), header(risk_keys[0]), WARNING)
        add(merged.list.join(","), "h_risk_types")
    for key, name in (("identified_month", "h_included_on"), ("eliminated_month", "h_eliminated_on")):
        if key in present:
            raw = drop_point_zero(pl.col(key))
            month = month_text(raw)
            issues.from_mask(df, msg((raw != "") & month.is_null(), pl.concat_str([pl.lit("日期"), quoted(raw), pl.lit("格式不正确（应为YYYYMM，如202303）")])), header(key))
            add(month.fill_null(""), name)
    if "elimination_mode" in present:
        raw = pl.col("elimination_mode")
        issues.from_mask(df, msg(~raw.is_in(["帮扶消除", "自然消除", ""]), pl.concat_str([pl.lit("风险消除方式只能是“帮扶消除”或“自然消除”，收到"), quoted(raw)])), header("elimination_mode"))
        add(raw.replace_strict({"帮扶消除": "assisted", "自然消除": "natural"}, default=""), "h_elimination_mode")
    for key in ("no_labour", "safe_water", "dangerous_house", "risk_resolved"):
        if key in present:
            _check_bool(df, key, header, issues)
            add(pl.col(key), f"h_{key}")
    if "year" in present:
        raw = drop_point_zero(pl.col("year"))
        issues.from_mask(df, msg((raw != "") & ~raw.str.contains(r"^\d{4}$"), pl.concat_str([pl.lit("年度应为四位数字，收到"), quoted(raw)])), header("year"))
        add(raw, "h_year")
    for key in ("household_size", "current_household_size"):
        if key in present:
            raw = drop_point_zero(pl.col(key))
            issues.from_mask(df, msg((raw != "") & ~raw.cast(pl.Int32, strict=False).is_between(1, 99).fill_null(False), pl.concat_str([pl.lit("家庭人口数应为1到99的整数，收到"), quoted(raw)])), header(key))
            add(raw, f"h_{key}")
    # money: identification / annual block and post-elimination block, in cents
    for key in sorted(present):
        f = FIELDS[key]
        if f.type != "money":
            continue
        raw = drop_point_zero(pl.col(key))
        amount = cents(raw)
        issues.from_mask(df, msg((raw != "") & (amount.is_null() | (amount < 0)), pl.concat_str([pl.lit("金额应为不小于0的数字，收到"), quoted(raw)])), header(key))
        add(pl.when(raw == "").then(pl.lit(None, pl.Int64)).otherwise(amount), f"h_{key}")
    # measures: the original text of each measure category
    for key in sorted(present):
        f = FIELDS[key]
        if f.store == "measure":
            issues.from_mask(df, msg(pl.col(key).str.len_chars() > 500, "措施内容过长（最多500字）"), header(key))
            add(pl.col(key), f"h_{key}")
    # household extra fields
    for key in sorted(present):
        f = FIELDS[key]
        if f.store == "household.extra":
            add(_extra_value(df, key, header, issues), f"hx_{key}")
    for key in ("head_name", "head_id_number", "head_person_number"):
        if key in present:
            add(drop_point_zero(pl.col(key)), f"h_{key}")
    df = df.with_columns(out)
    return df, cols


def _check_household_consistency(keyed, keys, header, issues: Issues):
    """Household values repeat on every member row; rows that disagree refuse the household, except on a
    column the importer computes itself (``RECOMPUTED``: a warning, the computed value is used).
    Returns the number of rows of each household (``_hkey``, ``_row_count``)."""
    if not keys:
        return keyed.group_by("_hkey").agg(pl.len().alias("_row_count"))
    # One hash per row over the household columns (per-column hashes with distinct seeds, combined by
    # xor: much faster than hashing a struct); a household whose rows disagree shows several hashes.
    combined = pl.reduce(lambda a, b: a ^ b, [pl.col(k).hash(seed=i) for i, k in enumerate(keys)])
    hashed = keyed.select("_hkey", combined.alias("_h"))
    per_household = hashed.group_by("_hkey").agg(pl.col("_h").n_unique().alias("n"), pl.len().alias("_row_count"))
    sizes = per_household.select("_hkey", "_row_count")
    bad_keys = per_household.filter(pl.col("n") > 1)["_hkey"]
    if not bad_keys.len():
        return sizes
    sub = keyed.filter(pl.col("_hkey").is_in(bad_keys.implode()))
    for key in keys:
        diff = sub.group_by("_hkey").agg(pl.col(key).n_unique().alias("n"), pl.col("_row"), pl.col(key).alias("v")).filter(pl.col("n") > 1)
        for hkey, rows, values in diff.select("_hkey", "_row", "v").iter_rows():
            shown = "、".join(f"第{r}行“{v or ''}”" for r, v in list(zip(rows, values, strict=False))[:4])
            name = header(key)
            if key in RECOMPUTED:
                issues.add(WARNING, rows[0], name, f"同一户（户编号{hkey}）各成员行的「{name}」不一致：{shown}；{RECOMPUTED[key]}，不影响导入", hkey)
            else:
                issues.add(REFUSED, rows[0], name, f"同一户（户编号{hkey}）各成员行的「{name}」不一致：{shown}", hkey)
    return sizes


def _check_structure(df, hdf, present, header, issues: Issues):
    """One 户主, at most one 配偶, head and spouse of different sex, 户主证件号码 matches the head row."""
    keyed = df.filter(pl.col("_hkey").is_not_null()).select("_hkey", "_row", "m_relation", "m_sex", "m_id_number", "m_name")
    rel_col = header("relation")
    agg = keyed.group_by("_hkey", maintain_order=True).agg(
        (pl.col("m_relation") == "户主").sum().alias("heads"),
        (pl.col("m_relation") == "配偶").sum().alias("spouses"),
        pl.col("_row").first().alias("first_row"),
        pl.col("_row").filter(pl.col("m_relation") == "户主").alias("head_rows"),
        pl.col("_row").filter(pl.col("m_relation") == "配偶").alias("spouse_rows"),
        pl.col("m_sex").filter(pl.col("m_relation") == "户主").first().alias("head_sex"),
        pl.col("m_sex").filter(pl.col("m_relation") == "配偶").first().alias("spouse_sex"),
        pl.col("m_id_number").filter(pl.col("m_relation") == "户主").first().alias("head_id"),
    )
    for hkey, first_row in agg.filter(pl.col("heads") == 0).select("_hkey", "first_row").iter_rows():
        issues.add(REFUSED, first_row, rel_col, f"户编号{hkey}没有“户主”（与户主关系为“户主”的成员）", hkey)
    for hkey, rows in agg.filter(pl.col("heads") > 1).select("_hkey", "head_rows").iter_rows():
        issues.add(REFUSED, rows[1], rel_col, f"户编号{hkey}有{len(rows)}名户主（第{'、'.join(map(str, rows))}行），一户只能有一名户主", hkey)
    for hkey, rows in agg.filter(pl.col("spouses") > 1).select("_hkey", "spouse_rows").iter_rows():
        issues.add(REFUSED, rows[1], rel_col, f"户编号{hkey}有{len(rows)}名配偶（第{'、'.join(map(str, rows))}行），一户最多一名配偶", hkey)
    same = agg.filter((pl.col("heads") == 1) & (pl.col("spouses") == 1) & (pl.col("head_sex") == pl.col("spouse_sex")) & (pl.col("head_sex") != ""))
    sex_col = header("sex") if "sex" in present else header("id_number")
    for hkey, rows, sex in same.select("_hkey", "spouse_rows", "head_sex").iter_rows():
        issues.add(REFUSED, rows[0], sex_col, f"户编号{hkey}的户主与配偶性别相同（均为{sex}）", hkey)
    if "head_id_number" in present:
        mismatch = hdf.select("_hkey", "_row", "h_head_id_number").join(agg.select("_hkey", "head_id"), on="_hkey").filter(
            (pl.col("h_head_id_number") != "") & pl.col("head_id").is_not_null() & (pl.col("h_head_id_number") != pl.col("head_id"))
        )
        for hkey, row, value in mismatch.group_by("_hkey", maintain_order=True).agg(pl.col("_row").first(), pl.col("h_head_id_number").first()).iter_rows():
            issues.add(REFUSED, row, header("head_id_number"), f"户主证件号码“{value}”与本户户主行的证件号码不一致", hkey)


def _check_duplicate_keys(df, grain, header, issues: Issues):
    """One ID number in one household row only; in a household-level file one row per 户编号."""
    keyed = df.select("m_id_number", "_row", "_hkey").filter((pl.col("m_id_number") != "") & pl.col("m_id_number").is_duplicated())
    dup = keyed.group_by("m_id_number", maintain_order=True).agg(pl.col("_row"), pl.col("_hkey"))
    column = header("id_number" if grain == "person" else "head_id_number")
    for value, rows, hkeys in dup.iter_rows():
        shown = "、".join(map(str, rows[:6]))
        homes = sorted({h for h in hkeys if h})
        where = f"（户编号{'、'.join(homes)}）" if len(homes) > 1 else ""
        for row, hkey in zip(rows, hkeys, strict=False):
            issues.add(REFUSED, row, column, f"证件号码{value}在文件中出现{len(rows)}次（第{shown}行）{where}，一人只能属于一户", hkey)
    if grain == "household":
        keyed = df.select("_hkey", "_row").filter(pl.col("_hkey").is_not_null() & pl.col("_hkey").is_duplicated())
        dup = keyed.group_by("_hkey", maintain_order=True).agg(pl.col("_row"))
        for hkey, rows in dup.iter_rows():
            issues.add(REFUSED, rows[1], header("household_number"), f"户编号{hkey}在文件中出现{len(rows)}次（第{'、'.join(map(str, rows))}行）", hkey)
