"""Where a fresh backfill's wall time goes: :mod:`month_floor`'s sampler over a whole range.

Usage (a new folder each time; the warehouse and Dagster instance are deleted afterwards):

    .venv/bin/python benchmarks/backfill_floor.py --size scale --start 2006-01 --end 2026-11 --label s13

The CLI's backfill runs in this process; the main thread is sampled every ``--interval`` seconds and each
sample counted in the first bucket whose rule matches (``month_floor.BUCKETS``). A step's chunks computed in
threads are sampled where the main thread waits for them (``compute_in_chunks``). The figures go to
``benchmarks/results/<size>_<label>_backfill_floor.txt``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_pipeline import RESULTS, SIZES  # noqa: E402
from month_floor import Sampler, bucket_table, use_folder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--start", required=True, help="YYYY-MM")
    parser.add_argument("--end", required=True, help="YYYY-MM")
    parser.add_argument("--interval", type=float, default=0.01)
    parser.add_argument("--label", default="run")
    parser.add_argument("--top", type=int, default=45, help="functions listed")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="backfill_floor_"))
    use_folder(folder, SIZES[args.size])
    (folder / "dagster_home").mkdir()
    began, cpu = time.perf_counter(), time.process_time()
    sampler = Sampler(threading.get_ident(), args.interval)
    sampler.thread.start()
    from momentum_dag.runtime import cli

    try:
        with open(folder / "steps.txt", "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                cli.main(["backfill", "--start", args.start, "--end", args.end])
            finally:
                sys.stdout = stdout
    finally:
        sampler.stop.set()
        sampler.thread.join()
        shutil.rmtree(folder, ignore_errors=True)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    total = sum(sampler.counts.values()) or 1
    lines = [
        f"backfill {args.start}..{args.end} of the {args.size} market: wall {wall:.1f} s, CPU {cpu:.1f} s "
        f"(this process), {total} samples every {args.interval * 1000:.0f} ms",
        *bucket_table(sampler, wall),
    ]
    lines.append("where, within each bucket (innermost matching function):")
    for (name, function), count in sampler.where.most_common(args.top):
        lines.append(f"  {name[:26]:26s} {function[:90]:90s} {count / total:6.1%} {count / total * wall:7.1f}")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    out = RESULTS / f"{args.size}_{args.label}_backfill_floor.txt"
    out.write_text(text)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
