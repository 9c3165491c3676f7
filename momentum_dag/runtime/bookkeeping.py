"""Dagster's bookkeeping in its SQLite instance: one commit per event, without waiting for the disk.

A range run writes one materialization per asset partition (and as many "planned" events at its start);
by default each SQLite commit waits for an fsync, ~30 ms here, which made Dagster's bookkeeping most of a
backfill's time. With ``PRAGMA synchronous=OFF`` a commit hands the data to the operating system and
returns (~7 ms): a killed process loses nothing it committed; only an operating-system crash or a power
cut during a write can damage the run history (never the DuckDB warehouse, which has its own log).
``MOMENTUM_DAGSTER_FAST_COMMITS=0`` keeps SQLite's default.

The CLI also asks Dagster for one "planned" event per asset for a range run instead of one per partition
(``DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS``): half the events of a backfill. The price, in
Dagster's words: the partitions of a range run that fails show as missing, not as failed. Each
partition's materialization is still recorded, with its own metadata.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

_installed = False


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
