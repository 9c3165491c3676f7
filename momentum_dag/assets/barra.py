"""Barra-style (CNE5) style exposures and cross-sectional factor returns.

``barra/exposures`` (monthly): the ten style exposures of every stock at each month end, from prices,
volumes and point-in-time fundamentals. ``barra/factor_returns`` (monthly): country, industry and style
factor returns of every day and month of the window, from a WLS of stock returns on the exposures at the
previous month end (weights sqrt(float cap)). Industry residual momentum and factor momentum use them.
"""

from datetime import timedelta

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult

from momentum_dag.assets.common import (
    asset_spec,
    partitioned_asset,
)
from momentum_dag.assets.panels import MarketPanels, history_start
from momentum_dag.assets.windowed import Table, materialize_window
from momentum_dag.core.barra.exposures import STYLE_NAMES, style_exposures
from momentum_dag.core.barra.factor_returns import factor_returns
from momentum_dag.names import (
    BARRA_EXPOSURES,
    BARRA_FACTOR_RETURNS_DAILY,
    BARRA_FACTOR_RETURNS_KEY,
    BARRA_FACTOR_RETURNS_MONTHLY,
    MARKET_MONTHLY,
    STG_FUNDAMENTALS,
    STOCK_RETURNS_DAILY,
    STOCK_RETURNS_MONTHLY,
    key,
)
from momentum_dag.partitions import Lookback, Partitions
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

# Longest descriptor history: RSTR's 504 + 21 trading days of daily data before a month end; a year of
# lagged fundamentals (monthly) for growth.
DAILY_LOOKBACK = Lookback(days=504 + 21)
FUNDAMENTAL_LOOKBACK = Lookback(months=13)
FUNDAMENTALS = ("book_equity", "net_income_ttm", "revenue_ttm", "total_assets", "total_liabilities")


def compute_exposures(panels: MarketPanels) -> pd.DataFrame:
    """Style exposures at every month end of the panels from their ``formation_start`` on (all month ends
    without one): long rows period_end, stock_id, styles.

    The lookback's month ends are not computed: every descriptor and cross-section at t reads only its own
    trailing window, so the window's values are the same without them, and a 24-month chunk's 38-month
    lookback would otherwise more than double the work."""
    fundamentals = {name: panels.fundamentals_at_month_ends(name) for name in FUNDAMENTALS}
    month_ends = panels.month_ends
    if panels.formation_start is not None:
        month_ends = month_ends[month_ends >= pd.Timestamp(panels.formation_start)]
    market = panels.market_daily
    ret, turnover, total_mcap, float_mcap = panels.stock_daily_panels("ret", "turnover", "total_mcap", "float_mcap")
    return style_exposures(
        ret=ret,
        rf=market["rf"],
        market_excess=market["market_excess"],
        turnover=turnover,
        total_mcap=total_mcap,
        float_mcap=float_mcap,
        net_income_ttm_lag1y=fundamentals["net_income_ttm"].shift(12),
        revenue_ttm_lag1y=fundamentals["revenue_ttm"].shift(12),
        month_ends=month_ends,
        **fundamentals,
    )


def exposure_panels(warehouse: Warehouse, start, end) -> MarketPanels:
    """The panels of the exposures of the month ends in [start, end): daily data from RSTR's window before
    ``start``, monthly rows (fundamentals) from a year and a month before it."""
    return MarketPanels(
        warehouse,
        end=end,
        start=history_start(warehouse, start, FUNDAMENTAL_LOOKBACK),
        daily_start=history_start(warehouse, start, DAILY_LOOKBACK),
        formation_start=start,
    )


def _exposure_figures(own: pd.DataFrame) -> dict:
    return {
        "stocks": int(own["stock_id"].nunique()),
        "complete_style_coverage": float(own[list(STYLE_NAMES)].notna().all(axis=1).mean()),
    }


