"""Schedules target the period just closed and ship stopped."""

from datetime import UTC, datetime

from dagster import DefaultScheduleStatus, build_schedule_context

from momentum_dag.jobs import build_jobs
from momentum_dag.partitions import Partitions
from momentum_dag.settings import Settings

_, (monthly_schedule, weekly_schedule) = build_jobs(Partitions.starting(Settings.from_env().history_start_date))


def _requested_partition(schedule, when: datetime) -> str:
    context = build_schedule_context(scheduled_execution_time=when)
    requests = list(schedule.evaluate_tick(context).run_requests)
    assert len(requests) == 1
    return requests[0].partition_key


def test_monthly_schedule_on_day_two_requests_the_month_just_closed():
    assert _requested_partition(monthly_schedule, datetime(2026, 12, 2, 6, 0, tzinfo=UTC)) == "2026-11-01"
    assert monthly_schedule.cron_schedule == "0 6 2 * *"


def test_weekly_schedule_requests_the_monday_start_week_just_closed():
    # Tuesday 2026-12-08: the last complete Monday-start week began Monday 2026-11-30.
    assert _requested_partition(weekly_schedule, datetime(2026, 12, 8, 6, 0, tzinfo=UTC)) == "2026-11-30"


def test_schedules_ship_stopped():
    assert monthly_schedule.default_status == DefaultScheduleStatus.STOPPED
    assert weekly_schedule.default_status == DefaultScheduleStatus.STOPPED
