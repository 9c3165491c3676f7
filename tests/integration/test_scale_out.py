"""The same backfill on both backends and on Dagster's executors (issue 23).

A 120-stock market, 2014-01..2014-03, the provider, staging, marts, Barra exposures and two factors, through
``momentum-dag backfill`` in subprocesses:

- (a) the DuckDB file with the in-process executor: the reference;
- (b) a DuckLake on a SQLite catalog and a local folder with the multiprocess executor, 2 processes;
- (s) a DuckLake split into a backfill of 2014-01..2014-02 and then 2014-03 alone.

Each lake is copied with ``momentum-dag snapshot --to`` (the consistent DuckDB copy a notebook would use) and
compared table by table with (a) (floats to 1e-9, NaN equal to NaN); the checks' outcomes are the same too.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance
from dagster._core.instance.ref import InstanceRef

from tests.integration.drills import PROVIDER, REPO, assert_identical, drill_env, finish, start_backfill, tables

ONLY = f"{PROVIDER},staging,marts,barra/exposures,factors/momentum,factors/mom_12_2"
MARKET = {"MOMENTUM_SIM_STOCKS": "120", "MOMENTUM_SIM_INDUSTRIES": "8"}

pytestmark = pytest.mark.slow


def lake_env(folder: Path, **extra: str) -> dict[str, str]:
    return {
        **MARKET,
        "MOMENTUM_WAREHOUSE": "ducklake",
        "MOMENTUM_DUCKLAKE_CATALOG": f"sqlite:{folder / 'catalog.sqlite'}",
        "MOMENTUM_DUCKLAKE_DATA_PATH": str(folder / "lake_files"),
        **extra,
    }


def snapshot(folder: Path, **extra: str) -> Path:
    """``momentum-dag snapshot --to`` of the warehouse ``folder``'s environment names."""
    target = folder / "snapshot.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "momentum_dag.runtime.cli", "snapshot", "--to", str(target)],
        env=drill_env(folder, **extra),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target


def check_outcomes(folder: Path) -> set[tuple[str, str, str, bool]]:
    """(asset, check, partition range of its run, passed) of every check evaluated in ``folder``'s instance."""
    instance = DagsterInstance.from_ref(InstanceRef.from_dir(str(folder / "dagster_home")))
    found = set()
    for run in instance.get_runs():
        span = f"{run.tags.get('dagster/asset_partition_range_start', run.tags.get('dagster/partition'))}"
        for record in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
            data = record.dagster_event.event_specific_data
            found.add((data.asset_key.to_user_string(), data.check_name, span, data.passed))
    return found


def test_multiprocess_ducklake_equals_in_process_duckdb_and_splits_agree(tmp_path):
    reference, parallel, split = tmp_path / "duckdb", tmp_path / "lake", tmp_path / "split"
    runs = [
        start_backfill(reference, "2014-01", "2014-03", ONLY, **MARKET),
        start_backfill(
            parallel,
            "2014-01",
            "2014-03",
            ONLY,
            **lake_env(parallel, MOMENTUM_EXECUTOR="multiprocess", MOMENTUM_EXECUTOR_WORKERS="2"),
        ),
        start_backfill(split, "2014-01", "2014-02", ONLY, **lake_env(split)),
    ]
    outputs = []
    for run in runs:
        code, out = finish(run, timeout=900)
        assert code == 0, out
        outputs.append(out)
    code, out = finish(start_backfill(split, "2014-03", "2014-03", ONLY, **lake_env(split)), timeout=900)
    assert code == 0, out

    expected = tables(reference / "w.duckdb")
    assert {"raw.daily_bars", "marts.stock_returns_daily", "barra.exposures", "factors.momentum"} <= set(expected)
    assert all(len(expected[t]) for t in ("raw.daily_bars", "marts.industry_daily", "factors.momentum"))
    assert_identical(snapshot(parallel, **lake_env(parallel)), expected)
    assert_identical(snapshot(split, **lake_env(split)), expected)
    outcomes = check_outcomes(reference)
    assert outcomes and outcomes == check_outcomes(parallel)
