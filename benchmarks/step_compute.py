"""One step's compute over a range of an existing warehouse, outside Dagster: its CPU and wall seconds, and
its outputs saved for a before/after comparison (the frames a run would write, chunk by chunk as the asset
cuts them, nothing written to the warehouse).

    python benchmarks/step_compute.py --db W.duckdb --step barra_exposures --start 2014-01 --end 2018-12 \
        --save DIR [--profile FILE]
    python benchmarks/step_compute.py --db W.duckdb --step momentum_pca --start 2006-01-02 --end 2026-11-23 ...
    python benchmarks/step_compute.py --compare DIR_BEFORE DIR_AFTER

The database is opened read-only through the project's warehouse resource, so the same file serves both
runs; the settings (market size, history start, chunk months) come from the environment as for a run.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd


def _steps():
    from momentum_dag.assets import barra
    from momentum_dag.assets.barra import compute_exposures, factor_returns_chunk
    from momentum_dag.assets.crashes.series import crash_params, wml_chunk
    from momentum_dag.assets.factor_momentum.common import fm_params
    from momentum_dag.assets.factor_momentum.returns import factor_return_tables
    from momentum_dag.assets.factors.features import features_window
    from momentum_dag.assets.factors.panel import compute_window
    from momentum_dag.assets.panels import MarketPanels
    from momentum_dag.registry import FACTORS

    def factor(name):
        spec = next(s for s in FACTORS if s.name == name)

        def run(warehouse, settings, start, end):
            panel, side, universe = compute_window(spec, warehouse, settings, start, end)
            return {"panel": panel, **side, "universe": universe.reset_index()}

        return run

    def chunked(compute):
        def run(warehouse, settings, start, end):
            from momentum_dag.assets.windowed import compute_in_chunks
            from momentum_dag.partitions import chunk_windows

            windows = chunk_windows(start, end, settings.run.chunk_months)
            dates = {
                "models.factor_returns_daily": "trade_date",
                "barra.factor_returns_daily": "trade_date",
                "models.wml_daily": "trade_date",
            }
            return compute_in_chunks(
                lambda lo, hi: compute(warehouse, settings, lo, hi), windows, dates, settings.chunk_threads
            )

        return run

    return {
        "factor_momentum_returns": chunked(
            lambda w, s, lo, hi: factor_return_tables(w, lo, hi, fm_params(s)),
        ),
        "barra_exposures": chunked(
            lambda w, s, lo, hi: {
                "barra.exposures": compute_exposures(
                    barra.exposure_panels(w, lo, hi)
                    if hasattr(barra, "exposure_panels")  # this tree's panels, or the baseline's
                    else MarketPanels.for_window(w, lo, hi, barra.EXPOSURE_LOOKBACK)
                )
            }
        ),
        "barra_factor_returns": chunked(lambda w, s, lo, hi: factor_returns_chunk(w, lo, hi)),
        "industry_component": factor("momentum_industry_component"),
        "lead_lag": factor("momentum_lead_lag_enhanced"),
        "lasso": factor("momentum_cross_industry_lasso"),
        "momentum_pca": factor("momentum_pca"),  # weekly: give --start/--end as the backfill's Mondays
        "dmom_features": lambda w, s, lo, hi: {
            "dmom_features": features_window(w, lo, hi, s.run.chunk_months, s.chunk_threads)
        },
        "wml": chunked(lambda w, s, lo, hi: wml_chunk(w, lo, hi, crash_params(s), s)),
    }


def _month(text: str) -> date:
    """A month (its first day), or a day given in full (a weekly step's Monday)."""
    parts = list(map(int, text.split("-")))
    return date(*parts) if len(parts) == 3 else date(parts[0], parts[1], 1)


def _next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def run(args) -> None:
    from momentum_dag.settings import Settings
    from momentum_dag.storage import Warehouse, session

    settings = Settings.from_env()
    warehouse = Warehouse.at(args.db)
    step = _steps()[args.step]
    start = _month(args.start)
    end = _month(args.end) + timedelta(weeks=1) if args.end.count("-") == 2 else _next_month(_month(args.end))
    profiler = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    session.begin(args.db)  # as in a run: one open database, its connections cursors on it
    try:
        outputs = step(warehouse, settings, start, end)
    finally:
        session.end(args.db)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    load = Path("/proc/loadavg").read_text().split()[:3]
    rows = {name: len(frame) for name, frame in outputs.items()}
    print(f"{args.step} {args.start}..{args.end}: cpu {cpu:.2f} s wall {wall:.2f} s peak {peak:.2f} GB load {load}")
    print(f"  rows {rows}")
    if args.save:
        out = Path(args.save)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in outputs.items():
            frame.to_parquet(out / f"{name}.parquet")
    if profiler:
        profiler.dump_stats(args.profile)
        with open(args.profile + ".txt", "w") as listing:
            listing.write(f"step_compute {args.step} {args.start}..{args.end}: cpu {cpu:.2f} s wall {wall:.2f} s\n")
            stats = pstats.Stats(profiler, stream=listing)
            stats.sort_stats("cumulative").print_stats("momentum_dag", 40)
            stats.sort_stats("tottime").print_stats(30)


def _key_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if not pd.api.types.is_float_dtype(frame[c])]


def compare(before: Path, after: Path) -> int:
    """Every saved frame of ``before`` equals ``after``'s: same rows (as sets of keys), same non-float
    values, floats within 1e-9 (absolute, NaN = NaN). Returns the number of differing frames."""
    bad = 0
    for path in sorted(before.glob("*.parquet")):
        a, b = pd.read_parquet(path), pd.read_parquet(after / path.name)
        keys = _key_columns(a)
        a = a.sort_values(keys).reset_index(drop=True)
        b = b[a.columns].sort_values(keys).reset_index(drop=True)
        same = len(a) == len(b) and a[keys].equals(b[keys])
        worst = 0.0
        if same:
            for c in a.columns.difference(keys):
                x, y = a[c].to_numpy(float), b[c].to_numpy(float)
                if not np.array_equal(np.isnan(x), np.isnan(y)):
                    same = False
                    break
                ok = ~np.isnan(x)
                worst = max(worst, float(np.max(np.abs(x[ok] - y[ok]), initial=0.0)))
        same = same and worst <= 1e-9
        bad += not same
        print(f"{path.stem}: {len(a)} vs {len(b)} rows, max |diff| {worst:.3g} -> {'SAME' if same else 'DIFFERENT'}")
    return bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db")
    parser.add_argument("--step", choices=sorted(_steps()) if "--step" in sys.argv else None)
    parser.add_argument("--start")
    parser.add_argument("--end")
    parser.add_argument("--save")
    parser.add_argument("--profile")
    parser.add_argument("--compare", nargs=2)
    args = parser.parse_args()
    if args.compare:
        sys.exit(1 if compare(Path(args.compare[0]), Path(args.compare[1])) else 0)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    run(args)


if __name__ == "__main__":
    main()
