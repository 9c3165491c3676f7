"""Input checks shared by every core module: one clear ValueError per kind of bad input, naming the input."""

from __future__ import annotations

import numpy as np
import pandas as pd


def require_datetime_index(obj: pd.Series | pd.DataFrame, name: str) -> None:
    """A sorted, unique DatetimeIndex: every estimator here walks time in index order."""
    if not isinstance(obj.index, pd.DatetimeIndex):
        raise ValueError(f"{name} must be indexed by a DatetimeIndex, got {type(obj.index).__name__}")
    if not obj.index.is_unique:
        raise ValueError(f"{name} has duplicate dates in its index")
    if not obj.index.is_monotonic_increasing:
        raise ValueError(f"{name} index must be sorted in increasing date order")


def require_wide_panel(panel: pd.DataFrame, name: str) -> None:
    """A wide (date x entity) DataFrame on a sorted, unique DatetimeIndex with unique entity columns."""
    if not isinstance(panel, pd.DataFrame):
        raise ValueError(f"{name} must be a wide pandas DataFrame (date x entity), got {type(panel).__name__}")
    require_datetime_index(panel, name)
    if panel.columns.has_duplicates:
        raise ValueError(f"{name} has duplicate entity columns")


def float_panel(panel: pd.DataFrame, name: str) -> pd.DataFrame:
    """``panel`` checked as a wide panel and returned as float, in one block: a panel assembled column by
    column has one block per stock, and every later ``where``/``reindex`` then runs once per block (most of
    the factor-momentum portfolios' time on 5,000 stocks)."""
    require_wide_panel(panel, name)
    return pd.DataFrame(panel.to_numpy(dtype=float), index=panel.index, columns=panel.columns)


def require_consecutive_months(obj: pd.Series | pd.DataFrame, name: str) -> None:
    """One row per calendar month and no missing month, so a one-row shift is a one-month lag."""
    require_datetime_index(obj, name)
    months = obj.index.to_period("M")
    if not months.is_unique:
        raise ValueError(f"{name} has more than one row in a calendar month")
    if len(months) > 1:
        steps = np.diff(months.asi8)
        if (steps != 1).any():
            gap = obj.index[1:][steps != 1][0]
            raise ValueError(f"{name} skips a calendar month before {gap.date()}: rows must be consecutive months")


def require_series(obj: object, name: str) -> pd.Series:
    """A float Series on a DatetimeIndex (bools become 0/1 floats)."""
    if not isinstance(obj, pd.Series):
        raise ValueError(f"{name} must be a pandas Series, got {type(obj).__name__}")
    require_datetime_index(obj, name)
    try:
        return obj.astype("float64")
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers, got dtype {obj.dtype}") from None


def require_simple_returns(values: pd.Series | pd.DataFrame, name: str) -> None:
    """Simple returns cannot fall below -100% and must be finite where present."""
    arr = np.asarray(values, dtype="float64")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values")
    if (arr[~np.isnan(arr)] < -1.0).any():
        raise ValueError(f"{name} contains returns below -100% (-1): are they percent instead of decimals?")


def align_columns(name_to_series: dict[str, pd.Series]) -> pd.DataFrame:
    """Inner-join monthly series on their index and drop rows with any NaN; fail if nothing overlaps."""
    frame = pd.concat(name_to_series, axis=1, join="inner").dropna()
    if frame.empty:
        names = ", ".join(name_to_series)
        raise ValueError(f"{names} share no period_end with all values present: check their index alignment")
    return frame
