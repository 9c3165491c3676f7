"""A ten-month example of the Daniel-Moskowitz (2016) Sec. 5 strategies, with an independent computation.

Four trading days a month. ``Example`` holds the raw inputs as the assets read them: monthly WML, daily
WML, daily market returns and the monthly market total/excess returns, and the FORMATION-aligned
variance forecasts (row t = made at the close of t). ``run`` passes them through the project's chain
(``market_state`` with a 2-month bear window and a 4-day variance window, ``to_holding_alignment``,
``barroso_santa_clara_weights`` with a 4-day window, ``run_strategies``); ``by_hand`` computes the same
weights and returns with explicit loops over months and ``numpy.linalg.lstsq``, each input indexed as
the paper states it: the weight of month t uses the forecasts made at t-1, the days of month t-1, the
bear state of months t-2..t-1, and (out of sample) the months before t only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from momentum_dag.core.crashes.state import market_state
from momentum_dag.core.crashes.strategy import barroso_santa_clara_weights, to_holding_alignment
from momentum_dag.core.crashes.study import CrashParams, StrategyResult, run_strategies

N_MONTHS, DAYS_PER_MONTH = 10, 4
MONTHS = pd.date_range("2020-01-31", periods=N_MONTHS, freq="ME", name="period_end")
DAYS = pd.DatetimeIndex([m - pd.Timedelta(days=k) for m in MONTHS for k in (3, 2, 1, 0)], name="trade_date")
RF = 0.001  # monthly risk-free: excess = total - RF
OOS_MIN_MONTHS = 3
TARGET_VOL = 0.19
PARAMS = CrashParams(
    n_deciles=10,
    min_valid_months=8,
    beta_window=126,
    beta_lags=10,
    garch_min_days=252,
    garch_refit_every=1,
    garch_horizon=22,
    rv_window_days=DAYS_PER_MONTH,
    blend_min_pairs=36,
    oos_min_months=OOS_MIN_MONTHS,
    target_vol=TARGET_VOL,
    is_variance="blend_var",
    oos_variance="rv_var",
    kf_garch_min_months=120,
    kf_garch_refit_every=1,
    kf_var_window_months=6,
    breakpoints="all",
    large_cap_share=0.3,
)


@dataclass(frozen=True)
class Example:
    wml: np.ndarray  # monthly WML, row t = return of month t
    wml_daily: np.ndarray  # 4 days a month
    market_daily: np.ndarray  # 4 days a month
    rv_var: np.ndarray  # FORMATION aligned: made at the close of month t
    blend_var: np.ndarray

    @property
    def market_total(self) -> np.ndarray:
        return np.prod(1 + self.market_daily.reshape(N_MONTHS, DAYS_PER_MONTH), axis=1) - 1

    def bump(self, **changes) -> Example:
        """A copy with ``name=(position, delta)`` added to an input, e.g. ``rv_var=(6, 1e-3)``."""
        out = {}
        for name, (position, delta) in changes.items():
            values = getattr(self, name).copy()
            values[position] += delta
            out[name] = values
        return replace(self, **out)


def example() -> Example:
    """Market months alternate so that the bear state varies early: totals of months 0..9 are
    +, -, -, +, -, -, +, +, -, + (daily drift +-1.5% around a zigzag)."""
    sign = np.array([1, -1, -1, 1, -1, -1, 1, 1, -1, 1], dtype=float)
    zigzag = np.array([0.004, -0.003, 0.002, -0.001])
    market_daily = (0.015 * sign[:, None] + zigzag[None, :] * np.arange(1, N_MONTHS + 1)[:, None] / 4).ravel()
    wml = np.array([0.03, -0.02, 0.05, 0.01, -0.04, 0.02, 0.06, -0.03, 0.04, 0.015])
    wml_daily = np.array(
        [
            0.010,
            -0.004,
            0.006,
            0.002,
            -0.008,
            0.003,
            0.005,
            -0.001,
            0.012,
            -0.006,
            0.004,
            0.007,
            0.001,
            0.002,
            -0.003,
            0.004,
            -0.015,
            0.009,
            -0.002,
            0.003,
            0.006,
            0.004,
            -0.005,
            0.002,
            0.020,
            -0.010,
            0.008,
            0.006,
            -0.007,
            -0.012,
            0.004,
            0.001,
            0.009,
            0.003,
            0.005,
            -0.004,
            0.002,
            0.006,
            0.001,
            0.003,
        ]
    )
    rv_var = np.array([1.0, 2.5, 0.8, 4.0, 1.5, 3.2, 0.6, 2.0, 5.0, 1.2]) * 1e-4
    blend_var = np.array([2.0, 1.1, 3.3, 0.9, 2.7, 1.6, 4.4, 0.7, 1.9, 2.2]) * 1e-4
    return Example(wml, wml_daily, market_daily, rv_var, blend_var)


def run(ex: Example) -> StrategyResult:
    """The project's chain, as ``assets/crashes`` feeds ``run_strategies``."""
    total = pd.Series(ex.market_total, index=MONTHS)
    state = market_state(
        total, total - RF, pd.Series(ex.market_daily, index=DAYS), bear_months=2, var_window_days=DAYS_PER_MONTH
    )
    forecasts = pd.DataFrame({"rv_var": ex.rv_var, "blend_var": ex.blend_var}, index=MONTHS)
    bsc = barroso_santa_clara_weights(pd.Series(ex.wml_daily, index=DAYS), MONTHS, window=DAYS_PER_MONTH)["bsc_var"]
    return run_strategies(pd.Series(ex.wml, index=MONTHS), state, to_holding_alignment(forecasts), bsc, PARAMS)


