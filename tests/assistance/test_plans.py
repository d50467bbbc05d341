"""One household, one plan (R-AID-03 … R-AID-05, R-AID-07, R-ID-07): the plan services.

The catalogue part builds the county catalogue; here catalogues are created directly with the ORM
(``make_catalogue``), in the 000 附件1 shape, with structured conditions.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from fangpin.accounts.roles import Role
from fangpin.accounts.scoping import OutOfScope
from fangpin.assistance import contacts, plans
from fangpin.assistance.models import (
    Handler,
    ListKind,
    ListStatus,
    Measure,
    MeasureKind,
    MeasureSource,
    MeasureStatus,
    Plan,
    PlanStatus,
    Policy,
    PolicyList,
)
from fangpin.audit.models import Event
from fangpin.profiles.services import set_calendar_day, working_calendar
from fangpin.registry.models import IncomeRecord
from tests.factories import division, household, user

# A Monday in an ordinary working week.
DAY = dt.date(2026, 5, 11)

POLICIES = [
    # type, name, kind, handler, department, conditions
    ("公益岗位", "乡村公益性岗位", MeasureKind.DEVELOPMENTAL, Handler.TOWNSHIP, "人社局",
     {"labour": ["普通劳动力", "弱劳动力或半劳动力"], "min_age": 16, "max_age": 60}),
    ("产业", "产业发展奖补", MeasureKind.DEVELOPMENTAL, Handler.TOWNSHIP, "农业农村局",
     {"categories": ["unstable_formerly_poor", "marginal_at_risk"], "labour": ["普通劳动力", "技能劳动力"]}),
    ("综合保障", "农村最低生活保障", MeasureKind.SAFETY_NET, Handler.DEPARTMENT, "民政局",
     {"max_per_capita_income": "8000"}),
    ("综合保障", "困难残疾人生活补贴和重度残疾人护理补贴", MeasureKind.SAFETY_NET, Handler.DEPARTMENT, "残联",
     {"disability": True}),
    ("教育", "雨露计划", MeasureKind.OTHER, Handler.DEPARTMENT, "乡村振兴局", {"student": True}),
    ("健康", "医疗救助", MeasureKind.OTHER, Handler.DEPARTMENT, "医保局", {"risk_types": ["因病"]}),
]


def make_catalogue(county, *, status=ListStatus.PUBLISHED, version=1, year=2026, extra=0) -> PolicyList:
    plist = PolicyList.objects.create(county=county, county_code=county.code, year=year, kind=ListKind.CATALOGUE,
                                      version=version, status=status, title=f"{county.name}{year}年防返贫帮扶政策清单")
    rows = [Policy(policy_list=plist, position=i, type=t, name=n, content=f"{n}：按规定程序申请，符合条件的予以帮扶。",
                   kind=k, handler=hd, department=d, conditions=c, conditions_text="见政策原文",
                   contact_name="王科长", office_phone="0561-6012345")
            for i, (t, n, k, hd, d, c) in enumerate(POLICIES, start=1)]
    rows += [Policy(policy_list=plist, position=100 + i, type="就业", name=f"就业帮扶政策{i}", content="稳岗就业。",
                    kind=MeasureKind.DEVELOPMENTAL, conditions={"labour": ["技能劳动力"], "min_age": 18 + i % 5,
                                                                "categories": ["marginal_at_risk"]})
             for i in range(extra)]
    Policy.objects.bulk_create(rows)
    return plist


def policy(plist, name) -> Policy:
    return plist.policies.get(name=name)


@pytest.fixture
def catalogue(county):
    return make_catalogue(county["county"])


@pytest.fixture
def filed(households, personas):
    """蔡永华's household (蔡桥村), filed as monitored on DAY: its plan is a draft."""
    return plans.on_household_filed(personas["county_officer"], households["a2"], DAY)


def wd(n, start=DAY):
    return working_calendar().add_working_days(start, n).due


def _snapshot():
    return (list(Plan.objects.order_by("pk").values()), list(Measure.objects.order_by("pk").values()),
            Event.objects.count())


