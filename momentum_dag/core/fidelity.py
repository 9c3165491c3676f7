"""Our figures in each paper's own convention and units, and the paper | ours comparison rows.

Each ``*_figures`` function maps the metric names of ``reports/published.yaml`` to ``Ours`` values in the
paper's time basis (per month or per year as the paper prints them) and in DECIMALS; ``compare`` converts
them to the printed unit (percent units x 100) and marks whether ours lies within the paper's own standard
error of the printed figure.

Conventions followed (each from the paper the figure comes from):
- Daniel and Moskowitz (2016) Table 3 / Table 5: OLS coefficients, returns in percent per month; Table 7
  Sharpe ratios annualized (mean / std x sqrt 12); the weights of Fig. 6 scaled so that each strategy's
  full-sample volatility equals the baseline WML's (p. 233), not our 19% target.
- Ehsani and Linnainmaa (2022) Sec. I.B: average monthly return x 12, in percent per year, OLS t-statistic
  of the monthly mean; the abstract's up / down-year means are the pooled Table I regression's.
- The D-MOM note (Western Securities 2025): IC mean, share of months with IC > 0, annualized long-short
  and long-only excess returns (mean x 12), long-short Sharpe; its "IC" is read as the rank IC (see
  ``ic_reading``; our Pearson IC is shown beside it) and its "annualized ICIR" per period (see
  ``icir_reading``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import norm

from momentum_dag.core.published import PublishedFigure

PERCENT_UNITS = ("percent_per_month", "percent_per_year", "percent")


@dataclass(frozen=True)
class Ours:
    """Our figure in the paper's time basis (decimals for percent units), its t-statistic if any, and an
    alternative reading (label, value) shown beside it (e.g. the annualized ICIR)."""

    value: float
    t_stat: float | None = None
    alt_label: str = ""
    alt_value: float | None = None
    note: str = ""


def _finite(value: object) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ---- the D-MOM note: factor evaluation summaries ------------------------------------------------------

PEARSON_LABEL = "Pearson"


def ic_reading(figures: Sequence[PublishedFigure]) -> list[tuple[str, float, float]]:
    """The evidence for reading a report's unqualified "IC" as a rank IC: the (page, IC mean, long-short
    return) of every page whose IC mean is positive while its long-short return is negative.

    A decile long-short return is the payoff of the extreme names. A Pearson IC of returns is dominated by
    the same extreme factor values and returns, so its sign tends to follow the long-short's; a rank
    (Spearman) IC weighs every name alike, so a cross-section ordered the right way in its bulk gives a
    positive rank IC while extremes that revert make the long-short negative. A positive IC beside a
    negative long-short return therefore points to a rank IC.
    """
    out = []
    for figure in figures:
        if figure.metric != "ic_mean" or figure.value <= 0:
            continue
        spread = next(
            (
                f
                for f in figures
                if f.page == figure.page and f.metric == "long_short_ann_return" and f.weighting in (None, "equal")
            ),
            None,
        )
        if spread is not None and spread.value < 0:
            out.append((figure.page, figure.value, spread.value))
    return out


def icir_reading(printed_icir: float, ic_positive_percent: float, periods_per_year: int = 12) -> dict[str, float]:
    """Which ICIR a report prints, from its own IC > 0 share, assuming normally distributed ICs.

    With IC ~ N(mu, sigma), P(IC > 0) = Phi(mu / sigma) = Phi(per-period ICIR). So the share implies a
    per-period ICIR of Phi^-1(share); the printed figure read per period implies a share of Phi(printed),
    read as annualized (per-period x sqrt(periods_per_year)) a share of Phi(printed / sqrt(periods)).
    ``reading`` is ``per_period`` when that implied share is the nearer to the printed share.
    """
    share = ic_positive_percent / 100.0
    implied_icir = float(norm.ppf(share)) if 0 < share < 1 else float("nan")
    as_period = float(norm.cdf(printed_icir))
    as_annual = float(norm.cdf(printed_icir / math.sqrt(periods_per_year)))
    reading = "per_period" if abs(as_period - share) <= abs(as_annual - share) else "annualized"
    return {
        "implied_per_period_icir": implied_icir,
        "share_if_per_period": as_period,
        "share_if_annualized": as_annual,
        "reading": reading,
    }


def factor_figures(summaries: Sequence[Mapping[str, object]], periods_per_year: int) -> dict[tuple, Ours]:
    """Ours for the D-MOM note's metrics, keyed (metric, weighting); weighting None = the equal-weighted
    figure (the note states no weighting for 12-2 and 6-2 momentum; IC figures do not depend on it).

    The note's "IC" is read as the rank (Spearman) IC (``ic_reading`` gives the evidence): its IC mean,
    IC > 0 share and ICIR are our rank IC's, with our Pearson IC mean and share beside them (``alt``).

    ``summaries``: ``FactorEvaluation.summaries()`` rows (keys as ``FactorEvaluation.summary``).
    """
    out: dict[tuple, Ours] = {}
    for row in summaries:
        weighting = str(row.get("weighting"))
        keys = [(weighting,), (None,)] if weighting == "equal" else [(weighting,)]
        values = {
            "long_short_ann_return": Ours(_finite(row.get("long_short_ann_return"))),
            "long_only_excess_ann_return": Ours(_finite(row.get("long_only_excess_ann_return"))),
            "long_short_sharpe": Ours(_finite(row.get("long_short_sharpe"))),
        }
        if weighting == "equal":
            icir = _finite(row.get("rank_icir"))
            values |= {
                "ic_mean": Ours(
                    _finite(row.get("rank_ic_mean")),
                    t_stat=_finite(row.get("rank_ic_t_stat")),
                    alt_label=PEARSON_LABEL,
                    alt_value=_finite(row.get("ic_mean")),
                ),
                "ic_positive_share": Ours(
                    _finite(row.get("rank_ic_positive_share")),
                    alt_label=PEARSON_LABEL,
                    alt_value=_finite(row.get("ic_positive_share")),
                ),
                "icir_printed": Ours(
                    icir,
                    alt_label="annualized",
                    alt_value=None if icir is None else icir * math.sqrt(periods_per_year),
                ),
            }
        for metric, ours in values.items():
            if ours.value is None:
                continue
            for (w,) in keys:
                out[(metric, w)] = ours
    return out


# ---- Daniel-Moskowitz ---------------------------------------------------------------------------------


def weight_distribution(weights: pd.DataFrame, scale_to_wml: float | None) -> pd.DataFrame:
    """Each strategy's weight on WML: min, 1st / 50th / 99th percentile, max, months below zero, months.

    ``scale_to_wml`` multiplies the stored weights first: ``wml_vol_ann / ex_post_target_vol`` turns weights
    scaled to our target volatility into D&M's scaling (full-sample volatility of WML, p. 233).
    """
    if weights is None or weights.empty:
        return pd.DataFrame(columns=["min", "p01", "median", "p99", "max", "negative_months", "months"])
    scaled = weights * (1.0 if scale_to_wml is None else scale_to_wml)
    rows = {}
    for name, series in scaled.items():
        w = series.dropna()
        if w.empty:
            continue
        rows[name] = {
            "min": float(w.min()),
            "p01": float(w.quantile(0.01)),
            "median": float(w.median()),
            "p99": float(w.quantile(0.99)),
            "max": float(w.max()),
            "negative_months": int((w < 0).sum()),
            "months": int(len(w)),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("strategy")


def crash_figures(
    crash: pd.DataFrame | None,
    forecast: pd.DataFrame | None,
    summary: pd.DataFrame | None,
    weights: pd.DataFrame | None,
    garch: Mapping[str, float] | None = None,
) -> dict[tuple, Ours]:
    """Ours for Daniel-Moskowitz (2016): Table 3 terms (``crash.<model>.<term>``, returns in decimals per
    month), the bear-market betas of model (3), Table 5 (``forecast.<col>.<term>``), GJR-GARCH gamma,
    Fig. 6 weight ranges (``weights.<strategy>.<min|max|negative_months>``, scaled to WML's volatility)
    and Table 7 Sharpe ratios (``sharpe.<strategy>``). Keys (metric, None)."""
    out: dict[str, Ours] = {}
    if crash is not None and len(crash):
        table = crash.set_index("model")
        for model, row in table.iterrows():
            for term in ("alpha0", "alphaB", "beta0", "betaB", "betaBU"):
                value = _finite(row.get(term))
                if value is not None:
                    out[f"crash.{int(model)}.{term}"] = Ours(value, t_stat=_finite(row.get(f"{term}_t")))
        if 3 in table.index:
            row = table.loc[3]
            b0, bb, bbu = (_finite(row.get(t)) for t in ("beta0", "betaB", "betaBU"))
            if b0 is not None and bb is not None:
                out["crash.3.bear_beta_down"] = Ours(b0 + bb)
                if bbu is not None:
                    out["crash.3.bear_beta_up"] = Ours(b0 + bb + bbu)
    if forecast is not None and len(forecast):
        for model, row in forecast.set_index("model").iterrows():
            for term in ("gamma0", "gammaB", "gammaSigma2", "gammaInt"):
                value = _finite(row.get(term))
                if value is not None:
                    t = _finite(row.get(f"{term}_t"))
                    out[f"forecast.{int(model)}.{term}"] = Ours(value, t_stat=t)
                    if t is not None:
                        out[f"forecast.{int(model)}.{term}_t"] = Ours(t)
    if garch is not None and _finite(garch.get("gamma")) is not None:
        out["garch.gamma"] = Ours(float(garch["gamma"]), t_stat=_finite(garch.get("gamma_t")))
    if summary is not None and len(summary):
        for strategy, row in summary.iterrows():
            value = _finite(row.get("sharpe"))
            if value is not None:
                out[f"sharpe.{strategy}"] = Ours(value)
    if weights is not None and len(weights) and summary is not None and len(summary):
        first = summary.iloc[0]
        target, wml_vol = _finite(first.get("ex_post_target_vol")), _finite(first.get("wml_vol_ann"))
        scale = wml_vol / target if target and wml_vol else None
        dist = weight_distribution(weights, scale)
        for strategy, row in dist.iterrows():
            for stat in ("min", "max", "negative_months"):
                out[f"weights.{strategy}.{stat}"] = Ours(float(row[stat]))
    return {(k, None): v for k, v in out.items()}


# ---- Ehsani-Linnainmaa --------------------------------------------------------------------------------


def factor_momentum_figures(momentum: pd.DataFrame | None, autocorrelation: pd.DataFrame | None) -> dict[tuple, Ours]:
    """Ours for Ehsani-Linnainmaa (2022): TS / CS factor momentum's average return (monthly mean x 12,
    decimals per year) with the OLS t-statistic of the monthly mean, and the pooled Table I means after up
    and down years (decimals per month)."""
    out: dict[str, Ours] = {}
    for column in ("tsmom", "xsmom"):
        if momentum is None or column not in momentum:
            continue
        r = momentum[column].dropna().astype(float)
        if len(r) > 1:
            t = float(r.mean() / (r.std(ddof=1) / math.sqrt(len(r))))
            out[f"momentum.{column}.mean"] = Ours(float(r.mean() * 12), t_stat=t)
    if autocorrelation is not None and len(autocorrelation):
        pooled = autocorrelation[autocorrelation["factor"] == "pooled"]
        if len(pooled):
            row = pooled.iloc[0]
            down, up = _finite(row.get("mean_after_down")), _finite(row.get("mean_after_up"))
            if down is not None:
                out["autocorr.pooled.after_down"] = Ours(down, t_stat=_finite(row.get("t_alpha")))
            if up is not None:
                out["autocorr.pooled.after_up"] = Ours(up)
    return {(k, None): v for k, v in out.items()}


# ---- the comparison -----------------------------------------------------------------------------------

COMPARISON_COLUMNS = [
    "figure_id",
    "label",
    "weighting",
    "source",
    "unit",
    "paper",
    "paper_se",
    "paper_t",
    "ours",
    "ours_t",
    "ours_alt_label",
    "ours_alt",
    "difference",
    "within_se",
]


def to_unit(value: float | None, unit: str) -> float | None:
    """A decimal figure in the printed unit (percent units x 100)."""
    if value is None:
        return None
    return value * 100.0 if unit in PERCENT_UNITS else value


def compare(figures: Sequence[PublishedFigure], ours: Mapping[tuple, Ours]) -> pd.DataFrame:
    """One row per published figure: the paper's value, SE and t; ours in the same unit (NaN when we do
    not compute it), ours minus paper, and ``within_se`` (|ours - paper| <= the paper's SE; NA without
    a published SE or without ours)."""
    rows = []
    for figure in figures:
        mine = ours.get((figure.metric, figure.weighting)) or ours.get((figure.metric, None))
        value = to_unit(mine.value, figure.unit) if mine else None
        alt = to_unit(mine.alt_value, figure.unit) if mine and mine.alt_value is not None else None
        se = figure.standard_error
        within = pd.NA
        if value is not None and se is not None:
            within = bool(abs(value - figure.value) <= se)
        rows.append(
            {
                "figure_id": figure.id,
                "label": figure.label,
                "weighting": figure.weighting or "",
                "source": figure.source,
                "unit": figure.unit,
                "paper": figure.value,
                "paper_se": np.nan if se is None else se,
                "paper_t": np.nan if figure.t_stat is None else figure.t_stat,
                "ours": np.nan if value is None else value,
                "ours_t": np.nan if not mine or mine.t_stat is None else mine.t_stat,
                "ours_alt_label": mine.alt_label if mine else "",
                "ours_alt": np.nan if alt is None else alt,
                "difference": np.nan if value is None else value - figure.value,
                "within_se": within,
            }
        )
    frame = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    frame["within_se"] = frame["within_se"].astype("boolean")
    return frame


def within_se_counts(comparison: pd.DataFrame) -> dict[str, int]:
    """Figures, figures with a published SE, those we compute, and those within the paper's SE."""
    has_se = comparison["paper_se"].notna()
    return {
        "figures": int(len(comparison)),
        "with_se": int(has_se.sum()),
        "computed": int(comparison["ours"].notna().sum()),
        "within_se": int(comparison["within_se"].fillna(False).astype(bool).sum()),
    }
