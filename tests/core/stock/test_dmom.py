"""Hand-computed tests for return-sign durations and directional momentum (core.durations, core.dmom)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from momentum_dag.core.frames import compound_by_period, period_ends
from momentum_dag.core.stock.dmom import (
    LPM_TERMS,
    dmom_features,
    dmom_regressors,
    fit_dmom,
    fit_lpm,
    idiosyncratic_variance,
    score_dmom,
    week_dates,
)
from momentum_dag.core.stock.durations import run_durations

NAN = np.nan


def dmom_forecasts(regressors, monthly_ret, **options):
    """The production pair: the monthly refits, then their scores (forecasts, coefficients)."""
    fit = fit_dmom(regressors, monthly_ret, **options)
    return score_dmom(fit), fit.coefficients


def _months(n: int, start: str = "2020-01-31") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="ME", name="date")


# ---------------------------------------------------------------- durations


def test_run_durations_zero_nan_and_cap():
    a = [0.01, 0.02, -0.01, -0.02, -0.03, 0.0, 0.01, NAN, 0.02, 0.03, -0.01, -0.01, -0.01, -0.01, -0.01]
    b = [0.01] * 15
    ret = pd.DataFrame({"A": a, "B": b}, index=pd.bdate_range("2024-01-01", periods=15, name="date"))
    pos, neg = run_durations(ret)
    # A: + + - - - 0 + NaN + + then five -: a zero breaks both runs, a NaN (no trade) is skipped, so the run
    # of + around it continues (and at the NaN row itself it is the run ending at the last return).
    assert pos["A"].tolist() == [1, 2, 0, 0, 0, 0, 1, 1, 2, 3, 0, 0, 0, 0, 0]
    assert neg["A"].tolist() == [0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5]
    # B: 15 positive periods, run capped at 12.
    assert pos["B"].tolist() == list(range(1, 13)) + [12, 12, 12]
    assert (neg["B"] == 0).all()
    assert pos.index.equals(ret.index) and pos.dtypes.eq(np.float64).all()
    pos3, _ = run_durations(ret, cap=3)
    assert pos3["B"].tolist() == [1, 2] + [3] * 13


def test_run_durations_bad_input():
    with pytest.raises(ValueError, match="sorted"):
        run_durations(pd.DataFrame({"A": [0.1, 0.2]}, index=pd.DatetimeIndex(["2024-01-02", "2024-01-01"])))
    with pytest.raises(ValueError, match="cap"):
        run_durations(pd.DataFrame({"A": [0.1]}, index=pd.DatetimeIndex(["2024-01-02"])), cap=0)


def _regressor_example():
    """Two stocks, Nov 2023 - Feb 2024, with hand-placed daily, weekly and monthly signs."""
    days = pd.bdate_range("2023-11-01", "2024-03-01", name="date")
    daily = pd.DataFrame(0.0, index=days, columns=["A", "B"])
    daily.loc["2024-01-29":"2024-01-31", "A"] = 0.01  # A: 3 up days ending Jan 31 (Jan 26 is flat)
    daily.loc["2024-02-01":"2024-02-29", "A"] = -0.01  # A: 21 down days in Feb -> capped at 12
    daily.loc["2023-12-27", "B"] = -0.01
    daily.loc["2023-12-28":"2023-12-29", "B"] = 0.01  # B: 2 up days ending Dec 29
    daily.loc["2024-01-29", "B"] = -0.01
    daily.loc["2024-01-30", "B"] = NAN  # suspended: skipped, not a break
    daily.loc["2024-01-31", "B"] = -0.02  # B: 2 down days (Jan 29 and 31) ending Jan 31
    weeks = period_ends(days, "W")  # ..., Jan 26, Feb 2 (Jan 29 - Feb 2), ..., Feb 23, Mar 1
    weekly = pd.DataFrame(0.0, index=weeks, columns=["A", "B"])
    weekly.loc["2024-01-05", "A"] = -0.01
    weekly.loc["2024-01-12":"2024-01-26", "A"] = [0.01, 0.02, 0.03]
    weekly.loc["2024-02-02":"2024-02-23", "A"] = [-0.05, -0.01, -0.02, -0.01]
    weekly.loc["2024-03-01", "A"] = 0.04  # straddles Feb 29: not complete at the Feb month end
    weekly.loc["2023-12-22":"2023-12-29", "B"] = -0.01
    months = pd.DatetimeIndex(["2023-11-30", "2023-12-29", "2024-01-31", "2024-02-29"], name="date")
    monthly = pd.DataFrame({"A": [0.05, -0.02, -0.03, -0.01], "B": [0.0, 0.02, 0.03, NAN]}, index=months)
    calendar_ends = pd.DatetimeIndex(["2023-11-30", "2023-12-31", "2024-01-31", "2024-02-29"])
    idio = pd.DataFrame({"A": [1e-4, 2e-4, 3e-4, 4e-4], "B": [5e-4, 6e-4, 7e-4, 8e-4]}, index=calendar_ends)
    market = pd.Series([0.01, 0.02, -0.03, 0.04], index=calendar_ends)
    return daily, weekly, monthly, idio, market


def test_dmom_regressors_hand_computed():
    daily, weekly, monthly, idio, market = _regressor_example()
    got = dmom_regressors(daily, weekly, monthly, idio, market)
    m = monthly.index
    cols = ["period_end", "entity_id", "MP", "WP", "DP", "MN", "WN", "DN", "IVL", "lag_market", "lag_ret"]
    expected = pd.DataFrame(
        [
            # Nov: A up 1 month; everything else flat (zero breaks runs).
            [m[0], "A", 1, 0, 0, 0, 0, 0, 1e-4, 0.01, 0.05],
            [m[0], "B", 0, 0, 0, 0, 0, 0, 5e-4, 0.01, 0.0],
            # Dec (month end Dec 29; IVL/market given at calendar Dec 31 align by month).
            [m[1], "A", 0, 0, 0, 1, 0, 0, 2e-4, 0.02, -0.02],
            [m[1], "B", 1, 0, 2, 0, 2, 0, 6e-4, 0.02, 0.02],  # weeks Dec 22, 29 down; days Dec 28-29 up
            # Jan: A weeks Jan 12/19/26 up (Jan 5 down, Feb 2 not yet complete); days Jan 29-31 up;
            # months Dec, Jan down. B: months Dec, Jan up; last two traded days down around a missing day.
            [m[2], "A", 0, 3, 3, 2, 0, 0, 3e-4, -0.03, -0.03],
            [m[2], "B", 2, 0, 0, 0, 0, 2, 7e-4, -0.03, 0.03],
            # Feb: A months Dec-Feb down (run across the year end) = 3; weeks Feb 2, 9, 16, 23 down = 4
            # (Mar 1 week excluded); 21 down days capped at 12. B has no Feb return: no row.
            [m[3], "A", 0, 0, 0, 3, 4, 12, 4e-4, 0.04, -0.01],
        ],
        columns=cols,
    )
    expected[cols[2:]] = expected[cols[2:]].astype(np.float64)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)


def test_dmom_regressors_nan_when_daily_data_missing_for_month():
    daily, weekly, monthly, idio, market = _regressor_example()
    got = dmom_regressors(daily.loc["2023-12-01":], weekly.loc["2023-12-01":], monthly, idio, market)
    nov = got[got["period_end"] == monthly.index[0]]
    assert nov[["DP", "DN", "WP", "WN"]].isna().all().all()
    assert nov["MP"].tolist() == [1.0, 0.0]


def test_a_week_counts_at_the_month_end_that_is_its_last_trading_day():
    """December 2020 ends on Thursday the 31st before the New Year holiday (Friday 1 January closed): the
    week of Dec 28 ends on Dec 31, so it counts at that month end (Del Viva, Sala & Souza 2024
    replication: a week belongs to the month of its last trading day) - in a one-month run (data end
    Dec 31) and in a backfill (data continue) alike, since the calendar, not the data, says so. Without a
    calendar every weekday trades, and the week counts only at the end of January."""
    days = pd.bdate_range("2020-10-01", "2021-01-29").drop(pd.Timestamp("2021-01-01"))
    daily = pd.DataFrame({"A": 0.01, "B": -0.01}, index=days)
    daily.loc["2020-12-28":, "A"] = -0.01  # A turns down in the week of Dec 28
    market = pd.Series(0.001, index=days) + pd.Series(np.arange(len(days)) % 3 * 1e-3, index=days)

    def features(data, calendar=days):
        monthly = compound_by_period(data, "M")
        market_m = compound_by_period(market.loc[data.index].to_frame("m"), "M")["m"]
        rows = dmom_features(data, data, market.loc[data.index], monthly, market_m, calendar=calendar)
        return rows[rows["period_end"] == pd.Timestamp("2020-12-31")].reset_index(drop=True)

    one_month, backfill = features(daily.loc[:"2020-12-31"]), features(daily)
    pd.testing.assert_frame_equal(one_month, backfill)
    a = one_month.set_index("entity_id").loc["A"]
    # weeks of Oct 5 .. Dec 21 were up; the Dec 28 week (down) is complete at Dec 31 and ends the run
    assert (a["WP"], a["WN"]) == (0.0, 1.0)
    assert (a["DP"], a["DN"]) == (0.0, 4.0)  # Dec 28-31 down
    # October's first week (Thu 1 - Fri 2) is in October: weeks Oct 5 .. Dec 21 are 12, the cap
    no_calendar = features(daily.loc[:"2020-12-31"], calendar=None).set_index("entity_id").loc["A"]
    assert (no_calendar["WP"], no_calendar["WN"]) == (12.0, 0.0)


def test_week_dates_follow_the_last_trading_day_on_the_calendar():
    # Thu 30 Sep 2021 before National Day (Oct 1-7 closed): the week of Sep 27 is dated Sep 30. Fri 29
    # Oct 2021 is a Friday month end; Tue 30 Nov 2021 is followed by trading days Dec 1-3.
    weeks = pd.DatetimeIndex(["2021-09-20", "2021-09-27", "2021-10-25", "2021-11-29"])
    ends = pd.DatetimeIndex(["2021-09-30", "2021-10-29", "2021-11-30"])
    calendar = pd.bdate_range("2021-09-01", "2021-12-31").drop(pd.bdate_range("2021-10-01", "2021-10-07"))
    got = week_dates(weeks, ends, calendar)
    assert list(got.strftime("%Y-%m-%d")) == ["2021-09-24", "2021-09-30", "2021-10-29", "2021-12-03"]
    assert week_dates(weeks, ends, None)[1] == pd.Timestamp("2021-10-01")


def _random_market(n_stocks=20, start="2022-01-03", end="2023-12-29", seed=0):
    rng = np.random.default_rng(seed)
    days = pd.bdate_range(start, end, name="date")
    mkt = pd.Series(rng.normal(0.0, 0.01, len(days)), index=days)
    raw = rng.normal(0.0, 0.012, (len(days), n_stocks)) + mkt.to_numpy()[:, None]
    daily = pd.DataFrame(np.round(raw, 2), index=days, columns=[f"s{i:02d}" for i in range(n_stocks)])
    daily.iloc[:40, 0] = NAN  # a late listing
    daily.iloc[100:105, 1] = NAN  # a suspension
    return daily, mkt


def _pipeline(daily, mkt, **kw):
    weekly = compound_by_period(daily, "W")
    monthly = compound_by_period(daily, "M")
    idio = idiosyncratic_variance(daily, mkt, min_days=5)
    market_m = compound_by_period(mkt.to_frame("m"), "M")["m"]
    regs = dmom_regressors(daily, weekly, monthly, idio, market_m)
    return regs, monthly


def test_dmom_regressors_no_look_ahead():
    daily, mkt = _random_market()
    t = pd.Timestamp("2023-05-31")
    rng = np.random.default_rng(9)
    after = daily.index > t
    daily2, mkt2 = daily.copy(), mkt.copy()
    daily2.loc[after] = np.round(rng.normal(0.0, 0.03, (after.sum(), daily.shape[1])), 2)
    mkt2.loc[after] = rng.normal(0.0, 0.02, after.sum())
    regs, _ = _pipeline(daily, mkt)
    regs2, _ = _pipeline(daily2, mkt2)
    before, perturbed = regs[regs.period_end <= t], regs2[regs2.period_end <= t]
    assert len(before) > 0 and before[["WP", "WN", "DP", "DN"]].gt(0).any().all()
    pd.testing.assert_frame_equal(before, perturbed)
    assert (
        not regs[regs.period_end > t].reset_index(drop=True).equals(regs2[regs2.period_end > t].reset_index(drop=True))
    )


# ---------------------------------------------------------------- idiosyncratic variance


def test_idiosyncratic_variance_five_days():
    days = pd.DatetimeIndex(
        ["2024-02-28", "2024-02-29", "2024-03-25", "2024-03-26", "2024-03-27", "2024-03-28", "2024-03-29"], name="date"
    )
    x = np.array([0.01, 0.02, -0.02, -0.01, 0.0, 0.01, 0.02])
    e = np.array([0.0, 0.0, 0.001, -0.002, 0.002, -0.002, 0.001])  # March: sums to 0 and orthogonal to x
    y = 0.001 + 0.5 * x + e
    ret = pd.DataFrame({"A": y, "B": y}, index=days)
    ret.loc["2024-03-27", "B"] = NAN  # B has 4 valid March days
    iv = idiosyncratic_variance(ret, pd.Series(x, index=days), min_days=5)
    assert iv.index.tolist() == [pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-29")]
    # March, A: OLS recovers alpha=0.001, beta=0.5 exactly; residuals = e;
    # mean(e^2) = (1 + 4 + 4 + 4 + 1) / 5 * 1e-6 = 2.8e-6.
    assert iv.loc["2024-03-29", "A"] == pytest.approx(2.8e-6, rel=1e-9)
    # The replication's quirk (monthly-average market) would give mean((y - ybar)^2)
    # = 0.25 * mean(x^2) + mean(e^2) = 0.25 * 2e-4 + 2.8e-6 = 5.28e-5: not what we return.
    assert iv.loc["2024-03-29", "A"] != pytest.approx(5.28e-5)
    # February has 2 days (< min_days) and B has 4 valid March days: NaN.
    assert np.isnan(iv.loc["2024-02-29", "A"]) and np.isnan(iv.loc["2024-03-29", "B"])
    # With min_days=4, B's 4 days (y exactly linear in x except e): check against statsmodels.
    iv4 = idiosyncratic_variance(ret, pd.Series(x, index=days), min_days=4)
    mask = ret["B"].notna() & (days.month == 3)
    res = sm.OLS(ret.loc[mask, "B"], sm.add_constant(x[mask])).fit()
    assert iv4.loc["2024-03-29", "B"] == pytest.approx(np.mean(res.resid**2), rel=1e-9)


def test_idiosyncratic_variance_matches_statsmodels_and_no_look_ahead():
    daily, mkt = _random_market(n_stocks=4, start="2023-01-02", end="2023-04-28")
    iv = idiosyncratic_variance(daily, mkt)
    feb = (daily.index.month == 2) & daily["s02"].notna()
    res = sm.OLS(daily.loc[feb, "s02"], sm.add_constant(mkt[feb])).fit()
    assert iv.loc["2023-02-28", "s02"] == pytest.approx(res.ssr / res.nobs, rel=1e-9)
    t = pd.Timestamp("2023-02-28")
    daily2 = daily.copy()
    daily2.loc[daily2.index > t] *= -3.0
    pd.testing.assert_frame_equal(iv.loc[:t], idiosyncratic_variance(daily2, mkt).loc[:t])
    with pytest.raises(ValueError, match="Series"):
        idiosyncratic_variance(daily, mkt.to_frame())
    with pytest.raises(ValueError, match="min_days"):
        idiosyncratic_variance(daily, mkt, min_days=2)


# ---------------------------------------------------------------- LPM


def test_fit_lpm_hand_computed():
    X = pd.DataFrame({"x": [0.0, 0.0, 1.0, 1.0]})
    y = np.array([0.0, 1.0, 1.0, 1.0])
    fit = fit_lpm(X, y).set_index("term")
    # const = mean(y | x=0) = 0.5, slope = mean(y | x=1) - 0.5 = 0.5.
    # SSR = 0.25 + 0.25 = 0.5; sigma2 = 0.5 / (4 - 2) = 0.25; (X'X)^-1 = [[0.5, -0.5], [-0.5, 1]]
    # -> se(const) = sqrt(0.125), t = 0.5 / 0.35355 = sqrt(2); se(slope) = 0.5, t = 1.
    # SST = (0.75^2 + 3 * 0.25^2) = 0.75 -> R^2 = 1 - 0.5 / 0.75 = 1/3.
    assert fit.loc["const", "coef"] == pytest.approx(0.5)
    assert fit.loc["x", "coef"] == pytest.approx(0.5)
    assert fit.loc["const", "t_stat"] == pytest.approx(np.sqrt(2.0))
    assert fit.loc["x", "t_stat"] == pytest.approx(1.0)
    assert fit["r2"].iloc[0] == pytest.approx(1 / 3)
    assert fit["n_obs"].iloc[0] == 4
    with pytest.raises(ValueError, match="not identified"):
        fit_lpm(pd.DataFrame({"x": [1.0, 1.0, 1.0]}), [0, 1, 1])


def test_fit_lpm_matches_statsmodels():
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.integers(0, 13, (300, 6)).astype(float), columns=LPM_TERMS[1:7])
    X["lag_market"] = rng.normal(0, 0.05, 300)
    X["IVL"] = rng.uniform(1e-4, 1e-3, 300)  # tiny scale: exercises the equilibrated solve
    y = (rng.uniform(size=300) < 0.4 + 0.01 * X["MP"] + 200 * X["IVL"]).astype(float)
    fit = fit_lpm(X, y)
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    np.testing.assert_allclose(fit["coef"], ref.params.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit["t_stat"], ref.tvalues.to_numpy(), rtol=1e-8)
    assert fit["r2"].iloc[0] == pytest.approx(ref.rsquared, rel=1e-9)
    assert fit["n_obs"].iloc[0] == ref.nobs


def _synthetic_regressors(ret: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Random regressor rows for every present (month, stock); P/N durations mutually exclusive."""
    rng = np.random.default_rng(seed)
    stacked = ret.stack().dropna().rename("lag_ret").reset_index()
    stacked.columns = ["period_end", "entity_id", "lag_ret"]
    n = len(stacked)
    for f in "MWD":
        length = rng.integers(1, 13, n).astype(float)
        positive = rng.uniform(size=n) < 0.5
        stacked[f"{f}P"] = np.where(positive, length, 0.0)
        stacked[f"{f}N"] = np.where(positive, 0.0, length)
    stacked["IVL"] = rng.uniform(1e-4, 1e-3, n)
    month_mkt = pd.Series(rng.normal(0, 0.05, len(ret)), index=ret.index)
    stacked["lag_market"] = month_mkt.loc[stacked["period_end"]].to_numpy()
    return stacked[["period_end", "entity_id", "MP", "WP", "DP", "MN", "WN", "DN", "IVL", "lag_market", "lag_ret"]]


