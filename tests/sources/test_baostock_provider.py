"""The baostock provider on a fake client (no network): every expected value is computed by hand.

The fake market is described in ``baostock_fake.py``; the window is 2020-01 .. 2020-06 with the history
starting 2020-01-01, fetched on 2020-07-15.
"""

from datetime import date

import pandas as pd
import pytest

from momentum_dag.sources.baostock import BaostockProvider, BaostockUnavailableError
from tests.sources.baostock_fake import FakeBaostock, Interrupted

START, END, TODAY = date(2020, 1, 1), date(2020, 7, 1), date(2020, 7, 15)


def _provider(fake, cache, **kwargs):
    return BaostockProvider(
        fake, cache, history_start=START, today=TODAY, sleep=lambda s: None, progress=False, **kwargs
    )


def _tables(provider, start=START, end=END):
    chunks = list(provider.generate(start, end))
    return {name: pd.concat([c[name] for c in chunks], ignore_index=True) for name in chunks[0]}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    fake = FakeBaostock()
    provider = _provider(fake, tmp_path_factory.mktemp("bs_cache"))
    return _tables(provider), fake, provider


def _bar(tables, code, day):
    bars = tables["daily_bars"]
    row = bars.loc[(bars["stock_id"] == code) & (bars["trade_date"] == pd.Timestamp(day))]
    assert len(row) == 1, f"{code} {day}: {len(row)} rows"
    return row.iloc[0]


def test_universe_by_month_keeps_delisted_and_drops_b_shares_and_indices(run):
    tables, fake, _ = run
    bars = tables["daily_bars"]
    assert set(bars["stock_id"]) == {"sh.600001", "sz.000002", "sz.300003"}
    delisted = bars.loc[bars["stock_id"] == "sz.000002", "trade_date"]
    assert delisted.min() == pd.Timestamp("2020-01-02") and delisted.max() == pd.Timestamp("2020-03-13")
    assert bars.loc[bars["stock_id"] == "sz.300003", "trade_date"].min() == pd.Timestamp("2020-04-15")
    queried = {kw["code"] for method, kw in fake.log if method == "query_history_k_data_plus"}
    assert queried == {"sh.600001", "sz.000002", "sz.300003", "sh.000300"}  # no B-share, no sh.000001
    # the delisted stock is asked for its listed months only (2019-12 .. 2020-03)
    asked = [kw for method, kw in fake.log if method == "query_history_k_data_plus" and kw["code"] == "sz.000002"]
    assert [(kw["start_date"], kw["end_date"]) for kw in asked] == [("2019-12-01", "2020-03-31")]
    # every trading day of a listed stock has a row: 2020-01 has 23 weekdays - New Year - 6 festival days = 16
    jan = bars.loc[(bars["stock_id"] == "sh.600001") & (bars["trade_date"] < pd.Timestamp("2020-02-01"))]
    assert len(jan) == 16


def test_cash_dividend_and_bonus_issue_give_total_returns(run):
    tables, _, _ = run
    before = _bar(tables, "sh.600001", "2020-03-09")
    assert before["close"] == 10 and before["pre_close"] == 10
    ex_cash = _bar(tables, "sh.600001", "2020-03-10")
    # ex-rights price 10 - 0.5 = 9.5; unadjusted close 9.6: return 9.6 / 9.5 - 1
    assert ex_cash["close"] == 9.6 and ex_cash["pre_close"] == pytest.approx(9.5, rel=1e-6)
    # (baostock's factors have 6 decimals: returns are exact to about 1e-6)
    assert ex_cash["close"] / ex_cash["pre_close"] - 1 == pytest.approx(9.6 / 9.5 - 1, abs=1e-6)
    ex_bonus = _bar(tables, "sh.600001", "2020-05-12")
    # 10-for-10: 9.6 -> ex-rights 4.8; close 5.04: +5%
    assert ex_bonus["pre_close"] == pytest.approx(4.8, rel=1e-6)
    assert ex_bonus["close"] / ex_bonus["pre_close"] - 1 == pytest.approx(0.05, abs=1e-6)
    bars = tables["daily_bars"].query("stock_id == 'sh.600001'").sort_values("trade_date")
    span = bars.loc[
        (bars["trade_date"] > pd.Timestamp("2020-03-09")) & (bars["trade_date"] <= pd.Timestamp("2020-05-12"))
    ]
    growth = (span["close"] / span["pre_close"]).prod() - 1
    assert growth == pytest.approx(9.6 / 9.5 * 5.04 / 4.8 - 1, abs=2e-6)  # 6.105%: total return
    # the prices themselves stay unadjusted
    assert _bar(tables, "sh.600001", "2020-06-01")["close"] == 5.04


