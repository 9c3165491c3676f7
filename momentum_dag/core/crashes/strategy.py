"""Risk-managed momentum strategies of Daniel & Moskowitz (2016, JFE 122:221-247) Sec. 5, and Barroso &
Santa-Clara (2015, JFE 116:111-120), with the performance table used to compare them.

Alignment convention (HOLDING alignment, as ``crashes_state``): row t is the month whose WML return the
weight multiplies; every input at row t must be known at the close of month t-1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.regression.rolling import RollingOLS
from statsmodels.tools.tools import add_constant

from momentum_dag.core.crashes.state import TRADING_DAYS_PER_MONTH
from momentum_dag.core.evaluation.performance import max_drawdown
from momentum_dag.core.validate import (
    align_columns,
    require_consecutive_months,
    require_datetime_index,
    require_series,
    require_simple_returns,
)

STRATEGIES = ["static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"]


def to_holding_alignment(formation_aligned: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Move a forecast made at the close of month t (row t) to row t+1, the month it forecasts.

    Use on ``garch_variance_forecasts`` output before ``momentum_strategies``. Rows must be consecutive
    months, so the one-row shift is a one-month lag; the forecast for the month after the last row drops.
    """
    require_consecutive_months(formation_aligned, "formation_aligned")
    return formation_aligned.shift(1)


def dynamic_weights(mu: pd.Series, sigma2: pd.Series, lam: float | None = None) -> pd.Series:
    """Dynamic-strategy weight w*_t-1 = (1 / 2 lambda) mu_t-1 / sigma^2_t-1 (Daniel-Moskowitz 2016, Eq. 6).

    No cap: weights go negative when the forecast mean is negative (D&M: 82 months, down to -0.604).
    ``lam=None`` means 1 / (2 lambda) = 1, i.e. w = mu / sigma^2: lambda only scales the strategy and cannot
    change its Sharpe ratio, and ``momentum_strategies`` sets the scale ex post by a target volatility.
    ``mu`` and ``sigma2`` must be in consistent units (e.g. monthly mean and any fixed-horizon variance).
    """
    mu = require_series(mu, "mu")
    sigma2 = require_series(sigma2, "sigma2")
    if (sigma2.dropna() <= 0).any():
        raise ValueError("sigma2 must be positive where present")
    if lam is not None and not lam > 0:
        raise ValueError(f"lam (risk aversion lambda) must be positive, got {lam}")
    scale = 1.0 if lam is None else 1.0 / (2.0 * lam)
    return (scale * mu / sigma2).rename("weight")


def constant_vol_weights_dm(sigma_126: pd.Series) -> pd.Series:
    """Constant-volatility weight w_t-1 = 1 / sigma_126,t-1 (Daniel-Moskowitz 2016, Sec. 5, "cvol"):
    inverse of the trailing 126-day realized volatility of daily WML; rescaled ex post to a target vol."""
    sigma = require_series(sigma_126, "sigma_126")
    if (sigma.dropna() <= 0).any():
        raise ValueError("sigma_126 must be positive where present")
    return (1.0 / sigma).rename("weight")


def barroso_santa_clara_weights(
    daily_wml: pd.Series,
    month_ends: pd.DatetimeIndex,
    target_vol: float = 0.12,
    *,
    window: int = 126,
    days_per_month: int = TRADING_DAYS_PER_MONTH,
) -> pd.DataFrame:
    """Barroso & Santa-Clara (2015, Eq. 2-3): sigma^2_t = 21 sum_{j=0..125} r^2_WML,d(t-1-j) / 126 and
    r*_t = (sigma_target / sigma_t) r_WML,t with sigma_target = 12% a year.

    Row t (a month end) uses the 126 daily returns dated before the calendar month of t starts (the last
    126 days through the end of month t-1): holding alignment. No demeaning. ``bsc_var`` is a MONTHLY
    variance; weight = (target_vol / sqrt(12)) / sqrt(bsc_var).

    Returns:
        DataFrame index ``month_ends`` (named period_end), columns ``bsc_var``, ``weight``.
    """
    returns = require_series(daily_wml, "daily_wml").dropna()
    require_simple_returns(returns, "daily_wml")
    if not target_vol > 0:
        raise ValueError(f"target_vol must be positive, got {target_vol}")
    mean_square = (returns**2).rolling(window, min_periods=window).mean().to_numpy()
    month_ends = pd.DatetimeIndex(month_ends)
    month_start = month_ends.to_period("M").to_timestamp()
    last_prior_day = returns.index.searchsorted(month_start, side="left") - 1
    var = np.where(last_prior_day >= 0, days_per_month * mean_square[np.maximum(last_prior_day, 0)], np.nan)
    weight = (target_vol / np.sqrt(12.0)) / np.sqrt(var)
    return pd.DataFrame({"bsc_var": var, "weight": weight}, index=month_ends.rename("period_end"))


