"""Which process runs a Dagster run: the tag every run that uses the warehouse carries.

A run killed with its process (kill -9, out of memory) stays STARTED for ever; the tag (host, PID and the
process's start time, so that a reused PID is not mistaken for it) lets a later start tell it from a run
still running and mark it failed (:mod:`momentum_dag.runtime.runs`). The warehouse resource tags any run
when it starts; ``momentum-dag`` tags its runs when it creates them.

Under the multiprocess executor the resource starts in each step's process, which ends with its step while
the run goes on: the tag names the process that runs the run (the one that started the executor's
forkserver, :func:`steps_run_for_parent`), never a step's. A step's process tagging the run with itself
made a ``momentum-dag`` started meanwhile (or the sensor) see the run's process gone and mark the running
run failed as interrupted.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

PROCESS_TAG = "momentum_dag/process"
COMMAND_TAG = "momentum_dag/command"


def process_token(pid: int | None = None) -> str:
    """``host:pid:start`` for a process (``start``: boot id and start time in clock ticks on Linux, empty
    where unknown)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{process_start(pid)}"


def process_start(pid: int) -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
        stat = Path(f"/proc/{pid}/stat").read_text()
        return f"{boot}-{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, starttime
    except (OSError, IndexError):
        return ""


_RUN_PROCESS: int | None = None
"""The PID of the process that runs this process's runs, when this is a multiprocess executor's forkserver
or a step process forked from it (:func:`steps_run_for_parent`); None: this process runs them."""


def steps_run_for_parent() -> None:
    """Declare that this process (the multiprocess executor's forkserver, and the step processes forked from
    it) runs steps for the run of its parent process, the one that started the executor."""
    global _RUN_PROCESS
    _RUN_PROCESS = os.getppid()


def process_tags() -> dict[str, str]:
    """The tags naming the process that runs this process's run (this one, or see :data:`_RUN_PROCESS`)."""
    if _RUN_PROCESS is not None:
        return {PROCESS_TAG: process_token(_RUN_PROCESS), COMMAND_TAG: _command(_RUN_PROCESS)}
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else ""
    return {PROCESS_TAG: process_token(), COMMAND_TAG: command[:200]}


def _command(pid: int) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return ""
    words = [w for w in words if w]
    return " ".join([Path(words[0]).name, *words[1:]])[:200] if words else ""


def tag_run_with_process(context) -> None:
    """Add :func:`process_tags` to the run a resource is initialized for (runs launched by the UI, by
    ``dagster asset materialize`` or by ``momentum-dag`` alike); nothing outside a run."""
    instance, run = getattr(context, "instance", None), getattr(context, "dagster_run", None)
    if instance is None or run is None:
        return
    tags = process_tags()
    if run.tags.get(PROCESS_TAG) != tags[PROCESS_TAG]:
        instance.add_run_tags(run.run_id, tags)