def test_suspension_and_st_days(run):
    tables, _, _ = run
    for day in ("2020-02-03", "2020-02-04", "2020-02-05"):
        row = _bar(tables, "sh.600001", day)
        assert row["is_suspended"] and row["volume"] == 0 and row["amount"] == 0 and row["turnover"] == 0
        assert row["close"] == row["pre_close"] == row["open"] == 10
    assert not _bar(tables, "sh.600001", "2020-02-06")["is_suspended"]
    assert not _bar(tables, "sh.600001", "2020-03-31")["is_st"]
    assert _bar(tables, "sh.600001", "2020-04-01")["is_st"]
    assert _bar(tables, "sh.600001", "2020-01-02")["turnover"] == pytest.approx(0.00125)


def test_share_counts_are_point_in_time_and_follow_the_bonus_issue(run):
    tables, _, _ = run
    # 2019Q3 report (published 2019-10-25): total 1.0e9, float 0.8e9
    row = _bar(tables, "sh.600001", "2020-04-27")
    assert row["total_mcap"] == pytest.approx(9.6 * 1.0e9) and row["float_mcap"] == pytest.approx(9.6 * 0.8e9)
    # 2020Q1 report (period end 03-31, published 04-28): float 0.9e9 from 04-28, not before
    assert _bar(tables, "sh.600001", "2020-04-28")["float_mcap"] == pytest.approx(9.6 * 0.9e9)
    # 10-for-10 on 2020-05-12 doubles both counts from the ex-date
    row = _bar(tables, "sh.600001", "2020-05-12")
    assert row["total_mcap"] == pytest.approx(5.04 * 2.0e9) and row["float_mcap"] == pytest.approx(5.04 * 1.8e9)
    # a new listing without a published report: float implied by turnover 3e6 / 60% = 5e6, total = float
    ipo = _bar(tables, "sz.300003", "2020-04-15")
    assert ipo["pre_close"] == 8.0 and ipo["close"] == 9.6
    assert ipo["float_mcap"] == pytest.approx(9.6 * 5e6) and ipo["total_mcap"] == pytest.approx(9.6 * 5e6)


def test_fundamentals_are_keyed_by_publication(run):
    tables, _, _ = run
    f = tables["fundamentals"].set_index("announce_date")
    assert list(f.index) == [
        pd.Timestamp(d) for d in ("2019-03-28", "2019-04-26", "2019-10-25", "2020-03-20", "2020-04-28")
    ]
    annual = f.loc[pd.Timestamp("2020-03-20")]
    assert annual["period_end"] == pd.Timestamp("2019-12-31")
    assert annual["net_income_ttm"] == pytest.approx(1.0e9)  # epsTTM 1.0 x 1e9 shares
    assert annual["revenue_ttm"] == pytest.approx(4.0e9)  # 1e9 / 0.25
    assert annual["book_equity"] == pytest.approx(1.0e10)  # 1e9 / 0.10
    assert annual["total_assets"] == pytest.approx(2.5e10) and annual["total_liabilities"] == pytest.approx(1.5e10)
    q1 = f.loc[pd.Timestamp("2020-04-28")]
    assert q1["net_income_ttm"] == pytest.approx(9.6e8)
    assert q1["revenue_ttm"] == pytest.approx(8.4e8 + 4.0e9 - 8.0e8)  # YTD + last year - same quarter last year
    assert q1["book_equity"] == pytest.approx(1.05e10) and q1["total_liabilities"] == pytest.approx(1.05e10)
    q3 = f.loc[pd.Timestamp("2019-10-25")]
    assert pd.isna(q3["revenue_ttm"])  # 2018Q3 is not known
    assert pd.isna(q3["total_assets"])  # no balance data


