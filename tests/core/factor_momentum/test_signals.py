"""Time-series and cross-sectional factor momentum and factor autocorrelation (E-L 2022), hand-computed."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.factor_momentum.signals import (
    cs_factor_momentum,
    cs_factor_signals,
    factor_autocorrelation,
    ts_factor_momentum,
    ts_factor_signals,
)

MONTHS = pd.date_range("2020-01-31", periods=5, freq="ME", name="date")
M2, M3, M4 = MONTHS[2], MONTHS[3], MONTHS[4]


def _panel() -> pd.DataFrame:
    """3 factors + momentum; with lookback 3 the first signal is at M2 (rows 0..2, no skip month).

    MA at M2: A = (.25+.5+.25)/3 = 1/3, B = (-.1-.2+.6)/3 = .1 (positive only because M2's .6 is in the
    window), C = (.05-.15-.05)/3 = -.05. MA at M3: A = (.5+.25-.75)/3 = 0 exactly, B = .2, C = -.05.
    """
    return pd.DataFrame(
        {
            "A": [0.25, 0.50, 0.25, -0.75, 0.10],
            "B": [-0.10, -0.20, 0.60, 0.20, -0.40],
            "C": [0.05, -0.15, -0.05, 0.05, 0.20],
            "momentum": [0.9] * 5,
        },
        index=MONTHS,
    )


def test_ts_signals_no_skip_month_zero_and_exclusion():
    s = ts_factor_signals(_panel(), lookback=3, min_obs=3)
    assert "momentum" not in s.columns
    assert s.loc[: MONTHS[1]].isna().all().all()  # fewer than 3 months
    assert s.loc[M2].tolist() == [1.0, 1.0, -1.0]
    assert np.isnan(s.loc[M3, "A"])  # MA exactly 0 -> no position
    assert s.loc[M3, ["B", "C"]].tolist() == [1.0, -1.0]


def test_ts_factor_momentum_hand_computed():
    out = ts_factor_momentum(_panel(), lookback=3, min_obs=3)
    assert list(out.index) == [M3, M4]  # indexed by the holding month
    # M3 (signals at M2: A+, B+, C-): (-.75 + .2 - .05)/3 = -.2; winners (-.75+.2)/2; losers .05 (not negated)
    assert out.loc[M3, "tsmom"] == pytest.approx(-0.2)
    assert out.loc[M3, "tsmom_winners"] == pytest.approx(-0.275)
    assert out.loc[M3, "tsmom_losers"] == pytest.approx(0.05)
    assert (out.loc[M3, "n_long"], out.loc[M3, "n_short"]) == (2, 1)
    # M4 (signals at M3: A none, B+, C-): (-.4 - .2)/2 = -.3
    assert out.loc[M4, "tsmom"] == pytest.approx(-0.3)
    assert (out.loc[M4, "n_long"], out.loc[M4, "n_short"]) == (1, 1)
    # Including momentum (always +.9, signal +1) at M3: (-.6 + .9)/4 = .075
    assert ts_factor_momentum(_panel(), lookback=3, min_obs=3, exclude=()).loc[M3, "tsmom"] == pytest.approx(0.075)


def test_cs_signals_ties_at_median_go_long():
    s = cs_factor_signals(_panel(), lookback=3, min_obs=3)
    # M2: MAs 1/3, .1, -.05 -> median .1 -> B ties -> +1. M3: MAs 0, .2, -.05 -> median 0 -> A ties -> +1
    assert s.loc[M2].tolist() == [1.0, 1.0, -1.0]
    assert s.loc[M3].tolist() == [1.0, 1.0, -1.0]


def test_cs_factor_momentum_hand_computed():
    out = cs_factor_momentum(_panel(), lookback=3, min_obs=3)
    assert out.loc[M3, "xsmom"] == pytest.approx(-0.2)  # (-.75 + .2 - .05)/3
    # Weighted at M2: mean MA = 23/180; w = (37, -5, -32)/540 -> (37*(-.75) - 5*.2 - 32*.05)/540
    assert out.loc[M3, "xsmom_weighted"] == pytest.approx(-30.35 / 540)
    # M4: (.1 - .4 - .2)/3; weighted at M3: mean MA .05, w = (-1/60, .05, -1/30)
    assert out.loc[M4, "xsmom"] == pytest.approx(-0.5 / 3)
    assert out.loc[M4, "xsmom_weighted"] == pytest.approx(-0.1 / 60 - 0.02 - 0.2 / 30)
    assert out.loc[M4, "xsmom_winners"] == pytest.approx(-0.15)
    assert out.loc[M4, "xsmom_losers"] == pytest.approx(0.2)
    assert (out.loc[M4, "n_long"], out.loc[M4, "n_short"]) == (2, 1)


def test_factor_momentum_look_ahead():
    rng = np.random.default_rng(5)
    idx = pd.date_range("2015-01-31", periods=40, freq="ME", name="date")
    r = pd.DataFrame(rng.normal(0.005, 0.03, (40, 6)), index=idx, columns=list("abcdef"))
    t = idx[25]
    r2 = r.copy()
    r2.loc[r2.index > t] = -r2.loc[r2.index > t] + 0.05
    for fn in (ts_factor_signals, cs_factor_signals, ts_factor_momentum, cs_factor_momentum):
        pd.testing.assert_frame_equal(fn(r2).loc[:t], fn(r).loc[:t])


def test_factor_autocorrelation_hand_computed():
    # lookback 2; prior sums at t2..t7: .2, .4, .1, -.3, -.2, .1 -> up at t2,t3,t4,t7, down at t5,t6
    idx = pd.date_range("2020-01-31", periods=8, freq="ME", name="date")
    a = [0.1, 0.1, 0.3, -0.2, -0.1, -0.1, 0.2, 0.4]
    out = factor_autocorrelation(pd.DataFrame({"A": a}, index=idx), lookback=2)
    row = out.loc["A"]
    # after up: (.3 - .2 - .1 + .4)/4 = .1; after down: (-.1 + .2)/2 = .05 -> alpha .05, beta .05
    assert row["mean_after_up"] == pytest.approx(0.1)
    assert row["alpha"] == pytest.approx(0.05) and row["beta"] == pytest.approx(0.05)
    # residuals .2,-.3,-.2,.3 | -.15,.15: SSR = .305, s2 = .305/4; var(a) = s2/2; var(b) = s2(1/4 + 1/2)
    s2 = 0.305 / 4
    assert row["t_alpha"] == pytest.approx(0.05 / np.sqrt(s2 / 2))
    assert row["t_beta"] == pytest.approx(0.05 / np.sqrt(s2 * 0.75))
    assert (row["n"], row["n_up"], row["n_down"]) == (6, 4, 2)


def test_factor_autocorrelation_pooled_and_degenerate():
    idx = pd.date_range("2020-01-31", periods=8, freq="ME", name="date")
    a = [0.1, 0.1, 0.3, -0.2, -0.1, -0.1, 0.2, 0.4]
    panel = pd.DataFrame({"A": a, "B": a, "always_up": [0.1] * 8}, index=idx)
    out = factor_autocorrelation(panel, lookback=2)
    assert out.loc["always_up", ["alpha", "beta"]].isna().all()  # no down years: slope not identified
    # pooled: A, B and always_up (6 up months of .1): up mean (2*.4 + .6)/14 = .1, down mean .05 (4 obs)
    pooled = out.loc["pooled"]
    assert pooled["alpha"] == pytest.approx(0.05)
    assert pooled["beta"] == pytest.approx(0.05)
    assert (pooled["n_up"], pooled["n_down"]) == (14, 4)
    assert np.isfinite(pooled["t_beta"])


def test_bad_window_raises():
    with pytest.raises(ValueError, match="min_obs"):
        ts_factor_momentum(_panel(), lookback=3, min_obs=4)
    with pytest.raises(ValueError, match="no factors"):
        ts_factor_momentum(_panel()[["momentum"]])
