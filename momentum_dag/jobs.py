"""Jobs and schedules: a monthly job (every monthly asset, the SQL views and the reports), a weekly job
(the weekly-partitioned assets). Both schedules ship STOPPED."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    WeeklyPartitionsDefinition,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from momentum_dag.assets.common import WEEKLY_TAG
from momentum_dag.partitions import Partitions

WEEKLY_SELECTION = AssetSelection.tag(*next(iter(WEEKLY_TAG.items())))


def build_jobs(partitions: Partitions) -> tuple[list, list]:
    """The monthly and weekly jobs and their schedules."""
    monthly_job = define_asset_job(
        "monthly_job",
        selection=AssetSelection.all() - WEEKLY_SELECTION,
        partitions_def=partitions.monthly,
        description="Every monthly asset for the month, then the SQL views and the reports.",
    )
    weekly_job = define_asset_job(
        "weekly_job",
        selection=WEEKLY_SELECTION,
        partitions_def=partitions.weekly,
        description="The weekly marts, the weekly PCA-concentration industry factor and its evaluation.",
    )
    # Day 2 of each month, targeting the month just closed (the schedule's partition is the last complete one).
    monthly_schedule = build_schedule_from_partitioned_job(
        monthly_job, day_of_month=2, hour_of_day=6, default_status=DefaultScheduleStatus.STOPPED
    )
    # Tuesday morning, targeting the week (Monday-start) just closed.
    weekly_schedule = build_schedule_from_partitioned_job(
        weekly_job, day_of_week=2, hour_of_day=6, default_status=DefaultScheduleStatus.STOPPED
    )
    return [monthly_job, weekly_job], [monthly_schedule, weekly_schedule]


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
        elif isinstance(node.partitions_def, WeeklyPartitionsDefinition):
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
