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

from momentum_dag.assets.raw import _spool
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
    spooled = _spool([{"daily_bars": bars, "factor_returns_monthly": bars.head(3)}], tmp_path)
    assert list(spooled[0]) == ["daily_bars"]  # the external table has its own asset
    meta = pq.ParquetFile(spooled[0]["daily_bars"]).metadata
    assert meta.num_row_groups == 3
    assert [meta.row_group(i).num_rows for i in range(3)] == [ROW_GROUP, ROW_GROUP, 17]
    back = pd.read_parquet(spooled[0]["daily_bars"])
    pd.testing.assert_frame_equal(back, bars, check_dtype=False)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    window = {"start": date(2020, 1, 1), "end": date(2020, 2, 1)}
    write_windows(
        conn, {"raw.daily_bars": ("trade_date", None)}, [{"raw.daily_bars": spooled[0]["daily_bars"]}], **window
    )
    stored = conn.execute("select * from raw.daily_bars").df()  # every thread inserted, in the spool's order
    pd.testing.assert_frame_equal(stored, bars, check_dtype=False)