def _expected_training(regs, ret, p, *, window=None, min_obs=0, enhanced=False):
    """Independent pandas selection of the training pairs for a fit at month position p."""
    pos = ret.index.get_indexer(regs["period_end"])
    nxt = ret.shift(-1).stack(future_stack=True)
    y_next = nxt.reindex(pd.MultiIndex.from_arrays([regs["period_end"], regs["entity_id"]])).to_numpy()
    hist = (ret.notna().rolling(12).sum() == 12).stack()
    full12 = hist.reindex(pd.MultiIndex.from_arrays([regs["period_end"], regs["entity_id"]])).to_numpy()
    count_p = ret.iloc[: p + 1].notna().sum()
    terms = LPM_TERMS[1:] + (["lag_ret"] if enhanced else [])
    keep = (
        (pos + 1 <= p)
        & np.isfinite(y_next)
        & (y_next != 0)
        & full12.astype(bool)
        & (regs["MN"] != regs["MP"])
        & (regs["WN"] != regs["WP"])
        & (regs["DN"] != regs["DP"])
        & regs[terms].notna().all(axis=1)
        & (count_p.loc[regs["entity_id"]].to_numpy() > min_obs)
    )
    if window is not None:
        keep &= pos + 1 > p - window
    sel = regs[keep]
    return sel[terms], (y_next[keep] > 0).astype(float)


