"""The Ehsani & Linnainmaa (2022, JF 77(3):1877-1919) study as plain functions over factor-return panels:
TS and CS factor momentum side by side, PC factor momentum with a factor set that grows as factors mature,
Table I autocorrelations, the spanning tests (Tables V-VIII) and the Ken French inputs. A test the sample
cannot support is skipped with a note instead of failing.

Panels are wide (month end x factor), rows in HOLDING alignment (row t+1 = the month a signal formed at
t is held) unless stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from momentum_dag.core.factor_momentum.pc_factors import default_pc_groups, pc_factor_momentum
from momentum_dag.core.factor_momentum.portfolios import MOMENTUM_FACTORS, is_momentum_name
from momentum_dag.core.factor_momentum.signals import (
    cs_factor_momentum,
    factor_autocorrelation,
    ts_factor_momentum,
)
from momentum_dag.core.factor_momentum.spanning import conditional_correlations, grs_test, spanning_regression
from momentum_dag.core.sample import sample_note, sample_window


def _knob(default, doc: str):
    """A parameter's default and its one-line documentation (shown in the launchpad)."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class FactorMomentumParams:
    """The Ehsani & Linnainmaa (2022) study's parameters, each with its default and its source in the paper
    (the ``fm_*`` settings, ``MOMENTUM_FM_<NAME>``)."""

    lookback: int = _knob(12, "Months t-11..t of the factor's moving average, no skip month (E-L 2022 Sec. I.B)")
    min_obs: int = _knob(12, "Returns the moving average needs (Stata tssmooth ma, window(12))")
    quantile: float = _knob(0.3, "Long-short legs: top and bottom share of stocks (Fama-French 30/70)")
    value_weighted: bool = _knob(True, "Legs value-weighted by float cap at formation (E-L 2022 Sec. I.A)")
    strategy_sources: tuple[str, ...] = _knob(
        ("barra", "characteristic"), "Factor sources entering TS, CS and PC factor momentum"
    )
    pc_min_days: int = _knob(252, "Daily factor returns before the first PC formation (E-L 2022 Table IV)")
    pc_min_months: int = _knob(36, "Monthly factor returns before the first PC formation (E-L 2022 Table IV)")
    hac_lags: int | None = _knob(
        None, "None: classical OLS t-values (E-L 2022 Tables I, V-VII); an integer: Newey-West lags"
    )
    beta_days: int = _knob(252, "Days of the market-beta characteristic")
    beta_min_days: int = _knob(120, "Days the market-beta characteristic needs")
    turnover_days: int = _knob(21, "Days of the turnover characteristic")
    turnover_min_days: int = _knob(10, "Days the turnover characteristic needs")
    kf_sample_start: str | None = _knob(
        None,
        "Ken French branch: first holding month YYYY-MM, clipped to the data (the signals read the lookback "
        "months before it); None: the whole series",
    )
    kf_sample_end: str | None = _knob(None, "Ken French branch: last holding month YYYY-MM; None: the whole series")
    xs_median_leg: str = _knob(
        "long",
        "CS factor momentum with an odd number of factors: the median factor's leg, 'long' (E-L 2022 replication "
        "code: ties -> +1), 'short' or 'out' (neither leg)",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "strategy_sources", tuple(self.strategy_sources))


MOMENTUM_COLUMNS: dict[str, type] = {
    "tsmom": float,
    "tsmom_winners": float,
    "tsmom_losers": float,
    "tsmom_n_long": int,
    "tsmom_n_short": int,
    "xsmom": float,
    "xsmom_weighted": float,
    "xsmom_winners": float,
    "xsmom_losers": float,
    "xsmom_n_long": int,
    "xsmom_n_short": int,
}
"""Columns of a factor-momentum frame (``momentum_frame``) and their types."""

MOMENTUM_NAMES: tuple[str, ...] = (*MOMENTUM_FACTORS, "mom", "barra_momentum")
"""Factor names (case-insensitive) with role ``momentum``: the characteristic ``momentum`` portfolio, the
Barra momentum style and French's Mom; E-L exclude UMD from every factor-momentum strategy."""

