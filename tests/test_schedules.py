"""The monthly schedule targets the month just closed; the weekly sensor follows a successful monthly run
with the weeks whose last day fell in its months; both ship stopped."""

from datetime import UTC, datetime

from dagster import (
    DagsterEvent,
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    SkipReason,
    build_run_status_sensor_context,
    build_schedule_context,
)

from momentum_dag.runtime.definitions import build_definitions

DEFS = build_definitions()
monthly_schedule = DEFS.resolve_schedule_def("monthly_job_schedule")
weekly_sensor = DEFS.resolve_sensor_def("weekly_after_month_sensor")


def _requested_partition(schedule, when: datetime) -> str:
    context = build_schedule_context(scheduled_execution_time=when)
    requests = list(schedule.evaluate_tick(context).run_requests)
    assert len(requests) == 1
    return requests[0].partition_key


def _after(tags: dict):
    run = DagsterRun(job_name="monthly_job", run_id="r1", status=DagsterRunStatus.SUCCESS, tags=tags)
    event = DagsterEvent(DagsterEventType.RUN_SUCCESS.value, "monthly_job")
    with DagsterInstance.ephemeral() as instance:
        context = build_run_status_sensor_context(
            sensor_name="weekly_after_month_sensor", dagster_event=event, dagster_instance=instance, dagster_run=run
        )
        return weekly_sensor(context)


def test_monthly_schedule_on_day_two_requests_the_month_just_closed():
    assert _requested_partition(monthly_schedule, datetime(2026, 12, 2, 6, 0, tzinfo=UTC)) == "2026-11-01"
    assert monthly_schedule.cron_schedule == "0 6 2 * *"


def test_weekly_sensor_requests_the_weeks_whose_last_day_fell_in_the_month():
    request = _after({"dagster/partition": "2019-12-01"})
    assert isinstance(request, RunRequest)
    # Monday 2019-11-25 ends Sunday 2019-12-01 (December's); Monday 2019-12-30 ends 2020-01-05 (January's)
    assert request.tags["dagster/asset_partition_range_start"] == "2019-11-25"
    assert request.tags["dagster/asset_partition_range_end"] == "2019-12-23"
    january = _after({"dagster/partition": "2020-01-01"})
    assert january.tags["dagster/asset_partition_range_start"] == "2019-12-30"
    ranged = _after(
        {"dagster/asset_partition_range_start": "2019-11-01", "dagster/asset_partition_range_end": "2019-12-01"}
    )
    assert ranged.tags["dagster/asset_partition_range_start"] == "2019-10-28"  # ends Sunday 2019-11-03
    assert isinstance(_after({}), SkipReason)  # a run of the unpartitioned reports only


def test_automation_ships_stopped():
    assert monthly_schedule.default_status == DefaultScheduleStatus.STOPPED
    assert weekly_sensor.default_status == DefaultSensorStatus.STOPPED


def test_weekly_sensor_leaves_out_the_clis_runs_which_compute_their_weeks_themselves():
    from momentum_dag.runtime.jobs import SOURCE_TAG

    skipped = _after({"dagster/partition": "2019-12-01", **SOURCE_TAG})
    assert isinstance(skipped, SkipReason) and "momentum-dag" in skipped.skip_message


def test_a_re_execution_of_a_cli_run_takes_its_own_tag_and_gets_its_weeks():
    """The UI's Re-execute copies the parent's tags, the CLI's launched_by among them: the run retags itself
    when it starts, and the weekly sensor follows it up (even had the retag not happened)."""
    from momentum_dag.runtime.jobs import LAUNCHED_BY, SOURCE_TAG, retag_reexecution

    copied = {"dagster/partition": "2019-12-01", **SOURCE_TAG, "dagster/parent_run_id": "abcdef1234567890"}
    request = _after(copied)
    assert isinstance(request, RunRequest) and request.tags["dagster/asset_partition_range_start"] == "2019-11-25"
    with DagsterInstance.ephemeral() as instance:
        reexecution = instance.create_run_for_job(DEFS.resolve_job_def("monthly_job"), tags=copied)
        cli_run = instance.create_run_for_job(DEFS.resolve_job_def("monthly_job"), tags=dict(SOURCE_TAG))
        for run in (reexecution, cli_run):
            retag_reexecution(instance, run)
        assert instance.get_run_by_id(reexecution.run_id).tags[LAUNCHED_BY] == "dagster re-execution of abcdef12"
        assert instance.get_run_by_id(cli_run.run_id).tags[LAUNCHED_BY] == "momentum-dag"  # the CLI's own: kept


def test_the_definitions_settings_retag_a_re_execution_when_its_run_starts():
    """The retag happens when the run's settings resource starts (RunSettings), not only when called."""
    from dagster import asset, materialize

    from momentum_dag.runtime.jobs import LAUNCHED_BY, SOURCE_TAG, RunSettings

    @asset
    def probe(settings: RunSettings) -> None:
        pass

    copied = {**SOURCE_TAG, "dagster/parent_run_id": "abcdef1234567890"}
    with DagsterInstance.ephemeral() as instance:
        assert isinstance(DEFS.resources["settings"], RunSettings)
        result = materialize(
            [probe], resources={"settings": DEFS.resources["settings"]}, instance=instance, tags=copied
        )
        assert instance.get_run_by_id(result.run_id).tags[LAUNCHED_BY] == "dagster re-execution of abcdef12"
