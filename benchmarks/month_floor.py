"""Where a month's wall time goes: sample the CLI's main thread and put each sample in one bucket.

Usage (on a warehouse and Dagster instance kept by ``bench_pipeline.py --keep FOLDER``; re-runs its last month):

    .venv/bin/python benchmarks/bench_pipeline.py --size small --keep /tmp/kept
    .venv/bin/python benchmarks/month_floor.py --size small --folder /tmp/kept --label s6_main

The CLI (``momentum-dag backfill --start M --end M``) runs in this process; a thread looks at the main
thread's stack every ``--interval`` seconds (wall clock: a DuckDB query that releases the GIL is sampled at
its Python caller) and counts the sample in the first bucket whose rule matches the stack:

- ``imports``: any frame importing a module (Python's import machinery);
- ``dagster event/run storage``: Dagster's storage layer, SQLAlchemy, sqlite3, the project's bookkeeping;
- ``warehouse I/O (project)``: the project's storage package (connections, window writes, reads);
- ``project compute``: the rest of the project's code (assets, core, reports) below a step;
- ``dagster step machinery``: Dagster's execution of a plan (step events, type checks, data versions) outside
  the above;
- ``runs: create, code location, definitions``: creating the runs, loading the code location and the
  definitions, the instance;
- ``other``.

Unlike cProfile, sampling does not slow the Python-heavy parts (Dagster's machinery) more than DuckDB's C code,
so the shares are the run's own. The figures go to ``benchmarks/results/<size>_<label>_month_floor.txt``.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_pipeline import RESULTS, SIZES  # noqa: E402

BUCKETS = (
    ("imports", ("<frozen importlib._bootstrap",)),
    (
        "dagster event/run storage",
        ("dagster/_core/storage/", "/sqlalchemy/", "/sqlite3/", "momentum_dag/runtime/bookkeeping.py"),
    ),
    ("warehouse I/O (project)", ("momentum_dag/storage/",)),
    (
        "project compute",
        ("momentum_dag/assets/", "momentum_dag/core/", "momentum_dag/reports/", "momentum_dag/registry.py"),
    ),
    ("dagster step machinery", ("dagster/_core/execution/", "dagster/_core/events/", "dagster/_core/log_manager")),
    (
        "runs: create, code location, definitions",
        ("momentum_dag/runtime/launch.py", "momentum_dag/runtime/definitions.py", "momentum_dag/runtime/cli.py"),
    ),
)


def bucket_of(frames: list[tuple[str, str]]) -> tuple[str, str]:
    """The bucket of a stack (innermost frame first) and, within it, the innermost function the rule matched
    (``file:function``, the file from the package on)."""
    for name, markers in BUCKETS:
        if any(marker in file for file, _ in frames for marker in markers):
            # named by its first marker's innermost frame (Dagster's storage function, not SQLAlchemy's)
            for marker in markers:
                for file, function in frames:
                    if marker in file:
                        return name, f"{_short(file)}:{function}"
    return "other", ""


def _short(file: str) -> str:
    for root in ("site-packages/", "momentum_dag/"):
        if root in file:
            return file.split(root, 1)[1] if root == "site-packages/" else "momentum_dag/" + file.split(root, 1)[1]
    return file


class Sampler:
    def __init__(self, thread_id: int, interval: float):
        self.thread_id, self.interval = thread_id, interval
        self.counts: collections.Counter = collections.Counter()
        self.steps: collections.Counter = collections.Counter()  # samples inside step execution, by bucket
        self.where: collections.Counter = collections.Counter()  # (bucket, innermost matching function)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.interval):
            frame = sys._current_frames().get(self.thread_id)
            frames = []
            while frame is not None:
                frames.append((frame.f_code.co_filename, frame.f_code.co_name))
                frame = frame.f_back
            name, function = bucket_of(frames)
            self.counts[name] += 1
            self.where[name, function] += 1
            if any("dagster/_core/execution/plan/execute_step.py" in f for f, _ in frames):
                self.steps[name] += 1


def use_folder(folder: Path, size: dict) -> None:
    """Point this process's run at ``folder``'s warehouse, reports and Dagster instance, on ``size``'s market."""
    os.environ.update({k: v for k, v in size.items() if k.startswith("MOMENTUM_")})
    os.environ.update(
        {
            "MOMENTUM_DUCKDB_PATH": str(folder / "bench.duckdb"),
            "MOMENTUM_REPORTS_DIR": str(folder / "reports"),
            "DAGSTER_HOME": str(folder / "dagster_home"),
        }
    )


def bucket_table(sampler: Sampler, wall: float) -> list[str]:
    """Each bucket's share of the samples, its seconds of ``wall`` and the seconds inside step execution."""
    total = sum(sampler.counts.values())
    lines = [f"{'bucket':44s} {'share':>6s} {'~seconds':>9s} {'in steps':>9s}"]
    for name, _ in (*BUCKETS, ("other", ())):
        share = sampler.counts[name] / total if total else 0.0
        in_steps = sampler.steps[name] / total * wall if total else 0.0
        lines.append(f"{name:44s} {share:6.1%} {share * wall:9.2f} {in_steps:9.2f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--folder", required=True, help="a folder bench_pipeline.py --keep left")
    parser.add_argument("--month", default="", help="YYYY-MM (default: the size's last month)")
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument("--label", default="")
    parser.add_argument("--detail", type=float, default=0.005, help="list functions with at least this share")
    args = parser.parse_args()
    size, folder = SIZES[args.size], Path(args.folder)
    month = args.month or size["end"]
    if not month:
        raise SystemExit("--month is needed for this size")
    use_folder(folder, size)
    began, cpu = time.perf_counter(), time.process_time()
    sampler = Sampler(threading.get_ident(), args.interval)
    sampler.thread.start()
    from momentum_dag.runtime import cli  # its imports are sampled too (the CLI imports on demand)

    with open(os.devnull, "w") as quiet:
        stdout, sys.stdout = sys.stdout, quiet
        try:
            cli.main(["backfill", "--start", month, "--end", month])
        finally:
            sys.stdout = stdout
    sampler.stop.set()
    sampler.thread.join()
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    total = sum(sampler.counts.values())
    load = os.getloadavg()
    lines = [
        f"month {month} of the {args.size} market, {folder}: wall {wall:.1f} s, CPU {cpu:.1f} s (this process), "
        f"load {load[0]:.1f}/{load[1]:.1f}, {total} samples every {args.interval * 1000:.0f} ms",
        *bucket_table(sampler, wall),
    ]
    lines.append(f"where, within each bucket (innermost matching function, >= {args.detail:.0%} of the samples):")
    for (name, function), count in sampler.where.most_common():
        if count / total >= args.detail:
            lines.append(f"  {name[:26]:26s} {function[:80]:80s} {count / total:6.1%} {count / total * wall:7.2f}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    out = RESULTS / f"{args.size}_{args.label or 'run'}_month_floor.txt"
    with open(out, "a") as handle:
        handle.write(text + "\n")
    print(f"appended to {out}")


if __name__ == "__main__":
    main()
