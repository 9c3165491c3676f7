"""Runs left behind by a killed process: found by the process tag every run carries, and marked failed.

A Dagster run is marked SUCCESS or FAILURE by the process that executes it. When that process dies
(``kill -9``, out of memory, a closed terminal, a power cut) the run stays STARTED for ever, and the UI shows
it running (or NOT_STARTED, when the kill came between creating the run and starting it). Every run that uses
the warehouse is tagged with its process (:data:`PROCESS_TAG`: host, PID and the process's start time, so that
a reused PID is not mistaken for it; ``momentum-dag`` tags its runs when it creates them, the warehouse
resource tags any run when it starts). :func:`fail_interrupted_runs` marks failed every unfinished run whose
process is gone, with a message saying it was interrupted. ``momentum-dag`` calls it when it starts; under
``dagster dev`` the ``interrupted_runs_sensor`` (running by default) calls it every minute.

Nothing in the warehouse needs repair: every write is one transaction, and DuckDB discards the transaction
a killed process had not committed. Re-running the same command finishes the job.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from dagster import (
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunsFilter,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from momentum_dag.runtime.jobs import PARENT_RUN
from momentum_dag.storage.process import COMMAND_TAG, PROCESS_TAG, process_start

UNFINISHED = (
    DagsterRunStatus.NOT_STARTED,  # created by momentum-dag (tagged at creation), killed before it started
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
)


def process_alive(token: str) -> bool | None:
    """Whether the process a tag names still runs; None when it cannot be told (another host)."""
    try:
        host, pid_text, start = token.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    return not start or process_start(pid) == start


def own_process_tag(instance: DagsterInstance, run: DagsterRun) -> str | None:
    """The process tag of the run's own process; None while the run has none of its own.

    A re-execution (the UI's *Re-execute*) starts with a copy of its parent's tags, so until the warehouse
    resource retags it, its process tag names the parent's process, usually long gone: judged by that copy,
    a re-execution still starting (its process importing the project) would be marked interrupted."""
    token = run.tags.get(PROCESS_TAG)
    parent_id = run.tags.get(PARENT_RUN)
    if token is not None and parent_id is not None:
        parent = instance.get_run_by_id(parent_id)
        if parent is not None and parent.tags.get(PROCESS_TAG) == token:
            return None
    return token


def interrupted_runs(instance: DagsterInstance) -> list[DagsterRun]:
    """Unfinished runs whose own tagged process is gone."""
    runs = instance.get_runs(filters=RunsFilter(statuses=list(UNFINISHED)))
    return [r for r in runs if (token := own_process_tag(instance, r)) is not None and process_alive(token) is False]


def interrupted_message(run: DagsterRun) -> str:
    _, pid, _ = run.tags[PROCESS_TAG].rsplit(":", 2)
    command = run.tags.get(COMMAND_TAG)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        f"Interrupted: the process running this run (PID {pid}{f', {command}' if command else ''}) ended without "
        "finishing it: killed (kill -9, out of memory, a closed terminal) or the machine stopped. Marked failed "
        f"at {now} by the next momentum-dag start (or dagster dev's interrupted_runs_sensor). Every write is "
        "one transaction, so no partition window is half written: re-run the same command (or materialize the "
        "same partitions) to finish."
    )


def fail_interrupted_runs(instance: DagsterInstance) -> list[DagsterRun]:
    """Mark every interrupted run (:func:`interrupted_runs`) failed with :func:`interrupted_message`."""
    from momentum_dag.runtime.dagster_private import JobFailureData, RunFailureReason

    failed = []
    for run in interrupted_runs(instance):
        instance.report_run_failed(
            run,
            message=interrupted_message(run),
            job_failure_data=JobFailureData(error=None, failure_reason=RunFailureReason.UNEXPECTED_TERMINATION),
        )
        failed.append(run)
    return failed


@sensor(
    name="interrupted_runs_sensor",
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.RUNNING,
    description="Marks failed the runs whose process was killed (they would otherwise stay STARTED for ever).",
)
def interrupted_runs_sensor(context: SensorEvaluationContext):
    failed = fail_interrupted_runs(context.instance)
    if failed:
        return SkipReason(f"marked {len(failed)} interrupted run(s) failed: {[r.run_id for r in failed]}")
    return SkipReason("no interrupted runs")
