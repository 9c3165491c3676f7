"""The warehouse as a Dagster resource: short-lived checked connections, window writes and reads."""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyarrow as pa
from dagster import ConfigurableResource
from pydantic import Field

from momentum_dag.settings import StorageConfig
from momentum_dag.storage import session
from momentum_dag.storage.connection import WarehouseFileError, connect, file_error_message, looks_corrupt
from momentum_dag.storage.lake import LakeConfig, compact, lake_session
from momentum_dag.storage.process import tag_run_with_process
from momentum_dag.storage.stamp import verify_warehouse
from momentum_dag.storage.windows import (
    WriteResult,
    replace_tables,
    table_exists,
    write_window,
    write_windows,
)

S3_KEY_VARIABLE = "MOMENTUM_S3_KEY_ID"
S3_SECRET_VARIABLE = "MOMENTUM_S3_SECRET"
"""The S3 credentials' variables: read where a connection opens, never settings (so never shown or stored)."""


_LAKES_IN_RUN: dict[tuple, bool] = {}
"""(lake, process) -> whether a run's connection in this process has checked the lake's stamp: a run checks
it once per process, as it checks a DuckDB file once when it opens it (:mod:`momentum_dag.storage.session`);
outside a run every connection checks it."""


class Warehouse(ConfigurableResource):
    """The project's warehouse as a Dagster resource: short-lived connections, each checked to be a
    warehouse of this code's schema version before use.

    Where it is and how it is reached is ``storage``, the one declaration of the storage knobs
    (:class:`momentum_dag.settings.StorageConfig`, the ``settings`` resource's ``storage`` group). In the
    project's definitions the warehouse is built when a run starts from that run's ``settings`` resource
    (:func:`warehouse_resource`), so a launchpad override of ``settings.storage`` moves where the run writes.

    ``storage.warehouse`` ``duckdb``: the DuckDB file ``storage.duckdb_path`` (one writing process at a time:
    connections wait for the file's lock up to ``storage.lock_timeout_seconds``). ``ducklake``: a DuckLake
    (:mod:`momentum_dag.storage.lake`) that many processes and machines write at once, each transaction
    retried when another writer's commit conflicts. The S3 key and secret are read from the environment
    (:data:`S3_KEY_VARIABLE`) where the warehouse is built, never from settings, so never shown or stored.
    """

    storage: StorageConfig = StorageConfig()
    s3_key_id: str | None = Field(default=None, description="S3 access key id (MOMENTUM_S3_KEY_ID).")
    s3_secret: str | None = Field(default=None, description="S3 secret access key (MOMENTUM_S3_SECRET).")

    @classmethod
    def at(cls, database, **knobs) -> Warehouse:
        """The warehouse in the DuckDB file ``database``; ``knobs``: other :class:`StorageConfig` knobs."""
        return cls(storage=StorageConfig(duckdb_path=str(database), **knobs))

    @classmethod
    def from_settings(cls, settings) -> Warehouse:
        """The warehouse ``settings`` (:class:`momentum_dag.settings.Settings`) name, with the S3 key and
        secret of this process's environment (in a run: read when the run's process builds the resource,
        so never part of the run's config, shown or stored)."""
        values = {}
        for field, variable in (("s3_key_id", S3_KEY_VARIABLE), ("s3_secret", S3_SECRET_VARIABLE)):
            if os.environ.get(variable):
                values[field] = os.environ[variable]
        return cls(storage=settings.storage, **values)

    @property
    def database(self) -> str:
        return self.storage.duckdb_path

    @property
    def lock_timeout_seconds(self) -> int:
        return self.storage.lock_timeout_seconds

    @property
    def memory_limit(self) -> str | None:
        return self.storage.duckdb_memory_limit or None

    @property
    def is_lake(self) -> bool:
        return self.storage.warehouse == "ducklake"

    @property
    def lake_config(self) -> LakeConfig:
        storage = self.storage
        return LakeConfig(
            catalog=storage.lake_catalog,
            data_path=storage.lake_data_path,
            s3_endpoint=storage.s3_endpoint,
            s3_region=storage.s3_region,
            s3_url_style=storage.s3_url_style,
            s3_use_ssl=storage.s3_use_ssl,
            s3_key_id=self.s3_key_id,
            s3_secret=self.s3_secret,
        )

    @property
    def location(self) -> str:
        """What messages call the warehouse (never a password)."""
        return self.lake_config.label if self.is_lake else str(self.database)

    def setup_for_execution(self, context) -> None:
        # Tag the run with this process, so that a later start can tell a run killed with its process
        # (kill -9, out of memory) from one still running, and mark it failed (momentum_dag.runtime.runs).
        tag_run_with_process(context)
        if self._holds_file:
            session.begin(str(self.database))
        elif self.is_lake:
            _LAKES_IN_RUN[self._lake_key] = False  # checked by the run's first connection in this process

    def teardown_after_execution(self, context) -> None:
        if self._holds_file:
            session.end(str(self.database))
        elif self.is_lake:
            _LAKES_IN_RUN.pop(self._lake_key, None)

    @contextmanager
    def held_between_runs(self):
        """Keep the DuckDB file held open across the runs this process executes one after another (the CLI's
        monthly, weekly and reports runs), as inside one run (:mod:`momentum_dag.storage.session`): each run's
        end then no longer closes it, so the file is opened and checked once and DuckDB checkpoints its log
        once, at the end, instead of after every run (about 0.4 s a run at the small market on a loaded machine).
        Other processes still get the file whenever it is idle for ``session.IDLE_SECONDS`` (the gaps while a
        run is created). A DuckLake or in-memory warehouse: nothing to hold."""
        if not self._holds_file:
            yield
            return
        session.begin(str(self.database))
        try:
            yield
        finally:
            session.end(str(self.database))

    @property
    def _lake_key(self) -> tuple:
        return (self.lake_config, os.getpid())

    @property
    def _holds_file(self) -> bool:
        """A run keeps the DuckDB file open between its uses (:mod:`momentum_dag.storage.session`)."""
        return not self.is_lake and str(self.database) != ":memory:"

    def _open_file(self):
        """The DuckDB file opened (waiting for another writer), its memory limit set and its stamp checked."""
        conn = connect(self.database, timeout_seconds=self.lock_timeout_seconds)
        try:
            if self.memory_limit:
                conn.execute(f"set memory_limit = '{self.memory_limit}'")
            if str(self.database) != ":memory:":
                verify_warehouse(conn, self.database)
        except duckdb.Error as exc:
            conn.close()
            if looks_corrupt(exc):
                raise WarehouseFileError(file_error_message(Path(self.database), exc)) from exc
            raise
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def get_connection(self):
        """A connection to the warehouse, closed on exit: inside a run, a cursor of the database the run holds
        open (:mod:`momentum_dag.storage.session`); otherwise the file opened and checked for this use."""
        held = session.held(str(self.database)) if self._holds_file else None
        if held is not None:
            try:
                with held.cursor(self._open_file, _hide_progress_bar, self.memory_limit) as conn:
                    yield conn
            except duckdb.Error as exc:
                if looks_corrupt(exc):
                    raise WarehouseFileError(file_error_message(Path(self.database), exc)) from exc
                raise
            return
        if self.is_lake:
            conn = lake_session(self.lake_config, memory_limit=self.memory_limit)
            try:
                if not _LAKES_IN_RUN.get(self._lake_key):
                    verify_warehouse(conn, self.location)
                    if self._lake_key in _LAKES_IN_RUN:
                        _LAKES_IN_RUN[self._lake_key] = True
                yield conn
            finally:
                conn.close()
            return
        conn = self._open_file()
        try:
            _hide_progress_bar(conn)
            yield conn
        except duckdb.Error as exc:
            if looks_corrupt(exc):
                raise WarehouseFileError(file_error_message(Path(self.database), exc)) from exc
            raise
        finally:
            conn.close()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a read query and return a DataFrame; the connection is closed before returning."""
        with self.get_connection() as conn:
            return conn.execute(sql, params or []).df()

    def query_arrow(self, sql: str, params: list | None = None) -> pa.Table:
        """Run a read query and return an Arrow table (no per-row Python objects for strings).

        Through ``execute``: the relation API (``conn.sql(sql, params=...)``) took 8 s where ``execute``
        takes 0.2 s to bring the same 1.4 M rows of three columns into Arrow (DuckDB 1.5.5), most of a
        panel-reading factor's time."""
        with self.get_connection() as conn:
            return conn.execute(sql, params or []).to_arrow_table()

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

    def compact(self, *, older_than_hours: float = 24.0) -> dict[str, int]:
        """DuckLake maintenance (merge small files, expire old snapshots, delete unreferenced files); a
        CHECKPOINT of a DuckDB file. See :func:`momentum_dag.storage.lake.compact`."""
        with self.get_connection() as conn:
            return compact(conn, older_than_hours=older_than_hours)

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


