"""Monthly and weekly partition definitions (DESIGN section 5).

Monthly key ``YYYY-MM-01`` is that calendar month; a value for it is known at the close of the month's
last trading day. Weekly partitions start on Monday; the value is as of the week's last trading day.
The last partition is the last complete period (``end_offset=0``).
"""

from __future__ import annotations

from dagster import MonthlyPartitionsDefinition, WeeklyPartitionsDefinition

from momentum_dag.settings import get_settings

_START = get_settings().history_start

monthly_partitions = MonthlyPartitionsDefinition(start_date=_START.isoformat(), end_offset=0)
weekly_partitions = WeeklyPartitionsDefinition(start_date=_START.isoformat(), day_offset=1, end_offset=0)
