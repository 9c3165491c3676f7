"""The Ken French branch of the Daniel-Moskowitz (2016) study, on external series.

Source: French's CSV files in ``MOMENTUM_KENFRENCH_DIR`` when set, else the real 1949-01..2017-03 monthly
sample shipped by ``linearmodels.datasets.french``. With French's daily files (``F-F_Research_Data_Factors_
daily.CSV`` and ``10_Portfolios_Prior_12_2_Daily.CSV`` or ``F-F_Momentum_Factor_daily.CSV``) the paper's
daily method runs (``core.crashes.study.daily_study``); otherwise the monthly fallback
(``core.crashes.study.monthly_study``). The page says which.
"""

import hashlib
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes import kenfrench_inputs
from momentum_dag.assets.crashes.kenfrench_inputs import CrashInputs, kenfrench_crash_inputs
from momentum_dag.assets.crashes.series import GARCH_JOBS, crash_params
from momentum_dag.core import validate
from momentum_dag.core.crashes import study
from momentum_dag.core.crashes.study import CrashParams, daily_study, monthly_study
from momentum_dag.names import CRASH_NOTES, KF_CRASH_INPUTS, KF_CRASHES_KEY, group_of, kenfrench_crash_table
from momentum_dag.settings import Settings
from momentum_dag.sources import kenfrench
from momentum_dag.storage import Warehouse

ASSET_NAME = "kenfrench_crashes"
STUDY_TABLES = (
    "market_state",
    "variance_forecast",
    "crash_regressions",
    "crash_mean_forecast",
    "strategy_returns",
    "strategy_weights",
    "strategy_summary",
    "garch_full_sample",
)
# The code the study is a function of (its fingerprint includes their source).
CODE = (
    *sorted(Path(study.__file__).parent.glob("*.py")),
    Path(validate.__file__),
    Path(kenfrench.__file__),
    Path(kenfrench_inputs.__file__),
    Path(__file__),
)
METHOD_PREFIX = "Method: "
LINEARMODELS_CRASH_LIMITS = (
    "the bundled linearmodels sample is monthly only and covers 1949-01..2017-03: French's Mom stands in for the "
    "decile WML and every variance comes from monthly returns (the monthly fallback); point "
    "MOMENTUM_KENFRENCH_DIR at French's daily files for the paper's daily method and its 1927 start"
)


def method_note(inputs: CrashInputs, params: CrashParams) -> str:
    """What the page computed: the daily method, or the monthly fallback and its variance estimators."""
    if inputs.daily is not None:
        return (
            f"{METHOD_PREFIX}the paper's DAILY method on French's daily files. WML: {inputs.wml_definition}. "
            f"sigma^2_m,t-1 = variance of the {params.rv_window_days} daily market returns (Mkt-RF + RF) to t-1; "
            f"WML variance at each month end from daily WML dated <= t: GJR-GARCH(1,1) refit on every day to t "
            f"(mean of the next {params.garch_horizon} daily variances), {params.rv_window_days}-day realized "
            f"variance and their App. D blend; cvol_dm uses the {params.rv_window_days}-day realized variance, "
            f"dyn_is the {params.is_variance} and dyn_oos the {params.oos_variance}; Barroso-Santa-Clara "
            f"from 126 daily WML returns."
        )
    window = params.kf_var_window_months
    return (
        f"{METHOD_PREFIX}MONTHLY fallback (no daily files). WML: {inputs.wml_definition}. The paper estimates "
        f"every variance from 126 daily returns; here each comes from the {window} monthly returns to t-1 "
        f"(never 6: a 6-month variance collapses when returns are steady, e.g. Mom in Feb-Jul 1972, and the "
        f"strategies invert it): rv_var = their sample variance (cvol_dm), sigma^2_m,t-1 = the market's over "
        f"{window} months / 21 (decimal daily units), Barroso-Santa-Clara = mean of {window} squared monthly "
        f"returns; the GJR-GARCH runs on MONTHLY "
        f"returns (one-month-ahead variance, refit each month after {params.kf_garch_min_months} months; blend "
        f"regressed on |R_t+1| sqrt(pi/2)); dyn_is uses the {params.is_variance}, dyn_oos the "
        f"{params.oos_variance}."
    )


