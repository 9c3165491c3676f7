"""``reports/compact_warehouse``: the warehouse's maintenance, the last asset of the monthly job (and of the
weekly job: it comes after the reports' index, which reads the weekly factor's evaluation).

On a DuckLake every window write adds Parquet files and a snapshot, and a re-run month deletes its window's
rows; this runs DuckLake's own maintenance functions (:func:`momentum_dag.storage.lake.compact`): rewrite
the files most of whose rows were deleted (``ducklake_rewrite_data_files``), merge the small files
(``ducklake_merge_adjacent_files``), expire snapshots older than ``MOMENTUM_DUCKLAKE_KEEP_HOURS``
(``ducklake_expire_snapshots``), delete the files no remaining snapshot references once they have been
scheduled for deletion that long (``ducklake_cleanup_old_files``: a reader's transaction may still scan
them meanwhile) and the orphaned files that old (``ducklake_delete_orphaned_files``: written by a
transaction that never committed). On a DuckDB file it is a CHECKPOINT. It reads and changes no row.
"""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from momentum_dag.names import REPORT_INDEX_KEY, group_of
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse

COMPACT_KEY = AssetKey(["reports", "compact_warehouse"])


@asset(key=COMPACT_KEY, deps=[REPORT_INDEX_KEY], group_name=group_of(COMPACT_KEY), kinds={"duckdb"})
def compact_warehouse(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings) -> MaterializeResult:
    """Compact the warehouse after the month's writes: DuckLake's merge, expire and cleanup functions (a
    CHECKPOINT of a DuckDB file)."""
    done = warehouse.compact(older_than_hours=settings.storage.ducklake_keep_hours)
    context.log.info(f"compacted {warehouse.location}: {done}")
    return MaterializeResult(metadata={name: MetadataValue.int(count) for name, count in done.items()})
