"""Imported by the multiprocess executor's forkserver before it forks a process per step: the project's
modules, its definitions for this environment and their repository and jobs, built once (a step's process
starts with them).

It also makes each step's process stop joblib's worker processes before it exits. A step that fans out with
joblib (``factor/momentum_cross_industry_lasso``) leaves loky's reusable workers idle; when the step's
process ends, multiprocessing joins every child it started before running the other exit handlers, and idle
loky workers only leave after their 300 s timeout: the step's process, and the steps that wait for it,
stood still for five minutes.

And it imports the modules of the Dagster instance's storages (SQLite or PostgreSQL, and alembic and
SQLAlchemy's dialects behind them): each step's process opens the instance first, and these imports were
1.2-1.8 s of every step (profiled on 2 loaded cores; the whole step process took 4-10 s).

Its step processes tag their run with the run's process, the forkserver's parent, not with themselves
(:func:`momentum_dag.storage.process.steps_run_for_parent`): a step's process ends with its step.

And, on a DuckLake, it has DuckDB check the signatures of the extension files once
(:func:`momentum_dag.storage.lake.check_extension_signatures`): each step's process then loads those same
files without hashing them again (0.5-0.9 s of every step, measured on 2 loaded cores).
"""

import importlib
import multiprocessing.util
import os

from momentum_dag.runtime.dagster_private import InstanceRef, import_sql_storage
from momentum_dag.runtime.definitions import environment_definitions
from momentum_dag.settings import Settings
from momentum_dag.storage.lake import check_extension_signatures
from momentum_dag.storage.process import steps_run_for_parent


def stop_joblib_workers() -> None:
    """Shut down loky's reusable executor of this process, if the step started one (waits for its workers)."""
    from joblib.externals.loky import reusable_executor

    executor = reusable_executor._executor
    if executor is not None:
        executor.shutdown(wait=True)


class _StepProcess:
    """Registered to run in every process forked from the forkserver (multiprocessing's after-fork hooks)."""

    def __call__(self) -> None:
        # an exit finalizer with a priority runs before multiprocessing joins the process's children
        multiprocessing.util.Finalize(None, stop_joblib_workers, exitpriority=100)


def import_instance_storage() -> None:
    """Import the classes ``$DAGSTER_HOME/dagster.yaml`` names (storages, launcher, coordinator, compute logs)."""
    if not os.environ.get("DAGSTER_HOME"):
        return
    ref = InstanceRef.from_dir(os.environ["DAGSTER_HOME"])
    import_sql_storage()  # alembic and SQLAlchemy, for any SQL storage
    for field in ref._fields:
        module = getattr(getattr(ref, field), "module_name", None)
        if module:
            importlib.import_module(module)


_STEP_PROCESS = _StepProcess()
multiprocessing.util.register_after_fork(_STEP_PROCESS, lambda hook: hook())

steps_run_for_parent()  # the run's process started this forkserver: its steps tag the run with that process
import_instance_storage()
if Settings.from_env().storage.warehouse == "ducklake":
    check_extension_signatures()
# the repository and its jobs, built here once, are what each step's process looks its job up in
environment_definitions().get_repository_def().get_all_jobs()
