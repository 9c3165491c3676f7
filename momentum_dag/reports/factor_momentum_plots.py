"""PNG charts of the factor-momentum report (Ehsani & Linnainmaa 2022, Figure 1 style cumulative returns).

Built with ``matplotlib.figure.Figure`` on the Agg canvas (no pyplot state), like ``reports/plots.py``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def plot_cumulative(returns: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Compounded wealth from 1 of each column of ``returns`` (monthly, indexed by holding month).

    Each series starts at its first non-missing month; later missing months count as 0 return.
    """
    if not isinstance(returns, pd.DataFrame) or not isinstance(returns.index, pd.DatetimeIndex):
        raise ValueError("returns must be a DataFrame indexed by period_end dates")
    frame = returns.dropna(how="all")
    if frame.empty:
        raise ValueError(f"{title}: no returns to plot")
    fig = Figure(figsize=(8.0, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_title(title, fontsize=11)
    ax.grid(True, alpha=0.3)
    for column in frame.columns:
        series = frame[column]
        started = series.loc[series.first_valid_index() :] if series.notna().any() else series.iloc[:0]
        if started.empty:
            continue
        wealth = (1.0 + started.fillna(0.0)).cumprod()
        ax.plot(wealth.index, wealth.to_numpy(), label=str(column), lw=1.2)
    ax.axhline(1.0, color="grey", lw=0.6)
    ax.set_ylabel("wealth from 1")
    ax.legend(fontsize=8, loc="upper left")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
