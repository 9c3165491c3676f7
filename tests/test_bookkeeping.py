"""Dagster's SQLite event log keeps its connections open for the process (runtime/bookkeeping.py): each
stored event no longer opens and closes its files, every event is still committed and readable, an idle
kept connection blocks no other writer, and a wiped storage starts over on new files. A step output's
events stored as one batch leave the same rows in the run's file and the index as event by event."""

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from momentum_dag.runtime import bookkeeping
from momentum_dag.runtime.bookkeeping import (
    _RUN_FILES_KEPT,
    EVENT_BATCH_SIZE,
    PLANNED_EVENTS_AS_RANGES,
    batch_event_writes,
    reuse_event_log_connections,
)


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


def test_an_index_table_found_is_not_asked_again_and_a_missing_one_is(instance, opened):
    batch_event_writes()
    storage = instance.event_log_storage
    assert storage.has_table("asset_event_tags")
    before = len(opened)
    assert storage.has_table("asset_event_tags")
    assert len(opened) == before  # Dagster's own has_table opens the index file at every call
    assert not storage.has_table("probe")
    with closing(sqlite3.connect(storage.path_for_shard("index"))) as other:
        other.execute("CREATE TABLE probe (x)")
        other.commit()
    assert storage.has_table("probe")  # a table not found is asked again


# ---- a step output's events stored as one batch (bookkeeping.batch_event_writes) ---------------------------

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2024-01-01", end_date="2024-06-01")  # 5 partitions
RANGE_TAGS = {"dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-05-01"}


def _figure(key: str, asset: str) -> int:
    return int(key[5:7]) * (10 if asset == "returns" else 1)


@dg.asset(
    partitions_def=MONTHS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    code_version="1",  # else the run's id, and the data versions differ between runs
    check_specs=[dg.AssetCheckSpec("positive", asset="prices")],
)
def prices(context: dg.AssetExecutionContext):
    for key in context.partition_keys:  # each partition its own figure, as report_partitions does
        context.add_asset_metadata({"figure": _figure(key, "prices")}, partition_key=key)
    check = dg.AssetCheckResult(check_name="positive", passed=True, metadata={"months": len(context.partition_keys)})
    return dg.MaterializeResult(check_results=[check])


@dg.asset(partitions_def=MONTHS, backfill_policy=dg.BackfillPolicy.single_run(), code_version="1", deps=[prices])
def returns(context: dg.AssetExecutionContext) -> None:
    for key in context.partition_keys:
        context.add_asset_metadata({"figure": _figure(key, "returns")}, partition_key=key)


def _normalized(text, run_id: str):
    """A stored value with what differs between two runs of the same job taken out: the run's id, the
    clock (timestamps, durations in messages)."""
    if not isinstance(text, str):
        return text
    text = text.replace(run_id, "RUN")
    try:
        value = json.loads(text)
    except ValueError:
        return re.sub(r"\d+(\.\d+)?\s*(ms|s)\b", "T", text)

    def clean(v):
        if isinstance(v, dict):
            return {
                k: clean(x) for k, x in v.items() if "timestamp" not in k and k not in ("pid", "duration_ms", "log_key")
            }
        if isinstance(v, list):
            return [clean(x) for x in v]
        return re.sub(r"\d+(\.\d+)?\s*(ms|s)\b", "T", v) if isinstance(v, str) else v

    return clean(value)


CLOCK = {"migration_completed"}


def _tables(path: Path, run_id: str) -> dict:
    """Every table of an SQLite file, rows in id order, the clock's columns left out."""
    with closing(sqlite3.connect(path)) as db:
        names = [n for (n,) in db.execute("select name from sqlite_master where type = 'table'")]
        tables = {}
        for name in sorted(set(names) - {"alembic_version", "sqlite_sequence"}):
            cursor = db.execute(f"select * from {name} order by rowid")
            columns = [c[0] for c in cursor.description]
            tables[name] = [
                {
                    c: _normalized(v, run_id)
                    for c, v in zip(columns, row, strict=True)
                    if c not in CLOCK and "timestamp" not in c
                }
                for row in cursor.fetchall()
            ]
    return tables


