"""Runs left STARTED by a killed process are marked failed, and only those (issue 11, drill 2)."""

import os
import socket
import subprocess
import sys

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    asset,
    build_sensor_context,
    materialize,
)

from momentum_dag.runtime.runs import fail_interrupted_runs, interrupted_runs_sensor, process_alive
from momentum_dag.storage import Warehouse
from momentum_dag.storage.process import COMMAND_TAG, PROCESS_TAG, process_token


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _run(instance: DagsterInstance, status: DagsterRunStatus, token: str | None) -> DagsterRun:
    tags = {PROCESS_TAG: token, COMMAND_TAG: "momentum-dag backfill --start 2014-01"} if token else {}
    return instance.add_run(DagsterRun(job_name="monthly_job", status=status, tags=tags))


def test_process_tokens_tell_live_dead_reused_and_foreign_processes():
    assert process_alive(process_token()) is True
    assert process_alive(process_token(_dead_pid())) is False
    host, pid, start = process_token().split(":")
    if start:  # Linux: the same PID with another start time is another process
        assert process_alive(f"{host}:{pid}:{start}0") is False
    assert process_alive(f"elsewhere-{socket.gethostname()}:{os.getpid()}:") is None


def test_only_runs_of_dead_processes_are_marked_failed_with_the_interrupted_message():
    instance = DagsterInstance.ephemeral()
    dead = _run(instance, DagsterRunStatus.STARTED, process_token(_dead_pid()))
    dead_starting = _run(instance, DagsterRunStatus.STARTING, process_token(_dead_pid()))
    dead_not_started = _run(instance, DagsterRunStatus.NOT_STARTED, process_token(_dead_pid()))
    alive = _run(instance, DagsterRunStatus.STARTED, process_token())
    untagged = _run(instance, DagsterRunStatus.STARTED, None)
    elsewhere = _run(instance, DagsterRunStatus.STARTED, "another-host:1:")
    finished = _run(instance, DagsterRunStatus.SUCCESS, process_token(_dead_pid()))

    failed = fail_interrupted_runs(instance)
    assert sorted(r.run_id for r in failed) == sorted([dead.run_id, dead_starting.run_id, dead_not_started.run_id])
    status = {r.run_id: r.status for r in instance.get_runs()}
    for run in (dead, dead_starting, dead_not_started):
        assert status[run.run_id] == DagsterRunStatus.FAILURE
    for run in (alive, untagged, elsewhere):
        assert status[run.run_id] == DagsterRunStatus.STARTED
    assert status[finished.run_id] == DagsterRunStatus.SUCCESS
    (event,) = instance.all_logs(dead.run_id, of_type=DagsterEventType.RUN_FAILURE)
    message = event.dagster_event.message
    pid = dead.tags[PROCESS_TAG].split(":")[1]
    assert message.startswith(f"Interrupted: the process running this run (PID {pid}, momentum-dag backfill")
    assert "no partition window is half written" in message and "re-run the same command" in message
    assert fail_interrupted_runs(instance) == []  # once


def test_a_re_execution_is_judged_by_its_own_process_not_the_tag_copied_from_its_parent():
    """The UI's Re-execute copies the parent's tags, the parent's process tag with them: until the new run's
    warehouse resource retags it, that tag names the parent's (finished) process. A sensor tick in that
    window must not mark the starting re-execution interrupted; once retagged with a dead process, it is."""
    instance = DagsterInstance.ephemeral()
    cli_token = process_token(_dead_pid())
    parent = _run(instance, DagsterRunStatus.SUCCESS, cli_token)
    child = instance.add_run(
        DagsterRun(
            job_name="monthly_job",
            status=DagsterRunStatus.STARTING,
            tags={**parent.tags, "dagster/parent_run_id": parent.run_id},
        )
    )
    assert fail_interrupted_runs(instance) == []
    assert instance.get_run_by_id(child.run_id).status == DagsterRunStatus.STARTING
    instance.add_run_tags(child.run_id, {PROCESS_TAG: process_token(_dead_pid())})  # its own process, killed
    assert [r.run_id for r in fail_interrupted_runs(instance)] == [child.run_id]


def test_the_dagster_dev_sensor_does_the_same():
    instance = DagsterInstance.ephemeral()
    dead = _run(instance, DagsterRunStatus.STARTED, process_token(_dead_pid()))
    result = interrupted_runs_sensor(build_sensor_context(instance=instance))
    assert dead.run_id in result.skip_message and "marked 1 interrupted run(s) failed" in result.skip_message
    assert instance.get_run_by_id(dead.run_id).status == DagsterRunStatus.FAILURE
    assert interrupted_runs_sensor(build_sensor_context(instance=instance)).skip_message == "no interrupted runs"


def test_a_run_using_the_warehouse_is_tagged_with_the_process_that_executes_it(tmp_path):
    """Whoever launched it (the UI, dagster asset materialize, momentum-dag), a run that uses the warehouse
    resource carries its process's tag from the resource's start."""

    @asset
    def probe(warehouse: Warehouse) -> None:
        with warehouse.get_connection() as conn:
            conn.execute("select 1").fetchall()

    instance = DagsterInstance.ephemeral()
    result = materialize([probe], resources={"warehouse": Warehouse.at(str(tmp_path / "w.duckdb"))}, instance=instance)
    run = instance.get_run_by_id(result.run_id)
    assert run.tags[PROCESS_TAG] == process_token() and COMMAND_TAG in run.tags


def test_cli_instance_waits_out_a_dagster_process_creating_the_same_new_storage(tmp_path, monkeypatch):
    """``dagster dev`` starting on a new DAGSTER_HOME creates the SQLite tables without the CLI's lock: the
    CLI's first attempt can meet "table ... already exists"; it tries again, and any other error is raised."""
    import sqlite3

    from momentum_dag.runtime import cli

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    original = DagsterInstance.get
    calls = []

    def racing(message):
        def get():
            calls.append(message)
            if len(calls) == 1:
                raise sqlite3.OperationalError(message)
            return original()

        return get

    monkeypatch.setattr(DagsterInstance, "get", staticmethod(racing("table alembic_version already exists")))
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    instance = cli._shared_instance()
    assert len(calls) == 2 and instance.get_runs() == []

    calls.clear()
    monkeypatch.setattr(DagsterInstance, "get", staticmethod(racing("database disk image is malformed")))
    try:
        cli._shared_instance()
    except sqlite3.OperationalError as error:
        assert "malformed" in str(error)
    else:
        raise AssertionError("an error other than a creation race must not be retried")
    assert len(calls) == 1