def _hide_progress_bar(conn) -> None:
    # the CLI prints one line per step; DuckDB's own bar would draw over them during long queries. The
    # setting is per connection and cannot be set globally; a connection starts with this process's default
    # (off in a script, on where DuckDB shows its bar, e.g. a notebook), so it is set only when that is on
    # (setting it took ~1 ms per connection, ~450 times a month)
    if _progress_bar_on_by_default():
        conn.execute("set enable_progress_bar = false")


@functools.cache
def _progress_bar_on_by_default() -> bool:
    probe = duckdb.connect()
    try:
        return bool(probe.execute("select current_setting('enable_progress_bar')").fetchone()[0])
    finally:
        probe.close()


def warehouse_resource() -> dg.ResourceDefinition:
    """The ``warehouse`` resource of the project's definitions: a :class:`Warehouse` built when a run starts
    from that run's ``settings`` resource (its ``storage`` group, launchpad overrides included), so the
    storage knobs are declared and shown once (the settings' ``storage`` group).
    """

    @dg.resource(
        config_schema={},  # nothing of its own: an empty entry in the launchpad, a typo there an error
        required_resource_keys={"settings"},
        description="The warehouse the run's settings.storage names (DuckDB file or DuckLake).",
    )
    def warehouse(context):
        built = Warehouse.from_settings(context.resources.settings)
        built.setup_for_execution(context)
        try:
            yield built
        finally:
            built.teardown_after_execution(context)

    return warehouse
