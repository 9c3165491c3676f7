"""Wide panels from long mart rows: the hand-written pivot gives pandas' pivot, cell by cell."""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from momentum_dag.assets.panels import MarketPanels, _pivot, _wide

ROWS = pa.table(
    {
        "trade_date": pa.array([date(2024, 1, 3), date(2024, 1, 2), date(2024, 1, 2), date(2024, 1, 3)]),
        "stock_id": ["B", "B", "A10", "A2"],
        "ret": [0.5, None, -0.25, 0.125],
        "industry_code": ["I02", "I01", None, "I01"],
    }
)


def test_float_panel_places_each_value_in_its_cell_and_nan_elsewhere():
    wide = _pivot(ROWS, "trade_date", "stock_id", "ret", "marts.t")
    # dates ascending, entities sorted as strings ("A10" < "A2" < "B"); no row or NULL -> NaN
    assert list(wide.columns) == ["A10", "A2", "B"]
    assert list(wide.index) == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert wide.index.name == "date" and str(wide.index.dtype) == "datetime64[us]"
    expected = np.array([[-0.25, np.nan, np.nan], [np.nan, 0.125, 0.5]])
    np.testing.assert_array_equal(wide.to_numpy(), expected)
    pd.testing.assert_frame_equal(
        wide, _wide(ROWS.to_pandas().astype({"trade_date": "datetime64[us]"}), "trade_date", "stock_id", "ret")
    )


def test_label_panel_is_one_object_block_with_nan_for_missing_and_null():
    wide = _pivot(ROWS, "trade_date", "stock_id", "industry_code", "marts.t")
    assert wide._mgr.nblocks == 1 and all(dtype == np.dtype(object) for dtype in wide.dtypes)
    assert wide.loc["2024-01-02"].tolist()[2] == "I01" and wide.loc["2024-01-03"].tolist()[1:] == ["I01", "I02"]
    assert wide.isna().to_numpy().tolist() == [[True, True, False], [True, False, False]]  # NULL label, no rows


def test_a_duplicate_date_entity_pair_is_refused_naming_the_table():
    doubled = pa.concat_tables([ROWS, ROWS.slice(0, 1)])
    with pytest.raises(ValueError, match=r"marts.t: more than one row for a \(trade_date, stock_id\) pair"):
        _pivot(doubled, "trade_date", "stock_id", "ret", "marts.t")


def test_panels_read_through_duckdb_match_pandas_pivot_for_every_type():
    """Floats, labels and NULL-free booleans take the hand path, integers and booleans holding a NULL pandas'
    pivot; each equals pandas' (a boolean panel with a missing cell is an object panel, a full one bool, one
    with a NULL nullable booleans, as pandas makes them)."""
    conn = duckdb.connect()
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.stock_returns_daily as select * from (values "
        "(date '2024-01-02', 'B', 0.1::double, 'I01', false, 1), (date '2024-01-02', 'A', null, 'I02', true, 5), "
        "(date '2024-01-03', 'A', 0.2, null, false, 6), (date '2024-01-04', 'B', -0.1, 'I01', false, 2)) "
        "t(trade_date, stock_id, ret, industry_code, is_suspended, listed_days)"
    )

    class Connection:
        def query(self, sql, params=None):
            return conn.execute(sql, params or []).df()

        def query_arrow(self, sql, params=None):
            return conn.sql(sql, params=params or []).to_arrow_table()

    panels = MarketPanels(Connection(), end=date(2024, 2, 1), start=date(2024, 1, 1))
    values = ("ret", "industry_code", "is_suspended", "listed_days")
    for value in values:
        long = panels._read("marts.stock_returns_daily", "trade_date", ["trade_date", "stock_id", value])
        expected = _wide(long, "trade_date", "stock_id", value)
        pd.testing.assert_frame_equal(panels.stock_daily(value), expected, check_dtype=value != "industry_code")
    # several columns in one read (floats and labels together, the others by pandas): the same panels
    together = MarketPanels(Connection(), end=date(2024, 2, 1), start=date(2024, 1, 1)).stock_daily_panels(*values)
    for value, panel in zip(values, together, strict=True):
        pd.testing.assert_frame_equal(panel, panels.stock_daily(value), check_exact=True)
    # a full boolean panel (both stocks on 2 January) is bool; a NULL flag makes nullable booleans
    first_day = MarketPanels(Connection(), end=date(2024, 1, 3), start=date(2024, 1, 1))
    long = first_day._read("marts.stock_returns_daily", "trade_date", ["trade_date", "stock_id", "is_suspended"])
    full = first_day.stock_daily("is_suspended")
    pd.testing.assert_frame_equal(full, _wide(long, "trade_date", "stock_id", "is_suspended"))
    assert (full.dtypes == "bool").all()
    conn.execute("update marts.stock_returns_daily set is_suspended = null where stock_id = 'B' and ret < 0")
    long = panels._read("marts.stock_returns_daily", "trade_date", ["trade_date", "stock_id", "is_suspended"])
    flags = MarketPanels(Connection(), end=date(2024, 2, 1), start=date(2024, 1, 1)).stock_daily("is_suspended")
    pd.testing.assert_frame_equal(flags, _wide(long, "trade_date", "stock_id", "is_suspended"))
    assert (flags.dtypes == "boolean").all()
    read_together = MarketPanels(Connection(), end=date(2024, 2, 1), start=date(2024, 1, 1))
    pd.testing.assert_frame_equal(read_together.stock_daily_panels("ret", "is_suspended")[1], flags)


def test_fundamentals_at_a_month_end_are_the_latest_announced_by_then_not_the_latest_period(tmp_path):
    """Point in time: the Q2 report (period_end 30 June) announced on 5 August is not known at the end of
    July, which still sees Q1's report; August's month end sees Q2. A join on period_end would hand July
    the Q2 figures a month before anyone could read them (look-ahead)."""
    from momentum_dag.storage import Warehouse, ensure_schemas

    warehouse = Warehouse.at(str(tmp_path / "w.duckdb"))
    with warehouse.get_connection() as conn:
        ensure_schemas(conn)
        conn.execute(
            "create table marts.stock_returns_monthly as select * from (values "
            "(date '2024-06-28', 'A'), (date '2024-07-31', 'A'), (date '2024-08-30', 'A'), "
            "(date '2024-07-31', 'B')) t(month_end, stock_id)"
        )
        conn.execute(
            "create table staging.stg_fundamentals as select * from (values "
            "('A', date '2024-04-25', date '2024-03-31', 100.0), ('A', date '2024-08-05', date '2024-06-30', 130.0), "
            "('B', date '2024-08-01', date '2024-06-30', 7.0)) t(stock_id, announce_date, period_end, book_equity)"
        )
    panels = MarketPanels(warehouse, end=date(2024, 9, 1), start=date(2024, 6, 1))
    book = panels.fundamentals_at_month_ends("book_equity")
    assert book["A"].tolist() == [100.0, 100.0, 130.0]
    assert np.isnan(book.loc["2024-07-31", "B"])  # B's only report comes out the next day
