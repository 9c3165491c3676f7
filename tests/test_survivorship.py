"""Survivorship, fast: stocks that delist after t still count in every industry input at t.

A small synthetic market (60 stocks, 4 industries, 2016-2017) is perturbed after a cut (one stock in eight
delists within 15 trading days of it, others list, move industry, miss days; ``tests/lookahead.py``); the
industry marts and every industry factor built from constituent stocks must then agree at or before the
cut with the unperturbed market. An industry input restricted to the stocks still trading at the end of
the panel (the survivors) changes there. The slow sweep (``tests/test_lookahead.py``) checks every factor
on a longer market; this one runs in seconds.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from momentum_dag.assets.panels import MarketPanels
from momentum_dag.registry import FACTORS
from momentum_dag.settings import Settings
from tests.lookahead import assert_no_lookahead, build_panels, perturb_after, simulate

CUT = pd.Timestamp("2017-06-30")


@pytest.fixture(scope="module")
def markets():
    market = simulate(n_stocks=60, n_industries=4, start=date(2016, 1, 1), end=date(2017, 12, 1), seed=3)
    perturbed = perturb_after(market, CUT, seed=2)
    return build_panels(market), build_panels(perturbed)


def test_stocks_delisted_after_the_cut_keep_their_history_in_the_industry_stock_panels(markets):
    base, perturbed = markets
    delisted = set(base.stock_daily("ret").columns[base.stock_daily("ret").iloc[-1].notna()]) - set(
        perturbed.stock_daily("ret")
        .loc[perturbed.stock_daily("ret").index > CUT + pd.Timedelta(days=40)]
        .dropna(axis=1, how="all")
        .columns
    )
    assert len(delisted) >= 4
    for value in ("ret", "float_mcap", "industry_code"):
        early = perturbed.stock_daily_on_industry_days(value).loc[:CUT, sorted(delisted)]
        pd.testing.assert_frame_equal(early, base.stock_daily_on_industry_days(value).loc[:CUT, sorted(delisted)])
        assert early.notna().to_numpy().mean() > 0.5


@pytest.mark.parametrize("read", ["ret_cw", "turnover", "amplitude"])
def test_industry_marts_at_or_before_the_cut_ignore_later_delistings(markets, read):
    base, perturbed = markets
    before, after = base.industry_daily(read).loc[:CUT], perturbed.industry_daily(read).loc[:CUT]
    assert before.notna().to_numpy().sum() > 100
    pd.testing.assert_frame_equal(before, after, rtol=1e-9, check_dtype=False)
    pd.testing.assert_frame_equal(
        base.industry_monthly("ret_cw").loc[:CUT], perturbed.industry_monthly("ret_cw").loc[:CUT], rtol=1e-9
    )


CONSTITUENT_FACTORS = [
    pytest.param(spec, min(spec.windows), id=spec.name)
    for spec in FACTORS
    if spec.level == "industry" and any(str(i) == "marts.stock_returns_daily" for i in spec.inputs)
]


@pytest.mark.parametrize(("spec", "window"), CONSTITUENT_FACTORS)
def test_industry_factors_from_constituents_at_t_ignore_later_delistings(markets, spec, window):
    base, perturbed = markets
    settings = Settings()
    assert_no_lookahead(
        lambda p: spec.evaluate(MarketPanels(p.warehouse, end=p.end), window, settings).rows,
        base,
        perturbed,
        CUT,
        date_column="period_end",
        name=f"{spec.name}[{window}]",
        max_gap_days=10,
    )
