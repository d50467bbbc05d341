"""The set-based income arithmetic of the importer equals ``policy.income.summarize`` (R-REG-04)."""

from decimal import Decimal

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from fangpin.interop.plan import MONEY_PARTS, net_cents, per_capita_cents
from fangpin.policy.income import summarize

cents = st.integers(0, 50_000_000)


@settings(max_examples=400, deadline=None)
@given(parts=st.fixed_dictionaries({k: cents for k in MONEY_PARTS}), size=st.integers(1, 15))
def test_vectorised_net_and_per_capita_match_summarize_R_REG_04(parts, size):
    frame = pl.DataFrame({f"n_{k}": [v] for k, v in parts.items()} | {"size": [size]})
    got = frame.select(net_cents().alias("net")).with_columns(per_capita_cents(pl.col("net"), pl.lit(size)).alias("pc"))
    expected = summarize({k: Decimal(v) / 100 for k, v in parts.items()}, size)
    assert Decimal(got["net"][0]) / 100 == expected.net
    assert Decimal(got["pc"][0]) / 100 == expected.per_capita
