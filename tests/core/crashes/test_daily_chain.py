"""The daily branch wired end to end on a small simulated market: the API fits together without look-ahead.

Values here are structural identities (OLS linearity, compounding), not market findings.
"""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core import crashes as c
from momentum_dag.core.frames import compound_by_period


@pytest.fixture(scope="module")
def market():
    rng = np.random.default_rng(0)
    days = pd.bdate_range("2012-01-02", "2016-12-30")
    mkt = pd.Series(rng.normal(0.0004, 0.01, len(days)), index=days)
    betas = rng.uniform(0.5, 1.5, 60)
    noise = rng.normal(0, 0.015, (len(days), 60))
    daily = pd.DataFrame(np.outer(mkt, betas) + noise, index=days, columns=[f"s{i}" for i in range(60)])
    monthly = compound_by_period(daily, "M")
    mcap = (1 + daily).cumprod().loc[monthly.index] * rng.uniform(1, 10, 60)
    return daily, monthly, mcap, mkt


def test_daily_chain(market):
    daily, monthly, mcap, mkt = market
    deciles, wml, formation = c.wml_portfolios(monthly, mcap)
    wml_d = c.wml_daily(daily, formation)
    # Daily WML legs compound to the monthly legs, so the monthly WML is recovered from daily data.
    legs = compound_by_period(c.decile_daily_returns(daily, formation)[["d1", "d10"]], "M")
    assert (legs["d10"] - legs["d1"]).to_numpy() == pytest.approx(wml.dropna().to_numpy(), rel=1e-10)

    market_m = compound_by_period(mkt.to_frame("m"), "M")["m"]
    state = c.market_state(market_m, market_m - 0.0001, mkt)
    assert state["market_var"].dropna().between(0.5e-4, 2e-4).all()  # daily sd 1% -> variance ~1e-4

    legs_d = c.decile_daily_returns(daily, formation)[["d10", "d1"]]
    betas = c.rolling_lagged_betas(pd.concat([legs_d, wml_d], axis=1), mkt, monthly.index).dropna()
    assert len(betas) > 24
    # OLS is linear in y: beta(d10 - d1) = beta(d10) - beta(d1) on the same days.
    assert betas["wml"].to_numpy() == pytest.approx((betas["d10"] - betas["d1"]).to_numpy(), abs=1e-10)

    forecasts = c.garch_variance_forecasts(wml_d, monthly.index, refit_every=3, min_blend_pairs=12)
    bsc = c.barroso_santa_clara_weights(wml_d, monthly.index)
    returns, weights = c.momentum_strategies(
        wml,
        state["bear"],
        state["market_var"],
        c.to_holding_alignment(forecasts),
        bsc_var=bsc["bsc_var"],
        oos_min_months=12,
    )
    assert list(returns.columns) == ["static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"]
    assert len(returns) >= 12
    table = c.sharpe_table(returns)
    assert table["vol_ann"].to_numpy() == pytest.approx(0.19)
