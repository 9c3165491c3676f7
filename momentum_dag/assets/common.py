"""What every asset shares: the partitioned-asset builder, the window as dates, metadata, input checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import pandas as pd
from dagster import (
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MetadataValue,
    PartitionsDefinition,
    WeeklyPartitionsDefinition,
    multi_asset,
)

from momentum_dag.warehouse import WriteResult

WEEKLY_TAG = {"frequency": "weekly"}
"""Tag of the weekly-partitioned assets (the weekly job selects them)."""


def asset_spec(
    key: AssetKey,
    *,
    description: str,
    group: str,
    deps: Sequence[AssetKey] = (),
    kinds: Sequence[str] = ("duckdb", "pandas"),
    **extra,
) -> AssetSpec:
    """An asset's spec (``partitioned_asset`` adds the partitions)."""
    return AssetSpec(key, deps=list(deps), description=description, group_name=group, kinds=set(kinds), **extra)


def partitioned_asset(
    compute: Callable,
    *,
    name: str,
    specs: Sequence[AssetSpec],
    partitions_def: PartitionsDefinition,
    check_specs: Sequence[AssetCheckSpec] = (),
) -> AssetsDefinition:
    """``compute`` as a partitioned multi-asset with a single-run backfill policy: a range of partitions is
    one run, and ``compute`` reads ``context.partition_time_window`` to do the whole window at once.
    Weekly-partitioned assets get the weekly tag (the weekly job selects them)."""
    tags = WEEKLY_TAG if isinstance(partitions_def, WeeklyPartitionsDefinition) else {}
    specs = [spec.replace_attributes(partitions_def=partitions_def, tags={**spec.tags, **tags}) for spec in specs]
    return multi_asset(
        specs=specs,
        check_specs=list(check_specs),
        name=name,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        can_subset=False,
    )(compute)


def window_dates(context: AssetExecutionContext) -> tuple[date, date]:
    """The run's partition window [start, end) as dates; works for one partition and for ranges."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def in_window(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` date lies in the partition window [start, end)."""
    dates = pd.to_datetime(frame[column])
    return frame.loc[(dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))].reset_index(drop=True)


def dated_table_ddl(table: str, date_column: str, columns: dict[str, str]) -> str:
    """CREATE TABLE IF NOT EXISTS with a DATE key column, so window deletes compare dates with dates."""
    body = ",\n".join([f"    {date_column} DATE NOT NULL", *[f"    {c} {t}" for c, t in columns.items()]])
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{body}\n)"


def require_rows(frame: pd.DataFrame | None, table: str, asset: AssetKey) -> pd.DataFrame:
    """``frame`` if it has rows; else an error naming the asset to materialize first."""
    if frame is None or frame.empty:
        raise ValueError(f"{table} has no rows: materialize {asset.to_user_string()} first")
    return frame


def write_metadata(result: WriteResult, **extra) -> dict:
    """Rows written/replaced and the window, plus any asset-specific figures, as Dagster metadata."""
    meta = {
        "rows_written": MetadataValue.int(result.rows_written),
        "rows_replaced": MetadataValue.int(result.rows_replaced),
        "window": MetadataValue.text(f"[{result.window_start}, {result.window_end})"),
        "table": MetadataValue.text(result.table),
    }
    return meta | as_metadata(extra)


def table_counts(results: dict[str, WriteResult]) -> dict:
    """``<table>_rows`` per replaced table and the total rows replaced, as metadata."""
    meta = {f"{table.split('.')[1]}_rows": MetadataValue.int(r.rows_written) for table, r in results.items()}
    return meta | {"rows_replaced": MetadataValue.int(sum(r.rows_replaced for r in results.values()))}


def notes_metadata(notes: Sequence[str]) -> MetadataValue:
    return MetadataValue.md("\n".join(f"- {n}" for n in notes) if notes else "none")


def as_metadata(values: dict) -> dict:
    """Plain values as Dagster metadata values (NaN as the text "nan", small frames as markdown)."""
    return {key: _metadata_value(value) for key, value in values.items()}


def _metadata_value(value):
    if isinstance(value, MetadataValue):
        return value
    if isinstance(value, bool):
        return MetadataValue.bool(value)
    if isinstance(value, int):
        return MetadataValue.int(value)
    if isinstance(value, float):
        return MetadataValue.float(float(value)) if pd.notna(value) else MetadataValue.text("nan")
    if isinstance(value, pd.DataFrame):
        return MetadataValue.md(value.to_markdown(index=False) if len(value) < 60 else f"{len(value)} rows")
    return MetadataValue.text(str(value))
