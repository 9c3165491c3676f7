"""Factor, evaluation and report assets generated from the registry, materialized through Dagster.

(Range independence and look-ahead through the whole graph: tests/integration/test_monthly_operation.py.)"""

import pandas as pd
import pytest
from dagster import DagsterInstance

from momentum_dag.cli import backfill
from momentum_dag.definitions import build_definitions
from momentum_dag.registry import FACTORS
from momentum_dag.settings import Settings
from momentum_dag.warehouse import Warehouse

SELECTED = ("mom_12_2", "momentum", "momentum_cross_industry_lasso", "momentum_pca")
ONLY = ("raw", "staging", "marts", *(f"{layer}/{name}" for name in SELECTED for layer in ("factors", "eval")))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("factor_assets") / "w.duckdb"
    defs = build_definitions(str(path))
    instance = DagsterInstance.ephemeral()

    def materialize(start: str, end: str, only=ONLY, reports: bool = False) -> Warehouse:
        backfill(start, end, only=only, reports=reports, defs=defs, instance=instance)
        return Warehouse(database=str(path))

    return materialize


def _rows(warehouse: Warehouse, table: str) -> pd.DataFrame:
    return warehouse.query(f"select * from {table} order by all")


def test_assets_come_from_the_registry():
    keys = {k.to_user_string() for k in build_definitions().resolve_asset_graph().get_all_asset_keys()}
    for spec in FACTORS:
        assert {f"factors/{spec.name}", f"eval/{spec.name}", f"reports/{spec.name}"} <= keys
    assert "models/dmom_lpm" in keys and "reports/index" in keys


def test_evaluation_uses_next_period_returns_and_reports_render(run):
    warehouse = run("2014-01", "2015-12", reports=True,
                    only=(*ONLY, "reports/mom_12_2", "reports/momentum", "reports/momentum_cross_industry_lasso",
                          "reports/momentum_pca"))
    periods = _rows(warehouse, "eval.mom_12_2_periods")
    # a formation month's row exists only when the next month's returns exist: none for the last month
    assert pd.to_datetime(periods["period_end"]).max() < pd.Timestamp("2015-12-01")
    assert {"ic", "rank_ic", "q1", "q10", "long_short_ew", "long_short_cw", "top_turnover"} <= set(periods.columns)
    monthly = warehouse.query("select month_end, stock_id, ret from marts.stock_returns_monthly")
    factor = warehouse.query("select period_end, entity_id, value from factors.mom_12_2")
    first = pd.to_datetime(periods["period_end"]).min()
    months = sorted(pd.to_datetime(monthly["month_end"]).unique())
    nxt = months[months.index(first) + 1]
    f = factor[pd.to_datetime(factor["period_end"]) == first].set_index("entity_id")["value"]
    r = monthly[pd.to_datetime(monthly["month_end"]) == nxt].set_index("stock_id")["ret"]
    # the stored IC is computed on tradable names only, so it is close to, not equal to, the raw Pearson
    assert abs(periods.loc[pd.to_datetime(periods["period_end"]) == first, "ic"].iloc[0] - f.corr(r)) < 0.1
    summary = warehouse.query("select * from eval.summary")
    assert set(summary["factor"]) == {"mom_12_2", "momentum", "momentum_cross_industry_lasso", "momentum_pca"}
    assert set(summary.loc[summary["factor"] == "mom_12_2", "weighting"]) == {"equal", "cap"}
    page = Settings.from_env().reports_path / "mom_12_2.html"
    assert page.exists() and "mom_12_2" in page.read_text()
