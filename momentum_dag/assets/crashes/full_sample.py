"""Unpartitioned Daniel-Moskowitz (2016) assets over the full warehouse history: the Sec. 5 strategies and
the Table 3 / Table 5 regressions. They need full-sample estimates (in-sample dynamic mean, ex-post
volatility scalar, full-sample OLS), so they are rebuilt whole from the monthly model tables.
"""

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from momentum_dag.assets.checks import crash_nobs_check, crash_nobs_check_spec
from momentum_dag.assets.common import replace_study_tables, require_rows
from momentum_dag.assets.crashes.series import VARIANCE_COLUMNS, crash_params
from momentum_dag.core.crashes.regressions import CRASH_TERMS, FORECAST_TERMS
from momentum_dag.core.crashes.strategy import barroso_santa_clara_weights, to_holding_alignment
from momentum_dag.core.crashes.study import regression_frame, run_regressions, run_strategies, strategy_frames
from momentum_dag.names import (
    CRASH_MEAN_FORECAST,
    CRASH_NOTES,
    CRASH_REGRESSIONS,
    MARKET_STATE,
    STRATEGIES_KEY,
    STRATEGY_RETURNS,
    STRATEGY_SUMMARY,
    STRATEGY_WEIGHTS,
    WML_DAILY,
    WML_KEY,
    WML_MONTHLY,
    WML_VARIANCE,
    group_of,
    key,
)
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse


def monthly_inputs(warehouse: Warehouse) -> tuple[pd.Series, pd.DataFrame]:
    """Monthly WML and the market state on the market state's consecutive month-end index. A WML table
    with no row yet (a history shorter than the 12-month formation: warm-up) gives a WML of NaN."""
    state = require_rows(warehouse.read_dated(MARKET_STATE, "period_end"), MARKET_STATE, key(MARKET_STATE))
    stored = warehouse.read_dated(WML_MONTHLY, "period_end")
    if stored is not None and stored.empty:
        return pd.Series(np.nan, index=state.index, name="wml"), state.astype(float)
    wml = require_rows(stored, WML_MONTHLY, WML_KEY)["wml"]
    return wml.reindex(state.index).astype(float), state.astype(float)


WARM_UP_NOTE = "warm-up: {table} has no row yet (the history is shorter than WML's 12-month formation)"


def strategy_inputs(warehouse: Warehouse, index: pd.DatetimeIndex) -> tuple[pd.DataFrame, pd.Series | None, list[str]]:
    """HOLDING-aligned variance forecasts (row t = forecast made at t-1), Barroso-Santa-Clara variance, notes.

    A history too short for any forecast (crashes/wml_variance_forecast materialized, no row yet) leaves the
    variance-scaled strategies undefined, and says so, instead of failing the static strategy with them."""
    notes = []
    forecasts = warehouse.read_dated(WML_VARIANCE, "period_end")
    if forecasts is None:
        require_rows(forecasts, WML_VARIANCE, key(WML_VARIANCE))
    if forecasts.empty:
        notes.append(f"{WML_VARIANCE} has no forecast yet (the history is too short): no variance-scaled strategy")
        forecasts = pd.DataFrame(np.nan, index=index, columns=VARIANCE_COLUMNS)
    variances = to_holding_alignment(forecasts.reindex(index))
    stored = warehouse.read_dated(WML_DAILY, "trade_date")
    if stored is not None and stored.empty:
        notes.append(WARM_UP_NOTE.format(table=WML_DAILY))
        return variances, pd.Series(np.nan, index=index, name="bsc_var"), notes
    daily = require_rows(stored, WML_DAILY, WML_KEY)["wml"]
    bsc = barroso_santa_clara_weights(daily, index)["bsc_var"]
    bsc = bsc.where(index >= daily.index.min())  # months before the first daily WML have no estimate
    return variances, bsc, notes


