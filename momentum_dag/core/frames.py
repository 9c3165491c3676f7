"""Shape helpers shared by every core module: wide <-> long panels and period calendars."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def period_ends(trade_dates: pd.DatetimeIndex | pd.Series, freq: str) -> pd.DatetimeIndex:
    """Last trading day of each calendar month (``freq="M"``) or Monday-start week (``freq="W"``).

    The period end is the formation date: a value for the period is known at its close.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(trade_dates)).unique().sort_values()
    keys = period_keys(dates, freq)
    last = pd.Series(dates, index=dates).groupby(keys).max()
    return pd.DatetimeIndex(last.to_numpy(), name="date")


def period_keys(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Start of the month or of the Monday-start week containing each date (the partition key)."""
    dates = pd.DatetimeIndex(dates)
    if freq == "M":
        return dates.to_period("M").to_timestamp().to_numpy()
    if freq == "W":
        return (dates.normalize() - pd.to_timedelta(dates.dayofweek, unit="D")).to_numpy()
    raise ValueError(f"freq must be 'M' or 'W', got {freq!r}")


def compound_by_period(daily_returns: pd.DataFrame, freq: str, min_count: int = 1) -> pd.DataFrame:
    """Compound daily simple returns into period returns, indexed by each period's last trading day.

    A period with fewer than ``min_count`` non-missing daily returns for an entity is NaN.
    """
    keys = period_keys(daily_returns.index, freq)
    log_ret = np.log1p(daily_returns)
    grouped = log_ret.groupby(keys)
    out = np.expm1(grouped.sum(min_count=1))
    counts = grouped.count()
    out = out.where(counts >= min_count)
    ends = pd.Series(daily_returns.index, index=daily_returns.index).groupby(keys).max()
    out.index = pd.DatetimeIndex(ends.loc[out.index].to_numpy(), name="date")
    return out


def to_long(wide: pd.DataFrame, window: int = 0, value_name: str = "value") -> pd.DataFrame:
    """Wide (date x entity) panel -> long factor rows ``period_end, entity_id, window, value``; drops NaN."""
    stacked = wide.stack(future_stack=True).dropna()
    out = stacked.rename(value_name).reset_index()
    out.columns = ["period_end", "entity_id", value_name]
    out["period_end"] = pd.to_datetime(out["period_end"])
    out["entity_id"] = out["entity_id"].astype(str)
    out.insert(2, "window", int(window))
    return out


def to_wide(long: pd.DataFrame, value: str = "value", window: int | None = None) -> pd.DataFrame:
    """Long factor rows -> wide (period_end x entity) panel for one window."""
    rows = long if window is None else long[long["window"] == window]
    wide = rows.pivot_table(index="period_end", columns="entity_id", values=value, aggfunc="first")
    wide.index = pd.DatetimeIndex(wide.index, name="date")
    wide.columns.name = None
    return wide


def exact_row_sums(values: np.ndarray) -> np.ndarray:
    """Row sums of a 2-D array, exactly rounded (``math.fsum``) over each row's nonzero entries.

    A plain ``sum(axis=1)`` rounds differently when a row holds more (zero) columns, so a cross-section
    summed inside a long backfill (whose panel holds every stock of the range) would differ in the last
    bit from the same cross-section in a one-month run; an estimator that amplifies such noise (the
    GJR-GARCH optimizer) would then differ visibly. Exact rounding makes the sum a function of the
    nonzero values alone. Rows must be finite (zero-fill missing entries first).
    """
    return np.array([math.fsum(row[row != 0]) for row in np.asarray(values, dtype=np.float64)], dtype=np.float64)
