"""GJR-GARCH / realized-volatility blend forecasts (Daniel-Moskowitz 2016, App. D): look-ahead and values."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.volatility import (
    expanding_vol_blend,
    garch_variance_forecasts,
    garch_variance_forecasts_monthly,
)


def _garch_path(n: int, seed: int) -> np.ndarray:
    """Daily returns from a GARCH(1,1) with daily vol around 1% (omega 2e-6, alpha 0.08, beta 0.9)."""
    rng = np.random.default_rng(seed)
    r, var = np.empty(n), 1e-4
    for i in range(n):
        r[i] = np.sqrt(var) * rng.standard_normal()
        var = 2e-6 + 0.08 * r[i] ** 2 + 0.9 * var
    return r


DAYS = pd.bdate_range("2018-01-01", periods=560)
DAILY = pd.Series(_garch_path(len(DAYS), 5), index=DAYS)
MONTH_ENDS = pd.DatetimeIndex(DAILY.groupby(DAYS.to_period("M")).apply(lambda s: s.index[-1]).to_numpy())


@pytest.fixture(scope="module")
def forecasts() -> pd.DataFrame:
    return garch_variance_forecasts(DAILY, MONTH_ENDS, min_obs=200, min_blend_pairs=5)


def test_garch_forecasts_shape_scale_and_rv(forecasts):
    assert list(forecasts.index) == list(MONTH_ENDS)
    g = forecasts["garch_var"].dropna()
    assert len(g) == (DAILY.index.searchsorted(MONTH_ENDS, side="right") >= 200).sum()
    # The simulated unconditional daily variance is 2e-6 / (1 - 0.98) = 1e-4: forecasts within a factor 3.
    assert ((g > 1e-4 / 3) & (g < 3e-4)).all()
    # rv_var at a month end = sample variance of the 126 days ending there.
    t = MONTH_ENDS[10]
    assert forecasts.loc[t, "rv_var"] == pytest.approx(DAILY.loc[:t].iloc[-126:].var(ddof=1))
    assert forecasts["garch_vol"].dropna().to_numpy() == pytest.approx(np.sqrt(g.to_numpy()))
    assert forecasts["blend_vol"].notna().sum() >= 5


def test_garch_forecast_at_t_ignores_data_after_t(forecasts):
    t = MONTH_ENDS[19]
    changed = DAILY.copy()
    changed.loc[changed.index > t] = np.random.default_rng(9).normal(0, 0.05, (changed.index > t).sum())
    again = garch_variance_forecasts(changed, MONTH_ENDS, min_obs=200, min_blend_pairs=5)
    assert forecasts.loc[:t, "blend_vol"].notna().any()  # the blend itself is covered by the check
    pd.testing.assert_frame_equal(forecasts.loc[:t], again.loc[:t], rtol=1e-12)
    assert not np.allclose(forecasts.loc[MONTH_ENDS[-2], "garch_var"], again.loc[MONTH_ENDS[-2], "garch_var"])


def test_refit_every_k_is_also_free_of_look_ahead():
    t = MONTH_ENDS[18]
    base = garch_variance_forecasts(DAILY, MONTH_ENDS, min_obs=200, refit_every=4)
    changed = DAILY.copy()
    changed.loc[changed.index > t] *= 5.0
    again = garch_variance_forecasts(changed, MONTH_ENDS, min_obs=200, refit_every=4)
    pd.testing.assert_frame_equal(base.loc[:t], again.loc[:t], rtol=1e-12)


def test_blend_uses_only_realizations_known_by_then():
    # Realized = 0.001 + 0.5 sigma_G + 0.25 sigma_RV exactly; pair j is known at end j + 1.
    rng = np.random.default_rng(2)
    sg, srv = rng.uniform(0.01, 0.03, 12), rng.uniform(0.01, 0.03, 12)
    realized = 0.001 + 0.5 * sg + 0.25 * srv
    realized[-1] = 9.9  # not yet known anywhere (would be known at end 12)
    out = expanding_vol_blend(sg, srv, realized, np.arange(12) + 1, min_pairs=4)
    # At end i the fit uses pairs 0..i-1: defined from i = 4, exact since every known pair is exact.
    assert np.isnan(out[:4]).all()
    assert out[4:] == pytest.approx(realized[4:-1].tolist() + [0.001 + 0.5 * sg[-1] + 0.25 * srv[-1]])


def test_monthly_variant_look_ahead_and_rv():
    months = pd.date_range("1990-01-31", periods=150, freq="ME")
    monthly = pd.Series(_garch_path(150, 8) * 4.5, index=months)
    base = garch_variance_forecasts_monthly(monthly, min_obs=100, refit_every=5, min_blend_pairs=10)
    # rv_var at row t = var of the 12 months ending t.
    assert base["rv_var"].iloc[20] == pytest.approx(monthly.iloc[9:21].var(ddof=1))
    t = months[130]
    changed = monthly.copy()
    changed.loc[changed.index > t] = 0.4
    again = garch_variance_forecasts_monthly(changed, min_obs=100, refit_every=5, min_blend_pairs=10)
    assert base.loc[:t, "blend_vol"].notna().any()
    pd.testing.assert_frame_equal(base.loc[:t], again.loc[:t], rtol=1e-12)


def test_monthly_variant_rejects_interior_gaps():
    months = pd.date_range("1990-01-31", periods=30, freq="ME")
    monthly = pd.Series(0.01, index=months)
    monthly.iloc[10] = np.nan
    with pytest.raises(ValueError, match="missing values"):
        garch_variance_forecasts_monthly(monthly)


def test_fits_with_the_constraint_jacobians_and_over_processes_are_the_same_bits(monkeypatch):
    """The linear constraints' Jacobian computed by hand (``_linear_jacobian``) reproduces scipy's forward
    differences to the last bit, also where a step is flipped at a bound (French's Mom has a corner optimum,
    beta = 0, at some months); and fits spread over workers equal those of one process."""
    import contextlib

    from joblib import parallel_config

    from momentum_dag.assets.crashes.kenfrench_inputs import kenfrench_crash_inputs
    from momentum_dag.core.crashes import volatility

    mom = 100.0 * kenfrench_crash_inputs(None).monthly["wml"].dropna().to_numpy()
    windows = [mom[:n] for n in (120, 190)] + [100.0 * DAILY.to_numpy()[:300]]
    fast = [volatility.fit_gjr_garch(y).to_numpy() for y in windows]
    assert fast[0][4] < 1e-9  # the first window's optimum is in the corner (beta = 0)
    monthly = pd.Series(_garch_path(150, 8) * 4.5, index=pd.date_range("1990-01-31", periods=150, freq="ME"))
    with parallel_config(backend="threading"):  # the chunking; processes would add seconds of start-up
        spread = garch_variance_forecasts_monthly(monthly, min_obs=124, n_jobs=2)  # 27 fits, 4 chunks
    monkeypatch.setattr(volatility, "_linear_constraint_jacobians", contextlib.nullcontext)
    slow = [volatility.fit_gjr_garch(y).to_numpy() for y in windows]
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))
    pd.testing.assert_frame_equal(spread, garch_variance_forecasts_monthly(monthly, min_obs=124), check_exact=True)


def test_constraint_jacobian_matches_scipy_at_and_near_the_bounds():
    """``_linear_jacobian`` against scipy's own forward differences (what SLSQP computes without it) at
    points inside, on and within a step of the bounds, where numdiff flips or shortens the step."""
    from scipy.optimize._numdiff import approx_derivative

    from momentum_dag.core.crashes.volatility import _STEP, _ForwardSteps, _linear_jacobian

    lb, ub = np.array([-np.inf, 1e-6, 0.0, -1.0, 0.0]), np.array([np.inf, 5.0, 1.0, 2.0, 1.0])
    coeff, val = np.array([0.0, 0.0, -1.0, -0.5, -1.0]), -1.0
    jac = _linear_jacobian(coeff, val, _ForwardSteps(lb, ub))
    points = [
        np.array([0.3, 0.2, 0.05, 0.1, 0.9]),
        np.array([-0.3, 5.0, 1.0, 2.0, 1.0]),  # on the upper bounds: steps flipped
        np.array([0.0, 1e-6, 0.0, -1.0, 0.0]),  # on the lower bounds
        np.array([1e9, 5.0 - _STEP / 3, 1.0 - _STEP / 2, 0.0, 1.0 - 1e-12]),  # within a step of them
    ]
    for x in points:
        expected = approx_derivative(
            lambda p: np.dot(coeff, p) - val, x, method="2-point", abs_step=_STEP, bounds=(lb, ub)
        )
        assert np.array_equal(jac(x), np.ravel(expected))
