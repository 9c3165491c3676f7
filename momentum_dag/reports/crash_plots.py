"""PNG charts of the momentum-crash report (Daniel-Moskowitz 2016, Figs. 1, 5-7 style).

Built with ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot state), like ``reports/plots.py``.
Inputs are wide monthly frames indexed by period_end (holding month) with one column per strategy, and
the bear indicator on the same months (``bear`` at row t = I_B,t-1, the ex-ante state of month t).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from momentum_dag.reports.plots import _new_axes, _save

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
