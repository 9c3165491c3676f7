"""WML variance forecasts of Daniel & Moskowitz (2016, JFE 122:221-247), Appendix D (NBER WP version).

GJR-GARCH(1,1) refit on an expanding window at each month end, trailing realized volatility, and their
blend estimated by an expanding OLS on realizations already observed.

Alignment convention of this module (FORMATION alignment): row t (a month end) holds forecasts made at
the close of t for the month after t, from data dated <= t only. ``crashes_strategy.to_holding_alignment``
moves them to row t+1, the month they forecast.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
from arch import arch_model
from statsmodels.regression.rolling import RollingOLS
from threadpoolctl import threadpool_limits

from momentum_dag.core.validate import (
    require_consecutive_months,
    require_series,
    require_simple_returns,
)

VARIANCE_COLUMNS = ["garch_var", "garch_vol", "rv_var", "rv_vol", "blend_vol", "blend_var"]
GARCH_SCALE = 100.0  # fit in percent: the optimiser is poorly scaled on decimal returns


def _gjr_garch(y_percent: np.ndarray) -> object:
    """GJR-GARCH(1,1) with constant mean (D-M 2016 App. D: R = mu + e, sigma^2_t = omega + beta sigma^2_t-1
    + (alpha + gamma 1[e_t-1 < 0]) e^2_t-1), normal likelihood, via ``arch``."""
    return arch_model(y_percent, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="normal", rescale=False)


def _fitting() -> contextlib.ExitStack:
    """Where the likelihood is maximized or a fit forecasts: warnings silenced (arch warns on convergence
    codes, checked by the callers) and BLAS on one thread. The optimizer's path amplifies the last bits of
    BLAS's sums, whose order depends on the number of threads: with OpenBLAS's default threads (in-process,
    multiprocess) and with one (dask's workers set OPENBLAS_NUM_THREADS=1) a fit on 1,500 days differed in
    the 7th digit, one on 252 days by 1.5e-4. One thread makes the estimate a function of the data alone,
    whichever executor runs it."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
    return stack


# Fixed starting points besides arch's own: the likelihood of a GJR-GARCH often has a corner optimum
# (beta = 0) next to the persistent one, and which one an optimizer finds depends on where it starts.
PERSISTENT_START = {"alpha": 0.05, "gamma": 0.05, "beta": 0.88}


def fit_gjr_garch(y_percent: np.ndarray) -> pd.Series:
    """Maximum-likelihood GJR-GARCH(1,1) parameters of ``y_percent`` (returns in percent): the converged
    fit of highest likelihood among the fits from arch's own starting values and from a fixed persistent
    start (from arch's start alone the optimizer can stop in the corner optimum, beta = 0, e.g. on Ken
    French's monthly Mom). The estimate is a function of the data alone: the same whatever was fitted
    before."""
    model = _gjr_garch(y_percent)
    variance = float(np.var(y_percent))
    a, g, b = PERSISTENT_START["alpha"], PERSISTENT_START["gamma"], PERSISTENT_START["beta"]
    persistent = np.array([float(np.mean(y_percent)), variance * (1 - a - g / 2 - b), a, g, b])
    with _fitting():  # convergence codes checked below
        default = model.fit(disp="off", show_warning=False)
        other = model.fit(disp="off", show_warning=False, starting_values=persistent)
    if other.convergence_flag == 0 and (default.convergence_flag != 0 or other.loglikelihood > default.loglikelihood):
        return other.params
    return default.params


GJR_COLUMNS = ["mu", "omega", "alpha", "gamma", "beta", "gamma_t", "nobs", "start", "end"]


def gjr_garch_full_sample(daily_wml: pd.Series) -> pd.DataFrame:
    """One row: the GJR-GARCH(1,1) of Daniel-Moskowitz (2016, App. D) fitted by maximum likelihood on the
    whole daily WML series, as the paper reports it (gamma = -0.016, t = -1.6 on 1927-2013): mu and omega
    in percent units (returns x 100), alpha, gamma, beta, the t-statistic of gamma (arch's robust standard
    errors), the number of days and the first and last day. The fit of highest likelihood among arch's own
    start and a fixed persistent start (as ``fit_gjr_garch``). Empty (same columns) below 252 days."""
    y = require_series(daily_wml, "daily_wml").dropna()
    if len(y) < 252:
        return pd.DataFrame({c: [] for c in GJR_COLUMNS})
    y_percent = y.to_numpy() * GARCH_SCALE
    model = _gjr_garch(y_percent)
    variance = float(np.var(y_percent))
    a, g, b = PERSISTENT_START["alpha"], PERSISTENT_START["gamma"], PERSISTENT_START["beta"]
    persistent = np.array([float(np.mean(y_percent)), variance * (1 - a - g / 2 - b), a, g, b])
    with _fitting():
        fits = [model.fit(disp="off", show_warning=False)]
        fits.append(model.fit(disp="off", show_warning=False, starting_values=persistent))
    converged = [f for f in fits if f.convergence_flag == 0] or fits
    best = max(converged, key=lambda f: f.loglikelihood)
    params, tstats = best.params, best.tvalues
    row = {
        "mu": float(params.iloc[0]),
        "omega": float(params.iloc[1]),
        "alpha": float(params.iloc[2]),
        "gamma": float(params.iloc[3]),
        "beta": float(params.iloc[4]),
        "gamma_t": float(tstats.iloc[3]),
        "nobs": int(len(y)),
        "start": pd.Timestamp(y.index.min()),
        "end": pd.Timestamp(y.index.max()),
    }
    return pd.DataFrame([row], columns=GJR_COLUMNS)


def expanding_garch_forecasts(
    returns: pd.Series,
    end_positions: np.ndarray,
    *,
    horizon: int,
    min_obs: int,
    refit_every: int = 1,
    compute: np.ndarray | None = None,
) -> np.ndarray:
    """Mean of the 1..``horizon``-step GJR-GARCH variance forecasts made at each end position (decimal^2).

    At end position p the model is fitted by maximum likelihood on returns[:p+1] only, from arch's own
    starting values: a forecast is a function of the data up to p alone, whatever was fitted before, so a
    month computed alone equals the same month computed in a long backfill. With ``refit_every`` = k > 1
    the model is fitted at every k-th eligible end (counted from the first end with ``min_obs`` returns)
    and in between that fit's parameters are held while the variance recursion runs on the data up to p.
    Nothing after p is used. NaN until ``min_obs`` returns are available, and where ``compute`` (a boolean
    mask over ``end_positions``, default all) is False. ``returns`` must hold no NaN.
    """
    if refit_every < 1:
        raise ValueError(f"refit_every must be >= 1, got {refit_every}")
    y = GARCH_SCALE * returns.to_numpy(dtype="float64")
    out = np.full(len(end_positions), np.nan)
    eligible = np.flatnonzero(np.asarray(end_positions) + 1 >= min_obs)
    wanted = np.ones(len(end_positions), bool) if compute is None else np.asarray(compute, bool)
    fits: dict[int, pd.Series] = {}  # anchor position -> fitted parameters

    def fitted(anchor: int) -> pd.Series:
        if anchor not in fits:
            fits[anchor] = fit_gjr_garch(y[: anchor + 1])
        return fits[anchor]

    for rank, i in enumerate(eligible):
        if not wanted[i]:
            continue
        pos = end_positions[i]
        anchor = end_positions[eligible[rank - rank % refit_every]]
        with _fitting():
            result = _gjr_garch(y[: pos + 1]).fix(fitted(anchor))
            forecast = result.forecast(horizon=horizon, reindex=False).variance.to_numpy()[-1]
        out[i] = forecast.mean() / GARCH_SCALE**2
    return out


def expanding_vol_blend(
    sigma_garch: np.ndarray,
    sigma_rv: np.ndarray,
    realized_vol: np.ndarray,
    known_by: np.ndarray,
    *,
    min_pairs: int,
) -> np.ndarray:
    """Blended volatility forecast sigma_hat = b0 + b1 sigma_GARCH,t + b2 sigma_RV,t (D-M 2016 App. D).

    D&M estimate sigma_22,t+1 = 0.0010 + 0.6114 sigma_GARCH,t + 0.2640 sigma_126,t on the full sample;
    here the coefficients at end i come from statsmodels OLS on the pairs j whose realization is known by
    then (``known_by[j] <= i``: the forecast at j and its realized volatility both dated <= end i),
    an expanding window. NaN until ``min_pairs`` such pairs exist, and where the fit is not positive.

    Args:
        sigma_garch, sigma_rv, realized_vol: per end, aligned arrays (realized_vol[j] is the FUTURE
            volatility after end j, used only once known).
        known_by: per end j, the index of the first end at which realized_vol[j] is known.
    """
    complete = np.isfinite(sigma_garch) & np.isfinite(sigma_rv) & np.isfinite(realized_vol)
    pairs = np.flatnonzero(complete)  # known_by increases with j, so the usable set is a prefix of pairs
    out = np.full(len(sigma_garch), np.nan)
    if len(pairs) < max(min_pairs, 4):
        return out
    exog = np.column_stack([np.ones(len(pairs)), sigma_garch[pairs], sigma_rv[pairs]])
    fit = RollingOLS(realized_vol[pairs], exog, window=len(pairs), min_nobs=min_pairs, expanding=True).fit(
        params_only=True
    )
    coefs = fit.params  # row k: OLS on pairs[0..k]
    n_known = np.searchsorted(known_by[pairs], np.arange(len(sigma_garch)), side="right")
    for i in np.flatnonzero((n_known >= min_pairs) & np.isfinite(sigma_garch) & np.isfinite(sigma_rv)):
        b = coefs[n_known[i] - 1]
        out[i] = b[0] + b[1] * sigma_garch[i] + b[2] * sigma_rv[i]
    out[out <= 0] = np.nan
    return out


def _assemble(garch_var: np.ndarray, rv_var: np.ndarray, blend_vol: np.ndarray, index) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "garch_var": garch_var,
            "garch_vol": np.sqrt(garch_var),
            "rv_var": rv_var,
            "rv_vol": np.sqrt(rv_var),
            "blend_vol": blend_vol,
            "blend_var": blend_vol**2,
        },
        index=pd.DatetimeIndex(index, name="period_end"),
    )
    return frame[VARIANCE_COLUMNS]


