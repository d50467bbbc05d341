"""The county policy catalogue (R-AID-01): department lists, submission, compilation, publication and
versions; who may do what; reminders of the profile's dates; derived kind, handler and conditions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from fangpin.accounts.pending import pending_actions
from fangpin.accounts.roles import Role
from fangpin.areas.models import Level
from fangpin.assistance import catalogue
from fangpin.assistance.models import Handler, ListKind, ListStatus, MeasureKind, Plan, Policy, PolicyList
from fangpin.audit.models import Event
from tests.factories import division, user

pytestmark = pytest.mark.django_db

YEAR = 2026
JAN = dt.date(2026, 1, 20)

WORK_FOR_RELIEF = {
    "type": "就业帮扶", "name": "以工代赈",
    "content": "引导有劳动能力的监测对象参与以工代赈项目建设，提高收入",
    "target_population": "脱贫户、边缘易致贫户", "conditions_text": "有劳动能力和就业意愿的人员",
    "procedure": "本人申请，村委会推荐，乡镇审核后报县发改局审批",
    "contact_name": "张明", "office_phone": "0561-6012345", "mobile": "13955612001",
}
MEDICAL = {
    "type": "健康帮扶", "name": "医疗救助",
    "content": "对监测对象住院自付费用按比例给予救助",
    "target_population": "监测对象", "conditions_text": "因病住院、自付费用较高的家庭",
    "procedure": "乡镇医保站受理", "office_phone": "0561-6023456",
}


@pytest.fixture
def officers(county, personas):
    fgj = user("fagaiju", Role.DEPARTMENT_OFFICER, county["county"], display_name="发改局李科长", department="发改局")
    return {"yibao": personas["department"], "fgj": fgj, "county": personas["county_officer"]}


def _state():
    return (list(PolicyList.objects.order_by("pk").values()), list(Policy.objects.order_by("pk").values()),
            Event.objects.count())


def _department_list(officer, *policies, submit=False):
    pl = catalogue.open_department_list(officer, YEAR, today=JAN).obj
    for data in policies:
        catalogue.save_policy(officer, pl, data)
    if submit:
        catalogue.submit_list(officer, pl, today=JAN)
    pl.refresh_from_db()
    return pl


def test_department_keeps_its_list_and_submits_it_R_AID_01(officers):
    pl = _department_list(officers["fgj"], WORK_FOR_RELIEF)
    assert (pl.kind, pl.department, pl.status, pl.year) == (ListKind.DEPARTMENT, "发改局", ListStatus.DRAFT, YEAR)
    p = pl.policies.get()
    assert p.department == "发改局" and p.kind == MeasureKind.DEVELOPMENTAL and p.handler == Handler.DEPARTMENT
    assert p.conditions["labour"] == ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力"]
    # 脱贫不稳定户 are 脱贫户 too.
    assert set(p.conditions["categories"]) == {"formerly_poor", "unstable_formerly_poor", "marginal_at_risk"}
    # Opening again gives the same list; editing changes and audits only what changed.
    assert catalogue.open_department_list(officers["fgj"], YEAR, today=JAN).obj == pl
    r = catalogue.save_policy(officers["fgj"], pl, {**WORK_FOR_RELIEF, "contact_name": "王强"}, policy=p)
    assert r.changed and Event.objects.filter(action="policy.update").get().before == {"contact_name": "张明"}
    assert not catalogue.save_policy(officers["fgj"], pl, {**WORK_FOR_RELIEF, "contact_name": "王强"}, policy=p).changed
    assert Event.objects.filter(action="policy.update").count() == 1
    result = catalogue.submit_list(officers["fgj"], pl, today=JAN)
    pl.refresh_from_db()
    assert pl.status == ListStatus.SUBMITTED and pl.submitted_by == officers["fgj"] and "已报送" in result.message


def test_bad_policy_input_names_the_field_and_saves_nothing_R_AID_01(officers):
    pl = _department_list(officers["fgj"])
    before = _state()
    with pytest.raises(ValidationError) as exc:
        catalogue.save_policy(officers["fgj"], pl, {**WORK_FOR_RELIEF, "name": "", "mobile": "12345",
                                                    "department": "医保局"})
    errors = exc.value.message_dict
    assert errors["name"] == ["帮扶政策不能为空"]
    assert "手机号码格式不正确" in errors["mobile"][0]
    assert "只能包含本部门（发改局）" in errors["department"][0]
    assert _state() == before


def test_a_department_officer_cannot_touch_another_departments_list_R_AID_01(officers):
    pl = _department_list(officers["fgj"], WORK_FOR_RELIEF)
    p = pl.policies.get()
    before = _state()
    with pytest.raises(PermissionDenied, match="只能修改本部门（医保局）"):
        catalogue.save_policy(officers["yibao"], pl, MEDICAL)
    with pytest.raises(PermissionDenied, match="只能修改本部门"):
        catalogue.save_policy(officers["yibao"], pl, {**WORK_FOR_RELIEF, "name": "改名"}, policy=p)
    with pytest.raises(PermissionDenied):
        catalogue.remove_policy(officers["yibao"], p)
    with pytest.raises(PermissionDenied, match="只能报送本部门"):
        catalogue.submit_list(officers["yibao"], pl, today=JAN)
    # And they do not even see it: a 404, like a list that does not exist.
    with pytest.raises(Http404):
        catalogue.get_list_for(officers["yibao"], pl.pk)
    with pytest.raises(Http404):
        catalogue.get_policy_for(officers["yibao"], p.pk)
    assert _state() == before


def test_submitted_list_is_read_only_until_taken_back_R_AID_01(officers):
    pl = _department_list(officers["fgj"], WORK_FOR_RELIEF, submit=True)
    before = _state()
    with pytest.raises(ValidationError, match="已报送，不能修改"):
        catalogue.save_policy(officers["fgj"], pl, MEDICAL)
    with pytest.raises(ValidationError, match="不能重复报送"):
        catalogue.submit_list(officers["fgj"], pl, today=JAN)
    assert _state() == before
    catalogue.reopen_list(officers["fgj"], pl)
    catalogue.save_policy(officers["fgj"], pl, {**MEDICAL, "type": "就业帮扶", "name": "技能培训补贴"})
    assert pl.policies.count() == 2


def test_empty_list_cannot_be_submitted_R_AID_01(officers):
    pl = _department_list(officers["fgj"])
    with pytest.raises(ValidationError, match="还没有政策"):
        catalogue.submit_list(officers["fgj"], pl, today=JAN)
    pl.refresh_from_db()
    assert pl.status == ListStatus.DRAFT


def test_county_compiles_publishes_and_versions_the_catalogue_R_AID_01(officers):
    _department_list(officers["fgj"], WORK_FOR_RELIEF, submit=True)
    _department_list(officers["yibao"], MEDICAL, submit=True)
    draft = catalogue.compile_catalogue(officers["county"], YEAR, today=JAN).obj
    assert (draft.kind, draft.version, draft.status) == (ListKind.CATALOGUE, 1, ListStatus.DRAFT)
    assert sorted(draft.policies.values_list("department", flat=True)) == ["医保局", "发改局"]
    assert all(p.origin_id for p in draft.policies.all())
    assert catalogue.current_catalogue("340621", YEAR) is None
    # The county office may edit and exclude policies of the draft.
    medical = draft.policies.get(name="医疗救助")
    catalogue.save_policy(officers["county"], draft, {**MEDICAL, "department": "医保局", "contact_name": "赵芳"},
                          policy=medical)
    catalogue.publish_catalogue(officers["county"], draft, today=JAN)
    v1 = catalogue.current_catalogue("340621", YEAR)
    assert v1 == draft and v1.status == ListStatus.PUBLISHED and v1.policies.count() == 2
    # A plan keeps the version it chose from.
    plan = Plan.objects.create(household=_household(), catalogue=v1, started_on=JAN)
    # Published versions are never edited.
    before = _state()
    with pytest.raises(ValidationError, match="已发布的版本不能修改"):
        catalogue.save_policy(officers["county"], v1, MEDICAL, policy=medical)
    with pytest.raises(ValidationError, match="不能再次发布"):
        catalogue.publish_catalogue(officers["county"], v1, today=JAN)
    assert _state() == before
    # A change is a new version; the old one is superseded, the plan still points at version 1.
    v2 = catalogue.compile_catalogue(officers["county"], YEAR, today=JAN).obj
    assert v2.version == 2
    catalogue.remove_policy(officers["county"], v2.policies.get(name="医疗救助"))
    catalogue.publish_catalogue(officers["county"], v2, today=JAN)
    v1.refresh_from_db()
    plan.refresh_from_db()
    assert v1.status == ListStatus.SUPERSEDED and catalogue.current_catalogue("340621", YEAR) == v2
    assert plan.catalogue == v1 and v1.policies.count() == 2 and v2.policies.count() == 1
    assert Event.objects.filter(action="catalogue.publish").count() == 3


def _household():
    from tests.factories import household

    grid = division("34062110020100102", "第一村民小组第二网格", Level.GRID,
                    division("340621100201003", "第三村民小组", Level.GROUP,
                             __import__("fangpin.areas.models", fromlist=["Division"]).Division.objects.get(code="340621100201")))
    return household(grid, "3406211002010099", "蔡某")


def test_only_the_county_office_compiles_and_publishes_R_AID_01(officers, personas):
    _department_list(officers["fgj"], WORK_FOR_RELIEF, submit=True)
    draft = catalogue.compile_catalogue(officers["county"], YEAR, today=JAN).obj
    before = _state()
    for who in (officers["fgj"], personas["township_officer"], personas["supervisor"], personas["cadre_a"]):
        with pytest.raises(PermissionDenied, match="只能由县乡村振兴局办理"):
            catalogue.publish_catalogue(who, draft, today=JAN)
        with pytest.raises(PermissionDenied):
            catalogue.compile_catalogue(who, YEAR, today=JAN)
    with pytest.raises(PermissionDenied):
        catalogue.publish_catalogue(None, draft, today=JAN)
    # A county office of another county neither sees nor publishes it.
    other = division("340602", "杜集区", Level.COUNTY)
    stranger = user("county_2", Role.COUNTY_OFFICE, other)
    with pytest.raises(Http404):
        catalogue.get_list_for(stranger, draft.pk)
    with pytest.raises(PermissionDenied):
        catalogue.publish_catalogue(stranger, draft, today=JAN)
    assert _state() == before


def test_nothing_to_compile_and_bad_year_are_refused_R_AID_01(officers):
    before = _state()
    with pytest.raises(ValidationError, match="还没有部门报送"):
        catalogue.compile_catalogue(officers["county"], YEAR, today=JAN)
    with pytest.raises(ValidationError, match="年度应为2020到2027之间的年份"):
        catalogue.open_department_list(officers["fgj"], "2035", today=JAN)
    with pytest.raises(ValidationError, match="年度"):
        catalogue.open_department_list(officers["fgj"], "二〇二六", today=JAN)
    assert _state() == before


def test_visibility_of_lists_R_AID_01(officers, personas):
    dept = _department_list(officers["fgj"], WORK_FOR_RELIEF, submit=True)
    draft = catalogue.compile_catalogue(officers["county"], YEAR, today=JAN).obj
    cadre = personas["cadre_a"]
    # Cadres see published catalogues only.
    assert list(catalogue.lists_visible_to(cadre)) == []
    catalogue.publish_catalogue(officers["county"], draft, today=JAN)
    assert list(catalogue.lists_visible_to(cadre)) == [draft]
    assert set(catalogue.lists_visible_to(officers["county"])) == {dept, draft}
    assert set(catalogue.lists_visible_to(officers["yibao"])) == {draft}
    assert set(catalogue.lists_visible_to(officers["fgj"])) == {dept, draft}


def test_reminders_before_and_after_the_profile_dates_R_AID_01(officers, county, personas):
    county["county"].profile_key = "suyuan"
    county["county"].save()
    catalogue.profile_for_county.cache_clear()
    dates = catalogue.catalogue_dates("340621", YEAR)
    assert dates == {"departments_due": dt.date(2026, 2, 8), "county_due": dt.date(2026, 2, 10),
                     "villages_due": dt.date(2026, 2, 25)}
    yibao = officers["yibao"]
    assert catalogue.pending_for(yibao, dt.date(2026, 1, 5)) == []  # too early (more than 30 days before)
    early = catalogue.pending_for(yibao, dt.date(2026, 2, 1))
    assert [(i["title"], i["due"], i["overdue"]) for i in early] == [
        ("报送2026年医保局防返贫帮扶政策清单", dt.date(2026, 2, 8), False)]
    assert catalogue.pending_for(yibao, dt.date(2026, 2, 9))[0]["overdue"] is True
    county_items = catalogue.pending_for(officers["county"], dt.date(2026, 2, 9))
    assert county_items[0]["title"] == "汇总发布2026年县级防返贫帮扶政策清单（已报送0/2个部门）"
    assert county_items[0]["due"] == dt.date(2026, 2, 10) and county_items[0]["overdue"] is False
    # Submitting clears the department's reminder.
    _department_list(yibao, MEDICAL, submit=True)
    assert catalogue.pending_for(yibao, dt.date(2026, 2, 9)) == []
    assert "已报送1/2个部门" in catalogue.pending_for(officers["county"], dt.date(2026, 2, 11))[0]["title"]
    assert catalogue.pending_for(officers["county"], dt.date(2026, 2, 11))[0]["overdue"] is True
    # Once published, village cadres are reminded to make their lists until the villages' date.
    assert catalogue.pending_for(personas["cadre_a"], dt.date(2026, 2, 11)) == []
    draft = catalogue.compile_catalogue(officers["county"], YEAR, today=dt.date(2026, 2, 11)).obj
    catalogue.publish_catalogue(officers["county"], draft, today=dt.date(2026, 2, 11))
    (item,) = catalogue.pending_for(personas["cadre_a"], dt.date(2026, 2, 12))
    assert item["title"] == "对照2026年县级政策清单（第1版）制定本村帮扶清单" and item["due"] == dt.date(2026, 2, 25)
    assert catalogue.pending_for(personas["cadre_a"], dt.date(2026, 2, 26)) == []
    assert catalogue.pending_for(officers["county"], dt.date(2026, 2, 12)) == []
    # The home page's provider is registered.
    assert catalogue._pending in __import__("fangpin.accounts.pending", fromlist=["x"]).PENDING_PROVIDERS
    assert isinstance(pending_actions(yibao), list)


def test_derived_kind_handler_and_conditions_R_AID_01():
    assert catalogue.derive_kind("就业帮扶") == MeasureKind.DEVELOPMENTAL
    assert catalogue.derive_kind("金融帮扶", "小额信贷") == MeasureKind.DEVELOPMENTAL
    assert catalogue.derive_kind("综合保障", "农村低保") == MeasureKind.SAFETY_NET
    assert catalogue.derive_kind("社会帮扶", "临时救助") == MeasureKind.SAFETY_NET
    assert catalogue.derive_kind("健康帮扶", "家庭医生签约") == MeasureKind.OTHER
    assert catalogue.derive_handler("乡镇审核后报县民政局审批") == Handler.DEPARTMENT
    assert catalogue.derive_handler("村委会登记，乡镇发放") == Handler.TOWNSHIP
    c = catalogue.derive_conditions("在校学生", "家庭中有残疾人、16至60周岁、享受低保，因学致贫",
                                    risk_types=("因学", "因病"))
    assert c == {"disability": True, "student": True, "social_assistance": ["低保"], "risk_types": ["因学"],
                 "min_age": 16, "max_age": 60}
    assert catalogue.derive_conditions("无劳动能力的老人", "60周岁以上，人均纯收入低于7900元") == {
        "labour": ["丧失劳动力", "无劳动力"], "min_age": 60, "max_per_capita_income": "7900.00"}
    # A broad group restricts no category.
    cats = {"formerly_poor": "脱贫户", "marginal_at_risk": "边缘易致贫户"}
    assert "categories" not in catalogue.derive_conditions("脱贫户、其他低收入人群", "", categories=cats)


def test_structured_conditions_from_a_form_are_checked_R_AID_01(officers):
    pl = _department_list(officers["fgj"])
    with pytest.raises(ValidationError) as exc:
        catalogue.save_policy(officers["fgj"], pl, {**WORK_FOR_RELIEF, "conditions": {
            "labour": ["会开车"], "min_age": "70", "max_age": "16", "categories": ["vip"]}})
    errors = exc.value.message_dict
    assert "劳动能力“会开车”不在可选值中" in errors["conditions.labour"][0]
    assert errors["conditions.max_age"] == ["最高年龄不能小于最低年龄"]
    assert "户类别“vip”" in errors["conditions.categories"][0]
    p = catalogue.save_policy(officers["fgj"], pl, {**WORK_FOR_RELIEF, "kind": "other", "handler": "township",
                                                    "conditions": {"labour": ["普通劳动力"], "student": "是",
                                                                   "max_per_capita_income": "8000"}}).obj
    assert p.conditions == {"labour": ["普通劳动力"], "student": True, "max_per_capita_income": "8000.00"}
    assert (p.kind, p.handler) == ("other", "township")


def test_a_department_policy_in_a_published_catalogue_is_not_removed_R_AID_01(officers):
    pl = _department_list(officers["fgj"], WORK_FOR_RELIEF, submit=True)
    draft = catalogue.compile_catalogue(officers["county"], YEAR, today=JAN).obj
    catalogue.reopen_list(officers["fgj"], pl)
    # Still a draft catalogue: the department may remove it; the draft keeps its copy without origin.
    catalogue.remove_policy(officers["fgj"], pl.policies.get())
    assert draft.policies.get().origin_id is None
    catalogue.save_policy(officers["fgj"], pl, MEDICAL)
    catalogue.submit_list(officers["fgj"], pl, today=JAN)
    v2 = catalogue.compile_catalogue(officers["county"], YEAR, today=JAN).obj
    assert v2 == draft and list(v2.policies.values_list("name", flat=True)) == ["医疗救助"]
    catalogue.publish_catalogue(officers["county"], v2, today=JAN)
    catalogue.reopen_list(officers["fgj"], pl)
    before = _state()
    with pytest.raises(ValidationError, match="已汇总进县级政策清单第1版，不能删除"):
        catalogue.remove_policy(officers["fgj"], pl.policies.get())
    assert _state() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_compilations_and_publications_give_one_version_R_AID_01(officers):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite has one writer at a time")
    import threading

    _department_list(officers["fgj"], WORK_FOR_RELIEF, submit=True)

    def twice(call):
        barrier, results = threading.Barrier(2), []

        def run():
            from django.db import connections

            try:
                barrier.wait()
                call()
                results.append("ok")
            except ValidationError:
                results.append("refused")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(results)

    assert twice(lambda: catalogue.compile_catalogue(officers["county"], YEAR, today=JAN)) == ["ok", "ok"]
    drafts = PolicyList.objects.filter(kind=ListKind.CATALOGUE)
    assert drafts.count() == 1 and drafts.get().version == 1 and drafts.get().policies.count() == 1
    draft = drafts.get()
    assert twice(lambda: catalogue.publish_catalogue(officers["county"], draft, today=JAN)) == ["ok", "refused"]
    assert Event.objects.filter(action="catalogue.publish").count() == 1
