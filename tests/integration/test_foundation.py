"""The raw and SQL layers materialized through Dagster on the small synthetic market (tests/conftest.py)."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.storage.sql_models import load_models

LAYERS = ("raw", "staging", "marts")
RAW = ("daily_bars", "market_daily", "fundamentals", "industry_membership")
MONTHLY_MARTS = ("stock_returns_daily", "stock_returns_monthly", "industry_daily", "industry_monthly", "market_monthly")
REPO = Path(__file__).resolve().parents[2]


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_type = 'BASE TABLE'"
        ).fetchall()
        return {n: conn.execute(f"select * from {n} order by all").df() for (n,) in names}
    finally:
        conn.close()


@pytest.fixture(scope="module")
def warehouse_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("foundation") / "w.duckdb"
    backfill("2014-01", "2014-06", only=LAYERS, defs=build_definitions(str(path)))
    return path


def test_every_raw_and_sql_table_has_every_month(warehouse_path):
    conn = duckdb.connect(str(warehouse_path), read_only=True)
    months = {
        "raw.daily_bars": "trade_date",
        "raw.market_daily": "trade_date",
        **{
            f"marts.{m}": {"stock_returns_daily": "trade_date", "industry_daily": "trade_date"}.get(m, "month_end")
            for m in MONTHLY_MARTS
        },
    }
    for table, column in months.items():
        found = conn.execute(f"select count(distinct date_trunc('month', {column})) from {table}").fetchall()[0][0]
        assert found == 6, table
    assert conn.execute("select count(*) from raw.fundamentals").fetchall()[0][0] > 0
    # every listed stock has a point-in-time industry on every trading day
    unlabelled = "select count(*) from marts.stock_returns_daily where industry_code is null"
    assert conn.execute(unlabelled).fetchall()[0][0] == 0
    conn.close()


def test_sql_checks_ran_and_passed(warehouse_path):
    instance = DagsterInstance.get()
    models = load_models()
    checked = 0
    for model in models.values():
        for test in model.tests:
            record = instance.get_latest_asset_check_evaluation_record(
                AssetCheckKey(AssetKey([model.layer, model.name]), test.name)
            )
            assert record is not None and record.event.asset_check_evaluation.passed, (model.name, test.name)
            checked += 1
    assert checked >= 10


def test_rerunning_a_range_leaves_every_table_identical(warehouse_path):
    before = _tables(warehouse_path)
    backfill("2014-03", "2014-05", only=LAYERS, defs=build_definitions(str(warehouse_path)))
    after = _tables(warehouse_path)
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=True, obj=name)


def test_two_runs_at_once_on_different_months_both_succeed_without_duplicates(tmp_path):
    env = {**os.environ, "MOMENTUM_DUCKDB_PATH": str(tmp_path / "c.duckdb"), "DAGSTER_HOME": str(tmp_path / "dh")}
    (tmp_path / "dh").mkdir()
    command = [
        sys.executable,
        "-m",
        "momentum_dag.runtime.cli",
        "backfill",
        "--only",
        "raw",
        "--no-weekly",
        "--no-reports",
    ]
    runs = [
        subprocess.Popen(
            [*command, "--start", month, "--end", month],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for month in ("2014-01", "2014-02")
    ]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    conn = duckdb.connect(str(tmp_path / "c.duckdb"), read_only=True)
    months = conn.execute(
        "select date_trunc('month', trade_date) m, count(*) n, count(distinct (trade_date, stock_id)) u "
        "from raw.daily_bars group by m order by m"
    ).fetchall()
    assert [m[0].month for m in months] == [1, 2]
    assert all(n == u for _, n, u in months)


def test_definitions_validate():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
