"""The momentum-crash report pages (Daniel-Moskowitz 2016): PNG charts in the style of Figs. 1, 5-7 and
the page's sections (Table 3 and 5 regressions, Sharpe table, worst months, weights and cumulative curves).

Charts are built with ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot state), like ``reports/plots.py``.
Inputs are wide monthly frames indexed by period_end (holding month) with one column per strategy, and
the bear indicator on the same months (``bear`` at row t = I_B,t-1, the ex-ante state of month t).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from momentum_dag.reports.plots import _new_axes, _save

PAPER = "Daniel, K. and Moskowitz, T. J. (2016), Momentum crashes, JFE 122(2):221-247"
BEAR_COLOR = "#d9d9d9"


def bear_spans(bear: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(first, last) period_end of each run of consecutive months with bear == 1."""
    flag = bear.fillna(0).astype(float).to_numpy() > 0.5
    dates = pd.DatetimeIndex(bear.index)
    spans, begin = [], None
    for i, on in enumerate(flag):
        if on and begin is None:
            begin = i
        if begin is not None and (not on or i == len(flag) - 1):
            last = i if on else i - 1
            spans.append((dates[begin], dates[last]))
            begin = None
    return spans


def _shade_bear(ax, bear: pd.Series | None) -> None:
    if bear is None:
        return
    for k, (first, last) in enumerate(bear_spans(bear)):
        # a month-t bar covers the month ending at period_end t
        ax.axvspan(
            first - pd.offsets.MonthBegin(1),
            last,
            color=BEAR_COLOR,
            alpha=0.7,
            lw=0,
            label="bear market (I_B,t-1 = 1)" if k == 0 else None,
        )


def _check(frame: pd.DataFrame, name: str) -> None:
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.empty:
        raise ValueError(f"{name} must be a non-empty frame indexed by period_end dates")


def plot_cumulative_with_bear(
    returns: pd.DataFrame, path: Path, *, bear: pd.Series | None = None, title: str = "Cumulative return"
) -> Path:
    """Compounded wealth of each column (log scale), bear-market months shaded."""
    _check(returns, "returns")
    fig, ax = _new_axes(title)
    _shade_bear(ax, None if bear is None else bear.reindex(returns.index))
    wealth = (1.0 + returns.fillna(0.0)).cumprod()
    for column in wealth.columns:
        ax.plot(wealth.index, wealth[column], label=str(column), lw=1.2)
    ax.set_yscale("log")
    ax.set_ylabel("wealth from 1 (log scale)")
    ax.legend(fontsize=8, ncol=3, frameon=False)
    return _save(fig, path)


def plot_weights(
    weights: pd.DataFrame, path: Path, *, bear: pd.Series | None = None, title: str = "Weights on WML"
) -> Path:
    """Each strategy's (scaled) weight on WML by holding month; zero line, bear months shaded."""
    _check(weights, "weights")
    fig, ax = _new_axes(title)
    _shade_bear(ax, None if bear is None else bear.reindex(weights.index))
    for column in weights.columns:
        ax.plot(weights.index, weights[column], label=str(column), lw=1.0)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_ylabel("weight on WML")
    ax.legend(fontsize=8, ncol=3, frameon=False)
    return _save(fig, path)


def plot_betas(
    betas: pd.DataFrame, path: Path, *, bear: pd.Series | None = None, title: str = "126-day lagged betas"
) -> Path:
    """Winner, loser and WML sum-of-lags betas over time, bear months shaded."""
    _check(betas, "betas")
    fig, ax = _new_axes(title)
    _shade_bear(ax, None if bear is None else bear.reindex(betas.index, method="nearest"))
    for column in betas.columns:
        ax.plot(betas.index, betas[column], label=str(column), lw=1.0)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.legend(fontsize=8, ncol=3, frameon=False)
    return _save(fig, path)


def plot_variance_forecasts(
    forecasts: pd.DataFrame,
    path: Path,
    *,
    periods_per_year: int = 252,
    title: str = "WML volatility forecasts",
) -> Path:
    """Annualized GARCH, realized and blended volatility forecasts (columns ending in ``_vol``)."""
    _check(forecasts, "forecasts")
    vols = [c for c in ("garch_vol", "rv_vol", "blend_vol") if c in forecasts.columns]
    fig, ax = _new_axes(title)
    for column in vols:
        ax.plot(forecasts.index, forecasts[column] * np.sqrt(periods_per_year), label=column, lw=1.0)
    ax.set_ylabel("annualized volatility")
    ax.legend(fontsize=8, ncol=3, frameon=False)
    return _save(fig, path)


# ---- page sections ----------------------------------------------------------------------------------

