"""The charts of a factor page, as interactive :class:`~momentum_dag.reports.interactive.Chart` specs.

Every function takes ``FactorEvaluation.per_period`` (column ``period_end`` plus ``rank_ic``, ``q1..qn``,
``q1_cw..qn_cw``, ``long_short_ew``/``long_short_cw``, their turnover, ``top_turnover``) and returns the
chart's data; the browser draws it (``reports/static/reports.js``). No statistic is computed here beyond
what a chart shows (net returns: gross minus ``cost_bps`` x turnover, as ``core.evaluation.costs``).
"""

from __future__ import annotations

import re

import pandas as pd

from momentum_dag.core.evaluation.costs import net_of_cost
from momentum_dag.reports.interactive import Chart

WEIGHTING_LABEL = {"ew": "equal-weighted", "cw": "cap-weighted"}
_QUANTILE_COLUMN = re.compile(r"^q(\d+)(_cw)?$")


def quantile_columns(per_period: pd.DataFrame, weighting: str = "ew") -> list[str]:
    """Quantile-return columns of one weighting ('ew' -> q1..qn, 'cw' -> q1_cw..qn_cw), bottom to top."""
    found = []
    for col in per_period.columns:
        match = _QUANTILE_COLUMN.match(str(col))
        if match and bool(match.group(2)) == (weighting == "cw"):
            found.append((int(match.group(1)), col))
    return [col for _, col in sorted(found)]


def _dated(per_period: pd.DataFrame) -> pd.DataFrame:
    if "period_end" not in per_period.columns:
        raise ValueError("per_period must have a 'period_end' column (FactorEvaluation.per_period)")
    return per_period.set_index(pd.DatetimeIndex(per_period["period_end"], name="period_end"))


def cumulative_long_short(per_period: pd.DataFrame, cost_bps: float) -> Chart:
    """Wealth of 1 in the long-short (top - bottom) portfolio, gross and net of costs, per weighting."""
    table = _dated(per_period)
    present = [s for s in ("ew", "cw") if f"long_short_{s}" in table.columns]
    if not present:
        raise ValueError("per_period has no long_short_ew / long_short_cw column")
    series = {}
    for suffix in present:
        gross = table[f"long_short_{suffix}"].astype(float)
        series[f"{WEIGHTING_LABEL[suffix]}, gross"] = gross
        turnover = f"long_short_turnover_{suffix}"
        if turnover in table.columns:
            net = net_of_cost(gross, table[turnover], cost_bps)
            series[f"{WEIGHTING_LABEL[suffix]}, net of {cost_bps:g} bps"] = net
    return Chart(
        pd.DataFrame(series),
        "Cumulative long-short return (top - bottom quantile, compounded; wealth of 1)",
        kind="wealth",
        y_title="wealth (from 1)",
    )


def cumulative_quantiles(per_period: pd.DataFrame, weighting: str = "ew") -> Chart:
    """Wealth of 1 in each quantile portfolio (q1 = lowest factor value)."""
    table = _dated(per_period)
    columns = quantile_columns(table, weighting)
    if not columns:
        raise ValueError(f"per_period has no quantile columns for weighting {weighting!r}")
    frame = table[columns].astype(float).rename(columns=lambda c: c.split("_")[0])
    title = f"Cumulative return by quantile ({WEIGHTING_LABEL[weighting]}; wealth of 1)"
    return Chart(frame, title, kind="wealth", y_title="wealth")


def rank_ic_bars(per_period: pd.DataFrame, rolling_window: int = 12) -> Chart:
    """Rank IC per period as bars with its ``rolling_window``-period rolling mean (full windows only)."""
    table = _dated(per_period)
    if "rank_ic" not in table.columns:
        raise ValueError("per_period is missing columns ['rank_ic']")
    return Chart(
        table[["rank_ic"]].astype(float).rename(columns={"rank_ic": "rank IC"}),
        f"Rank IC per period (Spearman correlation) and its {rolling_window}-period mean",
        kind="bars_mean",
        y_title="rank IC (correlation)",
        rolling=rolling_window,
    )


def quantile_mean_returns(per_period: pd.DataFrame) -> Chart:
    """Mean per-period return of each quantile, equal- and (if present) cap-weighted side by side."""
    weightings = [w for w in ("ew", "cw") if quantile_columns(per_period, w)]
    if not weightings:
        raise ValueError("per_period has no quantile-return columns q1..qn")
    means = {
        WEIGHTING_LABEL[w]: per_period[quantile_columns(per_period, w)].astype(float).mean().to_numpy()
        for w in weightings
    }
    n = len(next(iter(means.values())))
    frame = pd.DataFrame(means, index=pd.Index([f"q{q}" for q in range(1, n + 1)], name="quantile"))
    return Chart(frame, "Mean return per period by quantile (%)", kind="category", y_title="% per period", percent=True)


def turnover_lines(per_period: pd.DataFrame) -> Chart:
    """Top-quantile turnover (share of names new to the top quantile) and the long-short portfolio's
    turnover (both legs' sum of absolute weight changes), per period."""
    table = _dated(per_period)
    if "top_turnover" not in table.columns:
        raise ValueError("per_period is missing columns ['top_turnover']")
    series = {"top quantile, share of names new": table["top_turnover"].astype(float)}
    for suffix in ("ew", "cw"):
        column = f"long_short_turnover_{suffix}"
        if column in table.columns:
            series[f"long-short, both legs ({WEIGHTING_LABEL[suffix]})"] = table[column].astype(float)
    return Chart(pd.DataFrame(series), "Turnover per period (%)", y_title="% per period", percent=True)


def factor_charts(per_period: pd.DataFrame, cost_bps: float) -> list[tuple[str, Chart]]:
    """Every chart of a factor page, with its section heading."""
    return [
        ("Cumulative long-short return", cumulative_long_short(per_period, cost_bps)),
        ("Cumulative return by quantile", cumulative_quantiles(per_period, "ew")),
        ("Rank IC", rank_ic_bars(per_period)),
        ("Mean return by quantile", quantile_mean_returns(per_period)),
        ("Turnover", turnover_lines(per_period)),
    ]
