"""What the Daniel-Moskowitz (2016) crash assets share: knobs, table names and DDL, warehouse readers,
and the time-series analyses run on both the warehouse WML and Ken French's monthly Mom.

Alignment (as in ``core/crashes*``): ``models.market_state`` and the strategy tables are in HOLDING
alignment (row t = the month whose WML return is explained or earned); ``models.wml_betas`` and
``models.wml_variance_forecast`` in FORMATION alignment (row t = as of the close of t).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date

import numpy as np
import pandas as pd
from dagster import AssetKey

from momentum_dag.core.crashes import (
    crash_regressions,
    mean_forecast_regressions,
    momentum_strategies,
    scale_to_target_vol,
    sharpe_table,
)
from momentum_dag.core.crashes.strategy import (
    constant_vol_weights_dm,
    dynamic_weights,
    expanding_mean_forecast,
    in_sample_mean_forecast,
)
from momentum_dag.settings import Settings
from momentum_dag.warehouse import Warehouse
from momentum_dag.warehouse import replace_tables as write_tables

# ---- knobs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CrashParams:
    """Knobs of the crash assets. Each is read from ``Settings.crash_<name>`` when the settings define it
    (the lead adds ``MOMENTUM_CRASH_*`` variables), else the default here.

    - n_deciles 10, min_valid_months 8: D&M's WML (FACTORS.md 1); all-stock breakpoints (no NYSE-like
      mask setting here: out of scope).
    - beta_window 126, beta_lags 10: D&M Sec. 3.1 lagged betas.
    - garch_min_days 252, garch_refit_every 1, garch_horizon 22, rv_window_days 126, blend_min_pairs 36:
      daily GJR-GARCH and blend (App. D); 36 pairs keeps the blend usable on the ~154-month synthetic history.
    - oos_min_months 36: expanding mean regression before the out-of-sample dynamic strategy starts.
    - target_vol 0.19: EX-POST full-sample scaling of every strategy (D&M Fig. 5).
    - is_variance "blend_var", oos_variance "rv_var": FACTORS.md (Table 7 OOS uses 126-day RV).
    - kf_garch_min_months 120, kf_garch_refit_every 1, kf_var_window_months 6: monthly Ken French branch.
    """

    n_deciles: int = 10
    min_valid_months: int = 8
    beta_window: int = 126
    beta_lags: int = 10
    garch_min_days: int = 252
    garch_refit_every: int = 1
    garch_horizon: int = 22
    rv_window_days: int = 126
    blend_min_pairs: int = 36
    oos_min_months: int = 36
    target_vol: float = 0.19
    is_variance: str = "blend_var"
    oos_variance: str = "rv_var"
    kf_garch_min_months: int = 120
    kf_garch_refit_every: int = 1
    kf_var_window_months: int = 6


def crash_params(settings: Settings) -> CrashParams:
    """``CrashParams`` with every ``Settings.crash_<name>`` that exists overriding the default."""
    overrides = {
        f.name: getattr(settings, f"crash_{f.name}")
        for f in fields(CrashParams)
        if hasattr(settings, f"crash_{f.name}")
    }
    return CrashParams(**overrides)


# ---- keys, tables, DDL -------------------------------------------------------------------------------

STOCK_MONTHLY = AssetKey(["marts", "stock_returns_monthly"])
STOCK_DAILY = AssetKey(["marts", "stock_returns_daily"])
MARKET_MONTHLY = AssetKey(["marts", "market_monthly"])
MARKET_DAILY = AssetKey(["staging", "stg_market_daily"])

WML_KEY = AssetKey(["models", "wml"])
MARKET_STATE_KEY = AssetKey(["models", "market_state"])
BETAS_KEY = AssetKey(["models", "wml_betas"])
VARIANCE_KEY = AssetKey(["models", "wml_variance_forecast"])
STRATEGIES_KEY = AssetKey(["models", "momentum_strategies"])
REGRESSIONS_KEY = AssetKey(["models", "crash_regressions"])
REPORT_KEY = AssetKey(["reports", "momentum_crashes"])
KF_RAW_KEY = AssetKey(["raw", "factor_returns_monthly"])
KF_KEY = AssetKey(["models", "kenfrench_crashes"])
KF_REPORT_KEY = AssetKey(["reports", "momentum_crashes_kenfrench"])

WML_MONTHLY = "models.wml_monthly"
WML_DAILY = "models.wml_daily"
WML_FORMATION = "models.wml_formation"
MARKET_STATE = "models.market_state"
WML_BETAS = "models.wml_betas"
WML_VARIANCE = "models.wml_variance_forecast"
STRATEGY_RETURNS = "models.momentum_strategy_returns"
STRATEGY_WEIGHTS = "models.momentum_strategy_weights"
STRATEGY_SUMMARY = "models.momentum_strategy_summary"
CRASH_REGRESSIONS = "models.crash_regressions"
CRASH_MEAN_FORECAST = "models.crash_mean_forecast"
KF_PREFIX = "models.kenfrench_"

REPORT_SLUG = "momentum_crashes"
KF_REPORT_SLUG = "momentum_crashes_kenfrench"
PAPER = "Daniel, K. and Moskowitz, T. J. (2016), Momentum crashes, JFE 122(2):221-247"


def decile_columns(n_deciles: int) -> list[str]:
    return [f"d{k}" for k in range(1, n_deciles + 1)]


def read_dated(
    warehouse: Warehouse, table: str, date_column: str, end: date | None = None
) -> pd.DataFrame | None:
    """All rows of a models table dated before ``end`` (all rows when None), indexed by the date column;
    None while the table does not exist."""
    where, params = ("", []) if end is None else (f" where {date_column} < ?", [end])
    frame = warehouse.query_if_exists(table, f"select * from {table}{where} order by {date_column}", params)
    if frame is None:
        return None
    frame[date_column] = pd.to_datetime(frame[date_column])
    return frame.set_index(date_column).rename_axis(date_column)


def require_rows(frame: pd.DataFrame | None, table: str, asset: AssetKey) -> pd.DataFrame:
    if frame is None or frame.empty:
        raise ValueError(f"{table} has no rows: materialize {asset.to_user_string()} first")
    return frame


# ---- shared time-series analyses ---------------------------------------------------------------------


@dataclass
class StrategyResult:
    """Strategy returns/weights (holding alignment, wide), their performance table and what is missing."""

    returns: pd.DataFrame
    weights: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [s for s in ("static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos") if s not in self.returns]


def run_strategies(
    wml: pd.Series,
    state: pd.DataFrame,
    variances: pd.DataFrame,
    bsc_var: pd.Series | None,
    params: CrashParams,
    *,
    periods_per_year: int = 12,
) -> StrategyResult:
    """``core.momentum_strategies`` with fallbacks so a short sample degrades instead of failing.

    ``variances`` must already be in HOLDING alignment. If the in-sample variance (blend) is undefined
    on every usable month the in-sample dynamic strategy uses ``rv_var`` instead; if the core function
    finds fewer than 2 months where every strategy is defined, ``_defined_strategies`` keeps those that
    are defined. ``notes`` says what is missing and why.
    """
    notes: list[str] = []
    is_variance = params.is_variance
    usable = wml.notna() & state["bear"].notna() & state["market_var"].notna()
    if variances.reindex(wml.index)[is_variance].where(usable).notna().sum() == 0 and is_variance != "rv_var":
        notes.append(f"{is_variance} is undefined on every usable month: dyn_is uses rv_var instead")
        is_variance = "rv_var"
    try:
        returns, weights = momentum_strategies(
            wml,
            state["bear"],
            state["market_var"],
            variances,
            bsc_var=bsc_var,
            is_variance=is_variance,
            oos_variance=params.oos_variance,
            cvol_variance="rv_var",
            target_vol=params.target_vol,
            oos_min_months=params.oos_min_months,
            periods_per_year=periods_per_year,
        )
    except ValueError as err:
        notes.append(f"core momentum_strategies: {err}; keeping the strategies that are defined")
        returns, weights = _defined_strategies(
            wml, state, variances, bsc_var, params, is_variance, periods_per_year, notes
        )
    if returns.empty:
        notes.append("no strategy has 2 months with every input defined: the sample is too short")
        return StrategyResult(returns, weights, pd.DataFrame(), notes)
    summary = sharpe_table(returns, periods_per_year=periods_per_year)
    # Each strategy is scaled by ONE full-sample (ex-post) constant to target_vol; disclosed in the table.
    summary["ex_post_target_vol"] = params.target_vol
    summary["wml_vol_ann"] = float(wml.loc[returns.index].std(ddof=1) * np.sqrt(periods_per_year))
    summary["variance_used"] = [
        {
            "cvol_dm": "rv_var",
            "cvol_bsc": "bsc_var",
            "dyn_is": is_variance,
            "dyn_oos": params.oos_variance,
        }.get(s, "")
        for s in summary.index
    ]
    return StrategyResult(returns, weights, summary, notes)


def _defined_strategies(
    wml: pd.Series,
    state: pd.DataFrame,
    variances: pd.DataFrame,
    bsc_var: pd.Series | None,
    params: CrashParams,
    is_variance: str,
    periods_per_year: int,
    notes: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fallback when ``momentum_strategies`` finds no common month: the same weights from the core weight
    functions, each strategy kept only if defined on >= 2 months (else noted), then the common months of
    those kept and the same ex-post scaling. If they still share < 2 months, the dynamic ones are dropped."""
    sigma2 = variances.reindex(wml.index)
    bear, market_var = state["bear"], state["market_var"]
    raw = {
        "static": lambda: pd.Series(1.0, index=wml.index),
        "cvol_dm": lambda: constant_vol_weights_dm(np.sqrt(sigma2["rv_var"])),
        "cvol_bsc": lambda: constant_vol_weights_dm(np.sqrt(bsc_var.reindex(wml.index))),
        "dyn_is": lambda: dynamic_weights(
            in_sample_mean_forecast(wml, bear, market_var), sigma2[is_variance]
        ),
        "dyn_oos": lambda: dynamic_weights(
            expanding_mean_forecast(wml, bear, market_var, min_months=params.oos_min_months),
            sigma2[params.oos_variance],
        ),
    }
    if bsc_var is None:
        del raw["cvol_bsc"]
    kept = {}
    for name, build in raw.items():
        try:
            weight = build().reindex(wml.index).where(wml.notna())
        except ValueError as err:
            notes.append(f"{name} undefined: {err}")
            continue
        if weight.notna().sum() < 2:
            notes.append(f"{name} undefined: defined on {int(weight.notna().sum())} months")
            continue
        kept[name] = weight
    weights = pd.DataFrame(kept, index=wml.index)
    common = weights.notna().all(axis=1) & wml.notna()
    if common.sum() < 2:
        dynamic = [c for c in weights.columns if c.startswith("dyn_")]
        notes.append(f"{', '.join(dynamic)} dropped: no 2 months shared with the other strategies")
        weights = weights.drop(columns=dynamic)
        common = weights.notna().all(axis=1) & wml.notna()
    if common.sum() < 2:
        empty = pd.DataFrame(index=pd.DatetimeIndex([], name="period_end"))
        return empty, empty
    weights = weights.loc[common]
    _, scalar = scale_to_target_vol(weights.mul(wml.loc[common], axis=0), params.target_vol, periods_per_year)
    weights = weights * scalar
    return weights.mul(wml.loc[common], axis=0), weights


