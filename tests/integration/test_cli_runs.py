"""The CLI's runs are the jobs' runs: created through the code location that workspace.yaml names, a
range of months as one Dagster job backfill, closed with its final status (momentum_dag/runtime/launch.py)."""

import gc
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.dagster_private import BulkActionStatus
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.runtime.launch import LOCATION_NAME, SOURCE_TAG, workspace_location_name

REPO = Path(__file__).resolve().parents[2]


def test_the_cli_names_the_code_location_workspace_yaml_loads():
    assert workspace_location_name(str(REPO / "workspace.yaml")) == LOCATION_NAME == "momentum_dag.runtime.definitions"


@pytest.fixture(scope="module")
def launched(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli_runs")
    (root / "home").mkdir()
    with DagsterInstance.local_temp(str(root / "home")) as instance:
        ranged = backfill(
            "2014-01", "2014-03", only=("raw",), defs=build_definitions(str(root / "w.duckdb")), instance=instance
        )
        collections, frozen = [], gc.get_freeze_count()
        gc.callbacks.append(counted := lambda phase, info: collections.append(phase) if phase == "start" else None)
        gc.disable()  # as ``momentum-dag`` (cli.main) calls it: the collector off while it loads
        try:
            single = backfill(
                "2014-02",
                "2014-02",
                only=("raw/daily_bars",),
                defs=build_definitions(str(root / "w.duckdb")),
                instance=instance,
            )
            collector = gc.isenabled(), len(collections), gc.get_freeze_count() - frozen
        finally:
            gc.callbacks.remove(counted)
            gc.enable()
            gc.unfreeze()
        yield instance, ranged, single, root / "w.duckdb", collector


def test_a_range_is_one_run_of_monthly_job_in_a_completed_job_backfill(launched):
    instance, (run,), _, warehouse, _ = launched
    assert run.job_name == "monthly_job" and run.is_success
    origin = run.remote_job_origin
    assert (origin.location_name, origin.repository_origin.repository_name, origin.job_name) == (
        LOCATION_NAME,
        "__repository__",
        "monthly_job",
    )
    tags = instance.get_run_by_id(run.run_id).tags_for_storage()  # what the UI filters the job's runs on
    assert tags[".dagster/repository"] == f"__repository__@{LOCATION_NAME}"
    assert (tags["dagster/asset_partition_range_start"], tags["dagster/asset_partition_range_end"]) == (
        "2014-01-01",
        "2014-03-01",
    )
    assert tags["dagster/partition_set"] == "monthly_job_partition_set"
    record = instance.get_backfill(tags["dagster/backfill"])
    assert record.status == BulkActionStatus.COMPLETED_SUCCESS
    assert record.partition_names == ["2014-01-01", "2014-02-01", "2014-03-01"]
    assert record.partition_set_origin.partition_set_name == "monthly_job_partition_set"
    assert record.partition_set_origin.selector.location_name == LOCATION_NAME
    assert set(record.asset_selection) == {
        AssetKey(["raw", n])
        for n in ("daily_bars", "market_daily", "fundamentals", "industry_membership", "factor_returns_monthly")
    }
    assert record.tags == SOURCE_TAG
    # the run's snapshot is a subset of the full job's: what Re-execute compares with the job it loads
    defs = build_definitions(str(warehouse))  # the settings' defaults are part of the job
    full = defs.resolve_job_def("monthly_job").get_job_snapshot().snapshot_id
    lineage = instance.get_job_snapshot(run.job_snapshot_id).lineage_snapshot
    assert lineage is not None and lineage.parent_snapshot_id == full


def test_one_month_is_a_partition_run_and_raw_tables_are_selectable_alone(launched):
    instance, _, (run,), _, _ = launched
    assert run.tags["dagster/partition"] == "2014-02-01" and "dagster/backfill" not in run.tags
    assert run.remote_job_origin.location_name == LOCATION_NAME and run.is_success
    assert run.asset_selection == {AssetKey(["raw", "daily_bars"])}
    # the other provider tables were written in the same transaction and say so
    (event,) = [
        r
        for r in instance.fetch_materializations(AssetKey(["raw", "market_daily"]), limit=10).records
        if r.run_id == run.run_id
    ]
    assert event.partition_key == "2014-02-01"
    assert event.asset_materialization.metadata["rows"].value > 0
    assert "written with raw/daily_bars" in event.asset_materialization.description


def test_the_collector_the_cli_turned_off_while_loading_is_on_for_the_runs(launched):
    """cli.main turns the garbage collector off for its imports and definitions; once the code location is
    loaded, what it built is frozen and collection is back on: the run's own garbage is collected while it
    runs (a collector left off would let a backfill's dropped frames pile up)."""
    enabled, collections, frozen = launched[-1]
    assert enabled and frozen > 0
    assert collections > 0  # the run's steps made garbage enough for the collector to run
