"""The reliability drills on a DuckLake (issue 23): many writers at once, and kill -9 of a multiprocess backfill.

1. Four ``momentum-dag backfill`` of different ranges (all from the history start, see test_many_writers.py)
   and a run launched the way the UI launches one (``dagster job launch``), all at once on one DuckLake
   (SQLite catalog): every one succeeds, and the lake equals a sequential DuckDB backfill of the same
   months table by table; 2014-01, written by all five at once, holds one copy of each row.
2. A multiprocess backfill on a DuckLake, killed with SIGKILL (the CLI, its forkserver and every step
   process: the process group) inside the transaction of a factor's window write: every (table, month) the
   lake holds equals the uninterrupted run's, the re-run of the same command leaves it identical, and the run
   the kill left STARTED is marked failed as interrupted.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from tests.integration.drills import PROVIDER, REPO, assert_identical, drill_env, finish, months, start_backfill, tables
from tests.integration.test_many_writers import UI_OPS
from tests.integration.test_scale_out import MARKET, lake_env, snapshot

pytestmark = pytest.mark.slow

ONLY = f"{PROVIDER},staging,marts"


def test_four_backfills_and_a_ui_run_at_once_on_a_ducklake(tmp_path):
    shared, sequential = tmp_path / "shared", tmp_path / "sequential"
    settings = lake_env(shared, MOMENTUM_SIM_STOCKS="50", MOMENTUM_SIM_INDUSTRIES="5")
    env = drill_env(shared, **settings)
    (shared / "dagster_home" / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nrun_coordinator:\n  module: dagster._core.run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
    )
    # the Dagster instance is created once before the concurrent starts (as `dagster dev` would have)
    DagsterInstance.from_config(str(shared / "dagster_home")).get_runs(limit=1)
    reference = start_backfill(sequential, "2014-01", "2014-04", ONLY)
    backfills = [
        start_backfill(shared, "2014-01", end, ONLY, **settings) for end in ("2014-01", "2014-02", "2014-03", "2014-04")
    ]
    tags = {"dagster/asset_partition_range_start": "2014-01-01", "dagster/asset_partition_range_end": "2014-02-01"}
    ui = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster"), "job", "launch", "-w", "workspace.yaml", "-j", "monthly_job"]
        + ["-o", UI_OPS, "--tags", json.dumps(tags)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    for process in [*backfills, ui, reference]:
        code, out = finish(process, timeout=900)
        assert code == 0, out
    # `dagster job launch` returns once the run is submitted; its run goes on in the code server's process
    instance = DagsterInstance.from_config(str(shared / "dagster_home"))
    deadline = time.monotonic() + 900
    while not all(r.is_finished for r in instance.get_runs()) and time.monotonic() < deadline:
        time.sleep(1)

    expected = tables(sequential / "w.duckdb")
    copy = snapshot(shared, **settings)
    assert_identical(copy, expected)
    found = tables(copy)["raw.daily_bars"]
    assert len(found) == len(found.drop_duplicates(["trade_date", "stock_id"])) == len(expected["raw.daily_bars"])
    runs = instance.get_runs()
    # a run that did not succeed: its last events (a step's error, or the run worker's crash) and its tags
    why = {r.run_id: ([e.message for e in instance.all_logs(r.run_id)][-6:], r.tags) for r in runs if not r.is_success}
    assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS] * 5, why


def test_kill_9_of_a_multiprocess_ducklake_backfill_loses_nothing(tmp_path):
    baseline, drill = tmp_path / "baseline", tmp_path / "drill"
    only = f"{ONLY},factors/momentum,factors/momentum_sharpe"
    parallel = lake_env(drill, MOMENTUM_EXECUTOR="multiprocess", MOMENTUM_EXECUTOR_WORKERS="2")
    uninterrupted = start_backfill(baseline, "2014-01", "2014-02", only, **MARKET)
    killed = start_backfill(
        drill,
        "2014-01",
        "2014-02",
        only,
        new_session=True,
        MOMENTUM_DRILL_KILL_AT="write:factors.momentum",
        MOMENTUM_DRILL_KILL_GROUP="1",
        **parallel,
    )
    code, out = finish(uninterrupted, timeout=900)
    assert code == 0, out
    reference = tables(baseline / "w.duckdb")
    code, out = finish(killed, timeout=900)
    assert code == -9, out

    found = tables(snapshot(drill, **parallel))
    assert "factors.momentum" not in found or found["factors.momentum"].empty  # its transaction died with it
    assert {"raw.daily_bars", "marts.stock_returns_daily"} <= set(found)
    for name, frame in found.items():  # every (table, month) present is complete and right
        expected = months(reference[name])
        for month, rows in months(frame).items():
            assert month in expected, (name, month)
            pd.testing.assert_frame_equal(rows, expected[month], check_exact=False, rtol=1e-9, obj=f"{name} {month}")
    (run,) = DagsterInstance.from_config(str(drill / "dagster_home")).get_runs()
    assert run.status == DagsterRunStatus.STARTED  # what the kill left behind

    code, out = finish(start_backfill(drill, "2014-01", "2014-02", only, **parallel), timeout=900)
    assert code == 0, out
    assert "was interrupted" in out and run.run_id in out
    assert_identical(snapshot(drill, **parallel), reference)
    instance = DagsterInstance.from_config(str(drill / "dagster_home"))
    statuses = sorted(r.status.value for r in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]
    (failed,) = [r for r in instance.get_runs() if r.status == DagsterRunStatus.FAILURE]
    (event,) = instance.all_logs(failed.run_id, of_type=DagsterEventType.RUN_FAILURE)
    assert event.dagster_event.message.startswith("Interrupted: the process running this run (PID ")
