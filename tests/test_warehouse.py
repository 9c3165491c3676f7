"""Transactional window writes: replace exactly the window, never half-write, refuse rows outside it."""

import multiprocessing as mp
from datetime import date

import duckdb
import pandas as pd
import pytest

from momentum_dag.storage import (
    WarehouseLockedError,
    connect,
    ensure_schemas,
    table_exists,
    write_window,
    write_window_sql,
    write_windows,
)

JAN, FEB, MAR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)
FEBRUARY = {"start": FEB, "end": MAR}
TABLES = {"raw.a": ("d", None), "raw.b": ("d", None)}


def _rows(days, value):
    return pd.DataFrame({"d": pd.to_datetime(days), "k": "x", "v": float(value)})


def _stored(conn, table="raw.t"):
    return conn.execute(f"select d::date::varchar, v from {table} order by d").fetchall()


@pytest.fixture
def conn():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def write(conn):
    """``write_window`` of rows into ``raw.t`` (dated by ``d``) over [start, end), February by default."""

    def write(rows, start=FEB, end=MAR):
        return write_window(conn, "raw.t", rows, date_column="d", start=start, end=end)

    return write


def test_write_replaces_only_the_window_and_is_idempotent(conn, write):
    write(_rows(["2024-01-05", "2024-02-05"], 1), start=JAN)
    result = write(_rows(["2024-02-06", "2024-02-07"], 2))
    assert (result.rows_written, result.rows_replaced) == (2, 1)
    rows = _stored(conn)
    assert rows == [("2024-01-05", 1.0), ("2024-02-06", 2.0), ("2024-02-07", 2.0)]
    again = write(_rows(["2024-02-06", "2024-02-07"], 2))
    assert (again.rows_written, again.rows_replaced) == (2, 2)
    assert _stored(conn) == rows


@pytest.mark.parametrize("writer", ["frames", "sql"])
def test_a_replace_keeps_a_row_dated_exactly_at_the_window_end_and_replaces_one_at_its_start(conn, write, writer):
    """Windows are half-open [start, end): February's row dated 1 February (the next window's first day)
    survives a replace of January; January's row dated 1 January is replaced."""
    write(_rows(["2024-01-01", "2024-01-31"], 1), start=JAN, end=FEB)
    write(_rows(["2024-02-01", "2024-02-29"], 5))
    if writer == "frames":
        result = write(_rows(["2024-01-15"], 2), start=JAN, end=FEB)
    else:
        sql = "select timestamp '2024-01-15' as d, 'x' as k, 2.0 as v where $window_start < $window_end"
        bounds = {"window_start": JAN, "window_end": FEB}
        result = write_window_sql(conn, "raw.t", sql, bounds, date_column="d", start=JAN, end=FEB)
    assert (result.rows_written, result.rows_replaced) == (1, 2)
    assert _stored(conn) == [("2024-01-15", 2.0), ("2024-02-01", 5.0), ("2024-02-29", 5.0)]


def test_rows_outside_the_window_are_refused_and_nothing_changes(conn, write):
    write(_rows(["2024-02-05"], 1))
    with pytest.raises(ValueError, match="outside the window"):
        write(_rows(["2024-02-06", "2024-03-01"], 2))
    assert conn.execute("select v from raw.t").fetchall() == [(1.0,)]


@pytest.mark.parametrize(
    ("day", "where"),
    [("2024-01-20", "the previous run's"), ("2024-03-05", "after the window"), (None, "undated")],
)
def test_sql_rows_outside_their_run_are_refused_and_nothing_changes(conn, day, where):
    """``write_window_sql`` inserts each run's rows straight into the table: a row of the February run dated
    outside February (in January's run, after the window, or undated: ``where``) aborts the write, and the
    rows written before it stay."""
    sql = (
        "select d, 'x' as k, 1.0 as v from (select unnest(case when $window_start = $first "
        "then [$window_start::timestamp] else [$window_start::timestamp, $stray::timestamp] end) as d) "
        "where $window_start < $window_end"
    )
    runs = [
        {"window_start": JAN, "window_end": FEB, "stray": None, "first": JAN},
        {"window_start": FEB, "window_end": MAR, "stray": day, "first": JAN},
    ]
    write_window_sql(conn, "raw.t", sql, runs[:1], date_column="d", start=JAN, end=FEB)
    before = _stored(conn)
    with pytest.raises(ValueError, match=r"model returned 1 rows with d outside \[2024-02-01, 2024-03-01\)"):
        write_window_sql(conn, "raw.t", sql, runs, date_column="d", start=JAN, end=MAR)
    assert _stored(conn) == before == [("2024-01-01", 1.0)]


