"""Jobs and automation: a monthly job (every monthly asset, the SQL views and the reports) with a schedule
on day 2 that materializes the month just closed, and a weekly job (the weekly-partitioned assets and the
reports that read them) that a sensor launches when a monthly run succeeds, for the weeks whose last day
fell in that month: the raw data arrive by month, so a week is computed once all its days are loaded.
Both ship STOPPED."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from dagster import (
    AssetSelection,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    ExecutorDefinition,
    RunRequest,
    RunStatusSensorContext,
    SkipReason,
    build_schedule_from_partitioned_job,
    define_asset_job,
    run_status_sensor,
)

from momentum_dag.assets.common import WEEKLY_TAG
from momentum_dag.partitions import RANGE_END, RANGE_START, Partitions, month_range
from momentum_dag.settings import Settings

((WEEKLY_KEY, WEEKLY_VALUE),) = WEEKLY_TAG.items()
WEEKLY_SELECTION = AssetSelection.tag(WEEKLY_KEY, WEEKLY_VALUE)
LAUNCHED_BY = "momentum_dag/launched_by"
SOURCE_TAG = {LAUNCHED_BY: "momentum-dag"}
"""Tag of every run and backfill the CLI starts (filter the Runs page with it). The CLI computes the weeks of
its months itself (or was told not to), so the weekly sensor leaves its runs out. The CLI never re-executes
a run: a re-execution (the UI's *Re-execute*, which copies the parent's tags) is retagged when it starts
(:func:`retag_reexecution`) and gets its weeks from the sensor."""
PARENT_RUN = "dagster/parent_run_id"


def launched_by_cli(tags) -> bool:
    """The run is the CLI's own (not a re-execution of one, whoever launched it)."""
    return all(tags.get(key) == value for key, value in SOURCE_TAG.items()) and PARENT_RUN not in tags


def retag_reexecution(instance, run) -> None:
    """A re-execution of a CLI run carries the re-execution's tag, not the CLI's (Dagster copies the
    parent's tags): ``momentum_dag/launched_by: dagster re-execution of <parent>``."""
    if run is None or instance is None:
        return
    tags = run.tags
    if PARENT_RUN in tags and tags.get(LAUNCHED_BY) == SOURCE_TAG[LAUNCHED_BY]:
        instance.add_run_tags(run.run_id, {LAUNCHED_BY: f"dagster re-execution of {tags[PARENT_RUN][:8]}"})


class RunSettings(Settings):
    """The settings resource of the project's definitions (:func:`momentum_dag.runtime.definitions
    .build_definitions`): a run's first resource, so a UI re-execution of a CLI run also takes its own
    launched_by tag here (:func:`retag_reexecution`) when it starts."""

    def setup_for_execution(self, context) -> None:
        super().setup_for_execution(context)
        retag_reexecution(context.instance, context.dagster_run)


def build_jobs(partitions: Partitions, *, weekly_executor: ExecutorDefinition | None = None) -> tuple[list, list, list]:
    """The monthly and weekly jobs, the monthly schedule and the weekly sensor (``weekly_executor``: the weekly
    job's executor when it is not the definitions' default, see :func:`build_executor`)."""
    monthly_job = define_asset_job(
        "monthly_job",
        selection=AssetSelection.all() - WEEKLY_SELECTION,
        description="Every monthly asset for the month, then the SQL views and the reports.",
    )
    weekly_job = define_asset_job(
        "weekly_job",
        selection=WEEKLY_SELECTION | (WEEKLY_SELECTION.downstream() & AssetSelection.groups("reports")),
        description=(
            "The weekly marts, the weekly PCA-concentration industry factor, its evaluation and the reports "
            "that read them, for the weeks whose last day fell in the months given."
        ),
        executor_def=weekly_executor,
    )
    # Day 2 of each month, targeting the month just closed (the schedule's partition is the last complete one).
    monthly_schedule = build_schedule_from_partitioned_job(
        monthly_job, day_of_month=2, hour_of_day=6, default_status=DefaultScheduleStatus.STOPPED
    )

    @run_status_sensor(
        name="weekly_after_month_sensor",
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[monthly_job],
        request_job=weekly_job,
        default_status=DefaultSensorStatus.STOPPED,
        description="When a monthly run succeeds, materialize the weeks whose last day fell in its months.",
    )
    def weekly_after_month(context: RunStatusSensorContext):
        tags = context.dagster_run.tags
        if launched_by_cli(tags):
            return SkipReason(f"run {context.dagster_run.run_id} was started by momentum-dag, which runs its weeks")
        first, last = month_range(tags)
        if first is None:
            return SkipReason(f"run {context.dagster_run.run_id} materialized no monthly partition")
        weeks = partitions.weeks_closing_in(first, last)
        if not weeks:
            return SkipReason(f"no week closes in {first[:7]}..{last[:7]}")
        return RunRequest(
            run_key=f"weeks-{weeks[0]}-{weeks[-1]}-after-{context.dagster_run.run_id}",
            tags={RANGE_START: weeks[0], RANGE_END: weeks[-1]},
        )

    return [monthly_job, weekly_job], [monthly_schedule], [weekly_after_month]


@dataclass(frozen=True)
class BackfillStep:
    """One run of a backfill: a job (by name), the asset keys it materializes, and whether it takes a range."""

    name: str
    job_name: str
    keys: list
    partitioned: bool
    weekly: bool


def backfill_steps(
    asset_graph, *, weekly: bool = True, reports: bool = True, only: tuple[str, ...] = ()
) -> list[BackfillStep]:
    """Monthly-partitioned assets (and SQL views), then weekly assets, then unpartitioned reports.

    ``asset_graph``: the definitions' or the code location's (remote) asset graph. The order matters:
    weekly factors read monthly marts, and reports read every evaluation table.
    """
    monthly, weekly_keys, unpartitioned = [], [], []
    for key in sorted(asset_graph.get_all_asset_keys()):
        node = asset_graph.get(key)
        if not node.is_materializable or (only and not _selected(key.to_user_string(), only)):
            continue
        if node.partitions_def is None:
            unpartitioned.append(key)
        elif node.tags.get(WEEKLY_KEY) == WEEKLY_VALUE:
            weekly_keys.append(key)
        else:
            monthly.append(key)
    views = [k for k in unpartitioned if k.path[0] == "staging"]
    report_keys = [k for k in unpartitioned if k not in views]
    steps = []
    if monthly or views:
        steps.append(BackfillStep("monthly assets", "monthly_job", monthly + views, True, False))
    if weekly and weekly_keys:
        steps.append(BackfillStep("weekly assets", "weekly_job", weekly_keys, True, True))
    if reports and report_keys:
        steps.append(BackfillStep("reports", "monthly_job", report_keys, False, False))
    return steps


def _selected(key: str, only: tuple[str, ...]) -> bool:
    """``raw`` selects a layer; ``factors/dmom`` one asset; ``factors/dmom*`` a glob of asset keys."""
    return any(fnmatch(key, pattern if "/" in pattern else f"{pattern}/*") for pattern in only)
