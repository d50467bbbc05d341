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
