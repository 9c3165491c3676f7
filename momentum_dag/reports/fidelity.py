"""The words of the "paper | ours | why they differ" tables (the numbers are ``core.fidelity``'s).

``comparison_block`` turns a ``core.fidelity.compare`` frame into the context of the
``_paper_vs_ours.html`` partial: the study's citation, one line saying how our sample, universe,
definition, factors and data differ from the paper's, the table, and the reading of any ambiguous
convention with its evidence. ``index_block`` gives the index page's per-study counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from momentum_dag.core.fidelity import ic_reading, icir_reading, weight_distribution, within_se_counts
from momentum_dag.core.published import PublishedFigure, PublishedStudy, load_published

PUBLISHED_NOTE = (
    "Published figures are read from momentum_dag/reports/published.yaml (value and unit as printed, source, "
    "sample, universe, and the paper's standard error or t-statistic where printed). 'Within SE' = ours is "
    "within one of the paper's own standard errors of the printed figure; blank where the paper prints none."
)


@dataclass(frozen=True)
class OurSetup:
    """How our figures were made, in words: sample, universe, definition, factors, data source."""

    sample: str
    universe: str
    definition: str = ""
    factors: str = ""
    data_source: str = ""


def _fmt(value: object, unit: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "–"
    value = float(value)
    if unit == "count":
        return f"{value:.0f}"
    if unit in ("percent_per_month", "percent_per_year", "percent", "t_stat"):
        return f"{value:.2f}"
    return f"{value:.3f}"


UNIT_LABELS = {
    "percent_per_month": "% / month",
    "percent_per_year": "% / year",
    "percent": "%",
    "ratio": "",
    "beta": "",
    "correlation": "",
    "t_stat": "t",
    "count": "months",
}


def difference_line(study: PublishedStudy, ours: OurSetup) -> str:
    """One line: the paper's sample, universe and definition against ours, our factors and data source."""
    parts = [
        f"Sample: paper {study.sample}; ours {ours.sample}.",
        f"Universe: paper {study.universe}; ours {ours.universe}.",
    ]
    if study.definition or ours.definition:
        parts.append(
            f"Definition: paper {study.definition or 'as in the paper'}; ours {ours.definition or 'the same'}."
        )
    if ours.factors:
        parts.append(f"Factors: {ours.factors}.")
    if ours.data_source:
        parts.append(f"Data: {ours.data_source}.")
    return " ".join(parts)


def _why(figure: PublishedFigure, row: pd.Series, study: PublishedStudy) -> str:
    reasons = []
    if figure.sample != study.sample:
        reasons.append(f"paper's sample for this figure: {figure.sample}")
    if figure.weighting:
        reasons.append(f"{figure.weighting}-weighted")
    if figure.note:
        reasons.append(figure.note)
    if pd.isna(row["ours"]):
        reasons.append("not computed on this page's data (see the notes)")
    if not reasons:
        reasons.append("sample, universe and data as in the line above")
    return "; ".join(reasons)


def _icir_evidence(figures: list[PublishedFigure], comparison: pd.DataFrame) -> list[str]:
    """The ICIR reading (the D-MOM note prints 'annualized ICIR' beside an IC > 0 share) with its evidence."""
    by_id = {f.id: f for f in figures}
    icir = [by_id[i] for i in comparison["figure_id"] if by_id[i].metric == "icir_printed"]
    share = next((f for f in figures if f.metric == "ic_positive_share"), None)
    if not icir or share is None:
        return []
    printed = icir[0]
    reading = icir_reading(printed.value, share.value)
    row = comparison[comparison["figure_id"] == printed.id].iloc[0]
    ours_period = _fmt(row["ours"], "ratio")
    ours_annual = _fmt(row["ours_alt"], "ratio")
    word = "per period" if reading["reading"] == "per_period" else "annualized"
    return [
        f"ICIR reading: the report prints 'annualized ICIR {printed.value:g}' beside IC > 0 in {share.value:g}% of "
        f"months. With normal ICs, P(IC > 0) = Phi(per-period ICIR): {share.value:g}% implies a per-period ICIR "
        f"of {reading['implied_per_period_icir']:.2f}; {printed.value:g} read per period implies IC > 0 in "
        f"{reading['share_if_per_period']:.0%} of months, read as annualized (x sqrt 12) in "
        f"{reading['share_if_annualized']:.0%}. The printed figure is therefore read {word}, and sits beside our "
        f"{word} ICIR. Ours (rank IC): per period {ours_period}, annualized {ours_annual} (both shown in the row)."
    ]


def _ic_evidence(study: PublishedStudy, comparison: pd.DataFrame) -> list[str]:
    """The IC reading (the note prints 'IC' without saying rank or Pearson) with its evidence, when the page
    shows an IC figure and the study's own rows give evidence (``core.fidelity.ic_reading``)."""
    by_id = {f.id: f for f in study.figures}
    if not any(by_id[i].metric == "ic_mean" for i in comparison["figure_id"] if i in by_id):
        return []
    evidence = ic_reading(study.figures)
    if not evidence:
        return []
    rows = "; ".join(f"{page}: IC {ic:g} beside a long-short return of {ret:g} %/yr" for page, ic, ret in evidence)
    return [
        f"IC reading: the report prints 'IC' without saying whether it is the Pearson or the rank (Spearman) "
        f"correlation. Its own rows print a positive IC beside a negative long-short return ({rows}). A decile "
        "long-short return is the payoff of the extreme names; a Pearson IC of returns is dominated by the same "
        "extremes and tends to share its sign, while a rank IC weighs every name alike and stays positive when "
        "the bulk of the cross-section is ordered the right way and only the extremes revert. 'IC' is "
        "therefore read as the rank IC: ours in the IC mean, IC > 0 and ICIR rows is our rank IC, with our "
        "Pearson IC mean and IC > 0 share shown beside it."
    ]


