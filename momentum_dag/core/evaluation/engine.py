"""Factor evaluation engine: IC, Rank IC, quantile portfolios and their summary.

One entry point, :func:`evaluate_factor`, for stock factors (deciles, equal- and cap-weighted, tradability
mask) and industry factors (quintiles, equal-weighted, no mask: top quintile vs the equal-weighted average
of all industries). The named metrics it combines live in ``evaluation_ic``, ``evaluation_quantiles`` and
``evaluation_performance`` and are re-exported here.

Inputs are wide panels (index = period_end, the formation date t; columns = entity ids).
``forward_returns`` holds the return over (t, t+1] on row t, already shifted by the caller: every row of
the result uses only row t of each input, so no look-ahead can enter here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from momentum_dag.core.evaluation.costs import DEFAULT_COST_BPS, long_short_turnover, net_of_cost
from momentum_dag.core.evaluation.ic import (
    align_to_factor,
    check_periods_per_year,
    ic_summary,
    information_coefficient,
    rank_information_coefficient,
)
from momentum_dag.core.evaluation.performance import (
    annualized_mean_return,
    annualized_return,
    annualized_volatility,
    cumulative_returns,
    max_drawdown,
    sharpe_ratio,
)
from momentum_dag.core.evaluation.quantiles import (
    assign_quantiles,
    long_only_excess,
    long_short_returns,
    monotonicity,
    quantile_returns,
    quantile_turnover,
    universe_mean_return,
)
from momentum_dag.core.validate import require_wide_panel

__all__ = [
    "WEIGHTING_SUFFIX",
    "FactorEvaluation",
    "annualized_mean_return",
    "annualized_return",
    "annualized_volatility",
    "assign_quantiles",
    "cumulative_returns",
    "evaluate_factor",
    "ic_summary",
    "information_coefficient",
    "long_only_excess",
    "long_short_returns",
    "mask_untradable",
    "max_drawdown",
    "monotonicity",
    "quantile_returns",
    "quantile_turnover",
    "rank_information_coefficient",
    "sharpe_ratio",
    "universe_mean_return",
]

# Column suffix of each weighting in the per-period table.
WEIGHTING_SUFFIX = {"equal": "ew", "cap": "cw"}


@dataclass(frozen=True)
class FactorEvaluation:
    """Result of :func:`evaluate_factor`.

    Attributes:
        per_period: one row per period_end (column ``period_end``, RangeIndex) with ``ic``, ``rank_ic``,
            ``n_names``, equal-weighted quantile returns ``q1..qn``, ``universe_ew``, ``long_short_ew``,
            ``long_only_excess_ew``, the cap-weighted ``q1_cw..qn_cw``, ``universe_cw``,
            ``long_short_cw``, ``long_only_excess_cw`` when weights were given, ``top_turnover`` and the
            long-short portfolio's turnover ``long_short_turnover_ew`` (``_cw``) as defined in
            :mod:`momentum_dag.core.evaluation.costs`.
        n_quantiles: number of quantile portfolios.
        periods_per_year: 12 monthly, 52 weekly.
        weightings: ``("equal",)`` or ``("equal", "cap")``.
    """

    per_period: pd.DataFrame
    n_quantiles: int
    periods_per_year: int
    weightings: tuple[str, ...]

    def quantile_columns(self, weighting: str = "equal") -> list[str]:
        """Names of the per-period quantile-return columns of one weighting, bottom to top."""
        self._check_weighting(weighting)
        suffix = "" if weighting == "equal" else "_cw"
        return [f"q{q}{suffix}" for q in range(1, self.n_quantiles + 1)]

    def summary(self, weighting: str = "equal", cost_bps: float = DEFAULT_COST_BPS) -> dict[str, float | int | str]:
        """Full-sample summary for one weighting ('equal' or 'cap'); the results table of a factor report.

        Conventions: ``icir``/``rank_icir`` = mean/std (not annualized) and ``*_annualized`` = that x
        sqrt(periods_per_year); ``ic_positive_share`` is for the Pearson IC and ``rank_ic_positive_share``
        for the Rank IC; ``*_ann_return`` = arithmetic mean x periods_per_year (qlib), ``long_short_sharpe``
        = mean/std x sqrt(periods_per_year), ``long_short_max_drawdown`` on the compounded curve (<= 0);
        ``monotonicity`` = Spearman of quantile number vs mean quantile return; ``top_turnover`` = mean
        per-period top-quantile turnover; ``n_periods`` = periods with a Rank IC. IC keys do not depend on
        the weighting. Costs (:mod:`momentum_dag.core.evaluation.costs`): ``long_short_turnover`` = mean
        per-period turnover of both legs, ``long_short_net_ann_return`` and ``long_short_net_sharpe`` are
        the same statistics of the net return ``long_short - cost_bps x 1e-4 x turnover`` (NaN when the
        table has no turnover column).
        """
        self._check_weighting(weighting)
        table = self.per_period
        ppy = self.periods_per_year
        suffix = WEIGHTING_SUFFIX[weighting]
        ic = ic_summary(table["ic"], ppy)
        rank_ic = ic_summary(table["rank_ic"], ppy)
        long_short = table[f"long_short_{suffix}"]
        qret = table[self.quantile_columns(weighting)]
        qret.columns = range(1, self.n_quantiles + 1)
        turnover_column = f"long_short_turnover_{suffix}"
        turnover = table[turnover_column] if turnover_column in table else pd.Series(np.nan, index=table.index)
        net = net_of_cost(long_short, turnover, cost_bps)
        return {
            "weighting": weighting,
            "ic_mean": ic["ic_mean"],
            "rank_ic_mean": rank_ic["ic_mean"],
            "icir": ic["icir"],
            "icir_annualized": ic["icir_annualized"],
            "rank_icir": rank_ic["icir"],
            "rank_icir_annualized": rank_ic["icir_annualized"],
            "ic_positive_share": ic["ic_positive_share"],
            "rank_ic_positive_share": rank_ic["ic_positive_share"],
            "ic_t_stat": ic["t_stat"],
            "rank_ic_t_stat": rank_ic["t_stat"],
            "long_short_ann_return": annualized_mean_return(long_short, ppy),
            "long_short_ann_volatility": annualized_volatility(long_short, ppy),
            "long_only_excess_ann_return": annualized_mean_return(table[f"long_only_excess_{suffix}"], ppy),
            "long_short_sharpe": sharpe_ratio(long_short, ppy),
            "long_short_max_drawdown": max_drawdown(long_short),
            "monotonicity": monotonicity(qret),
            "top_turnover": float(table["top_turnover"].mean()),
            "long_short_turnover": float(turnover.mean()),
            "cost_bps": float(cost_bps),
            "long_short_net_ann_return": annualized_mean_return(net, ppy),
            "long_short_net_sharpe": sharpe_ratio(net, ppy),
            "n_periods": rank_ic["n_periods"],
        }

    def summaries(self, cost_bps: float = DEFAULT_COST_BPS) -> list[dict[str, float | int | str]]:
        """:meth:`summary` for every available weighting, equal first."""
        return [self.summary(w, cost_bps) for w in self.weightings]

    def summary_frame(self) -> pd.DataFrame:
        """:meth:`summaries` as a DataFrame, one row per weighting (ready for an ``eval.*`` table)."""
        return pd.DataFrame.from_records(self.summaries())

    def _check_weighting(self, weighting: str) -> None:
        if weighting not in self.weightings:
            raise ValueError(f"weighting must be one of {self.weightings}, got {weighting!r}")


def mask_untradable(panel: pd.DataFrame, tradable: pd.DataFrame) -> pd.DataFrame:
    """``panel`` with NaN wherever ``tradable`` is False at formation.

    ``tradable`` must be a boolean wide panel covering every period_end and entity of ``panel``: a gap
    would silently drop or keep names, so it is an error.
    """
    require_wide_panel(tradable, "tradable")
    missing_dates = panel.index.difference(tradable.index)
    missing_names = panel.columns.difference(tradable.columns)
    if missing_dates.size or missing_names.size:
        raise ValueError(
            f"tradable must cover every factor period_end and entity; missing {missing_dates.size} dates "
            f"(first {list(missing_dates[:3])}) and {missing_names.size} entities (first {list(missing_names[:3])})"
        )
    mask = tradable.reindex(index=panel.index, columns=panel.columns)
    if not all(pd.api.types.is_bool_dtype(dtype) for dtype in mask.dtypes):
        raise ValueError("tradable must be a boolean panel (True = tradable at formation), without NaN")
    return panel.where(mask)


def _weighted_block(
    quantiles: pd.DataFrame,
    forward_returns: pd.DataFrame,
    weights: pd.DataFrame | None,
    n_quantiles: int,
    suffix: str,
) -> pd.DataFrame:
    """Quantile returns, universe mean, long-short and long-only excess for one weighting."""
    qret = quantile_returns(quantiles, forward_returns, weights, n_quantiles=n_quantiles)
    universe = universe_mean_return(quantiles, forward_returns, weights)
    tail = "" if suffix == "ew" else f"_{suffix}"
    block = qret.rename(columns=lambda q: f"q{q}{tail}")
    block[f"universe_{suffix}"] = universe
    block[f"long_short_{suffix}"] = long_short_returns(qret)
    block[f"long_only_excess_{suffix}"] = long_only_excess(qret, universe)
    block[f"long_short_turnover_{suffix}"] = long_short_turnover(quantiles, n_quantiles, weights)
    return block


def evaluate_factor(
    factor: pd.DataFrame,
    forward_returns: pd.DataFrame,
    *,
    n_quantiles: int,
    periods_per_year: int,
    weights: pd.DataFrame | None = None,
    tradable: pd.DataFrame | None = None,
    min_obs: int = 5,
) -> FactorEvaluation:
    """Evaluate a factor panel against next-period returns (IC, rank IC, ICIR, quantile portfolios, long-short).

    Steps: mask factor values of names untradable at t; IC (Pearson) and Rank IC (Spearman) per period;
    quantiles 1..n by :func:`assign_quantiles` on the tradable valid names; equal-weighted (and, with
    ``weights``, cap-weighted) quantile returns, long-short = top - bottom and long-only excess = top -
    universe mean; top-quantile turnover. Untradable names get no quantile, so their forward returns
    count nowhere. Names with a factor but no forward return keep their quantile (formation cannot know
    the future) and drop out of that period's returns.

    Args:
        factor: wide panel (period_end x entity) of factor values at t.
        forward_returns: wide panel of returns over (t, t+1] on row t; reindexed to ``factor``.
        n_quantiles: 10 for stocks, 5 for industries.
        periods_per_year: 12 monthly, 52 weekly.
        weights: optional lagged float market cap at t (cap weighting); reindexed to ``factor``.
        tradable: optional boolean panel at t (False = excluded at formation); must cover ``factor``.
        min_obs: minimum names per period for IC and Rank IC (default 5).

    Returns:
        FactorEvaluation with the per-period table and :meth:`FactorEvaluation.summary`.
    """
    require_wide_panel(factor, "factor")
    check_periods_per_year(periods_per_year)
    values = factor.astype(float)
    if tradable is not None:
        values = mask_untradable(values, tradable)
    fwd = align_to_factor(values, forward_returns, "forward_returns")
    w = None if weights is None else align_to_factor(values, weights, "weights")

    quantiles = assign_quantiles(values, n_quantiles)
    table = pd.DataFrame(
        {
            "ic": information_coefficient(values, fwd, min_obs=min_obs),
            "rank_ic": rank_information_coefficient(values, fwd, min_obs=min_obs),
            "n_names": (np.isfinite(values) & np.isfinite(fwd)).sum(axis=1).astype(int),
        }
    )
    blocks = [_weighted_block(quantiles, fwd, None, n_quantiles, "ew")]
    if w is not None:
        blocks.append(_weighted_block(quantiles, fwd, w, n_quantiles, "cw"))
    table = pd.concat([table, *blocks], axis=1)
    table["top_turnover"] = quantile_turnover(quantiles, n_quantiles)
    table.index.name = "period_end"
    return FactorEvaluation(
        per_period=table.reset_index(),
        n_quantiles=n_quantiles,
        periods_per_year=periods_per_year,
        weightings=("equal",) if w is None else ("equal", "cap"),
    )
