"""Every name this project takes from Dagster's private modules (``dagster._*``), and why: the one place.

The public routes do not keep what the UI shows for the CLI's runs. ``execute_job``/``materialize`` and
``dg launch`` execute a reconstructable job in process, but the run they create has no remote origin: it is
not tied to the code location, so the UI cannot re-execute it, and a range of partitions is one plain run,
never a backfill. Dagster publishes backfill submission only through its GraphQL API, which needs the web
server running. So ``momentum_dag.runtime.launch`` does what Dagster's own processes do, with their
functions: it loads the code location as ``dagster dev`` does, creates each run from the REMOTE job as
the backfill daemon does (a range: a job backfill holding that one run) and executes it as a run worker
does. ``momentum_dag.runtime.runs`` marks a killed run failed with the reason Dagster's run monitoring
gives (unexpected termination). Everything else (instances, runs, tags, partitions, sensors, assets) goes
through ``dagster``'s public names.

These names are not covered by Dagster's deprecation policy: any release may move or change them.
:data:`PINNED_DAGSTER` is the version they were checked against (pyproject pins the same), importing this
module with another one warns, and ``tests/test_dagster_private.py`` names every import or signature that
changed: run it first after an upgrade, mend the uses here (and in launch.py/runs.py), then move the pin.
"""

from __future__ import annotations

import importlib
import warnings

import dagster

PINNED_DAGSTER = "1.13.27"
"""The Dagster version whose private modules these names were checked against (``pyproject.toml`` pins it)."""


class DagsterPrivateApiWarning(UserWarning):
    """The installed Dagster is not the version the private names below were checked against."""


def version_mismatch() -> str | None:
    """What to do when the installed Dagster is not :data:`PINNED_DAGSTER`; None when it is."""
    if dagster.__version__ == PINNED_DAGSTER:
        return None
    return (
        f"momentum_dag uses private Dagster modules checked against dagster {PINNED_DAGSTER}, but dagster "
        f"{dagster.__version__} is installed: run `pytest tests/test_dagster_private.py` to see which private "
        "names moved or changed, mend momentum_dag/runtime/dagster_private.py, then move the pin in pyproject.toml"
    )


if (_mismatch := version_mismatch()) is not None:
    warnings.warn(_mismatch, DagsterPrivateApiWarning, stacklevel=2)

# ---- loading the code location in this process, as ``dagster dev`` loads it ---------------------------------
from dagster._core.definitions.repository_definition import SINGLETON_REPOSITORY_NAME  # noqa: E402
from dagster._core.definitions.selector import JobSubsetSelector  # noqa: E402

# ---- a killed run marked failed with Dagster's own reason ---------------------------------------------------
# (and the event kinds: which events bookkeeping._store_event_batch writes as one batch)
from dagster._core.events import (  # noqa: E402
    ASSET_CHECK_EVENTS,
    ASSET_EVENTS,
    BATCH_WRITABLE_EVENTS,
    EVENT_TYPE_TO_PIPELINE_RUN_STATUS,
    JobFailureData,
    RunFailureReason,
)

# ---- a run and its backfill created as the backfill daemon creates them, executed as a run worker does ------
# (and create_execution_plan: a job's step dependencies, for benchmarks/critical_path.py's estimate)
from dagster._core.execution.api import create_execution_plan, execute_run  # noqa: E402
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill  # noqa: E402
from dagster._core.execution.job_backfill import create_backfill_run, execute_job_backfill_iteration  # noqa: E402

# (Dagster's switch for batched event writes: bookkeeping.batch_event_writes sets it; SOURCE_MENTIONS)
from dagster._core.instance.methods.event_methods import EventMethods  # noqa: E402

# ---- the instance's storage modules, imported by the multiprocess forkserver (momentum_dag/runtime/preload.py)
from dagster._core.instance.ref import InstanceRef  # noqa: E402
from dagster._core.remote_origin import InProcessCodeLocationOrigin  # noqa: E402
from dagster._core.remote_representation.code_location import CodeLocation  # noqa: E402
from dagster._core.remote_representation.external import RemoteJob, RemoteRepository  # noqa: E402
from dagster._core.remote_representation.grpc_server_registry import GrpcServerRegistry  # noqa: E402