def barroso_santa_clara_variance_monthly(monthly_wml: pd.Series, *, window: int = 12) -> pd.Series:
    """Monthly-data analogue of the Barroso-Santa-Clara (2015) variance for monthly WML only (our choice):
    mean of the squared monthly WML returns over the ``window`` (default 12) months ending t-1 at row t
    (holding alignment, no demeaning, MONTHLY variance)."""
    series = require_series(monthly_wml, "monthly_wml")
    require_consecutive_months(series, "monthly_wml")
    return (series**2).rolling(window, min_periods=window).mean().shift(1).rename("bsc_var")


def _annual_vol(returns: pd.Series | pd.DataFrame, periods_per_year: int) -> float | pd.Series:
    return returns.std(ddof=1) * np.sqrt(periods_per_year)


def scale_to_target_vol(
    returns: pd.Series | pd.DataFrame, target_vol: float = 0.19, periods_per_year: int = 12
) -> tuple[pd.Series | pd.DataFrame, float | pd.Series]:
    """Scale returns so their FULL-SAMPLE annualized volatility equals ``target_vol`` (D-M 2016, Fig. 5: 19%).

    EX POST: the scalar uses the whole sample's standard deviation, as D&M do; it does not change Sharpe
    ratios but must be disclosed. Returns (scaled returns, scalar); for a DataFrame, one scalar per column.
    """
    if not target_vol > 0:
        raise ValueError(f"target_vol must be positive, got {target_vol}")
    scalar = target_vol / _annual_vol(returns, periods_per_year)
    return returns * scalar, scalar


def scale_to_match_vol(
    returns: pd.Series | pd.DataFrame, reference: pd.Series
) -> tuple[pd.Series | pd.DataFrame, float | pd.Series]:
    """Scale returns to the full-sample volatility of ``reference`` (D-M 2016, p. 233: "equal to that of
    the baseline WML"), EX POST like ``scale_to_target_vol``. Returns (scaled returns, scalar)."""
    scalar = reference.std(ddof=1) / returns.std(ddof=1)
    return returns * scalar, scalar


def in_sample_mean_forecast(wml_m: pd.Series, bear: pd.Series, market_var: pd.Series) -> pd.Series:
    """mu_t-1 = g0 + gInt I_B,t-1 sigma^2_m,t-1 with (g0, gInt) from ONE full-sample OLS (D-M 2016, Eq. 6 and
    Table 5 col. 4): the in-sample dynamic strategy's mean, which uses future data in its coefficients.

    Inputs in holding alignment (``market_state``); the forecast is defined wherever bear and market_var are.
    """
    data = align_columns({"wml": wml_m, "x": bear * market_var})
    fit = OLS(data["wml"], add_constant(data[["x"]])).fit()
    x = (require_series(bear, "bear") * require_series(market_var, "market_var")).reindex(wml_m.index)
    return (fit.params["const"] + fit.params["x"] * x).rename("mu")


