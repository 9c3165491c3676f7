"""The windowed asset: compute a partition window in chunks, write it in one transaction, report each
partition's own figures.

A run's window [start, end) (one partition or a range) is cut into chunks of ``MOMENTUM_CHUNK_MONTHS``
months (whole weeks for a weekly asset); each chunk is computed from its own lookback, so peak memory is
one chunk's, and its rows are kept only where they are dated inside the chunk, so the rows are those of
one-partition runs whatever the split. Every table of the asset is then written in ONE transaction, and
every partition of the run gets its own rows and figures as metadata. An asset body says only which
panels, which core function and which tables: :func:`materialize_window`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, AssetKey

from momentum_dag.assets.common import dated_table_ddl, in_window, report_partitions, window_dates
from momentum_dag.partitions import chunk_windows
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import Warehouse, WriteResult

Figures = Callable[[pd.DataFrame], dict]


@dataclass(frozen=True)
class Table:
    """A table a windowed asset writes: its rows dated by ``date_column``; ``columns`` (name -> DuckDB type,
    the date column left out) create it when missing, else the first rows define it; ``asset``: the asset
    whose partitions report these rows (with ``figures`` of each partition's own rows; ``report`` turns
    all of the run's outputs into the rows to report, when they are not the table's own; ``empty_status``
    says why a partition has none, e.g. a warm-up; ``rows_plotted=False`` where a partition always has the
    same rows, e.g. one a month); ``create``: a whole CREATE TABLE IF NOT EXISTS instead of ``columns`` (a table
    whose types follow its rows')."""

    name: str
    date_column: str = "period_end"
    columns: Mapping[str, str] | None = None
    asset: AssetKey | None = None
    figures: Figures | None = None
    report: Callable[[Mapping[str, pd.DataFrame]], pd.DataFrame] | None = field(default=None, compare=False)
    empty_status: str | None = None
    rows_plotted: bool = True
    create: str | None = None

    @property
    def ddl(self) -> str | None:
        if self.create is not None:
            return self.create
        return None if self.columns is None else dated_table_ddl(self.name, self.date_column, dict(self.columns))


def compute_in_chunks(
    compute: Callable[[date, date], Mapping[str, pd.DataFrame]],
    windows: Sequence[tuple[date, date]],
    date_columns: Mapping[str, str],
    threads: int = 1,
) -> dict[str, pd.DataFrame]:
    """``compute(lo, hi)`` for each chunk, each output kept where its date column (``date_columns``, default
    ``period_end``) lies in [lo, hi), and concatenated per output over the chunks in calendar order.

    ``threads`` > 1 computes that many chunks at once. A chunk reads only its own lookback and writes
    nothing, so the chunks are independent and the outputs are the same, bit for bit, in any order; the
    threads overlap because DuckDB's reads and numpy's array work release the GIL (the second core of a
    2-core machine, which an in-process run otherwise leaves idle). Each chunk in flight holds its own panels."""

    def one(window: tuple[date, date]) -> dict[str, pd.DataFrame]:
        lo, hi = window
        return {
            name: in_window(frame, date_columns.get(name, "period_end"), lo, hi)
            for name, frame in compute(lo, hi).items()
        }

    if threads > 1 and len(windows) > 1:
        # map gives the chunks in calendar order and, once one has failed, cancels those not started
        with ThreadPoolExecutor(max_workers=min(threads, len(windows)), thread_name_prefix="chunk") as pool:
            chunks = list(pool.map(one, windows))
    else:
        chunks = [one(window) for window in windows]
    parts: dict[str, list[pd.DataFrame]] = {}
    for outputs in chunks:
        for name, frame in outputs.items():
            parts.setdefault(name, []).append(frame)
    return {name: _concat(frames) for name, frames in parts.items()}


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks' rows in order; a chunk without rows (e.g. a warm-up) adds none and, unlike in
    ``pd.concat``, no dtype either: its empty columns would turn the others' dates into objects."""
    full = [frame for frame in frames if len(frame)]
    return pd.concat(full, ignore_index=True) if full else frames[0].reset_index(drop=True)


def write_and_report(
    context: AssetExecutionContext,
    warehouse: Warehouse,
    tables: Sequence[Table],
    outputs: Mapping[str, pd.DataFrame],
    start: date,
    end: date,
    settings: Settings,
) -> dict[str, WriteResult]:
    """Every table's window in ONE transaction, then each reporting table's partitions' own figures (and
    the data source's label, on every partition of every reported asset)."""
    label = data_source(settings).label
    results = warehouse.write_windows(
        {t.name: (t.date_column, t.ddl) for t in tables},
        [{t.name: outputs[t.name] for t in tables}],
        start=start,
        end=end,
    )
    for t in tables:
        if t.asset is not None:
            rows = t.report(outputs) if t.report is not None else outputs[t.name]
            report_partitions(
                context,
                t.asset,
                results[t.name],
                rows,
                t.date_column,
                t.figures,
                empty_status=t.empty_status,
                rows_plotted=t.rows_plotted,
                data_source=label,
            )
        else:
            context.log.info(f"{t.name}: {results[t.name].rows_written} rows written in [{start}, {end})")
    return results


def materialize_window(
    context: AssetExecutionContext,
    warehouse: Warehouse,
    compute: Callable[[date, date], Mapping[str, pd.DataFrame]],
    tables: Sequence[Table],
    settings: Settings,
    *,
    chunked: bool = True,
    weekly: bool = False,
    dates: Mapping[str, str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The run's window computed chunk by chunk (:func:`compute_in_chunks`; ``compute(lo, hi)`` returns
    frames by table name, plus any other outputs the reports need, dated by ``dates``), written in one
    transaction and reported per partition (:func:`write_and_report`). Returns every output.
    ``chunked=False``: the window in one piece (a compute that reads all history up to each chunk's end
    anyway gains nothing from chunks)."""
    start, end = window_dates(context)
    date_columns = {t.name: t.date_column for t in tables} | dict(dates or {})
    chunk_months = settings.run.chunk_months if chunked else None
    windows = chunk_windows(start, end, chunk_months, weekly=weekly)
    outputs = compute_in_chunks(compute, windows, date_columns, settings.chunk_threads)
    write_and_report(context, warehouse, tables, outputs, start, end, settings)
    return outputs
