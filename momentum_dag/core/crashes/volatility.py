"""WML variance forecasts of Daniel & Moskowitz (2016, JFE 122:221-247), Appendix D (NBER WP version).

GJR-GARCH(1,1) refit on an expanding window at each month end, trailing realized volatility, and their
blend estimated by an expanding OLS on realizations already observed.

Alignment convention of this module (FORMATION alignment): row t (a month end) holds forecasts made at
the close of t for the month after t, from data dated <= t only. ``crashes_strategy.to_holding_alignment``
moves them to row t+1, the month they forecast.
"""

from __future__ import annotations

import contextlib
import threading
import warnings

import numpy as np
import pandas as pd
from arch import arch_model
from arch.univariate import base as arch_base
from joblib import Parallel, delayed, effective_n_jobs
from statsmodels.regression.rolling import RollingOLS
from threadpoolctl import ThreadpoolController

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
    codes, checked by the callers), BLAS on one thread and arch's linear constraints differentiated without
    scipy's generic machinery (``_linear_constraint_jacobians``: the same numbers, bit for bit). The
    optimizer's path amplifies the last bits of BLAS's sums, whose order depends on the number of threads:
    with OpenBLAS's default threads (in-process, multiprocess) and with one (dask's workers set
    OPENBLAS_NUM_THREADS=1) a fit on 1,500 days differed in the 7th digit, one on 252 days by 1.5e-4. One
    thread makes the estimate a function of the data alone, whichever executor runs it."""
    stack = contextlib.ExitStack()
    stack.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")
    stack.enter_context(_blas_controller().limit(limits=1, user_api="blas"))
    stack.enter_context(_linear_constraint_jacobians())
    return stack


_CONTROLLER: list[ThreadpoolController] = []


def _blas_controller() -> ThreadpoolController:
    """One ``ThreadpoolController`` per process: ``threadpool_limits`` scans the process's loaded libraries
    (reads /proc/self/maps) each time it is entered, 9 ms a fit, 12 s of the 700-month study."""
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


# SLSQP's default finite-difference step (scipy.optimize._slsqp_py._epsilon), also numdiff's fallback.
_STEP = float(np.sqrt(np.finfo(np.float64).eps))


class _ForwardSteps:
    """The forward-difference points SLSQP's numdiff takes around ``x`` for a function of ``x`` alone
    (scipy 1.17 ``_slsqp_py.cjac`` -> ``_numdiff.approx_derivative(method='2-point', abs_step=eps,
    bounds)``): steps of ``eps``, flipped or shortened at the bounds as ``_adjust_scheme_to_bounds`` does.
    Computed once per point for all of arch's constraints (they are evaluated at the same point in turn)."""

    def __init__(self, lb: np.ndarray, ub: np.ndarray):
        self.lb, self.ub = lb, ub
        self.unbounded = bool(np.all((lb == -np.inf) & (ub == np.inf)))
        self.key: bytes | None = None

    def at(self, x) -> tuple[np.ndarray, list[np.ndarray], list[float]]:
        x0 = np.asarray(x, dtype=np.float64)
        lb, ub = self.lb, self.ub
        if (x0 < lb).any() or (x0 > ub).any():  # _check_clip_x
            x0 = np.clip(x0, lb, ub)
        key = x0.tobytes()
        if key != self.key:
            sign_x0 = (x0 >= 0).astype(float) * 2 - 1
            h = np.where(((x0 + _STEP) - x0) == 0, _STEP * sign_x0 * np.maximum(1.0, np.abs(x0)), _STEP)
            if not self.unbounded:  # _numdiff._adjust_scheme_to_bounds(x0, h, 1, '1-sided', lb, ub)
                h_adjusted = h.copy()
                lower_dist, upper_dist = x0 - lb, ub - x0
                stepped = x0 + h
                violated = (stepped < lb) | (stepped > ub)
                fitting = np.abs(h) <= np.maximum(lower_dist, upper_dist)
                h_adjusted[violated & fitting] *= -1
                forward = (upper_dist >= lower_dist) & ~fitting
                h_adjusted[forward] = upper_dist[forward]
                backward = (upper_dist < lower_dist) & ~fitting
                h_adjusted[backward] = -lower_dist[backward]
                h = h_adjusted
            points, widths = [], []
            for i in range(len(x0)):
                x1 = np.copy(x0)
                x1[i] = x0[i] + h[i]
                points.append(x1)
                widths.append((x0[i] + h[i]) - x0[i])
            self.key, self.value = key, (x0, points, widths)
        return self.value


