"""The DuckLake backend (momentum_dag.storage.lake) on a SQLite catalog and a local data folder: window writes
by several processes at once, a reader's snapshot, compaction, the snapshot command's copy, and the settings
that refuse a parallel executor on the one-writer DuckDB file."""

import multiprocessing
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse, snapshot_warehouse
from momentum_dag.storage import lake as lake_module

JANUARY = (date(2014, 1, 1), date(2014, 2, 1))


def lake(folder: Path, catalog: str | None = None) -> Warehouse:
    return Warehouse.at(
        str(folder / "unused.duckdb"),
        warehouse="ducklake",
        ducklake_catalog=catalog or f"sqlite:{folder / 'catalog.sqlite'}",
        ducklake_data_path=str(folder / "files"),
    )


def rows(days: list[str], value: float) -> pd.DataFrame:
    return pd.DataFrame({"trade_date": pd.to_datetime(days), "stock_id": "S1", "value": value})


def _write_together(folder: Path, catalog: str | None, value: float, barrier) -> None:
    """Write January inside a transaction that stays open until the other process's has written too, so that
    both commit against the same starting snapshot."""

    def chunks():
        yield {"factors.toy": rows(["2014-01-02", "2014-01-03"], value)}
        barrier.wait(timeout=60)  # both transactions hold their inserted rows now; then both commit

    lake(folder, catalog).write_windows(
        {"factors.toy": ("trade_date", None)}, chunks(), start=JANUARY[0], end=JANUARY[1]
    )