def test_failure_in_a_later_chunk_rolls_back_every_table(conn):
    write_windows(conn, TABLES, [{"raw.a": _rows(["2024-02-05"], 1), "raw.b": _rows(["2024-02-05"], 1)}], **FEBRUARY)

    def chunks():
        yield {"raw.a": _rows(["2024-02-06"], 2), "raw.b": _rows(["2024-02-06"], 2)}
        raise RuntimeError("provider failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_windows(conn, TABLES, chunks(), **FEBRUARY)
    for table in TABLES:
        assert _stored(conn, table) == [("2024-02-05", 1.0)]


def test_parquet_chunks_write_like_frames_and_are_checked_like_them(tmp_path):
    """The raw layer hands its spooled Parquet files to ``write_windows`` (DuckDB streams them within its
    memory limit): same rows as frames, the same refusal of rows outside the window, nothing half-written."""
    frames = {
        "a": _rows(["2024-02-05", "2024-02-06"], 1),
        "b": _rows(["2024-02-07"], 2),
        "late": _rows(["2024-03-01"], 3),
    }
    files = {name: tmp_path / f"{name}.parquet" for name in frames}
    for name, frame in frames.items():
        frame.to_parquet(files[name], index=False)
    by_file, by_frame = duckdb.connect(), duckdb.connect()
    results = write_windows(by_file, TABLES, [{"raw.a": files["a"]}, {"raw.b": files["b"]}], **FEBRUARY)
    write_windows(by_frame, TABLES, [{"raw.a": frames["a"]}, {"raw.b": frames["b"]}], **FEBRUARY)
    assert [results[t].rows_written for t in TABLES] == [2, 1]
    for table in TABLES:
        query = f"select d::date::varchar, k, v from {table} order by d"
        assert by_file.execute(query).fetchall() == by_frame.execute(query).fetchall()
    with pytest.raises(ValueError, match="raw.b: 1 rows have d outside the window"):
        write_windows(by_file, TABLES, [{"raw.a": files["a"]}, {"raw.b": files["late"]}], **FEBRUARY)
    assert by_file.execute("select count(*) from raw.a").fetchall() == [(2,)]  # the first chunk rolled back too
    pd.DataFrame({"k": ["x"]}).to_parquet(tmp_path / "nodate.parquet", index=False)
    with pytest.raises(ValueError, match="raw.a: rows to write have no date column 'd'"):
        write_windows(by_file, TABLES, [{"raw.a": tmp_path / "nodate.parquet"}], **FEBRUARY)


def test_frames_are_stored_as_duckdb_s_pandas_scan_stores_them(conn):
    """A frame is inserted from Arrow (pandas' str columns scanned as a frame cost a Python string per value):
    every dtype a factor table holds is stored with the values and, for a new table, the types of DuckDB's
    own pandas scan (NaN as NULL, a categorical as an ENUM, nullable integers and booleans, dates as objects)."""
    import datetime as dt

    import numpy as np

    frame = pd.DataFrame(
        {
            "d": pd.to_datetime(["2024-02-05", "2024-02-06", "2024-02-07"]),
            "d_ns": pd.to_datetime(["2024-02-05", "2024-02-06", "2024-02-07"]).astype("datetime64[ns]"),
            "day": [dt.date(2024, 1, 31), None, dt.date(2024, 2, 29)],
            "s": pd.Series(["a", None, "c"]),
            "s_object": pd.Series(["a", None, "c"], dtype=object),
            "category": pd.Categorical(["x", None, "y"]),
            "x": [1.0, np.nan, np.inf],
            "x32": np.array([1.5, np.nan, 2.0], dtype=np.float32),
            "n": [1, 2, 3],
            "n_nullable": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "flag_object": pd.Series([True, None, False], dtype=object),
            "flag_nullable": pd.array([True, None, False], dtype="boolean"),
        }
    )
    write_window(conn, "raw.t", frame, date_column="d", **FEBRUARY)
    conn.register("_expected", frame)  # DuckDB's pandas scan, the way frames were stored before
    conn.execute("create table raw.expected as select * from _expected")
    assert conn.execute("describe raw.t").fetchall() == conn.execute("describe raw.expected").fetchall()
    for one, other in (("raw.t", "raw.expected"), ("raw.expected", "raw.t")):
        assert conn.execute(f"select count(*) from (from {one} except all from {other})").fetchall() == [(0,)]
    assert conn.execute("select count(*) from raw.t where x is null and x32 is null").fetchall() == [(1,)]
    mixed = pd.DataFrame({"d": pd.to_datetime(["2024-02-05"]), "o": pd.Series([1], dtype=object)})
    mixed.loc[1] = [pd.Timestamp("2024-02-06"), "one"]  # no Arrow type holds both: scanned as a frame
    write_window(conn, "raw.m", mixed, date_column="d", **FEBRUARY)
    assert conn.execute("select count(*) from raw.m").fetchall() == [(2,)]


def test_a_frame_is_handed_to_duckdb_in_row_group_batches_and_stored_in_order(conn):
    """DuckDB scans one Arrow record batch per thread: a frame comes to it in batches of its row group (a
    frame converted whole is one batch, inserted by one thread), zero-copy slices, and the rows are stored
    as they came, in order."""
    import numpy as np

    from momentum_dag.storage.windows import ROW_GROUP, _scannable

    n = 2 * ROW_GROUP + 5
    frame = pd.DataFrame(
        {
            "d": pd.Timestamp("2024-02-01") + pd.to_timedelta(np.arange(n) % 28, unit="D"),
            "s": pd.Series([f"S{i % 97}" for i in range(n)], dtype="str"),
            "x": np.arange(n, dtype="float64"),
        }
    )
    batches = _scannable(frame).to_batches()
    assert [len(b) for b in batches] == [ROW_GROUP, ROW_GROUP, 5]
    assert _scannable(frame.head(0)).num_rows == 0
    write_window(conn, "raw.big", frame, date_column="d", **FEBRUARY)
    stored = conn.execute("select * from raw.big").df()  # insertion order: DuckDB keeps it by default
    pd.testing.assert_frame_equal(stored, frame, check_dtype=False)


def _hold_lock(path, seconds, ready):
    conn = duckdb.connect(path)
    ready.set()
    import time

    time.sleep(seconds)
    conn.close()


def test_table_exists_names_what_information_schema_lists(conn):
    """Tables, views and temporary tables exist; DuckDB's internal views and missing names do not, as in
    ``information_schema.tables`` (which the check no longer queries: it is four times slower)."""
    conn.execute("create schema raw; create table raw.t (d date); create view raw.v as select 1 as x")
    conn.execute("create temp table tt (x int)")
    names = ["raw.t", "raw.v", "temp.tt", "main.tt", "raw.missing", "main.duckdb_tables", "pg_catalog.pg_class"]
    listed = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    expected = {name: conn.execute(listed, name.split(".")).fetchone()[0] > 0 for name in names}
    assert {name: table_exists(conn, name) for name in names} == expected
    assert [name for name, found in expected.items() if found] == ["raw.t", "raw.v", "main.tt"]


def test_ensure_schemas_creates_the_missing_schemas_of_the_connection_s_database(conn):
    from momentum_dag.storage.stamp import SCHEMAS

    listed = "select schema_name from duckdb_schemas() where database_name = current_database()"
    conn.execute("create schema eval")
    conn.execute("attach ':memory:' as other; create schema other.raw")  # another database's schema is not ours
    ensure_schemas(conn)
    assert set(SCHEMAS) <= {name for (name,) in conn.execute(listed).fetchall()}
    conn.execute("drop schema raw")
    ensure_schemas(conn)
    assert "raw" in {name for (name,) in conn.execute(listed).fetchall()}


def test_table_exists_in_a_transaction_sees_its_own_tables_and_a_miss_leaves_it_usable(conn):
    """In the warehouse's schemas a table is looked up by name (not read from ``duckdb_tables()``): a table the
    open transaction created is found, a view or a missing name is not a table, and a miss does not abort
    the transaction (its writes commit)."""
    conn.execute("create schema eval; create schema marts; create view marts.v as select 1 as x")
    conn.execute("begin")
    assert not table_exists(conn, "eval.t")
    conn.execute("create table eval.t (x int); insert into eval.t values (1)")
    names = ["eval.t", "marts.v", "marts.missing", "eval.v"]
    assert {name: table_exists(conn, name) for name in names} == {
        "eval.t": True,
        "marts.v": True,
        "marts.missing": False,
        "eval.v": False,
    }
    conn.execute("commit")
    assert conn.execute("select x from eval.t").fetchall() == [(1,)]
    listed = "select count(*) from information_schema.tables where table_schema = ? and table_name = ?"
    assert {name: table_exists(conn, name) for name in names} == {
        name: conn.execute(listed, name.split(".")).fetchone()[0] > 0 for name in names
    }


def test_locked_file_fails_after_the_retry_budget_naming_the_file(tmp_path):
    path = str(tmp_path / "w.duckdb")
    ready = mp.get_context("spawn").Event()
    holder = mp.get_context("spawn").Process(target=_hold_lock, args=(path, 4, ready))
    holder.start()
    try:
        assert ready.wait(30)
        with pytest.raises(WarehouseLockedError, match="w.duckdb"):
            connect(path, timeout_seconds=0.5)
        # a longer budget outlasts the holder
        connect(path, timeout_seconds=30).close()
    finally:
        holder.join()


def test_the_warehouse_resource_applies_the_duckdb_memory_limit_and_hides_duckdb_s_progress_bar():
    from momentum_dag.storage import Warehouse

    with Warehouse.at(":memory:", duckdb_memory_limit="300MB").get_connection() as conn:
        settings = "select current_setting('memory_limit'), current_setting('enable_progress_bar')"
        limit, bar = conn.execute(settings).fetchall()[0]
    assert limit.startswith("286") and "MiB" in limit  # 300 MB = 286.1 MiB
    assert bar is False  # the CLI's step lines are the progress display
