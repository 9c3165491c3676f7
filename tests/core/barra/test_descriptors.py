"""Hand-computed checks of the Barra CNE5 raw descriptors (momentum_dag.core.barra.descriptors)."""

from math import log, sqrt

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.barra import descriptors as d


def _days(n: int) -> pd.DatetimeIndex:
    return pd.bdate_range("2024-01-01", periods=n, name="date")


def _panel(values, dates, columns=("A",)) -> pd.DataFrame:
    values = np.asarray(values, dtype=float).reshape(len(values), -1)
    return pd.DataFrame(values, index=dates, columns=list(columns))


# ---------------------------------------------------------------- weights


def test_exp_weights_by_hand():
    # window 4, half-life 1: 0.5^age for ages 3,2,1,0 = 1/8, 1/4, 1/2, 1 (sum 15/8)
    # -> 1/15, 2/15, 4/15, 8/15
    np.testing.assert_allclose(d.exp_weights(4, 1), [1 / 15, 2 / 15, 4 / 15, 8 / 15])


def test_exp_weights_halve_every_half_life():
    w = d.exp_weights(252, 63)
    assert w.sum() == pytest.approx(1.0)
    assert w[-1] / w[-1 - 63] == pytest.approx(2.0)
    assert w[-1] / w[-1 - 126] == pytest.approx(4.0)


@pytest.mark.parametrize("window, half_life", [(0, 10), (10, 0), (10, -1)])
def test_exp_weights_reject_bad_parameters(window, half_life):
    with pytest.raises(ValueError):
        d.exp_weights(window, half_life)


def test_weighted_std_by_hand_and_with_missing():
    # x = [1, 3], w = [1/3, 2/3]: mean = 7/3
    # var = 1/3 (4/3)^2 + 2/3 (2/3)^2 = 16/27 + 8/27 = 8/9 -> sqrt(8)/3
    assert d.weighted_std(np.array([1.0, 3.0]), np.array([1 / 3, 2 / 3])) == pytest.approx(sqrt(8) / 3)
    # column 2 misses its first row: only x = 3 remains -> std 0; weights renormalize over present rows
    x = np.array([[1.0, np.nan], [3.0, 3.0]])
    np.testing.assert_allclose(d.weighted_std(x, np.array([1 / 3, 2 / 3])), [sqrt(8) / 3, 0.0])


# ---------------------------------------------------------------- beta / hsigma


def _market(n: int) -> np.ndarray:
    return np.array([0.01, -0.02, 0.015, 0.003, -0.007, 0.012, -0.011, 0.004, 0.02, -0.016] * 4)[:n]


def test_beta_exact_linear_gives_beta_and_zero_hsigma():
    # r - rf = 0.2 + 1.5 m exactly -> beta 1.5, residuals 0 -> hsigma 0, whatever the weights
    dates = _days(30)
    m = pd.Series(_market(30), index=dates)
    rf = pd.Series(0.001, index=dates)
    ret = _panel(rf.to_numpy() + 0.2 + 1.5 * m.to_numpy(), dates)
    beta, hsigma = d.beta_hsigma(ret, rf, m, dates[[29]], window=20, half_life=5)
    assert beta.iloc[0, 0] == pytest.approx(1.5)
    assert hsigma.iloc[0, 0] == pytest.approx(0.0, abs=1e-7)


def test_beta_hsigma_weighted_by_hand():
    # window 3, half-life 1 -> w = [1, 2, 4] / 7; x = [-1, 0, 1], y = [0, 0, 1] (rf = 0)
    # mean_x = 3/7, mean_y = 4/7; cov = sum w x y - mx my = 4/7 - 12/49 = 16/49
    # var_x = 5/7 - 9/49 = 26/49 -> beta = 16/26 = 8/13; alpha = 4/7 - (8/13)(3/7) = 4/13
    # e = [0 - 4/13 + 8/13, -4/13, 1 - 4/13 - 8/13] = [4/13, -4/13, 1/13]
    # hsigma^2 = (1*16 + 2*16 + 4*1) / (7 * 169) = 52/1183 = 4/91
    dates = _days(4)
    rf = pd.Series(0.0, index=dates)
    m = pd.Series([0.5, -1.0, 0.0, 1.0], index=dates)
    ret = _panel([9.0, 0.0, 0.0, 1.0], dates)  # the first day is outside the 3-day window
    beta, hsigma = d.beta_hsigma(ret, rf, m, dates[[3]], window=3, half_life=1, min_coverage=1.0)
    assert beta.iloc[0, 0] == pytest.approx(8 / 13)
    assert hsigma.iloc[0, 0] == pytest.approx(sqrt(4 / 91))


