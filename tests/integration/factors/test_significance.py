"""The project's strongest guard against look-ahead and sign errors: every factor recovers the planted
effects with their sign and near their strength, and finds nothing when every effect is off.

Thresholds come from measurement, by one rule: ``significance_strength.json`` holds the rank-IC t of every
factor and window on the ``strong`` market for three seeds (``benchmarks/significance.py`` writes it); a
(factor, window) whose weakest seed reaches t = 3 is a planted effect, and the default seed must reach half
that weakest t (rounded down to 0.5) with the planted (positive) sign. So a sign flip, a lag that loses
most of the signal, or a factor quietly computed on the wrong input fails; seed-to-seed noise does not.
With every effect off, no series may reach |t| = 2.5 in either direction (a one-sided 2.0 was tried: two
of 55 series reach 2.03 and 2.14, what 55 tests at 2.3% each give by chance, and the overlapping windows'
autocorrelated ICs inflate a plain t).

Each market's raw, SQL and Barra layers are materialized through Dagster over the default history; the
factors and their evaluation then run through the same functions the factor and evaluation assets call
(``compute_factor``, ``evaluate_rows``) in one pass, which skips Dagster's per-step overhead for the ~40
factor and evaluation assets (their wiring is tested in factors/test_assets.py).
"""

import json
import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from dagster import DagsterInstance

from momentum_dag.assets.factors.evaluation import evaluate_rows
from momentum_dag.assets.factors.panel import compute_factor
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.evaluation.engine import ic_summary
from momentum_dag.partitions import Partitions
from momentum_dag.registry import FACTORS
from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

STRENGTH_FILE = Path(__file__).with_name("significance_strength.json")
PLANTED_FROM_T = 3.0  # weakest seed's t from which a (factor, window) counts as a planted effect


def planted_floors() -> dict[tuple[str, int], float]:
    """(factor, window) -> the t the default seed must reach: half the weakest seed's t, rounded down to 0.5."""
    measured = json.loads(STRENGTH_FILE.read_text())
    floors = {}
    for spec in FACTORS:
        for window in spec.windows:
            weakest = min(seed[spec.name][str(window)] for seed in measured.values())
            if weakest >= PLANTED_FROM_T:
                floors[(spec.name, window)] = math.floor(weakest) / 2
    return floors


PLANTED = planted_floors()

# 300 stocks in 16 industries: about 19 constituents per industry for the within-industry factors.
MARKET = {"MOMENTUM_SIM_STOCKS": "300", "MOMENTUM_SIM_INDUSTRIES": "16"}


MONTHLY = Partitions.starting(Settings.from_env().source.history_start_date).monthly
KEYS = MONTHLY.get_partition_keys()
START = pd.Timestamp(KEYS[0]).date()
END = MONTHLY.time_window_for_partition_key(KEYS[-1]).end.date()


def _market(effects: str, tmp_path_factory) -> tuple[Warehouse, Settings]:
    """Raw, SQL, Barra and factor-momentum layers of a market over the default history, through Dagster."""
    path = tmp_path_factory.mktemp(f"effects_{effects}") / "w.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**MARKET, "MOMENTUM_SIM_PROFILE": effects}.items():
            patch.setenv(name, value)
        only = (
            "raw",
            "staging",
            "marts",
            "barra",
            "factors/dmom_features",
            "factor_momentum/factor_returns",
            "factor_momentum/factor_momentum",
        )
        backfill(
            None,
            None,
            weekly=False,
            reports=False,
            only=only,
            defs=build_definitions(str(path)),
            instance=DagsterInstance.ephemeral(),
        )
        return Warehouse.at(str(path)), Settings.from_env()


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
    return _rank_ic_t(on_market, sorted({name for name, _ in PLANTED}))


@pytest.fixture(scope="module")
def off_market(tmp_path_factory) -> tuple[Warehouse, Settings]:
    return _market("null", tmp_path_factory)


@pytest.fixture(scope="module")
def effects_off(off_market) -> dict[str, pd.Series]:
    return _rank_ic_t(off_market, [s.name for s in FACTORS])


def test_every_factor_and_window_has_a_measured_strength():
    measured = json.loads(STRENGTH_FILE.read_text())
    for seed, factors in measured.items():
        missing = [(s.name, w) for s in FACTORS for w in s.windows if str(w) not in factors.get(s.name, {})]
        assert not missing, f"seed {seed}: run benchmarks/significance.py for {missing}"
    assert len(PLANTED) >= 50  # nearly every registered series carries a planted effect (55 of 58)


@pytest.mark.parametrize("name, window", sorted(PLANTED), ids=lambda v: str(v))
def test_planted_effect_is_found_with_its_sign_and_strength(effects_on, name, window):
    t = effects_on[name].loc[window]
    assert t >= PLANTED[(name, window)], f"{name}[{window}]: t = {t:.2f}, expected >= {PLANTED[(name, window)]}"


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