@pytest.fixture
def lpm_data():
    rng = np.random.default_rng(5)
    months = _months(20)
    ret = pd.DataFrame(
        rng.choice([-1.0, 1.0], (20, 8)) * rng.uniform(0.01, 0.1, (20, 8)),
        index=months,
        columns=[f"s{i}" for i in range(8)],
    )
    ret.iloc[15, 0] = 0.0  # -> pair (s=14, s0) has a zero outcome: not a training row
    regs = _synthetic_regressors(ret, seed=6)
    key = list(zip(ret.index.get_indexer(regs.period_end), regs.entity_id, strict=True))
    regs.loc[[k == (16, "s1") for k in key], ["MN", "MP"]] = 0.0  # MN == MP: excluded from training
    regs.loc[[k == (17, "s2") for k in key], "IVL"] = NAN  # missing regressor: no training, no forecast
    return regs, ret


@pytest.mark.parametrize("enhanced", [False, True])
def test_dmom_forecasts_expanding_vs_rolling_training_sets(lpm_data, enhanced):
    regs, ret = lpm_data
    m = ret.index
    exp_f, exp_c = dmom_forecasts(regs, ret, scheme="expanding", min_months=3, min_obs_per_stock=0, enhanced=enhanced)
    rol_f, rol_c = dmom_forecasts(
        regs, ret, scheme="rolling", window=3, min_months=3, min_obs_per_stock=0, enhanced=enhanced
    )
    n_obs = exp_c.groupby("period_end")["n_obs"].first()
    # First usable regressors at s = 11 (12 monthly returns present), first outcome month 12; three
    # outcome months (12, 13, 14) -> first fit at position 14 with 8 stocks * 3 = 24 rows.
    assert n_obs.index[0] == m[14] and n_obs.iloc[0] == 24
    # Expanding at 19: s = 11..18 -> 8 * 8 = 64 minus the 3 excluded pairs = 61.
    assert n_obs.loc[m[19]] == 61
    rol_n = rol_c.groupby("period_end")["n_obs"].first()
    # Rolling(3) at 19: s = 16, 17, 18 -> 24 minus (16, s1) and (17, s2) = 22; at 16: s = 13..15 minus (14, s0).
    assert rol_n.loc[m[19]] == 22 and rol_n.loc[m[16]] == 23 and rol_n.index[0] == m[14]
    terms = LPM_TERMS + (["lag_ret"] if enhanced else [])
    for coefs, fcs, window in ((exp_c, exp_f, None), (rol_c, rol_f, 3)):
        X, y = _expected_training(regs, ret, 19, window=window, enhanced=enhanced)
        ref = sm.OLS(y, sm.add_constant(X)).fit()
        got = coefs[coefs.period_end == m[19]]
        assert got["term"].tolist() == terms
        np.testing.assert_allclose(got["coef"], ref.params.to_numpy(), rtol=1e-7)
        np.testing.assert_allclose(got["t_stat"], ref.tvalues.to_numpy(), rtol=1e-7)
        assert got["r2"].iloc[0] == pytest.approx(ref.rsquared, rel=1e-7)
        # Forecast at 19 (for month 20) = fitted value on the regressors at 19.
        rows = regs[regs.period_end == m[19]]
        expected_value = sm.add_constant(rows[terms[1:]], has_constant="add").to_numpy() @ ref.params.to_numpy()
        got_f = fcs[fcs.period_end == m[19]]
        assert got_f["entity_id"].tolist() == rows["entity_id"].tolist()
        np.testing.assert_allclose(got_f["value"], expected_value, rtol=1e-7)
    # The row with a missing regressor gets no forecast; rows before the first fit get none either.
    assert not ((exp_f.period_end == m[17]) & (exp_f.entity_id == "s2")).any()
    assert exp_f.period_end.min() == m[14]
    assert (exp_f["window"] == 0).all()


