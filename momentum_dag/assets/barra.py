"""Barra-style (CNE5) style exposures and cross-sectional factor returns (FACTORS.md section 6).

``barra/exposures`` (monthly): the ten style exposures of every stock at each month end, from prices,
volumes and point-in-time fundamentals. ``barra/factor_returns`` (monthly): country, industry and style
factor returns of every day and month of the window, from a WLS of stock returns on the exposures at the
previous month end (weights sqrt(float cap)). Industry residual momentum and factor momentum use them.
"""

from datetime import timedelta

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    multi_asset,
)

from momentum_dag.assets.common import window_dates, write_metadata
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.barra.exposures import STYLE_NAMES, style_exposures
from momentum_dag.core.barra.factor_returns import factor_returns
from momentum_dag.partitions import monthly_partitions
from momentum_dag.warehouse import Warehouse

# Longest descriptor history: RSTR's 504 + 21 trading days, plus a year of lagged fundamentals for growth.
EXPOSURE_LOOKBACK = timedelta(days=3 * 366)
FUNDAMENTALS = ("book_equity", "net_income_ttm", "revenue_ttm", "total_assets", "total_liabilities")


def compute_exposures(panels: MarketPanels) -> pd.DataFrame:
    """Style exposures at every month end of the panels (long rows: period_end, stock_id, styles)."""
    fundamentals = {name: panels.fundamentals_at_month_ends(name) for name in FUNDAMENTALS}
    market = panels.market_daily
    ret = panels.stock_daily("ret")
    return style_exposures(
        ret=ret,
        rf=market["rf"],
        market_excess=market["market_excess"],
        turnover=panels.stock_daily("turnover"),
        total_mcap=panels.stock_daily("total_mcap"),
        float_mcap=panels.stock_daily("float_mcap"),
        net_income_ttm_lag1y=fundamentals["net_income_ttm"].shift(12),
        revenue_ttm_lag1y=fundamentals["revenue_ttm"].shift(12),
        month_ends=panels.month_ends,
        **fundamentals,
    )


@multi_asset(
    specs=[
        AssetSpec(
            ["barra", "exposures"],
            deps=[AssetKey(["marts", "stock_returns_daily"]), AssetKey(["staging", "stg_fundamentals"]),
                  AssetKey(["marts", "stock_returns_monthly"]), AssetKey(["marts", "market_monthly"])],
            description=(
                "CNE5 style exposures per stock and month end: size, beta, momentum (RSTR), residual volatility, "
                "non-linear size, liquidity, book-to-price, earnings yield, growth, leverage; cap-weighted "
                "standardized, winsorized at 3 and orthogonalized as FACTORS.md section 6 states."
            ),
            group_name="barra",
            kinds={"duckdb", "pandas"},
            partitions_def=monthly_partitions,
        )
    ],
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    name="barra__exposures",
)
def barra_exposures(context: AssetExecutionContext, warehouse: Warehouse):
    start, end = window_dates(context)
    panels = MarketPanels(warehouse, end=end, start=start - EXPOSURE_LOOKBACK)
    exposures = compute_exposures(panels)
    exposures = exposures[pd.to_datetime(exposures["period_end"]) >= pd.Timestamp(start)]
    result = warehouse.write_window("barra.exposures", exposures, date_column="period_end", start=start, end=end)
    coverage = float(exposures[list(STYLE_NAMES)].notna().all(axis=1).mean()) if len(exposures) else 0.0
    yield MaterializeResult(metadata=write_metadata(result, complete_style_coverage=coverage))


def _long_returns(wide: pd.DataFrame, date_column: str) -> pd.DataFrame:
    out = wide.rename_axis(date_column).reset_index().melt(id_vars=date_column, var_name="factor", value_name="ret")
    kinds = {name: "style" for name in STYLE_NAMES} | {"country": "country"}
    out["kind"] = out["factor"].map(kinds).fillna("industry")
    return out.dropna(subset=["ret"]).reset_index(drop=True)


@multi_asset(
    specs=[
        AssetSpec(
            ["barra", "factor_returns"],
            deps=[AssetKey(["barra", "exposures"]), AssetKey(["marts", "stock_returns_daily"])],
            description=(
                "Barra factor returns (country, industries, ten styles), daily and monthly: cross-sectional "
                "WLS of stock returns on the exposures at the previous month end, weights sqrt(float cap), "
                "cap-weighted industry returns constrained to sum to zero (CNE5). Tables "
                "barra.factor_returns_daily and barra.factor_returns_monthly (long: date, factor, kind, ret)."
            ),
            group_name="barra",
            kinds={"duckdb", "pandas"},
            partitions_def=monthly_partitions,
        )
    ],
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    name="barra__factor_returns",
)
def barra_factor_returns(context: AssetExecutionContext, warehouse: Warehouse):
    start, end = window_dates(context)
    # exposures of the month before the window explain the window's first month
    lookback = start - timedelta(days=40)
    exposures = warehouse.query(
        "select * from barra.exposures where period_end >= ? and period_end < ?", [lookback, end]
    )
    exposures["period_end"] = pd.to_datetime(exposures["period_end"])
    panels = MarketPanels(warehouse, end=end, start=lookback)
    industry = panels.stock_monthly("industry_code")
    float_mcap = panels.stock_monthly("float_mcap")
    monthly = factor_returns(panels.stock_monthly("ret"), exposures, industry, float_mcap)
    daily = factor_returns(panels.stock_daily("ret"), exposures, industry, float_mcap)
    window = (pd.Timestamp(start), pd.Timestamp(end))
    monthly = monthly[(monthly.index >= window[0]) & (monthly.index < window[1])]
    daily = daily[(daily.index >= window[0]) & (daily.index < window[1])]
    result = warehouse.write_window(
        "barra.factor_returns_monthly", _long_returns(monthly, "period_end"), date_column="period_end",
        start=start, end=end,
    )
    daily_result = warehouse.write_window(
        "barra.factor_returns_daily", _long_returns(daily, "trade_date"), date_column="trade_date",
        start=start, end=end,
    )
    yield MaterializeResult(metadata=write_metadata(result, daily_rows_written=daily_result.rows_written))
