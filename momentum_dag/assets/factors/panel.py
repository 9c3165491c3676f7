"""``factors/<name>``: a registered factor's long panel (and side tables, e.g. D-MOM's LPM coefficients)."""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, PartitionsDefinition

from momentum_dag.assets.checks import panel_check_specs, panel_checks
from momentum_dag.assets.common import (
    asset_spec,
    in_window,
    partitioned_asset,
    report_partitions,
    window_dates,
)
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.names import factor_key, factor_table, key
from momentum_dag.partitions import chunks, week_chunks
from momentum_dag.registry import FactorSpec
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source_label
from momentum_dag.storage import Warehouse


def compute_factor(
    spec: FactorSpec, panels: MarketPanels, settings: Settings, start: date, end: date
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A factor's long rows (every window) with period_end in [start, end), and its side tables."""
    rows, side = [], {}
    for window in spec.windows:
        output = spec.compute(panels, window, settings)
        rows.append(output.rows)
        for table, frame in output.side_tables.items():
            side.setdefault(table, []).append(frame)
    side = {
        table: in_window(pd.concat(frames, ignore_index=True), "period_end", start, end)
        for table, frames in side.items()
    }
    return in_window(pd.concat(rows, ignore_index=True), "period_end", start, end), side


def universe_sizes(panels: MarketPanels, spec: FactorSpec, dates: pd.DatetimeIndex) -> pd.Series:
    """Entities that could have a value at each formation date: stocks with a monthly return, industries
    with a daily return that day."""
    panel = panels.stock_monthly("ret") if spec.level == "stock" else panels.industry_daily("ret_cw")
    return panel.notna().sum(axis=1).reindex(dates).fillna(0).astype(int).rename("universe")


def compute_window(
    spec: FactorSpec, warehouse: Warehouse, settings: Settings, start: date, end: date
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.Series]:
    """The factor's rows and side tables for [start, end), chunk by chunk from the factor's lookback, and
    the universe size at each formation date (for coverage)."""
    parts, side, universe = [], {}, []
    lookback = spec.history()
    # an expanding estimator (no lookback) reads small per-month tables: one pass
    # a weekly factor's chunks are whole weeks: a chunk ending mid-week would date that week's value on
    # its last day inside the chunk, not on the week's end
    cut = week_chunks if spec.frequency == "W" else chunks
    windows = [(start, end)] if lookback is None else cut(start, end, settings.chunk_months)
    for lo, hi in windows:
        panels = MarketPanels.for_window(warehouse, lo, hi, lookback)
        rows, extra = compute_factor(spec, panels, settings, lo, hi)
        parts.append(rows)
        for table, frame in extra.items():
            side.setdefault(table, []).append(frame)
        universe.append(universe_sizes(panels, spec, pd.DatetimeIndex(rows["period_end"].unique())))
    side = {table: pd.concat(frames, ignore_index=True) for table, frames in side.items()}
    return pd.concat(parts, ignore_index=True), side, pd.concat(universe)


def _figures(universe: pd.Series):
    """One partition's coverage: entities with a value / entities in the universe, mean over windows."""

    def figures(rows: pd.DataFrame) -> dict:
        counts = rows.groupby(["period_end", "window"])["entity_id"].nunique()
        dates = counts.index.get_level_values("period_end")
        size = universe.reindex(dates).to_numpy()
        return {"entities": int(counts.max()), "coverage": float((counts.to_numpy() / size).mean())}

    return figures


def build_factor_asset(spec: FactorSpec, partitions_def: PartitionsDefinition):
    """``factors/<name>`` (+ its side tables, e.g. ``factors/dmom_lpm``) for one registered factor; the
    panel and its side tables are written in ONE transaction."""

    def compute(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
        start, end = window_dates(context)
        panel, side, universe = compute_window(spec, warehouse, settings, start, end)
        table = factor_table(spec.name)
        tables = {table: ("period_end", None)} | {t: ("period_end", None) for t in side}
        results = warehouse.write_windows(tables, [{table: panel, **side}], start=start, end=end)
        source = data_source_label(settings)
        report_partitions(
            context, factor_key(spec.name), results[table], panel, "period_end", _figures(universe), data_source=source
        )
        yield MaterializeResult(asset_key=factor_key(spec.name))
        yield from panel_checks(factor_key(spec.name), panel, universe, end, spec.min_coverage)
        for side_table in side:
            report_partitions(context, key(side_table), results[side_table], side[side_table], "period_end")
            yield MaterializeResult(asset_key=key(side_table))

    specs = [
        asset_spec(
            factor_key(spec.name),
            deps=[key(k) for k in spec.inputs],
            description=f"{spec.description}\n\nSource: {spec.paper}",
            metadata={"level": spec.level, "frequency": spec.frequency, "windows": str(spec.windows)},
        ),
        *[
            asset_spec(
                key(table),
                deps=[factor_key(spec.name)],
                description=f"Model estimates behind {spec.name}, one set per formation month.",
                kinds=["duckdb"],
            )
            for table in spec.side_tables
        ],
    ]
    return partitioned_asset(
        compute,
        name=f"factor__{spec.name}",
        specs=specs,
        partitions_def=partitions_def,
        check_specs=panel_check_specs(factor_key(spec.name), spec.min_coverage),
    )
