"""How ``momentum-dag`` runs the graph: as the jobs' own runs, launched through the code location.

The CLI loads the code location that ``workspace.yaml`` names (the module ``momentum_dag.runtime.definitions``)
in its own process, with Dagster's workspace machinery, and does what Dagster's processes would:

- it creates each run from the REMOTE job of that location, as Dagster's backfill daemon does
  (``create_backfill_run``): the job's snapshot, the code location's origin, the partition set and the
  partition (or range) tags. A range of partitions is a Dagster job backfill (``PartitionBackfill``
  on the job's partition set) holding that one run;
- it executes the run in this process, as a run worker does (``execute_run``): no daemon, no run
  launcher, no subprocess;
- it closes the backfill with the daemon's own iteration (``execute_job_backfill_iteration``), which
  finds every partition done and sets the backfill's final status.

So the UI shows these runs on their job's page (Jobs -> monthly_job -> Runs), on the timeline and in the
backfill views, and Re-execute finds the same code location and job snapshot (when ``dagster dev`` loads
the same code with the same ``MOMENTUM_*`` environment: the settings' defaults are part of the job).
If ``dagster dev``'s daemon runs meanwhile, it sees the backfill's run already created for every
partition and only waits for it, as for its own backfills.

Dagster publishes none of this (``execute_job`` and ``dg launch`` create runs without the code location's
origin, and backfills are submitted only through GraphQL): the private functions used come from
:mod:`momentum_dag.runtime.dagster_private`, the one module that imports them.

Definitions given explicitly (tests build them with a private warehouse) are served the same way, as an
in-process code location of the same name that loads them from an attribute of this module (a new
attribute for each, as Dagster caches a reconstructed job by its code pointer).
"""

from __future__ import annotations

import itertools
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import yaml
from dagster import AssetKey, DagsterInstance, DagsterRun, Definitions, PartitionKeyRange

from momentum_dag.runtime.dagster_private import (
    PARTITION_NAME_TAG,
    PARTITION_SET_TAG,
    SINGLETON_REPOSITORY_NAME,
    BulkActionStatus,
    CodeLocation,
    GrpcServerCommand,
    GrpcServerRegistry,
    InProcessCodeLocationOrigin,
    InProcessWorkspaceLoadTarget,
    JobSubsetSelector,
    LoadableTargetOrigin,
    PartitionBackfill,
    RemoteJob,
    RemoteRepository,
    WorkspaceProcessContext,
    create_backfill_run,
    execute_job_backfill_iteration,
    execute_run,
    location_origins_from_yaml_paths,
    make_new_backfill_id,
)
from momentum_dag.runtime.jobs import SOURCE_TAG
from momentum_dag.storage.process import process_tags

LOCATION_MODULE = "momentum_dag.runtime.definitions"
"""The module ``workspace.yaml`` loads (``python_module``); Dagster names the code location after it."""
LOCATION_NAME = LOCATION_MODULE
REPOSITORY_NAME = SINGLETON_REPOSITORY_NAME

_given = itertools.count()


def workspace_location_name(path: str) -> str:
    """The code location name Dagster derives from ``workspace.yaml`` (tests compare it with ours)."""
    (origin,) = location_origins_from_yaml_paths([path])
    return origin.location_name


def workspace_module(path: str) -> str:
    with open(path) as handle:
        (entry,) = yaml.safe_load(handle)["load_from"]
    return entry["python_module"]