# --- creation on filing ---------------------------------------------------------------------------


def test_filing_creates_a_draft_plan_with_its_clocks_R_ID_07_R_AID_05(filed, households, catalogue):
    plan = filed
    assert plan.status == PlanStatus.DRAFT and plan.started_on == DAY
    assert plan.due_on == wd(5) == dt.date(2026, 5, 18)
    assert plan.entry_due_on == wd(20) == dt.date(2026, 6, 8)
    assert Event.objects.filter(action="plan.create", household=households["a2"]).count() == 1
    # Filing again keeps the open plan.
    again = plans.on_household_filed(None, households["a2"], DAY + dt.timedelta(days=3))
    assert again.pk == plan.pk and Plan.objects.count() == 1


def test_the_identification_procedure_creates_the_plan_when_filing_R_ID_07(households, personas, county):
    from fangpin.cases import services as case_services
    from tests.cases.conftest import add_income, advance, application

    h = households["a1"]
    add_income(h, 2025, 9000)
    add_income(h, 2026, 5200, purpose="identification")
    case = case_services.open_case(personas["cadre_a"], h, application=application(h), today=DAY).case
    case, day = advance(case, personas, until="__filed__")
    h.refresh_from_db()
    assert h.monitoring_status == "monitored"
    plan = Plan.objects.get(household=h)
    assert plan.status == PlanStatus.DRAFT and plan.started_on == h.included_on
    items = [i["title"] for i in plans.pending_for(personas["township_officer"], day)]
    assert f"户{h.number}：确定帮扶联系人" in items


# --- drafting and the catalogue --------------------------------------------------------------------


def test_measures_come_from_the_published_county_catalogue_R_AID_03(filed, catalogue, personas):
    officer = personas["township_officer"]
    r = plans.add_measure(officer, filed, policy(catalogue, "乡村公益性岗位"),
                          member=filed.household.members.get(relation="户主"))
    m = r.obj
    assert (m.plan_id, m.source, m.kind, m.handler, m.status) == (filed.pk, MeasureSource.LOCAL,
                                                                 MeasureKind.DEVELOPMENTAL, Handler.TOWNSHIP,
                                                                 MeasureStatus.PLANNED)
    assert m.category == "公益岗位" and m.member.name == "蔡永华" and m.year == 2026
    filed.refresh_from_db()
    assert filed.catalogue_id == catalogue.pk and filed.version == 2
    # The village cadre may draft too.
    plans.add_measure(personas["cadre_a"], filed, policy(catalogue, "农村最低生活保障"))
    assert filed.measures.count() == 2


@pytest.mark.parametrize("which", ["other_county", "superseded", "draft", "department_list"])
def test_a_measure_from_another_or_unpublished_list_is_refused_and_nothing_changes_R_AID_03(which, filed, county,
                                                                                            personas):
    if which == "other_county":
        other = division("340602", "杜集区", 1)
        plist = make_catalogue(other)
    elif which == "superseded":
        plist = make_catalogue(county["county"], status=ListStatus.SUPERSEDED)
    elif which == "draft":
        plist = make_catalogue(county["county"], status=ListStatus.DRAFT, version=2)
    else:
        plist = make_catalogue(county["county"])
        plist.kind, plist.department, plist.version = ListKind.DEPARTMENT, "民政局", 0
        plist.save()
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        plans.add_measure(personas["township_officer"], filed, policy(plist, "产业发展奖补"))
    message = exc.value.message_dict["policy"][0]
    assert "产业发展奖补" in message
    assert {"other_county": "不是本县", "superseded": "已被新版本替代", "draft": "尚未发布",
            "department_list": "不是本县县级政策清单"}[which] in message
    assert _snapshot() == before


def test_bad_member_and_duplicates_are_refused_R_AID_03(filed, catalogue, personas, households):
    officer = personas["township_officer"]
    stranger = households["b1"].members.get(relation="户主")
    with pytest.raises(ValidationError) as exc:
        plans.add_measure(officer, filed, policy(catalogue, "乡村公益性岗位"), member=stranger.pk)
    assert exc.value.message_dict == {"member": ["受益成员须为本户在户成员"]}
    plans.add_measure(officer, filed, policy(catalogue, "医疗救助"))
    with pytest.raises(ValidationError, match="不能重复选择"):
        plans.add_measure(officer, filed, policy(catalogue, "医疗救助"))


