"""Factor, evaluation and report assets generated from the registry, materialized through Dagster.

(Range independence and look-ahead through the whole graph: tests/integration/test_monthly_operation.py.)"""

import pandas as pd
import pytest
from dagster import DagsterInstance

from momentum_dag.registry import FACTORS
from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

SELECTED = ("mom_12_2", "momentum", "momentum_cross_industry_lasso", "momentum_pca")
ONLY = ("raw", "staging", "marts", *(f"{layer}/{name}" for name in SELECTED for layer in ("factors", "eval")))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    path = tmp_path_factory.mktemp("factor_assets") / "w.duckdb"
    defs = build_definitions(str(path))
    instance = DagsterInstance.ephemeral()

    def materialize(start: str, end: str, only=ONLY, reports: bool = False) -> Warehouse:
        backfill(start, end, only=only, reports=reports, defs=defs, instance=instance)
        return Warehouse.at(str(path))

    return materialize


def _rows(warehouse: Warehouse, table: str) -> pd.DataFrame:
    return warehouse.query(f"select * from {table} order by all")


def test_assets_come_from_the_registry():
    keys = {k.to_user_string() for k in build_definitions().resolve_asset_graph().get_all_asset_keys()}
    for spec in FACTORS:
        assert {f"factors/{spec.name}", f"eval/{spec.name}", f"reports/{spec.name}"} <= keys
    assert "factors/dmom_lpm" in keys and "reports/index" in keys


def test_evaluation_uses_next_period_returns_and_reports_render(run):
    warehouse = run(
        "2014-01",
        "2015-12",
        reports=True,
        only=(
            *ONLY,
            "reports/mom_12_2",
            "reports/momentum",
            "reports/momentum_cross_industry_lasso",
            "reports/momentum_pca",
        ),
    )
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
    # net of costs beside gross: the turnover of both legs per period, charged at the setting's bps
    assert {"long_short_turnover_ew", "long_short_turnover_cw"} <= set(periods.columns)
    assert periods["long_short_turnover_ew"].between(0, 4).all()
    mom = summary[(summary["factor"] == "mom_12_2") & (summary["weighting"] == "equal")].iloc[0]
    assert mom["cost_bps"] == Settings.from_env().evaluation.cost_bps
    costs = mom["cost_bps"] * 1e-4 * periods[periods["window"] == mom["window"]]["long_short_turnover_ew"].mean()
    assert mom["long_short_net_ann_return"] == pytest.approx(mom["long_short_ann_return"] - 12 * costs)
    page = Settings.from_env().reports_path / "mom_12_2.html"
    assert page.exists() and "mom_12_2" in page.read_text()


def test_a_failure_between_the_panel_and_its_side_table_leaves_both_unchanged(tmp_path, monkeypatch):
    """The factor panel and its side table (as D-MOM's models.dmom_lpm) are ONE write: a failure injected
    after the panel's window is replaced but before the side table's leaves both as they were."""
    from dagster import materialize

    import momentum_dag.storage.windows as warehouse_module
    from momentum_dag.assets.factors.panel import build_factor_asset
    from momentum_dag.partitions import Partitions
    from momentum_dag.registry import FactorOutput, FactorSpec

    version = {"value": 1.0}

    def compute(panels, window, settings):
        months = pd.to_datetime(["2015-03-31"])
        rows = pd.DataFrame({"period_end": months, "entity_id": "s1", "window": 0, "value": version["value"]})
        side = pd.DataFrame({"period_end": months, "term": "const", "coef": version["value"]})
        return FactorOutput(rows, {"factors.toy_lpm": side})

    spec = FactorSpec(
        "toy",
        "stock",
        "M",
        (0,),
        compute,
        (),
        "a test factor",
        "a test factor",
        lookback=None,
        side_tables=("factors.toy_lpm",),
    )
    settings = Settings.from_env()
    asset = build_factor_asset(spec, Partitions.starting(settings.source.history_start_date).monthly)
    warehouse = Warehouse.at(str(tmp_path / "toy.duckdb"))
    with warehouse.get_connection() as conn:  # the universe the asset's coverage figure reads
        conn.execute("create schema marts")
        conn.execute(
            "create table marts.stock_returns_monthly as select date '2015-03-31' as month_end, "
            "'s1' as stock_id, 0.01 as ret"
        )
    resources = {"warehouse": warehouse, "settings": settings}
    assert materialize([asset], partition_key="2015-03-01", resources=resources).success

    version["value"] = 2.0
    check = warehouse_module._check_inside_window

    def fail_on_side_table(frame, table, *args):
        if table == "factors.toy_lpm":
            raise RuntimeError("injected failure between the panel and its side table")
        return check(frame, table, *args)

    monkeypatch.setattr(warehouse_module, "_check_inside_window", fail_on_side_table)
    result = materialize([asset], partition_key="2015-03-01", resources=resources, raise_on_error=False)
    assert not result.success
    assert warehouse.query("select value from factors.toy")["value"].tolist() == [1.0]
    assert warehouse.query("select coef from factors.toy_lpm")["coef"].tolist() == [1.0]
    monkeypatch.setattr(warehouse_module, "_check_inside_window", check)
    assert materialize([asset], partition_key="2015-03-01", resources=resources).success
    assert warehouse.query("select value from factors.toy")["value"].tolist() == [2.0]
    assert warehouse.query("select coef from factors.toy_lpm")["coef"].tolist() == [2.0]
