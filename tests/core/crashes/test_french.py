"""End to end on real history: the Daniel-Moskowitz (2016) time-series branch on Ken French's monthly data.

linearmodels ships French's monthly factors 1949-01..2017-03; Mom stands in for WML, the market variance
and WML variances come from monthly returns. The checks are D&M's qualitative findings; nothing here is
tuned to pass (refit_every=6 only keeps the GARCH refits fast).
"""

import pytest

from momentum_dag.core.crashes import (
    barroso_santa_clara_variance_monthly,
    crash_regressions,
    garch_variance_forecasts_monthly,
    market_state,
    mean_forecast_regressions,
    momentum_strategies,
    sharpe_table,
    to_holding_alignment,
)
from momentum_dag.sources.kenfrench import load_linearmodels_french, time_series_inputs_from_french


@pytest.fixture(scope="module")
def branch():
    wml, excess, total, _ = time_series_inputs_from_french(load_linearmodels_french())
    state = market_state(total, excess)
    variances = to_holding_alignment(garch_variance_forecasts_monthly(wml, refit_every=6))
    bsc = barroso_santa_clara_variance_monthly(wml)
    returns, weights = momentum_strategies(wml, state["bear"], state["market_var"], variances, bsc_var=bsc)
    return {
        "crash": crash_regressions(wml, excess, state["bear"], state["up"]),
        "forecast": mean_forecast_regressions(wml, state["bear"], state["market_var"]),
        "sharpe": sharpe_table(returns),
        "weights": weights,
    }


def test_positive_unconditional_alpha(branch):
    assert branch["crash"].loc[1, "alpha0"] > 0
    assert branch["crash"].loc[1, "alpha0_t"] > 2


def test_bear_market_beta_negative_and_significant(branch):
    assert branch["crash"].loc[2, "betaB"] < 0
    assert branch["crash"].loc[2, "betaB_t"] < -2


def test_bear_variance_interaction_forecasts_lower_returns(branch):
    assert branch["forecast"].loc[4, "gammaInt_t"] < -2


def test_in_sample_sharpe_ordering(branch):
    sharpe = branch["sharpe"]["sharpe"]
    assert sharpe["dyn_is"] > sharpe["cvol_dm"] > sharpe["static"]
    assert (branch["weights"]["dyn_is"] < 0).any()  # dynamic weights may go short, uncapped
