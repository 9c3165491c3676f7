"""The project's strongest guard against look-ahead: factors recover planted effects, and find nothing
when every effect is off.

Each market's raw, SQL and Barra layers are materialized through Dagster over the default history; the
factors and their evaluation then run through the same functions the factor and evaluation assets call
(``compute_factor``, ``evaluate_rows``) in one pass, which skips Dagster's per-step overhead for the ~40
factor and evaluation assets (their wiring is tested in test_factor_assets.py).
"""

import pandas as pd
import pytest
from dagster import DagsterInstance

from momentum_dag.assets.factors import compute_factor, evaluate_rows
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.cli import backfill
from momentum_dag.core.evaluation import ic_summary
from momentum_dag.definitions import build_definitions
from momentum_dag.partitions import monthly_partitions
from momentum_dag.registry import FACTORS
from momentum_dag.settings import get_settings
from momentum_dag.warehouse import Warehouse

# 300 stocks in 16 industries: about 19 constituents per industry for the within-industry factors.
MARKET = {"MOMENTUM_SIM_STOCKS": "300", "MOMENTUM_SIM_INDUSTRIES": "16"}


def _rank_ic_t(effects: str, tmp_path_factory, names: list[str]) -> dict[str, pd.Series]:
    """t-statistic of the mean rank IC per factor and window over the default history."""
    path = tmp_path_factory.mktemp(f"effects_{effects}") / "w.duckdb"
    window = monthly_partitions.get_partition_keys()
    start = pd.Timestamp(window[0]).date()
    end = monthly_partitions.time_window_for_partition_key(window[-1]).end.date()
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**MARKET, "MOMENTUM_SIM_EFFECTS": effects}.items():
            patch.setenv(name, value)
        backfill(None, None, weekly=False, reports=False, only=("raw", "staging", "marts", "barra"),
                 defs=build_definitions(str(path)), instance=DagsterInstance.ephemeral())
        settings = get_settings()
    panels = MarketPanels(Warehouse(database=str(path)), end=end)
    out = {}
    for spec in (s for s in FACTORS if s.name in names):
        rows, _ = compute_factor(spec, panels, settings, start, end)
        per_period = evaluate_rows(spec, rows, panels, settings, start, end)
        out[spec.name] = per_period.groupby("window")["rank_ic"].apply(
            lambda ic, ppy=spec.periods_per_year: ic_summary(ic, ppy)["t_stat"]
        )
    return out


@pytest.fixture(scope="module")
def effects_on(tmp_path_factory) -> dict[str, pd.Series]:
    return _rank_ic_t("1", tmp_path_factory, ["dmom", "momentum", "momentum_cross_industry_lasso"])


@pytest.fixture(scope="module")
def effects_off(tmp_path_factory) -> dict[str, pd.Series]:
    return _rank_ic_t("0", tmp_path_factory, [s.name for s in FACTORS])


def test_dmom_recovers_sign_persistence(effects_on):
    assert effects_on["dmom"].loc[0] > 3


@pytest.mark.parametrize("name, window", [("momentum", 240), ("momentum_cross_industry_lasso", 0)])
def test_industry_momentum_and_lead_lag_are_found(effects_on, name, window):
    assert effects_on[name].loc[window] > 2


@pytest.mark.parametrize("spec", FACTORS, ids=lambda s: s.name)
def test_no_factor_is_significant_with_every_effect_off(effects_off, spec):
    t = effects_off[spec.name]
    assert len(t) == len(spec.windows), f"every window must be evaluated: {t.to_dict()}"
    assert (t.abs() <= 2.5).all(), t.round(2).to_dict()
