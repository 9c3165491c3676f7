"""Monthly and weekly partition definitions, built from the history start setting.

Monthly key ``YYYY-MM-01`` is that calendar month; a value for it is known at the close of the month's
last trading day. Weekly partitions start on Monday; the value is as of the week's last trading day.
The last partition is the last complete period (``end_offset=0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dagster import MonthlyPartitionsDefinition, WeeklyPartitionsDefinition


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
