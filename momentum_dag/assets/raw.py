"""Raw layer: the provider's daily bars, market series, fundamentals and industry membership.

One run writes all four tables for its partition window in ONE transaction, so a failure (for example a
bad file) leaves every raw table as it was.
"""


import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetSpec, BackfillPolicy, MaterializeResult, multi_asset

from momentum_dag.assets.common import window_dates, write_metadata
from momentum_dag.partitions import monthly_partitions
from momentum_dag.settings import get_settings
from momentum_dag.sources import data_source_label, make_provider
from momentum_dag.sources.contract import RAW_TABLES, ddl
from momentum_dag.sources.guard import row_count_guard
from momentum_dag.warehouse import Warehouse, write_windows

PROVIDER_TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")
BEGINNING_OF_TIME = date(1900, 1, 1)


@multi_asset(
    specs=[
        AssetSpec(
            ["raw", name],
            description=RAW_TABLES[name].description,
            partitions_def=monthly_partitions,
            group_name="raw",
            kinds={"duckdb"},
        )
        for name in PROVIDER_TABLES
    ],
    partitions_def=monthly_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    can_subset=False,
    name="raw_market_data",
)
def raw_market_data(context: AssetExecutionContext, warehouse: Warehouse):
    """Raw market data for the window from the configured provider (synthetic market or files)."""
    settings = get_settings()
    start, end = window_dates(context)
    # The first partition also owns everything dated before the history start (memberships and
    # fundamentals announced earlier), so those rows are written once and replaced on re-runs.
    write_start = BEGINNING_OF_TIME if start == settings.history_start else start
    # The simulator starts at the history start; a folder of files may hold earlier rows.
    generate_start = write_start if settings.data_source == "files" else start
    provider = make_provider(settings)
    tables = {f"raw.{name}": (RAW_TABLES[name].date_column, ddl(RAW_TABLES[name])) for name in PROVIDER_TABLES}
    with tempfile.TemporaryDirectory(prefix="momentum_raw_") as spool:
        # Generate (the slow part) before taking the DuckDB write lock; chunks wait on disk, not in memory.
        spooled = _spool(provider.generate(generate_start, end), Path(spool))
        context.log.info(f"generated {len(spooled)} chunk(s) for [{start}, {end}); writing")
        with warehouse.get_connection() as conn:
            guard = row_count_guard(settings.raw_force)  # "nothing lost": refuse a markedly smaller window
            results = write_windows(conn, tables, _read_spool(spooled), start=write_start, end=end, guard=guard)
    source = data_source_label(settings)
    for name in PROVIDER_TABLES:
        yield MaterializeResult(
            asset_key=["raw", name],
            metadata=write_metadata(results[f"raw.{name}"], data_source=source),
        )


def _spool(chunks: Iterable[dict[str, pd.DataFrame]], folder: Path) -> list[dict[str, Path]]:
    spooled = []
    for i, chunk in enumerate(chunks):
        paths = {}
        for name, frame in chunk.items():
            if name not in PROVIDER_TABLES:
                continue  # optional external tables (factor_returns_monthly) have their own asset
            paths[name] = folder / f"{i:04d}_{name}.parquet"
            frame.to_parquet(paths[name], index=False)
        spooled.append(paths)
    return spooled


def _read_spool(spooled: list[dict[str, Path]]) -> Iterator[dict[str, pd.DataFrame]]:
    for paths in spooled:
        yield {f"raw.{name}": pd.read_parquet(path) for name, path in paths.items()}
