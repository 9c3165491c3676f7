"""Hand-computed checks of the within-industry factors (sell-side industry momentum, family 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.industry import (
    momentum_industry_component,
    momentum_lead_lag_enhanced,
    momentum_pca,
)
from momentum_dag.core.industry.within import nan_mean_std, pca_score, pca_scores, representative_stocks

DAYS = pd.bdate_range("2024-01-01", periods=8, name="date")

# Mutually orthogonal, zero-mean columns: PCA on them has three equal eigenvalues.
F = np.array([1.0, -1.0, 1.0, -1.0])
G = np.array([1.0, 1.0, -1.0, -1.0])
H = np.array([1.0, -1.0, -1.0, 1.0])


def stock_panels(returns: dict[str, list[float]], industry: dict[str, str], days: int) -> tuple:
    ret = pd.DataFrame(returns, index=DAYS[:days], dtype=float)
    labels = pd.DataFrame({s: [industry[s]] * days for s in returns}, index=DAYS[:days], dtype=object)
    return ret, labels


def test_component_momentum_is_mu_over_sigma_of_constituent_returns():
    # window = 1 month x 2 days = days 1..2 at t = day 2
    returns = {
        "x1": [0.0, 0.1, 0.1],  # 1.1 * 1.1 - 1 = .21
        "x2": [0.0, np.nan, 0.1],  # suspended day counts flat -> .1
        "x3": [0.0, -0.1, 0.1],  # .9 * 1.1 - 1 = -.01
        "x4": [0.0, 0.5, 0.5],  # lists at t only -> excluded
        "y1": [0.0, 0.05, 0.05],
        "y2": [0.0, 0.05, 0.05],
        "y3": [0.0, 0.05, 0.05],
        "z1": [0.0, 0.1, 0.1],
        "z2": [0.0, 0.1, 0.1],
    }
    industry = {s: s[0].upper() for s in returns}
    ret, labels = stock_panels(returns, industry, 3)
    labels.loc[DAYS[:2], "x4"] = np.nan
    out = momentum_industry_component(ret, labels, DAYS[[0, 2]], months=1, days_per_month=2, min_stocks=3)
    assert list(out.columns) == ["X", "Y", "Z"]
    assert out.loc[DAYS[0]].isna().all()  # the 2-day window would start before day 0
    # X: mu = (.21 + .1 - .01)/3 = .1, sigma: devs (.11, 0, -.11) -> sqrt(.0242/2) = .11 -> .1/.11
    assert out.loc[DAYS[2], "X"] == pytest.approx(0.1 / 0.11)
    # Y: all 1.05^2 - 1 = .1025, sigma 0 floored at .01 -> 10.25
    assert out.loc[DAYS[2], "Y"] == pytest.approx(10.25)
    assert np.isnan(out.loc[DAYS[2], "Z"])  # 2 stocks < min_stocks


def test_pca_score_of_perfectly_correlated_and_orthogonal_returns():
    # perfectly correlated (f, 2f, 3f): one component explains everything -> 1
    assert pca_score(np.column_stack([F, 2 * F, 3 * F])) == pytest.approx(1.0)
    # orthogonal f, g, h: eigenvalues 1/3 each -> first two = 2/3
    assert pca_score(np.column_stack([F, G, H])) == pytest.approx(2 / 3)


def test_pca_scores_of_blocks_together_are_each_blocks_pca_score():
    # the hand-computed blocks above (and one with a single stock that moves: no score), then random blocks
    # of other widths with suspended days (NaN) and a constant stock, each set computed together (zero-padded
    # to the widest): each block's score equals pca_score alone
    small = pca_scores(
        [np.column_stack([F, 2 * F, 3 * F]), np.column_stack([F, G, H]), np.column_stack([F, np.ones(4)])]
    )
    assert small[0] == pytest.approx(1.0) and small[1] == pytest.approx(2 / 3) and np.isnan(small[2])
    rng = np.random.default_rng(7)
    blocks = []
    for width in (8, 23, 50, 2):
        block = rng.normal(size=(120, width)) + rng.normal(size=(120, 1))  # a common component
        block[rng.random(block.shape) < 0.1] = np.nan
        block[:, 0] = 0.5  # exactly constant (0.5 sums without rounding)
        blocks.append(block)
    together = pca_scores(blocks)
    alone = np.array([pca_score(block) for block in blocks])
    assert np.isnan(alone[-1])  # two stocks, one constant: fewer than two left
    np.testing.assert_allclose(together, alone, rtol=1e-12, atol=0)
    assert pca_scores([]).shape == (0,)


def test_representative_stocks_cover_80_percent_within_name_bounds():
    mcap = pd.Series({"a": 10.0, "b": 40.0, "c": 30.0, "d": 20.0})
    # sorted 40, 30, 20, 10 -> cumulative .4, .7, .9: three names reach 80%
    assert list(representative_stocks(mcap, min_names=2)) == ["b", "c", "d"]
    assert list(representative_stocks(mcap, min_names=2, max_names=2)) == ["b", "c"]
    assert list(representative_stocks(mcap, min_names=4)) == ["b", "c", "d", "a"]


def pca_market(suspend_third: bool = False) -> tuple:
    # stocks s1..s3 of industry P: days 0..3 orthogonal (f, g, h), days 4..7 identical moves
    common = np.array([0.02, -0.01, 0.03, 0.01])
    returns = {
        "s1": [*(0.01 * F), *common],
        "s2": [*(0.01 * G), *common],
        "s3": [*(0.01 * H), *(2 * common)],
    }
    ret, labels = stock_panels(returns, {"s1": "P", "s2": "P", "s3": "P"}, 8)
    mcap = pd.DataFrame({"s1": [50.0] * 8, "s2": [30.0] * 8, "s3": [20.0] * 8}, index=DAYS)
    suspended = pd.DataFrame(False, index=DAYS, columns=ret.columns)
    if suspend_third:
        suspended.loc[DAYS[6:], "s3"] = True  # 2 of 4 days = 50% > 20%
    close = pd.DataFrame({"P": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.21]}, index=DAYS)
    return close, ret, mcap, suspended, labels


def test_pca_momentum_scales_momentum_by_score_ratio():
    close, ret, mcap, suspended, labels = pca_market()
    kwargs = {"mom_window": 2, "pca_window": 4, "lag": 4, "min_names": 3}
    out = momentum_pca(close, ret, mcap, suspended, labels, DAYS[[3, 7]], **kwargs)
    assert np.isnan(out.loc[DAYS[3], "P"])  # no score 4 days earlier
    # 80% of cap = 2 names (50 + 30), raised to min_names 3; PcaScore_t = 1 (days 4..7 move together),
    # PcaScore_{t-4} = 2/3 (days 0..3 orthogonal) -> ratio 1.5; Mom = 1.21 / 1.0 - 1 = .21
    assert out.loc[DAYS[7], "P"] == pytest.approx(0.21 * 1.5)


def test_pca_drops_names_suspended_too_often():
    close, ret, mcap, suspended, labels = pca_market(suspend_third=True)
    out = momentum_pca(close, ret, mcap, suspended, labels, DAYS[[7]], mom_window=2, pca_window=4, lag=4, min_names=3)
    assert np.isnan(out.loc[DAYS[7], "P"])  # s3 dropped -> 2 names < min_names


def test_lead_lag_enhanced_hand_example():
    # window 2 (days 1..2), day-1 returns 0, so window returns are the day-2 returns
    day2 = {"x1": 0.10, "x2": 0.06, "x3": 0.02, "x4": 0.02, "y1": 0.01, "y2": 0.01, "y3": 0.03, "y4": 0.03}
    ret, labels = stock_panels({s: [0.0, 0.0, r] for s, r in day2.items()}, {s: s[0].upper() for s in day2}, 3)
    size = {"1": 40.0, "2": 30.0, "3": 20.0, "4": 10.0}
    mcap = pd.DataFrame({s: [size[s[1]]] * 3 for s in day2}, index=DAYS[:3])
    close = pd.DataFrame({"X": [1.0, 1.0, 1.05], "Y": [1.0, 1.0, 0.98]}, index=DAYS[:3])
    turnover = pd.DataFrame({"X": [0.02] * 3, "Y": [0.01] * 3}, index=DAYS[:3])
    out = momentum_lead_lag_enhanced(close, turnover, ret, mcap, labels, DAYS[[1, 2]], window=2, min_stocks=4)
    assert out.loc[DAYS[1]].isna().all()
    # X: leaders (x1, x2) .08, followers .02 -> gap .06; Y: .01 - .03 = -.02; demeaned (.04, -.04)
    # std X of (.10,.06,.02,.02) = sqrt(.0044/3) = .038297; std Y of (.01,.01,.03,.03) = sqrt(.0004/3)
    lead_x = 0.04 / (np.sqrt(0.0044 / 3) * 0.02)
    lead_y = -0.04 / (np.sqrt(0.0004 / 3) * 0.01)
    # AugMom = |Lead| x industry return (.05, -.02)
    np.testing.assert_allclose(out.loc[DAYS[2]], [abs(lead_x) * 0.05, abs(lead_y) * -0.02], rtol=1e-9)


def test_stock_and_industry_dates_must_match():
    close, ret, mcap, suspended, labels = pca_market()
    with pytest.raises(ValueError, match="same trade dates"):
        momentum_pca(close.iloc[:-1], ret, mcap, suspended, labels, DAYS[[5]])


def test_pca_keeps_an_industry_with_enough_full_window_names_whatever_its_new_listings():
    """The rule for dropping an industry: fewer than ``min_names`` constituents with a full window
    (missing on at most 20% of the PCA days). s4, the largest name, lists on day 4: at day 7 it misses 2
    of the 4 window days, so it is no candidate; s1..s3 have full windows, enough for min_names = 3, and
    the score is theirs alone (as without s4). Selecting the largest names first and dropping s4 after
    would leave 2 < 3 names and lose the industry."""
    close, ret, mcap, suspended, labels = pca_market()
    ret["s4"] = [np.nan] * 6 + [0.05, -0.02]
    mcap["s4"] = [np.nan] * 4 + [500.0] * 4
    suspended["s4"] = [True] * 6 + [False] * 2
    labels["s4"] = [None] * 4 + ["P"] * 4
    kwargs = {"mom_window": 2, "pca_window": 4, "lag": 4, "min_names": 3}
    out = momentum_pca(close, ret, mcap, suspended, labels, DAYS[[7]], **kwargs)
    assert out.loc[DAYS[7], "P"] == pytest.approx(0.21 * 1.5)
    # with s3 suspended too often as well, only s1 and s2 have a full window: 2 < 3, dropped that week
    _, _, _, suspended_third, _ = pca_market(suspend_third=True)
    suspended_third["s4"] = suspended["s4"]
    assert np.isnan(momentum_pca(close, ret, mcap, suspended_third, labels, DAYS[[7]], **kwargs).loc[DAYS[7], "P"])


def test_nan_mean_std_is_numpys_to_the_bit():
    """The PCA's per-stock z-scores use numpy's nanmean/nanstd arithmetic, bit for bit (C and Fortran
    order, suspended days as NaN, a constant column, a column without values)."""
    rng = np.random.default_rng(4)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):  # numpy warns on the empty column
        for k in range(200):
            block = rng.normal(0, 0.02, (rng.integers(2, 130), rng.integers(1, 52)))
            block[rng.random(block.shape) < (0.3 if k % 2 else 0.02)] = np.nan
            block[:, -1] = 0.01 if k % 3 else block[:, -1]
            block[:, 0] = np.nan if k % 5 == 0 else block[:, 0]
            block = np.asfortranarray(block) if k % 4 == 0 else block
            mean, std = nan_mean_std(block)
            np.testing.assert_array_equal(mean, np.nanmean(block, axis=0))
            np.testing.assert_array_equal(std, np.nanstd(block, axis=0))
