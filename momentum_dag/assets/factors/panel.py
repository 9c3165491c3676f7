"""``factors/<name>``: a registered factor's long panel (and side tables, e.g. D-MOM's LPM coefficients)."""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, PartitionsDefinition

from momentum_dag.assets.checks import panel_check_specs, panel_checks
from momentum_dag.assets.common import (
    asset_spec,
    frame_table_ddl,
    in_window,
    partitioned_asset,
    window_dates,
)
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.assets.windowed import Table, compute_in_chunks, write_and_report
from momentum_dag.names import factor_key, factor_table, key
from momentum_dag.partitions import chunk_windows
from momentum_dag.registry import FactorSpec
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse


def compute_factor(
    spec: FactorSpec, panels: MarketPanels, settings: Settings, start: date, end: date
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """A factor's long rows (every window) with period_end in [start, end), and its side tables."""
    rows, side = [], {}
    for window in spec.windows:
        output = spec.evaluate(panels, window, settings)
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


def factor_chunk(spec: FactorSpec, warehouse: Warehouse, settings: Settings, lo: date, hi: date) -> dict:
    """The factor's rows, side tables and universe sizes (``universe``: entities that could have a value at
    each formation date) of the chunk [lo, hi), from the chunk's own lookback."""
    panels = MarketPanels.for_window(warehouse, lo, hi, spec.history())
    rows, side = compute_factor(spec, panels, settings, lo, hi)
    universe = universe_sizes(panels, spec, pd.DatetimeIndex(rows["period_end"].unique()))
    return {factor_table(spec.name): rows, **side, "universe": universe.rename_axis("period_end").reset_index()}


def compute_window(
    spec: FactorSpec, warehouse: Warehouse, settings: Settings, start: date, end: date
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame], pd.Series]:
    """The factor's rows and side tables for [start, end), chunk by chunk from the factor's lookback, and
    the universe size at each formation date (for coverage)."""
    outputs = compute_in_chunks(
        lambda lo, hi: factor_chunk(spec, warehouse, settings, lo, hi),
        factor_windows(spec, settings, start, end),
        {},
        settings.chunk_threads,
    )
    panel = outputs.pop(factor_table(spec.name))
    universe = outputs.pop("universe").set_index("period_end")["universe"]
    return panel, outputs, universe


def factor_windows(spec: FactorSpec, settings: Settings, start: date, end: date) -> list[tuple[date, date]]:
    """The chunks of [start, end): one pass for an expanding estimator (no lookback: it reads small
    per-month tables), whole weeks for a weekly factor."""
    chunk_months = None if spec.history() is None else settings.run.chunk_months
    return chunk_windows(start, end, chunk_months, weekly=spec.frequency == "W")


def warm_up_status(spec: FactorSpec, settings: Settings) -> str:
    """What a partition without values shows in the UI: the factor's warm-up, in its own terms."""
    history = spec.history()
    if history is None:  # an expanding estimator (D-MOM): it forecasts once it has trained long enough
        return f"warm-up ({settings.dmom.min_months} training months)"
    needs = f"{history.months} months" + (f" and {history.days} trading days" if history.days else "")
    return f"warm-up ({needs} of history before the first value)"


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
        # declared from the frames' types, so a window still warming up (no row) creates the tables too
        tables = [
            Table(
                factor_table(spec.name),
                asset=factor_key(spec.name),
                figures=_figures(universe),
                empty_status=warm_up_status(spec, settings),
                create=frame_table_ddl(factor_table(spec.name), panel),
            ),
            *[Table(t, asset=key(t), create=frame_table_ddl(t, frame)) for t, frame in side.items()],
        ]
        outputs = {factor_table(spec.name): panel, **side}
        write_and_report(context, warehouse, tables, outputs, start, end, settings)
        yield MaterializeResult(asset_key=factor_key(spec.name))
        yield from panel_checks(factor_key(spec.name), panel, universe, end, spec.min_coverage)
        for side_table in side:
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
