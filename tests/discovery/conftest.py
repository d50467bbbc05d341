"""Helpers for leads (濉溪 test county, personas from tests/conftest.py)."""

from __future__ import annotations

import datetime as dt

from fangpin.discovery import services

# A Monday in an ordinary working week (the same day the case tests use).
DAY = dt.date(2026, 5, 11)


def raise_for(actor, household=None, *, channel="visit", today=DAY, **over):
    data = {"risk_types": ["因病"], "description": "户主突发脑梗住院，家中无其他劳动力"}
    data.update(over)
    return services.raise_lead(actor, channel=channel, household=household, today=today, **data)


def two_people(**over):
    data = {"verifiers": [{"name": "孙站长", "unit": "乡镇"}, {"name": "蔡书记", "unit": "村两委"}],
            "visited_on": DAY.isoformat(), "findings": "两人入户核实：户主住院，自付费用较高，情况属实",
            "outcome": "open_case"}
    data.update(over)
    return data