N_WORST = 10
CRASH_TABLE_NOTE = (
    "Table 3 (D&M Eq. 3): R_WML,t = (alpha0 + alphaB I_B,t-1) + [beta0 + I_B,t-1 (betaB + I_U,t betaBU)] "
    "R^e_m,t + e_t; models (1)-(4) as in D&M. Table 5 (Eq. 5): R_WML,t = gamma0 + gammaB I_B,t-1 + "
    "gammaSigma2 sigma^2_m,t-1 + gammaInt I_B,t-1 sigma^2_m,t-1 + e_t. OLS with classical t-statistics "
    "(columns *_t). Returns in decimals per month (D&M print % per month); sigma^2_m is a decimal DAILY "
    "variance, so gammaSigma2 and gammaInt are large numbers."
)
STRATEGY_NOTE = (
    "Strategies (D&M Sec. 5): static WML; cvol_dm = 1/sigma_126 (trailing 126-day realized volatility of "
    "WML); cvol_bsc = Barroso and Santa-Clara (2015) 1/sigma with sigma^2 = 21 x mean of 126 squared daily "
    "WML returns; dyn_is = mu/sigma^2 with mu from the FULL-SAMPLE Table 5 column (4) regression (look-ahead "
    "in the coefficients, as in D&M) and sigma^2 from the GARCH/realized blend; dyn_oos = mu from expanding "
    "regressions through t-1 and the 126-day realized variance. Dynamic weights may be negative (no cap). "
    "Every strategy is scaled by ONE full-sample constant to the same annualized volatility: an EX-POST "
    "scalar that leaves Sharpe ratios unchanged but uses the whole sample. For D&M's alternative (p. 233: "
    "the volatility of the baseline WML), multiply by wml_vol_ann / ex_post_target_vol (wml_vol_ann = "
    "unscaled WML volatility on the same months)."
)


def _regression_display(frame: pd.DataFrame | None) -> pd.DataFrame | str:
    if frame is None or frame.empty:
        return "Not available: the sample has too few months with every regressor defined."
    return frame.assign(start=pd.to_datetime(frame["start"]), end=pd.to_datetime(frame["end"]))


def worst_months(wml: pd.Series, returns: pd.DataFrame, state: pd.DataFrame, n: int = N_WORST) -> pd.DataFrame:
    """The ``n`` worst months of unscaled WML over its whole history, with the market state and each
    scaled strategy's return that month (blank outside the strategies' common sample)."""
    worst = wml.dropna().nsmallest(n).rename("wml_unscaled").to_frame()
    context = state.reindex(worst.index)[[c for c in ("bear", "up", "market_excess") if c in state]]
    return worst.join(context).join(returns.reindex(worst.index)).rename_axis("period_end")


def crash_sections(
    *,
    out_dir: Path,
    slug: str,
    intro: str,
    crash: pd.DataFrame | None,
    forecast: pd.DataFrame | None,
    summary: pd.DataFrame | None,
    returns: pd.DataFrame,
    weights: pd.DataFrame,
    state: pd.DataFrame,
    wml: pd.Series | None,
    legs: pd.DataFrame,
    extra_plots: list[tuple[str, Path]] = (),
    notes: list[str] = (),
) -> list[tuple[str, pd.DataFrame | Path | str]]:
    """Sections of a crash page: regressions, Sharpe table, worst months, weights and cumulative plots."""
    folder = out_dir / slug
    bear = state["bear"] if "bear" in state else None
    sections: list = [("About this page", intro)]
    if notes:
        sections.append(("Notes and missing pieces", "\n\n".join(notes)))
    sections += [
        ("Table 3: WML market timing (crash regressions)", _regression_display(crash)),
        ("Table 5: forecasting WML returns with the market state", _regression_display(forecast)),
        ("How to read the regressions", CRASH_TABLE_NOTE),
    ]
    if summary is not None and len(summary):
        sections.append(("Sharpe ratios side by side (annualized, same sample, ex-post scaled)", summary))
        sections.append(("Strategies", STRATEGY_NOTE))
    else:
        sections.append(("Sharpe ratios side by side", "Not available: no strategy is defined on this sample."))
    if wml is not None and wml.notna().any():
        sections.append(
            (
                f"Worst {N_WORST} months of WML (unscaled), with the state and every strategy",
                worst_months(wml, returns, state),
            )
        )
    if len(returns):
        sections.append(
            (
                "Cumulative returns of the strategies (bear markets shaded)",
                plot_cumulative_with_bear(returns, folder / "cumulative_strategies.png", bear=bear),
            )
        )
        sections.append(("Weights on WML over time", plot_weights(weights, folder / "weights.png", bear=bear)))
    if len(legs):
        sections.append(
            (
                "Cumulative returns of winners, losers, WML and the market (unscaled)",
                plot_cumulative_with_bear(
                    legs, folder / "cumulative_legs.png", bear=bear, title="Winners, losers, WML and market"
                ),
            )
        )
    sections += list(extra_plots)
    return sections
