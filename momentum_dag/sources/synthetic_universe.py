"""The static side of the synthetic market, drawn once per config: stocks, industries, listing schedule.

Everything here is fixed at construction (one RNG stream seeded by the config seed), so that any date
range asked of the simulator sees the same companies, IPO dates and industry switches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

# Shenwan level-1 industries (2021 classification), in English.
SHENWAN_L1_NAMES = (
    "Agriculture, Forestry, Husbandry & Fishery",
    "Basic Chemicals",
    "Steel",
    "Non-ferrous Metals",
    "Electronics",
    "Automobiles",
    "Household Appliances",
    "Food & Beverage",
    "Textiles & Apparel",
    "Light Manufacturing",
    "Pharmaceuticals & Biotechnology",
    "Utilities",
    "Transportation",
    "Real Estate",
    "Commerce & Retail",
    "Social Services",
    "Banks",
    "Non-bank Financials",
    "Conglomerates",
    "Building Materials",
    "Building Decoration",
    "Power Equipment",
    "Machinery",
    "Defense & Military",
    "Computers",
    "Media",
    "Telecommunications",
    "Coal",
    "Petroleum & Petrochemicals",
    "Environmental Protection",
    "Beauty & Personal Care",
)
# Book equity / total assets by industry: banks and brokers are highly levered.
_EQUITY_RATIO = {"Banks": 0.08, "Non-bank Financials": 0.2, "Real Estate": 0.25}

LISTED_AT_START = 0.6  # share of stocks already listed on the first simulated day
IPO_YEARS = 10  # the other stocks list uniformly over this many years
IPO_DAY_RETURN = (0.15, 0.44)  # first-day return range; 44% is the A-share main-board IPO-day cap
SWITCH_SHARE = 0.02  # stocks reclassified once into another industry
SWITCH_AFTER_DAYS = (120, 1500)  # trading days after listing (or start) when the switch happens
LEAD_LAG_SHARE = 0.25  # share of industries whose monthly drift follows a leader industry
TRADING_DAYS_PER_YEAR = 245


@dataclass(frozen=True)
class Universe:
    """Per-stock and per-industry constants. Arrays have length ``n_stocks`` unless stated.

    ``ipo_day`` and ``switch_day`` are indices into the simulator's trading calendar (day 0 = first
    trading day on or after the config start); ``ipo_day == -1`` means listed before the start and
    ``switch_day == -1`` means the stock never changes industry.
    """

    stock_ids: np.ndarray  # str, "S00001", ...
    industry_codes: tuple[str, ...]  # "I01", ... (length n_industries)
    industry_names: tuple[str, ...]
    industry: np.ndarray  # int, first industry
    switch_day: np.ndarray  # int
    switch_industry: np.ndarray  # int, industry after the switch (== industry if none)
    ipo_day: np.ndarray  # int
    ipo_return: np.ndarray  # first-day return of IPO stocks
    first_price: np.ndarray  # price before the first simulated day (offer price for IPO stocks)
    total_shares: np.ndarray
    float_shares: np.ndarray
    beta: np.ndarray  # base market beta
    idio_vol: np.ndarray  # daily idiosyncratic volatility (unconditional)
    turnover: np.ndarray  # typical daily turnover (fraction of float)
    roe_mean: np.ndarray  # long-run annual return on equity
    growth_mean: np.ndarray  # long-run quarterly log asset growth
    equity_ratio: np.ndarray  # initial book equity / total assets
    asset_turnover: np.ndarray  # revenue / assets
    book_to_market: np.ndarray  # initial book / total market cap
    lead_lag_followers: np.ndarray  # industry indices whose drift follows ...
    lead_lag_leaders: np.ndarray  # ... these leaders (same length)

    @property
    def n_stocks(self) -> int:
        return len(self.stock_ids)

    @property
    def n_industries(self) -> int:
        return len(self.industry_codes)


def industry_names(n_industries: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Codes ``I01``.. and Shenwan-like names; industries beyond the 31 Shenwan ones are "Industry NN"."""
    width = max(2, len(str(n_industries)))
    codes = tuple(f"I{k + 1:0{width}d}" for k in range(n_industries))
    names = tuple(
        SHENWAN_L1_NAMES[k] if k < len(SHENWAN_L1_NAMES) else f"Industry {k + 1}" for k in range(n_industries)
    )
    return codes, names


