"""The Daniel & Moskowitz (2016, JFE 122:221-247) study as plain functions over the model tables' shapes:
WML tables from stock panels, market state, lagged betas, variance forecasts, the Sec. 5 strategies and the
Table 3 / Table 5 regressions, each degrading to a note (not an error) when a short sample cannot support it.
The same functions run on the warehouse's decile WML and on Ken French's series: ``daily_study`` (the
paper's daily method, with French's daily files) and ``monthly_study`` (monthly series only).

Alignment (as in the other ``core.crashes`` modules): market state and strategies are in HOLDING alignment
(row t = the month whose WML return is explained or earned); betas and variance forecasts in FORMATION
alignment (row t = as of the close of t).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from momentum_dag.core.crashes.regressions import (
    CRASH_TERMS,
    FORECAST_TERMS,
    crash_regressions,
    mean_forecast_regressions,
    rolling_lagged_betas,
)
from momentum_dag.core.crashes.state import market_state
from momentum_dag.core.crashes.strategy import (
    STRATEGIES,
    barroso_santa_clara_variance_monthly,
    barroso_santa_clara_weights,
    constant_vol_weights_dm,
    dynamic_weights,
    expanding_mean_forecast,
    in_sample_mean_forecast,
    momentum_strategies,
    scale_to_target_vol,
    sharpe_table,
    to_holding_alignment,
)
from momentum_dag.core.crashes.volatility import (
    garch_variance_forecasts,
    garch_variance_forecasts_monthly,
    gjr_garch_full_sample,
)
from momentum_dag.core.crashes.wml import decile_daily_returns, decile_labels, large_cap_mask, wml_portfolios
from momentum_dag.core.sample import sample_note, sample_window


def _knob(default, doc: str):
    """A parameter's default and its one-line documentation (shown in the launchpad)."""
    return field(default=default, metadata={"doc": doc})


@dataclass(frozen=True)
class CrashParams:
    """The Daniel & Moskowitz (2016) study's parameters, each with its default and its source in the paper
    (the ``crash_*`` settings, ``MOMENTUM_CRASH_<NAME>``)."""

    breakpoints: str = _knob(
        "all",
        "WML breakpoints: 'all' stocks (D&M 2016 Sec. 2) or 'nyse_like' (the large_cap_share largest stocks by "
        "cap, standing in for Ken French's NYSE breakpoints); deciles hold only stocks tradable at formation",
    )
    large_cap_share: float = _knob(0.3, "Share of stocks by float cap setting the 'nyse_like' breakpoints")
    n_deciles: int = _knob(10, "WML portfolios: D10 - D1 of this many deciles (D&M 2016 Sec. 2)")
    min_valid_months: int = _knob(8, "Valid months of t-12..t-2 a stock needs to be ranked (D&M 2016 Sec. 2)")
    beta_window: int = _knob(126, "Days of the lagged-beta regressions (D&M 2016 Sec. 3.1)")
    beta_lags: int = _knob(10, "Lags of the market excess return in the beta regressions (D&M 2016 Sec. 3.1)")
    garch_min_days: int = _knob(252, "Daily WML returns before the first GJR-GARCH fit (D&M 2016 App. D)")
    garch_refit_every: int = _knob(1, "Months between GJR-GARCH refits (D&M 2016 App. D: every month)")
    garch_horizon: int = _knob(22, "Days of variance forecasts averaged for the next month (D&M 2016 App. D)")
    rv_window_days: int = _knob(126, "Days of the trailing realized variance (D&M 2016 App. D)")
    blend_min_pairs: int = _knob(36, "Month pairs before the GARCH/RV blend is used (D&M 2016 App. D)")
    oos_min_months: int = _knob(
        36, "Months of the expanding mean regression before the out-of-sample dynamic strategy (D&M 2016 Sec. 6)"
    )
    target_vol: float = _knob(0.19, "Ex-post annual volatility every strategy is scaled to (D&M 2016 Fig. 5: 19%)")
    is_variance: str = _knob("blend_var", "Variance forecast of the in-sample dynamic strategy")
    oos_variance: str = _knob(
        "blend_var",
        "Variance forecast of the out-of-sample dynamic strategy: it changes only the mean forecast (rolling "
        "coefficients, D&M 2016 Fig. 7), so the in-sample forecast (the blend) by default; rv_var an option",
    )
    kf_garch_min_months: int = _knob(120, "Ken French monthly branch: months before the first monthly GJR-GARCH")
    kf_garch_refit_every: int = _knob(1, "Ken French monthly branch: months between GJR-GARCH refits")
    kf_var_window_months: int = _knob(
        12, "Ken French monthly branch: months of each variance (>= 12: fewer collapse when returns are steady)"
    )
    kf_sample_start: str | None = _knob(
        None,
        "Ken French branch: first holding month YYYY-MM, clipped to the data; None: the whole series. Earlier "
        "data still feed the market state, the variance forecasts and the Barroso-Santa-Clara variance",
    )
    kf_sample_end: str | None = _knob(None, "Ken French branch: last holding month YYYY-MM; None: the whole series")


