"""The registry: one entry per factor, upstream assets derived from the core functions' signatures."""

import inspect

import pandas as pd
import pytest

from momentum_dag.core.industry import INDUSTRY_MOMENTUM_FACTORS
from momentum_dag.registry import FACTORS, INDUSTRY_DAILY, INDUSTRY_MONTHLY, STOCK_DAILY, complete_weeks, factor


def test_every_factor_of_the_seeds_is_registered_once():
    names = [spec.name for spec in FACTORS]
    assert len(names) == len(set(names))
    assert {"mom_12_2", "mom_6_2", "dmom", "dmom_enhanced"} <= set(names)
    assert set(INDUSTRY_MOMENTUM_FACTORS) <= set(names) and len(INDUSTRY_MOMENTUM_FACTORS) == 15
    assert [s.name for s in FACTORS if s.frequency == "W"] == ["momentum_pca"]


@pytest.mark.parametrize("spec", FACTORS, ids=lambda s: s.name)
def test_each_factor_cites_its_source_and_declares_its_windows(spec):
    assert spec.paper and spec.description and spec.windows
    assert spec.n_quantiles == (10 if spec.level == "stock" else 5)


def test_inputs_follow_the_function_signature():
    assert factor("momentum").inputs == (INDUSTRY_DAILY,)
    assert set(factor("momentum_price_volume_icir").inputs) == {INDUSTRY_DAILY, INDUSTRY_MONTHLY}
    assert STOCK_DAILY in factor("momentum_lead_lag_enhanced").inputs
    with pytest.raises(KeyError, match="no registered factor"):
        factor("momentum_typo")


def test_complete_weeks_drops_only_a_week_still_in_progress():
    # Mon 2024-01-01 .. Wed 2024-01-10: the week of Jan 8 has only Mon-Wed in the data.
    days = pd.bdate_range("2024-01-01", "2024-01-10")
    ret = pd.DataFrame({"A": 0.01}, index=days)
    weeks = complete_weeks(ret)
    assert list(weeks.index) == [pd.Timestamp("2024-01-05")]
    assert weeks.loc["2024-01-05", "A"] == pytest.approx(1.01**5 - 1)
    # once Friday is in the data the week is complete
    full = complete_weeks(pd.DataFrame({"A": 0.01}, index=pd.bdate_range("2024-01-01", "2024-01-12")))
    assert list(full.index) == [pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-12")]


def test_the_source_reports_own_windows_are_computed():
    """Haitong (2018) recommends Calmar N = 63 days; Kaiyuan (2020) finds N = 160 with lambda = 70% best."""
    assert 63 in factor("momentum_calmar_ratio").windows
    assert 160 in factor("momentum_amplitude_cut").windows
    keep_share = inspect.signature(INDUSTRY_MOMENTUM_FACTORS["momentum_amplitude_cut"]).parameters["keep_share"]
    assert keep_share.default == 0.7
