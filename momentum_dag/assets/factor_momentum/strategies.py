"""Monthly-partitioned factor-momentum strategies (Ehsani & Linnainmaa 2022): TS/CS factor momentum, PC factor
momentum and momentum-neutral factors. Each run computes its window and replaces it in one transaction;
rows are indexed by the HOLDING month (period_end)."""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult

from momentum_dag.assets.common import (
    asset_spec,
    mean_or_nan,
    partitioned_asset,
)
from momentum_dag.assets.factor_momentum.common import fm_params, read_factor_panel, strategy_panel
from momentum_dag.assets.panels import MarketPanels, pivot_rows
from momentum_dag.assets.windowed import Table, materialize_window
from momentum_dag.core.factor_momentum.characteristics import cumulative_return
from momentum_dag.core.factor_momentum.portfolios import momentum_neutral_factor_returns
from momentum_dag.core.factor_momentum.study import (
    MOMENTUM_COLUMNS,
    MOMENTUM_NAMES,
    FactorMomentumParams,
    consecutive_months,
    momentum_frame,
    momentum_rows,
    pc_momentum_returns,
)
from momentum_dag.names import (
    FACTOR_MOMENTUM,
    FACTOR_MOMENTUM_KEY,
    FACTOR_RETURNS_KEY,
    FORMATION_WEIGHTS,
    NEUTRAL_KEY,
    NEUTRAL_MOMENTUM,
    NEUTRAL_RETURNS,
    PC_MOMENTUM,
    PC_MOMENTUM_KEY,
    STOCK_RETURNS_MONTHLY,
    key,
)
from momentum_dag.partitions import Partitions
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

DOUBLE = "DOUBLE"
MOMENTUM_DDL = {c: "INTEGER" if kind is int else DOUBLE for c, kind in MOMENTUM_COLUMNS.items()}


# ---- TS / CS factor momentum -------------------------------------------------------------------------


def factor_momentum_rows(warehouse: Warehouse, start: date, end: date, params: FactorMomentumParams) -> dict:
    """TS and CS factor momentum of the holding months in [start, end)."""
    # the signal for holding month t+1 averages months t-lookback+1..t
    first = (pd.Timestamp(start) - pd.DateOffset(months=params.lookback + 1)).date()
    returns = strategy_panel(warehouse, params, start=first, end=end)
    return {FACTOR_MOMENTUM: momentum_rows(momentum_frame(returns, params))}


def _momentum_figures(own: pd.DataFrame) -> dict:
    return {
        "tsmom": mean_or_nan(own["tsmom"]),
        "xsmom": mean_or_nan(own["xsmom"]),
        "factors_long": int(own["tsmom_n_long"].sum()),
        "factors_short": int(own["tsmom_n_short"].sum()),
    }


def factor_momentum_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = fm_params(settings)
    outputs = materialize_window(
        context,
        warehouse,
        lambda lo, hi: factor_momentum_rows(warehouse, lo, hi, params),
        [Table(FACTOR_MOMENTUM, columns=MOMENTUM_DDL, asset=FACTOR_MOMENTUM_KEY, figures=_momentum_figures)],
        settings,
        chunked=False,
    )
    if not len(outputs[FACTOR_MOMENTUM]):
        context.log.warning(f"no month with a {params.lookback}-month signal yet (history too short)")
    yield MaterializeResult()


# ---- PC factor momentum ------------------------------------------------------------------------------

PC_COLUMNS = {"pc_group": "VARCHAR", "group_rank": "INTEGER", "n_factors": "INTEGER", "ret": DOUBLE}


def pc_momentum_rows(warehouse: Warehouse, start: date, end: date, params: FactorMomentumParams) -> dict:
    """PC factor momentum of the holding months in [start, end), from every factor return before ``end``."""
    monthly = strategy_panel(warehouse, params, end=end)
    daily = read_factor_panel(warehouse, end=end, roles=("factor",), sources=params.strategy_sources, daily=True)
    holding = monthly.index[(monthly.index >= pd.Timestamp(start)) & (monthly.index < pd.Timestamp(end))]
    return {PC_MOMENTUM: pc_momentum_returns(daily, monthly, params, holding)}


