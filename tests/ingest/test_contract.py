"""Dry run → confirmed apply: what the officer confirmed is what is written (R-INT-02)."""

import polars as pl
import pytest

from fangpin.ingest.contract import Digest, StalePreview, confirmed_plan
from fangpin.ingest.issues import user_text


def _digest(frame, value):
    d = Digest()
    d.feed(value)
    d.feed_frame(frame, ("a", "b"), pl.col("_row"), batch_rows=2)
    return d.hexdigest()


def test_digest_is_canonical_and_sees_every_change_R_INT_02():
    frame = pl.DataFrame({"_row": [3, 1, 2], "a": ["x", "y", "z"], "b": [1, 2, 3], "ignored": [0, 0, 0]})
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=7).with_columns(pl.lit(9).alias("ignored"))
    assert _digest(frame, {"k": 1, "j": [1, 2]}) == _digest(shuffled, {"j": [1, 2], "k": 1})
    assert _digest(frame, {"k": 1}) != _digest(frame.with_columns(pl.col("b") + 1), {"k": 1})
    assert _digest(None, None) == _digest(frame.clear(), None)


def test_digest_batches_write_the_same_bytes_as_one_batch_R_OPS_05():
    frame = pl.DataFrame({"_row": list(range(1000)), "a": [str(i) for i in range(1000)], "b": [1.5] * 1000})
    one, many = Digest(), Digest()
    one.feed_frame(frame, ("a", "b"), pl.col("_row"), batch_rows=10_000)
    many.feed_frame(frame, ("a", "b"), pl.col("_row"), batch_rows=7)
    assert one.hexdigest() == many.hexdigest()


class Plans:
    def __init__(self, digest):
        self.made, self.digest = 0, digest

    def replan(self):
        self.made += 1
        return {"plan": self.made, "digest": self.digest}


def test_unchanged_data_writes_the_kept_plan_without_planning_again_R_INT_02():
    plans = Plans("d1")
    kept = {"plan": 0}
    out = confirmed_plan(preview_fingerprint={"Event": 5}, preview_digest="d1", fingerprint={"Event": 5},
                         kept_plan=kept, replan=plans.replan, digest=lambda p: p["digest"])
    assert out is kept and plans.made == 0


def test_unchanged_data_without_a_kept_plan_plans_again_R_INT_02():
    plans = Plans("other")
    out = confirmed_plan(preview_fingerprint=1, preview_digest="d1", fingerprint=1, kept_plan=None,
                         replan=plans.replan, digest=lambda p: p["digest"])
    assert out["plan"] == 1


def test_changed_data_writes_only_the_confirmed_change_set_R_INT_02():
    same = Plans("d1")
    out = confirmed_plan(preview_fingerprint=1, preview_digest="d1", fingerprint=2, kept_plan={"plan": 0},
                         replan=same.replan, digest=lambda p: p["digest"])
    assert out["plan"] == 1  # planned again, same change set: written
    different = Plans("d2")
    with pytest.raises(StalePreview) as caught:
        confirmed_plan(preview_fingerprint=1, preview_digest="d1", fingerprint=2, kept_plan={"plan": 0},
                       replan=different.replan, digest=lambda p: p["digest"])
    assert user_text(str(caught.value)).startswith("数据已在预检后发生变化，请重新预检")