@dataclass(frozen=True)
class HandResult:
    months: pd.DatetimeIndex
    raw: dict[str, np.ndarray]  # unscaled weight per month (NaN where undefined)
    weights: pd.DataFrame  # scaled, on the common months
    returns: pd.DataFrame
    mu_oos: np.ndarray
    mu_is: np.ndarray


def _ols(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    design = np.column_stack([np.ones(len(x)), x])
    return np.linalg.lstsq(design, y, rcond=None)[0]


def by_hand(ex: Example) -> HandResult:
    days = ex.market_daily.reshape(N_MONTHS, DAYS_PER_MONTH)
    wml_days = ex.wml_daily.reshape(N_MONTHS, DAYS_PER_MONTH)
    total = ex.market_total
    n = N_MONTHS
    bear, market_var = np.full(n, np.nan), np.full(n, np.nan)
    cvol_dm, cvol_bsc, rv, blend = (np.full(n, np.nan) for _ in range(4))
    for t in range(1, n):
        market_var[t] = np.var(days[t - 1], ddof=1)  # the 4 days of month t-1
        rv[t], blend[t] = ex.rv_var[t - 1], ex.blend_var[t - 1]  # forecasts made at the close of t-1
        cvol_dm[t] = 1 / np.sqrt(ex.rv_var[t - 1])
        cvol_bsc[t] = 1 / np.sqrt(21 * np.mean(wml_days[t - 1] ** 2))  # BSC: 21 x mean square, no demeaning
        if t >= 2:
            bear[t] = float((1 + total[t - 2]) * (1 + total[t - 1]) < 1)  # months t-2, t-1
    x = bear * market_var
    defined = ~np.isnan(x)
    g0, g1 = _ols(ex.wml[defined], x[defined])  # in sample: every month, the future included
    mu_is = g0 + g1 * x
    mu_oos = np.full(n, np.nan)
    for t in range(n):
        before = np.flatnonzero(defined[:t])  # complete months strictly before t
        if len(before) >= OOS_MIN_MONTHS and defined[t]:
            b0, b1 = _ols(ex.wml[before], x[before])
            mu_oos[t] = b0 + b1 * x[t]
    raw = {
        "static": np.ones(n),
        "cvol_dm": cvol_dm,
        "cvol_bsc": cvol_bsc,
        "dyn_is": mu_is / blend,
        "dyn_oos": mu_oos / rv,
    }
    common = np.all([~np.isnan(v) for v in raw.values()], axis=0)
    months = MONTHS[common]
    weights, returns = {}, {}
    for name, w in raw.items():
        unscaled = w[common] * ex.wml[common]
        scalar = TARGET_VOL / (np.std(unscaled, ddof=1) * np.sqrt(12))
        weights[name] = w[common] * scalar
        returns[name] = unscaled * scalar
    return HandResult(
        months, raw, pd.DataFrame(weights, index=months), pd.DataFrame(returns, index=months), mu_oos, mu_is
    )
