"""The single Dagster ``Definitions``: assets, checks, jobs, schedules, the interrupted-runs sensor, resources,
executor.

``defs`` is loaded lazily (``@dagster.definitions``): the settings are read from the environment when
Dagster loads the code location, never at import.
"""

import dagster as dg

from momentum_dag.assets.barra import build_barra_assets
from momentum_dag.assets.crashes import build_crash_assets
from momentum_dag.assets.factor_momentum import build_factor_momentum_assets
from momentum_dag.assets.factors import build_factor_assets
from momentum_dag.assets.index import report_index
from momentum_dag.assets.raw import build_raw_assets
from momentum_dag.assets.sql import build_sql_assets
from momentum_dag.partitions import Partitions
from momentum_dag.runtime.bookkeeping import fast_sqlite_commits
from momentum_dag.runtime.jobs import build_jobs
from momentum_dag.runtime.progress import progress_logger
from momentum_dag.runtime.runs import interrupted_runs_sensor
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse


def build_definitions(database: str | None = None, settings: Settings | None = None) -> dg.Definitions:
    """The project's definitions from ``settings`` (default: the environment's); ``database`` overrides the
    warehouse file (tests use a temp file)."""
    settings = settings or Settings.from_env()
    if settings.dagster_fast_commits:
        fast_sqlite_commits()
    partitions = Partitions.starting(settings.history_start_date)
    jobs, schedules, sensors = build_jobs(partitions)
    return dg.Definitions(
        assets=[
            *build_raw_assets(partitions),
            *build_sql_assets(partitions),
            *build_barra_assets(partitions),
            *build_factor_assets(partitions),
            *build_crash_assets(partitions),
            *build_factor_momentum_assets(partitions),
            report_index,
        ],
        jobs=jobs,
        schedules=schedules,
        sensors=[*sensors, interrupted_runs_sensor],
        resources={
            "warehouse": Warehouse(
                database=database or settings.duckdb_path,
                lock_timeout_seconds=settings.lock_timeout_seconds,
                memory_limit=settings.duckdb_memory_limit,
            ),
            "settings": settings,
        },
        executor=dg.in_process_executor,
        loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
