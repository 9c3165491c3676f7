"""The synthetic market: determinism, the raw contract, A-share mechanics and every planted effect.

Effects are measured in the raw tables only (what the pipeline sees), with effects on (right sign,
significant) and with ``EffectStrengths.off()`` (not significant). Each market is simulated once per
module (500 stocks x 10 years, about 1.2M bars).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.special import ndtri
from statsmodels.stats.diagnostic import acorr_ljungbox

from momentum_dag.sources import synthetic_dynamics as dyn
from momentum_dag.sources.calendar import spring_festival, trading_calendar
from momentum_dag.sources.contract import RAW_TABLES, validate
from momentum_dag.sources.synthetic import (
    PLANTED_EFFECTS,
    PROFILES,
    EffectStrengths,
    SimulatorConfig,
    SyntheticMarket,
    planted_effects,
)
from momentum_dag.sources.synthetic_dynamics import MarketSimulation, Strengths
from momentum_dag.sources.synthetic_universe import draw_universe

TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")
EFFECT_RANGE = (date(2014, 1, 1), date(2024, 1, 1))


def concat(chunks: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    return {t: pd.concat([c[t] for c in chunks], ignore_index=True) for t in TABLES}


def simulate(effects: EffectStrengths, n_stocks: int = 500, seed: int = 11) -> tuple[SyntheticMarket, dict]:
    market = SyntheticMarket(SimulatorConfig(n_stocks=n_stocks, seed=seed, effects=effects))
    return market, concat(list(market.generate(*EFFECT_RANGE)))


@pytest.fixture(scope="module")
def on():
    return simulate(EffectStrengths())


@pytest.fixture(scope="module")
def off():
    return simulate(EffectStrengths.off())


@pytest.fixture(scope="module")
def small():
    """A small market for determinism: 120 stocks, 2014-2018 in one request."""
    market = SyntheticMarket(SimulatorConfig(n_stocks=120, seed=3))
    return market, concat(list(market.generate(date(2014, 1, 1), date(2019, 1, 1))))


# ------------------------------------------------------------------ helpers over the raw tables


def daily_returns(bars: pd.DataFrame) -> pd.DataFrame:
    """date x stock simple returns, NaN when not listed."""
    ret = bars["close"] / bars["pre_close"] - 1
    return bars.assign(ret=ret).pivot(index="trade_date", columns="stock_id", values="ret")


def monthly_returns(daily: pd.DataFrame, min_days: int = 10) -> pd.DataFrame:
    """month-end x stock compounded returns (NaN with fewer than ``min_days`` days)."""
    month = daily.index.to_period("M")
    grouped = np.log1p(daily).groupby(month)
    out = np.expm1(grouped.sum(min_count=1)).where(grouped.count() >= min_days)
    return out


def industry_of(membership: pd.DataFrame) -> pd.Series:
    """stock -> industry code of its first spell (2% of stocks switch later; fine for these checks)."""
    return membership.sort_values("in_date").groupby("stock_id")["industry_code"].first()


def industry_monthly(data: dict) -> pd.DataFrame:
    """month x industry equal-weighted returns, in excess of the cross-industry mean."""
    stock_months = monthly_returns(daily_returns(data["daily_bars"]))
    ind = industry_of(data["industry_membership"]).reindex(stock_months.columns)
    by_industry = stock_months.T.groupby(ind.to_numpy()).mean().T
    return by_industry.sub(by_industry.mean(axis=1), axis=0)


def mean_t(values: pd.Series | np.ndarray) -> float:
    """t-statistic of the mean of a series (iid)."""
    values = pd.Series(values).dropna()
    return float(values.mean() / values.std() * np.sqrt(len(values)))


def monthly_spearman_t(signal: pd.DataFrame, target: pd.DataFrame) -> float:
    """t-stat of the mean monthly cross-sectional Spearman correlation of signal(t) with target(t)."""
    ics = []
    for t in signal.index.intersection(target.index):
        pair = pd.concat([signal.loc[t], target.loc[t]], axis=1).dropna()
        if len(pair) >= 5:
            ics.append(stats.spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic)
    return mean_t(np.array(ics))


# ------------------------------------------------------------------ calendar


def test_calendar_skips_weekends_and_holidays():
    days = trading_calendar(date(2014, 1, 1), date(2015, 1, 1))
    assert days.dayofweek.max() <= 4
    # Lunar new year 2014 was Jan 31: eve (Jan 30) through Feb 5 closed, so Jan 29 then Feb 6.
    assert spring_festival(2014) == date(2014, 1, 31)
    around = days[(days >= "2014-01-27") & (days <= "2014-02-10")]
    assert list(around.strftime("%m-%d")) == ["01-27", "01-28", "01-29", "02-06", "02-07", "02-10"]
    assert pd.Timestamp("2014-01-01") not in days and pd.Timestamp("2014-10-07") not in days
    assert pd.Timestamp("2014-05-02") not in days and pd.Timestamp("2014-10-08") in days
    assert 235 <= len(days) <= 250
    # Half-open: [start, end) and deterministic.
    assert trading_calendar(date(2014, 1, 2), date(2014, 1, 3)).equals(pd.DatetimeIndex(["2014-01-02"]))
    assert trading_calendar(date(2014, 1, 3), date(2014, 1, 3)).empty


# ------------------------------------------------------------------ determinism


def test_same_rows_whatever_range_is_requested(small):
    market, full = small
    again = SyntheticMarket(SimulatorConfig(n_stocks=120, seed=3))
    march = concat(list(again.generate(date(2015, 3, 1), date(2015, 4, 1))))
    in_march = full["daily_bars"]["trade_date"].between("2015-03-01", "2015-03-31")
    pd.testing.assert_frame_equal(march["daily_bars"], full["daily_bars"][in_march].reset_index(drop=True))
    m_in = full["market_daily"]["trade_date"].between("2015-03-01", "2015-03-31")
    pd.testing.assert_frame_equal(march["market_daily"], full["market_daily"][m_in].reset_index(drop=True))
    f_in = full["fundamentals"]["announce_date"].between("2015-03-01", "2015-03-31")
    assert f_in.sum() > 0
    pd.testing.assert_frame_equal(march["fundamentals"], full["fundamentals"][f_in].reset_index(drop=True))
    # Membership: same spells; an out_date after the shorter request's end is NULL there (point in time).
    members = full["industry_membership"]
    m_in = members[members["in_date"].between("2015-03-01", "2015-03-31")].reset_index(drop=True)
    assert len(m_in) > 0
    m_in["out_date"] = m_in["out_date"].where(m_in["out_date"] < "2015-04-01")
    pd.testing.assert_frame_equal(march["industry_membership"], m_in)

    # Another order on the same object (a later year first, then an earlier month) changes nothing.
    late = concat(list(market.generate(date(2016, 6, 1), date(2016, 8, 1))))
    early = concat(list(market.generate(date(2014, 2, 1), date(2014, 3, 1))))
    for part, lo, hi in ((late, "2016-06-01", "2016-07-31"), (early, "2014-02-01", "2014-02-28")):
        sel = full["daily_bars"]["trade_date"].between(lo, hi)
        pd.testing.assert_frame_equal(part["daily_bars"], full["daily_bars"][sel].reset_index(drop=True))


def test_membership_rows_are_point_in_time(small):
    market, full = small
    members = full["industry_membership"]
    assert not members.duplicated(["stock_id", "in_date"]).any()
    # Each listed stock has exactly one spell starting at or before its first bar.
    first_bar = full["daily_bars"].groupby("stock_id")["trade_date"].min()
    first_spell = members.groupby("stock_id")["in_date"].min()
    assert set(first_bar.index) == set(first_spell.index)
    assert (first_spell.reindex(first_bar.index) <= first_bar).all()
    # A request ending before a switch shows the earlier spell with out_date NULL.
    u = market.universe
    switchers = np.flatnonzero(u.switch_day >= 0)
    switch_dates = market.calendar[u.switch_day[switchers]]
    target = switchers[np.argmin(switch_dates)]
    switch_date = market.calendar[u.switch_day[target]]
    assert switch_date < pd.Timestamp("2019-01-01")
    sid = u.stock_ids[target]
    before = concat(list(market.generate(date(2014, 1, 1), switch_date.date())))["industry_membership"]
    assert before.loc[before["stock_id"] == sid, "out_date"].isna().all()
    spells = members[members["stock_id"] == sid].sort_values("in_date")
    assert len(spells) == 2 and spells["out_date"].iloc[0] == switch_date == spells["in_date"].iloc[1]
    assert spells["industry_code"].iloc[0] != spells["industry_code"].iloc[1]


def test_different_seed_gives_different_data(small):
    _, full = small
    other = SyntheticMarket(SimulatorConfig(n_stocks=120, seed=4))
    chunk = next(iter(other.generate(date(2014, 1, 1), date(2014, 2, 1))))
    january = full["market_daily"]["market_ret"].iloc[: len(chunk["market_daily"])].to_numpy()
    assert len(january) == len(chunk["market_daily"]) > 15
    assert not np.allclose(chunk["market_daily"]["market_ret"].to_numpy(), january)


def test_chunks_are_calendar_years(small):
    market, _ = small
    chunks = list(market.generate(date(2014, 11, 15), date(2016, 2, 1)))
    spans = [(c["daily_bars"]["trade_date"].min(), c["daily_bars"]["trade_date"].max()) for c in chunks]
    assert [(a.year, b.year) for a, b in spans] == [(2014, 2014), (2015, 2015), (2016, 2016)]
    assert spans[0][0] >= pd.Timestamp("2014-11-15") and spans[-1][1] < pd.Timestamp("2016-02-01")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (date(2015, 1, 1), date(2015, 1, 1), "must be after start"),
        (date(2013, 12, 1), date(2014, 2, 1), "before the simulator's history start"),
        ("not a date", date(2015, 1, 1), "start must be a date"),
    ],
)
def test_bad_requests_are_rejected(small, start, end, message):
    market, _ = small
    with pytest.raises(ValueError, match=message):
        list(market.generate(start, end))


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="sign_persistence must be a finite number >= 0"):
        EffectStrengths(sign_persistence=-1.0)
    with pytest.raises(ValueError, match="market_vol_clustering must be <= 1"):
        EffectStrengths(market_vol_clustering=1.5)
    with pytest.raises(ValueError, match="n_stocks must be an integer >= 2 x n_industries"):
        SimulatorConfig(n_stocks=40, n_industries=31)
    with pytest.raises(ValueError, match="sign_memory must be <= 1/0.7"):
        EffectStrengths(sign_memory=1.5)


def test_off_turns_every_effect_off():
    off = EffectStrengths.off()
    assert all(getattr(off, name) == 0.0 for name in EffectStrengths.__dataclass_fields__)
    assert EffectStrengths().sign_persistence == 1.0


def test_profiles_strong_null_and_a_weaker_realistic_one():
    assert EffectStrengths.profile("strong") == EffectStrengths()
    assert EffectStrengths.profile("null") == EffectStrengths.off()
    realistic = EffectStrengths.profile("realistic")
    predictive = ("factor_momentum", "industry_momentum", "industry_lead_lag", "sign_memory")
    assert all(getattr(realistic, name) < 1.0 for name in predictive)
    # crashes in rebounds at least as strong as in the strong profile (the realistic market's other effects,
    # persistent expected returns above all, add noise to WML that would otherwise drown the rebound effect)
    assert realistic.bear_loser_beta >= 1.0
    with pytest.raises(ValueError, match="unknown synthetic market profile 'weak'"):
        EffectStrengths.profile("weak")
    # times() scales magnitudes, not the direction's memory (a probability) nor the volatility dynamics
    half = EffectStrengths().times(0.5)
    assert half.sign_persistence == 0.5 and half.sign_memory == 1.0 and half.market_vol_clustering == 1.0


# ------------------------------------------------------------------ contract and mechanics


def test_tables_meet_the_raw_contract(on):
    _, data = on
    for table in TABLES:
        df = data[table]
        spec = RAW_TABLES[table]
        assert list(df.columns) == list(spec.columns), table
        # validate() returns the frame with contract dtypes and raises on keys, order, prices, high/low.
        checked = validate(df, spec, f"synthetic {table}")
        assert list(checked.dtypes.astype(str)) == list(df.dtypes.astype(str)), table
        assert not df.duplicated(list(spec.key)).any(), table


def test_bar_identities(on):
    _, data = on
    b = data["daily_bars"]
    ret = b["close"] / b["pre_close"] - 1
    first_day = b.groupby("stock_id")["trade_date"].transform("min")
    ipo_day = (b["trade_date"] == first_day) & (b["trade_date"] > b["trade_date"].min())
    limit = np.where(b["is_st"], 0.05, 0.10)
    assert (ret.abs()[~ipo_day] <= limit[~ipo_day] + 1e-9).all()
    assert ((ret[ipo_day] >= 0.15 - 1e-9) & (ret[ipo_day] <= 0.44 + 1e-9)).all()
    prices = b[["open", "high", "low", "close", "pre_close"]]
    assert (prices > 0).all().all()
    assert (b["high"] >= b[["open", "close"]].max(axis=1)).all()
    assert (b["low"] <= b[["open", "close"]].min(axis=1)).all()
    assert (b["float_mcap"] <= b["total_mcap"]).all()
    # turnover = volume / float shares, with float shares = float_mcap / close; amount = volume x vwap.
    float_shares = b["float_mcap"] / b["close"]
    np.testing.assert_allclose(b["turnover"], b["volume"] / float_shares, rtol=1e-9)
    vwap = b["amount"] / b["volume"].where(b["volume"] > 0)
    assert ((vwap >= b["low"] * (1 - 1e-9)) & (vwap <= b["high"] * (1 + 1e-9)))[b["volume"] > 0].all()
    # Each day's pre_close is the previous day's close exactly (one adjustment basis).
    by_stock = b.sort_values(["stock_id", "trade_date"])
    previous_close = by_stock.groupby("stock_id")["close"].shift(1)
    known = previous_close.notna()
    np.testing.assert_array_equal(by_stock["pre_close"][known], previous_close[known])
    s = b[b["is_suspended"]]
    assert (s[["volume", "amount", "turnover"]] == 0).all().all()
    assert (
        (s["open"] == s["pre_close"])
        & (s["close"] == s["pre_close"])
        & (s["high"] == s["low"])
        & (s["high"] == s["close"])
    ).all()


def test_market_return_is_cap_weighted_by_previous_float_cap(on):
    _, data = on
    b, m = data["daily_bars"], data["market_daily"].set_index("trade_date")
    day = m.index[300]
    rows = b[(b["trade_date"] == day) & ~b["is_suspended"]]
    rows = rows[rows["stock_id"].isin(b.loc[b["trade_date"] < day, "stock_id"])]  # not an IPO day
    weight = rows["pre_close"] * rows["float_mcap"] / rows["close"]  # previous close x float shares
    expected = (weight * (rows["close"] / rows["pre_close"] - 1)).sum() / weight.sum()
    assert m.loc[day, "market_ret"] == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert m["rf"].between(0.015 / 252, 0.03 / 252).all()


def test_a_share_mechanics_present(on):
    market, data = on
    b = data["daily_bars"]
    ret = b["close"] / b["pre_close"] - 1
    assert (ret.abs() >= 0.0999).sum() > 20  # price limits are hit sometimes
    assert 0.002 < b["is_suspended"].mean() < 0.01  # ~0.5% of stock-days
    assert 0.005 < b["is_st"].mean() < 0.1
    first, last = b.groupby("stock_id")["trade_date"].min(), b.groupby("stock_id")["trade_date"].max()
    n = market.config.n_stocks
    ipos = (first > b["trade_date"].min()).sum()
    assert 0.2 * n < ipos < 0.5 * n  # ~40% of stocks IPO after the start (over 10 years)
    delisted = (last < b["trade_date"].max()).sum()
    assert 1 <= delisted < 0.1 * n
    # Magnitudes: A-share-like market vol, stock vol and turnover.
    assert 0.010 < data["market_daily"]["market_ret"].std() < 0.018
    stock_vol = daily_returns(b).std().median() * np.sqrt(245)
    assert 0.3 < stock_vol < 0.55
    assert 0.008 < b.loc[~b["is_suspended"], "turnover"].median() < 0.035


def test_fundamentals_are_lagged_quarterly_and_positive(on):
    _, data = on
    f = data["fundamentals"]
    lag = (f["announce_date"] - f["period_end"]).dt.days
    assert lag.between(20, 120).all()
    assert (f["period_end"].dt.is_quarter_end).all()
    assert (f["book_equity"] > 0).mean() > 0.95
    np.testing.assert_allclose(f["total_liabilities"], f["total_assets"] - f["book_equity"], rtol=1e-9)
    # Smooth: quarter-on-quarter log change of total assets is small.
    growth = np.log(f.sort_values("period_end").groupby("stock_id")["total_assets"].pct_change() + 1)
    assert growth.abs().median() < 0.1


# ------------------------------------------------------------------ planted effects: on vs off


def industry_momentum_t(data: dict) -> float:
    """Spearman of industries' past-12-month excess return with next month's, t over months."""
    ex = industry_monthly(data)
    past = np.log1p(ex).rolling(12).sum()
    return monthly_spearman_t(past.shift(1).iloc[12:], ex.iloc[12:])


def test_industry_momentum(on, off):
    assert industry_momentum_t(on[1]) > 3
    assert abs(industry_momentum_t(off[1])) < 2.5


def lead_lag_t(market: SyntheticMarket, data: dict) -> float:
    """Pooled correlation of each leader's month t-1 excess return with its follower's month t one."""
    ex = industry_monthly(data)
    codes = market.universe.industry_codes
    x, y = [], []
    for f, lead in zip(market.universe.lead_lag_followers, market.universe.lead_lag_leaders, strict=True):
        x.append(ex[codes[lead]].shift(1).iloc[1:])
        y.append(ex[codes[f]].iloc[1:])
    r = np.corrcoef(pd.concat(x), pd.concat(y))[0, 1]
    n = sum(len(v) for v in x)
    return float(r * np.sqrt((n - 2) / (1 - r**2)))


def test_industry_lead_lag(on, off):
    assert lead_lag_t(*on) > 3
    assert abs(lead_lag_t(*off)) < 2.5


def loser_minus_winner_beta(data: dict) -> tuple[float, float, float]:
    """Daily beta of (bottom - top decile of t-12..t-2 return) in bear vs other months.

    Bear month: cumulative market return over the previous 24 months < 0 (Daniel-Moskowitz I_B).
    Returns (beta in bear months, its t, beta in other months).
    """
    daily = daily_returns(data["daily_bars"])
    market = data["market_daily"].set_index("trade_date")["market_ret"]
    monthly = monthly_returns(daily)
    formation = np.log1p(monthly).shift(1).rolling(11, min_periods=8).sum()  # months t-12..t-2 of t
    market_month = np.log1p(market).groupby(market.index.to_period("M")).sum()
    bear = market_month.shift(1).rolling(24, min_periods=24).sum() < 0
    rows = []
    for month in formation.index[12:]:
        score = formation.loc[month].dropna()
        if len(score) < 50:
            continue
        lo, hi = score.quantile([0.1, 0.9])
        days = daily.index.to_period("M") == month
        spread = daily.loc[days, score.index[score <= lo]].mean(axis=1) - daily.loc[
            days, score.index[score >= hi]
        ].mean(axis=1)
        rows.append(pd.DataFrame({"spread": spread, "market": market[days], "bear": bool(bear.get(month))}))
    panel = pd.concat(rows)
    fits = {}
    for flag, part in panel.groupby("bear"):
        fits[flag] = sm.OLS(part["spread"], sm.add_constant(part["market"])).fit()
    bear_fit = fits.get(True)
    return (
        bear_fit.params["market"] if bear_fit else np.nan,
        bear_fit.tvalues["market"] if bear_fit else np.nan,
        fits[False].params["market"],
    )


def test_losers_carry_high_beta_after_bear_markets(on, off):
    beta_bear, t_bear, beta_other = loser_minus_winner_beta(on[1])
    assert beta_bear > 0.4 and t_bear > 5
    assert beta_bear > beta_other + 0.3
    off_bear, _, off_other = loser_minus_winner_beta(off[1])
    # Off: betas are constant, so losers differ from winners only by the mechanical selection on
    # past market moves (small).
    assert np.isnan(off_bear) or abs(off_bear) < 0.25
    assert abs(off_other) < 0.25


def sign_run(monthly: pd.DataFrame) -> pd.DataFrame:
    """Signed length of the current run of same-sign monthly returns (+k: k positive months, capped 12)."""
    sign = np.sign(monthly)
    run = pd.DataFrame(0.0, index=monthly.index, columns=monthly.columns)
    prev_sign, prev_run = pd.Series(0.0, index=monthly.columns), pd.Series(0.0, index=monthly.columns)
    for t in monthly.index:  # sequential by nature: a run extends the previous month's run
        s = sign.loc[t].fillna(0.0)
        prev_run = np.where(s == prev_sign, np.minimum(prev_run + 1, 12), 1.0) * (s != 0)
        prev_run, prev_sign = pd.Series(prev_run, index=monthly.columns), s
        run.loc[t] = prev_run * s
    return run.where(monthly.notna())


def sign_persistence_t(data: dict) -> float:
    monthly = monthly_returns(daily_returns(data["daily_bars"]))
    return monthly_spearman_t(sign_run(monthly).shift(1).iloc[1:], np.sign(monthly).iloc[1:])


def test_sign_persistence(on, off):
    assert sign_persistence_t(on[1]) > 3
    assert abs(sign_persistence_t(off[1])) < 2.5


def characteristic_long_short(data: dict) -> pd.DataFrame:
    """Monthly long-short returns (top 30% - bottom 30%, equal-weighted) on the five style characteristics.

    Characteristics at each month end, as the simulator's exposures: size = -log float cap; value =
    latest announced book equity / total cap; profitability = net income TTM / book equity; investment
    = -(total assets / total assets a year earlier - 1); momentum = return over months t-11..t-1.
    Row t holds the return of month t+1.
    """
    b = data["daily_bars"]
    monthly = monthly_returns(daily_returns(b))
    month_end = b.groupby([b["trade_date"].dt.to_period("M"), "stock_id"]).last()
    cap = month_end["float_mcap"].unstack()
    total = month_end["total_mcap"].unstack()
    f = data["fundamentals"]
    year_ago = f[["stock_id", "period_end", "total_assets"]].assign(period_end=f["period_end"] + pd.DateOffset(years=1))
    f = f.merge(year_ago, on=["stock_id", "period_end"], how="left", suffixes=("", "_year_ago"))
    f = f.sort_values("announce_date")
    ends = pd.DataFrame({"date": cap.index.to_timestamp(how="end").normalize()}, index=cap.index)
    grid = ends.merge(pd.DataFrame({"stock_id": cap.columns}), how="cross").sort_values("date")
    asof = pd.merge_asof(grid, f, left_on="date", right_on="announce_date", by="stock_id")
    asof["period"] = asof["date"].dt.to_period("M")

    def wide(col: str) -> pd.DataFrame:
        return asof.pivot(index="period", columns="stock_id", values=col).reindex_like(cap)

    book, assets = wide("book_equity"), wide("total_assets")
    chars = {
        "size": -np.log(cap),
        "value": book / total,
        "profitability": wide("net_income_ttm") / book,
        "investment": -(assets / wide("total_assets_year_ago") - 1),
        "momentum": np.log1p(monthly).rolling(11, min_periods=8).sum().shift(1).reindex_like(cap),
    }
    nxt = monthly.shift(-1).reindex_like(cap)
    out = {}
    for name, char in chars.items():
        rank = char.where(cap.notna()).rank(axis=1, pct=True)
        out[name] = nxt[rank >= 0.7].mean(axis=1) - nxt[rank <= 0.3].mean(axis=1)
    return pd.DataFrame(out).iloc[:-1]


def factor_momentum_t(data: dict) -> float:
    """Time-series factor momentum: sign(mean of past 12 months) x next month, pooled over factors.

    The momentum factor is left out, as Ehsani and Linnainmaa (2022) do: its crashes are a separate
    planted effect (bear-market loser betas)."""
    ls = characteristic_long_short(data).drop(columns="momentum")
    signal = np.sign(ls.rolling(12).mean()).shift(1)
    return mean_t((signal * ls).iloc[13:].stack())


def test_factor_momentum(on, off):
    assert factor_momentum_t(on[1]) > 3
    assert abs(factor_momentum_t(off[1])) < 2.5


def squared_market_autocorr_p(data: dict) -> float:
    """Ljung-Box p-value (5 lags) of squared daily market returns: ARCH effects (Engle 1982)."""
    ret = data["market_daily"]["market_ret"]
    return float(acorr_ljungbox((ret - ret.mean()) ** 2, lags=[5])["lb_pvalue"].iloc[0])


def test_market_volatility_clusters(on, off):
    assert squared_market_autocorr_p(on[1]) < 1e-4
    assert squared_market_autocorr_p(off[1]) > 0.01


def idio_square_autocorr(data: dict) -> float:
    """Median over stocks of the lag-1 autocorrelation of squared market-adjusted daily returns."""
    daily = daily_returns(data["daily_bars"])
    market = data["market_daily"].set_index("trade_date")["market_ret"]
    sq = daily.sub(market, axis=0) ** 2
    return float(sq.apply(lambda s: s.autocorr(1)).median())


def test_idiosyncratic_volatility_clusters(on, off):
    assert idio_square_autocorr(on[1]) > 0.02
    assert abs(idio_square_autocorr(off[1])) < 0.01


def turnover_spike_reversal_t(data: dict) -> tuple[float, float]:
    """Slope and t of the next-15-day market-adjusted return on the event-day one, for turnover spikes.

    Event: turnover > 4x the stock's median turnover on a traded day that is not its first.
    """
    b = data["daily_bars"]
    market = data["market_daily"].set_index("trade_date")["market_ret"]
    daily = daily_returns(b).sub(market, axis=0)  # market-adjusted: events on one day share the market
    turnover = b.pivot(index="trade_date", columns="stock_id", values="turnover")
    typical = turnover.where(turnover > 0).median()
    first = daily.apply(lambda s: s.first_valid_index())
    not_first = daily.index.to_numpy()[:, None] > first.to_numpy()[None, :]
    event = (turnover > 4 * typical) & not_first
    forward = np.log1p(daily.fillna(0.0)).rolling(15).sum().shift(-15)
    x, y = daily[event].stack(), forward[event].stack()
    pair = pd.concat([x, y], axis=1).dropna()
    fit = sm.OLS(pair.iloc[:, 1], sm.add_constant(pair.iloc[:, 0])).fit()
    return float(fit.params.iloc[1]), float(fit.tvalues.iloc[1])


def test_turnover_spikes_precede_reversals(on, off):
    slope, t = turnover_spike_reversal_t(on[1])
    assert slope < -0.2 and t < -4
    _, t_off = turnover_spike_reversal_t(off[1])
    assert abs(t_off) < 2.5


def intra_industry_lead_lag_t(data: dict) -> float:
    """t of the pooled slope of small caps' day-d industry-excess return on large caps' day d-1 one."""
    b = data["daily_bars"]
    daily = daily_returns(b)
    cap = b.pivot(index="trade_date", columns="stock_id", values="float_mcap").shift(1)
    ind = industry_of(data["industry_membership"]).reindex(daily.columns).to_numpy()
    market_ew = daily.mean(axis=1)
    xs, ys = [], []
    for code in np.unique(ind):
        cols = daily.columns[ind == code]
        rank = cap[cols].rank(axis=1, pct=True)
        big = daily[cols][rank > 0.5].mean(axis=1) - market_ew
        small = daily[cols][rank <= 0.5].mean(axis=1) - market_ew
        xs.append(big.shift(1))
        ys.append(small)
    pair = pd.concat([pd.concat(xs), pd.concat(ys)], axis=1).dropna()
    fit = sm.OLS(pair.iloc[:, 1], sm.add_constant(pair.iloc[:, 0])).fit()
    return float(fit.tvalues.iloc[1])


def test_large_caps_lead_small_caps_within_industries(on, off):
    assert intra_industry_lead_lag_t(on[1]) > 4
    assert abs(intra_industry_lead_lag_t(off[1])) < 2.5


# ------------------------------------------------------------------ the realistic profile's reversal effects


def _only(**strengths: float) -> Strengths:
    fields = {name: 0.0 for name in Strengths.__dataclass_fields__}
    return Strengths(**{**fields, **strengths})


def test_short_term_reversal_drift_is_the_factor_times_the_signed_square_score():
    universe = draw_universe(40, 4, 1)
    sim = MarketSimulation(universe, _only(short_term_reversal=2.0), seed=5)
    last_month = np.linspace(-0.3, 0.3, 40)[::-1]
    sim.log_close_months[-2] = 0.0
    sim.log_close_months[-1] = last_month
    listed = np.ones(40, dtype=bool)
    drift = sim._reversal_and_overreaction(listed, 20, first_day=40)
    # by hand: the month's factor return from the effects' own stream (seed, 3, first day), on the normal
    # score of last month's return (rank k of 40 -> Phi^-1((k - 0.5) / 40)) times its absolute value
    z_factor = np.random.default_rng([5, 3, 40]).standard_normal()
    factor = 2.0 * (dyn.REVERSAL_FACTOR_MEAN + dyn.REVERSAL_FACTOR_SD * z_factor)
    rank = np.arange(40, 0, -1)  # last_month is decreasing
    score = ndtri((rank - 0.5) / 40)
    np.testing.assert_allclose(drift, factor * score * np.abs(score) / 20)
    assert drift[0] * drift[-1] < 0 and abs(drift[0]) == pytest.approx(abs(drift[-1]))


def test_an_overreaction_reverts_in_full_over_its_months(monkeypatch):
    universe = draw_universe(40, 4, 1)
    sim = MarketSimulation(universe, _only(overreaction=1.0), seed=5)
    listed = np.ones(40, dtype=bool)
    monkeypatch.setattr(dyn, "OVERREACTION_PROB", 1.0)  # every stock starts an episode this month
    first = sim._reversal_and_overreaction(listed, 20, first_day=0) * 20
    rng = np.random.default_rng([5, 3, 0])
    rng.standard_normal(), rng.random(40)
    move = dyn.OVERREACTION_SD * rng.standard_normal(40)
    np.testing.assert_allclose(first, move)
    monkeypatch.setattr(dyn, "OVERREACTION_PROB", 0.0)  # no new episode afterwards
    later = np.array([sim._reversal_and_overreaction(listed, 21, first_day=d) * 21 for d in range(1, 12)])
    months = dyn.OVERREACTION_MONTHS
    np.testing.assert_allclose(later[:months], np.tile(-dyn.OVERREACTION_REVERT * move / months, (months, 1)))
    np.testing.assert_allclose(later[months:], 0.0)
    np.testing.assert_allclose(first + later.sum(axis=0), (1 - dyn.OVERREACTION_REVERT) * move, atol=1e-15)


def test_comomentum_moves_long_direction_runs_together():
    universe = draw_universe(40, 4, 1)
    sim = MarketSimulation(universe, _only(comomentum=1.5), seed=5)
    sim.direction = np.where(np.arange(40) % 2 == 0, 1.0, -1.0)
    sim.direction_months = np.arange(40) % 8 + 1  # runs of 1..8 months
    drift = sim._reversal_and_overreaction(np.ones(40, dtype=bool), 20, first_day=60) * 20
    rng = np.random.default_rng([5, 3, 60])
    rng.standard_normal(), rng.random(40), rng.standard_normal(40)
    shock = 1.5 * dyn.COMOMENTUM_SD * rng.standard_normal()  # one shock for every long run, this month
    long_run = sim.direction_months >= dyn.COMOMENTUM_MONTHS
    np.testing.assert_allclose(drift[long_run], shock * sim.direction[long_run])
    assert not drift[~long_run].any()
    # the run counter: a flip restarts it at 1, a stay adds a month
    before = sim.direction.copy(), sim.direction_months.copy()
    sim._update_directions(np.random.default_rng(0))
    flipped = sim.direction != before[0]
    assert (sim.direction_months[flipped] == 1).all()
    assert (sim.direction_months[~flipped] == before[1][~flipped] + 1).all()


def test_persistent_drift_is_a_unit_ar1_from_its_own_stream():
    universe = draw_universe(40, 4, 1)
    sim = MarketSimulation(universe, _only(persistent_drift=2.0), seed=5)
    start = np.random.default_rng([5, 4]).standard_normal(40)  # the stationary start
    np.testing.assert_allclose(sim.expected_drift, start)
    drift = sim._persistent_drift(20, first_day=60)
    # by hand: a = phi a + sqrt(1 - phi^2) e with e from the stream (seed, 4, first day); the month's daily
    # drift is strength x SD x a / days
    phi = dyn.PERSISTENT_DRIFT_PHI
    a = phi * start + np.sqrt(1 - phi**2) * np.random.default_rng([5, 4, 60]).standard_normal(40)
    np.testing.assert_allclose(drift, 2.0 * dyn.PERSISTENT_DRIFT_SD * a / 20)
    np.testing.assert_allclose(sim.expected_drift, a)
    off = MarketSimulation(universe, _only(), seed=5)
    assert not off._persistent_drift(20, first_day=60).any() and not off.expected_drift.any()


def test_dispersion_level_is_a_log_ar1_with_mean_one_from_its_own_stream():
    universe = draw_universe(40, 4, 1)
    sim = MarketSimulation(universe, _only(dispersion_regimes=2.0), seed=5)
    start = np.random.default_rng([5, 5]).standard_normal()  # the stationary start
    assert sim.dispersion == start
    scale = sim._dispersion_scale(first_day=60)
    # by hand: h = phi h + sqrt(1 - phi^2) e, e from the stream (seed, 5, first day); s = exp(sd h - sd^2 / 2)
    # with sd = strength x DISPERSION_SD, so E[s] = 1
    phi, sd = dyn.DISPERSION_PHI, 2.0 * dyn.DISPERSION_SD
    h = phi * start + np.sqrt(1 - phi**2) * np.random.default_rng([5, 5, 60]).standard_normal()
    assert scale == pytest.approx(np.exp(sd * h - sd**2 / 2), rel=1e-15)
    assert sim.dispersion == pytest.approx(h, rel=1e-15)
    off = MarketSimulation(universe, _only(), seed=5)
    assert off._dispersion_scale(first_day=60) == 1.0 and off.dispersion == 0.0


def test_dispersion_widens_every_return_around_the_market_by_the_months_level(monkeypatch):
    # Two markets with one seed, the level on and off: every other draw is the same, so each return that no
    # price limit clipped is m_d + s_m (r_off - m_d) with m_d the latent market and s_m the month's level.
    universe = draw_universe(60, 4, 3)
    dates = pd.bdate_range("2020-03-02", periods=21)
    ons, offs, markets = [], [], []
    for strengths, out in (
        (_only(dispersion_regimes=1.0, sign_persistence=1.0), ons),
        (_only(sign_persistence=1.0), offs),
    ):
        sim = MarketSimulation(universe, strengths, seed=11)
        path = sim.market_path

        def record(n_days, rng, path=path):
            market, variance, regimes = path(n_days, rng)
            markets.append(market)
            return market, variance, regimes

        monkeypatch.setattr(sim, "market_path", record)
        bars = sim.step_month(dates, first_day=300, rng=np.random.default_rng(7))
        out.append((bars.fields["close"] / bars.fields["pre_close"] - 1, bars.fields["is_st"]))
    (on, st), (off, _) = ons[0], offs[0]
    np.testing.assert_array_equal(markets[0], markets[1])
    phi, sd = dyn.DISPERSION_PHI, dyn.DISPERSION_SD
    h = phi * np.random.default_rng([11, 5]).standard_normal()
    h += np.sqrt(1 - phi**2) * np.random.default_rng([11, 5, 300]).standard_normal()
    s = np.exp(sd * h - sd**2 / 2)
    m = markets[0][:, None]
    ipo = universe.ipo_day[None, :] == (300 + np.arange(len(dates)))[:, None]
    # not clipped at a price limit, traded, listed, not an IPO day (its return is drawn apart)
    free = (np.abs(on) < 0.095) & (np.abs(off) < 0.095) & (off != 0) & ~st & ~ipo
    assert free.sum() > 600  # of 21 days x 60 stocks, some not listed yet
    np.testing.assert_allclose((on - m)[free], s * (off - m)[free], rtol=1e-9, atol=1e-12)


def test_reversal_effects_off_draw_nothing_and_add_nothing():
    universe = draw_universe(40, 4, 1)
    sim = MarketSimulation(universe, _only(), seed=5)
    assert not sim._reversal_and_overreaction(np.ones(40, dtype=bool), 20, first_day=0).any()


def test_planted_effects_name_every_effect_the_market_has():
    assert planted_effects(EffectStrengths.off()) == []
    realistic = PROFILES["realistic"]
    rows = planted_effects(realistic)
    expected = [label for name, (label, _) in PLANTED_EFFECTS.items() if getattr(realistic, name) > 0]
    assert [r["effect"] for r in rows] == expected and len(expected) >= 10
    assert set(PLANTED_EFFECTS) == set(EffectStrengths.__dataclass_fields__) - {"sign_memory"}
    sign = next(r for r in rows if r["effect"] == "return-sign persistence")
    stay = 0.5 + (dyn.SIGN_STAY - 0.5) * realistic.sign_memory
    assert f"stays with probability {stay:.2f}" in sign["how"] and sign["strength"] == f"{realistic.sign_persistence:g}"
