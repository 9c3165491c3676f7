"""Hand-computed checks of the smoothed industry momentum factors (sell-side industry momentum, family 2)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.industry import (
    momentum_amplitude_cut,
    momentum_price_volume_icir,
    momentum_rebound_with_crowding_filter,
    momentum_turnover_adj,
)
from momentum_dag.core.industry.smoothed import (
    drop_most_crowded,
    icir_weights,
    rank_ic_by_row,
)

DATES = pd.bdate_range("2024-01-01", periods=6, name="date")


def panel(data: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(data, index=DATES[: len(next(iter(data.values())))], dtype=float)


def z(values: list[float]) -> np.ndarray:
    """Textbook z-score (ddof=1) of a hand-listed cross-section."""
    x = np.asarray(values)
    return (x - x.mean()) / x.std(ddof=1)


def test_turnover_adj_is_sharpe_of_return_per_turnover():
    # A: x = r/turnover = (1, 2, 3) -> mean 2 / std 1 = 2
    # B: x = (.02/.02, .02/.01, -.01/.01) = (1, 2, -1): mean 2/3, var (1/9+16/9+25/9)/2 = 7/3
    # C: zero turnover on one day -> NaN
    ret = panel({"A": [0.01, 0.02, 0.03], "B": [0.02, 0.02, -0.01], "C": [0.01, 0.01, 0.01]})
    turnover = panel({"A": [0.01, 0.01, 0.01], "B": [0.02, 0.01, 0.01], "C": [0.01, 0.0, 0.01]})
    out = momentum_turnover_adj(ret, turnover, DATES[[1, 2]], window=3)
    assert out.loc[DATES[1]].isna().all()
    assert out.loc[DATES[2], "A"] == pytest.approx(2.0)
    assert out.loc[DATES[2], "B"] == pytest.approx((2 / 3) / np.sqrt(7 / 3))
    assert np.isnan(out.loc[DATES[2], "C"])


def test_rank_ic_by_row_is_spearman():
    # ranks (1,2,3,4) vs (1,3,2,4): sum d^2 = 2 -> 1 - 6*2/(4*15) = 0.8; second row < 3 pairs -> NaN
    factor = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, np.nan, np.nan, 2.0]])
    forward = np.array([[0.1, 0.3, 0.2, 0.4], [0.1, 0.2, 0.3, 0.4]])
    np.testing.assert_allclose(rank_ic_by_row(factor, forward), [0.8, np.nan])


def test_icir_weights_use_only_earlier_ics_and_fall_back_to_half():
    ic_short = np.array([0.1, 0.3, 0.2, 0.0])
    ic_long = np.array([-0.1, -0.2, -0.3, 0.5])
    w = icir_weights(ic_short, ic_long, lookback=12, min_ics=3)
    # j = 0, 1, 2 see fewer than 3 past ICs -> 0.5 / 0.5
    np.testing.assert_allclose(w[:3], 0.5)
    # j = 3 sees ICs 0..2: IR_s = mean .2 / std .1 = 2, IR_l < 0 -> 0 ; weights (1, 0)
    np.testing.assert_allclose(w[3], [1.0, 0.0])
    # a 2-rebalance lookback leaves only 2 ICs at j = 3 -> 0.5 / 0.5
    np.testing.assert_allclose(icir_weights(ic_short, ic_long, lookback=2, min_ics=3)[3], [0.5, 0.5])


def test_price_volume_icir_cleans_amount_and_path_then_weights_half_half():
    # daily log returns on days 1..3 (close = exp(cumsum)), amounts on the same days
    log_ret = {"A": [0.01, 0.02, 0.03], "B": [0.03, -0.01, 0.01], "C": [-0.02, 0.01, 0.04]}
    amount = panel({"A": [9, 1, 2, 3], "B": [9, 3, 1, 2], "C": [9, 1, 1, 5]})
    close = panel({k: np.exp(np.cumsum([0.0, *v])).tolist() for k, v in log_ret.items()})
    ends = DATES[[3]]
    out = momentum_price_volume_icir(close, amount, close.loc[ends], ends, short_window=2, long_window=3)
    # short N=2 (days 2,3): the 90th pct of two amounts (a<b) is a + .9(b-a), so only day 2 is kept:
    #   Amt = (.02, -.01, .01); Pric = (.05/.05, 0/.02, .05/.05) = (1, 0, 1)
    m_short = z([0.02, -0.01, 0.01]) + z([1.0, 0.0, 1.0])
    # long N=3: 90th pct of sorted (a,b,c) = b + .8(c-b) -> the largest-amount day is dropped:
    #   A drops day 3: .01+.02 = .03; B drops day 1: -.01+.01 = 0; C drops day 3: -.02+.01 = -.01
    #   Pric = (.06/.06, .03/.05, .03/.07)
    m_long = z([0.03, 0.0, -0.01]) + z([1.0, 0.6, 0.03 / 0.07])
    # one rebalance, no past IC -> weights 0.5 / 0.5
    np.testing.assert_allclose(out.loc[ends[0]], 0.5 * m_short + 0.5 * m_long, rtol=1e-9)


def test_rebound_crowding_removes_the_most_crowded_industry():
    # window 2 at t = day 3 uses closes of days 1..3
    close = panel({"A": [1, 1, 0.8, 1.0], "B": [1, 1, 1.1, 1.2], "C": [1, 1, 1.0, 0.9]})
    # ma_window 1, lookback 3: crowding = share of days 0..2 with amount below day 3's
    # A: (1,2,3) < 4 -> 1.0 (most crowded); B: none < 1 -> 0; C: (1,2) < 2.5 -> 2/3
    amount = panel({"A": [1, 2, 3, 4], "B": [4, 3, 2, 1], "C": [1, 3, 2, 2.5]})
    out = momentum_rebound_with_crowding_filter(
        close, amount, DATES[[2, 3]], window=2, ma_window=1, crowding_lookback=3
    )
    assert out.loc[DATES[2]].isna().all()  # crowding needs 3 past days
    # traditional = (0, .2, -.1); rebound = P_t / min - 1 = (1/.8 - 1, .2, 0) = (.25, .2, 0)
    composite = z([0.0, 0.2, -0.1]) + z([0.25, 0.2, 0.0])
    # ceil(15% x 3) = 1 name removed: A
    assert np.isnan(out.loc[DATES[3], "A"])
    np.testing.assert_allclose(out.loc[DATES[3], ["B", "C"]], composite[1:], rtol=1e-9)


@pytest.mark.parametrize(("n", "removed"), [(3, 1), (7, 2), (20, 3), (31, 5)])
def test_blacklist_removes_exactly_ceil_15_percent(n, removed):
    # ceil(.15 n): 3 -> 1, 7 -> ceil(1.05) = 2, 20 -> 3 (not 4 from float error), 31 -> ceil(4.65) = 5
    crowding = np.linspace(0.0, 1.0, n)[None, :]
    kept = drop_most_crowded(np.ones((1, n)), crowding, 0.15)
    assert np.isnan(kept).sum() == removed
    assert np.isnan(kept[0, n - removed :]).all()  # the most crowded ones


def test_amplitude_cut_keeps_lowest_amplitude_days():
    # window 5, keep 60% -> 3 days
    # A amplitudes (.02,.01,.05,.03,.04): the three lowest are days 1, 0, 3
    # B all tied: the stable sort keeps the earliest three days
    ret = panel({"A": [0.01, 0.02, -0.03, 0.04, 0.05], "B": [0.01, 0.01, 0.01, -0.5, -0.5]})
    amplitude = panel({"A": [0.02, 0.01, 0.05, 0.03, 0.04], "B": [0.02] * 5})
    ends = DATES[[3, 4]]
    out = momentum_amplitude_cut(ret, amplitude, ends, window=5, keep_share=0.6, vol_scale=False)
    assert out.loc[DATES[3]].isna().all()
    assert out.loc[DATES[4], "A"] == pytest.approx(np.log(1.01) + np.log(1.02) + np.log(1.04))
    assert out.loc[DATES[4], "B"] == pytest.approx(3 * np.log(1.01))
    # vol_scale divides by the std of the last 3 log returns (days 2..4)
    # by default (Mom_raw / Vol_recent) it divides by the std of the last vol_window log returns (days 2..4)
    scaled = momentum_amplitude_cut(ret, amplitude, ends, window=5, keep_share=0.6, vol_window=3)
    vol_a = np.std(np.log([0.97, 1.04, 1.05]), ddof=1)
    assert scaled.loc[DATES[4], "A"] == pytest.approx(out.loc[DATES[4], "A"] / vol_a)
    # a window with no variation has no volatility to divide by: NaN, not inf
    flat = momentum_amplitude_cut(ret.assign(A=0.01), amplitude, ends, window=5, keep_share=0.6, vol_window=3)
    assert np.isnan(flat.loc[DATES[4], "A"])


def test_misaligned_panels_raise():
    ret = panel({"A": [0.01, 0.02, 0.03]})
    with pytest.raises(ValueError, match="turnover index differs"):
        momentum_turnover_adj(ret, ret.iloc[:2], DATES[[2]], window=2)
    with pytest.raises(ValueError, match="blacklist_share"):
        momentum_rebound_with_crowding_filter(ret, ret, DATES[[2]], blacklist_share=1.5)
