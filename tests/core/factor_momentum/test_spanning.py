"""Spanning regression, GRS test, conditional correlations and split-sample summaries, hand-computed."""

import numpy as np
import pandas as pd
import pytest
from linearmodels.asset_pricing import TradedFactorModel
from scipy import stats

from momentum_dag.core.factor_momentum.spanning import (
    conditional_correlations,
    grs_test,
    spanning_regression,
    summarize_by_half,
)


def _months(n: int) -> pd.DatetimeIndex:
    return pd.date_range("2020-01-31", periods=n, freq="ME", name="date")


def test_spanning_regression_hand_computed():
    idx = _months(5)
    y = pd.Series([1.0, 3.0, 2.0, 4.0, np.nan], index=idx)
    x = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0]}, index=idx)
    out = spanning_regression(y, x)
    # xbar = ybar = 2.5, Sxy = 4, Sxx = 5 -> beta .8, alpha .5; residuals -.3,.9,-.9,.3: SSR 1.8, s2 .9
    assert out["alpha"] == pytest.approx(0.5)
    assert out["betas"]["x"] == pytest.approx(0.8)
    assert out["t_betas"]["x"] == pytest.approx(0.8 / np.sqrt(0.9 / 5))
    assert out["t_alpha"] == pytest.approx(0.5 / np.sqrt(0.9 * (1 / 4 + 2.5**2 / 5)))
    assert out["adj_r2"] == pytest.approx(1 - (1.8 / 5) * 3 / 2)  # R2 = .64, n = 4, k = 1
    assert out["n"] == 4
    assert np.isfinite(spanning_regression(y, x, hac_lags=1)["t_alpha"])


