"""Opening the warehouse file: a lock retry budget, and errors that name the holder and what to do.

DuckDB allows one writing process at a time (and no writer while any reader holds the file), so opening
retries until ``timeout_seconds`` and then names the holder (PID, command line, reader or writer) and what to
do about it. A file DuckDB cannot read stops with how to rebuild. :func:`drill_point` is the kill -9 drill's
fault injection, called by every write.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

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


DRILL_GROUP_VARIABLE = "MOMENTUM_DRILL_KILL_GROUP"
"""With :data:`DRILL_VARIABLE`: kill the whole process group (a backfill started in its own session: the
CLI, the multiprocess executor's forkserver and every step process), not only the process at the point."""


def drill_point(point: str) -> None:
    """Kill this process (or its process group, :data:`DRILL_GROUP_VARIABLE`) with SIGKILL if
    :data:`DRILL_VARIABLE` names ``point`` (the kill -9 drill)."""
    if os.environ.get(DRILL_VARIABLE) == point:
        if os.environ.get(DRILL_GROUP_VARIABLE):
            os.killpg(os.getpgrp(), signal.SIGKILL)
        os.kill(os.getpid(), signal.SIGKILL)


def connect(path: str | Path, *, timeout_seconds: float = 120.0, read_only: bool = False):
    """Open the DuckDB file, retrying while another process holds the lock.

    Raises :class:`WarehouseLockedError` (naming the holder and what to do) after ``timeout_seconds``, and
    :class:`WarehouseFileError` when the file is not a DuckDB database DuckDB can read.
    """
    path = Path(path)
    if str(path) != ":memory:" and not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return retry_locked(lambda: duckdb.connect(str(path), read_only=read_only), path, timeout_seconds)


def retry_locked(open_file: Callable, path: Path, timeout_seconds: float):
    """``open_file()`` (which opens the DuckDB file ``path``), tried again while another process holds the
    file's lock, up to ``timeout_seconds``; the errors of :func:`connect`. Shared by every opener of the file."""
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
            "con: ...`, or momentum_dag.storage.read_sql(sql)), or work on a copy (`momentum-dag snapshot`). "
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


def looks_corrupt(exc: Exception) -> bool:
    """Whether DuckDB's error ``exc`` says the file is not a database it can read (then
    :func:`file_error_message` explains and the caller raises :class:`WarehouseFileError`)."""
    text = str(exc).lower()
    return any(word in text for word in ("corrupt", "checksum", "could not read enough bytes", "not a valid duckdb"))
