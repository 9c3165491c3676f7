"""Jobs and schedules: a monthly job (every monthly asset, the SQL views and the reports), a weekly job
(the weekly-partitioned industry factor and its evaluation). Both schedules ship STOPPED."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from momentum_dag.partitions import monthly_partitions, weekly_partitions

# Weekly-partitioned assets carry this tag; everything else runs in the monthly job.
WEEKLY_TAG = {"frequency": "weekly"}

weekly_selection = AssetSelection.tag("frequency", "weekly")

monthly_job = define_asset_job(
    "monthly_job",
    selection=AssetSelection.all() - weekly_selection,
    partitions_def=monthly_partitions,
    description="Every monthly asset for the month, then the SQL views and the reports.",
)

weekly_job = define_asset_job(
    "weekly_job",
    selection=weekly_selection,
    partitions_def=weekly_partitions,
    description="The weekly PCA-concentration industry factor and its evaluation for the week.",
)

# Day 2 of each month, targeting the month just closed (the schedule's partition is the last complete one).
monthly_schedule = build_schedule_from_partitioned_job(
    monthly_job, day_of_month=2, hour_of_day=6, default_status=DefaultScheduleStatus.STOPPED
)

# Tuesday morning, targeting the week (Monday-start) just closed.
weekly_schedule = build_schedule_from_partitioned_job(
    weekly_job, day_of_week=2, hour_of_day=6, default_status=DefaultScheduleStatus.STOPPED
)


@dataclass(frozen=True)
class BackfillStep:
    """One run of a backfill: a job, the asset keys it materializes, and whether it takes a range."""

    name: str
    job: object
    keys: list
    partitioned: bool
    weekly: bool


def backfill_steps(
    defs, *, weekly: bool = True, reports: bool = True, only: tuple[str, ...] = ()
) -> list[BackfillStep]:
    """Monthly-partitioned assets (and SQL views), then weekly assets, then unpartitioned reports.

    The order matters: weekly factors read monthly marts, and reports read every evaluation table.
    """
    graph = defs.resolve_asset_graph()
    monthly, weekly_keys, unpartitioned = [], [], []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable or (only and not _selected(key.to_user_string(), only)):
            continue
        if node.partitions_def is None:
            unpartitioned.append(key)
        elif node.partitions_def == weekly_partitions:
            weekly_keys.append(key)
        else:
            monthly.append(key)
    views = [k for k in unpartitioned if k.path[0] == "staging"]
    report_keys = [k for k in unpartitioned if k not in views]
    steps = []
    if monthly or views:
        steps.append(BackfillStep("monthly assets", defs.resolve_job_def("monthly_job"), monthly + views, True, False))
    if weekly and weekly_keys:
        steps.append(BackfillStep("weekly assets", defs.resolve_job_def("weekly_job"), weekly_keys, True, True))
    if reports and report_keys:
        steps.append(BackfillStep("reports", defs.resolve_job_def("monthly_job"), report_keys, False, False))
    return steps


def _selected(key: str, only: tuple[str, ...]) -> bool:
    """``raw`` selects a layer; ``factors/dmom`` one asset; ``models/dmom*`` a glob of asset keys."""
    return any(fnmatch(key, pattern if "/" in pattern else f"{pattern}/*") for pattern in only)
