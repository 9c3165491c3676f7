"""Input checks and small vectorized building blocks shared by the industry momentum factor modules.

Every industry factor takes daily wide panels (index = trade dates, columns = industry codes or stock ids)
plus ``period_ends`` (formation dates, each a trade date in the panel) and returns a wide panel indexed by
``period_ends``. The helpers here turn "value at period end t over the last N rows" into numpy blocks so
the factor code stays vectorized across entities and formation dates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from momentum_dag.core.validate import require_wide_panel


def check_aligned(panels: dict[str, pd.DataFrame]) -> None:
    """Raise ValueError unless every panel is valid and all share the first panel's index and columns."""
    items = list(panels.items())
    for name, panel in items:
        require_wide_panel(panel, name)
    first_name, first = items[0]
    for name, panel in items[1:]:
        if not panel.index.equals(first.index):
            raise ValueError(f"{name} index differs from {first_name} index: pass panels on the same dates")
        if not panel.columns.equals(first.columns):
            raise ValueError(f"{name} columns differ from {first_name} columns: pass panels on the same entities")


def check_positive_int(name: str, value: int, minimum: int = 1) -> None:
    """Raise ValueError unless ``value`` is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def check_share(name: str, value: float, low: float = 0.0, high: float = 1.0) -> None:
    """Raise ValueError unless ``low < value <= high``."""
    if not isinstance(value, int | float | np.floating) or not low < float(value) <= high:
        raise ValueError(f"{name} must be a number in ({low}, {high}], got {value!r}")


def period_positions(dates: pd.DatetimeIndex, period_ends: Sequence | pd.DatetimeIndex) -> np.ndarray:
    """Row positions of ``period_ends`` in ``dates``; every period end must be one of the panel's dates."""
    ends = as_period_index(period_ends)
    positions = dates.get_indexer(ends)
    if (positions < 0).any():
        missing = ends[positions < 0][:3].strftime("%Y-%m-%d").tolist()
        raise ValueError(f"period_ends must be dates of the daily panel; not found: {missing}")
    return positions


def as_period_index(period_ends: Sequence | pd.DatetimeIndex) -> pd.DatetimeIndex:
    """``period_ends`` as a sorted unique DatetimeIndex named ``date`` (ValueError otherwise)."""
    ends = pd.DatetimeIndex(pd.to_datetime(period_ends), name="date")
    if not ends.is_unique or not ends.is_monotonic_increasing:
        raise ValueError("period_ends must be sorted ascending without duplicates")
    return ends


def wide(values: np.ndarray, period_ends: pd.DatetimeIndex, columns: pd.Index) -> pd.DataFrame:
    """Factor output: period_end x entity float panel with the index named ``date``."""
    return pd.DataFrame(values, index=as_period_index(period_ends), columns=columns, dtype=float)


def trailing_block(values: np.ndarray, positions: np.ndarray, length: int) -> np.ndarray:
    """Rows ``pos-length+1 .. pos`` for each position: array (n_positions, length, n_columns), float.

    Rows before the start of the sample are NaN, so a window without enough history carries NaN and the
    caller's "all rows valid" rule yields the warm-up NaN.
    """
    padded = np.vstack([np.full((length - 1, values.shape[1]), np.nan), values.astype(float)])
    rows = positions[:, None] + np.arange(length)[None, :]
    block = padded[np.clip(rows, 0, None)]
    block[positions < 0] = np.nan  # a window ending before the first row has no data at all
    return block


def lagged_ratio(close: pd.DataFrame, positions: np.ndarray, window: int) -> np.ndarray:
    """P_t / P_{t-window} - 1 at each position; NaN when t-window precedes the sample."""
    values = close.to_numpy(dtype=float)
    lag = positions - window
    out = np.full((len(positions), values.shape[1]), np.nan)
    ok = lag >= 0
    out[ok] = values[positions[ok]] / values[lag[ok]] - 1.0
    return out