def _same_window_twice(folder: Path, existing: bool, catalog: str | None = None) -> None:
    warehouse = lake(folder, catalog)
    if existing:  # February written; January, the window both write, empty
        warehouse.write_window(
            "factors.toy",
            rows(["2014-02-03"], 0.0),
            date_column="trade_date",
            start=date(2014, 2, 1),
            end=date(2014, 3, 1),
        )
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(2)
    writers = [context.Process(target=_write_together, args=(folder, catalog, v, barrier)) for v in (1.0, 2.0)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    found = warehouse.query("select trade_date, value from factors.toy where trade_date < '2014-02-01' order by 1")
    assert len(found) == 2 and found["value"].nunique() == 1  # one writer's rows, never both
    assert len(warehouse.query("select * from factors.toy")) == 2 + existing


@pytest.mark.parametrize("existing", [False, True], ids=["new table", "existing table, empty window"])
def test_the_same_window_written_twice_at_once_leaves_one_copy(tmp_path, existing):
    _same_window_twice(tmp_path, existing)


@pytest.fixture(scope="module")
def postgres_server():
    from tests.integration.services import postgres

    with postgres(("lake_new", "lake_existing")) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("existing", [False, True], ids=["new table", "existing table, empty window"])
def test_on_a_postgres_catalog_too(tmp_path, postgres_server, existing):
    """Two writers of one EMPTY window delete nothing, so only their meta.table_writes rows make them conflict
    on a PostgreSQL catalog (without it: both commit, two copies)."""
    database = "lake_existing" if existing else "lake_new"
    _same_window_twice(tmp_path, existing, f"postgres:{postgres_server.libpq(database)}")


def test_a_reader_sees_one_snapshot_while_a_writer_commits(tmp_path):
    warehouse = lake(tmp_path)
    warehouse.write_window(
        "factors.toy", rows(["2014-01-02"], 1.0), date_column="trade_date", start=JANUARY[0], end=JANUARY[1]
    )
    with warehouse.get_connection() as reader:
        reader.execute("begin transaction")
        assert reader.execute("select sum(value) from factors.toy").fetchone()[0] == 1.0
        writer = multiprocessing.get_context("fork").Process(
            target=lambda: lake(tmp_path).write_window(
                "factors.toy",
                rows(["2014-01-02", "2014-01-03"], 5.0),
                date_column="trade_date",
                start=JANUARY[0],
                end=JANUARY[1],
            )
        )
        writer.start()
        writer.join(timeout=120)
        assert writer.exitcode == 0
        assert reader.execute("select sum(value) from factors.toy").fetchone()[0] == 1.0  # still its snapshot
        reader.execute("commit")
    assert warehouse.query("select sum(value) as s from factors.toy")["s"][0] == 10.0


def test_compaction_merges_small_files_and_keeps_the_rows(tmp_path):
    warehouse = lake(tmp_path)
    for month in range(1, 7):
        start = date(2014, month, 1)
        frame = pd.DataFrame(
            {"trade_date": pd.date_range(start, periods=20, freq="D"), "stock_id": "S1", "value": float(month)}
        )
        warehouse.write_window(
            "factors.toy", frame, date_column="trade_date", start=start, end=date(2014, month + 1, 1)
        )
    before = warehouse.query("select * from factors.toy order by trade_date")
    files = "select count(*) as n from ducklake_list_files('lake', 'toy', schema => 'factors')"
    assert warehouse.query(files)["n"][0] == 6
    # a file a writer left behind without committing it (a lost conflict run again, a killed writer)
    written = sorted((tmp_path / "files").rglob("*.parquet"))
    (written[0].parent / "orphan.parquet").write_bytes(written[0].read_bytes())
    done = warehouse.compact(older_than_hours=0)
    assert done["merged"] >= 1 and warehouse.query(files)["n"][0] == 1
    pd.testing.assert_frame_equal(warehouse.query("select * from factors.toy order by trade_date"), before)
    assert done["deleted_files"] >= 6  # the merged files, no snapshot references them any more
    assert done["deleted_orphans"] == 1
    assert len(list((tmp_path / "files").rglob("*.parquet"))) == 1


def test_the_snapshot_of_a_lake_is_a_duckdb_file_with_every_table_and_the_stamp(tmp_path):
    warehouse = lake(tmp_path)
    warehouse.write_window(
        "factors.toy", rows(["2014-01-02"], 1.0), date_column="trade_date", start=JANUARY[0], end=JANUARY[1]
    )
    target = snapshot_warehouse(warehouse, tmp_path / "copy.duckdb")
    with duckdb.connect(str(target), read_only=True) as conn:
        assert conn.execute("select value from factors.toy").fetchall() == [(1.0,)]
        assert conn.execute("select project from meta.warehouse").fetchall() == [("momentum_dag",)]


@pytest.fixture
def own_extension_directory(tmp_path, monkeypatch):
    """The extension links in a folder of this test's, and no signature checked yet (restored afterwards)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(lake_module, "_SIGNATURES_CHECKED", set())
    lake_module._platform_folder.cache_clear()
    yield lake_module._platform_folder()
    lake_module._platform_folder.cache_clear()


def test_extension_signatures_are_checked_once_and_a_changed_file_again(tmp_path, own_extension_directory):
    folder = own_extension_directory
    lake_module.check_extension_signatures()
    assert lake_module._signatures_checked()
    config = lake(tmp_path).lake_config
    lake_module.open_lake(config).close()  # the checked files, loaded without hashing them again
    # ducklake's file replaced by a copy whose signature (the file's last 256 bytes) is wrong
    link = folder / "ducklake.duckdb_extension"
    tampered = bytearray(link.read_bytes())
    tampered[-1] ^= 0xFF
    copy = tmp_path / "ducklake.duckdb_extension"
    copy.write_bytes(tampered)
    link.unlink()
    link.symlink_to(copy)
    assert not lake_module._signatures_checked()
    with pytest.raises(duckdb.Error, match="(?i)signature"):
        lake_module.open_lake(config)


def test_a_parallel_executor_on_the_duckdb_file_is_refused_naming_what_to_set():
    with pytest.raises(ValueError, match="MOMENTUM_WAREHOUSE=ducklake"):
        Settings.from_env({"MOMENTUM_EXECUTOR": "multiprocess"})
    with pytest.raises(ValueError, match="MOMENTUM_DASK_ADDRESS"):
        Settings.from_env({"MOMENTUM_EXECUTOR": "dask", "MOMENTUM_WAREHOUSE": "ducklake"})
    with pytest.raises(ValueError, match="MOMENTUM_DUCKLAKE_CATALOG"):
        Settings.from_env({"MOMENTUM_WAREHOUSE": "ducklake", "MOMENTUM_DUCKLAKE_CATALOG": "mysql:x"})
    settings = Settings.from_env({"MOMENTUM_EXECUTOR": "multiprocess", "MOMENTUM_WAREHOUSE": "ducklake"})
    assert settings.storage.lake_catalog.startswith("sqlite:") and settings.executor_processes >= 1


def values(warehouse: Warehouse) -> list[float]:
    with warehouse.get_connection() as conn:
        return [v for (v,) in conn.execute("select value from factors.toy order by trade_date").fetchall()]


def test_a_guard_refusal_is_checked_again_on_a_lake_and_a_persistent_one_raised_unchanged(tmp_path):
    """On a DuckLake a transaction can briefly see a window with both versions of rows another process is
    committing (duckdb 1.5.5), so the raw layer's "nothing lost" guard is asked again in a new transaction
    before its refusal stands; a real refusal repeats and is raised as the guard raised it, nothing written."""
    from momentum_dag.sources.guard import RawShrinkError
    from momentum_dag.storage.lake import RECHECKS

    warehouse = lake(tmp_path)
    table = {"factors.toy": ("trade_date", None)}
    seen = []

    def refuses_once(results):
        seen.append(results["factors.toy"].rows_written)
        if len(seen) == 1:
            raise RawShrinkError("a window seen with twice its rows")

    warehouse.write_windows(
        table, [{"factors.toy": rows(["2014-01-02"], 1.0)}], start=JANUARY[0], end=JANUARY[1], guard=refuses_once
    )
    assert seen == [1, 1]
    assert values(warehouse) == [1.0]

    def refuses(results):
        seen.append(results)
        raise RawShrinkError("3 new rows would replace 10")

    seen.clear()
    with pytest.raises(RawShrinkError, match="3 new rows would replace 10"):
        warehouse.write_windows(
            table, [{"factors.toy": rows(["2014-01-03"], 2.0)}], start=JANUARY[0], end=JANUARY[1], guard=refuses
        )
    assert len(seen) == 1 + RECHECKS
    assert values(warehouse) == [1.0]  # nothing written


def test_a_long_frame_and_a_spooled_file_keep_their_order_in_a_lake(tmp_path):
    """The DuckDB file takes a frame in record batches and a spooled file in row groups of DuckDB's size, on
    every thread and in order; a DuckLake writes such pieces to its Parquet file out of their order
    (duckdb 1.5.5), so a lake gets them whole and stores the rows as they came. The lake's reordering depends
    on its threads' timing (measured: 5 of 8 writes of a million rows in eight pieces), so the window is
    written six times; with pieces handed to the lake, 10 of 10 runs of this test failed (each of the two)."""
    import numpy as np

    from momentum_dag.assets.raw import _spool_chunk
    from momentum_dag.storage.windows import ROW_GROUP

    n = 8 * ROW_GROUP + 5
    frame = pd.DataFrame(
        {
            "trade_date": pd.Timestamp("2014-01-01") + pd.to_timedelta(np.arange(n) % 31, unit="D"),
            "stock_id": "S1",
            "value": np.arange(n, dtype="float64"),
        }
    )
    warehouse = lake(tmp_path)
    spooled = _spool_chunk({"daily_bars": frame}, tmp_path, 0, lake=True)["raw.daily_bars"]
    tables = {"factors.toy": ("trade_date", None), "factors.spooled": ("trade_date", None)}
    for attempt in range(6):
        warehouse.write_windows(
            tables, [{"factors.toy": frame, "factors.spooled": spooled}], start=JANUARY[0], end=JANUARY[1]
        )
        for table in tables:
            found = warehouse.query(
                f"select count(*) as n, count(*) filter (where value != i) as out_of_order"
                f" from (select value, row_number() over () - 1 as i from {table})"
            ).iloc[0]
            assert (found["n"], found["out_of_order"]) == (n, 0), (table, attempt)
