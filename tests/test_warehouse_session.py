"""A run holds the DuckDB file open between its uses: opened and checked once, released when idle or done."""

import subprocess
import sys
import time
from datetime import date

import duckdb
import pandas as pd
import pytest
from dagster import asset, materialize

from momentum_dag.storage import Warehouse, session

TRY_WRITE = (
    "import duckdb, sys\ntry:\n    duckdb.connect(sys.argv[1]).close()\nexcept duckdb.IOException:\n    sys.exit(3)\n"
)


def other_process_can_write(path) -> bool:
    """Whether another process can open ``path`` for writing right now (DuckDB: one writing process)."""
    return subprocess.run([sys.executable, "-c", TRY_WRITE, str(path)], timeout=60).returncode == 0


def _rows(day: str, value: float) -> pd.DataFrame:
    return pd.DataFrame({"d": pd.to_datetime([day]), "v": [value]})


@pytest.fixture
def run_session(tmp_path):
    warehouse = Warehouse.at(str(tmp_path / "w.duckdb"))
    session.begin(warehouse.database)
    try:
        yield warehouse
    finally:
        session.end(warehouse.database)


def test_a_run_opens_the_file_once_and_each_connection_is_its_own(run_session):
    warehouse = run_session
    jan, feb = date(2024, 1, 1), date(2024, 2, 1)
    warehouse.write_window("raw.t", _rows("2024-01-05", 1.0), date_column="d", start=jan, end=feb)
    with warehouse.get_connection() as conn:
        conn.execute("create temp table scratch as select 1 as x")
        conn.execute("begin transaction")
        conn.execute("delete from raw.t")
        # another connection of the same run does not see this one's uncommitted delete
        assert len(warehouse.query("select * from raw.t")) == 1
        conn.execute("rollback")
    with warehouse.get_connection() as conn:
        # a temporary table lives and dies with its connection, as when each use opened the file
        assert conn.execute("select count(*) from duckdb_tables() where table_name = 'scratch'").fetchone()[0] == 0
        assert conn.execute("select current_setting('enable_progress_bar')").fetchone()[0] is False
    assert warehouse.query("select v from raw.t")["v"].tolist() == [1.0]
    assert session.held(warehouse.database).opened == 1


def test_the_file_is_released_when_idle_and_when_the_run_ends(run_session, monkeypatch):
    monkeypatch.setattr(session, "IDLE_SECONDS", 0.3)
    warehouse = run_session
    with warehouse.get_connection():
        assert not other_process_can_write(warehouse.database)
    time.sleep(session.IDLE_SECONDS * 3)
    assert other_process_can_write(warehouse.database)  # a step computing without the warehouse lets others in
    warehouse.query("select 1")
    assert session.held(warehouse.database).opened == 2
    session.end(warehouse.database)
    session.begin(warehouse.database)  # the fixture ends this one
    assert other_process_can_write(warehouse.database)


def test_a_failed_statement_does_not_poison_the_next_connection(run_session):
    warehouse = run_session
    with pytest.raises(duckdb.CatalogException):
        warehouse.query("select * from raw.missing")
    assert warehouse.query("select 42 as x")["x"].tolist() == [42]


def test_a_dagster_run_holds_the_file_only_while_it_runs(tmp_path):
    path = tmp_path / "w.duckdb"
    opened = []

    @asset
    def first(warehouse: Warehouse) -> None:
        warehouse.query("select 1")

    @asset(deps=[first])
    def second(warehouse: Warehouse) -> None:
        warehouse.query("select 1")
        opened.append(session.held(str(path)).opened)

    assert materialize([first, second], resources={"warehouse": Warehouse.at(str(path))}).success
    assert opened == [1]  # both steps used the database the run opened
    assert session.held(str(path)) is None
    assert other_process_can_write(path)


def test_runs_one_after_another_under_the_cli_s_hold_open_the_file_once_and_release_it_at_the_end(
    tmp_path, monkeypatch
):
    """``momentum-dag`` holds the file across its runs (monthly, weekly, reports): a run's end no longer closes
    it, the next run reuses it, and the hold's end releases it."""
    monkeypatch.setattr(session, "IDLE_SECONDS", 120.0)  # no idle close between the runs on a loaded machine
    path = tmp_path / "w.duckdb"
    warehouse = Warehouse.at(str(path))
    opened = []

    @asset
    def used(warehouse: Warehouse) -> None:
        warehouse.query("select 1")
        opened.append(session.held(str(path)).opened)

    with warehouse.held_between_runs():
        warehouse.query("select 1")  # the CLI's check before its runs
        for _ in range(2):
            assert materialize([used], resources={"warehouse": warehouse}).success
            assert session.held(str(path)) is not None  # still held between the runs
        assert session.held(str(path)).opened == 1  # the check's open served both runs
    assert opened == [1, 1]
    assert session.held(str(path)) is None
    assert other_process_can_write(path)


@pytest.mark.parametrize("memory_limit", ["", "500MB"])
def test_a_held_database_keeps_little_of_what_it_read_and_its_memory_limit(tmp_path, monkeypatch, memory_limit):
    monkeypatch.setattr(session, "CACHE_BYTES", 1024**2)
    warehouse = Warehouse.at(str(tmp_path / "w.duckdb"), duckdb_memory_limit=memory_limit)
    session.begin(warehouse.database)
    try:
        with warehouse.get_connection() as conn:
            limit = conn.execute("select current_setting('memory_limit')").fetchone()[0]
            conn.execute("create schema raw")
            conn.execute("create table raw.big as select range as i, random() as x from range(3000000)")
        assert warehouse.query("select count(*) as n from raw.big where x >= 0")["n"].tolist() == [3000000]
        cached, now = warehouse.query(
            "select (select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory() where tag = 'BASE_TABLE') "
            "as cached, current_setting('memory_limit') as memory_limit"
        ).iloc[0]
        assert cached <= 1024**2  # the ~40 MB table read above is not kept
        # set back: the configured limit exactly; DuckDB's default as it showed it (rounded down 0.1 GiB)
        assert now == limit if memory_limit else _gib(limit) - 0.1 <= _gib(now) <= _gib(limit)
        warehouse.query("select count(*) from raw.big where x >= 0")  # a second trim: the same limit again
        assert warehouse.query("select current_setting('memory_limit') as m")["m"].tolist() == [now]
        assert session.held(warehouse.database).opened == 1
    finally:
        session.end(warehouse.database)


def _gib(text: str) -> float:
    number, unit = text.split()
    return float(number) * {"GiB": 1.0, "MiB": 1 / 1024}[unit]