def _linear_jacobian(coeff: np.ndarray, val: float, steps: _ForwardSteps):
    """The Jacobian SLSQP computes for arch's constraint ``coeff . x - val >= 0`` when given none:
    the same forward differences at the same points (``_ForwardSteps``), so the optimizer takes the same
    path to the last bit, without scipy's per-call bookkeeping (0.4 ms a call, half of a fit's time).
    ``tests/core/crashes/test_volatility.py`` compares fits with and without it."""

    def jac(x, *args):
        x0, points, widths = steps.at(x)
        f0 = np.dot(coeff, x0) - val
        return np.array([((np.dot(coeff, x1) - val) - f0) / w for x1, w in zip(points, widths, strict=True)])

    return jac


def _bounds_arrays(bounds, n: int) -> tuple[np.ndarray, np.ndarray]:
    if not bounds:
        return np.full(n, -np.inf), np.full(n, np.inf)
    lb = np.array([-np.inf if lo is None else lo for lo, _ in bounds], dtype=float)
    ub = np.array([np.inf if hi is None else hi for _, hi in bounds], dtype=float)
    return lb, ub


_PATCH_LOCK = threading.Lock()
_PATCH_DEPTH = [0]
_ARCH_CONSTRAINT = arch_base.constraint
_ARCH_MINIMIZE = arch_base.minimize


def _constraint_with_coefficients(a: np.ndarray, b: np.ndarray) -> list[dict]:
    """arch's ``constraint(a, b)`` with each row's coefficients kept beside its function."""
    constraints = _ARCH_CONSTRAINT(a, b)
    for row, con in enumerate(constraints):
        con["_linear"] = (np.asarray(a[row]), b[row])
    return constraints


def _minimize_with_jacobians(fun, x0, *args, bounds=None, constraints=(), **kwargs):
    """``scipy.optimize.minimize`` as arch calls it, each linear constraint given its Jacobian."""
    steps = _ForwardSteps(*_bounds_arrays(bounds, len(np.atleast_1d(x0))))
    with_jac = []
    for con in constraints:
        con = dict(con)
        coeff, val = con.pop("_linear", (None, None))
        if coeff is not None and "jac" not in con:
            con["jac"] = _linear_jacobian(coeff, val, steps)
        with_jac.append(con)
    return _ARCH_MINIMIZE(fun, x0, *args, bounds=bounds, constraints=with_jac, **kwargs)


@contextlib.contextmanager
def _linear_constraint_jacobians():
    """arch's fits (``arch.univariate.base``) with ``_linear_jacobian`` for their linear constraints while
    inside (re-entrant; shared by threads: the first in installs it, the last out restores arch's own)."""
    with _PATCH_LOCK:
        if _PATCH_DEPTH[0] == 0:
            arch_base.constraint, arch_base.minimize = _constraint_with_coefficients, _minimize_with_jacobians
        _PATCH_DEPTH[0] += 1
    try:
        yield
    finally:
        with _PATCH_LOCK:
            _PATCH_DEPTH[0] -= 1
            if _PATCH_DEPTH[0] == 0:
                arch_base.constraint, arch_base.minimize = _ARCH_CONSTRAINT, _ARCH_MINIMIZE


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


PARALLEL_FROM_FITS = 24
"""``n_jobs`` applies to more fits than this; fewer (a month's run) are fitted in this process: starting
joblib's worker processes costs seconds under load, more than a few fits."""


