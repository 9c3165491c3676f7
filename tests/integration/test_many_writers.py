"""Many writers at once (issue 11, drill 3).

A process holds the DuckDB file for writing while six more start: a backfill whose lock budget is 1 s
(MOMENTUM_LOCK_TIMEOUT_SECONDS=1), four backfills of different ranges, and a run launched the way the UI
launches one (``dagster job launch``: the instance's run launcher starts the run in another process from the
code server; the queued coordinator the UI goes through only adds a daemon in front of it). The impatient
backfill fails before writing, naming the holder and the setting to raise; the others wait for the lock and
complete. The warehouse they leave equals, table by table, one sequential backfill of the same months.

All ranges start at the history start: the first partition also owns every industry membership (and
fundamental) dated before it, so a backfill of later months on an empty warehouse would compute marts
without industries whatever the concurrency (industry_daily's no_calendar_gaps check warns about it).
"""

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, DagsterRunStatus

from tests.integration.drills import PROVIDER, REPO, assert_identical, drill_env, finish, start_backfill, tables

ONLY = f"{PROVIDER},staging,marts"
UI_OPS = ",".join(
    ["raw_market_data"]
    + [f"staging__stg_{t}" for t in ("daily_bars", "market_daily", "fundamentals", "industry_membership")]
    + [
        f"marts__{t}"
        for t in (
            "stock_returns_daily",
            "industry_daily",
            "stock_returns_monthly",
            "industry_monthly",
            "market_monthly",
        )
    ]
)
HOLD = (
    "import duckdb, sys; conn = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == 'ro'); "
    "print('ready', flush=True); sys.stdin.readline(); conn.close()"
)

pytestmark = pytest.mark.slow


def hold(path: Path, mode: str) -> subprocess.Popen:
    """A process holding ``path`` open (``rw`` or ``ro``) until a line arrives on its stdin."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout.readline() == b"ready\n"
    return holder


def release(holder: subprocess.Popen) -> None:
    holder.stdin.write(b"\n")
    holder.stdin.flush()
    assert holder.wait(timeout=30) == 0


def test_writers_wait_their_turn_or_fail_naming_the_holder_and_nothing_is_lost(tmp_path):
    shared, sequential = tmp_path / "shared", tmp_path / "sequential"
    env = drill_env(shared)
    # runs launched like the UI's, minus the daemon that dequeues them
    (shared / "dagster_home" / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\nrun_coordinator:\n  module: dagster._core.run_coordinator\n"
        "  class: DefaultRunCoordinator\n"
    )
    holder = hold(shared / "w.duckdb", "rw")
    impatient = start_backfill(shared, "2014-01", "2014-01", ONLY, MOMENTUM_LOCK_TIMEOUT_SECONDS="1")
    backfills = [start_backfill(shared, "2014-01", end, ONLY) for end in ("2014-01", "2014-02", "2014-03", "2014-04")]
    reference = start_backfill(sequential, "2014-01", "2014-04", ONLY)

    code, out = finish(impatient)
    assert code == 1, out
    assert f"still locked after 1 s: PID {holder.pid} (" in out and "holds it for writing" in out, out
    assert "raise MOMENTUM_LOCK_TIMEOUT_SECONDS (now 1)" in out and "Traceback" not in out
    # the UI's run, on the instance the CLI created (the UI's own ``dagster dev`` would have created it before
    # anything is launched from it; Dagster's storage creation is not safe between two of its processes)
    tags = {"dagster/asset_partition_range_start": "2014-01-01", "dagster/asset_partition_range_end": "2014-02-01"}
    ui = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "job",
            "launch",
            "-w",
            "workspace.yaml",
            "-j",
            "monthly_job",
            "-o",
            UI_OPS,
            "--tags",
            json.dumps(tags),
        ],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    release(holder)

    outputs = []
    for process in [*backfills, ui]:
        code, out = finish(process)
        assert code == 0, out
        outputs.append(out)
    assert any("[momentum-dag] waiting for" in out and "got " in out for out in outputs)  # they did wait
    code, out = finish(reference)
    assert code == 0, out

    expected = tables(sequential / "w.duckdb")
    assert_identical(shared / "w.duckdb", expected)
    conn = duckdb.connect(str(shared / "w.duckdb"), read_only=True)
    rows, keys, months = conn.execute(
        "select count(*), count(distinct (trade_date, stock_id)), count(distinct date_trunc('month', trade_date)) "
        "from raw.daily_bars"
    ).fetchall()[0]
    conn.close()
    assert rows == keys == len(expected["raw.daily_bars"]) and months == 4
    # five successful runs in the instance, the UI's among them (the impatient backfill never started one)
    instance = DagsterInstance.from_config(str(shared / "dagster_home"))
    runs = instance.get_runs()
    assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS] * 5
    assert all("dagster/code_location" in r.tags for r in runs)  # the CLI's runs too: they are the job's runs
    assert sum(r.tags.get("momentum_dag/launched_by") == "momentum-dag" for r in runs) == 4
