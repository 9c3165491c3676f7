"""Unpartitioned full-sample factor-momentum analyses (Ehsani & Linnainmaa 2022): the autocorrelation table
(Table I) and the spanning tests (Tables V-VIII). Rebuilt whole from the monthly model tables."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.common import notes_metadata
from momentum_dag.assets.factor_momentum.common import fm_params, read_factor_panel, strategy_panel
from momentum_dag.core.factor_momentum.study import (
    FF_STYLE,
    FactorMomentumParams,
    SpanningInputs,
    autocorrelation_table,
    consecutive_months,
    spanning_summary,
    spanning_tables,
)
from momentum_dag.names import (
    AUTOCORRELATION,
    CONDITIONAL,
    FACTOR_MOMENTUM,
    FACTOR_MOMENTUM_KEY,
    FACTOR_MOMENTUM_NOTES,
    FACTOR_RETURNS_KEY,
    GRS,
    MARKET_MONTHLY,
    PC_MOMENTUM,
    PC_MOMENTUM_KEY,
    SPANNING,
    SPANNING_KEY,
    WML_KEY,
    WML_MONTHLY,
    group_of,
    key,
)
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import Warehouse


def _metadata(results: dict, notes: list[str], settings: Settings, **extra) -> dict:
    meta = {f"{t.split('.')[1]}_rows": MetadataValue.int(r.rows_written) for t, r in results.items()}
    return (
        meta
        | {"missing": notes_metadata(notes), "data_source": MetadataValue.text(data_source(settings).label)}
        | extra
    )


# ---- autocorrelation ---------------------------------------------------------------------------------


def warehouse_autocorrelation(warehouse: Warehouse, params: FactorMomentumParams) -> tuple[pd.DataFrame, list[str]]:
    factors = strategy_panel(warehouse, params)
    momentum = read_factor_panel(warehouse, roles=("momentum",), sources=params.strategy_sources)
    momentum = momentum.reindex(factors.index) if len(factors) else consecutive_months(momentum)
    if factors.empty:
        return pd.DataFrame(), ["models.factor_returns_monthly has no strategy factor rows"]
    table = autocorrelation_table(factors, momentum, params)
    notes = (
        [
            f"{f}: slope not identified (all prior years up or all down, or < 2 of either)"
            for f in table.loc[table["beta"].isna(), "factor"]
        ]
        if len(table)
        else []
    )
    return table, notes


@asset(
    key=key(AUTOCORRELATION),
    deps=[FACTOR_RETURNS_KEY],
    group_name=group_of(key(AUTOCORRELATION)),
    kinds={"duckdb", "pandas"},
    description=(
        "Ehsani-Linnainmaa (2022) Table I over the full warehouse history: per factor, OLS of r_f,t on "
        "1[sum r_f,t-12..t-1 > 0] (alpha = mean after a down year, beta = up minus down), the pooled "
        "regression over the strategy factors (standard errors clustered by month), the momentum factors "
        "on their own rows, and the mean returns after up and down years. Table "
        "models.factor_autocorrelation."
    ),
)
def factor_autocorrelation_asset(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    table, notes = warehouse_autocorrelation(warehouse, fm_params(settings))
    results = warehouse.replace_tables(
        {AUTOCORRELATION: table}, notes_table=FACTOR_MOMENTUM_NOTES, asset="factor_autocorrelation", notes=notes
    )
    extra = {}
    if len(table) and "pooled" in set(table["factor"]):
        pooled = table.set_index("factor").loc["pooled"]
        extra = {
            "pooled_beta": MetadataValue.float(float(pooled["beta"])),
            "pooled_t_beta": MetadataValue.float(float(pooled["t_beta"])),
            "mean_after_up": MetadataValue.float(float(pooled["mean_after_up"])),
            "mean_after_down": MetadataValue.float(float(pooled["mean_after_down"])),
        }
    return MaterializeResult(metadata=_metadata(results, notes, settings, **extra))


# ---- spanning tests ----------------------------------------------------------------------------------


def warehouse_spanning_inputs(warehouse: Warehouse, params: FactorMomentumParams) -> tuple[SpanningInputs, list[str]]:
    """Monthly series of the spanning tests from the warehouse (all on the marts' month-end dates)."""
    notes: list[str] = []
    factors = strategy_panel(warehouse, params)
    characteristic = read_factor_panel(warehouse, roles=("factor", "momentum"), sources=("characteristic",))
    market = read_factor_panel(warehouse, roles=("market",), sources=("market",))
    momentum: dict[str, pd.Series] = {}
    wml = warehouse.read_dated(WML_MONTHLY, "period_end")
    if wml is None or wml.empty:
        notes.append(f"{WML_MONTHLY} has no rows (materialize {WML_KEY.to_user_string()}): WML tests skipped")
    else:
        momentum["wml"] = wml["wml"].astype(float)
    if "momentum" in characteristic:
        momentum["umd"] = characteristic["momentum"].dropna()
    ff_columns = [c for c in FF_STYLE if c in characteristic]
    ff = (
        pd.concat([market.get("mkt_rf", pd.Series(dtype=float)).rename("mkt_rf"), characteristic[ff_columns]], axis=1)
        if len(characteristic)
        else pd.DataFrame()
    )
    fm: dict[str, pd.Series] = {}
    ts = warehouse.read_dated(FACTOR_MOMENTUM, "period_end")
    if ts is not None and len(ts):
        fm["tsmom"] = ts["tsmom"].astype(float)
    else:
        notes.append(f"{FACTOR_MOMENTUM} has no rows: TSMom terms skipped")
    pc = warehouse.read_dated(PC_MOMENTUM, "period_end")
    if pc is not None and len(pc):
        fm["pc_high_mom"] = pc.loc[pc["group_rank"] == 1, "ret"].astype(float)
    else:
        notes.append(f"{PC_MOMENTUM} has no rows: PC momentum terms skipped")
    deciles = None
    if wml is not None and len(wml):
        rf = warehouse.query(f"select month_end, rf from {MARKET_MONTHLY}")
        rf = rf.set_index(pd.DatetimeIndex(pd.to_datetime(rf["month_end"])))["rf"].astype(float)
        d_cols = [c for c in wml.columns if c.startswith("d") and c[1:].isdigit()]
        deciles = wml[d_cols].astype(float).sub(rf.reindex(wml.index), axis=0)
    return SpanningInputs(momentum, ff, fm, deciles, factors), notes


@asset(
    key=SPANNING_KEY,
    deps=[FACTOR_RETURNS_KEY, FACTOR_MOMENTUM_KEY, PC_MOMENTUM_KEY, WML_KEY, key(MARKET_MONTHLY)],
    group_name=group_of(SPANNING_KEY),
    kinds={"duckdb", "pandas"},
    description=(
        "Ehsani-Linnainmaa (2022) spanning tests over the full history: the momentum factor (WML from "
        "models.wml_monthly; umd = the characteristic momentum long-short) on the FF-style model (mkt_rf + "
        "size, value, profitability, investment long-shorts) alone and plus TS / PC-high factor momentum, "
        "and the reverse (models.spanning_regressions: y, model, term, coef, t_stat, adj_r2, n); the ten "
        "momentum deciles minus rf on each model with the GRS test (models.spanning_grs); correlations of "
        "the momentum factor with each factor given the sign of its prior-year return (Table VIII, "
        "models.conditional_correlations)."
    ),
)
def spanning_tests_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings) -> MaterializeResult:
    params = fm_params(settings)
    inputs, notes = warehouse_spanning_inputs(warehouse, params)
    tables, more = spanning_tables(inputs, params)
    notes += more
    results = warehouse.replace_tables(
        {SPANNING: tables["spanning"], GRS: tables["grs"], CONDITIONAL: tables["conditional"]},
        notes_table=FACTOR_MOMENTUM_NOTES,
        asset="spanning_tests",
        notes=notes,
    )
    summary = spanning_summary(tables["spanning"])
    regressions = (
        MetadataValue.md(summary.round(4).to_markdown(index=False)) if len(summary) else MetadataValue.text("none")
    )
    return MaterializeResult(metadata=_metadata(results, notes, settings, regressions=regressions))