def garch_variance_forecasts(
    daily_wml: pd.Series,
    month_ends: pd.DatetimeIndex,
    *,
    horizon: int = 22,
    rv_window: int = 126,
    min_obs: int = 252,
    refit_every: int = 1,
    min_blend_pairs: int = 36,
    known_garch_var: pd.Series | None = None,
) -> pd.DataFrame:
    """One-month-ahead WML variance forecasts from DAILY returns (Daniel-Moskowitz 2016, App. D).

    At each month end t (using daily WML dated <= t only):
      - ``garch_var``: GJR-GARCH(1,1) (``arch_model(100*y, mean='Constant', vol='GARCH', p=1, o=1, q=1)``)
        fitted on all days up to t (expanding; see ``expanding_garch_forecasts``), average of
        the next ``horizon`` (22) daily variance forecasts = one-month-ahead DAILY variance (decimal^2);
      - ``rv_var``: sample variance (ddof=1) of the trailing ``rv_window`` (126) daily returns (sigma_126);
      - ``blend_vol``: b0 + b1 sigma_GARCH,t + b2 sigma_126,t, with b from OLS of the realized daily
        volatility (std, ddof=1) of the 22 trading days after month end j on [1, sigma_GARCH,j, sigma_126,j]
        over the ends j whose 22 days have passed by t (expanding; ``expanding_vol_blend``).
    ``*_vol`` = sqrt of ``*_var``. Missing daily returns are dropped before fitting.

    Args:
        daily_wml: daily WML return, index trade_date (e.g. ``wml_daily``).
        month_ends: dates at which to forecast; each uses days dated <= it.
        min_obs: fewest daily returns before the first GARCH fit.
        refit_every: refit every k month ends (1 = every month); parameters held fixed in between.
        known_garch_var: ``garch_var`` already computed for some month ends (e.g. stored by an earlier run):
            used as is, so a new month costs one GARCH fit while the blend still uses every past pair.
            Each value is a function of the data up to its month end only, so this changes no result.

    Returns:
        DataFrame index ``month_ends`` (named period_end, FORMATION alignment: row t forecasts month t+1),
        columns garch_var, garch_vol, rv_var, rv_vol, blend_vol, blend_var; NaN while undefined.
    """
    returns = require_series(daily_wml, "daily_wml").dropna()
    require_simple_returns(returns, "daily_wml")
    month_ends = pd.DatetimeIndex(month_ends)
    if not (month_ends.is_unique and month_ends.is_monotonic_increasing):
        raise ValueError("month_ends must be unique and sorted in increasing order")
    ends = returns.index.searchsorted(month_ends, side="right") - 1
    has_data = ends >= 0
    known = pd.Series(np.nan, index=month_ends)
    if known_garch_var is not None:
        known = known_garch_var.reindex(month_ends).astype(float)
    garch_var = known.to_numpy(copy=True)
    garch_var[has_data] = np.where(
        np.isnan(garch_var[has_data]),
        expanding_garch_forecasts(
            returns,
            ends[has_data],
            horizon=horizon,
            min_obs=min_obs,
            refit_every=refit_every,
            compute=np.isnan(garch_var[has_data]),
        ),
        garch_var[has_data],
    )
    rolling_var = returns.rolling(rv_window, min_periods=rv_window).var(ddof=1).to_numpy()
    rv_var = np.where(has_data, rolling_var[np.maximum(ends, 0)], np.nan)
    # Realized vol over the `horizon` days after each end, known once the last of those days has closed.
    forward_std = returns[::-1].rolling(horizon, min_periods=horizon).std(ddof=1)[::-1].shift(-1).to_numpy()
    realized = np.where(has_data, forward_std[np.maximum(ends, 0)], np.nan)
    known_date = np.where(ends + horizon < len(returns), ends + horizon, len(returns))
    known_by = np.searchsorted(ends, known_date, side="left")  # first month end whose data reach it
    blend_vol = expanding_vol_blend(np.sqrt(garch_var), np.sqrt(rv_var), realized, known_by, min_pairs=min_blend_pairs)
    return _assemble(garch_var, rv_var, blend_vol, month_ends)


