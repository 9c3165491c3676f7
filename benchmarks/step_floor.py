"""What Dagster itself costs per step and per asset check: no-op assets, run the way the CLI runs a month.

Usage:

    .venv/bin/python benchmarks/step_floor.py --label s14

Each asset is monthly partitioned, computes nothing and writes nothing; it reports one materialization with a
row count (as the project's assets do) and ``--checks`` passing asset checks. A job of such assets is run
in-process for one partition, on a fresh Dagster instance (SQLite, as ``dagster dev`` and the CLI use),
``--repeat`` times for each of two job sizes; the difference between the sizes divided by the difference in
steps is the cost of one step (and likewise of one check), free of the run's own start and end. Two
bookkeepings are timed: the project's (:mod:`momentum_dag.runtime.bookkeeping`: commits without fsync,
event-log connections kept open, a step output's events written as a batch), which the CLI and the
schedules' runs use, and Dagster's default.

Multiplied by a month's steps and check evaluations (the CLI's step lines and the run's events), this is the
part of a month that is Dagster's, whatever the assets do; the rest (imports, the assets' compute, their
warehouse reads and writes) is measured by ``month_floor.py``. The figures go to
``benchmarks/results/step_floor_<label>.txt``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
SIZES = (20, 80)
"""Steps in the small and the large job: the per-step cost is the slope between them."""


def _job(steps: int, checks: int):
    import dagster as dg

    def build(i: int):
        name = f"a{i}"
        specs = [dg.AssetCheckSpec(f"check_{j}", asset=name) for j in range(checks)]

        @dg.asset(name=name, check_specs=specs, partitions_def=dg.MonthlyPartitionsDefinition("2014-01-01"))
        def noop(context):
            yield dg.MaterializeResult(metadata={"rows": dg.MetadataValue.int(1)})
            for j in range(checks):
                yield dg.AssetCheckResult(check_name=f"check_{j}", passed=True)

        return noop

    return dg.Definitions(assets=[build(i) for i in range(steps)]).resolve_implicit_global_asset_job_def()


def _time_runs(steps: int, checks: int, repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` one-partition runs of ``steps`` no-op assets with ``checks`` checks each."""
    import dagster as dg

    job = _job(steps, checks)
    home = tempfile.mkdtemp(prefix="step_floor_")
    Path(home, "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    os.environ["DAGSTER_HOME"] = home
    instance = dg.DagsterInstance.get()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    seconds = []
    try:
        for k in range(repeat + 1):  # the first run creates the instance's tables: not counted
            began = time.perf_counter()
            job.execute_in_process(
                instance=instance, partition_key=f"{2015 + k // 12}-{k % 12 + 1:02d}-01", run_config=quiet
            )
            if k:
                seconds.append(time.perf_counter() - began)
    finally:
        instance.dispose()
        shutil.rmtree(home, ignore_errors=True)
    return seconds


def _child(args) -> None:
    """One configuration, in a process of its own (the bookkeeping patches are per process)."""
    if args.bookkeeping == "project":  # as build_definitions sets it up (batch_event_writes keeps the connections)
        from momentum_dag.runtime import bookkeeping

        bookkeeping.fast_sqlite_commits()
        bookkeeping.batch_event_writes()
    seconds = _time_runs(args.steps, args.checks, args.repeat)
    print(statistics.median(seconds))


def _measure(bookkeeping: str, steps: int, checks: int, repeat: int) -> float:
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--bookkeeping", bookkeeping, "--steps", str(steps)]
        + ["--checks", str(checks), "--repeat", str(repeat)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per configuration (the median is kept)")
    parser.add_argument("--checks", type=int, default=2, help="checks per asset in the checked jobs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bookkeeping", choices=("project", "dagster"), default="project", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=SIZES[0], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    small, large = SIZES
    load = os.getloadavg()
    lines = [
        f"Dagster's own cost of a step and of an asset check: one-partition in-process runs of no-op monthly "
        f"assets, median of {args.repeat} runs, {time.strftime('%Y-%m-%d %H:%M')}, load {load[0]:.1f}/{load[1]:.1f}",
        f"{'bookkeeping':12s} {'run of ' + str(small) + ' steps':>16s} {'run of ' + str(large) + ' steps':>16s} "
        f"{'per step':>10s} {'per check':>10s} {'per run':>9s}",
    ]
    for bookkeeping in ("project", "dagster"):
        bare = {n: _measure(bookkeeping, n, 0, args.repeat) for n in SIZES}
        checked = {n: _measure(bookkeeping, n, args.checks, args.repeat) for n in SIZES}
        per_step = (bare[large] - bare[small]) / (large - small)
        per_check = ((checked[large] - checked[small]) / (large - small) - per_step) / args.checks
        per_run = bare[small] - small * per_step  # the run's own start and end
        lines.append(
            f"{bookkeeping:12s} {bare[small]:14.2f} s {bare[large]:14.2f} s {per_step * 1000:7.1f} ms "
            f"{per_check * 1000:7.1f} ms {per_run:7.2f} s"
        )
        lines.append(
            f"{'':12s} {checked[small]:14.2f} s {checked[large]:14.2f} s   (with {args.checks} checks an asset)"
        )
    text = "\n".join(lines) + "\n"
    print(text, end="")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"step_floor_{args.label}.txt"
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