def test_a_plan_outside_the_users_area_is_not_found_R_SEC_01(filed, catalogue, personas, county):
    outsider = user("township_b", Role.TOWNSHIP_STAFF, county["t2"])
    with pytest.raises(Http404):
        plans.get_plan_for(outsider, filed.pk)
    with pytest.raises(Http404):
        plans.get_plan_for(personas["cadre_b"], filed.pk)
    assert plans.get_plan_for(personas["cadre_a"], filed.pk).pk == filed.pk
    before = _snapshot()
    with pytest.raises(OutOfScope):
        plans.add_measure(outsider, filed, policy(catalogue, "医疗救助"))
    assert _snapshot() == before


# --- submission and approval -----------------------------------------------------------------------


def test_plan_cannot_be_submitted_or_approved_out_of_order_R_AID_05(filed, catalogue, personas):
    township, county_officer = personas["township_officer"], personas["county_officer"]
    before = _snapshot()
    with pytest.raises(ValidationError, match="方案中还没有帮扶措施"):
        plans.submit_plan(township, filed)
    with pytest.raises(ValidationError, match="尚未报县审定"):
        plans.approve_plan(county_officer, filed, today=DAY)
    with pytest.raises(PermissionDenied, match="县乡村振兴局"):
        plans.approve_plan(township, filed, today=DAY)
    with pytest.raises(PermissionDenied):
        plans.submit_plan(personas["cadre_a"], filed)
    with pytest.raises(ValidationError, match="不在待审定状态"):
        plans.return_plan(county_officer, filed, "措施不全")
    assert _snapshot() == before


def test_submit_approve_starts_the_measure_clocks_and_flags_one_dou_R_AID_04_R_AID_05(filed, catalogue, personas):
    township, county_officer = personas["township_officer"], personas["county_officer"]
    plans.add_measure(township, filed, policy(catalogue, "农村最低生活保障"))
    r = plans.submit_plan(township, filed, today=DAY)
    filed.refresh_from_db()
    assert filed.status == PlanStatus.SUBMITTED
    assert [f["code"] for f in filed.flags] == ["no_developmental"] and "一兜了之" in r.message
    # The county returns it; the township adds a developmental measure and submits again.
    plans.return_plan(county_officer, filed, "有劳动力，应安排开发式帮扶")
    filed.refresh_from_db()
    assert filed.status == PlanStatus.RETURNED and filed.returned_reason == "有劳动力，应安排开发式帮扶"
    plans.add_measure(township, filed, policy(catalogue, "乡村公益性岗位"))
    plans.submit_plan(township, filed, today=DAY)
    filed.refresh_from_db()
    assert filed.flags == []
    approve_day = DAY + dt.timedelta(days=2)
    plans.approve_plan(county_officer, filed, on=approve_day, today=approve_day)
    filed.refresh_from_db()
    assert filed.status == PlanStatus.APPROVED and filed.approved_by == county_officer
    dues = dict(filed.measures.values_list("content", "due_on"))
    assert dues == {"乡村公益性岗位": wd(5, approve_day), "农村最低生活保障": wd(5, approve_day)}


def test_an_approved_plan_changes_only_after_reopening_R_AID_03(filed, catalogue, personas):
    township, county_officer = personas["township_officer"], personas["county_officer"]
    plans.add_measure(township, filed, policy(catalogue, "乡村公益性岗位"))
    plans.submit_plan(township, filed, today=DAY)
    plans.approve_plan(county_officer, filed, today=DAY)
    before = _snapshot()
    with pytest.raises(ValidationError, match="调整方案"):
        plans.add_measure(township, filed, policy(catalogue, "医疗救助"))
    with pytest.raises(ValidationError):
        plans.remove_measure(township, filed.measures.get())
    with pytest.raises(ValidationError) as exc:
        plans.reopen_plan(township, filed, "")
    assert "调整原因" in exc.value.message_dict["reason"][0]
    assert _snapshot() == before
    plans.reopen_plan(township, filed, "户主新发大病，增加医疗救助")
    plans.add_measure(township, filed, policy(catalogue, "医疗救助"))
    filed.refresh_from_db()
    assert filed.status == PlanStatus.DRAFT and filed.measures.count() == 2