@pytest.mark.parametrize("lags", [1, 6])
def test_spanning_regression_newey_west_t_statistics_equal_statsmodels_hac_with_the_given_lags(lags):
    """Newey & West (1987): with autocorrelated errors the HAC t-statistics at ``lags`` are statsmodels'
    (Bartlett kernel, ``maxlags=lags``), and differ from the same fit with no lag (the lags matter here)."""
    import statsmodels.api as sm

    rng = np.random.default_rng(9)
    n = 120
    idx = _months(n)
    x = pd.DataFrame({"mkt": rng.normal(0.005, 0.04, n), "smb": rng.normal(0.0, 0.03, n)}, index=idx)
    shocks = rng.normal(0, 0.02, n)
    errors = np.zeros(n)
    for i in range(1, n):  # AR(1) errors, rho 0.6
        errors[i] = 0.6 * errors[i - 1] + shocks[i]
    y = pd.Series(0.003 + 0.8 * x["mkt"] - 0.3 * x["smb"] + errors, index=idx)
    out = spanning_regression(y, x, hac_lags=lags)
    design = sm.add_constant(x.to_numpy())
    ref = sm.OLS(y.to_numpy(), design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    assert out["t_alpha"] == pytest.approx(ref.tvalues[0], rel=1e-10)
    assert [out["t_betas"]["mkt"], out["t_betas"]["smb"]] == pytest.approx(list(ref.tvalues[1:]), rel=1e-10)
    assert out["alpha"] == pytest.approx(ref.params[0], rel=1e-10)
    no_lag = sm.OLS(y.to_numpy(), design).fit(cov_type="HAC", cov_kwds={"maxlags": 0}).tvalues[0]
    assert abs(out["t_alpha"] - no_lag) > 0.05 * abs(no_lag)


def test_grs_hand_computed_and_vs_linearmodels():
    rng = np.random.default_rng(2)
    t, n, k = 8, 2, 1
    f = rng.normal(0.01, 0.04, t)
    y = np.column_stack([0.002 + 1.1 * f, -0.001 + 0.7 * f]) + rng.normal(0, 0.01, (t, n))
    idx = _months(t)
    out = grs_test(pd.DataFrame(y, index=idx, columns=["p1", "p2"]), pd.DataFrame({"mkt": f}, index=idx))
    # By hand, one factor: beta_i = cov(f, y_i)/var(f), alpha_i = mean y_i - beta_i mean f.
    beta = np.array([np.cov(f, y[:, i])[0, 1] / np.var(f, ddof=1) for i in range(n)])
    alpha = y.mean(axis=0) - beta * f.mean()
    resid = y - alpha - np.outer(f, beta)
    sigma = resid.T @ resid / (t - k - 1)
    sh2 = f.mean() ** 2 / np.var(f, ddof=1)  # mu' Omega^-1 mu with one factor, Omega divisor T-1
    grs = (t / n) * ((t - n - k) / (t - k - 1)) * (alpha @ np.linalg.inv(sigma) @ alpha) / (1 + sh2)
    assert out["grs"] == pytest.approx(grs)
    assert out["p_value"] == pytest.approx(stats.f.sf(grs, n, t - n - k))
    assert out["mean_abs_alpha"] == pytest.approx(np.abs(alpha).mean())
    assert (out["t"], out["n"], out["k"]) == (t, n, k)
    # linearmodels' TradedFactorModel gives the same intercepts (its J-statistic is only heteroskedasticity-
    # robust or kernel, so it is not comparable to the exact F form).
    res = TradedFactorModel(y, f[:, None]).fit()
    np.testing.assert_allclose(np.asarray(res.alphas), alpha, rtol=1e-8)
    np.testing.assert_allclose(out["alphas"].to_numpy(), alpha, rtol=1e-8)


def test_grs_needs_enough_periods():
    idx = _months(3)
    with pytest.raises(ValueError, match="T > N \\+ K"):
        grs_test(pd.DataFrame(np.ones((3, 2)), index=idx), pd.DataFrame({"f": [0.1, 0.2, 0.3]}, index=idx))


def test_conditional_correlations_hand_constructed():
    # lookback 2; prior sums t2..t10: .2,.4,.1,-.3,-.2,.1,.6,-.1,-.8 -> up t2,3,4,7,8; down t5,6,9,10
    r = np.array([0.1, 0.1, 0.3, -0.2, -0.1, -0.1, 0.2, 0.4, -0.5, -0.3, 0.1])
    up = np.array([False, False, True, True, True, False, False, True, True, False, False])
    umd = np.where(up, 2 * r + 0.01, -r)  # perfectly positive after up years, negative after down years
    idx = _months(len(r))
    out = conditional_correlations(pd.Series(umd, index=idx), pd.DataFrame({"hml": r}, index=idx), lookback=2)
    row = out.loc["hml"]
    assert row["corr_after_up"] == pytest.approx(1.0)
    assert row["corr_after_down"] == pytest.approx(-1.0)
    assert row["corr_all"] == pytest.approx(np.corrcoef(umd[2:], r[2:])[0, 1])
    assert (row["n_all"], row["n_up"], row["n_down"]) == (9, 5, 4)


def test_summarize_by_half_hand_computed():
    s = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0], index=_months(5), name="x")
    out = summarize_by_half(s)
    # first half [1,2,3]: mean 2, std 1 -> t 2*sqrt3, Sharpe 2*sqrt12; second [4,5]: mean 4.5, std sqrt(.5)
    assert out.loc[("x", "first_half"), "t_stat"] == pytest.approx(2 * np.sqrt(3))
    assert out.loc[("x", "first_half"), "sharpe"] == pytest.approx(2 * np.sqrt(12))
    assert out.loc[("x", "second_half"), "t_stat"] == pytest.approx(4.5 / (np.sqrt(0.5) / np.sqrt(2)))
    assert out.loc[("x", "full"), "mean"] == pytest.approx(3.0)
    assert out.loc[("x", "full"), "t_stat"] == pytest.approx(3 / (np.sqrt(2.5) / np.sqrt(5)))
    assert out.loc[("x", "second_half"), "start"] == pd.Timestamp("2020-04-30")
