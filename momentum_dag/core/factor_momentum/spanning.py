"""Spanning regressions, the GRS test, conditional correlations and split-sample summaries.

Tools for Ehsani & Linnainmaa (2022, JF 77(3)) Tables IV-VIII: does one return series (UMD, TSMom, PC
momentum) earn alpha against others; can a factor model price a set of test assets; how momentum co-moves
with each factor given that factor's prior-year return.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from momentum_dag.core.factor_momentum.signals import prior_year_return
from momentum_dag.core.validate import float_panel, require_series


def spanning_regression(y: pd.Series, X: pd.DataFrame, *, hac_lags: int | None = None) -> dict:
    """Time-series spanning regression y_t = alpha + X_t' beta + e_t (E-L 2022, Tables V-VII).

    statsmodels OLS on the dates where y and every column of X are present; classical standard errors, or
    Newey-West (``cov_type='HAC'``) with ``hac_lags``.

    Returns:
        dict with ``alpha``, ``t_alpha``, ``p_alpha``, ``betas`` and ``t_betas`` (dicts keyed by X column),
        ``adj_r2``, ``n``.
    """
    target = require_series(y, "y")
    regressors = float_panel(X, "X")
    if regressors.shape[1] == 0:
        raise ValueError("X has no columns")
    data = pd.concat([target.rename("__y__"), regressors], axis=1, join="inner").dropna()
    if len(data) <= regressors.shape[1] + 1:
        raise ValueError(f"only {len(data)} complete rows for {regressors.shape[1]} regressors + intercept")
    design = add_constant(data[regressors.columns], has_constant="add")
    model = OLS(data["__y__"], design)
    fit = model.fit() if hac_lags is None else model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags})
    return {
        "alpha": float(fit.params["const"]),
        "t_alpha": float(fit.tvalues["const"]),
        "p_alpha": float(fit.pvalues["const"]),
        "betas": {c: float(fit.params[c]) for c in regressors.columns},
        "t_betas": {c: float(fit.tvalues[c]) for c in regressors.columns},
        "adj_r2": float(fit.rsquared_adj),
        "n": int(fit.nobs),
    }


def grs_test(test_asset_excess: pd.DataFrame, factors: pd.DataFrame) -> dict:
    """Gibbons, Ross & Shanken (1989, Econometrica 57(5)) test that all N intercepts are zero.

    Exact finite-sample form (GRS eq. 6; as in the R package ``GRS.test``):
        GRS = (T/N) * ((T-N-K)/(T-K-1)) * [alpha' Sigma^-1 alpha / (1 + mu' Omega^-1 mu)] ~ F(N, T-N-K)
    alpha: OLS intercepts of each asset on [1, factors]; Sigma = E'E / (T-K-1), the residual covariance;
    mu = factor means; Omega = factor covariance with divisor T-1. Equivalent to Cochrane (2005, eq. 12.6)
    with ML residual covariance in the numerator. Hand-written: statsmodels has no GRS, and linearmodels'
    ``TradedFactorModel`` reports the asymptotic chi2 J-statistic instead. Uses dates where every asset and
    factor is present.

    Returns:
        dict with ``grs``, ``p_value``, ``mean_abs_alpha``, ``alphas`` (Series by asset), ``t``, ``n``, ``k``.
    """
    assets = float_panel(test_asset_excess, "test_asset_excess")
    f = float_panel(factors, "factors")
    data = pd.concat([assets, f], axis=1, join="inner", keys=["a", "f"]).dropna()
    t, n, k = len(data), assets.shape[1], f.shape[1]
    if n < 1 or k < 1:
        raise ValueError("need at least one test asset and one factor")
    if t - n - k < 1:
        raise ValueError(f"GRS needs T > N + K: T={t} complete rows, N={n} assets, K={k} factors")
    y, x = data["a"].to_numpy(), data["f"].to_numpy()
    design = np.column_stack([np.ones(t), x])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    alpha = coef[0]
    resid = y - design @ coef
    sigma = resid.T @ resid / (t - k - 1)
    mu = x.mean(axis=0)
    omega = np.atleast_2d(np.cov(x, rowvar=False, ddof=1))
    quad_alpha = float(alpha @ np.linalg.solve(sigma, alpha))
    quad_mu = float(mu @ np.linalg.solve(omega, mu))
    grs = (t / n) * ((t - n - k) / (t - k - 1)) * quad_alpha / (1.0 + quad_mu)
    return {
        "grs": grs,
        "p_value": float(stats.f.sf(grs, n, t - n - k)),
        "mean_abs_alpha": float(np.abs(alpha).mean()),
        "alphas": pd.Series(alpha, index=assets.columns, name="alpha"),
        "t": t,
        "n": n,
        "k": k,
    }


def conditional_correlations(
    momentum_factor: pd.Series, factor_returns: pd.DataFrame, *, lookback: int = 12
) -> pd.DataFrame:
    """Correlation of the momentum factor with each factor, given the factor's prior-year return sign.

    E-L (2022) Table VIII: corr(UMD_t, r_{f,t}) over all months, over months with sum r_{f,t-12..t-1} > 0
    (after up years) and with it <= 0 (after down years); Pearson, on months where both returns and the full
    prior year are present.

    Returns:
        index = factor, columns ``corr_all, corr_after_up, corr_after_down, n_all, n_up, n_down``.
    """
    umd = require_series(momentum_factor, "momentum_factor")
    returns = float_panel(factor_returns, "factor_returns")
    prior = prior_year_return(returns, lookback=lookback)
    umd = umd.reindex(returns.index)
    rows = {}
    for f in returns.columns:
        ok = returns[f].notna() & umd.notna() & prior[f].notna()
        up = ok & (prior[f] > 0)
        down = ok & (prior[f] <= 0)
        rows[f] = {
            "corr_all": _corr(umd[ok], returns[f][ok]),
            "corr_after_up": _corr(umd[up], returns[f][up]),
            "corr_after_down": _corr(umd[down], returns[f][down]),
            "n_all": int(ok.sum()),
            "n_up": int(up.sum()),
            "n_down": int(down.sum()),
        }
    return pd.DataFrame(rows).T.astype({"n_all": int, "n_up": int, "n_down": int})


def _corr(a: pd.Series, b: pd.Series) -> float:
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a.to_numpy(), b.to_numpy())[0, 1])


def summarize_by_half(returns: pd.Series | pd.DataFrame, *, periods_per_year: int = 12) -> pd.DataFrame:
    """Mean, t-statistic and annualized Sharpe ratio over the full sample and its first and second halves.

    E-L (2022) Table IV panels B-C split the sample at its midpoint. Each series is split on its own
    non-missing observations: the first half is the first ceil(n/2). t = mean / (std / sqrt(n)) and Sharpe =
    mean / std * sqrt(periods_per_year), std with ddof=1.

    Returns:
        index (series, sample in ``full, first_half, second_half``), columns
        ``mean, t_stat, sharpe, n, start, end``.
    """
    frame = returns.to_frame() if isinstance(returns, pd.Series) else returns
    frame = float_panel(frame, "returns")
    if periods_per_year < 1:
        raise ValueError(f"periods_per_year must be >= 1, got {periods_per_year}")
    rows = {}
    for name in frame.columns:
        values = frame[name].dropna()
        cut = (len(values) + 1) // 2
        for label, part in (("full", values), ("first_half", values.iloc[:cut]), ("second_half", values.iloc[cut:])):
            rows[(name, label)] = _moments(part, periods_per_year)
    index = pd.MultiIndex.from_tuples(list(rows), names=["series", "sample"])
    return pd.DataFrame(list(rows.values()), index=index, columns=_MOMENT_COLUMNS)


_MOMENT_COLUMNS = ["mean", "t_stat", "sharpe", "n", "start", "end"]


def _moments(values: pd.Series, periods_per_year: int) -> dict:
    n = len(values)
    mean = float(values.mean()) if n else np.nan
    std = float(values.std(ddof=1)) if n > 1 else np.nan
    ok = n > 1 and std > 0
    return {
        "mean": mean,
        "t_stat": mean / (std / np.sqrt(n)) if ok else np.nan,
        "sharpe": mean / std * np.sqrt(periods_per_year) if ok else np.nan,
        "n": n,
        "start": values.index[0] if n else pd.NaT,
        "end": values.index[-1] if n else pd.NaT,
    }
