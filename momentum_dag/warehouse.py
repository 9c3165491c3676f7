"""DuckDB access: transactional window writes, window reads and DDL.

Every partitioned write is one transaction: create the table if needed, delete the rows of the window,
insert the new rows by name, commit. A failure rolls back and leaves the previous rows intact, so
re-running any range is safe; a process killed mid-write (kill -9, out of memory) leaves an uncommitted
transaction that DuckDB discards when the file is next opened. Connections are held only for the read or
the write; DuckDB allows one writing process at a time (and no writer while any reader holds the file), so
opening retries until ``lock_timeout_seconds`` and then names the holder and what to do about it.

Before a connection is used, :func:`verify_warehouse` checks that the file is a momentum_dag warehouse of
this code's :data:`SCHEMA_VERSION` (a new file is stamped with it), so a foreign or older file stops the run
before anything is written.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from dagster_duckdb import DuckDBResource
from pydantic import Field

SCHEMAS = ("raw", "staging", "marts", "barra", "factors", "models", "eval", "meta")

PROJECT = "momentum_dag"
META_TABLE = "meta.warehouse"
SCHEMA_VERSION = 4
"""The layout of the tables this code reads and writes. Bump it (and add a line to
:data:`SCHEMA_HISTORY`) whenever a table's columns or their meaning change: a warehouse stamped with another
version then stops every run with :class:`WarehouseVersionError`, before anything is written."""
SCHEMA_HISTORY = {
    1: "before the version stamp (issue 11): no meta.warehouse table",
    2: (
        "meta.warehouse stamp; marts.industry_daily gains cw_weight_sum; NULL returns on suspended days in "
        "marts.stock_returns_daily; models.dmom_features"
    ),
    3: (
        "barra.factor_returns_* regressed with weights sqrt(float cap) (version 2 weighted by cap), and the "
        "factors and models computed from them (residual momentum, industry idiosyncratic momentum, factor momentum)"
    ),
    4: (
        "eval.<factor>_periods gains long_short_turnover_ew/_cw (both legs' sum of absolute weight changes); "
        "eval.summary gains long_short_turnover, cost_bps, long_short_net_ann_return, long_short_net_sharpe"
    ),
}
REBUILD = (
    "To rebuild: move the file aside (keep it until the new one is checked) and run the backfill again, e.g. "
    "`mv {path} {path}.old && momentum-dag backfill` (README, 'Rebuild the warehouse'); or point "
    "MOMENTUM_DUCKDB_PATH at another file."
)
DRILL_VARIABLE = "MOMENTUM_DRILL_KILL_AT"
"""Fault injection for the kill -9 drill (tests/integration/test_kill_drill.py): when set to a point name
(``write:<table>``, ``commit:<table>``, ``committed:<table>``), the process SIGKILLs itself there. Not a
setting: never set it outside a drill."""


class WarehouseLockedError(RuntimeError):
    """The DuckDB file stayed locked by another process past the retry budget."""


class WarehouseFileError(RuntimeError):
    """The file is not a (readable) DuckDB database: garbage, truncated, corrupt, or another DuckDB format."""


class WarehouseVersionError(RuntimeError):
    """The file is a DuckDB database but not a warehouse of this code's schema version (or not ours at all)."""


def drill_point(point: str) -> None:
    """Kill this process with SIGKILL if :data:`DRILL_VARIABLE` names ``point`` (the kill -9 drill)."""
    if os.environ.get(DRILL_VARIABLE) == point:
        os.kill(os.getpid(), signal.SIGKILL)


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


def connect(path: str | Path, *, timeout_seconds: float = 120.0, read_only: bool = False):
    """Open the DuckDB file, retrying while another process holds the lock.

    Raises :class:`WarehouseLockedError` (naming the holder and what to do) after ``timeout_seconds``, and
    :class:`WarehouseFileError` when the file is not a DuckDB database DuckDB can read.
    """
    path = Path(path)
    if str(path) != ":memory:" and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return _retry_locked(lambda: duckdb.connect(str(path), read_only=read_only), path, timeout_seconds)


