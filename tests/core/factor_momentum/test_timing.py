"""Timing of factor momentum (Ehsani-Linnainmaa 2022): a signal formed at the close of month t, from returns
through t, earns the factor returns of month t+1 and is reported on row t+1; hand-computed.

Three factors, lookback 2 (min 2 months). Month returns (m0..m4):

    A:  .04  .02 -.03  .05 -.02
    B: -.01 -.03  .04  .01  .03
    C:  .02 -.04  .01 -.02  .06

MA_t = mean of months t-1, t:
    m1: A .03,   B -.02,  C -.01   -> TS signs + - -; CS median -.01: A +, B -, C + (tie goes long)
    m2: A -.005, B .005,  C -.015  -> TS signs - + -; CS median -.005: A + (tie), B +, C -
    m3: A .01,   B .025,  C -.005  -> TS signs + + -; CS median .01: A + (tie), B +, C -
A signal applied to its own month (the planted bug) would put rows at m1..m3 and earn e.g. +.03 at m1.
"""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.factor_momentum.pc_factors import OFFSET, apply_pc_positions
from momentum_dag.core.factor_momentum.signals import cs_factor_momentum, ts_factor_momentum
from momentum_dag.core.factor_momentum.study import FactorMomentumParams, momentum_frame

M = pd.date_range("2021-01-31", periods=5, freq="ME", name="date")
RETURNS = pd.DataFrame(
    {
        "A": [0.04, 0.02, -0.03, 0.05, -0.02],
        "B": [-0.01, -0.03, 0.04, 0.01, 0.03],
        "C": [0.02, -0.04, 0.01, -0.02, 0.06],
    },
    index=M,
)
# holding month -> value, from the signals of the month before (module docstring)
TSMOM = {M[2]: (-0.03 - 0.04 - 0.01) / 3, M[3]: (-0.05 + 0.01 + 0.02) / 3, M[4]: (-0.02 + 0.03 - 0.06) / 3}
XSMOM = {M[2]: (-0.03 - 0.04 + 0.01) / 3, M[3]: (0.05 + 0.01 + 0.02) / 3, M[4]: (-0.02 + 0.03 - 0.06) / 3}


def test_ts_factor_momentum_formed_at_t_earns_t_plus_1():
    out = ts_factor_momentum(RETURNS, lookback=2, min_obs=2, exclude=())
    assert list(out.index) == list(TSMOM)  # no row for m1: its signal (formed at m1) is held in m2
    assert out["tsmom"].to_numpy() == pytest.approx(list(TSMOM.values()))
    # m2 legs: winners = A (its m2 return), losers = B and C (their own m2 returns, not negated)
    assert out.loc[M[2], "tsmom_winners"] == pytest.approx(-0.03)
    assert out.loc[M[2], "tsmom_losers"] == pytest.approx((0.04 + 0.01) / 2)


def test_cs_factor_momentum_formed_at_t_earns_t_plus_1():
    out = cs_factor_momentum(RETURNS, lookback=2, min_obs=2, exclude=())
    assert list(out.index) == list(XSMOM)
    assert out["xsmom"].to_numpy() == pytest.approx(list(XSMOM.values()))
    # linear weights at m1: (MA - mean MA) / 3 with mean MA 0 -> (.01, -.02/3, -.01/3), earning m2
    assert out.loc[M[2], "xsmom_weighted"] == pytest.approx((0.03 * -0.03 - 0.02 * 0.04 - 0.01 * 0.01) / 3)


def test_study_frame_keeps_the_one_month_lag():
    params = FactorMomentumParams(
        lookback=2,
        min_obs=2,
        quantile=0.3,
        value_weighted=True,
        strategy_sources=("characteristic",),
        pc_min_days=252,
        pc_min_months=36,
        hac_lags=None,
        beta_days=252,
        beta_min_days=120,
        turnover_days=21,
        turnover_min_days=10,
    )
    frame = momentum_frame(RETURNS, params)
    assert list(frame.index) == list(TSMOM)
    assert frame["tsmom"].to_numpy() == pytest.approx(list(TSMOM.values()))
    assert frame["xsmom"].to_numpy() == pytest.approx(list(XSMOM.values()))


def test_changing_month_t_plus_1_moves_only_row_t_plus_1_and_the_signals_after_it():
    bumped = RETURNS.copy()
    bumped.loc[M[2], "A"] += 0.10  # A's m2 return: earned at m2 (signal from m1), enters the m2 and m3 MAs
    before = ts_factor_momentum(RETURNS, lookback=2, min_obs=2, exclude=())
    after = ts_factor_momentum(bumped, lookback=2, min_obs=2, exclude=())
    assert after.loc[M[2], "tsmom"] - before.loc[M[2], "tsmom"] == pytest.approx(0.10 / 3)  # long A at m2
    # MA_A at m2 becomes .045 > 0: A turns long for m3, +A3 instead of -A3
    assert after.loc[M[3], "tsmom"] - before.loc[M[3], "tsmom"] == pytest.approx(2 * 0.05 / 3)


def test_pc_positions_formed_at_t_earn_t_plus_1():
    index = pd.MultiIndex.from_tuples([(M[1], "pc1_2"), (M[2], "pc1_2")], names=["period_end", "group"])
    positions = pd.DataFrame(
        {"A": [0.5, -1.0], "B": [-0.5, 0.25], "C": [0.0, 0.0], OFFSET: [0.001, -0.002]}, index=index
    )
    out = apply_pc_positions(positions, RETURNS)
    # formed at m1 -> m2: .5 * -.03 - .5 * .04 - .001; formed at m2 -> m3: -.05 + .25 * .01 + .002
    assert list(out.index) == [M[2], M[3]]
    assert out["pc1_2"].to_numpy() == pytest.approx([-0.015 - 0.02 - 0.001, -0.05 + 0.0025 + 0.002])
    assert not np.isclose(out.loc[M[2], "pc1_2"], 0.5 * 0.02 + 0.5 * 0.03 - 0.001)  # not the m1 returns
