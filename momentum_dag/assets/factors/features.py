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
    partitioned_asset,
    window_dates,
)
from momentum_dag.assets.panels import MarketPanels, history_start
from momentum_dag.assets.windowed import Table, compute_in_chunks, write_and_report
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
from momentum_dag.partitions import Lookback, Partitions, chunk_windows
from momentum_dag.settings import Settings
from momentum_dag.sources.calendar import trading_calendar
from momentum_dag.storage import Warehouse

# Durations are capped at 12 months / weeks / days: 12 months of monthly returns before the month end,
# plus its own month, for a stock that traded every month; a stock suspended for months reaches further
# back (:func:`traded_history_start`).
FEATURES_LOOKBACK = Lookback(months=13)
DURATION_PERIODS = 12


def traded_history_start(warehouse: Warehouse, start: date, end: date) -> date | None:
    """The first day the durations of the month ends in [start, end) read: the earliest, over the stocks
    that trade in the window, of the month of their 12th last traded month and the Monday of their 12th
    last traded week before ``start`` (None when no stock traded before ``start``).

    Del Viva, Sala & Souza (2024) count a duration over the stock's own traded periods (a suspension is
    skipped), so a stock back from a suspension of over a year needs returns from before it: a fixed
    calendar lookback would give it another duration in a one-month run than in a backfill. The weeks are
    searched among the 24 last traded months (each holds a traded week, and a week spans at most two).
    The last 12 and 24 traded months and the last 12 traded weeks are top-n aggregates per stock
    (``max(x, n)``), not a ranking of every earlier month (half the CPU at 5,000 stocks x 20 years).
    """
    found = warehouse.query(
        f"""
        with window_stocks as (
            select distinct stock_id from {STOCK_RETURNS_MONTHLY}
            where month_end >= ? and month_end < ? and n_days > 0
        ),
        months as (
            select stock_id,
                   max(month_end, {DURATION_PERIODS}) as last_12,
                   max(month_end, {2 * DURATION_PERIODS}) as last_24
            from {STOCK_RETURNS_MONTHLY}
            where month_end < ? and n_days > 0 and stock_id in (select stock_id from window_stocks)
            group by stock_id
        ),
        bounds as (
            select stock_id, list_min(last_12) as month_12, list_min(last_24) as month_24 from months
        ),
        weeks as (
            select d.stock_id, date_trunc('week', d.trade_date) as week
            from {STOCK_RETURNS_DAILY} d join bounds b on d.stock_id = b.stock_id
            where d.trade_date < ? and d.ret is not null
              and d.trade_date >= (select min(date_trunc('month', month_24)) from bounds)
              and d.trade_date >= date_trunc('month', b.month_24)
            group by d.stock_id, week
        ),
        last_weeks as (
            select stock_id, list_min(max(week, {DURATION_PERIODS})) as week_12 from weeks group by stock_id
        )
        select least(
            (select min(date_trunc('month', month_12)) from bounds),
            (select min(week_12) from last_weeks)
        ) as first
        """,
        [start, end, start, start],
    )
    first = found["first"].iloc[0] if len(found) else None
    return None if first is None or pd.isna(first) else pd.Timestamp(first).date()


def exchange_calendar(start: date, end: date) -> pd.DatetimeIndex:
    """Trading days known in advance: weekdays minus the exchange's closures (New Year's Day, the Spring
    Festival week, Labour Day, National Day; ``sources.calendar``), through a week after ``end``, which is
    how far :func:`momentum_dag.core.stock.dmom.week_dates` looks past a month end."""
    return trading_calendar(start, (pd.Timestamp(end) + pd.Timedelta(days=8)).date())


def traded_monthly_returns(panels: MarketPanels) -> pd.DataFrame:
    """Monthly returns of the months in which the stock traded at least one day (D-MOM counts a fully
    suspended month as missing, not as a zero return)."""
    return panels.stock_monthly("ret").where(panels.stock_monthly("n_days") > 0)


def features_chunk(warehouse: Warehouse, lo: date, hi: date) -> pd.DataFrame:
    """The regressors of the month ends in the chunk [lo, hi), from its own lookback."""
    first = history_start(warehouse, lo, FEATURES_LOOKBACK)
    traded = traded_history_start(warehouse, lo, hi)
    panels = MarketPanels(warehouse, end=hi, start=min(first, traded or first), formation_start=lo)
    market = panels.market_daily
    # both daily columns in one read (the (date, stock) keys scanned and laid out once)
    daily_ret, daily_excess_ret = panels.stock_daily_panels("ret", "excess_ret")
    return dmom_features(
        daily_ret,  # NaN on suspended days: durations and IVL use traded days only
        daily_excess_ret,
        market["market_excess"],
        traded_monthly_returns(panels),
        panels.market_monthly["market_excess"],
        calendar=exchange_calendar(panels.start, hi),
    )


def _figures(own: pd.DataFrame) -> dict:
    return {"stocks": int(own["entity_id"].nunique()), "ivl_coverage": float(own["IVL"].notna().mean())}


def features_window(warehouse: Warehouse, start: date, end: date, chunk_months: int, threads: int = 1) -> pd.DataFrame:
    """The regressors of the month ends in [start, end), chunk by chunk (``threads`` chunks at once)."""

    def chunk(lo: date, hi: date) -> dict[str, pd.DataFrame]:
        return {DMOM_FEATURES: features_chunk(warehouse, lo, hi)}

    return compute_in_chunks(chunk, chunk_windows(start, end, chunk_months), {}, threads)[DMOM_FEATURES]


def dmom_features_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    start, end = window_dates(context)
    rows = {DMOM_FEATURES: features_window(warehouse, start, end, settings.run.chunk_months, settings.chunk_threads)}
    write_and_report(
        context,
        warehouse,
        [Table(DMOM_FEATURES, asset=DMOM_FEATURES_KEY, figures=_figures)],
        rows,
        start,
        end,
        settings,
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
