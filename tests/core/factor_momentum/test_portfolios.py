"""Characteristic long-short portfolios, daily factor returns and momentum-neutral weights (E-L 2022)."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.factor_momentum.portfolios import (
    characteristic_long_short,
    daily_factor_returns,
    long_short_returns,
    long_short_weights,
    momentum_neutral_factor_returns,
    momentum_neutral_weights,
)

STOCKS = [f"s{i}" for i in range(1, 11)]
MONTHS = pd.DatetimeIndex(["2020-01-31", "2020-02-28", "2020-03-31"], name="date")


def _cross_section() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Characteristic 1..10 on s1..s10 at every month; caps for the weighted case."""
    char = pd.DataFrame([np.arange(1.0, 11.0)] * 3, index=MONTHS, columns=STOCKS)
    cap = pd.DataFrame([[2.0, 1, 1, 5, 5, 5, 5, 1, 2, 1]] * 3, index=MONTHS, columns=STOCKS)
    return char, cap


def test_equal_weighted_legs_use_30_70_breakpoints():
    char, _ = _cross_section()
    char.iloc[0, 4] = np.nan  # s5 out of the universe in January
    w = long_short_weights(char)
    # February: values 1..10 -> 30% quantile = 1 + 0.3*9 = 3.7, 70% = 7.3: long s8-s10, short s1-s3.
    expected = [-1 / 3] * 3 + [0.0] * 4 + [1 / 3] * 3
    np.testing.assert_allclose(w.loc["2020-02-28"].to_numpy(), expected, atol=1e-15)
    # January without s5: values {1,2,3,4,6,...,10}; 30% = 1 + 0.3*8 -> pos 2.4 -> 3.4, 70% -> pos 5.6 -> 7.6.
    jan = w.loc["2020-01-31"]
    assert np.isnan(jan["s5"])
    assert jan[["s1", "s2", "s3"]].tolist() == pytest.approx([-1 / 3] * 3)
    assert jan[["s8", "s9", "s10"]].tolist() == pytest.approx([1 / 3] * 3)
    assert jan[["s4", "s6", "s7"]].tolist() == [0.0, 0.0, 0.0]


def test_value_weighted_legs_and_higher_is_long_false():
    char, cap = _cross_section()
    w = long_short_weights(char, cap).loc["2020-01-31"]
    # long s8,s9,s10 caps 1,2,1 -> .25,.5,.25; short s1,s2,s3 caps 2,1,1 -> -.5,-.25,-.25
    assert w[["s8", "s9", "s10"]].tolist() == pytest.approx([0.25, 0.5, 0.25])
    assert w[["s1", "s2", "s3"]].tolist() == pytest.approx([-0.5, -0.25, -0.25])
    flipped = long_short_weights(char, cap, higher_is_long=False).loc["2020-01-31"]
    assert flipped[["s1", "s2", "s3"]].tolist() == pytest.approx([0.5, 0.25, 0.25])


def test_characteristic_long_short_hand_computed():
    char, cap = _cross_section()
    rets = pd.DataFrame(0.0, index=MONTHS, columns=STOCKS)
    rets.loc["2020-02-28", ["s1", "s2", "s3"]] = [0.01, -0.02, 0.04]
    rets.loc["2020-02-28", ["s8", "s9", "s10"]] = [0.03, 0.06, 0.00]
    rets.loc["2020-01-31"] = 9.0  # January's own return never enters the January-formed portfolio
    ew = characteristic_long_short(char, rets)
    # long (0.03+0.06+0)/3 = 0.03, short (0.01-0.02+0.04)/3 = 0.01 -> 0.02, indexed by holding month Feb.
    assert ew.loc["2020-02-28"] == pytest.approx(0.02)
    assert list(ew.index) == list(MONTHS[1:])
    vw = characteristic_long_short(char, rets, cap)
    # long .25*.03 + .5*.06 + .25*0 = .0375; short .5*.01 + .25*(-.02) + .25*.04 = .01 -> .0275
    assert vw.loc["2020-02-28"] == pytest.approx(0.0275)
    rets.loc["2020-02-28", "s9"] = np.nan  # missing return of a held stock counts as 0
    assert characteristic_long_short(char, rets).loc["2020-02-28"] == pytest.approx(0.01 - 0.01)


def test_degenerate_cross_section_has_no_portfolio():
    char = pd.DataFrame([[1.0] * 10], index=MONTHS[:1], columns=STOCKS)
    assert long_short_weights(char).isna().all().all()


