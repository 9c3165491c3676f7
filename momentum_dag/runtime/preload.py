"""Imported by the multiprocess executor's forkserver before it forks a process per step: the project's
modules and its definitions for this environment, built once (a step's process starts with them)."""

from momentum_dag.runtime.definitions import environment_definitions

environment_definitions()
