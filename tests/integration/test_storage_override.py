"""A launchpad override of ``settings.storage`` moves where a run writes: the warehouse is built from the
run's settings (momentum_dag.storage.resource.warehouse_resource), not when the definitions load."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from momentum_dag.runtime.definitions import build_definitions


def _rows(path: Path, table: str) -> int:
    if not path.exists():
        return 0
    conn = duckdb.connect(str(path), read_only=True)
    try:
        found = conn.execute(
            "select count(*) from information_schema.tables where table_schema || '.' || table_name = ?", [table]
        ).fetchone()[0]
        return conn.execute(f"select count(*) from {table}").fetchone()[0] if found else 0
    finally:
        conn.close()


def test_a_launchpad_override_of_the_storage_path_moves_the_run(tmp_path):
    default, override = tmp_path / "default.duckdb", tmp_path / "override.duckdb"
    defs = build_definitions(str(default))
    raw = defs.resolve_assets_def(dg.AssetKey(["raw", "daily_bars"]))
    first = raw.partitions_def.get_partition_keys()[0]
    result = dg.materialize(
        [raw],
        partition_key=first,
        selection=[dg.AssetKey(["raw", "daily_bars"])],
        run_config={"resources": {"settings": {"config": {"storage": {"duckdb_path": str(override)}}}}},
    )
    assert result.success
    assert _rows(override, "raw.daily_bars") > 0
    assert _rows(default, "raw.daily_bars") == 0


def test_storage_knobs_given_to_the_warehouse_resource_are_rejected_naming_the_path(tmp_path):
    """The storage knobs live in ``settings.storage`` only: a launchpad entry under ``warehouse`` (where
    they lived before) is an error naming that path, not silently ignored."""
    job = build_definitions(str(tmp_path / "w.duckdb")).resolve_implicit_global_asset_job_def()
    misplaced = {"resources": {"warehouse": {"config": {"duckdb_path": str(tmp_path / "other.duckdb")}}}}
    with pytest.raises(dg.DagsterInvalidConfigError, match=r"duckdb_path.*resources:warehouse:config"):
        dg.validate_run_config(job, misplaced)