@pytest.mark.parametrize("scheme", ["expanding", "rolling"])
def test_a_run_fitting_from_a_month_gets_the_whole_history_fits_from_that_month(lpm_data, scheme):
    """A month's run solves only its own month, on the moments of all history: the same bits as the
    backfill's fit of that month, and nothing before it."""
    regs, ret = lpm_data
    options = {"scheme": scheme, "window": 3, "min_months": 3, "min_obs_per_stock": 0}
    all_f, all_c = dmom_forecasts(regs, ret, **options)
    for month in (ret.index[17], ret.index[19]):
        own_f, own_c = dmom_forecasts(regs, ret, fit_from=month, **options)
        assert own_c["period_end"].min() == month and own_f["period_end"].min() == month
        pd.testing.assert_frame_equal(own_c, all_c[all_c.period_end >= month].reset_index(drop=True))
        pd.testing.assert_frame_equal(own_f, all_f[all_f.period_end >= month].reset_index(drop=True))


def test_dmom_forecasts_not_clipped(lpm_data):
    regs, ret = lpm_data
    regs = regs.copy()
    row = (regs.period_end == ret.index[19]) & (regs.entity_id == "s3")
    regs.loc[row, "IVL"] = 1e3  # far outside the training range
    f, c = dmom_forecasts(regs, ret, min_months=3, min_obs_per_stock=0)
    coef = c[c.period_end == ret.index[19]].set_index("term")["coef"]
    x = regs.loc[row, LPM_TERMS[1:]].iloc[0]
    value = f.loc[(f.period_end == ret.index[19]) & (f.entity_id == "s3"), "value"].iloc[0]
    assert value == pytest.approx(coef["const"] + (coef[LPM_TERMS[1:]] * x).sum())
    assert not 0.0 <= value <= 1.0


