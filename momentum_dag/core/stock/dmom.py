"""Directional momentum (D-MOM): a pooled linear probability model of the sign of next month's return.

Del Viva, Sala & Souza (2024), "Directional Information in Equity Returns" (SSRN 4575793), eq. for
r^+_{i,t} = 1[r_{i,t} > 0] on lagged durations, market return and idiosyncratic variance; replication
code andrebmsouza/dier-replication (``Aggregate_Data.do``, ``Create_ProbScore_OOS_Parallelized.R``).
Western Securities (2025-09-15) 因子手工作坊系列(3) "动量因子改进之方向动量": same model, plus the enhanced
variant with the stock's own lagged return. The choices the paper leaves open are listed below.

Timing in our convention: regressors at period_end t (the close of month t) predict
PRet_{t+1} = 1[r_{t+1} > 0]; the replication's "t-1" is our t.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from momentum_dag.core.frames import compound_by_period, period_keys
from momentum_dag.core.stock.durations import DEFAULT_CAP, run_lengths_at
from momentum_dag.core.stock.momentum import require_monthly_panel
from momentum_dag.core.validate import require_wide_panel


@dataclass(frozen=True)
class DmomParams:
    """How the pooled LPM is re-estimated each month (Del Viva, Sala & Souza 2024, Sec. 3; the ``dmom_*``
    settings, ``MOMENTUM_DMOM_<NAME>``)."""

    scheme: str = field(default="expanding", metadata={"doc": "'expanding' (the paper's) or 'rolling' window"})
    min_months: int = field(default=60, metadata={"doc": "Months of training data before the first forecast"})
    rolling_window: int = field(default=60, metadata={"doc": "Months of the rolling window (scheme 'rolling')"})


DURATION_COLUMNS = ["MP", "WP", "DP", "MN", "WN", "DN"]
REGRESSOR_COLUMNS = [*DURATION_COLUMNS, "IVL", "lag_market", "lag_ret"]
# Term order of the replication's lm(PRet ~ MN + WN + DN + MP + WP + DP + lag_market + IVL).
LPM_TERMS = ["const", "MN", "WN", "DN", "MP", "WP", "DP", "lag_market", "IVL"]
ENHANCED_TERM = "lag_ret"


def idiosyncratic_variance(
    daily_excess_ret: pd.DataFrame, daily_market_excess: pd.Series, *, min_days: int = 10
) -> pd.DataFrame:
    """Within-month CAPM residual variance per stock: IV^2 = mean of squared daily residuals.

    Del Viva, Sala & Souza (2024) regressor V_{i,t-1} (replication: ``IVL = l1.IV^2`` with
    IV = sqrt(mean(CAPM_Residuals^2)) from ``Preparing_Daily_Variables.do``). For each stock and calendar
    month, OLS of the daily excess return on the daily market excess return over the days where both are
    present (a suspended day has no return, so these are the days the stock traded); the residual variance
    divides by n (mean of squares), as the replication does.

    Replication quirk NOT copied: its residual is ``xret - alpha - beta * av_mktrf`` with the MONTHLY
    AVERAGE market, which equals xret - mean(xret), i.e. total (not idiosyncratic) variance. We use the
    daily market return: e_d = y_d - alpha - beta * x_d.

    ``daily_excess_ret``: wide daily panel (trade dates x stock_id). ``daily_market_excess``: Series indexed
    by trade date. Returns a wide monthly panel indexed by each month's last trading day (``date``), same
    columns. NaN where a stock has fewer than ``min_days`` valid days in the month (default 10, our choice; the
    replication's 15-day rule is commented out) or the market does not vary.
    Hand-written grouped OLS: no library fits one regression per (stock, month) vectorized.
    """
    require_wide_panel(daily_excess_ret, "daily_excess_ret")
    if not isinstance(daily_market_excess, pd.Series):
        raise ValueError("daily_market_excess must be a pandas Series indexed by trade date")
    if min_days < 3:
        raise ValueError(f"min_days must be >= 3 (a residual needs 3 points), got {min_days}")
    if len(daily_excess_ret) == 0:
        raise ValueError("daily_excess_ret is empty")
    y = daily_excess_ret.to_numpy(dtype=np.float64)
    market = daily_market_excess.reindex(daily_excess_ret.index).to_numpy(dtype=np.float64)
    x = np.broadcast_to(market[:, None], y.shape)
    mask = np.isfinite(y) & np.isfinite(x)
    keys = period_keys(daily_excess_ret.index, "M")
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])

    def month_sum(a: np.ndarray) -> np.ndarray:  # contiguous month blocks: reduceat is one pass
        return np.add.reduceat(np.where(mask, a, 0.0), starts, axis=0)

    n = np.add.reduceat(mask.astype(np.int64), starts, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_x, mean_y = month_sum(x) / n, month_sum(y) / n
        # Two-pass (centered) moments: stable for small daily returns.
        dx = x - np.repeat(mean_x, sizes, axis=0)
        dy = y - np.repeat(mean_y, sizes, axis=0)
        sxx, sxy, syy = month_sum(dx * dx), month_sum(dx * dy), month_sum(dy * dy)
        beta = sxy / sxx
        ivar = np.clip(syy - beta * sxy, 0.0, None) / n
    varies = sxx > 1e-12 * month_sum(x * x)
    ivar = np.where((n >= min_days) & varies, ivar, np.nan)
    index = pd.DatetimeIndex(daily_excess_ret.index[starts + sizes - 1], name="date")
    return pd.DataFrame(ivar, index=index, columns=daily_excess_ret.columns)


def dmom_regressors(
    daily_ret: pd.DataFrame,
    weekly_ret: pd.DataFrame,
    monthly_ret: pd.DataFrame,
    idio_var: pd.DataFrame,
    market_excess_monthly: pd.Series,
    *,
    cap: int = DEFAULT_CAP,
    calendar: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """D-MOM regressors at each month end t: durations, IVL, lag_market, lag_ret (long rows).

    Del Viva, Sala & Souza (2024) regressors P^{m,w,d}_{t-1}, N^{m,w,d}_{t-1}, V_{t-1}, r_{m,t-1} (our t);
    Western Securities (2025) enhanced model adds r_{i,t-1} (``lag_ret``). Replication ``Aggregate_Data.do``.

    Inputs (wide panels, columns = stock_id; the columns of ``monthly_ret`` define the universe):
      - ``daily_ret``: trade dates x stocks, simple returns;
      - ``weekly_ret``: one row per Monday-start week (``compound_by_period(daily, "W")``), indexed by any
        day of that week (its last trading day, say); the week counts at t once its last trading day on
        the market calendar is <= t (:func:`week_dates`);
      - ``monthly_ret``: one row per consecutive month, indexed by period_end (last trading day);
      - ``idio_var``: output of :func:`idiosyncratic_variance` (monthly), aligned by calendar month;
      - ``market_excess_monthly``: Series of the month's market excess return, aligned by calendar month.

    Durations (capped at ``cap`` = 12; a zero return breaks a run, a missing one (no trade) is skipped, see
    :func:`run_durations`):
      - MP/MN: monthly run ending with month t, counted across month boundaries;
      - WP/WN: run ending with the last week whose last trading day is <= t and in month t. The
        replication (``Preparing_Weekly_Variables.do``) assigns a week to the month of its last trading
        day, so a month ending on the Thursday before a holiday (30 September before National Day) counts
        that week at t. ``calendar`` (trading days known in advance, e.g. the exchange's holiday calendar)
        says whether the days of t's week that fall in the next month trade; ``None`` takes every weekday
        as a trading day (the week then counts at the next month end). The calendar, not the data loaded,
        decides, so a one-month run and a backfill agree;
      - DP/DN: run ending with the last trading day <= t in month t (days before it in the run may be in
        earlier months).
    A duration is NaN when month t has no day / week row in the panel (data not covering t).

    Returns a long DataFrame with columns ``period_end, entity_id, MP, WP, DP, MN, WN, DN, IVL, lag_market,
    lag_ret``, one row per (t, stock) with a non-missing month-t return, sorted by period_end, entity_id.
    Other columns may be NaN (e.g. IVL with too few days); :func:`fit_dmom` trains on and :func:`score_dmom`
    scores no such row.
    These regressors at t predict PRet_{t+1} = 1[r_{t+1} > 0].
    """
    require_monthly_panel(monthly_ret, "monthly_ret")
    require_wide_panel(daily_ret, "daily_ret")
    require_wide_panel(weekly_ret, "weekly_ret")
    if not isinstance(market_excess_monthly, pd.Series) or not isinstance(idio_var, pd.DataFrame):
        raise ValueError("market_excess_monthly must be a Series and idio_var a wide DataFrame")
    months, stocks = monthly_ret.index, monthly_ret.columns
    month_values = monthly_ret.to_numpy(dtype=np.float64)
    columns: dict[str, np.ndarray] = {}
    columns["MP"], columns["MN"] = run_lengths_at(month_values, np.arange(len(months)), cap=cap)
    weeks = pd.DatetimeIndex(period_keys(weekly_ret.index, "W"))
    by_last_day = weekly_ret.set_axis(week_dates(weeks, months, calendar), axis=0)
    for prefix, panel in (("W", by_last_day), ("D", daily_ret)):
        positive, negative = _runs_at_month_ends(panel.reindex(columns=stocks), months, cap)
        columns[f"{prefix}P"], columns[f"{prefix}N"] = positive, negative
    columns["IVL"] = _align_by_month(idio_var, months, "idio_var").reindex(columns=stocks).to_numpy(np.float64)
    market = _align_by_month(market_excess_monthly, months, "market_excess_monthly").to_numpy(np.float64)
    columns["lag_market"] = np.broadcast_to(market[:, None], month_values.shape)
    columns["lag_ret"] = month_values

    t_idx, s_idx = np.nonzero(np.isfinite(month_values))
    out = pd.DataFrame({"period_end": months[t_idx], "entity_id": stocks.astype(str)[s_idx]})
    for name in REGRESSOR_COLUMNS:
        out[name] = np.asarray(columns[name], dtype=np.float64)[t_idx, s_idx]
    return out.sort_values(["period_end", "entity_id"], ignore_index=True)


def week_dates(
    weeks: pd.DatetimeIndex, month_ends: pd.DatetimeIndex, calendar: pd.DatetimeIndex | None
) -> pd.DatetimeIndex:
    """The date each Monday-start week counts from: its Friday, or the month end t inside it when the
    week's last trading day is t (no day of the week after t trades).

    Del Viva, Sala & Souza (2024) replication (``Preparing_Weekly_Variables.do``): a week belongs to the
    month of its last trading day. The days of t's week after t lie in the next month (t is its month's
    last trading day); whether they trade is read from ``calendar`` (None: every weekday trades).
    """
    dates = weeks + pd.Timedelta(days=4)
    if len(month_ends) == 0:
        return pd.DatetimeIndex(dates)
    ends = pd.DatetimeIndex(month_ends)
    mondays = ends.normalize() - pd.to_timedelta(ends.dayofweek, unit="D")
    known = None if calendar is None else pd.DatetimeIndex(calendar).normalize()
    complete = {}
    for t, monday in zip(ends, mondays, strict=True):
        after = pd.date_range(t.normalize() + pd.Timedelta(days=1), monday + pd.Timedelta(days=6), freq="D")
        after = after[after.to_period("M") > t.to_period("M")]
        trades = after[after.dayofweek < 5] if known is None else after[after.isin(known)]
        if len(trades) == 0:
            complete[monday] = t
    mapped = pd.Series(weeks).map(complete)
    return pd.DatetimeIndex(mapped.where(mapped.notna(), pd.Series(dates)))


def dmom_features(
    daily_ret: pd.DataFrame,
    daily_excess_ret: pd.DataFrame,
    daily_market_excess: pd.Series,
    monthly_ret: pd.DataFrame,
    market_excess_monthly: pd.Series,
    *,
    cap: int = DEFAULT_CAP,
    calendar: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """The D-MOM regressors of every month end in ``monthly_ret`` from the daily panels: weekly returns
    compounded from the daily ones, idiosyncratic variance (:func:`idiosyncratic_variance`), then
    :func:`dmom_regressors`. A month's rows depend only on the ``cap`` months, weeks and days before its
    end (``calendar``: see :func:`dmom_regressors`)."""
    weekly = compound_by_period(daily_ret, "W")
    idio = idiosyncratic_variance(daily_excess_ret, daily_market_excess)
    return dmom_regressors(daily_ret, weekly, monthly_ret, idio, market_excess_monthly, cap=cap, calendar=calendar)


COEFFICIENT_COLUMNS = ["term", "coef", "t_stat", "n_obs", "r2"]


def lpm_from_moments(moments: np.ndarray, terms: list[str]) -> pd.DataFrame | None:
    """One LPM fit from its moment matrix ``[X y]'[X y]`` (``X``'s first column the constant): a row per
    term with ``term, coef, t_stat, n_obs, r2`` (classical iid t-stats, as R's ``lm()``), or None when the
    fit is not identified (fewer observations than terms, collinear regressors). The one solver of
    :func:`fit_lpm` and of every monthly refit of :func:`fit_dmom`."""
    fit = _ols_from_moments(moments)
    if fit is None:
        return None
    coef, t_stat, n_obs, r2 = fit
    return pd.DataFrame({"term": terms, "coef": coef, "t_stat": t_stat, "n_obs": int(n_obs), "r2": r2})


def fit_lpm(X: pd.DataFrame, y: pd.Series | np.ndarray) -> pd.DataFrame:
    """Linear probability model by OLS with an intercept on one sample: coefficients, iid t-stats, n_obs, R^2.

    Del Viva, Sala & Souza (2024) LPM, fitted like the replication's R ``lm()`` (classical standard errors).
    ``X``: regressors (rows = observations, columns = terms, no constant); ``y``: 0/1 outcomes. Returns a
    DataFrame with columns ``term, coef, t_stat, n_obs, r2`` (first term ``const``), from
    :func:`lpm_from_moments`, the solver :func:`fit_dmom` applies to each month's accumulated moments.
    """
    if not isinstance(X, pd.DataFrame):
        raise ValueError("X must be a DataFrame of regressors")
    y_arr = np.asarray(y, dtype=np.float64)
    if y_arr.shape != (len(X),):
        raise ValueError(f"y must have one value per row of X ({len(X)}), got shape {y_arr.shape}")
    Z = np.column_stack([np.ones(len(X)), X.to_numpy(dtype=np.float64), y_arr])
    if not np.isfinite(Z).all():
        raise ValueError("X and y must be finite (drop missing rows first)")
    fit = lpm_from_moments(Z.T @ Z, ["const", *map(str, X.columns)])
    if fit is None:
        raise ValueError("LPM is not identified: fewer observations than terms or collinear regressors")
    return fit


@dataclass(frozen=True)
class DmomFit:
    """The monthly LPM refits of :func:`fit_dmom` and what :func:`score_dmom` needs to score with them:
    ``coefficients`` (``period_end, term, coef, t_stat, n_obs, r2``, one row per term per fitted month),
    the regressor ``rows``, their design matrix ``X`` (constant first) and whether each row may be scored
    (``usable``: its 12 monthly returns present and its regressors finite)."""

    coefficients: pd.DataFrame
    terms: list[str]
    rows: pd.DataFrame
    X: np.ndarray
    usable: np.ndarray


def fit_dmom(
    regressors: pd.DataFrame,
    monthly_ret: pd.DataFrame,
    *,
    scheme: str = "expanding",
    window: int = 60,
    min_months: int = 60,
    enhanced: bool = False,
    min_obs_per_stock: int = 24,
    fit_from: pd.Timestamp | None = None,
) -> DmomFit:
    """The D-MOM pooled LPM refitted every month, on past data only (score with :func:`score_dmom`).

    Del Viva, Sala & Souza (2024) eq. r^+_{i,t} = d0 + d1 V_{i,t-1} + d2 r_{m,t-1} + sum b^+ P + sum b^- N
    (replication ``Create_ProbScore_OOS_Parallelized.R``: pooled ``lm`` over all stocks and months, expanding
    window, first forecast at month 61). ``enhanced=True`` adds the stock's own month-t return (Western
    Securities 2025, enhanced D-MOM).

    ``regressors``: output of :func:`dmom_regressors`. ``monthly_ret``: the same wide monthly return panel
    (consecutive period_ends x stock_id); the outcome of a regressor row at t is the stock's return in the
    NEXT row (t+1): PRet = 1[r_{t+1} > 0], zero counts as not positive.

    At each month t the model is fitted on every pair (regressors at s, outcome at s+1) with s+1 <= t
    (``scheme="expanding"``) or with s+1 in the last ``window`` months up to t (``"rolling"``, our choice for
    A-shares) that passes the estimation filters:
      - |r_{s+1}| > 0 and present (zero returns are never training outcomes, but are forecast);
      - the stock has more than ``min_obs_per_stock`` monthly returns up to t (our choice): counted at the
        forecast date t, not over the whole sample (the replication's ``_N`` is look-ahead). Once a stock
        qualifies, all its realised pairs enter, as with the replication's firm-level filter;
      - MN != MP, WN != WP, DN != DP at s (the last month, week and day returns are non-zero);
      - the 12 monthly returns s-11..s are present (replication ``drop if missing(MND12)``).
    A month gets a fit only when the training set spans at least ``min_months`` distinct outcome months;
    months whose training design is rank-deficient are skipped. ``fit_from``: months before it get no fit (a
    run that keeps only its own months need not solve the earlier ones; the moments, and so the fits it
    does solve, are those of the whole history either way).
    Hand-written incremental normal equations (statsmodels has no incremental OLS): per-month X'X, X'y, y'y
    are accumulated with entry/exit bookkeeping, so each refit costs O(k^3), not O(rows).
    """
    if scheme not in ("expanding", "rolling"):
        raise ValueError(f"scheme must be 'expanding' or 'rolling', got {scheme!r}")
    if window < 1 or min_months < 1 or min_obs_per_stock < 0:
        raise ValueError("window and min_months must be >= 1 and min_obs_per_stock >= 0")
    if scheme == "rolling" and min_months > window:
        raise ValueError(f"rolling scheme: min_months ({min_months}) cannot exceed window ({window})")
    require_monthly_panel(monthly_ret, "monthly_ret")
    terms = LPM_TERMS + ([ENHANCED_TERM] if enhanced else [])
    features = terms[1:]
    rows = _validate_regressors(regressors, features)
    months = monthly_ret.index
    n_months = len(months)
    t_pos = months.get_indexer(pd.DatetimeIndex(rows["period_end"]))
    if (t_pos < 0).any():
        bad = rows["period_end"].iloc[np.flatnonzero(t_pos < 0)[0]]
        raise ValueError(f"regressors period_end {bad} is not a row of monthly_ret")
    s_pos = pd.Index(monthly_ret.columns.astype(str)).get_indexer(rows["entity_id"].astype(str))
    if (s_pos < 0).any():
        bad = rows["entity_id"].iloc[np.flatnonzero(s_pos < 0)[0]]
        raise ValueError(f"regressors entity_id {bad!r} is not a column of monthly_ret")

    ret = monthly_ret.to_numpy(dtype=np.float64)
    present = np.isfinite(ret)
    n_obs = present.cumsum(axis=0)
    has_12m = (n_obs - np.vstack([np.zeros((12, ret.shape[1]), int), n_obs[:-12]])[:n_months]) == 12
    eligible = n_obs > min_obs_per_stock
    # First month at which each stock has > min_obs_per_stock returns (n_months = never).
    first_eligible = np.where(eligible.any(axis=0), eligible.argmax(axis=0), n_months)

    X = np.column_stack([np.ones(len(rows)), rows[features].to_numpy(dtype=np.float64)])
    usable = np.isfinite(X).all(axis=1) & has_12m[t_pos, s_pos]
    out_pos = t_pos + 1
    y_raw = np.full(len(rows), np.nan)
    has_next = out_pos < n_months
    y_raw[has_next] = ret[out_pos[has_next], s_pos[has_next]]
    d = {c: rows[c].to_numpy(dtype=np.float64) for c in DURATION_COLUMNS}
    train = (
        usable & np.isfinite(y_raw) & (y_raw != 0) & (d["MN"] != d["MP"]) & (d["WN"] != d["WP"]) & (d["DN"] != d["DP"])
    )
    # A pair enters the training set when its outcome is realised AND its stock qualifies; under the
    # rolling scheme it leaves once its outcome month drops out of the window.
    entry = np.maximum(out_pos, first_eligible[s_pos])
    leave = out_pos + window if scheme == "rolling" else np.full(len(rows), n_months)
    train &= entry < np.minimum(leave, n_months)
    Z = np.column_stack([X, (y_raw > 0).astype(np.float64)])[train]
    moments = _moment_path(Z, entry[train], leave[train], n_months)
    months_in_set = _outcome_months_in_set(out_pos[train], entry[train], leave[train], n_months)
    first = 0 if fit_from is None else int(months.searchsorted(pd.Timestamp(fit_from)))
    fits = [
        fit.assign(period_end=months[p])
        for p in range(first, n_months)
        if months_in_set[p] >= min_months and (fit := lpm_from_moments(moments[p], terms)) is not None
    ]
    coefficients = _concat_or_empty(fits, ["period_end", *COEFFICIENT_COLUMNS])[["period_end", *COEFFICIENT_COLUMNS]]
    return DmomFit(coefficients, terms, rows, X, usable)


def score_dmom(fit: DmomFit) -> pd.DataFrame:
    """Out-of-sample D-MOM score: at each fitted month t, the fitted value of t's LPM (:func:`fit_dmom`) for
    every stock whose 12 monthly returns t-11..t are present and whose regressors are all finite, whatever its
    number of returns (the replication applies its conditions "to the ESTIMATION sample (not PREDICTION)",
    ``Create_ProbScore_OOS_Parallelized.R``); ProbScore = fitted value NOT clipped to [0, 1].

    Returns long rows ``period_end, entity_id, window (0), value, MP, WP, DP, MN, WN, DN, IVL, lag_market,
    lag_ret``: value at period_end t = forecast of P(r_{t+1} > 0), sorted by period_end and entity_id."""
    if fit.coefficients.empty:
        return _concat_or_empty([], ["period_end", "entity_id", "window", "value", *REGRESSOR_COLUMNS])
    coef = fit.coefficients.pivot(index="period_end", columns="term", values="coef")[fit.terms]
    rows, X = fit.rows[fit.usable], fit.X[fit.usable]
    period = pd.DatetimeIndex(rows["period_end"]).to_numpy()
    order = np.argsort(period, kind="stable")
    starts = np.searchsorted(period[order], coef.index.to_numpy(), side="left")
    ends = np.searchsorted(period[order], coef.index.to_numpy(), side="right")
    parts = []
    for (_, beta), start, end in zip(coef.iterrows(), starts, ends, strict=True):
        at = order[start:end]
        part = rows.iloc[at][["period_end", "entity_id", *REGRESSOR_COLUMNS]]
        parts.append(part.assign(window=0, value=X[at] @ beta.to_numpy()))
    scored = pd.concat(parts)[["period_end", "entity_id", "window", "value", *REGRESSOR_COLUMNS]]
    return scored.sort_values(["period_end", "entity_id"], ignore_index=True)


def _runs_at_month_ends(panel: pd.DataFrame, months: pd.DatetimeIndex, cap: int) -> tuple[np.ndarray, ...]:
    """Run lengths at the last row of ``panel`` dated <= each month end and inside that month (else NaN)."""
    last_row = panel.index.searchsorted(months, side="right") - 1
    in_month = last_row >= 0
    in_month[in_month] = panel.index[last_row[in_month]].to_period("M") == months[in_month].to_period("M")
    positive, negative = run_lengths_at(panel.to_numpy(dtype=np.float64), np.where(in_month, last_row, -1), cap=cap)
    missing = ~in_month[:, None]
    return np.where(missing, np.nan, positive), np.where(missing, np.nan, negative)


def _align_by_month(obj: pd.DataFrame | pd.Series, months: pd.DatetimeIndex, name: str):
    """Reindex a monthly object to ``months`` by calendar month (tolerates calendar vs trading month ends)."""
    if not isinstance(obj.index, pd.DatetimeIndex):
        raise ValueError(f"{name} must have a DatetimeIndex")
    keys = obj.index.to_period("M")
    if not keys.is_unique:
        raise ValueError(f"{name} has more than one row for a calendar month")
    aligned = obj.set_axis(keys, axis=0).reindex(months.to_period("M"))
    return aligned.set_axis(months, axis=0)


def _validate_regressors(regressors: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Check the regressor frame has the key columns, every needed term and unique keys."""
    if not isinstance(regressors, pd.DataFrame):
        raise ValueError("regressors must be the long DataFrame returned by dmom_regressors")
    needed = ["period_end", "entity_id", *DURATION_COLUMNS, *features, *REGRESSOR_COLUMNS]
    missing = [c for c in dict.fromkeys(needed) if c not in regressors.columns]
    if missing:
        raise ValueError(f"regressors is missing columns {missing}")
    if regressors.duplicated(["period_end", "entity_id"]).any():
        raise ValueError("regressors has duplicate (period_end, entity_id) rows")
    return regressors.reset_index(drop=True)


def _moment_path(Z: np.ndarray, entry: np.ndarray, leave: np.ndarray, n_months: int) -> np.ndarray:
    """Cumulative Z'Z of the rows in the training set at each month: add at entry, remove at leave."""
    k1 = Z.shape[1]
    delta = np.zeros((n_months + 1, k1, k1))
    for positions, sign in ((entry, 1.0), (leave, -1.0)):
        order = np.argsort(positions, kind="stable")
        sorted_pos = positions[order]
        starts = np.flatnonzero(np.r_[True, sorted_pos[1:] != sorted_pos[:-1]]) if len(order) else []
        ends = np.r_[starts[1:], len(order)] if len(order) else []
        for start, end in zip(starts, ends, strict=True):
            pos = sorted_pos[start]
            if pos < n_months:
                block = Z[order[start:end]]
                delta[pos] += sign * (block.T @ block)
    return np.cumsum(delta, axis=0)[:n_months]


def _outcome_months_in_set(out_pos: np.ndarray, entry: np.ndarray, leave: np.ndarray, n_months: int) -> np.ndarray:
    """Number of distinct outcome months with at least one row in the training set at each month."""
    counts = np.zeros(n_months + 1, dtype=np.int64)
    if len(out_pos):
        first_entry = pd.Series(entry).groupby(out_pos).min()
        month_leave = pd.Series(leave).groupby(out_pos).max()
        np.add.at(counts, first_entry.to_numpy(), 1)
        np.add.at(counts, np.minimum(month_leave.to_numpy(), n_months), -1)
    return np.cumsum(counts)[:n_months]


def _ols_from_moments(G: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """OLS from the augmented moment matrix G = [X y]'[X y] (X's first column is the constant).

    Returns (coef, t_stat, n_obs, r2) with classical iid standard errors, or None if not identified.
    Columns are equilibrated (scaled to unit diagonal) before solving: IVL (~1e-4) and durations (~1-12)
    differ by orders of magnitude.
    """
    k = G.shape[0] - 1
    XtX, Xty, yty = G[:k, :k], G[:k, k], G[k, k]
    n = XtX[0, 0]
    diag = np.diag(XtX)
    if n <= k or (diag <= 0).any():
        return None
    scale = 1.0 / np.sqrt(diag)
    A = XtX * np.outer(scale, scale)
    if np.linalg.cond(A) > 1e12:
        return None
    A_inv = np.linalg.inv(A)
    XtX_inv = A_inv * np.outer(scale, scale)
    coef = XtX_inv @ Xty
    ssr = max(yty - coef @ Xty, 0.0)
    sigma2 = ssr / (n - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_stat = coef / np.sqrt(sigma2 * np.diag(XtX_inv))
        sst = yty - Xty[0] ** 2 / n
        r2 = 1.0 - ssr / sst if sst > 0 else np.nan
    return coef, t_stat, float(n), float(r2)


def _concat_or_empty(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """Concatenate per-month frames, or an empty frame with the right columns and types if nothing was
    fitted (dates, ids and terms, integer window and counts, floats)."""
    if not parts:
        kinds = {"period_end": "datetime64[ns]", "entity_id": object, "term": object, "window": "int64"}
        return pd.DataFrame({c: pd.Series(dtype=kinds.get(c, "int64" if c == "n_obs" else float)) for c in columns})
    return pd.concat(parts, ignore_index=True)
