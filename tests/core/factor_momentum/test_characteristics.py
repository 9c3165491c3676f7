"""Characteristics behind the E-L (2022) factor set: hand-computed values and look-ahead."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.rolling import RollingOLS

from momentum_dag.core.factor_momentum.characteristics import (
    CHARACTERISTICS,
    build_characteristics,
    cumulative_return,
    rolling_market_model,
)
from momentum_dag.core.frames import compound_by_period


def test_cumulative_return_window():
    idx = pd.date_range("2020-01-31", periods=5, freq="ME", name="date")
    r = pd.DataFrame({"a": [0.1, 0.2, -0.5, 0.0, 1.0]}, index=idx)
    out = cumulative_return(r, 2, 1)["a"]
    # row 3: rows 1..2 -> 1.2 * 0.5 - 1 = -0.4; row 4: rows 2..3 -> 0.5 * 1.0 - 1 = -0.5; rows 0-1 incomplete
    assert out.iloc[3] == pytest.approx(-0.4)
    assert out.iloc[4] == pytest.approx(-0.5)
    assert out.iloc[:2].isna().all()
    with pytest.raises(ValueError, match="first_lag"):
        cumulative_return(r, 1, 2)


def test_cumulative_return_does_not_depend_on_where_the_panel_starts():
    # a chunk's panel starts its lookback before it: the same bits whatever that start
    rng = np.random.default_rng(4)
    idx = pd.date_range("2010-01-31", periods=90, freq="ME", name="date")
    r = pd.DataFrame(rng.normal(0.01, 0.1, (90, 20)), index=idx)
    whole = cumulative_return(r, 59, 12)
    for skip in (1, 7, 13):
        later = cumulative_return(r.iloc[skip:], 59, 12)
        pd.testing.assert_frame_equal(later.iloc[60:], whole.iloc[skip + 60 :], check_exact=True)


def test_rolling_market_model_matches_statsmodels_and_hand_case():
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2021-01-01", periods=60, name="date")
    mkt = pd.Series(rng.normal(0, 0.01, 60), index=days)
    noisy = 0.5 + 1.5 * mkt + rng.normal(0, 0.01, 60)
    y = pd.DataFrame({"exact": 2.0 * mkt, "noisy": noisy})
    beta, resid = rolling_market_model(y, mkt, window=20, min_days=20)
    # y = 2 * market exactly: beta 2, residual std 0.
    assert beta["exact"].iloc[19:].to_numpy() == pytest.approx(2.0)
    assert resid["exact"].iloc[19:].to_numpy() == pytest.approx(0.0, abs=1e-7)
    assert beta.iloc[:19].isna().all().all()
    fit = RollingOLS(noisy.to_numpy(), np.column_stack([np.ones(60), mkt.to_numpy()]), window=20).fit()
    np.testing.assert_allclose(beta["noisy"].iloc[19:], fit.params[19:, 1], rtol=1e-8)
    np.testing.assert_allclose(resid["noisy"].iloc[19:], np.sqrt(fit.mse_resid[19:]), rtol=1e-6)


def _inputs(seed: int = 0):
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2019-01-01", "2020-02-29", name="date")
    stocks = ["a", "b", "c"]
    mkt = pd.Series(rng.normal(0, 0.01, len(days)), index=days)
    daily = pd.DataFrame(rng.normal(0, 0.02, (len(days), 3)), index=days, columns=stocks)
    daily["c"] = 2.0 * mkt  # beta exactly 2 against the market excess return
    monthly = compound_by_period(daily, "M")
    months = monthly.index
    cap = pd.DataFrame(np.exp(rng.normal(10, 1, (len(months), 3))), index=months, columns=stocks)
    book = pd.DataFrame(rng.uniform(1e3, 1e5, (len(months), 3)), index=months, columns=stocks)
    income = pd.DataFrame(rng.normal(1e3, 5e2, (len(months), 3)), index=months, columns=stocks)
    assets = pd.DataFrame(rng.uniform(1e5, 2e5, (len(months), 3)), index=months, columns=stocks)
    turnover = pd.DataFrame(rng.uniform(0.0, 0.05, (len(days), 3)), index=days, columns=stocks)
    return monthly, daily, cap, book, income, assets, turnover, mkt


def test_value_divides_book_equity_by_total_cap_when_given():
    """Fama & French (1993) book-to-market: book equity over the whole firm's market value (total cap),
    not the float; float cap stays the size characteristic."""
    monthly, daily, cap, book, income, assets, turnover, mkt = _inputs()
    total = cap * np.array([1.0, 2.5, 4.0])  # float is 100%, 40% and 25% of the shares
    out = build_characteristics(
        monthly, daily, cap, book, income, assets, turnover, mkt, total_cap=total, beta_days=60, beta_min_days=40
    )
    t = monthly.index[-1]
    np.testing.assert_allclose(out["value"].loc[t].to_numpy(), (book.loc[t] / total.loc[t]).to_numpy(), rtol=1e-12)
    assert out["value"].loc[t, "c"] == pytest.approx(book.loc[t, "c"] / (4.0 * cap.loc[t, "c"]))
    assert out["size"].loc[t, "c"] == pytest.approx(-np.log(cap.loc[t, "c"]))


def test_build_characteristics_hand_values():
    monthly, daily, cap, book, income, assets, turnover, mkt = _inputs()
    book.iloc[-1, 0] = -5.0  # negative book equity: no value/profitability
    out = build_characteristics(
        monthly, daily, cap, book, income, assets, turnover, mkt, beta_days=60, beta_min_days=40
    )
    assert set(out) == set(CHARACTERISTICS)
    t = monthly.index[-1]  # 2020-02-28; t-12 = 2019-02-28
    assert out["size"].loc[t, "b"] == pytest.approx(-np.log(cap.loc[t, "b"]))
    assert out["value"].loc[t, "b"] == pytest.approx(book.loc[t, "b"] / cap.loc[t, "b"])
    assert np.isnan(out["value"].loc[t, "a"]) and np.isnan(out["profitability"].loc[t, "a"])
    assert out["profitability"].loc[t, "b"] == pytest.approx(income.loc[t, "b"] / book.loc[t, "b"])
    growth = assets.loc[t, "b"] / assets.loc["2019-02-28", "b"] - 1
    assert out["investment"].loc[t, "b"] == pytest.approx(-growth)
    assert out["strev"].loc[t, "b"] == pytest.approx(-monthly.loc[t, "b"])
    # momentum at Feb 2020: months 2019-03 .. 2020-01 (11 months, skipping Feb 2020)
    window = monthly.loc["2019-03-01":"2020-01-31", "b"]
    assert len(window) == 11
    assert out["momentum"].loc[t, "b"] == pytest.approx((1 + window).prod() - 1)
    assert out["low_beta"].loc[t, "c"] == pytest.approx(-2.0)
    assert out["resid_vol"].loc[t, "c"] == pytest.approx(0.0, abs=1e-7)
    assert out["liquidity"].loc[t, "b"] == pytest.approx(-turnover["b"].iloc[-21:].mean())
    assert out["ltrev"].isna().all().all()  # needs 60 months of history


def test_build_characteristics_look_ahead():
    monthly, daily, cap, book, income, assets, turnover, mkt = _inputs(1)
    kwargs = {"beta_days": 60, "beta_min_days": 40}
    base = build_characteristics(monthly, daily, cap, book, income, assets, turnover, mkt, **kwargs)
    t = pd.Timestamp("2019-11-29")
    perturbed = []
    for frame in (monthly, daily, cap, book, income, assets, turnover, mkt):
        frame = frame.copy()
        frame.loc[frame.index > t] = frame.loc[frame.index > t] * 5.0 + 0.3
        perturbed.append(frame)
    after = build_characteristics(*perturbed, **kwargs)
    for name in CHARACTERISTICS:
        pd.testing.assert_frame_equal(after[name].loc[:t], base[name].loc[:t], obj=name)


def test_build_characteristics_from_a_formation_start_are_the_same_rows():
    # the window's month ends only (the asset's chunk): the same bits as those rows of the whole panel
    monthly, daily, cap, book, income, assets, turnover, mkt = _inputs(2)
    kwargs = {"beta_days": 60, "beta_min_days": 40}
    whole = build_characteristics(monthly, daily, cap, book, income, assets, turnover, mkt, **kwargs)
    start = pd.Timestamp("2019-10-01")
    part = build_characteristics(
        monthly, daily, cap, book, income, assets, turnover, mkt, formation_start=start, **kwargs
    )
    for name in CHARACTERISTICS:
        assert part[name].index.min() == pd.Timestamp("2019-10-31")
        pd.testing.assert_frame_equal(part[name], whole[name].loc[start:], obj=name, check_exact=True)


def test_rolling_market_model_bad_window():
    days = pd.bdate_range("2021-01-01", periods=5)
    with pytest.raises(ValueError, match="min_days"):
        rolling_market_model(pd.DataFrame({"a": np.zeros(5)}, index=days), pd.Series(0.0, index=days), window=3)
