"""The raw-data contract: table specs, DDL, and validate() on in-memory frames."""

from __future__ import annotations

import io

import duckdb
import numpy as np
import pandas as pd
import pytest

from momentum_dag.sources.contract import (
    PANDAS_DTYPES,
    RAW_TABLES,
    ContractError,
    TableSpec,
    ddl,
    validate,
)

MARKET = RAW_TABLES["market_daily"]
BARS = RAW_TABLES["daily_bars"]


def read(text: str) -> pd.DataFrame:
    """A CSV as the files provider reads it: all text, blank lines kept."""
    return pd.read_csv(io.StringIO(text), dtype=str, skip_blank_lines=False)


def test_tables_date_columns_and_keys():
    assert {name: spec.date_column for name, spec in RAW_TABLES.items()} == {
        "daily_bars": "trade_date",
        "market_daily": "trade_date",
        "fundamentals": "announce_date",
        "industry_membership": "in_date",
        "factor_returns_monthly": "month_end",
    }
    assert BARS.key == ("trade_date", "stock_id")
    assert RAW_TABLES["industry_membership"].key == ("stock_id", "in_date")
    assert RAW_TABLES["fundamentals"].key == ("stock_id", "announce_date")
    assert "out_date" not in RAW_TABLES["industry_membership"].required  # NULL = current membership


def test_table_spec_rejects_inconsistent_definitions():
    with pytest.raises(ValueError, match=r"\['day'\] are not among its columns"):
        TableSpec("t", "day", ("id",), {"id": "VARCHAR"}, ("id",), "")
    with pytest.raises(ValueError, match="unsupported types"):
        TableSpec("t", "d", ("d",), {"d": "DATE", "x": "INT128"}, ("d",), "")
    with pytest.raises(ValueError, match="key and date column must be required"):
        TableSpec("t", "d", ("d",), {"d": "DATE"}, (), "")


def test_ddl_creates_every_table_without_primary_key():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    for spec in RAW_TABLES.values():
        con.execute(ddl(spec))
        con.execute(ddl(spec))  # IF NOT EXISTS: idempotent
        described = con.execute(f"DESCRIBE raw.{spec.name}").fetchall()
        assert [(row[0], row[1]) for row in described] == list(spec.columns.items())
        assert {row[0] for row in described if row[2] == "NO"} == set(spec.required)
    # No primary key: the same key twice is accepted by DuckDB (validate and asset checks own uniqueness).
    con.execute("INSERT INTO raw.market_daily VALUES ('2024-01-02', 0.01, 0.0), ('2024-01-02', 0.01, 0.0)")
    assert con.execute("SELECT count(*) FROM raw.market_daily").fetchone() == (2,)
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO raw.market_daily VALUES ('2024-01-03', NULL, 0.0)")


def test_ddl_rejects_a_schema_that_is_not_an_identifier():
    with pytest.raises(ValueError, match="schema must be a lower-case SQL identifier"):
        ddl(MARKET, schema="raw; DROP TABLE x")


def test_validate_coerces_text_to_contract_dtypes():
    bars = read(
        "trade_date,stock_id,open,high,low,close,pre_close,volume,amount,turnover,float_mcap,total_mcap,"
        "is_st,is_suspended\n"
        "20240102, 000001 ,10,10.5,9.8,10.2,10,1000,10200,0.01,1e9,2e9,TRUE,0\n"
        "2024-01-02,600000,5,5,5,5,5,0,0,0,5e8,5e8,no,Yes\n"
    )
    out = validate(bars, BARS, "bars.csv")
    assert {c: str(t) for c, t in out.dtypes.items()} == {c: PANDAS_DTYPES[t] for c, t in BARS.columns.items()}
    assert out["trade_date"].tolist() == [pd.Timestamp("2024-01-02")] * 2  # YYYYMMDD and ISO agree
    assert out["stock_id"].tolist() == ["000001", "600000"]  # stripped, leading zeros kept
    assert out["is_st"].tolist() == [True, False]
    assert out["is_suspended"].tolist() == [False, True]
    assert out["float_mcap"].tolist() == [1e9, 5e8]
    assert isinstance(out.index, pd.RangeIndex)


