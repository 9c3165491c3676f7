"""Static HTML reports: one page per factor, an index ranking all factors, and generic table pages.

Pages are rendered with jinja2 templates from ``reports/templates`` and written under ``out_dir`` with
their PNGs in a sibling folder named after the page (``<slug>.html`` + ``<slug>/*.png``), linked by
relative paths, so the folder opens from disk or any static file server.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from momentum_dag.reports.plots import quantile_columns, write_factor_plots

TEMPLATES_DIR = Path(__file__).parent / "templates"
SYNTHETIC_NOTE = "results on synthetic data test the machinery, not markets"
MISSING = "–"

_env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]))


# ---------------------------------------------------------------- number formats


def fmt_ic(value: object) -> str:
    """Correlations (IC, Rank IC): 4 decimals."""
    return _fmt(value, "{:.4f}")


def fmt_pct(value: object) -> str:
    """Returns, shares and drawdowns: percent with 2 decimals."""
    return _fmt(value, "{:.2%}")


def fmt_ratio(value: object) -> str:
    """ICIR, Sharpe, t-stats, monotonicity: 2 decimals."""
    return _fmt(value, "{:.2f}")


def fmt_int(value: object) -> str:
    return _fmt(value, "{:.0f}")


def fmt_general(value: object) -> str:
    """Generic cell: 4 decimals for floats, dates as YYYY-MM-DD, anything else as text."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return MISSING
    if isinstance(value, pd.Timestamp | datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return fmt_ic(value)
    return str(value)


def _fmt(value: object, pattern: str) -> str:
    if value is None or pd.isna(value):
        return MISSING
    return pattern.format(float(value))


Formatter = Callable[[object], str]

# Summary rows of a factor page: key of FactorEvaluation.summary, label, format.
SUMMARY_ROWS: list[tuple[str, str, Formatter]] = [
    ("ic_mean", "IC mean (Pearson)", fmt_ic),
    ("rank_ic_mean", "Rank IC mean (Spearman)", fmt_ic),
    ("icir", "ICIR (mean/std, per period)", fmt_ratio),
    ("icir_annualized", "ICIR annualized", fmt_ratio),
    ("rank_icir", "Rank ICIR (per period)", fmt_ratio),
    ("rank_icir_annualized", "Rank ICIR annualized", fmt_ratio),
    ("ic_positive_share", "Share of periods IC > 0", fmt_pct),
    ("rank_ic_positive_share", "Share of periods Rank IC > 0", fmt_pct),
    ("ic_t_stat", "IC t-stat", fmt_ratio),
    ("rank_ic_t_stat", "Rank IC t-stat", fmt_ratio),
    ("long_short_ann_return", "Ann. long-short return", fmt_pct),
    ("long_short_ann_volatility", "Ann. long-short volatility", fmt_pct),
    ("long_short_sharpe", "Long-short Sharpe", fmt_ratio),
    ("long_short_max_drawdown", "Long-short max drawdown", fmt_pct),
    ("long_short_turnover", "Long-short turnover (both legs, sum of |weight change|, mean per period)", fmt_pct),
    ("cost_bps", "Cost per unit of turnover (bps)", fmt_ratio),
    ("long_short_net_ann_return", "Ann. long-short return, net of costs", fmt_pct),
    ("long_short_net_sharpe", "Long-short Sharpe, net of costs", fmt_ratio),
    ("long_only_excess_ann_return", "Ann. long-only excess return", fmt_pct),
    ("monotonicity", "Monotonicity (Spearman of quantile vs mean return)", fmt_ratio),
    ("top_turnover", "Top-quantile turnover (mean per period)", fmt_pct),
    ("n_periods", "Periods", fmt_int),
]

# Columns of the index page, in order, with their label and format (only those present are shown).
INDEX_COLUMNS: list[tuple[str, str, Formatter]] = [
    ("title", "Title", fmt_general),
    ("weighting", "Weighting", fmt_general),
    ("frequency", "Frequency", fmt_general),
    ("rank_ic_mean", "Rank IC mean", fmt_ic),
    ("rank_icir_annualized", "Rank ICIR ann.", fmt_ratio),
    ("ic_mean", "IC mean", fmt_ic),
    ("icir_annualized", "ICIR ann.", fmt_ratio),
    ("long_short_ann_return", "Ann. long-short", fmt_pct),
    ("long_short_sharpe", "L-S Sharpe", fmt_ratio),
    ("long_short_net_ann_return", "Ann. long-short net", fmt_pct),
    ("long_short_net_sharpe", "L-S Sharpe net", fmt_ratio),
    ("long_short_max_drawdown", "L-S max DD", fmt_pct),
    ("long_only_excess_ann_return", "Ann. long-only excess", fmt_pct),
    ("monotonicity", "Monotonicity", fmt_ratio),
    ("top_turnover", "Top turnover", fmt_pct),
    ("n_periods", "Periods", fmt_int),
]

WEIGHTING_LABELS = {"equal": "Equal-weighted", "cap": "Cap-weighted"}


def per_period_format(column: str) -> Formatter:
    """Format of a per-period table column: IC 4 decimals, returns and turnover in percent."""
    if column in ("ic", "rank_ic"):
        return fmt_ic
    if column == "n_names":
        return fmt_int
    if re.match(r"^(q\d+|universe|long_short|long_only_excess|top_turnover)", column):
        return fmt_pct
    return fmt_general


# ---------------------------------------------------------------- helpers


def page_slug(name: str) -> str:
    """File-name-safe slug of a factor or report name (the page is ``<slug>.html``)."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(name)).strip("._")
    if not slug:
        raise ValueError(f"cannot build a page name from {name!r}")
    return slug


def data_source_line(data_source: str) -> str:
    """The data-source banner shown on every page."""
    if data_source == "synthetic":
        return f"Data source: synthetic market. Note: {SYNTHETIC_NOTE}."
    return f"Data source: {data_source}."


def _table(
    frame: pd.DataFrame,
    formats: Mapping[str, Formatter] | None = None,
    numeric: Sequence[bool] | None = None,
) -> dict:
    """Pre-formatted table for ``_table.html``: header, rows of strings, and which columns right-align.

    ``numeric`` defaults to the columns with a numeric dtype; ``Markup`` cells (links) are not escaped.
    """
    formats = formats or {}
    columns = [str(c) for c in frame.columns]
    if numeric is None:
        numeric = [_is_number_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    cell_formats = [formats.get(str(c), fmt_general) for c in frame.columns]
    rows = [
        [cell if isinstance(cell, Markup) else f(cell) for f, cell in zip(cell_formats, row, strict=True)]
        for row in frame.itertuples(index=False, name=None)
    ]
    return {"columns": columns, "rows": rows, "numeric": numeric}


def _is_number_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _write(path: Path, template: str, **context: object) -> Path:
    context.setdefault("generated", datetime.now().strftime("%Y-%m-%d %H:%M"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_env.get_template(template).render(**context), encoding="utf-8")
    return path


def _relative(target: Path, base: Path) -> str:
    return target.resolve().relative_to(base.resolve()).as_posix()


# ---------------------------------------------------------------- pages


def summary_table(summaries: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Metric rows x weighting columns of formatted summary values (keys not in SUMMARY_ROWS are listed last)."""
    if not summaries:
        raise ValueError("summaries must hold at least one FactorEvaluation.summary() dict")
    labels = [
        WEIGHTING_LABELS.get(str(s.get("weighting")), str(s.get("weighting", f"summary {i + 1}")))
        for i, s in enumerate(summaries)
    ]
    known = {key for key, _, _ in SUMMARY_ROWS}
    extra = [k for s in summaries for k in s if k not in known and k != "weighting"]
    rows = [*SUMMARY_ROWS, *[(k, k, fmt_general) for k in dict.fromkeys(extra)]]
    records = [
        {"Metric": label, **{col: fmt(s.get(key)) for col, s in zip(labels, summaries, strict=True)}}
        for key, label, fmt in rows
        if any(key in s for s in summaries)
    ]
    return pd.DataFrame.from_records(records, columns=["Metric", *labels])


def render_factor_report(
    out_dir: Path,
    factor_name: str,
    title: str,
    description: str,
    params: Mapping[str, object],
    per_period: pd.DataFrame,
    summaries: Sequence[Mapping[str, object]],
    data_source: str,
    paper: str,
    comparison: Mapping[str, object] | None = None,
) -> Path:
    """Write ``<out_dir>/<slug>.html`` and its PNGs in ``<out_dir>/<slug>/``; return the HTML path.

    Args:
        out_dir: reports folder (the index lives here too).
        factor_name: registry name; the page is ``page_slug(factor_name) + ".html"``.
        title, description, paper: text for researchers (paper = citation line).
        params: factor parameters shown as a table (e.g. ``{"window": 12, "skip": 1}``).
        per_period: ``FactorEvaluation.per_period``.
        summaries: ``FactorEvaluation.summaries()`` (one dict per weighting, with a ``weighting`` key).
        data_source: ``"synthetic"`` or ``"files"``; synthetic pages carry the synthetic-data note.
        comparison: the "paper | ours | why they differ" block (``reports.fidelity.comparison_block``).
    """
    out_dir = Path(out_dir)
    slug = page_slug(factor_name)
    plots = write_factor_plots(per_period, out_dir / slug)
    n_quantiles = len(quantile_columns(per_period, "ew"))
    per_period_formats = {str(c): per_period_format(str(c)) for c in per_period.columns}
    summary = summary_table(summaries)
    params_frame = pd.DataFrame({"Parameter": list(params), "Value": [str(v) for v in params.values()]})
    return _write(
        out_dir / f"{slug}.html",
        "factor.html",
        title=title,
        factor_name=factor_name,
        description=description,
        paper=paper,
        source_line=data_source_line(data_source),
        n_quantiles=n_quantiles,
        summary_table=_table(summary, numeric=[False] + [True] * (summary.shape[1] - 1)),
        plots={key: _relative(path, out_dir) for key, path in plots.items()},
        params_table=_table(params_frame),
        per_period_table=_table(per_period, per_period_formats),
        comparison=comparison,
    )


def render_index(
    out_dir: Path,
    rows: pd.DataFrame,
    *,
    data_source: str | None = None,
    title: str = "Momentum factor evaluation",
    other_reports: Sequence[tuple[str, str]] = (),
    fidelity: Sequence[Mapping[str, object]] = (),
) -> Path:
    """Write ``<out_dir>/index.html`` ranking factors by |rank_icir_annualized| (largest first).

    Args:
        rows: one row per factor (or per factor and weighting) with columns ``factor_name`` and
            ``rank_icir_annualized``; optional ``page`` (link, default ``<slug>.html``), ``data_source``
            and any of the INDEX_COLUMNS keys (e.g. ``title``, ``weighting``, ``rank_ic_mean``,
            ``long_short_ann_return``), which are shown in that order.
        data_source: shown in the banner; default the unique value of ``rows["data_source"]``.
        other_reports: (link text, href) pairs for non-factor pages (crash tables, factor momentum).
        fidelity: per study and page, published figures and how many ours is within the paper's SE of
            (``reports.fidelity.index_block``).
    """
    missing = [c for c in ("factor_name", "rank_icir_annualized") if c not in rows.columns]
    if missing:
        raise ValueError(f"render_index rows are missing columns {missing}")
    source = data_source if data_source is not None else _single_data_source(rows)
    rows = rows.reset_index(drop=True)
    strength = rows["rank_icir_annualized"].astype(float).abs()
    # Stable sort keeps a factor's weightings together in their given order.
    ranked = rows.loc[strength.sort_values(ascending=False, na_position="last", kind="stable").index]
    ranked = ranked.reset_index(drop=True)
    pages = ranked["page"] if "page" in ranked.columns else ranked["factor_name"].map(lambda n: f"{page_slug(n)}.html")
    shown = [(key, label, fmt) for key, label, fmt in INDEX_COLUMNS if key in ranked.columns]
    table = pd.DataFrame({"#": range(1, len(ranked) + 1)})
    links = [Markup('<a href="{}">{}</a>').format(p, n) for p, n in zip(pages, ranked["factor_name"], strict=True)]
    # object dtype keeps the Markup type (pandas 3 coerces a list of str to its string dtype and would escape).
    table["Factor"] = pd.Series(links, dtype=object)
    for key, label, _ in shown:
        table[label] = ranked[key].to_numpy()
    formats = {"#": fmt_int, **{label: fmt for _, label, fmt in shown}}
    return _write(
        Path(out_dir) / "index.html",
        "index.html",
        title=title,
        source_line=data_source_line(source),
        factor_table=_table(table, formats),
        other_reports=list(other_reports),
        fidelity=list(fidelity),
    )


def _single_data_source(rows: pd.DataFrame) -> str:
    if "data_source" not in rows.columns:
        raise ValueError("render_index needs data_source=... or a 'data_source' column in rows")
    sources = rows["data_source"].dropna().unique()
    if len(sources) != 1:
        raise ValueError(f"rows mix data sources {list(sources)}; pass data_source explicitly")
    return str(sources[0])


def render_tables_report(
    out_dir: Path,
    slug: str,
    title: str,
    sections: Sequence[tuple[str, pd.DataFrame | Path | str]],
    *,
    data_source: str | None = None,
    comparison: Mapping[str, object] | None = None,
) -> Path:
    """Write ``<out_dir>/<slug>.html``: a titled list of sections, each a table, a PNG or text.

    Section content: a DataFrame (a non-default index is shown as leading columns; floats with 4
    decimals, dates as YYYY-MM-DD), a ``Path`` to an existing image (copied into ``<out_dir>/<slug>/``
    unless already under ``out_dir``), or a string (paragraphs split on blank lines; HTML is escaped).
    """
    out_dir = Path(out_dir)
    page = page_slug(slug)
    rendered = []
    for heading, content in sections:
        if isinstance(content, pd.DataFrame):
            frame = content if isinstance(content.index, pd.RangeIndex) else content.reset_index()
            rendered.append({"heading": heading, "kind": "table", "table": _table(frame)})
        elif isinstance(content, Path):
            src = _place_image(content, out_dir, page)
            rendered.append({"heading": heading, "kind": "image", "src": src})
        elif isinstance(content, str):
            paragraphs = [p.strip() for p in re.split(r"\n\s*\n", content) if p.strip()]
            rendered.append({"heading": heading, "kind": "text", "paragraphs": paragraphs})
        else:
            raise ValueError(
                f"section {heading!r}: content must be a DataFrame, a Path to a PNG or a str, "
                f"got {type(content).__name__}"
            )
    return _write(
        out_dir / f"{page}.html",
        "tables.html",
        title=title,
        source_line=data_source_line(data_source) if data_source else "",
        sections=rendered,
        comparison=comparison,
    )


def _place_image(image: Path, out_dir: Path, page: str) -> str:
    """Relative link to ``image``, copying it next to the page when it lives outside ``out_dir``."""
    if not image.is_file():
        raise ValueError(f"image {image} does not exist")
    try:
        return _relative(image, out_dir)
    except ValueError:
        target = out_dir / page / image.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(image, target)
        return _relative(target, out_dir)


__all__ = [
    "SYNTHETIC_NOTE",
    "data_source_line",
    "page_slug",
    "render_factor_report",
    "render_index",
    "render_tables_report",
    "summary_table",
]
