"""A history shorter than the estimators' warm-ups (a new market, a new user's first try) runs whole.

From an empty folder, the installed ``momentum-dag`` entry point backfills 100 synthetic stocks over six
months (the README's first step on a small market). WML needs 12 months of formation returns, the GARCH
252 days, D-MOM 60 months: their tables are created with no rows (or NaN values), each such partition says
so in its metadata (``status: warm-up ...``), and the run succeeds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

pytestmark = pytest.mark.slow  # one six-month backfill of the whole graph (2-6 min on 2 shared cores)

ENTRY_POINT = Path(sys.executable).parent / "momentum-dag"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("short_history")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOMENTUM_", "DAGSTER_"))}
    env |= {"MOMENTUM_SIM_STOCKS": "100", "MOMENTUM_HISTORY_START": "2024-01-01"}
    done = subprocess.run(
        [str(ENTRY_POINT), "backfill", "--start", "2024-01", "--end", "2024-06"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, f"backfill failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return root


def test_every_table_of_a_warm_up_is_created_and_empty_or_nan(folder):
    with duckdb.connect(str(folder / "data" / "momentum.duckdb"), read_only=True) as conn:
        counts = {
            table: conn.execute(f"select count(*) from {table}").fetchone()[0]
            for table in (
                "barra.factor_returns_monthly",
                "models.wml_monthly",
                "models.wml_daily",
                "models.wml_betas",
                "models.wml_variance_forecast",
                "factors.momentum_residual",
            )
        }
        assert counts["models.wml_monthly"] == counts["models.wml_daily"] == 0  # 12-month formation
        assert counts["models.wml_variance_forecast"] == 0
        assert conn.execute("select count(*) from factors.mom_12_2").fetchone()[0] == 0
        assert (
            conn.execute("select count(*) from marts.stock_returns_daily").fetchone()[0] > 5_000
        )  # 100 stocks x ~120 days
    assert (folder / "data" / "reports" / "index.html").exists()


def test_a_warm_up_partition_says_so_in_its_metadata(folder):
    with DagsterInstance.from_config(str(folder / ".dagster_home")) as instance:
        for asset in (("crashes", "wml"), ("crashes", "wml_betas")):
            event = instance.get_latest_materialization_event(AssetKey(list(asset)))
            assert event is not None, asset
            metadata = event.asset_materialization.metadata
            assert int(metadata["rows"].value) == 0  # text where every partition has one row by construction
            assert str(metadata["status"].value).startswith("warm-up"), (asset, metadata)
