"""The Daniel-Moskowitz (2016) study's monthly-partitioned series: WML, market state, lagged betas, variance
forecasts. Each run computes its window and replaces it in one transaction. A holding month's WML needs
that month's returns, so WML for holding month t is written by partition t; formation-aligned rows (betas,
variance forecasts) at t are as of the close of t.
"""

import numpy as np
import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult

from momentum_dag.assets.checks import wml_check, wml_check_spec
from momentum_dag.assets.common import (
    asset_spec,
    mean_or_nan,
    partitioned_asset,
    require_rows,
)
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.assets.windowed import Table, materialize_window
from momentum_dag.core.crashes.study import (
    CrashParams,
    market_state_table,
    variance_forecast_table,
    wml_beta_table,
    wml_tables,
)
from momentum_dag.core.crashes.wml import decile_labels, holding_days
from momentum_dag.names import (
    MARKET_MONTHLY,
    MARKET_STATE,
    STG_MARKET_DAILY,
    STOCK_RETURNS_DAILY,
    STOCK_RETURNS_MONTHLY,
    WML_BETAS,
    WML_DAILY,
    WML_FORMATION,
    WML_KEY,
    WML_MONTHLY,
    WML_VARIANCE,
    key,
)
from momentum_dag.partitions import Lookback, Partitions
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

DOUBLE = "DOUBLE"
VARIANCE_COLUMNS = ["garch_var", "garch_vol", "rv_var", "rv_vol", "blend_vol", "blend_var"]


# GJR-GARCH refits spread over all cores (each a function of its window alone, so the same bits in any
# process); a month's single fit stays in the step's process (``volatility.PARALLEL_FROM_FITS``)
GARCH_JOBS = -1


def crash_params(settings: Settings) -> CrashParams:
    return settings.crash.params()


# ---- WML ---------------------------------------------------------------------------------------------


def _wml_tables(n_deciles: int) -> list[Table]:
    returns = {"wml": DOUBLE, **dict.fromkeys(decile_labels(n_deciles), DOUBLE)}
    formation = {"stock_id": "VARCHAR", "decile": "INTEGER", "weight": DOUBLE, "past_ret": DOUBLE}
    return [
        Table(
            WML_MONTHLY,
            columns=returns,
            asset=WML_KEY,
            figures=_wml_figures,
            report=_with_coverage,
            rows_plotted=False,  # one WML row a month
        ),
        Table(WML_DAILY, "trade_date", columns=returns),
        Table(WML_FORMATION, columns=formation),
    ]


def _with_coverage(outputs) -> pd.DataFrame:
    """WML's monthly rows with each formation date's coverage: stocks formed / stocks with a return."""
    universe = outputs["universe"].set_index("period_end")["n_stocks"]
    formed = outputs[WML_FORMATION].groupby("period_end")["stock_id"].nunique()
    coverage = (formed / universe.reindex(formed.index)).rename("coverage").reset_index()
    return outputs[WML_MONTHLY].merge(coverage, how="outer", on="period_end")


def _wml_figures(own: pd.DataFrame) -> dict:
    return {"wml": mean_or_nan(own["wml"]), "formation_coverage": mean_or_nan(own["coverage"])}


# Formation at t ranks stocks on months t-11..t-1 (t-12..t-2 of the holding month): 13 months of history.
WML_LOOKBACK = Lookback(months=13)
# Bear state needs 24 months to t-1; the market variance 126 trading days to t-1.
STATE_LOOKBACK = Lookback(months=26)


def wml_chunk(warehouse: Warehouse, lo, hi, params: CrashParams, settings: Settings) -> dict[str, pd.DataFrame]:
    """WML's monthly, daily and formation rows of the chunk [lo, hi) from its own lookback, and the universe
    (stocks with a return) at each formation date; deciles hold the stocks tradable at formation under the
    evaluation's filters (one setting each)."""
    panels = MarketPanels.for_window(warehouse, lo, hi, WML_LOOKBACK)
    monthly_ret = panels.stock_monthly("ret")
    tradable = panels.tradable_at(monthly_ret.index, settings.evaluation.filters)
    # the daily rows of the chunk's own months only: the lookback's days were computed and then dropped
    daily_ret = holding_days(panels.stock_daily("ret"), lo)
    tables = wml_tables(monthly_ret, panels.stock_monthly("float_mcap"), daily_ret, params, tradable)
    return {
        WML_MONTHLY: tables["monthly"],
        WML_DAILY: tables["daily"],
        WML_FORMATION: tables["formation"],
        "universe": tables["universe"],
    }


