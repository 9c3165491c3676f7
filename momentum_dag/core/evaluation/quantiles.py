"""Quantile portfolios of a factor panel: assignment, returns, spreads, turnover and monotonicity.

Conventions: quantile 1 holds the lowest
factor values and quantile n the highest; long-short = top - bottom WITHOUT qlib's /2; long-only excess =
top - universe mean; turnover as alphalens ``performance.quantile_turnover``.

Inputs are wide panels (index = period_end t, columns = entity ids); ``forward_returns`` is the return
over (t, t+1] already aligned on t, ``weights`` a lagged cap known at t.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from momentum_dag.core.evaluation.ic import align_to_factor
from momentum_dag.core.validate import require_wide_panel


def assign_quantiles(factor: pd.DataFrame, n_quantiles: int) -> pd.DataFrame:
    """Quantile of each name per period: 1 = lowest factor value, ``n_quantiles`` = highest.

    Convention (hand-written; alphalens uses ``pd.qcut``, which fails on tied bin edges): within each
    period's N valid names, ``quantile = ceil(avg_rank * n_quantiles / N)`` with ``avg_rank`` the
    ``method='average'`` rank (1..N). Tied values share an average rank and so always share a quantile;
    with many ties some quantiles can be empty in that period. The product is formed before dividing so
    exact multiples stay exact (``ceil(0.3 * 10)`` would give 4). Periods with fewer than ``n_quantiles``
    valid names are all NaN.

    Returns:
        Wide panel like ``factor`` holding integer quantile numbers as float64 (NaN where the factor is
        missing, which an int dtype cannot hold).
    """
    require_wide_panel(factor, "factor")
    if not isinstance(n_quantiles, int | np.integer) or n_quantiles < 2:
        raise ValueError(f"n_quantiles must be an integer >= 2, got {n_quantiles!r}")
    values = factor.astype(float).where(np.isfinite(factor.astype(float)))
    ranks = values.rank(axis=1, method="average")
    n_valid = values.count(axis=1)
    quantiles = np.ceil(ranks.mul(n_quantiles).div(n_valid, axis=0))
    # a row mask as an array: pandas broadcasts a Series condition by building one column per name
    return quantiles.where(np.broadcast_to((n_valid >= n_quantiles).to_numpy()[:, None], quantiles.shape))


def _check_weights(weights: pd.DataFrame, factor_like: pd.DataFrame) -> pd.DataFrame:
    aligned = align_to_factor(factor_like, weights, "weights")
    if (aligned < 0).any().any():
        raise ValueError("weights must be non-negative (a lagged float market cap); found negative values")
    return aligned


def _portfolio_return(returns: pd.DataFrame, members: pd.DataFrame, weights: pd.DataFrame | None) -> pd.Series:
    """Per-period equal- or ``weights``-weighted mean return of the member names (NaN weights dropped)."""
    if weights is None:
        return returns.where(members).mean(axis=1)
    held = members & weights.notna()
    value = (returns * weights).where(held).sum(axis=1, min_count=1)
    total = weights.where(held).sum(axis=1)
    return value / total.where(total > 0)


def quantile_returns(
    quantiles: pd.DataFrame,
    forward_returns: pd.DataFrame,
    weights: pd.DataFrame | None = None,
    *,
    n_quantiles: int | None = None,
) -> pd.DataFrame:
    """Return over (t, t+1] of each quantile portfolio formed at t.

    Equal-weighted mean of the members' forward returns, or weighted by ``weights`` (lagged float cap
    known at t; members with NaN weight are dropped). Members without a forward return are dropped
    (alphalens ``mean_return_by_quantile`` with ``demeaned=False``).

    Args:
        quantiles: output of :func:`assign_quantiles`.
        forward_returns: wide panel aligned on t.
        weights: optional wide panel of non-negative weights at t.
        n_quantiles: number of quantile columns; default the largest quantile present.

    Returns:
        DataFrame indexed by period_end with integer columns 1..n_quantiles (NaN for an empty quantile).
    """
    require_wide_panel(quantiles, "quantiles")
    fwd = align_to_factor(quantiles, forward_returns, "forward_returns")
    w = None if weights is None else _check_weights(weights, quantiles)
    n = int(np.nanmax(quantiles.to_numpy(dtype=float), initial=0)) if n_quantiles is None else n_quantiles
    if n < 1:
        raise ValueError("quantiles holds no assigned quantile; pass n_quantiles or check the factor panel")
    with_return = fwd.notna()
    out = {q: _portfolio_return(fwd, quantiles.eq(q) & with_return, w) for q in range(1, n + 1)}
    return pd.DataFrame(out, index=quantiles.index)


def universe_mean_return(
    quantiles: pd.DataFrame, forward_returns: pd.DataFrame, weights: pd.DataFrame | None = None
) -> pd.Series:
    """Mean forward return of all names holding a quantile at t, weighted as :func:`quantile_returns`.

    This is the benchmark of :func:`long_only_excess`: the same (tradable, factor-valid) universe and
    the same weighting as the quantile portfolios, so equal-weighted excess uses the equal-weighted mean
    and cap-weighted excess the cap-weighted mean.
    """
    require_wide_panel(quantiles, "quantiles")
    fwd = align_to_factor(quantiles, forward_returns, "forward_returns")
    w = None if weights is None else _check_weights(weights, quantiles)
    return _portfolio_return(fwd, quantiles.notna() & fwd.notna(), w).rename("universe_mean")


def long_short_returns(qret: pd.DataFrame) -> pd.Series:
    """Top-minus-bottom quantile return per period: ``q_n - q_1`` (no /2).

    qlib's report groups use G1 - GN likewise; qlib ``calc_long_short_return`` halves it, we do not.
    """
    ordered = _ordered_quantile_columns(qret)
    return (ordered.iloc[:, -1] - ordered.iloc[:, 0]).rename("long_short")


def long_only_excess(qret: pd.DataFrame, universe_mean: pd.Series) -> pd.Series:
    """Top quantile return minus the universe mean per period (qlib "long-average").

    ``universe_mean`` must be weighted like ``qret`` (see :func:`universe_mean_return`).
    """
    ordered = _ordered_quantile_columns(qret)
    return (ordered.iloc[:, -1] - universe_mean.reindex(ordered.index)).rename("long_only_excess")


def _ordered_quantile_columns(qret: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(qret, pd.DataFrame) or qret.shape[1] < 2:
        raise ValueError("qret must be a DataFrame with one column per quantile (at least 2)")
    return qret[sorted(qret.columns)]


def quantile_turnover(quantiles: pd.DataFrame, quantile: int) -> pd.Series:
    """Share of the names in ``quantile`` at t that were not in it at t-1 (alphalens ``quantile_turnover``).

    The first period, a period with an empty quantile, and a period whose previous period had an empty
    quantile (no prior portfolio to turn over) are NaN.
    """
    require_wide_panel(quantiles, "quantiles")
    members = quantiles.eq(quantile)
    previous = members.shift(1, fill_value=False)
    count = members.sum(axis=1)
    new = (members & ~previous).sum(axis=1)
    valid = (count > 0) & (previous.sum(axis=1) > 0)
    valid.iloc[:1] = False
    return (new / count).where(valid).rename(f"turnover_q{quantile}")


def monotonicity(qret: pd.DataFrame) -> float:
    """Spearman correlation of quantile number with the quantile's mean return over all periods.

    +1 = mean returns rise strictly with the quantile; -1 = they fall (the sell-side reports'
    "decile monotonicity"). NaN with fewer than two quantiles having a mean, or if all means tie.
    """
    means = _ordered_quantile_columns(qret).mean().dropna()
    if means.size < 2 or means.nunique() < 2:
        return float("nan")
    return float(stats.spearmanr(means.index.to_numpy(dtype=float), means.to_numpy()).statistic)
