"""A paper's sample of months as a setting, clipped to the data."""

from __future__ import annotations

import pandas as pd


def sample_window(index: pd.DatetimeIndex, start: str | None, end: str | None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date of ``index`` inside the months ``start``..``end`` ("YYYY-MM", None = open): a
    paper's sample (e.g. Daniel-Moskowitz 2016: 1927-01..2013-03) clipped to the data. Raises ValueError
    naming both ranges when no date of the data falls inside."""
    dates = pd.DatetimeIndex(index).dropna().sort_values()
    if dates.empty:
        raise ValueError("no dates: the data are empty")
    lo = pd.Period(start, "M").to_timestamp(how="start") if start else dates.min()
    hi = pd.Period(end, "M").to_timestamp(how="end").normalize() if end else dates.max()
    inside = dates[(dates >= lo) & (dates <= hi)]
    if inside.empty:
        raise ValueError(
            f"the sample {start or 'start'}..{end or 'end'} holds no month of the data "
            f"({dates.min():%Y-%m}..{dates.max():%Y-%m})"
        )
    return inside.min(), inside.max()


def sample_note(lo: pd.Timestamp, hi: pd.Timestamp, n: int, start: str | None, end: str | None) -> str:
    """One line: the sample used and the setting it comes from."""
    requested = f"{start or 'first month'}..{end or 'last month'}"
    return f"Sample: {lo:%Y-%m}..{hi:%Y-%m} ({n} months), the setting {requested} clipped to the data"
