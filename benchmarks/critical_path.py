"""An ESTIMATE of what parallel steps would give, from one measured in-process backfill.

Reads the step lines a backfill printed (``benchmarks/results/<size>_backfill_steps.txt``: step, seconds)
and the monthly and weekly jobs' step dependencies (the definitions' execution plan), then reports:

- the sum of the step times (what one process spends);
- the critical path: the longest chain of dependent steps (no number of workers finishes sooner);
- a greedy list schedule (a free worker takes the ready step with the longest remaining chain) on
  2, 4, 16 and 64 workers.

It assumes each step takes the time it took in-process, alone on the machine: it ignores the per-step process
start (multiprocess) or task shipping (dask), contention for cores, memory and the catalog, and DuckLake's
slower window replacements. Treat the figures as a bound on what more cores or machines can give, not a
measurement.

    .venv/bin/python benchmarks/critical_path.py benchmarks/results/scale_backfill_steps.txt
"""

from __future__ import annotations

import argparse
import heapq
import re
from pathlib import Path

STEP = re.compile(r"^\[(monthly|weekly|reports) \d+/\d+\] (\S+)\s+([\d.]+) s")


def step_times(path: Path) -> dict[tuple[str, str], float]:
    times = {}
    for line in path.read_text().splitlines():
        found = STEP.match(line)
        if found:
            times[(found.group(1), found.group(2))] = float(found.group(3))
    return times


def dependencies(job_name: str) -> dict[str, set[str]]:
    """step key -> the step keys it waits for, in ``job_name``'s full execution plan."""
    from momentum_dag.runtime.dagster_private import create_execution_plan
    from momentum_dag.runtime.definitions import build_definitions

    job = build_definitions().resolve_job_def(job_name)
    plan = create_execution_plan(job)
    return {
        step.key: {key for inp in step.step_inputs for key in inp.dependency_keys}
        for step in plan.get_all_steps_in_topo_order()
    }


def chains(times: dict[str, float], needs: dict[str, set[str]]) -> dict[str, float]:
    """For each step, the longest chain from it to the end (its time included)."""
    after: dict[str, set[str]] = {step: set() for step in times}
    for step, before in needs.items():
        for other in before:
            if step in times and other in times:
                after[other].add(step)
    longest: dict[str, float] = {}

    def tail(step: str) -> float:
        if step not in longest:
            longest[step] = times[step] + max((tail(n) for n in after[step]), default=0.0)
        return longest[step]

    for step in times:
        tail(step)
    return longest


def schedule(times: dict[str, float], needs: dict[str, set[str]], workers: int) -> float:
    """Makespan of a greedy list schedule on ``workers``."""
    priority = chains(times, needs)
    waiting = {step: {d for d in needs.get(step, ()) if d in times} for step in times}
    ready = [(-priority[s], s) for s, d in waiting.items() if not d]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now, done = 0.0, set()
    while ready or running:
        while ready and len(running) < workers:
            _, step = heapq.heappop(ready)
            heapq.heappush(running, (now + times[step], step))
        now, step = heapq.heappop(running)
        done.add(step)
        for other, deps in waiting.items():
            if step in deps:
                deps.discard(step)
                if not deps and other not in done and all(other != s for _, s in ready + running):
                    heapq.heappush(ready, (-priority[other], other))
    return now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", type=Path, help="a backfill's step lines (benchmarks/results/*_backfill_steps.txt)")
    args = parser.parse_args()
    measured = step_times(args.steps)
    total_serial = 0.0
    rows, chains_text = [], []
    for stage, job in (("monthly", "monthly_job"), ("weekly", "weekly_job"), ("reports", "monthly_job")):
        times = {step: t for (s, step), t in measured.items() if s == stage}
        if not times:
            continue
        needs = dependencies(job)
        serial = sum(times.values())
        total_serial += serial
        longest = chains(times, needs)
        rows.append((stage, serial, max(longest.values()), {w: schedule(times, needs, w) for w in (2, 4, 16, 64)}))
        path = [max(longest, key=longest.get)]
        while True:
            nexts = [s for s in times if path[-1] in needs.get(s, set())]
            if not nexts:
                break
            path.append(max(nexts, key=longest.get))
        chains_text.append(f"{stage}: " + " -> ".join(f"{s} ({times[s]:.0f} s)" for s in path))
    print(f"ESTIMATE from {args.steps} (step times as measured in one process; see the docstring)")
    print(f"{'stage':<8} {'serial s':>9} {'critical s':>11} {'2 w':>7} {'4 w':>7} {'16 w':>7} {'64 w':>7}")
    for stage, serial, critical, spans in rows:
        print(f"{stage:<8} {serial:9.0f} {critical:11.0f} " + " ".join(f"{spans[w]:7.0f}" for w in (2, 4, 16, 64)))
    print(
        f"{'all':<8} {total_serial:9.0f} {sum(r[2] for r in rows):11.0f} "
        + " ".join(f"{sum(r[3][w] for r in rows):7.0f}" for w in (2, 4, 16, 64))
    )
    print("critical paths:")
    for text in chains_text:
        print("  " + text)


if __name__ == "__main__":
    main()
