"""The storage layer: the DuckDB warehouse file and everything that reads or writes it.

- :mod:`.lake`: the DuckLake backend (catalog in SQLite or PostgreSQL, data in a folder or on S3; many
  writers, a conflicting transaction run again) and its compaction.
- :mod:`.connection`: opening the file with a lock retry budget; errors naming the holder and what to do.
- :mod:`.stamp`: the schema version stamp, and the columns the layers above declare for their tables.
- :mod:`.windows`: window writes (frames, Parquet files, a SELECT), each one transaction.
- :mod:`.resource`: :class:`Warehouse`, the Dagster resource (checked connections, run tagging).
- :mod:`.process`: the tag naming the process that runs a run.
- :mod:`.reads`: notebook reads (:func:`read_sql`, :func:`snapshot`).
- :mod:`.sql_models`: the SQL model runner (``dbt_like_sql``).

It imports nothing of the layers above it (sources, assets, the runtime): what it needs from them (the raw
contract's columns) they declare to it.
"""

from momentum_dag.storage.connection import (
    DRILL_VARIABLE,
    WarehouseFileError,
    WarehouseLockedError,
    WarehouseVersionError,
    connect,
    drill_point,
)
from momentum_dag.storage.reads import read_sql, snapshot, snapshot_warehouse
from momentum_dag.storage.resource import Warehouse, warehouse_resource
from momentum_dag.storage.stamp import SCHEMA_VERSION, SCHEMAS, declare_columns, verify_warehouse
from momentum_dag.storage.windows import (
    WriteResult,
    ensure_schemas,
    replace_rows,
    replace_tables,
    table_exists,
    write_window,
    write_window_sql,
    write_windows,
)

__all__ = [
    "DRILL_VARIABLE",
    "SCHEMAS",
    "SCHEMA_VERSION",
    "Warehouse",
    "warehouse_resource",
    "WarehouseFileError",
    "WarehouseLockedError",
    "WarehouseVersionError",
    "WriteResult",
    "connect",
    "declare_columns",
    "drill_point",
    "ensure_schemas",
    "read_sql",
    "replace_rows",
    "replace_tables",
    "snapshot",
    "snapshot_warehouse",
    "table_exists",
    "verify_warehouse",
    "write_window",
    "write_window_sql",
    "write_windows",
]
