"""Readers that hold the file (issue 11, drill 4) and corrupt or foreign files (drill 5).

A notebook's ``duckdb.connect(path, read_only=True)`` blocks every writer while it is open: the writer
waits its budget, then fails saying who holds the file read-only and what to do (close it, read per query
with ``read_sql``, or work on a ``snapshot``); ``read_sql`` and ``snapshot`` work while the reader holds it.
A file that is not DuckDB, a warehouse of another schema version, a renamed column, an unstamped or a
foreign database stop before anything is written, saying how to rebuild.
"""

import hashlib
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterInstance

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.sources.contract import RAW_TABLES, ddl
from momentum_dag.storage import (
    SCHEMA_VERSION,
    Warehouse,
    WarehouseFileError,
    WarehouseLockedError,
    WarehouseVersionError,
    connect,
    read_sql,
    snapshot,
    write_window,
)
from tests.integration.test_many_writers import hold, release

REPO = Path(__file__).resolve().parents[1]


def _warehouse(path: Path) -> Path:
    """A small stamped warehouse: two days of market data written through the resource."""
    rows = pd.DataFrame(
        {
            "trade_date": pd.to_datetime(["2024-01-02", "2024-01-03"]),
            "market_ret": [0.01, -0.02],
            "rf": [0.0001, 0.0001],
        }
    )
    warehouse = Warehouse.at(str(path), lock_timeout_seconds=5)
    with warehouse.get_connection() as conn:
        write_window(
            conn,
            "raw.market_daily",
            rows,
            date_column="trade_date",
            start=date(2024, 1, 1),
            end=date(2024, 2, 1),
            ddl=ddl(RAW_TABLES["market_daily"]),
        )
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _contents(path: Path) -> dict:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in conn.execute("select schema_name || '.' || table_name from duckdb_tables()").fetchall()]
        return {n: conn.execute(f"select * from {n} order by all").fetchall() for n in sorted(names)}
    finally:
        conn.close()


# ---- drill 4: a reader holding the file ---------------------------------------------------------------


