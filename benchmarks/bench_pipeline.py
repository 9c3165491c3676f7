"""Time the whole graph through Dagster: a full backfill, then one new month, with peak memory; JSON out.

Usage (each size in a fresh temporary warehouse and Dagster instance; 2 cores):

    .venv/bin/python benchmarks/bench_pipeline.py --size small   # 300 stocks, 2014-01..2019-12
    .venv/bin/python benchmarks/bench_pipeline.py --size demo    # the demo: 1,000 stocks, 2014-01..last month
    .venv/bin/python benchmarks/bench_pipeline.py --size scale   # 5,000 stocks x 20 years
    .venv/bin/python benchmarks/bench_pipeline.py --size mid     # 2,000 stocks, 2014-01..2019-12

Each measured command runs the project CLI (``momentum-dag backfill``) in a child process, so its wall
time and peak RSS (``os.wait4``) are the pipeline's own. "One new month" runs the last month again on top
of the backfilled history: the work the monthly schedule (and the weekly sensor) do when a month closes. With
``--profile`` the one-month run is also profiled (cProfile) to split its time between Dagster's
bookkeeping (event and run storage in the SQLite instance) and the rest. Figures are written to
``benchmarks/results/<size>.json`` (the README shows them), each run's step lines (seconds and peak memory
per step) to ``benchmarks/results/<size>_{backfill,month}_steps.txt``.

``--backend ducklake`` and/or ``--executor multiprocess|dask`` (README, "Scale out") measure that setup AND
the default one (DuckDB file, in-process) in the same invocation, on the same machine, one after the other,
and report the ratio (default seconds / this setup's seconds: above 1 is faster) and the CPU seconds' ratio
(this setup's / the default's: above 1 costs more CPU); figures go to
``<size>_<backend>_<executor>.json`` and the step lines beside it (``dask``: a LocalCluster of
``--workers`` processes started here). On a shared machine other work moves both figures: say so with them.

    .venv/bin/python benchmarks/bench_pipeline.py --size scale --backend ducklake --executor multiprocess
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from momentum_dag.partitions import Partitions

RESULTS = Path(__file__).parent / "results"
SIZES = {
    "small": {"MOMENTUM_SIM_STOCKS": "300", "MOMENTUM_HISTORY_START": "2014-01-01", "end": "2019-12"},
    # a mid-size market for a same-sitting pair when two scale runs do not fit (issue 20's backfill figures)
    "mid": {"MOMENTUM_SIM_STOCKS": "2000", "MOMENTUM_HISTORY_START": "2014-01-01", "end": "2019-12"},
    "demo": {"MOMENTUM_SIM_STOCKS": "1000", "MOMENTUM_HISTORY_START": "2014-01-01", "end": None},
    "scale": {"MOMENTUM_SIM_STOCKS": "5000", "MOMENTUM_HISTORY_START": f"{date.today().year - 20}-01-01", "end": None},
}
CLI = [sys.executable, "-m", "momentum_dag.runtime.cli"]
# Dagster's bookkeeping: the instance's event/run storage and the SQL layer under it.
BOOKKEEPING = ("dagster/_core/storage", "sqlalchemy", "sqlite3")
# Opening the warehouse file, checking its stamp, closing it (DuckDB checkpoints then): function -> file.
WAREHOUSE_OPENING = {
    "connect": "storage/connection.py",
    "verify_warehouse": "storage/stamp.py",
    "<built-in method _duckdb.close>": "~",
}


def measure(args: list[str], env: dict, steps: Path | None = None, reap: bool = True) -> dict:
    """Wall seconds, CPU seconds (user + system) and peak RSS (GB) of one child process (CPU: with the
    processes it started, a multiprocess run's forkserver and step processes, when ``reap``; not a dask
    cluster's workers); its terminal lines (one per step, with the step's
    seconds and the peak so far) go to ``steps``. On a shared machine the CPU seconds move less with the
    other work than the wall seconds do."""
    _reap_orphans_here()
    began = time.perf_counter()
    with open(steps or os.devnull, "w") as out:
        child = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.PIPE)
        # drain stderr while waiting: a full pipe would block the child
        error = child.stderr.read()
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - began
    if status != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{error.decode()[-3000:]}")
    cpu = usage.ru_utime + usage.ru_stime + (_reap_descendants() if reap else 0.0)
    return {
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 1024**2, 3),
    }


def _reap_orphans_here() -> None:
    """Make this process the subreaper of its descendants (Linux): a multiprocess run's forkserver, which
    the run's process leaves to exit on its own, is then reparented here and its CPU time (with its step
    processes') counted by :func:`_reap_descendants`."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def _reap_descendants(wait: float = 60.0) -> float:
    """CPU seconds of the descendants the measured process left behind, waiting up to ``wait`` seconds for
    them to exit (not with a dask cluster of this process: its workers would be waited for)."""
    cpu, deadline = 0.0, time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            pid, _, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.2)
            continue
        cpu += usage.ru_utime + usage.ru_stime
    return cpu


