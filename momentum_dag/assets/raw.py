"""Raw layer: the provider's daily bars, market series, fundamentals and industry membership, and Ken
French's monthly factor returns.

One run writes all four provider tables for its partition window in ONE transaction, so a failure (for
example a bad file) leaves every raw table as it was. The four are one subsettable multi-asset: the UI
can select any one of them alone (no "additional assets" dialog); the run still writes all four, and
records a materialization of each (the unselected ones as runtime materializations, with the same
per-partition row counts), so the UI never shows a table older than its data.
"""

import queue
import tempfile
import threading
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetMaterialization, MaterializeResult

from momentum_dag.assets.common import (
    as_metadata,
    asset_spec,
    in_window,
    partition_counts,
    partitioned_asset,
    report_partition_counts,
    report_partitions,
    window_dates,
)
from momentum_dag.names import PROVIDER_TABLES, RAW_FACTOR_RETURNS, key
from momentum_dag.partitions import Partitions
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.sources.contract import RAW_TABLES, ddl
from momentum_dag.sources.guard import row_count_guard
from momentum_dag.sources.kenfrench import (
    LINEARMODELS_LABEL,
    factor_returns_from_directory,
    load_linearmodels_french,
    to_factor_returns_monthly,
)
from momentum_dag.storage import Warehouse
from momentum_dag.storage.windows import ROW_GROUP

BEGINNING_OF_TIME = date(1900, 1, 1)


def write_start(start: date, settings: Settings) -> date:
    """The first partition also owns everything dated before the history start (memberships and
    fundamentals announced earlier, external factor history), so those rows are written once and replaced
    on re-runs."""
    return BEGINNING_OF_TIME if start == settings.source.history_start_date else start


