"""The project's strongest guard against look-ahead: factors recover planted effects, and find nothing
when every effect is off.

Each market's raw, SQL and Barra layers are materialized through Dagster over the default history; the
factors and their evaluation then run through the same functions the factor and evaluation assets call
(``compute_factor``, ``evaluate_rows``) in one pass, which skips Dagster's per-step overhead for the ~40
factor and evaluation assets (their wiring is tested in factors/test_assets.py).
"""

from datetime import date

import pandas as pd
import pytest
from dagster import DagsterInstance

from momentum_dag.assets.factors.evaluation import evaluate_rows
from momentum_dag.assets.factors.panel import compute_factor
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.cli import backfill
from momentum_dag.core.evaluation.engine import ic_summary
from momentum_dag.definitions import build_definitions
from momentum_dag.partitions import Partitions
from momentum_dag.registry import FACTORS
from momentum_dag.settings import Settings
from momentum_dag.warehouse import Warehouse

# 300 stocks in 16 industries: about 19 constituents per industry for the within-industry factors.
MARKET = {"MOMENTUM_SIM_STOCKS": "300", "MOMENTUM_SIM_INDUSTRIES": "16"}


MONTHLY = Partitions.starting(Settings.from_env().history_start_date).monthly
KEYS = MONTHLY.get_partition_keys()
START = pd.Timestamp(KEYS[0]).date()
END = MONTHLY.time_window_for_partition_key(KEYS[-1]).end.date()


def _market(effects: str, tmp_path_factory) -> tuple[Warehouse, Settings]:
    """Raw, SQL, Barra and factor-momentum layers of a market over the default history, through Dagster."""
    path = tmp_path_factory.mktemp(f"effects_{effects}") / "w.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**MARKET, "MOMENTUM_SIM_PROFILE": effects}.items():
            patch.setenv(name, value)
        only = ("raw", "staging", "marts", "barra", "factors/dmom_features", "factor_momentum/factor_returns",
                "factor_momentum/factor_momentum")
        backfill(None, None, weekly=False, reports=False, only=only,
                 defs=build_definitions(str(path)), instance=DagsterInstance.ephemeral())
        return Warehouse(database=str(path)), Settings.from_env()


def _rank_ic_t(market: tuple[Warehouse, Settings], names: list[str]) -> dict[str, pd.Series]:
    """t-statistic of the mean rank IC per factor and window over the default history."""
    warehouse, settings = market
    start, end = START, END
    panels = MarketPanels(warehouse, end=end)
    out = {}
    for spec in (s for s in FACTORS if s.name in names):
        rows, _ = compute_factor(spec, panels, settings, start, end)
        per_period = evaluate_rows(spec, rows, panels, settings, start, end)
        out[spec.name] = per_period.groupby("window")["rank_ic"].apply(
            lambda ic, ppy=spec.periods_per_year: ic_summary(ic, ppy)["t_stat"]
        )
    return out


@pytest.fixture(scope="module")
def on_market(tmp_path_factory) -> tuple[Warehouse, Settings]:
    return _market("strong", tmp_path_factory)


@pytest.fixture(scope="module")
def effects_on(on_market) -> dict[str, pd.Series]:
    return _rank_ic_t(on_market, ["dmom", "momentum", "momentum_cross_industry_lasso"])


@pytest.fixture(scope="module")
def off_market(tmp_path_factory) -> tuple[Warehouse, Settings]:
    return _market("null", tmp_path_factory)


@pytest.fixture(scope="module")
def effects_off(off_market) -> dict[str, pd.Series]:
    return _rank_ic_t(off_market, [s.name for s in FACTORS])


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


@pytest.mark.parametrize("spec", [s for s in FACTORS if s.level == "industry"], ids=lambda s: s.name)
def test_a_run_starting_mid_history_computes_the_same_values(off_market, spec):
    """Industry factors compute only the run's formation dates; values must not depend on where it starts."""
    warehouse, settings = off_market
    start = date(2024, 1, 1)
    whole, _ = compute_factor(spec, MarketPanels(warehouse, end=END), settings, start, END)
    late, _ = compute_factor(spec, MarketPanels(warehouse, end=END, formation_start=start), settings, start, END)
    assert len(whole) > 0
    pd.testing.assert_frame_equal(whole, late)


def _tsmom_t(market: tuple[Warehouse, Settings]) -> float:
    tsmom = market[0].query("select tsmom from models.factor_momentum_monthly")["tsmom"].dropna()
    assert len(tsmom) >= 100, "time-series factor momentum must cover most of the default history"
    return float(tsmom.mean() / tsmom.std() * len(tsmom) ** 0.5)


def test_time_series_factor_momentum_recovers_persistent_factor_means(on_market):
    """Ehsani-Linnainmaa TS factor momentum on the Barra and characteristic factors (momentum excluded)."""
    assert _tsmom_t(on_market) > 3


def test_time_series_factor_momentum_is_absent_with_every_effect_off(off_market):
    assert abs(_tsmom_t(off_market)) < 2.5