@asset(
    key=STRATEGIES_KEY,
    deps=[WML_KEY, key(MARKET_STATE), key(WML_VARIANCE)],
    group_name=group_of(STRATEGIES_KEY),
    kinds={"duckdb", "pandas"},
    description=(
        "Daniel-Moskowitz (2016) Sec. 5 strategies on monthly WML: static, constant volatility "
        "(D-M 1/sigma_126 and Barroso-Santa-Clara 2015), dynamic w = mu / sigma^2 in-sample (full-sample "
        "Table 5 col. 4 mean, GARCH/RV blend variance) and out-of-sample (expanding mean regression, "
        "126-day RV). Each scaled by ONE full-sample (EX POST) constant to 19% annualized volatility. Tables "
        "models.momentum_strategy_returns and models.momentum_strategy_weights (period_end = holding month, "
        "strategy, ret / weight) and models.momentum_strategy_summary (Sharpe table); what is undefined is "
        "listed in models.crash_notes."
    ),
)
def momentum_strategies_asset(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    params = crash_params(settings)
    wml, state = monthly_inputs(warehouse)
    variances, bsc, notes = strategy_inputs(warehouse, state.index)
    result = run_strategies(wml, state, variances, bsc, params)
    notes = [*([WARM_UP_NOTE.format(table=WML_MONTHLY)] if wml.isna().all() else []), *notes, *result.notes]
    if result.missing:
        notes.append(f"missing strategies: {', '.join(result.missing)}")
    if len(result.returns):
        notes.append(
            f"sample {result.returns.index.min().date()}..{result.returns.index.max().date()} "
            f"({len(result.returns)} months); every strategy scaled EX POST to {params.target_vol:.0%} a year"
        )
    frames = strategy_frames(result)
    sharpe = result.summary["sharpe"] if len(result.summary) else pd.Series(dtype=float)
    metadata = replace_study_tables(
        context,
        warehouse,
        {
            STRATEGY_RETURNS: frames["strategy_returns"],
            STRATEGY_WEIGHTS: frames["strategy_weights"],
            STRATEGY_SUMMARY: frames["strategy_summary"],
        },
        notes_table=CRASH_NOTES,
        asset="momentum_strategies",
        notes=notes,
        settings=settings,
        **{f"sharpe_{name}": float(value) for name, value in sharpe.items()},
        missing_strategies=", ".join(result.missing) or "none",
    )
    return MaterializeResult(metadata=metadata)


def _regression_figures(crash: pd.DataFrame | None, forecast: pd.DataFrame | None) -> dict:
    """Table 3 model 1's alpha and nobs, model 2's bear beta and its t, Table 5 model 4's interaction t."""
    figures = {}
    if crash is not None:
        figures = {
            "alpha0_model1": float(crash.loc[1, "alpha0"]),
            "betaB_model2": float(crash.loc[2, "betaB"]),
            "betaB_t_model2": float(crash.loc[2, "betaB_t"]),
            "nobs": int(crash.loc[1, "nobs"]),
        }
    if forecast is not None:
        figures["gammaInt_t_model4"] = float(forecast.loc[4, "gammaInt_t"])
    return figures


@asset(
    key=key(CRASH_REGRESSIONS),
    deps=[WML_KEY, key(MARKET_STATE)],
    group_name=group_of(key(CRASH_REGRESSIONS)),
    kinds={"duckdb", "pandas"},
    check_specs=[crash_nobs_check_spec(key(CRASH_REGRESSIONS))],
    description=(
        "Daniel-Moskowitz (2016) Table 3 regressions (1)-(4) of monthly WML on the market excess return with "
        "the bear (I_B,t-1) and up (I_U,t) interactions (Eq. 3), and Table 5 mean-forecast regressions (1)-(5) "
        "on I_B,t-1, sigma^2_m,t-1 and their product (Eq. 5); OLS coefficients, t-stats, adjusted R2, nobs and "
        "sample. Tables models.crash_regressions and models.crash_mean_forecast."
    ),
)
def crash_regressions_asset(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    wml, state = monthly_inputs(warehouse)
    crash, forecast, notes = run_regressions(wml, state["market_excess"], state)
    warm_up = [WARM_UP_NOTE.format(table=WML_MONTHLY)] if wml.isna().all() else []
    metadata = replace_study_tables(
        context,
        warehouse,
        {
            CRASH_REGRESSIONS: regression_frame(crash, CRASH_TERMS),
            CRASH_MEAN_FORECAST: regression_frame(forecast, FORECAST_TERMS),
        },
        notes_table=CRASH_NOTES,
        asset="crash_regressions",
        notes=[*warm_up, *notes],
        settings=settings,
        **_regression_figures(crash, forecast),
    )
    variables = pd.concat([wml, state[["market_excess", "bear", "up"]]], axis=1)
    return MaterializeResult(
        metadata=metadata, check_results=[crash_nobs_check(key(CRASH_REGRESSIONS), crash, variables)]
    )
