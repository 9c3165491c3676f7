"""Trading costs of the long-short quantile portfolio: leg weights, turnover and net-of-cost returns.

Convention (the usual one-way turnover; cf. Novy-Marx & Velikov 2016, "A taxonomy of anomalies and their
trading costs", RFS 29(1), who also drift the weights by the period's returns): a leg's turnover at
formation date t is the sum of the absolute changes of its target weights, ``sum_i |w_i,t - w_i,t-1|``,
where ``w_i,t`` is name i's weight in the leg formed at t (equal: 1/N of the N members; cap: the member's
cap at t over the members' total) and 0 for a name outside the leg. Weights are the targets at formation,
not drifted by the period's returns. Replacing the whole leg costs 2 (sell 1, buy 1); building it from
nothing costs 1, which is what the first formation date pays (and any date after a period with an empty
leg). The long-short portfolio's turnover is the long leg's plus the short leg's; its cost in a period is
``cost_bps / 10,000 x turnover``, and the net return is the gross one minus that cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.validate import require_wide_panel

BPS = 1e-4
# Cost of one unit of turnover in basis points: 15 bps one way, i.e. the 0.3% round trip (commission, stamp
# duty and slippage) that A-share sell-side backtests commonly charge. Setting: MOMENTUM_COST_BPS.
DEFAULT_COST_BPS = 15.0


def leg_weights(quantiles: pd.DataFrame, quantile: int, weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """Target weight of each name in the ``quantile`` portfolio formed at each t (rows sum to 1, or 0 when
    the quantile is empty); ``weights`` (cap at t) weights the members, NaN weights dropped, else equal."""
    require_wide_panel(quantiles, "quantiles")
    members = quantiles.eq(quantile)
    if weights is None:
        raw = members.astype(float)
    else:
        aligned = weights.reindex(index=quantiles.index, columns=quantiles.columns)
        raw = aligned.where(members & aligned.notna(), 0.0).astype(float)
    total = raw.sum(axis=1)
    return raw.div(total.where(total > 0), axis=0).fillna(0.0)


def leg_turnover(weights: pd.DataFrame) -> pd.Series:
    """``sum_i |w_i,t - w_i,t-1|`` per formation date t; the first row is measured against no holding."""
    previous = weights.shift(1).fillna(0.0)
    return (weights - previous).abs().sum(axis=1)


def long_short_turnover(quantiles: pd.DataFrame, n_quantiles: int, weights: pd.DataFrame | None = None) -> pd.Series:
    """Turnover of the long (quantile ``n_quantiles``) plus the short (quantile 1) leg per formation date.

    A date on which either leg is empty has no long-short portfolio: NaN (its return is NaN too).
    """
    long_leg = leg_weights(quantiles, n_quantiles, weights)
    short_leg = leg_weights(quantiles, 1, weights)
    both = (long_leg.sum(axis=1) > 0) & (short_leg.sum(axis=1) > 0)
    turnover = leg_turnover(long_leg) + leg_turnover(short_leg)
    return turnover.where(both).rename("long_short_turnover")


def net_of_cost(gross: pd.Series, turnover: pd.Series, cost_bps: float) -> pd.Series:
    """Net return ``gross - cost_bps x 1e-4 x turnover`` per period (NaN where either is missing)."""
    if not np.isfinite(cost_bps) or cost_bps < 0:
        raise ValueError(f"cost_bps must be a finite number >= 0, got {cost_bps!r}")
    return pd.Series(gross, dtype=float) - cost_bps * BPS * pd.Series(turnover, dtype=float)
