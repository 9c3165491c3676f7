"""The Ken French branch of the Daniel-Moskowitz (2016) study: the daily method (``daily_study``) checked
against independent computations on simulated daily series, and the monthly fallback (``monthly_study``)
on the real linearmodels sample, where a 6-month variance used to lever the out-of-sample strategy to a
weight of 30 and a -87% month (1972-08)."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.study import daily_study, monthly_study
from momentum_dag.settings import Settings
from momentum_dag.sources.kenfrench import compound_monthly, load_linearmodels_french, time_series_inputs_from_french

PARAMS = Settings.from_env({}).crash.params()


def _daily_series():
    """Five years of daily WML with GARCH volatility and a daily market, both in decimals."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2000-01-03", "2004-12-31")
    wml, var = np.empty(len(days)), 1e-4
    for i in range(len(days)):
        wml[i] = 0.0004 + np.sqrt(var) * rng.standard_normal()
        var = 2e-6 + 0.08 * (wml[i] - 0.0004) ** 2 + 0.9 * var
    market = rng.normal(0.0003, 0.01, len(days)) * np.where(np.arange(len(days)) < 500, 1.0, 1.8)
    return pd.Series(wml, index=days), pd.Series(market, index=days)


@pytest.fixture(scope="module")
def daily_run():
    wml_d, market_d = _daily_series()
    wml_m = compound_monthly(wml_d)
    total_m = compound_monthly(market_d)
    params = dataclasses.replace(PARAMS, blend_min_pairs=8, oos_min_months=12)
    tables, notes = daily_study(wml_m, total_m - 0.001, total_m, wml_d, market_d, params)
    return wml_d, market_d, wml_m, params, tables


def test_daily_market_variance_is_126_daily_returns_to_the_previous_month_end(daily_run):
    _, market_d, _, _, tables = daily_run
    state = tables["market_state"].set_index("period_end")
    month = pd.Timestamp("2003-06-30")
    before = market_d.loc[: pd.Timestamp("2003-05-31")].to_numpy()[-126:]
    assert state.loc[month, "market_var"] == pytest.approx(np.var(before, ddof=1), rel=1e-12)


def test_daily_wml_variances_use_daily_data_to_the_month_end(daily_run):
    wml_d, _, _, params, tables = daily_run
    forecasts = tables["variance_forecast"].set_index("period_end")
    month = pd.Timestamp("2003-06-30")
    last_126 = wml_d.loc[:month].to_numpy()[-126:]
    assert forecasts.loc[month, "rv_var"] == pytest.approx(np.var(last_126, ddof=1), rel=1e-12)
    # the GJR-GARCH and the blend exist once 252 days have passed, and are daily variances (around 1e-4)
    assert forecasts.loc[: pd.Timestamp("2000-11-30"), "garch_var"].isna().all()
    assert forecasts.loc["2003", "garch_var"].between(2e-5, 5e-4).all()
    assert forecasts["blend_var"].notna().sum() > 12
    # refitting on data <= t: changing the days after t leaves every forecast made at or before t unchanged
    changed = wml_d.copy()
    changed.loc[changed.index > month] *= 5.0
    total_m = compound_monthly(_daily_series()[1])
    again, _ = daily_study(compound_monthly(changed), total_m - 0.001, total_m, changed, _daily_series()[1], params)
    again = again["variance_forecast"].set_index("period_end")
    pd.testing.assert_frame_equal(forecasts.loc[:month], again.loc[:month], rtol=1e-10)


def test_daily_strategies_scale_by_the_previous_month_end_forecast(daily_run):
    _, _, wml_m, _, tables = daily_run
    weights = tables["strategy_weights"].pivot(index="period_end", columns="strategy", values="weight")
    forecasts = tables["variance_forecast"].set_index("period_end")
    # cvol_dm = c / sigma_126 made at the end of the previous month: w_t * sigma_126,t-1 is one constant
    lagged_vol = forecasts["rv_vol"].shift(1).reindex(weights.index)
    product = (weights["cvol_dm"] * lagged_vol).to_numpy()
    assert product == pytest.approx(np.full(len(product), product[0]), rel=1e-10)
    returns = tables["strategy_returns"].pivot(index="period_end", columns="strategy", values="ret")
    assert returns["static"].to_numpy() == pytest.approx(
        weights["static"].to_numpy() * wml_m.reindex(returns.index).to_numpy()
    )
    assert set(returns.columns) == {"static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"}


@pytest.fixture(scope="module")
def linearmodels_run():
    wml, excess, total, _ = time_series_inputs_from_french(load_linearmodels_french())
    tables, _ = monthly_study(wml, excess, total, PARAMS)
    return tables


def test_monthly_fallback_out_of_sample_strategy_beats_static_wml(linearmodels_run):
    """D&M Table 7: the OOS dynamic strategy's Sharpe ratio is well above static WML's and it avoids the
    crashes; with monthly data only, that holds once no variance comes from 6 monthly returns."""
    summary = linearmodels_run["strategy_summary"].set_index("strategy")
    assert summary.loc["dyn_oos", "sharpe"] >= summary.loc["static", "sharpe"] + 0.15
    assert summary.loc["dyn_oos", "worst_1"] >= summary.loc["static", "worst_1"]  # worst month no worse


def test_monthly_fallback_variances_come_from_twelve_months(linearmodels_run):
    wml, _, total, _ = time_series_inputs_from_french(load_linearmodels_french())
    forecasts = linearmodels_run["variance_forecast"].set_index("period_end")
    state = linearmodels_run["market_state"].set_index("period_end")
    month = pd.Timestamp("1972-07-31")
    assert forecasts.loc[month, "rv_var"] == pytest.approx(wml.loc[:month].iloc[-12:].var(ddof=1))
    assert state.loc[month, "market_var"] == pytest.approx(total.loc[:"1972-06-30"].iloc[-12:].var(ddof=1) / 21)