def _pc_figures(own: pd.DataFrame) -> dict:
    pc_high = mean_or_nan(own.loc[own["group_rank"] == 1, "ret"])
    return {"pc_high": pc_high, "n_factors": int(own["n_factors"].max())}


def pc_factor_momentum_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = fm_params(settings)
    outputs = materialize_window(
        context,
        warehouse,
        lambda lo, hi: pc_momentum_rows(warehouse, lo, hi, params),
        [Table(PC_MOMENTUM, columns=PC_COLUMNS, asset=PC_MOMENTUM_KEY, figures=_pc_figures)],
        settings,
        chunked=False,
    )
    if not len(outputs[PC_MOMENTUM]):
        context.log.warning(
            f"no PC momentum month in the window: needs {params.pc_min_months} months and {params.pc_min_days} "
            "days of factor returns before the first formation"
        )
    yield MaterializeResult()


# ---- momentum-neutral factors ------------------------------------------------------------------------

# Momentum for holding month s needs 12 neutral returns before s, each needing the formation weights of
# the month before it, and each past return r_{t-12,t-2} 11 more months.
NEUTRAL_WEIGHT_LOOKBACK = pd.DateOffset(months=15)
NEUTRAL_RETURN_LOOKBACK = pd.DateOffset(months=28)


def read_formation_weights(warehouse: Warehouse, start: date, end: date) -> dict[str, pd.DataFrame]:
    """Formation weights (month end x stock) per non-momentum factor, from ``models.factor_formation_weights``.

    One Arrow read and pivot per factor: the whole table as one pandas frame (a Python string per row for
    the factor and the stock, 11 M rows for 5,000 stocks x 20 years) set the backfill's peak memory."""
    factors = warehouse.query_if_exists(
        FORMATION_WEIGHTS,
        f"select distinct factor from {FORMATION_WEIGHTS} where period_end >= ? and period_end < ?",
        [start, end],
    )
    if factors is None or factors.empty:
        return {}
    out = {}
    for name in sorted(str(f) for f in factors["factor"]):
        if name.lower() in MOMENTUM_NAMES:
            continue
        rows = warehouse.query_arrow(
            f"select period_end, stock_id, weight from {FORMATION_WEIGHTS} "
            "where factor = ? and period_end >= ? and period_end < ?",
            [name, start, end],
        )
        out[name] = pivot_rows(rows, "period_end", "stock_id", "weight", FORMATION_WEIGHTS)
    return out


def neutral_tables(warehouse: Warehouse, start: date, end: date, params: FactorMomentumParams) -> dict:
    """Momentum-neutral factor returns (E-L 2022, Sec. IV.C) and factor momentum on them, next to factor
    momentum on the same (raw) characteristic factors, for holding months in [start, end)."""
    weight_start = (pd.Timestamp(start) - NEUTRAL_WEIGHT_LOOKBACK).date()
    weights = read_formation_weights(warehouse, weight_start, end)
    panels = MarketPanels(warehouse, end=end, start=(pd.Timestamp(start) - NEUTRAL_RETURN_LOOKBACK).date())
    monthly_ret = panels.stock_monthly("ret")
    if weights:
        past = cumulative_return(monthly_ret, 11, 1)  # r_{t-12,t-2} at formation t (E-L, Jegadeesh-Titman)
        weights = {k: w.loc[w.index.isin(monthly_ret.index)] for k, w in weights.items()}
        neutral = momentum_neutral_factor_returns(weights, monthly_ret, past, exclude=MOMENTUM_NAMES)
    else:
        neutral = pd.DataFrame(index=pd.DatetimeIndex([], name="date"))
    neutral = neutral.dropna(how="all").sort_index(axis=1)
    raw = read_factor_panel(warehouse, end=end, start=weight_start, roles=("factor",), sources=("characteristic",))
    raw = raw.reindex(columns=list(neutral.columns))
    momentum = []
    for label, panel in (("characteristic", raw), ("momentum_neutral", neutral)):
        momentum.append(momentum_rows(momentum_frame(consecutive_months(panel), params)).assign(factor_set=label))
    returns = neutral.rename_axis(index="period_end", columns="factor").stack().rename("ret").reset_index()
    returns = returns.dropna(subset=["ret"])
    returns["period_end"] = pd.to_datetime(returns["period_end"])
    return {NEUTRAL_RETURNS: returns, NEUTRAL_MOMENTUM: pd.concat(momentum, ignore_index=True)}


