"""``factors/dmom_features``: the D-MOM regressors of every stock at every month end, stored per month.

D-MOM's pooled linear probability model is expanding by definition (Del Viva, Sala & Souza 2024): each
month it refits on every past month's regressors. Storing them per month lets a new month append its own
rows (from 13 months of history) and the factor refit from this small table, instead of re-deriving run
durations from all daily history.
"""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult

from momentum_dag.assets.common import (
    asset_spec,
    in_window,
    partitioned_asset,
    report_partitions,
    window_dates,
)
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.stock.dmom import dmom_features
from momentum_dag.names import (
    DMOM_FEATURES,
    DMOM_FEATURES_KEY,
    MARKET_MONTHLY,
    STG_MARKET_DAILY,
    STOCK_RETURNS_DAILY,
    STOCK_RETURNS_MONTHLY,
    key,
)
from momentum_dag.partitions import Lookback, Partitions, chunks
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

# Durations are capped at 12 months / weeks / days: 12 months of monthly returns before the month end,
# plus its own month (the daily and weekly runs reach back well within that).
FEATURES_LOOKBACK = Lookback(months=13)


def traded_monthly_returns(panels: MarketPanels) -> pd.DataFrame:
    """Monthly returns of the months in which the stock traded at least one day (D-MOM counts a fully
    suspended month as missing, not as a zero return)."""
    return panels.stock_monthly("ret").where(panels.stock_monthly("n_days") > 0)


def features_window(warehouse: Warehouse, start: date, end: date, chunk_months: int) -> pd.DataFrame:
    """The regressors of the month ends in [start, end), chunk by chunk."""
    parts = []
    for lo, hi in chunks(start, end, chunk_months):
        panels = MarketPanels.for_window(warehouse, lo, hi, FEATURES_LOOKBACK)
        market = panels.market_daily
        rows = dmom_features(
            panels.stock_daily("ret"),  # NaN on suspended days: durations and IVL use traded days only
            panels.stock_daily("excess_ret"),
            market["market_excess"],
            traded_monthly_returns(panels),
            panels.market_monthly["market_excess"],
        )
        parts.append(in_window(rows, "period_end", lo, hi))
    return pd.concat(parts, ignore_index=True)


def dmom_features_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    start, end = window_dates(context)
    rows = features_window(warehouse, start, end, settings.chunk_months)
    result = warehouse.write_window(DMOM_FEATURES, rows, date_column="period_end", start=start, end=end)
    report_partitions(
        context,
        DMOM_FEATURES_KEY,
        result,
        rows,
        "period_end",
        lambda own: {"stocks": int(own["entity_id"].nunique()), "ivl_coverage": float(own["IVL"].notna().mean())},
    )
    yield MaterializeResult()


def build_dmom_features_asset(partitions: Partitions):
    spec = asset_spec(
        DMOM_FEATURES_KEY,
        deps=[key(STOCK_RETURNS_DAILY), key(STOCK_RETURNS_MONTHLY), key(MARKET_MONTHLY), key(STG_MARKET_DAILY)],
        description=(
            "D-MOM regressors per stock and month end t (Del Viva, Sala & Souza 2024): positive and negative "
            "run durations of monthly, weekly and daily returns ending at t (MP, WP, DP, MN, WN, DN; capped at "
            "12), idiosyncratic variance IVL of month t's daily CAPM residuals, the month's market excess return "
            "(lag_market) and the stock's own return (lag_ret); they predict the sign of the return in t+1."
        ),
    )
    return partitioned_asset(
        dmom_features_asset, name="factors__dmom_features", specs=[spec], partitions_def=partitions.monthly
    )
