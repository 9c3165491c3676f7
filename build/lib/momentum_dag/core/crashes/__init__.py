"""Daniel & Moskowitz (2016, JFE 122:221-247) "Momentum crashes": the public API in one import.

Modules (each with its own alignment convention stated at the top):
  - ``crashes_wml``: value-weighted 12-2 momentum deciles, monthly and daily WML;
  - ``crashes_state``: bear / up-market indicators and market variance (holding alignment);
  - ``crashes_regressions``: lagged betas, Table 3 crash regressions, Table 5 mean forecasts;
  - ``crashes_volatility``: expanding GJR-GARCH, realized volatility and their blend (formation alignment);
  - ``crashes_strategy``: static, constant-volatility and dynamic strategies, Sharpe table (holding
    alignment).
"""

from momentum_dag.core.crashes.regressions import (
    crash_regressions,
    lagged_beta,
    mean_forecast_regressions,
    rolling_lagged_betas,
)
from momentum_dag.core.crashes.state import (
    bear_indicator,
    market_state,
    market_variance_daily,
    market_variance_monthly,
    up_indicator,
)
from momentum_dag.core.crashes.strategy import (
    barroso_santa_clara_variance_monthly,
    barroso_santa_clara_weights,
    constant_vol_weights_dm,
    dynamic_weights,
    expanding_mean_forecast,
    in_sample_mean_forecast,
    momentum_strategies,
    scale_to_match_vol,
    scale_to_target_vol,
    sharpe_table,
    to_holding_alignment,
)
from momentum_dag.core.crashes.volatility import garch_variance_forecasts, garch_variance_forecasts_monthly
from momentum_dag.core.crashes.wml import (
    assign_deciles,
    decile_daily_returns,
    prior_return_12_2,
    wml_daily,
    wml_portfolios,
)

__all__ = [
    "assign_deciles",
    "barroso_santa_clara_variance_monthly",
    "barroso_santa_clara_weights",
    "bear_indicator",
    "constant_vol_weights_dm",
    "crash_regressions",
    "decile_daily_returns",
    "dynamic_weights",
    "expanding_mean_forecast",
    "garch_variance_forecasts",
    "garch_variance_forecasts_monthly",
    "in_sample_mean_forecast",
    "lagged_beta",
    "market_state",
    "market_variance_daily",
    "market_variance_monthly",
    "mean_forecast_regressions",
    "momentum_strategies",
    "prior_return_12_2",
    "rolling_lagged_betas",
    "scale_to_match_vol",
    "scale_to_target_vol",
    "sharpe_table",
    "to_holding_alignment",
    "up_indicator",
    "wml_daily",
    "wml_portfolios",
]
