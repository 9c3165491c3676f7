"""Dagster's SQLite event log keeps its connections open for the process (runtime/bookkeeping.py): each
stored event no longer opens and closes its files, every event is still committed and readable, an idle
kept connection blocks no other writer, and a wiped storage starts over on new files."""

import sqlite3

import dagster as dg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from momentum_dag.runtime.bookkeeping import _RUN_FILES_KEPT, reuse_event_log_connections


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    reuse_event_log_connections()
    with dg.DagsterInstance.get() as instance:
        yield instance


@pytest.fixture
def opened():
    """The SQLite connections opened while the test runs (SQLAlchemy's connect event)."""
    count = []

    def on_connect(dbapi_connection, record):
        count.append(1)

    event.listen(Engine, "connect", on_connect)
    yield count
    event.remove(Engine, "connect", on_connect)


def _store(instance, n: int, name: str = "a") -> None:
    for i in range(n):
        instance.report_runless_asset_event(dg.AssetMaterialization(dg.AssetKey(name), metadata={"i": i}))


def _stored(instance, name: str = "a") -> list[int]:
    records = instance.fetch_materializations(dg.AssetKey(name), limit=1000).records
    return sorted(r.asset_materialization.metadata["i"].value for r in records)


def test_events_reuse_one_connection_per_file_and_are_all_committed(instance, opened):
    _store(instance, 1)  # opens the run file and the index file once
    before = len(opened)
    _store(instance, 30)
    assert len(opened) == before  # Dagster's own code opens two connections per materialization
    assert _stored(instance) == sorted([0, *range(30)])
    # an idle kept connection holds no lock: another writer gets the index file at once
    path = instance.event_log_storage.path_for_shard("index")
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    other.execute("CREATE TABLE IF NOT EXISTS probe (x)")
    other.commit()
    other.close()
    _store(instance, 1)  # and the kept connection still writes after the other writer
    assert len(_stored(instance)) == 32


def test_a_wiped_storage_starts_over_on_new_files(instance):
    _store(instance, 3)
    instance.wipe()
    _store(instance, 2)
    assert _stored(instance) == [0, 1]


def test_at_most_a_few_run_files_stay_open(instance):
    storage = instance.event_log_storage
    for i in range(_RUN_FILES_KEPT + 3):
        with storage.run_connection(f"run{i}") as conn:
            conn.exec_driver_sql("select 1")
    with storage.index_connection() as conn:
        conn.exec_driver_sql("select 1")
    (engines,) = storage.__dict__["_momentum_engines"].values()
    assert sorted(engines) == sorted(["index", *(f"run{i}" for i in range(3, _RUN_FILES_KEPT + 3))])
