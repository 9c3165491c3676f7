"""The raw layer's spool: chunks wait on disk as Parquet files that DuckDB can insert with every thread.

DuckDB reads one Parquet row group per thread; pyarrow's default row group (1 Mi rows) makes a year of a
5,000-stock market one row group, which one thread inserts (the scale backfill's insert took 16 s instead
of 9 s). The spool's row groups are DuckDB's own size, and a DuckDB file stores the rows unchanged and in
order (a DuckLake does not keep them in order: it gets pyarrow's row groups, ``tests/test_lake.py``).
"""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from momentum_dag.assets.raw import _spool_chunk, _Spooler
from momentum_dag.storage.windows import ROW_GROUP, write_windows


def test_spool_files_are_in_duckdb_sized_row_groups_and_keep_the_rows(tmp_path):
    n = 2 * ROW_GROUP + 17
    bars = pd.DataFrame(
        {
            "trade_date": pd.Timestamp("2020-01-02") + pd.to_timedelta(np.arange(n) % 20, unit="D"),
            "stock_id": pd.Series([f"S{i % 300:04d}" for i in range(n)], dtype="str"),
            "close": np.arange(n, dtype="float64") / 7.0,
        }
    )
    spooled = _spool_chunk({"daily_bars": bars, "factor_returns_monthly": bars.head(3)}, tmp_path, 0, lake=False)
    assert list(spooled) == ["raw.daily_bars"]  # the external table has its own asset
    meta = pq.ParquetFile(spooled["raw.daily_bars"]).metadata
    assert meta.num_row_groups == 3
    assert [meta.row_group(i).num_rows for i in range(3)] == [ROW_GROUP, ROW_GROUP, 17]
    back = pd.read_parquet(spooled["raw.daily_bars"])
    pd.testing.assert_frame_equal(back, bars, check_dtype=False)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    window = {"start": date(2020, 1, 1), "end": date(2020, 2, 1)}
    write_windows(conn, {"raw.daily_bars": ("trade_date", None)}, [spooled], **window)
    stored = conn.execute("select * from raw.daily_bars").df()  # every thread inserted, in the spool's order
    pd.testing.assert_frame_equal(stored, bars, check_dtype=False)


def _bars(day: int, n: int = 5) -> pd.DataFrame:
    return pd.DataFrame(
        {"trade_date": pd.Timestamp(2020, 1, day), "stock_id": [f"S{i}" for i in range(n)], "close": float(day)}
    )


JANUARY = {"start": date(2020, 1, 1), "end": date(2020, 2, 1)}
TABLES = {"raw.daily_bars": ("trade_date", None)}


def test_chunks_generated_in_a_thread_are_written_in_the_provider_s_order(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    chunks = ({"daily_bars": _bars(day)} for day in range(2, 12))
    with _Spooler(chunks, tmp_path) as spooled:
        write_windows(conn, TABLES, spooled, **JANUARY)
    assert spooled.count == 10 and not spooled.thread.is_alive()
    stored = conn.execute("select * from raw.daily_bars").df()
    expected = pd.concat([_bars(day) for day in range(2, 12)], ignore_index=True)
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)


def test_a_generation_error_reaches_the_transaction_and_nothing_is_written(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_windows(conn, TABLES, [{"raw.daily_bars": _bars(2)}], **JANUARY)

    def chunks():
        yield {"daily_bars": _bars(3)}
        raise ValueError("daily_bars.csv line 7: close is not a number")

    with pytest.raises(ValueError, match="line 7: close is not a number"):
        with _Spooler(chunks(), tmp_path) as spooled:
            write_windows(conn, TABLES, spooled, **JANUARY)
    pd.testing.assert_frame_equal(conn.execute("select * from raw.daily_bars").df(), _bars(2), check_dtype=False)


def test_a_failed_write_stops_the_generating_thread(tmp_path):
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    generated = []

    def chunks():
        for day in range(1, 29):
            generated.append(day)
            # the first chunk is dated outside the window: the write refuses it
            yield {"daily_bars": _bars(day) if day > 1 else _bars(1).assign(trade_date=pd.Timestamp(2019, 12, 31))}

    with pytest.raises(ValueError, match="outside the window"):
        with _Spooler(chunks(), tmp_path) as spooled:
            write_windows(conn, TABLES, spooled, **JANUARY)
    assert not spooled.thread.is_alive()
    assert len(generated) <= 2 + _Spooler.AHEAD  # the one refused, those queued, the one being generated
