"""No value at t moves when anything after t changes: every registered factor (through its registry
``compute`` on ``MarketPanels``), its evaluation rows, and every study estimator.

The market is a small synthetic one (200 stocks, 8 industries, 2014-2018) and the cut is 2018-09-28;
``tests/lookahead.py`` perturbs every raw row after the cut (values, missing data, delistings, new
listings, industry moves), rebuilds the marts with the project's SQL models, and checks each computation.
Parameters are the settings' defaults except the minimum histories the short sample cannot reach.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.barra import compute_exposures
from momentum_dag.assets.factors.evaluation import evaluate_rows
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.crashes.strategy import barroso_santa_clara_weights, to_holding_alignment
from momentum_dag.core.crashes.study import (
    market_state_table,
    run_strategies,
    variance_forecast_table,
    wml_beta_table,
    wml_tables,
)
from momentum_dag.core.factor_momentum.characteristics import build_characteristics, cumulative_return
from momentum_dag.core.factor_momentum.portfolios import (
    daily_factor_returns,
    long_short_returns,
    long_short_weights,
    momentum_neutral_factor_returns,
)
from momentum_dag.core.factor_momentum.study import (
    MOMENTUM_NAMES,
    consecutive_months,
    momentum_frame,
    pc_momentum_returns,
    role_of,
)
from momentum_dag.core.frames import period_ends
from momentum_dag.registry import FACTORS
from momentum_dag.settings import CrashConfig, DmomConfig, FactorMomentumConfig, Settings
from tests.lookahead import (
    PANEL_READS,
    Market,
    SplicedPanels,
    assert_no_lookahead,
    build_panels,
    perturb_after,
    simulate,
)

START, END = date(2014, 1, 1), date(2019, 1, 1)
pytestmark = pytest.mark.slow  # about 35 s: two markets' marts, every factor, window and estimator twice

CUT = pd.Timestamp("2018-09-28")  # last trading day of September 2018
# Defaults, except the minimum histories a five-year market cannot reach before the cut.
SETTINGS = Settings(
    dmom=DmomConfig(min_months=24),
    crash=CrashConfig(blend_min_pairs=12, oos_min_months=24),
    fm=FactorMomentumConfig(pc_min_months=24),
)
CRASH = SETTINGS.crash.params()
FM = SETTINGS.fm.params()


@dataclass
class Runs:
    base_market: Market
    perturbed_market: Market
    base: MarketPanels
    perturbed_marts: MarketPanels  # the perturbed market's own marts
    perturbed: SplicedPanels  # what the factors and estimators see: base rows <= the cut, perturbed after


# Results shared by several tests (factor rows feed their evaluation; WML feeds most crash estimators),
# keyed by (id of the panels, name). Emptied when the module's fixture is torn down.
_MEMO: dict[tuple, object] = {}


@pytest.fixture(scope="module")
def runs():
    market = simulate(n_stocks=200, n_industries=8, start=START, end=END, seed=8)
    perturbed = perturb_after(market, CUT)
    base = build_panels(market)
    _MEMO["base"] = base
    marts = build_panels(perturbed)
    try:
        yield Runs(market, perturbed, base, marts, SplicedPanels(base, marts, CUT))
    finally:
        _MEMO.clear()


def _memo(panels: MarketPanels, key: tuple, compute):
    full = (id(panels), *key)
    if full not in _MEMO:
        _MEMO[full] = compute(panels)
    return _MEMO[full]


def _memoized(key: tuple, compute):
    return lambda panels: _memo(panels, key, compute)


# ---- the harness itself -----------------------------------------------------------------------------


def test_perturbation_changes_every_kind_of_data_after_the_cut_and_nothing_before(runs):
    base, pert = runs.base_market.tables, runs.perturbed_market.tables
    bars, bars2 = base["daily_bars"], pert["daily_bars"]
    pd.testing.assert_frame_equal(
        bars[bars["trade_date"] <= CUT].reset_index(drop=True), bars2[bars2["trade_date"] <= CUT].reset_index(drop=True)
    )

    def trading(frame: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp | None = None) -> set:
        return set(frame.loc[frame["trade_date"].between(first, last or first), "stock_id"])

    last = bars["trade_date"].max()
    last_month = last - pd.Timedelta(days=30)
    delisted = (trading(bars, CUT) & trading(bars, last)) - trading(bars2, last_month, last)
    assert len(delisted) >= 15  # one in eight of the ~150 stocks trading on the cut day
    # within 15 trading days (the October holiday included)
    assert bars2.loc[bars2["stock_id"].isin(delisted), "trade_date"].max() <= CUT + pd.Timedelta(days=35)
    listed = set(bars2["stock_id"]) - set(bars["stock_id"])
    assert len(listed) >= 15 and bars2.loc[bars2["stock_id"].isin(listed), "trade_date"].min() > CUT
    spells = pert["industry_membership"]
    moved = spells.loc[spells["out_date"] > CUT, "stock_id"]
    assert base["industry_membership"]["out_date"].dropna().le(CUT).all()  # no switch after the cut in the base
    assert len(set(moved) & trading(bars2, last_month, last)) >= 10
    later = bars["trade_date"] > CUT
    assert (bars2["trade_date"] > CUT).sum() < 0.85 * later.sum()  # missing stock-days, a day, delistings
    merged = bars[later].merge(bars2, on=["trade_date", "stock_id"], suffixes=("", "_2"))
    ret, ret2 = merged["close"] / merged["pre_close"], merged["close_2"] / merged["pre_close_2"]
    assert (~np.isclose(ret, ret2)).mean() > 0.9
    market, market2 = base["market_daily"], pert["market_daily"]
    assert set(market2["trade_date"]) < set(market["trade_date"])
    assert not np.allclose(
        market.loc[market["trade_date"] > CUT, "market_ret"].iloc[:20],
        market2.loc[market2["trade_date"] > CUT, "market_ret"].iloc[:20],
    )
    fundamentals, before = pert["fundamentals"], base["fundamentals"]
    pd.testing.assert_frame_equal(
        before[before["announce_date"] <= CUT].reset_index(drop=True),
        fundamentals[fundamentals["announce_date"] <= CUT].reset_index(drop=True),
    )
    late = fundamentals[
        fundamentals["period_end"] == CUT
    ]  # a report for a period ending at the cut, published after it
    assert len(late) >= 10 and (late["announce_date"] > CUT).all()
    regular = fundamentals[(fundamentals["announce_date"] > CUT) & (fundamentals["period_end"] != CUT)]
    assert len(regular) < len(before[before["announce_date"] > CUT])


@pytest.mark.parametrize("read", list(PANEL_READS))
def test_marts_and_panels_at_or_before_the_cut_do_not_move(runs, read):
    """The SQL models and ``MarketPanels`` (what every factor reads): rows up to the cut agree to 1e-9
    (DuckDB sums in a layout-dependent order, so not to the bit), rows after it changed."""
    before, after = PANEL_READS[read](runs.base), PANEL_READS[read](runs.perturbed_marts)
    # a stock listing after the cut (in either market) has a column of NaN up to it
    early, early_after = before.loc[:CUT].dropna(axis=1, how="all"), after.loc[:CUT].dropna(axis=1, how="all")
    assert early.notna().to_numpy().sum() > 100 and early.index[-1] == CUT
    pd.testing.assert_frame_equal(early, early_after, rtol=1e-9, check_dtype=False, obj=read)
    late = before.loc[before.index > CUT]
    assert not late.equals(after.loc[after.index > CUT].reindex_like(late)), f"{read}: nothing changed after the cut"


# ---- every registered factor -----------------------------------------------------------------------

FACTOR_WINDOWS = [pytest.param(spec, w, id=f"{spec.name}-{w}") for spec in FACTORS for w in spec.windows]


def _factor_output(spec, window: int):
    return _memoized(("factor", spec.name, window), lambda p: spec.evaluate(p, window, SETTINGS))


def _factor_rows(spec, window: int):
    return lambda panels: _factor_output(spec, window)(panels).rows


@pytest.mark.parametrize(("spec", "window"), FACTOR_WINDOWS)
def test_registered_factor_values_at_t_ignore_everything_after_t(runs, spec, window):
    assert_no_lookahead(
        _factor_rows(spec, window),
        runs.base,
        runs.perturbed,
        CUT,
        date_column="period_end",
        name=f"{spec.name}[{window}]",
    )


SIDE_TABLES = [pytest.param(spec, table, id=f"{spec.name}-{table}") for spec in FACTORS for table in spec.side_tables]


@pytest.mark.parametrize(("spec", "table"), SIDE_TABLES)
def test_registered_side_tables_at_t_ignore_everything_after_t(runs, spec, table):
    assert SIDE_TABLES, "no registered factor declares a side table"
    window = spec.windows[0]
    assert_no_lookahead(
        lambda panels: _factor_output(spec, window)(panels).side_tables[table],
        runs.base,
        runs.perturbed,
        CUT,
        date_column="period_end",
        name=f"{spec.name}: {table}",
    )


@pytest.mark.parametrize("spec", [pytest.param(s, id=s.name) for s in FACTORS])
def test_evaluation_rows_use_one_period_ahead_and_no_more(runs, spec):
    """Row t of ``eval/<f>`` reads the return over (t, t+1]: rows up to the period before the cut's
    period are fixed, whatever happens after the cut."""

    def evaluation(panels: MarketPanels) -> pd.DataFrame:
        rows = pd.concat([_factor_rows(spec, w)(panels) for w in spec.windows], ignore_index=True)
        return evaluate_rows(spec, rows, panels, SETTINGS, START, END)

    ends = period_ends(runs.base.industry_daily("ret_cw").index, spec.frequency)
    previous = ends[ends <= CUT][-2]
    assert_no_lookahead(
        evaluation, runs.base, runs.perturbed, CUT, date_column="period_end", through=previous, name=spec.name
    )


# ---- every estimator of the studies -------------------------------------------------------------------


def _wml(panels: MarketPanels) -> dict[str, pd.DataFrame]:
    return _memo(
        panels,
        ("wml",),
        lambda p: wml_tables(p.stock_monthly("ret"), p.stock_monthly("float_mcap"), p.stock_daily("ret"), CRASH),
    )


def _wml_daily(panels: MarketPanels) -> pd.DataFrame:
    return _wml(panels)["daily"].set_index("trade_date")


def _variance_forecasts(panels: MarketPanels) -> pd.DataFrame:
    """GJR-GARCH, RV and blend forecasts at every month end, as ``crashes/wml_variance_forecast``.

    Both runs take the daily WML at or before the cut from the base run (the WML estimator's own check
    holds it to 1e-9): the perturbed market has more stock columns, so numpy sums the decile returns in
    another order and the daily WML differs by ~1e-17, and maximum likelihood stops at the optimizer's
    tolerance along warm-started refits, which turns such noise into forecasts up to 0.5% apart. With the
    same input at or before the cut, a forecast at t must be identical.
    """

    def compute(p: MarketPanels) -> pd.DataFrame:
        daily = _wml_daily(p)["wml"]
        base = _wml_daily(_MEMO["base"])["wml"]
        daily = pd.concat([base.loc[:CUT], daily.loc[daily.index > CUT]])
        ends = p.month_ends[p.month_ends >= daily.index.min()]
        return variance_forecast_table(daily, ends, CRASH).set_index("period_end")

    return _memo(panels, ("variance",), compute)


def _strategies(panels: MarketPanels) -> pd.DataFrame:
    """Weights and returns of the point-in-time strategies, each divided by its first weight: the one
    full-sample scalar (D&M's ex-post volatility target, disclosed) cancels, what remains must be fixed.
    ``static`` (a constant) and ``dyn_is`` (full-sample coefficients, in sample by construction) are out."""
    state = market_state_table(panels.market_monthly, panels.market_daily["market_ret"], CRASH).set_index("period_end")
    wml = _wml(panels)["monthly"].set_index("period_end")["wml"]
    state = state.reindex(wml.index)
    variances = to_holding_alignment(_variance_forecasts(panels).reindex(wml.index))
    daily = _wml_daily(panels)["wml"]
    bsc = barroso_santa_clara_weights(daily, wml.index)["bsc_var"].where(wml.index >= daily.index.min())
    result = run_strategies(wml, state, variances, bsc, CRASH)
    assert not result.missing, result.notes
    kept = ["cvol_dm", "cvol_bsc", "dyn_oos"]
    first = result.weights[kept].iloc[0]
    return pd.concat(
        [result.weights[kept].div(first).add_suffix("_weight"), result.returns[kept].div(first).add_suffix("_ret")],
        axis=1,
    )


def _characteristic_weights(panels: MarketPanels) -> dict[str, pd.DataFrame]:
    return _memo(panels, ("characteristic_weights",), _compute_characteristic_weights)


def _compute_characteristic_weights(panels: MarketPanels) -> dict[str, pd.DataFrame]:
    monthly = panels.stock_monthly("ret")
    cap = panels.stock_monthly("float_mcap").reindex_like(monthly)
    chars = build_characteristics(
        monthly,
        panels.stock_daily("ret"),
        cap,
        panels.fundamentals_at_month_ends("book_equity"),
        panels.fundamentals_at_month_ends("net_income_ttm"),
        panels.fundamentals_at_month_ends("total_assets"),
        panels.stock_daily("turnover"),
        panels.market_daily["market_excess"],
        total_cap=panels.stock_monthly("total_mcap").reindex_like(monthly),
        beta_days=FM.beta_days,
        beta_min_days=FM.beta_min_days,
        turnover_days=FM.turnover_days,
        turnover_min_days=FM.turnover_min_days,
    )
    return {name: long_short_weights(c, cap, quantile=FM.quantile) for name, c in chars.items()}


def _factor_returns(panels: MarketPanels) -> pd.DataFrame:
    """Monthly characteristic long-shorts and Barra style returns, as ``factor_momentum/factor_returns``."""
    monthly = panels.stock_monthly("ret")
    chars = pd.DataFrame({n: long_short_returns(w, monthly) for n, w in _characteristic_weights(panels).items()})
    barra = panels.barra_factor_returns_monthly.add_prefix("barra_")
    return pd.concat([chars, barra], axis=1)


def _strategy_factors(panels: MarketPanels) -> pd.DataFrame:
    returns = _factor_returns(panels)
    return consecutive_months(returns[[c for c in returns.columns if role_of(c) == "factor"]])


def _pc_momentum(panels: MarketPanels) -> pd.DataFrame:
    weights = _characteristic_weights(panels)
    daily = daily_factor_returns(weights, panels.stock_daily("ret"))
    monthly = pd.DataFrame({n: long_short_returns(w, panels.stock_monthly("ret")) for n, w in weights.items()})
    factors = [c for c in monthly.columns if role_of(c) == "factor"]
    return pc_momentum_returns(daily[factors], consecutive_months(monthly[factors]), FM)


def _momentum_neutral(panels: MarketPanels) -> pd.DataFrame:
    monthly = panels.stock_monthly("ret")
    weights = {k: w for k, w in _characteristic_weights(panels).items() if k.lower() not in MOMENTUM_NAMES}
    past = cumulative_return(monthly, 11, 1)
    neutral = momentum_neutral_factor_returns(weights, monthly, past, exclude=MOMENTUM_NAMES)
    return pd.concat([neutral, momentum_frame(consecutive_months(neutral.dropna(how="all")), FM)], axis=1)


# name -> (computation on panels, date column of its long output or None for a dated index)
ESTIMATORS = {
    "barra_exposures": (compute_exposures, "period_end"),
    "barra_style_returns": (lambda p: p.barra_factor_returns_monthly, None),
    "crash_wml_monthly": (lambda p: _wml(p)["monthly"], "period_end"),
    "crash_wml_daily": (lambda p: _wml(p)["daily"], "trade_date"),
    "crash_wml_formation": (lambda p: _wml(p)["formation"], "period_end"),
    "crash_market_state": (
        lambda p: market_state_table(p.market_monthly, p.market_daily["market_ret"], CRASH),
        "period_end",
    ),
    "crash_wml_betas": (lambda p: wml_beta_table(_wml_daily(p), p.market_daily, p.month_ends, CRASH), "period_end"),
    "crash_variance_forecast_gjr_garch": (_variance_forecasts, None),
    "crash_strategies_cvol_dm_cvol_bsc_dyn_oos": (_strategies, None),
    "fm_factor_returns": (_factor_returns, None),
    "fm_ts_cs_factor_momentum": (lambda p: momentum_frame(_strategy_factors(p), FM), None),
    "fm_pc_factor_momentum": (_pc_momentum, "period_end"),
    "fm_momentum_neutral": (_momentum_neutral, None),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_estimator_values_at_t_ignore_everything_after_t(runs, name):
    compute, date_column = ESTIMATORS[name]
    assert_no_lookahead(
        _memoized(("estimator", name), compute), runs.base, runs.perturbed, CUT, date_column=date_column, name=name
    )
