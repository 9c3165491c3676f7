"""The SQL models against hand-computed values on a tiny market (2 industries, 3 stocks, 4 days)."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from momentum_dag.sources.contract import RAW_TABLES, ddl
from momentum_dag.storage import write_windows
from momentum_dag.storage.sql_models import load_models, materialize, topological_order

DAYS = pd.to_datetime(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02"])
# daily simple returns per stock, and constant float caps
RETURNS = {
    "A": [0.10, 0.0, -0.10, 0.10],
    "B": [0.02, -0.02, 0.0, 0.05],
    "C": [0.05, 0.0, 0.10, -0.05],
    "D": [0.05, 0.0, 0.0, 0.0],
}
FIRST_CLOSE = {"A": 10.0, "B": 50.0, "C": 20.0, "D": 5.0}
FLOAT_CAP = {"A": 100.0, "B": 300.0, "C": 200.0, "D": 50.0}
# D (industry I03) trades on Jan 30 and is suspended from Jan 31 on: flat prices, no trading day.
SUSPENDED = {("D", DAYS[1]), ("D", DAYS[2]), ("D", DAYS[3])}


def _bars() -> pd.DataFrame:
    rows = []
    for stock, rets in RETURNS.items():
        pre = FIRST_CLOSE[stock]
        for day, r in zip(DAYS, rets, strict=True):
            close = pre * (1 + r)
            rows.append(
                dict(
                    trade_date=day,
                    stock_id=stock,
                    open=pre,
                    high=max(pre, close) * 1.01,
                    low=min(pre, close) * 0.99,
                    close=close,
                    pre_close=pre,
                    volume=1000.0,
                    amount=1000.0 * close,
                    turnover=0.01,
                    float_mcap=FLOAT_CAP[stock],
                    total_mcap=2 * FLOAT_CAP[stock],
                    is_st=False,
                    is_suspended=(stock, day) in SUSPENDED,
                )
            )
            pre = close
    return pd.DataFrame(rows).sort_values(["trade_date", "stock_id"])


def _raw() -> dict[str, pd.DataFrame]:
    market = pd.DataFrame({"trade_date": DAYS, "market_ret": 0.01, "rf": 0.0001})
    membership = pd.DataFrame(
        {
            "stock_id": ["A", "B", "C", "C", "D"],
            "in_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-01", "2024-02-01", "2024-01-01"]),
            "industry_code": ["I01", "I01", "I02", "I01", "I03"],
            "industry_name": ["Banks", "Banks", "Media", "Banks", "Steel"],
            "out_date": pd.to_datetime([None, None, "2024-02-01", None, None]),
        }
    )
    fundamentals = pd.DataFrame(
        {
            "stock_id": ["A"],
            "announce_date": pd.to_datetime(["2024-01-30"]),
            "period_end": pd.to_datetime(["2023-12-31"]),
            "book_equity": [50.0],
            "net_income_ttm": [5.0],
            "revenue_ttm": [40.0],
            "total_assets": [90.0],
            "total_liabilities": [40.0],
        }
    )
    return {
        "raw.daily_bars": _bars(),
        "raw.market_daily": market,
        "raw.industry_membership": membership,
        "raw.fundamentals": fundamentals,
    }


@pytest.fixture(scope="module")
def conn():
    con = duckdb.connect()
    tables = {
        f"raw.{n}": (RAW_TABLES[n].date_column, ddl(RAW_TABLES[n]))
        for n in ("daily_bars", "market_daily", "industry_membership", "fundamentals")
    }
    write_windows(con, tables, [_raw()], start=date(2024, 1, 1), end=date(2024, 3, 1))
    models = load_models()
    months = ((date(2024, 1, 1), date(2024, 2, 1)), (date(2024, 2, 1), date(2024, 3, 1)))
    weeks = ((date(2024, 1, 29), date(2024, 2, 5)),)
    for model in topological_order(models):
        for start, end in weeks if model.partitions == "weekly" else months:
            materialize(con, model, models, start, end)
    return con


def _one(conn, sql, params=()):
    return conn.execute(sql, list(params)).fetchall()


def test_daily_returns_flags_and_point_in_time_industry(conn):
    rows = _one(
        conn,
        "select ret, excess_ret, is_limit_up, listed_days, industry_code from marts.stock_returns_daily "
        "where stock_id = 'C' order by trade_date",
    )
    assert [r[0] for r in rows] == pytest.approx([0.05, 0.0, 0.10, -0.05])
    assert rows[0][1] == pytest.approx(0.05 - 0.0001)
    assert [r[2] for r in rows] == [False, False, True, False]  # +10% on Feb 1 is limit-up
    assert [r[3] for r in rows] == [1, 2, 3, 4]
    assert [r[4] for r in rows] == ["I02", "I02", "I01", "I01"]  # moved to I01 on 2024-02-01


def test_monthly_stock_returns(conn):
    rows = _one(
        conn,
        "select month_end, ret, n_days, float_mcap, industry_code from marts.stock_returns_monthly "
        "where stock_id = 'A' order by month_end",
    )
    assert rows[0][0] == date(2024, 1, 31) and rows[1][0] == date(2024, 2, 2)
    assert rows[0][1] == pytest.approx(1.1 * 1.0 - 1)  # 0.10
    assert rows[1][1] == pytest.approx(0.9 * 1.1 - 1)  # -0.01
    assert rows[0][2] == 2 and rows[0][3] == 100.0 and rows[0][4] == "I01"


def test_a_suspended_day_is_not_a_trading_day_for_the_stock(conn):
    """D trades on Jan 30 (+5%) and is suspended from Jan 31: the daily rows stay with NULL returns, months
    and weeks compound the traded days only (a month without one returns 0 with n_days 0), and the
    suspended stock is not an industry constituent on those days."""
    rows = _one(
        conn,
        "select ret, log_ret, excess_ret, is_suspended, float_mcap from marts.stock_returns_daily "
        "where stock_id = 'D' order by trade_date",
    )
    assert len(rows) == 4 and rows[0][0] == pytest.approx(0.05)
    assert [r[:3] for r in rows[1:]] == [(None, None, None)] * 3 and all(r[3] for r in rows[1:])
    assert rows[3][4] == 50.0  # flags and caps kept
    months = _one(conn, "select ret, n_days from marts.stock_returns_monthly where stock_id = 'D' order by month_end")
    assert months == [(pytest.approx(0.05), 1), (0.0, 0)]
    week = _one(conn, "select ret, n_days from marts.stock_returns_weekly where stock_id = 'D'")
    assert week == [(pytest.approx(0.05), 1)]
    industry = _one(conn, "select trade_date from marts.industry_daily where industry_code = 'I03'")
    assert industry == [(date(2024, 1, 30),)]


def test_weekly_return_spans_month_boundary(conn):
    # Week Mon 2024-01-29 .. Fri 2024-02-02 (weekly partition 2024-01-29) compounds all four days across
    # the month boundary: 1.1 * 1.0 * 0.9 * 1.1 - 1; it is keyed by its last trading day.
    rows = _one(conn, "select week_end, ret, n_days from marts.stock_returns_weekly where stock_id = 'A'")
    assert rows == [(date(2024, 2, 2), pytest.approx(1.1 * 0.9 * 1.1 - 1), 4)]


def test_industry_daily_equal_and_cap_weighted(conn):
    rows = _one(
        conn,
        "select trade_date, ret_ew, ret_cw, n_constituents, amount from marts.industry_daily "
        "where industry_code = 'I01' order by trade_date",
    )
    jan31, feb1 = rows[1], rows[2]
    assert jan31[1] == pytest.approx((0.0 - 0.02) / 2)
    assert jan31[2] == pytest.approx((0.0 * 100 - 0.02 * 300) / 400)  # previous-day float cap weights
    assert jan31[3] == 2
    assert feb1[1] == pytest.approx((-0.10 + 0.0 + 0.10) / 3)  # C joined I01 on Feb 1
    assert feb1[2] == pytest.approx((-0.10 * 100 + 0.0 * 300 + 0.10 * 200) / 600)
    assert feb1[3] == 3
    assert rows[0][2] is None  # no previous-day cap on the first day of data
    weight_sums = _one(
        conn, "select cw_weight_sum from marts.industry_daily where industry_code = 'I01' order by trade_date"
    )
    assert [w[0] for w in weight_sums] == [None, pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0)]


def test_industry_monthly_rollup(conn):
    ((ret_ew, n_days),) = _one(
        conn,
        "select ret_ew, n_days from marts.industry_monthly where industry_code = 'I01' and month_end = '2024-01-31'",
    )
    assert ret_ew == pytest.approx((1 + 0.06) * (1 - 0.01) - 1)  # EW days: (0.10+0.02)/2, (0-0.02)/2
    assert n_days == 2


def test_market_monthly(conn):
    rows = _one(
        conn,
        "select month_end, market_ret, market_excess, cum_ret_24m, var_126d from marts.market_monthly "
        "order by month_end",
    )
    assert rows[0][0] == date(2024, 1, 31)
    assert rows[0][1] == pytest.approx(1.01**2 - 1)
    assert rows[0][2] == pytest.approx(1.01**2 - 1.0001**2)
    assert rows[0][3] is None and rows[0][4] is None  # not enough history for the trailing windows


def test_rerunning_a_window_is_idempotent(conn):
    models = load_models()
    before = conn.execute("select * from marts.stock_returns_weekly order by all").fetchall()
    result = materialize(conn, models["stock_returns_weekly"], models, date(2024, 1, 29), date(2024, 2, 5))
    assert result.rows_replaced == result.rows_written == 4
    assert conn.execute("select * from marts.stock_returns_weekly order by all").fetchall() == before


def test_schema_checks_pass_on_clean_data(conn):
    from momentum_dag.storage.sql_models import check_sql

    models = load_models()
    for model in models.values():
        for test in model.tests:
            assert conn.execute(check_sql(test, model.table)).fetchall()[0][0] == 0, (model.name, test.name)


def test_null_when_check_counts_rows_breaking_the_rule(conn):
    from momentum_dag.storage.sql_models import check_sql

    test = next(t for t in load_models()["stock_returns_daily"].tests if t.kind == "null_when")
    assert test.columns == ("ret", "is_suspended")
    conn.execute("create temp table broken as select * from marts.stock_returns_daily")
    conn.execute("update broken set ret = 0 where is_suspended")  # the old rule: suspended days return 0
    conn.execute("update broken set ret = null where stock_id = 'A' and trade_date = '2024-01-30'")
    assert conn.execute(check_sql(test, "broken")).fetchall()[0][0] == 4


def test_dependencies_come_from_ref_and_source():
    models = load_models()
    assert models["stock_returns_weekly"].refs == ("stock_returns_daily",)
    assert models["stg_daily_bars"].sources == (("raw", "daily_bars"),)
    order = [m.name for m in topological_order(models)]
    assert order.index("stock_returns_daily") < order.index("industry_daily") < order.index("industry_monthly")
