"""Dry run, apply, re-import, audit, refusals and scoping against the database (R-INT-01, R-INT-02, R-SEC-01)."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangpin.assistance.models import Measure
from fangpin.audit.models import Event
from fangpin.interop import jobs, services
from fangpin.interop.models import ImportStatus
from fangpin.registry.models import Household, IncomeRecord, Member, MemberMove

from .conftest import person


def _monitored(rows, **values):
    base = {
        "监测对象类别": "边缘易致贫户", "户类型": "普通农户", "识别监测时间": "202403", "致贫/返贫风险1": "因病",
        "致贫/返贫风险2": "缺劳动力", "风险是否已消除": "否", "工资性收入": "12000", "生产经营性收入": "3000.5",
        "转移性收入": "2400", "生产经营性支出": "1000", "合规自付支出": "800", "家庭人口数": str(len(rows)),
        "健康帮扶": "参加城乡居民基本医疗保险个人缴费补贴,其他", "综合保障": "低保", "耕地面积（亩）": "2.5",
        "整户无劳动能力兜底保障户": "否", "是否解决安全饮用水": "是", "是否危房户": "否",
    }
    base.update(values)
    for r in rows:
        r.update(base)
    return rows


def _check(county, path, user=None, **options):
    with open(path, "rb") as fh:
        job = services.start_import(user, county["county"], fh, options=options, name=Path(path).name, enqueue=False)
    return jobs.run_check(job.pk)


def _apply(job, user=None, refused_seen=False, divisions=True):
    services.request_apply(user, job, refused_seen=refused_seen, divisions_confirmed=divisions, enqueue=False)
    return jobs.run_apply(job.pk)


def test_dry_run_writes_nothing_then_apply_builds_everything_R_INT_01_R_INT_02(county, personas, xlsx, family):
    rows = _monitored(family()) + family("3406211002019002", "王大山", village="新建村", township="新兴镇")
    path = xlsx(rows)
    officer = personas["county_officer"]
    before = (Household.objects.count(), Member.objects.count(), Event.objects.count())
    job = _check(county, path, officer)
    assert job.status == ImportStatus.CHECKED, job.error
    assert (Household.objects.count(), Member.objects.count(), Event.objects.count()) == before
    assert job.counts["households"] == {"create": 2, "update": 0, "unchanged": 0, "refused": 0}
    assert job.counts["members"]["create"] == 6
    assert [d["name"] for d in job.preview["new_divisions"]] == ["新兴镇", "新建村"]

    job = _apply(job, officer)
    assert job.status == ImportStatus.APPLIED, job.error
    h = Household.objects.get(number="3406211002019001")
    assert h.village.name == "蔡桥村"
    assert (h.category, h.monitoring_status, h.included_on) == ("marginal_at_risk", "monitored", dt.date(2024, 3, 1))
    assert h.risk_types == ["因病", "缺劳动力"]
    assert h.water_secure is True and h.housing_grade == "B" and h.no_labour_household is False
    assert h.extra["耕地面积（亩）"] == "2.5"
    head = h.members.get(relation="户主")
    assert head.name == "张建国" and head.sex == "男" and head.birth_date == dt.date(1969, 4, 7)
    assert h.members.get(name="张小明").student_status == "九年级"
    income = IncomeRecord.objects.get(household=h)
    assert (income.purpose, income.year, income.household_size) == ("identification", 2024, 3)
    assert income.wage_other == 12000 and income.production_income == Decimal("3000.50")
    assert income.per_capita_net_income == Decimal("5466.83")  # (12000 + 3000.5 + 2400 - 1000) / 3
    measure = Measure.objects.get(household=h, category="健康帮扶")
    assert measure.content == "参加城乡居民基本医疗保险个人缴费补贴,其他"
    assert measure.items == ["参加城乡居民基本医疗保险个人缴费补贴", "其他"]
    other = Household.objects.get(number="3406211002019002")
    assert other.village.name == "新建村" and other.village.parent.name == "新兴镇"
    assert other.category == "ordinary" and other.monitoring_status == "none"
    events = Event.objects.filter(action="household.import_create")
    assert events.count() == 2
    assert all(e.source == "import" and job.sha256 in e.source_ref and e.actor == officer for e in events)


def test_reimport_of_the_same_file_changes_nothing_R_INT_02(county, xlsx, family):
    path = xlsx(_monitored(family()))
    _apply(_check(county, path))
    counts = (Household.objects.count(), Member.objects.count(), IncomeRecord.objects.count(), Measure.objects.count(), Event.objects.count())
    again = _check(county, path)
    assert again.counts["households"] == {"create": 0, "update": 0, "unchanged": 1, "refused": 0}
    assert again.counts["members"]["unchanged"] == 3
    again = _apply(again)
    assert again.status == ImportStatus.APPLIED
    assert (Household.objects.count(), Member.objects.count(), IncomeRecord.objects.count(), Measure.objects.count(), Event.objects.count()) == counts


def test_newer_file_updates_in_place_and_is_audited_R_INT_02(county, personas, xlsx, family):
    rows = _monitored(family())
    _apply(_check(county, xlsx(rows)))
    newer = _monitored(family(), **{"风险是否已消除": "是", "风险消除方式": "帮扶消除", "消除监测时间": "202411",
                                    "户联系电话": "13955619999", "健康帮扶": "", "风险消除后工资性收入": "20000",
                                    "风险消除后转移性收入": "1200"})
    for new, old in zip(newer, rows, strict=True):
        new["证件号码"] = old["证件号码"]
    newer[2]["在校生状况"] = "普通高中一年级"
    officer = personas["county_officer"]
    job = _check(county, xlsx(newer), officer)
    assert job.counts["households"]["update"] == 1 and job.counts["members"]["update"] == 1
    job = _apply(job, officer)
    assert Household.objects.count() == 1 and Member.objects.count() == 3
    h = Household.objects.get()
    assert (h.monitoring_status, h.elimination_mode, h.eliminated_on, h.phone) == ("eliminated", "assisted", dt.date(2024, 11, 1), "13955619999")
    assert not Measure.objects.filter(category="健康帮扶").exists()
    elim = IncomeRecord.objects.get(household=h, purpose="elimination")
    assert (elim.year, elim.wage_other, elim.transfer_other) == (2024, 20000, 1200)
    assert h.members.get(name="张小明").student_status == "普通高中一年级"
    event = Event.objects.get(action="household.import_update")
    assert event.actor == officer and event.source == "import" and job.original_name in event.source_ref
    assert event.before["户联系电话"] == "" and event.after["户联系电话"] == "13955619999"
    assert event.after["监测状态"] == "eliminated"
    assert event.before["帮扶措施"]["健康帮扶"].startswith("参加")


def test_refused_households_are_never_half_imported_R_INT_02(county, xlsx, family):
    bad = family()
    bad[1]["证件号码"] = bad[1]["证件号码"][:17] + ("0" if bad[1]["证件号码"][17] != "0" else "1")
    good = family("3406211002019002", "王大山")
    job = _check(county, xlsx(bad + good))
    assert job.refused_rows == 3 and job.refused_households == 1
    issue = job.issues.get(level="refused")
    assert (issue.row, issue.column, issue.household_number) == (5, "证件号码", "3406211002019001")
    with pytest.raises(ValidationError, match="被拒绝"):
        services.request_apply(None, job, refused_seen=False, divisions_confirmed=True, enqueue=False)
    job = _apply(job, refused_seen=True)
    assert job.status == ImportStatus.APPLIED
    assert list(Household.objects.values_list("number", flat=True)) == ["3406211002019002"]
    assert not Member.objects.filter(name="张建国").exists()


def test_apply_stops_when_new_refusals_appear_after_the_preview_R_INT_02(county, households, xlsx, family):
    rows = family()
    job = _check(county, xlsx(rows))
    assert job.refused_rows == 0
    # Before the officer confirms, the head's ID number gets registered in another county.
    from fangpin.areas.models import Level
    from tests.factories import build_county, division, household

    other = division("340602", "杜集区", Level.COUNTY)
    t = division("340602100", "高岳街道", Level.TOWNSHIP, other)
    v = division("340602100201", "新庄村", Level.VILLAGE, t)
    g = division("340602100201001", "第一村民小组", Level.GROUP, v)
    grid = division("34060210020100101", "第一村民小组第一网格", Level.GRID, g)
    elsewhere = household(grid, "3406021002010001", "杜某")
    Member.objects.filter(household=elsewhere).update(id_number=rows[0]["证件号码"])
    del build_county
    job = _apply(job)
    assert job.status == ImportStatus.FAILED and "未写入任何数据" in job.error
    assert not Household.objects.filter(number="3406211002019001").exists()


def test_member_moves_between_households_are_recorded_R_INT_02(county, households, xlsx):
    son = households["a1"].members.get(name="蔡小磊")
    rows = [person("3406211002019009", "蔡小磊", "户主", id_number=son.id_number, birth=son.birth_date, male=True)]
    job = _apply(_check(county, xlsx(rows)))
    son.refresh_from_db()
    assert son.household.number == "3406211002019009" and son.relation == "户主"
    move = MemberMove.objects.get(member=son)
    assert move.from_household == households["a1"] and move.reason.startswith("国家系统")
    assert job.counts["members"]["moved"] == 1


def test_a_head_missing_from_the_file_conflicts_unless_the_file_is_complete_R_INT_02(county, households, xlsx):
    h = households["b1"]
    spouse = h.members.get(relation="配偶")
    rows = [person(h.number, "任新户主", "户主", township="濉溪镇", village="任集村"),
            person(h.number, spouse.name, "配偶", id_number=spouse.id_number, birth=spouse.birth_date, male=False, village="任集村")]
    job = _check(county, xlsx(rows))
    assert job.refused_households == 1
    assert "不在本次文件中" in job.issues.get(level="refused").message
    job = _check(county, xlsx(rows), members_complete=True)
    assert job.refused_households == 0
    job = _apply(job)
    assert list(h.members.filter(active=True).values_list("relation", flat=True).order_by("relation_order")) == ["户主", "配偶"]
    assert h.members.get(name="任建国").active is False


def test_rows_of_another_county_are_refused_R_INT_02(county, xlsx, family):
    rows = family()
    for r in rows:
        r["县"] = "杜集区"
    job = _check(county, xlsx(rows))
    assert job.refused_households == 1
    assert job.issues.filter(level="refused", column="县").count() == 3


def test_only_the_county_office_of_that_county_imports_R_SEC_01(county, personas, xlsx, family):
    from fangpin.areas.models import Division, Level

    other = Division.objects.create(code="340602", name="杜集区", level=Level.COUNTY)
    path = xlsx(family())
    with open(path, "rb") as fh:
        with pytest.raises(PermissionDenied):
            services.start_import(personas["county_officer"], other, fh, enqueue=False)
    for name in ("township_officer", "cadre_a", "supervisor"):
        with open(path, "rb") as fh:
            with pytest.raises(PermissionDenied):
                services.start_import(personas[name], county["county"], fh, enqueue=False)
    assert list(services.importable_counties(personas["county_officer"])) == [county["county"]]


def test_a_file_that_is_not_an_export_is_rejected_R_INT_01(county, tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("项目,金额\n道路,100\n", encoding="utf-8")
    job = _check(county, path)
    assert job.status == ImportStatus.REJECTED and "没有找到表头" in job.error
    assert Household.objects.count() == 0


def test_missing_key_columns_are_named_R_INT_01(county, xlsx, family):
    rows = family()
    for r in rows:
        del r["与户主关系"]
    job = _check(county, xlsx(rows))
    assert job.status == ImportStatus.REJECTED and "与户主关系" in job.error


@pytest.fixture
def plan_reuse(monkeypatch):
    """Store the dry run's plan whatever the county's size, and count the plans built."""
    built = []
    real = jobs.build_plan
    monkeypatch.setattr(jobs, "PLAN_REUSE_MIN_ROWS", 0)
    monkeypatch.setattr(jobs, "build_plan", lambda *a, **k: built.append(1) or real(*a, **k))
    return built


def test_apply_reuses_the_dry_run_plan_when_nothing_changed_R_INT_02(county, households, xlsx, family, plan_reuse):
    job = _check(county, xlsx(_monitored(family())))
    assert plan_reuse == [1]
    job = _apply(job)
    assert job.status == ImportStatus.APPLIED, job.error
    assert plan_reuse == [1]  # not planned again
    assert "沿用预检结果" in " ".join(label for label, _ in job.counts["timings"])
    assert Household.objects.get(number="3406211002019001").members.count() == 3
    assert not (jobs.work_dir(job) / "plan.pickle").exists()


def test_apply_plans_again_when_the_data_changed_after_the_dry_run_R_INT_02(county, households, personas, xlsx, family, plan_reuse):
    rows = family()
    job = _check(county, xlsx(rows))
    # An audited edit anywhere in the system after the preview: the stored plan is not trusted.
    from fangpin.registry import services as registry

    registry.update_household(personas["county_officer"], households["a1"], phone="13900001111")
    job = _apply(job)
    assert job.status == ImportStatus.APPLIED, job.error
    assert plan_reuse == [1, 1]


def test_a_stored_plan_is_not_used_when_new_refusals_appeared_R_INT_02(county, households, xlsx, family, plan_reuse):
    rows = family()
    job = _check(county, xlsx(rows))
    from fangpin.areas.models import Level
    from tests.factories import division, household

    other = division("340602", "杜集区", Level.COUNTY)
    g = division("340602100201001", "第一村民小组", Level.GROUP, division("340602100201", "新庄村", Level.VILLAGE, division("340602100", "高岳街道", Level.TOWNSHIP, other)))
    elsewhere = household(division("34060210020100101", "第一网格", Level.GRID, g), "3406021002010001", "杜某")
    Member.objects.filter(household=elsewhere).update(id_number=rows[0]["证件号码"])
    job = _apply(job)
    assert job.status == ImportStatus.FAILED and "未写入任何数据" in job.error
    assert plan_reuse == [1, 1]
    assert not Household.objects.filter(number="3406211002019001").exists()


def test_member_rows_disagreeing_on_per_capita_income_only_warn_and_the_computed_value_is_kept_R_INT_02(county, xlsx, family):
    """人均纯收入 is not stored: the importer computes it from the income parts, so rows that disagree on
    it (the national system rounds per row) do not refuse the household."""
    rows = _monitored(family(), **{"人均纯收入": "5466.83", "纯收入（元）": "16400.5"})
    rows[1]["人均纯收入"] = "5466.8"
    rows[2]["纯收入（元）"] = "16400"
    job = _check(county, xlsx(rows))
    assert job.refused_households == 0 and job.refused_rows == 0
    assert job.counts["households"]["create"] == 1
    warnings = {(i.column, i.household_number): i.message for i in job.issues.filter(level="warning")}
    assert "不一致" in warnings[("人均纯收入", "3406211002019001")]
    assert "以按收入分项计算的值为准" in warnings[("人均纯收入", "3406211002019001")]
    assert ("纯收入（元）", "3406211002019001") in warnings
    job = _apply(job)
    assert job.status == ImportStatus.APPLIED, job.error
    income = IncomeRecord.objects.get(household__number="3406211002019001")
    assert income.per_capita_net_income == Decimal("5466.83")  # computed from the parts: (12000 + 3000.5 + 2400 - 1000) / 3


def test_member_rows_disagreeing_on_a_stored_household_value_still_refuse_R_INT_02(county, xlsx, family):
    rows = _monitored(family(), **{"户联系电话": "13955612345", "人均纯收入": "5466.83"})
    rows[2]["户联系电话"] = "13955610000"
    job = _check(county, xlsx(rows))
    assert job.refused_households == 1
    refused = job.issues.get(level="refused")
    assert refused.column == "户联系电话" and "不一致" in refused.message
    assert not job.issues.filter(column="人均纯收入").exists()


def test_member_columns_kept_as_other_national_fields_are_imported_and_a_reimport_changes_nothing_R_INT_02(county, xlsx, family):
    """Member columns stored as "国家系统其他字段" (``store: member.extra`` in layouts.json) reach the
    member's extra on import; re-importing the same file finds nothing to change."""
    rows = family()
    rows[0].update({"证件类型": "居民身份证", "务工所在地": "江苏省苏州市", "是否会讲普通话": "是", "享受低保政策情况": "农村低保"})
    rows[1].update({"证件类型": "居民身份证", "务工所在地": "", "是否会讲普通话": "否", "享受低保政策情况": "未享受"})
    rows[2].update({"证件类型": "", "务工所在地": "", "是否会讲普通话": "", "享受低保政策情况": ""})
    path = xlsx(rows)
    job = _apply(_check(county, path))
    assert job.status == ImportStatus.APPLIED, job.error
    members = {m.name: m for m in Member.objects.filter(household__number="3406211002019001")}
    head, spouse, child = members["张建国"], members["李秀兰"], members["张小明"]
    assert head.extra == {"证件类型": "居民身份证", "务工所在地": "江苏省苏州市", "是否会讲普通话": "是", "享受低保政策情况": "农村低保"}
    assert head.dibao is True
    assert spouse.extra == {"证件类型": "居民身份证", "是否会讲普通话": "否", "享受低保政策情况": "未享受"}
    assert spouse.dibao is False
    assert child.extra == {} and child.dibao is False

    events = Event.objects.count()
    again = _check(county, path)
    assert again.status == ImportStatus.CHECKED, again.error
    assert again.counts["households"] == {"create": 0, "update": 0, "unchanged": 1, "refused": 0}
    assert again.counts["members"]["update"] == 0 and again.counts["members"]["unchanged"] == 3
    again = _apply(again)
    assert again.status == ImportStatus.APPLIED, again.error
    assert Event.objects.count() == events
    assert Member.objects.get(pk=head.pk).extra == head.extra


def test_a_changed_other_national_member_field_updates_the_member_extra_R_INT_02(county, xlsx, family):
    rows = family()
    rows[0].update({"证件类型": "居民身份证", "务工所在地": "江苏省苏州市"})
    _apply(_check(county, xlsx(rows)))
    rows[0].update({"务工所在地": "浙江省杭州市"})
    job = _check(county, xlsx(rows))
    assert job.counts["members"]["update"] == 1 and job.counts["households"]["update"] == 1
    job = _apply(job)
    assert job.status == ImportStatus.APPLIED, job.error
    head = Member.objects.get(name="张建国")
    assert head.extra == {"证件类型": "居民身份证", "务工所在地": "浙江省杭州市"}
    event = Event.objects.get(action="household.import_update")
    assert event.before[f"成员张建国（{head.id_number}）"] == {"务工所在地": "江苏省苏州市"}
    assert event.after[f"成员张建国（{head.id_number}）"] == {"务工所在地": "浙江省杭州市"}
