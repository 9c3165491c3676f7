"""DuckDB access: transactional window writes, window reads and DDL.

Every partitioned write is one transaction: create the table if needed, delete the rows of the window,
insert the new rows by name, commit. A failure rolls back and leaves the previous rows intact, so
re-running any range is safe. Connections are held only for the read or the write; DuckDB allows one
writing process at a time, so opening retries until ``lock_timeout_seconds`` and then names the holder.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource
from pydantic import Field

SCHEMAS = ("raw", "staging", "marts", "barra", "factors", "models", "eval")


class WarehouseLockedError(RuntimeError):
    """The DuckDB file stayed locked by another process past the retry budget."""


@dataclass(frozen=True)
class WriteResult:
    """What a window write did: rows inserted, rows it replaced, and the window."""

    table: str
    rows_written: int
    rows_replaced: int
    window_start: date
    window_end: date


def _as_date(value: date | datetime | pd.Timestamp | str) -> date:
    return pd.Timestamp(value).date()


def connect(path: str | Path, *, timeout_seconds: float = 120.0):
    """Open the DuckDB file, retrying while another process holds the write lock."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_seconds
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() and "conflicting" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"DuckDB file {path} is still locked after {timeout_seconds:.0f} s: {exc}. "
                    "Another process (a Dagster run, `dagster dev` reading it, or a DuckDB client) holds it; "
                    "close that process or raise MOMENTUM_LOCK_TIMEOUT_SECONDS."
                ) from exc
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def ensure_schemas(conn) -> None:
    for schema in SCHEMAS:
        conn.execute(f"create schema if not exists {schema}")


def table_exists(conn, table: str) -> bool:
    schema, name = table.split(".")
    found = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0][0]
    return found > 0


def _check_inside_window(df: pd.DataFrame, table: str, date_column: str, start: date, end: date) -> None:
    if date_column not in df.columns:
        raise ValueError(f"{table}: rows to write have no date column {date_column!r}")
    dates = pd.to_datetime(df[date_column])
    if dates.isna().any():
        raise ValueError(f"{table}: {int(dates.isna().sum())} rows have no {date_column}")
    outside = (dates < pd.Timestamp(start)) | (dates >= pd.Timestamp(end))
    if outside.any():
        first = dates[outside].iloc[0].date()
        raise ValueError(
            f"{table}: {int(outside.sum())} rows have {date_column} outside the window [{start}, {end}), "
            f"e.g. {first}; refusing to write outside the partition window"
        )


def write_window(
    conn,
    table: str,
    frames: pd.DataFrame | Iterable[pd.DataFrame],
    *,
    date_column: str,
    start: date | datetime | pd.Timestamp,
    end: date | datetime | pd.Timestamp,
    ddl: str | None = None,
) -> WriteResult:
    """Replace the rows of ``table`` with ``date_column`` in [start, end) by ``frames``, atomically.

    ``frames`` may be one DataFrame or an iterable of chunks (all inserted in the same transaction).
    ``ddl`` creates the table when it does not exist; otherwise the first chunk's columns define it.
    Any error rolls the whole window back.
    """
    chunks = [frames] if isinstance(frames, pd.DataFrame) else frames
    results = write_windows(
        conn, {table: (date_column, ddl)}, ({table: chunk} for chunk in chunks), start=start, end=end
    )
    return results[table]


