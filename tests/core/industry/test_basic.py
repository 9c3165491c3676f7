"""Hand-computed checks of the basic industry momentum factors (sell-side industry momentum, family 1)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.industry import (
    momentum,
    momentum_calmar_ratio,
    momentum_rank_zscore,
    momentum_sharpe,
    momentum_zscore,
)

DATES = pd.bdate_range("2024-01-01", periods=4, name="date")


def panel(data: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(data, index=DATES[: len(next(iter(data.values())))])


def test_momentum_is_window_price_change_with_warmup_nan():
    close = panel({"A": [1.0, 1.1, 1.21, 1.0], "B": [1.0, 1.0, 1.0, 1.2]})
    out = momentum(close, DATES[[1, 3]], window=2)
    assert out.loc[DATES[1]].isna().all()  # P_{t-2} precedes the sample
    # A: 1.0 / 1.1 - 1 ; B: 1.2 / 1.0 - 1
    assert out.loc[DATES[3], "A"] == pytest.approx(1.0 / 1.1 - 1)
    assert out.loc[DATES[3], "B"] == pytest.approx(0.2)
    assert list(out.columns) == ["A", "B"] and out.index.name == "date"


def test_momentum_zscore_averages_daily_cross_sectional_z():
    # day0 r = (.01,.02,.03): mean .02, std .01 -> z = (-1, 0, 1)
    # day1 r = (.03,.01,.02): z = (1, -1, 0)
    # day2 all .01: std 0 -> z = 0 for everyone (documented choice)
    ret = panel({"A": [0.01, 0.03, 0.01], "B": [0.02, 0.01, 0.01], "C": [0.03, 0.02, 0.01]})
    out = momentum_zscore(ret, DATES[:3], window=2)
    assert out.loc[DATES[0]].isna().all()
    np.testing.assert_allclose(out.loc[DATES[1]], [0.0, -0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(out.loc[DATES[2]], [0.5, -0.5, 0.0], atol=1e-12)


def test_momentum_rank_zscore_standardizes_rank_by_uniform_moments():
    # N=3: (Rank - 2) / sqrt(4*2/12) = (Rank - 2) / 0.8165
    # day0 ranks (1,2,3) -> (-1.2247, 0, 1.2247); day1 ranks (3,1,2) -> (1.2247, -1.2247, 0)
    # day2 ties (2,2,2) -> 0; day3 A missing, N=2: (Rank - 1.5) / sqrt(3/12) -> B -1, C 1
    ret = panel({"A": [0.01, 0.03, 0.01, np.nan], "B": [0.02, 0.01, 0.01, 0.01], "C": [0.03, 0.02, 0.01, 0.02]})
    out = momentum_rank_zscore(ret, DATES, window=2)
    s = 1 / np.sqrt(2 / 3)
    np.testing.assert_allclose(out.loc[DATES[1]], [0.0, -s / 2, s / 2], atol=1e-12)
    np.testing.assert_allclose(out.loc[DATES[2]], [s / 2, -s / 2, 0.0], atol=1e-12)
    # day3: A has a missing day in its window -> NaN; B (0 + -1)/2; C (0 + 1)/2
    assert np.isnan(out.loc[DATES[3], "A"])
    np.testing.assert_allclose(out.loc[DATES[3], ["B", "C"]], [-0.5, 0.5], atol=1e-12)


def test_momentum_sharpe_is_mean_over_std():
    # A: mean .02, std .01 -> 2. B: mean .01, devs (0,-.02,.02) var .0008/2 -> std .02 -> .5. C: std 0 -> NaN
    ret = panel({"A": [0.01, 0.02, 0.03], "B": [0.01, -0.01, 0.03], "C": [0.01, 0.01, 0.01]})
    out = momentum_sharpe(ret, DATES[[1, 2]], window=3)
    assert out.loc[DATES[1]].isna().all()
    assert out.loc[DATES[2], "A"] == pytest.approx(2.0)
    assert out.loc[DATES[2], "B"] == pytest.approx(0.5)
    assert np.isnan(out.loc[DATES[2], "C"])


def test_momentum_calmar_ratio_annualizes_and_divides_by_drawdown():
    close = panel({"A": [1.0, 0.9, 1.08], "B": [1.0, 1.05, 1.1], "C": [1.0, 1.2, 0.9]})
    out = momentum_calmar_ratio(close, DATES[[1, 2]], window=2, periods_per_year=4)
    assert out.loc[DATES[1]].isna().all()
    # A: R = .08, ann = 1.08^(4/2) - 1 = .1664; MDD = (1 - .9)/1 = .1 -> 1.664
    assert out.loc[DATES[2], "A"] == pytest.approx(1.664)
    # B never falls: MDD 0 floored at .001; ann = 1.1^2 - 1 = .21 -> 210
    assert out.loc[DATES[2], "B"] == pytest.approx(210.0)
    # C: R = -.1, ann = .81 - 1 = -.19; MDD = (1.2 - .9)/1.2 = .25 -> -.76
    assert out.loc[DATES[2], "C"] == pytest.approx(-0.76)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period_ends": [pd.Timestamp("2030-01-01")]}, "period_ends"),
        ({"window": 0}, "window"),
        ({"close": pd.DataFrame({"A": [1.0, 2.0]})}, "DatetimeIndex"),
        ({"close": panel({"A": [1.0, 1.1]}).iloc[::-1]}, "sorted"),
    ],
)
def test_bad_input_raises_clear_value_error(kwargs, message):
    args = {"close": panel({"A": [1.0, 1.1]}), "period_ends": DATES[[1]], "window": 1} | kwargs
    with pytest.raises(ValueError, match=message):
        momentum(args.pop("close"), args.pop("period_ends"), **args)


def test_standardized_rank_by_hand_and_a_day_without_returns_is_nan_without_warning():
    from momentum_dag.core.industry.basic import standardized_rank

    ret = pd.DataFrame([[np.nan, np.nan, np.nan], [0.1, 0.2, np.nan], [0.3, 0.1, 0.2]], columns=list("abc"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # N = 0 used to take sqrt(-1/12) and print a RuntimeWarning
        z = standardized_rank(ret)
    assert z.iloc[0].isna().all()
    # N = 2: (1 - 1.5) / sqrt(3 * 1 / 12) = -1; N = 3: (3 - 2) / sqrt(4 * 2 / 12) = 1.2247...
    assert z.iloc[1, :2].tolist() == [-1.0, 1.0] and np.isnan(z.iloc[1, 2])
    np.testing.assert_allclose(z.iloc[2], [1 / np.sqrt(8 / 12), -1 / np.sqrt(8 / 12), 0.0])
