"""Monthly and weekly partition definitions, built from the history start setting, and the lookback a
window needs before it.

Monthly key ``YYYY-MM-01`` is that calendar month; a value for it is known at the close of the month's
last trading day. Weekly partitions start on Monday; the value is as of the week's last trading day.
The last partition is the last complete period (``end_offset=0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from dagster import MonthlyPartitionsDefinition, WeeklyPartitionsDefinition

PARTITION = "dagster/partition"
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"


def month_range(tags: dict) -> tuple[str | None, str | None]:
    """The first and last monthly partition a run materialized, from its tags (one partition or a range)."""
    if PARTITION in tags:
        return tags[PARTITION], tags[PARTITION]
    return tags.get(RANGE_START), tags.get(RANGE_END)


@dataclass(frozen=True)
class Partitions:
    """The two partitionings of the graph, from one history start."""

    monthly: MonthlyPartitionsDefinition
    weekly: WeeklyPartitionsDefinition

    @classmethod
    def starting(cls, start: date) -> Partitions:
        return cls(
            monthly=MonthlyPartitionsDefinition(start_date=start.isoformat(), end_offset=0),
            weekly=WeeklyPartitionsDefinition(start_date=start.isoformat(), day_offset=1, end_offset=0),
        )

    def of(self, frequency: str):
        """``"M"`` -> monthly, ``"W"`` -> weekly."""
        return {"M": self.monthly, "W": self.weekly}[frequency]

    def weeks_closing_in(self, first_month: str, last_month: str) -> list[str]:
        """Weekly keys of the weeks whose last day (Sunday) falls in months ``first_month``..``last_month``.

        The raw data arrive by month, so a week is materialized by the run of the month holding its last
        day, never from part of its days: the week of Monday 2019-12-30 belongs to January 2020.
        """
        first = date.fromisoformat(first_month)
        last = date.fromisoformat(last_month)
        after = date(last.year + (last.month == 12), last.month % 12 + 1, 1)
        return [
            key
            for key in self.weekly.get_partition_keys()
            if first <= date.fromisoformat(key) + timedelta(days=6) < after
        ]


@dataclass(frozen=True)
class Lookback:
    """The history a value at t needs before t: ``months`` calendar months, then ``days`` trading days
    before that (e.g. ICIR weights over the last 12 rebalances of a 240-day signal: months=13, days=241)."""

    months: int = 0
    days: int = 0

    def __or__(self, other: Lookback) -> Lookback:
        """The longer of two lookbacks (per component: both are upper bounds)."""
        return Lookback(max(self.months, other.months), max(self.days, other.days))


def chunks(start: date, end: date, months: int) -> list[tuple[date, date]]:
    """[start, end) cut into consecutive windows of ``months`` calendar months (the last one shorter): a
    long backfill computes chunk by chunk, each from its own lookback, so its memory is set by the
    market's width, not by the number of months."""
    bounds = [pd.Timestamp(start)]
    while bounds[-1] < pd.Timestamp(end):
        bounds.append(min(bounds[-1] + pd.DateOffset(months=months), pd.Timestamp(end)))
    return [(a.date(), b.date()) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def week_chunks(start: date, end: date, months: int) -> list[tuple[date, date]]:
    """:func:`chunks` for a window of whole weeks: about ``months`` months of whole weeks each, so no
    week is cut in two."""
    step = timedelta(weeks=max(1, months * 52 // 12))
    bounds = [start]
    while bounds[-1] < end:
        bounds.append(min(bounds[-1] + step, end))
    return list(zip(bounds[:-1], bounds[1:], strict=True))


def chunk_windows(start: date, end: date, months: int | None, *, weekly: bool = False) -> list[tuple[date, date]]:
    """The chunks a windowed computation (an asset, a SQL model) cuts [start, end) into: :func:`chunks` of
    ``months`` months, :func:`week_chunks` when ``weekly`` (a chunk ending mid-week would date that week's
    value on its last day inside the chunk), one pass when ``months`` is None."""
    if months is None:
        return [(start, end)]
    return (week_chunks if weekly else chunks)(start, end, months)
