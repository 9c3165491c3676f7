"""Regressions of Daniel & Moskowitz (2016, JFE 122:221-247): lagged betas, Table 3 and Table 5."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from momentum_dag.core.validate import align_columns, require_datetime_index, require_series

CRASH_TERMS = ["alpha0", "alphaB", "beta0", "betaB", "betaBU"]
FORECAST_TERMS = ["gamma0", "gammaB", "gammaSigma2", "gammaInt"]

# D&M Table 3 models (1)-(4): regressors beyond the constant (alpha0), by term name.
CRASH_MODELS: dict[int, list[str]] = {
    1: ["beta0"],
    2: ["alphaB", "beta0", "betaB"],
    3: ["alphaB", "beta0", "betaB", "betaBU"],
    4: ["beta0", "betaB", "betaBU"],
}
# D&M Table 5 columns (1)-(5): regressors beyond the constant (gamma0). Columns (4) (interaction only) and
# (5) (all three) are as published; columns (1)-(3) (bear alone, variance alone, both) are our reading.
FORECAST_MODELS: dict[int, list[str]] = {
    1: ["gammaB"],
    2: ["gammaSigma2"],
    3: ["gammaB", "gammaSigma2"],
    4: ["gammaInt"],
    5: ["gammaB", "gammaSigma2", "gammaInt"],
}


def _lag_design(market_excess: pd.Series, n_lags: int) -> pd.DataFrame:
    """[1, r_m,t, r_m,t-1, .., r_m,t-n_lags] on the market's own trading-day index."""
    lags = {f"lag{k}": market_excess.shift(k) for k in range(n_lags + 1)}
    return pd.concat({"const": pd.Series(1.0, index=market_excess.index), **lags}, axis=1)


def rolling_lagged_betas(
    daily_excess: pd.DataFrame,
    market_excess: pd.Series,
    month_ends: pd.DatetimeIndex,
    *,
    n_lags: int = 10,
    window: int = 126,
    min_obs: int | None = None,
) -> pd.DataFrame:
    """Sum-of-lags market beta over the trailing 126 days at each month end (Daniel-Moskowitz 2016, Sec. 3.1).

    r^e_i,d = a + sum_{k=0..10} beta_k r^e_m,d-k + e_d over the ``window`` trading days ending at the last
    trading day <= each month end; beta = sum_k beta_k (Dimson-style correction for stale prices). D&M's
    equation has no constant; the project includes an intercept (standard practice, so a nonzero mean
    return does not load on the lags). OLS by numpy's pseudo-inverse on all windows at once; rows with a
    missing value are dropped (zeroed out of the normal equations). WML is a zero-investment return, so
    its own return is its excess return.

    Args:
        daily_excess: daily excess returns, index trade_date, one column per portfolio (e.g. winner,
            loser, wml).
        market_excess: daily market excess return, index trade_date (lags are taken on its index).
        month_ends: dates at which to estimate (value uses data dated <= the month end only).
        min_obs: fewest complete rows in the window, default ``window``; fewer gives NaN.

    Returns:
        DataFrame index ``month_ends`` (named period_end), columns = ``daily_excess`` columns.
    """
    require_datetime_index(daily_excess, "daily_excess")
    market = require_series(market_excess, "market_excess")
    min_obs = window if min_obs is None else min_obs
    if not n_lags + 2 <= min_obs <= window:
        raise ValueError(f"min_obs must be in {n_lags + 2}..window={window}, got {min_obs}")
    design = _lag_design(market, n_lags).reindex(daily_excess.index)
    month_ends = pd.DatetimeIndex(month_ends)
    ends = daily_excess.index.searchsorted(month_ends, side="right") - 1  # last trading day <= month end
    usable = ends >= window - 1
    out = np.full((len(month_ends), daily_excess.shape[1]), np.nan)
    if usable.any():
        x_windows = sliding_window_view(design.to_numpy(), window, axis=0)  # (starts, K, window)
        x = np.swapaxes(x_windows[ends[usable] - window + 1], 1, 2)  # (M, window, K)
        for j, column in enumerate(daily_excess.columns):
            y_windows = sliding_window_view(daily_excess[column].to_numpy(dtype="float64"), window)
            y = y_windows[ends[usable] - window + 1]  # (M, window)
            complete = np.isfinite(x).all(axis=2) & np.isfinite(y)
            xz = np.where(complete[:, :, None], x, 0.0)
            yz = np.where(complete, y, 0.0)
            coef = np.einsum("mkw,mw->mk", np.linalg.pinv(xz), yz)
            beta = coef[:, 1:].sum(axis=1)
            beta[complete.sum(axis=1) < min_obs] = np.nan
            out[usable, j] = beta
    return pd.DataFrame(out, index=month_ends.rename("period_end"), columns=daily_excess.columns)


