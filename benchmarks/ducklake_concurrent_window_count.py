"""Reproduce a DuckLake anomaly seen under concurrent window writes (duckdb 1.5.5's ducklake extension).

Four processes replace windows of one table at once ([1900, end) for four different month ends, one
transaction each, as the raw layer does), each reading the table first. Before its own write, two of them
also open a transaction, count the window with SELECT, DELETE it (reading the count DELETE reports), and
roll back. Sometimes DELETE reports twice the rows the SELECT counted (and the rows it removed), so a check
that trusts the count inside such a transaction (the raw layer's "nothing lost" guard) sees a window that
holds twice its rows. That transaction cannot commit (the table's write marker makes it conflict);
``storage.lake.in_transaction(recheck=)`` asks the guard again in a new transaction.

    .venv/bin/python benchmarks/ducklake_concurrent_window_count.py [--rounds 60] [--folder /tmp/lake-anomaly]

Prints each anomaly and a total; 0 anomalies in one run proves little (about one run in three showed one
on a 2-core machine).
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd

from momentum_dag.storage.lake import LakeConfig, open_lake
from momentum_dag.storage.windows import write_windows

TABLE = {"raw.daily_bars": ("trade_date", None)}
ENDS = ["2014-02-01", "2014-03-01", "2014-04-01", "2014-05-01"]
DAYS = pd.bdate_range("2014-01-01", "2014-04-30")


def rows(end: str) -> pd.DataFrame:
    days = DAYS[DAYS < pd.Timestamp(end)]
    return pd.DataFrame(
        {"trade_date": np.repeat(days.date, 28), "stock_id": np.tile(np.arange(28), len(days)), "ret": 0.01}
    )


def writer(config: LakeConfig, end: str, rounds: int, probe: bool, found) -> None:
    conn = open_lake(config)
    for _ in range(rounds):
        conn.execute("select count(*) from raw.daily_bars").fetchall()
        time.sleep(random.random() * 0.5)
        if probe:
            conn.execute("begin transaction")
            try:
                counted = conn.execute(
                    f"select count(*) from raw.daily_bars where trade_date < DATE '{end}'"
                ).fetchone()[0]
                deleted = conn.execute(f"delete from raw.daily_bars where trade_date < DATE '{end}'").fetchone()[0]
                if counted != deleted:
                    print(f"anomaly: window < {end} counted {counted} rows, DELETE reported {deleted}", flush=True)
                    found.value += 1
            finally:
                conn.execute("rollback")
        write_windows(conn, TABLE, [{"raw.daily_bars": rows(end)}], start="1900-01-01", end=end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--folder", default="/tmp/lake-anomaly")
    args = parser.parse_args()
    folder = Path(args.folder)
    shutil.rmtree(folder, ignore_errors=True)
    config = LakeConfig(f"sqlite:{folder / 'catalog.sqlite'}", str(folder / "files"))
    conn = open_lake(config)
    write_windows(conn, TABLE, [{"raw.daily_bars": rows(ENDS[-1])}], start="1900-01-01", end=ENDS[-1])
    conn.close()
    found = multiprocessing.get_context("spawn").Value("i", 0)
    processes = [
        multiprocessing.get_context("spawn").Process(target=writer, args=(config, end, args.rounds, i < 2, found))
        for i, end in enumerate(ENDS)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(f"{found.value} anomalies in {2 * args.rounds} probes")


if __name__ == "__main__":
    main()
