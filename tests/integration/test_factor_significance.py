"""The project's strongest guard against look-ahead: factors recover planted effects and find nothing
when every effect is off. Both markets run through the Dagster assets over the default history."""

import os

import pandas as pd
import pytest

from momentum_dag.cli import backfill
from momentum_dag.core.evaluation import ic_summary
from momentum_dag.definitions import build_definitions
from momentum_dag.registry import FACTORS
from momentum_dag.warehouse import Warehouse

ONLY = ("raw", "staging", "marts", "barra", "factors", "eval", "models/dmom")
# Enough stocks per industry for the within-industry factors; the default 31 industries.
MARKET = {"MOMENTUM_SIM_STOCKS": "500", "MOMENTUM_SIM_INDUSTRIES": "31"}


def _build(tmp_path_factory, effects: str) -> Warehouse:
    path = tmp_path_factory.mktemp(f"effects_{effects}") / "w.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**MARKET, "MOMENTUM_SIM_EFFECTS": effects}.items():
            patch.setenv(name, value)
        backfill(None, None, weekly=False, reports=False, only=ONLY, defs=build_definitions(str(path)))
    return Warehouse(database=str(path))


@pytest.fixture(scope="module")
def effects_on(tmp_path_factory) -> Warehouse:
    return _build(tmp_path_factory, "1")


@pytest.fixture(scope="module")
def effects_off(tmp_path_factory) -> Warehouse:
    return _build(tmp_path_factory, "0")


def rank_ic_t(warehouse: Warehouse, name: str) -> pd.Series:
    """t-statistic of the mean rank IC per window, from the stored per-period evaluation."""
    table = warehouse.query(f"select \"window\", rank_ic from eval.{name}_periods")
    return table.groupby("window")["rank_ic"].apply(lambda ic: ic_summary(ic, 12)["t_stat"])


def test_dmom_recovers_sign_persistence(effects_on):
    assert rank_ic_t(effects_on, "dmom").loc[0] > 3


@pytest.mark.parametrize("name, window", [("momentum", 240), ("momentum_cross_industry_lasso", 0)])
def test_industry_momentum_and_lead_lag_are_found(effects_on, name, window):
    assert rank_ic_t(effects_on, name).loc[window] > 2


@pytest.mark.parametrize("spec", [s for s in FACTORS if s.frequency == "M"], ids=lambda s: s.name)
def test_no_factor_is_significant_with_every_effect_off(effects_off, spec):
    t = rank_ic_t(effects_off, spec.name)
    assert len(t) > 0 and (t.abs() <= 2.5).all(), t.round(2).to_dict()


def test_the_off_market_is_not_empty(effects_off):
    n = effects_off.query("select count(*) n from eval.mom_12_2_periods")["n"].iloc[0]
    assert n >= 100, "the effects-off market must be evaluated over the default history"
    assert os.environ.get("MOMENTUM_SIM_EFFECTS", "1") == "1"  # the fixture restored the environment