def lagged_beta(excess_ret: pd.Series, market_excess: pd.Series, n_lags: int = 10, window: int = 126) -> float:
    """Sum-of-lags beta over the last ``window`` days of ``excess_ret`` (D-M 2016, Sec. 3.1); see
    ``rolling_lagged_betas`` for the regression. NaN when the window has missing rows."""
    series = require_series(excess_ret, "excess_ret")
    if len(series) < window:
        raise ValueError(f"excess_ret has {len(series)} rows, fewer than window={window}")
    betas = rolling_lagged_betas(series.to_frame("y"), market_excess, series.index[-1:], n_lags=n_lags, window=window)
    return float(betas.iloc[0, 0])


def _fit_rows(y: pd.Series, regressors: pd.DataFrame, terms: list[str], const: str) -> dict[str, float]:
    fit = OLS(y, add_constant(regressors[terms], has_constant="add")).fit()
    row: dict[str, float] = {}
    for name, param in fit.params.items():
        term = const if name == "const" else name
        row[term] = float(param)
        row[f"{term}_t"] = float(fit.tvalues[name])
    row["adj_r2"] = float(fit.rsquared_adj)
    row["nobs"] = int(fit.nobs)
    return row


def _result_frame(rows: dict[int, dict], terms: list[str], sample: pd.DatetimeIndex) -> pd.DataFrame:
    columns = [c for term in terms for c in (term, f"{term}_t")] + ["adj_r2", "nobs"]
    frame = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=columns)
    frame["nobs"] = frame["nobs"].astype("int64")
    frame["start"] = sample.min()
    frame["end"] = sample.max()
    frame.index.name = "model"
    return frame


def crash_regressions(wml_m: pd.Series, market_excess_m: pd.Series, bear: pd.Series, up: pd.Series) -> pd.DataFrame:
    """Daniel-Moskowitz (2016) Table 3, models (1)-(4), by statsmodels OLS (classical standard errors).

    R_WML,t = (alpha0 + alphaB I_B,t-1) + [beta0 + I_B,t-1 (betaB + I_U,t betaBU)] R^e_m,t + e_t
    (D&M Eq. 3; model 1: alpha0, beta0; 2: adds alphaB, betaB; 3: adds betaBU; 4: model 3 without alphaB).

    Args:
        All four are monthly Series in HOLDING alignment on a common period_end index (``market_state``
        gives ``bear`` = I_B,t-1 and ``up`` = I_U,t at row t). Rows with any NaN are dropped.

    Returns:
        DataFrame index model (1..4), columns ``<term>`` and ``<term>_t`` for alpha0, alphaB, beta0, betaB,
        betaBU (NaN where a model lacks the term), adj_r2, nobs, start, end. Coefficients are in the units
        of the inputs (decimal per month for alphas; D&M print % per month).
    """
    data = align_columns(
        {
            "wml": require_series(wml_m, "wml_m"),
            "mkt": require_series(market_excess_m, "market_excess_m"),
            "bear": require_series(bear, "bear"),
            "up": require_series(up, "up"),
        }
    )
    regressors = pd.DataFrame(
        {
            "alphaB": data["bear"],
            "beta0": data["mkt"],
            "betaB": data["bear"] * data["mkt"],
            "betaBU": data["bear"] * data["up"] * data["mkt"],
        }
    )
    rows = {m: _fit_rows(data["wml"], regressors, terms, "alpha0") for m, terms in CRASH_MODELS.items()}
    return _result_frame(rows, CRASH_TERMS, data.index)


def mean_forecast_regressions(wml_m: pd.Series, bear: pd.Series, market_var: pd.Series) -> pd.DataFrame:
    """Daniel-Moskowitz (2016) Table 5, columns (1)-(5): predictive regressions of WML on the market state.

    R_WML,t = gamma0 + gammaB I_B,t-1 + gammaSigma2 sigma^2_m,t-1 + gammaInt I_B,t-1 sigma^2_m,t-1 + e_t
    (D&M Eq. 5; columns: (1) I_B; (2) sigma^2; (3) both; (4) interaction only, the dynamic strategy's mean
    model; (5) all three). Predictive alignment y_t on x_{t-1} comes from the inputs: pass ``bear`` and
    ``market_var`` as ``market_state`` returns them (row t holds values known at the close of t-1); this
    function does not shift. statsmodels OLS, classical standard errors.

    Returns:
        DataFrame index model (1..5), columns ``<term>``/``<term>_t`` for gamma0, gammaB, gammaSigma2,
        gammaInt, then adj_r2, nobs, start, end. Units follow the inputs (``market_var`` decimal daily
        variance makes gammaSigma2 and gammaInt large numbers; D&M use daily %^2).
    """
    data = align_columns(
        {
            "wml": require_series(wml_m, "wml_m"),
            "bear": require_series(bear, "bear"),
            "var": require_series(market_var, "market_var"),
        }
    )
    regressors = pd.DataFrame(
        {"gammaB": data["bear"], "gammaSigma2": data["var"], "gammaInt": data["bear"] * data["var"]}
    )
    rows = {m: _fit_rows(data["wml"], regressors, terms, "gamma0") for m, terms in FORECAST_MODELS.items()}
    return _result_frame(rows, FORECAST_TERMS, data.index)
