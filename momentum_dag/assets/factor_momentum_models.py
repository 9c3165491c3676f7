"""Monthly-partitioned factor-momentum models (Ehsani & Linnainmaa 2022): TS/CS factor momentum, PC factor
momentum and momentum-neutral factors. Each run computes its window from history before the window end and
replaces the window in one transaction; rows are indexed by the HOLDING month (period_end)."""

from datetime import date

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, multi_asset

from momentum_dag.assets.common import dated_table_ddl as ddl
from momentum_dag.assets.common import in_window, window_dates, write_metadata
from momentum_dag.assets.factor_momentum_common import (
    DOUBLE,
    FACTOR_MOMENTUM,
    FACTOR_MOMENTUM_KEY,
    FACTOR_RETURNS_KEY,
    FORMATION_WEIGHTS,
    MOMENTUM_COLUMNS,
    MOMENTUM_NAMES,
    NEUTRAL_KEY,
    NEUTRAL_MOMENTUM,
    NEUTRAL_RETURNS,
    PC_MOMENTUM,
    PC_MOMENTUM_KEY,
    STOCK_MONTHLY,
    FactorMomentumParams,
    fm_params,
    momentum_frame,
    momentum_rows,
    read_factor_panel,
)
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.factor_momentum.characteristics import cumulative_return
from momentum_dag.core.factor_momentum.pc_factors import apply_pc_positions, default_pc_groups, pc_momentum_positions
from momentum_dag.core.factor_momentum.portfolios import momentum_neutral_factor_returns
from momentum_dag.partitions import monthly_partitions
from momentum_dag.settings import get_settings
from momentum_dag.sources import data_source_label
from momentum_dag.warehouse import Warehouse, write_windows

GROUP = "factor_momentum"


def _spec(key, deps, description: str) -> AssetSpec:
    return AssetSpec(
        key,
        deps=deps,
        description=description,
        group_name=GROUP,
        kinds={"duckdb", "pandas"},
        partitions_def=monthly_partitions,
    )


def _partitioned(spec: AssetSpec, name: str):
    return multi_asset(
        specs=[spec],
        name=name,
        partitions_def=monthly_partitions,
        backfill_policy=BackfillPolicy.single_run(),
    )