def comparison_block(
    study: PublishedStudy,
    figures: list[PublishedFigure],
    comparison: pd.DataFrame,
    ours: OurSetup,
) -> dict:
    """Context of ``_paper_vs_ours.html``: title, citation, the difference line, the table, evidence."""
    by_id = {f.id: f for f in figures}
    rows = []
    for _, row in comparison.iterrows():
        figure = by_id[row["figure_id"]]
        label = figure.label + (f" ({figure.weighting}-weighted)" if figure.weighting else "")
        unit = UNIT_LABELS.get(figure.unit, figure.unit)
        paper = _fmt(row["paper"], figure.unit)
        if pd.notna(row["paper_t"]):
            paper += f" (t {row['paper_t']:.2f})"
        mine = _fmt(row["ours"], figure.unit)
        if pd.notna(row["ours_t"]) and figure.unit != "t_stat":
            mine += f" (t {row['ours_t']:.2f})"
        if row["ours_alt_label"] and pd.notna(row["ours_alt"]):
            mine += f"; {row['ours_alt_label']} {_fmt(row['ours_alt'], figure.unit)}"
        within = "–" if pd.isna(row["within_se"]) else ("yes" if row["within_se"] else "no")
        rows.append([label, figure.source, unit, paper, mine, within, _why(figure, row, study)])
    counts = within_se_counts(comparison)
    return {
        "title": study.title,
        "citation": study.citation,
        "line": difference_line(study, ours),
        "note": PUBLISHED_NOTE,
        "table": {
            "columns": ["Figure", "Source", "Unit", "Paper", "Ours", "Within SE", "Why they differ"],
            "rows": rows,
            "numeric": [False, False, False, True, True, False, False],
        },
        "evidence": _ic_evidence(study, comparison) + _icir_evidence(figures, comparison),
        "counts": counts,
    }


def index_block(comparisons: pd.DataFrame | None, published_path: str | None = None) -> list[dict]:
    """Per study and page: published figures, with a published SE, ours computed, ours within the SE.

    ``comparisons``: the stored rows (``page``, ``study`` and the ``core.fidelity.compare`` columns)."""
    if comparisons is None or comparisons.empty:
        return []
    studies = load_published(published_path)
    out = []
    for (study_id, page), frame in comparisons.groupby(["study", "page"], sort=False):
        counts = within_se_counts(frame)
        title = studies[study_id].title if study_id in studies else study_id
        out.append({"study": title, "page": page, **counts})
    return out


def weight_sections(
    weights: pd.DataFrame,
    summary: pd.DataFrame | None,
    figures: list[PublishedFigure],
    *,
    monthly_fallback: bool,
) -> list[tuple[str, pd.DataFrame | str]]:
    """The weight distribution of each strategy beside the paper's ranges (D&M Sec. 5, Fig. 6), in D&M's
    scaling (each strategy's full-sample volatility equal to WML's, p. 233), and a sentence for every
    strategy whose weights leave the paper's range (naming the monthly fallback when it is the cause)."""
    if weights is None or weights.empty or summary is None or summary.empty:
        return []
    first = summary.iloc[0]
    target, wml_vol = first.get("ex_post_target_vol"), first.get("wml_vol_ann")
    scale = float(wml_vol) / float(target) if target and wml_vol and pd.notna(wml_vol) else None
    dist = weight_distribution(weights, scale)
    ranges = {}
    for figure in figures:
        parts = figure.metric.split(".")
        if len(parts) == 3 and parts[0] == "weights" and parts[2] in ("min", "max"):
            ranges.setdefault(parts[1], {})[parts[2]] = figure.value
    table = dist.copy()
    table["paper_min"] = [ranges.get(s, {}).get("min") for s in table.index]
    table["paper_max"] = [ranges.get(s, {}).get("max") for s in table.index]
    sentences = []
    for strategy, row in table.iterrows():
        lo, hi = row["paper_min"], row["paper_max"]
        if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
            continue
        width = hi - lo
        beyond = max(lo - row["min"], row["max"] - hi, 0.0)
        if beyond <= 0:
            sentences.append(f"{strategy}: ours {row['min']:.2f}..{row['max']:.2f}, inside the paper's {lo:g}..{hi:g}.")
            continue
        how = "far outside" if beyond > 0.25 * width else "outside"
        cause = (
            " The monthly fallback estimates each variance from 12 monthly returns (not 126 daily ones), so a calm "
            "year makes the forecast small and its inverse large: that is what pushes these weights out."
            if monthly_fallback
            else ""
        )
        sentences.append(
            f"{strategy}: ours {row['min']:.2f}..{row['max']:.2f} (1st-99th percentile {row['p01']:.2f}.."
            f"{row['p99']:.2f}), {how} the paper's {lo:g}..{hi:g}.{cause}"
        )
    heading = "Weights on WML beside the paper's ranges (each strategy scaled to WML's full-sample volatility)"
    return [(heading, table.reset_index()), ("Weights against the paper's ranges", "\n\n".join(sentences) or "–")]