@dataclass
class Location:
    """The loaded code location, its repository and the workspace that serves them."""

    instance: DagsterInstance
    process: WorkspaceProcessContext
    location: CodeLocation
    repository: RemoteRepository

    @property
    def asset_graph(self):
        return self.repository.asset_graph

    def partition_keys(self, job_name: str) -> list[str]:
        return self.partition_set(job_name).get_partitions_definition().get_partition_keys()

    def partition_set(self, job_name: str):
        (match,) = [p for p in self.repository.get_partition_sets() if p.job_name == job_name]
        return match

    def job(self, job_name: str, keys: Sequence[AssetKey]) -> RemoteJob:
        """The remote job ``job_name`` subset to ``keys`` (what the UI launches for a selection)."""
        selector = JobSubsetSelector(
            location_name=self.location.name,
            repository_name=self.repository.name,
            job_name=job_name,
            op_selection=None,
            asset_selection=list(keys),
        )
        return self.location.get_job(selector)

    def create_run(
        self,
        remote_job: RemoteJob,
        partition_keys: Sequence[str],
        run_config: Mapping,
        title: str,
    ) -> tuple[DagsterRun, PartitionBackfill | None]:
        """The run of ``remote_job`` over ``partition_keys`` (none: unpartitioned), created as the backfill
        daemon creates a backfill's run; a range of partitions is a job backfill holding this one run."""
        keys = list(partition_keys)
        request = self.process.create_request_context()
        # this process, so that a later start tells the run from one a kill left behind (momentum_dag.runtime.runs)
        tags = process_tags()
        if not keys:
            return self._plain_run(remote_job, run_config, tags), None
        partition_set = self.partition_set(remote_job.name)
        # what the partition set's execution params hold for these jobs (no partition-level config or tags)
        tags |= {PARTITION_SET_TAG: partition_set.name, PARTITION_NAME_TAG: keys[0]}
        if len(keys) == 1:
            return self._plain_run(remote_job, run_config, tags), None
        tags.pop(PARTITION_NAME_TAG, None)
        key_range = PartitionKeyRange(keys[0], keys[-1])
        tags |= {
            "dagster/asset_partition_range_start": key_range.start,
            "dagster/asset_partition_range_end": key_range.end,
        }
        backfill = PartitionBackfill(
            backfill_id=make_new_backfill_id(),
            partition_set_origin=partition_set.get_remote_origin(),
            status=BulkActionStatus.REQUESTED,
            partition_names=keys,
            from_failure=False,
            reexecution_steps=None,
            tags=SOURCE_TAG,
            backfill_timestamp=time.time(),
            asset_selection=sorted(remote_job.asset_selection or []),
            title=title,
            description=f"{title}: {len(keys)} partitions {key_range.start}..{key_range.end} in one run",
            run_config=dict(run_config),
        )
        run = create_backfill_run(
            request, self.instance, self.location, remote_job, partition_set, backfill, key_range, tags, run_config
        )
        assert run is not None  # only from-failure backfills skip partitions
        # added after its run exists: a daemon that picks it up finds every partition launched
        self.instance.add_backfill(backfill)
        return run, backfill

    def _plain_run(self, remote_job: RemoteJob, run_config: Mapping, tags: Mapping[str, str]) -> DagsterRun:
        """A run as ``dagster job launch`` creates it (one partition, or none)."""
        plan = self.location.get_execution_plan(
            remote_job, run_config, step_keys_to_execute=None, known_state=None, instance=self.instance
        )
        return self.instance.create_run(
            job_name=remote_job.name,
            run_id=None,
            run_config=run_config,
            resolved_op_selection=None,
            step_keys_to_execute=None,
            op_selection=None,
            status=None,
            root_run_id=None,
            parent_run_id=None,
            tags={**remote_job.tags, **tags, **SOURCE_TAG},
            job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot,
            parent_job_snapshot=remote_job.parent_job_snapshot,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
            asset_selection=frozenset(remote_job.asset_selection or ()),
            asset_check_selection=None,
            asset_graph=self.repository.asset_graph,
        )

    def execute(self, run: DagsterRun, backfill: PartitionBackfill | None):
        """Execute ``run`` in this process as a run worker does, then let the backfill daemon's own
        iteration close its backfill (success, or failure if the run failed)."""
        job = self.location.get_reconstructable_job(self.repository.name, run.job_name)
        try:
            return execute_run(job, run, self.instance)
        finally:
            if backfill is not None:
                execute_job_backfill_iteration(
                    backfill, logging.getLogger("momentum_dag.runtime.launch"), self.process, None, self.instance
                )

    def backfill_status(self, backfill: PartitionBackfill) -> BulkActionStatus:
        return self.instance.get_backfill(backfill.backfill_id).status


@contextmanager
def code_location(instance: DagsterInstance, defs: Definitions | None = None) -> Iterator[Location]:
    """The code location ``workspace.yaml`` names, loaded in this process (``defs``: these definitions
    instead, under the same location name)."""
    attribute = None
    if defs is None:
        target = LoadableTargetOrigin(
            executable_path=sys.executable, module_name=LOCATION_MODULE, working_directory=os.getcwd()
        )
    else:
        attribute = f"given_definitions_{next(_given)}"
        setattr(sys.modules[__name__], attribute, defs)
        target = LoadableTargetOrigin(
            executable_path=sys.executable, module_name=__name__, attribute=attribute, working_directory=os.getcwd()
        )
    origin = InProcessCodeLocationOrigin(target, location_name=LOCATION_NAME)
    registry = None
    if instance.is_ephemeral:  # no instance ref to hand to code servers; an in-process location needs none
        registry = GrpcServerRegistry(
            instance_ref=None,
            server_command=GrpcServerCommand.API_GRPC,
            heartbeat_ttl=30,
            startup_timeout=30,
            wait_for_processes_on_shutdown=False,
        )
    try:
        with WorkspaceProcessContext(
            instance, InProcessWorkspaceLoadTarget(origin), grpc_server_registry=registry
        ) as process:
            location = process.create_request_context().get_code_location(LOCATION_NAME)
            yield Location(instance, process, location, location.get_repository(REPOSITORY_NAME))
    finally:
        if attribute is not None:
            delattr(sys.modules[__name__], attribute)
        if registry is not None:
            registry.__exit__(None, None, None)
