"""Income arithmetic (R-REG-04).

人均纯收入 = (工资性 + 生产经营性 + 财产性 + 转移性 − 生产经营性支出) ÷ 家庭人口数
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WAGE_PARTS = ("wage_public_welfare", "wage_other")
PROPERTY_PARTS = ("property_dividend", "property_other")
TRANSFER_PARTS = (
    "transfer_family_planning",
    "transfer_dibao",
    "transfer_tekun",
    "transfer_pension",
    "transfer_eco",
    "transfer_other",
)
INCOME_FIELDS = (
    *WAGE_PARTS,
    "production_income",
    *PROPERTY_PARTS,
    *TRANSFER_PARTS,
    "production_expense",
    "insurance_payout",
    "eligible_out_of_pocket",
)

# Chinese labels, also used for error messages naming the field.
LABELS = {
    "wage_public_welfare": "公益性岗位收入",
    "wage_other": "其他工资性收入",
    "production_income": "生产经营性收入",
    "property_dividend": "资产收益分红",
    "property_other": "其他财产性收入",
    "transfer_family_planning": "计划生育金",
    "transfer_dibao": "最低生活保障金",
    "transfer_tekun": "特困人员救助供养金",
    "transfer_pension": "养老金或离退休金",
    "transfer_eco": "生态补偿金",
    "transfer_other": "其他转移性收入",
    "production_expense": "生产经营性支出",
    "insurance_payout": "理赔收入",
    "eligible_out_of_pocket": "合规自付支出",
    "household_size": "家庭人口数",
}

CENT = Decimal("0.01")


@dataclass(frozen=True)
class IncomeSummary:
    wage: Decimal
    production: Decimal
    property: Decimal
    transfer: Decimal
    production_expense: Decimal
    net: Decimal
    per_capita: Decimal


def _d(value) -> Decimal:
    return Decimal(str(value or 0))


def summarize(parts: dict, household_size: int) -> IncomeSummary:
    if household_size <= 0:
        raise ValueError("家庭人口数必须大于0")
    wage = sum((_d(parts.get(k)) for k in WAGE_PARTS), Decimal(0))
    prop = sum((_d(parts.get(k)) for k in PROPERTY_PARTS), Decimal(0))
    transfer = sum((_d(parts.get(k)) for k in TRANSFER_PARTS), Decimal(0))
    production = _d(parts.get("production_income"))
    expense = _d(parts.get("production_expense"))
    net = (wage + production + prop + transfer - expense).quantize(CENT, ROUND_HALF_UP)
    per_capita = (net / household_size).quantize(CENT, ROUND_HALF_UP)
    return IncomeSummary(wage, production, prop, transfer, expense, net, per_capita)
