"""Turn registry rows into plain eligibility facts and evaluate them (R-ID-01, R-ID-02)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from fangpin.policy.eligibility import (
    Declaration,
    EligibilityParams,
    Evaluation,
    HouseholdFacts,
    IncomeEntry,
    MemberFacts,
    evaluate,
)


def _age(birth: dt.date | None, on: dt.date) -> int | None:
    if birth is None:
        return None
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def household_facts(household, on: dt.date) -> HouseholdFacts:
    members = tuple(
        MemberFacts(
            name=m.name,
            age=_age(m.birth_date, on),
            student_status=m.student_status,
            education=m.education,
            health=m.health,
            disability_grade=m.disability_grade,
            dibao=m.dibao,
            tekun=m.tekun,
        )
        for m in household.members.filter(active=True).order_by("relation_order", "birth_date")
    )
    incomes = tuple(
        IncomeEntry(
            year=r.year,
            period=r.period,
            month=r.month,
            purpose=r.purpose,
            net_income=r.net_income,
            household_size=r.household_size,
            eligible_out_of_pocket=r.eligible_out_of_pocket,
        )
        for r in household.incomes.all()
    )
    return HouseholdFacts(
        division_code=household.division_code,
        category=household.category,
        tags=frozenset(household.tags.values_list("code", flat=True)),
        members=members,
        housing_grade=household.housing_grade or "",
        water_secure=household.water_secure,
        education_secure=household.education_secure,
        medical_secure=household.medical_secure,
        incomes=incomes,
    )


def declaration_from(data: dict) -> Declaration:
    return Declaration(
        long_resident=data.get("long_resident"),
        medical_expense=Decimal(str(data.get("medical_expense") or 0)),
        other_rigid_expense=Decimal(str(data.get("other_rigid_expense") or 0)),
        can_repair_house=data.get("can_repair_house"),
    )


def assess(household, declaration: dict, application_date: dt.date, profile) -> tuple[Evaluation, dict]:
    """The evaluation and the parameter values it used (profile key, version, year-resolved lines)."""
    params = EligibilityParams.from_profile(profile, application_date.year)
    evaluation = evaluate(household_facts(household, application_date), declaration_from(declaration), params,
                          application_date)
    return evaluation, params.snapshot(profile.key, profile.version)