def expanding_garch_forecasts(
    returns: pd.Series,
    end_positions: np.ndarray,
    *,
    horizon: int,
    min_obs: int,
    refit_every: int = 1,
    compute: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Mean of the 1..``horizon``-step GJR-GARCH variance forecasts made at each end position (decimal^2).

    At end position p the model is fitted by maximum likelihood on returns[:p+1] only, from arch's own
    starting values: a forecast is a function of the data up to p alone, whatever was fitted before, so a
    month computed alone equals the same month computed in a long backfill. With ``refit_every`` = k > 1
    the model is fitted at every k-th eligible end (counted from the first end with ``min_obs`` returns)
    and in between that fit's parameters are held while the variance recursion runs on the data up to p.
    Nothing after p is used. NaN until ``min_obs`` returns are available, and where ``compute`` (a boolean
    mask over ``end_positions``, default all) is False. ``returns`` must hold no NaN. ``n_jobs`` spreads
    the fits over processes (joblib; None = 1, -1 = all cores): each fit is a function of its data alone
    (one BLAS thread, ``_fitting``), so the forecasts are the same bits in any process.
    """
    if refit_every < 1:
        raise ValueError(f"refit_every must be >= 1, got {refit_every}")
    y = GARCH_SCALE * returns.to_numpy(dtype="float64")
    out = np.full(len(end_positions), np.nan)
    eligible = np.flatnonzero(np.asarray(end_positions) + 1 >= min_obs)
    wanted = np.ones(len(end_positions), bool) if compute is None else np.asarray(compute, bool)
    # (output row, end position, anchor position): the fit at the anchor forecasts from the end
    work = [
        (i, int(end_positions[i]), int(end_positions[eligible[rank - rank % refit_every]]))
        for rank, i in enumerate(eligible)
        if wanted[i]
    ]
    n_fits = len({anchor for _, _, anchor in work})
    jobs = effective_n_jobs(n_jobs) if n_fits > PARALLEL_FROM_FITS else 1
    if jobs == 1:
        chunks = [work]
    else:
        # contiguous chunks cut where the anchor changes (each fit in one chunk), about equal in fits
        anchors = np.array([anchor for _, _, anchor in work])
        starts = np.flatnonzero(np.r_[True, anchors[1:] != anchors[:-1]])
        cuts = [starts[k * len(starts) // (2 * jobs)] for k in range(1, 2 * jobs)]
        chunks = [c for c in np.split(np.arange(len(work)), cuts) if len(c)]
        chunks = [[work[j] for j in c] for c in chunks]
    if jobs == 1:
        results = [_forecast_chunk(y, chunk, horizon) for chunk in chunks]
    else:
        results = Parallel(n_jobs=jobs)(delayed(_forecast_chunk)(y, chunk, horizon) for chunk in chunks)
    for chunk, forecasts in zip(chunks, results, strict=True):
        for (i, _, _), forecast in zip(chunk, forecasts, strict=True):
            out[i] = forecast
    return out


def _forecast_chunk(y: np.ndarray, work: list[tuple[int, int, int]], horizon: int) -> list[float]:
    """The forecasts of ``expanding_garch_forecasts`` for ``work`` (output row, end, anchor), in order."""
    fits: dict[int, pd.Series] = {}  # anchor position -> fitted parameters
    out = []
    for _, pos, anchor in work:
        if anchor not in fits:
            fits[anchor] = fit_gjr_garch(y[: anchor + 1])
        with _fitting():
            result = _gjr_garch(y[: pos + 1]).fix(fits[anchor])
            forecast = result.forecast(horizon=horizon, reindex=False).variance.to_numpy()[-1]
        out.append(float(forecast.mean() / GARCH_SCALE**2))
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
    n_jobs: int | None = None,
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
        n_jobs: processes for the GARCH fits (``expanding_garch_forecasts``); changes no result.

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
            n_jobs=n_jobs,
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
    n_jobs: int | None = None,
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
        n_jobs: processes for the GARCH fits (``expanding_garch_forecasts``); changes no result.

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
    garch_var = expanding_garch_forecasts(
        returns, positions, horizon=1, min_obs=min_obs, refit_every=refit_every, n_jobs=n_jobs
    )
    rv_var = returns.rolling(rv_window, min_periods=rv_window).var(ddof=1).to_numpy()
    realized = np.abs(returns.shift(-1).to_numpy()) * np.sqrt(np.pi / 2.0)
    known_by = positions + 1
    blend_vol = expanding_vol_blend(np.sqrt(garch_var), np.sqrt(rv_var), realized, known_by, min_pairs=min_blend_pairs)
    frame = _assemble(garch_var, rv_var, blend_vol, returns.index)
    return frame.reindex(series.index)