def test_beta_needs_min_coverage():
    dates = _days(30)
    m = pd.Series(_market(30), index=dates)
    rf = pd.Series(0.0, index=dates)
    ret = _panel(1.5 * m.to_numpy(), dates)
    ret.iloc[:25] = np.nan  # only 5 of 20 window days present
    beta, _ = d.beta_hsigma(ret, rf, m, dates[[29]], window=20, half_life=5, min_coverage=0.5)
    assert np.isnan(beta.iloc[0, 0])
    beta, _ = d.beta_hsigma(ret, rf, m, dates[[29]], window=20, half_life=5, min_coverage=0.25)
    assert beta.iloc[0, 0] == pytest.approx(1.5)


def test_beta_rejects_month_end_off_calendar_and_missing_rf():
    dates = _days(10)
    m = pd.Series(0.01, index=dates)
    ret = _panel(np.zeros(10), dates)
    with pytest.raises(ValueError, match="month_ends"):
        d.beta_hsigma(ret, pd.Series(0.0, index=dates), m, pd.DatetimeIndex(["2030-01-31"]))
    with pytest.raises(ValueError, match="rf is missing"):
        d.beta_hsigma(ret, pd.Series(0.0, index=dates[1:]), m, dates[[9]])


# ---------------------------------------------------------------- RSTR, DASTD, CMRA


def test_rstr_by_hand_skips_lag_and_weights():
    # T = 3, L = 1, half-life 1: month end = day 5 (row 4); window = rows 1..3, w = [1, 2, 4] / 7
    # RSTR = [ln .95 + 2 ln 1.02 + 4 ln 1.03] / 7 - ln 1.001
    #      = [-0.051293 + 0.039605 + 0.118235] / 7 - 0.0009995 = 0.015221 - 0.0009995 = 0.014221
    r = [0.10, -0.05, 0.02, 0.03, 0.50]
    dates = _days(5)
    rf = pd.Series(0.001, index=dates)
    out = d.rstr(_panel(r, dates), rf, dates[[4]], window=3, lag=1, half_life=1)
    expected = (log(0.95) + 2 * log(1.02) + 4 * log(1.03)) / 7 - log(1.001)
    assert out.iloc[0, 0] == pytest.approx(expected)
    assert expected == pytest.approx(0.014221, abs=1e-6)


def test_rstr_renormalizes_over_missing_days():
    # row 2 missing: weights 1/7 and 4/7 renormalize -> [ln .95 + 4 ln 1.03] / 5 (rf = 0)
    dates = _days(5)
    ret = _panel([0.10, -0.05, np.nan, 0.03, 0.50], dates)
    out = d.rstr(ret, pd.Series(0.0, index=dates), dates[[4]], window=3, lag=1, half_life=1)
    assert out.iloc[0, 0] == pytest.approx((log(0.95) + 4 * log(1.03)) / 5)


def test_dastd_by_hand():
    # excess x = [1, 3, 2] %, w = [1, 2, 4] / 7: mean = 15/7; dev = -8/7, 6/7, -1/7
    # var = (64 + 2*36 + 4*1) / (49 * 7) = 140/343 = 20/49 -> std = sqrt(20)/7 % = 0.0063888
    dates = _days(3)
    rf = pd.Series(0.001, index=dates)
    ret = _panel([0.011, 0.031, 0.021], dates)
    out = d.dastd(ret, rf, dates[[2]], window=3, half_life=1)
    assert out.iloc[0, 0] == pytest.approx(sqrt(20) / 7 / 100)


