"""Dagster's bookkeeping in its SQLite instance: one commit per event, without waiting for the disk.

A range run writes one materialization per asset partition (and as many "planned" events at its start);
by default each SQLite commit waits for an fsync, ~30 ms here, which made Dagster's bookkeeping most of a
backfill's time. With ``PRAGMA synchronous=OFF`` a commit hands the data to the operating system and
returns (~7 ms): a killed process loses nothing it committed; only an operating-system crash or a power
cut during a write can damage the run history (never the DuckDB warehouse, which has its own log).
``MOMENTUM_DAGSTER_FAST_COMMITS=0`` keeps SQLite's default.

Dagster's SQLite event log also builds a new SQLAlchemy engine and opens a new SQLite connection for
every event it stores (twice for a materialization: the run's file and the cross-run index), then closes
them. With fast commits on, :func:`reuse_event_log_connections` keeps one engine per file open for the
process instead (an event: ~45 ms -> ~11 ms on the busy 2-core machine; a scale backfill stores ~20,000).
Every event is still its own committed transaction; an idle SQLite connection holds no lock, so the UI
and other runs read and write the same files as before.

The CLI also asks Dagster for one "planned" event per asset for a range run instead of one per partition
(``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``): half the events of a backfill. The price, in
Dagster's words: the partitions of a range run that fails show as missing, not as failed. Each
partition's materialization is still recorded, with its own metadata.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False
_RUN_FILES_KEPT = 4
"""Run files whose engines stay open per storage and process (a long-lived process sees many runs)."""


def _no_fsync(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()


PLANNED_EVENTS_AS_RANGES = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


def fast_sqlite_commits() -> None:
    """Make every SQLite connection this process opens commit without fsync (idempotent)."""
    global _installed
    if not _installed:
        event.listen(Engine, "connect", _no_fsync)
        _installed = True


def reuse_event_log_connections() -> None:
    """Make Dagster's SQLite event log in this process keep its engines (and their connections) open
    between events instead of opening and closing the file for each one (idempotent).

    Per storage object and per process (a forked process opens its own; an SQLite connection must not
    cross a fork), one engine for the index file and for at most :data:`_RUN_FILES_KEPT` run files (the
    least recently used is closed). A file Dagster has not initialized in this storage (new, or deleted by
    ``wipe``) gets a new engine, as Dagster's own code would.
    """
    from momentum_dag.runtime.dagster_private import SqliteEventLogStorage

    if getattr(SqliteEventLogStorage._connect, "reuses_engines", False):
        return
    SqliteEventLogStorage._connect = _connect_reusing
    SqliteEventLogStorage.dispose = _dispose_reusing(SqliteEventLogStorage.dispose)


@contextmanager
def _connect_reusing(self, shard: str):
    with self._db_lock:
        engine = _engine(self, shard)
        with engine.connect() as conn, conn.begin():
            yield conn


_connect_reusing.reuses_engines = True


def _engines(storage) -> OrderedDict:
    by_process = storage.__dict__.setdefault("_momentum_engines", {})
    return by_process.setdefault(os.getpid(), OrderedDict())


def _engine(storage, shard: str) -> Engine:
    from momentum_dag.runtime.dagster_private import SQLITE_BUSY_TIMEOUT_SECONDS, create_engine

    engines = _engines(storage)
    if shard not in storage._initialized_dbs or shard not in engines:
        stale = engines.pop(shard, None)
        if stale is not None:
            stale.dispose()
        engine = create_engine(
            storage.conn_string_for_shard(shard), connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS}
        )
        if shard not in storage._initialized_dbs:
            storage._initdb(engine)
            storage._initialized_dbs.add(shard)
        engines[shard] = engine
    engines.move_to_end(shard)
    runs = [name for name in engines if name != "index"]
    for name in runs[: max(0, len(runs) - _RUN_FILES_KEPT)]:
        engines.pop(name).dispose()
    return engines[shard]


def _dispose_reusing(dispose):
    def dispose_engines(self) -> None:
        for engine in self.__dict__.pop("_momentum_engines", {}).get(os.getpid(), {}).values():
            engine.dispose()
        dispose(self)

    return dispose_engines