def wml_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = crash_params(settings)
    outputs = materialize_window(
        context,
        warehouse,
        lambda lo, hi: wml_chunk(warehouse, lo, hi, params, settings),
        _wml_tables(params.n_deciles),
        settings,
    )
    yield MaterializeResult()
    yield wml_check(WML_KEY, outputs[WML_MONTHLY], outputs[WML_FORMATION], params.n_deciles)


# ---- market state ------------------------------------------------------------------------------------


def _state_figures(own: pd.DataFrame) -> dict:
    return {c: mean_or_nan(own[c]) for c in ("bear", "up", "market_var")}


def market_state_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = crash_params(settings)

    def compute(lo, hi) -> dict[str, pd.DataFrame]:
        panels = MarketPanels.for_window(warehouse, lo, hi, STATE_LOOKBACK)
        return {MARKET_STATE: market_state_table(panels.market_monthly, panels.market_daily["market_ret"], params)}

    columns = dict.fromkeys(["bear", "up", "market_var", "market_ret", "market_excess"], DOUBLE)
    table = Table(
        MARKET_STATE,
        columns=columns,
        asset=key(MARKET_STATE),
        figures=_state_figures,
        rows_plotted=False,  # one state row a month
    )
    materialize_window(context, warehouse, compute, [table], settings, chunked=False)
    yield MaterializeResult()


def read_wml_daily(warehouse: Warehouse, end, month_ends: pd.DatetimeIndex) -> pd.DataFrame:
    """``models.wml_daily`` before ``end``, checked to cover every holding month from its first to the last
    month end before ``end``: a month missing there (crashes/wml not materialized for it) would silently
    change the expanding estimators, so it is an error naming the months to materialize. A table that
    exists with no row yet (a history shorter than WML's 12-month formation) is returned empty: warm-up."""
    daily = warehouse.read_dated(WML_DAILY, "trade_date", end=end)
    if daily is not None and daily.empty:
        return daily
    daily = require_rows(daily, WML_DAILY, WML_KEY)
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


def wml_betas_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = crash_params(settings)

    def compute(start, end) -> dict[str, pd.DataFrame]:
        panels = MarketPanels(warehouse, end=end)
        wml_daily = read_wml_daily(warehouse, end, panels.month_ends)
        if wml_daily.empty:  # warm-up: no WML day yet, no beta (the table is created, empty)
            return {WML_BETAS: pd.DataFrame({"period_end": pd.Series(dtype="datetime64[ns]")})}
        month_ends = panels.month_ends[panels.month_ends >= pd.Timestamp(start)]
        return {WML_BETAS: wml_beta_table(wml_daily, panels.market_daily, month_ends, params)}

    betas = ("beta_wml", "beta_winner", "beta_loser")
    table = Table(
        WML_BETAS,
        columns=dict.fromkeys(["beta_winner", "beta_loser", "beta_wml"], DOUBLE),
        asset=key(WML_BETAS),
        figures=lambda own: {c: mean_or_nan(own[c]) for c in betas},
    )
    materialize_window(context, warehouse, compute, [table], settings, chunked=False)
    yield MaterializeResult()


# ---- GARCH variance forecasts ------------------------------------------------------------------------


def _variance_figures(own: pd.DataFrame) -> dict:  # annualized volatility forecasts for the month after
    return {f"{v}_vol_annualized": mean_or_nan(own[f"{v}_vol"]) * np.sqrt(252) for v in ("garch", "rv", "blend")}


