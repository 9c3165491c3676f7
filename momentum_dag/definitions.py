"""The single Dagster ``Definitions`` object: assets, checks, jobs, schedules, resources, executor."""

from dagster import Definitions, in_process_executor

from momentum_dag.assets.barra import barra_exposures, barra_factor_returns
from momentum_dag.assets.crashes import CRASH_ASSETS
from momentum_dag.assets.factor_momentum import FACTOR_MOMENTUM_ASSETS
from momentum_dag.assets.factors import build_factor_assets
from momentum_dag.assets.raw import raw_market_data
from momentum_dag.assets.reports import report_index
from momentum_dag.assets.sql import build_sql_assets
from momentum_dag.jobs import monthly_job, monthly_schedule, weekly_job, weekly_schedule
from momentum_dag.settings import get_settings
from momentum_dag.warehouse import Warehouse


def build_definitions(database: str | None = None) -> Definitions:
    """The project's definitions; ``database`` overrides ``MOMENTUM_DUCKDB_PATH`` (tests use a temp file)."""
    settings = get_settings()
    return Definitions(
        assets=[
            raw_market_data,
            *build_sql_assets(),
            barra_exposures,
            barra_factor_returns,
            *build_factor_assets(),
            *CRASH_ASSETS,
            *FACTOR_MOMENTUM_ASSETS,
            report_index,
        ],
        jobs=[monthly_job, weekly_job],
        schedules=[monthly_schedule, weekly_schedule],
        resources={
            "warehouse": Warehouse(
                database=database or str(settings.duckdb_path), lock_timeout_seconds=settings.lock_timeout_seconds
            )
        },
        executor=in_process_executor,
    )


defs = build_definitions()
