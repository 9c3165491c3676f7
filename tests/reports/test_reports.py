"""HTML factor reports, index and generic table pages: files exist, numbers shown, charts' data and each
table's CSV written beside the page, plotly.js once in the folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape

from momentum_dag.core.evaluation.engine import evaluate_factor
from momentum_dag.reports.html import (
    SYNTHETIC_NOTE,
    Table,
    fmt_ic,
    fmt_pct,
    fmt_ratio,
    page_slug,
    render_factor_report,
    render_index,
    render_tables_report,
)
from momentum_dag.reports.interactive import Chart
from momentum_dag.reports.plots import (
    cumulative_long_short,
    cumulative_quantiles,
    quantile_mean_returns,
    rank_ic_bars,
    turnover_lines,
)
from momentum_dag.settings import Settings, SimConfig, SourceConfig
from momentum_dag.sources import data_source
from tests.reports.pages import chart_specs, page_data


@pytest.fixture(scope="module")
def evaluation():
    rng = np.random.default_rng(5)
    dates = pd.date_range("2019-01-31", periods=18, freq="ME", name="date")
    names = [f"s{i:02d}" for i in range(25)]
    factor = pd.DataFrame(rng.normal(size=(18, 25)), index=dates, columns=names)
    fwd = 0.01 * factor + pd.DataFrame(rng.normal(scale=0.05, size=(18, 25)), index=dates, columns=names)
    weights = pd.DataFrame(rng.uniform(1, 5, size=(18, 25)), index=dates, columns=names)
    return evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12, weights=weights)


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
    assert "net of costs" in html and "15 bps" in html
    specs = chart_specs(html)
    assert len(specs) == 5 and {s["kind"] for s in specs} == {"wealth", "bars_mean", "category", "lines"}
    data = page_data(tmp_path / "mom_12_1")
    assert {s["data"] for s in specs} == set(data)
    rank_ic = data[next(s["data"] for s in specs if s["kind"] == "bars_mean")]
    assert rank_ic["x"][0] == "2019-01-31"
    np.testing.assert_allclose(rank_ic["series"]["rank IC"], evaluation.per_period["rank_ic"])
    # every table's rows beside the page, raw; plotly.js once in the folder, no CDN
    per_period = pd.read_csv(tmp_path / "mom_12_1" / "per_period.csv")
    np.testing.assert_allclose(per_period["long_short_ew"], evaluation.per_period["long_short_ew"], rtol=1e-9)
    assert 'href="mom_12_1/per_period.csv"' in html
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000 and "cdn" not in html.lower()


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

    assert "Effects planted in this market" not in html  # none given, no section

    files = render_index(tmp_path / "files", rows.drop(columns="data_source"), data_source="files")
    assert SYNTHETIC_NOTE not in files.read_text(encoding="utf-8")


def test_index_lists_the_effects_the_synthetic_market_plants(tmp_path: Path):
    rows = pd.DataFrame({"factor_name": ["dmom"], "rank_icir_annualized": [1.0], "data_source": "synthetic"})
    settings = Settings(sim=SimConfig(profile="realistic"))
    planted = data_source(settings).planted_effects()
    html = render_index(tmp_path, rows, planted=planted).read_text(encoding="utf-8")
    assert "Effects planted in this market" in html and "not a finding about" in html
    for row in planted:
        assert f"<td>{row['effect']}</td>" in html and str(escape(row["how"].split(" (")[0])) in html
    assert data_source(Settings(sim=SimConfig(profile="null"))).planted_effects() == []
    assert (
        data_source(Settings(source=SourceConfig(data_source="files", files_dir=str(tmp_path)))).planted_effects() == []
    )
    with pytest.raises(ValueError, match="rank_icir_annualized"):
        render_index(tmp_path, rows.drop(columns="rank_icir_annualized"))
    with pytest.raises(ValueError, match="data_source"):
        render_index(tmp_path, rows.drop(columns="data_source"))


def test_tables_report_sections(tmp_path: Path, evaluation):
    table = pd.DataFrame(
        {"coef": [0.12345, -1.5], "t_stat": [2.0, -3.25], "bear": [True, False]},
        index=pd.Index(["alpha", "beta"], name="term"),
    )
    out_dir = tmp_path / "reports"
    path = render_tables_report(
        out_dir,
        "momentum_crashes",
        "Momentum crash regressions",
        [
            ("Table 3", Table(table, query="select * from models.crash_regressions")),
            ("Rank IC", rank_ic_bars(evaluation.per_period)),
            ("Notes", "First paragraph.\n\nSecond <b>bold</b>."),
        ],
        data_source="synthetic",
    )
    html = path.read_text(encoding="utf-8")
    assert "Momentum crash regressions" in html
    assert "<th>term</th>" in html and "0.1235" in html and "-3.2500" in html
    assert "<td>yes</td>" in html and "<td>no</td>" in html  # flags as yes/no
    assert "select * from models.crash_regressions" in html
    assert pd.read_csv(out_dir / "momentum_crashes" / "table_3.csv")["coef"].tolist() == [0.12345, -1.5]
    assert "Second &lt;b&gt;bold&lt;/b&gt;." in html  # text is escaped
    assert len(chart_specs(html)) == 1
    with pytest.raises(ValueError, match="content must be"):
        render_tables_report(out_dir, "bad", "Bad", [("x", 3.0)])
    with pytest.raises(ValueError, match="does not exist"):
        render_tables_report(out_dir, "bad", "Bad", [("x", tmp_path / "missing.png")])


@pytest.mark.parametrize(
    "chart", [cumulative_quantiles, rank_ic_bars, quantile_mean_returns, turnover_lines, cumulative_long_short]
)
def test_charts_hold_their_data_and_reject_bad_tables(evaluation, chart):
    args = (15.0,) if chart is cumulative_long_short else ()
    built = chart(evaluation.per_period, *args)
    assert isinstance(built, Chart) and len(built.frame) > 0
    with pytest.raises(ValueError):
        chart(evaluation.per_period[["period_end"]], *args)


def test_net_curve_is_gross_minus_cost_times_turnover(evaluation):
    frame = cumulative_long_short(evaluation.per_period, 20.0).frame
    table = evaluation.per_period
    expected = table["long_short_ew"] - 20e-4 * table["long_short_turnover_ew"]
    np.testing.assert_allclose(frame["equal-weighted, net of 20 bps"].to_numpy(), expected.to_numpy())


def test_factor_momentum_halves_show_percent_and_export_decimals():
    from momentum_dag.core.factor_momentum.summaries import by_half
    from momentum_dag.reports.factor_momentum import halves_table

    months = pd.date_range("2020-01-31", periods=6, freq="ME")
    table = halves_table(by_half(pd.DataFrame({"tsmom": [0.01, 0.02, 0.0, 0.01, 0.03, -0.01]}, index=months)))
    full = table.frame.loc[("tsmom", "full")]
    assert full["mean"] == pytest.approx(1.0)  # 0.01 a month, shown as 1.00 (% / month)
    assert table.csv.loc[("tsmom", "full"), "mean"] == pytest.approx(0.01)  # the CSV keeps decimals
    assert table.labels["mean"] == "Mean (% / month)"
