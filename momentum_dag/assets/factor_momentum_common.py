"""What the Ehsani-Linnainmaa (2022) factor-momentum assets share: knobs, keys, tables, readers and the
full-sample analyses run on both the warehouse factors and Ken French's monthly factors.

Factor returns live in ``models.factor_returns_monthly`` (period_end = holding month, factor, source, role,
ret) and ``models.factor_returns_daily`` (trade_date, ...). ``factor`` is unique across sources (Barra styles
are prefixed ``barra_``); ``role`` is ``factor`` (enters factor-momentum strategies), ``momentum`` (the
stock-momentum factor, kept apart as E-L exclude UMD) or ``market`` (market excess return, a regressor).
"""

from dataclasses import dataclass, fields
from datetime import date

import numpy as np
import pandas as pd
from dagster import AssetKey

from momentum_dag.core.factor_momentum.portfolios import MOMENTUM_FACTORS
from momentum_dag.core.factor_momentum.signals import cs_factor_momentum, factor_autocorrelation, ts_factor_momentum
from momentum_dag.core.factor_momentum.spanning import conditional_correlations, grs_test, spanning_regression
from momentum_dag.settings import Settings
from momentum_dag.warehouse import Warehouse, table_exists
from momentum_dag.warehouse import replace_tables as write_tables

# ---- knobs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FactorMomentumParams:
    """Knobs of the factor-momentum assets; each is read from ``Settings.fm_<name>`` when the settings
    define it (the lead may add ``MOMENTUM_FM_*`` variables), else the default here.

    - lookback 12, min_obs 12: MA_{f,t} over months t-11..t, no skip month (FACTORS.md 2, Stata
      ``tssmooth ma, window(12)``).
    - quantile 0.3, value_weighted True: Fama-French 30/70 long-short legs, value-weighted by float cap at t.
    - strategy_sources ("barra", "characteristic"): factors entering TS/CS/PC momentum. Ken French rows are
      US data on calendar month ends; they are studied in their own branch, never mixed in.
    - pc_min_days 252, pc_min_months 36: history before the first PC formation (E-L start 1973 with years
      of data; 36 months keeps a usable sample on the ~154-month synthetic history).
    - hac_lags None: classical OLS standard errors in the autocorrelation and spanning tables (E-L Tables
      I, V-VII report OLS t-values); an integer gives Newey-West.
    - beta_days 252, beta_min_days 120, turnover_days 21, turnover_min_days 10: characteristic windows
      (``core.factor_characteristics.build_characteristics``).
    """

    lookback: int = 12
    min_obs: int = 12
    quantile: float = 0.3
    value_weighted: bool = True
    strategy_sources: tuple[str, ...] = ("barra", "characteristic")
    pc_min_days: int = 252
    pc_min_months: int = 36
    hac_lags: int | None = None
    beta_days: int = 252
    beta_min_days: int = 120
    turnover_days: int = 21
    turnover_min_days: int = 10


def fm_params(settings: Settings) -> FactorMomentumParams:
    """``FactorMomentumParams`` with every ``Settings.fm_<name>`` that exists overriding the default."""
    overrides = {
        f.name: getattr(settings, f"fm_{f.name}")
        for f in fields(FactorMomentumParams)
        if hasattr(settings, f"fm_{f.name}")
    }
    return FactorMomentumParams(**overrides)


# ---- keys and tables ---------------------------------------------------------------------------------

STOCK_MONTHLY = AssetKey(["marts", "stock_returns_monthly"])
STOCK_DAILY = AssetKey(["marts", "stock_returns_daily"])
MARKET_MONTHLY = AssetKey(["marts", "market_monthly"])
MARKET_DAILY = AssetKey(["staging", "stg_market_daily"])
FUNDAMENTALS = AssetKey(["staging", "stg_fundamentals"])
BARRA_RETURNS = AssetKey(["barra", "factor_returns"])
RAW_FACTOR_RETURNS = AssetKey(["raw", "factor_returns_monthly"])
WML_KEY = AssetKey(["models", "wml"])

FACTOR_RETURNS_KEY = AssetKey(["models", "factor_returns"])
FACTOR_MOMENTUM_KEY = AssetKey(["models", "factor_momentum"])
AUTOCORRELATION_KEY = AssetKey(["models", "factor_autocorrelation"])
PC_MOMENTUM_KEY = AssetKey(["models", "pc_factor_momentum"])
NEUTRAL_KEY = AssetKey(["models", "momentum_neutral_factors"])
SPANNING_KEY = AssetKey(["models", "spanning_tests"])
REPORT_KEY = AssetKey(["reports", "factor_momentum"])
KF_KEY = AssetKey(["models", "kenfrench_factor_momentum"])
KF_REPORT_KEY = AssetKey(["reports", "factor_momentum_kenfrench"])