def expanding_mean_forecast(
    wml_m: pd.Series, bear: pd.Series, market_var: pd.Series, *, min_months: int = 36
) -> pd.Series:
    """Out-of-sample mu_t-1 = g0,t-1 + gInt,t-1 I_B,t-1 sigma^2_m,t-1 (D-M 2016, Sec. 5.3, Fig. 7 caption:
    coefficients "from a regression run from the start of our sample up through month t-1").

    Expanding statsmodels OLS of R_WML,s on [1, I_B,s-1 sigma^2_m,s-1] over months s <= t-1; NaN until
    ``min_months`` complete months precede t (default 36 for short samples; D&M start after ~7 years).
    """
    if min_months < 3:
        raise ValueError(f"min_months must be >= 3, got {min_months}")
    wml = require_series(wml_m, "wml_m")
    require_consecutive_months(wml, "wml_m")
    x = (require_series(bear, "bear") * require_series(market_var, "market_var")).reindex(wml.index)
    complete = (wml.notna() & x.notna()).to_numpy()
    rows = np.flatnonzero(complete)
    mu = np.full(len(wml), np.nan)
    if len(rows) >= min_months:
        exog = np.column_stack([np.ones(len(rows)), x.to_numpy()[rows]])
        coefs = RollingOLS(wml.to_numpy()[rows], exog, window=len(rows), min_nobs=min_months, expanding=True)
        params = coefs.fit(params_only=True).params  # row k: OLS on the first k+1 complete months
        n_before = np.searchsorted(rows, np.arange(len(wml)), side="left")  # complete months strictly before t
        usable = (n_before >= min_months) & x.notna().to_numpy()
        b = params[n_before[usable] - 1]
        mu[usable] = b[:, 0] + b[:, 1] * x.to_numpy()[usable]
    return pd.Series(mu, index=wml.index, name="mu")


