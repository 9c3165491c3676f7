"""The runtime layer: how the pipeline runs.

- :mod:`.definitions`: the Dagster code location (assets, checks, jobs, schedules, sensors, resources).
- :mod:`.jobs`: the monthly and weekly jobs, schedules and the backfill's steps.
- :mod:`.cli`: the ``momentum-dag`` command; :mod:`.launch` creates its runs on the workspace's location.
- :mod:`.runs`: runs left behind by a killed process, marked failed.
- :mod:`.bookkeeping`: Dagster's SQLite run history without fsync; :mod:`.progress`: the CLI's step lines.
"""