def garch_variance_forecasts_monthly(
    monthly_wml: pd.Series,
    *,
    rv_window: int = 12,
    min_obs: int = 120,
    refit_every: int = 1,
    min_blend_pairs: int = 36,
) -> pd.DataFrame:
    """Monthly-data variant of ``garch_variance_forecasts`` for Ken French's Mom.

    Only monthly returns exist, so: GJR-GARCH(1,1) on MONTHLY WML refit at every month end t on months
    <= t, one-step-ahead forecast = next month's variance (decimal MONTHLY variance); ``rv_var`` = sample
    variance of the trailing ``rv_window`` (default 12) monthly returns (6 would span 126 trading days but
    collapses when the months are steady: Mom's Feb-Jul 1972 gave 1.8e-5, 42 times below their mean
    square); the blend regresses the realized next-month volatility proxy |R_t+1| * sqrt(pi/2) (unbiased
    for sigma under normality) on [1, sigma_GARCH,t, sigma_RV,t], using pairs whose month t+1 has closed
    (expanding).

    Args:
        monthly_wml: monthly WML return, index period_end (consecutive months), no interior gaps.

    Returns:
        DataFrame on ``monthly_wml``'s index (FORMATION alignment), columns as ``garch_variance_forecasts``.
    """
    series = require_series(monthly_wml, "monthly_wml")
    require_consecutive_months(series, "monthly_wml")
    returns = series.loc[series.first_valid_index() :] if series.notna().any() else series.iloc[:0]
    if returns.isna().any():
        raise ValueError("monthly_wml has missing values after its first valid month")
    require_simple_returns(returns, "monthly_wml")
    positions = np.arange(len(returns))
    garch_var = expanding_garch_forecasts(returns, positions, horizon=1, min_obs=min_obs, refit_every=refit_every)
    rv_var = returns.rolling(rv_window, min_periods=rv_window).var(ddof=1).to_numpy()
    realized = np.abs(returns.shift(-1).to_numpy()) * np.sqrt(np.pi / 2.0)
    known_by = positions + 1
    blend_vol = expanding_vol_blend(np.sqrt(garch_var), np.sqrt(rv_var), realized, known_by, min_pairs=min_blend_pairs)
    frame = _assemble(garch_var, rv_var, blend_vol, returns.index)
    return frame.reindex(series.index)
