"""Idiosyncratic industry momentum factors (sell-side industry momentum, family 3: avoiding momentum crashes).

``momentum_pure_liquidity_stripped`` (daily industry panels) and ``momentum_residual`` (monthly industry
returns on Barra style factor returns). Monthly rebalance. Each function returns a period_end x industry
panel on the given ``period_ends``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from momentum_dag.core.industry.common import (
    check_aligned,
    check_positive_int,
    lagged_ratio,
    period_positions,
    rolling_mean,
    rolling_std,
    wide,
)
from momentum_dag.core.validate import require_wide_panel


def time_series_zscore(x: np.ndarray, lookback: int) -> np.ndarray:
    """(x_t - mean) / std (ddof=1) of each column over its own trailing ``lookback`` rows, t included.

    Everbright's "anomaly" of turnover and volatility: today's level against the entity's own year.
    Needs the full lookback; zero std -> NaN.
    """
    values = np.asarray(x, dtype=float)
    std = rolling_std(values, lookback)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(std > 0, (values - rolling_mean(values, lookback)) / std, np.nan)


def cross_sectional_residual(y: np.ndarray, x: np.ndarray, min_obs: int) -> np.ndarray:
    """Residuals of the OLS of y on [1, x] across entities with complete rows (statsmodels ``OLS``).

    ``y`` has shape (entities,), ``x`` (entities, regressors). Fewer than ``min_obs`` complete rows -> NaN.
    """
    out = np.full(len(y), np.nan)
    ok = ~np.isnan(y) & ~np.isnan(x).any(axis=1)
    if ok.sum() < min_obs:
        return out
    fit = OLS(y[ok], add_constant(x[ok], has_constant="add")).fit()
    out[ok] = fit.resid
    return out


def momentum_pure_liquidity_stripped(
    close: pd.DataFrame,
    ret: pd.DataFrame,
    turnover: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    window: int = 20,
    zscore_lookback: int = 240,
    min_industries: int = 8,
) -> pd.DataFrame:
    """Liquidity-stripped pure momentum: residual of the window return on turnover and volatility anomalies.

    Everbright Securities, 再论动量因子:
    R = P_t/P_{t-N} - 1; Z_turnover, Z_vol = time-series z-scores of the window's mean daily turnover and
    of the window's daily-return std (ddof=1) against their own trailing ``zscore_lookback`` (240) days,
    t included; per formation date, cross-sectional OLS R = a + b1 Z_turnover + b2 Z_vol + e across
    industries (at least ``min_industries``); factor = e. The reference code's 3-period smoothing of e is
    not applied (the report does not smooth). Warm-up: window + zscore_lookback - 1 days (~240 + window).
    """
    check_aligned({"close": close, "ret": ret, "turnover": turnover})
    check_positive_int("window", window, minimum=2)
    check_positive_int("zscore_lookback", zscore_lookback, minimum=3)
    check_positive_int("min_industries", min_industries, minimum=4)
    pos = period_positions(close.index, period_ends)
    r_window = lagged_ratio(close, pos, window)
    z_turnover = time_series_zscore(rolling_mean(turnover.to_numpy(dtype=float), window), zscore_lookback)
    z_vol = time_series_zscore(rolling_std(ret.to_numpy(dtype=float), window), zscore_lookback)
    regressors = np.stack([z_turnover[pos], z_vol[pos]], axis=2)
    # One cross-sectional regression per formation date (independent across dates).
    resid = np.array(
        [cross_sectional_residual(r_window[j], regressors[j], min_industries) for j in range(len(pos))]
    ).reshape(len(pos), close.shape[1])
    return wide(resid, period_ends, close.columns)


def rolling_factor_residual(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Last-row residuals of the no-constant least-squares fit of each column of y (L x K) on x (L x F).

    ``numpy.linalg.lstsq`` solves all industries with a complete history in one call.
    """
    out = np.full(y.shape[1], np.nan)
    full = ~np.isnan(y).any(axis=0)
    if full.any():
        beta = np.linalg.lstsq(x, y[:, full], rcond=None)[0]
        out[full] = y[-1, full] - x[-1] @ beta
    return out


def momentum_residual(
    industry_ret_monthly: pd.DataFrame,
    barra_factor_returns_monthly: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    lookback: int = 36,
) -> pd.DataFrame:
    """Industry residual momentum: current-month residual of a rolling regression on Barra style returns.

    Industrial Securities 2022-03-27, 基于盈余惊喜、残差动量、北向资金的行业轮动模型, after Blitz, Huij and
    Martens (2011, J. Empirical Finance 18(3)) residual momentum: for each industry
    and formation month t, regress its monthly returns over months t-L+1..t on the style factor returns
    with NO constant (as the report does), factor = residual of month t. Choice: L = 36 months by default
    (BHM's window); ``lookback=12`` reproduces the report.

    Inputs: both monthly panels are indexed by period_end; factor returns are aligned onto the industry
    index (a missing month blocks every window containing it). Warm-up: ``lookback`` months, complete.
    """
    require_wide_panel(industry_ret_monthly, "industry_ret_monthly")
    require_wide_panel(barra_factor_returns_monthly, "barra_factor_returns_monthly")
    n_factors = barra_factor_returns_monthly.shape[1]
    check_positive_int("lookback", lookback, minimum=n_factors + 1)
    pos = period_positions(industry_ret_monthly.index, period_ends)
    y = industry_ret_monthly.to_numpy(dtype=float)
    x = barra_factor_returns_monthly.reindex(industry_ret_monthly.index).to_numpy(dtype=float)
    out = np.full((len(pos), y.shape[1]), np.nan)
    # Rolling window: each formation month has its own regression.
    for j, p in enumerate(pos):
        rows = slice(p - lookback + 1, p + 1)
        if p - lookback + 1 < 0 or np.isnan(x[rows]).any():
            continue
        out[j] = rolling_factor_residual(y[rows], x[rows])
    return wide(out, period_ends, industry_ret_monthly.columns)
