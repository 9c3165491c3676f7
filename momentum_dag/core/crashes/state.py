"""Market state variables of Daniel & Moskowitz (2016, JFE 122:221-247): bear, up-market, market variance.

Alignment convention of this module (HOLDING alignment, D&M's notation): row t is the month whose WML
return R_WML,t is explained or forecast. ``bear`` and ``market_var`` at row t are known at the close of
month t-1 (predictive); ``up`` at row t is contemporaneous with month t (known only at the close of t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.validate import (
    require_consecutive_months,
    require_series,
    require_simple_returns,
)

TRADING_DAYS_PER_MONTH = 21


def bear_indicator(market_total_ret: pd.Series, *, months: int = 24) -> pd.Series:
    """I_B,t-1 at row t: 1 if the cumulative market TOTAL return over the 24 months ending t-1 is < 0.

    Daniel-Moskowitz (2016), Table 3/4 notes: "an ex ante bear market indicator that equals one if the
    cumulative CRSP VW index return in the past 24 months is negative": a TOTAL return (not excess); with
    Mkt-RF + RF from French's file this reproduces the paper's 183 bear months of 1927:01-2013:03. Row t
    uses rows t-24..t-1 only; NaN until 24 valid months exist.

    Args:
        market_total_ret: monthly market total return, index period_end (consecutive months).

    Returns:
        float Series (1.0 / 0.0 / NaN) on the same index, named ``bear``.
    """
    ret = require_series(market_total_ret, "market_total_ret")
    require_consecutive_months(ret, "market_total_ret")
    require_simple_returns(ret, "market_total_ret")
    log_gross = np.log1p(ret)
    cum = np.expm1(log_gross.rolling(months, min_periods=months).sum())
    bear = (cum < 0).astype("float64").where(cum.notna())
    return bear.shift(1).rename("bear")


def up_indicator(market_excess_ret: pd.Series) -> pd.Series:
    """I_U,t at row t: 1 if the CONTEMPORANEOUS market excess return R^e_m,t > 0 (D-M 2016, Eq. 3).

    Not known before the close of month t: a regressor of the ex-post crash regressions only.
    """
    ret = require_series(market_excess_ret, "market_excess_ret")
    return (ret > 0).astype("float64").where(ret.notna()).rename("up")


def market_variance_daily(
    market_daily_ret: pd.Series, period_index: pd.DatetimeIndex, *, window: int = 126
) -> pd.Series:
    """sigma^2_m,t-1 at row t: variance of the ``window`` daily market returns up to the close of month t-1.

    Daniel-Moskowitz (2016), Eq. 4: "variance of the daily returns of the market over the 126 days prior
    to time t". Sample variance (ddof=1) of decimal daily returns: decimal DAILY variance, not annualized
    (D&M's published coefficients use daily %^2; re-estimated coefficients absorb the scale). The month
    t-1 value is taken at its last trading day in ``market_daily_ret``; NaN until ``window`` days exist.

    Args:
        market_daily_ret: daily market return, index trade_date.
        period_index: monthly index (period_end of consecutive months) to align to.

    Returns:
        Series on ``period_index`` named ``market_var``.
    """
    daily = require_series(market_daily_ret, "market_daily_ret")
    require_simple_returns(daily, "market_daily_ret")
    require_consecutive_months(pd.Series(index=period_index, dtype="float64"), "period_index")
    rolling_var = daily.rolling(window, min_periods=window).var(ddof=1)
    month_end_var = rolling_var.groupby(daily.index.to_period("M")).last()
    prior_month = pd.DatetimeIndex(period_index).to_period("M") - 1
    values = month_end_var.reindex(prior_month).to_numpy()
    return pd.Series(values, index=period_index, name="market_var")


def market_variance_monthly(
    market_monthly_ret: pd.Series, *, window: int = 12, days_per_month: int = TRADING_DAYS_PER_MONTH
) -> pd.Series:
    """Monthly-data fallback for sigma^2_m,t-1 (used when only monthly data exist).

    Without daily market returns the 126-day variance of Daniel-Moskowitz (2016, Eq. 4) is approximated by
    the sample variance of the ``window`` (default 12) monthly returns ending at t-1, divided by
    ``days_per_month`` to put it in the same decimal daily variance units as ``market_variance_daily``.
    Row t uses rows t-window..t-1 only. Six months would match 126 days in time but not in precision (6
    observations instead of 126).
    """
    ret = require_series(market_monthly_ret, "market_monthly_ret")
    require_consecutive_months(ret, "market_monthly_ret")
    var = ret.rolling(window, min_periods=window).var(ddof=1) / days_per_month
    return var.shift(1).rename("market_var")


def market_state(
    market_monthly_total_ret: pd.Series,
    market_monthly_excess_ret: pd.Series,
    market_daily_ret: pd.Series | None = None,
    *,
    bear_months: int = 24,
    var_window_days: int = 126,
    var_window_months: int = 12,
) -> pd.DataFrame:
    """State variables of Daniel-Moskowitz (2016) Tables 3-5 in HOLDING alignment.

    Row t (period_end of month t) holds:
      - ``bear`` = I_B,t-1: 1 if the market TOTAL return compounded over months t-24..t-1 is < 0 (known at
        the close of t-1; ``bear_indicator``);
      - ``up`` = I_U,t: 1 if the market EXCESS return of month t itself is > 0 (contemporaneous, known at
        the close of t; ``up_indicator``);
      - ``market_var`` = sigma^2_m,t-1: decimal daily variance of the 126 daily market returns up to the
        close of month t-1 (``market_variance_daily``); when ``market_daily_ret`` is None (Ken French,
        monthly data only) the monthly fallback ``market_variance_monthly`` (12 months ending t-1, /21).
    So a predictive regression of R_WML,t on ``bear`` and ``market_var`` of the same row is y_t on x_{t-1}.

    Args:
        market_monthly_total_ret, market_monthly_excess_ret: monthly Series on the same index of
            consecutive months (period_end).
        market_daily_ret: optional daily market total return, index trade_date.

    Returns:
        DataFrame index period_end, columns ``bear``, ``up``, ``market_var`` (floats, NaN while undefined).
    """
    total = require_series(market_monthly_total_ret, "market_monthly_total_ret")
    excess = require_series(market_monthly_excess_ret, "market_monthly_excess_ret")
    if not total.index.equals(excess.index):
        raise ValueError("market_monthly_total_ret and market_monthly_excess_ret must share the same index")
    if market_daily_ret is None:
        market_var = market_variance_monthly(total, window=var_window_months)
    else:
        market_var = market_variance_daily(market_daily_ret, total.index, window=var_window_days)
    frame = pd.DataFrame(
        {
            "bear": bear_indicator(total, months=bear_months),
            "up": up_indicator(excess),
            "market_var": market_var,
        }
    )
    frame.index.name = "period_end"
    return frame