def run_regressions(
    wml: pd.Series, market_excess: pd.Series, state: pd.DataFrame
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list[str]]:
    """Table 3 (``crash_regressions``) and Table 5 (``mean_forecast_regressions``); None plus a note when
    the sample cannot support them (e.g. no bear month yet)."""
    notes: list[str] = []
    bear = state["bear"].where(wml.notna() & market_excess.notna()).dropna()
    if len(bear) and bear.nunique() < 2:
        notes.append(
            f"I_B,t-1 is {int(bear.iloc[0])} in every month of the regression sample: the bear-market terms "
            "are not identified (stored as NaN)"
        )
    try:
        crash = crash_regressions(wml, market_excess, state["bear"], state["up"])
    except ValueError as err:
        crash = None
        notes.append(f"Table 3 regressions undefined: {err}")
    try:
        forecast = mean_forecast_regressions(wml, state["bear"], state["market_var"])
    except ValueError as err:
        forecast = None
        notes.append(f"Table 5 regressions undefined: {err}")
    return crash, forecast, notes


def long_strategy_frame(wide: pd.DataFrame, value: str) -> pd.DataFrame:
    """Wide (period_end x strategy) -> rows (period_end, strategy, value)."""
    if wide.empty:
        return pd.DataFrame(
            {
                "period_end": pd.Series([], dtype="datetime64[us]"),
                "strategy": pd.Series([], dtype=str),
                value: pd.Series([], dtype=float),
            }
        )
    long = wide.rename_axis(index="period_end", columns="strategy").stack().rename(value).reset_index()
    long["strategy"] = long["strategy"].astype(str)
    return long