def test_a_notebook_holding_the_file_read_only_blocks_writers_and_the_error_says_what_to_do(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    notebook = hold(path, "ro")
    try:
        with pytest.raises(WarehouseLockedError) as error:
            connect(path, timeout_seconds=1)
        message = str(error.value)
        assert f"PID {notebook.pid} (" in message and "READ-ONLY" in message
        for advice in (
            "con.close()",
            "read_only=True) as con",
            "read_sql",
            "momentum-dag snapshot",
            "MOMENTUM_LOCK_TIMEOUT_SECONDS (now 1)",
        ):
            assert advice in message, advice
        # what the message recommends works while the notebook still holds the file
        total = read_sql("select sum(market_ret) s from raw.market_daily", path=path)["s"].iloc[0]
        assert total == pytest.approx(-0.01)
        copy = snapshot(path, tmp_path / "snapshots" / "copy.duckdb", timeout_seconds=5)
        assert _contents(copy) == _contents(path)
        held_copy = duckdb.connect(str(copy))  # the copy is the notebook's own: writable, never written by runs
        held_copy.execute("create table scratch as select 1 as x")
        held_copy.close()
    finally:
        release(notebook)
    connect(path, timeout_seconds=5).close()  # closed: writers get in


def test_the_cli_stops_at_once_with_that_message_and_writes_nothing(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    before = _contents(path)
    notebook = hold(path, "ro")
    try:
        env = {
            **os.environ,
            "MOMENTUM_DUCKDB_PATH": str(path),
            "DAGSTER_HOME": str(tmp_path / "home"),
            "MOMENTUM_LOCK_TIMEOUT_SECONDS": "1",
        }
        (tmp_path / "home").mkdir()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "momentum_dag.runtime.cli",
                "backfill",
                "--start",
                "2014-01",
                "--end",
                "2014-01",
                "--only",
                "raw",
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        release(notebook)
    assert result.returncode == 1
    assert f"PID {notebook.pid}" in result.stderr and "READ-ONLY" in result.stderr and "Traceback" not in result.stderr
    assert _contents(path) == before


def test_read_sql_waits_for_a_writer_to_finish(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    writer = hold(path, "rw")
    reader = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from momentum_dag.storage import read_sql; import sys; "
            "print(read_sql('select count(*) n from raw.market_daily', path=sys.argv[1], timeout_seconds=60)['n'][0])",
            str(path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    waiting = reader.stderr.readline()
    assert "[momentum-dag] waiting for" in waiting and f"PID {writer.pid}" in waiting
    release(writer)
    out, _ = reader.communicate(timeout=60)
    assert out.strip() == "2"


# ---- drill 5: corrupt or foreign files -------------------------------------------------------------------


def _backfill_raw(path: Path):
    backfill(
        "2014-01",
        "2014-01",
        only=("raw",),
        weekly=False,
        reports=False,
        defs=build_definitions(str(path)),
        instance=DagsterInstance.ephemeral(),
    )


@pytest.mark.parametrize("content", [b"not a database\n" * 100, b"DUCK" + os.urandom(20000)])
def test_a_file_that_is_not_duckdb_stops_before_anything_is_written(tmp_path, content):
    path = tmp_path / "w.duckdb"
    path.write_bytes(content)
    with pytest.raises(SystemExit) as stop:
        _backfill_raw(path)
    message = str(stop.value)
    assert str(path) in message and "not a DuckDB database" in message and "Nothing was written" in message
    assert f"mv {path} {path}.old && momentum-dag backfill" in message
    assert path.read_bytes() == content and not Path(f"{path}.wal").exists()


def test_a_truncated_warehouse_is_reported_as_unreadable(tmp_path):
    path = tmp_path / "w.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("create table t as select range x, range::varchar y from range(300000)")
    conn.close()
    os.truncate(path, 20000)
    with pytest.raises(WarehouseFileError, match="cannot be used as the warehouse"):
        with Warehouse.at(str(path)).get_connection() as conn:
            conn.execute("select count(*) from t").fetchall()


def test_a_new_file_is_stamped_with_the_schema_version(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    assert read_sql("select project, schema_version from meta.warehouse", path=path).values.tolist() == [
        ["momentum_dag", SCHEMA_VERSION]
    ]


def _refused(path: Path, *expected: str) -> None:
    before, digest = _contents(path), _digest(path)
    with pytest.raises(WarehouseVersionError) as error:
        with Warehouse.at(str(path)).get_connection():
            pass
    for text in expected:
        assert text in str(error.value), (text, str(error.value))
    with pytest.raises(SystemExit) as stop:
        _backfill_raw(path)
    assert "Nothing was written" in str(stop.value)
    assert _contents(path) == before and _digest(path) == digest


def test_a_warehouse_of_an_older_schema_version_stops_with_how_to_rebuild(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as conn:
        conn.execute("update meta.warehouse set schema_version = 1")
    _refused(
        path,
        "schema version 1",
        f"version {SCHEMA_VERSION}",
        "before the version stamp",
        "To rebuild",
        "MOMENTUM_DUCKDB_PATH",
    )


def test_a_warehouse_of_a_newer_schema_version_asks_for_newer_code(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as conn:
        conn.execute(f"update meta.warehouse set schema_version = {SCHEMA_VERSION + 1}")
    _refused(path, f"schema version {SCHEMA_VERSION + 1}", "a version this code does not know", "update momentum_dag")


def test_a_renamed_column_stops_even_under_the_right_stamp(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as conn:
        conn.execute("alter table raw.market_daily rename column market_ret to market_return")
    _refused(path, "raw.market_daily: missing ['market_ret'], unexpected ['market_return']", "To rebuild")


def test_an_unstamped_momentum_warehouse_is_an_older_version(tmp_path):
    path = _warehouse(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as conn:
        conn.execute("drop table meta.warehouse")
    _refused(path, "schema version 1", "no meta.warehouse stamp")


def test_a_foreign_duckdb_database_is_not_taken_over(tmp_path):
    path = tmp_path / "theirs.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create table orders as select 1 as id")
    _refused(path, "another application", "main.orders")


def test_the_snapshot_command_copies_the_configured_warehouse(tmp_path, monkeypatch, capsys):
    from momentum_dag.runtime.cli import main

    path = _warehouse(tmp_path / "w.duckdb")
    monkeypatch.setenv("MOMENTUM_DUCKDB_PATH", str(path))
    main(["snapshot"])
    (copy,) = (tmp_path / "snapshots").glob("w-*.duckdb")
    assert f"written to {copy}" in capsys.readouterr().out
    assert _contents(copy) == _contents(path)
    main(["snapshot", "--to", str(tmp_path / "mine.duckdb")])
    assert _contents(tmp_path / "mine.duckdb") == _contents(path)
    monkeypatch.setenv("MOMENTUM_DUCKDB_PATH", str(tmp_path / "none.duckdb"))
    with pytest.raises(SystemExit, match="snapshot failed: no warehouse at"):
        main(["snapshot"])
