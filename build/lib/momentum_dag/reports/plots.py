"""PNG charts of a factor evaluation's per-period table.

Every function takes ``FactorEvaluation.per_period`` (column ``period_end`` plus ``rank_ic``, ``q1..qn``,
``q1_cw..qn_cw``, ``long_short_ew``/``long_short_cw``, ``top_turnover``), writes one PNG to ``path`` and
returns ``path``. Figures are built with ``matplotlib.figure.Figure`` and rendered by the Agg canvas, never
through pyplot, so no global state or GUI backend is touched (safe inside Dagster runs and threads).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from momentum_dag.core.evaluation.performance import cumulative_returns

FIGSIZE = (8.0, 3.6)
DPI = 100
WEIGHTING_LABEL = {"ew": "equal-weighted", "cw": "cap-weighted"}
_QUANTILE_COLUMN = re.compile(r"^q(\d+)(_cw)?$")


def quantile_columns(per_period: pd.DataFrame, weighting: str = "ew") -> list[str]:
    """Quantile-return columns of one weighting ('ew' -> q1..qn, 'cw' -> q1_cw..qn_cw), bottom to top."""
    found = []
    for col in per_period.columns:
        match = _QUANTILE_COLUMN.match(str(col))
        if match and bool(match.group(2)) == (weighting == "cw"):
            found.append((int(match.group(1)), col))
    return [col for _, col in sorted(found)]


def _dates(per_period: pd.DataFrame) -> pd.DatetimeIndex:
    if "period_end" not in per_period.columns:
        raise ValueError("per_period must have a 'period_end' column (FactorEvaluation.per_period)")
    return pd.DatetimeIndex(per_period["period_end"])


def _require(per_period: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in per_period.columns]
    if missing:
        raise ValueError(f"per_period is missing columns {missing}")


def _new_axes(title: str):
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=11)
    ax.grid(True, alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig, ax


def _save(fig: Figure, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path


def _bar_width(dates: pd.DatetimeIndex) -> float:
    """Bar width in days: 80% of the median spacing between periods (monthly ~24 days, weekly ~5.6)."""
    if len(dates) < 2:
        return 20.0
    return 0.8 * float(np.median(np.diff(dates.to_numpy()).astype("timedelta64[s]").astype(float))) / 86400


def plot_cumulative_long_short(per_period: pd.DataFrame, path: Path) -> Path:
    """Compounded cumulative long-short (top - bottom) return, one line per weighting present."""
    dates = _dates(per_period)
    present = [s for s in ("ew", "cw") if f"long_short_{s}" in per_period.columns]
    if not present:
        raise ValueError("per_period has no long_short_ew / long_short_cw column")
    fig, ax = _new_axes("Cumulative long-short return (top - bottom quantile, compounded)")
    for suffix in present:
        curve = cumulative_returns(per_period[f"long_short_{suffix}"].reset_index(drop=True))
        ax.plot(dates, curve.to_numpy(), label=WEIGHTING_LABEL[suffix], linewidth=1.6)
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False, fontsize=9)
    fig.autofmt_xdate()
    return _save(fig, path)


def plot_cumulative_quantiles(per_period: pd.DataFrame, path: Path, *, weighting: str = "ew") -> Path:
    """Compounded cumulative return of each quantile portfolio (q1 = lowest factor, darkest = highest)."""
    dates = _dates(per_period)
    columns = quantile_columns(per_period, weighting)
    if not columns:
        raise ValueError(f"per_period has no quantile columns for weighting {weighting!r}")
    fig, ax = _new_axes(f"Cumulative return by quantile ({WEIGHTING_LABEL[weighting]})")
    colors = _quantile_colors(len(columns))
    for col, color in zip(columns, colors, strict=True):
        curve = cumulative_returns(per_period[col].reset_index(drop=True))
        ax.plot(dates, curve.to_numpy(), color=color, label=col.split("_")[0], linewidth=1.2)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False, fontsize=8, ncol=min(len(columns), 5))
    fig.autofmt_xdate()
    return _save(fig, path)


def plot_rank_ic(per_period: pd.DataFrame, path: Path, *, rolling_window: int = 12) -> Path:
    """Rank IC per period as bars with its ``rolling_window``-period rolling mean (full windows only)."""
    dates = _dates(per_period)
    _require(per_period, ["rank_ic"])
    rank_ic = per_period["rank_ic"].reset_index(drop=True).astype(float)
    rolling = rank_ic.rolling(rolling_window, min_periods=rolling_window).mean()
    fig, ax = _new_axes(f"Rank IC per period and {rolling_window}-period rolling mean")
    colors = np.where(rank_ic.fillna(0).to_numpy() >= 0, "#3a7dc9", "#d9534f")
    ax.bar(dates, rank_ic.fillna(0).to_numpy(), width=_bar_width(dates), color=colors, alpha=0.6)
    ax.plot(dates, rolling.to_numpy(), color="black", linewidth=1.6, label=f"{rolling_window}-period mean")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.legend(frameon=False, fontsize=9)
    fig.autofmt_xdate()
    return _save(fig, path)


def plot_quantile_mean_returns(per_period: pd.DataFrame, path: Path) -> Path:
    """Mean per-period return of each quantile, equal- and (if present) cap-weighted side by side."""
    weightings = [w for w in ("ew", "cw") if quantile_columns(per_period, w)]
    if not weightings:
        raise ValueError("per_period has no quantile-return columns q1..qn")
    fig, ax = _new_axes("Mean return per period by quantile")
    n = len(quantile_columns(per_period, "ew") or quantile_columns(per_period, "cw"))
    positions = np.arange(1, n + 1)
    width = 0.8 / len(weightings)
    for i, weighting in enumerate(weightings):
        means = per_period[quantile_columns(per_period, weighting)].astype(float).mean().to_numpy()
        offset = (i - (len(weightings) - 1) / 2) * width
        ax.bar(positions + offset, means, width=width, label=WEIGHTING_LABEL[weighting])
    ax.set_xticks(positions, [f"q{q}" for q in positions])
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(frameon=False, fontsize=9)
    return _save(fig, path)


def plot_top_turnover(per_period: pd.DataFrame, path: Path) -> Path:
    """Top-quantile turnover per period (share of names new to the top quantile)."""
    dates = _dates(per_period)
    _require(per_period, ["top_turnover"])
    fig, ax = _new_axes("Top-quantile turnover")
    ax.plot(dates, per_period["top_turnover"].astype(float).to_numpy(), color="#555555", linewidth=1.2)
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    fig.autofmt_xdate()
    return _save(fig, path)


def write_factor_plots(per_period: pd.DataFrame, out_dir: Path) -> dict[str, Path]:
    """All charts of a factor page written into ``out_dir``; keys name the chart, values are PNG paths."""
    out_dir = Path(out_dir)
    return {
        "cumulative_long_short": plot_cumulative_long_short(per_period, out_dir / "cumulative_long_short.png"),
        "cumulative_quantiles": plot_cumulative_quantiles(per_period, out_dir / "cumulative_quantiles.png"),
        "rank_ic": plot_rank_ic(per_period, out_dir / "rank_ic.png"),
        "quantile_mean_returns": plot_quantile_mean_returns(per_period, out_dir / "quantile_mean_returns.png"),
        "top_turnover": plot_top_turnover(per_period, out_dir / "top_turnover.png"),
    }


def _quantile_colors(n: int) -> list:
    cmap = colormaps["viridis_r"]
    return [cmap(0.15 + 0.8 * i / max(n - 1, 1)) for i in range(n)]