def draw_universe(n_stocks: int, n_industries: int, seed: int) -> Universe:
    """Draw the companies: industries (uneven sizes), listing schedule, shares, betas, vols, accounting."""
    rng = np.random.default_rng([seed, 0])
    codes, names = industry_names(n_industries)
    n, k = n_stocks, n_industries

    # Uneven industry sizes; the first 2k stocks cover every industry twice so none is empty.
    industry = rng.choice(k, size=n, p=rng.dirichlet(np.full(k, 4.0)))
    industry[: 2 * k] = np.arange(2 * k) % k

    ipo_horizon = IPO_YEARS * TRADING_DAYS_PER_YEAR
    is_ipo = rng.random(n) >= LISTED_AT_START
    ipo_day = np.where(is_ipo, rng.integers(1, ipo_horizon, size=n), -1)
    ipo_return = rng.uniform(*IPO_DAY_RETURN, size=n)

    switches = rng.random(n) < SWITCH_SHARE
    switch_day = np.where(switches, np.maximum(ipo_day, 0) + rng.integers(*SWITCH_AFTER_DAYS, size=n), -1)
    switch_industry = np.where(switches, (industry + rng.integers(1, k, size=n)) % k, industry)

    # Cross-sectional size dispersion: total cap lognormal around 6bn yuan; IPOs float about a quarter.
    first_price = np.exp(rng.normal(np.log(np.where(is_ipo, 12.0, 10.0)), 0.5))
    total_mcap = np.exp(rng.normal(np.log(6e9), 1.0, size=n))
    total_shares = total_mcap / first_price
    float_share = np.where(is_ipo, rng.uniform(0.2, 0.35, size=n), rng.uniform(0.35, 1.0, size=n))
    size_z = (np.log(total_mcap) - np.log(6e9)) / 1.0

    beta = np.clip(1.0 + 0.15 * rng.standard_normal(n), 0.5, 1.5)
    idio_vol = 0.018 * np.exp(0.2 * rng.standard_normal(n) - 0.12 * size_z)
    turnover = 0.015 * np.exp(0.4 * rng.standard_normal(n) - 0.2 * size_z)

    equity_ratio = np.array([_EQUITY_RATIO.get(names[j], np.nan) for j in industry])
    equity_ratio = np.where(np.isnan(equity_ratio), rng.uniform(0.35, 0.65, size=n), equity_ratio)

    n_followers = max(1, round(LEAD_LAG_SHARE * k)) if k >= 4 else 1
    order = rng.permutation(k)
    followers, leaders = order[:n_followers], order[n_followers : 2 * n_followers]
    if len(leaders) < n_followers:  # tiny industry counts: leaders may repeat
        leaders = order[n_followers:][np.arange(n_followers) % (k - n_followers)]

    return Universe(
        stock_ids=np.array([f"S{i + 1:05d}" for i in range(n)], dtype=object),
        industry_codes=codes,
        industry_names=names,
        industry=industry,
        switch_day=switch_day,
        switch_industry=switch_industry,
        ipo_day=ipo_day,
        ipo_return=ipo_return,
        first_price=first_price,
        total_shares=total_shares,
        float_shares=total_shares * float_share,
        beta=beta,
        idio_vol=idio_vol,
        turnover=turnover,
        roe_mean=rng.normal(0.08, 0.06, size=n),
        growth_mean=rng.normal(0.02, 0.015, size=n),
        equity_ratio=equity_ratio,
        asset_turnover=np.exp(rng.normal(np.log(0.6), 0.5, size=n)),
        book_to_market=np.exp(rng.normal(np.log(0.45), 0.5, size=n)),
        lead_lag_followers=followers,
        lead_lag_leaders=leaders,
    )


def membership_rows(
    universe: Universe,
    calendar: pd.DatetimeIndex,
    history_start: date,
    window: tuple[pd.Timestamp, pd.Timestamp],
    request_end: pd.Timestamp,
) -> pd.DataFrame:
    """Industry spells whose ``in_date`` falls in ``window`` = [lo, hi), in the raw contract's columns.

    A stock's first spell starts at its listing day (``history_start`` for stocks listed before the
    simulation starts); a switcher's second spell starts at its switch day. ``out_date`` is shown only if
    it is before ``request_end`` (the end of the whole request), so a row never reveals a future switch.
    """
    u = universe
    days = calendar.to_numpy().astype("datetime64[us]")
    listed_from = np.where(u.ipo_day >= 0, days[np.maximum(u.ipo_day, 0)], np.datetime64(history_start, "us"))
    has_switch = u.switch_day >= 0
    switch_date = np.where(has_switch, days[np.maximum(u.switch_day, 0)], np.datetime64("NaT", "us"))
    first = pd.DataFrame(
        {
            "stock_id": u.stock_ids,
            "in_date": listed_from,
            "industry": u.industry,
            "out_date": switch_date,
        }
    )
    second = pd.DataFrame(
        {
            "stock_id": u.stock_ids[has_switch],
            "in_date": switch_date[has_switch],
            "industry": u.switch_industry[has_switch],
            "out_date": pd.NaT,
        }
    )
    spells = pd.concat([first, second], ignore_index=True)
    spells["out_date"] = spells["out_date"].astype("datetime64[us]")
    lo, hi = window
    spells = spells[(spells["in_date"] >= lo) & (spells["in_date"] < hi)]
    spells = spells.assign(out_date=spells["out_date"].where(spells["out_date"] < request_end))
    codes, names = np.array(u.industry_codes, dtype=object), np.array(u.industry_names, dtype=object)
    out = pd.DataFrame(
        {
            "stock_id": spells["stock_id"].astype("str"),
            "in_date": spells["in_date"],
            "industry_code": pd.Series(codes[spells["industry"].to_numpy()], index=spells.index, dtype="str"),
            "industry_name": pd.Series(names[spells["industry"].to_numpy()], index=spells.index, dtype="str"),
            "out_date": spells["out_date"].astype("datetime64[us]"),
        }
    )
    return out.sort_values(["in_date", "stock_id"], kind="stable").reset_index(drop=True)