def test_cmra_by_hand_log_and_doc_forms():
    # 3 months of 2 days; daily log excess v = [.1, -.05 | .02, .03 | -.2, .05] (rf = 0)
    # monthly sums (oldest first) .05, .05, -.15 -> Z(1) = -.15, Z(2) = -.10, Z(3) = -.05
    # USE4: ln(1 - .05) - ln(1 - .15) = ln(.95/.85) = 0.111226; CNE5 doc: -.05 - (-.15) = .10
    v = np.array([0.1, -0.05, 0.02, 0.03, -0.2, 0.05])
    dates = _days(6)
    ret, rf = _panel(np.expm1(v), dates), pd.Series(0.0, index=dates)
    use4 = d.cmra(ret, rf, dates[[5]], months=3, days_per_month=2)
    doc = d.cmra(ret, rf, dates[[5]], months=3, days_per_month=2, log_form=False)
    assert use4.iloc[0, 0] == pytest.approx(log(0.95 / 0.85))
    assert doc.iloc[0, 0] == pytest.approx(0.10)


def test_share_turnover_by_hand():
    # 2-day months: STOM = ln(.05 + .06) = ln .11; STOQ (3 months) = ln((.01 + ... + .06) / 3) = ln .07
    dates = _days(6)
    turn = _panel([0.01, 0.02, 0.03, 0.04, 0.05, 0.06], dates)
    stom = d.share_turnover(turn, dates[[5]], months=1, days_per_month=2)
    stoq = d.share_turnover(turn, dates[[5]], months=3, days_per_month=2)
    assert stom.iloc[0, 0] == pytest.approx(log(0.11))
    assert stoq.iloc[0, 0] == pytest.approx(log(0.07))


def test_price_descriptors_ignore_data_after_month_end():
    rng = np.random.default_rng(1)
    dates = _days(60)
    ret = _panel(rng.normal(0, 0.02, (60, 3)), dates, columns=("A", "B", "C"))
    rf = pd.Series(0.0001, index=dates)
    m = pd.Series(rng.normal(0, 0.01, 60), index=dates)
    t = dates[[39]]
    later = ret.copy()
    later.iloc[40:] = rng.normal(0, 0.05, (20, 3))
    m_later = m.copy()
    m_later.iloc[40:] = 0.3

    def all_descriptors(r, mk):
        beta, hsigma = d.beta_hsigma(r, rf, mk, t, window=20, half_life=5)
        return [
            beta,
            hsigma,
            d.rstr(r, rf, t, window=20, lag=2, half_life=5),
            d.dastd(r, rf, t, window=20),
            d.cmra(r, rf, t, months=4, days_per_month=5),
            d.share_turnover(r.abs(), t, months=2, days_per_month=5),
        ]

    for before, after in zip(all_descriptors(ret, m), all_descriptors(later, m_later), strict=True):
        assert before.notna().all().all()
        pd.testing.assert_frame_equal(before, after)


# ---------------------------------------------------------------- fundamentals


def test_value_and_leverage_by_hand():
    # ME = 200, BE = 50, TL = 100, TA = 400: BTOP = 50/200 = .25; MLEV = (200 + 100)/200 = 1.5
    # DTOA = 100/400 = .25; BLEV = (50 + 100)/50 = 3; ETOP = 10/200 = .05
    me, be, tl, ta, ni = (pd.DataFrame({"A": [v]}) for v in (200.0, 50.0, 100.0, 400.0, 10.0))
    assert d.btop(be, me).iloc[0, 0] == pytest.approx(0.25)
    assert d.mlev(me, tl).iloc[0, 0] == pytest.approx(1.5)
    assert d.dtoa(tl, ta).iloc[0, 0] == pytest.approx(0.25)
    assert d.blev(be, tl).iloc[0, 0] == pytest.approx(3.0)
    assert d.etop(ni, me).iloc[0, 0] == pytest.approx(0.05)
    assert d.lncap(me).iloc[0, 0] == pytest.approx(log(200))