def zscore_cs(values: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Cross-sectional z-score per row, (x - mean) / std with ddof=1, ignoring NaN.

    Rows with fewer than two values are NaN; a row whose values are all equal scores 0 (no entity is
    stronger than another), rather than 0/0.
    """
    x = np.asarray(values, dtype=float)
    count = np.sum(~np.isnan(x), axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nansum(x, axis=1, keepdims=True) / count
        dev = x - mean
        std = np.sqrt(np.nansum(dev**2, axis=1, keepdims=True) / (count - 1))
        z = np.where(std > 0, dev / std, np.where(np.isnan(x), np.nan, 0.0))
    return np.where(count >= 2, z, np.nan)


def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    """Mean of each column over the trailing ``window`` rows (NaN until a full window, or with a NaN in it).

    Computed window by window, not with pandas's running sums: those carry rounding from where the series
    starts, so a value would differ in its last bits between a one-month run and a backfill, and a tie
    between industries (frequent with ranks) would break differently.
    """
    out = np.full(np.shape(x), np.nan)
    if len(x) >= window:
        out[window - 1 :] = sliding_window_view(np.asarray(x, dtype=float), window, axis=0).mean(axis=-1)
    return out


def rolling_std(x: np.ndarray, window: int) -> np.ndarray:
    """Sample std (ddof=1) of each column over the trailing ``window`` rows, window by window (see
    ``rolling_mean``)."""
    out = np.full(np.shape(x), np.nan)
    if len(x) >= window:
        out[window - 1 :] = sliding_window_view(np.asarray(x, dtype=float), window, axis=0).std(axis=-1, ddof=1)
    return out


def rolling_mean_over_std(x: pd.DataFrame, window: int) -> pd.DataFrame:
    """Rolling mean / rolling std (ddof=1) over ``window`` rows, full window required; std 0 -> NaN."""
    values = x.to_numpy(dtype=float)
    std = rolling_std(values, window)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(std > 0, rolling_mean(values, window) / std, np.nan)
    return pd.DataFrame(ratio, index=x.index, columns=x.columns)


def window_stock_returns(
    stock_ret: pd.DataFrame, stock_industry: pd.DataFrame, positions: np.ndarray, window: int
) -> np.ndarray:
    """Compounded stock returns over the ``window`` trading days ending at each position (P x stocks).

    A stock counts only if it is listed (has an industry) on the window's first day and at t; a NaN daily
    return inside the window (suspension) counts as 0, since the price did not move. NaN otherwise.
    """
    start = positions - window + 1
    first_row = max(int(start.min()), 0) if len(start) else 0
    # only the rows some window covers: the lookback's older rows serve longer windows
    log_ret = np.log1p(stock_ret.iloc[first_row:].fillna(0.0).to_numpy(dtype=float))
    out = np.full((len(positions), log_ret.shape[1]), np.nan)
    labels = stock_industry.to_numpy(dtype=object)
    # each window summed on its own (a difference of running sums would depend on where the panel starts);
    # listed is read on the two rows a window needs: the whole label panel's notna was most of this step
    for i, (first, last) in enumerate(zip(start, positions, strict=True)):
        if first >= 0:
            growth = np.expm1(log_ret[first - first_row : last + 1 - first_row].sum(axis=0))
            out[i] = np.where(pd.notna(labels[first]) & pd.notna(labels[last]), growth, np.nan)
    return out


def group_by_industry(
    values: np.ndarray, period_ends: pd.DatetimeIndex, industry_labels: np.ndarray, industries: pd.Index
) -> pd.api.typing.SeriesGroupBy:
    """Long (period_end, industry) grouping of a (P x stocks) array with each stock's industry at t."""
    long = pd.DataFrame(
        {
            "period_end": np.repeat(np.arange(len(period_ends)), values.shape[1]),
            "industry": industry_labels.ravel(),
            "value": values.ravel(),
        }
    )
    long = long[long["industry"].notna() & long["value"].notna()]
    long = long[long["industry"].isin(industries)]
    return long.groupby(["period_end", "industry"])["value"]


def to_industry_panel(series: pd.Series, period_ends: pd.DatetimeIndex, industries: pd.Index) -> pd.DataFrame:
    """(period position, industry)-indexed Series -> period_end x industry wide panel."""
    table = series.unstack("industry").reindex(index=np.arange(len(period_ends)), columns=industries)
    return wide(table.to_numpy(dtype=float), period_ends, industries)
