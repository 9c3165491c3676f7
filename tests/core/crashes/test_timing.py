"""Timing in the Daniel-Moskowitz (2016) study: a portfolio or weight formed at the close of month t earns
month t+1's return and sits on row t+1 (holding alignment), by hand for WML and for every strategy."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.crashes.study import wml_tables
from momentum_dag.core.crashes.wml import wml_portfolios
from tests.core.crashes.strategy_example import MONTHS as EXAMPLE_MONTHS
from tests.core.crashes.strategy_example import PARAMS, example, run

MONTHS = pd.date_range("2021-01-31", periods=13, freq="ME")
STOCKS = ["W1", "W2", "L1", "L2"]


def _two_decile_market() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Winners W1, W2 earn +2% a month and losers L1, L2 -2% in months 0..10; month 11 (the formation
    month, skipped by 12-2) reverses the ranking; month 12 is the holding month. Caps at t=11: 1, 3, 2, 2."""
    ret = pd.DataFrame({"W1": 0.02, "W2": 0.02, "L1": -0.02, "L2": -0.02}, index=MONTHS)
    ret.loc[MONTHS[11]] = [-0.30, -0.30, 0.30, 0.30]
    ret.loc[MONTHS[12]] = [0.05, 0.01, -0.02, 0.04]
    mcap = pd.DataFrame(np.tile([1.0, 3.0, 2.0, 2.0], (13, 1)), index=MONTHS, columns=STOCKS)
    return ret, mcap


def test_wml_formed_at_t_earns_month_t_plus_1_on_row_t_plus_1():
    ret, mcap = _two_decile_market()
    deciles, wml, formation = wml_portfolios(ret, mcap, n_deciles=2)
    # formed at month 11 (past return over months 0..10), held over month 12:
    # d2 = (1 x .05 + 3 x .01) / 4 = .02, d1 = (2 x -.02 + 2 x .04) / 4 = .01, WML = .01 on row 12
    assert wml.dropna().index.tolist() == [MONTHS[12]]
    assert deciles.loc[MONTHS[12]].tolist() == pytest.approx([0.01, 0.02])
    assert wml.loc[MONTHS[12]] == pytest.approx(0.01)
    # the month-11 return (the formation month) neither ranks the stocks nor is earned
    at_11 = formation[formation["period_end"] == MONTHS[11]].set_index("stock_id")
    assert at_11["decile"].to_dict() == {"W1": 2, "W2": 2, "L1": 1, "L2": 1}
    assert at_11.loc["W1", "past_ret"] == pytest.approx(1.02**11 - 1)


def test_daily_wml_of_month_t_plus_1_holds_the_month_t_formation_buy_and_hold():
    ret, mcap = _two_decile_market()
    days = pd.DatetimeIndex(["2021-12-30", "2021-12-31", "2022-01-03", "2022-01-04"])  # months 11 and 12
    daily = pd.DataFrame(
        {
            "W1": [0.5, 0.5, 0.02, 0.03],
            "W2": [0.5, 0.5, 0.01, -0.01],
            "L1": [-0.5, -0.5, 0.0, 0.01],
            "L2": [-0.5, -0.5, -0.01, 0.02],
        },
        index=days,
    )
    tables = wml_tables(ret, mcap, daily, replace(PARAMS, n_deciles=2))
    out = tables["daily"].set_index("trade_date")
    # December days (month 11) have no formation from November: left out; January uses the month-11 caps,
    # drifting with each stock's own return inside the month (buy and hold).
    assert out.index.tolist() == list(days[2:])
    d2_day1 = (1 * 0.02 + 3 * 0.01) / 4
    d1_day1 = (2 * 0.0 + 2 * -0.01) / 4
    d2_day2 = (1 * 1.02 * 0.03 + 3 * 1.01 * -0.01) / (1 * 1.02 + 3 * 1.01)
    d1_day2 = (2 * 1.0 * 0.01 + 2 * 0.99 * 0.02) / (2 * 1.0 + 2 * 0.99)
    assert out["wml"].tolist() == pytest.approx([d2_day1 - d1_day1, d2_day2 - d1_day2])
    assert tables["monthly"].set_index("period_end").loc[MONTHS[12], "wml"] == pytest.approx(0.01)


# ---- every strategy ---------------------------------------------------------------------------------

EXAMPLE = example()
BASE = run(EXAMPLE)
FIRST = BASE.weights.index[0]  # month 5: every strategy defined from here (dyn_oos needs 3 months of x)
STRATEGIES = ["static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"]


def _shape(result) -> pd.DataFrame:
    """Weights divided by each strategy's first weight: the ex-post volatility scalar cancels."""
    return result.weights / result.weights.loc[FIRST]


def _moved(bumped: pd.DataFrame) -> pd.Series:
    """First month whose (scale-free) weight moved, per strategy (NaT: none)."""
    diff = ~np.isclose(bumped, _shape(BASE), rtol=1e-12, atol=0)
    frame = pd.DataFrame(diff, index=bumped.index, columns=bumped.columns)
    return frame.apply(lambda col: col.index[col.to_numpy()].min() if col.any() else pd.NaT)


def test_every_strategy_earns_month_t_with_a_weight_known_at_t_minus_1():
    assert list(BASE.returns.columns) == STRATEGIES and not BASE.notes
    # returns are weight_t x WML_t (the month's own WML, never the next one)
    wml = pd.Series(EXAMPLE.wml, index=EXAMPLE_MONTHS).reindex(BASE.returns.index)
    pd.testing.assert_frame_equal(BASE.returns, BASE.weights.mul(wml, axis=0))


@pytest.mark.parametrize(
    ("bump", "moves"),
    [
        # forecasts made at the close of month 6 -> weights of month 7
        ({"rv_var": (6, 3e-4)}, {"cvol_dm": 7, "dyn_oos": 7}),
        ({"blend_var": (6, 3e-4)}, {"dyn_is": 7}),
        # daily WML of month 6 -> the Barroso-Santa-Clara variance of month 7
        ({"wml_daily": (6 * 4 + 2, 0.02)}, {"cvol_bsc": 7}),
        # WML of month 6 is earned in month 6; it enters the OOS mean regression from month 7 on
        # (and the in-sample regression everywhere, in sample by construction: month 6 is the first month
        # after the first common month 5, which every weight is divided by)
        ({"wml": (6, 0.05)}, {"dyn_oos": 7, "dyn_is": 6}),
    ],
    ids=["rv_forecast", "blend_forecast", "daily_wml", "monthly_wml"],
)
def test_information_of_month_6_moves_weights_from_month_7(bump, moves):
    moved = _moved(_shape(run(EXAMPLE.bump(**bump))))
    for strategy in STRATEGIES:
        if strategy in moves:
            assert moved[strategy] == EXAMPLE_MONTHS[moves[strategy]], strategy
        else:
            assert pd.isna(moved[strategy]), strategy


def test_market_returns_of_month_6_move_the_state_and_dynamic_weights_from_month_7():
    # a market shock on a day of month 6 changes sigma^2_m,6 (and the bear state of months 7 and 8)
    bumped = EXAMPLE.bump(market_daily=(6 * 4 + 1, -0.08))
    moved = _moved(_shape(run(bumped)))
    assert moved["dyn_oos"] == pd.Timestamp("2020-08-31")
    assert pd.isna(moved["static"]) and pd.isna(moved["cvol_dm"]) and pd.isna(moved["cvol_bsc"])