def test_industry_snapshot_market_and_rf(run):
    tables, _, provider = run
    m = tables["industry_membership"].set_index("stock_id")
    assert set(m.index) == {"sh.600001", "sz.300003"}  # the delisted stock is not in the snapshot
    assert m.loc["sh.600001", "industry_code"] == "J66" and m.loc["sh.600001", "industry_name"] == "货币金融服务"
    assert m.loc["sh.600001", "in_date"] == pd.Timestamp("1999-11-10") and pd.isna(m.loc["sh.600001", "out_date"])
    market = tables["market_daily"]
    assert len(market) == len(set(tables["daily_bars"]["trade_date"]))
    first = market.iloc[0]
    assert first["trade_date"] == pd.Timestamp("2020-01-02")
    assert first["market_ret"] == pytest.approx(1023 / 1022 - 1)  # 22 trading days in 2019-12 before it
    assert first["rf"] == pytest.approx(0.015 / 252)
    s = provider.summary
    assert s.stocks == 3 and s.trading_days == len(market) and s.no_industry == 1
    assert s.bars.suspended == 3 and s.bars.preclose_mismatch == 0 and s.bars.implied_shares > 0


def test_second_run_fetches_nothing_and_a_new_month_only_what_is_new(run, tmp_path):
    fake = FakeBaostock()
    cache = tmp_path / "cache"
    _tables(_provider(fake, cache), START, date(2020, 6, 1))
    again = FakeBaostock()
    _tables(_provider(again, cache), START, date(2020, 6, 1))
    # only what is not final on 2020-07-15 is asked again: 2020Q2 reports (deadline Aug 31) of the two listed
    # stocks and the 2020 dividends
    assert again.calls["query_history_k_data_plus"] == 0 and again.calls["query_trade_dates"] == 0
    assert sorted(m for m, _ in again.log) == [
        "query_balance_data",
        "query_balance_data",
        "query_dividend_data",
        "query_profit_data",
        "query_profit_data",
    ]
    new_month = FakeBaostock()
    _tables(_provider(new_month, cache), date(2020, 6, 1), END)
    bars = [kw for m, kw in new_month.log if m == "query_history_k_data_plus"]
    assert sorted(kw["code"] for kw in bars) == ["sh.000300", "sh.600001", "sz.300003"]
    assert {(kw["start_date"], kw["end_date"]) for kw in bars} == {("2020-06-01", "2020-06-30")}


def test_interrupted_download_resumes_without_refetching(tmp_path):
    full = FakeBaostock()
    expected = _tables(_provider(full, tmp_path / "full"))
    steady = FakeBaostock()
    _tables(_provider(steady, tmp_path / "full"))  # what is asked again on every run (not final yet)
    cache = tmp_path / "resumed"
    k = 9
    broken = FakeBaostock(fail_after=k)
    with pytest.raises(Interrupted):
        list(_provider(broken, cache).generate(START, END))
    (cache / "bars" / "2020-01").mkdir(parents=True, exist_ok=True)
    (cache / "bars" / "2020-01" / ".sh.600001.parquet.123.tmp").write_bytes(b"half a file")  # a kill -9 leftover
    resumed = FakeBaostock()
    tables = _tables(_provider(resumed, cache))
    done = broken.log[:k]
    refetched = [call for call in done if call in steady.log]
    assert len(resumed.log) == len(full.log) - len(done) + len(refetched)
    assert not [call for call in resumed.log if call in done and call not in steady.log]
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(tables[name], frame, obj=name)


def test_service_down_is_a_clear_error_and_nothing_is_cached(tmp_path):
    waits = []
    fake = FakeBaostock(down=True)
    provider = BaostockProvider(
        fake, tmp_path / "cache", history_start=START, today=TODAY, sleep=waits.append, progress=False, retries=3
    )
    with pytest.raises(BaostockUnavailableError, match="cannot reach baostock"):
        list(provider.generate(START, END))
    assert fake.calls["login"] == 4 and waits == [1.0, 2.0, 4.0]
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.parquet"))
