"""Daniel-Moskowitz (2016) strategies and GJR-GARCH forecasts checked by value against independent
computations: every strategy's weights and returns on a ten-month example (``strategy_example.by_hand``),
the out-of-sample mean forecast against OLS on the months before t, and the variance forecasts against
``arch`` fits made here."""

import numpy as np
import pandas as pd
import pytest
from arch import arch_model
from threadpoolctl import threadpool_limits

from momentum_dag.core.crashes.strategy import expanding_mean_forecast, momentum_strategies
from momentum_dag.core.crashes.volatility import garch_variance_forecasts
from tests.core.crashes.strategy_example import by_hand, example, run

# ---- the five strategies on the ten-month example ------------------------------------------------------


@pytest.fixture(scope="module")
def hand():
    return by_hand(example())


def test_the_example_can_tell_in_sample_from_out_of_sample(hand):
    ex = example()
    total = ex.market_total
    bear = [float((1 + total[t - 2]) * (1 + total[t - 1]) < 1) for t in range(2, 5)]
    assert 0.0 in bear and 1.0 in bear  # the OOS regression is identified from its first month (5)
    first = hand.months[0]
    assert first == pd.Timestamp("2020-06-30")
    assert abs(hand.mu_oos[5] - hand.mu_is[5]) > 1e-3  # a full-sample mean would not pass for the OOS one
    assert (hand.weights["dyn_oos"] < 0).any()  # D&M: the dynamic weight may go negative, no cap


@pytest.mark.parametrize("strategy", ["static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"])
def test_strategy_weights_and_returns_equal_the_hand_computation(hand, strategy):
    result = run(example())
    assert list(result.weights.index) == list(hand.months)
    np.testing.assert_allclose(result.weights[strategy], hand.weights[strategy], rtol=1e-10)
    np.testing.assert_allclose(result.returns[strategy], hand.returns[strategy], rtol=1e-10)
    # the ex-post scalar puts every strategy at the 19% target (D&M Fig. 5), disclosed in the summary
    assert result.returns[strategy].std(ddof=1) * np.sqrt(12) == pytest.approx(0.19)
    assert result.summary.loc[strategy, "ex_post_target_vol"] == 0.19


def test_cvol_bsc_weight_by_hand_on_the_first_common_month(hand):
    ex = example()
    # month 5 uses the 4 daily WML returns of month 4: 21 x mean of squares, no demeaning (B-SC 2015, Eq. 2)
    days = ex.wml_daily[16:20]
    assert days.tolist() == [-0.015, 0.009, -0.002, 0.003]
    bsc_var = 21 * (0.015**2 + 0.009**2 + 0.002**2 + 0.003**2) / 4
    assert hand.raw["cvol_bsc"][5] == pytest.approx(1 / np.sqrt(bsc_var))
    result = run(ex)
    ratio = result.weights["cvol_bsc"].iloc[1] / result.weights["cvol_bsc"].iloc[0]
    month_5 = ex.wml_daily[20:24]  # -> the month-6 weight
    assert ratio == pytest.approx(np.sqrt(bsc_var / (21 * np.mean(month_5**2))))


# ---- the out-of-sample mean forecast ----------------------------------------------------------------


def _mean_inputs(n: int = 72, seed: int = 3):
    rng = np.random.default_rng(seed)
    months = pd.date_range("2000-01-31", periods=n, freq="ME")
    bear = pd.Series((rng.uniform(size=n) < 0.35).astype(float), index=months)
    market_var = pd.Series(rng.uniform(2e-5, 3e-4, n), index=months)
    wml = pd.Series(0.012 - 60 * bear * market_var + rng.normal(0, 0.03, n), index=months)
    return wml, bear, market_var


