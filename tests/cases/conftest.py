"""Fixtures and helpers for the identification procedure (濉溪 profile, 7 steps)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from fangpin.cases import services
from fangpin.cases.models import Case
from fangpin.registry.models import IncomeRecord

# A Monday in an ordinary working week.
DAY = dt.date(2026, 5, 11)


def add_income(household, year, net_per_capita, *, size=None, period="annual", month=None, purpose="regular",
               out_of_pocket=0):
    size = size or household.members.filter(active=True).count()
    net = Decimal(net_per_capita) * size
    return IncomeRecord.objects.create(
        household=household, year=year, period=period, month=month, purpose=purpose, wage_other=net,
        household_size=size, net_income=net, per_capita_net_income=Decimal(net_per_capita),
        eligible_out_of_pocket=Decimal(out_of_pocket),
    )


def application(household, **over):
    head = household.members.get(relation="户主")
    data = {
        "applicant_id": head.pk,
        "application_date": DAY.isoformat(),
        "reasons": "户主今年三月因病住院，家庭收入骤减",
        "risk_types": ["因病"],
        "category": "unstable_formerly_poor",
        "consent_signed": True,
        "consent_date": DAY.isoformat(),
        "long_resident": True,
        "medical_expense": "12000",
    }
    data.update(over)
    return data


def verification(**over):
    data = {
        "verifiers": [{"name": "蔡书记", "unit": "村两委"}, {"name": "张队员", "unit": "驻村工作队"}],
        "visit_date": DAY.isoformat(),
        "findings": "入户核实：户主住院花费较大，家庭收入明显下降，情况属实",
        "outcome": "pass",
    }
    data.update(over)
    return data


def deliberation(expected=(9, 4, 2), present=(6, 4, 2), approvals=10, **over):
    groups = ("villager_representatives", "party_members", "village_cadres")
    data = {"meeting_date": DAY.isoformat(), "approvals": approvals, "attendees": "蔡一、蔡二、蔡三"}
    for code, e, p in zip(groups, expected, present, strict=True):
        data[f"expected_{code}"] = e
        data[f"present_{code}"] = p
    data.update(over)
    return data


def cross_check(found=None, **over):
    data = {"checked_on": DAY.isoformat(), "source": "manual"}
    for code in ("urban_housing", "vehicle", "large_machinery", "business", "public_payroll"):
        data[f"result_{code}"] = "none"
    for code, detail in (found or {}).items():
        data[f"result_{code}"] = "found"
        data[f"detail_{code}"] = detail
    if found:
        data["conclusion"] = "比对发现的情况已提交评议参考"
    data.update(over)
    return data


def decision(day=DAY, **over):
    data = {"meeting_date": day.isoformat(), "decision": "approve", "note": "会议研究同意"}
    data.update(over)
    return data


@pytest.fixture(autouse=True)
def _fast_passwords(settings, tmp_path):
    """Persona passwords hash fast here; uploads go to a temporary media folder."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


class Clock:
    """Today as the pages and API see it (``fangpin.profiles.services.today``)."""

    def __init__(self, day):
        self.day = day

    def advance(self, days):
        self.day += dt.timedelta(days=days)


@pytest.fixture
def clock(monkeypatch):
    from django.utils import timezone

    clock = Clock(DAY)
    original = timezone.localdate

    def localdate(value=None, timezone=None):
        return clock.day if value is None else original(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return clock


@pytest.fixture
def applicant_household(households):
    """蔡德胜户 (脱贫户, 3 people, 蔡桥村) with a low income in the 12 months before the application."""
    h = households["a1"]
    add_income(h, 2025, 9000)
    add_income(h, 2024, 9500)
    add_income(h, 2026, 5200, purpose="identification")
    return h


@pytest.fixture
def opened(applicant_household, personas):
    """A 濉溪 case opened from the household's application by the village cadre; now at verification."""
    return services.open_case(personas["cadre_a"], applicant_household, application=application(applicant_household),
                              today=DAY).case




def advance(case: Case, personas, until: str, day: dt.date = DAY) -> tuple[Case, dt.date]:
    """Drive a 濉溪 case forward until ``until`` is the current step. Returns the case and the date reached."""
    cadre, township, county = personas["cadre_a"], personas["township_officer"], personas["county_officer"]
    while True:
        case.refresh_from_db()
        if case.current_step == until or not case.is_open:
            return case, day
        step = case.current_step
        if step == "verification":
            services.act(cadre, case, step, verification(visit_date=day.isoformat()), today=day)
        elif step == "deliberation":
            services.act(cadre, case, step, deliberation(meeting_date=day.isoformat()), today=day)
        elif step == "cross_check":
            services.act(county, case, step, cross_check(checked_on=day.isoformat()), today=day)
        elif step in ("village_decision", "township_approval"):
            actor = cadre if step == "village_decision" else township
            services.act(actor, case, step, decision(day), today=day)
            notice = services.publish_notice(actor, step, [case], starts_on=day, today=day)
            day = notice.ends_on + dt.timedelta(days=1)
            services.close_notice(actor, notice, today=day)
        elif step == "county_filing":
            services.act(county, case, step, decision(day), today=day)
        else:  # pragma: no cover - helper misuse
            raise AssertionError(f"cannot advance from {step}")
