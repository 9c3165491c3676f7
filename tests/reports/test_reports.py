"""HTML factor reports, index and generic table pages: files exist, numbers shown, PNGs linked."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.evaluation.engine import evaluate_factor
from momentum_dag.reports.html import (
    SYNTHETIC_NOTE,
    fmt_ic,
    fmt_pct,
    fmt_ratio,
    page_slug,
    render_factor_report,
    render_index,
    render_tables_report,
)
from momentum_dag.reports.plots import (
    plot_cumulative_long_short,
    plot_cumulative_quantiles,
    plot_quantile_mean_returns,
    plot_rank_ic,
    plot_top_turnover,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def evaluation():
    rng = np.random.default_rng(5)
    dates = pd.date_range("2019-01-31", periods=18, freq="ME", name="date")
    names = [f"s{i:02d}" for i in range(25)]
    factor = pd.DataFrame(rng.normal(size=(18, 25)), index=dates, columns=names)
    fwd = 0.01 * factor + pd.DataFrame(rng.normal(scale=0.05, size=(18, 25)), index=dates, columns=names)
    weights = pd.DataFrame(rng.uniform(1, 5, size=(18, 25)), index=dates, columns=names)
    return evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12, weights=weights)


def image_sources(html: str) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', html)


def test_number_formats():
    assert fmt_ic(0.123456) == "0.1235"
    assert fmt_pct(0.1234) == "12.34%"
    assert fmt_pct(-0.5) == "-50.00%"
    assert fmt_ratio(1.005001) == "1.01"
    assert fmt_ic(np.nan) == "–"
    assert page_slug("mom 12/1") == "mom_12_1"


def test_factor_report_smoke(tmp_path: Path, evaluation):
    summaries = evaluation.summaries()
    path = render_factor_report(
        tmp_path,
        factor_name="mom_12_1",
        title="12-1 month momentum",
        description="Cumulative return from t-12 to t-2.",
        params={"window": 12, "skip": 1},
        per_period=evaluation.per_period,
        summaries=summaries,
        data_source="synthetic",
        paper="Jegadeesh & Titman (1993)",
    )
    assert path == tmp_path / "mom_12_1.html" and path.is_file()
    html = path.read_text(encoding="utf-8")
    assert "mom_12_1" in html and "12-1 month momentum" in html
    assert SYNTHETIC_NOTE in html
    assert "How to read this page" in html
    for s in summaries:  # summary numbers, in the page's formats
        assert fmt_ic(s["rank_ic_mean"]) in html
        assert fmt_ratio(s["rank_icir_annualized"]) in html
        assert fmt_pct(s["long_short_ann_return"]) in html
        assert fmt_pct(s["long_only_excess_ann_return"]) in html
    sources = image_sources(html)
    assert len(sources) == 5
    for src in sources:
        png = tmp_path / src
        assert png.is_file() and png.read_bytes()[:8] == PNG_MAGIC


def test_index_ranks_by_absolute_rank_icir_and_links(tmp_path: Path):
    rows = pd.DataFrame(
        {
            "factor_name": ["weak", "strong_negative", "middle"],
            "title": ["Weak", "Strong negative", "Middle"],
            "rank_icir_annualized": [0.2, -2.5, 1.0],
            "long_short_ann_return": [0.01, -0.2, 0.05],
            "data_source": "synthetic",
        }
    )
    html = render_index(tmp_path, rows).read_text(encoding="utf-8")
    order = [html.index(f'href="{name}.html"') for name in ("strong_negative", "middle", "weak")]
    assert order == sorted(order)
    assert SYNTHETIC_NOTE in html
    assert "-2.50" in html and "-20.00%" in html

    files = render_index(tmp_path / "files", rows.drop(columns="data_source"), data_source="files")
    assert SYNTHETIC_NOTE not in files.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="rank_icir_annualized"):
        render_index(tmp_path, rows.drop(columns="rank_icir_annualized"))
    with pytest.raises(ValueError, match="data_source"):
        render_index(tmp_path, rows.drop(columns="data_source"))


def test_tables_report_sections(tmp_path: Path, evaluation):
    outside = plot_rank_ic(evaluation.per_period, tmp_path / "elsewhere" / "ic.png")
    table = pd.DataFrame(
        {"coef": [0.12345, -1.5], "t_stat": [2.0, -3.25]}, index=pd.Index(["alpha", "beta"], name="term")
    )
    out_dir = tmp_path / "reports"
    path = render_tables_report(
        out_dir,
        "momentum_crashes",
        "Momentum crash regressions",
        [("Table 3", table), ("Rank IC", outside), ("Notes", "First paragraph.\n\nSecond <b>bold</b>.")],
        data_source="synthetic",
    )
    html = path.read_text(encoding="utf-8")
    assert "Momentum crash regressions" in html
    assert "<th>term</th>" in html and "0.1235" in html and "-3.2500" in html
    assert "Second &lt;b&gt;bold&lt;/b&gt;." in html  # text is escaped
    (src,) = image_sources(html)
    assert (out_dir / src).is_file() and src == "momentum_crashes/ic.png"  # copied next to the page
    with pytest.raises(ValueError, match="content must be"):
        render_tables_report(out_dir, "bad", "Bad", [("x", 3.0)])
    with pytest.raises(ValueError, match="does not exist"):
        render_tables_report(out_dir, "bad", "Bad", [("x", tmp_path / "missing.png")])


@pytest.mark.parametrize(
    "plot",
    [
        plot_cumulative_long_short,
        plot_cumulative_quantiles,
        plot_rank_ic,
        plot_quantile_mean_returns,
        plot_top_turnover,
    ],
)
def test_plots_write_png_and_reject_bad_tables(tmp_path: Path, evaluation, plot):
    path = plot(evaluation.per_period, tmp_path / "chart.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError):
        plot(evaluation.per_period[["period_end"]], tmp_path / "bad.png")