def momentum_strategies(
    wml_m: pd.Series,
    bear: pd.Series,
    market_var: pd.Series,
    sigma2_forecast: pd.DataFrame,
    *,
    bsc_var: pd.Series | None = None,
    is_variance: str = "blend_var",
    oos_variance: str = "blend_var",
    cvol_variance: str = "rv_var",
    target_vol: float | None = 0.19,
    oos_min_months: int = 36,
    periods_per_year: int = 12,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Static, constant-volatility and dynamic WML strategies of Daniel-Moskowitz (2016, Sec. 5, Table 7).

    Weights on WML in month t (all known at the close of t-1):
      - ``static``: 1;
      - ``cvol_dm``: 1 / sigma_126 (``constant_vol_weights_dm`` on ``sigma2_forecast[cvol_variance]``);
      - ``cvol_bsc``: 1 / sqrt(bsc_var) (Barroso-Santa-Clara 2015; only when ``bsc_var`` is given);
      - ``dyn_is``: mu / sigma^2 with mu from the full-sample Table-5 col. (4) regression
        (``in_sample_mean_forecast``: look-ahead in the coefficients, as in D&M) and sigma^2 =
        ``sigma2_forecast[is_variance]`` (default the GARCH/RV blend, as D&M's in-sample strategy);
      - ``dyn_oos``: mu from expanding regressions through t-1 (``expanding_mean_forecast``, at least
        ``oos_min_months``) and sigma^2 = ``sigma2_forecast[oos_variance]``; default the GARCH/RV blend, the
        in-sample strategy's forecast: D&M's out-of-sample version changes only the mean forecast (Sec. 5,
        Fig. 7: rolling coefficients of the Table-5 regression); ``rv_var``, the 126-day realized variance that
        some readings of the Table 7 notes give it, is an option.
    All strategies are kept on the months where every one is defined (so they are comparable), then each
    is scaled EX POST by one full-sample scalar to annualized volatility ``target_vol`` (default 19%, D&M
    Fig. 5), or to WML's own volatility on that sample when ``target_vol`` is None (D&M p. 233).

    Args:
        wml_m: monthly WML, index period_end (consecutive months), row t = return of month t.
        bear, market_var: ``market_state`` columns (holding alignment).
        sigma2_forecast: HOLDING-aligned variance forecasts of WML with columns named by ``is_variance``,
            ``oos_variance``, ``cvol_variance`` (``to_holding_alignment(garch_variance_forecasts(...))``);
            units only need to be consistent over time (the ex-post scaling absorbs them).
        bsc_var: optional holding-aligned Barroso-Santa-Clara variance (``barroso_santa_clara_weights``
            column ``bsc_var`` or ``barroso_santa_clara_variance_monthly``).

    Returns:
        returns: DataFrame on the common months, columns among static, cvol_dm, cvol_bsc, dyn_is, dyn_oos.
        weights: the effective (scaled) weights on WML, same shape: returns == weights * wml_m exactly; the
            ``static`` column equals the ex-post scalar.
    """
    wml = require_series(wml_m, "wml_m")
    require_consecutive_months(wml, "wml_m")
    for column in {is_variance, oos_variance, cvol_variance}:
        if column not in sigma2_forecast.columns:
            raise ValueError(f"sigma2_forecast lacks column {column!r}; it has {list(sigma2_forecast.columns)}")
    require_datetime_index(sigma2_forecast, "sigma2_forecast")
    sigma2 = sigma2_forecast.reindex(wml.index)
    raw = {
        "static": pd.Series(1.0, index=wml.index),
        "cvol_dm": constant_vol_weights_dm(np.sqrt(sigma2[cvol_variance])),
    }
    if bsc_var is not None:
        raw["cvol_bsc"] = constant_vol_weights_dm(np.sqrt(require_series(bsc_var, "bsc_var").reindex(wml.index)))
    raw["dyn_is"] = dynamic_weights(in_sample_mean_forecast(wml, bear, market_var), sigma2[is_variance])
    mu_oos = expanding_mean_forecast(wml, bear, market_var, min_months=oos_min_months)
    raw["dyn_oos"] = dynamic_weights(mu_oos, sigma2[oos_variance])
    weights = pd.DataFrame(raw).reindex(wml.index)
    common = weights.notna().all(axis=1) & wml.notna()
    if common.sum() < 2:
        defined = weights.notna().sum().to_dict()
        raise ValueError(
            f"fewer than 2 months where every strategy is defined (months defined per strategy: {defined});"
            " the sample is too short for the variance forecasts or oos_min_months"
        )
    weights = weights.loc[common]
    unscaled = weights.mul(wml.loc[common], axis=0)
    if target_vol is None:
        _, scalar = scale_to_match_vol(unscaled, wml.loc[common])
    else:
        _, scalar = scale_to_target_vol(unscaled, target_vol, periods_per_year)
    weights = weights * scalar
    returns = weights.mul(wml.loc[common], axis=0)
    return returns, weights


def sharpe_table(returns: pd.DataFrame, periods_per_year: int = 12, n_worst: int = 3) -> pd.DataFrame:
    """Performance of each strategy column (Daniel-Moskowitz 2016, Tables 1 and 7 statistics).

    Columns: mean_ann (mean x periods), vol_ann (std x sqrt(periods)), sharpe (their ratio, no risk-free
    deduction: WML and its scaled versions are zero-investment), skew (of period returns, pandas
    unbiased), max_drawdown (compounded), nobs, and the ``n_worst`` worst period returns with their dates
    (``worst_1``, ``worst_1_date``, ...). One row per column of ``returns``.
    """
    if not isinstance(returns, pd.DataFrame):
        raise ValueError(f"returns must be a DataFrame of strategy columns, got {type(returns).__name__}")
    rows = {}
    for name, series in returns.items():
        r = series.dropna()
        if len(r) < 2:
            raise ValueError(f"strategy {name!r} has fewer than 2 returns")
        row = {
            "mean_ann": r.mean() * periods_per_year,
            "vol_ann": r.std(ddof=1) * np.sqrt(periods_per_year),
            "skew": r.skew(),
            "max_drawdown": max_drawdown(r),
            "nobs": len(r),
        }
        row["sharpe"] = row["mean_ann"] / row["vol_ann"]
        worst = r.nsmallest(n_worst)
        for k, (date, value) in enumerate(worst.items(), start=1):
            row[f"worst_{k}"] = value
            row[f"worst_{k}_date"] = date
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    first = ["mean_ann", "vol_ann", "sharpe", "skew", "max_drawdown", "nobs"]
    table = table[first + [c for c in table.columns if c not in first]]
    table.index.name = "strategy"
    return table