def test_stale_form_version_is_refused_R_AID_03(filed, catalogue, personas):
    with pytest.raises(ValidationError, match="已被他人修改"):
        plans.add_measure(personas["township_officer"], filed, policy(catalogue, "医疗救助"), version=filed.version + 1)


# --- carrying out ----------------------------------------------------------------------------------


@pytest.fixture
def approved(filed, catalogue, personas):
    township = personas["township_officer"]
    plans.add_measure(township, filed, policy(catalogue, "乡村公益性岗位"),
                      member=filed.household.members.get(relation="户主"))
    plans.add_measure(township, filed, policy(catalogue, "农村最低生活保障"))
    plans.submit_plan(township, filed, today=DAY)
    plans.approve_plan(personas["county_officer"], filed, today=DAY)
    filed.refresh_from_db()
    return filed


def test_department_application_and_carrying_out_R_AID_05(approved, personas):
    township = personas["township_officer"]
    post = approved.measures.get(handler=Handler.TOWNSHIP)
    dibao = approved.measures.get(handler=Handler.DEPARTMENT)
    with pytest.raises(ValidationError, match="由乡镇落实"):
        plans.apply_to_department(township, post, DAY, today=DAY)
    with pytest.raises(ValidationError, match="须经民政局同意"):
        plans.carry_out(township, dibao, DAY, today=DAY)
    applied = DAY + dt.timedelta(days=1)
    r = plans.apply_to_department(township, dibao, applied, today=applied)
    dibao.refresh_from_db()
    assert dibao.status == MeasureStatus.APPLIED and dibao.applied_on == applied
    assert dibao.answer_due_on == wd(5, applied) and "民政局" in r.message
    with pytest.raises(ValidationError):
        plans.apply_to_department(township, dibao, applied, today=applied)
    # The department approves (its own part), then the township records it in place.
    Measure.objects.filter(pk=dibao.pk).update(status=MeasureStatus.APPROVED, answered_on=applied, amount=4800,
                                               start_month=dt.date(2026, 6, 1))
    plans.carry_out(township, dibao, applied, today=applied)
    plans.carry_out(personas["cadre_a"], post, applied, today=applied)
    assert set(approved.measures.values_list("status", flat=True)) == {MeasureStatus.IN_PLACE}
    with pytest.raises(ValidationError, match="不能再登记落实"):
        plans.carry_out(township, post, applied, today=applied)


def test_measures_that_bring_money_change_no_income_R_AID_05(approved, personas, households):
    from tests.cases.conftest import add_income

    add_income(households["a2"], 2025, 6500)
    incomes = list(IncomeRecord.objects.order_by("pk").values())
    township = personas["township_officer"]
    dibao = approved.measures.get(handler=Handler.DEPARTMENT)
    plans.apply_to_department(township, dibao, DAY, today=DAY)
    Measure.objects.filter(pk=dibao.pk).update(status=MeasureStatus.APPROVED, answered_on=DAY, amount=4800,
                                               start_month=dt.date(2026, 6, 1))
    plans.carry_out(township, dibao, DAY, today=DAY)
    plans.carry_out(township, approved.measures.get(handler=Handler.TOWNSHIP), DAY, today=DAY)
    assert list(IncomeRecord.objects.order_by("pk").values()) == incomes


