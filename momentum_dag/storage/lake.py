"""The DuckLake backend: catalog in SQLite or PostgreSQL, data as Parquet files in a folder or on S3.

A DuckLake admits many writers at once (each transaction commits one snapshot; readers see the snapshot
their transaction started on), so no lock of ours guards it: the catalog database decides. A transaction
that loses a race (a logical conflict, or the SQLite catalog busy with another commit) fails at commit and
is run again whole by :func:`in_transaction`, on the data the winner committed.

Two window writes of the same table conflict through :func:`mark_write`: each deletes and re-inserts the
table's row of ``meta.table_writes`` inside its transaction, and two transactions deleting the same row
conflict in DuckLake. Without it two writers of one EMPTY window (nothing to delete) would both insert
their rows and both commit: two copies.

Extensions: DuckDB loads ``ducklake``, ``sqlite_scanner``, ``postgres_scanner`` and ``httpfs`` from the
``duckdb-extension-*`` wheels (pinned with duckdb in pyproject.toml), linked into a project extension
directory laid out as DuckDB expects (``v<version>/<platform>/<name>.duckdb_extension``), with automatic
installation off: nothing is downloaded at run time. DuckDB checks each file's signature when it loads it
(hashing the whole 20-40 MB file: 0.5-0.9 s of every process that attaches a lake, measured on 2 loaded
cores). :func:`check_extension_signatures` does it once in a process that then forks (the multiprocess
executor's forkserver): its children load the very files it checked (same device, inode, size and
modification time) without checking again; any other file, or a changed one, is checked as usual.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb

LAKE = "lake"
"""The name the DuckLake is attached under (and made the default database: ``USE lake``)."""
MARKER_TABLE = "meta.table_writes"
EXTENSIONS = {"ducklake": "ducklake", "sqlite": "sqlite_scanner", "postgres": "postgres_scanner", "httpfs": "httpfs"}
"""Wheel ``duckdb_extension_<key>`` -> the extension name DuckDB loads (the file's entry point)."""
RETRY_ATTEMPTS = 60
RETRY_MAX_WAIT = 5.0
RECHECKS = 3

T = TypeVar("T")


class LakeConfigError(ValueError):
    """The DuckLake settings are inconsistent or incomplete (names the variable to fix)."""


@dataclass(frozen=True)
class LakeConfig:
    """Where a DuckLake lives: ``catalog`` (``sqlite:<file>`` or ``postgres:<libpq string>``) and
    ``data_path`` (a folder or ``s3://bucket/prefix``), and the S3 endpoint and credentials."""

    catalog: str
    data_path: str
    s3_endpoint: str | None = None
    s3_region: str | None = None
    s3_url_style: str = "path"
    s3_use_ssl: bool = True
    s3_key_id: str | None = None
    s3_secret: str | None = None

    def check(self) -> None:
        kind, _, target = self.catalog.partition(":")
        if kind not in ("sqlite", "postgres") or not target:
            raise LakeConfigError(
                "MOMENTUM_DUCKLAKE_CATALOG must be sqlite:<catalog file> or postgres:<libpq connection string>, "
                f"got {self.catalog!r}"
            )
        if not self.data_path:
            raise LakeConfigError("MOMENTUM_DUCKLAKE_DATA_PATH must name a folder or an s3://bucket/prefix")
        if self.on_s3 and not (self.s3_key_id and self.s3_secret):
            raise LakeConfigError(
                f"MOMENTUM_DUCKLAKE_DATA_PATH {self.data_path} is on S3: set MOMENTUM_S3_KEY_ID and "
                "MOMENTUM_S3_SECRET (and MOMENTUM_S3_ENDPOINT for an S3-compatible server)"
            )

    @property
    def on_s3(self) -> bool:
        return self.data_path.startswith("s3://")

    @property
    def label(self) -> str:
        """What errors and logs call this lake: the catalog without a password, and the data path."""
        kind, _, target = self.catalog.partition(":")
        if kind == "postgres":
            target = " ".join(p for p in target.split() if not p.lower().startswith("password"))
        return f"DuckLake {kind}:{target} (data {self.data_path})"


def extension_directory() -> Path:
    """A DuckDB extension directory holding the wheels' extension files under the names DuckDB expects
    (links, made once per DuckDB version and platform; looked up once per process and its forked children)."""
    return _platform_folder().parents[1]


@functools.cache
def _platform_folder() -> Path:
    """The extension directory's ``v<version>/<platform>`` folder, its links made (atomically: another process
    making the same links is harmless)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "momentum_dag" / "duckdb_extensions"
    platform = duckdb.connect().execute("pragma platform").fetchone()[0]
    folder = base / f"v{duckdb.__version__}" / platform
    folder.mkdir(parents=True, exist_ok=True)
    for wheel, name in EXTENSIONS.items():
        target = folder / f"{name}.duckdb_extension"
        source = _wheel_file(wheel)
        if target.exists() and target.resolve() == source.resolve():
            continue
        temporary = folder / f".{name}.{os.getpid()}.link"
        temporary.unlink(missing_ok=True)
        os.symlink(source, temporary)
        os.replace(temporary, target)
    return folder


def _wheel_file(wheel: str) -> Path:
    spec = importlib.util.find_spec(f"duckdb_extension_{wheel}")
    found = []
    if spec is not None and spec.submodule_search_locations:
        root = Path(list(spec.submodule_search_locations)[0]) / "extensions" / f"v{duckdb.__version__}"
        found = sorted(root.glob("*.duckdb_extension"))
    if not found:
        raise RuntimeError(
            f"the DuckLake backend needs the wheel duckdb-extension-{wheel}=={duckdb.__version__} (pinned in "
            "pyproject.toml with duckdb): reinstall the project (pip install -e .)"
        )
    return found[0]


def _identity(path: Path) -> tuple:
    found = path.stat()  # of the file the link points to
    return (str(path.resolve()), found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)


_SIGNATURES_CHECKED: set[tuple] = set()
"""Identities (:func:`_identity`) of extension files whose signature DuckDB checked in this process (or in
the process this one was forked from)."""


def check_extension_signatures() -> None:
    """Load every extension of :data:`EXTENSIONS` once, with DuckDB's signature check, in a throwaway
    instance, and remember which files passed: a process forked after this loads those same files without
    checking their signatures again (see the module's docstring). Called by the multiprocess executor's
    forkserver (:mod:`momentum_dag.runtime.preload`) when the warehouse is a DuckLake."""
    folder = _platform_folder()
    conn = duckdb.connect(
        config={"extension_directory": str(extension_directory()), "autoinstall_known_extensions": False}
    )
    try:
        for name in EXTENSIONS.values():
            before = _identity(folder / f"{name}.duckdb_extension")
            conn.execute(f"load {name}")
            if _identity(folder / f"{name}.duckdb_extension") == before:  # not re-linked meanwhile
                _SIGNATURES_CHECKED.add(before)
    finally:
        conn.close()


def _signatures_checked() -> bool:
    """Whether every extension file in the extension directory is one whose signature was checked here."""
    if not _SIGNATURES_CHECKED:
        return False
    try:
        return all(_identity(path) in _SIGNATURES_CHECKED for path in _platform_folder().iterdir())
    except OSError:
        return False


_OPEN: dict[tuple, duckdb.DuckDBPyConnection] = {}


def lake_session(config: LakeConfig, *, memory_limit: str | None = None):
    """A new session (DuckDB cursor, its own transactions) on this process's DuckDB instance that has the
    DuckLake attached as ``lake`` and in use; close it when done.

    The instance (extensions loaded, catalog attached: about a second) is made once per process and lake;
    each session's transaction reads the snapshot that was current when it began, so other processes'
    commits are seen by the next transaction.
    """
    key = (config, memory_limit, os.getpid())  # a forked child opens its own
    if key not in _OPEN:
        _OPEN[key] = open_lake(config, memory_limit=memory_limit)
    session = _OPEN[key].cursor()
    session.execute(f"use {LAKE}")
    return session


def open_lake(config: LakeConfig, *, memory_limit: str | None = None, read_only: bool = False):
    """An in-memory DuckDB session with the DuckLake attached as ``lake`` and in use."""
    config.check()
    options = {
        "extension_directory": str(extension_directory()),
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": True,
    }
    if _signatures_checked():
        options["allow_unsigned_extensions"] = True  # the same files' signatures were checked before the fork
    conn = duckdb.connect(config=options)
    try:
        if memory_limit:
            conn.execute(f"set memory_limit = '{memory_limit}'")
        conn.execute("set enable_progress_bar = false")
        if config.on_s3:
            _s3_secret(conn, config)
        kind, _, target = config.catalog.partition(":")
        if kind == "sqlite":
            _sqlite_catalog(Path(target))
        elif not config.on_s3:
            Path(config.data_path).mkdir(parents=True, exist_ok=True)
        data_path = config.data_path if config.data_path.endswith("/") else config.data_path + "/"
        options = [f"DATA_PATH {_literal(data_path)}"]
        if read_only:
            options.append("READ_ONLY")
        attach = f"attach {_literal('ducklake:' + config.catalog)} as {LAKE} ({', '.join(options)})"
        _retry(lambda: conn.execute(attach), f"attaching {config.label}")
        conn.execute(f"use {LAKE}")
    except BaseException:
        conn.close()
        raise
    return conn


def _sqlite_catalog(path: Path) -> None:
    """Create a SQLite catalog file in WAL mode (kept by the file): a reader's transaction then never blocks
    a writer's commit, as it does in SQLite's default rollback-journal mode."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as catalog:
        catalog.execute("pragma journal_mode = wal")
    catalog.close()


def _s3_secret(conn, config: LakeConfig) -> None:
    """The S3 credentials as a DuckDB secret (temporary: held by this session only, never written or logged)."""
    parts = ["TYPE s3", f"KEY_ID {_literal(config.s3_key_id)}", f"SECRET {_literal(config.s3_secret)}"]
    if config.s3_endpoint:
        parts.append(f"ENDPOINT {_literal(config.s3_endpoint)}")
    if config.s3_region:
        parts.append(f"REGION {_literal(config.s3_region)}")
    parts.append(f"URL_STYLE {_literal(config.s3_url_style)}")
    parts.append(f"USE_SSL {'true' if config.s3_use_ssl else 'false'}")
    bucket = "/".join(config.data_path.split("/")[:3])  # s3://bucket
    parts.append(f"SCOPE {_literal(bucket)}")
    conn.execute(f"create or replace temporary secret momentum_s3 ({', '.join(parts)})")


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def is_lake(conn) -> bool:
    """Whether ``conn``'s default database is a DuckLake."""
    found = conn.execute("select type from duckdb_databases() where database_name = current_database()").fetchall()
    return bool(found) and found[0][0] == "ducklake"


def is_conflict(exc: BaseException) -> bool:
    """A commit another writer's commit made fail: run the transaction again."""
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and any(
        phrase in text
        for phrase in (
            "failed to commit ducklake transaction",
            "transaction conflict",
            "conflict",
            "database is locked",
            "could not serialize access",
        )
    )


def _is_concurrent_init(exc: BaseException) -> bool:
    """Two processes creating the same new catalog at once (PostgreSQL: the loser's CREATE TABLE fails)."""
    text = str(exc).lower()
    return "failed to initialize ducklake" in text and ("duplicate key" in text or "already exists" in text)


def _retry(action: Callable[[], T], what: str) -> T:
    for attempt in range(RETRY_ATTEMPTS):
        try:
            return action()
        except duckdb.Error as exc:
            if not (is_conflict(exc) or _is_concurrent_init(exc)) or attempt == RETRY_ATTEMPTS - 1:
                raise
            _wait(attempt, what, exc)
    raise AssertionError("unreachable")


def _wait(attempt: int, what: str, exc: BaseException, why: str = "another writer committed first") -> None:
    if attempt in (0, 10, 30):
        first = str(exc).strip().splitlines()[-1][:200]
        print(f"[momentum-dag] {what}: {why} ({first}); retrying", file=sys.stderr, flush=True)
    time.sleep(min(RETRY_MAX_WAIT, 0.05 * 1.5**attempt) * (0.5 + random.random()))


def rollback(conn) -> None:
    """Roll back the open transaction, if any (a failed commit has already ended it)."""
    try:
        conn.execute("rollback")
    except duckdb.Error as exc:
        if "no transaction is active" not in str(exc):
            raise


def in_transaction(
    conn, body: Callable[[], T], *, what: str = "a write", recheck: Callable[[BaseException], bool] | None = None
) -> T:
    """Run ``body`` in one transaction and commit; on a DuckLake conflict at commit, run it all again.

    ``body`` must be repeatable (it re-reads what it needs, and re-deletes before it re-inserts). A DuckDB
    file never conflicts (one writer at a time), so there it runs once.

    ``recheck``: on a DuckLake, an error of ``body`` for which it returns True is checked again in a new
    transaction (up to :data:`RECHECKS` times) before it is raised. For checks that read the table being
    replaced: the DuckLake extension of duckdb 1.5.5 can, while another process commits to the same table,
    show a transaction rows of both the old and the new version (a window seen with twice its rows; such a
    transaction could not have committed, its commit conflicts). A real problem repeats; that one does not.
    """
    lake = is_lake(conn)
    rechecks = 0
    for attempt in range(RETRY_ATTEMPTS):
        conn.execute("begin transaction")
        try:
            result = body()
            conn.execute("commit")
        except BaseException as exc:
            rollback(conn)
            if lake and recheck is not None and recheck(exc) and rechecks < RECHECKS:
                rechecks += 1
                _wait(attempt, what, exc, "refused by its check, which is asked again in a new transaction")
                continue
            if not (lake and is_conflict(exc)) or attempt == RETRY_ATTEMPTS - 1:
                raise
            _wait(attempt, what, exc)
            continue
        return result
    raise AssertionError("unreachable")


def mark_write(conn, tables) -> None:
    """Inside a DuckLake transaction: replace the ``meta.table_writes`` row of each table, so that two
    transactions writing one table conflict (see the module's docstring). No-op on a DuckDB file."""
    if not is_lake(conn):
        return
    conn.execute("create schema if not exists meta")
    conn.execute(f"create table if not exists {MARKER_TABLE} (table_name VARCHAR, writes BIGINT)")
    for table in sorted(tables):
        conn.execute(f"delete from {MARKER_TABLE} where table_name = ?", [table])
        conn.execute(f"insert into {MARKER_TABLE} values (?, 1)", [table])


def compact(conn, *, older_than_hours: float = 0.0) -> dict[str, int]:
    """DuckLake maintenance with DuckLake's own functions: rewrite the files most of whose rows were deleted
    (a re-run month deletes its window's rows), merge adjacent small files, expire the snapshots older than
    ``older_than_hours``, delete the files no snapshot references any more once they were scheduled for
    deletion that long ago (a reader's transaction may still scan them until then), and the orphaned files
    older than that (written by a transaction that never committed: a writer that lost a conflict and ran
    again, or was killed; a writer's transaction still open may yet commit a younger one). Returns how many
    of each; on a DuckDB file, a CHECKPOINT (and zeros)."""
    names = ("rewritten", "merged", "expired_snapshots", "deleted_files", "deleted_orphans")
    if not is_lake(conn):
        conn.execute("checkpoint")
        return dict.fromkeys(names, 0)
    since = [int(older_than_hours * 3600 * 1e6)]
    older = "older_than => now() - to_microseconds(?)"
    calls = (
        (f"call ducklake_rewrite_data_files('{LAKE}')", []),
        (f"call ducklake_merge_adjacent_files('{LAKE}')", []),
        (f"call ducklake_expire_snapshots('{LAKE}', {older})", since),
        (f"call ducklake_cleanup_old_files('{LAKE}', {older})", since),
        (f"call ducklake_delete_orphaned_files('{LAKE}', {older})", since),
    )
    return {name: len(conn.execute(sql, params).fetchall()) for name, (sql, params) in zip(names, calls, strict=True)}