FACTOR_RETURNS_MONTHLY = "models.factor_returns_monthly"
FACTOR_RETURNS_DAILY = "models.factor_returns_daily"
FORMATION_WEIGHTS = "models.factor_formation_weights"
FACTOR_MOMENTUM = "models.factor_momentum_monthly"
AUTOCORRELATION = "models.factor_autocorrelation"
PC_MOMENTUM = "models.pc_factor_momentum_monthly"
PC_SUMMARY = "models.pc_factor_momentum_summary"
NEUTRAL_RETURNS = "models.momentum_neutral_factor_returns"
NEUTRAL_MOMENTUM = "models.momentum_neutral_factor_momentum"
SPANNING = "models.spanning_regressions"
GRS = "models.spanning_grs"
CONDITIONAL = "models.conditional_correlations"
NOTES = "models.factor_momentum_notes"
WML_MONTHLY = "models.wml_monthly"
KF_PREFIX = "models.kenfrench_fm_"

REPORT_SLUG = "factor_momentum"
KF_REPORT_SLUG = "factor_momentum_kenfrench"
PAPER = "Ehsani, S. and Linnainmaa, J. T. (2022), Factor momentum and the momentum factor, JF 77(3):1877-1919"

MOMENTUM_NAMES: tuple[str, ...] = (*MOMENTUM_FACTORS, "mom", "barra_momentum")
"""Factor names (case-insensitive) with role ``momentum``: the characteristic ``momentum`` portfolio, the
Barra momentum style and French's Mom; excluded from every factor-momentum strategy."""

FF_STYLE = ("size", "value", "profitability", "investment")
"""Characteristic long-shorts standing in for SMB, HML, RMW, CMA in the FF-style spanning model."""

DOUBLE = "DOUBLE"


MOMENTUM_COLUMNS = {
    "tsmom": DOUBLE,
    "tsmom_winners": DOUBLE,
    "tsmom_losers": DOUBLE,
    "tsmom_n_long": "INTEGER",
    "tsmom_n_short": "INTEGER",
    "xsmom": DOUBLE,
    "xsmom_weighted": DOUBLE,
    "xsmom_winners": DOUBLE,
    "xsmom_losers": DOUBLE,
    "xsmom_n_long": "INTEGER",
    "xsmom_n_short": "INTEGER",
}


# ---- readers -----------------------------------------------------------------------------------------


def read_factor_panel(
    warehouse: Warehouse,
    *,
    end: date | None = None,
    start: date | None = None,
    roles: tuple[str, ...] = ("factor",),
    sources: tuple[str, ...] | None = None,
    daily: bool = False,
) -> pd.DataFrame:
    """Wide factor returns (date x factor) from ``models.factor_returns_{monthly,daily}`` with dates in
    [start, end) (open ends when None), for the given roles and sources; empty frame while no table."""
    table, column = (FACTOR_RETURNS_DAILY, "trade_date") if daily else (FACTOR_RETURNS_MONTHLY, "period_end")
    where, params = [f"role in ({', '.join('?' * len(roles))})"], list(roles)
    if sources is not None:
        where.append(f"source in ({', '.join('?' * len(sources))})")
        params += list(sources)
    if end is not None:
        where.append(f"{column} < ?")
        params.append(end)
    if start is not None:
        where.append(f"{column} >= ?")
        params.append(start)
    sql = f"select {column}, factor, ret from {table} where {' and '.join(where)}"
    frame = warehouse.query_if_exists(table, sql, params)
    if frame is None or frame.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
    wide = frame.pivot(index=column, columns="factor", values="ret")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="date")
    wide.columns = wide.columns.astype(str)
    wide.columns.name = None
    return wide.sort_index().sort_index(axis=1).astype(float)


def read_dated(
    warehouse: Warehouse, table: str, date_column: str, end: date | None = None
) -> pd.DataFrame | None:
    """Rows of ``table`` dated before ``end`` (all when None) indexed by the date column; None if no table."""
    where, params = ("", []) if end is None else (f" where {date_column} < ?", [end])
    frame = warehouse.query_if_exists(table, f"select * from {table}{where} order by {date_column}", params)
    if frame is None:
        return None
    frame[date_column] = pd.to_datetime(frame[date_column])
    return frame.set_index(date_column).rename_axis("date")


