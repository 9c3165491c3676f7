"""Dagster's bookkeeping in its SQLite instance: commits without waiting for the disk, one per event or
per batch of a step output's asset events.

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
Every event outside a batch (below) is still its own committed transaction; an idle SQLite connection
holds no lock, so the UI and other runs read and write the same files as before.

A range run's output stores one materialization per partition: ~5,900 in a demo's month, each two
transactions (the run's file and the index) with the asset-key row rewritten every time. Dagster hands a
step output's materializations to its storage as one batch when ``DAGSTER_EVENT_BATCH_SIZE`` > 0, but its
SQLite storage stores a batch event by event. :func:`batch_event_writes` turns batching on for the
process and gives the SQLite event log a batch write: one transaction per file per batch, the asset-key
row written once per key; the rows stored are the same as event by event (``tests/test_bookkeeping.py``).
A batch's events become visible together when its step output has been handled (Dagster emits them in
one loop there); a run's events that Dagster does not batch (step and run events, check evaluations) are
stored one by one as before. ``DAGSTER_EVENT_BATCH_SIZE=0`` in the environment keeps Dagster's path.

The CLI also asks Dagster for one "planned" event per asset for a range run instead of one per partition
(``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``): half the events of a backfill. The price, in
Dagster's words: the partitions of a range run that fails show as missing, not as failed. Each
partition's materialization is still recorded, with its own metadata.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from contextlib import contextmanager

import dagster as dg
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
EVENT_BATCH_SIZE = "DAGSTER_EVENT_BATCH_SIZE"
"""Dagster's switch for batched event writes (read by ``DagsterInstance.handle_new_event`` at each event)."""
_BATCH_SIZE = 1000
"""Events per batch: a 20-year monthly range (251 partitions) is one batch; a batch of 1,000 holds the
index file's write lock for well under a second."""


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
    within_batch = _open_in_batch(self).get((threading.get_ident(), shard))
    if within_batch is not None:  # Dagster's own code called inside a batch write: its transaction
        yield within_batch
        return
    with self._db_lock:
        engine = _engine(self, shard)
        with engine.connect() as conn, conn.begin():
            yield conn


def _open_in_batch(storage) -> dict:
    """(thread, shard) -> the connection a batch write of this thread holds open in its transaction."""
    return storage.__dict__.setdefault("_momentum_batch_connections", {})


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


def batch_event_writes() -> None:
    """Store each step output's asset events as one batch in Dagster's SQLite event log (idempotent).

    Sets ``DAGSTER_EVENT_BATCH_SIZE`` for this process and the processes it starts unless it is set
    (``0`` keeps Dagster's event-by-event writes), and replaces the SQLite storage's ``store_event_batch``
    (which stored a batch event by event) by :func:`_store_event_batch`. Needs the kept engines of
    :func:`reuse_event_log_connections`, which it installs. Also :func:`_remember_tables`: the storage
    asks whether an index table exists at each tagged materialization, check evaluation and asset read.
    """
    from momentum_dag.runtime.dagster_private import SqliteEventLogStorage

    reuse_event_log_connections()
    os.environ.setdefault(EVENT_BATCH_SIZE, str(_BATCH_SIZE))
    if getattr(SqliteEventLogStorage.store_event_batch, "one_transaction", False):
        return
    SqliteEventLogStorage.has_table = _remember_tables(SqliteEventLogStorage.has_table)
    global _store_event_by_event
    _store_event_by_event = SqliteEventLogStorage.store_event_batch
    SqliteEventLogStorage.store_event_batch = _store_event_batch


_store_event_by_event = None
"""The storage's own ``store_event_batch`` (Dagster's base class: ``store_event`` for each event)."""


def _batchable(event) -> bool:
    """An event the batch write stores: one Dagster batches (a step output's asset events, a run's planned
    events), which the SQLite storage's ``store_event`` writes to the run's file and the index, with its
    asset-event tags and asset-key row (asset events) or its planned check rows (planned checks)."""
    from momentum_dag.runtime.dagster_private import (
        ASSET_CHECK_EVENTS,
        ASSET_EVENTS,
        BATCH_WRITABLE_EVENTS,
        EVENT_TYPE_TO_PIPELINE_RUN_STATUS,
    )

    kind = event.dagster_event_type if event.is_dagster_event else None
    if kind not in BATCH_WRITABLE_EVENTS or kind in EVENT_TYPE_TO_PIPELINE_RUN_STATUS:
        return False
    if kind in ASSET_CHECK_EVENTS:
        return kind == _CHECK_PLANNED
    return kind in ASSET_EVENTS and event.get_dagster_event().asset_key is not None