def consecutive_months(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with one row per calendar month between its first and last row (core functions count
    rows as months); a month without any row gets NaNs dated at the calendar month end."""
    if panel.empty:
        return panel
    periods = panel.index.to_period("M")
    if periods.has_duplicates:
        raise ValueError("factor panel has two rows in one month")
    full = pd.period_range(periods.min(), periods.max(), freq="M")
    if len(full) == len(periods):
        return panel
    dates = pd.Series(full.to_timestamp(how="end").normalize(), index=full)
    dates.loc[periods] = panel.index
    return (
        panel.set_axis(periods)
        .reindex(full)
        .set_axis(pd.DatetimeIndex(dates.to_numpy(), name=panel.index.name))
    )


def _window_meta(frame: pd.DataFrame, column: str) -> dict:
    values = frame[column].dropna() if column in frame else pd.Series(dtype=float)
    if values.empty:
        return {f"{column}_mean": float("nan"), f"{column}_t": float("nan")}
    t = values.mean() / (values.std(ddof=1) / np.sqrt(len(values))) if len(values) > 1 else float("nan")
    return {f"{column}_mean": float(values.mean()), f"{column}_t": float(t)}


# ---- TS / CS factor momentum -------------------------------------------------------------------------


def strategy_panel(warehouse: Warehouse, end: date, params: FactorMomentumParams, start: date | None = None):
    return consecutive_months(
        read_factor_panel(warehouse, end=end, start=start, roles=("factor",), sources=params.strategy_sources)
    )


@_partitioned(
    _spec(
        FACTOR_MOMENTUM_KEY,
        [FACTOR_RETURNS_KEY],
        "Ehsani-Linnainmaa (2022) factor momentum on the monthly factor returns (role factor; momentum "
        "factors "
        "excluded), row = holding month t+1. tsmom = mean_f sign(MA_f,t) r_f,t+1 with MA over months t-11..t "
        "(no skip month), winners/losers = EW mean return of the factors with MA > 0 / < 0; xsmom = long "
        "factors with MA at or above the cross-sectional median, short below; xsmom_weighted uses "
        "(MA - mean MA)/N. Table models.factor_momentum_monthly.",
    ),
    "factor_momentum__factor_momentum",
)
def factor_momentum_asset(context: AssetExecutionContext, warehouse: Warehouse):
    settings = get_settings()
    params = fm_params(settings)
    start, end = window_dates(context)
    returns = strategy_panel(warehouse, end, params)
    rows = in_window(momentum_rows(momentum_frame(returns, params)), "period_end", start, end)
    result = warehouse.write_window(
        FACTOR_MOMENTUM,
        rows,
        date_column="period_end",
        start=start,
        end=end,
        ddl=ddl(FACTOR_MOMENTUM, "period_end", MOMENTUM_COLUMNS),
    )
    missing = "" if len(rows) else f"no month with a {params.lookback}-month signal yet (history too short)"
    yield MaterializeResult(
        metadata=write_metadata(
            result,
            factors=int(returns.shape[1]),
            **_window_meta(rows, "tsmom"),
            **_window_meta(rows, "xsmom"),
            missing=missing,
            data_source=data_source_label(settings),
        )
    )


# ---- PC factor momentum ------------------------------------------------------------------------------


def eligible_factors(daily: pd.DataFrame, monthly: pd.DataFrame, params: FactorMomentumParams) -> pd.Series:
    """Factors usable for PCs formed at each month end t (a tuple per month), from data <= t only: at
    least ``pc_min_months`` monthly and ``pc_min_days`` daily returns through t and a full signal window.
    The factor set grows as young factors (e.g. 60-month long-term reversal) accumulate history."""
    months = monthly.notna()
    enough = (months.cumsum() >= params.pc_min_months) & (
        months.rolling(params.lookback).sum() == params.lookback
    )
    day_counts = daily.notna().cumsum().reindex(columns=monthly.columns).fillna(0)
    day_counts = day_counts.reindex(monthly.index, method="ffill").fillna(0)
    enough &= day_counts >= params.pc_min_days
    return enough.apply(lambda row: tuple(row.index[row.to_numpy()]), axis=1)


def pc_momentum_returns(
    daily: pd.DataFrame, monthly: pd.DataFrame, params: FactorMomentumParams
) -> pd.DataFrame:
    """Long rows (period_end = holding month, pc_group, group_rank, n_factors, ret) of E-L (2022) PC factor
    momentum (``core.pc_factors``), the factor set re-chosen each month by ``eligible_factors``: months
    with the same set form one segment, run through ``pc_momentum_positions`` on that set."""
    columns = ["period_end", "pc_group", "group_rank", "n_factors", "ret"]
    if monthly.empty or daily.empty:
        return pd.DataFrame({c: [] for c in columns})
    sets = eligible_factors(daily, monthly, params)
    segment = (sets != sets.shift()).cumsum()
    frames = []
    for _, months in sets.groupby(segment):
        factors = list(months.iloc[0])
        if len(factors) < 2:  # a correlation matrix needs two factors
            continue
        last = months.index[-1]
        positions = pc_momentum_positions(
            daily.loc[:last, factors],
            monthly.loc[:last, factors],
            lookback=params.lookback,
            min_days=params.pc_min_days,
            min_months=params.pc_min_months,
            exclude=(),
        )
        positions = positions[positions.index.get_level_values("period_end").isin(months.index)]
        if positions.empty:
            continue
        wide = apply_pc_positions(positions, monthly[factors])
        groups = [f"pc{a}_{b}" for a, b in default_pc_groups(len(factors))]
        long = wide.rename_axis(index="period_end", columns="pc_group").stack().rename("ret").reset_index()
        long = long.dropna(subset=["ret"])  # a holding month with a factor return missing has no PC return
        long["group_rank"] = long["pc_group"].map({g: i + 1 for i, g in enumerate(groups)}).astype("int64")
        frames.append(long.assign(n_factors=len(factors)))
    if not frames:
        return pd.DataFrame({c: [] for c in columns})
    out = pd.concat(frames, ignore_index=True)[columns]
    out["period_end"] = pd.to_datetime(out["period_end"])
    return out.sort_values(["period_end", "group_rank"]).reset_index(drop=True)


PC_COLUMNS = {"pc_group": "VARCHAR", "group_rank": "INTEGER", "n_factors": "INTEGER", "ret": DOUBLE}


@_partitioned(
    _spec(
        PC_MOMENTUM_KEY,
        [FACTOR_RETURNS_KEY],
        "Ehsani-Linnainmaa (2022, Table IV) PC factor momentum, row = holding month t+1: eigenvectors of the "
        "CORRELATION matrix of daily factor returns from the start through t (expanding), monthly PC "
        "returns, "
        "each PC demeaned and levered with months <= t (mean 0, variance = average factor variance), signal "
        "= "
        "sign of the PC's mean over t-11..t, EW within PC groups (PC1-10, 11-20, ...; halves with < 20 "
        "factors; group_rank 1 = highest eigenvalues). Walks the months in order; the factor set at t = "
        "factors with >= pc_min_months months and pc_min_days days through t. Table "
        "models.pc_factor_momentum_monthly.",
    ),
    "factor_momentum__pc_factor_momentum",
)
def pc_factor_momentum_asset(context: AssetExecutionContext, warehouse: Warehouse):
    settings = get_settings()
    params = fm_params(settings)
    start, end = window_dates(context)
    monthly = strategy_panel(warehouse, end, params)
    daily = read_factor_panel(
        warehouse, end=end, roles=("factor",), sources=params.strategy_sources, daily=True
    )
    rows = in_window(pc_momentum_returns(daily, monthly, params), "period_end", start, end)
    result = warehouse.write_window(
        PC_MOMENTUM,
        rows,
        date_column="period_end",
        start=start,
        end=end,
        ddl=ddl(PC_MOMENTUM, "period_end", PC_COLUMNS),
    )
    first = rows[rows["group_rank"] == 1] if len(rows) else rows
    missing = (
        ""
        if len(rows)
        else (
            f"no PC momentum month in the window: needs {params.pc_min_months} months and "
            f"{params.pc_min_days} "
            "days of factor returns before the first formation"
        )
    )
    yield MaterializeResult(
        metadata=write_metadata(
            result,
            n_factors_last=int(rows["n_factors"].iloc[-1]) if len(rows) else 0,
            **_window_meta(first.rename(columns={"ret": "pc_high"}), "pc_high"),
            missing=missing,
            data_source=data_source_label(settings),
        )
    )


# ---- momentum-neutral factors ------------------------------------------------------------------------

# Momentum for holding month s needs 12 neutral returns before s, each needing the formation weights of
# the month before it, and each past return r_{t-12,t-2} 11 more months.
NEUTRAL_WEIGHT_LOOKBACK = pd.DateOffset(months=15)
NEUTRAL_RETURN_LOOKBACK = pd.DateOffset(months=28)


def read_formation_weights(warehouse: Warehouse, start: date, end: date) -> dict[str, pd.DataFrame]:
    """Formation weights (month end x stock) per non-momentum factor, from
    ``models.factor_formation_weights``."""
    frame = warehouse.query_if_exists(
        FORMATION_WEIGHTS,
        f"select period_end, factor, stock_id, weight from {FORMATION_WEIGHTS} where period_end >= ? and "
        "period_end < ?",
        [start, end],
    )
    if frame is None or frame.empty:
        return {}
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    out = {}
    for name, rows in frame.groupby("factor"):
        if str(name).lower() in MOMENTUM_NAMES:
            continue
        wide = rows.pivot(index="period_end", columns="stock_id", values="weight")
        wide.index = pd.DatetimeIndex(wide.index, name="date")
        wide.columns = wide.columns.astype(str)
        wide.columns.name = None
        out[str(name)] = wide.sort_index()
    return out


def neutral_tables(warehouse: Warehouse, start: date, end: date, params: FactorMomentumParams) -> dict:
    """Momentum-neutral factor returns (E-L 2022 section IV.C) and factor momentum on them, next to factor
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
    raw = read_factor_panel(
        warehouse, end=end, start=weight_start, roles=("factor",), sources=("characteristic",)
    )
    raw = raw.reindex(columns=list(neutral.columns))
    momentum = []
    for label, panel in (("characteristic", raw), ("momentum_neutral", neutral)):
        frame = momentum_rows(momentum_frame(consecutive_months(panel), params)).assign(factor_set=label)
        momentum.append(frame)
    returns = neutral.rename_axis(index="period_end", columns="factor").stack().rename("ret").reset_index()
    returns = returns.dropna(subset=["ret"])
    returns["period_end"] = pd.to_datetime(returns["period_end"])
    return {
        NEUTRAL_RETURNS: in_window(returns, "period_end", start, end),
        NEUTRAL_MOMENTUM: in_window(pd.concat(momentum, ignore_index=True), "period_end", start, end),
    }


NEUTRAL_TABLES = {
    NEUTRAL_RETURNS: ("period_end", ddl(NEUTRAL_RETURNS, "period_end", {"factor": "VARCHAR", "ret": DOUBLE})),
    NEUTRAL_MOMENTUM: (
        "period_end",
        ddl(NEUTRAL_MOMENTUM, "period_end", {"factor_set": "VARCHAR", **MOMENTUM_COLUMNS}),
    ),
}


@_partitioned(
    _spec(
        NEUTRAL_KEY,
        [FACTOR_RETURNS_KEY, STOCK_MONTHLY],
        "Ehsani-Linnainmaa (2022, section IV.C) momentum-neutral factors: each characteristic factor's "
        "formation weights projected to x = w - A'(AA')^-1 A w with A = [1'; r_t-12,t-2'] (zero net "
        "investment, zero exposure to past returns), held over t+1 (models.momentum_neutral_factor_returns); "
        "TS/CS factor momentum on them and, for comparison, on the same raw characteristic factors "
        "(models.momentum_neutral_factor_momentum, factor_set = momentum_neutral | characteristic).",
    ),
    "factor_momentum__momentum_neutral_factors",
)
def momentum_neutral_asset(context: AssetExecutionContext, warehouse: Warehouse):
    settings = get_settings()
    start, end = window_dates(context)
    tables = neutral_tables(warehouse, start, end, fm_params(settings))
    with warehouse.get_connection() as conn:
        results = write_windows(conn, NEUTRAL_TABLES, [tables], start=start, end=end)
    mom = tables[NEUTRAL_MOMENTUM]
    neutral = mom[mom["factor_set"] == "momentum_neutral"] if len(mom) else mom
    yield MaterializeResult(
        metadata=write_metadata(
            results[NEUTRAL_RETURNS],
            momentum_rows_written=results[NEUTRAL_MOMENTUM].rows_written,
            factors=int(tables[NEUTRAL_RETURNS]["factor"].nunique()) if len(tables[NEUTRAL_RETURNS]) else 0,
            **_window_meta(neutral, "tsmom"),
            missing=""
            if len(neutral)
            else "no neutral factor-momentum month in the window (history too short)",
            data_source=data_source_label(settings),
        )
    )


MODEL_ASSETS = [factor_momentum_asset, pc_factor_momentum_asset, momentum_neutral_asset]
