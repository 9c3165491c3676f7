"""Hand-computed checks of the idiosyncratic and cross-industry factors (industry momentum families 3 and 4)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LassoLarsIC

from momentum_dag.core.industry import (
    momentum_cross_industry_lasso,
    momentum_pure_liquidity_stripped,
    momentum_residual,
)
from momentum_dag.core.industry.cross import excess_over_ew_mean, fitting, lasso_aic_prediction

DAYS = pd.bdate_range("2024-01-01", periods=4, name="date")
MONTHS = pd.date_range("2020-01-31", periods=4, freq="ME", name="date")

# Daily patterns (days 0..3) whose anomaly z-score at day 3 is known, with window 2 and lookback 3:
# turnover -> 2-day means on days 1..3; z = (x3 - mean) / std of those three values.
TURNOVER = {1: [1, 1, 3, 3], -1: [3, 3, 1, 1], 0: [5, 1, 1, 3]}  # means (1,2,3), (3,2,1), (3,1,2)
# returns -> 2-day std = |r_{d-1} - r_d| / sqrt(2): steps (.01,.02,.03), (.03,.02,.01), (.03,.01,.02)
RETURNS = {1: [0.0, 0.01, -0.01, 0.02], -1: [0.0, 0.03, 0.01, 0.02], 0: [0.0, 0.03, 0.02, 0.04]}


def test_liquidity_stripped_is_residual_on_turnover_and_vol_anomalies():
    # (Z_turnover, Z_vol) per industry: an orthogonal design, so OLS is mean + projections
    design = {"A": (1, 1), "B": (1, -1), "C": (-1, 1), "D": (-1, -1), "E": (0, 0)}
    turnover = pd.DataFrame({k: np.array(TURNOVER[zt]) / 100 for k, (zt, _) in design.items()}, index=DAYS)
    ret = pd.DataFrame({k: RETURNS[zv] for k, (_, zv) in design.items()}, index=DAYS)
    close = (1 + ret).cumprod()
    out = momentum_pure_liquidity_stripped(
        close, ret, turnover, DAYS[[2, 3]], window=2, zscore_lookback=3, min_industries=4
    )
    assert out.loc[DAYS[2]].isna().all()  # needs 2 + 3 - 1 = 4 days
    # R = (1+r2)(1+r3) - 1: Z_vol = 1 -> .99*1.02-1 = .0098; -1 -> 1.01*1.02-1 = .0302; 0 -> 1.02*1.04-1 = .0608
    # a = mean R = (2*.0098 + 2*.0302 + .0608)/5 = .02816; b_turnover = (A+B-C-D)/4 = 0;
    # b_vol = (A-B+C-D)/4 = -.0102 -> residuals A..D = -.00816, E = .0608 - .02816 = .03264
    np.testing.assert_allclose(out.loc[DAYS[3]], [-0.00816] * 4 + [0.03264], atol=1e-10)


def test_liquidity_stripped_needs_min_industries():
    ret = pd.DataFrame({k: RETURNS[1] for k in "ABC"}, index=DAYS)
    out = momentum_pure_liquidity_stripped(
        (1 + ret).cumprod(), ret, ret.abs() + 0.01, DAYS[[3]], window=2, zscore_lookback=3, min_industries=4
    )
    assert out.isna().all().all()


def test_residual_momentum_no_constant_rolling_regression():
    # one factor equal to 1 every month: the no-constant fit is the window mean of y
    # A at month 2 (lookback 3 = months 0..2): y = (.01, .02, .06), mean .03 -> resid = .06 - .03
    # two factors, months 1..3: X = [[1,0],[0,1],[1,1]], y = (.01,.02,.04):
    #   X'X = [[2,1],[1,2]], X'y = (.05,.06) -> beta = (.04/3, .07/3); fit .11/3 -> resid .04 - .11/3 = 1/300
    y = pd.DataFrame({"A": [0.01, 0.02, 0.06, 0.0], "B": [0.0, 0.01, 0.02, 0.04]}, index=MONTHS)
    ones = pd.DataFrame({"f": [1.0] * 4}, index=MONTHS)
    out = momentum_residual(y, ones, MONTHS, lookback=3)
    assert out.iloc[:2].isna().all().all()
    assert out.loc[MONTHS[2], "A"] == pytest.approx(0.06 - 0.03)
    two = pd.DataFrame({"f1": [9.0, 1.0, 0.0, 1.0], "f2": [9.0, 0.0, 1.0, 1.0]}, index=MONTHS)
    out2 = momentum_residual(y, two, MONTHS[[3]], lookback=3)
    assert out2.loc[MONTHS[3], "B"] == pytest.approx(1 / 300)


def test_residual_momentum_rejects_too_short_lookback():
    y = pd.DataFrame({"A": [0.01] * 4}, index=MONTHS)
    two = pd.DataFrame({"f1": [1.0] * 4, "f2": [0.0] * 4}, index=MONTHS)
    with pytest.raises(ValueError, match="lookback"):
        momentum_residual(y, two, MONTHS, lookback=2)


MONTHLY = pd.DataFrame(
    {"A": [0.03, 0.05, 0.01, 0.06], "B": [0.00, 0.02, 0.04, 0.00], "C": [-0.03, 0.02, 0.04, 0.03]},
    index=MONTHS,
)


def test_lasso_falls_back_to_mean_excess_return_when_history_is_short():
    # EW means (0, .03, .03, .03) -> excess e:
    #   m0 (.03, 0, -.03); m1 (.02, -.01, -.01); m2 (-.02, .01, .01); m3 (.03, -.03, 0)
    out = momentum_cross_industry_lasso(MONTHLY, MONTHS, min_samples=10)
    assert out.loc[MONTHS[0]].isna().all()  # no (X_{s-1}, y_s) pair yet
    np.testing.assert_allclose(out.loc[MONTHS[1]], [0.02, -0.01, -0.01], atol=1e-12)
    # m3: mean of y over s = 1..3 -> A (.02-.02+.03)/3 = .01, B (-.01+.01-.03)/3 = -.01, C 0
    np.testing.assert_allclose(out.loc[MONTHS[3]], [0.01, -0.01, 0.0], atol=1e-12)
    # 2-month training window at m3: s = 2, 3 -> A (-.02 + .03)/2 = .005
    short = momentum_cross_industry_lasso(MONTHLY, MONTHS[[3]], train_months=2, min_samples=10)
    assert short.loc[MONTHS[3], "A"] == pytest.approx(0.005)


def test_lasso_trains_on_lagged_excess_pairs_and_predicts_from_month_t():
    months = pd.date_range("2020-01-31", periods=16, freq="ME", name="date")
    rng = np.random.default_rng(3)
    rets = pd.DataFrame(rng.normal(0, 0.05, (16, 3)), index=months, columns=list("ABC"))
    rets["B"] = rets["A"].shift(1).fillna(0.0) * 0.8 + rng.normal(0, 0.01, 16)  # B follows A
    e = rets.to_numpy() - rets.to_numpy().mean(axis=1, keepdims=True)
    t = 14
    out = momentum_cross_industry_lasso(rets, months[[t]], train_months=36, min_samples=10)
    # training pairs: X = e[s-1], y = e[s] for s = 1..t (all months observed by t); predict from e[t]
    for i, name in enumerate("ABC"):
        model = LassoLarsIC(criterion="aic").fit(e[:t], e[1 : t + 1, i])
        assert out.loc[months[t], name] == pytest.approx(model.predict(e[[t]])[0])


def test_lasso_month_by_month_in_process_equals_all_months_over_worker_processes():
    """A month's run fits in its own process, a backfill spreads the months over joblib's workers: the
    forecasts are the same to the last bit (one month at a time must equal the whole range)."""
    months = pd.date_range("2020-01-31", periods=24, freq="ME", name="date")
    rng = np.random.default_rng(5)
    rets = pd.DataFrame(rng.normal(0, 0.05, (24, 6)), index=months, columns=list("ABCDEF"))
    rets["B"] = rets["A"].shift(1).fillna(0.0) * 0.8 + rng.normal(0, 0.01, 24)
    together = momentum_cross_industry_lasso(rets, months[10:], train_months=12, min_samples=10, n_jobs=2)
    for month in months[10:]:
        alone = momentum_cross_industry_lasso(rets, months[months == month], train_months=12, n_jobs=2)
        np.testing.assert_array_equal(alone.loc[month].to_numpy(), together.loc[month].to_numpy())


def _lasso_cases():
    """Training sets shaped like the factor's (36, 20 or 32 months x 31 or 12 industries; fewer months
    than industries + 2 take var(y) as the noise), with a sparse lead-lag signal, duplicated columns (LARS
    drops a collinear feature), a constant target, and the real scale of monthly excess returns."""
    rng = np.random.default_rng(11)
    for k in range(120):
        n, p = (36, 31) if k % 3 else ((20, 31) if k % 2 else (32, 12))
        x = rng.normal(0, 0.03, (n, p))
        if k % 7 == 0:
            x[:, 1] = x[:, 0]
        y = x @ (rng.normal(0, 1, p) * (rng.random(p) < 0.2)) + rng.normal(0, 0.03, n)
        if k % 11 == 0:
            y = np.full(n, 0.01)
        yield x, y, rng.normal(0, 0.03, p)


def test_lasso_prediction_is_lassolarsic_to_the_bit():
    """The forecast without sklearn's per-call checks is LassoLarsIC's own, bit for bit (so a backfill and
    month runs, and the tables of earlier runs, keep the same values); an sklearn upgrade that changes the
    estimator's arithmetic turns this red."""
    ours, theirs = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LARS's convergence and zero-division warnings on degenerate sets
        for x, y, x_now in _lasso_cases():
            noise = None if len(y) > x.shape[1] + 1 else float(np.var(y, ddof=1))
            model = LassoLarsIC(criterion="aic", noise_variance=noise).fit(x, y)
            theirs.append(model.predict(x_now[None, :])[0])
            with fitting():
                ours.append(lasso_aic_prediction(x, y, x_now))
    assert np.isfinite(theirs).sum() > 100
    np.testing.assert_array_equal(np.array(ours), np.array(theirs))


def test_excess_over_ew_mean_ignores_missing_industries():
    # (.03, NaN, .01): mean of present = .02 -> (.01, NaN, -.01)
    np.testing.assert_allclose(excess_over_ew_mean(np.array([[0.03, np.nan, 0.01]])), [[0.01, np.nan, -0.01]])
