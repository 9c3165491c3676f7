"""Every warehouse table name and Dagster asset key, declared once.

Tables are ``schema.name`` strings (what SQL uses); asset keys are ``AssetKey`` objects (what Dagster
uses). An asset key's first part is its group in the UI (``group_of``), one per research family:

    raw, staging, marts, barra, factors, eval, reports, crashes, factor_momentum

Tables keep one schema per layer (raw, staging, marts, barra, factors, models, eval). Where the schema
is the group (raw, staging, marts, barra, factors), the key of a table is ``key(table)``; a ``models``
table's key names its family (``crashes/market_state`` for ``models.market_state``), declared below;
assets that write several tables (WML: monthly, daily, formation) have a key of their own.
"""

from __future__ import annotations

from dagster import AssetKey

GROUPS = ("raw", "staging", "marts", "barra", "factors", "eval", "reports", "crashes", "factor_momentum")
"""The asset groups, in the order data flows through them; every asset key starts with one."""


def group_of(asset_key: AssetKey) -> str:
    """The UI group of an asset: the first part of its key."""
    group = asset_key.path[0]
    if group not in GROUPS:
        raise ValueError(f"{asset_key.to_user_string()}: key prefix {group!r} is not a group ({', '.join(GROUPS)})")
    return group


def key(name: str) -> AssetKey:
    """The asset key of ``schema.table`` (a ``models`` table: the key declared for it) or ``group/name``."""
    if name in MODEL_TABLE_KEYS:
        return MODEL_TABLE_KEYS[name]
    if name.startswith("models."):
        raise ValueError(f"{name}: no asset key declared for this models table in momentum_dag/names.py")
    return AssetKey(name.replace(".", "/").split("/"))


# ---- raw (provider tables; columns in sources/contract.py) ------------------------------------------
PROVIDER_TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")
RAW_FACTOR_RETURNS = "raw.factor_returns_monthly"

# ---- SQL models (dbt_like_sql/models) ---------------------------------------------------------------
STG_MARKET_DAILY = "staging.stg_market_daily"
STG_FUNDAMENTALS = "staging.stg_fundamentals"
STOCK_RETURNS_DAILY = "marts.stock_returns_daily"
STOCK_RETURNS_WEEKLY = "marts.stock_returns_weekly"
STOCK_RETURNS_MONTHLY = "marts.stock_returns_monthly"
INDUSTRY_DAILY = "marts.industry_daily"
INDUSTRY_WEEKLY = "marts.industry_weekly"
INDUSTRY_MONTHLY = "marts.industry_monthly"
MARKET_MONTHLY = "marts.market_monthly"

# ---- Barra -------------------------------------------------------------------------------------------
BARRA_EXPOSURES = "barra.exposures"
BARRA_FACTOR_RETURNS_DAILY = "barra.factor_returns_daily"
BARRA_FACTOR_RETURNS_MONTHLY = "barra.factor_returns_monthly"
BARRA_FACTOR_RETURNS_KEY = AssetKey(["barra", "factor_returns"])

# ---- registered factors (registry.py): panel, evaluation and report per factor ----------------------
EVAL_SUMMARY = "eval.summary"
PUBLISHED_COMPARISON = "eval.published_comparison"  # paper | ours rows of every page with published figures


def factor_table(name: str) -> str:
    return f"factors.{name}"


def eval_periods_table(name: str) -> str:
    return f"eval.{name}_periods"


def factor_key(name: str) -> AssetKey:
    return AssetKey(["factors", name])


def eval_key(name: str) -> AssetKey:
    return AssetKey(["eval", name])


def report_key(name: str) -> AssetKey:
    return AssetKey(["reports", name])


DMOM_FEATURES = "models.dmom_features"
"""D-MOM regressors (run durations, idiosyncratic variance, lagged returns) per stock and month end."""
DMOM_FEATURES_KEY = AssetKey(["factors", "dmom_features"])


def lpm_table(name: str) -> str:
    """D-MOM's per-month linear-probability-model coefficients for factor ``name``."""
    return f"models.{name}_lpm"


def lpm_key(name: str) -> AssetKey:
    return AssetKey(["factors", f"{name}_lpm"])


REPORT_INDEX_KEY = AssetKey(["reports", "index"])

