"""Time the whole graph through Dagster: a full backfill, then one new month, with peak memory.

Usage (each size in a fresh temporary warehouse and Dagster instance):

    .venv/bin/python benchmarks/bench_pipeline.py --size demo    # 1,000 stocks, 2014-01 .. last month
    .venv/bin/python benchmarks/bench_pipeline.py --size scale   # 5,000 stocks x 20 years

The backfill runs the project command (``momentum-dag backfill``) in a child process so its peak RSS
(``resource.getrusage(RUSAGE_CHILDREN)``) is the pipeline's own. "One new month" re-runs the last monthly
partition and the last week on top of the full history, then the reports: what the schedules do.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from momentum_dag.partitions import Partitions

SIZES = {
    "demo": {"MOMENTUM_SIM_STOCKS": "1000", "MOMENTUM_HISTORY_START": "2014-01-01"},
    "scale": {"MOMENTUM_SIM_STOCKS": "5000", "MOMENTUM_HISTORY_START": f"{date.today().year - 20}-01-01"},
}
CLI = [sys.executable, "-m", "momentum_dag.cli"]


def _run(args: list[str], env: dict) -> tuple[float, float]:
    began = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - began
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024**2
    return seconds, peak_gb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="momentum_bench_") as folder:
        env = {
            **os.environ,
            **SIZES[args.size],
            "MOMENTUM_DUCKDB_PATH": str(Path(folder) / "bench.duckdb"),
            "MOMENTUM_REPORTS_DIR": str(Path(folder) / "reports"),
            "DAGSTER_HOME": str(Path(folder) / "dagster_home"),
        }
        Path(env["DAGSTER_HOME"]).mkdir()
        full, peak = _run([*CLI, "backfill"], env)
        print(f"{args.size}: full backfill {full:.1f} s, peak RSS {peak:.2f} GB", flush=True)
        start = date.fromisoformat(SIZES[args.size]["MOMENTUM_HISTORY_START"])
        last = Partitions.starting(start).monthly.get_last_partition_key()[:7]
        month, peak = _run([*CLI, "backfill", "--start", last, "--end", last], env)
        print(f"{args.size}: one new month ({last}, whole graph) {month:.1f} s, peak RSS {peak:.2f} GB", flush=True)


if __name__ == "__main__":
    main()
