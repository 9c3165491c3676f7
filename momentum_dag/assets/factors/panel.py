"""``factors/<name>``: a registered factor's long panel (and side tables, e.g. D-MOM's LPM coefficients)."""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, PartitionsDefinition

from momentum_dag.assets.common import asset_spec, in_window, partitioned_asset, window_dates, write_metadata
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.names import factor_key, factor_table, key
from momentum_dag.registry import FactorSpec
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source_label
from momentum_dag.warehouse import Warehouse


def _coverage(rows: pd.DataFrame, universe: int) -> float:
    if rows.empty or universe == 0:
        return 0.0
    per_period = rows.groupby(["period_end", "window"])["entity_id"].nunique()
    return float(per_period.mean() / universe)


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


def _universe_size(panels: MarketPanels, spec: FactorSpec) -> int:
    if spec.level == "stock":
        return int(panels.stock_monthly("ret").iloc[-1].notna().sum())
    return int(panels.industry_daily("ret_cw").iloc[-1].notna().sum())


def build_factor_asset(spec: FactorSpec, partitions_def: PartitionsDefinition):
    """``factors/<name>`` (+ its side tables, e.g. ``models/dmom_lpm``) for one registered factor; the
    panel and its side tables are written in ONE transaction."""

    def compute(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
        start, end = window_dates(context)
        panels = MarketPanels(warehouse, end=end, formation_start=start)
        panel, side = compute_factor(spec, panels, settings, start, end)
        table = factor_table(spec.name)
        tables = {table: ("period_end", None)} | {t: ("period_end", None) for t in side}
        results = warehouse.write_windows(tables, [{table: panel, **side}], start=start, end=end)
        universe = _universe_size(panels, spec)
        yield MaterializeResult(
            asset_key=factor_key(spec.name),
            metadata=write_metadata(
                results[table], coverage=_coverage(panel, universe), data_source=data_source_label(settings)
            ),
        )
        for side_table in side:
            yield MaterializeResult(asset_key=key(side_table), metadata=write_metadata(results[side_table]))

    specs = [
        asset_spec(
            factor_key(spec.name),
            deps=[key(k) for k in spec.inputs],
            description=f"{spec.description}\n\nSource: {spec.paper}",
            group="factors",
            metadata={"level": spec.level, "frequency": spec.frequency, "windows": str(spec.windows)},
        ),
        *[
            asset_spec(
                key(table),
                deps=[factor_key(spec.name)],
                description=f"Model estimates behind {spec.name}, one set per formation month.",
                group="models",
                kinds=["duckdb"],
            )
            for table in spec.side_tables
        ],
    ]
    return partitioned_asset(compute, name=f"factor__{spec.name}", specs=specs, partitions_def=partitions_def)
