"""Monthly-partitioned Daniel-Moskowitz (2016) model assets: WML, market state, lagged betas, GARCH.

Each run computes its whole window in one pass from all history before the window end (so nothing after
the window can leak in; core functions use rows <= t for the value at t) and replaces the window in one
transaction. A holding month's WML needs that month's returns, so WML for holding month t is written
by partition t; formation-aligned rows (betas, variance forecasts) at t are as of the close of t.
"""

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, multi_asset

from momentum_dag.assets.common import dated_table_ddl as ddl
from momentum_dag.assets.common import in_window, window_dates, write_metadata
from momentum_dag.assets.crashes_common import (
    BETAS_KEY,
    MARKET_DAILY,
    MARKET_MONTHLY,
    MARKET_STATE,
    MARKET_STATE_KEY,
    STOCK_DAILY,
    STOCK_MONTHLY,
    VARIANCE_KEY,
    WML_BETAS,
    WML_DAILY,
    WML_FORMATION,
    WML_KEY,
    WML_MONTHLY,
    WML_VARIANCE,
    crash_params,
    decile_columns,
    read_dated,
    require_rows,
)
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.crashes import (
    decile_daily_returns,
    garch_variance_forecasts,
    market_state,
    rolling_lagged_betas,
    wml_portfolios,
)
from momentum_dag.partitions import monthly_partitions
from momentum_dag.settings import get_settings
from momentum_dag.sources import data_source_label
from momentum_dag.warehouse import Warehouse, write_windows

DOUBLE = "DOUBLE"