def barra_exposures(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    materialize_window(
        context,
        warehouse,
        lambda lo, hi: {BARRA_EXPOSURES: compute_exposures(exposure_panels(warehouse, lo, hi))},
        [Table(BARRA_EXPOSURES, asset=key(BARRA_EXPOSURES), figures=_exposure_figures)],
        settings,
    )
    yield MaterializeResult()


def _long_returns(wide: pd.DataFrame, date_column: str) -> pd.DataFrame:
    out = wide.rename_axis(date_column).reset_index().melt(id_vars=date_column, var_name="factor", value_name="ret")
    kinds = {name: "style" for name in STYLE_NAMES} | {"country": "country"}
    out["kind"] = out["factor"].map(kinds).fillna("industry")
    return out.dropna(subset=["ret"]).reset_index(drop=True)


def factor_returns_chunk(warehouse: Warehouse, start, end) -> dict[str, pd.DataFrame]:
    """Monthly and daily factor returns (long) of the chunk [start, end)."""
    # exposures of the month before the window explain the window's first month
    lookback = start - timedelta(days=40)
    exposures = warehouse.query(
        f"select * from {BARRA_EXPOSURES} where period_end >= ? and period_end < ?", [lookback, end]
    )
    exposures["period_end"] = pd.to_datetime(exposures["period_end"])
    panels = MarketPanels(warehouse, end=end, start=lookback)
    industry = panels.stock_monthly("industry_code")
    float_mcap = panels.stock_monthly("float_mcap")
    monthly = factor_returns(panels.stock_monthly("ret"), exposures, industry, float_mcap)
    daily = factor_returns(panels.stock_daily("ret"), exposures, industry, float_mcap)
    return {  # the windowed asset keeps the rows dated in [start, end)
        BARRA_FACTOR_RETURNS_MONTHLY: _long_returns(monthly, "period_end"),
        BARRA_FACTOR_RETURNS_DAILY: _long_returns(daily, "trade_date"),
    }


RETURN_COLUMNS = {"factor": "VARCHAR", "ret": "DOUBLE", "kind": "VARCHAR"}


def _return_figures(own: pd.DataFrame) -> dict:
    by_factor = own.set_index("factor")["ret"]
    styles = {f"{s}_return": float(by_factor[s]) for s in ("country", "momentum", "size") if s in by_factor}
    return {"factors": len(by_factor), **styles}


def barra_factor_returns(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    materialize_window(  # monthly and daily factor returns in ONE transaction
        context,
        warehouse,
        lambda lo, hi: factor_returns_chunk(warehouse, lo, hi),
        [
            # declared columns: a window too early for any regression (warm-up) still creates the tables
            Table(
                BARRA_FACTOR_RETURNS_MONTHLY,
                columns=RETURN_COLUMNS,
                asset=BARRA_FACTOR_RETURNS_KEY,
                figures=_return_figures,
            ),
            Table(BARRA_FACTOR_RETURNS_DAILY, "trade_date", columns=RETURN_COLUMNS),
        ],
        settings,
    )
    yield MaterializeResult()


def build_barra_assets(partitions: Partitions) -> list:
    exposures = partitioned_asset(
        barra_exposures,
        name="barra__exposures",
        specs=[
            asset_spec(
                key(BARRA_EXPOSURES),
                deps=[key(STOCK_RETURNS_DAILY), key(STG_FUNDAMENTALS), key(STOCK_RETURNS_MONTHLY), key(MARKET_MONTHLY)],
                description=(
                    "CNE5 style exposures per stock and month end: size, beta, momentum (RSTR), residual "
                    "volatility, non-linear size, liquidity, book-to-price, earnings yield, growth, leverage; "
                    "cap-weighted standardized, winsorized at 3 and orthogonalized as in Orr, Mashtaler & "
                    "Nagy (2012), The Barra China Equity Model (CNE5)."
                ),
            )
        ],
        partitions_def=partitions.monthly,
    )
    returns = partitioned_asset(
        barra_factor_returns,
        name="barra__factor_returns",
        specs=[
            asset_spec(
                BARRA_FACTOR_RETURNS_KEY,
                deps=[key(BARRA_EXPOSURES), key(STOCK_RETURNS_DAILY)],
                description=(
                    "Barra factor returns (country, industries, ten styles), daily and monthly: cross-sectional "
                    "WLS of stock returns on the exposures at the previous month end, weights sqrt(float cap), "
                    "cap-weighted industry returns constrained to sum to zero (CNE5). Tables "
                    "barra.factor_returns_daily and barra.factor_returns_monthly (long: date, factor, kind, ret), "
                    "written in one transaction."
                ),
            )
        ],
        partitions_def=partitions.monthly,
    )
    return [exposures, returns]
