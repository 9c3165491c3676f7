"""Look-ahead tests for all fifteen industry momentum factors of the sell-side industry momentum reports.

Each factor is computed on a small random market, then every input row dated strictly after a formation
date t is perturbed (numbers rescaled, flags flipped, industry labels reshuffled); values at <= t must
not change. The weekly PCA factor is checked at a week's last trading day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core import industry as im
from momentum_dag.core.frames import period_ends

N_DAYS = 150
INDUSTRIES = ["I1", "I2", "I3", "I4", "I5"]
STOCKS_PER_INDUSTRY = 8


def synthetic_market(seed: int = 7) -> dict[str, pd.DataFrame]:
    """Daily industry and constituent panels plus monthly return panels, random but well-formed."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=N_DAYS, name="date")
    stocks = [f"S{i:02d}" for i in range(len(INDUSTRIES) * STOCKS_PER_INDUSTRY)]
    common = rng.normal(0, 0.01, (N_DAYS, len(INDUSTRIES)))
    stock_ret = np.repeat(common, STOCKS_PER_INDUSTRY, axis=1) + rng.normal(0, 0.015, (N_DAYS, len(stocks)))
    stock_ret = pd.DataFrame(stock_ret, index=dates, columns=stocks)
    labels = np.repeat(INDUSTRIES, STOCKS_PER_INDUSTRY)
    stock_industry = pd.DataFrame(np.tile(labels, (N_DAYS, 1)), index=dates, columns=stocks, dtype=object)
    stock_industry.iloc[:30, 3] = np.nan  # S03 lists on day 30
    mcap = pd.DataFrame(rng.uniform(1, 100, len(stocks)) * np.exp(stock_ret.cumsum()), columns=stocks)
    suspended = pd.DataFrame(rng.random((N_DAYS, len(stocks))) < 0.03, index=dates, columns=stocks)
    ret = pd.DataFrame(common + rng.normal(0, 0.002, common.shape), index=dates, columns=INDUSTRIES)
    months = pd.date_range("2018-01-31", periods=40, freq="ME", name="date")
    return {
        "ret": ret,
        "close": (1 + ret).cumprod(),
        "turnover": pd.DataFrame(rng.uniform(0.005, 0.03, ret.shape), index=dates, columns=INDUSTRIES),
        "amount": pd.DataFrame(rng.uniform(1e9, 5e9, ret.shape), index=dates, columns=INDUSTRIES),
        "amplitude": pd.DataFrame(rng.uniform(0.005, 0.05, ret.shape), index=dates, columns=INDUSTRIES),
        "stock_ret": stock_ret,
        "stock_float_mcap": mcap,
        "stock_suspended": suspended,
        "stock_industry": stock_industry,
        "industry_ret_monthly": pd.DataFrame(rng.normal(0, 0.05, (40, 5)), index=months, columns=INDUSTRIES),
        "barra_factor_returns_monthly": pd.DataFrame(
            rng.normal(0, 0.02, (40, 2)), index=months, columns=["size", "beta"]
        ),
    }


