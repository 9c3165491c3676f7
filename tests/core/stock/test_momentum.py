"""Hand-computed tests for prior 12-2 / 6-2 stock momentum (core.stock_momentum)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.stock.momentum import mom_6_2, mom_12_2, momentum


def _months(n: int, start: str = "2020-01-31") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="ME", name="date")


@pytest.fixture
def panel() -> pd.DataFrame:
    # 13 months, positions 0..12. Stock A: +50% at 0, +10% at 1, -50% at 11, +100% at 12, else 0.
    a = np.zeros(13)
    a[0], a[1], a[11], a[12] = 0.5, 0.1, -0.5, 1.0
    # Stock B: +1% every month, but month 5 missing.
    b = np.full(13, 0.01)
    b[5] = np.nan
    return pd.DataFrame({"A": a, "B": b}, index=_months(13))


def test_mom_12_2_hand_computed_and_month_mapping(panel):
    mom = mom_12_2(panel)
    # Formed at the end of month t = position 12: months t-11..t-1 = positions 1..11, skipping month t
    # (+100%) and month t-12 (+50%): 1.1 * 0.5 - 1 = -0.45.
    assert mom.loc[panel.index[12], "A"] == pytest.approx(-0.45)
    # At t = position 11: positions 0..10: 1.5 * 1.1 - 1 = 0.65.
    assert mom.loc[panel.index[11], "A"] == pytest.approx(0.65)
    # At t = position 10 the window would start at position -1: not enough history.
    assert np.isnan(mom.loc[panel.index[10], "A"])
    # B misses month 5, inside both windows: NaN by default (all 11 months required).
    assert mom["B"].isna().all()
    assert mom.shape == panel.shape and mom.index.equals(panel.index)


def test_mom_12_2_window_edges(panel):
    # Changing month t (the skipped month) or t-12 leaves MOM_t unchanged; t-1 and t-11 change it.
    t = panel.index[12]
    base = mom_12_2(panel).loc[t, "A"]
    for pos, changes in ((12, False), (0, False), (11, True), (1, True)):
        bumped = panel.copy()
        bumped.iloc[pos, 0] += 0.2
        assert bool(mom_12_2(bumped).loc[t, "A"] != base) is changes, pos


def test_mom_6_2_hand_computed(panel):
    mom = mom_6_2(panel)
    # t = 12: positions 7..11 -> only -50%: 0.5 - 1 = -0.5.
    assert mom.loc[panel.index[12], "A"] == pytest.approx(-0.5)
    # t = 6: positions 1..5 -> 1.1 - 1 = 0.1; t = 5: positions 0..4 -> 1.5 * 1.1 - 1 = 0.65.
    assert mom.loc[panel.index[6], "A"] == pytest.approx(0.1)
    assert mom.loc[panel.index[5], "A"] == pytest.approx(0.65)
    assert np.isnan(mom.loc[panel.index[4], "A"])
    # B: t = 12 uses positions 7..11 (month 5 not in window): 1.01^5 - 1.
    assert mom.loc[panel.index[12], "B"] == pytest.approx(1.01**5 - 1)
    # t = 10 uses positions 5..9, month 5 missing -> NaN.
    assert np.isnan(mom.loc[panel.index[10], "B"])


def test_min_valid_compounds_present_months(panel):
    mom = momentum(panel, start_lag=12, end_lag=2, min_valid=10)
    # B at t = 12: positions 1..11 minus missing 5 -> 10 months of +1%: 1.01^10 - 1.
    assert mom.loc[panel.index[12], "B"] == pytest.approx(1.01**10 - 1)
    # t = 11: positions 0..10 minus 5 -> 10 months present as well.
    assert mom.loc[panel.index[11], "B"] == pytest.approx(1.01**10 - 1)


def test_total_loss_compounds_to_minus_one():
    ret = pd.DataFrame({"A": [0.0, -1.0, 0.5, 0.0]}, index=_months(4))
    # 3-2 at t = 3: positions 1..2 -> 0 * 1.5 - 1 = -1.
    assert momentum(ret, start_lag=3, end_lag=2).iloc[3, 0] == pytest.approx(-1.0)


@pytest.mark.parametrize("factor", [mom_12_2, mom_6_2])
def test_no_look_ahead(factor):
    rng = np.random.default_rng(3)
    ret = pd.DataFrame(rng.normal(0.01, 0.08, (30, 5)), index=_months(30), columns=list("abcde"))
    t = ret.index[20]
    perturbed = ret.copy()
    perturbed.loc[perturbed.index > t] = rng.normal(0.0, 0.3, (9, 5))
    before, after = factor(ret), factor(perturbed)
    pd.testing.assert_frame_equal(before.loc[:t], after.loc[:t])
    assert before.loc[:t].notna().any().any()
    assert not before.loc[before.index > t].equals(after.loc[after.index > t])


def test_bad_input_raises():
    ret = pd.DataFrame({"A": [0.01, 0.02, 0.03]}, index=_months(3))
    with pytest.raises(ValueError, match="start_lag"):
        momentum(ret, start_lag=2, end_lag=2)
    with pytest.raises(ValueError, match="min_valid"):
        momentum(ret, start_lag=3, end_lag=2, min_valid=3)
    gap = ret.drop(ret.index[1])
    with pytest.raises(ValueError, match="consecutive month"):
        mom_12_2(gap)
    with pytest.raises(ValueError, match="below -100%"):
        mom_12_2(ret - 2.0)
    with pytest.raises(ValueError, match="DatetimeIndex"):
        mom_12_2(ret.reset_index(drop=True))
