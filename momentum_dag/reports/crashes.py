"""The momentum-crash report pages (Daniel-Moskowitz 2016): interactive charts in the style of Figs. 1,
5-7 and the page's sections (Table 3 and 5 regressions, Sharpe table, worst months, weights and cumulative
curves).

Charts are :class:`~momentum_dag.reports.interactive.Chart` specs drawn in the browser. Inputs are wide
monthly frames indexed by period_end (holding month) with one column per strategy, and the bear indicator
on the same months (``bear`` at row t = I_B,t-1, the ex-ante state of month t).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.reports.interactive import Chart, Table

PAPER = "Daniel, K. and Moskowitz, T. J. (2016), Momentum crashes, JFE 122(2):221-247"


def _check(frame: pd.DataFrame, name: str) -> None:
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.empty:
        raise ValueError(f"{name} must be a non-empty frame indexed by period_end dates")


def _bear_flag(bear: pd.Series | None, index: pd.DatetimeIndex, **reindex) -> pd.Series | None:
    if bear is None:
        return None
    return bear.reindex(index, **reindex).fillna(0).astype(float) > 0.5


def cumulative_with_bear(
    returns: pd.DataFrame, *, bear: pd.Series | None = None, title: str = "Cumulative return"
) -> Chart:
    """Wealth of 1 in each column (log scale to start; a linear toggle), bear-market months shaded."""
    _check(returns, "returns")
    return Chart(
        returns.astype(float),
        f"{title} (wealth of 1; bear months I_B,t-1 = 1 shaded)",
        kind="wealth",
        y_title="wealth from 1",
        shade=_bear_flag(bear, returns.index),
        log=True,
    )


def weights_chart(weights: pd.DataFrame, *, bear: pd.Series | None = None, title: str = "Weights on WML") -> Chart:
    """Each strategy's (scaled) weight on WML by holding month, bear months shaded."""
    _check(weights, "weights")
    return Chart(
        weights.astype(float),
        f"{title} (x WML; bear months shaded)",
        y_title="weight on WML",
        shade=_bear_flag(bear, weights.index),
    )


def betas_chart(betas: pd.DataFrame, *, bear: pd.Series | None = None, title: str = "126-day lagged betas") -> Chart:
    """Winner, loser and WML sum-of-lags betas over time, bear months shaded."""
    _check(betas, "betas")
    return Chart(
        betas.astype(float),
        f"{title} (market beta; bear months shaded)",
        y_title="beta",
        shade=_bear_flag(bear, betas.index, method="nearest"),
    )


def variance_forecasts_chart(
    forecasts: pd.DataFrame, *, periods_per_year: int = 252, title: str = "WML volatility forecasts"
) -> Chart:
    """Annualized GARCH, realized and blended volatility forecasts (columns ending in ``_vol``)."""
    _check(forecasts, "forecasts")
    vols = [c for c in ("garch_vol", "rv_vol", "blend_vol") if c in forecasts.columns]
    frame = forecasts[vols].astype(float) * np.sqrt(periods_per_year)
    return Chart(frame, f"{title} (annualized, %)", y_title="% per year", percent=True)


# ---- page sections ----------------------------------------------------------------------------------

N_WORST = 10
CRASH_TABLE_NOTE = (
    "Table 3 (D&M Eq. 3): R_WML,t = (alpha0 + alphaB I_B,t-1) + [beta0 + I_B,t-1 (betaB + I_U,t betaBU)] "
    "R^e_m,t + e_t; models (1)-(4) as in D&M. Table 5 (Eq. 5): R_WML,t = gamma0 + gammaB I_B,t-1 + "
    "gammaSigma2 sigma^2_m,t-1 + gammaInt I_B,t-1 sigma^2_m,t-1 + e_t. OLS with classical t-statistics "
    "(columns *_t). Intercepts alpha0, alphaB, gamma0, gammaB in % per month, as D&M print them (the CSV keeps "
    "decimals); betas per unit of market excess return; sigma^2_m is a decimal DAILY "
    "variance, so gammaSigma2 and gammaInt are large numbers."
)
STRATEGY_NOTE = (
    "Strategies (D&M Sec. 5): static WML; cvol_dm = 1/sigma_126 (trailing 126-day realized volatility of "
    "WML); cvol_bsc = Barroso and Santa-Clara (2015) 1/sigma with sigma^2 = 21 x mean of 126 squared daily "
    "WML returns; dyn_is = mu/sigma^2 with mu from the FULL-SAMPLE Table 5 column (4) regression (look-ahead "
    "in the coefficients, as in D&M) and sigma^2 from the GARCH/realized blend; dyn_oos = mu from expanding "
    "regressions through t-1 (only the mean forecast changes, D&M Fig. 7) and, by default, the same variance "
    "forecast as dyn_is (MOMENTUM_CRASH_OOS_VARIANCE; rv_var, the 126-day realized variance, is an option; the "
    "variance_used column says which). Dynamic weights may be negative (no cap). "
    "Every strategy is scaled by ONE full-sample constant to the same annualized volatility: an EX-POST "
    "scalar that leaves Sharpe ratios unchanged but uses the whole sample. For D&M's alternative (p. 233: "
    "the volatility of the baseline WML), multiply by wml_vol_ann / ex_post_target_vol (wml_vol_ann = "
    "unscaled WML volatility on the same months)."
)