def test_long_short_look_ahead():
    rng = np.random.default_rng(1)
    idx = pd.date_range("2020-01-31", periods=8, freq="ME", name="date")
    char = pd.DataFrame(rng.normal(size=(8, 10)), index=idx, columns=STOCKS)
    rets = pd.DataFrame(rng.normal(0, 0.1, size=(8, 10)), index=idx, columns=STOCKS)
    cap = pd.DataFrame(rng.uniform(1, 5, size=(8, 10)), index=idx, columns=STOCKS)
    t = idx[4]
    base_w = long_short_weights(char, cap)
    base_r = characteristic_long_short(char, rets, cap)
    char2, rets2, cap2 = char.copy(), rets.copy(), cap.copy()
    for frame in (char2, rets2, cap2):
        frame.loc[frame.index > t] *= -3.0
    pd.testing.assert_frame_equal(long_short_weights(char2, cap2).loc[:t], base_w.loc[:t])
    pd.testing.assert_series_equal(characteristic_long_short(char2, rets2, cap2).loc[:t], base_r.loc[:t])


def test_bad_inputs_raise():
    char, _ = _cross_section()
    with pytest.raises(ValueError, match="quantile"):
        long_short_weights(char, quantile=0.5)
    with pytest.raises(ValueError, match="DatetimeIndex"):
        long_short_weights(char.reset_index(drop=True))
    with pytest.raises(ValueError, match="subset"):
        long_short_returns(long_short_weights(char), char.iloc[1:])


def test_daily_factor_returns_buy_and_hold_within_month():
    days = pd.DatetimeIndex(["2020-01-30", "2020-01-31", "2020-02-03", "2020-02-04", "2020-03-02"], name="date")
    daily = pd.DataFrame(
        {"A": [0.5, 0.5, 0.10, -0.10, 0.3], "C": [0.5, 0.5, 0.0, 0.20, 0.3], "B": [0.5, 0.5, 0.0, 0.05, 0.3]},
        index=days,
    )
    weights = pd.DataFrame({"A": [0.5], "C": [0.5], "B": [-1.0]}, index=pd.DatetimeIndex(["2020-01-31"]))
    out = daily_factor_returns({"f": weights}, daily)["f"]
    # Feb 3: long leg = .5*.10 + .5*0 = .05, short B 0 -> .05.
    # Feb 4: long values A .55, C .5 -> (.55*(-.10) + .5*.20)/1.05 = .045/1.05; short B .05.
    assert out.loc["2020-02-03"] == pytest.approx(0.05)
    assert out.loc["2020-02-04"] == pytest.approx(0.045 / 1.05 - 0.05)
    # January has no formation before it; March has no February formation row.
    assert out.loc[["2020-01-30", "2020-01-31", "2020-03-02"]].isna().all()
    # The long leg alone compounds to its buy-and-hold monthly return: .5*1.1*.9 + .5*1*1.2 - 1 = .095.
    long_only = daily_factor_returns({"f": weights.clip(lower=0)}, daily.drop(columns="B"))["f"]
    assert (1 + long_only.loc["2020-02"]).prod() - 1 == pytest.approx(0.095)


def test_momentum_neutral_weights_hand_case():
    w = pd.Series([1.0, 0.0, 0.0, -1.0], index=list("abcd"))
    r = pd.Series([0.0, 0.0, 1.0, 1.0], index=list("abcd"))
    # mean w = 0, r - mean r = (-.5,-.5,.5,.5), b = (w.r_dev)/(r_dev.r_dev) = -1/1 -> x = w + r_dev
    x = momentum_neutral_weights(w, r)
    assert x.tolist() == pytest.approx([0.5, -0.5, 0.5, -0.5])


def test_momentum_neutral_weights_constraints_and_projection():
    rng = np.random.default_rng(7)
    w = pd.DataFrame(rng.normal(size=(5, 30)))
    r = pd.DataFrame(rng.normal(size=(5, 30)))
    w.iloc[2, :5] = np.nan
    r.iloc[3, 10] = np.nan
    x = momentum_neutral_weights(w, r)
    ok = w.notna() & r.notna()
    assert (x.isna() == ~ok).all().all()
    np.testing.assert_allclose(x.sum(axis=1), 0.0, atol=1e-10)
    np.testing.assert_allclose((x * r).sum(axis=1), 0.0, atol=1e-10)
    # Closed form x = w - A'(AA')^-1 A w with A = [1'; r'] on row 0, computed independently.
    a = np.vstack([np.ones(30), r.iloc[0].to_numpy()])
    w0 = w.iloc[0].to_numpy()
    np.testing.assert_allclose(x.iloc[0], w0 - a.T @ np.linalg.solve(a @ a.T, a @ w0), atol=1e-12)
    # Weights already neutral are left unchanged.
    np.testing.assert_allclose(momentum_neutral_weights(x, r), x, atol=1e-12)


