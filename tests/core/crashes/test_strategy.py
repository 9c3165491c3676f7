"""Dynamic, constant-volatility and Barroso-Santa-Clara weights, ex-post scaling and the Sharpe table."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.strategy import (
    barroso_santa_clara_variance_monthly,
    barroso_santa_clara_weights,
    constant_vol_weights_dm,
    dynamic_weights,
    expanding_mean_forecast,
    max_drawdown,
    momentum_strategies,
    scale_to_match_vol,
    scale_to_target_vol,
    sharpe_table,
    to_holding_alignment,
)

IDX = pd.date_range("2000-01-31", periods=2, freq="ME")


def test_dynamic_weights_by_hand():
    mu = pd.Series([0.01, -0.005], index=IDX)
    sigma2 = pd.Series([0.0025, 0.001], index=IDX)
    # lambda = 2: 0.01 / (2*2*0.0025) = 1.0; -0.005 / (4*0.001) = -1.25 (negative weights kept).
    assert dynamic_weights(mu, sigma2, lam=2.0).tolist() == pytest.approx([1.0, -1.25])
    # lambda None: 1/(2 lambda) = 1 -> 0.01/0.0025 = 4, -0.005/0.001 = -5.
    assert dynamic_weights(mu, sigma2).tolist() == pytest.approx([4.0, -5.0])
    with pytest.raises(ValueError, match="sigma2 must be positive"):
        dynamic_weights(mu, -sigma2)
    with pytest.raises(ValueError, match="lam"):
        dynamic_weights(mu, sigma2, lam=0.0)


def test_constant_vol_weights_dm():
    assert constant_vol_weights_dm(pd.Series([0.02, 0.04], index=IDX)).tolist() == pytest.approx([50.0, 25.0])
    with pytest.raises(ValueError, match="positive"):
        constant_vol_weights_dm(pd.Series([0.0, 0.04], index=IDX))


def test_barroso_santa_clara_variance_by_hand():
    days = pd.to_datetime(["2020-01-29", "2020-01-30", "2020-01-31", "2020-02-03", "2020-02-04"])
    daily = pd.Series([0.01, -0.02, 0.03, 0.5, 0.5], index=days)
    ends = pd.DatetimeIndex(["2020-01-31", "2020-02-28"])
    out = barroso_santa_clara_weights(daily, ends, window=3)
    # February: 21 * (0.01^2 + 0.02^2 + 0.03^2) / 3 = 21 * 0.0014 / 3 = 0.0098 (February days excluded).
    assert np.isnan(out["bsc_var"].iloc[0])
    assert out["bsc_var"].iloc[1] == pytest.approx(0.0098)
    # weight = (0.12 / sqrt(12)) / sqrt(0.0098) = 0.0346410 / 0.0989949 = 0.349927.
    assert out["weight"].iloc[1] == pytest.approx(0.0346410161 / 0.0989949494)


def test_barroso_santa_clara_monthly_analogue():
    months = pd.date_range("2000-01-31", periods=4, freq="ME")
    wml = pd.Series([0.1, -0.2, 0.3, 5.0], index=months)
    # Row 3 = (0.01 + 0.04 + 0.09) / 3 = 0.14 / 3 (row 3's own return excluded).
    assert barroso_santa_clara_variance_monthly(wml, window=3).iloc[3] == pytest.approx(0.14 / 3)


def test_scale_to_target_vol_by_hand():
    r = pd.Series([0.01, -0.01, 0.03, -0.03])
    scaled, scalar = scale_to_target_vol(r, 0.19)
    # std = sqrt((2*0.0001 + 2*0.0009)/3) = 0.0258199; annual = 0.0894427; scalar = 0.19/0.0894427.
    assert scalar == pytest.approx(0.19 / (np.sqrt(0.002 / 3) * np.sqrt(12)))
    assert scaled.std() * np.sqrt(12) == pytest.approx(0.19)
    matched, k = scale_to_match_vol(r, 2 * r)
    assert k == pytest.approx(2.0)


def test_max_drawdown_and_sharpe_table_by_hand():
    idx = pd.date_range("2000-01-31", periods=3, freq="ME")
    r = pd.DataFrame({"a": [0.10, -0.20, 0.05]}, index=idx)
    # Wealth 1 -> 1.1 -> 0.88 -> 0.924: worst fall 0.88/1.1 - 1 = -0.2.
    assert max_drawdown(r["a"]) == pytest.approx(-0.2)
    table = sharpe_table(r, n_worst=2)
    mean, std = -0.05 / 3, np.std([0.10, -0.20, 0.05], ddof=1)
    assert table.loc["a", "mean_ann"] == pytest.approx(12 * mean)
    assert table.loc["a", "sharpe"] == pytest.approx(mean / std * np.sqrt(12))
    assert table.loc["a", "worst_1"] == pytest.approx(-0.20)
    assert table.loc["a", "worst_1_date"] == idx[1]
    assert table.loc["a", "worst_2"] == pytest.approx(0.05)


def test_expanding_mean_forecast_exact_and_without_look_ahead():
    rng = np.random.default_rng(4)
    months = pd.date_range("1990-01-31", periods=80, freq="ME")
    bear = pd.Series((rng.uniform(size=80) < 0.4).astype(float), index=months)
    var = pd.Series(rng.uniform(1e-5, 2e-4, 80), index=months)
    wml = 0.01 - 200.0 * bear * var  # exact Table-5 col (4) relation
    mu = expanding_mean_forecast(wml, bear, var, min_months=36)
    # Month t needs 36 complete months strictly before it: first value at position 36.
    assert mu.iloc[:36].isna().all()
    assert mu.iloc[36:].to_numpy() == pytest.approx((0.01 - 200.0 * bear * var).iloc[36:].to_numpy())
    t = months[50]
    changed = wml.copy()
    changed.loc[changed.index >= t] = 1.0  # even month t's own return must not enter mu_t
    again = expanding_mean_forecast(changed, bear, var, min_months=36)
    pd.testing.assert_series_equal(mu.loc[:t], again.loc[:t])


def _strategy_inputs(n: int = 120):
    rng = np.random.default_rng(6)
    months = pd.date_range("1990-01-31", periods=n, freq="ME")
    bear = pd.Series((rng.uniform(size=n) < 0.3).astype(float), index=months)
    mvar = pd.Series(rng.uniform(1e-5, 2e-4, n), index=months)
    wml = pd.Series(0.01 - 50 * bear * mvar + rng.normal(0, 0.04, n), index=months)
    sigma2 = pd.DataFrame(
        {"rv_var": rng.uniform(0.001, 0.003, n), "blend_var": rng.uniform(0.001, 0.003, n)}, index=months
    )
    return wml, bear, mvar, sigma2


def test_momentum_strategies_identity_and_common_vol():
    wml, bear, mvar, sigma2 = _strategy_inputs()
    bsc = pd.Series(0.002, index=wml.index)
    returns, weights = momentum_strategies(wml, bear, mvar, sigma2, bsc_var=bsc, oos_min_months=36)
    assert list(returns.columns) == ["static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"]
    assert returns.index[0] == wml.index[36]  # OOS needs 36 prior months; all strategies share the sample
    pd.testing.assert_frame_equal(returns, weights.mul(wml.loc[returns.index], axis=0))
    assert (returns.std() * np.sqrt(12)).to_numpy() == pytest.approx(0.19)
    # cvol_dm weight proportional to 1/sqrt(rv_var): ratio of two months by hand.
    a, b = returns.index[0], returns.index[1]
    ratio = weights.loc[a, "cvol_dm"] / weights.loc[b, "cvol_dm"]
    assert ratio == pytest.approx(np.sqrt(sigma2.loc[b, "rv_var"] / sigma2.loc[a, "rv_var"]))
    matched, _ = momentum_strategies(wml, bear, mvar, sigma2, target_vol=None)
    assert matched.std().to_numpy() == pytest.approx(wml.loc[matched.index].std())
    assert "cvol_bsc" not in matched.columns


def test_momentum_strategies_reject_missing_variance_column():
    wml, bear, mvar, sigma2 = _strategy_inputs()
    with pytest.raises(ValueError, match="lacks column 'blend_var'"):
        momentum_strategies(wml, bear, mvar, sigma2[["rv_var"]])


def test_to_holding_alignment_shifts_one_month():
    frame = pd.DataFrame({"rv_var": [1.0, 2.0, 3.0]}, index=pd.date_range("2000-01-31", periods=3, freq="ME"))
    assert to_holding_alignment(frame)["rv_var"].tolist()[1:] == [1.0, 2.0]