@pytest.fixture
def late_listing():
    rng = np.random.default_rng(11)
    ret = pd.DataFrame(
        rng.choice([-1.0, 1.0], (40, 5)) * rng.uniform(0.01, 0.1, (40, 5)), index=_months(40), columns=list("ABCDE")
    )
    ret.iloc[:10, 2] = NAN  # C listed at position 10
    return _synthetic_regressors(ret, seed=12), ret


def test_min_obs_filter_counts_only_up_to_t(late_listing):
    regs, ret = late_listing
    m = ret.index
    f, c = dmom_forecasts(regs, ret, min_months=1, min_obs_per_stock=24)
    n_obs = c.groupby("period_end")["n_obs"].first()
    # Full-history stocks reach 25 > 24 returns at position 24: rows s = 11..23 enter, 4 * 13 = 52.
    assert n_obs.index[0] == m[24] and n_obs.iloc[0] == 52
    # C has returns from position 10, so 30 in the whole sample but only 24 up to position 33:
    # at 33 only the 4 full stocks count, s = 11..32 -> 4 * 22 = 88 (whole-sample counting would add C's
    # 12 usable pairs s = 21..32). At 34 C qualifies (25 returns): 4 * 23 + 13 (s = 21..33) = 105.
    assert n_obs.loc[m[33]] == 88
    assert n_obs.loc[m[34]] == 105
    # The filter restricts the estimation sample only (the replication: "ESTIMATION sample (not
    # PREDICTION)"): C, with 12 monthly returns from position 21, is scored from the first fit (24) on,
    # with the coefficients fitted without it, as every full-history stock.
    forecast = f.groupby("entity_id")["period_end"].min()
    assert forecast["C"] == m[24] and forecast["A"] == m[24]
    at_33 = f[(f.period_end == m[33]) & (f.entity_id == "C")]
    coef_33 = c[c.period_end == m[33]].set_index("term")["coef"]
    row = regs[(regs.period_end == m[33]) & (regs.entity_id == "C")].iloc[0]
    expected = coef_33["const"] + sum(coef_33[k] * row[k] for k in coef_33.index if k != "const")
    assert at_33["value"].iloc[0] == pytest.approx(expected, rel=1e-12)
    X, y = _expected_training(regs, ret, 34, min_obs=24)
    ref = sm.OLS(y, sm.add_constant(X)).fit()
    got = c[c.period_end == m[34]]
    np.testing.assert_allclose(got["coef"], ref.params.to_numpy(), rtol=1e-7)


