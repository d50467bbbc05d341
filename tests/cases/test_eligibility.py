"""Identification scope (R-ID-01) and criteria (R-ID-02): each evaluated from registry data with its
figures; the case stores the inputs and the parameter values used (R-CFG-01)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from fangpin.cases import services
from fangpin.cases.models import CaseStep
from fangpin.policy.eligibility import (
    Declaration,
    EligibilityParams,
    HouseholdFacts,
    IncomeEntry,
    MemberFacts,
    evaluate,
    income_windows,
)
from fangpin.profiles.services import profile_by_key
from fangpin.registry.models import Tag

from .conftest import DAY, add_income, application, verification

APP = dt.date(2026, 5, 11)


def params(key="suixi", year=2026):
    return EligibilityParams.from_profile(profile_by_key(key), year)


def facts(**kw):
    base = {"division_code": "34062110020100101", "category": "ordinary", "members": (MemberFacts("户主", 50),),
            "housing_grade": "B", "water_secure": True, "education_secure": True, "medical_secure": True}
    base.update(kw)
    return HouseholdFacts(**base)


def entry(year, per_capita, size=2, period="annual", month=None, purpose="regular", oop=0):
    return IncomeEntry(year, period, month, purpose, Decimal(per_capita) * size, size, Decimal(oop))


def check(evaluation, code):
    return next(c for c in (*evaluation.scope, *evaluation.criteria) if c.code == code)


def test_income_below_the_profile_line_for_the_application_year_R_ID_02():
    p = params()
    assert p.monitoring_line == Decimal("7900") and p.dibao_monthly == Decimal("790")
    low = evaluate(facts(incomes=(entry(2026, 7800, purpose="identification"),)), Declaration(True), p, APP)
    c = check(low, "income_below_line")
    assert c.holds is True
    assert c.figures["人均纯收入"] == "7800.00元" and c.figures["2026年监测线"] == "7900.00元"
    assert "识别时采集" in c.note
    high = evaluate(facts(incomes=(entry(2026, 7900, purpose="identification"),)), Declaration(True), p, APP)
    assert check(high, "income_below_line").holds is False  # equal to the line is not below it
    older = evaluate(facts(incomes=(entry(2021, 6500, purpose="identification"),)), Declaration(True),
                     params(year=2021), dt.date(2021, 5, 11))
    assert check(older, "income_below_line").holds is False  # 2021 line: 6000 (001 §三(六))


def test_the_income_window_is_the_12_months_before_the_application_R_REG_04():
    monthly = tuple(entry(y, 500, month=m, period="month") for y, m in
                    [(2025, m) for m in range(5, 13)] + [(2026, m) for m in range(1, 5)])
    window, _ = income_windows(monthly, APP)
    assert window.exact and window.per_capita == Decimal("6000.00")
    assert (window.start, window.end) == (dt.date(2025, 5, 1), dt.date(2026, 4, 30))
    quarters = tuple(entry(y, 1500, period=q) for y, q in [(2025, "Q2"), (2025, "Q3"), (2025, "Q4"), (2026, "Q1")])
    window, _ = income_windows(quarters, APP)
    assert window.per_capita == Decimal("6000.00") and not window.exact and "四个季度" in window.source
    annual = (entry(2025, 7000),)
    window, _ = income_windows(annual, APP)
    assert window.per_capita == Decimal("7000.00") and "近似" in window.source
    window, _ = income_windows(annual, dt.date(2026, 1, 5))
    assert window.exact
    assert income_windows((), APP) == (None, None)


def test_income_drop_and_expense_spike_R_ID_02():
    incomes = (entry(2026, 6000, purpose="identification"), entry(2024, 9000))
    p = params()
    e = evaluate(facts(incomes=incomes), Declaration(True, other_rigid_expense=Decimal("20000")), p, APP)
    drop = check(e, "income_drop")
    assert drop.holds is True and drop.figures["降幅"] == "33.3%"
    spike = check(e, "expense_spike")
    assert spike.holds is True and spike.figures["刚性支出合计"] == "20000.00元"
    assert spike.figures["家庭纯收入"] == "12000.00元"
    calm = evaluate(facts(incomes=(entry(2026, 8500, purpose="identification"), entry(2024, 9000))),
                    Declaration(True), p, APP)
    assert check(calm, "income_drop").holds is False and check(calm, "expense_spike").holds is False


def test_basic_needs_criteria_housing_education_water_medical_R_ID_02():
    p = params()
    child = MemberFacts("小明", 12, student_status="")
    e = evaluate(facts(housing_grade="D", water_secure=False, members=(MemberFacts("户主", 50), child)),
                 Declaration(True, medical_expense=Decimal("10000")), p, APP)
    assert check(e, "housing_unsafe").holds is True and "需核实是否无力修缮" in check(e, "housing_unsafe").note
    assert check(e, "education_dropout").holds is True
    assert check(e, "education_dropout").figures["义务教育年龄段未在校成员"] == "小明"
    assert check(e, "water_unsafe").holds is True
    assert check(e, "heavy_medical_expense").holds is True
    can_repair = evaluate(facts(housing_grade="C"), Declaration(True, can_repair_house=True), p, APP)
    assert check(can_repair, "housing_unsafe").holds is False
    in_school = evaluate(facts(members=(MemberFacts("小红", 12, student_status="七年级"),)), Declaration(True), p, APP)
    assert check(in_school, "education_dropout").holds is False
    unknown = evaluate(facts(housing_grade="", water_secure=None), Declaration(True), p, APP)
    assert check(unknown, "housing_unsafe").holds is None and check(unknown, "water_unsafe").holds is None


def test_suixi_scope_groups_and_the_national_default_R_ID_01():
    suixi = params("suixi")
    assert suixi.scope_groups == ("formerly_poor", "special_support", "below_dibao_line")
    ordinary = facts(incomes=(entry(2026, 12000, purpose="identification"),))
    e = evaluate(ordinary, Declaration(True), suixi, APP)
    assert e.in_scope is False and e.eligible is False
    poor = evaluate(facts(category="formerly_poor", housing_grade="D"), Declaration(True), suixi, APP)
    assert poor.in_scope is True and poor.eligible is True
    dibao = evaluate(facts(members=(MemberFacts("户主", 50, dibao=True),)), Declaration(True), suixi, APP)
    assert check(dibao, "special_support").holds is True
    below = evaluate(facts(incomes=(entry(2026, 9000, purpose="identification"),)), Declaration(True), suixi, APP)
    assert check(below, "below_dibao_line").holds is True  # 750/month < 790 (2026 line in the 濉溪 profile)
    assert check(below, "below_dibao_line").figures["人均月收入"] == "750.00元"
    away = evaluate(facts(category="formerly_poor"), Declaration(False), suixi, APP)
    assert away.in_scope is False
    national = params("fengdu")
    assert national.scope_groups == ("all_rural",)
    fengdu = facts(division_code="50023010020100101", incomes=(entry(2026, 7000, purpose="identification"),))
    assert evaluate(fengdu, Declaration(True), national, APP).eligible is True
    outside = evaluate(facts(division_code="34062110020100101"), Declaration(True), national, APP)
    assert outside.in_scope is False


def test_the_case_shows_each_criterion_with_figures_and_stores_the_parameters_R_ID_02_R_CFG_01(
        applicant_household, personas):
    h = applicant_household
    h.housing_grade = "C"
    h.save()
    case = services.open_case(personas["cadre_a"], h, application=application(h), today=DAY).case
    ev = case.eligibility
    assert ev["in_scope"] is True and ev["eligible"] is True
    holds = {c["code"] for c in ev["criteria"] if c["holds"]}
    assert {"income_below_line", "heavy_medical_expense", "housing_unsafe"} <= holds
    income = next(c for c in ev["criteria"] if c["code"] == "income_below_line")
    assert income["figures"]["人均纯收入"] == "5200.00元"
    assert case.eligibility_params["profile"] == "suixi"
    assert case.eligibility_params["monitoring_line"] == "7900"
    assert case.eligibility_params["year"] == 2026
    assert case.declaration["medical_expense"] == "12000.00"
    row = CaseStep.objects.get(case=case, key="application")
    assert row.params == case.eligibility_params and row.payload["eligibility"]["eligible"] is True


def test_passing_verification_against_the_evaluation_needs_a_written_reason_R_ID_02(households, personas):
    h = households["a1"]
    h.housing_grade, h.water_secure, h.education_secure, h.medical_secure = "A", True, True, True
    h.save()
    add_income(h, 2026, 20000, purpose="identification")
    add_income(h, 2024, 20500)
    case = services.open_case(personas["cadre_a"], h, application=application(h, medical_expense="0"), today=DAY).case
    assert case.eligibility["meets_criteria"] is False and case.eligibility["eligible"] is False
    with pytest.raises(ValidationError) as err:
        services.act(personas["cadre_a"], case, "verification", verification(), today=DAY)
    assert "须写明依据" in err.value.message_dict["override_note"][0]
    services.act(personas["cadre_a"], case, "verification",
                 verification(override_note="户主突发重病，尚未结算的医疗费用约8万元"), today=DAY)
    case.refresh_from_db()
    assert case.current_step == "deliberation"
    row = CaseStep.objects.get(case=case, key="verification")
    assert row.payload["override_note"].startswith("户主突发重病")


def test_verification_confirms_declarations_and_reevaluates(applicant_household, personas):
    case = services.open_case(personas["cadre_a"], applicant_household, application=application(
        applicant_household, long_resident=False), today=DAY).case
    assert case.eligibility["in_scope"] is False
    services.act(personas["cadre_a"], case, "verification", verification(long_resident="1"), today=DAY)
    case.refresh_from_db()
    assert case.declaration["long_resident"] is True and case.eligibility["in_scope"] is True


def test_special_support_tags_put_a_household_in_suixi_scope_R_ID_01(county, personas):
    from tests.factories import household

    h = household(county["grid_a2"], "3406211002010077", "蔡志强", category="ordinary")
    Tag.objects.get_or_create(code="serious_illness", defaults={"name": "重病大病"})
    h.tags.add(Tag.objects.get(code="serious_illness"))
    add_income(h, 2026, 15000, purpose="identification")
    case = services.open_case(personas["township_officer"], h, application=application(
        h, category="sudden_hardship", medical_expense="30000"), today=DAY)
    scope = {c["code"]: c["holds"] for c in case.case.eligibility["scope"]}
    assert scope["special_support"] is True and case.case.eligibility["eligible"] is True
