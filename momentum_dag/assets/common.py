"""What every asset shares: the partition window as dates, and standard materialization metadata."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from dagster import AssetExecutionContext, MetadataValue

from momentum_dag.warehouse import WriteResult


def window_dates(context: AssetExecutionContext) -> tuple[date, date]:
    """The run's partition window [start, end) as dates; works for one partition and for ranges."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def shift_days(day: date, days: int) -> date:
    return day - timedelta(days=days)


def write_metadata(result: WriteResult, **extra) -> dict:
    """Rows written/replaced and the window, plus any asset-specific figures, as Dagster metadata."""
    meta = {
        "rows_written": MetadataValue.int(result.rows_written),
        "rows_replaced": MetadataValue.int(result.rows_replaced),
        "window": MetadataValue.text(f"[{result.window_start}, {result.window_end})"),
        "table": MetadataValue.text(result.table),
    }
    for key, value in extra.items():
        meta[key] = _as_metadata(value)
    return meta


def _as_metadata(value):
    if isinstance(value, bool):
        return MetadataValue.bool(value)
    if isinstance(value, int):
        return MetadataValue.int(value)
    if isinstance(value, float):
        return MetadataValue.float(float(value)) if pd.notna(value) else MetadataValue.text("nan")
    if isinstance(value, pd.DataFrame):
        return MetadataValue.md(value.to_markdown(index=False) if len(value) < 60 else f"{len(value)} rows")
    return MetadataValue.text(str(value))


def in_window(frame: pd.DataFrame, column: str, start: date, end: date) -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` date lies in the partition window [start, end)."""
    dates = pd.to_datetime(frame[column])
    return frame.loc[(dates >= pd.Timestamp(start)) & (dates < pd.Timestamp(end))].reset_index(drop=True)


def dated_table_ddl(table: str, date_column: str, columns: dict[str, str]) -> str:
    """CREATE TABLE IF NOT EXISTS with a DATE key column, so window deletes compare dates with dates."""
    body = ",\n".join([f"    {date_column} DATE NOT NULL", *[f"    {c} {t}" for c, t in columns.items()]])
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{body}\n)"