def test_measures_entered_into_the_national_system_R_AID_05(approved, personas):
    township = personas["township_officer"]
    with pytest.raises(ValidationError) as exc:
        plans.record_entry(township, approved, "2026-13-01", today=DAY)
    assert "录入日期格式不正确" in exc.value.message_dict["entered_on"][0]
    plans.record_entry(township, approved, DAY, today=DAY)
    approved.refresh_from_db()
    assert approved.entered_on == DAY
    events = Event.objects.filter(action="plan.entry").count()
    assert not plans.record_entry(township, approved, DAY, today=DAY).changed
    assert Event.objects.filter(action="plan.entry").count() == events


def test_developmental_mark_after_review_R_AID_07(approved, personas):
    township, county_officer = personas["township_officer"], personas["county_officer"]
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        plans.mark_developmental(county_officer, approved, found=True, today=DAY)
    assert "不能标记“已实施开发式帮扶”" in exc.value.message_dict["found"][0]
    with pytest.raises(PermissionDenied):
        plans.mark_developmental(personas["cadre_a"], approved, found=True, today=DAY)
    assert _snapshot() == before
    plans.carry_out(township, approved.measures.get(handler=Handler.TOWNSHIP), DAY, today=DAY)
    later = DAY + dt.timedelta(days=30)
    plans.mark_developmental(county_officer, approved, found=True, note="公益岗位已上岗", on=later, today=later)
    approved.refresh_from_db()
    assert approved.developmental_marked and approved.developmental_reviewed_by == county_officer
    assert approved.developmental_reviewed_on == later
    event = Event.objects.get(action="plan.developmental")
    assert event.after["measures"] == ["乡村公益性岗位"]


def test_national_developmental_measure_counts_for_the_review_R_AID_07(filed, personas):
    Measure.objects.create(household=filed.household, category="产业帮扶", content="发展种植业", source="national",
                           kind=MeasureKind.DEVELOPMENTAL, status=MeasureStatus.IN_PLACE)
    plans.mark_developmental(personas["township_officer"], filed, found=True, today=DAY)
    filed.refresh_from_db()
    assert filed.developmental_marked


# --- deadlines, pending and overdue ----------------------------------------------------------------


def test_plan_and_measure_deadlines_follow_calendar_changes_R_AID_05_R_CFG_04(approved, personas, county):
    admin = user("admin", Role.ADMINISTRATOR, county["county"], is_superuser=True, is_staff=True)
    township_due = approved.measures.get(handler=Handler.TOWNSHIP).due_on
    entry_due = approved.entry_due_on
    set_calendar_day(admin, DAY + dt.timedelta(days=2), is_workday=False, note="临时调休")
    approved.refresh_from_db()
    assert approved.entry_due_on == entry_due + dt.timedelta(days=1)
    m = approved.measures.get(handler=Handler.TOWNSHIP)
    assert m.due_on == township_due + dt.timedelta(days=1)
    assert Event.objects.filter(action="plan.deadline_recompute").count() == 1
    assert Event.objects.filter(action="measure.deadline_recompute").count() == 2


def test_pending_actions_per_role_R_AID_05(filed, catalogue, personas):
    township, county_officer = personas["township_officer"], personas["county_officer"]
    late = DAY + dt.timedelta(days=10)
    titles = {i["title"]: i for i in plans.pending_for(township, late)}
    number = filed.household.number
    assert titles[f"户{number}：制定帮扶方案并报县审定"]["overdue"]
    assert f"户{number}：确定帮扶联系人" in titles
    contacts.assign_contact(township, filed.household, personas["contact"], today=DAY)
    assert f"户{number}：确定帮扶联系人" not in {i["title"] for i in plans.pending_for(township, late)}
    mine = plans.pending_for(personas["contact"], late)
    assert [i["title"] for i in mine] == [f"联系户{number}：帮扶方案编制中"]
    plans.add_measure(township, filed, policy(catalogue, "乡村公益性岗位"))
    plans.submit_plan(township, filed, today=DAY)
    assert [i["title"] for i in plans.pending_for(county_officer, late)] == [f"户{number}：审定帮扶方案"]
    assert plans.pending_for(personas["cadre_b"], late) == []


