"""The Ken French branch of the Daniel-Moskowitz (2016) analyses, on external MONTHLY series.

Source: French's CSV files in ``settings.kenfrench_dir`` when set (``F-F_Research_Data_Factors.CSV`` and
``F-F_Momentum_Factor.CSV`` for the analyses; every standard file present for the raw table), else the
real 1949-01..2017-03 sample shipped by ``linearmodels.datasets.french``. French's Mom (UMD) stands in
for WML. Only monthly data exist there, so the GJR-GARCH runs on monthly returns and the market variance
comes from monthly returns (``core.crashes_state.market_variance_monthly``).
"""

from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from momentum_dag.assets.common import in_window, window_dates, write_metadata
from momentum_dag.assets.crashes_common import (
    KF_KEY,
    KF_PREFIX,
    KF_RAW_KEY,
    CrashParams,
    crash_params,
    long_strategy_frame,
    regression_frame,
    replace_tables,
    run_regressions,
    run_strategies,
)
from momentum_dag.assets.raw import BEGINNING_OF_TIME
from momentum_dag.core.crashes import (
    barroso_santa_clara_variance_monthly,
    garch_variance_forecasts_monthly,
    market_state,
    to_holding_alignment,
)
from momentum_dag.core.crashes.regressions import CRASH_TERMS, FORECAST_TERMS
from momentum_dag.partitions import monthly_partitions
from momentum_dag.settings import Settings, get_settings
from momentum_dag.sources.contract import RAW_TABLES, ddl
from momentum_dag.sources.kenfrench import (
    factor_returns_from_directory,
    load_linearmodels_french,
    read_momentum_factor,
    read_research_factors,
    time_series_inputs_from_french,
    to_factor_returns_monthly,
)
from momentum_dag.warehouse import Warehouse

RESEARCH_FILE = "F-F_Research_Data_Factors.CSV"
MOMENTUM_FILE = "F-F_Momentum_Factor.CSV"
LINEARMODELS_LABEL = "Ken French data library, monthly sample shipped by linearmodels.datasets.french"
MONTHLY_ONLY_NOTE = (
    "Only monthly data exist in the Ken French library here: French's Mom (UMD, 2x3 size x prior-return "
    "sort, NYSE breakpoints) stands in for the decile WML; the GJR-GARCH runs on MONTHLY returns (one-month-"
    "ahead monthly variance; blend regressed on |R_t+1| sqrt(pi/2)); the market variance sigma^2_m,t-1 "
    "comes from the 6 monthly market returns to t-1 divided by 21 (not from 126 daily returns); the "
    "Barroso-Santa-Clara variance is the mean of the 6 squared monthly Mom returns to t-1."
)

KF_TABLES = {
    name: f"{KF_PREFIX}{name}"
    for name in (
        "market_state",
        "variance_forecast",
        "crash_regressions",
        "crash_mean_forecast",
        "strategy_returns",
        "strategy_weights",
        "strategy_summary",
    )
}


def kenfrench_factors(settings: Settings) -> tuple[pd.DataFrame, str]:
    """Wide monthly factors (index month_end, decimals; columns incl. Mkt-RF/MktRF, RF, Mom) and a label."""
    directory = settings.kenfrench_dir
    if directory is None:
        frame = load_linearmodels_french()
        span = f"{frame.index.min():%Y-%m}..{frame.index.max():%Y-%m}"
        return frame, f"{LINEARMODELS_LABEL} ({span})"
    directory = Path(directory)
    research = read_research_factors(directory / RESEARCH_FILE)
    momentum = read_momentum_factor(directory / MOMENTUM_FILE)
    frame = research.join(momentum, how="inner")
    if frame.empty:
        raise ValueError(f"{directory}: {RESEARCH_FILE} and {MOMENTUM_FILE} share no month")
    return frame, f"Ken French data library files in {directory}"


