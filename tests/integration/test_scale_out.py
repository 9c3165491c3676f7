"""The whole graph on both backends and on Dagster's executors (issue 23), from a history shorter than the
estimators' warm-ups.

One backfill of the whole graph (monthly assets, weekly assets, reports) of a 120-stock market over
2014-01..2014-03, through ``momentum-dag backfill`` in subprocesses:

- (a) from an empty folder through the venv's ``momentum-dag`` entry point (the README's first step): the
  DuckDB file with the in-process executor; the reference, and the short-history checks below;
- (b) a DuckLake on a SQLite catalog and a local folder with the multiprocess executor, 2 processes; the
  run's last step, the lake's compaction (``reports/compact_warehouse``), keeping nothing older than now:
  small files merged, old snapshots expired, unreferenced files deleted, and still every row;
- (s) a DuckLake split into a backfill of 2014-01..2014-02 and then 2014-03 alone (the provider, staging, marts,
  Barra exposures and two factors, in-process: it runs beside (b)), in one-month chunks two at a time, so
  the backfill's chunks read the lake from two threads at once, each through its own attachment;
- (c) a DuckLake on a PostgreSQL catalog with its data on an S3-compatible server, the dask executor on a
  LocalCluster, and Dagster's instance on PostgreSQL too (real servers: tests/integration/services.py).

Each lake is copied with ``momentum-dag snapshot --to`` (the consistent DuckDB copy a notebook would use) and
compared with (a) table by table, every table the graph writes (floats to 1e-9, NaN equal to NaN); the
checks' outcomes are the same too. French's files are the small ones in tests/fixtures/kenfrench: French's
own studies (crashes/kenfrench_crashes, hundreds of GJR-GARCH fits on the bundled 1926- sample, 2 minutes
a run) read them, not the warehouse's history.

A history shorter than the warm-ups (a new market, a new user's first try) runs whole: WML needs 12 months
of formation returns, the GARCH 252 days, D-MOM 60 months: their tables are created with no rows (or NaN
values), each such partition says so in its metadata (``status: warm-up ...``), and the run succeeds.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus

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
MARKET = {
    "MOMENTUM_SIM_STOCKS": "120",
    "MOMENTUM_SIM_INDUSTRIES": "8",
    "MOMENTUM_SIM_PROFILE": "strong",
    "MOMENTUM_HISTORY_START": "2014-01-01",
    "MOMENTUM_KENFRENCH_DIR": str(REPO / "tests" / "fixtures" / "kenfrench"),
}
START, SPLIT, END = "2014-01", "2014-02", "2014-03"
ENTRY_POINT = Path(sys.executable).parent / "momentum-dag"

pytestmark = pytest.mark.slow


def lake_env(folder: Path, **extra: str) -> dict[str, str]:
    return {
        **MARKET,
        "MOMENTUM_WAREHOUSE": "ducklake",
        "MOMENTUM_DUCKLAKE_CATALOG": f"sqlite:{folder / 'catalog.sqlite'}",
        "MOMENTUM_DUCKLAKE_DATA_PATH": str(folder / "lake_files"),
        "MOMENTUM_REPORTS_DIR": str(folder / "reports"),
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


def check_outcomes(home: Path) -> set[tuple[str, str, str, bool]]:
    """(asset, check, partition range of its run, passed) of every check evaluated in the instance at ``home``."""
    instance = DagsterInstance.from_config(str(home))
    found = set()
    for run in instance.get_runs():
        span = f"{run.tags.get('dagster/asset_partition_range_start', run.tags.get('dagster/partition'))}"
        for record in instance.all_logs(run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
            data = record.dagster_event.event_specific_data
            found.add((data.asset_key.to_user_string(), data.check_name, span, data.passed))
    return found


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, dict]:
    """(a): the whole graph from an empty folder, DuckDB file, in-process; the folder and its tables."""
    folder = tmp_path_factory.mktemp("duckdb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOMENTUM_", "DAGSTER_"))} | MARKET
    done = subprocess.run(
        [str(ENTRY_POINT), "backfill", "--start", START, "--end", END],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, f"backfill failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    expected = tables(folder / "data" / "momentum.duckdb")
    # every layer of the graph: provider, marts, Barra, factors, evaluation, crashes, factor momentum, weekly
    assert {
        "raw.daily_bars",
        "marts.stock_returns_weekly",
        "barra.factor_returns_monthly",
        "factors.momentum_residual",
        "factors.momentum_pca",
        "eval.momentum_periods",
        "models.wml_monthly",
        "models.crash_regressions",
        "models.kenfrench_crash_regressions",
        "models.factor_momentum_monthly",
    } <= set(expected)
    assert all(len(expected[t]) for t in ("raw.daily_bars", "marts.industry_weekly", "factors.momentum"))
    return folder, expected


def test_every_table_of_a_warm_up_is_created_and_empty_or_nan(reference):
    folder, expected = reference
    counts = {table: len(expected[table]) for table in expected}
    assert counts["models.wml_monthly"] == counts["models.wml_daily"] == 0  # 12-month formation
    assert counts["models.wml_variance_forecast"] == 0
    assert counts["factors.mom_12_2"] == 0
    assert "barra.factor_returns_monthly" in counts and "models.wml_betas" in counts
    assert counts["marts.stock_returns_daily"] > 4_000  # 120 stocks (not all listed yet) x ~60 days
    assert (folder / "data" / "reports" / "index.html").exists()


def test_a_warm_up_partition_says_so_in_its_metadata(reference):
    folder, _ = reference
    with DagsterInstance.from_config(str(folder / ".dagster_home")) as instance:
        for asset in (("crashes", "wml"), ("crashes", "wml_betas")):
            event = instance.get_latest_materialization_event(AssetKey(list(asset)))
            assert event is not None, asset
            metadata = event.asset_materialization.metadata
            assert int(metadata["rows"].value) == 0  # text where every partition has one row by construction
            assert str(metadata["status"].value).startswith("warm-up"), (asset, metadata)


def lake_files(folder: Path) -> tuple[int, int]:
    """(Parquet files under the lake's data folder, data and delete files its current snapshot references)."""
    catalog = sqlite3.connect(f"file:{folder / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        referenced = catalog.execute(
            "select (select count(*) from ducklake_data_file where end_snapshot is null)"
            " + (select count(*) from ducklake_delete_file where end_snapshot is null)"
        ).fetchone()[0]
    finally:
        catalog.close()
    return len(list((folder / "lake_files").rglob("*.parquet"))), referenced


def test_multiprocess_ducklake_equals_in_process_duckdb_is_compacted_and_splits_agree(tmp_path, reference):
    parallel, split = tmp_path / "lake", tmp_path / "split"
    settings = lake_env(
        parallel, MOMENTUM_EXECUTOR="multiprocess", MOMENTUM_EXECUTOR_WORKERS="2", MOMENTUM_DUCKLAKE_KEEP_HOURS="0"
    )
    threaded = lake_env(split, MOMENTUM_CHUNK_MONTHS="1", MOMENTUM_CHUNK_THREADS="2")
    runs = [
        start_backfill(parallel, START, END, None, **settings),
        start_backfill(split, START, SPLIT, ONLY, **threaded),
    ]
    for run in runs:
        code, out = finish(run, timeout=1200)
        assert code == 0, out
    code, out = finish(start_backfill(split, END, END, ONLY, **threaded), timeout=900)
    assert code == 0, out

    folder, expected = reference
    assert_identical(snapshot(parallel, **settings), expected)  # after the compaction: every row kept
    split_copy = snapshot(split, **lake_env(split))
    found = tables(split_copy)
    assert {"raw.daily_bars", "barra.exposures", "factors.momentum"} <= set(found)
    assert_identical(split_copy, {name: expected[name] for name in found})
    outcomes = check_outcomes(folder / ".dagster_home")
    assert outcomes and outcomes == check_outcomes(parallel / "dagster_home")
    # the compaction ran as the run's last step (DuckLake's own rewrite, merge, expire and cleanup functions)
    with DagsterInstance.from_config(str(parallel / "dagster_home")) as instance:
        event = instance.get_latest_materialization_event(AssetKey(["reports", "compact_warehouse"]))
    assert event is not None
    done = {name: value.value for name, value in event.asset_materialization.metadata.items()}
    assert done["merged"] > 0 and done["expired_snapshots"] > 0 and done["deleted_files"] > 0, done
    on_disk, referenced = lake_files(parallel)
    assert on_disk == referenced, (on_disk, referenced)  # no file the lake no longer needs is left behind


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
            "MOMENTUM_REPORTS_DIR": str(folder / "reports"),
        }
        env = drill_env(folder, **settings)
        (folder / "dagster_home" / "dagster.yaml").write_text(
            f"telemetry:\n  enabled: false\nstorage:\n  postgres:\n    postgres_url: {server.url('dagster')}\n"
        )
        with dask_cluster(env, port):
            code, out = finish(start_backfill(folder, START, END, None, **settings), timeout=1200)
            assert code == 0, out
        copy = snapshot(folder, **settings)
        objects = s3_objects(endpoint, "momentum")
        instance = DagsterInstance.from_config(str(folder / "dagster_home"))
        runs = instance.get_runs()
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert runs and all(r.status == DagsterRunStatus.SUCCESS for r in runs)
        outcomes = check_outcomes(folder / "dagster_home")
        instance.dispose()
    assert any(key.startswith("lake/") and key.endswith(".parquet") for key in objects), objects[:5]
    assert not list(folder.rglob("*.parquet"))  # the data went to S3
    reference_folder, expected = reference
    assert_identical(copy, expected)
    assert outcomes == check_outcomes(reference_folder / ".dagster_home")