def _range_run(home: Path, monkeypatch, batch_size: str) -> dict:
    """A real range run of the two assets in a new instance at ``home``: its event-log files' tables, what
    the UI reads, and the commits it took."""
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(EVENT_BATCH_SIZE, batch_size)
    monkeypatch.setenv(PLANNED_EVENTS_AS_RANGES, "1")
    commits = []

    def on_commit(conn):
        commits.append(1)

    event.listen(Engine, "commit", on_commit)
    try:
        with dg.DagsterInstance.get() as instance:
            result = dg.materialize([prices, returns], instance=instance, tags=RANGE_TAGS)
            assert result.success
            run_id = result.run_id
            reads = {}
            for name in ("prices", "returns"):
                key = dg.AssetKey(name)
                latest = instance.get_latest_materialization_event(key).asset_materialization
                reads[name] = {
                    "latest": (latest.partition, latest.metadata["figure"].value),
                    "materialized": sorted(instance.get_materialized_partitions(key)),
                    "status": {
                        p: str(s)
                        for p, s in instance.get_status_by_partition(key, MONTHS.get_partition_keys(), MONTHS).items()
                    },
                    "each": {
                        p: [
                            r.asset_materialization.metadata["figure"].value
                            for r in instance.fetch_materializations(
                                dg.AssetRecordsFilter(asset_key=key, asset_partitions=[p]), limit=10
                            ).records
                        ]
                        for p in MONTHS.get_partition_keys()
                    },
                }
            log = [
                (e.dagster_event_type, e.dagster_event.partition if e.is_dagster_event else None)
                for e in instance.all_logs(run_id)
            ]
    finally:
        event.remove(Engine, "commit", on_commit)
    runs = home / "history" / "runs"
    return {
        "index": _tables(runs / "index.db", run_id),
        "run": _tables(runs / f"{run_id}.db", run_id),
        "reads": reads,
        "log": log,
        "commits": len(commits),
    }


def test_a_batched_range_run_stores_the_same_rows_as_event_by_event(tmp_path, monkeypatch):
    batch_event_writes()
    stock = _range_run(tmp_path / "stock", monkeypatch, "0")  # Dagster's own path: store_event per event
    by_event = bookkeeping._store_event_by_event
    fell_back = []
    monkeypatch.setattr(
        bookkeeping,
        "_store_event_by_event",
        lambda storage, events: (fell_back.append(events), by_event(storage, events)),
    )
    # 5 partitions: batches of 3 and 2 materializations per asset; the run's planned events (2 assets, 1 check)
    batched = _range_run(tmp_path / "batched", monkeypatch, "3")
    assert not fell_back  # every batch took the one-transaction write
    # what the UI reads: each partition's own figure, latest per partition, partition status, the log
    assert batched["reads"] == stock["reads"]
    assert stock["reads"]["returns"]["each"] == {p: [_figure(p, "returns")] for p in MONTHS.get_partition_keys()}
    assert stock["reads"]["prices"]["latest"] == ("2024-05-01", 5)
    assert batched["log"] == stock["log"]
    assert [kind for kind, _ in stock["log"]].count(dg.DagsterEventType.ASSET_MATERIALIZATION) == 10
    # every table of the run's file and of the index, row for row in id order (ids included)
    for file in ("run", "index"):
        assert batched[file].keys() == stock[file].keys()
        for table in stock[file]:
            assert batched[file][table] == stock[file][table], f"{file} file, table {table}"
    assert stock["index"]["asset_keys"] and stock["index"]["asset_event_tags"]
    assert stock["index"]["asset_check_executions"]
    # two commits per event event by event (13 batched events), two per batch (5 batches)
    assert batched["commits"] <= stock["commits"] - 13, (batched["commits"], stock["commits"])
