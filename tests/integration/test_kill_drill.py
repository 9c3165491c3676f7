"""kill -9 at any moment loses nothing (issue 11, drill 2).

``momentum-dag backfill`` runs in a subprocess that SIGKILLs itself at a named point
(``MOMENTUM_DRILL_KILL_AT``, see ``momentum_dag.warehouse.drill_point``):

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

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

REPO = Path(__file__).resolve().parents[2]
ONLY = "raw/daily_bars,raw/market_daily,raw/fundamentals,raw/industry_membership,staging,marts,factors/momentum"
COMMAND = [sys.executable, "-m", "momentum_dag.cli", "backfill", "--start", "2014-01", "--end", "2014-02",
           "--only", ONLY, "--no-weekly", "--no-reports"]
DATE_COLUMNS = ("trade_date", "month_end", "week_end", "period_end", "announce_date", "in_date")

pytestmark = pytest.mark.slow


def _env(folder: Path, **extra) -> dict[str, str]:
    (folder / "dagster_home").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ, "MOMENTUM_DUCKDB_PATH": str(folder / "w.duckdb"), "DAGSTER_HOME": str(folder / "dagster_home"),
        "MOMENTUM_SIM_STOCKS": "50", "MOMENTUM_SIM_INDUSTRIES": "5", "MOMENTUM_HISTORY_START": "2014-01-01", **extra,
    }


def _start(folder: Path, kill_at: str | None = None) -> subprocess.Popen:
    env = _env(folder, **({"MOMENTUM_DRILL_KILL_AT": kill_at} if kill_at else {}))
    return subprocess.Popen(COMMAND, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _finish(run: subprocess.Popen) -> tuple[int, str]:
    out = run.communicate(timeout=300)[0].decode()
    return run.returncode, out


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every base table but the stamp, rows in a stable order (keys first, floats last)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = conn.execute("select schema_name || '.' || table_name from duckdb_tables() "
                             "where schema_name <> 'meta' order by 1").fetchall()
        tables = {}
        for (name,) in names:
            frame = conn.execute(f"select * from {name}").df()
            keys = [c for c in frame.columns if frame[c].dtype.kind not in "fc"]
            tables[name] = frame.sort_values(keys + [c for c in frame.columns if c not in keys]).reset_index(drop=True)
        return tables
    finally:
        conn.close()


def _months(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows by month of the table's date column (one group when it has none)."""
    column = next((c for c in DATE_COLUMNS if c in frame.columns), None)
    if column is None:
        return {"all": frame}
    month = pd.to_datetime(frame[column]).dt.strftime("%Y-%m")
    return {m: rows.reset_index(drop=True) for m, rows in frame.groupby(month)}


def _assert_nothing_half_written(path: Path, reference: dict[str, pd.DataFrame], *, complete: bool) -> int:
    """Every (table, month) present equals the reference's; with ``complete`` none is missing either.
    Returns how many (table, month) pairs are present."""
    found = _tables(path)
    assert set(found) <= set(reference), set(found) - set(reference)
    present = 0
    for name, frame in found.items():
        expected = _months(reference[name])
        for month, rows in _months(frame).items():
            assert month in expected, (name, month)
            pd.testing.assert_frame_equal(rows, expected[month], check_exact=False, rtol=1e-9, obj=f"{name} {month}")
            present += 1
        if complete:
            assert set(_months(frame)) == set(expected), name
    if complete:
        assert set(found) == set(reference)
    return present


def _assert_identical(path: Path, reference: dict[str, pd.DataFrame]) -> None:
    found = _tables(path)
    assert found.keys() == reference.keys()
    for name in reference:
        pd.testing.assert_frame_equal(found[name], reference[name], check_exact=False, rtol=1e-9, obj=name)


def _instance(folder: Path) -> DagsterInstance:
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(folder / "dagster_home")))


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
    code, out = _finish(reference_run)
    assert code == 0, out
    reference = _tables(baseline / "w.duckdb")
    assert {"raw.daily_bars", "marts.stock_returns_daily", "marts.industry_daily", "factors.momentum"} <= set(reference)
    assert all(len(reference[t]) for t in ("raw.daily_bars", "marts.industry_daily", "factors.momentum"))
    code, out = _finish(killed)
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
    code, out = _finish(kill_2)
    assert code == -9, out
    assert "was interrupted" in out and first.run_id in out  # this start marked kill 1's run failed
    tables = _tables(drill / "w.duckdb")
    assert "marts.stock_returns_daily" in tables and "marts.industry_daily" not in tables
    assert _assert_nothing_half_written(drill / "w.duckdb", reference, complete=False) > 0
    code, out = _finish(kill_3)
    assert code == -9, out
    _assert_nothing_half_written(replace / "w.duckdb", reference, complete=True)

    # stage 3: re-running the same command leaves warehouses identical to the uninterrupted one
    reruns = [_start(drill), _start(replace)]
    for folder, rerun in zip((drill, replace), reruns, strict=True):
        code, out = _finish(rerun)
        assert code == 0, out
        _assert_identical(folder / "w.duckdb", reference)
    _assert_marked_interrupted(drill, failed=2, succeeded=1)
    _assert_marked_interrupted(replace, failed=1, succeeded=1)
