"""One open DuckDB database per run and process: a run's connections are cursors on it.

Opening the warehouse file costs tens of milliseconds (open, read the catalog, check the version stamp)
and closing it as much again (DuckDB checkpoints its log when the last connection closes); a month's run
opened and closed it about 460 times, a third of its time. While a run executes in a process
(:meth:`Warehouse.setup_for_execution` to ``teardown_after_execution``), the warehouse's connections are
instead cursors of one open database (each a connection of its own: its own transactions, temporary tables
and registered frames, dropped when it closes), opened and checked once.

Other processes still take turns with the run: the database is closed as soon as it has not been used for
:data:`IDLE_SECONDS` (a step computing in Python, the gap between runs) and when the run ends, so a writer
waiting for the file (``MOMENTUM_LOCK_TIMEOUT_SECONDS``) gets it then; between a run's back-to-back reads and
writes the file stays held. Outside a run (the CLI's checks, notebooks, direct calls) every connection opens
and closes the file as before. The DuckLake backend is not held this way (its sessions are separate
attachments of a catalog many processes write).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import duckdb

IDLE_SECONDS = 2.0
"""A held database not used for this long is closed (and reopened at the next use), so another process
waiting for the file gets it while a step computes without the warehouse. Shorter, and a loaded machine's
gaps between steps (Dagster's own bookkeeping) close and reopen it within a run."""


CACHE_BYTES = 256 * 1024**2
"""Table blocks a held database keeps cached between uses, at most (see :func:`_trim_cache`)."""


class _Held:
    """The database one process holds open for the runs executing in it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.anchor = None
        self.runs = 0
        self.users = 0
        self.last_used = time.monotonic()
        self.closer: threading.Thread | None = None
        self.opened = 0  # times the file was opened (tests and benchmarks read it)
        self.memory_limit = ""

    def _close_anchor(self) -> None:
        anchor, self.anchor = self.anchor, None
        if anchor is not None:
            anchor.close()

    @contextmanager
    def cursor(self, open_database: Callable, prepare: Callable, memory_limit: str | None = None) -> Iterator:
        """A new connection (cursor) of the held database, opened with ``open_database`` if closed;
        ``prepare`` sets the connection's own settings; ``memory_limit``: the database's (None: DuckDB's)."""
        with self.lock:
            if self.anchor is None:
                self.anchor = open_database()
                self.opened += 1
                # the limit a trim sets back: the configured one, or the default DuckDB chose when opening
                self.memory_limit = (
                    memory_limit or self.anchor.execute("select current_setting('memory_limit')").fetchone()[0]
                )
            self.users += 1
            anchor = self.anchor
        failed = False
        try:
            conn = anchor.cursor()
        except BaseException:
            self._release(True)
            raise
        try:
            prepare(conn)
            yield conn
        except duckdb.Error:
            failed = True
            raise
        finally:
            conn.close()
            self._release(failed)

    def _release(self, failed: bool) -> None:
        with self.lock:
            self.users -= 1
            self.last_used = time.monotonic()
            if failed and self.users == 0:
                # a failed statement may have left the database unusable (DuckDB invalidates it on a fatal
                # error): the next use opens it afresh
                self._close_anchor()
            if self.anchor is not None and self.users == 0:
                try:
                    _trim_cache(self.anchor, self.memory_limit)
                except duckdb.Error:
                    self._close_anchor()  # closing frees the cache too; the next use opens the file afresh
            if self.anchor is not None and self.closer is None:
                self.closer = threading.Thread(target=self._close_when_idle, name="warehouse-idle", daemon=True)
                self.closer.start()

    def _close_when_idle(self) -> None:
        while True:
            time.sleep(IDLE_SECONDS / 2)
            with self.lock:
                if self.anchor is not None and self.users == 0 and time.monotonic() - self.last_used >= IDLE_SECONDS:
                    self._close_anchor()
                if self.anchor is None:
                    self.closer = None
                    return


def _trim_cache(anchor, memory_limit: str) -> None:
    """Drop the table blocks the database keeps cached beyond :data:`CACHE_BYTES` (they are on disk, so
    dropping them is free): DuckDB keeps what it read up to its memory limit, and a step's own frames (built
    from those blocks) would come on top of them, raising the process's peak memory. DuckDB evicts down to a
    lowered limit; the limit is then set back to ``memory_limit`` (``RESET`` would show the default but
    leave the buffer manager at the lowered limit)."""
    cached = anchor.execute(
        "select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory() where tag = 'BASE_TABLE'"
    ).fetchone()[0]
    if cached <= CACHE_BYTES:
        return
    try:
        anchor.execute(f"set memory_limit = '{CACHE_BYTES}B'")
    except duckdb.OutOfMemoryException:
        pass  # more than that is pinned: nothing to trim now
    finally:
        anchor.execute(f"set memory_limit = '{memory_limit}'")


_HELD: dict[tuple[int, str], _Held] = {}
_GUARD = threading.Lock()


def _key(database: str) -> tuple[int, str]:
    # by process: a process forked from one holding the file must not use (or close) its parent's database
    return os.getpid(), os.path.abspath(database)


def begin(database: str) -> None:
    """A run starts using ``database`` in this process: until :func:`end`, its connections share one open
    database."""
    with _GUARD:
        held = _HELD.setdefault(_key(database), _Held())
        with held.lock:
            held.runs += 1


def end(database: str) -> None:
    """A run stops using ``database``: the last one closes it (DuckDB checkpoints its log then)."""
    with _GUARD:
        held = _HELD.get(_key(database))
        if held is None:
            return
        with held.lock:
            held.runs -= 1
            if held.runs > 0:
                return
            held._close_anchor()
        del _HELD[_key(database)]


def held(database: str) -> _Held | None:
    """The open database of a run using ``database`` in this process, or None (then open and close per use)."""
    return _HELD.get(_key(database))
