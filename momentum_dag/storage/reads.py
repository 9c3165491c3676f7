"""Readers for notebooks and other tools: one query with the file closed on return, or a consistent copy."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from momentum_dag.storage.connection import connect, retry_locked
from momentum_dag.storage.lake import LAKE, rollback
from momentum_dag.storage.stamp import verify_warehouse


def read_sql(
    sql: str, params: list | dict | None = None, *, path: str | Path | None = None, timeout_seconds: float = 60.0
) -> pd.DataFrame:
    """Run one read query on the warehouse and close the file before returning: the way to read it from a
    notebook without blocking the pipeline.

    Opens read-only (other readers may read at the same time), retrying for ``timeout_seconds`` while a run
    holds the file for a write (writes are short). ``path`` defaults to ``MOMENTUM_DUCKDB_PATH``.
    """
    if path is None:
        from momentum_dag.settings import Settings
        from momentum_dag.storage.resource import Warehouse

        settings = Settings.from_env()
        if settings.storage.warehouse == "ducklake":  # many readers and writers: one transaction sees one snapshot
            return Warehouse.from_settings(settings).query(sql, params)
        path = settings.storage.duckdb_path
    if not Path(path).exists():
        raise FileNotFoundError(f"no warehouse at {path} (MOMENTUM_DUCKDB_PATH): run `momentum-dag backfill` first")
    conn = connect(path, timeout_seconds=timeout_seconds, read_only=True)
    try:
        verify_warehouse(conn, path, stamp=False)
        return conn.execute(sql, params or []).df()
    finally:
        conn.close()


def snapshot(source: str | Path, target: str | Path, *, timeout_seconds: float = 120.0) -> Path:
    """Copy the warehouse ``source`` to a new DuckDB file ``target`` (tables and views), consistently.

    The copy is taken under a read-only attach (so it waits for a running write to commit, and blocks
    writers only while it copies); it is written beside ``target`` and renamed into place when complete.
    A notebook can keep the copy open as long as it likes: the pipeline never touches it.
    """
    source, target = Path(source), Path(target)
    if not source.exists():
        raise FileNotFoundError(f"no warehouse at {source}")
    if target.resolve() == source.resolve():
        raise ValueError("the snapshot must be another file than the warehouse")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    for leftover in (partial, Path(str(partial) + ".wal")):
        leftover.unlink(missing_ok=True)
    conn = duckdb.connect()
    try:
        retry_locked(
            lambda: conn.execute(f"attach '{_sql_path(source)}' as source (read_only)"), source, timeout_seconds
        )
        conn.execute("use source")
        verify_warehouse(conn, source, stamp=False)
        conn.execute(f"attach '{_sql_path(partial)}' as copy")
        conn.execute("copy from database source to copy")
        conn.execute("use memory")
        conn.execute("detach copy")
        conn.execute("detach source")
    finally:
        conn.close()
    os.replace(partial, target)
    return target


def snapshot_warehouse(warehouse, target: str | Path) -> Path:
    """A consistent copy of ``warehouse`` (a :class:`~momentum_dag.storage.Warehouse` of either backend)
    as the DuckDB file ``target``. A DuckDB file: :func:`snapshot`. A DuckLake: every table and view as
    of one snapshot (the copy is one transaction, so writers committing meanwhile are not in it), written
    beside ``target`` and renamed into place when complete."""
    if not warehouse.is_lake:
        return snapshot(warehouse.database, target, timeout_seconds=warehouse.lock_timeout_seconds)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    for leftover in (partial, Path(str(partial) + ".wal")):
        leftover.unlink(missing_ok=True)
    with warehouse.get_connection() as conn:
        conn.execute(f"attach '{_sql_path(partial)}' as copy")
        conn.execute("begin transaction")
        try:
            conn.execute(f"copy from database {LAKE} to copy")
            conn.execute("commit")
        except BaseException:
            rollback(conn)
            raise
        conn.execute("detach copy")
    os.replace(partial, target)
    return target


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
