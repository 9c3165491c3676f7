"""The factor-momentum report pages (Ehsani & Linnainmaa 2022): cumulative-return charts in the style of
Figure 1 and the page's sections (TS/CS momentum by half, Table I, PC momentum, momentum-neutral factors,
spanning tests, GRS, Table VIII).

Charts are :class:`~momentum_dag.reports.interactive.Chart` specs drawn in the browser. The statistics are
``core.factor_momentum.summaries``' (:class:`~momentum_dag.core.factor_momentum.summaries.PageStatistics`):
this module only renders them.
"""

from __future__ import annotations

import pandas as pd

from momentum_dag.core.factor_momentum.study import FactorMomentumParams
from momentum_dag.core.factor_momentum.summaries import PageStatistics
from momentum_dag.reports.interactive import Chart, Table

PAPER = "Ehsani, S. and Linnainmaa, J. T. (2022), Factor momentum and the momentum factor, JF 77(3):1877-1919"


def cumulative_chart(returns: pd.DataFrame, *, title: str) -> Chart:
    """Wealth of 1 in each column of ``returns`` (monthly, indexed by holding month).

    Each series starts at its first non-missing month; later missing months count as 0 return.
    """
    if not isinstance(returns, pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise ValueError("returns must be a DataFrame indexed by period_end dates")
    frame = returns.dropna(how="all")
    if frame.empty:
        raise ValueError(f"{title}: no returns to plot")
    return Chart(frame.astype(float), f"{title} (wealth of 1)", kind="wealth", y_title="wealth from 1")


# ---- page sections ----------------------------------------------------------------------------------

PC_NOTE = (
    "pc_group_1 holds the PCs with the highest eigenvalues: PC1-10, PC11-20, ... with 20 or more factors, "
    "else the two halves PC1..floor(N/2) and the rest (core.pc_factors.default_pc_groups). The factor set "
    "at t is every factor with enough monthly and daily history through t, so N grows as young factors "
    "mature (column n_factors of models.pc_factor_momentum_monthly)."
)
TABLE_NOTE = (
    "TS factor momentum (tsmom) is long factors whose average return over the 12 months t-11..t is positive "
    "and short those with a negative one, equal weight, held in t+1; winners/losers are the average returns "
    "of the two legs (not negated). XS momentum (xsmom) is long factors at or above the median average, "
    "short below. t = mean / (std / sqrt(n)); Sharpe annualized with sqrt(12); halves split each series' "
    "own months at their midpoint."
)


HALVES_LABELS = {
    "series": "Series",
    "sample": "Sample",
    "mean": "Mean (% / month)",
    "t_stat": "t-stat",
    "sharpe": "Sharpe (annualized)",
    "n": "Months (count)",
    "start": "First month (date)",
    "end": "Last month (date)",
}
HALVES_GLOSSARY = {
    "series": (
        "tsmom / xsmom: time-series and cross-sectional factor momentum; _winners / _losers: the long and short "
        "legs' average returns (not negated); xsmom_weighted: Lo-MacKinlay weights w_f = (MA_f - mean MA) / N, "
        "so its mean is a product of two returns divided by N (tiny by construction): read its t-stat and Sharpe"
    ),
    "sample": "full sample, or each series' own months split at their midpoint",
    "mean": "mean monthly return in percent (the CSV keeps decimals)",
    "t_stat": "mean / (std / sqrt(n))",
    "sharpe": "mean / std x sqrt(12)",
}


# Columns of the study's tables: header with its unit, and whether it is a monthly return shown in percent.
STUDY_COLUMNS: dict[str, tuple[str, bool]] = {
    "mean": ("Mean (% / month)", True),
    "alpha": ("alpha (% / month)", True),
    "mean_after_up": ("mean after an up year (% / month)", True),
    "mean_after_down": ("mean after a down year (% / month)", True),
    "beta": ("b: up-year shift (% / month)", True),
    "t_stat": ("t-stat", False),
    "t_alpha": ("t(alpha)", False),
    "t_beta": ("t(b)", False),
    "sharpe": ("Sharpe (annualized)", False),
    "n": ("Months (count)", False),
    "n_up": ("Up years (months)", False),
    "n_down": ("Down years (months)", False),
    "start": ("First month (date)", False),
    "end": ("Last month (date)", False),
}


def study_table(frame: pd.DataFrame | str | None, missing: str, glossary: dict[str, str] | None = None) -> Table | str:
    """A study table with units in its headers and its monthly returns in percent (CSV in decimals);
    text (a "Not available" reason) passes through."""
    if frame is None or isinstance(frame, str):
        return frame if isinstance(frame, str) else missing
    if frame.empty:
        return missing
    shown = frame.copy()
    labels = {}
    for column in shown.columns:
        label, percent = STUDY_COLUMNS.get(str(column), (str(column), False))
        labels[str(column)] = label
        if percent and pd.api.types.is_numeric_dtype(shown[column]):
            shown[column] = shown[column].astype(float) * 100
    for column in shown.index.names:
        if column is not None:
            labels[str(column)] = STUDY_COLUMNS.get(str(column), (str(column), False))[0]
    return Table(shown, csv=frame, labels=labels, glossary=glossary or {})


def halves_table(raw: pd.DataFrame | None) -> Table | str:
    """TS/CS factor momentum over the full sample and its halves (``PageStatistics.halves``): mean in % per
    month, units in headers."""
    if raw is None:
        return "Not available: no month with a signal yet (history too short)."
    shown = raw.assign(mean=raw["mean"] * 100)
    return Table(shown, csv=raw, labels=HALVES_LABELS, glossary=HALVES_GLOSSARY)


def _plot(frame: pd.DataFrame | None, title: str) -> Chart | str:
    if frame is None or frame.dropna(how="all").empty:
        return "Not available: no returns yet."
    return cumulative_chart(frame, title=title)


def factor_momentum_sections(
    *,
    intro: str,
    stats: PageStatistics,
    autocorrelation: pd.DataFrame | None,
    grs: pd.DataFrame | None,
    conditional: pd.DataFrame | None,
    pc_section: bool = True,
    neutral_section: bool = True,
    notes: list[str] = (),
) -> list[tuple[str, pd.DataFrame | Chart | str]]:
    """Sections of a factor-momentum page; the PC and momentum-neutral parts only when asked for."""
    momentum = stats.momentum
    sections: list = [("About this page", intro)]
    if notes:
        sections.append(("Notes and missing pieces", "\n\n".join(notes)))
    sections.append(
        (
            "Time-series and cross-sectional factor momentum (full sample and halves)",
            halves_table(stats.halves),
        )
    )
    sections.append(("How to read it", TABLE_NOTE))
    cols = [c for c in ("tsmom", "xsmom") if momentum is not None and c in momentum]
    sections.append(
        (
            "Cumulative TS and CS factor momentum",
            _plot(momentum[cols] if cols else None, "TS and CS factor momentum"),
        )
    )
    sections.append(
        (
            "Table I: factor returns after up and down years (r = a + b 1[prior year > 0])",
            study_table(
                autocorrelation,
                "Not available: no factor with a full prior year yet.",
                {
                    "alpha": "the factor's mean return after a down prior year (a), % per month",
                    "beta": "the shift after an up prior year (b), % per month",
                    "role": "factor: enters the strategies; momentum: the momentum factors; pooled: all stacked",
                },
            ),
        )
    )
    if pc_section:
        sections.append(
            (
                "PC factor momentum by eigenvalue group (full sample and halves)",
                study_table(stats.pc_halves, "Not available: no PC momentum month yet.", HALVES_GLOSSARY),
            )
        )
        sections.append(("PC groups", PC_NOTE))
        sections.append(("Cumulative PC factor momentum", _plot(stats.pc, "PC factor momentum")))
    if neutral_section:
        sections.append(
            (
                "Factor momentum on momentum-neutral vs raw characteristic factors",
                study_table(
                    stats.neutral_halves, "Not available: no neutral factor-momentum month yet.", HALVES_GLOSSARY
                ),
            )
        )
        sections.append(
            (
                "Cumulative TS momentum: raw vs momentum-neutral characteristic factors",
                _plot(stats.neutral_tsmom, "TS momentum, raw vs momentum-neutral"),
            )
        )
    sections.append(
        (
            "Spanning regressions (alpha, t(alpha), coefficient on the term added to the FF-style model)",
            stats.spanning if len(stats.spanning) else "Not available: too few months with every regressor.",
        )
    )
    sections.append(
        (
            "Momentum-sorted portfolios on each model: GRS test",
            grs if grs is not None and len(grs) else "Not available.",
        )
    )
    sections.append(
        (
            "Table VIII: correlation of momentum with each factor given its prior-year sign",
            conditional if conditional is not None and len(conditional) else "Not available.",
        )
    )
    return sections


def intro_text(params: FactorMomentumParams, source: str) -> str:
    return (
        f"Factor momentum and the momentum factor, after {PAPER}. Data source: {source}. Strategy factors: "
        f"sources {', '.join(params.strategy_sources)} (role factor); the stock-momentum factors "
        "(characteristic "
        f"momentum, Barra momentum) are excluded from every strategy and used as the momentum factor in the "
        f"spanning tests together with the decile WML. Signals: {params.lookback}-month average (no skip "
        f"month); PC factors need {params.pc_min_months} months and {params.pc_min_days} days of returns."
    )
