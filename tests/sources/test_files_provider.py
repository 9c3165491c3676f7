"""The files provider: discovery, validation of every file before anything is yielded, date windows."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from momentum_dag.sources.contract import PANDAS_DTYPES, RAW_TABLES, ContractError
from momentum_dag.sources.files import FilesProvider, find_table_files

# A tiny valid market, as the lines of each CSV file (header = line 1, first data row = line 2).
VALID: dict[str, list[str]] = {
    "daily_bars": [
        "trade_date,stock_id,open,high,low,close,pre_close,volume,amount,turnover,float_mcap,total_mcap,is_st,is_suspended",
        "2024-01-30,000001,10.0,10.5,9.8,10.2,10.0,1000,10200,0.01,1.0e9,2.0e9,false,false",
        "2024-01-30,000002,5.0,5.2,4.9,5.1,5.0,2000,10200,0.02,5.0e8,5.0e8,false,false",
        "2024-01-31,000001,10.2,10.4,10.1,10.3,10.2,1500,15450,0.015,1.01e9,2.02e9,false,false",
        "2024-01-31,000002,5.1,5.1,5.1,5.1,5.1,0,0,0,5.0e8,5.0e8,true,true",
        "2024-02-01,000001,10.3,10.3,9.9,10.0,10.3,800,8000,0.008,9.8e8,1.96e9,false,false",
        "2024-02-01,000002,5.1,5.6,5.1,5.6,5.1,3000,16500,0.03,5.5e8,5.5e8,true,false",
    ],
    "market_daily": [
        "trade_date,market_ret,rf",
        "2024-01-30,0.01,0.0001",
        "2024-01-31,-0.02,0.0001",
        "2024-02-01,0.015,0.0001",
    ],
    "fundamentals": [
        "stock_id,announce_date,period_end,book_equity,net_income_ttm,revenue_ttm,total_assets,total_liabilities",
        "000001,2023-10-30,2023-09-30,1.0e9,1.0e8,5.0e8,3.0e9,2.0e9",
        "000002,2024-01-31,2023-12-31,4.0e8,,2.0e8,1.0e9,6.0e8",
    ],
    "industry_membership": [
        "stock_id,in_date,industry_code,industry_name,out_date",
        "000001,2020-01-02,801010,Agriculture,2024-02-01",
        "000002,2020-01-02,801780,Banks,",
        "000001,2024-02-01,801080,Electronics,",
    ],
    "factor_returns_monthly": [
        "month_end,factor,ret",
        "2024-01-31,MOM,0.012",
        "2024-01-31,SMB,-0.004",
        "2024-02-29,MOM,0.021",
        "2024-02-29,SMB,0.003",
    ],
}


def write_folder(folder: Path, changes: dict[str, list[str]] | None = None) -> Path:
    """Write the valid CSV files, replacing whole tables' lines with ``changes``."""
    folder.mkdir(parents=True, exist_ok=True)
    for table, lines in {**VALID, **(changes or {})}.items():
        (folder / f"{table}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def with_cells(table: str, data_row: int, cells: dict[str, str]) -> dict[str, list[str]]:
    """VALID[table] with some cells of one data row (0-based; file line = data_row + 2) replaced."""
    header = VALID[table][0].split(",")
    lines = list(VALID[table])
    fields = lines[data_row + 1].split(",")
    for col, value in cells.items():
        fields[header.index(col)] = value
    lines[data_row + 1] = ",".join(fields)
    return {table: lines}


def load(folder: Path) -> dict[str, pd.DataFrame]:
    return FilesProvider(folder).load()


def assert_problem(exc: ContractError, path: Path, line: int, column: str, fragment: str) -> None:
    """The message has one entry naming the file, the line and the column, and saying what is wrong."""
    prefix = f"{path}, line {line}, column '{column}': "
    entries = [entry for entry in str(exc).splitlines() if prefix in entry]
    assert entries, f"no entry starting {prefix!r} in:\n{exc}"
    assert any(fragment in entry for entry in entries), f"{fragment!r} not in {entries}"


def test_valid_csv_folder_loads_with_contract_dtypes(tmp_path):
    tables = load(write_folder(tmp_path))
    assert set(tables) == set(RAW_TABLES)
    for name, df in tables.items():
        spec = RAW_TABLES[name]
        assert list(df.columns) == list(spec.columns)
        assert {c: str(t) for c, t in df.dtypes.items()} == {c: PANDAS_DTYPES[t] for c, t in spec.columns.items()}
    bars = tables["daily_bars"]
    assert len(bars) == 6
    assert bars["stock_id"].tolist()[:2] == ["000001", "000002"]  # leading zeros kept
    assert bars["trade_date"].iloc[0] == pd.Timestamp("2024-01-30")
    assert bars["is_suspended"].tolist() == [False, False, False, True, False, False]
    assert bars["float_mcap"].iloc[2] == 1.01e9
    fundamentals = tables["fundamentals"]
    assert np.isnan(fundamentals["net_income_ttm"].iloc[1])  # blank optional value -> NULL
    membership = tables["industry_membership"]
    assert membership["out_date"].isna().tolist() == [False, True, True]
    assert membership["industry_code"].iloc[0] == "801010"


def test_parquet_files_load_like_csv(tmp_path):
    from_csv = load(write_folder(tmp_path / "csv"))
    folder = tmp_path / "parquet"
    folder.mkdir()
    for name, df in from_csv.items():
        df.to_parquet(folder / f"{name}.parquet", engine="pyarrow")
    from_parquet = load(folder)
    for name in from_csv:
        pd.testing.assert_frame_equal(from_parquet[name], from_csv[name])


def test_optional_table_may_be_absent(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "factor_returns_monthly.csv").unlink()
    chunks = list(FilesProvider(folder).generate("2024-01-01", "2024-03-01"))
    assert len(chunks) == 1 and "factor_returns_monthly" not in chunks[0]
    assert len(chunks[0]["daily_bars"]) == 6


def test_generate_yields_rows_in_half_open_window(tmp_path):
    chunks = list(FilesProvider(write_folder(tmp_path)).generate(date(2024, 1, 31), "2024-02-01"))
    assert len(chunks) == 1
    chunk = chunks[0]
    # [2024-01-31, 2024-02-01): the two 01-31 bars (lines 4-5), not 01-30 nor 02-01 (end is excluded).
    assert chunk["daily_bars"]["trade_date"].unique().tolist() == [pd.Timestamp("2024-01-31")]
    assert chunk["daily_bars"]["stock_id"].tolist() == ["000001", "000002"]
    assert chunk["market_daily"]["market_ret"].tolist() == [-0.02]
    # Fundamentals by announce_date: only 000002's (announced 2024-01-31).
    assert chunk["fundamentals"]["stock_id"].tolist() == ["000002"]
    # Memberships by in_date: none starts in the window; the empty frame keeps the contract dtypes.
    assert chunk["industry_membership"].empty
    assert str(chunk["industry_membership"]["in_date"].dtype) == "datetime64[us]"
    assert chunk["factor_returns_monthly"]["factor"].tolist() == ["MOM", "SMB"]
    assert chunk["daily_bars"].index.tolist() == [0, 1]


def test_rows_after_window_end_do_not_change_the_window(tmp_path):
    base = FilesProvider(write_folder(tmp_path / "a"))
    # Perturb the 2024-02-01 bars (lines 6-7) and the February factor returns, all after the window.
    changed = with_cells("daily_bars", 4, {"close": "10.1", "high": "10.3"})
    changed["daily_bars"][6] = changed["daily_bars"][6].replace("5.6,5.1,3000", "5.5,5.1,9999")
    changed.update(with_cells("factor_returns_monthly", 2, {"ret": "-0.3"}))
    perturbed = FilesProvider(write_folder(tmp_path / "b", changed))
    window = ("2024-01-01", "2024-02-01")
    (a,), (b,) = base.generate(*window), perturbed.generate(*window)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    (full,) = perturbed.generate("2024-01-01", "2024-03-01")
    assert full["daily_bars"]["volume"].iloc[5] == 9999.0  # the perturbation is real


def test_generate_rejects_reversed_window(tmp_path):
    with pytest.raises(ValueError, match="start 2024-02-01 is after end 2024-01-01"):
        next(FilesProvider(write_folder(tmp_path)).generate("2024-02-01", "2024-01-01"))


BAD_CELLS = [
    # (table, data row, new cells, file line, column, message fragment)
    ("daily_bars", 2, {"close": "10.3x"}, 4, "close", "cannot read '10.3x' as a finite number"),
    ("daily_bars", 2, {"trade_date": "2024-13-31"}, 4, "trade_date", "cannot read '2024-13-31' as a date"),
    ("daily_bars", 2, {"trade_date": "2024-01-31 15:00"}, 4, "trade_date", "as a date"),
    ("daily_bars", 1, {"is_st": "maybe"}, 3, "is_st", "cannot read 'maybe' as a boolean"),
    ("daily_bars", 1, {"volume": "inf"}, 3, "volume", "finite number"),
    ("daily_bars", 1, {"stock_id": ""}, 3, "stock_id", "missing value"),
    (
        "daily_bars",
        2,
        {"trade_date": "2024-01-30"},
        4,
        "trade_date, stock_id",
        "duplicate key (trade_date=2024-01-30, stock_id=000001): same as line 2",
    ),
    (
        "daily_bars",
        4,
        {"trade_date": "2024-01-29"},
        6,
        "trade_date",
        "2024-01-29 is earlier than 2024-01-31 on line 5: the file must be sorted by trade_date",
    ),
    ("daily_bars", 0, {"open": "0"}, 2, "open", "non-positive price open=0"),
    ("daily_bars", 0, {"high": "-1"}, 2, "high", "non-positive price high=-1"),
    ("daily_bars", 0, {"low": "0"}, 2, "low", "non-positive price low=0"),
    ("daily_bars", 0, {"close": "0"}, 2, "close", "non-positive price close=0"),
    ("daily_bars", 0, {"pre_close": "-10"}, 2, "pre_close", "non-positive price pre_close=-10"),
    # high 9.7 < low 9.8
    ("daily_bars", 0, {"high": "9.7"}, 2, "high", "high < low"),
    # high 10.1 < close 10.2 (low 9.8 is fine)
    ("daily_bars", 0, {"high": "10.1"}, 2, "high", "high < max(open, close)"),
    # low 10.1 > open 10.0
    ("daily_bars", 0, {"low": "10.1"}, 2, "low", "low > min(open, close)"),
    # 8.0 / 5.1 - 1 = 0.5686 > 0.5
    (
        "daily_bars",
        5,
        {"close": "8.0", "high": "8.0"},
        7,
        "close",
        "return close/pre_close - 1 = 0.5686 (close=8, pre_close=5.1) is beyond max_abs_ret=0.5",
    ),
    ("daily_bars", 0, {"volume": "-1"}, 2, "volume", "negative volume=-1"),
    ("daily_bars", 0, {"amount": "-5"}, 2, "amount", "negative amount=-5"),
    ("daily_bars", 0, {"turnover": "-0.01"}, 2, "turnover", "negative turnover=-0.01"),
    ("daily_bars", 0, {"total_mcap": "0", "float_mcap": "0"}, 2, "total_mcap", "non-positive market cap"),
    ("daily_bars", 0, {"float_mcap": "3e9"}, 2, "float_mcap", "float_mcap=3e+09 > total_mcap=2e+09"),
    ("market_daily", 1, {"market_ret": "0.6"}, 3, "market_ret", "market_ret=0.6 is beyond max_abs_ret=0.5"),
    ("market_daily", 2, {"rf": ""}, 4, "rf", "missing value"),
    ("market_daily", 1, {"trade_date": "2024-01-30"}, 3, "trade_date", "same as line 2"),
    (
        "fundamentals",
        1,
        {"announce_date": "2023-12-30"},
        3,
        "announce_date",
        "announce_date 2023-12-30 is before period_end 2023-12-31",
    ),
    (
        "fundamentals",
        1,
        {"announce_date": "2023-10-01", "period_end": "2023-09-30"},
        3,
        "announce_date",
        "sorted by announce_date",
    ),
    ("fundamentals", 0, {"book_equity": "n/a?"}, 2, "book_equity", "cannot read 'n/a?'"),
    (
        "industry_membership",
        0,
        {"out_date": "2019-12-31"},
        2,
        "out_date",
        "out_date 2019-12-31 is before in_date 2020-01-02",
    ),
    # 000001's first membership never ends (out_date NULL), so its 2024-02-01 one (line 4) overlaps it.
    (
        "industry_membership",
        0,
        {"out_date": ""},
        4,
        "in_date",
        "overlaps the one from 2020-01-02 (out_date NULL)",
    ),
    ("industry_membership", 1, {"industry_code": ""}, 3, "industry_code", "missing value"),
    ("factor_returns_monthly", 2, {"ret": "2.1"}, 4, "ret", "ret=2.1 is beyond max_abs_monthly_ret=1"),
]


@pytest.mark.parametrize(("table", "row", "cells", "line", "column", "fragment"), BAD_CELLS)
def test_bad_value_names_file_line_and_column(tmp_path, table, row, cells, line, column, fragment):
    folder = write_folder(tmp_path, with_cells(table, row, cells))
    with pytest.raises(ContractError) as info:
        load(folder)
    assert_problem(info.value, folder / f"{table}.csv", line, column, fragment)
    assert "line numbers count the header as line 1" in str(info.value)


def test_missing_required_column_names_it_and_the_columns_found(tmp_path):
    lines = [",".join(line.split(",")[:-1]) for line in VALID["market_daily"]]  # drop rf
    folder = write_folder(tmp_path, {"market_daily": lines})
    with pytest.raises(ContractError) as info:
        load(folder)
    assert_problem(info.value, folder / "market_daily.csv", 1, "rf", "required column is missing")
    assert "columns found: ['trade_date', 'market_ret']" in str(info.value)


def test_unknown_column_is_ignored_with_a_warning(tmp_path):
    lines = [VALID["market_daily"][0] + ",note"] + [line + ",x" for line in VALID["market_daily"][1:]]
    folder = write_folder(tmp_path, {"market_daily": lines})
    with pytest.warns(UserWarning, match=r"ignoring columns not in the market_daily contract: \['note'\]"):
        tables = load(folder)
    assert list(tables["market_daily"].columns) == ["trade_date", "market_ret", "rf"]


def test_blank_lines_are_skipped_and_keep_line_numbers(tmp_path):
    lines = list(VALID["market_daily"])
    lines.insert(2, "")  # line 3 is blank, the 2024-01-31 row moves to line 4
    lines[3] = "2024-01-31,oops,0.0001"
    folder = write_folder(tmp_path, {"market_daily": lines})
    with pytest.raises(ContractError) as info:
        load(folder)
    assert_problem(info.value, folder / "market_daily.csv", 4, "market_ret", "cannot read 'oops'")
    lines[3] = "2024-01-31,-0.02,0.0001"
    assert len(load(write_folder(tmp_path / "ok", {"market_daily": lines}))["market_daily"]) == 3


def test_parquet_problems_are_numbered_by_row(tmp_path):
    folder = write_folder(tmp_path)
    bars = load(folder)["daily_bars"]
    bars.loc[1, "low"] = 5.3  # second row: high 5.2 < low 5.3
    bars.to_parquet(folder / "daily_bars.parquet")
    (folder / "daily_bars.csv").unlink()
    with pytest.raises(ContractError) as info:
        load(folder)
    assert f"{folder / 'daily_bars.parquet'}, row 2, column 'high': high < low" in str(info.value)
    assert "rows are numbered from 1" in str(info.value)


def test_generate_validates_every_file_before_yielding(tmp_path):
    # factor_returns_monthly is read last; a bad value there must stop generate before any chunk.
    folder = write_folder(tmp_path, with_cells("factor_returns_monthly", 3, {"ret": "oops"}))
    received = []
    with pytest.raises(ContractError) as info:
        for chunk in FilesProvider(folder).generate("2024-01-01", "2024-03-01"):
            received.append(chunk)
    assert received == []
    assert_problem(info.value, folder / "factor_returns_monthly.csv", 5, "ret", "cannot read 'oops'")


def test_all_bad_files_are_reported_together(tmp_path):
    changes = {**with_cells("daily_bars", 0, {"open": "-1"}), **with_cells("market_daily", 0, {"rf": "x"})}
    folder = write_folder(tmp_path, changes)
    with pytest.raises(ContractError) as info:
        load(folder)
    assert_problem(info.value, folder / "daily_bars.csv", 2, "open", "non-positive price open=-1")
    assert_problem(info.value, folder / "market_daily.csv", 2, "rf", "cannot read 'x'")
    assert {p.source for p in info.value.problems} == {
        str(folder / "daily_bars.csv"),
        str(folder / "market_daily.csv"),
    }


def test_a_file_changed_after_loading_is_validated_again(tmp_path):
    folder = write_folder(tmp_path)
    provider = FilesProvider(folder)
    assert len(next(provider.generate("2024-01-01", "2024-03-01"))["market_daily"]) == 3
    write_folder(folder, with_cells("market_daily", 0, {"market_ret": "0.75"}))
    with pytest.raises(ContractError, match="market_ret=0.75 is beyond"):
        next(provider.generate("2024-01-01", "2024-03-01"))


def test_max_abs_ret_is_a_parameter(tmp_path):
    # 000002 on 2024-02-01: 8.0 / 5.1 - 1 = 0.5686, rejected at 0.5, accepted at 0.6.
    folder = write_folder(tmp_path, with_cells("daily_bars", 5, {"close": "8.0", "high": "8.0"}))
    assert FilesProvider(folder, max_abs_ret=0.6).load()["daily_bars"]["close"].iloc[5] == 8.0


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(ContractError, match=r"data folder .*nowhere does not exist \(MOMENTUM_FILES_DIR\)"):
        FilesProvider(tmp_path / "nowhere")


def test_missing_required_files_are_named_with_expected_names(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "fundamentals.csv").unlink()
    (folder / "industry_membership.csv").unlink()
    with pytest.raises(ContractError) as info:
        FilesProvider(folder)
    message = str(info.value)
    assert "missing fundamentals.csv or fundamentals.parquet" in message
    assert "missing industry_membership.csv or industry_membership.parquet" in message
    assert "daily_bars.csv" in message  # the files that are there are listed


def test_csv_and_parquet_for_one_table_is_ambiguous(tmp_path):
    folder = write_folder(tmp_path)
    pd.DataFrame({"trade_date": [], "market_ret": [], "rf": []}).to_parquet(folder / "market_daily.parquet")
    with pytest.raises(ContractError, match="both market_daily.csv and market_daily.parquet: keep one"):
        find_table_files(folder)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("daily_bars.csv", "", "is empty: expected a header line"),
        ("market_daily.csv", "trade_date,market_ret,rf\n2024-01-30,0.01,0.0001,9\n", "cannot be read as CSV"),
        (
            "market_daily.csv",
            "trade_date,market_ret,rf\n2024-01-30,0.01,0.0001\n2024-01-31,0,0,9\n",
            "Expected 3 fields in line 3, saw 4",
        ),
        ("market_daily.parquet", "not a parquet file", "cannot be read as Parquet"),
    ],
)
def test_unreadable_file_is_named(tmp_path, name, content, fragment):
    folder = write_folder(tmp_path)
    for suffix in (".csv", ".parquet"):
        (folder / (Path(name).stem + suffix)).unlink(missing_ok=True)
    (folder / name).write_text(content)
    with pytest.raises(ContractError) as info, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load(folder)
    assert str(folder / name) in str(info.value) and fragment in str(info.value)
