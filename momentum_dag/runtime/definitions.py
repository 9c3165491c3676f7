"""The single Dagster ``Definitions``: assets, checks, jobs, schedules, the interrupted-runs sensor, resources,
executor.

``defs`` is loaded lazily (``@dagster.definitions``): the settings are read from the environment when
Dagster loads the code location, never at import.
"""

import os

import dagster as dg

from momentum_dag.assets.barra import build_barra_assets
from momentum_dag.assets.crashes import build_crash_assets
from momentum_dag.assets.factor_momentum import build_factor_momentum_assets
from momentum_dag.assets.factors import build_factor_assets
from momentum_dag.assets.index import report_index
from momentum_dag.assets.maintenance import compact_warehouse
from momentum_dag.assets.raw import build_raw_assets
from momentum_dag.assets.sql import build_sql_assets
from momentum_dag.partitions import Partitions
from momentum_dag.runtime.bookkeeping import batch_event_writes, fast_sqlite_commits
from momentum_dag.runtime.jobs import RunSettings, build_jobs
from momentum_dag.runtime.progress import progress_logger
from momentum_dag.runtime.runs import interrupted_runs_sensor
from momentum_dag.settings import Settings
from momentum_dag.storage import warehouse_resource


def build_definitions(database: str | None = None, settings: Settings | None = None) -> dg.Definitions:
    """The project's definitions from ``settings`` (default: the environment's, as :class:`RunSettings`);
    ``database`` overrides the warehouse file (tests use a temp file)."""
    settings = settings or RunSettings.from_env()
    if database:
        settings = settings.with_storage(duckdb_path=str(database))
    if settings.run.dagster_fast_commits:
        fast_sqlite_commits()
        batch_event_writes()  # and the kept event-log connections it needs
    partitions = Partitions.starting(settings.source.history_start_date)
    jobs, schedules, sensors = build_jobs(partitions, weekly_executor=build_executor(settings, time_windows=True))
    assets = [
        *build_raw_assets(partitions),
        *build_sql_assets(partitions),
        *build_barra_assets(partitions),
        *build_factor_assets(partitions),
        *build_crash_assets(partitions),
        *build_factor_momentum_assets(partitions),
        report_index,
        compact_warehouse,
    ]
    return dg.Definitions(
        assets=dg.map_asset_specs(titled, assets),
        jobs=jobs,
        schedules=schedules,
        sensors=[*sensors, interrupted_runs_sensor],
        resources={
            "warehouse": warehouse_resource(),
            "settings": settings,
        },
        executor=build_executor(settings),
        loggers={"console": dg.colored_console_logger, "progress": progress_logger},
    )


def build_executor(settings: Settings, *, time_windows: bool = False) -> dg.ExecutorDefinition:
    """The executor ``MOMENTUM_EXECUTOR`` names, for every job: the CLI's backfills, the UI's runs and
    backfills, the schedule's and the sensor's runs.

    - ``in_process``: every step in the run's process, one after the other (the default);
    - ``multiprocess``: each step in its own process, ``MOMENTUM_EXECUTOR_WORKERS`` (default the cores) at
      once, forked from a forkserver that has imported the project once (so a step does not pay the
      imports of Dagster, pandas and the definitions again);
    - ``dask``: each step a task of the dask.distributed scheduler at ``MOMENTUM_DASK_ADDRESS`` (dagster-dask);
      the workers need the project installed and the same ``MOMENTUM_*`` environment and ``DAGSTER_HOME``.
    Parallel steps need the DuckLake backend (:meth:`Settings.check_scale_out`).

    ``time_windows``: the executor of a job partitioned by Dagster's time windows (``weekly_job``). dagster-dask
    (0.29, with distributed 2026.8) cannot submit a step of such a run: the run it hands to ``client.submit``
    holds its partitions as a ``TimeWindowPartitionsSubset``, dask's task spec iterates every tuple among a
    task's arguments, and Dagster forbids iterating the ``TimeWindowPartitionsDefinition`` inside ("Iteration
    is not allowed on `@record` TimeWindowPartitionsDefinition"). With ``dask`` such a job runs on the
    multiprocess executor on the machine that launches it (four small steps a week).
    """
    if settings.run.executor == "multiprocess" or (settings.run.executor == "dask" and time_windows):
        return dg.multiprocess_executor.configured(
            {
                "max_concurrent": settings.executor_processes,
                "start_method": {"forkserver": {"preload_modules": ["momentum_dag.runtime.preload"]}},
            },
            name="multiprocess",
        )
    if settings.run.executor == "dask":
        from dagster_dask import dask_executor

        return dask_executor.configured({"cluster": {"existing": {"address": settings.run.dask_address}}}, name="dask")
    return dg.in_process_executor


_BUILT: dict[tuple, dg.Definitions] = {}


def environment_definitions() -> dg.Definitions:
    """:func:`build_definitions` for this process's ``MOMENTUM_*`` environment, built once per process and
    environment. The multiprocess executor's forkserver builds them once (``momentum_dag.runtime.preload``),
    so each step's process, forked from it, starts with them instead of building them again."""
    key = tuple(sorted((name, value) for name, value in os.environ.items() if name.startswith("MOMENTUM_")))
    if key not in _BUILT:
        _BUILT[key] = build_definitions()
    return _BUILT[key]


def titled(spec: dg.AssetSpec) -> dg.AssetSpec:
    """The description opens with the asset's key and group, so two assets named alike in two groups
    (``factors/dmom``, the factor; ``eval/dmom``, its evaluation) read apart wherever only the name shows."""
    heading = f"**{spec.key.to_user_string()}** (group `{spec.group_name}`)"
    if (spec.description or "").startswith(heading):
        return spec
    return spec.replace_attributes(description=f"{heading}: {spec.description or ''}".rstrip(": "))


@dg.definitions
def defs() -> dg.Definitions:
    return environment_definitions()
