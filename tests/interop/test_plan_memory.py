"""The diff keeps memory bounded without changing its result (R-OPS-05, R-INT-02)."""

import datetime as dt

from fangpin.interop import plan as plan_module
from fangpin.interop.plan import build_plan
from fangpin.interop.reader import read_table
from fangpin.interop.state import load_state
from fangpin.interop.validate import prepare
from fangpin.profiles.services import profile_for_county
from fangpin.registry.models import Member

from .test_import import _apply, _check, _monitored

TODAY = dt.date(2026, 1, 10)


def _plan(county, path, options=None):
    prep = prepare(read_table(path), county=county["county"], profile=profile_for_county("340621"), today=TODAY)
    return build_plan(prep, load_state(county["county"]), profile=profile_for_county("340621"), options=options or {}, today=TODAY)


def _joined_always(left, right, *, left_on, right_on):
    return left.join(right, left_on=left_on, right_on=right_on, how="left")


def test_a_first_import_plans_the_same_without_materialised_joins_R_OPS_05(county, xlsx, family, monkeypatch):
    path = xlsx(_monitored(family()) + family("3406211002019002", "王大山", village="新建村", township="新兴镇"))
    fast = _plan(county, path)
    monkeypatch.setattr(plan_module, "_left_join", _joined_always)
    slow = _plan(county, path)
    assert fast.digest() == slow.digest()
    assert fast.counts == slow.counts
    assert fast.member_inserts.equals(slow.member_inserts)
    assert set(fast.households.columns) <= set(plan_module.PLAN_HOUSEHOLD_COLUMNS)


def test_member_changes_compared_a_slice_at_a_time_are_the_same_R_OPS_05(county, xlsx, family, monkeypatch):
    rows = _monitored(family()) + family("3406211002019002", "王大山")
    job = _apply(_check(county, xlsx(rows)))
    assert job.status == "applied", job.error
    rows[1]["姓名"], rows[4]["民族"], rows[3]["劳动技能"] = "李秀英", "回族", "无劳动力"
    path = xlsx(rows)
    whole = _plan(county, path)
    monkeypatch.setattr(plan_module, "DIFF_ROWS", 1)
    sliced = _plan(county, path)
    assert sorted(whole.member_updates) == sorted(sliced.member_updates)
    assert len(sliced.member_updates) == 3
    assert whole.digest() == sliced.digest() and whole.changes == sliced.changes
    names = {m_id: update.get("name") for m_id, update in sliced.member_updates}
    assert Member.objects.get(pk=[k for k, v in names.items() if v == "李秀英"][0]).name == "李秀兰"
    assert sliced.member_inserts.height == 0


def _as_text(state):
    """The county's state with every compact (Categorical) column, struct fields included, as plain text."""
    import polars as pl

    def text(dtype):
        if isinstance(dtype, pl.Categorical):
            return pl.String
        if isinstance(dtype, pl.Struct):
            return pl.Struct({f.name: text(f.dtype) for f in dtype.fields})
        return dtype

    for name in ("households", "members"):
        frame = getattr(state, name)
        setattr(state, name, frame.cast({c: text(t) for c, t in frame.schema.items()}))
    return state


def test_a_reimport_plans_the_same_from_the_compact_county_state_R_OPS_05(county, xlsx, family, monkeypatch):
    rows = _monitored(family()) + family("3406211002019002", "王大山")
    rows[0].update({"证件类型": "居民身份证", "务工所在地": "江苏省苏州市", "享受低保政策情况": "农村低保"})
    job = _apply(_check(county, xlsx(rows)))
    assert job.status == "applied", job.error
    rows[1]["姓名"], rows[4]["民族"], rows[3]["劳动技能"] = "李秀英", "回族", "无劳动力"
    rows[0].update({"务工所在地": "浙江省杭州市", "享受低保政策情况": ""})
    for row in rows[3:]:
        row.update({"户联系电话": "13955619999", "健康帮扶": "其他"})
    path = xlsx(rows)
    profile = profile_for_county("340621")
    prep = lambda: prepare(read_table(path), county=county["county"], profile=profile, today=TODAY)  # noqa: E731
    state = load_state(county["county"])
    assert any(str(t).startswith("Categorical") for t in state.members.schema.values())
    compact = build_plan(prep(), state, profile=profile, options={}, today=TODAY)
    text = build_plan(prep(), _as_text(load_state(county["county"])), profile=profile, options={}, today=TODAY)
    monkeypatch.setattr(plan_module, "_left_join", _joined_always)
    monkeypatch.setattr("fangpin.interop.state.PREPARE_ROWS", 1)
    joined = build_plan(prep(), load_state(county["county"]), profile=profile, options={}, today=TODAY)
    for other in (text, joined):
        assert compact.digest() == other.digest()
        assert compact.counts == other.counts and compact.changes == other.changes
        assert sorted(compact.member_updates, key=str) == sorted(other.member_updates, key=str)
        assert sorted(compact.household_updates, key=str) == sorted(other.household_updates, key=str)
    assert compact.counts["members"]["update"] == 4 and compact.counts["households"]["update"] == 2
    assert compact.measure_inserts and compact.measure_inserts == text.measure_inserts


def test_the_dry_run_reads_the_county_after_the_files_cells_are_released_R_OPS_05(county, xlsx, family, monkeypatch):
    from fangpin.interop import jobs

    seen = []
    real_prepare, real_load = jobs.prepare, jobs.load_state

    def prepare_and_note(table, **kw):
        out = real_prepare(table, **kw)
        seen.append(("checked", table.frame.height))
        return out

    monkeypatch.setattr(jobs, "prepare", prepare_and_note)
    monkeypatch.setattr(jobs, "load_state", lambda county_: seen.append(("county", None)) or real_load(county_))
    job = _check(county, xlsx(family()))
    assert job.status == "checked", job.error
    assert seen == [("checked", 0), ("county", None)]  # the table's cells were released before the county was read
