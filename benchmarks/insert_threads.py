"""How DuckDB inserts rows handed to it whole or in pieces of its row group (``storage.windows.ROW_GROUP``).

DuckDB scans one Arrow record batch, or one Parquet row group, per thread. This times one transaction that
deletes a table's window and inserts ~10.4 M rows (the shape of the factor-momentum formation weights:
date, two strings, a double) from an Arrow table in one batch and in row-group batches, and one that inserts
ten Parquet files of ~1 M rows written in one row group each (pyarrow's default) and in row groups of
DuckDB's size (the raw layer's spool), into a DuckDB file; then the same pieces into a DuckLake, whose
stored order it checks.

    .venv/bin/python benchmarks/insert_threads.py [--rows 10400000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from momentum_dag.storage.lake import extension_directory
from momentum_dag.storage.windows import ROW_GROUP

DDL = "create table t (period_end date, factor varchar, stock_id varchar, weight double)"


def frame(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "period_end": np.sort(pd.Timestamp("2006-01-31") + pd.to_timedelta(rng.integers(0, 7000, rows), unit="D")),
            "factor": pd.Series(rng.choice([f"f{i}" for i in range(10)], rows), dtype="str"),
            "stock_id": pd.Series(rng.choice([f"S{i:05d}" for i in range(5000)], rows), dtype="str"),
            "weight": np.arange(rows, dtype="float64"),  # the row's position: the stored order is checkable
        }
    )


def arrow(rows: pd.DataFrame, pieces: bool) -> pa.Table:
    table = pa.Table.from_pandas(rows, preserve_index=False)
    return pa.Table.from_batches(table.to_batches(max_chunksize=ROW_GROUP), schema=table.schema) if pieces else table


def parquet_files(rows: pd.DataFrame, folder: Path, pieces: bool) -> list[str]:
    files = []
    for i, part in enumerate(np.array_split(np.arange(len(rows)), 10)):
        path = folder / f"{'groups' if pieces else 'one'}_{i:02d}.parquet"
        rows.iloc[part].to_parquet(
            path, index=False, use_dictionary=False, compression=None, row_group_size=ROW_GROUP if pieces else None
        )
        files.append(str(path))
    return files


def timed_insert(conn, source, params=None) -> tuple[float, float]:
    """Delete the window and insert, in one transaction: wall and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    conn.execute("begin")
    conn.execute("delete from t where period_end >= '2006-01-01'")
    for file in source if isinstance(source, list) else [None]:
        if file is None:
            conn.execute("insert into t by name select * from _rows")
        else:
            conn.execute("insert into t by name select * from read_parquet($f)", {"f": file})
    conn.execute("commit")
    return time.perf_counter() - wall, time.process_time() - cpu


def out_of_order(conn) -> int:
    return conn.execute(
        "select count(*) from (select weight, row_number() over () - 1 as i from t) where weight != i"
    ).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_400_000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    rows = frame(args.rows)
    with tempfile.TemporaryDirectory(prefix="insert_threads_") as tmp:
        folder = Path(tmp)
        files = {pieces: parquet_files(rows, folder, pieces) for pieces in (False, True)}
        print(f"{args.rows:,} rows; DuckDB {duckdb.__version__}; row group {ROW_GROUP:,}")
        for backend in ("duckdb file", "ducklake"):
            for kind in ("arrow", "parquet"):
                for _ in range(args.repeat):
                    for pieces in (False, True):
                        conn = connect(folder, backend)
                        conn.execute(DDL)
                        if kind == "arrow":
                            conn.register("_rows", arrow(rows, pieces))
                            wall, cpu = timed_insert(conn, None)
                        else:
                            wall, cpu = timed_insert(conn, files[pieces])
                        what = "whole" if not pieces else "in row-group pieces"
                        print(
                            f"{backend:11s} {kind:7s} {what:19s}: wall {wall:5.2f} s, CPU {cpu:5.2f} s, "
                            f"rows stored out of order {out_of_order(conn):,}"
                        )
                        conn.close()


def connect(folder: Path, backend: str):
    for old in folder.glob("b.*"):
        old.unlink()
    if backend == "duckdb file":
        return duckdb.connect(str(folder / "b.duckdb"))
    conn = duckdb.connect(
        config={"extension_directory": str(extension_directory()), "autoinstall_known_extensions": False}
    )
    conn.execute("load ducklake; load sqlite_scanner")
    data = folder / f"lake_{time.monotonic_ns()}"
    conn.execute(f"attach 'ducklake:sqlite:{folder / 'b.sqlite'}' as lake (data_path '{data}/')")
    conn.execute("use lake")
    return conn


if __name__ == "__main__":
    main()
