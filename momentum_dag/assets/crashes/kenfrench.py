"""The Ken French branch of the Daniel-Moskowitz (2016) study, on external MONTHLY series.

Source: French's CSV files in ``MOMENTUM_KENFRENCH_DIR`` when set (``F-F_Research_Data_Factors.CSV`` and
``F-F_Momentum_Factor.CSV`` at least), else the real 1949-01..2017-03 sample shipped by
``linearmodels.datasets.french``. French's Mom (UMD) stands in for WML. Only monthly data exist there, so
the GJR-GARCH runs on monthly returns and the market variance comes from monthly returns.
"""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes.models import GROUP, crash_params
from momentum_dag.core.crashes.study import monthly_study
from momentum_dag.names import CRASH_NOTES, KF_CRASHES_KEY, kenfrench_crash_table
from momentum_dag.settings import Settings
from momentum_dag.sources.kenfrench import load_kenfrench_monthly, time_series_inputs_from_french
from momentum_dag.warehouse import Warehouse

ASSET_NAME = "kenfrench_crashes"
MOMENTUM_FILE = "F-F_Momentum_Factor.CSV"
MONTHLY_ONLY_NOTE = (
    "Only monthly data exist in the Ken French library here: French's Mom (UMD, 2x3 size x prior-return "
    "sort, NYSE breakpoints) stands in for the decile WML; the GJR-GARCH runs on MONTHLY returns (one-month-"
    "ahead monthly variance; blend regressed on |R_t+1| sqrt(pi/2)); the market variance sigma^2_m,t-1 "
    "comes from the 6 monthly market returns to t-1 divided by 21 (not from 126 daily returns); the "
    "Barroso-Santa-Clara variance is the mean of the 6 squared monthly Mom returns to t-1."
)


def kenfrench_factors(settings: Settings) -> tuple[pd.DataFrame, str]:
    """French's monthly factors (Mkt-RF/MktRF, RF, Mom, ...) and a label; Mom is required (it is WML)."""
    frame, label = load_kenfrench_monthly(settings.kenfrench_path)
    if "Mom" not in frame:
        raise ValueError(f"{settings.kenfrench_dir}: {MOMENTUM_FILE} is required (French's Mom stands in for WML)")
    return frame, label


@asset(
    key=KF_CRASHES_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    description=(
        "Daniel-Moskowitz (2016) time-series analyses on Ken French's MONTHLY factors (Mom as WML): market "
        "state with the market variance from monthly returns, Table 3 and Table 5 regressions, monthly "
        "GJR-GARCH variance forecasts, static / constant-volatility / dynamic strategies and their Sharpe "
        "table. From MOMENTUM_KENFRENCH_DIR files, else the linearmodels.datasets.french sample. Tables "
        "models.kenfrench_* (market_state, variance_forecast, crash_regressions, crash_mean_forecast, "
        "strategy_returns, strategy_weights, strategy_summary)."
    ),
)
def kenfrench_crashes_asset(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    frame, label = kenfrench_factors(settings)
    wml, excess, total, _ = time_series_inputs_from_french(frame)
    tables, notes = monthly_study(wml, excess, total, crash_params(settings))
    notes = [f"Data source: {label}", MONTHLY_ONLY_NOTE, *notes]
    results = warehouse.replace_tables(
        {kenfrench_crash_table(name): t for name, t in tables.items()},
        notes_table=CRASH_NOTES,
        asset=ASSET_NAME,
        notes=notes,
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
            **{f"{t.split('.')[1]}_rows": MetadataValue.int(r.rows_written) for t, r in results.items()},
            **headline,
            "data_source": MetadataValue.text(label),
            "months": MetadataValue.int(len(tables["market_state"])),
        }
    )
