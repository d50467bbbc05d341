"""What an import would change: the set-based diff of a prepared file against the county (R-INT-02).

The county's households, members, incomes and imported measures are read into frames with a few
queries (``state.load_state``); the file's households are matched by (村, 户编号) and its people by
证件号码; every field the file carries is compared in the national system's text form. The result
is a ``Plan``: counts for the preview, the issues that need the database (an ID number registered in
another county, a head missing from the file …) and the exact rows to write.

A column present in the file is authoritative for the households in it (an empty cell clears the
value); a column absent from the file leaves the field as it is.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import polars as pl

from fangpin.areas.models import Level
from fangpin.ingest.contract import Digest
from fangpin.ingest.values import split_multi
from fangpin.policy.idnumbers import mask_id_number
from fangpin.registry.models import Member

from .layouts import FIELDS
from .state import (
    NO,
    YES,
    CountyState,
    category_text,
    danger_text,
    dibao_text,
    household_type_key,
    income_totals,
    month_of,
)
from .validate import INCOME_GROUPS, ISSUE_SCHEMA, REFUSED, WARNING, Prepared

MONEY_PARTS = (
    "wage_public_welfare", "wage_other", "production_income", "property_dividend", "property_other",
    "transfer_family_planning", "transfer_dibao", "transfer_tekun", "transfer_pension", "transfer_eco",
    "transfer_other", "production_expense", "insurance_payout", "eligible_out_of_pocket",
)
SIMPLE_PARTS = ("production_income", "production_expense", "insurance_payout", "eligible_out_of_pocket")
MEMBER_TEXT_FIELDS = ("name", "relation", "ethnicity", "political", "education", "student_status", "health", "labour", "person_number", "phone")
MEMBER_BOOL_FIELDS = ("medical_insurance", "serious_illness_insurance", "pension_insurance")
DIFF_ROWS = 100_000  # member rows compared with their stored fields at a time (bounded memory, R-OPS-05)


@dataclass
class Plan:
    counts: dict
    issues: pl.DataFrame
    refused: set[str]
    new_divisions: list[dict]
    households: pl.DataFrame  # one row per file household: _hkey, action, h_id, village_code, group_code …
    household_updates: list[tuple[int, dict]] = field(default_factory=list)
    household_inserts: pl.DataFrame | None = None
    member_inserts: pl.DataFrame | None = None
    member_updates: list[tuple[int, dict]] = field(default_factory=list)
    member_moves: list[tuple[int, int | str, int | str]] = field(default_factory=list)  # (member id, from h_id, to h_id or hkey)
    deactivations: list[tuple[int, str]] = field(default_factory=list)
    income_frames: list[pl.DataFrame] = field(default_factory=list)  # new or changed income records (cents)
    measure_inserts: list[dict] = field(default_factory=list)
    measure_updates: list[tuple[int, str, list]] = field(default_factory=list)
    measure_deletes: list[int] = field(default_factory=list)
    changes: dict[str, dict] = field(default_factory=dict)  # hkey -> {"before": …, "after": …} for updated households
    move_requests: list[dict] = field(default_factory=list)  # people registered in another county: id_number, name, division_code

    @property
    def writes_anything(self) -> bool:
        c = self.counts
        return bool(c["households"]["create"] or c["households"]["update"] or self.new_divisions)

    def digest(self) -> str:
        """SHA-256 of the change set, in a form that does not depend on the process or machine: what
        happens to every household (created, updated, unchanged, refused, with its village and the
        category and status it gets), every changed field with its old and new value, the new members,
        moves and departures, the income records written, measures, new divisions and move requests.
        The preview stores it; an apply that plans again writes only when its plan has the same digest
        (the contract of ``fangpin.ingest.contract``). Frames are put in order by the file's row numbers
        (sorting a million text keys would take seconds) and fed in batches, so no frame is written
        whole into memory as text."""
        digest = Digest()
        feed, feed_frame = digest.feed, digest.feed_frame

        # The file is fixed (the apply reads the dry run's checked rows), so a household is named by its
        # first row number and a new member by its row number: integer keys sort and write fast.
        hh = self.households
        feed(sorted(self.refused))
        feed(sorted((d["code"], d["name"], int(d["level"]), d["parent"] or "") for d in self.new_divisions))
        feed_frame(hh, ("_first_row", "action", "h_id", "village_code", "group_code", "t_category", "t_status"), pl.col("_first_row"))
        feed(self.changes)
        feed_frame(self.member_inserts, ("_row",), pl.col("_row"))
        feed(sorted(map(list, self.member_moves), key=str))
        feed(sorted(map(list, self.deactivations), key=str))
        if self.income_frames:
            purposes = {"regular": 0, "identification": 1, "elimination": 2}
            incomes = pl.concat(self.income_frames, how="diagonal_relaxed").with_columns(
                pl.col("purpose").replace_strict(purposes, default=None, return_dtype=pl.Int64).alias("_purpose")
            )
            columns = ("_first_row", "_purpose", "h_id", "i_id", "year", "size", *MONEY_PARTS, "net", "per_capita")
            feed_frame(incomes, columns, pl.col("_first_row") * 3 + pl.col("_purpose"))
        else:
            feed(None)
        feed([sorted(self.measure_inserts, key=lambda m: (m["hkey"], m["category"])), sorted(self.measure_updates), sorted(self.measure_deletes)])
        feed(sorted(self.move_requests, key=lambda m: (m["id_number"], m["division_code"] or "")))
        return digest.hexdigest()


class _DbIssues:
    def __init__(self):
        self.rows: list[dict] = []

    def add(self, level, row, column, message, hkey):
        self.rows.append({"level": level, "row": row, "column": column, "message": message, "hkey": hkey})

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=ISSUE_SCHEMA) if self.rows else pl.DataFrame(schema=ISSUE_SCHEMA)


def build_plan(prep: Prepared, state: CountyState, *, profile, options: dict, today: dt.date) -> Plan:
    issues = _DbIssues()
    header = prep.header
    present = prep.present
    file_refused = prep.refused_keys()
    # (Filters only when something is refused: a filter may copy its frame's columns, R-OPS-05.)
    hh = prep.households.filter(~pl.col("_hkey").is_in(list(file_refused))) if file_refused else prep.households

    # --- places: townships, villages (and groups) by name within the county -------------------
    hh, new_divisions = _resolve_places(hh, state, present, header, issues)

    # --- households: matched by (village, 户编号) ------------------------------------------------
    village_code_of = {d["id"]: code for code, d in state.divisions.items() if d["level"] == Level.VILLAGE}
    group_code_of = {d["id"]: code for code, d in state.divisions.items() if d["level"] == Level.GROUP}
    existing = state.households.with_columns(
        pl.col("village_id").replace_strict(village_code_of, default=None, return_dtype=pl.String).alias("village_code"),
        pl.col("group_id").replace_strict(group_code_of, default=None, return_dtype=pl.String).alias("e_group_code"),
    )
    hh = _left_join(hh, existing, left_on=["village_code", "_hkey"], right_on=["village_code", "number"])
    elsewhere = existing.select(pl.col("number").alias("_hkey"), pl.col("village_code").alias("other_village")).unique("_hkey")
    moved = hh.filter(pl.col("h_id").is_null() & pl.col("village_code").is_not_null()).join(elsewhere, on="_hkey", how="inner")
    names = {code: d["name"] for code, d in state.divisions.items()}
    for hkey, row, other in moved.select("_hkey", "_first_row", "other_village").iter_rows():
        issues.add(REFUSED, row, header("village"),
                   f"户编号{hkey}已登记在{names.get(other, other)}，与文件中的村不一致；如需调整所属村请先在系统中处理", hkey)

    # --- members: matched by 证件号码 ------------------------------------------------------------
    # (Filters that keep every row and columns added as nulls share the prepared rows' memory: a first
    # import never copies its million member rows here.)
    targets = hh.select("_hkey", "h_id")
    rows = prep.rows.filter(pl.col("_hkey").is_not_null() & ~pl.col("_hkey").is_in(list(file_refused)))
    rows = rows.filter(pl.col("_hkey").is_in(targets["_hkey"].implode())).with_columns(
        pl.col("_hkey").replace_strict(targets["_hkey"], targets["h_id"], default=None, return_dtype=pl.Int64).alias("target_h_id")
    )
    # Only the keys of the county's members are joined to all rows; their stored fields are joined a
    # slice at a time where they are compared (``_member_changes``), so a re-import never holds a
    # second copy of the county's members.
    members = state.members.select("id_number", "m_id", pl.col("household_id").alias("e_household_id"))
    rows = _left_join(rows, members, left_on=["m_id_number"], right_on=["id_number"])
    move_requests = _check_other_counties(rows, hh, state, header, prep.grain, issues)
    _check_members_against_db(rows, hh, state, prep, options, header, issues)

    db_refused = {r["hkey"] for r in issues.rows if r["level"] == REFUSED and r["hkey"]}
    refused = file_refused | db_refused
    if db_refused:
        hh = hh.filter(~pl.col("_hkey").is_in(list(db_refused)))
        rows = rows.filter(~pl.col("_hkey").is_in(list(db_refused)))

    plan = Plan(counts={}, issues=issues.frame(), refused=refused, new_divisions=new_divisions, households=hh, move_requests=move_requests)
    monitored_codes = set(profile.monitored_categories())
    default_category = _default_category(profile)
    hh = _household_targets(hh, present, monitored_codes, default_category, profile)
    h_changes = _household_changes(plan, hh, present, profile, header)
    m_changes = _member_changes(plan, rows, state, prep, options, header)
    _departures(plan, rows, state, prep, options, m_changes)
    i_changes = _income_changes(plan, hh, rows, state, prep, options, today, header)
    a_changes = _measure_changes(plan, hh, state, present)

    created = hh.filter(pl.col("h_id").is_null())
    # What the apply writes of new households and members: the file's columns and the targets, not the
    # (empty) database columns the diff joined to them.
    plan.household_inserts = created.select([c for c in created.columns if c in INSERT_HOUSEHOLD_COLUMNS or c.startswith(("h_", "hx_"))])
    plan.member_inserts = rows.filter(pl.col("m_id").is_null()).select([c for c in rows.columns if c in set(prep.rows.columns)])
    matched = hh.filter(pl.col("h_id").is_not_null())
    touched = set(h_changes) | set(m_changes) | set(i_changes) | set(a_changes)
    for hkey in touched:
        before, after = {}, {}
        for part in (h_changes, m_changes, i_changes, a_changes):
            if hkey in part:
                b, a = part[hkey]
                before.update(b)
                after.update(a)
        plan.changes[hkey] = {"before": before, "after": after}
    updated = matched.filter(pl.col("_hkey").is_in(list(touched))).height
    member_refused = prep.rows.filter(pl.col("_hkey").is_in(list(refused)) | pl.col("_hkey").is_null()).height
    plan.households = hh.with_columns(
        pl.when(pl.col("h_id").is_null()).then(pl.lit("create"))
        .when(pl.col("_hkey").is_in(list(touched))).then(pl.lit("update"))
        .otherwise(pl.lit("unchanged")).alias("action")
    ).select([c for c in PLAN_HOUSEHOLD_COLUMNS if c in hh.columns or c == "action"])
    new_members = plan.member_inserts.height
    plan.counts = {
        "households": {"create": created.height, "update": updated, "unchanged": matched.height - updated, "refused": len(refused)},
        "members": {
            "create": new_members,
            "update": len(plan.member_updates),
            "unchanged": rows.height - new_members - len(plan.member_updates),
            "refused": member_refused,
            "moved": len(plan.member_moves),
            "deactivated": len(plan.deactivations),
        },
        "incomes": {
            "create": sum(f.filter(pl.col("i_id").is_null()).height for f in plan.income_frames),
            "update": sum(f.filter(pl.col("i_id").is_not_null()).height for f in plan.income_frames),
        },
        "measures": {"create": len(plan.measure_inserts), "update": len(plan.measure_updates), "delete": len(plan.measure_deletes)},
        "divisions": {"create": len(new_divisions)},
        "rows": prep.rows.height,
    }
    return plan


# The columns of ``Plan.households`` (what the apply and the digest read of each file household) and of
# ``Plan.household_inserts`` besides the file's own ``h_*``/``hx_*`` values.
PLAN_HOUSEHOLD_COLUMNS = ("_hkey", "_first_row", "h_id", "village_code", "group_code", "action", "division_code", "t_category", "t_status")
INSERT_HOUSEHOLD_COLUMNS = ("_hkey", "_first_row", "village_code", "group_code", "t_category", "t_status")


def _left_join(left: pl.DataFrame, right: pl.DataFrame, *, left_on: list[str], right_on: list[str]) -> pl.DataFrame:
    """``left.join(right, how="left")`` (left's row order) without copying ``left``: only its key columns
    are joined, and the right side's columns are added to it beside its own (R-OPS-05). When ``right`` is
    empty (the county holds nothing yet) its columns are added as typed nulls, which polars keeps as one
    value per column instead of a million. Keys must be unique on the right (they are: one household per
    village and number, one member per ID number); otherwise this is a plain join."""
    keys = set(right_on)
    added = [c for c in right.columns if c not in keys]
    if set(added) & set(left.columns):
        return left.join(right, left_on=left_on, right_on=right_on, how="left", maintain_order="left")
    if not right.height:
        return left.with_columns([pl.lit(None, right.schema[c]).alias(c) for c in added])
    matched = left.select(left_on).join(right, left_on=left_on, right_on=right_on, how="left", maintain_order="left")
    if matched.height != left.height:
        return left.join(right, left_on=left_on, right_on=right_on, how="left", maintain_order="left")
    return left.with_columns(matched.select(added))


def _default_category(profile) -> str:
    for c in profile.categories:
        if not c.get("monitored") and "脱贫" not in c["name"]:
            return c["code"]
    return profile.categories[0]["code"]


# --- places ------------------------------------------------------------------------------------


def _resolve_places(hh, state: CountyState, present, header, issues: _DbIssues):
    county = state.county.code
    divisions = state.divisions
    by_parent: dict[tuple[str, str], list[str]] = {}
    for code, d in divisions.items():
        by_parent.setdefault((d["parent"] or "", d["name"]), []).append(code)
    new: list[dict] = []
    used_codes = set(divisions)

    def allocate(parent: str, level: int) -> str:
        width = {Level.TOWNSHIP: 3, Level.VILLAGE: 3, Level.GROUP: 3}[level]
        start = {Level.TOWNSHIP: 100, Level.VILLAGE: 200, Level.GROUP: 1}[level]
        taken = [int(c[len(parent):]) for c in used_codes if c.startswith(parent) and len(c) == len(parent) + width]
        n = max([start - 1, *taken]) + 1
        code = f"{parent}{n:0{width}d}"
        used_codes.add(code)
        return code

    def find(parent: str, name: str, level: int, hkey, row, column):
        codes = [c for c in by_parent.get((parent, name), []) if divisions.get(c, {}).get("level", level) == level]
        if len(codes) > 1:
            issues.add(REFUSED, row, column, f"“{name}”在上级区划下不唯一（{'、'.join(codes)}），无法确定所属区划", hkey)
            return None
        if codes:
            return codes[0]
        code = allocate(parent, level)
        new.append({"code": code, "name": name, "level": level, "parent": parent})
        by_parent.setdefault((parent, name), []).append(code)
        divisions_local[code] = level
        return code

    divisions_local: dict[str, int] = {}
    township_code, village_code, group_code = {}, {}, {}
    cols = ["_hkey", "_first_row", "h_township", "h_village"] + (["h_group"] if "group" in present else [])
    for values in hh.select(cols).iter_rows():
        hkey, row, township, village = values[:4]
        if township not in township_code:
            township_code[township] = find(county, township, Level.TOWNSHIP, hkey, row, header("township"))
        t = township_code[township]
        if t is None:
            continue
        if (t, village) not in village_code:
            village_code[(t, village)] = find(t, village, Level.VILLAGE, hkey, row, header("village"))
        v = village_code[(t, village)]
        if v is None or "group" not in present:
            continue
        group = values[4]
        if group and (v, group) not in group_code:
            group_code[(v, group)] = find(v, group, Level.GROUP, hkey, row, header("group"))
    hh = hh.with_columns(
        pl.struct("h_township", "h_village").map_elements(
            lambda s: village_code.get((township_code.get(s["h_township"]), s["h_village"])), return_dtype=pl.String
        ).alias("village_code")
    )
    if "group" in present:
        hh = hh.with_columns(
            pl.struct("village_code", "h_group").map_elements(
                lambda s: group_code.get((s["village_code"], s["h_group"])) if s["h_group"] else None, return_dtype=pl.String
            ).alias("group_code")
        )
    names_new = {d["code"] for d in new}
    hh = hh.filter(pl.col("village_code").is_not_null())
    return hh, [d for d in new if d["code"] in names_new]


# --- members: database checks ------------------------------------------------------------------


ELSEWHERE_PREVIEW = "证件号码{masked}已在其他地区登记（一人只能属于一户）；跨地区迁移由县乡村振兴局办理，确认导入后将生成迁移申请"
ELSEWHERE_APPLIED = "证件号码{masked}已在其他地区登记（一人只能属于一户）；跨地区迁移由县乡村振兴局办理，已生成迁移申请"


def _check_other_counties(rows, hh, state: CountyState, header, grain, issues: _DbIssues) -> list[dict]:
    """People of the file registered in another county: refused with a message that says nothing about
    where (no county, village, household or name: R-SEC-04; the ID number masked: R-SEC-05). Returns the
    move requests the apply raises for them (``registry.moves.request_moves`` items)."""
    unknown = rows.filter(pl.col("m_id").is_null())["m_id_number"].to_list()
    if not unknown:
        return []
    outside = Member.objects.exclude(household__division_code__startswith=state.county.code)
    if not outside.exists():
        return []
    found = set()
    for start in range(0, len(unknown), 5000):
        chunk = unknown[start : start + 5000]
        found.update(outside.filter(id_number__in=chunk).values_list("id_number", flat=True))
    if not found:
        return []
    column = header("id_number" if grain == "person" else "head_id_number")
    hits = rows.filter(pl.col("m_id_number").is_in(list(found))).join(hh.select("_hkey", "village_code"), on="_hkey", how="left")
    moves = []
    for hkey, row, idn, name, village in hits.select("_hkey", "_row", "m_id_number", "m_name", "village_code").iter_rows():
        issues.add(REFUSED, row, column, ELSEWHERE_PREVIEW.format(masked=mask_id_number(idn)), hkey)
        moves.append({"id_number": idn, "name": name or "", "division_code": village})
    return moves


def _check_members_against_db(rows, hh, state: CountyState, prep: Prepared, options, header, issues: _DbIssues):
    sex_col = header("sex") if "sex" in prep.present else header("id_number")
    for hkey, row in rows.filter(pl.col("m_id").is_null() & pl.col("m_no_id") & (pl.col("m_sex") == "")).select("_hkey", "_row").iter_rows():
        issues.add(REFUSED, row, sex_col, "无证件号码人员（999999开头）必须填写性别", hkey)
    if prep.grain == "household":
        heads = (
            state.members.select("household_id", "id_number", "relation", "active")
            .filter((pl.col("relation") == "户主") & (pl.col("active") == YES)).select("household_id", pl.col("id_number").alias("db_head"))
        )
        clash = rows.join(heads, left_on="target_h_id", right_on="household_id", how="inner").filter(pl.col("db_head") != pl.col("m_id_number"))
        for hkey, row, db_head in clash.select("_hkey", "_row", "db_head").iter_rows():
            issues.add(REFUSED, row, header("head_id_number"), f"户主证件号码与库中该户户主（{db_head}）不一致；请先在系统中办理户主变更", hkey)
        return
    # People of matched households who are not in the file at all.
    in_file = rows.select("m_id_number")
    db_only = (
        state.members.select("household_id", "id_number", "name", "relation", "active").filter(pl.col("active") == YES)
        .join(hh.filter(pl.col("h_id").is_not_null()).select("_hkey", "_first_row", pl.col("h_id").alias("household_id")), on="household_id", how="inner")
        .join(in_file, left_on="id_number", right_on="m_id_number", how="anti")
    )
    if not db_only.height:
        return
    complete = bool(options.get("members_complete"))
    file_roles = rows.group_by("_hkey").agg(
        (pl.col("m_relation") == "户主").any().alias("has_head"), (pl.col("m_relation") == "配偶").any().alias("has_spouse")
    )
    db_only = db_only.join(file_roles, on="_hkey", how="left")
    rel_col = header("relation")
    for hkey, row, name, idn, relation, has_head, has_spouse in db_only.select(
        "_hkey", "_first_row", "name", "id_number", "relation", "has_head", "has_spouse"
    ).iter_rows():
        if complete:
            continue
        if (relation == "户主" and has_head) or (relation == "配偶" and has_spouse):
            issues.add(REFUSED, row, rel_col,
                       f"库中该户的{relation}{name}（{idn}）不在本次文件中，而文件中另有{relation}；请先在系统中办理成员移出，"
                       f"或导入时选择“文件包含各户全部成员”", hkey)
        else:
            issues.add(WARNING, row, rel_col, f"库中该户成员{name}（{idn}）不在本次文件中，保持在户不变", hkey)


# --- households --------------------------------------------------------------------------------


def _household_targets(hh, present, monitored_codes, default_category, profile) -> pl.DataFrame:
    """New category and monitoring status of each file household."""
    cat = pl.col("h_category") if "h_category" in hh.columns else pl.lit("")
    existing_cat = pl.col("category")
    new_cat = pl.when(cat != "").then(cat).otherwise(pl.coalesce(existing_cat, pl.lit(default_category)))
    hh = hh.with_columns(new_cat.alias("t_category"))
    is_monitored = pl.col("t_category").is_in(list(monitored_codes))
    existing_status = pl.col("monitoring_status").fill_null("none")
    if "risk_resolved" in present:
        status = (
            pl.when(pl.col("h_risk_resolved") == YES).then(pl.lit("eliminated"))
            .when(is_monitored).then(pl.lit("monitored"))
            .otherwise(pl.lit("none"))
        )
    else:
        status = (
            pl.when(is_monitored & existing_status.is_in(["monitored", "eliminated"])).then(existing_status)
            .when(is_monitored).then(pl.lit("monitored"))
            .when(existing_status == "eliminated").then(existing_status)
            .otherwise(pl.lit("none"))
        )
    return hh.with_columns(status.alias("t_status"))


HOUSEHOLD_LABELS = {
    "phone": "户联系电话", "category": "户类别", "monitoring_status": "监测状态", "included_on": "纳入时间",
    "risk_types": "致贫/返贫风险", "elimination_mode": "风险消除方式", "eliminated_on": "风险消除时间",
    "no_labour_household": "整户无劳动能力兜底保障户", "water_secure": "饮水安全有保障", "housing_grade": "住房安全等级",
    "group": "村民小组",
}


def _household_changes(plan: Plan, hh: pl.DataFrame, present, profile, header) -> dict:
    """Field updates of matched households (national text compared), kept in ``plan.household_updates``."""
    monitored_name, htype = category_text(profile)
    matched = hh.filter(pl.col("h_id").is_not_null())
    if not matched.height:
        return {}
    exprs = {}
    if "household_phone" in present:
        exprs["phone"] = (pl.col("h_phone"), pl.col("phone"))
    exprs["category"] = (pl.col("t_category"), pl.col("category"))
    exprs["monitoring_status"] = (pl.col("t_status"), pl.col("monitoring_status"))
    if "identified_month" in present:
        exprs["included_on"] = (pl.col("h_included_on"), month_of(pl.col("included_on")))
    if "h_risk_types" in hh.columns:
        exprs["risk_types"] = (pl.col("h_risk_types"), pl.col("risk_list").list.join(","))
    if "elimination_mode" in present:
        exprs["elimination_mode"] = (pl.col("h_elimination_mode"), pl.col("elimination_mode"))
    if "eliminated_month" in present:
        exprs["eliminated_on"] = (pl.col("h_eliminated_on"), month_of(pl.col("eliminated_on")))
    if "no_labour" in present:
        exprs["no_labour_household"] = (pl.when(pl.col("h_no_labour") == YES).then(pl.lit(YES)).otherwise(pl.lit(NO)), pl.col("no_labour_household"))
    if "safe_water" in present:
        exprs["water_secure"] = (pl.col("h_safe_water"), pl.col("water_secure"))
    if "dangerous_house" in present:
        exprs["housing_grade"] = (pl.col("h_dangerous_house"), danger_text(pl.col("housing_grade")))
    if "group" in present:
        exprs["group"] = (pl.col("group_code").fill_null(""), pl.col("e_group_code").fill_null(""))
    extra_keys = [c[3:] for c in hh.columns if c.startswith("hx_")]
    for key in extra_keys:
        exprs[f"x:{FIELDS[key].header}"] = (pl.col(f"hx_{key}"), pl.col("x").struct.field(FIELDS[key].header).fill_null(""))
    type_header = FIELDS["household_type"].header
    if "household_type" in present:
        derived = pl.col("t_category").replace_strict(htype, default="")
        wanted = pl.when(household_type_key(pl.col("h_household_type")) == household_type_key(derived)).then(pl.lit("")).otherwise(pl.col("h_household_type"))
        exprs[f"x:{type_header}"] = (wanted, pl.col("x").struct.field(type_header).fill_null(""))

    flags = matched.with_columns([(new.fill_null("") != old.fill_null("")).alias(f"d_{name}") for name, (new, old) in exprs.items()])
    flags = flags.with_columns(pl.any_horizontal([pl.col(f"d_{n}") for n in exprs]).alias("_changed"))
    changed = flags.filter(pl.col("_changed"))
    out = {}
    if not changed.height:
        return out
    values = changed.select(
        "_hkey", "h_id", "e_group_code", "group_code" if "group" in present else pl.lit(None).alias("group_code"),
        "grid_id", "x", *[pl.col(f"d_{n}") for n in exprs],
        *[new.fill_null("").alias(f"new_{i}") for i, (new, _) in enumerate(exprs.values())],
        *[old.fill_null("").alias(f"old_{i}") for i, (_, old) in enumerate(exprs.values())],
    )
    names = list(exprs)
    for row in values.iter_rows(named=True):
        update, before, after = {}, {}, {}
        extra = dict(row["x"] or {})
        extra = {k: v for k, v in extra.items() if v is not None}
        extra_changed = False
        for i, name in enumerate(names):
            if not row[f"d_{name}"]:
                continue
            new, old = row[f"new_{i}"], row[f"old_{i}"]
            if name.startswith("x:"):
                key = name[2:]
                if new:
                    extra[key] = new
                else:
                    extra.pop(key, None)
                extra_changed = True
                before[key], after[key] = old, new
                continue
            label = HOUSEHOLD_LABELS[name]
            before[label], after[label] = old, new
            update.update(_household_field_value(name, new, row))
        if extra_changed:
            update["extra"] = extra
        plan.household_updates.append((row["h_id"], update))
        out[row["_hkey"]] = (before, after)
    return out


def _household_field_value(name: str, new: str, row: dict) -> dict:
    if name in ("included_on", "eliminated_on"):
        return {name: dt.date.fromisoformat(new + "-01") if new else None}
    if name == "risk_types":
        return {name: [v for v in new.split(",") if v]}
    if name == "no_labour_household":
        return {name: new == YES}
    if name == "water_secure":
        return {name: True if new == YES else False if new == NO else None}
    if name == "housing_grade":
        return {name: "C" if new == YES else "B" if new == NO else ""}
    if name == "group":
        return {"group": new or None}
    return {name: new}


# --- members -----------------------------------------------------------------------------------


MEMBER_LABELS = {
    "name": "姓名", "sex": "性别", "birth_date": "出生日期", "relation": "与户主关系", "ethnicity": "民族",
    "political": "政治面貌", "education": "文化程度", "student_status": "在校生状况", "health": "健康状况",
    "labour": "劳动技能", "months_worked": "务工时间（月）", "medical_insurance": "参加城乡居民基本医疗保险",
    "serious_illness_insurance": "参加大病保险", "pension_insurance": "参加城乡居民基本养老保险", "dibao": "享受低保",
    "tekun": "特困供养", "phone": "联系电话", "person_number": "人编号", "disability_grade": "残疾等级",
    "active": "在户", "household": "所在户",
}


def _member_changes(plan: Plan, rows: pl.DataFrame, state: CountyState, prep: Prepared, options, header) -> dict:
    existing = rows.filter(pl.col("m_id").is_not_null())
    out: dict[str, tuple[dict, dict]] = {}
    exprs: dict[str, tuple[pl.Expr, pl.Expr]] = {}
    cols = set(rows.columns)
    for f in MEMBER_TEXT_FIELDS:
        if f"m_{f}" in cols:
            exprs[f] = (pl.col(f"m_{f}"), pl.col(f))
    exprs["sex"] = (pl.when(pl.col("m_sex") != "").then(pl.col("m_sex")).otherwise(pl.col("sex")), pl.col("sex"))
    exprs["birth_date"] = (pl.when(pl.col("m_birth_date") != "").then(pl.col("m_birth_date")).otherwise(pl.col("birth_date")), pl.col("birth_date"))
    exprs["disability_grade"] = (pl.when(pl.col("m_disability_grade") != "").then(pl.col("m_disability_grade")).otherwise(pl.col("disability_grade")), pl.col("disability_grade"))
    if "m_months_worked" in cols:
        exprs["months_worked"] = (pl.when(pl.col("m_months_worked") == "").then(pl.lit("0")).otherwise(pl.col("m_months_worked").str.replace(r"^0+(\d)", "${1}")), pl.col("months_worked"))
    for f in MEMBER_BOOL_FIELDS:
        if f"m_{f}" in cols:
            exprs[f] = (pl.col(f"m_{f}"), pl.col(f))
    for flag in ("dibao", "tekun"):
        if f"m_{flag}" in cols:
            exprs[flag] = (pl.col(f"m_{flag}"), pl.col(flag))
    exprs["active"] = (pl.repeat(YES, pl.len()), pl.col("active"))
    exprs["household"] = (pl.col("target_h_id").cast(pl.String), pl.col("e_household_id").cast(pl.String))
    statuses = {"dibao_status": ("dibao", ("城市低保", "农村低保"), "农村低保", "未享受"), "tekun_status": ("tekun", ("城市特困", "农村特困"), "农村特困", "不享受")}
    for key in sorted(c[3:] for c in cols if c.startswith("mx_")):
        name = FIELDS[key].header
        stored = pl.col("x").struct.field(name)
        if key in statuses:
            # Both sides in the text our export writes: an empty status cell means what its flag says.
            flag, yes, dy, dn = statuses[key]
            exprs[f"x:{name}"] = (dibao_text(pl.col(f"m_{flag}"), pl.col(f"mx_{key}"), yes, dy, dn), dibao_text(pl.col(flag), stored, yes, dy, dn))
        else:
            exprs[f"x:{name}"] = (pl.col(f"mx_{key}"), stored.fill_null(""))
    if not existing.height:
        return out
    stored = state.members.drop("id_number", "household_id")
    parts = []
    for start in range(0, existing.height, DIFF_ROWS):
        # The file's compact (Categorical) columns as text for the comparison, one slice at a time.
        part = existing.slice(start, DIFF_ROWS)
        part = part.with_columns([pl.col(c).cast(pl.String) for c, t in part.schema.items() if isinstance(t, pl.Categorical)]).join(stored, on="m_id", how="left")
        flags = part.with_columns([(new.fill_null("") != old.fill_null("")).alias(f"d_{n}") for n, (new, old) in exprs.items()])
        parts.append(flags.filter(pl.any_horizontal([pl.col(f"d_{n}") for n in exprs])))
        del part, flags
    changed = pl.concat(parts, how="vertical")
    if not changed.height:
        return out
    names = list(exprs)
    values = changed.select(
        "_hkey", "m_id", "m_id_number", "m_name", "target_h_id", "e_household_id", "x", "relation",
        *[pl.col(f"d_{n}") for n in names],
        *[new.fill_null("").alias(f"new_{i}") for i, (new, _) in enumerate(exprs.values())],
        *[old.fill_null("").alias(f"old_{i}") for i, (_, old) in enumerate(exprs.values())],
    )
    for row in values.iter_rows(named=True):
        update, before, after = {}, {}, {}
        extra = {k: v for k, v in dict(row["x"] or {}).items() if v is not None}
        extra_changed = False
        for i, name in enumerate(names):
            if not row[f"d_{name}"]:
                continue
            new, old = row[f"new_{i}"], row[f"old_{i}"]
            if name.startswith("x:"):
                key = name[2:]
                if new:
                    extra[key] = new
                else:
                    extra.pop(key, None)
                extra_changed = True
                before[key], after[key] = old, new
                continue
            if name == "household":
                plan.member_moves.append((row["m_id"], row["e_household_id"], row["target_h_id"] if row["target_h_id"] is not None else row["_hkey"]))
                update["household"] = row["target_h_id"]
                before["所在户"], after["所在户"] = "其他户", f"户编号{row['_hkey']}"
                continue
            before[MEMBER_LABELS[name]], after[MEMBER_LABELS[name]] = old, new
            update.update(_member_field_value(name, new))
        if extra_changed:
            update["extra"] = extra
        if "relation" in update:
            from fangpin.registry.vocab import RELATION_ORDER

            update["relation_order"] = RELATION_ORDER.get(update["relation"], 99)
        plan.member_updates.append((row["m_id"], update))
        label = f"成员{row['m_name']}（{row['m_id_number']}）"
        b, a = out.setdefault(row["_hkey"], ({}, {}))
        b[label], a[label] = before, after
    return out


def _departures(plan: Plan, rows: pl.DataFrame, state: CountyState, prep: Prepared, options, out: dict) -> None:
    """Members who left (only when the file lists every member of its households)."""
    if not (options.get("members_complete") and prep.grain == "person"):
        return
    in_file = rows.select("m_id_number")
    hh_ids = rows.select(pl.col("target_h_id").alias("household_id"), "_hkey").unique()
    gone = (
        state.members.select("m_id", "household_id", "id_number", "name", "active").filter(pl.col("active") == YES)
        .join(hh_ids, on="household_id", how="inner")
        .join(in_file, left_on="id_number", right_on="m_id_number", how="anti")
    )
    for m_id, hkey, name, idn in gone.select("m_id", "_hkey", "name", "id_number").iter_rows():
        plan.deactivations.append((m_id, hkey))
        b, a = out.setdefault(hkey, ({}, {}))
        b[f"成员{name}（{idn}）"], a[f"成员{name}（{idn}）"] = {"在户": YES}, {"在户": NO, "原因": "国家系统导出中已无此人"}


def _member_field_value(name: str, new: str) -> dict:
    if name == "birth_date":
        return {name: dt.date.fromisoformat(new) if new else None}
    if name == "months_worked":
        return {name: int(new or 0)}
    if name in MEMBER_BOOL_FIELDS:
        return {name: True if new == YES else False if new == NO else None}
    if name in ("dibao", "tekun", "active"):
        return {name: new == YES}
    return {name: new}


# --- incomes -----------------------------------------------------------------------------------


def _income_changes(plan: Plan, hh, rows, state: CountyState, prep: Prepared, options, today, header) -> dict:
    present = prep.present
    out: dict[str, tuple[dict, dict]] = {}
    blocks = []
    base_keys = [k for k in present if FIELDS[k].scope == "income"]
    elim_keys = [k for k in present if FIELDS[k].scope == "income_elim"]
    counts = rows.group_by("_hkey").agg(pl.len().alias("_members"))
    # Only the columns the income blocks read: the joins below copy what they are given.
    needed = [c for c in hh.columns if c.startswith("h_") or c in ("_hkey", "_first_row", "eliminated_on")]
    frame = hh.select(needed).join(counts, on="_hkey", how="left")
    latest = (
        state.incomes.filter(pl.col("purpose") == "regular").group_by("household_id").agg(pl.col("year").max().alias("_latest_year"))
    )
    frame = frame.join(latest, left_on="h_id", right_on="household_id", how="left")
    option_year = options.get("income_year")
    if base_keys:
        if "identified_month" in present:
            purpose = pl.when(pl.col("h_included_on") != "").then(pl.lit("identification")).otherwise(pl.lit("regular"))
        else:
            purpose = pl.lit("regular")
        file_year = pl.col("h_year").cast(pl.Int64, strict=False) if "year" in present else pl.lit(None, pl.Int64)
        regular_year = pl.coalesce(file_year, pl.lit(option_year, pl.Int64), pl.col("_latest_year"), pl.lit(today.year))
        ident_year = pl.col("h_included_on").str.slice(0, 4).cast(pl.Int64, strict=False) if "identified_month" in present else pl.lit(None, pl.Int64)
        blocks.append(("", base_keys, purpose, pl.when(purpose == "identification").then(ident_year).otherwise(regular_year)))
    if elim_keys:
        elim_month = pl.col("h_eliminated_on") if "eliminated_month" in present else pl.col("eliminated_on").fill_null("").str.slice(0, 7)
        year = pl.coalesce(elim_month.str.slice(0, 4).cast(pl.Int64, strict=False), pl.lit(today.year))
        blocks.append(("e_", [k[2:] for k in elim_keys], pl.lit("elimination"), year))
    from fangpin.policy.income import LABELS

    incomes = income_totals(state.incomes)
    for prefix, keys, purpose, year in blocks:
        money_cols = [f"h_{prefix}{k}" for k in keys if f"h_{prefix}{k}" in frame.columns]
        block = frame.filter(pl.any_horizontal([pl.col(c).is_not_null() for c in money_cols]))
        if not block.height:
            continue
        block = block.with_columns(purpose.alias("_purpose"), year.alias("_year"))
        block = block.join(incomes, left_on=["h_id", "_year", "_purpose"], right_on=["household_id", "year", "purpose"], how="left")
        size_expr = pl.col("h_household_size").cast(pl.Int64, strict=False) if "household_size" in present else pl.lit(None, pl.Int64)
        block = block.with_columns(
            pl.coalesce(size_expr, pl.col("_members") if prep.grain == "person" else pl.lit(None, pl.Int64), pl.col("household_size"), pl.lit(1)).alias("_size")
        )
        new = {}

        def file_value(key, prefix=prefix, keys=keys, columns=tuple(block.columns)):
            c = f"h_{prefix}{key}"
            return pl.col(c).fill_null(0) if key in keys and c in columns else None

        for part in SIMPLE_PARTS:
            v = file_value(part)
            new[part] = v if v is not None else pl.col(part).fill_null(0)
        for total_key, subs, other_key in INCOME_GROUPS.values():
            for s in subs:
                v = file_value(s)
                new[s] = v if v is not None else pl.col(s).fill_null(0)
            total = file_value(total_key)
            other = file_value(other_key)
            if total is not None:
                new[other_key] = total - pl.sum_horizontal([new[s] for s in subs]) if subs else total
                if other is not None:
                    mismatch = block.filter(total != pl.sum_horizontal([new[s] for s in subs]) + other)
                    for hkey, row in mismatch.select("_hkey", "_first_row").iter_rows():
                        plan.issues = pl.concat([plan.issues, pl.DataFrame([{
                            "level": WARNING, "row": row, "column": header(f"{prefix}{total_key}" if prefix else total_key),
                            "message": "合计与各分项之和不一致，按合计减去其他分项计入“其他”", "hkey": hkey}], schema=ISSUE_SCHEMA)])
            elif other is not None:
                new[other_key] = other
            else:
                new[other_key] = pl.col(other_key).fill_null(0)
        block = block.with_columns([expr.alias(f"n_{k}") for k, expr in new.items()])
        negative = block.filter(pl.any_horizontal([pl.col(f"n_{k}") < 0 for k in new]))
        for hkey, row in negative.select("_hkey", "_first_row").iter_rows():
            plan.issues = pl.concat([plan.issues, pl.DataFrame([{
                "level": REFUSED, "row": row, "column": header(f"{prefix}wage_total") if f"{prefix}wage_total" in present or prefix == "" else "",
                "message": "收入分项之和大于合计，无法计算“其他”分项", "hkey": hkey}], schema=ISSUE_SCHEMA)])
            plan.refused.add(hkey)
        block = block.filter(~pl.col("_hkey").is_in(list(plan.refused)))
        diff = pl.any_horizontal([pl.col(f"n_{k}") != pl.col(k).fill_null(-1) for k in MONEY_PARTS] + [pl.col("_size") != pl.col("household_size").fill_null(-1)])
        block = block.with_columns(diff.alias("_diff"))
        changed = block.filter(pl.col("i_id").is_null() | pl.col("_diff")).with_columns(
            net_cents(pl.col).alias("_net"),
        ).with_columns(per_capita_cents(pl.col("_net"), pl.col("_size")).alias("_per_capita"))
        plan.income_frames.append(changed.select(
            pl.col("_hkey").alias("hkey"), "h_id", "i_id", pl.col("_year").alias("year"), pl.col("_purpose").alias("purpose"),
            pl.col("_size").alias("size"), *[pl.col(f"n_{k}").alias(k) for k in MONEY_PARTS], pl.col("_net").alias("net"),
            pl.col("_per_capita").alias("per_capita"), "_first_row",
        ))
        existing = changed.filter(pl.col("h_id").is_not_null())
        for row in existing.select("_hkey", "_year", "_purpose", "_size", *[f"n_{k}" for k in MONEY_PARTS], *MONEY_PARTS, "household_size").iter_rows(named=True):
            label = {"regular": "年度收入", "identification": "识别时收入", "elimination": "风险消除后收入"}[row["_purpose"]]
            label = f"{row['_year']}{label}"
            before = {LABELS[k]: row[k] / 100 for k in MONEY_PARTS if row[k] is not None and row[k] != row[f"n_{k}"]}
            after = {LABELS[k]: row[f"n_{k}"] / 100 for k in MONEY_PARTS if row[k] is None or row[k] != row[f"n_{k}"]}
            if row["household_size"] != row["_size"]:
                before["家庭人口数"], after["家庭人口数"] = row["household_size"], row["_size"]
            b, a = out.setdefault(row["_hkey"], ({}, {}))
            b[label], a[label] = before or None, after
        _income_checks(plan, block, prefix, present, header)
    return out


TRANSFER_PARTS = ("transfer_family_planning", "transfer_dibao", "transfer_tekun", "transfer_pension", "transfer_eco", "transfer_other")


def net_cents(c=pl.col) -> pl.Expr:
    """家庭纯收入 in cents from the part columns ``n_<part>`` (the rule of ``policy.income.summarize``)."""
    parts = ["wage_public_welfare", "wage_other", "production_income", "property_dividend", "property_other", *TRANSFER_PARTS]
    return pl.sum_horizontal([c(f"n_{k}") for k in parts]) - c("n_production_expense")


def per_capita_cents(net: pl.Expr, size: pl.Expr) -> pl.Expr:
    """人均纯收入 in cents: net ÷ size rounded half away from zero, exactly as ``summarize`` (Decimal ROUND_HALF_UP)."""
    magnitude = (net.abs() * 2 + size) // (size * 2)
    return pl.when(net < 0).then(-magnitude).otherwise(magnitude)


def _income_checks(plan: Plan, block, prefix, present, header):
    """The file's net and per-capita income against our arithmetic: a warning when they differ by ≥ 1 yuan."""
    for key in (f"{prefix}net_income" if prefix else "net_income", f"{prefix}per_capita_net_income" if prefix else "per_capita_net_income"):
        if key not in present or f"h_{key}" not in block.columns:
            continue
        net = (pl.col("n_wage_public_welfare") + pl.col("n_wage_other") + pl.col("n_production_income") + pl.col("n_property_dividend")
               + pl.col("n_property_other") + pl.sum_horizontal([pl.col(f"n_{k}") for k in ("transfer_family_planning", "transfer_dibao", "transfer_tekun", "transfer_pension", "transfer_eco", "transfer_other")])
               - pl.col("n_production_expense"))
        ours = net if "per_capita" not in key else net / pl.col("_size")
        bad = block.filter(pl.col(f"h_{key}").is_not_null() & ((pl.col(f"h_{key}") - ours).abs() >= 100))
        for hkey, row, theirs, mine in bad.select("_hkey", "_first_row", pl.col(f"h_{key}"), ours.round(0)).iter_rows():
            plan.issues = pl.concat([plan.issues, pl.DataFrame([{
                "level": WARNING, "row": row, "column": header(key),
                "message": f"文件中的值{theirs / 100:.2f}与按收入分项计算的{mine / 100:.2f}不一致，以计算值为准", "hkey": hkey}], schema=ISSUE_SCHEMA)])


# --- measures ----------------------------------------------------------------------------------


def _measure_changes(plan: Plan, hh, state: CountyState, present) -> dict:
    keys = [k for k in present if FIELDS[k].store == "measure"]
    out: dict[str, tuple[dict, dict]] = {}
    if not keys:
        return out
    # One measure category at a time: the households' rows for all categories at once would be a frame
    # of (households × categories) rows (R-OPS-05).
    parts = []
    for key in keys:
        category = FIELDS[key].header
        stored = state.measures.filter(pl.col("category") == category).drop("category")
        part = hh.select("_hkey", "h_id", pl.lit(category).alias("category"), pl.col(f"h_{key}").alias("text"))
        part = part.join(stored, left_on="h_id", right_on="household_id", how="left", maintain_order="left")
        parts.append(part.filter((pl.col("text") != "") | pl.col("a_id").is_not_null()).filter(pl.col("text") != pl.col("content").fill_null("")))
    long = pl.concat(parts, how="vertical")
    long = long.with_columns(split_multi(pl.col("text")).alias("items"))
    for hkey, h_id, category, text, a_id, content, items in long.select("_hkey", "h_id", "category", "text", "a_id", "content", "items").iter_rows():
        if a_id is None:
            plan.measure_inserts.append({"hkey": hkey, "h_id": h_id, "category": category, "content": text, "items": list(items)})
        elif text == "":
            plan.measure_deletes.append(a_id)
        else:
            plan.measure_updates.append((a_id, text, list(items)))
        if h_id is not None:
            b, a = out.setdefault(hkey, ({}, {}))
            b.setdefault("帮扶措施", {})[category] = content or ""
            a.setdefault("帮扶措施", {})[category] = text
    return out


def events_json(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