def raw_market_data(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    """Raw market data for the window from the configured provider (synthetic market or files)."""
    start, end = window_dates(context)
    first = write_start(start, settings)
    source = data_source(settings)
    # The simulator starts at the history start; a folder of files may hold earlier rows.
    generate_start = first if source.reads_before_history_start else start
    provider = source.provider()
    tables = {f"raw.{name}": (RAW_TABLES[name].date_column, ddl(RAW_TABLES[name])) for name in PROVIDER_TABLES}
    with tempfile.TemporaryDirectory(prefix="momentum_raw_") as spool:
        # The provider's chunks are generated and spooled to Parquet in a thread while the transaction
        # inserts the chunks already spooled (DuckDB's insert releases the GIL): the two overlap on two cores.
        # Chunks wait on disk, not in memory; a failure on either side rolls the whole window back.
        spooled = _Spooler(provider.generate(generate_start, end), Path(spool), lake=warehouse.is_lake)
        # "nothing lost": a window is never replaced by markedly fewer rows unless MOMENTUM_RAW_FORCE
        with spooled:
            results = warehouse.write_windows(
                tables, spooled, start=first, end=end, guard=row_count_guard(settings.source.raw_force)
            )
        context.log.info(f"generated and wrote {spooled.count} chunk(s) for [{start}, {end})")
    label = source.label
    selected = context.selected_asset_keys
    for name in PROVIDER_TABLES:
        table, date_column = f"raw.{name}", RAW_TABLES[name].date_column
        if key(table) in selected:
            report_partition_counts(context, key(table), warehouse, results[table], date_column, data_source=label)
            yield MaterializeResult(asset_key=key(table))
            continue
        # written in the same transaction although not selected: recorded as what it is
        for partition, rows in partition_counts(context, warehouse, results[table], date_column).items():
            yield AssetMaterialization(
                asset_key=key(table),
                partition=partition,
                description=f"written with {', '.join(k.to_user_string() for k in sorted(selected))} (one transaction)",
                metadata=as_metadata({"rows": rows, "data_source": label}),
            )


def _spool_chunk(chunk: dict[str, pd.DataFrame], folder: Path, i: int, lake: bool) -> dict[str, Path]:
    """One chunk's provider tables as Parquet files in ``folder``, by raw table name."""
    # DuckDB-sized row groups, inserted by every thread (a chunk in one row group: by one); not for a DuckLake,
    # which writes a file's row groups out of their order (measured with duckdb 1.5.5)
    row_group = None if lake else ROW_GROUP
    paths = {}
    for name, frame in chunk.items():
        if name not in PROVIDER_TABLES:
            continue  # optional external tables (factor_returns_monthly) have their own asset
        paths[f"raw.{name}"] = folder / f"{i:04d}_{name}.parquet"
        # a spool read once: no dictionary attempts on every column (most of pyarrow's writing time on
        # float columns that rarely repeat) and no compression
        frame.to_parquet(
            paths[f"raw.{name}"], index=False, use_dictionary=False, compression=None, row_group_size=row_group
        )
    return paths


class _Spooler:
    """The provider's chunks, generated and spooled in a thread, iterated as Parquet files (by raw table) in
    the provider's order as each is ready: DuckDB reads the files within its memory limit (frames would stay
    in the process). The thread runs at most ``AHEAD`` chunks ahead of the transaction. A generation error is
    raised to the iterating transaction, which rolls back; leaving the ``with`` block (a failed write
    included) stops the thread after the chunk it is generating and waits for it, so the spool folder is
    removed after."""

    AHEAD = 2
    _DONE = object()

    def __init__(self, chunks: Iterable[dict[str, pd.DataFrame]], folder: Path, lake: bool = False):
        self.chunks, self.folder, self.lake = chunks, folder, lake
        self.ready: queue.Queue = queue.Queue(maxsize=self.AHEAD)
        self.stop = threading.Event()
        self.count = 0
        self.thread = threading.Thread(target=self._produce, name="raw-spool", daemon=True)

    def _produce(self) -> None:
        try:
            for i, chunk in enumerate(self.chunks):
                self.ready.put(_spool_chunk(chunk, self.folder, i, self.lake))
                if self.stop.is_set():  # before asking the provider for the next chunk
                    return
            self.ready.put(self._DONE)
        except BaseException as exc:  # raised again where the chunks are iterated
            self.ready.put(exc)

    def __enter__(self) -> "_Spooler":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        while self.thread.is_alive():  # take what it has spooled, so a put waiting for room returns
            try:
                self.ready.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()

    def __iter__(self) -> Iterator[dict[str, Path]]:
        while True:
            item = self.ready.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            self.count += 1
            yield item


# ---- raw.factor_returns_monthly ----------------------------------------------------------------------


def factor_return_rows(settings: Settings) -> pd.DataFrame:
    """``raw.factor_returns_monthly`` rows (month_end, factor, ret) of every month the source has."""
    if settings.source.kenfrench_path is not None:
        return factor_returns_from_directory(settings.source.kenfrench_path)
    return to_factor_returns_monthly(load_linearmodels_french())


def raw_factor_returns_monthly(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
    """Ken French monthly factor returns for the window (calendar month_end in the window; the first
    partition also takes every earlier month); the linearmodels sample ends in 2017-03, so later windows
    write nothing."""
    start, end = window_dates(context)
    first = write_start(start, settings)
    spec = RAW_TABLES["factor_returns_monthly"]
    rows = in_window(factor_return_rows(settings), "month_end", first, end)
    result = warehouse.write_window(
        RAW_FACTOR_RETURNS, rows, date_column="month_end", start=first, end=end, ddl=ddl(spec)
    )
    source = f"files ({settings.source.kenfrench_dir})" if settings.source.kenfrench_dir else LINEARMODELS_LABEL
    report_partitions(
        context,
        key(RAW_FACTOR_RETURNS),
        result,
        rows,
        "month_end",
        lambda own: {"factors": int(own["factor"].nunique())},
        data_source=source,
    )
    yield MaterializeResult()


def _provider_description(name: str) -> str:
    others = ", ".join(f"raw/{other}" for other in PROVIDER_TABLES if other != name)
    return (
        f"{RAW_TABLES[name].description}\n\nWritten by the data provider together with {others}: materializing "
        "any one of the four writes all four for the partitions, in one transaction."
    )


def build_raw_assets(partitions: Partitions) -> list:
    provider = partitioned_asset(
        raw_market_data,
        name="raw_market_data",
        specs=[
            asset_spec(key(f"raw.{name}"), description=_provider_description(name), kinds=["duckdb"])
            for name in PROVIDER_TABLES
        ],
        partitions_def=partitions.monthly,
        can_subset=True,
    )
    kenfrench = partitioned_asset(
        raw_factor_returns_monthly,
        name="raw_factor_returns_monthly",
        specs=[
            asset_spec(
                key(RAW_FACTOR_RETURNS),
                description=RAW_TABLES["factor_returns_monthly"].description,
                kinds=["duckdb"],
            )
        ],
        partitions_def=partitions.monthly,
    )
    return [provider, kenfrench]
