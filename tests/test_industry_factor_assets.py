"""Industry factors as their assets compute them (``compute_window``) on a small synthetic market's marts.

The weekly PCA-concentration factor is dated on week ends only, however its backfill is chunked: a chunk
that ended mid-week dated that week's value on the chunk's last day (stray rows on days that are not week
ends), so weekly factors are cut in whole weeks. Amplitude-cut momentum divides by the recent volatility
unless its setting says not to.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.factors.panel import compute_window
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.frames import period_ends
from momentum_dag.registry import FACTORS
from momentum_dag.settings import IndustryConfig, RunConfig, Settings
from tests.lookahead import MemoryWarehouse, build_marts, simulate

START, END = date(2016, 8, 1), date(2017, 2, 6)  # Mondays: whole weeks


@pytest.fixture(scope="module")
def warehouse():
    market = simulate(n_stocks=80, n_industries=3, start=date(2016, 1, 1), end=date(2017, 3, 1), seed=6)
    return MemoryWarehouse(build_marts(market))


def test_weekly_pca_rows_fall_on_week_ends_across_chunk_boundaries(warehouse):
    spec = next(s for s in FACTORS if s.name == "momentum_pca")
    days = pd.DatetimeIndex(warehouse.query("select trade_date from staging.stg_market_daily")["trade_date"])
    week_ends = period_ends(days[(days >= pd.Timestamp(START)) & (days < pd.Timestamp(END))], "W")
    runs = {}
    for chunk_months in (24, 1):  # one chunk; a chunk boundary every month (2016-09-01 is a Thursday)
        rows, _, _ = compute_window(spec, warehouse, Settings(run=RunConfig(chunk_months=chunk_months)), START, END)
        dates = pd.DatetimeIndex(rows["period_end"].unique())
        assert dates.isin(week_ends).all(), (
            f"chunk_months={chunk_months}: not week ends {list(dates[~dates.isin(week_ends)].date)}"
        )
        assert len(dates) >= 20
        runs[chunk_months] = rows.sort_values(["period_end", "entity_id"], ignore_index=True)
    pd.testing.assert_frame_equal(runs[24], runs[1])


def test_amplitude_cut_divides_by_recent_volatility_unless_its_setting_says_not(warehouse):
    """Kaiyuan (2020) amplitude cut: Mom_raw / Vol_recent by default (Vol_recent = std, ddof 1, of the last
    20 daily log returns of the industry), the report's undivided Mom_raw with
    ``industry_amplitude_cut_vol_scale=False``."""
    spec = next(s for s in FACTORS if s.name == "momentum_amplitude_cut")
    start, end = date(2016, 11, 1), date(2017, 1, 1)
    divided, _, _ = compute_window(spec, warehouse, Settings(), start, end)
    plain, _, _ = compute_window(
        spec, warehouse, Settings(industry=IndustryConfig(amplitude_cut_vol_scale=False)), start, end
    )
    keys = ["period_end", "entity_id", "window"]
    both = divided.merge(plain, on=keys, suffixes=("_divided", "_plain"))
    assert len(both) == len(divided) == len(plain) and len(both) > 20
    ret = MarketPanels(warehouse, end=end).industry_daily("ret_cw")
    log_ret = np.log1p(ret)
    for row in both.sample(5, random_state=0).itertuples():
        recent = log_ret.loc[: row.period_end, row.entity_id].iloc[-20:]
        assert row.value_divided == pytest.approx(row.value_plain / recent.std(ddof=1), rel=1e-9)
