"""Cross-industry lead-lag momentum (sell-side industry momentum, family 4): ``momentum_cross_industry_lasso``.

Monthly only: it works on monthly industry returns (period_end x industry) and returns a
period_end x industry panel of predicted next-month excess returns.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
import sklearn
from joblib import Parallel, delayed
from scipy import linalg
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoLarsIC, LinearRegression, lars_path

from momentum_dag.core.industry.common import (
    check_positive_int,
    period_positions,
    wide,
)
from momentum_dag.core.validate import require_wide_panel


def excess_over_ew_mean(returns: np.ndarray) -> np.ndarray:
    """Each industry's return minus the equal-weighted mean of the industries present that month."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN months stay NaN
        return returns - np.nanmean(returns, axis=1, keepdims=True)


PARALLEL_FROM_MONTHS = 6
"""``n_jobs`` applies to more formation months than this; fewer (a month's run) are fitted in this process."""


def lasso_aic_prediction(x: np.ndarray, y: np.ndarray, x_now: np.ndarray) -> float:
    """Fit ``LassoLarsIC(criterion='aic')`` on (x, y) and predict at ``x_now``.

    AIC needs a noise variance; sklearn estimates it by OLS only when n_samples > n_features + 1. With
    fewer samples (e.g. 10 months vs 31 industries) the intercept-only residual variance var(y) is passed
    instead: an upper bound on the noise, so AIC errs towards sparser models.

    The same arithmetic as ``LassoLarsIC(criterion='aic', noise_variance=...).fit(x, y).predict(x_now)``,
    step by step, without the estimator's per-call checks (validation, finiteness, the OLS estimator object),
    which were a third of each fit's time (~5,000 fits in a 13-year backfill): centre x and y, the Lasso path
    by LARS (Efron, Hastie, Johnstone & Tibshirani 2004, ``sklearn.linear_model.lars_path`` with the
    estimator's own settings), AIC = n log(2 pi s^2) + RSS / s^2 + 2 df along the path with df = the number of
    non-zero coefficients (Zou, Hastie & Tibshirani 2007), s^2 from the OLS residuals (``scipy.linalg.lstsq``
    with LinearRegression's cutoff) unless given; the path point of least AIC predicts. Call it inside
    :func:`fitting` (the checks off). The test compares it with LassoLarsIC to the bit.
    """
    noise = None if len(y) > x.shape[1] + 1 else float(np.var(y, ddof=1))
    x = np.array(x, dtype=np.float64, copy=True)
    y = np.array(y, dtype=np.float64, copy=True)
    x_offset = np.asarray(np.average(x, axis=0))  # as sklearn's _preprocess_data centres
    x -= x_offset
    y_offset = np.asarray(np.average(y, axis=0))
    y -= y_offset
    _, _, path, _ = lars_path(
        x,
        y,
        Gram=_LASSO.precompute,
        copy_X=_LASSO.copy_X,
        copy_Gram=True,
        alpha_min=0.0,
        method="lasso",
        verbose=_LASSO.verbose,
        max_iter=_LASSO.max_iter,
        eps=_LASSO.eps,
        return_n_iter=True,
        positive=_LASSO.positive,
    )
    rss = np.sum((y[:, np.newaxis] - np.dot(x, path)) ** 2, axis=0)
    dof = np.zeros(path.shape[1], dtype=int)
    for k, coef in enumerate(path.T):
        mask = np.abs(coef) > np.finfo(coef.dtype).eps
        if np.any(mask):
            dof[k] = np.sum(mask)
    if noise is None:  # LassoLarsIC._estimate_noise_variance: OLS without intercept on the centred data
        beta = np.ravel(linalg.lstsq(np.array(x, copy=True), np.array(y, copy=True), cond=_OLS_TOL)[0].T)
        noise = np.sum((y - (x @ beta + 0.0)) ** 2) / (x.shape[0] - x.shape[1] - 1)
    criterion = len(y) * np.log(2 * np.pi * noise) + rss / noise + 2 * dof
    coef = path[:, np.argmin(criterion)]
    intercept = y_offset - x_offset @ coef
    return float((x_now[None, :] @ coef + intercept)[0])


_LASSO = LassoLarsIC(criterion="aic")
"""The estimator whose settings :func:`lasso_aic_prediction` uses (sklearn's defaults)."""
_OLS_TOL = LinearRegression().tol


@contextmanager
def fitting():
    """sklearn's per-call argument and finiteness checks off (the inputs are checked once, finite by
    construction) and LARS's convergence warnings silenced, for a batch of :func:`lasso_aic_prediction`."""
    with (
        sklearn.config_context(assume_finite=True, skip_parameter_validation=True),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def momentum_cross_industry_lasso(
    industry_ret_monthly: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    train_months: int = 36,
    min_samples: int = 10,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """Lasso lead-lag forecast of each industry's next-month excess return (``momentum_cross_industry_lasso``).

    Orient Securities 2022-12-01, 量化策略研究之六：行业动量的刻画: e_s = industry
    returns of month s minus their equal-weighted mean. For industry i, training pairs are
    (X = e_{s-1} of all industries, y = e_{i,s}) for the last ``train_months`` months s <= t (fully observed
    at t); per industry ``LassoLarsIC(criterion='aic')``; factor at t = prediction of e_{i,t+1} from e_t.
    Features are the industries observed in every training month and at t (a reclassification drops
    an industry from X rather than the whole model). With fewer than ``min_samples`` pairs the factor
    falls back to the mean of y over the available pairs (the industry's historical mean excess return).
    Warm-up: 2 months for the fallback, min_samples + 1 months for the Lasso. ``n_jobs`` spreads the
    formation months over processes (joblib; None = 1, -1 = all cores): ~5,000 fits for 13 years.
    """
    require_wide_panel(industry_ret_monthly, "industry_ret_monthly")
    check_positive_int("train_months", train_months, minimum=2)
    check_positive_int("min_samples", min_samples, minimum=2)
    pos = period_positions(industry_ret_monthly.index, period_ends)
    excess = excess_over_ew_mean(industry_ret_monthly.to_numpy(dtype=float))
    # Rolling training sets: one fit per formation month and industry; months are independent.
    tasks = (delayed(_predict_month)(excess, p, train_months, min_samples) for p in pos)
    # starting joblib's worker processes costs seconds, more than a few months' fits
    rows = Parallel(n_jobs=n_jobs if len(pos) > PARALLEL_FROM_MONTHS else 1)(tasks)
    out = np.vstack(rows) if rows else np.empty((0, excess.shape[1]))
    return wide(out, period_ends, industry_ret_monthly.columns)


def _predict_month(excess: np.ndarray, p: int, train_months: int, min_samples: int) -> np.ndarray:
    """Every industry's forecast at formation month position ``p`` (see momentum_cross_industry_lasso)."""
    out = np.full(excess.shape[1], np.nan)
    months = np.arange(max(1, p - train_months + 1), p + 1)
    if len(months) == 0:
        return out
    x_all, y_all, x_now = excess[months - 1], excess[months], excess[p]
    features = ~np.isnan(x_all).any(axis=0) & ~np.isnan(x_now)
    with fitting():
        for i in np.flatnonzero(~np.isnan(x_now)):
            rows = ~np.isnan(y_all[:, i])
            if rows.sum() >= min_samples and features.any():
                out[i] = lasso_aic_prediction(x_all[rows][:, features], y_all[rows, i], x_now[features])
            elif rows.any():
                out[i] = y_all[rows, i].mean()
    return out
