"""Daniel-Moskowitz (2016) WML construction: deciles, value weights, the 8-month rule, daily buy and hold."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.wml import (
    decile_daily_returns,
    holding_days,
    large_cap_mask,
    prior_return_12_2,
    wml_daily,
    wml_portfolios,
)
from momentum_dag.core.frames import compound_by_period

MONTHS = pd.date_range("2020-01-31", periods=13, freq="ME")
STOCKS = [f"s{i:02d}" for i in range(20)]


def _cross_section() -> tuple[pd.DataFrame, pd.DataFrame]:
    """20 stocks; stock i earns 1%*i in months 0..10 (its rank), row 11 reverses the order (the skipped
    formation month), row 12 is the holding month; market cap at formation (row 11) is i+1."""
    ret = pd.DataFrame(0.0, index=MONTHS, columns=STOCKS)
    for i, s in enumerate(STOCKS):
        ret.loc[MONTHS[:11], s] = 0.01 * i
        ret.loc[MONTHS[11], s] = 0.30 - 0.01 * i  # would invert the ranking if it were not skipped
    ret.loc[MONTHS[12], ["s00", "s01", "s18", "s19"]] = [0.06, 0.03, 0.02, -0.01]
    mcap = pd.DataFrame(np.tile(np.arange(1.0, 21.0), (13, 1)), index=MONTHS, columns=STOCKS)
    return ret, mcap


def test_deciles_and_value_weights_by_hand():
    ret, mcap = _cross_section()
    deciles, wml, formation = wml_portfolios(ret, mcap)
    # Rows are holding months 1..12; only formation row 11 has 11 prior months, so only row 12 is defined.
    assert list(deciles.index) == list(MONTHS[1:])
    assert list(deciles.dropna(how="all").index) == [MONTHS[12]]
    at = formation[formation["period_end"] == MONTHS[11]].set_index("stock_id")
    # 20 distinct signals -> 2 stocks per decile: s00,s01 in d1 ... s18,s19 in d10.
    assert at.loc["s00", "decile"] == 1 and at.loc["s01", "decile"] == 1
    assert at.loc["s10", "decile"] == 6 and at.loc["s19", "decile"] == 10
    # d1 weights: caps 1 and 2 -> 1/3, 2/3.
    assert at.loc["s00", "weight"] == pytest.approx(1 / 3)
    # d1 = (1*0.06 + 2*0.03)/3 = 0.04; d10 = (19*0.02 + 20*(-0.01))/39 = 0.18/39; other deciles earn 0.
    row = deciles.loc[MONTHS[12]]
    assert row["d1"] == pytest.approx(0.04)
    assert row["d10"] == pytest.approx(0.18 / 39)
    assert row["d5"] == pytest.approx(0.0)
    assert wml.loc[MONTHS[12]] == pytest.approx(0.18 / 39 - 0.04)
    # past_ret of s02 = 1.02**11 - 1 (months 0..10, month 11 skipped).
    assert at.loc["s02", "past_ret"] == pytest.approx(1.02**11 - 1)


def test_missing_holding_return_earns_zero_on_its_weight():
    ret, mcap = _cross_section()
    ret.loc[MONTHS[12], "s01"] = np.nan  # e.g. delisted before the month's first trade
    deciles, _, _ = wml_portfolios(ret, mcap)
    # s01's weight 2/3 is not redistributed to s00: d1 = (1 * 0.06 + 2 * 0) / 3
    assert deciles.loc[MONTHS[12], "d1"] == pytest.approx(0.02)


def test_tradable_mask_keeps_untradable_stocks_out_of_the_deciles():
    ret, mcap = _cross_section()
    tradable = pd.DataFrame(True, index=MONTHS, columns=STOCKS)
    tradable.loc[MONTHS[11], ["s00", "s19"]] = False  # e.g. ST and limit-up at formation
    deciles, _, formation = wml_portfolios(ret, mcap, tradable=tradable)
    at = formation[formation["period_end"] == MONTHS[11]].set_index("stock_id")
    assert "s00" not in at.index and "s19" not in at.index
    # 18 stocks left; breakpoints at positions 1.7 and 15.3 of their sorted signals: d1 = s01, s02 (caps 2,
    # 3; returns 3%, 0) and d10 = s17, s18 (caps 18, 19; returns 0, 2%)
    assert deciles.loc[MONTHS[12], "d1"] == pytest.approx(2 * 0.03 / 5)
    assert deciles.loc[MONTHS[12], "d10"] == pytest.approx(19 * 0.02 / 37)


def test_large_cap_mask_takes_the_largest_share_by_count():
    mcap = pd.DataFrame([[5.0, 1.0, 3.0, np.nan, 4.0, 2.0, 0.0]], columns=list("abcdefg"))
    # 5 stocks with a positive cap; 40% of 5 = 2 -> a and e
    assert large_cap_mask(mcap, 0.4).iloc[0].tolist() == [True, False, False, False, True, False, False]
    assert large_cap_mask(mcap, 0.3).iloc[0].sum() == 2  # ceil(1.5)


def test_breakpoint_mask_sets_breakpoints_from_selected_stocks():
    ret, mcap = _cross_section()
    mask = pd.DataFrame(False, index=MONTHS, columns=STOCKS)
    mask[STOCKS[10:]] = True
    deciles, _, formation = wml_portfolios(ret, mcap, breakpoint_mask=mask)
    # Breakpoints from s10..s19: the 10% point lies between s10 and s11 (linear, position 0.9), so
    # d1 = s00..s10 (caps 1..11, sum 66); the 90% point lies between s18 and s19, so d10 = s19 alone.
    at = formation[formation["period_end"] == MONTHS[11]].set_index("stock_id")
    assert (at.loc[STOCKS[:11], "decile"] == 1).all()
    assert deciles.loc[MONTHS[12], "d1"] == pytest.approx((1 * 0.06 + 2 * 0.03) / 66)
    assert deciles.loc[MONTHS[12], "d10"] == pytest.approx(-0.01)


def test_eight_valid_months_rule():
    ret = pd.DataFrame(0.01, index=MONTHS[:12], columns=["seven", "eight"])
    ret.iloc[[0, 1, 2, 3], 0] = np.nan  # 'seven': 7 of rows 0..10 valid
    ret.iloc[[0, 1, 2], 1] = np.nan  # 'eight': 8 valid
    past = prior_return_12_2(ret)
    assert np.isnan(past.loc[MONTHS[11], "seven"])
    assert past.loc[MONTHS[11], "eight"] == pytest.approx(1.01**8 - 1)
    assert past.iloc[:11].isna().all().all()  # fewer than 11 prior rows


def test_wml_portfolios_look_ahead():
    rng = np.random.default_rng(1)
    months = pd.date_range("2015-01-31", periods=30, freq="ME")
    stocks = [f"x{i}" for i in range(40)]
    ret = pd.DataFrame(rng.normal(0.01, 0.08, (30, 40)), index=months, columns=stocks)
    mcap = pd.DataFrame(rng.uniform(1, 100, (30, 40)), index=months, columns=stocks)
    t = months[20]
    d0, w0, f0 = wml_portfolios(ret, mcap)
    ret2, mcap2 = ret.copy(), mcap.copy()
    ret2.loc[ret2.index > t] = rng.normal(0, 0.3, ret2.loc[ret2.index > t].shape)
    mcap2.loc[mcap2.index > t] = 1.0
    d1, w1, f1 = wml_portfolios(ret2, mcap2)
    pd.testing.assert_frame_equal(d0.loc[:t], d1.loc[:t])
    keep0, keep1 = f0[f0["period_end"] <= t], f1[f1["period_end"] <= t]
    pd.testing.assert_frame_equal(keep0.reset_index(drop=True), keep1.reset_index(drop=True))


def test_bad_inputs_raise():
    ret, mcap = _cross_section()
    with pytest.raises(ValueError, match="same index and columns"):
        wml_portfolios(ret, mcap.iloc[:, :5])
    with pytest.raises(ValueError, match="below -1"):
        wml_portfolios(ret * 100 - 50, mcap)
    with pytest.raises(ValueError, match="skips a calendar month"):
        wml_portfolios(ret.drop(index=MONTHS[5]), mcap.drop(index=MONTHS[5]))


def test_daily_buy_and_hold_by_hand():
    # Formation 2020-01-31: d1 = A (weight 0.25) + B (0.75); d2 = C (1.0). Holding month = February.
    formation = pd.DataFrame(
        {
            "period_end": pd.Timestamp("2020-01-31"),
            "stock_id": ["A", "B", "C"],
            "decile": [1, 1, 2],
            "weight": [0.25, 0.75, 1.0],
        }
    )
    days = pd.to_datetime(["2020-01-31", "2020-02-03", "2020-02-04", "2020-03-02"])
    daily = pd.DataFrame(
        {"A": [0.5, 0.10, 0.0, 0.1], "B": [0.5, np.nan, 0.10, 0.1], "C": [0.5, 0.01, -0.02, 0.1]}, index=days
    )
    out = decile_daily_returns(daily, formation)
    assert list(out.index) == list(days[1:3])  # January has no formation before it, March none either
    # Day 1: B missing counts 0% -> d1 = 0.25*0.10 = 0.025.
    assert out.loc[days[1], "d1"] == pytest.approx(0.025)
    # Day 2: values before it A 0.275, B 0.75 -> d1 = 0.75*0.10 / 1.025.
    assert out.loc[days[2], "d1"] == pytest.approx(0.075 / 1.025)
    w = wml_daily(daily, formation)
    assert w.loc[days[1]] == pytest.approx(0.01 - 0.025)
    assert w.loc[days[2]] == pytest.approx(-0.02 - 0.075 / 1.025)


def test_daily_deciles_compound_to_monthly_deciles():
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2019-01-01", "2020-06-30")
    stocks = [f"z{i}" for i in range(30)]
    daily = pd.DataFrame(rng.normal(0.0005, 0.02, (len(days), 30)), index=days, columns=stocks)
    # delisting months: z3 delists on 2020-03-10 (its last returns count), z4 before April's first trade,
    # z5 is suspended for all of May and trades again in June
    daily.loc["2020-03-11":, "z3"] = np.nan
    daily.loc["2020-04-01":, "z4"] = np.nan
    daily.loc["2020-05", "z5"] = np.nan
    monthly = compound_by_period(daily, "M")
    assert monthly.loc["2020-04", "z4"].isna().all() and monthly.loc["2020-05", "z5"].isna().all()
    mcap = pd.DataFrame(rng.uniform(1, 50, monthly.shape), index=monthly.index, columns=stocks)
    deciles, _, formation = wml_portfolios(monthly, mcap, n_deciles=5)
    held = formation[formation["period_end"] >= "2020-02-01"]
    assert {"z3", "z4", "z5"} <= set(held["stock_id"])  # in a decile when their return went missing
    daily_dec = decile_daily_returns(daily, formation)
    compounded = compound_by_period(daily_dec, "M")
    expected = deciles.dropna(how="all").rename_axis("date")
    assert len(expected) == 6  # first formation after 11 prior months: holding months 2020-01..06
    pd.testing.assert_frame_equal(compounded, expected, check_freq=False, rtol=1e-10)


def test_holding_months_from_their_own_days_are_the_same_bits():
    """A chunk computes its daily deciles from its own months' days (``holding_days``): the same bits as
    from the whole panel, including a stock formed in March with no daily return from April on."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2019-01-01", "2020-06-30")
    stocks = [f"z{i}" for i in range(30)]
    daily = pd.DataFrame(rng.normal(0.0005, 0.02, (len(days), 30)), index=days, columns=stocks)
    daily.loc["2020-04-01":, "z4"] = np.nan  # delisted before April's first trade
    monthly = compound_by_period(daily, "M")
    mcap = pd.DataFrame(rng.uniform(1, 50, monthly.shape), index=monthly.index, columns=stocks)
    _, _, formation = wml_portfolios(monthly, mcap, n_deciles=5)
    assert "z4" in set(formation.loc[formation["period_end"] == monthly.index[-4], "stock_id"])  # 2020-03
    whole = decile_daily_returns(daily, formation)
    own = decile_daily_returns(holding_days(daily, "2020-04-01"), formation)
    pd.testing.assert_frame_equal(own, whole.loc["2020-04-01":], check_exact=True)
    with pytest.raises(ValueError, match="first day of a month"):
        holding_days(daily, "2020-04-02")


def test_nyse_like_setting_takes_breakpoints_from_the_largest_stocks():
    import dataclasses

    from momentum_dag.core.crashes.study import wml_tables
    from momentum_dag.settings import Settings

    ret, mcap = _cross_section()  # caps 1..20: the largest half is s10..s19
    params = dataclasses.replace(Settings.from_env({}).crash.params(), breakpoints="nyse_like", large_cap_share=0.5)
    daily = ret.copy()  # one "day" per month is enough for the daily table
    tables = wml_tables(ret, mcap, daily, params)
    monthly = tables["monthly"].set_index("period_end")
    # the same deciles as an explicit mask on s10..s19 (test_breakpoint_mask_sets_breakpoints_from_selected_stocks)
    assert monthly.loc[MONTHS[12], "d1"] == pytest.approx((1 * 0.06 + 2 * 0.03) / 66)
    assert monthly.loc[MONTHS[12], "d10"] == pytest.approx(-0.01)
    all_stock = wml_tables(ret, mcap, daily, dataclasses.replace(params, breakpoints="all"))["monthly"]
    assert all_stock.set_index("period_end").loc[MONTHS[12], "d1"] == pytest.approx(0.04)