def kenfrench_analyses(frame: pd.DataFrame, params: CrashParams) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The time-series analyses on French's monthly factors: market state (monthly variance), Table 3 and 5
    regressions, monthly GJR-GARCH forecasts, strategies and their Sharpe table. Returns tables by short
    name (see ``KF_TABLES``) and notes."""
    wml, excess, total, _ = time_series_inputs_from_french(frame)
    complete = pd.concat([wml, excess, total], axis=1).dropna().index
    wml, excess, total = (s.loc[complete.min() : complete.max()] for s in (wml, excess, total))
    state = market_state(total, excess, None, var_window_months=params.kf_var_window_months)
    forecasts = garch_variance_forecasts_monthly(
        wml,
        rv_window=params.kf_var_window_months,
        min_obs=params.kf_garch_min_months,
        refit_every=params.kf_garch_refit_every,
        min_blend_pairs=params.blend_min_pairs,
    )
    bsc = barroso_santa_clara_variance_monthly(wml, window=params.kf_var_window_months)
    crash, forecast, notes = run_regressions(wml, excess, state)
    strategies = run_strategies(wml, state, to_holding_alignment(forecasts), bsc, params)
    notes = [
        MONTHLY_ONLY_NOTE,
        *notes,
        *strategies.notes,
        *([f"missing strategies: {', '.join(strategies.missing)}"] if strategies.missing else []),
    ]
    state_rows = state.assign(wml=wml, market_excess=excess, market_total=total).rename_axis("period_end")
    summary = strategies.summary.reset_index() if len(strategies.summary) else pd.DataFrame({"strategy": []})
    tables = {
        "market_state": state_rows.reset_index(),
        "variance_forecast": forecasts.rename_axis("period_end").reset_index(),
        "crash_regressions": regression_frame(crash, CRASH_TERMS),
        "crash_mean_forecast": regression_frame(forecast, FORECAST_TERMS),
        "strategy_returns": long_strategy_frame(strategies.returns, "ret"),
        "strategy_weights": long_strategy_frame(strategies.weights, "weight"),
        "strategy_summary": summary,
    }
    return tables, notes


@asset(
    key=KF_KEY,
    group_name="crashes",
    kinds={"duckdb", "pandas"},
    description=(
        "Daniel-Moskowitz (2016) time-series analyses on Ken French's MONTHLY factors (Mom as WML): market "
        "state with the market variance from monthly returns, Table 3 and Table 5 regressions, monthly "
        "GJR-GARCH variance forecasts, static / constant-volatility / dynamic strategies and their Sharpe "
        "table. From settings.kenfrench_dir files, else the linearmodels.datasets.french sample. Tables "
        "models.kenfrench_* (market_state, variance_forecast, crash_regressions, crash_mean_forecast, "
        "strategy_returns, strategy_weights, strategy_summary)."
    ),
)
def kenfrench_crashes_asset(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    settings = get_settings()
    frame, label = kenfrench_factors(settings)
    tables, notes = kenfrench_analyses(frame, crash_params(settings))
    notes = [f"Data source: {label}", *notes]
    counts = replace_tables(
        warehouse, {KF_TABLES[name]: t for name, t in tables.items()}, asset="kenfrench_crashes", notes=notes
    )
    crash = tables["crash_regressions"].set_index("model")
    summary = tables["strategy_summary"].set_index("strategy")
    headline = {}
    if len(crash):
        headline = {
            "alpha0_model1": MetadataValue.float(float(crash.loc[1, "alpha0"])),
            "betaB_model2": MetadataValue.float(float(crash.loc[2, "betaB"])),
            "betaB_t_model2": MetadataValue.float(float(crash.loc[2, "betaB_t"])),
        }
    if "sharpe" in summary:
        headline |= {f"sharpe_{s}": MetadataValue.float(float(v)) for s, v in summary["sharpe"].items()}
    return MaterializeResult(
        metadata={
            **{f"{t.split('.')[1]}_rows": MetadataValue.int(w) for t, (w, _) in counts.items()},
            **headline,
            "data_source": MetadataValue.text(label),
            "months": MetadataValue.int(len(tables["market_state"])),
        }
    )


# ---- raw.factor_returns_monthly ----------------------------------------------------------------------

FACTOR_RETURNS = RAW_TABLES["factor_returns_monthly"]


def factor_return_rows(settings: Settings) -> pd.DataFrame:
    """``raw.factor_returns_monthly`` rows (month_end, factor, ret) of every month the source has."""
    if settings.kenfrench_dir is not None:
        return factor_returns_from_directory(settings.kenfrench_dir)
    return to_factor_returns_monthly(load_linearmodels_french())


@multi_asset(
    specs=[
        AssetSpec(
            KF_RAW_KEY,
            description=FACTOR_RETURNS.description,
            partitions_def=monthly_partitions,
            group_name="raw",
            kinds={"duckdb"},
        )
    ],
    name="raw_factor_returns_monthly",
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
)
def raw_factor_returns_monthly(context: AssetExecutionContext, warehouse: Warehouse):
    """Ken French monthly factor returns for the window (calendar month_end in the window; the first
    partition also takes every earlier month); the linearmodels sample ends in 2017-03, so later windows
    write nothing."""
    settings = get_settings()
    start, end = window_dates(context)
    # As raw_market_data: the first partition also owns every month before the history start, so the
    # table holds the whole external history after a backfill and re-runs replace those rows.
    write_start = BEGINNING_OF_TIME if start == settings.history_start else start
    rows = in_window(factor_return_rows(settings), "month_end", write_start, end)
    result = warehouse.write_window(
        f"raw.{FACTOR_RETURNS.name}",
        rows,
        date_column="month_end",
        start=write_start,
        end=end,
        ddl=ddl(FACTOR_RETURNS),
    )
    source = f"files ({settings.kenfrench_dir})" if settings.kenfrench_dir else LINEARMODELS_LABEL
    yield MaterializeResult(
        metadata=write_metadata(
            result, factors=int(rows["factor"].nunique()) if len(rows) else 0, data_source=source
        )
    )


KENFRENCH_ASSETS = [kenfrench_crashes_asset, raw_factor_returns_monthly]
