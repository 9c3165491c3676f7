"""Characteristic-sorted long-short factor portfolios: stock weights, monthly and daily factor returns.

Ehsani & Linnainmaa (2022, JF 77(3)) build their factors as Fama-French (1993, 2015) style long-short
portfolios: at each formation date t, long the top 30% and short the bottom 30% of a characteristic,
value-weighted within each leg by market cap at t, held over the next period (t, t+1].

Weight panels here are wide (formation date x stock): the long leg sums to +1, the short leg to -1,
0 = in the universe (characteristic known) but not held, NaN = not in the universe. Missing holding-period
returns of a held stock count as 0 (suspended: price unchanged); the caller fills delisting returns. The
weights at t never look at returns after t, so which stocks later go missing cannot shape the portfolio.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from momentum_dag.core.frames import period_keys
from momentum_dag.core.validate import float_panel

MOMENTUM_FACTORS: tuple[str, ...] = ("momentum", "umd", "wml")
"""Names (case-insensitive) treated as the stock-momentum factor and kept out of factor-momentum strategies
(E-L exclude UMD and global UMD, leaving 20 factors)."""


def is_momentum_name(name: object, exclude: tuple[str, ...]) -> bool:
    """True when a factor name matches one of ``exclude`` (case-insensitive)."""
    return str(name).lower() in {e.lower() for e in exclude}


def long_short_weights(
    characteristic: pd.DataFrame,
    weights: pd.DataFrame | None = None,
    *,
    quantile: float = 0.3,
    higher_is_long: bool = True,
) -> pd.DataFrame:
    """Formation weights of the Fama-French style long-short portfolio on one characteristic.

    Fama & French (1993, JFE 33) 30/70 breakpoints, as used for the E-L (2022) factor set. At each date the
    breakpoints are the ``quantile`` and ``1 - quantile`` cross-sectional quantiles of the characteristic
    (linear interpolation, all stocks with a value; not NYSE-only breakpoints). Long: value >= upper
    breakpoint; short: value <= lower breakpoint. Within a leg stocks are equal-weighted, or weighted by
    ``weights`` (market cap at t, so lagged relative to the holding period) when given; stocks without a
    positive weight are then outside the universe. A date whose breakpoints coincide (too many ties) or
    whose legs are empty gets no portfolio (NaN row).

    Args:
        characteristic: formation date x stock, known at the formation date.
        weights: same shape, e.g. float market cap at t; None = equal weights.
        quantile: leg size, 0 < quantile < 0.5 (default 0.3 = top/bottom 30%).
        higher_is_long: long the high-characteristic stocks.

    Returns:
        formation date x stock: long leg sums to +1, short leg to -1, 0 in universe not held, NaN outside.
    """
    x = float_panel(characteristic, "characteristic")
    if not 0 < quantile < 0.5:
        raise ValueError(f"quantile must be in (0, 0.5), got {quantile}")
    if not higher_is_long:
        x = -x
    if weights is None:
        base = pd.DataFrame(1.0, index=x.index, columns=x.columns)
    else:
        base = float_panel(weights, "weights").reindex(index=x.index, columns=x.columns)
        base = base.where(base > 0)
        x = x.where(base.notna())
    lower = x.quantile(quantile, axis=1)
    upper = x.quantile(1.0 - quantile, axis=1)
    usable = lower < upper  # equal breakpoints would put the same stocks in both legs
    long_leg = _normalize(base.where(x.ge(upper, axis=0)))
    short_leg = _normalize(base.where(x.le(lower, axis=0)))
    out = long_leg.fillna(0.0) - short_leg.fillna(0.0)
    out = out.where(x.notna())
    has_both = long_leg.notna().any(axis=1) & short_leg.notna().any(axis=1) & usable
    # a row mask as an array: pandas broadcasts a Series condition by building one column per stock
    return out.where(np.broadcast_to(has_both.to_numpy()[:, None], out.shape))


def _normalize(leg: pd.DataFrame) -> pd.DataFrame:
    return leg.div(leg.sum(axis=1, min_count=1), axis=0)


def long_short_returns(formation_weights: pd.DataFrame, returns: pd.DataFrame) -> pd.Series:
    """Holding-period return of a weight panel: ``r_{t+1} = sum_i w_{i,t} R_{i,t+1}``.

    ``returns`` is the period return panel indexed by period end (the return over (t-1, t]); weights formed
    at row t earn the return of the next row, and the result is indexed by that holding period end.
    Consecutive rows of ``returns`` must be consecutive periods. A held stock with a missing return counts
    as 0. Periods with no weights at the previous row are NaN.
    """
    w = float_panel(formation_weights, "formation_weights")
    r = float_panel(returns, "returns")
    if not w.index.isin(r.index).all():
        raise ValueError("formation_weights dates must be a subset of the returns index (period ends)")
    held = w.reindex(index=r.index).shift(1)
    r = r.reindex(columns=held.columns).fillna(0.0)
    return (held * r).sum(axis=1, min_count=1).iloc[1:].rename("long_short")


def characteristic_long_short(
    characteristic: pd.DataFrame,
    returns: pd.DataFrame,
    weights: pd.DataFrame | None = None,
    *,
    quantile: float = 0.3,
    higher_is_long: bool = True,
) -> pd.Series:
    """Fama-French style long-short factor return on one characteristic, indexed by holding period end.

    Fama & French (1993, JFE 33); the construction behind the E-L (2022, JF 77(3)) factors: top minus bottom
    30% at t (value-weighted by market cap at t when ``weights`` is given), return over (t, t+1]. See
    ``long_short_weights`` and ``long_short_returns`` for the exact rules.
    """
    w = long_short_weights(characteristic, weights, quantile=quantile, higher_is_long=higher_is_long)
    return long_short_returns(w, returns)


def daily_factor_returns(formation_weights: Mapping[str, pd.DataFrame], daily_returns: pd.DataFrame) -> pd.DataFrame:
    """Daily returns of monthly-formed long-short factors (input to E-L's PC factors, section II.B).

    Weights formed at the month end t are held over every trading day of the next calendar month,
    buy-and-hold within the month: each stock's position drifts with its return since the month start, so
    compounding a leg's daily returns over the month gives exactly its monthly return. The factor's daily
    return is long-leg return minus short-leg return (a daily-rebalanced spread of the two legs, like the
    Ken French daily factors), so compounded daily factor returns differ slightly from the monthly spread.
    Missing daily stock returns count as 0. Days of a month whose previous month has no formation row are NaN.

    Args:
        formation_weights: factor name -> formation (month end) x stock weights from ``long_short_weights``.
        daily_returns: trade date x stock simple returns.

    Returns:
        trade date x factor daily returns.
    """
    daily = float_panel(daily_returns, "daily_returns")
    keys = pd.DatetimeIndex(period_keys(daily.index, "M"))
    step_frame = daily.fillna(0.0)
    # Value of 1 unit bought at the month start, as of the start of each day (before that day's return).
    growth = (1.0 + step_frame).groupby(keys).cumprod()
    start_value = np.asfortranarray(growth.groupby(keys).shift(1).fillna(1.0).to_numpy())
    step = np.asfortranarray(step_frame.to_numpy())
    out = {}
    for name, weights in formation_weights.items():
        w = float_panel(weights, f"formation_weights[{name!r}]")
        holding_key = pd.DatetimeIndex(period_keys(w.index, "M")) + pd.DateOffset(months=1)
        if holding_key.has_duplicates:
            raise ValueError(f"formation_weights[{name!r}] has more than one formation date in a month")
        unknown = w.columns.difference(daily.columns)
        if (w[unknown].fillna(0.0) != 0).any().any():
            raise ValueError(f"formation_weights[{name!r}] holds stocks missing from daily_returns: {list(unknown)}")
        # each day's row of the formation weights (the last row: none), gathered instead of reindexed
        rows = np.vstack([w.reindex(columns=daily.columns).to_numpy(), np.full(daily.shape[1], np.nan)])
        row_of_day = holding_key.get_indexer(keys)
        held = np.asfortranarray(rows[row_of_day])
        in_universe = np.isfinite(held)
        held = np.where(in_universe, held, 0.0)
        long_ret = _buy_and_hold_leg(np.maximum(held, 0.0), start_value, step)
        short_ret = _buy_and_hold_leg(np.maximum(-held, 0.0), start_value, step)
        # A leg without positions contributes 0; a day without a formation row is NaN.
        spread = np.nan_to_num(long_ret, nan=0.0) - np.nan_to_num(short_ret, nan=0.0)
        out[name] = np.where(in_universe.any(axis=1), spread, np.nan)
    return pd.DataFrame(out, index=daily.index, columns=list(formation_weights))


def _buy_and_hold_leg(leg: np.ndarray, start_value: np.ndarray, step: np.ndarray) -> np.ndarray:
    """sum_i v_i r_i / sum_i v_i per day, v_i = leg weight x value since the month start (0 off the leg).

    Arrays in pandas' (column-major) layout, so each day's sum adds the stocks in the same order as the
    DataFrame sums this replaced: the same bits."""
    value = leg * start_value
    denominator = value.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (value * step).sum(axis=1) / np.where(denominator > 0, denominator, np.nan)


def momentum_neutral_weights(
    w: pd.DataFrame | pd.Series, past_ret: pd.DataFrame | pd.Series
) -> pd.DataFrame | pd.Series:
    """Momentum-neutral weights: the closest weights to ``w`` with zero net investment and zero momentum.

    Ehsani & Linnainmaa (2022, JF 77(3)), section IV.C: min sum_i (w_i - x_i)^2 s.t. sum_i x_i = 0 and
    sum_i x_i r_{i,t-12,t-2} = 0. Closed form x = w - A'(AA')^-1 A w with A = [1'; r'], i.e. the residual of
    a cross-sectional OLS of w on [1, r], written per date as x = (w - mean w) - b (r - mean r) with
    b = cov(w, r) / var(r) (b = 0 when r has no cross-sectional variation). Hand-written because this
    one-regressor projection is vectorized over all dates at once.

    The universe at a date is every stock with both a weight (0 = in universe, not held) and a past return;
    other stocks get NaN. Accepts one cross-section (Series over stocks) or date x stock panels.
    """
    if isinstance(w, pd.Series) != isinstance(past_ret, pd.Series):
        raise ValueError("w and past_ret must both be Series (one cross-section) or both DataFrames")
    if isinstance(w, pd.Series):
        x = momentum_neutral_weights(w.to_frame().T, past_ret.to_frame().T)
        return x.iloc[0].rename(w.name)
    if not isinstance(w, pd.DataFrame):
        raise ValueError(f"w must be a Series or DataFrame, got {type(w).__name__}")
    weights = w.astype(float)
    r = past_ret.astype(float).reindex(index=weights.index, columns=weights.columns)
    ok = weights.notna() & r.notna()
    weights, r = weights.where(ok), r.where(ok)
    w_dev = weights.sub(weights.mean(axis=1), axis=0)
    r_dev = r.sub(r.mean(axis=1), axis=0)
    r_var = (r_dev * r_dev).sum(axis=1)
    slope = ((w_dev * r_dev).sum(axis=1) / r_var.where(r_var > 0)).fillna(0.0)
    return w_dev - r_dev.mul(slope, axis=0)


def momentum_neutral_factor_returns(
    formation_weights: Mapping[str, pd.DataFrame],
    returns: pd.DataFrame,
    past_ret: pd.DataFrame,
    *,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
) -> pd.DataFrame:
    """Monthly returns of momentum-neutral versions of characteristic factors (E-L 2022, section IV.C).

    Each factor's formation weights are projected with ``momentum_neutral_weights`` on the stocks' past
    return (E-L: r_{t-12,t-2}; pass ``cumulative_return(returns, 11, 1)`` from
    ``core.factor_characteristics`` for month-end formation), then earn ``sum_i x_i R_{i,t+1}``. Factor
    momentum on the result: call ``ts_factor_momentum`` on the returned frame.

    Args:
        formation_weights: factor name -> formation date x stock weights (``long_short_weights``).
        returns: period end x stock period returns (row t+1 = holding return of weights formed at row t).
        past_ret: formation date x stock past return used as the momentum exposure.
        exclude: factor names skipped (the momentum factor itself would be projected to nothing).

    Returns:
        holding period end x factor returns.
    """
    r = float_panel(returns, "returns")
    past = float_panel(past_ret, "past_ret")
    out = {}
    for name, weights in formation_weights.items():
        if is_momentum_name(name, exclude):
            continue
        w = float_panel(weights, f"formation_weights[{name!r}]")
        neutral = momentum_neutral_weights(w, past.reindex(index=w.index, columns=w.columns))
        out[name] = long_short_returns(neutral, r)
    return pd.DataFrame(out)
