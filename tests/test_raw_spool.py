"""The raw layer's spool: chunks wait on disk as Parquet files that DuckDB can insert with every thread.

DuckDB reads one Parquet row group per thread; pyarrow's default row group (1 Mi rows) makes a year of a
5,000-stock market one row group, which one thread inserts (the scale backfill's insert took 16 s instead
of 9 s). The spool's row groups are DuckDB's own size, and the rows come back unchanged and in order.
"""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from momentum_dag.assets.raw import _spool
from momentum_dag.storage.windows import ROW_GROUP as SPOOL_ROW_GROUP


def test_spool_files_are_in_duckdb_sized_row_groups_and_keep_the_rows(tmp_path):
    n = 2 * SPOOL_ROW_GROUP + 17
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
    assert [meta.row_group(i).num_rows for i in range(3)] == [SPOOL_ROW_GROUP, SPOOL_ROW_GROUP, 17]
    back = pd.read_parquet(spooled[0]["daily_bars"])
    pd.testing.assert_frame_equal(back, bars, check_dtype=False)