_CHECK_PLANNED = dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED


def _store_event_batch(self, events) -> None:
    """What ``SqliteEventLogStorage.store_event`` writes for each event, in one transaction per file.

    In the order of the events: their rows in the run's file, the same rows in the index file (their
    ids: the storage ids the UI and ``last_materialization`` name); for the asset events their indexed
    tags, then each asset key's row once with the columns the last event of each kind sets (Dagster's
    per-event path writes the row at each event; a materialization sets the same columns every time, and
    so does a planned event or an observation, so only the last of each kind decides the row); for a
    planned check, Dagster's own ``store_asset_check_event`` (its connection is the batch's). The index
    transaction commits inside the run file's: an error before it leaves neither file written, and
    Dagster then stores the events one by one. A batch with any other event, or events of several runs,
    is stored event by event, as before.
    """
    from momentum_dag.runtime.dagster_private import INDEX_SHARD_NAME, SqlEventLogStorageTable

    events = list(events)
    run_ids = {entry.run_id for entry in events}
    if len(run_ids) != 1 or not all(_batchable(entry) for entry in events):
        _store_event_by_event(self, events)
        return
    (run_id,) = run_ids
    rows = [self._event_to_row(entry) for entry in events]
    with self._db_lock:
        run_engine = _engine(self, run_id)
        index_engine = _engine(self, INDEX_SHARD_NAME)
        with run_engine.connect() as run_conn, run_conn.begin():
            run_conn.execute(SqlEventLogStorageTable.insert(), rows)
            with index_engine.connect() as conn, conn.begin():
                ids = _insert_events(conn, rows)
                assets = [(e, i) for e, i in zip(events, ids, strict=True) if e.dagster_event_type != _CHECK_PLANNED]
                checks = [(e, i) for e, i in zip(events, ids, strict=True) if e.dagster_event_type == _CHECK_PLANNED]
                if assets:
                    self._store_asset_event_tags(conn, [e for e, _ in assets], [i for _, i in assets])
                    _write_asset_keys(self, conn, assets)
                held = _open_in_batch(self)
                held[(threading.get_ident(), INDEX_SHARD_NAME)] = conn
                try:
                    for entry, event_id in checks:
                        self.store_asset_check_event(entry, event_id)
                finally:
                    del held[(threading.get_ident(), INDEX_SHARD_NAME)]


_store_event_batch.one_transaction = True


def _insert_events(conn, rows: list[dict]) -> list[int]:
    """Insert the event rows in order; their ids, in the same order."""
    from momentum_dag.runtime.dagster_private import SqlEventLogStorageTable

    table = SqlEventLogStorageTable
    if conn.dialect.insert_executemany_returning_sort_by_parameter_order:
        return list(conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    return [conn.execute(table.insert().values(**row)).inserted_primary_key[0] for row in rows]


def _write_asset_keys(storage, conn, events_and_ids) -> None:
    """Each asset key's row as Dagster's ``_store_asset_event`` leaves it after the events in order."""
    from momentum_dag.runtime.dagster_private import AssetKeyTable

    last_of_kind = {}  # (asset key, event type) -> (event, id), in the order of the events
    for entry, event_id in events_and_ids:
        kind = (entry.get_dagster_event().asset_key.to_string(), entry.dagster_event_type)
        last_of_kind.pop(kind, None)
        last_of_kind[kind] = (entry, event_id)
    has_index_columns = storage._has_asset_key_index_cols_on_connection(conn)
    values = {entry.get_dagster_event().asset_key.to_string(): {} for entry, _ in events_and_ids}  # first seen first
    for (key, _), (entry, event_id) in last_of_kind.items():
        values[key].update(storage._get_asset_entry_values(entry, event_id, has_index_columns))
    for key, columns in values.items():
        if not columns:
            continue
        table = AssetKeyTable
        if conn.execute(table.update().values(**columns).where(table.c.asset_key == key)).rowcount == 0:
            conn.execute(table.insert().values(asset_key=key, **columns))


def _remember_tables(has_table):
    """``has_table`` that remembers, per storage object, the index tables it found.

    Dagster's SQLite ``has_table`` builds an engine and opens the index file to answer (~1-2 ms; ~350
    times in a small month). A table of the index file is never dropped (``wipe`` deletes rows; schema
    migrations add tables), so a table found stays found; one not found is asked again each time.
    """

    def has_table_remembered(self, table_name: str) -> bool:
        found = self.__dict__.setdefault("_momentum_tables_found", set())
        if table_name in found:
            return True
        if has_table(self, table_name):
            found.add(table_name)
            return True
        return False

    return has_table_remembered
