"""What every asset shares: the partitioned-asset builder, the window as dates, metadata, input checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
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

from momentum_dag.names import group_of
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import WriteResult

WEEKLY_TAG = {"frequency": "weekly"}
"""Tag of the weekly-partitioned assets (the weekly job selects them)."""
MONTHLY_TAG = {"frequency": "monthly"}
"""Tag of the monthly-partitioned assets: ``tag:frequency=monthly`` selects them in the UI."""


def frequency_tag(partitions_def: PartitionsDefinition | None) -> dict[str, str]:
    if partitions_def is None:
        return {}
    return WEEKLY_TAG if isinstance(partitions_def, WeeklyPartitionsDefinition) else MONTHLY_TAG


def asset_spec(
    key: AssetKey,
    *,
    description: str,
    deps: Sequence[AssetKey] = (),
    kinds: Sequence[str] = ("duckdb", "pandas"),
    **extra,
) -> AssetSpec:
    """An asset's spec, in the group its key starts with (``partitioned_asset`` adds the partitions)."""
    return AssetSpec(key, deps=list(deps), description=description, group_name=group_of(key), kinds=set(kinds), **extra)


def partitioned_asset(
    compute: Callable,
    *,
    name: str,
    specs: Sequence[AssetSpec],
    partitions_def: PartitionsDefinition,
    check_specs: Sequence[AssetCheckSpec] = (),
    can_subset: bool = False,
) -> AssetsDefinition:
    """``compute`` as a partitioned multi-asset with a single-run backfill policy: a range of partitions is
    one run, and ``compute`` reads ``context.partition_time_window`` to do the whole window at once.
    Assets get their frequency tag (the weekly job selects the weekly ones). ``can_subset``: the UI
    may select one of ``specs`` alone (``compute`` then yields results for ``context.selected_asset_keys``
    only)."""
    tags = frequency_tag(partitions_def)
    specs = [spec.replace_attributes(partitions_def=partitions_def, tags={**spec.tags, **tags}) for spec in specs]
    return multi_asset(
        specs=specs,
        check_specs=list(check_specs),
        name=name,
        partitions_def=partitions_def,
        backfill_policy=BackfillPolicy.single_run(),
        can_subset=can_subset,
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


def frame_table_ddl(table: str, frame: pd.DataFrame) -> str | None:
    """CREATE TABLE IF NOT EXISTS with the column types DuckDB gives ``frame``'s dtypes when it holds rows
    (datetime -> TIMESTAMP, integer -> BIGINT, float -> DOUBLE, bool -> BOOLEAN, else VARCHAR), so a window
    with no row yet (an estimator still warming up) creates the same table a window with rows would.
    None for a frame without columns."""
    if len(frame.columns) == 0:
        return None

    def kind(dtype) -> str:
        if pd.api.types.is_bool_dtype(dtype):
            return "BOOLEAN"
        if pd.api.types.is_integer_dtype(dtype):
            return "BIGINT"
        if pd.api.types.is_float_dtype(dtype):
            return "DOUBLE"
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return "TIMESTAMP"
        return "VARCHAR"

    body = ",\n".join(f'    "{column}" {kind(dtype)}' for column, dtype in frame.dtypes.items())
    return f"CREATE TABLE IF NOT EXISTS {table} (\n{body}\n)"


def require_rows(frame: pd.DataFrame | None, table: str, asset: AssetKey) -> pd.DataFrame:
    """``frame`` if it has rows; else an error naming the asset to materialize first."""
    if frame is None or frame.empty:
        raise ValueError(f"{table} has no rows: materialize {asset.to_user_string()} first")
    return frame


def table_counts(results: dict[str, WriteResult]) -> dict:
    """``<table>_rows`` per replaced table and the total rows replaced, as metadata."""
    meta = {f"{table.split('.')[1]}_rows": MetadataValue.int(r.rows_written) for table, r in results.items()}
    return meta | {"rows_replaced": MetadataValue.int(sum(r.rows_replaced for r in results.values()))}


def replace_study_tables(
    context,
    warehouse,
    tables: dict[str, pd.DataFrame],
    *,
    notes_table: str,
    asset: str,
    notes: Sequence[str],
    settings: Settings,
    notes_key: str = "notes",
    **figures,
) -> dict:
    """A full-sample study's tables and ``asset``'s notes (what it could not compute) replaced in ONE
    transaction; every note goes to the run's log. Returns the materialization's metadata: each table's rows,
    the notes, the data source and the headline ``figures``."""
    for note in notes:
        context.log.warning(note)
    results = warehouse.replace_tables(tables, notes_table=notes_table, asset=asset, notes=notes)
    return {
        **table_counts(results),
        **as_metadata(figures),
        notes_key: notes_metadata(notes),
        "data_source": MetadataValue.text(data_source(settings).label),
    }


def notes_metadata(notes: Sequence[str]) -> MetadataValue:
    return MetadataValue.md("\n".join(f"- {n}" for n in notes) if notes else "none")


def rounded(value: float, digits: int = 4) -> float:
    """A figure for reading in the UI: ``digits`` significant digits (the tables keep full precision)."""
    return float(f"{float(value):.{digits}g}")


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
        return MetadataValue.float(rounded(value)) if pd.notna(value) else MetadataValue.text("nan")
    if isinstance(value, tuple | list):
        return MetadataValue.text(", ".join(map(str, value)))
    if isinstance(value, pd.DataFrame):
        return MetadataValue.md(value.to_markdown(index=False) if len(value) < 60 else f"{len(value)} rows")
    return MetadataValue.text(str(value))


# ---- per-partition metadata ----------------------------------------------------------------------------


def partition_windows(
    context: AssetExecutionContext, rows_lag: pd.DateOffset | None = None
) -> dict[str, tuple[pd.Timestamp | None, pd.Timestamp]]:
    """Each partition of the run and the dates [lo, hi) of the rows it owns: its own window, shifted back by
    ``rows_lag`` (an evaluation partition holds the previous period's formation rows); the first partition
    of the graph also owns every row dated before it (raw history announced before the history start), so
    its ``lo`` is None. The one definition both per-partition reports use."""
    partitions_def = context.assets_def.partitions_def
    first_key = partitions_def.get_first_partition_key()
    out = {}
    for key in context.partition_keys:
        window = partitions_def.time_window_for_partition_key(key)
        lo, hi = pd.Timestamp(window.start.date()), pd.Timestamp(window.end.date())
        if rows_lag is not None:
            lo, hi = lo - rows_lag, hi - rows_lag
        out[key] = (None if key == first_key else lo, hi)
    return out


def _owned(dates: pd.Series, lo: pd.Timestamp | None, hi: pd.Timestamp) -> pd.Series:
    return (dates < hi) if lo is None else (dates >= lo) & (dates < hi)


def _owned_positions(ordered: np.ndarray, order: np.ndarray, lo: pd.Timestamp | None, hi: pd.Timestamp) -> np.ndarray:
    """Positions (ascending: the rows' own order) of the dates in [lo, hi) (:func:`_owned`'s rows), given
    ``order``, the dates' stable sort order, and ``ordered``, the dates in that order (NaT last, never owned)."""
    first = 0 if lo is None else np.searchsorted(ordered, lo.to_datetime64(), "left")
    last = np.searchsorted(ordered, hi.to_datetime64(), "left")
    return np.sort(order[first:last])


WARM_UP = (
    "warm-up (no row: the history before this partition is shorter than the asset's estimation window, "
    "or no input row falls in it)"
)


def report_partitions(
    context: AssetExecutionContext,
    asset_key: AssetKey,
    result: WriteResult,
    rows: pd.DataFrame,
    date_column: str,
    figures: Callable[[pd.DataFrame], dict] | None = None,
    *,
    rows_lag: pd.DateOffset | None = None,
    empty_status: str | None = None,
    rows_plotted: bool = True,
    **constant,
) -> None:
    """Each partition of the run gets ITS OWN rows and figures as materialization metadata (so the UI's
    plots over partitions are time series); the range's totals go to the run's log.

    ``figures(rows)`` computes the headline figures of one partition's rows; which rows a partition owns:
    :func:`partition_windows`.
    ``empty_status`` is the ``status`` figure of a partition without rows (e.g. ``warm-up (60 training
    months)``), so the UI says why instead of a bare 0; ``rows_plotted=False`` reports ``rows`` as text
    where it is the same every partition by construction (one WML row a month), so no flat plot is drawn.
    """
    # the rows' positions in date order (NaT last), once: each partition takes its slice by binary search
    # (masking every row of the range for each partition was quadratic: minutes over 20 years at scale)
    values = pd.to_datetime(rows[date_column]).to_numpy() if len(rows) else None
    order = np.argsort(values, kind="stable") if values is not None else None
    ordered = values[order] if values is not None else None
    for key, (lo, hi) in partition_windows(context, rows_lag).items():
        own = rows.iloc[_owned_positions(ordered, order, lo, hi)] if values is not None else rows
        n = len(own)
        meta = {"rows": n if rows_plotted else MetadataValue.text(str(n))}
        if n == 0:  # why a partition has no row: the asset's own reason, else the generic warm-up
            meta["status"] = MetadataValue.text(empty_status or WARM_UP)
        meta |= {**(figures(own) if figures is not None and n else {}), **constant}
        context.add_asset_metadata(as_metadata(meta), asset_key=asset_key, partition_key=key)
    _log_totals(context, result)


def mean_or_nan(values: pd.Series) -> float:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.mean()) if len(values) else float("nan")


