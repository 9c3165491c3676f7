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
