"""Industry momentum factors from the sell-side reports on Shenwan L1 industries (each cited in its function).

One import point for the fifteen factors; the code lives in one module per family:

- ``industry_momentum_basic``: momentum, momentum_zscore, momentum_rank_zscore, momentum_sharpe,
  momentum_calmar_ratio (daily industry panels).
- ``industry_momentum_smoothed``: momentum_turnover_adj, momentum_price_volume_icir,
  momentum_rebound_with_crowding_filter, momentum_amplitude_cut (daily industry panels).
- ``industry_momentum_idiosyncratic``: momentum_pure_liquidity_stripped (daily), momentum_residual
  (monthly industry returns on Barra style factor returns).
- ``industry_momentum_cross``: momentum_cross_industry_lasso (monthly industry returns).
- ``industry_momentum_within``: momentum_industry_component, momentum_pca (weekly),
  momentum_lead_lag_enhanced (constituent-level daily panels with point-in-time industry labels).

Every function takes its input panels and ``period_ends`` (formation dates present in the input index)
and returns a wide panel indexed by ``period_ends`` (named ``date``) with one column per industry, NaN
before the factor's warm-up. Parameters are keyword-only with the reports' defaults.
"""

from __future__ import annotations

from momentum_dag.core.industry.basic import (
    momentum,
    momentum_calmar_ratio,
    momentum_rank_zscore,
    momentum_sharpe,
    momentum_zscore,
)
from momentum_dag.core.industry.cross import momentum_cross_industry_lasso
from momentum_dag.core.industry.idiosyncratic import (
    momentum_pure_liquidity_stripped,
    momentum_residual,
)
from momentum_dag.core.industry.smoothed import (
    momentum_amplitude_cut,
    momentum_price_volume_icir,
    momentum_rebound_with_crowding_filter,
    momentum_turnover_adj,
)
from momentum_dag.core.industry.within import (
    momentum_industry_component,
    momentum_lead_lag_enhanced,
    momentum_pca,
)

INDUSTRY_MOMENTUM_FACTORS = {
    f.__name__: f
    for f in (
        momentum,
        momentum_zscore,
        momentum_rank_zscore,
        momentum_sharpe,
        momentum_calmar_ratio,
        momentum_turnover_adj,
        momentum_price_volume_icir,
        momentum_rebound_with_crowding_filter,
        momentum_amplitude_cut,
        momentum_pure_liquidity_stripped,
        momentum_residual,
        momentum_cross_industry_lasso,
        momentum_industry_component,
        momentum_pca,
        momentum_lead_lag_enhanced,
    )
}

__all__ = ["INDUSTRY_MOMENTUM_FACTORS", *INDUSTRY_MOMENTUM_FACTORS]
