"""A step's chunks computed in threads: the same frames, in calendar order, as one after the other."""

from __future__ import annotations

import threading
import time
from datetime import date

import pandas as pd
import pytest

from momentum_dag.assets.windowed import compute_in_chunks
from momentum_dag.partitions import chunk_windows
from momentum_dag.settings import RunConfig, Settings

WINDOWS = chunk_windows(date(2020, 1, 1), date(2021, 1, 1), 2)  # six two-month chunks


class Chunks:
    """A compute whose first chunk is the slowest (so threads finish out of calendar order), counting the
    chunks computed at once and in all."""

    def __init__(self, fail_first: bool = False):
        self.lock = threading.Lock()
        self.running = self.most_at_once = self.computed = 0
        self.fail_first = fail_first

    def __call__(self, lo: date, hi: date) -> dict[str, pd.DataFrame]:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            first = lo == WINDOWS[0][0]
            if first and self.fail_first:
                raise ValueError(f"chunk {lo} failed")
            time.sleep(0.3 if first else 0.1)
            days = pd.date_range(lo, periods=70, freq="D")  # past hi: rows outside the chunk are dropped
            return {"t": pd.DataFrame({"period_end": days, "x": [d.day + 100 * d.month for d in days]})}
        finally:
            with self.lock:
                self.running -= 1
                self.computed += 1


def test_threads_give_the_same_rows_in_calendar_order():
    one_by_one = compute_in_chunks(Chunks(), WINDOWS, {}, threads=1)["t"]
    compute = Chunks()
    threaded = compute_in_chunks(compute, WINDOWS, {}, threads=2)["t"]
    assert compute.most_at_once == 2
    pd.testing.assert_frame_equal(threaded, one_by_one)
    # every day of 2020 once, in order: each chunk kept only its own days
    assert list(threaded["period_end"]) == list(pd.date_range("2020-01-01", "2020-12-31", freq="D"))


def test_a_chunk_without_rows_leaves_the_others_dtypes_alone():
    """A warm-up chunk's empty frame (object columns) must not turn the dates of the rest into objects:
    the rows written are then those of the runs of the other chunks alone."""

    def compute(lo: date, hi: date) -> dict[str, pd.DataFrame]:
        if lo == WINDOWS[0][0]:
            return {"t": pd.DataFrame({"period_end": [], "x": []})}
        days = pd.date_range(lo, hi, freq="D", inclusive="left")
        return {"t": pd.DataFrame({"period_end": days, "x": 1.0})}

    rows = compute_in_chunks(compute, WINDOWS, {}, threads=1)["t"]
    assert pd.api.types.is_datetime64_dtype(rows["period_end"]) and rows["x"].dtype == float
    assert rows["period_end"].min() == pd.Timestamp(WINDOWS[1][0])
    empty = compute_in_chunks(compute, WINDOWS[:1], {}, threads=1)["t"]
    assert empty.empty and list(empty.columns) == ["period_end", "x"]


def test_a_failed_chunk_raises_and_the_chunks_not_started_never_start():
    compute = Chunks(fail_first=True)
    with pytest.raises(ValueError, match="chunk 2020-01-01 failed"):
        compute_in_chunks(compute, WINDOWS, {}, threads=2)
    assert compute.computed < len(WINDOWS)


def test_chunk_threads_default_to_the_second_core_only_in_process(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert Settings(run=RunConfig(executor="in_process")).chunk_threads == 2
    assert Settings(run=RunConfig(executor="multiprocess")).chunk_threads == 1
    assert Settings(run=RunConfig(executor="multiprocess", chunk_threads=3)).chunk_threads == 3
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert Settings(run=RunConfig(executor="in_process")).chunk_threads == 1


def test_a_bad_thread_count_names_the_variable(monkeypatch):
    monkeypatch.setenv("MOMENTUM_CHUNK_THREADS", "0")
    with pytest.raises(ValueError, match="MOMENTUM_CHUNK_THREADS must be in"):
        Settings.from_env()
