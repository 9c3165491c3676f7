"""Transactional window writes: replace exactly the window, never half-write, refuse rows outside it."""

import multiprocessing as mp
from datetime import date

import duckdb
import pandas as pd
import pytest

from momentum_dag.warehouse import WarehouseLockedError, connect, write_window, write_windows


def _rows(days, value):
    return pd.DataFrame({"d": pd.to_datetime(days), "k": "x", "v": float(value)})


def test_write_replaces_only_the_window_and_is_idempotent():
    conn = duckdb.connect()
    write_window(conn, "raw.t", _rows(["2024-01-05", "2024-02-05"], 1), date_column="d",
                 start=date(2024, 1, 1), end=date(2024, 3, 1))
    result = write_window(conn, "raw.t", _rows(["2024-02-06", "2024-02-07"], 2), date_column="d",
                          start=date(2024, 2, 1), end=date(2024, 3, 1))
    assert (result.rows_written, result.rows_replaced) == (2, 1)
    rows = conn.execute("select d::date::varchar, v from raw.t order by d").fetchall()
    assert rows == [("2024-01-05", 1.0), ("2024-02-06", 2.0), ("2024-02-07", 2.0)]
    again = write_window(conn, "raw.t", _rows(["2024-02-06", "2024-02-07"], 2), date_column="d",
                         start=date(2024, 2, 1), end=date(2024, 3, 1))
    assert (again.rows_written, again.rows_replaced) == (2, 2)
    assert conn.execute("select d::date::varchar, v from raw.t order by d").fetchall() == rows


def test_rows_outside_the_window_are_refused_and_nothing_changes():
    conn = duckdb.connect()
    write_window(conn, "raw.t", _rows(["2024-02-05"], 1), date_column="d", start=date(2024, 2, 1), end=date(2024, 3, 1))
    with pytest.raises(ValueError, match="outside the window"):
        write_window(conn, "raw.t", _rows(["2024-02-06", "2024-03-01"], 2), date_column="d",
                     start=date(2024, 2, 1), end=date(2024, 3, 1))
    assert conn.execute("select v from raw.t").fetchall() == [(1.0,)]


def test_failure_in_a_later_chunk_rolls_back_every_table():
    conn = duckdb.connect()
    tables = {"raw.a": ("d", None), "raw.b": ("d", None)}
    write_windows(conn, tables, [{"raw.a": _rows(["2024-02-05"], 1), "raw.b": _rows(["2024-02-05"], 1)}],
                  start=date(2024, 2, 1), end=date(2024, 3, 1))

    def chunks():
        yield {"raw.a": _rows(["2024-02-06"], 2), "raw.b": _rows(["2024-02-06"], 2)}
        raise RuntimeError("provider failed half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_windows(conn, tables, chunks(), start=date(2024, 2, 1), end=date(2024, 3, 1))
    for table in tables:
        assert conn.execute(f"select d::date::varchar, v from {table}").fetchall() == [("2024-02-05", 1.0)]


def _hold_lock(path, seconds, ready):
    conn = duckdb.connect(path)
    ready.set()
    import time

    time.sleep(seconds)
    conn.close()


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
