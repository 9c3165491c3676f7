"""Timing of the factor evaluation: the factor at period end t is compared with the return over (t, t+1],
by hand, for a monthly stock factor, a monthly industry factor and the weekly industry factor.

The forward returns are lined up in ``assets.factors.evaluation`` (``evaluation_inputs``), so the tests
run ``evaluate_rows`` on a small in-memory panels object offering the ``MarketPanels`` reads it uses.
"""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.factors.evaluation import evaluate_rows
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.frames import to_long
from momentum_dag.registry import factor
from momentum_dag.settings import Settings

SETTINGS = Settings()


class FakePanels:
    """The panel reads of ``evaluate_rows``: stock monthly returns and caps, formation-day flags (all
    tradable, listed long enough) and industry daily returns."""

    def __init__(self, stock_monthly: pd.DataFrame | None = None, industry_daily: pd.DataFrame | None = None):
        self._stock_monthly = stock_monthly
        self._industry_daily = industry_daily

    def stock_monthly(self, value: str) -> pd.DataFrame:
        if value == "ret":
            return self._stock_monthly
        if value == "float_mcap":
            return pd.DataFrame(1.0, index=self._stock_monthly.index, columns=self._stock_monthly.columns)
        raise KeyError(value)

    def stock_at_month_ends(self, value: str) -> pd.DataFrame:
        fill = {"is_suspended": False, "is_st": False, "is_limit_up": False, "listed_days": 1000}[value]
        return pd.DataFrame(fill, index=self._stock_monthly.index, columns=self._stock_monthly.columns)

    def industry_daily(self, value: str) -> pd.DataFrame:
        assert value == "ret_cw"
        return self._industry_daily

    tradable_at = MarketPanels.tradable_at  # the real mask, over the flags above


MONTHS = pd.date_range("2021-01-29", periods=4, freq="BME", name="date")
STOCKS = [f"s{i}" for i in range(10)]


def test_stock_factor_at_t_is_scored_against_month_t_plus_1():
    """Factor at m1 = 1..10. Month m2 returns rise with the factor (IC +1 if scored on m2); month m1's
    own returns fall with it (IC -1 if scored on the same month)."""
    ranks = np.arange(1, 11, dtype=float)
    returns = pd.DataFrame(0.0, index=MONTHS, columns=STOCKS)
    returns.loc[MONTHS[1]] = -0.01 * ranks
    returns.loc[MONTHS[2]] = 0.002 * ranks**2  # monotone, not linear: rank IC 1, Pearson below 1
    returns.loc[MONTHS[3]] = 0.05
    values = pd.DataFrame([ranks, ranks, ranks], index=MONTHS[1:], columns=STOCKS)
    rows = to_long(values, window=0)
    out = evaluate_rows(
        factor("mom_12_2"),
        rows,
        FakePanels(stock_monthly=returns),
        SETTINGS,
        MONTHS[0].date(),
        (MONTHS[-1] + pd.Timedelta(days=1)).date(),
    )
    out = out.set_index("period_end")
    # m3 has no month after it in the data: no row; m2 is scored on m3's flat returns (no rank IC)
    assert list(out.index) == [MONTHS[1]]
    assert out.loc[MONTHS[1], "rank_ic"] == pytest.approx(1.0)
    assert out.loc[MONTHS[1], "ic"] == pytest.approx(np.corrcoef(ranks, 0.002 * ranks**2)[0, 1])
    # deciles of 10 names: one stock each; long-short = top - bottom of month m2
    assert out.loc[MONTHS[1], "long_short_ew"] == pytest.approx(0.002 * (100 - 1))
    assert out.loc[MONTHS[1], "q10"] == pytest.approx(0.2)


def _industry_days(freq_days: pd.DatetimeIndex, daily: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(daily, index=pd.DatetimeIndex(freq_days, name="date"), columns=["I1", "I2", "I3", "I4", "I5"])


def test_monthly_industry_factor_at_t_is_scored_against_the_next_months_compounded_return():
    days = pd.DatetimeIndex(["2021-01-28", "2021-01-29", "2021-02-25", "2021-02-26", "2021-03-30", "2021-03-31"])
    daily = np.array(
        [
            [0.01, 0.02, 0.03, 0.04, 0.05],
            [0.05, 0.04, 0.03, 0.02, 0.01],
            [0.02, -0.01, 0.00, 0.03, 0.01],  # February: the month after the January formation
            [0.01, 0.02, -0.02, 0.01, 0.04],
            [0.09, 0.00, 0.00, 0.00, -0.09],
            [0.00, 0.00, 0.00, 0.00, 0.00],
        ]
    )
    panels = FakePanels(industry_daily=_industry_days(days, daily))
    jan, feb = pd.Timestamp("2021-01-29"), pd.Timestamp("2021-02-26")
    values = pd.DataFrame(
        [[5.0, 1.0, 2.0, 4.0, 3.0], [1.0, 2.0, 3.0, 4.0, 5.0]], index=[jan, feb], columns=["I1", "I2", "I3", "I4", "I5"]
    )
    out = evaluate_rows(
        factor("momentum"), to_long(values, window=20), panels, SETTINGS, jan.date(), pd.Timestamp("2021-04-01").date()
    ).set_index("period_end")
    february = (1 + daily[2]) * (1 + daily[3]) - 1
    assert out.loc[jan, "ic"] == pytest.approx(np.corrcoef(values.loc[jan], february)[0, 1])
    march = (1 + daily[4]) * (1 + daily[5]) - 1
    assert out.loc[feb, "ic"] == pytest.approx(np.corrcoef(values.loc[feb], march)[0, 1])
    assert out.loc[feb, "rank_ic"] == pytest.approx(-np.sqrt(0.8))  # ranks 1..5 vs 5, 3, 3, 3, 1
    # quintiles of 5 industries: long-short = the top-ranked industry's next month minus the bottom one's
    assert out.loc[jan, "long_short_ew"] == pytest.approx(february[0] - february[1])


def test_weekly_factor_at_a_week_end_is_scored_against_the_next_complete_week():
    days = pd.bdate_range("2021-03-01", "2021-03-19")  # three complete Monday-Friday weeks
    rng = np.random.default_rng(4)
    daily = rng.normal(0, 0.01, (len(days), 5))
    panels = FakePanels(industry_daily=_industry_days(days, daily))
    fridays = pd.DatetimeIndex(["2021-03-05", "2021-03-12", "2021-03-19"])
    values = pd.DataFrame(rng.normal(size=(3, 5)), index=fridays, columns=["I1", "I2", "I3", "I4", "I5"])
    spec = factor("momentum_pca")
    assert spec.frequency == "W" and spec.periods_per_year == 52
    out = evaluate_rows(
        spec, to_long(values, window=10), panels, SETTINGS, fridays[0].date(), pd.Timestamp("2021-03-20").date()
    ).set_index("period_end")
    assert list(out.index) == list(fridays[:2])  # the last week has no next week in the data
    for k, friday in enumerate(fridays[:2]):
        next_week = np.prod(1 + daily[5 * (k + 1) : 5 * (k + 2)], axis=0) - 1
        assert out.loc[friday, "ic"] == pytest.approx(np.corrcoef(values.loc[friday], next_week)[0, 1])