def test_dmom_forecasts_no_look_ahead(late_listing):
    regs, ret = late_listing
    p = 34
    t = ret.index[p]
    rng = np.random.default_rng(2)
    ret2 = ret.copy()
    ret2.iloc[p + 1 :] = rng.choice([-1.0, 0.0, 1.0], (39 - p, 5)) * 0.05
    ret2.iloc[p + 1 :, 2] = NAN  # C delists right after t: whole-sample counts would change
    regs2 = _synthetic_regressors(ret2, seed=13)
    regs2 = pd.concat([regs[regs.period_end <= t], regs2[regs2.period_end > t]], ignore_index=True)
    for scheme in ("expanding", "rolling"):
        kw = dict(scheme=scheme, window=12, min_months=5)
        f1, c1 = dmom_forecasts(regs, ret, **kw)
        f2, c2 = dmom_forecasts(regs2, ret2, **kw)
        assert (c1.period_end <= t).any()
        pd.testing.assert_frame_equal(c1[c1.period_end <= t], c2[c2.period_end <= t])
        pd.testing.assert_frame_equal(f1[f1.period_end <= t], f2[f2.period_end <= t])
        assert not c1[c1.period_end > t].reset_index(drop=True).equals(c2[c2.period_end > t].reset_index(drop=True))