def write_windows(
    conn,
    tables: dict[str, tuple[str, str | None]],
    chunks: Iterable[dict[str, pd.DataFrame]],
    *,
    start: date | datetime | pd.Timestamp,
    end: date | datetime | pd.Timestamp,
    guard: Callable[[Mapping[str, WriteResult]], None] | None = None,
) -> dict[str, WriteResult]:
    """Replace the window [start, end) of several tables in ONE transaction.

    ``tables`` maps table -> (date column, optional CREATE DDL). ``chunks`` yields dicts table -> rows;
    chunks are consumed inside the transaction, so a generator (e.g. a simulator producing one year at a
    time) never needs the whole window in memory. Rows outside the window or any error roll back all
    tables: nothing is half-written. ``guard``, if given, sees every table's :class:`WriteResult` after
    the inserts and before the commit; raising there rolls everything back (the raw layer's "nothing
    lost" check, :mod:`momentum_dag.sources.guard`).
    """
    start, end = _as_date(start), _as_date(end)
    written = dict.fromkeys(tables, 0)
    replaced = dict.fromkeys(tables, 0)
    cleared: set[str] = set()
    conn.execute("begin transaction")
    try:
        ensure_schemas(conn)
        for _, ddl in tables.values():
            if ddl is not None:
                conn.execute(ddl)
        for chunk in chunks:
            unknown = set(chunk) - set(tables)
            if unknown:
                raise ValueError(f"rows for unexpected table(s) {sorted(unknown)}; expected {sorted(tables)}")
            for table, frame in chunk.items():
                date_column = tables[table][0]
                _check_inside_window(frame, table, date_column, start, end)
                if table not in cleared and table_exists(conn, table):
                    replaced[table] = _delete_window(conn, table, date_column, start, end)
                    cleared.add(table)
                if len(frame):
                    if not table_exists(conn, table):
                        # an empty frame's dtypes say nothing, so only rows define a new table
                        conn.register("_window_chunk", frame)
                        conn.execute(f"create table {table} as select * from _window_chunk limit 0")
                        conn.unregister("_window_chunk")
                        cleared.add(table)
                    conn.register("_window_chunk", frame)
                    conn.execute(f"insert into {table} by name select * from _window_chunk")
                    conn.unregister("_window_chunk")
                    written[table] += len(frame)
        for table, (date_column, _) in tables.items():
            if table not in cleared and table_exists(conn, table):
                replaced[table] = _delete_window(conn, table, date_column, start, end)
        results = {t: WriteResult(t, written[t], replaced[t], start, end) for t in tables}
        if guard is not None:
            guard(results)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return results


def _delete_window(conn, table: str, date_column: str, start: date, end: date) -> int:
    return conn.execute(
        f"delete from {table} where {date_column} >= ? and {date_column} < ?", [start, end]
    ).fetchall()[0][0]


def replace_tables(
    conn,
    frames: dict[str, pd.DataFrame],
    *,
    notes_table: str | None = None,
    asset: str = "",
    notes: Sequence[str] = (),
) -> dict[str, WriteResult]:
    """Replace several unpartitioned tables whole, and ``asset``'s rows of ``notes_table`` (asset, note:
    what an analysis could not compute), in ONE transaction."""
    results = {}
    today = date.today()
    conn.execute("begin transaction")
    try:
        ensure_schemas(conn)
        for table, frame in frames.items():
            frame = _storable(frame)
            replaced = 0
            if table_exists(conn, table):
                replaced = conn.execute(f"select count(*) from {table}").fetchall()[0][0]
            conn.register("_table_frame", frame)
            conn.execute(f"create or replace table {table} as select * from _table_frame")
            conn.unregister("_table_frame")
            results[table] = WriteResult(table, len(frame), int(replaced), today, today)
        if notes_table is not None:
            conn.execute(f"create table if not exists {notes_table} (asset VARCHAR, note VARCHAR)")
            conn.execute(f"delete from {notes_table} where asset = ?", [asset])
            if notes:
                conn.executemany(f"insert into {notes_table} values (?, ?)", [[asset, str(n)] for n in notes])
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return results


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame DuckDB can store even when empty: a frame without columns gets a placeholder column, and an
    object column holding only strings (or None) is stored as VARCHAR."""
    if frame.shape[1] == 0:
        return pd.DataFrame({"empty": pd.Series([], dtype=float)})
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, str) or v is None).all():
            out[c] = out[c].astype(str)
    return out


class Warehouse(DuckDBResource):
    """The project's DuckDB file as a Dagster resource: short-lived connections with a lock retry budget."""

    lock_timeout_seconds: int = Field(default=120, description="Seconds to wait for another writer.")

    @contextmanager
    def get_connection(self):
        conn = connect(self.database, timeout_seconds=self.lock_timeout_seconds)
        try:
            yield conn
        finally:
            conn.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame; the connection is closed before returning."""
        with self.get_connection() as conn:
            return conn.execute(sql, params or []).df()

    def query_if_exists(self, table: str, sql: str, params: list | None = None) -> pd.DataFrame | None:
        """Like :meth:`query`, or ``None`` when ``table`` does not exist yet."""
        with self.get_connection() as conn:
            if not table_exists(conn, table):
                return None
            return conn.execute(sql, params or []).df()

    def write_window(self, table: str, frames, *, date_column: str, start, end, ddl: str | None = None) -> WriteResult:
        with self.get_connection() as conn:
            return write_window(conn, table, frames, date_column=date_column, start=start, end=end, ddl=ddl)

    def write_windows(
        self, tables: dict[str, tuple[str, str | None]], chunks, *, start, end, guard=None
    ) -> dict[str, WriteResult]:
        """Several tables' windows in ONE transaction (see :func:`write_windows`)."""
        with self.get_connection() as conn:
            return write_windows(conn, tables, chunks, start=start, end=end, guard=guard)

    def replace_tables(
        self, frames: dict[str, pd.DataFrame], *, notes_table: str | None = None, asset: str = "",
        notes: Sequence[str] = (),
    ) -> dict[str, WriteResult]:
        """Unpartitioned tables (and ``asset``'s notes) replaced in ONE transaction (see :func:`replace_tables`)."""
        with self.get_connection() as conn:
            return replace_tables(conn, frames, notes_table=notes_table, asset=asset, notes=notes)

    def read_dated(
        self, table: str, date_column: str, *, start: date | None = None, end: date | None = None
    ) -> pd.DataFrame | None:
        """Rows of ``table`` with ``date_column`` in [start, end) (open ends when None), indexed and sorted by
        that column as timestamps; None while the table does not exist."""
        where, params = [], []
        if start is not None:
            where.append(f"{date_column} >= ?")
            params.append(start)
        if end is not None:
            where.append(f"{date_column} < ?")
            params.append(end)
        clause = f" where {' and '.join(where)}" if where else ""
        frame = self.query_if_exists(table, f"select * from {table}{clause} order by {date_column}", params)
        if frame is None:
            return None
        frame[date_column] = pd.to_datetime(frame[date_column])
        return frame.set_index(date_column)

    def table_or_none(self, table: str) -> pd.DataFrame | None:
        """A whole (small, unpartitioned) table, or None while it does not exist."""
        return self.query_if_exists(table, f"select * from {table}")

    def read_notes(self, notes_table: str, asset: str) -> list[str]:
        """What ``asset`` noted it could not compute, from ``notes_table`` (see :func:`replace_tables`)."""
        frame = self.query_if_exists(notes_table, f"select note from {notes_table} where asset = ?", [asset])
        return [] if frame is None else frame["note"].astype(str).tolist()


