"""``factor_momentum/factor_returns``: the monthly and daily long-short factor returns that factor momentum studies
(Ehsani & Linnainmaa 2022, Sec. I.A), each tagged with its source and role.

Sources: Barra style factor returns (``barra``), Fama-French style 30/70 long-short portfolios on the
characteristics of ``core.factor_momentum.characteristics`` (``characteristic``), the market excess return
(``market``, role ``market``: the spanning-test regressor) and, when ``raw.factor_returns_monthly`` has
rows, Ken French's factors (``kenfrench``, monthly only). The characteristic portfolios' formation weights
are stored in ``models.factor_formation_weights`` (period_end = formation month end; weight 0 = in the
universe but not held) so the momentum-neutral projection uses exactly the portfolios whose returns are
stored here, without recomputing the characteristics (their 252-day rolling market models are the costly
part).
"""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult

from momentum_dag.assets.common import (
    asset_spec,
    partitioned_asset,
)
from momentum_dag.assets.factor_momentum.common import fm_params
from momentum_dag.assets.panels import MarketPanels, history_start
from momentum_dag.assets.windowed import Table, materialize_window
from momentum_dag.core.factor_momentum.characteristics import build_characteristics
from momentum_dag.core.factor_momentum.portfolios import daily_factor_returns, long_short_returns, long_short_weights
from momentum_dag.core.factor_momentum.study import KENFRENCH_ROLES, FactorMomentumParams, role_of
from momentum_dag.names import (
    BARRA_FACTOR_RETURNS_DAILY,
    BARRA_FACTOR_RETURNS_KEY,
    BARRA_FACTOR_RETURNS_MONTHLY,
    FACTOR_RETURNS_DAILY,
    FACTOR_RETURNS_KEY,
    FACTOR_RETURNS_MONTHLY,
    FORMATION_WEIGHTS,
    MARKET_MONTHLY,
    RAW_FACTOR_RETURNS,
    STG_FUNDAMENTALS,
    STG_MARKET_DAILY,
    STOCK_RETURNS_DAILY,
    STOCK_RETURNS_MONTHLY,
    key,
)
from momentum_dag.partitions import Lookback, Partitions
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

# Longest characteristic history: long-term reversal r_{t-60,t-13} at the formation month before the
# window (monthly returns); the daily characteristics (252-day market model, 21-day turnover) at that
# formation month need a year of days.
CHARACTERISTIC_LOOKBACK = Lookback(months=63)
DAILY_LOOKBACK = Lookback(months=1, days=252 + 21)

DOUBLE = "DOUBLE"
RETURN_COLUMNS = {"factor": "VARCHAR", "source": "VARCHAR", "role": "VARCHAR", "ret": DOUBLE}
WEIGHT_COLUMNS = {"factor": "VARCHAR", "stock_id": "VARCHAR", "weight": DOUBLE}


def characteristic_weights(
    panels: MarketPanels, params: FactorMomentumParams, formation_start: pd.Timestamp | None = None
) -> dict[str, pd.DataFrame]:
    """Formation weights (month end x stock) of each characteristic's 30/70 long-short portfolio, at the
    month ends from ``formation_start`` on (None: all)."""
    monthly_ret = panels.stock_monthly("ret")
    float_cap = panels.stock_monthly("float_mcap").reindex_like(monthly_ret)
    daily_ret, daily_turnover = panels.stock_daily_panels("ret", "turnover")
    chars = build_characteristics(
        monthly_ret,
        daily_ret,
        float_cap,
        panels.fundamentals_at_month_ends("book_equity"),
        panels.fundamentals_at_month_ends("net_income_ttm"),
        panels.fundamentals_at_month_ends("total_assets"),
        daily_turnover,
        panels.market_daily["market_excess"],
        total_cap=panels.stock_monthly("total_mcap").reindex_like(monthly_ret),
        beta_days=params.beta_days,
        beta_min_days=params.beta_min_days,
        turnover_days=params.turnover_days,
        turnover_min_days=params.turnover_min_days,
        formation_start=formation_start,
    )
    cap = float_cap if params.value_weighted else None
    return {name: long_short_weights(c, cap, quantile=params.quantile) for name, c in chars.items()}


def _long(wide: pd.DataFrame, date_column: str, source: str, prefix: str = "") -> pd.DataFrame:
    out = wide.rename_axis(index=date_column, columns="factor").stack().rename("ret").reset_index()
    out["factor"] = prefix + out["factor"].astype(str)
    out[date_column] = pd.to_datetime(out[date_column])
    out["source"] = source
    out["role"] = out["factor"].map({name: role_of(name) for name in out["factor"].unique()})
    return out[[date_column, "factor", "source", "role", "ret"]]


def barra_style_returns(warehouse: Warehouse, table: str, column: str, start: date, end: date) -> pd.DataFrame:
    """Barra style returns in [start, end) from a ``barra.factor_returns_*`` table (wide)."""
    frame = warehouse.query_if_exists(
        table,
        f"select {column}, factor, ret from {table} where kind = 'style' and {column} >= ? and {column} < ?",
        [start, end],
    )
    if frame is None or frame.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([]))
    wide = frame.pivot(index=column, columns="factor", values="ret")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    return wide


def kenfrench_rows(warehouse: Warehouse, start: date, end: date) -> pd.DataFrame:
    """Ken French factor rows of the window from ``raw.factor_returns_monthly`` (empty when not loaded)."""
    frame = warehouse.query_if_exists(
        RAW_FACTOR_RETURNS,
        f"select month_end as period_end, factor, ret from {RAW_FACTOR_RETURNS} where month_end >= ? and month_end < ?",
        [start, end],
    )
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["period_end", "factor", "source", "role", "ret"])
    frame = frame[frame["factor"].isin(list(KENFRENCH_ROLES))].copy()
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["source"] = "kenfrench"
    frame["role"] = frame["factor"].map(KENFRENCH_ROLES)
    return frame[["period_end", "factor", "source", "role", "ret"]]


