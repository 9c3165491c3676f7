"""Annualization follows the series' frequency: sqrt(52) / x52 for weekly, sqrt(12) / x12 for monthly,
for the Sharpe ratio, the volatility, the mean and geometric returns and the ICIR, by hand; and the
registry's weekly factor reaches ``eval.summary`` with 52.

Returns r = .01, .03, -.02, .04: mean .015, deviations -.005, .015, -.035, .025, sum of squares .0021,
std (ddof 1) = sqrt(.0007); growth 1.01 x 1.03 x .98 x 1.04 = 1.06027376.
ICs .05, .10, -.02, .07: mean .05, sum of squared deviations .0078, std sqrt(.0026), ICIR .05/sqrt(.0026):
annualized sqrt(12 x .0025 / .0026) monthly and sqrt(52 x .0025 / .0026) = sqrt(50) weekly.
"""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.factors.report import factor_summaries
from momentum_dag.core.crashes.strategy import sharpe_table
from momentum_dag.core.evaluation.engine import FactorEvaluation
from momentum_dag.core.evaluation.ic import ic_summary
from momentum_dag.core.evaluation.performance import (
    annualized_mean_return,
    annualized_return,
    annualized_volatility,
    sharpe_ratio,
)
from momentum_dag.registry import FACTORS

R = pd.Series([0.01, 0.03, -0.02, 0.04])
STD = np.sqrt(0.0021 / 3)
IC = pd.Series([0.05, 0.10, -0.02, 0.07])
FREQUENCIES = [pytest.param(12, id="monthly"), pytest.param(52, id="weekly")]


@pytest.mark.parametrize("ppy", FREQUENCIES)
def test_sharpe_volatility_and_returns_by_hand(ppy):
    assert sharpe_ratio(R, ppy) == pytest.approx(0.015 / STD * np.sqrt(ppy))
    assert annualized_volatility(R, ppy) == pytest.approx(STD * np.sqrt(ppy))
    assert annualized_mean_return(R, ppy) == pytest.approx(0.015 * ppy)
    assert annualized_return(R, ppy) == pytest.approx(1.06027376 ** (ppy / 4) - 1)


def test_weekly_and_monthly_numbers():
    assert sharpe_ratio(R, 12) == pytest.approx(1.963961, rel=1e-6)
    assert sharpe_ratio(R, 52) == pytest.approx(4.088310, rel=1e-6)  # 2.08x the monthly figure
    assert annualized_volatility(R, 52) == pytest.approx(0.190788, rel=1e-5)


@pytest.mark.parametrize("ppy", FREQUENCIES)
def test_icir_by_hand(ppy):
    out = ic_summary(IC, ppy)
    assert out["icir"] == pytest.approx(0.05 / np.sqrt(0.0026))  # per period: never annualized
    assert out["icir_annualized"] == pytest.approx(np.sqrt(ppy * 0.0025 / 0.0026))
    assert out["t_stat"] == pytest.approx(0.05 / np.sqrt(0.0026) * 2)  # sqrt(n), whatever the frequency
    assert ic_summary(IC, 52)["icir_annualized"] == pytest.approx(np.sqrt(50))


def _per_period(n_quantiles: int = 2) -> pd.DataFrame:
    """A per-period evaluation table whose long-short (top quantile R, the others 0) is R and whose ICs are IC."""
    return pd.DataFrame(
        {
            "period_end": pd.date_range("2021-03-05", periods=4, freq="W-FRI"),
            "ic": IC,
            "rank_ic": IC,
            **{f"q{q}": [0.0] * 4 for q in range(1, n_quantiles)},
            f"q{n_quantiles}": R,
            "universe_ew": R / 2,
            "long_short_ew": R,
            "long_only_excess_ew": R / 2,
            "top_turnover": [np.nan, 0.5, 0.5, 0.0],
            "window": 10,
        }
    )


@pytest.mark.parametrize("ppy", FREQUENCIES)
def test_evaluation_summary_annualizes_with_its_periods_per_year(ppy):
    summary = FactorEvaluation(_per_period(), 2, ppy, ("equal",)).summary()
    assert summary["long_short_sharpe"] == pytest.approx(0.015 / STD * np.sqrt(ppy))
    assert summary["long_short_ann_volatility"] == pytest.approx(STD * np.sqrt(ppy))
    assert summary["long_short_ann_return"] == pytest.approx(0.015 * ppy)
    assert summary["long_only_excess_ann_return"] == pytest.approx(0.0075 * ppy)
    assert summary["rank_icir_annualized"] == pytest.approx(np.sqrt(ppy * 0.0025 / 0.0026))
    assert summary["icir"] == pytest.approx(0.05 / np.sqrt(0.0026))


def test_registered_frequencies_reach_the_summary_table():
    by_frequency = {spec.frequency: spec for spec in FACTORS}
    assert {spec.name for spec in FACTORS if spec.frequency == "W"} == {"momentum_pca"}
    for frequency, ppy in (("W", 52), ("M", 12)):
        spec = by_frequency[frequency]
        assert spec.periods_per_year == ppy
        row = factor_summaries(spec, _per_period(spec.n_quantiles)).iloc[0]
        assert row["frequency"] == frequency
        assert row["long_short_sharpe"] == pytest.approx(0.015 / STD * np.sqrt(ppy))
        assert row["long_short_ann_volatility"] == pytest.approx(STD * np.sqrt(ppy))
        assert row["rank_icir_annualized"] == pytest.approx(np.sqrt(ppy * 0.0025 / 0.0026))


@pytest.mark.parametrize("ppy", FREQUENCIES)
def test_strategy_sharpe_table_annualizes_with_its_periods_per_year(ppy):
    table = sharpe_table(
        pd.DataFrame({"s": R.to_numpy()}, index=pd.date_range("2021-01-31", periods=4, freq="ME")), periods_per_year=ppy
    )
    assert table.loc["s", "sharpe"] == pytest.approx(0.015 / STD * np.sqrt(ppy))
    assert table.loc["s", "vol_ann"] == pytest.approx(STD * np.sqrt(ppy))
    assert table.loc["s", "mean_ann"] == pytest.approx(0.015 * ppy)