def wml_variance_asset(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    params = crash_params(settings)

    def compute(start, end) -> dict[str, pd.DataFrame]:
        month_ends = MarketPanels(warehouse, end=end).month_ends
        wml_daily = read_wml_daily(warehouse, end, month_ends)
        if wml_daily.empty:  # warm-up: no WML day yet, no forecast (the table is created, empty)
            return {WML_VARIANCE: pd.DataFrame({"period_end": pd.Series(dtype="datetime64[ns]")})}
        month_ends = month_ends[month_ends >= wml_daily.index.min()]
        # The blend regresses on every past forecast: those stored by earlier runs are read back (each is a
        # function of the data up to its month end only), so a new month costs one GJR-GARCH fit.
        stored = warehouse.read_dated(WML_VARIANCE, "period_end", end=start)
        known = stored["garch_var"] if stored is not None else None
        context.log.info(
            f"GJR-GARCH: {0 if known is None else int(known.notna().sum())} stored forecasts, "
            f"{int((month_ends >= pd.Timestamp(start)).sum())} to fit in [{start}, {end})"
        )
        return {WML_VARIANCE: variance_forecast_table(wml_daily["wml"], month_ends, params, known, n_jobs=GARCH_JOBS)}

    table = Table(
        WML_VARIANCE,
        columns=dict.fromkeys(VARIANCE_COLUMNS, DOUBLE),
        asset=key(WML_VARIANCE),
        figures=_variance_figures,
    )
    materialize_window(context, warehouse, compute, [table], settings, chunked=False)
    yield MaterializeResult()


def build_series_assets(partitions: Partitions) -> list:
    def partitioned(compute, key_, deps, description: str, check_specs=()):
        spec = asset_spec(key_, deps=deps, description=description)
        return partitioned_asset(
            compute,
            name=f"crashes__{key_.path[-1]}",
            specs=[spec],
            partitions_def=partitions.monthly,
            check_specs=check_specs,
        )

    return [
        partitioned(
            wml_asset,
            WML_KEY,
            [key(STOCK_RETURNS_MONTHLY), key(STOCK_RETURNS_DAILY)],
            "Daniel-Moskowitz (2016) WML = D10 - D1 of value-weighted (float cap at formation) deciles on the "
            "t-12..t-2 return (>= 8 valid months; all-stock breakpoints, or large-cap 'NYSE-like' ones with "
            "MOMENTUM_CRASH_BREAKPOINTS=nyse_like) of the stocks tradable at formation (the evaluation's "
            "MOMENTUM_FILTER_* filters: not suspended, not ST, not limit-up, listed >= 60 days); buy and hold, "
            "a delisted stock's last return counts and its weight is not redistributed. Tables "
            "models.wml_monthly (row = "
            "holding month), models.wml_daily (daily buy-and-hold returns of the same portfolios) and "
            "models.wml_formation (period_end = formation date: stock_id, decile, weight, past_ret).",
            check_specs=[wml_check_spec(WML_KEY)],
        ),
        partitioned(
            market_state_asset,
            key(MARKET_STATE),
            [key(MARKET_MONTHLY), key(STG_MARKET_DAILY)],
            "Daniel-Moskowitz (2016) market state in HOLDING alignment (row t = month t): bear = I_B,t-1 "
            "(24-month cumulative market TOTAL return to t-1 < 0), up = I_U,t (market excess return of month t "
            "> 0, contemporaneous), market_var = variance of the 126 daily market returns up to the close of "
            "t-1 (Eq. 4, decimal daily units), plus market_ret and market_excess of month t. Table "
            "models.market_state.",
        ),
        partitioned(
            wml_betas_asset,
            key(WML_BETAS),
            [WML_KEY, key(STG_MARKET_DAILY)],
            "Daniel-Moskowitz (2016) Sec. 3.1 market betas of the winner decile, the loser decile and WML: "
            "126-day daily OLS of excess returns on the market excess return and 10 lags, beta = sum of the 11 "
            "slopes (with intercept). Row t = as of the close of month t. Table models.wml_betas.",
        ),
        partitioned(
            wml_variance_asset,
            key(WML_VARIANCE),
            [WML_KEY],
            "Daniel-Moskowitz (2016) App. D: GJR-GARCH(1,1) (arch) refit at each month end on daily WML up to "
            "that month only, mean of the next 22 daily variance forecasts (garch_var, decimal daily "
            "variance), trailing 126-day realized variance (rv_var) and their blend (blend_vol = b0 + b1 "
            "sigma_GARCH + b2 sigma_126, b from expanding OLS on realized next-22-day vol). Row t = forecast "
            "made at the close of t for month t+1. Table models.wml_variance_forecast.",
        ),
    ]