FF_STYLE = ("size", "value", "profitability", "investment")
"""Characteristic long-shorts standing in for SMB, HML, RMW, CMA in the FF-style spanning model."""

KENFRENCH_ROLES: dict[str, str] = {
    "SMB": "factor",
    "HML": "factor",
    "RMW": "factor",
    "CMA": "factor",
    "ST_Rev": "factor",
    "LT_Rev": "factor",
    "ff5_SMB": "factor",
    "ff5_HML": "factor",
    "ff5_RMW": "factor",
    "ff5_CMA": "factor",
    "Mom": "momentum",
    "MktRF": "market",
    "Mkt-RF": "market",
    "ff5_Mkt-RF": "market",
}
"""Ken French columns that are long-short factors (others - industries, portfolios, RF - are not factors).
Both the 3-factor and 5-factor SMB/HML are kept when both files are loaded (distinct names)."""


def role_of(factor: str) -> str:
    """``momentum`` for the stock-momentum factors (kept out of the strategies), else ``factor``."""
    return "momentum" if is_momentum_name(factor, MOMENTUM_NAMES) else "factor"


def consecutive_months(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with one row per calendar month between its first and last row (the signal functions
    count rows as months); a month without any row gets NaNs dated at the calendar month end."""
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
    return panel.set_axis(periods).reindex(full).set_axis(pd.DatetimeIndex(dates.to_numpy(), name=panel.index.name))


# ---- TS and CS factor momentum -----------------------------------------------------------------------


def momentum_frame(returns: pd.DataFrame, params: FactorMomentumParams) -> pd.DataFrame:
    """TS and CS factor momentum (E-L 2022, Sec. I.B) side by side, indexed by holding month; empty (with
    the ``MOMENTUM_COLUMNS``) when no month has a signal yet."""
    empty = pd.DataFrame(
        {c: pd.Series([], dtype=float) for c in MOMENTUM_COLUMNS}, index=pd.DatetimeIndex([], name="period_end")
    )
    if returns.shape[1] == 0 or len(returns) <= params.min_obs:
        return empty
    kwargs = {"lookback": params.lookback, "min_obs": params.min_obs, "exclude": ()}
    ts = ts_factor_momentum(returns, **kwargs).rename(columns={"n_long": "tsmom_n_long", "n_short": "tsmom_n_short"})
    cs = cs_factor_momentum(returns, **kwargs, median_leg=params.xs_median_leg).rename(
        columns={"n_long": "xsmom_n_long", "n_short": "xsmom_n_short"}
    )
    out = pd.concat([ts, cs], axis=1)
    if out.empty:
        return empty
    return out[list(MOMENTUM_COLUMNS)].rename_axis("period_end")


def momentum_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """A ``momentum_frame`` as stored rows: period_end a column, counts as integers (0 when undefined)."""
    out = frame.reset_index()
    out["period_end"] = pd.to_datetime(out["period_end"])
    for column, kind in MOMENTUM_COLUMNS.items():
        out[column] = out[column].fillna(0).astype("int64") if kind is int else out[column].astype(float)
    return out


# ---- PC factor momentum ------------------------------------------------------------------------------


def eligible_factors(daily: pd.DataFrame, monthly: pd.DataFrame, params: FactorMomentumParams) -> pd.Series:
    """Factors usable for PCs formed at each month end t (a tuple per month), from data <= t only: at
    least ``pc_min_months`` monthly and ``pc_min_days`` daily returns through t and a full signal window.
    The factor set grows as young factors (e.g. 60-month long-term reversal) accumulate history."""
    months = monthly.notna()
    enough = (months.cumsum() >= params.pc_min_months) & (months.rolling(params.lookback).sum() == params.lookback)
    day_counts = daily.notna().cumsum().reindex(columns=monthly.columns).fillna(0)
    day_counts = day_counts.reindex(monthly.index, method="ffill").fillna(0)
    enough &= day_counts >= params.pc_min_days
    return enough.apply(lambda row: tuple(row.index[row.to_numpy()]), axis=1)


def pc_momentum_returns(
    daily: pd.DataFrame,
    monthly: pd.DataFrame,
    params: FactorMomentumParams,
    holding_months: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Long rows (period_end = holding month, pc_group, group_rank, n_factors, ret) of E-L (2022, Table IV)
    PC factor momentum, the factor set re-chosen at each formation month by ``eligible_factors``: the
    formation months with one factor set run through ``pc_factor_momentum`` on that set.

    ``holding_months`` limits the work to the formations those months need (None: every month); a month's
    return is the same either way, since each formation uses data through its own month only.
    """
    columns = ["period_end", "pc_group", "group_rank", "n_factors", "ret"]
    if monthly.empty or daily.empty or len(monthly) < 2:
        return pd.DataFrame({c: [] for c in columns})
    sets = eligible_factors(daily, monthly, params)
    holding_of = pd.Series(monthly.index[1:], index=monthly.index[:-1])
    if holding_months is not None:
        sets = sets[sets.index.isin(holding_of.index[holding_of.isin(holding_months)])]
    frames = []
    for factors, months in sets.groupby(sets, sort=False):
        if len(factors) < 2:  # a correlation matrix needs two factors
            continue
        wide = pc_factor_momentum(
            daily[list(factors)],
            monthly[list(factors)],
            lookback=params.lookback,
            min_days=params.pc_min_days,
            min_months=params.pc_min_months,
            exclude=(),
            formation_dates=months.index,
        )
        if wide.empty:
            continue
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


# ---- Table I and the spanning tests ------------------------------------------------------------------


def autocorrelation_table(factors: pd.DataFrame, momentum: pd.DataFrame, params: FactorMomentumParams) -> pd.DataFrame:
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


CONDITIONAL_COLUMNS = ["momentum", "factor", "corr_all", "corr_after_up", "corr_after_down", "n_all", "n_up", "n_down"]


def spanning_tables(inputs: SpanningInputs, params: FactorMomentumParams) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """E-L (2022) Tables V-VIII style results: momentum on FF + factor momentum and the reverse, GRS on
    momentum-sorted portfolios per model, conditional correlations. Each regression the sample cannot
    support is skipped with a note."""
    notes: list[str] = []
    regressions: list[dict] = []
    ff_name = "ff(" + ",".join(inputs.ff.columns) + ")"

    def run(y_name: str, y: pd.Series, extra: dict[str, pd.Series]) -> None:
        model = ff_name + "".join(f"+{k}" for k in extra)
        X = pd.concat([inputs.ff, *[s.rename(k) for k, s in extra.items()]], axis=1)
        try:
            regressions.extend(_regression_rows(y_name, model, spanning_regression(y, X, hac_lags=params.hac_lags)))
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
        models = {"ff": {}} | {f"ff+{k}": {k: v} for k, v in {**inputs.momentum, **inputs.factor_momentum}.items()}
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
    cond = pd.concat(conditional, ignore_index=True) if conditional else pd.DataFrame(columns=CONDITIONAL_COLUMNS)
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


# ---- Ken French's monthly factors ---------------------------------------------------------------------

FF5 = ("ff5_SMB", "ff5_HML", "ff5_RMW", "ff5_CMA")
FF3 = ("SMB", "HML")
REVERSALS = ("ST_Rev", "LT_Rev")
KF_MARKET = ("ff5_Mkt-RF", "Mkt-RF", "MktRF")
SIZE_MOMENTUM = re.compile(r"^S\dM\d$")


def kenfrench_inputs(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, SpanningInputs, list[str]]:
    """(strategy factors, momentum factor, spanning inputs, notes) from French's wide monthly series.

    Strategy factors: the 5-factor SMB, HML, RMW, CMA when the 5-factor file is present, else the 3-factor
    SMB, HML (one size and one value factor, never both versions), plus the short- and long-term reversal
    factors ST_Rev, LT_Rev when their files are present (E-L's STR and LTR). Test assets: the prior (12-2) deciles
    when present, else the nine size x momentum portfolios, minus RF.
    """
    notes = []
    names = [c for c in FF5 if c in frame] or [c for c in FF3 if c in frame]
    if not names:
        raise ValueError(f"Ken French data has none of the factors {FF5 + FF3}; columns: {list(frame.columns)}")
    names += [c for c in REVERSALS if c in frame]
    if len(names) < 3:
        notes.append(f"only {len(names)} strategy factors ({', '.join(names)}): XS momentum is long one, short one")
    if "Mom" not in frame:
        raise ValueError("Ken French data has no Mom column (F-F_Momentum_Factor.CSV)")
    market = next((c for c in KF_MARKET if c in frame), None)
    rf = next((c for c in ("RF", "ff5_RF") if c in frame), None)
    if market is None or rf is None:
        raise ValueError("Ken French data needs the market excess return (Mkt-RF/MktRF) and RF")
    frame = consecutive_months(frame.astype(float))
    factors, momentum = frame[names], frame[["Mom"]]
    deciles = [c for c in frame.columns if c.startswith("prior_12_2_")]
    test_label = "prior (12-2) deciles"
    if not deciles:
        deciles, test_label = [c for c in frame.columns if SIZE_MOMENTUM.match(c)], "3x3 size x momentum portfolios"
    test_assets = frame[deciles].sub(frame[rf], axis=0) if deciles else None
    notes.append(f"GRS test assets: {test_label} minus RF" if deciles else "no momentum-sorted portfolios: no GRS")
    ff = pd.concat([frame[market].rename("mkt_rf"), factors], axis=1)
    inputs = SpanningInputs({"Mom": frame["Mom"]}, ff, {}, test_assets, factors)
    return factors, momentum, inputs, notes


def kenfrench_study(
    frame: pd.DataFrame, params: FactorMomentumParams, daily: pd.DataFrame | None = None
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """TS/CS factor momentum, Table I, the spanning tests and, with French's daily factor files, PC factor
    momentum (E-L Table IV) on French's factors; tables by short name (momentum, autocorrelation, spanning,
    grs, conditional, pc) and notes.

    The holding months are ``params.kf_sample_start``..``kf_sample_end`` clipped to the data (E-L:
    1964-07..2019-12); the signals and Table I's prior year read the ``lookback`` months before the start.
    """
    holding = consecutive_months(frame.astype(float)).index[params.lookback :]
    lo, hi = sample_window(holding, params.kf_sample_start, params.kf_sample_end)
    frame = frame.loc[lo - pd.DateOffset(months=params.lookback) : hi]
    factors, momentum, inputs, notes = kenfrench_inputs(frame)
    fm = momentum_frame(factors, params).loc[lo:hi]
    notes = [
        sample_note(lo, hi, len(fm), params.kf_sample_start, params.kf_sample_end),
        f"Strategy factors: {', '.join(factors.columns)} ({factors.shape[1]}; E-L use 20); Mom is the momentum factor",
        *notes,
    ]
    if factors.shape[1] % 2 == 1:
        notes.append(
            f"CS momentum with {factors.shape[1]} factors: the median factor goes {params.xs_median_leg} "
            "(MOMENTUM_FM_XS_MEDIAN_LEG; E-L's code puts ties long)"
        )
    inputs.factor_momentum = {"tsmom": fm["tsmom"]} if len(fm) else {}
    pc = pd.DataFrame(
        {
            "period_end": pd.Series([], dtype="datetime64[us]"),
            "pc_group": pd.Series([], dtype=str),
            "group_rank": pd.Series([], dtype="int64"),
            "n_factors": pd.Series([], dtype="int64"),
            "ret": pd.Series([], dtype=float),
        }
    )
    with_daily = [] if daily is None else [c for c in factors.columns if c in daily.columns]
    if len(with_daily) >= 2:
        pc = pc_momentum_returns(daily.loc[:hi, with_daily], factors[with_daily], params)
        pc = pc[(pc["period_end"] >= lo) & (pc["period_end"] <= hi)].reset_index(drop=True)
        notes.append(f"PC factor momentum on the daily files' {len(with_daily)} factors ({', '.join(with_daily)})")
    else:
        notes.append("No PC factor momentum: it needs French's daily files for at least two strategy factors")
    tables, more = spanning_tables(inputs, params)
    return {
        "momentum": momentum_rows(fm),
        "autocorrelation": autocorrelation_table(factors, momentum, params),
        **tables,
        "pc": pc,
    }, notes + more