def test_end_to_end_pipeline_no_look_ahead():
    daily, mkt = _random_market(n_stocks=15)
    t = pd.Timestamp("2023-09-29")
    after = daily.index > t
    rng = np.random.default_rng(4)
    daily2 = daily.copy()
    daily2.loc[after] = np.round(rng.normal(0.0, 0.03, (after.sum(), daily.shape[1])), 2)
    regs, monthly = _pipeline(daily, mkt)
    regs2, monthly2 = _pipeline(daily2, mkt)
    kw = dict(min_months=4, min_obs_per_stock=5)
    f1, c1 = dmom_forecasts(regs, monthly, **kw)
    f2, c2 = dmom_forecasts(regs2, monthly2, **kw)
    assert (f1.period_end <= t).sum() > 0
    pd.testing.assert_frame_equal(f1[f1.period_end <= t], f2[f2.period_end <= t])
    pd.testing.assert_frame_equal(c1[c1.period_end <= t], c2[c2.period_end <= t])


def test_dmom_forecasts_bad_input(lpm_data):
    regs, ret = lpm_data
    with pytest.raises(ValueError, match="scheme"):
        dmom_forecasts(regs, ret, scheme="weekly")
    with pytest.raises(ValueError, match="missing columns"):
        dmom_forecasts(regs.drop(columns="IVL"), ret)
    with pytest.raises(ValueError, match="not a column"):
        dmom_forecasts(regs, ret.drop(columns="s3"))
    with pytest.raises(ValueError, match="duplicate"):
        dmom_forecasts(pd.concat([regs, regs.iloc[:1]]), ret)
    with pytest.raises(ValueError, match="cannot exceed window"):
        dmom_forecasts(regs, ret, scheme="rolling", window=12, min_months=60)