# (these: the event log's SQLite connections kept open for the process and its batch write,
# momentum_dag/runtime/bookkeeping.py)
from dagster._core.storage.event_log.schema import AssetKeyTable, SqlEventLogStorageTable  # noqa: E402
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (  # noqa: E402
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import create_engine  # noqa: E402
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS  # noqa: E402
from dagster._core.storage.tags import PARTITION_NAME_TAG, PARTITION_SET_TAG  # noqa: E402
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin  # noqa: E402
from dagster._core.utils import make_new_backfill_id  # noqa: E402
from dagster._core.workspace.context import WorkspaceProcessContext  # noqa: E402
from dagster._core.workspace.load import location_origins_from_yaml_paths  # noqa: E402
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget  # noqa: E402
from dagster._grpc.server import GrpcServerCommand  # noqa: E402

SQL_STORAGE_MODULE = "dagster._core.storage.sql"
"""The module behind every SQL storage of an instance (alembic and SQLAlchemy's dialects)."""


def import_sql_storage() -> None:
    """Import :data:`SQL_STORAGE_MODULE` (a second import is free)."""
    importlib.import_module(SQL_STORAGE_MODULE)


POSITIONAL_PARAMETERS = {
    "create_backfill_run": (
        "request_context",
        "instance",
        "code_location",
        "remote_job",
        "remote_partition_set",
        "backfill_job",
        "partition_key_or_range",
        "run_tags",
        "run_config",
    ),
    "execute_job_backfill_iteration": (
        "backfill",
        "logger",
        "workspace_process_context",
        "debug_crash_flags",
        "instance",
    ),
    "execute_run": ("job", "dagster_run", "instance"),
}
"""The leading parameters, in order, of the private functions called here with positional arguments."""

KEYWORD_PARAMETERS = {
    "PartitionBackfill": (
        "backfill_id",
        "partition_set_origin",
        "status",
        "partition_names",
        "from_failure",
        "reexecution_steps",
        "tags",
        "backfill_timestamp",
        "asset_selection",
        "title",
        "description",
        "run_config",
    ),
    "JobSubsetSelector": ("location_name", "repository_name", "job_name", "op_selection", "asset_selection"),
    "JobFailureData": ("error", "failure_reason"),
    "GrpcServerRegistry": (
        "instance_ref",
        "server_command",
        "heartbeat_ttl",
        "startup_timeout",
        "wait_for_processes_on_shutdown",
    ),
}
"""The keyword parameters the private classes are built with here. The contract test names any parameter
an upgrade renamed, removed or moved."""

MEMBERS = {
    "BulkActionStatus": ("REQUESTED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED"),
    "RunFailureReason": ("UNEXPECTED_TERMINATION",),
    # replaced (_connect, store_event_batch, has_table) or called by bookkeeping.reuse_event_log_connections and
    # bookkeeping.batch_event_writes; store_event and _store_asset_event are the per-event path the batch
    # write reproduces (read them again after an upgrade); instances also carry _db_lock and
    # _initialized_dbs (the tests of those functions use them through a real instance)
    "SqliteEventLogStorage": (
        "_connect",
        "_initdb",
        "conn_string_for_shard",
        "run_connection",
        "index_connection",
        "store_event",
        "store_event_batch",
        "_event_to_row",
        "_store_asset_event",
        "_store_asset_event_tags",
        "_has_asset_key_index_cols_on_connection",
        "_get_asset_entry_values",
        "has_table",
        "store_asset_check_event",
    ),
    "EventMethods": ("handle_new_event", "_get_event_batch_size"),
}
"""Enum members (and the storage class's methods) used here or by the tests."""

SOURCE_MENTIONS = {
    "EventMethods._get_event_batch_size": ("DAGSTER_EVENT_BATCH_SIZE",),
    "EventMethods.handle_new_event": ("store_event_batch",),
    "SqliteEventLogStorage.store_event": ("_store_asset_event_tags", "_store_asset_event", "store_asset_check_event"),
    "SqliteEventLogStorage._store_asset_check_evaluation_planned": ("index_connection",),
}
"""Words the source of these private methods contains: the switch bookkeeping.batch_event_writes sets and
the per-event path its batch write reproduces (when an upgrade rewrites them, the contract test says so)."""

__all__ = [
    "ASSET_CHECK_EVENTS",
    "ASSET_EVENTS",
    "AssetKeyTable",
    "BATCH_WRITABLE_EVENTS",
    "EVENT_TYPE_TO_PIPELINE_RUN_STATUS",
    "EventMethods",
    "INDEX_SHARD_NAME",
    "SOURCE_MENTIONS",
    "SqlEventLogStorageTable",
    "PARTITION_NAME_TAG",
    "PARTITION_SET_TAG",
    "PINNED_DAGSTER",
    "KEYWORD_PARAMETERS",
    "MEMBERS",
    "create_engine",
    "create_execution_plan",
    "POSITIONAL_PARAMETERS",
    "SINGLETON_REPOSITORY_NAME",
    "BulkActionStatus",
    "CodeLocation",
    "DagsterPrivateApiWarning",
    "GrpcServerCommand",
    "GrpcServerRegistry",
    "InstanceRef",
    "InProcessCodeLocationOrigin",
    "InProcessWorkspaceLoadTarget",
    "JobFailureData",
    "JobSubsetSelector",
    "LoadableTargetOrigin",
    "PartitionBackfill",
    "RemoteJob",
    "RemoteRepository",
    "RunFailureReason",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "SqliteEventLogStorage",
    "WorkspaceProcessContext",
    "create_backfill_run",
    "execute_job_backfill_iteration",
    "execute_run",
    "import_sql_storage",
    "location_origins_from_yaml_paths",
    "make_new_backfill_id",
    "version_mismatch",
]
