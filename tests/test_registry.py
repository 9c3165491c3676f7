"""The registry: one entry per factor, upstream assets derived from the core functions' signatures."""

import inspect

import pytest

from momentum_dag.core.industry import INDUSTRY_MOMENTUM_FACTORS
from momentum_dag.registry import FACTORS, INDUSTRY_DAILY, INDUSTRY_MONTHLY, STOCK_DAILY, factor


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


def test_the_source_reports_own_windows_are_computed():
    """Haitong (2018) recommends Calmar N = 63 days; Kaiyuan (2020) finds N = 160 with lambda = 70% best."""
    assert 63 in factor("momentum_calmar_ratio").windows
    assert 160 in factor("momentum_amplitude_cut").windows
    keep_share = inspect.signature(INDUSTRY_MOMENTUM_FACTORS["momentum_amplitude_cut"]).parameters["keep_share"]
    assert keep_share.default == 0.7