def _spec(key, deps, description: str) -> AssetSpec:
    return AssetSpec(
        key,
        deps=deps,
        description=description,
        group_name="crashes",
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


def _reset_dates(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.rename_axis(column).reset_index()
    out[column] = pd.to_datetime(out[column])
    return out


# ---- WML ---------------------------------------------------------------------------------------------


def wml_tables(panels: MarketPanels, n_deciles: int, min_valid_months: int) -> dict[str, pd.DataFrame]:
    """``models.wml_monthly`` (period_end = holding month, wml, d1..dn), ``models.wml_daily`` (trade_date,
    wml, d1..dn, daily buy-and-hold) and ``models.wml_formation`` rows from the marts, all history, plus
    "universe" (period_end, n_stocks with a return) for the coverage metadata."""
    monthly_ret = panels.stock_monthly("ret")
    mcap = panels.stock_monthly("float_mcap").reindex_like(monthly_ret)
    deciles, wml, formation = wml_portfolios(
        monthly_ret, mcap, n_deciles=n_deciles, min_valid_months=min_valid_months
    )
    labels = decile_columns(n_deciles)
    monthly = _reset_dates(pd.concat([wml, deciles], axis=1).dropna(subset=["wml"]), "period_end")
    daily_deciles = decile_daily_returns(panels.stock_daily("ret"), formation).reindex(columns=labels)
    daily = daily_deciles.assign(wml=daily_deciles[labels[-1]] - daily_deciles[labels[0]])
    daily = _reset_dates(daily[["wml", *labels]].dropna(subset=["wml"]), "trade_date")
    # stocks with a return at each month end: the universe for the formation coverage metadata
    universe = monthly_ret.notna().sum(axis=1).rename("n_stocks").rename_axis("period_end").reset_index()
    return {WML_MONTHLY: monthly, WML_DAILY: daily, WML_FORMATION: formation, "universe": universe}


def _formation_coverage(formation: pd.DataFrame, universe: pd.DataFrame, start, end) -> float:
    """Mean over the window's formation dates of (stocks in a decile) / (stocks with a return)."""
    universe = in_window(universe, "period_end", start, end).set_index("period_end")["n_stocks"]
    formed = formation.groupby("period_end")["stock_id"].nunique().reindex(universe.index).fillna(0)
    return float((formed / universe).mean()) if len(universe) else 0.0


def _wml_ddl(n_deciles: int) -> dict[str, tuple[str, str]]:
    returns = {"wml": DOUBLE, **dict.fromkeys(decile_columns(n_deciles), DOUBLE)}
    formation = {"stock_id": "VARCHAR", "decile": "INTEGER", "weight": DOUBLE, "past_ret": DOUBLE}
    return {
        WML_MONTHLY: ("period_end", ddl(WML_MONTHLY, "period_end", returns)),
        WML_DAILY: ("trade_date", ddl(WML_DAILY, "trade_date", returns)),
        WML_FORMATION: ("period_end", ddl(WML_FORMATION, "period_end", formation)),
    }


@_partitioned(
    _spec(
        WML_KEY,
        [STOCK_MONTHLY, STOCK_DAILY],
        "Daniel-Moskowitz (2016) WML = D10 - D1 of value-weighted (float cap at formation) deciles on the "
        "t-12..t-2 return (>= 8 valid months, all-stock breakpoints). Tables models.wml_monthly (row = "
        "holding month), models.wml_daily (daily buy-and-hold returns of the same portfolios) and "
        "models.wml_formation (period_end = formation date: stock_id, decile, weight, past_ret).",
    ),
    "crashes__wml",
)
def wml_asset(context: AssetExecutionContext, warehouse: Warehouse):
    settings = get_settings()
    params = crash_params(settings)
    start, end = window_dates(context)
    tables = wml_tables(MarketPanels(warehouse, end=end), params.n_deciles, params.min_valid_months)
    date_columns = _wml_ddl(params.n_deciles)
    chunk = {t: in_window(tables[t], column, start, end) for t, (column, _) in date_columns.items()}
    with warehouse.get_connection() as conn:  # the three tables in ONE transaction
        results = write_windows(conn, date_columns, [chunk], start=start, end=end)
    monthly = chunk[WML_MONTHLY]
    extra = {"coverage": _formation_coverage(chunk[WML_FORMATION], tables["universe"], start, end)}
    extra |= {f"{t.split('.')[1]}_rows": r.rows_written for t, r in results.items() if t != WML_MONTHLY}
    yield MaterializeResult(
        metadata=write_metadata(
            results[WML_MONTHLY],
            **extra,
            wml_mean_monthly=float(monthly["wml"].mean()) if len(monthly) else float("nan"),
            wml_min_monthly=float(monthly["wml"].min()) if len(monthly) else float("nan"),
            data_source=data_source_label(settings),
        )
    )


# ---- market state ------------------------------------------------------------------------------------


def market_state_table(panels: MarketPanels, params=None) -> pd.DataFrame:
    """``models.market_state`` rows: period_end = holding month t, bear (I_B,t-1), up (I_U,t),
    market_var (126-day daily variance up to t-1), and the month's market_ret / market_excess."""
    monthly = panels.market_monthly
    total, excess = monthly["market_ret"].astype(float), monthly["market_excess"].astype(float)
    daily = panels.market_daily["market_ret"].astype(float)
    window = 126 if params is None else params.rv_window_days
    state = market_state(total, excess, daily, var_window_days=window)
    state = state.assign(market_ret=total.to_numpy(), market_excess=excess.to_numpy())
    return _reset_dates(state, "period_end")


@_partitioned(
    _spec(
        MARKET_STATE_KEY,
        [MARKET_MONTHLY, MARKET_DAILY],
        "Daniel-Moskowitz (2016) market state in HOLDING alignment (row t = month t): bear = I_B,t-1 "
        "(24-month cumulative market TOTAL return to t-1 < 0), up = I_U,t (market excess return of month t "
        "> 0, contemporaneous), market_var = variance of the 126 daily market returns up to the close of "
        "t-1 (decimal daily units), plus market_ret and market_excess of month t. Table models.market_state.",
    ),
    "crashes__market_state",
)
def market_state_asset(context: AssetExecutionContext, warehouse: Warehouse):
    start, end = window_dates(context)
    state = in_window(market_state_table(MarketPanels(warehouse, end=end)), "period_end", start, end)
    columns = dict.fromkeys(["bear", "up", "market_var", "market_ret", "market_excess"], DOUBLE)
    result = warehouse.write_window(
        MARKET_STATE,
        state,
        date_column="period_end",
        start=start,
        end=end,
        ddl=ddl(MARKET_STATE, "period_end", columns),
    )
    yield MaterializeResult(
        metadata=write_metadata(
            result, bear_months=int(state["bear"].sum()), up_months=int(state["up"].sum())
        )
    )


def read_wml_daily(warehouse: Warehouse, end, month_ends: pd.DatetimeIndex) -> pd.DataFrame:
    """``models.wml_daily`` before ``end``, checked to cover every holding month from its first to the last
    month end before ``end``: a month missing there (models/wml not materialized for it) would silently
    change the expanding estimators, so it is an error naming the months to materialize."""
    daily = require_rows(read_dated(warehouse, WML_DAILY, "trade_date", end), WML_DAILY, WML_KEY)
    have = set(daily.index.to_period("M"))
    months = pd.DatetimeIndex(month_ends).to_period("M")
    missing = [m for m in months if m >= min(have) and m not in have]
    if missing:
        raise ValueError(
            f"{WML_DAILY} has no rows for {len(missing)} month(s) ({missing[0]}..{missing[-1]}): materialize "
            f"{WML_KEY.to_user_string()} for those months first"
        )
    return daily


# ---- lagged betas ------------------------------------------------------------------------------------


def wml_beta_table(
    wml_daily: pd.DataFrame, market_daily: pd.DataFrame, month_ends: pd.DatetimeIndex, params
) -> pd.DataFrame:
    """``models.wml_betas``: sum-of-11-lags betas of winner (top decile), loser (d1) and WML excess returns
    over the 126 days to each month end (FORMATION alignment). Decile legs are total returns, so rf is
    subtracted; WML is zero-investment, so its return is its excess return."""
    labels = decile_columns(params.n_deciles)
    rf = market_daily["rf"].astype(float).reindex(wml_daily.index)
    excess = pd.DataFrame(
        {
            "winner": wml_daily[labels[-1]] - rf,
            "loser": wml_daily[labels[0]] - rf,
            "wml": wml_daily["wml"],
        }
    )
    betas = rolling_lagged_betas(
        excess,
        market_daily["market_excess"].astype(float),
        month_ends,
        n_lags=params.beta_lags,
        window=params.beta_window,
    )
    betas.columns = [f"beta_{c}" for c in betas.columns]
    return _reset_dates(betas.dropna(how="all"), "period_end")


@_partitioned(
    _spec(
        BETAS_KEY,
        [WML_KEY, MARKET_DAILY],
        "Daniel-Moskowitz (2016) Sec. 3.1 market betas of the winner decile, the loser decile and WML: "
        "126-day daily OLS of excess returns on the market excess return and 10 lags, beta = sum of the 11 "
        "slopes (with intercept). Row t = as of the close of month t. Table models.wml_betas.",
    ),
    "crashes__wml_betas",
)
def wml_betas_asset(context: AssetExecutionContext, warehouse: Warehouse):
    params = crash_params(get_settings())
    start, end = window_dates(context)
    panels = MarketPanels(warehouse, end=end)
    wml_daily = read_wml_daily(warehouse, end, panels.month_ends)
    month_ends = panels.month_ends[panels.month_ends >= pd.Timestamp(start)]
    table = wml_beta_table(wml_daily, panels.market_daily, month_ends, params)
    result = warehouse.write_window(
        WML_BETAS,
        table,
        date_column="period_end",
        start=start,
        end=end,
        ddl=ddl(WML_BETAS, "period_end", dict.fromkeys(["beta_winner", "beta_loser", "beta_wml"], DOUBLE)),
    )
    last = table.iloc[-1] if len(table) else None
    yield MaterializeResult(
        metadata=write_metadata(
            result, beta_wml_last=float(last["beta_wml"]) if last is not None else float("nan")
        )
    )


# ---- GARCH variance forecasts ------------------------------------------------------------------------


def variance_forecast_table(wml_daily: pd.Series, month_ends: pd.DatetimeIndex, params) -> pd.DataFrame:
    """``models.wml_variance_forecast`` over ALL ``month_ends``: the expanding GJR-GARCH walks every month
    from the first in order (warm starts and the refit schedule then never depend on the run's window),
    so a month's forecast is the same whichever range is materialized. FORMATION alignment."""
    forecasts = garch_variance_forecasts(
        wml_daily,
        month_ends,
        horizon=params.garch_horizon,
        rv_window=params.rv_window_days,
        min_obs=params.garch_min_days,
        refit_every=params.garch_refit_every,
        min_blend_pairs=params.blend_min_pairs,
    )
    return _reset_dates(forecasts.dropna(how="all"), "period_end")


VARIANCE_COLUMNS = ["garch_var", "garch_vol", "rv_var", "rv_vol", "blend_vol", "blend_var"]


@_partitioned(
    _spec(
        VARIANCE_KEY,
        [WML_KEY],
        "Daniel-Moskowitz (2016) App. D: GJR-GARCH(1,1) (arch) refit at each month end on daily WML up to "
        "that month only (expanding, warm-started), mean of the next 22 daily variance forecasts "
        "(garch_var, decimal daily variance), trailing 126-day realized variance (rv_var) and their blend "
        "(blend_vol = b0 + b1 sigma_GARCH + b2 sigma_126, b from expanding OLS on realized next-22-day vol). "
        "Row t = forecast made at the close of t for month t+1. Table models.wml_variance_forecast.",
    ),
    "crashes__wml_variance_forecast",
)
def wml_variance_asset(context: AssetExecutionContext, warehouse: Warehouse):
    params = crash_params(get_settings())
    start, end = window_dates(context)
    month_ends = MarketPanels(warehouse, end=end).month_ends
    wml_daily = read_wml_daily(warehouse, end, month_ends)
    month_ends = month_ends[month_ends >= wml_daily.index.min()]
    context.log.info(f"GJR-GARCH over {len(month_ends)} month ends up to {end} (window [{start}, {end}))")
    table = in_window(variance_forecast_table(wml_daily["wml"], month_ends, params), "period_end", start, end)
    result = warehouse.write_window(
        WML_VARIANCE,
        table,
        date_column="period_end",
        start=start,
        end=end,
        ddl=ddl(WML_VARIANCE, "period_end", dict.fromkeys(VARIANCE_COLUMNS, DOUBLE)),
    )
    garch_months = int(table["garch_var"].notna().sum()) if len(table) else 0
    last_vol = table["garch_vol"].dropna()
    yield MaterializeResult(
        metadata=write_metadata(
            result,
            garch_months=garch_months,
            blend_months=int(table["blend_vol"].notna().sum()) if len(table) else 0,
            garch_vol_last_annualized=float(last_vol.iloc[-1] * np.sqrt(252))
            if len(last_vol)
            else float("nan"),
        )
    )


MODEL_ASSETS = [wml_asset, market_state_asset, wml_betas_asset, wml_variance_asset]