def bookkeeping_share(profile: Path, listing: Path | None = None) -> dict:
    """Seconds of the profiled run spent inside Dagster's storage layer (own time of its functions) and in
    opening, checking and closing the warehouse file; ``listing``: the profile's top functions by cumulative
    time, as text."""
    stats = pstats.Stats(str(profile))
    total = sum(row[2] for row in stats.stats.values())
    storage = sum(row[2] for (path, _, _), row in stats.stats.items() if any(p in path for p in BOOKKEEPING))
    opening = sum(
        row[3]
        for (path, _, name), row in stats.stats.items()
        if name in WAREHOUSE_OPENING and path.endswith(WAREHOUSE_OPENING[name])
    )
    if listing is not None:
        with open(listing, "w") as out:
            pstats.Stats(str(profile), stream=out).sort_stats("cumulative").print_stats(60)
    return {
        "profiled_seconds": round(total, 1),
        "bookkeeping_seconds": round(storage, 1),
        "bookkeeping_share": round(storage / total, 3) if total else None,
        "warehouse_open_close_check_seconds": round(opening, 1),
    }


def _differing_settings(extra: dict) -> dict:
    """The settings this run differs by: any MOMENTUM_ variable set by hand, and the benchmark's own ``extra``
    (a dask scheduler's address left out: it changes from run to run)."""
    settings = {k: v for k, v in os.environ.items() if k.startswith("MOMENTUM_")} | extra
    settings.pop("MOMENTUM_DASK_ADDRESS", None)
    return settings


def run(size_name: str, label: str, extra: dict, profile: bool, cluster_workers: int, keep: str = "") -> dict:
    """Backfill then one new month in a fresh warehouse and instance, with ``extra`` settings."""
    size = SIZES[size_name]
    start = date.fromisoformat(size["MOMENTUM_HISTORY_START"])
    last = size["end"] or Partitions.starting(start).monthly.get_last_partition_key()[:7]
    figures: dict = {
        "size": size_name,
        "stocks": int(size["MOMENTUM_SIM_STOCKS"]),
        "first": str(start)[:7],
        "last": last,
        "date": str(date.today()),
        "settings": _differing_settings(extra),
    }
    prefix = size_name if not label else f"{size_name}_{label}"
    with _folder(keep) as folder, _cluster(extra, cluster_workers) as extra:
        env = {
            **os.environ,
            **{k: v for k, v in size.items() if k.startswith("MOMENTUM_")},
            "MOMENTUM_DUCKDB_PATH": str(Path(folder) / "bench.duckdb"),
            "MOMENTUM_REPORTS_DIR": str(Path(folder) / "reports"),
            "DAGSTER_HOME": str(Path(folder) / "dagster_home"),
            **extra,
        }
        Path(env["DAGSTER_HOME"]).mkdir()
        RESULTS.mkdir(exist_ok=True)
        reap = extra.get("MOMENTUM_EXECUTOR") != "dask"
        figures["full_backfill"] = measure(
            [*CLI, "backfill", "--start", str(start)[:7], "--end", last],
            env,
            RESULTS / f"{prefix}_backfill_steps.txt",
            reap,
        )
        print(f"{prefix}: full backfill {figures['full_backfill']}", flush=True)
        month = measure(
            [*CLI, "backfill", "--start", last, "--end", last], env, RESULTS / f"{prefix}_month_steps.txt", reap
        )
        figures["one_new_month"] = month | {"month": last}
        print(f"{prefix}: one new month ({last}) {month}", flush=True)
        figures["one_month_over_backfill"] = round(month["seconds"] / figures["full_backfill"]["seconds"], 3)
        if profile:
            profile_file = Path(folder) / "month.prof"
            measure(
                [sys.executable, "-m", "cProfile", "-o", str(profile_file), *CLI[1:], "backfill"]
                + ["--start", last, "--end", last],
                env,
            )
            figures["one_new_month"] |= bookkeeping_share(profile_file, RESULTS / f"{prefix}_month_profile.txt")
            print(f"{prefix}: bookkeeping {figures['one_new_month']}", flush=True)
    return figures


