"""Lagged betas and the Daniel-Moskowitz (2016) Table 3 / Table 5 regressions on exact constructions."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.regressions import (
    crash_regressions,
    lagged_beta,
    mean_forecast_regressions,
    rolling_lagged_betas,
)

RNG = np.random.default_rng(11)
DAYS = pd.bdate_range("2020-01-01", periods=320)
MARKET = pd.Series(RNG.normal(0.0, 0.01, len(DAYS)), index=DAYS)


def test_lagged_beta_recovers_sum_of_lags():
    noise = pd.Series(RNG.normal(0, 0.0005, len(DAYS)), index=DAYS)
    y = 0.5 * MARKET + 0.3 * MARKET.shift(1) + noise
    # beta = 0.5 + 0.3 = 0.8; noise sd is 1/20 of the market's, so the 126-day estimate is within 0.05.
    assert lagged_beta(y, MARKET) == pytest.approx(0.8, abs=0.05)
    exact = 0.001 + 0.5 * MARKET + 0.3 * MARKET.shift(1) - 0.2 * MARKET.shift(10)
    assert lagged_beta(exact, MARKET) == pytest.approx(0.6, abs=1e-10)  # intercept absorbs 0.001


def test_rolling_lagged_betas_columns_nan_and_look_ahead():
    frame = pd.DataFrame({"winner": 1.2 * MARKET, "loser": 2.0 * MARKET.shift(2), "wml": -0.8 * MARKET})
    month_ends = pd.DatetimeIndex(["2020-02-28", "2020-08-31", "2020-12-31", "2021-02-26"])
    betas = rolling_lagged_betas(frame, MARKET, month_ends)
    assert betas.iloc[0].isna().all()  # fewer than 126 days by February 2020
    assert betas.loc["2020-08-31"].tolist() == pytest.approx([1.2, 2.0, -0.8], abs=1e-10)
    t = pd.Timestamp("2020-12-31")
    changed = frame.copy()
    changed.loc[changed.index > t] = 0.3
    market2 = MARKET.copy()
    market2.loc[market2.index > t] = -0.2
    again = rolling_lagged_betas(changed, market2, month_ends)
    pd.testing.assert_frame_equal(betas.loc[:t], again.loc[:t])


def _states(n: int = 240) -> pd.DataFrame:
    months = pd.date_range("1990-01-31", periods=n, freq="ME")
    mkt = RNG.normal(0.005, 0.045, n)
    bear = (RNG.uniform(size=n) < 0.3).astype(float)
    return pd.DataFrame({"mkt": mkt, "bear": bear, "up": (mkt > 0).astype(float)}, index=months)


def _wml(s: pd.DataFrame, a0: float, ab: float, b0: float, bb: float, bbu: float) -> pd.Series:
    # D-M Eq. 3 without noise.
    return a0 + ab * s["bear"] + (b0 + s["bear"] * (bb + s["up"] * bbu)) * s["mkt"]


@pytest.mark.parametrize(
    "model, truth",
    [
        (1, dict(a0=0.015, ab=0.0, b0=-0.4, bb=0.0, bbu=0.0)),
        (2, dict(a0=0.02, ab=-0.02, b0=-0.03, bb=-1.1, bbu=0.0)),
        (3, dict(a0=0.02, ab=0.006, b0=-0.03, bb=-0.66, bbu=-0.8)),
        (4, dict(a0=0.02, ab=0.0, b0=-0.03, bb=-0.7, bbu=-0.73)),
    ],
)
def test_crash_regressions_recover_exact_coefficients(model, truth):
    s = _states()
    wml = _wml(s, **truth)
    table = crash_regressions(wml, s["mkt"], s["bear"], s["up"])
    row = table.loc[model]
    expected = {
        "alpha0": truth["a0"],
        "alphaB": truth["ab"],
        "beta0": truth["b0"],
        "betaB": truth["bb"],
        "betaBU": truth["bbu"],
    }
    for term, value in expected.items():
        if np.isnan(row[term]):
            assert value == 0.0, f"model {model} lacks {term} but the truth has it"
        else:
            assert row[term] == pytest.approx(value, abs=1e-10)
    assert row["adj_r2"] == pytest.approx(1.0)
    assert row["nobs"] == 240
    assert table.loc[1, ["alphaB", "betaB", "betaBU"]].isna().all()
    assert np.isnan(table.loc[4, "alphaB"])


def test_crash_regressions_drop_nan_rows_and_report_sample():
    s = _states()
    wml = _wml(s, 0.01, 0.0, -0.5, 0.0, 0.0)
    bear = s["bear"].copy()
    bear.iloc[:24] = np.nan  # the first 24 months have no bear indicator
    table = crash_regressions(wml, s["mkt"], bear, s["up"])
    assert (table["nobs"] == 216).all()
    assert (table["start"] == s.index[24]).all() and (table["end"] == s.index[-1]).all()


def test_mean_forecast_regressions_exact_and_unshifted():
    s = _states()
    var = pd.Series(RNG.uniform(1e-5, 3e-4, len(s)), index=s.index)
    # Table 5 col (4): R_t = 0.02 - 300 * I_B * sigma2, with both regressors taken from row t as given.
    wml = 0.02 - 300.0 * s["bear"] * var
    table = mean_forecast_regressions(wml, s["bear"], var)
    assert table.loc[4, "gamma0"] == pytest.approx(0.02, abs=1e-12)
    assert table.loc[4, "gammaInt"] == pytest.approx(-300.0, rel=1e-9)
    assert table.loc[5, ["gammaB", "gammaSigma2"]].tolist() == pytest.approx([0.0, 0.0], abs=1e-9)
    assert np.isnan(table.loc[1, "gammaSigma2"]) and np.isnan(table.loc[2, "gammaB"])


def test_regressions_reject_misaligned_inputs():
    s = _states()
    shifted = s["mkt"].copy()
    shifted.index = shifted.index + pd.Timedelta(days=1)  # trading-day vs calendar month-end mix-up
    with pytest.raises(ValueError, match="share no period_end"):
        crash_regressions(s["mkt"], shifted, s["bear"], s["up"])
