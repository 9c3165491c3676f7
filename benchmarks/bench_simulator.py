"""Wall time and peak memory of the synthetic market (speed is measured by benchmarks, never by timed tests).

Usage: ``python benchmarks/bench_simulator.py [--size demo|scale|all]``
  demo  = 1,000 stocks x 12 years (target: well under a minute)
  scale = 5,000 stocks x 20 years (target: a few minutes, a few GB peak RSS)
Each size runs in its own subprocess so its peak RSS (``resource.getrusage``) is its own.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from datetime import date

SIZES = {"demo": (1000, 12), "scale": (5000, 20)}


def run(n_stocks: int, years: int) -> None:
    from momentum_dag.sources.synthetic import SimulatorConfig, SyntheticMarket

    start = time.perf_counter()
    market = SyntheticMarket(SimulatorConfig(n_stocks=n_stocks))
    rows = 0
    for chunk in market.generate(date(2014, 1, 1), date(2014 + years, 1, 1)):
        rows += len(chunk["daily_bars"])
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"{n_stocks} stocks x {years} years: {rows:,} bar rows in {seconds:.1f} s "
        f"({rows / seconds:,.0f} rows/s), peak RSS {peak_mb:,.0f} MB",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=[*SIZES, "all"], default="all")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run(*SIZES[args.size])
        return
    for size in SIZES if args.size == "all" else [args.size]:
        subprocess.run([sys.executable, __file__, "--size", size, "--child"], check=True)


if __name__ == "__main__":
    main()