# ---- Daniel-Moskowitz momentum crashes ---------------------------------------------------------------
WML_KEY = AssetKey(["crashes", "wml"])
WML_MONTHLY = "models.wml_monthly"
WML_DAILY = "models.wml_daily"
WML_FORMATION = "models.wml_formation"
MARKET_STATE = "models.market_state"
WML_BETAS = "models.wml_betas"
WML_VARIANCE = "models.wml_variance_forecast"
STRATEGIES_KEY = AssetKey(["crashes", "momentum_strategies"])
STRATEGY_RETURNS = "models.momentum_strategy_returns"
STRATEGY_WEIGHTS = "models.momentum_strategy_weights"
STRATEGY_SUMMARY = "models.momentum_strategy_summary"
CRASH_REGRESSIONS = "models.crash_regressions"
CRASH_MEAN_FORECAST = "models.crash_mean_forecast"
CRASH_NOTES = "models.crash_notes"
MARKET_STATE_KEY = AssetKey(["crashes", "market_state"])
WML_BETAS_KEY = AssetKey(["crashes", "wml_betas"])
WML_VARIANCE_KEY = AssetKey(["crashes", "wml_variance_forecast"])
CRASH_REGRESSIONS_KEY = AssetKey(["crashes", "crash_regressions"])
CRASH_REPORT_KEY = AssetKey(["reports", "momentum_crashes"])
KF_CRASHES_KEY = AssetKey(["crashes", "kenfrench_crashes"])
KF_CRASH_REPORT_KEY = AssetKey(["reports", "momentum_crashes_kenfrench"])
KF_CRASH_INPUTS = "models.kenfrench_crash_inputs"  # fingerprint of what the stored study was computed from


def kenfrench_crash_table(name: str) -> str:
    """Ken French branch of the crash study: market_state, variance_forecast, crash_regressions, ..."""
    return f"models.kenfrench_{name}"


# ---- Ehsani-Linnainmaa factor momentum ---------------------------------------------------------------
FACTOR_RETURNS_KEY = AssetKey(["factor_momentum", "factor_returns"])
FACTOR_RETURNS_MONTHLY = "models.factor_returns_monthly"
FACTOR_RETURNS_DAILY = "models.factor_returns_daily"
FORMATION_WEIGHTS = "models.factor_formation_weights"
FACTOR_MOMENTUM_KEY = AssetKey(["factor_momentum", "factor_momentum"])
FACTOR_MOMENTUM = "models.factor_momentum_monthly"
AUTOCORRELATION = "models.factor_autocorrelation"
AUTOCORRELATION_KEY = AssetKey(["factor_momentum", "factor_autocorrelation"])
PC_MOMENTUM_KEY = AssetKey(["factor_momentum", "pc_factor_momentum"])
PC_MOMENTUM = "models.pc_factor_momentum_monthly"
PC_SUMMARY = "models.pc_factor_momentum_summary"
NEUTRAL_KEY = AssetKey(["factor_momentum", "momentum_neutral_factors"])
NEUTRAL_RETURNS = "models.momentum_neutral_factor_returns"
NEUTRAL_MOMENTUM = "models.momentum_neutral_factor_momentum"
SPANNING_KEY = AssetKey(["factor_momentum", "spanning_tests"])
SPANNING = "models.spanning_regressions"
GRS = "models.spanning_grs"
CONDITIONAL = "models.conditional_correlations"
FACTOR_MOMENTUM_NOTES = "models.factor_momentum_notes"
FACTOR_MOMENTUM_REPORT_KEY = AssetKey(["reports", "factor_momentum"])
KF_FACTOR_MOMENTUM_KEY = AssetKey(["factor_momentum", "kenfrench_factor_momentum"])
KF_FACTOR_MOMENTUM_REPORT_KEY = AssetKey(["reports", "factor_momentum_kenfrench"])


def kenfrench_fm_table(name: str) -> str:
    """Ken French branch of factor momentum: momentum, autocorrelation, spanning, grs, conditional."""
    return f"models.kenfrench_fm_{name}"


MODEL_TABLE_KEYS: dict[str, AssetKey] = {
    DMOM_FEATURES: DMOM_FEATURES_KEY,
    lpm_table("dmom"): lpm_key("dmom"),
    lpm_table("dmom_enhanced"): lpm_key("dmom_enhanced"),
    MARKET_STATE: MARKET_STATE_KEY,
    WML_BETAS: WML_BETAS_KEY,
    WML_VARIANCE: WML_VARIANCE_KEY,
    CRASH_REGRESSIONS: CRASH_REGRESSIONS_KEY,
    AUTOCORRELATION: AUTOCORRELATION_KEY,
}
"""The asset key of each ``models`` table that an asset of the same name writes."""
