"""Daniel-Moskowitz (2016) state variables: bear and up indicators, market variance, alignment."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.state import (
    bear_indicator,
    market_state,
    market_variance_daily,
    market_variance_monthly,
    up_indicator,
)

MONTHS = pd.date_range("2020-01-31", periods=6, freq="ME")


def test_bear_indicator_on_hand_path():
    total = pd.Series([0.10, -0.20, 0.05, 0.02, 0.30, 0.0], index=MONTHS)
    bear = bear_indicator(total, months=3)
    # Row 3 uses rows 0..2: 1.1*0.8*1.05 = 0.924 -> -7.6% -> 1.
    # Row 4 uses rows 1..3: 0.8*1.05*1.02 = 0.8568 -> 1.
    # Row 5 uses rows 2..4: 1.05*1.02*1.3 = 1.3923 -> 0.
    assert bear.iloc[:3].isna().all()
    assert bear.iloc[3:].tolist() == [1.0, 1.0, 0.0]


def test_bear_uses_total_return_over_24_months_ending_t_minus_1():
    months = pd.date_range("2000-01-31", periods=26, freq="ME")
    total = pd.Series(0.01, index=months)
    total.iloc[0] = -0.25  # 0.75 * 1.01**23 = 0.9433 < 1 -> bear at row 24 (rows 0..23)
    total.iloc[24] = -0.90  # month 24 itself must not enter row 24
    bear = bear_indicator(total)
    assert bear.iloc[:24].isna().all()
    assert bear.iloc[24] == 1.0
    # Row 25 uses rows 1..24: 1.01**23 * 0.10 < 1 -> still bear.
    assert bear.iloc[25] == 1.0


def test_up_indicator_is_contemporaneous_and_strict():
    excess = pd.Series([0.01, -0.02, 0.0, np.nan, 0.03, -0.01], index=MONTHS)
    up = up_indicator(excess)
    assert up.iloc[:3].tolist() == [1.0, 0.0, 0.0]
    assert np.isnan(up.iloc[3])


def test_market_variance_daily_by_hand_and_predictive():
    days = pd.to_datetime(["2020-01-29", "2020-01-30", "2020-01-31", "2020-02-03", "2020-02-28"])
    daily = pd.Series([0.01, -0.01, 0.02, 0.05, -0.04], index=days)
    index = pd.DatetimeIndex(["2020-01-31", "2020-02-28", "2020-03-31"])
    var = market_variance_daily(daily, index, window=3)
    # February row = variance of January's last 3 days (0.01, -0.01, 0.02): mean 0.02/3,
    # deviations 1/300, -5/300, 4/300 -> sum sq = 42/90000 -> /2 = 0.00023333.
    assert np.isnan(var.iloc[0])
    assert var.iloc[1] == pytest.approx(42 / 90000 / 2)
    # March row = 3 days ending 2020-02-28: (0.02, 0.05, -0.04), mean 0.01 -> (1e-4+16e-4+25e-4)/2.
    assert var.iloc[2] == pytest.approx(42e-4 / 2)
    # Look-ahead: changing February's days leaves the February row (which reflects January) unchanged.
    changed = daily.copy()
    changed.loc["2020-02"] = 0.5
    assert market_variance_daily(changed, index, window=3).iloc[1] == var.iloc[1]


def test_market_variance_monthly_fallback():
    monthly = pd.Series([0.01, 0.03, 0.05, 0.9, 0.0, 0.0], index=MONTHS)
    var = market_variance_monthly(monthly, window=3)
    # Row 3 = var(0.01, 0.03, 0.05) / 21 = 0.0004 / 21 (row 3's own 0.9 excluded).
    assert var.iloc[3] == pytest.approx(0.0004 / 21)
    assert var.iloc[:3].isna().all()


def test_market_state_columns_and_look_ahead():
    rng = np.random.default_rng(3)
    months = pd.date_range("1990-01-31", periods=60, freq="ME")
    total = pd.Series(rng.normal(0.008, 0.05, 60), index=months)
    excess = total - 0.003
    state = market_state(total, excess)
    assert list(state.columns) == ["bear", "up", "market_var"]
    t = months[40]
    total2, excess2 = total.copy(), excess.copy()
    total2.loc[total2.index > t] = -0.5
    excess2.loc[excess2.index > t] = -0.5
    pd.testing.assert_frame_equal(state.loc[:t], market_state(total2, excess2).loc[:t])
    # bear and market_var at row t do not even use month t.
    total3 = total.copy()
    total3.loc[t] = -0.9
    again = market_state(total3, excess)
    assert again.loc[t, "bear"] == state.loc[t, "bear"]
    assert again.loc[t, "market_var"] == state.loc[t, "market_var"]


def test_market_state_rejects_bad_input():
    total = pd.Series(0.01, index=MONTHS)
    with pytest.raises(ValueError, match="same index"):
        market_state(total, total.iloc[1:])
    with pytest.raises(ValueError, match="skips a calendar month"):
        market_state(total.drop(MONTHS[2]), total.drop(MONTHS[2]))
