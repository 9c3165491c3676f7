"""kill -9 at any moment loses nothing (issue 11, drill 2).

``momentum-dag backfill`` runs in a subprocess that SIGKILLs itself at a named point
(``MOMENTUM_DRILL_KILL_AT``, see ``momentum_dag.storage.drill_point``):

1. ``write:raw.daily_bars``: in the raw transaction, after the bars are inserted and before the other raw
   tables (a fresh warehouse);
2. ``committed:marts.stock_returns_daily``: between two assets (the mart is committed, Dagster has not yet
   recorded it, industry_daily has not started), in a re-run of the command after kill 1;
3. ``write:factors.momentum``: in the factor's transaction, over a complete warehouse whose rows it was
   replacing.

After each kill the warehouse opens and every (table, month) present holds exactly the rows of an
uninterrupted run; after kill 3 nothing is missing either (the replaced rows survive). A re-run of the same
command then leaves a warehouse identical to the uninterrupted one, and the Dagster runs the kills left
STARTED are marked failed, with a message saying they were interrupted, by the next start.
"""

from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from tests.integration.drills import PROVIDER, assert_identical, finish, months, start_backfill, tables

ONLY = f"{PROVIDER},staging,marts,factors/momentum"

pytestmark = pytest.mark.slow


def _start(folder: Path, kill_at: str | None = None):
    extra = {"MOMENTUM_DRILL_KILL_AT": kill_at} if kill_at else {}
    return start_backfill(folder, "2014-01", "2014-02", ONLY, **extra)


def _assert_nothing_half_written(path: Path, reference: dict[str, pd.DataFrame], *, complete: bool) -> int:
    """Every (table, month) present equals the reference's; with ``complete`` none is missing either.
    Returns how many (table, month) pairs are present."""
    found = tables(path)
    assert set(found) <= set(reference), set(found) - set(reference)
    present = 0
    for name, frame in found.items():
        expected = months(reference[name])
        for month, rows in months(frame).items():
            assert month in expected, (name, month)
            pd.testing.assert_frame_equal(rows, expected[month], check_exact=False, rtol=1e-9, obj=f"{name} {month}")
            present += 1
        if complete:
            assert set(months(frame)) == set(expected), name
    if complete:
        assert set(found) == set(reference)
    return present


def _instance(folder: Path) -> DagsterInstance:
    return DagsterInstance.from_config(str(folder / "dagster_home"))


def _assert_marked_interrupted(folder: Path, failed: int, succeeded: int) -> None:
    """Every run a kill left STARTED is now FAILURE, saying it was interrupted; the others succeeded."""
    instance = _instance(folder)
    runs = instance.get_runs()
    assert sorted(r.status.value for r in runs) == ["FAILURE"] * failed + ["SUCCESS"] * succeeded
    for run in runs:
        if run.status == DagsterRunStatus.FAILURE:
            (event,) = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)
            assert event.dagster_event.message.startswith("Interrupted: the process running this run (PID ")
            assert "re-run the same command" in event.dagster_event.message


def test_kill_9_at_three_points_loses_nothing_and_the_runs_are_marked_interrupted(tmp_path):
    baseline, drill, replace = tmp_path / "baseline", tmp_path / "drill", tmp_path / "replace"
    # stage 1: the uninterrupted run, and kill 1 (fresh warehouse, mid raw write)
    reference_run, killed = _start(baseline), _start(drill, "write:raw.daily_bars")
    code, out = finish(reference_run)
    assert code == 0, out
    reference = tables(baseline / "w.duckdb")
    assert {"raw.daily_bars", "marts.stock_returns_daily", "marts.industry_daily", "factors.momentum"} <= set(reference)
    assert all(len(reference[t]) for t in ("raw.daily_bars", "marts.industry_daily", "factors.momentum"))
    code, out = finish(killed)
    assert code == -9, out
    assert _assert_nothing_half_written(drill / "w.duckdb", reference, complete=False) == 0  # the raw txn is gone
    (first,) = _instance(drill).get_runs()
    assert first.status == DagsterRunStatus.STARTED  # what the kill left behind

    # stage 2: kill 2, the same command again killed between two assets; kill 3 mid factor write over a
    # complete warehouse (a copy of the uninterrupted one) whose factor rows it was replacing
    replace.mkdir()
    for suffix in ("", ".wal"):
        if (baseline / f"w.duckdb{suffix}").exists():
            (replace / f"w.duckdb{suffix}").write_bytes((baseline / f"w.duckdb{suffix}").read_bytes())
    kill_2, kill_3 = _start(drill, "committed:marts.stock_returns_daily"), _start(replace, "write:factors.momentum")
    code, out = finish(kill_2)
    assert code == -9, out
    assert "was interrupted" in out and first.run_id in out  # this start marked kill 1's run failed
    after_kill_2 = tables(drill / "w.duckdb")
    assert "marts.stock_returns_daily" in after_kill_2 and "marts.industry_daily" not in after_kill_2
    assert _assert_nothing_half_written(drill / "w.duckdb", reference, complete=False) > 0
    code, out = finish(kill_3)
    assert code == -9, out
    _assert_nothing_half_written(replace / "w.duckdb", reference, complete=True)

    # stage 3: re-running the same command leaves warehouses identical to the uninterrupted one
    reruns = [_start(drill), _start(replace)]
    for folder, rerun in zip((drill, replace), reruns, strict=True):
        code, out = finish(rerun)
        assert code == 0, out
        assert_identical(folder / "w.duckdb", reference)
    _assert_marked_interrupted(drill, failed=2, succeeded=1)
    _assert_marked_interrupted(replace, failed=1, succeeded=1)
