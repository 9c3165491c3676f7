"""HTML reports: one page per factor, an index ranking all factors, the comparison page and generic
table pages.

Pages are rendered with jinja2 templates from ``reports/templates`` and written under ``out_dir`` with
their data in a sibling folder named after the page (``<slug>.html`` + ``<slug>/data.js`` and one CSV per
table), linked by relative paths, so the folder opens from disk or any static file server. Charts are
Plotly, drawn in the browser (``reports/interactive.py``); ``plotly.min.js`` is written once into the
folder.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from momentum_dag.core.evaluation.costs import DEFAULT_COST_BPS
from momentum_dag.reports.interactive import Chart, PageWriter, Table, install_static, shown_frame
from momentum_dag.reports.plots import factor_charts, quantile_columns

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
        return "yes" if value else "no"
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

# Summary rows of a factor page: key of FactorEvaluation.summary, label (with its unit), format.
SUMMARY_ROWS: list[tuple[str, str, Formatter]] = [
    ("ic_mean", "IC mean (Pearson correlation)", fmt_ic),
    ("rank_ic_mean", "Rank IC mean (Spearman correlation)", fmt_ic),
    ("icir", "ICIR (mean/std, per period; ratio)", fmt_ratio),
    ("icir_annualized", "ICIR annualized (ratio)", fmt_ratio),
    ("rank_icir", "Rank ICIR (per period; ratio)", fmt_ratio),
    ("rank_icir_annualized", "Rank ICIR annualized (ratio)", fmt_ratio),
    ("ic_positive_share", "Share of periods IC > 0 (%)", fmt_pct),
    ("rank_ic_positive_share", "Share of periods Rank IC > 0 (%)", fmt_pct),
    ("ic_t_stat", "IC t-stat", fmt_ratio),
    ("rank_ic_t_stat", "Rank IC t-stat", fmt_ratio),
    ("long_short_ann_return", "Ann. long-short return, gross (%/yr)", fmt_pct),
    ("long_short_ann_volatility", "Ann. long-short volatility (%/yr)", fmt_pct),
    ("long_short_sharpe", "Long-short Sharpe, gross (annualized)", fmt_ratio),
    ("long_short_max_drawdown", "Long-short max drawdown (%)", fmt_pct),
    ("long_short_turnover", "Long-short turnover (both legs, sum of |weight change|; % per period)", fmt_pct),
    ("cost_bps", "Cost per unit of turnover (bps)", fmt_ratio),
    ("long_short_net_ann_return", "Ann. long-short return, net of costs (%/yr)", fmt_pct),
    ("long_short_net_sharpe", "Long-short Sharpe, net of costs (annualized)", fmt_ratio),
    ("long_only_excess_ann_return", "Ann. long-only excess return (%/yr)", fmt_pct),
    ("monotonicity", "Monotonicity (Spearman of quantile vs mean return)", fmt_ratio),
    ("top_turnover", "Top-quantile turnover (share of names new; % per period)", fmt_pct),
    ("n_periods", "Periods (count)", fmt_int),
]

# Columns of the index page, in order: key, header (with its unit), format, explanation.
INDEX_COLUMNS: list[tuple[str, str, Formatter, str]] = [
    ("title", "Title", fmt_general, "the factor's page title"),
    ("weighting", "Weighting", fmt_general, "equal: every name alike; cap: by float cap at formation"),
    ("frequency", "Frequency", fmt_general, "M monthly, W weekly formation periods"),
    ("rank_ic_mean", "Rank IC mean (corr.)", fmt_ic, "mean per-period Spearman correlation of factor and next return"),
    ("rank_icir_annualized", "Rank ICIR ann. (ratio)", fmt_ratio, "mean/std of rank IC x sqrt(periods per year)"),
    ("ic_mean", "IC mean (corr.)", fmt_ic, "mean per-period Pearson correlation"),
    ("icir_annualized", "ICIR ann. (ratio)", fmt_ratio, "mean/std of IC x sqrt(periods per year)"),
    ("long_short_ann_return", "L-S return (%/yr)", fmt_pct, "top minus bottom quantile, mean x periods per year"),
    ("long_short_sharpe", "L-S Sharpe (ann.)", fmt_ratio, "long-short mean/std x sqrt(periods per year)"),
    ("long_short_net_ann_return", "L-S net return (%/yr)", fmt_pct, "long-short return after cost_bps x turnover"),
    ("long_short_net_sharpe", "L-S net Sharpe (ann.)", fmt_ratio, "Sharpe of the net long-short return"),
    ("long_short_max_drawdown", "L-S max drawdown (%)", fmt_pct, "largest fall of the compounded long-short curve"),
    ("long_only_excess_ann_return", "Long-only excess (%/yr)", fmt_pct, "top quantile minus the universe mean"),
    ("monotonicity", "Monotonicity (rank corr.)", fmt_ratio, "Spearman of quantile number vs mean quantile return"),
    ("top_turnover", "Top turnover (%/period)", fmt_pct, "share of names new to the top quantile each period"),
    ("n_periods", "Periods (count)", fmt_int, "periods in the sample with a rank IC"),
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


def per_period_label(column: str) -> tuple[str, str]:
    """Header (with its unit) and one-line explanation of a per-period column."""
    weighting = "cap-weighted" if column.endswith("_cw") else "equal-weighted"
    if column == "period_end":
        return "Formation date", "t: the factor is measured at the end of this period"
    if column == "ic":
        return "IC (corr.)", "Pearson correlation of the factor at t with the return over (t, t+1]"
    if column == "rank_ic":
        return "Rank IC (corr.)", "Spearman correlation of the factor at t with the return over (t, t+1]"
    if column == "n_names":
        return "Names (count)", "names with a factor value and a next-period return"
    match = re.fullmatch(r"q(\d+)(_cw)?", column)
    if match:
        return f"q{match.group(1)} {'CW ' if match.group(2) else ''}(%)", (
            f"{weighting} return of quantile {match.group(1)} over (t, t+1], % per period"
        )
    for prefix, label, text in (
        ("universe", "Universe", "mean return of every evaluated name"),
        ("long_short_turnover", "L-S turnover", "both legs' sum of absolute weight changes at t, % of one leg"),
        ("long_short", "Long-short", "top minus bottom quantile return"),
        ("long_only_excess", "Long-only excess", "top quantile minus the universe mean"),
    ):
        if column.startswith(prefix):
            tag = "CW" if column.endswith("_cw") else "EW"
            return f"{label} {tag} (%)", f"{text}, {weighting}, % per period"
    if column == "top_turnover":
        return "Top turnover (%)", "share of the top quantile's names that were not in it the period before"
    return column, ""


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
    *,
    labels: Mapping[str, str] | None = None,
    glossary: Mapping[str, str] | None = None,
    csv_href: str | None = None,
    query: str | None = None,
    derived_from: str | None = None,
) -> dict:
    """Pre-formatted table for ``_table.html``: headers, rows of strings, which columns right-align, and
    its export (CSV link, the DuckDB query) and glossary (header -> explanation, listed once).

    ``numeric`` defaults to the columns with a numeric dtype; ``Markup`` cells (links) are not escaped.
    """
    formats = formats or {}
    labels = labels or {}
    columns = [str(c) for c in frame.columns]
    if numeric is None:
        numeric = [_is_number_column(frame.iloc[:, i]) for i in range(frame.shape[1])]
    cell_formats = [formats.get(str(c), fmt_general) for c in frame.columns]
    rows = [
        [cell if isinstance(cell, Markup) else f(cell) for f, cell in zip(cell_formats, row, strict=True)]
        for row in frame.itertuples(index=False, name=None)
    ]
    headers = [labels.get(c, c) for c in columns]
    explained = [(labels.get(c, c), text) for c, text in (glossary or {}).items() if text and c in columns]
    return {
        "columns": headers,
        "rows": rows,
        "numeric": numeric,
        "csv": csv_href,
        "query": query,
        "derived_from": derived_from,
        "glossary": explained,
    }


def _is_number_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _write(path: Path, template: str, **context: object) -> Path:
    context.setdefault("generated", datetime.now().strftime("%Y-%m-%d %H:%M"))
    context.setdefault("data_js", None)
    path.parent.mkdir(parents=True, exist_ok=True)
    install_static(path.parent)
    path.write_text(_env.get_template(template).render(**context), encoding="utf-8")
    return path


def _relative(target: Path, base: Path) -> str:
    return target.resolve().relative_to(base.resolve()).as_posix()


def sql_literal(value: object) -> str:
    """A value as a DuckDB literal in a shown query (strings quoted, quotes doubled)."""
    if isinstance(value, int | np.integer):
        return str(int(value))
    return "'" + str(value).replace("'", "''") + "'"


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
    hidden = {"weighting", "factor", "level", "frequency", "window", "data_source"}
    extra = [k for s in summaries for k in s if k not in known and k not in hidden]
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
    *,
    cost_bps: float = DEFAULT_COST_BPS,
    queries: Mapping[str, str] | None = None,
    extra_sections: Sequence[tuple[str, pd.DataFrame | Table | Chart | str]] = (),
) -> Path:
    """Write ``<out_dir>/<slug>.html`` with its data in ``<out_dir>/<slug>/``; return the HTML path.

    Args:
        out_dir: reports folder (the index lives here too).
        factor_name: registry name; the page is ``page_slug(factor_name) + ".html"``.
        title, description, paper: text for researchers (paper = citation line).
        params: factor parameters shown as a table (e.g. ``{"window": 12, "skip": 1}``).
        per_period: ``FactorEvaluation.per_period``.
        summaries: ``FactorEvaluation.summaries()`` (one dict per weighting, with a ``weighting`` key).
        data_source: ``"synthetic"`` or ``"files"``; synthetic pages carry the synthetic-data note.
        comparison: the "paper | ours | why they differ" block (``reports.fidelity.comparison_block``).
        cost_bps: cost per unit of turnover behind the net figures (stated on the page).
        queries: DuckDB queries reproducing the ``summary`` and ``per_period`` CSVs.
        extra_sections: more sections after the charts (tables, charts or text), e.g. published figures.
    """
    out_dir = Path(out_dir)
    slug = page_slug(factor_name)
    queries = queries or {}
    writer = PageWriter(out_dir, slug)
    charts = [{"heading": heading, **writer.chart(chart)} for heading, chart in factor_charts(per_period, cost_bps)]
    n_quantiles = len(quantile_columns(per_period, "ew"))
    per_period_formats = {str(c): per_period_format(str(c)) for c in per_period.columns}
    described = {str(c): per_period_label(str(c)) for c in per_period.columns}
    summary = summary_table(summaries)
    params_frame = pd.DataFrame({"Parameter": list(params), "Value": [str(v) for v in params.values()]})
    summary_csv = writer.csv(pd.DataFrame.from_records(list(summaries)), "summary")
    per_period_csv = writer.csv(per_period, "per_period")
    extra = [_section(heading, content, writer) for heading, content in extra_sections]
    data_js = writer.finish()
    return _write(
        out_dir / f"{slug}.html",
        "factor.html",
        title=title,
        factor_name=factor_name,
        description=description,
        paper=paper,
        source_line=data_source_line(data_source),
        n_quantiles=n_quantiles,
        cost_bps=cost_bps,
        summary_table=_table(
            summary,
            numeric=[False] + [True] * (summary.shape[1] - 1),
            csv_href=summary_csv,
            query=queries.get("summary"),
        ),
        charts=charts,
        extra_sections=extra,
        params_table=_table(params_frame),
        per_period_table=_table(
            per_period,
            per_period_formats,
            labels={c: label for c, (label, _) in described.items()},
            glossary={c: text for c, (_, text) in described.items()},
            csv_href=per_period_csv,
            query=queries.get("per_period"),
        ),
        data_js=data_js,
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
    sample: str | None = None,
    query: str | None = None,
    planted: Sequence[Mapping[str, str]] = (),
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
        sample: the sentence saying which sample the figures cover (the common sample).
        query: the DuckDB query that reproduces the table's figures (shown beside it).
        planted: the effects the data source plants by construction (``DataSource.planted_effects``:
            effect, strength, how), listed so that nobody mistakes a planted effect for a finding.
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
    shown = [column for column in INDEX_COLUMNS if column[0] in ranked.columns]
    links = [Markup('<a href="{}">{}</a>').format(p, n) for p, n in zip(pages, ranked["factor_name"], strict=True)]
    # object dtype keeps the Markup type (pandas 3 coerces a list of str to its string dtype and would escape).
    table = pd.DataFrame({"Factor": pd.Series(links, dtype=object)})
    table.insert(0, "#", range(1, len(ranked) + 1))
    for key, label, _, _ in shown:
        table[label] = ranked[key].to_numpy()
    formats = {"#": fmt_int, **{label: fmt for _, label, fmt, _ in shown}}
    writer = PageWriter(Path(out_dir), "index")
    csv_columns = ["factor_name", *[key for key, _, _, _ in shown]]
    csv_href = writer.csv(ranked[csv_columns], "index")
    writer.finish()
    return _write(
        Path(out_dir) / "index.html",
        "index.html",
        title=title,
        source_line=data_source_line(source),
        sample=sample,
        factor_table=_table(
            table,
            formats,
            glossary={label: text for _, label, _, text in shown},
            csv_href=csv_href,
            query=query,
        ),
        other_reports=list(other_reports),
        fidelity=list(fidelity),
        planted=list(planted),
    )


def render_compare(
    out_dir: Path,
    *,
    factors: Mapping[str, Mapping[str, object]],
    chosen: Sequence[str],
    user_bounds: tuple[str | None, str | None],
    cost_bps: float,
    query: str,
    data_source: str,
) -> Path:
    """Write ``<out_dir>/compare.html``: chosen factors' cumulative long-short returns and rank IC overlaid,
    and their figures, over one sample the reader sets (by default the longest period they all share).

    Args:
        factors: name -> ``frequency``, ``periods_per_year`` and per-period lists ``x`` (dates),
            ``long_short``, ``long_short_net`` and ``rank_ic`` (equal-weighted, longest window).
        chosen: factors checked when the page opens.
        user_bounds: ``(YYYY-MM | None, YYYY-MM | None)`` from the settings; None = the common period.
        query: the DuckDB query behind the table, with ``{factors}``, ``{start}``, ``{end}`` placeholders.
    """
    out_dir = Path(out_dir)
    folder = out_dir / "compare"
    folder.mkdir(parents=True, exist_ok=True)
    payload = {
        "factors": {name: {k: _clean_json(v) for k, v in data.items()} for name, data in factors.items()},
        "user_start": user_bounds[0],
        "user_end": user_bounds[1],
        "cost_bps": cost_bps,
        "query_template": query,
    }
    text = json.dumps(payload, separators=(",", ":"), allow_nan=False)
    (folder / "data.js").write_text(f"window.MR_COMPARE = {text};\n", encoding="utf-8")
    return _write(
        out_dir / "compare.html",
        "compare.html",
        title="Compare factors over one sample",
        source_line=data_source_line(data_source),
        factors=list(factors),
        chosen=set(chosen),
        cost_bps=cost_bps,
        columns=COMPARE_COLUMNS,
        data_js="compare/data.js",
    )


# Comparison table columns: header (with its unit) and explanation; reports.js fills the rows.
COMPARE_COLUMNS: list[tuple[str, str]] = [
    ("Factor", "registry name"),
    ("Frequency", "M monthly, W weekly formation periods"),
    ("Periods (count)", "periods of the factor inside the sample"),
    ("First period (date)", "first formation date inside the sample"),
    ("Last period (date)", "last formation date inside the sample"),
    ("Rank IC mean (correlation)", "mean per-period Spearman correlation of factor and next return"),
    ("Rank ICIR annualized (ratio)", "mean/std of rank IC x sqrt(periods per year)"),
    ("Long-short ann. return (%/yr)", "top minus bottom quantile, equal-weighted, mean x periods per year"),
    ("Long-short Sharpe (ann.)", "mean/std of the long-short return x sqrt(periods per year)"),
    ("Long-short net ann. return (%/yr)", "after cost_bps x turnover each period"),
    ("Long-short net Sharpe (ann.)", "Sharpe of the net long-short return"),
]


def _clean_json(value: object) -> object:
    if isinstance(value, list):
        return [None if isinstance(v, float) and not np.isfinite(v) else v for v in value]
    return value


def _single_data_source(rows: pd.DataFrame) -> str:
    if "data_source" not in rows.columns:
        raise ValueError("render_index needs data_source=... or a 'data_source' column in rows")
    sources = rows["data_source"].dropna().unique()
    if len(sources) != 1:
        raise ValueError(f"rows mix data sources {list(sources)}; pass data_source explicitly")
    return str(sources[0])


def _section(heading: str, content: object, writer: PageWriter) -> dict:
    """One section of a page, ready for ``_sections.html``: a table (with its CSV), a chart, text or a PNG."""
    if isinstance(content, pd.DataFrame):
        content = Table(content)
    if isinstance(content, Table):
        frame = shown_frame(content.frame)
        exported = shown_frame(content.csv) if content.csv is not None else frame
        csv_href = writer.csv(exported, content.name or heading)
        # a column shown in percent (its header says so) reads with 2 decimals, like the factor pages
        percent = {str(c): fmt_ratio for c in frame.columns if "(%" in content.labels.get(str(c), "")}
        table = _table(
            frame,
            percent,
            labels=content.labels,
            glossary=content.glossary,
            csv_href=csv_href,
            query=content.query,
            derived_from=content.derived_from,
        )
        return {"heading": heading, "kind": "table", "table": table}
    if isinstance(content, Chart):
        return {"heading": heading, **writer.chart(content)}
    if isinstance(content, Path):
        return {"heading": heading, "kind": "image", "src": _place_image(content, writer.out_dir, writer.slug)}
    if isinstance(content, str):
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", content) if p.strip()]
        return {"heading": heading, "kind": "text", "paragraphs": paragraphs}
    raise ValueError(
        f"section {heading!r}: content must be a DataFrame, a Table, a Chart, a Path to a PNG or a str, "
        f"got {type(content).__name__}"
    )


def render_tables_report(
    out_dir: Path,
    slug: str,
    title: str,
    sections: Sequence[tuple[str, pd.DataFrame | Table | Chart | Path | str]],
    *,
    data_source: str | None = None,
    comparison: Mapping[str, object] | None = None,
) -> Path:
    """Write ``<out_dir>/<slug>.html``: a titled list of sections, each a table, a chart, text or a PNG.

    Section content: a DataFrame or :class:`Table` (a non-default index is shown as leading columns; floats
    with 4 decimals, dates as YYYY-MM-DD, flags as yes/no; its rows downloadable as CSV, with the query
    behind them when the Table gives one), a :class:`Chart` (interactive), a string (paragraphs split on
    blank lines; HTML is escaped) or a ``Path`` to an existing image, for a page that must print (copied
    into ``<out_dir>/<slug>/`` unless already under ``out_dir``).
    """
    out_dir = Path(out_dir)
    page = page_slug(slug)
    writer = PageWriter(out_dir, page)
    rendered = [_section(heading, content, writer) for heading, content in sections]
    data_js = writer.finish()
    return _write(
        out_dir / f"{page}.html",
        "tables.html",
        title=title,
        source_line=data_source_line(data_source) if data_source else "",
        sections=rendered,
        comparison=comparison,
        data_js=data_js,
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
    "Chart",
    "Table",
    "data_source_line",
    "page_slug",
    "render_compare",
    "render_factor_report",
    "render_index",
    "render_tables_report",
    "summary_table",
]