def test_momentum_neutral_factor_returns_hand_case():
    idx = pd.DatetimeIndex(["2020-01-31", "2020-02-29"], name="date")
    cols = list("abcd")
    w = pd.DataFrame([[1.0, 0.0, 0.0, -1.0]], index=idx[:1], columns=cols)
    past = pd.DataFrame([[0.0, 0.0, 1.0, 1.0]], index=idx[:1], columns=cols)
    rets = pd.DataFrame([[9.0] * 4, [0.1, 0.2, 0.3, 0.4]], index=idx, columns=cols)
    out = momentum_neutral_factor_returns({"value": w, "momentum": w}, rets, past)
    # x = (.5,-.5,.5,-.5) -> .05 - .1 + .15 - .2 = -.1; the momentum factor is skipped.
    assert list(out.columns) == ["value"]
    assert out.loc["2020-02-29", "value"] == pytest.approx(-0.1)


def _daily_factor_returns_by_frames(weights: pd.DataFrame, daily: pd.DataFrame) -> pd.Series:
    """The DataFrame formulation daily_factor_returns replaced (E-L 2022 buy-and-hold legs), as the oracle."""
    keys = pd.DatetimeIndex(daily.index.to_period("M").to_timestamp())
    step = daily.fillna(0.0)
    start_value = (1.0 + step).groupby(keys).cumprod().groupby(keys).shift(1).fillna(1.0)
    holding = pd.DatetimeIndex(weights.index.to_period("M").to_timestamp()) + pd.DateOffset(months=1)
    held = weights.set_axis(holding).reindex(index=keys, columns=daily.columns).set_axis(daily.index)

    def leg(w: pd.DataFrame) -> pd.Series:
        value = w * start_value
        denominator = value.sum(axis=1, min_count=1)
        return (value * step).sum(axis=1, min_count=1) / denominator.where(denominator > 0)

    spread = leg(held.clip(lower=0.0)).fillna(0.0) - leg((-held).clip(lower=0.0)).fillna(0.0)
    return spread.where(held.notna().any(axis=1))


def test_daily_factor_returns_equal_the_frame_sums_to_the_bit():
    # the arrays keep pandas' column-major layout, so each day adds its stocks in the same order
    rng = np.random.default_rng(8)
    days = pd.bdate_range("2021-01-01", "2021-06-30")
    stocks = [f"s{i:03d}" for i in range(300)]
    daily = pd.DataFrame(rng.normal(0, 0.03, (len(days), len(stocks))), index=days, columns=stocks)
    daily[daily > 0.05] = np.nan  # suspended days
    ends = pd.DatetimeIndex(["2020-12-31", "2021-01-29", "2021-03-31", "2021-04-30"])  # no February formation
    char = pd.DataFrame(rng.normal(size=(len(ends), len(stocks))), index=ends, columns=stocks)
    char.iloc[:, :20] = np.nan  # outside the universe
    weights = long_short_weights(char, pd.DataFrame(rng.uniform(1, 9, char.shape), index=ends, columns=stocks))
    out = daily_factor_returns({"f": weights}, daily)["f"]
    expected = _daily_factor_returns_by_frames(weights, daily)
    assert out.loc["2021-03"].isna().all() and out.loc["2021-01"].notna().all()
    np.testing.assert_array_equal(out.to_numpy(), expected.to_numpy())


def test_daily_factor_returns_look_ahead_and_bad_formation_dates():
    rng = np.random.default_rng(4)
    days = pd.bdate_range("2020-01-01", "2020-06-30", name="date")
    daily = pd.DataFrame(rng.normal(0, 0.02, (len(days), 10)), index=days, columns=STOCKS)
    month_ends = daily.groupby(daily.index.to_period("M")).apply(lambda g: g.index.max())
    char = pd.DataFrame(rng.normal(size=(len(month_ends), 10)), index=pd.DatetimeIndex(month_ends), columns=STOCKS)
    base = daily_factor_returns({"f": long_short_weights(char)}, daily)
    t = pd.Timestamp("2020-03-31")
    daily2, char2 = daily.copy(), char.copy()
    daily2.loc[daily2.index > t] += 0.05
    char2.loc[char2.index > t] *= -1
    after = daily_factor_returns({"f": long_short_weights(char2)}, daily2)
    pd.testing.assert_frame_equal(after.loc[:t], base.loc[:t])
    twice = long_short_weights(char).iloc[[0, 0]].set_axis(pd.DatetimeIndex(["2020-01-30", "2020-01-31"]))
    with pytest.raises(ValueError, match="more than one formation date"):
        daily_factor_returns({"f": twice}, daily)
    with pytest.raises(ValueError, match="missing from daily_returns"):
        daily_factor_returns({"f": long_short_weights(char)}, daily.drop(columns=STOCKS[:3]))