# Regression columns D&M print in percent per month (intercepts, the bear-market shift).
PERCENT_COEFFICIENTS = ("alpha0", "alphaB", "gamma0", "gammaB")


def regression_label(column: str) -> str:
    """A regression column's header with its unit."""
    if column in PERCENT_COEFFICIENTS:
        return f"{column} (% / month)"
    if column.endswith("_t"):
        return f"{column} (t-stat)"
    if column.startswith("beta"):
        return f"{column} (beta)"
    if column.startswith("gamma"):
        return f"{column} (per unit of daily variance)"
    return {"adj_r2": "adj. R2 (ratio)", "nobs": "nobs (months)", "start": "start (date)", "end": "end (date)"}.get(
        column, column
    )


def _regression_display(frame: pd.DataFrame | None, query: str | None) -> Table | str:
    if frame is None or frame.empty:
        return "Not available: the sample has too few months with every regressor defined."
    shown = frame.assign(start=pd.to_datetime(frame["start"]), end=pd.to_datetime(frame["end"]))
    for column in PERCENT_COEFFICIENTS:
        if column in shown:
            shown[column] = shown[column] * 100
    return Table(
        shown,
        query=query,
        csv=frame,
        labels={c: regression_label(str(c)) for c in shown.columns},
        glossary={
            "alpha0": "intercept: WML's mean return outside bear markets, % per month (CSV: decimals)",
            "nobs": "months in the regression: WML, market excess, bear and up all present",
            "start": "first holding month of the regression's sample",
        },
    )


def worst_months(wml: pd.Series, returns: pd.DataFrame, state: pd.DataFrame, n: int = N_WORST) -> pd.DataFrame:
    """The ``n`` worst months of unscaled WML over its whole history, with the market state (bear and up as
    flags) and each scaled strategy's return that month (blank outside the strategies' common sample)."""
    worst = wml.dropna().nsmallest(n).rename("wml_unscaled").to_frame()
    context = state.reindex(worst.index)[[c for c in ("bear", "up", "market_excess") if c in state]]
    for flag in ("bear", "up"):
        if flag in context:
            context[flag] = context[flag].map(lambda v: None if pd.isna(v) else bool(v > 0.5)).astype(object)
    return worst.join(context).join(returns.reindex(worst.index)).rename_axis("period_end")


def _percent(frame: pd.DataFrame) -> pd.DataFrame:
    """Return columns in percent, as D&M print them; flags and text unchanged."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = (out[column] * 100).round(2)
    return out


def strategy_label(column: str) -> str:
    """A Sharpe-table or worst-months column's header with its unit."""
    if column.startswith("worst_") and column.endswith("_date"):
        return f"{column} (month)"
    if column.startswith("worst_"):
        return f"{column} (% / month)"
    return {
        "mean_ann": "mean_ann (% / year)",
        "vol_ann": "vol_ann (% / year)",
        "sharpe": "sharpe (annualized)",
        "skew": "skew (monthly returns)",
        "max_drawdown": "max_drawdown (%)",
        "nobs": "nobs (months)",
        "period_end": "holding month",
        "wml_unscaled": "wml_unscaled (% / month)",
        "bear": "bear (I_B,t-1)",
        "up": "up (I_U,t)",
        "market_excess": "market_excess (% / month)",
    }.get(column, column)


def summary_display(summary: pd.DataFrame, query: str | None) -> Table:
    """The Sharpe table with returns in percent (as D&M Table 7 prints them), its CSV in decimals."""
    shown = summary.copy()
    for column in shown.columns:
        if column in ("mean_ann", "vol_ann", "max_drawdown") or (
            column.startswith("worst_") and not column.endswith("_date")
        ):
            shown[column] = shown[column].astype(float) * 100
    labels = {c: strategy_label(str(c)) for c in shown.reset_index().columns}
    return Table(
        shown,
        query=query,
        csv=summary,
        labels=labels,
        glossary={
            "strategy": "static WML and the scaled strategies (see Strategies below)",
            "mean_ann": "mean monthly return x 12, in percent",
            "sharpe": "mean / std x sqrt(12); unchanged by the ex-post scaling",
            "worst_1": "the strategy's worst month in the common sample, % (worst_1_date: which month)",
        },
    )


