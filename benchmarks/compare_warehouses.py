"""Two warehouses table by table: row counts and the rows one has and the other does not (EXCEPT ALL both
ways, so duplicates count; floats compared exactly, NaN equal to NaN as DuckDB compares them). Exits 1 when
any table differs or exists in one only.

    .venv/bin/python benchmarks/compare_warehouses.py BEFORE.duckdb AFTER.duckdb

For a change that must not move a number: back-to-back benchmark runs of the code before and after with
``bench_pipeline.py --keep``, then this on their two ``bench.duckdb`` files.
"""

from __future__ import annotations

import sys

import duckdb


def compare(before: str, after: str) -> int:
    conn = duckdb.connect()
    conn.execute(f"attach '{before}' as a (read_only)")
    conn.execute(f"attach '{after}' as b (read_only)")

    def tables(db: str) -> set[str]:
        rows = conn.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where database_name = ?", [db]
        ).fetchall()
        return {name for (name,) in rows}

    a, b = tables("a"), tables("b")
    print(f"only in {before}: {sorted(a - b)}; only in {after}: {sorted(b - a)}")
    differing = len(a ^ b)
    for table in sorted(a & b):
        n_a = conn.execute(f"select count(*) from a.{table}").fetchone()[0]
        n_b = conn.execute(f"select count(*) from b.{table}").fetchone()[0]
        a_only = conn.execute(f"select count(*) from (from a.{table} except all from b.{table})").fetchone()[0]
        b_only = conn.execute(f"select count(*) from (from b.{table} except all from a.{table})").fetchone()[0]
        same = n_a == n_b and a_only == b_only == 0
        differing += not same
        print(f"{table}: {n_a} / {n_b} rows, {a_only} / {b_only} rows in one only{'' if same else '  <-- DIFFERS'}")
    print(f"tables compared: {len(a & b)}; differing or in one only: {differing}")
    return 1 if differing else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(compare(sys.argv[1], sys.argv[2]))