def _reset_dates(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    out = frame.rename_axis(column).reset_index()
    out[column] = pd.to_datetime(out[column])
    return out


# ---- monthly model tables ----------------------------------------------------------------------------


def wml_tables(
    monthly_ret: pd.DataFrame,
    float_mcap: pd.DataFrame,
    daily_ret: pd.DataFrame,
    params: CrashParams,
    tradable: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """WML rows from the stock panels (D&M Sec. 2): ``monthly`` (period_end = holding month, wml, d1..dn),
    ``daily`` (trade_date, wml, d1..dn: daily buy-and-hold returns of the same portfolios), ``formation``
    (period_end = formation date, stock_id, decile, weight, past_ret) and ``universe`` (period_end,
    n_stocks with a return) for coverage figures. ``tradable`` (formation date x stock, True = may enter)
    restricts the deciles; ``params.breakpoints`` picks all-stock or large-cap ("nyse_like") breakpoints."""
    mcap = float_mcap.reindex_like(monthly_ret)
    if tradable is not None:
        tradable = tradable.reindex_like(monthly_ret).fillna(False).astype(bool)
    mask = large_cap_mask(mcap, params.large_cap_share) if params.breakpoints == "nyse_like" else None
    deciles, wml, formation = wml_portfolios(
        monthly_ret,
        mcap,
        n_deciles=params.n_deciles,
        min_valid_months=params.min_valid_months,
        breakpoint_mask=mask,
        tradable=tradable,
    )
    labels = decile_labels(params.n_deciles)
    monthly = _reset_dates(pd.concat([wml, deciles], axis=1).dropna(subset=["wml"]), "period_end")
    daily_deciles = decile_daily_returns(daily_ret, formation).reindex(columns=labels)
    daily = daily_deciles.assign(wml=daily_deciles[labels[-1]] - daily_deciles[labels[0]])
    daily = _reset_dates(daily[["wml", *labels]].dropna(subset=["wml"]), "trade_date")
    universe = monthly_ret.notna().sum(axis=1).rename("n_stocks").rename_axis("period_end").reset_index()
    return {"monthly": monthly, "daily": daily, "formation": formation, "universe": universe}


def market_state_table(market_monthly: pd.DataFrame, market_daily_ret: pd.Series, params: CrashParams) -> pd.DataFrame:
    """Rows (period_end = holding month t): bear = I_B,t-1, up = I_U,t, market_var = variance of the
    ``rv_window_days`` daily market returns to t-1 (D&M Eq. 4), and the month's market_ret / market_excess.
    ``market_monthly`` has columns market_ret (total) and market_excess, indexed by month end."""
    total = market_monthly["market_ret"].astype(float)
    excess = market_monthly["market_excess"].astype(float)
    state = market_state(total, excess, market_daily_ret.astype(float), var_window_days=params.rv_window_days)
    state = state.assign(market_ret=total.to_numpy(), market_excess=excess.to_numpy())
    return _reset_dates(state, "period_end")


def wml_beta_table(
    wml_daily: pd.DataFrame, market_daily: pd.DataFrame, month_ends: pd.DatetimeIndex, params: CrashParams
) -> pd.DataFrame:
    """Sum-of-lags betas (D&M Sec. 3.1) of winner (top decile), loser (d1) and WML excess returns over the
    ``beta_window`` days to each month end (FORMATION alignment). Decile legs are total returns, so rf is
    subtracted; WML is zero-investment, so its return is its excess return."""
    labels = decile_labels(params.n_deciles)
    rf = market_daily["rf"].astype(float).reindex(wml_daily.index)
    excess = pd.DataFrame(
        {"winner": wml_daily[labels[-1]] - rf, "loser": wml_daily[labels[0]] - rf, "wml": wml_daily["wml"]}
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


def variance_forecast_table(
    wml_daily: pd.Series,
    month_ends: pd.DatetimeIndex,
    params: CrashParams,
    known_garch_var: pd.Series | None = None,
    n_jobs: int | None = None,
) -> pd.DataFrame:
    """GJR-GARCH, realized and blended variance forecasts made at each of ``month_ends`` (D&M App. D),
    FORMATION alignment; ``known_garch_var`` are forecasts already made, ``n_jobs`` the processes of the
    refits (see ``garch_variance_forecasts``)."""
    forecasts = garch_variance_forecasts(
        wml_daily,
        month_ends,
        horizon=params.garch_horizon,
        rv_window=params.rv_window_days,
        min_obs=params.garch_min_days,
        refit_every=params.garch_refit_every,
        min_blend_pairs=params.blend_min_pairs,
        known_garch_var=known_garch_var,
        n_jobs=n_jobs,
    )
    return _reset_dates(forecasts.dropna(how="all"), "period_end")


# ---- full-sample analyses ----------------------------------------------------------------------------


@dataclass
class StrategyResult:
    """Strategy returns/weights (holding alignment, wide), their performance table and what is missing."""

    returns: pd.DataFrame
    weights: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [s for s in STRATEGIES if s not in self.returns]


def run_strategies(
    wml: pd.Series,
    state: pd.DataFrame,
    variances: pd.DataFrame,
    bsc_var: pd.Series | None,
    params: CrashParams,
    *,
    periods_per_year: int = 12,
) -> StrategyResult:
    """``momentum_strategies`` (D&M Sec. 5) with fallbacks so a short sample degrades instead of failing.

    ``variances`` must already be in HOLDING alignment. If the in-sample variance (blend) is undefined
    on every usable month the in-sample dynamic strategy uses ``rv_var`` instead; if fewer than 2 months
    have every strategy defined, ``_defined_strategies`` keeps those that are defined. ``notes`` says
    what is missing and why.
    """
    notes: list[str] = []
    is_variance = params.is_variance
    usable = wml.notna() & state["bear"].notna() & state["market_var"].notna()
    if variances.reindex(wml.index)[is_variance].where(usable).notna().sum() == 0 and is_variance != "rv_var":
        notes.append(f"{is_variance} is undefined on every usable month: dyn_is uses rv_var instead")
        is_variance = "rv_var"
    oos_variance = params.oos_variance
    if variances.reindex(wml.index)[oos_variance].where(usable).notna().sum() == 0 and oos_variance != "rv_var":
        notes.append(f"{oos_variance} is undefined on every usable month: dyn_oos uses rv_var instead")
        oos_variance = "rv_var"
    try:
        returns, weights = momentum_strategies(
            wml,
            state["bear"],
            state["market_var"],
            variances,
            bsc_var=bsc_var,
            is_variance=is_variance,
            oos_variance=oos_variance,
            cvol_variance="rv_var",
            target_vol=params.target_vol,
            oos_min_months=params.oos_min_months,
            periods_per_year=periods_per_year,
        )
    except ValueError as err:
        notes.append(f"momentum_strategies: {err}; keeping the strategies that are defined")
        returns, weights = _defined_strategies(
            wml, state, variances, bsc_var, params, is_variance, periods_per_year, notes, oos_variance
        )
    if returns.empty:
        notes.append("no strategy has 2 months with every input defined: the sample is too short")
        return StrategyResult(returns, weights, pd.DataFrame(), notes)
    summary = sharpe_table(returns, periods_per_year=periods_per_year)
    # Each strategy is scaled by ONE full-sample (ex-post) constant to target_vol; disclosed in the table.
    summary["ex_post_target_vol"] = params.target_vol
    summary["wml_vol_ann"] = float(wml.loc[returns.index].std(ddof=1) * np.sqrt(periods_per_year))
    used = {"cvol_dm": "rv_var", "cvol_bsc": "bsc_var", "dyn_is": is_variance, "dyn_oos": oos_variance}
    summary["variance_used"] = [used.get(s, "") for s in summary.index]
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
    oos_variance: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fallback when ``momentum_strategies`` finds no common month: the same weights from the weight
    functions, each strategy kept only if defined on >= 2 months (else noted), then the common months of
    those kept and the same ex-post scaling. If they still share < 2 months, the dynamic ones are dropped."""
    sigma2 = variances.reindex(wml.index)
    bear, market_var = state["bear"], state["market_var"]
    raw = {
        "static": lambda: pd.Series(1.0, index=wml.index),
        "cvol_dm": lambda: constant_vol_weights_dm(np.sqrt(sigma2["rv_var"])),
        "cvol_bsc": lambda: constant_vol_weights_dm(np.sqrt(bsc_var.reindex(wml.index))),
        "dyn_is": lambda: dynamic_weights(in_sample_mean_forecast(wml, bear, market_var), sigma2[is_variance]),
        "dyn_oos": lambda: dynamic_weights(
            expanding_mean_forecast(wml, bear, market_var, min_months=params.oos_min_months),
            sigma2[oos_variance or params.oos_variance],
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
    """Table 3 (``crash_regressions``, D&M Eq. 3) and Table 5 (``mean_forecast_regressions``, Eq. 5);
    None plus a note when the sample cannot support them (e.g. no bear month yet)."""
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


def monthly_study(
    wml: pd.Series, excess: pd.Series, total: pd.Series, params: CrashParams, *, n_jobs: int | None = None
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The whole study on MONTHLY series only (Ken French's Mom as WML, market excess and total returns),
    for when no daily returns exist.

    Daniel-Moskowitz (2016) estimate every variance from 126 DAILY returns. From monthly returns the
    analogue is a window of ``kf_var_window_months`` months (default 12, at least 12: the demeaned variance
    of 6 monthly returns collapses when they are steady, e.g. Mom's Feb-Jul 1972, and its inverse then
    levers the strategy to a weight near 30): that window gives ``rv_var`` (the out-of-sample dynamic and
    constant-volatility strategies), the Barroso-Santa-Clara analogue and sigma^2_m,t-1 (divided by 21,
    decimal daily units); the GJR-GARCH runs on monthly returns (``garch_variance_forecasts_monthly``).
    Tables by short name, and notes. ``n_jobs``: processes for the GARCH refits (changes no result).
    """
    complete = pd.concat([wml, excess, total], axis=1).dropna().index
    wml, excess, total = (s.loc[complete.min() : complete.max()] for s in (wml, excess, total))
    state = market_state(total, excess, None, var_window_months=params.kf_var_window_months)
    forecasts = garch_variance_forecasts_monthly(
        wml,
        rv_window=params.kf_var_window_months,
        min_obs=params.kf_garch_min_months,
        refit_every=params.kf_garch_refit_every,
        min_blend_pairs=params.blend_min_pairs,
        n_jobs=n_jobs,
    )
    bsc = barroso_santa_clara_variance_monthly(wml, window=params.kf_var_window_months)
    tables, notes = _time_series_study(wml, excess, total, state, forecasts, bsc, params)
    none = pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    tables["garch_full_sample"] = gjr_garch_full_sample(none)  # a daily figure: none from monthly data
    return tables, notes


def daily_study(
    wml: pd.Series,
    excess: pd.Series,
    total: pd.Series,
    wml_daily: pd.Series,
    market_daily: pd.Series,
    params: CrashParams,
    *,
    n_jobs: int | None = None,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The whole study with Daniel-Moskowitz's (2016) DAILY method, on monthly WML and market returns
    (``wml``, ``excess``, ``total``, indexed by month end) and daily WML and market total returns.

    - sigma^2_m,t-1: variance of the ``rv_window_days`` (126) daily market returns to the close of t-1 (Eq. 4);
    - WML variance at each month end t, from daily WML dated <= t (App. D): GJR-GARCH(1,1) refit on all days
      to t (``garch_var``), the trailing 126-day realized variance (``rv_var``, Table 7's out-of-sample
      strategy) and their blend (``blend_var``, expanding OLS on realized next-22-day volatility);
    - Barroso-Santa-Clara (2015) variance from the 126 daily WML returns to the end of t-1.
    Tables by short name (as ``monthly_study``), and notes. ``n_jobs``: processes for the GARCH refits.
    """
    complete = pd.concat([wml, excess, total], axis=1).dropna().index
    wml, excess, total = (s.loc[complete.min() : complete.max()] for s in (wml, excess, total))
    state = market_state(total, excess, market_daily.dropna(), var_window_days=params.rv_window_days)
    daily = wml_daily.dropna()
    daily = daily.loc[: wml.index.max()]
    forecasts = garch_variance_forecasts(
        daily,
        wml.index,
        horizon=params.garch_horizon,
        rv_window=params.rv_window_days,
        min_obs=params.garch_min_days,
        refit_every=params.garch_refit_every,
        min_blend_pairs=params.blend_min_pairs,
        n_jobs=n_jobs,
    )
    bsc = barroso_santa_clara_weights(daily, wml.index)["bsc_var"]
    bsc = bsc.where(wml.index >= daily.index.min())  # months before the first daily WML have no estimate
    tables, notes = _time_series_study(wml, excess, total, state, forecasts, bsc, params)
    # App. D's full-sample GJR-GARCH on the daily WML of the sample's months (with their lookback days)
    lo, hi = sample_window(wml.index, params.kf_sample_start, params.kf_sample_end)
    first_day = lo.to_period("M").to_timestamp(how="start")
    tables["garch_full_sample"] = gjr_garch_full_sample(daily.loc[first_day:hi])
    return tables, notes


def _time_series_study(
    wml: pd.Series,
    excess: pd.Series,
    total: pd.Series,
    state: pd.DataFrame,
    forecasts: pd.DataFrame,
    bsc: pd.Series,
    params: CrashParams,
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Regressions and strategies on a market state and FORMATION-aligned variance forecasts, over the
    months of ``params.kf_sample_start``..``kf_sample_end`` (clipped to the data); state, forecasts and
    variances are computed on the whole series first, so the sample's first months have their lookback."""
    variances = to_holding_alignment(forecasts)
    lo, hi = sample_window(wml.index, params.kf_sample_start, params.kf_sample_end)
    wml, excess, total, state, variances, forecasts = (
        x.loc[lo:hi] for x in (wml, excess, total, state, variances, forecasts)
    )
    bsc = bsc.loc[lo:hi] if bsc is not None else None
    crash, forecast, notes = run_regressions(wml, excess, state)
    strategies = run_strategies(wml, state, variances, bsc, params)
    notes = [
        sample_note(lo, hi, len(wml), params.kf_sample_start, params.kf_sample_end),
        *notes,
        *strategies.notes,
        *([f"missing strategies: {', '.join(strategies.missing)}"] if strategies.missing else []),
    ]
    state_rows = state.assign(wml=wml, market_excess=excess, market_total=total).rename_axis("period_end")
    tables = {
        "market_state": state_rows.reset_index(),
        "variance_forecast": forecasts.rename_axis("period_end").reset_index(),
        "crash_regressions": regression_frame(crash, CRASH_TERMS),
        "crash_mean_forecast": regression_frame(forecast, FORECAST_TERMS),
        **strategy_frames(strategies),
    }
    return tables, notes


# ---- stored shapes -----------------------------------------------------------------------------------


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
    """Rows (period_end, strategy, value) -> wide, strategies in the paper's order."""
    wide = long.pivot(index="period_end", columns="strategy", values=value)
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="period_end")
    return wide[[s for s in STRATEGIES if s in wide.columns]]


def strategy_frames(result: StrategyResult) -> dict[str, pd.DataFrame]:
    """``strategy_returns``, ``strategy_weights`` (long) and ``strategy_summary`` as stored."""
    summary = result.summary.reset_index() if len(result.summary) else pd.DataFrame({"strategy": []})
    return {
        "strategy_returns": long_strategy_frame(result.returns, "ret"),
        "strategy_weights": long_strategy_frame(result.weights, "weight"),
        "strategy_summary": summary,
    }


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