def _folder(keep: str):
    """The run's folder: a temporary one, or ``keep`` (created empty, left in place to profile steps on it)."""
    if not keep:
        return tempfile.TemporaryDirectory(prefix="momentum_bench_")
    Path(keep).mkdir(parents=True)  # fails if it exists: the run needs a fresh warehouse and instance
    return contextlib.nullcontext(keep)


class _cluster:
    """A dask LocalCluster for ``MOMENTUM_EXECUTOR=dask`` (its workers inherit this environment); else nothing."""

    def __init__(self, extra: dict, workers: int):
        self.extra, self.workers, self.cluster = dict(extra), workers, None

    def __enter__(self) -> dict:
        if self.extra.get("MOMENTUM_EXECUTOR") == "dask":
            from dask.distributed import LocalCluster

            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, dashboard_address=None)
            self.extra["MOMENTUM_DASK_ADDRESS"] = self.cluster.scheduler_address
        return self.extra

    def __exit__(self, *exc) -> None:
        if self.cluster is not None:
            self.cluster.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--profile", action="store_true", help="profile the one-month run (slower)")
    parser.add_argument("--backend", choices=("duckdb", "ducklake"), default="duckdb")
    parser.add_argument("--executor", choices=("in_process", "multiprocess", "dask"), default="in_process")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes (multiprocess, dask)")
    parser.add_argument(
        "--label",
        default="",
        help="suffix of the output files, e.g. the baseline's commit when this script runs another tree's "
        "interpreter (its CLI is that tree's code): --label baseline_9c26251; with --backend/--executor, "
        "both runs' files end in it (scale_ducklake_multiprocess_s10.json, scale_baseline_s10_*_steps.txt)",
    )
    parser.add_argument(
        "--keep",
        default="",
        help="run in this new folder and leave the warehouse and Dagster instance there (to profile steps on it)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if (args.backend, args.executor) == ("duckdb", "in_process"):
        figures = run(args.size, args.label, {}, args.profile, args.workers, args.keep)
        out = RESULTS / (f"{args.size}_{args.label}.json" if args.label else f"{args.size}.json")
    else:
        # --label suffixes both runs' files here too, so a re-measure does not overwrite committed results
        suffix = f"_{args.label}" if args.label else ""
        label = f"{args.backend}_{args.executor}{suffix}"
        extra = {"MOMENTUM_WAREHOUSE": args.backend, "MOMENTUM_EXECUTOR": args.executor}
        if args.executor != "in_process":
            extra["MOMENTUM_EXECUTOR_WORKERS"] = str(args.workers)
        baseline = run(args.size, f"baseline{suffix}", {}, args.profile, args.workers)
        figures = run(args.size, label, extra, args.profile, args.workers)
        figures["baseline_duckdb_in_process"] = baseline
        figures["speedup_over_baseline"] = {
            part: round(baseline[part]["seconds"] / figures[part]["seconds"], 3)
            for part in ("full_backfill", "one_new_month")
        }
        figures["cpu_over_baseline"] = {
            part: round(figures[part]["cpu_seconds"] / baseline[part]["cpu_seconds"], 3)
            for part in ("full_backfill", "one_new_month")
        }
        print(f"{args.size}: {label} vs duckdb in-process: {figures['speedup_over_baseline']}", flush=True)
        print(f"{args.size}: {label} CPU seconds / duckdb in-process's: {figures['cpu_over_baseline']}", flush=True)
        out = RESULTS / f"{args.size}_{label}.json"
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