def test_oos_mean_forecast_is_ols_on_the_months_before_t():
    wml, bear, market_var = _mean_inputs()
    x = (bear * market_var).to_numpy()
    mu = expanding_mean_forecast(wml, bear, market_var, min_months=24)
    for t in (24, 25, 40, 71):
        design = np.column_stack([np.ones(t), x[:t]])
        b = np.linalg.lstsq(design, wml.to_numpy()[:t], rcond=None)[0]  # months 0..t-1 only
        assert mu.iloc[t] == pytest.approx(b[0] + b[1] * x[t], rel=1e-10)
    assert mu.iloc[:24].isna().all()


@pytest.mark.parametrize("t", [30, 50])
def test_oos_mean_forecast_at_t_ignores_month_t_and_later(t):
    wml, bear, market_var = _mean_inputs()
    base = expanding_mean_forecast(wml, bear, market_var, min_months=24)
    later = wml.index >= wml.index[t]
    noisy = wml.copy()
    noisy[later] = np.random.default_rng(t).normal(0.5, 0.2, later.sum())  # month t itself included
    bear2, var2 = bear.copy(), market_var.copy()
    bear2[wml.index > wml.index[t]] = 1 - bear2[wml.index > wml.index[t]]
    var2[wml.index > wml.index[t]] *= 5
    again = expanding_mean_forecast(noisy, bear2, var2, min_months=24)
    pd.testing.assert_series_equal(base.iloc[: t + 1], again.iloc[: t + 1], rtol=1e-12)
    assert not np.allclose(base.iloc[t + 1 :], again.iloc[t + 1 :])
    # the same through the strategies: dyn_oos weights up to t keep their shape (the ex-post scalar cancels)
    sigma2 = pd.DataFrame({"rv_var": 1e-3, "blend_var": 1e-3}, index=wml.index)
    _, w0 = momentum_strategies(wml, bear, market_var, sigma2, oos_min_months=24)
    _, w1 = momentum_strategies(noisy, bear2, var2, sigma2, oos_min_months=24)
    shape0, shape1 = w0["dyn_oos"] / w0["dyn_oos"].iloc[0], w1["dyn_oos"] / w1["dyn_oos"].iloc[0]
    np.testing.assert_allclose(shape0.loc[: wml.index[t]], shape1.loc[: wml.index[t]], rtol=1e-10)


# ---- GJR-GARCH against arch -----------------------------------------------------------------------------


def _gjr_path(n: int, seed: int) -> np.ndarray:
    """Daily returns from a GJR-GARCH(1,1) with a strong leverage term: omega 2e-6, alpha .03, gamma .12,
    beta .85 (negative shocks raise variance by .15, positive ones by .03)."""
    rng = np.random.default_rng(seed)
    r, var = np.empty(n), 2e-6 / (1 - 0.03 - 0.06 - 0.85)
    for i in range(n):
        e = np.sqrt(var) * rng.standard_normal()
        r[i] = 0.0003 + e
        var = 2e-6 + (0.03 + 0.12 * (e < 0)) * e * e + 0.85 * var
    return r


DAYS = pd.bdate_range("2018-01-01", periods=520)
DAILY = pd.Series(_gjr_path(len(DAYS), 3), index=DAYS)
MONTH_ENDS = pd.DatetimeIndex(DAILY.groupby(DAYS.to_period("M")).apply(lambda s: s.index[-1]).to_numpy())


def _arch_fit(t: pd.Timestamp, o: int = 1):
    """arch's own maximum-likelihood fit on the days <= t, in percent (100 x decimal), Constant mean,
    normal errors: the better (higher likelihood) of the fits from arch's starting values and from the
    persistent start (alpha 0.05, gamma 0.05, beta 0.88) the pipeline also tries. BLAS on one thread, as the
    pipeline fits (the optimizer's stopping point moves with BLAS's summation order: 1.5e-4 relative here)."""
    y = 100 * DAILY.loc[:t].to_numpy()
    model = arch_model(y, mean="Constant", vol="GARCH", p=1, o=o, q=1, dist="normal", rescale=False)
    with threadpool_limits(limits=1, user_api="blas"):
        fits = [model.fit(disp="off")]
        if o == 1:
            start = np.array([y.mean(), y.var() * (1 - 0.05 - 0.025 - 0.88), 0.05, 0.05, 0.88])
            fits.append(model.fit(disp="off", starting_values=start))
    return max(fits, key=lambda fit: (fit.convergence_flag == 0, fit.loglikelihood))


