"""The report pages as a researcher uses them, in Debian's Chromium driven by Playwright (no browser download).

Three factors with different histories (12-2 and 6-2 stock momentum, industry momentum) are evaluated over
three years through Dagster, their pages and the index written, and the folder served over HTTP. The test
drives the comparison page (a date range changed: the table and the plot follow, and agree with the
warehouse), hovers a point of a factor page's chart and reads its value, and downloads a table's CSV and
checks its rows against the warehouse. Screenshots go to ``MOMENTUM_REPORT_SCREENSHOTS`` (default:
``momentum_report_screenshots`` in the temp folder).
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dagster import DagsterInstance
from playwright import sync_api

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.storage import Warehouse

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FACTORS = ("mom_12_2", "mom_6_2", "momentum")
if not Path(CHROMIUM).exists():
    pytest.skip("chromium not found (apt-get install chromium)", allow_module_level=True)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_pages")
    reports = root / "reports"
    shots = Path(
        os.environ.get("MOMENTUM_REPORT_SCREENSHOTS") or Path(tempfile.gettempdir()) / "momentum_report_screenshots"
    )
    shots.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:  # this module's pages in their own folder
        patch.setenv("MOMENTUM_REPORTS_DIR", str(reports))
        defs = build_definitions(str(root / "w.duckdb"))
    only = ("raw", "staging", "marts", *(f"{g}/{f}" for f in FACTORS for g in ("factors", "eval", "reports")))
    backfill("2014-01", "2016-12", only=(*only, "reports/index"), defs=defs, instance=DagsterInstance.ephemeral())
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(reports)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True).new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on(
                "response",
                lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None,
            )
            yield {
                "base": f"http://127.0.0.1:{server.server_address[1]}",
                "page": page,
                "warehouse": Warehouse.at(str(root / "w.duckdb")),
                "shots": shots,
                "errors": errors,
            }
            browser.close()
    finally:
        server.shutdown()


def _periods(warehouse: Warehouse, factor: str) -> pd.DataFrame:
    table = f"eval.{factor}_periods"
    rows = warehouse.query(
        f'select * exclude ("window") from {table} where "window" = (select max("window") from {table}) '
        "order by period_end"
    )
    return rows.assign(period_end=pd.to_datetime(rows["period_end"]))


def _table(page) -> pd.DataFrame:
    headers = page.locator("#compare-table thead th").all_inner_texts()
    rows = [row.locator("td").all_inner_texts() for row in page.locator("#compare-table tbody tr").all()]
    return pd.DataFrame(rows, columns=headers).set_index("Factor")


def test_the_comparison_page_follows_its_date_range(site):
    page, warehouse = site["page"], site["warehouse"]
    page.goto(f"{site['base']}/compare.html")
    for name in FACTORS:  # compare the three factors
        box = page.locator(f"input[name=factor][value={name}]")
        if not box.is_checked():
            box.check()
    firsts = {f: _periods(warehouse, f)["period_end"].min() for f in FACTORS}
    lasts = {f: _periods(warehouse, f)["period_end"].max() for f in FACTORS}
    common_start, common_end = max(firsts.values()).strftime("%Y-%m"), min(lasts.values()).strftime("%Y-%m")
    assert firsts["mom_6_2"] < firsts["mom_12_2"]  # different histories: the common sample is a real cut
    assert page.locator("#compare-start").input_value() == common_start
    assert page.locator("#compare-end").input_value() == common_end
    assert "the longest period all 3 chosen factors share" in page.locator("#compare-sample").inner_text()
    page.screenshot(path=str(site["shots"] / "compare_default.png"), full_page=True)

    later = (max(firsts.values()) + pd.DateOffset(months=6)).strftime("%Y-%m")
    page.locator("#compare-start").fill(later)
    page.locator("#compare-start").dispatch_event("change")
    assert "set on this page" in page.locator("#compare-sample").inner_text()
    table = _table(page)
    for name in FACTORS:
        rows = _periods(warehouse, name)
        months = rows["period_end"].dt.strftime("%Y-%m")
        inside = rows[(months >= later) & (months <= common_end)]
        assert int(table.loc[name, "Periods (count)"]) == len(inside)
        assert table.loc[name, "Rank IC mean (correlation)"] == f"{inside['rank_ic'].mean():.4f}"
        sharpe = inside["long_short_ew"].mean() / inside["long_short_ew"].std(ddof=1) * np.sqrt(12)
        assert table.loc[name, "Long-short Sharpe (ann.)"] == f"{sharpe:.2f}"
    # the plot follows: every overlaid curve starts at the new first month, at 1 + its first return
    traces = page.evaluate(
        "() => document.getElementById('compare-wealth').data.map(t => ({name: t.name, x: t.x, y: t.y}))"
    )
    assert {t["name"] for t in traces} == set(FACTORS)
    for trace in traces:
        rows = _periods(warehouse, trace["name"])
        first = rows[rows["period_end"].dt.strftime("%Y-%m") >= later].iloc[0]
        assert trace["x"][0][:7] == later
        assert trace["y"][0] == pytest.approx(1 + first["long_short_ew"])
    page.screenshot(path=str(site["shots"] / "compare_range.png"), full_page=True)
    assert not site["errors"], site["errors"]


def test_hovering_a_chart_point_shows_its_value(site):
    page, warehouse = site["page"], site["warehouse"]
    page.goto(f"{site['base']}/mom_12_2.html")
    rows = _periods(warehouse, "mom_12_2")
    # a period before the 12-period mean starts (only the bar is there), with a clearly non-zero rank IC
    candidates = rows.head(11)
    target = candidates.loc[candidates["rank_ic"].abs().idxmax()]
    chart = page.locator("div.mr-chart").nth(2)  # rank IC
    chart.scroll_into_view_if_needed()
    chart.locator(".plot-container").wait_for()
    point = chart.evaluate(
        """(gd, [x, y]) => {
            const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis, box = gd.getBoundingClientRect();
            return {x: box.left + xa._offset + xa.d2p(x), y: box.top + ya._offset + ya.d2p(y / 2)};
        }""",
        [target["period_end"].strftime("%Y-%m-%d"), float(target["rank_ic"])],
    )
    page.mouse.move(point["x"], point["y"])
    label = chart.locator(".hoverlayer .hovertext").first
    label.wait_for()
    text = label.text_content()
    assert f"{target['rank_ic']:.4f}" in text and target["period_end"].strftime("%Y-%m-%d") in text
    page.screenshot(path=str(site["shots"] / "factor_hover.png"))


def test_a_table_downloads_as_csv_with_the_warehouse_rows(site, tmp_path):
    page, warehouse = site["page"], site["warehouse"]
    page.goto(f"{site['base']}/mom_12_2.html")
    page.get_by_text("Show", exact=False).last.click()  # open the per-period table
    link = page.locator("a.csv").last
    with page.expect_download() as download:
        link.click()
    path = tmp_path / "per_period.csv"
    download.value.save_as(path)
    csv = pd.read_csv(path, parse_dates=["period_end"])
    expected = _periods(warehouse, "mom_12_2")
    assert list(csv.columns) == list(expected.columns) and len(csv) == len(expected)
    pd.testing.assert_frame_equal(csv, expected, check_dtype=False, rtol=1e-9)
    query = page.locator("details.query pre").last.text_content()
    assert "from eval.mom_12_2_periods" in query  # the query shown beside the table reproduces it
    index = page.goto(f"{site['base']}/index.html")
    assert index.ok and "longest period all 3 factors share" in page.locator("p.sample").inner_text()