def test_overdue_items_per_township_and_responsible_person_R_AID_05(approved, personas, county):
    township = personas["township_officer"]
    contacts.assign_contact(township, approved.household, personas["contact"], today=DAY)
    h2 = household(county["grid_a1"], "3406211002010009", "蔡国强", category="marginal_at_risk", status="monitored")
    plans.on_household_filed(personas["county_officer"], h2, DAY)
    late = DAY + dt.timedelta(days=40)
    rows = plans.overdue_summary(personas["county_officer"], late)
    by_contact = {r["contact"]: r for r in rows}
    assert by_contact["帮扶联系人"]["measures"] == 2 and by_contact["帮扶联系人"]["entries"] == 1
    assert by_contact[""]["plans"] == 1
    assert {r["name"] for r in rows} == {"濉溪镇"}
    assert plans.overdue_summary(personas["cadre_b"], late) == []


def test_a_department_refusal_asks_the_township_to_adjust_the_plan_R_AID_05(approved, personas):
    township = personas["township_officer"]
    dibao = approved.measures.get(handler=Handler.DEPARTMENT)
    plans.apply_to_department(township, dibao, DAY, today=DAY)
    Measure.objects.filter(pk=dibao.pk).update(status=MeasureStatus.REFUSED, answered_on=DAY, refusal_reason="收入超标")
    title = f"户{approved.household.number} 农村最低生活保障：民政局不予批准，请调整方案"
    assert title in [i["title"] for i in plans.pending_for(township, DAY)]
    later = DAY + dt.timedelta(days=3)
    plans.reopen_plan(township, approved, "低保未获批，改为临时救助")
    plans.submit_plan(township, approved, today=later)
    plans.approve_plan(personas["county_officer"], approved, on=later, today=later)
    assert title not in [i["title"] for i in plans.pending_for(township, later)]


# --- a plan for a household already monitored (loaded from the national system) ----------------------


def test_township_starts_a_plan_for_an_imported_monitored_household_R_AID_03_R_AID_05(households, personas, catalogue,
                                                                                      client):
    h = households["a2"]  # monitored, no plan: as the national import leaves it
    assert not Plan.objects.filter(household=h).exists()
    before = _snapshot()
    for actor in (personas["cadre_a"], personas["county_officer"], personas["contact"]):
        with pytest.raises(PermissionDenied):
            plans.start_plan(actor, h, today=DAY)
    with pytest.raises(ValidationError) as bad:
        plans.start_plan(personas["township_officer"], h, on="2026-13-01", today=DAY)
    assert "起算日期" in str(bad.value)
    with pytest.raises(ValidationError):
        plans.start_plan(personas["township_officer"], households["a1"], today=DAY)  # 脱贫户, not monitored
    assert _snapshot() == before

    result = plans.start_plan(personas["township_officer"], h, today=DAY)
    plan = result.obj
    assert plan.status == PlanStatus.DRAFT and plan.started_on == DAY and plan.due_on == wd(5)
    assert plan.catalogue == catalogue
    with pytest.raises(ValidationError, match="已有进行中的帮扶方案"):
        plans.start_plan(personas["township_officer"], h, today=DAY)
    assert Plan.objects.filter(household=h).count() == 1


def test_starting_a_plan_over_the_api_and_the_page_R_AID_03(households, personas, catalogue, client, county):
    h = households["a2"]
    client.force_login(personas["township_officer"])
    page = client.get(f"/assistance/households/{h.pk}/")
    assert "建立帮扶方案" in page.content.decode()
    answer = client.post(f"/api/assistance/households/{h.pk}/plan", {}, content_type="application/json")
    assert answer.status_code == 201 and answer.json()["plan"]["status"] == "draft"
    again = client.post(f"/api/assistance/households/{h.pk}/plan", {}, content_type="application/json")
    assert again.status_code == 422 and "已有进行中的帮扶方案" in again.json()["detail"]
    # Another township's officer does not learn the household exists.
    other = user("township_b", Role.TOWNSHIP_STAFF, county["t2"], display_name="钱站长")
    client.force_login(other)
    assert client.post(f"/api/assistance/households/{h.pk}/plan", {}, content_type="application/json").status_code == 404
