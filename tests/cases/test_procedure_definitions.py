"""Procedures are profile data (R-ID-03, R-ID-04, R-ID-04a, R-CFG-01, R-CFG-02): the 濉溪 7-step procedure,
the national-guideline variant, load-time refusal of malformed procedures, and history kept per case."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from fangpin.accounts.roles import Role
from fangpin.areas.models import Level
from fangpin.cases import services
from fangpin.cases.models import CaseStatus, CaseStep, Notice
from fangpin.policy.procedures import ROLE_CODES, parse_procedure
from fangpin.policy.profiles import ProfileError, load_profile_text
from fangpin.profiles.services import load_profiles, profile_by_key
from tests.factories import division, household, user

from .conftest import add_income, application, cross_check, decision, deliberation, verification

DEFAULTS = (Path(settings.PROFILES_DIR) / "_defaults.toml").read_text(encoding="utf-8")
OWN = 'key = "t"\nname = "测试县"\ncounty_code = "340699"\n'


def test_role_codes_in_the_rulebook_match_the_roles_R_SEC_01():
    assert ROLE_CODES == set(Role.values)


def test_suixi_defines_the_seven_step_procedure_with_two_seven_day_notices_R_ID_03_R_ID_04a():
    proc = parse_procedure(profile_by_key("suixi").data, "identification")
    assert [(s.kind, s.notice_days) for s in proc.steps] == [
        ("application", 0), ("verification", 0), ("deliberation", 0), ("cross_check", 0),
        ("village_decision", 7), ("township_approval", 7), ("county_filing", 0)]
    assert [s.name for s in proc.steps] == ["户申请", "村初核（核查组入户核查）", "组评议", "信息比对（县牵头）",
                                           "村研究确定并公示", "镇审定公示", "县备案并公告"]
    assert proc.step("verification").min_verifiers == 2
    assert proc.step("county_filing").roles == ("county_office",)
    assert proc.step("township_approval").roles == ("township_staff",)
    assert proc.total_days == 30 and proc.total_unit == "calendar_days"
    assert proc.entry_days == 1


@pytest.mark.parametrize("key", ["fengdu", "jinan", "mucang", "suyuan"])
def test_the_national_guideline_variant_one_village_notice_of_five_days_within_15_days_R_ID_04a(key):
    proc = parse_procedure(profile_by_key(key).data, "identification")
    notices = [(s.kind, s.notice_days) for s in proc.steps if s.has_notice]
    assert notices == [("village_decision", 5)]
    assert not proc.step("township_approval").has_notice
    assert proc.steps[-1].announces and proc.steps[-1].name == "县级审批确定并公告"
    assert proc.total_days == 15 and proc.total_unit == "calendar_days"


def _steps(*tables):
    return "".join(f"[[procedures.identification.steps]]\n{t}\n" for t in tables)


GOOD = [
    'key = "application"\nkind = "application"\nroles = ["village_cadre"]\nlevel = "village"\n',
    'key = "verification"\nkind = "verification"\nroles = ["village_cadre"]\nlevel = "village"\n',
    'key = "village_decision"\nkind = "village_decision"\nroles = ["village_cadre"]\nlevel = "village"\nnotice_days = 3\n',
    'key = "county_filing"\nkind = "county_filing"\nroles = ["county_office"]\nlevel = "county"\n',
]


def test_a_county_defines_its_own_procedure_by_data_R_CFG_02():
    profile = load_profile_text(OWN + "[procedures.identification]\nname = \"精简程序\"\n" + _steps(*GOOD), DEFAULTS)
    proc = parse_procedure(profile.data, "identification")
    assert [s.key for s in proc.steps] == ["application", "verification", "village_decision", "county_filing"]
    assert proc.step("village_decision").notice_days == 3


@pytest.mark.parametrize("steps, message", [
    ([GOOD[1], GOOD[0], GOOD[2], GOOD[3]], "第一步必须是户申请"),
    ([GOOD[0], GOOD[1], GOOD[3], GOOD[2]], "最后一步必须是县级备案"),
    ([GOOD[0], GOOD[1].replace('"verification"\nroles', '"inspection"\nroles'), GOOD[2], GOOD[3]], "不是已知的步骤类型"),
    ([GOOD[0], GOOD[1].replace("village_cadre", "village_chief"), GOOD[2], GOOD[3]], "未知角色 village_chief"),
    ([GOOD[0], GOOD[1].replace("village_cadre", "supervisor"), GOOD[2], GOOD[3]], "只读的督导角色"),
    ([GOOD[0], GOOD[1] + "min_verifiers = 1\n", GOOD[2], GOOD[3]], "min_verifiers 不能小于 2"),
    ([GOOD[0], GOOD[1] + "notice_days = 5\n", GOOD[2], GOOD[3]], "没有公示，不能设置 notice_days"),
    ([GOOD[0], GOOD[1], GOOD[2].replace("notice_days = 3", 'notice_days = "notices.village_dayz"'), GOOD[3]],
     "引用的参数 notices.village_dayz 不存在"),
    ([GOOD[0], GOOD[1], GOOD[2].replace("notice_days = 3", "notice_days = -1"), GOOD[3]], "不能小于 0"),
    ([GOOD[0], GOOD[1], GOOD[2].replace("notice_days = 3\n", ""), GOOD[3]], "必须设置 notice_days"),
    ([GOOD[0], GOOD[1] + 'deadline_unit = "weeks"\n', GOOD[2], GOOD[3]], "deadline_unit 只能是"),
    ([GOOD[0], GOOD[1], GOOD[1], GOOD[2], GOOD[3]], "key verification 重复"),
    ([GOOD[0], GOOD[2], GOOD[3]], "reverify_step 'verification' 不是本程序的步骤"),
    ([GOOD[0], GOOD[1] + 'colour = "red"\n', GOOD[2], GOOD[3]], "未知字段 colour"),
])
def test_a_malformed_procedure_is_refused_at_load_time_with_a_chinese_reason_R_ID_04(steps, message):
    text = OWN + "[procedures.identification]\nname = \"坏程序\"\n" + _steps(*steps)
    with pytest.raises(ProfileError, match=message):
        load_profile_text(text, DEFAULTS)


@pytest.mark.parametrize("extra, message", [
    ('[eligibility]\nscope_groups = ["everyone"]\n', "未知范围 everyone"),
    ('[eligibility]\nincome_drop_fraction = "3/2"\n', "income_drop_fraction 应在0到1之间"),
    ('[cross_check]\nitems = []\n', "cross_check.items 应为非空列表"),
    ('[procedures.identification]\ntotal_days = 0\n', "total_days 不能小于 1"),
    ('[procedures.identification]\nreference_prefix = "sb"\n', "reference_prefix 应为1到4个大写字母"),
])
def test_malformed_identification_parameters_are_refused_R_ID_02_R_WARN_04(extra, message):
    with pytest.raises(ProfileError, match=message):
        load_profile_text(OWN + extra, DEFAULTS)


@pytest.fixture
def fengdu(db):
    county = division("500230", "丰都县", Level.COUNTY, profile_key="fengdu")
    town = division("500230100", "三合街道", Level.TOWNSHIP, county)
    village = division("500230100201", "双路村", Level.VILLAGE, town)
    group = division("500230100201001", "第一村民小组", Level.GROUP, village)
    grid = division("50023010020100101", "第一村民小组第一网格", Level.GRID, group)
    h = household(grid, "5002301002010001", "冉光明", category="ordinary")
    add_income(h, 2026, 6800, purpose="identification")
    return {
        "household": h,
        "cadre": user("fd_cadre", Role.VILLAGE_CADRE, village, display_name="冉书记"),
        "township": user("fd_town", Role.TOWNSHIP_STAFF, town, display_name="秦主任"),
        "county": user("fd_county", Role.COUNTY_OFFICE, county, display_name="丰都县乡村振兴局"),
    }


def test_the_national_variant_runs_end_to_end_on_the_same_engine_R_ID_03_R_ID_04a(fengdu):
    day = dt.date(2026, 6, 1)
    h = fengdu["household"]
    case = services.open_case(fengdu["cadre"], h, application=application(
        h, application_date=day.isoformat(), consent_date=day.isoformat(), category="marginal_at_risk"), today=day).case
    assert case.reference.startswith("SB-500230-2026-")
    assert case.overall_due_on == dt.date(2026, 6, 16)  # 15 calendar days from discovery
    services.act(fengdu["cadre"], case, "verification", verification(visit_date=day.isoformat()), today=day)
    with pytest.raises(ValidationError, match="当前应办理“县级部门信息比对”"):
        services.act(fengdu["cadre"], case, "deliberation", deliberation(meeting_date=day.isoformat()), today=day)
    services.act(fengdu["county"], case, "cross_check", cross_check(checked_on=day.isoformat()), today=day)
    services.act(fengdu["cadre"], case, "deliberation", deliberation(meeting_date=day.isoformat()), today=day)
    services.act(fengdu["cadre"], case, "village_decision", decision(day), today=day)
    notice = services.publish_notice(fengdu["cadre"], "village_decision", [case], starts_on=day, today=day)
    assert notice.days == 5 and notice.ends_on == dt.date(2026, 6, 5)
    with pytest.raises(ValidationError, match="公示期未满"):
        services.close_notice(fengdu["cadre"], notice, today=dt.date(2026, 6, 5))
    services.close_notice(fengdu["cadre"], notice, today=dt.date(2026, 6, 6))
    # Township review: no township notice in the national variant — the decision completes the step.
    result = services.act(fengdu["township"], case, "township_approval", decision(dt.date(2026, 6, 8)),
                          today=dt.date(2026, 6, 8))
    assert "下一步：县级审批确定并公告" in result.message
    services.act(fengdu["county"], case, "county_filing", decision(dt.date(2026, 6, 9)), today=dt.date(2026, 6, 9))
    case.refresh_from_db()
    assert case.status == CaseStatus.FILED and case.closed_on <= case.overall_due_on
    assert Notice.objects.filter(kind="township_notice").count() == 0
    h.refresh_from_db()
    assert h.monitoring_status == "monitored" and h.category == "marginal_at_risk"


def test_a_profile_change_never_rewrites_a_running_case_R_CFG_01(opened, personas, tmp_path, applicant_household):
    directory = tmp_path / "profiles"
    directory.mkdir()
    for f in Path(settings.PROFILES_DIR).glob("*.toml"):
        text = f.read_text(encoding="utf-8")
        if f.name == "suixi.toml":
            text = text.replace("[notices]\n# 001 §三(七)5–6: village notice 7 days, township notice not less than 7 days.\n"
                                "village_days = 7", "[notices]\nvillage_days = 9")
            assert "village_days = 9" in text
        (directory / f.name).write_text(text, encoding="utf-8")
    load_profiles(directory)
    assert profile_by_key("suixi").param("notices.village_days") == 9
    assert opened.procedure_def["steps"][4]["notice_days"] == 7
    opened.refresh_from_db()
    assert opened.proc.step("village_decision").notice_days == 7 and opened.profile_version == 1
    services.reject_case(personas["cadre_a"], opened, reason="申请人撤回申请", today=opened.opened_on)
    newer = services.open_case(personas["cadre_a"], applicant_household, application=application(applicant_household),
                               today=opened.opened_on).case
    assert newer.proc.step("village_decision").notice_days == 9 and newer.profile_version == 2
    assert CaseStep.objects.filter(case=newer).count() == 2


def test_a_county_with_one_unified_category_identifies_without_category_rules_R_CFG_02a():
    own = OWN + ('[categories]\nhousehold = [ { code = "ordinary", name = "一般农户", monitored = false },'
                 ' { code = "formerly_poor", name = "脱贫户", monitored = false },'
                 ' { code = "prevention_target", name = "防止返贫致贫对象", monitored = true } ]\n')
    from fangpin.policy.eligibility import category_allowed

    profile = load_profile_text(own, DEFAULTS)
    assert category_allowed(profile.data, "prevention_target", "formerly_poor")
    bad = own + '[eligibility]\ncategory_from = [ { category = "prevention_target", from = ["poor"] } ]\n'
    with pytest.raises(ProfileError, match="没有的类别 poor"):
        load_profile_text(bad, DEFAULTS)
