"""Stock characteristics behind the Ehsani-Linnainmaa (2022) factor set, signed so that high = long leg.

E-L (2022, JF 77(3)) use 20 non-momentum anomaly factors (SMB, HML, RMW, CMA, STR, LTR, BAB, residual
variance, liquidity, ...) plus UMD. This module computes the A-share analogues from month-end panels:
each characteristic at period end t uses only rows dated <= t (fundamentals must already be aligned point in
time to month ends by the caller, i.e. usable from their announce date). Monthly panels must have one row
per consecutive month (rows are shifted by month counts); daily panels are sampled at the monthly index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from momentum_dag.core.validate import float_panel, require_series

CHARACTERISTICS: tuple[str, ...] = (
    "size",
    "value",
    "profitability",
    "investment",
    "strev",
    "ltrev",
    "low_beta",
    "resid_vol",
    "liquidity",
    "momentum",
)
"""Keys of ``build_characteristics``; ``momentum`` is the stock-momentum factor (excluded from factor
momentum strategies by ``MOMENTUM_FACTORS``)."""


def cumulative_return(returns: pd.DataFrame, first_lag: int, last_lag: int) -> pd.DataFrame:
    """Compounded return over rows t-first_lag .. t-last_lag (inclusive), NaN unless every row is present.

    With month-end formation at t: momentum r_{t-12,t-2} (Jegadeesh-Titman 1993; holding month t+1) is
    ``cumulative_return(ret, 11, 1)``; long-term reversal r_{t-60,t-13} (De Bondt-Thaler 1985) is
    ``cumulative_return(ret, 59, 12)``.
    """
    r = float_panel(returns, "returns")
    if not first_lag >= last_lag >= 0:
        raise ValueError(f"need first_lag >= last_lag >= 0, got {first_lag}, {last_lag}")
    window = first_lag - last_lag + 1
    # each window summed on its own (pandas' rolling sums run column by column and carry rounding from
    # where the panel starts, so a chunk's value would depend on its lookback)
    log_ret = np.log1p(r.to_numpy(dtype=float))
    log_growth = np.full(log_ret.shape, np.nan)
    if len(log_ret) >= window:
        log_growth[window - 1 :] = sliding_window_view(log_ret, window, axis=0).sum(axis=-1)
    return np.expm1(pd.DataFrame(log_growth, index=r.index, columns=r.columns).shift(last_lag))


def rolling_market_model(
    daily_returns: pd.DataFrame,
    market_excess: pd.Series,
    *,
    window: int = 252,
    min_days: int = 120,
    rf: pd.Series | None = None,
    at: pd.DatetimeIndex | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rolling market-model beta and residual volatility of every stock over the last ``window`` days.

    OLS of r_i - rf on the market excess return over trading days t-window+1..t (days where the stock
    traded), as in Frazzini-Pedersen (2014, JFE 111) betas for BAB and Ang-Hodrick-Xing-Zhang (2006, JF 61)
    idiosyncratic volatility (here a one-factor model over the beta window). Residual std uses n - 2 degrees
    of freedom. Closed-form sums over each window, vectorized over stocks (statsmodels RollingOLS fits one
    stock at a time; the test cross-checks against it). ``rf`` None means raw stock returns on market excess.

    ``at``: the dates to compute (each as of the last trade date <= it, NaN before the first); None = every
    trade date. Each window is summed on its own (:func:`window_sums`), so a value does not depend on where
    the panel starts: a one-month run and a backfill give the same bits.

    Returns:
        (beta, residual std), both (trade date or ``at``) x stock; NaN with fewer than ``min_days``
        observations.
    """
    y = float_panel(daily_returns, "daily_returns")
    mkt = require_series(market_excess, "market_excess").reindex(y.index)
    if rf is not None:
        y = y.sub(require_series(rf, "rf").reindex(y.index), axis=0)
    if not 2 < min_days <= window:
        raise ValueError(f"need 2 < min_days <= window, got min_days={min_days}, window={window}")
    yv = y.to_numpy()
    both = np.isfinite(yv) & np.isfinite(mkt.to_numpy())[:, None]
    xv = np.where(both, mkt.to_numpy()[:, None], 0.0)
    yv = np.where(both, yv, 0.0)
    index = y.index if at is None else pd.DatetimeIndex(at)
    n, sx, sy, sxx, sxy, syy = window_sums(
        [both.astype(float), xv, yv, xv * xv, xv * yv, yv * yv], y.index, index, window
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        cxx = sxx - sx * sx / n
        cxy = sxy - sx * sy / n
        cyy = syy - sy * sy / n
        beta = cxy / np.where(cxx > 0, cxx, np.nan)
        resid_var = np.clip(cyy - beta * cxy, 0.0, None) / np.where(n > 2, n - 2, np.nan)
    enough = n >= min_days
    beta = np.where(enough, beta, np.nan)
    resid_std = np.where(enough, np.sqrt(resid_var), np.nan)
    return (
        pd.DataFrame(beta, index=index, columns=y.columns),
        pd.DataFrame(resid_std, index=index, columns=y.columns),
    )


def window_sums(
    arrays: list[np.ndarray], days: pd.DatetimeIndex, at: pd.DatetimeIndex, window: int
) -> list[np.ndarray]:
    """Column sums of each (days x stocks) array over the ``window`` rows ending at the last day <= each
    date of ``at`` (fewer rows at the start of the panel; a date before the first day gets NaN).

    Each window is summed on its own, row after row, so its bits depend on its rows only (running sums,
    as pandas' rolling, carry rounding from where the series starts)."""
    ends = days.searchsorted(at, side="right") - 1
    out = [np.full((len(at), a.shape[1]), np.nan) for a in arrays]
    for i, end in enumerate(ends):
        if end < 0:
            continue
        lo = max(end - window + 1, 0)
        for a, o in zip(arrays, out, strict=True):
            o[i] = a[lo : end + 1].sum(axis=0)
    return out


def rolling_mean_at(panel: pd.DataFrame, at: pd.DatetimeIndex, window: int, min_periods: int) -> pd.DataFrame:
    """Mean of each column's non-missing values over the last ``window`` trade days as of each date of
    ``at`` (NaN with fewer than ``min_periods`` values), each window summed on its own (:func:`window_sums`)."""
    values = panel.to_numpy(dtype=float)
    present = np.isfinite(values)
    total, count = window_sums([np.where(present, values, 0.0), present.astype(float)], panel.index, at, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count >= min_periods, total / count, np.nan)
    return pd.DataFrame(mean, index=pd.DatetimeIndex(at), columns=panel.columns)


def build_characteristics(
    monthly_returns: pd.DataFrame,
    daily_returns: pd.DataFrame,
    float_cap: pd.DataFrame,
    book_equity: pd.DataFrame,
    net_income_ttm: pd.DataFrame,
    total_assets: pd.DataFrame,
    daily_turnover: pd.DataFrame,
    market_excess: pd.Series,
    *,
    total_cap: pd.DataFrame | None = None,
    beta_days: int = 252,
    beta_min_days: int = 120,
    turnover_days: int = 21,
    turnover_min_days: int = 10,
    formation_start: pd.Timestamp | None = None,
) -> dict[str, pd.DataFrame]:
    """Characteristics of the E-L (2022) style factor set at each month end, signed so high = long.

    - size: -ln(float cap) (small minus big; Fama-French 1993 SMB).
    - value: book equity / market cap (``total_cap`` if given, else float cap); NaN for book <= 0 (HML).
    - profitability: net_income_ttm / book equity, NaN for book <= 0 (Fama-French 2015 RMW).
    - investment: -(total assets_t / total assets_{t-12} - 1), conservative minus aggressive (CMA).
    - strev: -r_t, last month's return (short-term reversal, Jegadeesh 1990).
    - ltrev: -r_{t-60,t-13} compounded, i.e. months t-59..t-12 from formation t (De Bondt-Thaler 1985).
    - low_beta: -beta over ``beta_days`` daily returns (Frazzini-Pedersen 2014 BAB).
    - resid_vol: -residual std of the same market model (Ang et al. 2006).
    - liquidity: -mean daily turnover over the last ``turnover_days`` trading days (illiquid minus liquid).
    - momentum: r_{t-12,t-2} compounded, months t-11..t-1 from formation t (Jegadeesh-Titman 1993); kept for
      UMD, excluded from factor momentum.

    Args:
        monthly_returns, float_cap, book_equity, net_income_ttm, total_assets, total_cap: month end x stock,
            one row per consecutive month, fundamentals point in time (known at the month end).
        daily_returns, daily_turnover: trade date x stock (turnover as a fraction of float shares).
        market_excess: daily market excess return, indexed by trade date.
        formation_start: the first month end wanted (None: all); earlier rows of the panels still supply
            the lags (``ltrev``'s five years, ``investment``'s year), and the daily windows are summed at
            the wanted month ends only, so a value does not depend on it.

    Returns:
        name -> month end x stock characteristic panel (keys: ``CHARACTERISTICS``).
    """
    ret = float_panel(monthly_returns, "monthly_returns")
    months, stocks = ret.index, ret.columns
    wanted = months if formation_start is None else months[months >= formation_start]

    def monthly(panel: pd.DataFrame, name: str) -> pd.DataFrame:
        return float_panel(panel, name).reindex(index=months, columns=stocks)

    cap = monthly(float_cap, "float_cap").where(lambda c: c > 0)
    price_cap = cap if total_cap is None else monthly(total_cap, "total_cap").where(lambda c: c > 0)
    book = monthly(book_equity, "book_equity").where(lambda b: b > 0)
    assets = monthly(total_assets, "total_assets").where(lambda a: a > 0)
    # the daily characteristics at the month ends only: one window each, not a rolling pass over every day
    beta, resid_vol = rolling_market_model(
        float_panel(daily_returns, "daily_returns").reindex(columns=stocks),
        market_excess,
        window=beta_days,
        min_days=beta_min_days,
        at=wanted,
    )
    turnover = float_panel(daily_turnover, "daily_turnover").reindex(columns=stocks)
    mean_turnover = rolling_mean_at(turnover, wanted, turnover_days, turnover_min_days)
    at_monthly = {
        "size": -np.log(cap),
        "value": book / price_cap,
        "profitability": monthly(net_income_ttm, "net_income_ttm") / book,
        "investment": -(assets / assets.shift(12) - 1.0),
        "strev": -ret,
        "ltrev": -cumulative_return(ret, 59, 12),
    }
    return {
        **{name: panel.loc[wanted] for name, panel in at_monthly.items()},
        "low_beta": -beta,
        "resid_vol": -resid_vol,
        "liquidity": -mean_turnover,
        "momentum": cumulative_return(ret, 11, 1).loc[wanted],
    }