def _month_variance(result, horizon: int = 22) -> float:
    """Mean of the 1..horizon-step variance forecasts, back to decimal^2."""
    return float(result.forecast(horizon=horizon, reindex=False).variance.to_numpy()[-1].mean()) / 100**2


@pytest.fixture(scope="module")
def expanding():
    return garch_variance_forecasts(DAILY, MONTH_ENDS, min_obs=252)


def test_first_gjr_forecast_equals_an_independent_arch_fit(expanding):
    first = expanding["garch_var"].first_valid_index()
    assert first == MONTH_ENDS[MONTH_ENDS >= DAYS[251]][0]
    fit = _arch_fit(first)
    assert fit.params["gamma[1]"] > 0.03  # the leverage term is there to be found
    assert expanding.loc[first, "garch_var"] == pytest.approx(_month_variance(fit), rel=1e-6)
    plain = _month_variance(_arch_fit(first, o=0))
    assert abs(expanding.loc[first, "garch_var"] / plain - 1) > 0.05  # plain GARCH gives another forecast


@pytest.mark.parametrize("position", [13, 15, 18, 23])
def test_gjr_forecast_at_any_month_end_equals_an_independent_arch_fit(position):
    t = MONTH_ENDS[position]
    alone = garch_variance_forecasts(DAILY, pd.DatetimeIndex([t]), min_obs=252)  # one (cold) fit on days <= t
    fit = _arch_fit(t)
    assert alone.loc[t, "garch_var"] == pytest.approx(_month_variance(fit), rel=1e-6)
    assert alone.loc[t, "garch_vol"] == pytest.approx(np.sqrt(_month_variance(fit)), rel=1e-6)
    assert alone.loc[t, "rv_var"] == pytest.approx(DAILY.loc[:t].iloc[-126:].var(ddof=1), rel=1e-12)


def test_held_parameters_run_the_gjr_recursion_on_the_new_days():
    """refit_every=k: between refits the last parameters are held and only the variance recursion runs on
    the days up to t: arch's ``fix`` with the first fit's parameters, by value."""
    held = garch_variance_forecasts(DAILY, MONTH_ENDS, min_obs=252, refit_every=100)
    first = held["garch_var"].first_valid_index()
    params = _arch_fit(first).params
    for t in MONTH_ENDS[MONTH_ENDS > first][[0, 3, 7]]:
        y = 100 * DAILY.loc[:t].to_numpy()
        fixed = arch_model(y, mean="Constant", vol="GARCH", p=1, o=1, q=1, dist="normal", rescale=False).fix(params)
        assert held.loc[t, "garch_var"] == pytest.approx(_month_variance(fixed), rel=1e-6)


def test_warm_started_refits_agree_with_cold_arch_fits_to_the_optimizer_tolerance(expanding):
    """Each monthly refit starts from the previous month's parameters. The likelihood is flat at the
    optimum (arch's SLSQP stops at ftol 1e-6): warm and cold fits end ~1e-7 apart in log-likelihood and up
    to ~1.2e-4 apart in the forecast on this path. A plain GARCH is 2-17% away."""
    gaps, plain_gaps = [], []
    for t in expanding["garch_var"].dropna().index:
        cold = _month_variance(_arch_fit(t))
        gaps.append(abs(expanding.loc[t, "garch_var"] / cold - 1))
        plain_gaps.append(abs(_month_variance(_arch_fit(t, o=0)) / cold - 1))
    assert len(gaps) == 13
    assert max(gaps) < 5e-4
    assert np.median(plain_gaps) > 0.04 and max(plain_gaps) > 0.10
