"""Per-capita net income (R-REG-04)."""

from decimal import Decimal

import pytest

from fangpin.policy.income import summarize


def test_per_capita_net_income_follows_the_national_formula_R_REG_04():
    s = summarize(
        {
            "wage_public_welfare": 6000, "wage_other": 12000, "production_income": 8000,
            "property_dividend": 300, "property_other": 0, "transfer_dibao": 3600,
            "transfer_pension": 1800, "production_expense": 3000,
        },
        household_size=4,
    )
    assert s.net == Decimal("28700.00")
    assert s.per_capita == Decimal("7175.00")


def test_zero_household_size_is_refused():
    with pytest.raises(ValueError):
        summarize({}, 0)