def factor_return_tables(warehouse: Warehouse, start: date, end: date, params: FactorMomentumParams) -> dict:
    """The three tables' rows for the chunk [start, end), computed from history before ``end``."""
    panels = MarketPanels(
        warehouse,
        end=end,
        start=history_start(warehouse, start, CHARACTERISTIC_LOOKBACK),
        daily_start=history_start(warehouse, start, DAILY_LOOKBACK),
    )
    # The window's holding months are earned by the portfolios formed from the month end before it: only
    # those are formed (the lookback's rows only feed the characteristics' lags and windows), and the
    # daily returns are computed for the window's days only (each month's buy-and-hold starts afresh).
    formation_start = pd.Timestamp(start) - pd.DateOffset(months=1)
    weights = characteristic_weights(panels, params, formation_start)
    monthly_ret = panels.stock_monthly("ret")
    char_monthly = pd.DataFrame({name: long_short_returns(w, monthly_ret) for name, w in weights.items()})
    daily_ret = panels.stock_daily("ret")
    daily_ret = daily_ret.loc[daily_ret.index >= pd.Timestamp(start)]
    char_daily = daily_factor_returns({name: w.dropna(axis=1, how="all") for name, w in weights.items()}, daily_ret)
    market_m = panels.market_monthly[["market_excess"]].rename(columns={"market_excess": "mkt_rf"})
    market_d = panels.market_daily[["market_excess"]].rename(columns={"market_excess": "mkt_rf"})
    monthly = pd.concat(
        [
            _long(char_monthly, "period_end", "characteristic"),
            _long(
                barra_style_returns(warehouse, BARRA_FACTOR_RETURNS_MONTHLY, "period_end", start, end),
                "period_end",
                "barra",
                "barra_",
            ),
            _long(market_m, "period_end", "market").assign(role="market"),
            kenfrench_rows(warehouse, start, end),
        ],
        ignore_index=True,
    )
    daily = pd.concat(
        [
            _long(char_daily, "trade_date", "characteristic"),
            _long(
                barra_style_returns(warehouse, BARRA_FACTOR_RETURNS_DAILY, "trade_date", start, end),
                "trade_date",
                "barra",
                "barra_",
            ),
            _long(market_d, "trade_date", "market").assign(role="market"),
        ],
        ignore_index=True,
    )
    formation = pd.concat(
        [
            w.rename_axis(index="period_end", columns="stock_id")
            .stack()
            .rename("weight")
            .reset_index()
            .assign(factor=n)
            for n, w in weights.items()
        ],
        ignore_index=True,
    )[["period_end", "factor", "stock_id", "weight"]]
    formation["period_end"] = pd.to_datetime(formation["period_end"])
    return {  # the windowed asset keeps the rows dated in [start, end)
        FACTOR_RETURNS_MONTHLY: monthly.dropna(subset=["ret"]),
        FACTOR_RETURNS_DAILY: daily.dropna(subset=["ret"]),
        FORMATION_WEIGHTS: formation.dropna(subset=["weight"]),
    }


def _figures(own: pd.DataFrame) -> dict:
    factors = own[own["role"] == "factor"]
    return {
        "factors": int(factors["factor"].nunique()),
        **{f"{source}_factors": int(n) for source, n in factors.groupby("source")["factor"].nunique().items()},
    }


def factor_returns_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = fm_params(settings)
    materialize_window(
        context,
        warehouse,
        lambda lo, hi: factor_return_tables(warehouse, lo, hi, params),
        [
            Table(FACTOR_RETURNS_MONTHLY, columns=RETURN_COLUMNS, asset=FACTOR_RETURNS_KEY, figures=_figures),
            Table(FACTOR_RETURNS_DAILY, "trade_date", columns=RETURN_COLUMNS),
            Table(FORMATION_WEIGHTS, columns=WEIGHT_COLUMNS),
        ],
        settings,
    )
    yield MaterializeResult()


def build_returns_asset(partitions: Partitions):
    spec = asset_spec(
        FACTOR_RETURNS_KEY,
        deps=[
            key(STOCK_RETURNS_MONTHLY),
            key(STOCK_RETURNS_DAILY),
            key(MARKET_MONTHLY),
            key(STG_MARKET_DAILY),
            key(STG_FUNDAMENTALS),
            BARRA_FACTOR_RETURNS_KEY,
            key(RAW_FACTOR_RETURNS),
        ],
        description=(
            "Ehsani-Linnainmaa (2022) factor set, monthly and daily: Barra style factor returns (source "
            "barra, factor barra_<style>), value-weighted 30/70 long-short portfolios on size, value, "
            "profitability, investment, strev, ltrev, low_beta, resid_vol, liquidity and momentum (source "
            "characteristic), the market excess return (source market, role market) and Ken French "
            "factors when raw.factor_returns_monthly has rows (source kenfrench, monthly only). role = "
            "momentum marks the stock-momentum factors kept out of factor-momentum strategies. Tables "
            "models.factor_returns_monthly (period_end = holding month), models.factor_returns_daily and "
            "models.factor_formation_weights (formation month end, factor, stock_id, weight)."
        ),
    )
    return partitioned_asset(
        factor_returns_asset, name="factor_momentum__factor_returns", specs=[spec], partitions_def=partitions.monthly
    )