def _tsmom_by_set(outputs) -> pd.DataFrame:
    """TS factor momentum on the momentum-neutral factors beside that on the same raw factors, by month."""
    mom = outputs[NEUTRAL_MOMENTUM]
    neutral = mom[mom["factor_set"] == "momentum_neutral"].rename(columns={"tsmom": "tsmom_neutral"})
    raw = mom[mom["factor_set"] == "characteristic"].rename(columns={"tsmom": "tsmom_raw"})
    return pd.concat([neutral[["period_end", "tsmom_neutral"]], raw[["period_end", "tsmom_raw"]]])


def _neutral_figures(own: pd.DataFrame) -> dict:
    return {"tsmom_neutral": mean_or_nan(own["tsmom_neutral"]), "tsmom_raw": mean_or_nan(own["tsmom_raw"])}


NEUTRAL_TABLES = [
    Table(
        NEUTRAL_RETURNS,
        columns={"factor": "VARCHAR", "ret": DOUBLE},
        asset=NEUTRAL_KEY,
        figures=_neutral_figures,
        report=_tsmom_by_set,
    ),
    Table(NEUTRAL_MOMENTUM, columns={"factor_set": "VARCHAR", **MOMENTUM_DDL}),
]


def momentum_neutral_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = fm_params(settings)
    materialize_window(
        context,
        warehouse,
        lambda lo, hi: neutral_tables(warehouse, lo, hi, params),
        NEUTRAL_TABLES,
        settings,
        chunked=False,
    )
    yield MaterializeResult()


def build_strategy_assets(partitions: Partitions) -> list:
    def partitioned(compute, key_, deps, description: str):
        spec = asset_spec(key_, deps=deps, description=description)
        return partitioned_asset(
            compute, name=f"factor_momentum__{key_.path[-1]}", specs=[spec], partitions_def=partitions.monthly
        )

    return [
        partitioned(
            factor_momentum_asset,
            FACTOR_MOMENTUM_KEY,
            [FACTOR_RETURNS_KEY],
            "Ehsani-Linnainmaa (2022, Sec. I.B) factor momentum on the monthly factor returns (role factor; "
            "momentum factors excluded), row = holding month t+1. tsmom = mean_f sign(MA_f,t) r_f,t+1 with MA "
            "over months t-11..t (no skip month), winners/losers = EW mean return of the factors with MA > 0 / "
            "< 0; xsmom = long factors with MA at or above the cross-sectional median, short below; "
            "xsmom_weighted uses (MA - mean MA)/N. Table models.factor_momentum_monthly.",
        ),
        partitioned(
            pc_factor_momentum_asset,
            PC_MOMENTUM_KEY,
            [FACTOR_RETURNS_KEY],
            "Ehsani-Linnainmaa (2022, Table IV) PC factor momentum, row = holding month t+1: eigenvectors of "
            "the CORRELATION matrix of daily factor returns from the start through t (expanding), monthly PC "
            "returns, each PC demeaned and levered with months <= t (mean 0, variance = average factor "
            "variance), signal = sign of the PC's mean over t-11..t, EW within PC groups (PC1-10, 11-20, ...; "
            "halves with < 20 factors; group_rank 1 = highest eigenvalues). The factor set at t = factors "
            "with >= pc_min_months months and pc_min_days days through t. Table "
            "models.pc_factor_momentum_monthly.",
        ),
        partitioned(
            momentum_neutral_asset,
            NEUTRAL_KEY,
            [FACTOR_RETURNS_KEY, key(STOCK_RETURNS_MONTHLY)],
            "Ehsani-Linnainmaa (2022, Sec. IV.C) momentum-neutral factors: each characteristic factor's "
            "formation weights projected to x = w - A'(AA')^-1 A w with A = [1'; r_t-12,t-2'] (zero net "
            "investment, zero exposure to past returns), held over t+1 (models.momentum_neutral_factor_returns); "
            "TS/CS factor momentum on them and, for comparison, on the same raw characteristic factors "
            "(models.momentum_neutral_factor_momentum, factor_set = momentum_neutral | characteristic).",
        ),
    ]
