"""``momentum-dag``: run the demo end to end, or backfill the whole graph for a range through Dagster.

Runs go through the Dagster instance in ``DAGSTER_HOME`` (default ``.dagster_home`` in the current
folder) and the code location ``workspace.yaml`` names, so they appear in the UI afterwards as the jobs'
own runs and backfills (``momentum_dag/runtime/launch.py``). Each step is ONE run over the whole range (every
partitioned asset has a single-run backfill policy): monthly assets first, then weekly, then reports.
"""

from __future__ import annotations

import argparse
import fcntl
import gc
import os
import sys
import time
from datetime import date, datetime
from pathlib import Path


def _month_key(text: str) -> str:
    return date.fromisoformat(text + "-01" if len(text) == 7 else text).replace(day=1).isoformat()


def _ensure_dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        # an explicit (default, SQLite) instance; no usage statistics from a research machine
        config.write_text("telemetry:\n  enabled: false\n")
    return home


_INIT_ATTEMPTS = 5


def _shared_instance():
    """The Dagster instance in ``DAGSTER_HOME``, its SQLite storages created under a file lock.

    Two runs started at once on a new ``DAGSTER_HOME`` would otherwise both create the storage tables
    and one would fail ("table ... already exists"); a Dagster process that does not take the lock (the UI
    starting on the same new home) is waited out by trying again. Under the same lock, runs left STARTED by a killed
    process are marked failed (:mod:`momentum_dag.runtime.runs`).
    """
    from dagster import AssetKey, DagsterInstance

    from momentum_dag.runtime.runs import fail_interrupted_runs

    home = _ensure_dagster_home()
    with open(home / ".momentum_init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for attempt in range(_INIT_ATTEMPTS):
            try:
                instance = DagsterInstance.get()
                instance.get_runs(limit=1)
                instance.get_latest_materialization_event(AssetKey("momentum_dag_init"))
                instance.all_instigator_state()
                break
            except Exception as error:  # sqlalchemy's OperationalError, raised from inside Dagster
                # a Dagster process outside this lock (``dagster dev``, ``dagster job launch``) creating
                # the same new storage: its tables exist a moment later, so try again
                if "already exists" not in str(error) or attempt == _INIT_ATTEMPTS - 1:
                    raise
                time.sleep(0.5 * (attempt + 1))
        for run in fail_interrupted_runs(instance):
            print(
                f"[momentum-dag] run {run.run_id} ({run.job_name}) was interrupted: its process ended without "
                "finishing it; marked failed. Its writes were all-or-nothing: re-run its command to finish.",
                flush=True,
            )
    return instance


def _collect_again_for_the_runs() -> None:
    """The code location is loaded: when the CLI turned the cyclic garbage collector off for its imports and
    definitions (:func:`main`), what they built is moved out of the collector's sight (``gc.freeze``) and
    collection goes back on for the runs, whose steps make and drop frames and Dagster events.

    The modules, classes and definitions loaded before the runs (~400,000 objects) live until the process
    ends and hold next to no garbage (~1,500 objects): with the collector on, its full passes over them while
    they load were 7 passes, 0.8 s of a small month (2 loaded cores); frozen, later full passes skip them."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _check_warehouse(warehouse) -> None:
    """Stop before any run when the warehouse is not one this code can use (not DuckDB, another project,
    another schema version; a DuckLake whose catalog or data path cannot be reached) or a DuckDB file stays
    locked past the budget, with the reason and what to do."""
    import duckdb

    from momentum_dag.storage import (
        WarehouseFileError,
        WarehouseLockedError,
        WarehouseVersionError,
    )
    from momentum_dag.storage.lake import LakeConfigError

    try:
        with warehouse.get_connection():
            pass
    except (WarehouseFileError, WarehouseLockedError, WarehouseVersionError, LakeConfigError) as exc:
        raise SystemExit(f"[momentum-dag] {exc}") from None
    except duckdb.Error as exc:
        if not warehouse.is_lake:
            raise
        raise SystemExit(f"[momentum-dag] cannot open the warehouse {warehouse.location}: {exc}") from None


def backfill(
    start: str | None,
    end: str | None,
    *,
    weekly: bool = True,
    reports: bool = True,
    only: tuple[str, ...] = (),
    defs=None,
    instance=None,
    verbose: bool = False,
    log_file: Path | None = None,
) -> list:
    """Materialize every asset for months ``start``..``end`` (inclusive) as a few runs of the jobs.

    ``only`` restricts the backfill to a layer (``raw``), an asset (``factors/dmom``) or a glob of asset
    keys (``crashes/wml*``). Each step is one run of ``monthly_job`` or ``weekly_job`` created through the
    code location (``momentum_dag.runtime.launch``; ``defs``: these definitions instead of the workspace's), a
    Dagster backfill when it spans several partitions. The terminal shows one line per finished step;
    Dagster's event stream goes to ``log_file`` (and to the terminal too with ``verbose``). Returns the
    runs, in order.
    """
    from momentum_dag.partitions import Partitions
    from momentum_dag.runtime.bookkeeping import PLANNED_EVENTS_AS_RANGES
    from momentum_dag.runtime.jobs import backfill_steps
    from momentum_dag.runtime.launch import code_location
    from momentum_dag.settings import Settings
    from momentum_dag.storage import Warehouse

    os.environ.setdefault(PLANNED_EVENTS_AS_RANGES, "1")  # one planned event per asset and run

    instance = instance or _shared_instance()
    settings = defs.resources["settings"] if defs is not None else Settings.from_env()
    warehouse = Warehouse.from_settings(settings)
    # the file is opened and checked once for the check and the runs (a DuckDB file runs in-process)
    with warehouse.held_between_runs():
        _check_warehouse(warehouse)
        with code_location(instance, defs) as location:
            _collect_again_for_the_runs()
            months = location.partition_keys("monthly_job")
            if not months:
                raise SystemExit("no complete month between MOMENTUM_HISTORY_START and today")
            first = _month_key(start) if start else months[0]
            last = _month_key(end) if end else months[-1]
            for key, name in ((first, "start"), (last, "end")):
                if key not in months:
                    raise SystemExit(f"--{name} {key} is outside the monthly partitions {months[0]}..{months[-1]}")
            if first > last:
                raise SystemExit(f"--start {first} is after --end {last}")
            weeks = Partitions.starting(settings.source.history_start_date).weeks_closing_in(first, last)
            runs = []
            steps = backfill_steps(location.asset_graph, weekly=weekly and bool(weeks), reports=reports, only=only)
            for step in steps:
                began = time.perf_counter()
                keys = []
                if step.partitioned:
                    keys = weeks if step.weekly else months[months.index(first) : months.index(last) + 1]
                remote_job = location.job(step.job_name, step.keys)
                n_steps = len(remote_job.job_snapshot.dep_structure_snapshot.node_invocation_snaps)
                loggers = {
                    "console": {"config": {"log_level": "DEBUG" if verbose else "WARNING"}},
                    "progress": {
                        "config": {
                            "total": n_steps,
                            "label": step.name.split()[0],
                            "log_file": str(log_file) if log_file else "",
                        }
                    },
                }
                run, backfill_ = location.create_run(
                    remote_job, keys, {"loggers": loggers}, title=f"momentum-dag {step.name}"
                )
                span = f", {keys[0]}..{keys[-1]}" if keys else ""
                kind = f"backfill {backfill_.backfill_id}, run" if backfill_ else "run"
                print(
                    f"[momentum-dag] {step.name}: {len(step.keys)} assets in {n_steps} steps{span} "
                    f"({step.job_name} {kind} {run.run_id[:8]})",
                    flush=True,
                )
                result = location.execute(run, backfill_)
                runs.append(result.dagster_run)
                if not result.success:
                    errors = "\n".join(
                        f"  {event.step_key}: {event.step_failure_data.error.message.strip()}"
                        for event in result.get_step_failure_events()
                        if event.step_failure_data and event.step_failure_data.error
                    )
                    raise SystemExit(f"[momentum-dag] {step.name} failed (run {run.run_id}, see the UI):\n{errors}")
                print(f"[momentum-dag] {step.name} done in {time.perf_counter() - began:.1f} s", flush=True)
    return runs


def snapshot_command(to: str | None) -> None:
    """``momentum-dag snapshot``: a consistent copy of the warehouse (either backend) as a DuckDB file."""
    from momentum_dag.settings import Settings
    from momentum_dag.storage import (
        Warehouse,
        WarehouseFileError,
        WarehouseLockedError,
        WarehouseVersionError,
        snapshot_warehouse,
    )

    settings = Settings.from_env()
    warehouse = Warehouse.from_settings(settings)
    source = Path(settings.storage.duckdb_path)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = Path(to) if to else source.parent / "snapshots" / f"{source.stem}-{stamp}.duckdb"
    try:
        snapshot_warehouse(warehouse, target)
    except (FileNotFoundError, WarehouseFileError, WarehouseLockedError, WarehouseVersionError) as exc:
        raise SystemExit(f"[momentum-dag] snapshot failed: {exc}") from None
    print(f"[momentum-dag] snapshot of {warehouse.location} written to {target}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="momentum-dag", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="materialize the whole graph over the default history (synthetic market)")
    bf = sub.add_parser("backfill", help="materialize the whole graph for a range of months")
    bf.add_argument("--start", help="first month, YYYY-MM (default: the first partition)")
    bf.add_argument("--end", help="last month, YYYY-MM (default: the last complete month)")
    bf.add_argument("--no-weekly", action="store_true", help="skip the weekly assets")
    bf.add_argument("--no-reports", action="store_true", help="skip the unpartitioned reports")
    bf.add_argument(
        "--only", default="", help="comma-separated layers, asset keys or globs, e.g. raw,marts,factors/dmom*"
    )
    snap = sub.add_parser(
        "snapshot", help="copy the warehouse to a file a notebook may hold open (the pipeline never writes it)"
    )
    snap.add_argument("--to", help="target file (default: snapshots/momentum-<time>.duckdb beside the warehouse)")
    for command in (sub.choices["demo"], bf):
        command.add_argument("--verbose", action="store_true", help="print Dagster's event stream too")
    args = parser.parse_args(argv)
    if args.command == "snapshot":
        return snapshot_command(args.to)
    gc.disable()  # until the code location is loaded (_collect_again_for_the_runs)
    began = time.perf_counter()
    log_file = _ensure_dagster_home() / "logs" / f"momentum-dag-{time.strftime('%Y%m%d-%H%M%S')}.log"
    print(f"[momentum-dag] Dagster's event log: {log_file}", flush=True)
    if args.command == "demo":
        backfill(None, None, verbose=args.verbose, log_file=log_file)
    else:
        only = tuple(layer.strip() for layer in args.only.split(",") if layer.strip())
        backfill(
            args.start,
            args.end,
            weekly=not args.no_weekly,
            reports=not args.no_reports,
            only=only,
            verbose=args.verbose,
            log_file=log_file,
        )
    from momentum_dag.settings import Settings

    settings = Settings.from_env()
    # the process ends here: the interpreter's collections at exit (its whole heap, ~1.1 s of a small month on
    # 2 loaded cores) would only find the garbage of the last run, which the operating system frees anyway.
    # What must be written at exit is: the warehouse was closed after the runs, logging's handlers are flushed
    # by its atexit hook (they stay alive, frozen), every stored event was committed when stored.
    gc.freeze()
    print(
        f"[momentum-dag] finished in {time.perf_counter() - began:.1f} s. Warehouse: "
        f"{settings.storage.duckdb_path if settings.storage.warehouse == 'duckdb' else settings.storage.lake_catalog}; "
        f"reports: {settings.reports_path / 'index.html'}",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
