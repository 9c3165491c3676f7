"""Strategy details the first mutation run left untested (mutmut survivors in crashes/strategy.py): the papers'
default windows and targets, zero and negative inputs rejected, the smallest samples accepted, label
alignment of the forecasts, a missing WML month in the OOS regression, and the weekly scaling."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.strategy import (
    barroso_santa_clara_variance_monthly,
    barroso_santa_clara_weights,
    dynamic_weights,
    expanding_mean_forecast,
    momentum_strategies,
    scale_to_match_vol,
    scale_to_target_vol,
    sharpe_table,
)

MONTHS = pd.date_range("2000-01-31", periods=80, freq="ME", name="period_end")


def _inputs(n: int = 80, seed: int = 2):
    rng = np.random.default_rng(seed)
    months = MONTHS[:n]
    bear = pd.Series((rng.uniform(size=n) < 0.35).astype(float), index=months)
    market_var = pd.Series(rng.uniform(2e-5, 3e-4, n), index=months)
    wml = pd.Series(0.012 - 60 * bear * market_var + rng.normal(0, 0.03, n), index=months)
    sigma2 = pd.DataFrame({"rv_var": rng.uniform(1e-3, 3e-3, n), "blend_var": rng.uniform(1e-3, 3e-3, n)}, index=months)
    return wml, bear, market_var, sigma2


def test_zero_or_negative_variances_and_targets_are_rejected():
    idx = MONTHS[:2]
    with pytest.raises(ValueError, match="sigma2 must be positive"):
        dynamic_weights(pd.Series([0.01, 0.01], index=idx), pd.Series([0.001, 0.0], index=idx))
    daily = pd.Series(0.01, index=pd.bdate_range("2000-01-03", periods=200))
    with pytest.raises(ValueError, match="target_vol"):
        barroso_santa_clara_weights(daily, MONTHS[:6], target_vol=0.0)
    with pytest.raises(ValueError, match="target_vol"):
        scale_to_target_vol(pd.Series([0.01, -0.01]), 0.0)


def test_barroso_santa_clara_defaults_126_days_and_12_months():
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2000-01-03", "2000-09-29")
    daily = pd.Series(rng.normal(0, 0.01, len(days)), index=days)
    out = barroso_santa_clara_weights(daily, MONTHS[:9])  # target 12%, 126 days, 21 days a month
    before_sep = daily.loc[:"2000-08-31"]
    expected = 21 * (before_sep.iloc[-126:] ** 2).mean()
    assert out.loc[MONTHS[8], "bsc_var"] == pytest.approx(expected)
    assert out.loc[MONTHS[8], "weight"] == pytest.approx(0.12 / np.sqrt(12) / np.sqrt(expected))
    assert out.index.name == "period_end"
    assert np.isnan(out.loc[MONTHS[5], "bsc_var"])  # June: 104 days before it, fewer than 126
    monthly = pd.Series(rng.normal(0, 0.05, 14), index=pd.date_range("2000-01-31", periods=14, freq="ME"))
    var = barroso_santa_clara_variance_monthly(monthly)  # monthly data only: 12 months (6 would collapse)
    assert var.iloc[12] == pytest.approx((monthly.iloc[:12] ** 2).mean()) and var.iloc[:12].isna().all()
    assert var.name == "bsc_var"


def test_barroso_santa_clara_with_one_day_windows_at_the_start_of_the_data():
    # window 1: February uses the last January day; the first month has no day before it
    days = pd.DatetimeIndex(["2000-01-31", "2000-02-01", "2000-02-29", "2000-03-01"])
    out = barroso_santa_clara_weights(pd.Series([0.02, 0.03, -0.01, 0.5], index=days), MONTHS[:3], window=1)
    assert np.isnan(out["bsc_var"].iloc[0])
    assert out["bsc_var"].iloc[1:].tolist() == pytest.approx([21 * 0.02**2, 21 * 0.01**2])


def test_default_targets_and_matched_volatility():
    r = pd.Series([0.01, -0.02, 0.03, 0.0])
    scaled, scalar = scale_to_target_vol(r)
    assert scaled.std(ddof=1) * np.sqrt(12) == pytest.approx(0.19)  # D&M Fig. 5
    matched, k = scale_to_match_vol(r, 3 * r)
    assert k == pytest.approx(3.0) and matched.to_numpy() == pytest.approx(3 * r.to_numpy())


def test_oos_forecast_defaults_to_36_months_and_skips_a_missing_wml_month():
    wml, bear, market_var, _ = _inputs()
    mu = expanding_mean_forecast(wml, bear, market_var)
    assert mu.iloc[:36].isna().all() and mu.iloc[36:].notna().all()
    gap = wml.copy()
    gap.iloc[10] = np.nan  # a month without WML is not a regression month (x is still defined there)
    mu_gap = expanding_mean_forecast(gap, bear, market_var, min_months=12)
    x = (bear * market_var).to_numpy()
    rows = [s for s in range(30) if s != 10]
    design = np.column_stack([np.ones(len(rows)), x[rows]])
    b = np.linalg.lstsq(design, wml.to_numpy()[rows], rcond=None)[0]
    assert mu_gap.iloc[30] == pytest.approx(b[0] + b[1] * x[30], rel=1e-10)
    assert np.isnan(mu_gap.iloc[12]) and np.isfinite(mu_gap.iloc[13])  # 12 complete months before row 13


def test_momentum_strategies_defaults_alignment_and_weekly_scaling():
    wml, bear, market_var, sigma2 = _inputs()
    returns, weights = momentum_strategies(wml, bear, market_var, sigma2)
    assert returns.index[0] == MONTHS[36]  # default oos_min_months = 36
    # forecasts given with extra earlier months are aligned by date, not by position
    extra = sigma2.iloc[:3].set_axis(MONTHS[:3] - pd.DateOffset(years=1)) * 7
    again, _ = momentum_strategies(wml, bear, market_var, pd.concat([extra, sigma2]))
    pd.testing.assert_frame_equal(returns, again)
    weekly, _ = momentum_strategies(wml, bear, market_var, sigma2, periods_per_year=52)
    assert (weekly.std(ddof=1) * np.sqrt(52)).to_numpy() == pytest.approx(0.19)


def test_two_common_months_are_enough():
    wml, bear, market_var, sigma2 = _inputs(n=39)
    sigma2 = sigma2.copy()
    sigma2.iloc[:37, 0] = np.nan  # rv_var defined on the last 2 months only
    returns, _ = momentum_strategies(wml, bear, market_var, sigma2)
    assert list(returns.index) == list(MONTHS[37:39])
    sigma2.iloc[37, 0] = np.nan
    with pytest.raises(ValueError, match="fewer than 2 months"):
        momentum_strategies(wml, bear, market_var, sigma2)


def test_sharpe_table_defaults_drawdown_and_short_columns():
    idx = MONTHS[:5]
    table = sharpe_table(
        pd.DataFrame({"a": [0.1, -0.2, 0.05, -0.1, 0.3], "b": [0.01, 0.02, np.nan, np.nan, np.nan]}, index=idx)
    )
    assert table.index.name == "strategy"
    assert [c for c in table.columns if c.startswith("worst_") and not c.endswith("date")] == [
        "worst_1",
        "worst_2",
        "worst_3",
    ]
    # wealth 1.1, .88, .924, .8316, 1.0811: peak 1.1, trough .8316 -> .8 x 1.05 x .9 - 1
    assert table.loc["a", "max_drawdown"] == pytest.approx(0.8 * 1.05 * 0.9 - 1)
    assert table.loc["b", "nobs"] == 2 and table.loc["b", "max_drawdown"] == 0.0  # two returns suffice