def strategy_sample_text(wml: pd.Series | None, returns: pd.DataFrame) -> str:
    """Where the strategies' common sample starts and ends, why, and which large WML months it leaves out."""
    common = returns.dropna(how="any")
    if common.empty:
        return "No month has a return for every strategy yet."
    first, last = common.index.min(), common.index.max()
    text = (
        f"The strategies are compared on the months every one of them has a return: {first:%Y-%m} to "
        f"{last:%Y-%m} ({len(common)} months). They start after the warm-up: the constant-volatility strategies "
        "need 126 trading days of WML, the dynamic ones the GJR-GARCH's first fit and 36 months of (forecast, "
        "realized) variance pairs before the blend, and the out-of-sample strategy 36 months of expanding "
        "regressions (MOMENTUM_CRASH_BLEND_MIN_PAIRS, MOMENTUM_CRASH_OOS_MIN_MONTHS)."
    )
    if wml is not None:
        before = wml.loc[wml.index < first].dropna()
        if len(before):
            worst = before.idxmin()
            text += (
                f" WML months before {first:%Y-%m} are outside that sample, among them WML's worst month before it, "
                f"{worst:%Y-%m} ({before.min():.1%}): it is in the worst-months table below (strategy cells blank), "
                "not in the Sharpe ratios."
            )
    return text


def crash_sections(
    *,
    intro: str,
    crash: pd.DataFrame | None,
    forecast: pd.DataFrame | None,
    summary: pd.DataFrame | None,
    returns: pd.DataFrame,
    weights: pd.DataFrame,
    state: pd.DataFrame,
    wml: pd.Series | None,
    legs: pd.DataFrame,
    extra_plots: list[tuple[str, Chart]] = (),
    notes: list[str] = (),
    queries: dict[str, str] | None = None,
) -> list[tuple[str, Table | Chart | str]]:
    """Sections of a crash page: regressions, Sharpe table, worst months, weights and cumulative charts.

    ``queries`` names the DuckDB query behind each stored table (keys ``crash``, ``forecast``, ``summary``,
    ``wml``, ``returns``).
    """
    queries = queries or {}
    bear = state["bear"] if "bear" in state else None
    sections: list = [("About this page", intro)]
    if notes:
        sections.append(("Notes and missing pieces", "\n\n".join(notes)))
    sections += [
        ("Table 3: WML market timing (crash regressions)", _regression_display(crash, queries.get("crash"))),
        (
            "Table 5: forecasting WML returns with the market state",
            _regression_display(forecast, queries.get("forecast")),
        ),
        ("How to read the regressions", CRASH_TABLE_NOTE),
    ]
    if len(returns):
        sections.append(("Sample of the strategies", strategy_sample_text(wml, returns)))
    if summary is not None and len(summary):
        sections.append(
            (
                "Sharpe ratios side by side (annualized, same sample, ex-post scaled)",
                summary_display(summary, queries.get("summary")),
            )
        )
        sections.append(("Strategies", STRATEGY_NOTE))
    else:
        sections.append(("Sharpe ratios side by side", "Not available: no strategy is defined on this sample."))
    if wml is not None and wml.notna().any():
        worst = worst_months(wml, returns, state)
        sections.append(
            (
                f"Worst {N_WORST} months of WML (unscaled, % per month), with the state and every strategy",
                Table(
                    _percent(worst),
                    csv=worst,
                    labels={c: strategy_label(str(c)) for c in worst.reset_index().columns},
                    derived_from=" ;\n".join(q for q in (queries.get("wml"), queries.get("returns")) if q) or None,
                    glossary={
                        "period_end": "holding month",
                        "wml_unscaled": "winners minus losers, % per month",
                        "bear": "yes: the 24-month market return to t-1 was negative (I_B,t-1)",
                        "up": "yes: the market's excess return in month t was positive (I_U,t)",
                        "market_excess": "market return minus the risk-free rate, % per month",
                    },
                ),
            )
        )
    if len(returns):
        sections.append(
            (
                "Cumulative returns of the strategies (bear markets shaded)",
                cumulative_with_bear(returns, bear=bear, title="Strategies"),
            )
        )
        sections.append(("Weights on WML over time", weights_chart(weights, bear=bear)))
    if len(legs):
        sections.append(
            (
                "Cumulative returns of winners, losers, WML and the market (unscaled)",
                cumulative_with_bear(legs, bear=bear, title="Winners, losers, WML and market"),
            )
        )
    sections += list(extra_plots)
    return sections
