"""One SQL model's step as its asset runs it (the window materialized chunk by chunk in one transaction, then
the schema.yml checks over the window), timed statement by statement. It WRITES: run it on a copy of a
warehouse, never on one another process uses.

    cp W.duckdb copy.duckdb
    python benchmarks/sql_step.py --db copy.duckdb --model stock_returns_daily --start 2006-01 --end 2026-11 --drop

``--drop`` drops the model's table first, as a first backfill finds it (else the window's rows are deleted
and written again). The settings (chunk months) come from the environment as for a run. Prints the CPU
(this process, DuckDB's threads included) and wall seconds of the write and of the checks, the statements
that took longest, and each check's seconds.
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import defaultdict
from datetime import date
from pathlib import Path


class _Timed:
    """A connection whose ``execute`` adds each statement's wall seconds to ``spent`` (by its first words)."""

    def __init__(self, conn, spent: dict):
        self._conn, self._spent = conn, spent

    def execute(self, sql, *args):
        began = time.perf_counter()
        result = self._conn.execute(sql, *args)
        self._spent[" ".join(sql.split())[:60]] += time.perf_counter() - began
        return result

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _month(text: str, after: bool = False) -> date:
    year, month = map(int, text.split("-")[:2])
    if after:
        year, month = year + (month == 12), month % 12 + 1
    return date(year, month, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--end", required=True)
    parser.add_argument("--drop", action="store_true")
    args = parser.parse_args()

    from momentum_dag.assets.sql import _run_checks
    from momentum_dag.settings import Settings
    from momentum_dag.storage import Warehouse
    from momentum_dag.storage.sql_models import load_models, materialize

    settings = Settings.from_env()
    models = load_models()
    model = models[args.model]
    start, end = _month(args.start), _month(args.end, after=True)
    load = Path("/proc/loadavg").read_text().split()[:3]
    spent: dict = defaultdict(float)
    with Warehouse.at(args.db).get_connection() as conn:
        if args.drop:
            conn.execute(f"drop table if exists {model.table}")
            conn.execute("checkpoint")
        timed = _Timed(conn, spent)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        result = materialize(timed, model, models, start, end, chunk_months=settings.run.chunk_months)
        cpu1, wall1 = time.process_time(), time.perf_counter()
        checks = []
        for check in _run_checks(timed, model, start, end):
            checks.append((check.check_name, check.passed, time.perf_counter()))
        cpu2, wall2 = time.process_time(), time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    print(
        f"{args.model} {args.start}..{args.end}: write cpu {cpu1 - cpu0:.2f} s wall {wall1 - wall0:.2f} s, "
        f"checks cpu {cpu2 - cpu1:.2f} s wall {wall2 - wall1:.2f} s, {result.rows_written if result else 0} rows, "
        f"peak {peak:.2f} GB, load {load} -> {Path('/proc/loadavg').read_text().split()[:3]}"
    )
    for sql, seconds in sorted(spent.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {seconds:7.2f} s  {sql}")
    previous = wall1
    for name, passed, at in checks:
        print(f"  check {name}: {at - previous:.2f} s{'' if passed else ' FAILED'}")
        previous = at


if __name__ == "__main__":
    main()
