"""D-MOM regressors as ``factors/dmom_features`` computes them (``features_window``), on the marts of a
small synthetic market: weeks at a month end before a holiday, and a stock back from a 14-month
suspension, by value against a direct count over the stock's own traded periods, and the same in a
one-month run as in backfills cut into chunks anywhere.

Del Viva, Sala & Souza (2024) replication: durations run over the stock's traded months, weeks and days
(a suspension is skipped), and a week belongs to the month of its last trading day.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.factors.features import features_window
from tests.lookahead import MemoryWarehouse, build_marts, simulate

START, END = date(2019, 1, 1), date(2021, 11, 1)
SUSPENDED = ("2020-06-01", "2021-07-31")  # 14 calendar months without a trade
HOLIDAY_EVES = ["2020-09-30", "2020-12-31"]  # Wed before National Day, Thu before New Year's Day


@pytest.fixture(scope="module")
def warehouse():
    market = simulate(n_stocks=30, n_industries=3, start=START, end=END, seed=4)
    bars = market.tables["daily_bars"]
    stock = sorted(bars["stock_id"].unique())[0]
    gap = (bars["stock_id"] == stock) & bars["trade_date"].between(*SUSPENDED)
    market.tables["daily_bars"] = bars[~gap].reset_index(drop=True)
    return MemoryWarehouse(build_marts(market)), stock


def _run(series: pd.Series) -> tuple[float, float]:
    """Positive and negative run lengths (cap 12) at the end of a return series, NaN skipped."""
    values = series.dropna().to_numpy()[::-1][:12]
    pos = next((i for i, v in enumerate(values) if not v > 0), len(values))
    neg = next((i for i, v in enumerate(values) if not v < 0), len(values))
    return float(pos), float(neg)


def _direct(warehouse, t: pd.Timestamp) -> pd.DataFrame:
    """Durations at month end t counted directly from the marts: monthly returns of traded months, weekly
    returns compounded over each week's traded days for the weeks whose last market trading day is <= t,
    daily returns of traded days."""
    daily = warehouse.query("select trade_date, stock_id, ret from marts.stock_returns_daily")
    daily = daily.pivot(index="trade_date", columns="stock_id", values="ret").sort_index()
    daily.index = pd.DatetimeIndex(daily.index)
    monthly = warehouse.query("select month_end, stock_id, ret, n_days from marts.stock_returns_monthly")
    monthly = monthly[monthly["n_days"] > 0].pivot(index="month_end", columns="stock_id", values="ret").sort_index()
    days = pd.DatetimeIndex(warehouse.query("select trade_date from staging.stg_market_daily")["trade_date"])
    week = days.normalize() - pd.to_timedelta(days.dayofweek, unit="D")
    last_day = pd.Series(days, index=week).groupby(level=0).max()  # a week's last trading day (market)
    keys = daily.index.normalize() - pd.to_timedelta(daily.index.dayofweek, unit="D")
    weekly = np.expm1(np.log1p(daily).groupby(keys).sum(min_count=1))
    weekly = weekly[last_day.reindex(weekly.index).to_numpy() <= t]
    rows = {}
    for stock in daily.columns:
        mp, mn = _run(monthly.loc[:t, stock] if stock in monthly else pd.Series(dtype=float))
        wp, wn = _run(weekly[stock])
        dp, dn = _run(daily.loc[:t, stock])
        rows[stock] = {"MP": mp, "WP": wp, "DP": dp, "MN": mn, "WN": wn, "DN": dn}
    return pd.DataFrame.from_dict(rows, orient="index")


@pytest.mark.parametrize("eve", HOLIDAY_EVES)
def test_month_end_before_a_holiday_counts_its_week_by_value(warehouse, eve):
    wh, _ = warehouse
    t = pd.Timestamp(eve)
    got = features_window(wh, t.replace(day=1).date(), (t + pd.offsets.MonthBegin(1)).date(), 24)
    got = got[got["period_end"] == t].set_index("entity_id")
    assert len(got) >= 15
    expected = _direct(wh, t).loc[got.index, got.columns[1:7]]
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False, check_names=False)
    assert got["WN"].add(got["WP"]).gt(0).mean() > 0.9  # the week of the eve has returns: it counts


def test_a_stock_back_from_a_14_month_suspension_by_value_and_whatever_the_run(warehouse):
    wh, stock = warehouse
    t = pd.Timestamp("2021-08-31")
    one_month = features_window(wh, date(2021, 8, 1), date(2021, 9, 1), 24)
    one = one_month.set_index("entity_id").loc[stock]
    expected = _direct(wh, t).loc[stock]
    for column in ("MP", "WP", "DP", "MN", "WN", "DN"):
        assert one[column] == expected[column], column
    # back from a suspension the stock's durations run over its 12 traded months before June 2020
    assert one["MP"] + one["MN"] >= 1
    for chunk_months in (24, 5, 1):  # chunk boundaries before, inside and after the suspension
        backfill = features_window(wh, date(2020, 1, 1), date(2021, 10, 1), chunk_months)
        same = backfill[backfill["period_end"] == t].reset_index(drop=True)
        pd.testing.assert_frame_equal(same, one_month.reset_index(drop=True), check_exact=False, rtol=1e-12)
