"""The warehouse as a Dagster resource: short-lived checked connections, window writes and reads."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
from dagster_duckdb import DuckDBResource
from pydantic import Field

from momentum_dag.storage.connection import WarehouseFileError, _looks_corrupt, connect, file_error_message
from momentum_dag.storage.process import tag_run_with_process
from momentum_dag.storage.stamp import verify_warehouse
from momentum_dag.storage.windows import (
    WriteResult,
    replace_tables,
    table_exists,
    write_window,
    write_windows,
)


class Warehouse(DuckDBResource):
    """The project's DuckDB file as a Dagster resource: short-lived connections with a lock retry budget,
    each checked to be a warehouse of this code's schema version before use."""

    lock_timeout_seconds: int = Field(default=120, description="Seconds to wait for another writer.")
    memory_limit: str | None = Field(default=None, description="DuckDB's memory_limit (None: DuckDB's default).")

    def setup_for_execution(self, context) -> None:
        # Tag the run with this process, so that a later start can tell a run killed with its process
        # (kill -9, out of memory) from one still running, and mark it failed (momentum_dag.runtime.runs).
        tag_run_with_process(context)

    @contextmanager
    def get_connection(self):
        conn = connect(self.database, timeout_seconds=self.lock_timeout_seconds)
        try:
            if self.memory_limit:
                conn.execute(f"set memory_limit = '{self.memory_limit}'")
            # the CLI prints one line per step; DuckDB's own bar would draw over them during long queries
            conn.execute("set enable_progress_bar = false")
            if str(self.database) != ":memory:":
                verify_warehouse(conn, self.database)
            yield conn
        except duckdb.Error as exc:
            if _looks_corrupt(exc):
                raise WarehouseFileError(file_error_message(Path(self.database), exc)) from exc
            raise
        finally:
            conn.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame; the connection is closed before returning."""
        with self.get_connection() as conn:
            return conn.execute(sql, params or []).df()

    def query_arrow(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a read query and return an Arrow table (no per-row Python objects for strings)."""
        with self.get_connection() as conn:
            return conn.sql(sql, params=params or []).to_arrow_table()

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
        self,
        frames: dict[str, pd.DataFrame],
        *,
        notes_table: str | None = None,
        asset: str = "",
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
