"""A launchpad override of ``settings.storage`` moves where a run writes: the warehouse is built from the
run's settings (momentum_dag.storage.resource.warehouse_resource), not when the definitions load."""

from pathlib import Path

import dagster as dg
import duckdb

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