def perturb_after(panel: pd.DataFrame, t: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    """Copy of ``panel`` whose rows dated after t are changed (type-appropriately)."""
    out = panel.copy()
    later = out.index > t
    block = out.loc[later]
    if block.dtypes.eq(bool).all():
        out.loc[later] = ~block
    elif block.dtypes.eq(object).all():
        out.loc[later] = rng.permutation(block.to_numpy().ravel()).reshape(block.shape)
    else:
        out.loc[later] = block * rng.uniform(0.5, 1.5, block.shape) + rng.normal(0, 0.01, block.shape)
    return out


MONTHLY_DAILY = "daily month ends"
WEEKLY_DAILY = "daily week ends"
MONTHLY = "monthly panel"

# factor name -> (input names, period grid, keyword args small enough for the test market)
CASES = {
    "momentum": (["close"], MONTHLY_DAILY, {"window": 20}),
    "momentum_zscore": (["ret"], MONTHLY_DAILY, {"window": 20}),
    "momentum_rank_zscore": (["ret"], MONTHLY_DAILY, {"window": 20}),
    "momentum_sharpe": (["ret"], MONTHLY_DAILY, {"window": 20}),
    "momentum_calmar_ratio": (["close"], MONTHLY_DAILY, {"window": 20}),
    "momentum_turnover_adj": (["ret", "turnover"], MONTHLY_DAILY, {"window": 20}),
    "momentum_price_volume_icir": (
        ["close", "amount", "period_returns"],
        MONTHLY_DAILY,
        {"short_window": 5, "long_window": 20, "min_ics": 2},  # ICIR weights active at t
    ),
    "momentum_rebound_with_crowding_filter": (
        ["close", "amount"],
        MONTHLY_DAILY,
        {"window": 20, "crowding_lookback": 40},
    ),
    "momentum_amplitude_cut": (["ret", "amplitude"], MONTHLY_DAILY, {"window": 20, "vol_scale": True}),
    "momentum_pure_liquidity_stripped": (
        ["close", "ret", "turnover"],
        MONTHLY_DAILY,
        {"window": 10, "zscore_lookback": 40, "min_industries": 4},
    ),
    "momentum_residual": (["industry_ret_monthly", "barra_factor_returns_monthly"], MONTHLY, {"lookback": 12}),
    "momentum_cross_industry_lasso": (["industry_ret_monthly"], MONTHLY, {"train_months": 24}),
    "momentum_industry_component": (["stock_ret", "stock_industry"], MONTHLY_DAILY, {"months": 2, "min_stocks": 4}),
    "momentum_pca": (
        ["close", "stock_ret", "stock_float_mcap", "stock_suspended", "stock_industry"],
        WEEKLY_DAILY,
        {"pca_window": 40, "min_names": 3},
    ),
    "momentum_lead_lag_enhanced": (
        ["close", "turnover", "stock_ret", "stock_float_mcap", "stock_industry"],
        MONTHLY_DAILY,
        {"window": 20, "min_stocks": 4},
    ),
}


def grid(market: dict[str, pd.DataFrame], kind: str) -> tuple[pd.DatetimeIndex, pd.Timestamp]:
    """Formation dates for a case and the date t to test (with later formation dates after it)."""
    if kind == MONTHLY:
        ends = pd.DatetimeIndex(market["industry_ret_monthly"].index)
        return ends, ends[-6]
    ends = period_ends(market["ret"].index, "W" if kind == WEEKLY_DAILY else "M")
    return ends, ends[-3] if kind == WEEKLY_DAILY else ends[-2]


def call(name: str, market: dict[str, pd.DataFrame], ends: pd.DatetimeIndex) -> pd.DataFrame:
    inputs, _, kwargs = CASES[name]
    return im.INDUSTRY_MOMENTUM_FACTORS[name](*[market[k] for k in inputs], ends, **kwargs)


def test_cases_cover_every_factor():
    assert set(CASES) == set(im.INDUSTRY_MOMENTUM_FACTORS)
    assert len(CASES) == 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_at_t_ignore_data_after_t(name):
    market = synthetic_market()
    ends, t = grid(market, CASES[name][1])
    if CASES[name][1] != MONTHLY:
        market["period_returns"] = market["close"].loc[ends].pct_change()
    before = call(name, market, ends)
    assert before.loc[t].notna().sum() >= 3, "test market too short: factor not yet warmed up at t"

    rng = np.random.default_rng(11)
    perturbed = {k: perturb_after(v, t, rng) for k, v in market.items()}
    after = call(name, perturbed, ends)

    assert list(after.index) == list(ends)
    pd.testing.assert_frame_equal(after.loc[:t], before.loc[:t])
    assert not after.loc[after.index > t].equals(before.loc[before.index > t]), "perturbation had no effect"