def report_partition_counts(
    context: AssetExecutionContext,
    asset_key: AssetKey,
    warehouse,
    result: WriteResult,
    date_column: str,
    **constant,
) -> None:
    """``report_partitions`` for tables too large to pull back (raw bars, SQL marts): each partition's row
    count from a GROUP BY in DuckDB over the written window."""
    for key, rows in partition_counts(context, warehouse, result, date_column).items():
        context.add_asset_metadata(as_metadata({"rows": rows, **constant}), asset_key=asset_key, partition_key=key)
    _log_totals(context, result)


def partition_counts(context: AssetExecutionContext, warehouse, result: WriteResult, date_column: str) -> dict:
    """Rows of ``result.table`` per partition of the run (:func:`partition_windows`), counted in DuckDB
    per day of the written window."""
    counts = warehouse.query(
        f"select {date_column}::date as day, count(*) as n from {result.table} "
        f"where {date_column} >= ? and {date_column} < ? group by 1",
        [result.window_start, result.window_end],
    )
    days, n = pd.to_datetime(counts["day"]), counts["n"].astype(int)
    return {key: int(n[_owned(days, lo, hi)].sum()) for key, (lo, hi) in partition_windows(context).items()}


def _log_totals(context: AssetExecutionContext, result: WriteResult) -> None:
    context.log.info(
        f"{result.table}: {result.rows_written} rows written, {result.rows_replaced} replaced in "
        f"[{result.window_start}, {result.window_end}) over {len(context.partition_keys)} partition(s)"
    )