def test_validate_accepts_typed_frames_as_parquet_gives_them():
    typed = pd.DataFrame(
        {
            "trade_date": pd.to_datetime(["2024-01-02", "2024-01-03"]).astype("datetime64[ns]"),
            "market_ret": np.array([1, -2], dtype="int64") / 100,
            "rf": [0, 0],  # integers are numbers too
        }
    )
    out = validate(typed, MARKET, "m.parquet", header=False)
    assert out["trade_date"].dtype == "datetime64[us]"
    assert out["rf"].dtype == "float64" and out["rf"].tolist() == [0.0, 0.0]
    int_dates = pd.DataFrame({"month_end": [20240131], "factor": ["MOM"], "ret": [0.01]})
    out = validate(int_dates, RAW_TABLES["factor_returns_monthly"], "f.parquet", header=False)
    assert out["month_end"].tolist() == [pd.Timestamp("2024-01-31")]


def test_absent_optional_columns_are_filled_with_nulls():
    fundamentals = read("stock_id,announce_date,period_end,book_equity\nA,2024-04-30,2023-12-31,5.0\n")
    out = validate(fundamentals, RAW_TABLES["fundamentals"], "f.csv")
    assert list(out.columns) == list(RAW_TABLES["fundamentals"].columns)
    assert out["book_equity"].tolist() == [5.0]
    assert out[["net_income_ttm", "revenue_ttm", "total_assets", "total_liabilities"]].isna().all().all()


def test_problem_counts_rows_and_shows_the_first():
    # rows on lines 2 and 4 are beyond 0.5; line 2 is shown, 2 rows counted.
    market = read("trade_date,market_ret,rf\n2024-01-02,0.7,0\n2024-01-03,0.1,0\n2024-01-04,-0.9,0\n")
    with pytest.raises(ContractError) as info:
        validate(market, MARKET, "m.csv")
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.column, problem.count) == ("m.csv", 2, "market_ret", 2)
    assert "m.csv, line 2, column 'market_ret': market_ret=0.7 is beyond max_abs_ret=0.5 [2 rows; first shown]" in str(
        info.value
    )
    assert isinstance(info.value, ValueError)


def test_max_abs_ret_and_monthly_bound_are_parameters():
    market = read("trade_date,market_ret,rf\n2024-01-02,0.7,0\n")
    assert validate(market, MARKET, "m.csv", max_abs_ret=0.8)["market_ret"].tolist() == [0.7]
    factors = read("month_end,factor,ret\n2024-01-31,MOM,1.5\n")
    with pytest.raises(ContractError, match="ret=1.5 is beyond max_abs_monthly_ret=1"):
        validate(factors, RAW_TABLES["factor_returns_monthly"], "f.csv")
    assert validate(factors, RAW_TABLES["factor_returns_monthly"], "f.csv", max_abs_monthly_ret=2.0)[
        "ret"
    ].tolist() == [1.5]


def test_row_numbers_without_header_start_at_one():
    typed = pd.DataFrame({"trade_date": ["2024-01-03", "2024-01-02"], "market_ret": [0.0, 0.0], "rf": [0.0, 0.0]})
    with pytest.raises(ContractError) as info:
        validate(typed, MARKET, "m.parquet", header=False)
    # second row goes back in time; it names the first row as "row 1".
    assert "m.parquet, row 2, column 'trade_date': 2024-01-02 is earlier than 2024-01-03 on row 1" in str(info.value)
    assert "rows are numbered from 1" in str(info.value)


def test_equal_dates_are_in_order_and_overlap_check_allows_back_to_back_memberships():
    membership = read(
        "stock_id,in_date,industry_code,industry_name,out_date\n"
        "A,2020-01-02,I1,One,2021-06-01\n"
        "B,2020-01-02,I2,Two,\n"
        "A,2021-06-01,I2,Two,\n"  # starts on the day the first one ends: [in, out) intervals touch
    )
    out = validate(membership, RAW_TABLES["industry_membership"], "m.csv")
    assert out["out_date"].isna().tolist() == [False, True, True]


def test_unparseable_values_are_all_reported_before_other_checks():
    market = read("trade_date,market_ret,rf\n2024-01-02,x,0\n2024-13-01,0.1,y\n")
    with pytest.raises(ContractError) as info:
        validate(market, MARKET, "m.csv")
    located = {(p.line, p.column) for p in info.value.problems}
    assert located == {(2, "market_ret"), (3, "trade_date"), (3, "rf")}


def test_validate_rejects_non_frames():
    with pytest.raises(ValueError, match="m.csv: expected a pandas DataFrame, got list"):
        validate([1, 2], MARKET, "m.csv")