# ---------------------------------------------------------------- suspended days


def test_a_stock_suspended_most_of_a_month_gets_no_ivl_and_no_forecast_inputs():
    """A suspended day has no return: IVL is the CAPM residual variance over the days the stock traded and
    needs 10 of them. S trades 3 days of December 2019 (old rule: 22 "returns", 19 of them 0%); H trades 12."""
    rng = np.random.default_rng(8)
    days = pd.bdate_range("2019-12-02", "2019-12-31", name="date")
    market = pd.Series(rng.normal(0.0, 0.01, len(days)), index=days)
    base = 0.9 * market.to_numpy() + rng.normal(0.0, 0.02, len(days))
    ret = pd.DataFrame({"S": base, "H": base}, index=days)
    ret.iloc[3:, 0] = NAN  # S suspended from the 4th trading day
    ret.iloc[12:, 1] = NAN  # H suspended for the last 10 days
    iv = idiosyncratic_variance(ret, market)
    assert np.isnan(iv.iloc[-1]["S"])
    fit = sm.OLS(ret["H"].iloc[:12].to_numpy(), sm.add_constant(market.iloc[:12].to_numpy())).fit()
    assert iv.iloc[-1]["H"] == pytest.approx(np.mean(fit.resid**2), rel=1e-9)
    old_rule = idiosyncratic_variance(ret.fillna(0.0), market)
    assert np.isfinite(old_rule.iloc[-1]["S"])  # what the 0%-on-suspended-days rule produced