def momentum_frame(returns: pd.DataFrame, params: FactorMomentumParams) -> pd.DataFrame:
    """TS and CS factor momentum (E-L 2022 section I.B) side by side, indexed by holding month; empty (with
    the stored columns) when no month has a signal yet."""
    empty = pd.DataFrame(
        {c: pd.Series([], dtype=float) for c in MOMENTUM_COLUMNS},
        index=pd.DatetimeIndex([], name="period_end"),
    )
    if returns.shape[1] == 0 or len(returns) <= params.min_obs:
        return empty
    kwargs = {"lookback": params.lookback, "min_obs": params.min_obs, "exclude": ()}
    ts = ts_factor_momentum(returns, **kwargs).rename(
        columns={"n_long": "tsmom_n_long", "n_short": "tsmom_n_short"}
    )
    cs = cs_factor_momentum(returns, **kwargs).rename(
        columns={"n_long": "xsmom_n_long", "n_short": "xsmom_n_short"}
    )
    out = pd.concat([ts, cs], axis=1)
    if out.empty:
        return empty
    return out[list(MOMENTUM_COLUMNS)].rename_axis("period_end")


def momentum_rows(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index()
    out["period_end"] = pd.to_datetime(out["period_end"])
    for c, kind in MOMENTUM_COLUMNS.items():
        out[c] = out[c].fillna(0).astype("int64") if kind == "INTEGER" else out[c].astype(float)
    return out


# ---- full-sample analyses (warehouse and Ken French branches) ----------------------------------------


def autocorrelation_table(
    factors: pd.DataFrame, momentum: pd.DataFrame, params: FactorMomentumParams
) -> pd.DataFrame:
    """E-L (2022) Table I rows: each strategy factor and the pooled row (over strategy factors only, as
    E-L pool the non-momentum factors), then each momentum factor on its own (E-L show UMD's row)."""
    rows = []
    if factors.shape[1]:
        table = factor_autocorrelation(factors, lookback=params.lookback, hac_lags=params.hac_lags)
        rows.append(table.assign(role=["pooled" if i == "pooled" else "factor" for i in table.index]))
    if momentum.shape[1]:
        table = factor_autocorrelation(momentum, lookback=params.lookback, hac_lags=params.hac_lags)
        rows.append(table.drop(index="pooled").assign(role="momentum"))
    if not rows:
        return pd.DataFrame()
    out = pd.concat(rows).rename_axis("factor").reset_index()
    return out[["factor", "role", *[c for c in out.columns if c not in ("factor", "role")]]]


@dataclass
class SpanningInputs:
    """Monthly series of a spanning analysis, all indexed by holding month."""

    momentum: dict[str, pd.Series]  # the momentum factor(s): wml, umd / Mom
    ff: pd.DataFrame  # market excess + FF-style long-shorts
    factor_momentum: dict[str, pd.Series]  # tsmom, pc momentum ...
    deciles: pd.DataFrame | None  # momentum-sorted portfolios' excess returns
    factors: pd.DataFrame  # strategy factors for the conditional correlations


def _regression_rows(y_name: str, model: str, fit: dict) -> list[dict]:
    base = {"y": y_name, "model": model, "adj_r2": fit["adj_r2"], "n": fit["n"]}
    rows = [{**base, "term": "alpha", "coef": fit["alpha"], "t_stat": fit["t_alpha"]}]
    rows += [{**base, "term": k, "coef": v, "t_stat": fit["t_betas"][k]} for k, v in fit["betas"].items()]
    return rows


def spanning_tables(
    inputs: SpanningInputs, params: FactorMomentumParams
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """E-L (2022) Tables V-VIII style results: momentum on FF + factor momentum and the reverse, GRS on
    momentum-sorted portfolios per model, conditional correlations. Each regression that the sample cannot
    support is skipped with a note instead of failing the asset."""
    notes: list[str] = []
    regressions: list[dict] = []
    ff_name = "ff(" + ",".join(inputs.ff.columns) + ")"

    def run(y_name: str, y: pd.Series, extra: dict[str, pd.Series]) -> None:
        model = ff_name + "".join(f"+{k}" for k in extra)
        X = pd.concat([inputs.ff, *[s.rename(k) for k, s in extra.items()]], axis=1)
        try:
            regressions.extend(
                _regression_rows(y_name, model, spanning_regression(y, X, hac_lags=params.hac_lags))
            )
        except ValueError as err:
            notes.append(f"{y_name} on {model} skipped: {err}")

    if inputs.ff.shape[1] == 0:
        notes.append("no FF-style regressors: spanning regressions skipped")
    else:
        for m_name, m in inputs.momentum.items():
            run(m_name, m, {})
            for f_name, f in inputs.factor_momentum.items():
                run(m_name, m, {f_name: f})
        for f_name, f in inputs.factor_momentum.items():
            run(f_name, f, {})
            for m_name, m in inputs.momentum.items():
                run(f_name, f, {m_name: m})
    grs_rows = []
    if inputs.deciles is not None and inputs.deciles.shape[1] and inputs.ff.shape[1]:
        models = {"ff": {}} | {
            f"ff+{k}": {k: v} for k, v in {**inputs.momentum, **inputs.factor_momentum}.items()
        }
        for model, extra in models.items():
            X = pd.concat([inputs.ff, *[s.rename(k) for k, s in extra.items()]], axis=1)
            try:
                res = grs_test(inputs.deciles, X)
            except ValueError as err:
                notes.append(f"GRS on {model} skipped: {err}")
                continue
            row = {
                "model": model,
                "grs": res["grs"],
                "p_value": res["p_value"],
                "mean_abs_alpha": res["mean_abs_alpha"],
                "t": res["t"],
                "n_assets": res["n"],
                "k": res["k"],
            }
            grs_rows.append(row | {f"alpha_{a}": float(v) for a, v in res["alphas"].items()})
    else:
        notes.append("no momentum-sorted portfolios or FF regressors: GRS tests skipped")
    conditional = []
    for m_name, m in inputs.momentum.items():
        if inputs.factors.shape[1] == 0:
            continue
        table = conditional_correlations(m, inputs.factors, lookback=params.lookback)
        conditional.append(table.rename_axis("factor").reset_index().assign(momentum=m_name))
    spanning = pd.DataFrame(regressions, columns=["y", "model", "term", "coef", "t_stat", "adj_r2", "n"])
    cond = (
        pd.concat(conditional, ignore_index=True)
        if conditional
        else pd.DataFrame(
            columns=[
                "momentum",
                "factor",
                "corr_all",
                "corr_after_up",
                "corr_after_down",
                "n_all",
                "n_up",
                "n_down",
            ]
        )
    )
    cond = cond[["momentum", *[c for c in cond.columns if c != "momentum"]]]
    return {"spanning": spanning, "grs": pd.DataFrame(grs_rows), "conditional": cond}, notes


def spanning_summary(spanning: pd.DataFrame) -> pd.DataFrame:
    """One row per regression: alpha, t(alpha), adjusted R2, n and the coefficient on the term added to the
    FF-style model (the momentum / factor-momentum term the test is about; blank for the FF model alone)."""
    if spanning.empty:
        return pd.DataFrame()
    rows = []
    for (y, model), grp in spanning.groupby(["y", "model"], sort=False):
        alpha = grp[grp["term"] == "alpha"].iloc[0]
        added = model.split(")+", 1)[1] if ")+" in model else None
        extra = grp[grp["term"] == added].iloc[0] if added else None
        rows.append(
            {
                "y": y,
                "model": model,
                "alpha": alpha["coef"],
                "t_alpha": alpha["t_stat"],
                "added_term": added or "",
                "beta_added": extra["coef"] if extra is not None else np.nan,
                "t_added": extra["t_stat"] if extra is not None else np.nan,
                "adj_r2": alpha["adj_r2"],
                "n": int(alpha["n"]),
            }
        )
    return pd.DataFrame(rows)


# ---- unpartitioned writes ----------------------------------------------------------------------------


def replace_tables(
    warehouse: Warehouse, frames: dict[str, pd.DataFrame], *, asset: str, notes: list[str]
) -> dict:
    """Replace several unpartitioned tables whole AND this asset's rows of ``models.factor_momentum_notes``
    in ONE transaction; returns {table: rows written}."""
    storable = {table: _storable(frame) for table, frame in frames.items()}
    with warehouse.get_connection() as conn:
        results = write_tables(conn, storable, notes_table=NOTES, asset=asset, notes=notes)
    return {table: r.rows_written for table, r in results.items()}


def _storable(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame DuckDB can store even when empty (an empty frame without columns gets a placeholder)."""
    if frame.shape[1] == 0:
        return pd.DataFrame({"empty": pd.Series([], dtype=float)})
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object and out[c].map(lambda v: isinstance(v, str) or v is None).all():
            out[c] = out[c].astype(str)
    return out


def read_notes(warehouse: Warehouse, asset: str) -> list[str]:
    frame = warehouse.query_if_exists(NOTES, f"select note from {NOTES} where asset = ?", [asset])
    return [] if frame is None else frame["note"].astype(str).tolist()


def table_or_none(warehouse: Warehouse, table: str) -> pd.DataFrame | None:
    with warehouse.get_connection() as conn:
        if not table_exists(conn, table):
            return None
        return conn.execute(f"select * from {table}").df()