@asset(
    key=KF_CRASHES_KEY,
    group_name=group_of(KF_CRASHES_KEY),
    kinds={"duckdb", "pandas"},
    description=(
        "Daniel-Moskowitz (2016) time-series analyses on Ken French's data: market state, Table 3 and Table 5 "
        "regressions, GJR-GARCH / realized / blended variance forecasts, static / constant-volatility / "
        "dynamic strategies and their Sharpe table. With French's daily files in MOMENTUM_KENFRENCH_DIR: the "
        "paper's daily method (decile WML = Hi PRIOR - Lo PRIOR, 126-day variances, daily GJR-GARCH); else "
        "monthly Mom with 12-month variances (MOMENTUM_KENFRENCH_DIR files or the linearmodels.datasets.french "
        "sample). Tables models.kenfrench_* (market_state, variance_forecast, crash_regressions, "
        "crash_mean_forecast, strategy_returns, strategy_weights, strategy_summary)."
    ),
)
def kenfrench_crashes_asset(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    params = crash_params(settings)
    inputs = kenfrench_crash_inputs(settings.source.kenfrench_path)
    fingerprint = inputs_fingerprint(inputs, params)
    stored = stored_study(warehouse, fingerprint)
    if stored is not None:
        # French's series do not change when a month of the warehouse's own market closes: a monthly run
        # keeps the study (hundreds of GJR-GARCH fits) instead of recomputing identical tables.
        context.log.info("French's series, the parameters and the code are those of the stored study: kept")
        return MaterializeResult(metadata=_metadata(stored, inputs, recomputed=False))
    monthly = inputs.monthly
    if inputs.daily is not None:
        context.log.info(f"Daily method: GJR-GARCH refit at {len(monthly)} month ends on {len(inputs.daily)} days")
        tables, notes = daily_study(
            monthly["wml"],
            monthly["market_excess"],
            monthly["market_total"],
            inputs.daily["wml"],
            inputs.daily["market_total"],
            params,
            n_jobs=GARCH_JOBS,
        )
    else:
        tables, notes = monthly_study(
            monthly["wml"], monthly["market_excess"], monthly["market_total"], params, n_jobs=GARCH_JOBS
        )
    method = method_note(inputs, params)
    limits = [f"Limits: {LINEARMODELS_CRASH_LIMITS}"] if settings.source.kenfrench_path is None else []
    notes = [f"Data source: {inputs.label}", method, *limits, *notes]
    warehouse.replace_tables(
        {
            **{kenfrench_crash_table(name): t for name, t in tables.items()},
            KF_CRASH_INPUTS: pd.DataFrame({"fingerprint": [fingerprint]}),
        },
        notes_table=CRASH_NOTES,
        asset=ASSET_NAME,
        notes=notes,
    )
    return MaterializeResult(metadata=_metadata(tables, inputs, recomputed=True))


def inputs_fingerprint(inputs: CrashInputs, params: CrashParams) -> str:
    """SHA-256 of everything the study is a function of: French's series, the parameters, and the source
    of the code that computes it (so an edited estimator is never answered from the stored tables)."""
    digest = hashlib.sha256()
    for frame in (inputs.monthly, inputs.daily):
        if frame is not None:
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode())
    digest.update(f"{inputs.wml_definition}|{inputs.label}|{params!r}".encode())
    for path in CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stored_study(warehouse: Warehouse, fingerprint: str) -> dict[str, pd.DataFrame] | None:
    """The stored study's tables (each read once) when they were computed from ``fingerprint`` and all exist."""
    stored = warehouse.table_or_none(KF_CRASH_INPUTS)
    if stored is None or stored["fingerprint"].tolist() != [fingerprint]:
        return None
    tables = {name: warehouse.table_or_none(kenfrench_crash_table(name)) for name in STUDY_TABLES}
    return None if any(t is None for t in tables.values()) else tables


def _metadata(tables: dict, inputs: CrashInputs, *, recomputed: bool) -> dict:
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
    return {
        **{
            f"{kenfrench_crash_table(name).split('.')[1]}_rows": MetadataValue.int(len(t)) for name, t in tables.items()
        },
        **headline,
        "data_source": MetadataValue.text(inputs.label),
        "method": MetadataValue.text("daily" if inputs.daily is not None else "monthly fallback"),
        "months": MetadataValue.int(len(tables["market_state"])),
        "recomputed": MetadataValue.bool(recomputed),
    }
