"""The same backfill on both backends and on Dagster's executors (issue 23).

A 120-stock market, 2014-01..2014-03, the provider, staging, marts, Barra exposures and two factors, through
``momentum-dag backfill`` in subprocesses:

- (a) the DuckDB file with the in-process executor: the reference;
- (b) a DuckLake on a SQLite catalog and a local folder with the multiprocess executor, 2 processes;
- (s) a DuckLake split into a backfill of 2014-01..2014-02 and then 2014-03 alone;
- (c) a DuckLake on a PostgreSQL catalog with its data on an S3-compatible server, the dask executor on a
  LocalCluster, and Dagster's instance on PostgreSQL too (real servers: tests/integration/services.py).

Each lake is copied with ``momentum-dag snapshot --to`` (the consistent DuckDB copy a notebook would use) and
compared table by table with (a) (floats to 1e-9, NaN equal to NaN); the checks' outcomes are the same too.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from tests.integration.drills import PROVIDER, REPO, assert_identical, drill_env, finish, start_backfill, tables
from tests.integration.services import (
    S3_KEY,
    S3_REGION,
    S3_SECRET,
    dask_cluster,
    free_port,
    postgres,
    s3_objects,
    s3_server,
)

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
    instance = DagsterInstance.from_config(str(folder / "dagster_home"))
    found = set()
    for run in instance.get_runs():
        span = f"{run.tags.get('dagster/asset_partition_range_start', run.tags.get('dagster/partition'))}"
        for record in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
            data = record.dagster_event.event_specific_data
            found.add((data.asset_key.to_user_string(), data.check_name, span, data.passed))
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict]:
    """(a): the DuckDB file, in-process; its folder and tables."""
    folder = tmp_path_factory.mktemp("duckdb")
    code, out = finish(start_backfill(folder, "2014-01", "2014-03", ONLY, **MARKET), timeout=900)
    assert code == 0, out
    expected = tables(folder / "w.duckdb")
    assert {"raw.daily_bars", "marts.stock_returns_daily", "barra.exposures", "factors.momentum"} <= set(expected)
    assert all(len(expected[t]) for t in ("raw.daily_bars", "marts.industry_daily", "factors.momentum"))
    return folder, expected


def test_multiprocess_ducklake_equals_in_process_duckdb_and_splits_agree(tmp_path, reference):
    parallel, split = tmp_path / "lake", tmp_path / "split"
    runs = [
        start_backfill(
            parallel,
            "2014-01",
            "2014-03",
            ONLY,
            **lake_env(parallel, MOMENTUM_EXECUTOR="multiprocess", MOMENTUM_EXECUTOR_WORKERS="2"),
        ),
        start_backfill(split, "2014-01", "2014-02", ONLY, **lake_env(split)),
    ]
    for run in runs:
        code, out = finish(run, timeout=900)
        assert code == 0, out
    code, out = finish(start_backfill(split, "2014-03", "2014-03", ONLY, **lake_env(split)), timeout=900)
    assert code == 0, out

    folder, expected = reference
    assert_identical(snapshot(parallel, **lake_env(parallel)), expected)
    assert_identical(snapshot(split, **lake_env(split)), expected)
    outcomes = check_outcomes(folder)
    assert outcomes and outcomes == check_outcomes(parallel)


def test_dask_on_postgres_and_s3_equals_in_process_duckdb(tmp_path, reference):
    """(c): catalog and Dagster's instance on one PostgreSQL server, data on S3, steps on a dask cluster."""
    folder = tmp_path / "cluster"
    port = free_port()
    with postgres(("lake", "dagster")) as server, s3_server("momentum") as endpoint:
        settings = {
            **MARKET,
            "MOMENTUM_WAREHOUSE": "ducklake",
            "MOMENTUM_DUCKLAKE_CATALOG": f"postgres:{server.libpq('lake')}",
            "MOMENTUM_DUCKLAKE_DATA_PATH": "s3://momentum/lake",
            "MOMENTUM_S3_ENDPOINT": endpoint,
            "MOMENTUM_S3_REGION": S3_REGION,
            "MOMENTUM_S3_USE_SSL": "false",
            "MOMENTUM_S3_KEY_ID": S3_KEY,
            "MOMENTUM_S3_SECRET": S3_SECRET,
            "MOMENTUM_EXECUTOR": "dask",
            "MOMENTUM_DASK_ADDRESS": f"tcp://127.0.0.1:{port}",
        }
        env = drill_env(folder, **settings)
        (folder / "dagster_home" / "dagster.yaml").write_text(
            f"telemetry:\n  enabled: false\nstorage:\n  postgres:\n    postgres_url: {server.url('dagster')}\n"
        )
        with dask_cluster(env, port):
            code, out = finish(start_backfill(folder, "2014-01", "2014-03", ONLY, **settings), timeout=900)
            assert code == 0, out
        copy = snapshot(folder, **settings)
        objects = s3_objects(endpoint, "momentum")
        instance = DagsterInstance.from_config(str(folder / "dagster_home"))
        runs = instance.get_runs()
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert runs and all(r.status == DagsterRunStatus.SUCCESS for r in runs)
        outcomes = check_outcomes(folder)
        instance.dispose()
    assert any(key.startswith("lake/") and key.endswith(".parquet") for key in objects), objects[:5]
    assert not list(folder.rglob("*.parquet"))  # the data went to S3
    reference_folder, expected = reference
    assert_identical(copy, expected)
    assert outcomes == check_outcomes(reference_folder)