def test_growth_and_degenerate_denominators():
    # revenue 120 vs 100 -> .2; earnings 5 vs -10 -> (5 + 10)/10 = 1.5; lagged 0 -> NaN
    cur = pd.DataFrame({"A": [120.0], "B": [5.0], "C": [3.0]})
    lag = pd.DataFrame({"A": [100.0], "B": [-10.0], "C": [0.0]})
    np.testing.assert_allclose(d.yoy_growth(cur, lag).iloc[0], [0.2, 1.5, np.nan])
    # BE <= 0 makes BLEV meaningless -> NaN
    assert np.isnan(d.blev(pd.DataFrame({"A": [-5.0]}), pd.DataFrame({"A": [10.0]})).iloc[0, 0])


# ---------------------------------------------------------------- suspended days


def test_volatility_and_beta_use_only_the_days_a_stock_traded():
    """A suspended day has no return (NaN in the daily mart): DASTD, BETA and HSIGMA are computed on the
    traded days with the weights renormalized over them, and the minimum-day rule counts traded days. S is
    suspended for 17 of the last 22 days; the old rule (0% on suspended days) would count all 40."""
    rng = np.random.default_rng(5)
    dates = _days(40)
    market = rng.normal(0.0, 0.01, 40)
    traded = 0.0005 + 1.3 * market + rng.normal(0.0, 0.02, 40)
    ret = pd.DataFrame({"S": traded, "T": traded}, index=dates)
    ret.iloc[18:35, 0] = np.nan  # S suspended from day 18 to day 34 (most of the last month)
    rf = pd.Series(0.0001, index=dates)
    month_end = pd.DatetimeIndex([dates[-1]])
    weights = d.exp_weights(40, 10)
    keep = np.isfinite(ret["S"].to_numpy())
    w = weights[keep] / weights[keep].sum()
    y = ret["S"].to_numpy()[keep] - 0.0001
    mean = w @ y
    assert d.dastd(ret, rf, month_end, window=40, half_life=10).loc[dates[-1], "S"] == pytest.approx(
        np.sqrt(w @ (y - mean) ** 2)
    )
    x = pd.Series(market, index=dates)
    beta, hsigma = d.beta_hsigma(ret, rf, x, month_end, window=40, half_life=10)
    # independent weighted least squares on the 23 traded days (statsmodels WLS)
    import statsmodels.api as sm

    fit = sm.WLS(y, sm.add_constant(market[keep]), weights=w).fit()
    assert beta.loc[dates[-1], "S"] == pytest.approx(fit.params[1], rel=1e-9)
    assert hsigma.loc[dates[-1], "S"] == pytest.approx(np.sqrt(w @ fit.resid**2), rel=1e-9)
    # 23 traded days of 40: below a 60% coverage rule (24 days), so NaN; the stock that traded stays defined
    strict = d.dastd(ret, rf, month_end, window=40, half_life=10, min_coverage=0.6)
    assert np.isnan(strict.loc[dates[-1], "S"]) and np.isfinite(strict.loc[dates[-1], "T"])


def test_shared_inputs_give_the_same_descriptors_per_panel():
    # inside the block each panel's masked returns are made once and shared; two panels keep their own
    rng = np.random.default_rng(9)
    dates = _days(300)
    one = _panel(rng.normal(0, 0.02, (300, 4)), dates, list("ABCD"))
    two = _panel(rng.normal(0, 0.03, (300, 4)), dates, list("ABCD"))
    turnover = _panel(rng.uniform(0, 0.05, (300, 4)), dates, list("ABCD"))
    rf = pd.Series(0.0001, index=dates)
    mkt = pd.Series(rng.normal(0, 0.01, 300), index=dates)
    ends = pd.DatetimeIndex([dates[-1]])

    def descriptors(ret):
        return [
            *d.beta_hsigma(ret, rf, mkt, ends, window=100, half_life=30),
            d.dastd(ret, rf, ends, window=100, half_life=30),
            d.rstr(ret, rf, ends, window=200, lag=10, half_life=50),
            d.cmra(ret, rf, ends, months=6, days_per_month=21),
            d.share_turnover(turnover, ends, months=3),
        ]

    alone = [descriptors(one), descriptors(two)]
    with d.shared_inputs():
        shared = [descriptors(one), descriptors(two)]
    for expected, got in zip(alone, shared, strict=True):
        for a, b in zip(expected, got, strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert alone[0][0].ne(alone[1][0]).all().all()  # the two panels do differ