def write_window_sql(
    conn,
    table: str,
    select_sql: str,
    params: dict,
    *,
    date_column: str,
    start: date | datetime | pd.Timestamp,
    end: date | datetime | pd.Timestamp,
) -> WriteResult:
    """Replace the rows of ``table`` in [start, end) by the rows of a SELECT, inside DuckDB, atomically.

    The SELECT gets ``$window_start``/``$window_end`` bind parameters; rows it returns outside the
    window abort the transaction.
    """
    start, end = _as_date(start), _as_date(end)
    conn.execute("begin transaction")
    try:
        ensure_schemas(conn)
        conn.execute(f"create temp table _model_rows as {select_sql}", params)
        outside = conn.execute(
            f"select count(*) from _model_rows where {date_column} < ? or {date_column} >= ? "
            f"or {date_column} is null",
            [start, end],
        ).fetchall()[0][0]
        if outside:
            raise ValueError(
                f"{table}: model returned {outside} rows with {date_column} outside [{start}, {end})"
            )
        if not table_exists(conn, table):
            conn.execute(f"create table {table} as select * from _model_rows limit 0")
        replaced = _delete_window(conn, table, date_column, start, end)
        written = conn.execute(f"insert into {table} by name select * from _model_rows").fetchall()[0][0]
        conn.execute("drop table _model_rows")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return WriteResult(table, int(written), int(replaced), start, end)


def replace_rows(conn, table: str, df: pd.DataFrame, *, key_column: str, key_value: str) -> WriteResult:
    """Replace the rows of ``table`` whose ``key_column`` equals ``key_value`` (e.g. one factor's summary
    rows in ``eval.summary``) by ``df``, in one transaction; other keys' rows are untouched."""
    if not (df[key_column] == key_value).all():
        raise ValueError(f"{table}: every row to write must have {key_column} = {key_value!r}")
    conn.execute("begin transaction")
    try:
        ensure_schemas(conn)
        if not table_exists(conn, table):
            if df.empty:
                raise ValueError(f"{table}: no rows to write and no table yet")
            conn.register("_rows_frame", df)
            conn.execute(f"create table {table} as select * from _rows_frame limit 0")
            conn.unregister("_rows_frame")
        replaced = conn.execute(f"delete from {table} where {key_column} = ?", [key_value]).fetchall()[0][0]
        conn.register("_rows_frame", df)
        conn.execute(f"insert into {table} by name select * from _rows_frame")
        conn.unregister("_rows_frame")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    today = date.today()
    return WriteResult(table, len(df), int(replaced), today, today)