def _retry_locked(open_file: Callable, path: Path, timeout_seconds: float):
    began = time.monotonic()
    deadline = began + timeout_seconds
    delay = 0.05
    waiting = False
    while True:
        try:
            opened = open_file()
        except duckdb.IOException as exc:
            if not _is_lock_error(exc):
                raise WarehouseFileError(file_error_message(path, exc)) from exc
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(lock_error_message(path, timeout_seconds, exc)) from exc
            if not waiting:
                waiting = True
                print(
                    f"[momentum-dag] waiting for {path}: {_holder(str(exc))} holds it; waiting up to "
                    f"{timeout_seconds:g} s (MOMENTUM_LOCK_TIMEOUT_SECONDS)",
                    file=sys.stderr,
                    flush=True,
                )
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        except duckdb.Error as exc:
            raise WarehouseFileError(file_error_message(path, exc)) from exc
        else:
            if waiting:
                print(f"[momentum-dag] got {path} after {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
            return opened


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text


def _process_command(pid: int) -> str | None:
    """The command line of process ``pid`` (Linux /proc), shortened; None when unknown."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    command = " ".join(part for part in raw.decode(errors="replace").split("\0") if part)
    return command if len(command) <= 200 else command[:197] + "..."


def _holder(text: str) -> str:
    """``PID n (command line)`` of the process DuckDB's lock error names."""
    found = re.search(r"PID (\d+)", text)
    if not found:
        return "another process"
    pid = int(found.group(1))
    command = _process_command(pid)
    return f"PID {pid}" + (f" ({command})" if command else "")


def lock_error_message(path: Path, timeout_seconds: float, exc: Exception) -> str:
    """Who holds the file (PID, command line, reader or writer) and what to do, from DuckDB's lock error."""
    text = str(exc)
    holder = _holder(text)
    budget = f"raise MOMENTUM_LOCK_TIMEOUT_SECONDS (now {timeout_seconds:g}) so that writers wait longer"
    # DuckDB adds "you would be able to open this database in read-only mode" when the holder only reads.
    if "read-only mode" in text:
        return (
            f"DuckDB file {path} is still locked after {timeout_seconds:g} s: {holder} holds it open READ-ONLY. "
            "A reader (a notebook's duckdb.connect(path, read_only=True), the DuckDB CLI, a BI tool) blocks every "
            "writer for as long as its connection stays open. Close that connection (con.close()), then read "
            "without holding the file: open and close per query (`with duckdb.connect(path, read_only=True) as "
            "con: ...`, or momentum_dag.warehouse.read_sql(sql)), or work on a copy (`momentum-dag snapshot`). "
            f"Or {budget}. (DuckDB: {text})"
        )
    return (
        f"DuckDB file {path} is still locked after {timeout_seconds:g} s: {holder} holds it for writing (another "
        "backfill, a run launched from the UI, `dagster dev` or a DuckDB client with a read-write connection). "
        "Runs take turns between writes; this one waited its whole budget. Let the holder finish (or close it), "
        f"or {budget}. (DuckDB: {text})"
    )


def file_error_message(path: Path, exc: Exception) -> str:
    """Why DuckDB could not open or read ``path``, and how to rebuild; nothing was written."""
    return (
        f"{path} cannot be used as the warehouse: {exc}. It is not a DuckDB database this DuckDB "
        f"({duckdb.__version__}) can read (another file, a truncated copy, a corrupt disk, or another DuckDB "
        "version's format). Nothing was written. " + REBUILD.format(path=path)
    )


def _looks_corrupt(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("corrupt", "checksum", "could not read enough bytes", "not a valid duckdb"))


def _user_objects(conn) -> list[str]:
    """``schema.name`` of every table and view in the open database (not temporary, not DuckDB's own)."""
    rows = conn.execute(
        "select schema_name || '.' || table_name from duckdb_tables() "
        "where not internal and not temporary and database_name = current_database() "
        "union all select schema_name || '.' || view_name from duckdb_views() "
        "where not internal and not temporary and database_name = current_database()"
    ).fetchall()
    return sorted(r[0] for r in rows)


def verify_warehouse(conn, path: str | Path, *, stamp: bool = True) -> None:
    """Stop unless ``conn`` is a momentum_dag warehouse of :data:`SCHEMA_VERSION`; stamp a new, empty file.

    A file without a stamp is new (nothing in it: stamped now when ``stamp``), older than the stamp
    (momentum_dag tables: version 1), or foreign (other tables). The raw tables' columns are also compared
    with the raw contract, so a renamed or missing column stops the run even under the right stamp.
    Raises :class:`WarehouseVersionError` naming what was found and how to rebuild.

    Every connection is checked, so the usual case (a stamped warehouse) costs one catalog query and one
    read of the stamp; the slower look at every object runs only for a file without a stamp.
    """
    columns = _meta_and_raw_columns(conn)
    if tuple(META_TABLE.split(".")) in columns:
        rows = conn.execute(f"select project, schema_version, written_by from {META_TABLE}").fetchall()
        if len(rows) != 1 or rows[0][0] != PROJECT:
            raise WarehouseVersionError(
                f"{path} is a DuckDB database of another project ({META_TABLE}: {rows}), not a {PROJECT} "
                "warehouse. Nothing was written. " + REBUILD.format(path=path)
            )
        found, written_by = int(rows[0][1]), rows[0][2]
        if found != SCHEMA_VERSION:
            _version_mismatch(path, found, f"stamped by {PROJECT} {written_by}")
    else:
        objects = _user_objects(conn)
        if not objects:
            if stamp:
                _stamp(conn)
            return
        ours = [o for o in objects if o.split(".")[0] in SCHEMAS]
        if len(ours) < len(objects):
            foreign = [o for o in objects if o not in ours][:5]
            raise WarehouseVersionError(
                f"{path} is a DuckDB database of another application (tables such as {foreign}; no "
                f"{META_TABLE} stamp), not a {PROJECT} warehouse. Nothing was written. "
                "Point MOMENTUM_DUCKDB_PATH at a new file (it is created and stamped on first use)."
            )
        _version_mismatch(path, 1, f"no {META_TABLE} stamp: written before schema versioning")
    _check_raw_columns(columns, path)


def _meta_and_raw_columns(conn) -> dict[tuple[str, str], list[str]]:
    """Columns, in order, of every table in the ``meta`` and ``raw`` schemas: one catalog query."""
    rows = conn.execute(
        "select schema_name, table_name, column_name from duckdb_columns() "
        "where database_name = current_database() and schema_name in ('meta', 'raw') "
        "order by schema_name, table_name, column_index"
    ).fetchall()
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((schema, table), []).append(column)
    return columns


def _version_mismatch(path, found: int, how: str) -> None:
    if found > SCHEMA_VERSION:
        advice = (
            "This code is older than the warehouse: update momentum_dag (git pull, pip install -e .) or point "
            "MOMENTUM_DUCKDB_PATH at another file. Nothing was written."
        )
    else:
        advice = "Nothing was written; the tables this code writes have changed since. " + REBUILD.format(path=path)
    raise WarehouseVersionError(
        f"{path} is a {PROJECT} warehouse of schema version {found} ({how}; "
        f"{SCHEMA_HISTORY.get(found, 'a version this code does not know')}), but this code reads and writes "
        f"version {SCHEMA_VERSION} ({SCHEMA_HISTORY[SCHEMA_VERSION]}). {advice}"
    )


def _stamp(conn) -> None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        written_by = version(PROJECT)
    except PackageNotFoundError:
        written_by = "unknown"
    conn.execute("begin transaction")
    try:
        conn.execute("create schema if not exists meta")
        # no timestamp: two warehouses written by the same code are identical, stamp included
        conn.execute(
            f"create table {META_TABLE} (project VARCHAR NOT NULL, schema_version INTEGER NOT NULL, written_by VARCHAR)"
        )
        conn.execute(f"insert into {META_TABLE} values (?, ?, ?)", [PROJECT, SCHEMA_VERSION, written_by])
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise


def _check_raw_columns(columns: dict[tuple[str, str], list[str]], path) -> None:
    from momentum_dag.sources.contract import RAW_TABLES

    problems = []
    for name, spec in RAW_TABLES.items():
        found = columns.get(("raw", name))
        if found is None:
            continue
        missing = [c for c in spec.columns if c not in found]
        extra = [c for c in found if c not in spec.columns]
        if missing or extra:
            problems.append(f"raw.{name}: missing {missing}, unexpected {extra}")
    if problems:
        raise WarehouseVersionError(
            f"{path} has raw tables whose columns differ from this code's raw contract "
            f"(momentum_dag/sources/contract.py): {'; '.join(problems)}. It was written by another version of "
            f"{PROJECT} (or edited by hand). Nothing was written. " + REBUILD.format(path=path)
        )


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


def _check_inside_window(rows: pd.DataFrame | Path, table: str, date_column: str, start: date, end: date) -> int:
    """Refuse rows dated outside [start, end) or undated; returns the number of rows. ``rows`` is a frame or
    a Parquet file (only its date column is read)."""
    columns = rows.columns if isinstance(rows, pd.DataFrame) else pq.read_schema(rows).names
    if date_column not in columns:
        raise ValueError(f"{table}: rows to write have no date column {date_column!r}")
    frame = rows if isinstance(rows, pd.DataFrame) else pd.read_parquet(rows, columns=[date_column])
    dates = pd.to_datetime(frame[date_column])
    if dates.isna().any():
        raise ValueError(f"{table}: {int(dates.isna().sum())} rows have no {date_column}")
    outside = (dates < pd.Timestamp(start)) | (dates >= pd.Timestamp(end))
    if outside.any():
        first = dates[outside].iloc[0].date()
        raise ValueError(
            f"{table}: {int(outside.sum())} rows have {date_column} outside the window [{start}, {end}), "
            f"e.g. {first}; refusing to write outside the partition window"
        )
    return len(frame)


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

    ``tables`` maps table -> (date column, optional CREATE DDL). ``chunks`` yields dicts table -> rows, a
    DataFrame or a Parquet file; chunks are consumed inside the transaction, so a generator (e.g. a
    simulator producing one year at a time) never needs the whole window in memory. Prefer files for long
    windows: DuckDB streams them into the table within its memory limit, where inserting frames keeps the
    whole transaction in the process (4.5 GB instead of 2.1 GB for 20 years of 5,000 stocks). Rows outside
    the window or any error roll back all tables: nothing is half-written. ``guard``, if given, sees every
    table's :class:`WriteResult` after the inserts and before the commit; raising there rolls everything
    back (the raw layer's "nothing lost" check, :mod:`momentum_dag.sources.guard`).
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
            for table, rows in chunk.items():
                date_column = tables[table][0]
                n_rows = _check_inside_window(rows, table, date_column, start, end)
                if table not in cleared and table_exists(conn, table):
                    replaced[table] = _delete_window(conn, table, date_column, start, end)
                    cleared.add(table)
                if n_rows:
                    if isinstance(rows, pd.DataFrame):
                        conn.register("_window_chunk", rows)
                        source, params = "_window_chunk", {}
                    else:
                        source, params = "read_parquet($file)", {"file": str(rows)}
                    if not table_exists(conn, table):
                        # an empty frame's dtypes say nothing, so only rows define a new table
                        conn.execute(f"create table {table} as select * from {source} limit 0", params)
                        cleared.add(table)
                    conn.execute(f"insert into {table} by name select * from {source}", params)
                    if isinstance(rows, pd.DataFrame):
                        conn.unregister("_window_chunk")
                    written[table] += n_rows
                    drill_point(f"write:{table}")
        for table, (date_column, _) in tables.items():
            if table not in cleared and table_exists(conn, table):
                replaced[table] = _delete_window(conn, table, date_column, start, end)
        results = {t: WriteResult(t, written[t], replaced[t], start, end) for t in tables}
        if guard is not None:
            guard(results)
        _drill_all("commit", tables)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    _drill_all("committed", tables)
    return results


def _drill_all(point: str, tables: Iterable[str]) -> None:
    for table in tables:
        drill_point(f"{point}:{table}")


def _delete_window(conn, table: str, date_column: str, start: date, end: date) -> int:
    return conn.execute(f"delete from {table} where {date_column} >= ? and {date_column} < ?", [start, end]).fetchall()[
        0
    ][0]


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
            drill_point(f"write:{table}")
        if notes_table is not None:
            conn.execute(f"create table if not exists {notes_table} (asset VARCHAR, note VARCHAR)")
            conn.execute(f"delete from {notes_table} where asset = ?", [asset])
            if notes:
                conn.executemany(f"insert into {notes_table} values (?, ?)", [[asset, str(n)] for n in notes])
        _drill_all("commit", frames)
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    _drill_all("committed", frames)
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
    """The project's DuckDB file as a Dagster resource: short-lived connections with a lock retry budget,
    each checked to be a warehouse of this code's schema version before use."""

    lock_timeout_seconds: int = Field(default=120, description="Seconds to wait for another writer.")
    memory_limit: str | None = Field(default=None, description="DuckDB's memory_limit (None: DuckDB's default).")

    def setup_for_execution(self, context) -> None:
        # Tag the run with this process, so that a later start can tell a run killed with its process
        # (kill -9, out of memory) from one still running, and mark it failed (momentum_dag.runs).
        from momentum_dag.runs import tag_run_with_process

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


def write_window_sql(
    conn,
    table: str,
    select_sql: str,
    params: dict | list[dict],
    *,
    date_column: str,
    start: date | datetime | pd.Timestamp,
    end: date | datetime | pd.Timestamp,
) -> WriteResult:
    """Replace the rows of ``table`` in [start, end) by the rows of a SELECT, inside DuckDB, atomically.

    The SELECT gets ``$window_start``/``$window_end`` bind parameters. A list of parameter sets runs it
    once per set (consecutive sub-windows of [start, end), oldest first) in the same transaction, so a
    long window costs one sub-window's memory. Rows outside the (sub-)window abort the transaction.
    """
    start, end = _as_date(start), _as_date(end)
    runs = params if isinstance(params, list) else [params]
    conn.execute("begin transaction")
    try:
        ensure_schemas(conn)
        replaced = _delete_window(conn, table, date_column, start, end) if table_exists(conn, table) else 0
        written = 0
        for bound in runs:
            lo, hi = _as_date(bound.get("window_start", start)), _as_date(bound.get("window_end", end))
            conn.execute(f"create temp table _model_rows as {select_sql}", bound)
            outside = conn.execute(
                f"select count(*) from _model_rows where {date_column} < ? or {date_column} >= ? "
                f"or {date_column} is null",
                [lo, hi],
            ).fetchall()[0][0]
            if outside:
                raise ValueError(f"{table}: model returned {outside} rows with {date_column} outside [{lo}, {hi})")
            if not table_exists(conn, table):
                conn.execute(f"create table {table} as select * from _model_rows limit 0")
            written += conn.execute(f"insert into {table} by name select * from _model_rows").fetchall()[0][0]
            conn.execute("drop table _model_rows")
        drill_point(f"write:{table}")
        drill_point(f"commit:{table}")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    drill_point(f"committed:{table}")
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
        drill_point(f"write:{table}")
        drill_point(f"commit:{table}")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    drill_point(f"committed:{table}")
    today = date.today()
    return WriteResult(table, len(df), int(replaced), today, today)


# ---- readers: notebooks and other tools -----------------------------------------------------------------


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

        path = Settings.from_env().duckdb_path
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
        _retry_locked(
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


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