def wide_strategy_frame(long: pd.DataFrame, value: str) -> pd.DataFrame:
    wide = long.pivot(index="period_end", columns="strategy", values=value)
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="period_end")
    order = [s for s in ("static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos") if s in wide.columns]
    return wide[order]


# ---- unpartitioned writes ----------------------------------------------------------------------------

NOTES_TABLE = "models.crash_notes"


def replace_tables(
    warehouse: Warehouse, frames: dict[str, pd.DataFrame], *, asset: str, notes: list[str]
) -> dict:
    """Replace several unpartitioned tables whole AND this asset's rows of ``models.crash_notes`` in ONE
    transaction; returns {table: (rows written, rows replaced)}."""
    with warehouse.get_connection() as conn:
        results = write_tables(conn, frames, notes_table=NOTES_TABLE, asset=asset, notes=notes)
    return {table: (r.rows_written, r.rows_replaced) for table, r in results.items()}


def read_notes(warehouse: Warehouse, asset: str) -> list[str]:
    frame = warehouse.query_if_exists(NOTES_TABLE, f"select note from {NOTES_TABLE} where asset = ?", [asset])
    return [] if frame is None else frame["note"].astype(str).tolist()


def table_or_none(warehouse: Warehouse, table: str) -> pd.DataFrame | None:
    return warehouse.query_if_exists(table, f"select * from {table}")


def regression_frame(table: pd.DataFrame | None, terms: list[str]) -> pd.DataFrame:
    """Table 3/5 result as stored rows (model first); an empty frame with the same columns when None."""
    columns = ["model", *[c for t in terms for c in (t, f"{t}_t")], "adj_r2", "nobs", "start", "end"]
    if table is None:
        return pd.DataFrame({c: pd.Series([], dtype="float64") for c in columns}).astype(
            {"model": "int64", "nobs": "int64", "start": "datetime64[us]", "end": "datetime64[us]"}
        )
    frame = table.reset_index()[columns].copy()
    for term in terms:  # a rank-deficient design (e.g. no bear month) gives 0 with a NaN t-stat
        frame.loc[frame[f"{term}_t"].isna(), term] = np.nan
    return frame
