"""``eval/<name>``: per-period IC, rank IC and quantile returns of a registered factor.

A formation period's row needs the next period's returns, so the evaluation is partitioned by the HOLDING
period: partition M holds the evaluation of the factor formed at the end of M-1 over the returns of M
(the table's rows keep the formation date, ``period_end``). The run that brings month M's data (the
schedule's, a UI launch or the CLI) therefore also writes the evaluation of M-1, and until then that
evaluation is a missing partition, never an empty one.

A stock factor's range is evaluated in chunks of formation periods (``MOMENTUM_CHUNK_MONTHS``, two at once
in an in-process run, as the factor panels are): each chunk reads only its own periods, one formation period
before them and the holding periods after them, so the rows are those of one-partition runs.
"""

import warnings
from datetime import date

import pandas as pd
from dagster import (
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    PartitionsDefinition,
    TimeWindowPartitionMapping,
)

from momentum_dag.assets.checks import evaluation_check, evaluation_check_spec, expected_evaluations
from momentum_dag.assets.common import (
    asset_spec,
    mean_or_nan,
    partitioned_asset,
    report_partitions,
    window_dates,
)
from momentum_dag.assets.factors.panel import warm_up_status
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.assets.windowed import compute_in_chunks
from momentum_dag.core.evaluation.engine import FactorEvaluation, evaluate_factor
from momentum_dag.core.frames import compound_by_period, to_wide
from momentum_dag.names import eval_key, eval_periods_table, factor_key, factor_table, key
from momentum_dag.partitions import chunk_windows
from momentum_dag.registry import FactorSpec
from momentum_dag.settings import Settings
from momentum_dag.storage import Warehouse


def evaluation_inputs(panels: MarketPanels, spec: FactorSpec, settings: Settings) -> dict:
    """Forward returns over (t, t+1] on row t, cap weights at t and the tradability mask at t."""
    if spec.level == "stock":
        monthly = panels.stock_monthly("ret")
        forward = monthly.shift(-1)
        weights = panels.stock_monthly("float_mcap")
        tradable = panels.tradable_at(monthly.index, settings.evaluation.filters)
        return {"forward_returns": forward, "weights": weights, "tradable": tradable}
    # the run of holding period P has every day of P: the last period's return is complete
    period = compound_by_period(panels.industry_daily("ret_cw"), spec.frequency)
    return {"forward_returns": period.shift(-1), "weights": None, "tradable": None}


# The first partition has no formation period before it; the flag is beta in Dagster 1.13.
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    PREVIOUS_PERIOD = TimeWindowPartitionMapping(
        start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
    )


def period_step(spec: FactorSpec) -> pd.DateOffset:
    """One formation period: a month or a (Monday-start) week."""
    return pd.DateOffset(weeks=1) if spec.frequency == "W" else pd.DateOffset(months=1)


def _shift(day: date, offset: pd.DateOffset, periods: int = 1) -> date:
    return (pd.Timestamp(day) - periods * offset).date()


def _headline(spec: FactorSpec):
    """One partition's figures: rank IC, IC and long-short return of the main (longest) window."""

    def figures(rows: pd.DataFrame) -> dict:
        main = rows[rows["window"] == rows["window"].max()]
        return {
            "rank_ic": mean_or_nan(main["rank_ic"]),
            "ic": mean_or_nan(main["ic"]),
            "long_short_ew": mean_or_nan(main["long_short_ew"]),
            "window": str(int(main["window"].iloc[0])),  # a label, not a series to plot
        }

    return figures


def evaluate_rows(
    spec: FactorSpec,
    factor_rows: pd.DataFrame,
    panels: MarketPanels,
    settings: Settings,
    start: date,
    end: date,
    inputs: dict | None = None,
) -> pd.DataFrame:
    """Per-period evaluation (every window) of the factor rows with formation dates in [start, end).

    ``panels`` must reach one period past ``end`` for the last formation date's forward return; periods
    without one are left out. ``inputs``: :func:`evaluation_inputs` of ``panels``, when already at hand.
    """
    inputs = evaluation_inputs(panels, spec, settings) if inputs is None else inputs
    frames = []
    for window in spec.windows:
        factor = to_wide(factor_rows, window=window)
        factor = factor.loc[(factor.index >= pd.Timestamp(start)) & (factor.index < pd.Timestamp(end))]
        evaluation = _evaluate(spec, factor, inputs)
        if evaluation is not None:
            frames.append(evaluation.per_period.assign(window=window))
    per_period = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"period_end": []})
    return per_period.dropna(subset=["rank_ic"]) if "rank_ic" in per_period else per_period


def _evaluate(spec: FactorSpec, factor: pd.DataFrame, inputs: dict) -> FactorEvaluation | None:
    if factor.empty:
        return None

    def aligned(panel, **kwargs):
        return None if panel is None else panel.reindex(index=factor.index, columns=factor.columns, **kwargs)

    return evaluate_factor(
        factor,
        aligned(inputs["forward_returns"]),
        n_quantiles=spec.n_quantiles,
        periods_per_year=spec.periods_per_year,
        weights=aligned(inputs["weights"]),
        tradable=aligned(inputs["tradable"], fill_value=False),
    )


def evaluation_chunk(
    spec: FactorSpec, warehouse: Warehouse, settings: Settings, formation_start: date, formation_end: date
) -> dict[str, pd.DataFrame]:
    """A chunk for :func:`~momentum_dag.assets.windowed.compute_in_chunks`: the evaluation rows of the
    formation periods in [formation_start, formation_end) and the (period, window) pairs owed one
    (:func:`expected_evaluations`). Reads the factor from one formation
    period earlier (the top-quantile turnover of the first period) and the market to the end of the last
    holding period, nothing else: consecutive chunks give the rows of the whole window."""
    step = period_step(spec)
    read_start, end = _shift(formation_start, step), _shift(formation_end, step, -1)
    table = factor_table(spec.name)
    factor_rows = warehouse.query_if_exists(
        table,
        f'select period_end, entity_id, "window", value from {table} where period_end >= ? and period_end < ?',
        [read_start, formation_end],
    )
    if factor_rows is None:  # no value yet in any materialized window (e.g. still warming up)
        factor_rows = pd.DataFrame({"period_end": [], "entity_id": [], "window": [], "value": []})
    panels = MarketPanels(warehouse, start=read_start, end=end)
    inputs = evaluation_inputs(panels, spec, settings)
    # rows from read_start: compute_in_chunks keeps the chunk's own formation periods
    per_period = evaluate_rows(spec, factor_rows, panels, settings, read_start, formation_end, inputs)
    forward = inputs["forward_returns"]
    complete = forward.index[forward.notna().sum(axis=1) >= spec.n_quantiles]  # holding returns are in
    expected = expected_evaluations(factor_rows, spec.n_quantiles, formation_start, formation_end, complete)
    return {"per_period": per_period, "expected": expected}


def build_evaluation_asset(spec: FactorSpec, partitions_def: PartitionsDefinition):
    """``eval/<name>``: per-period IC, rank IC and quantile returns of one factor, by holding period."""
    step = period_step(spec)

    def compute(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
        start, end = window_dates(context)  # holding periods
        formation_start, formation_end = _shift(start, step), _shift(end, step)
        # chunks of formation periods, each computed as a run over its holding periods would compute it;
        # an industry factor's panels are a few dozen columns: its chunks would only repeat the reads
        # (0.16 s in one piece against 1.1 s in 24-month chunks for 20 years of monthly industries)
        chunk_months = settings.run.chunk_months if spec.level == "stock" else None
        windows = [
            (_shift(lo, step), _shift(hi, step))
            for lo, hi in chunk_windows(start, end, chunk_months, weekly=spec.frequency == "W")
        ]
        outputs = compute_in_chunks(
            lambda lo, hi: evaluation_chunk(spec, warehouse, settings, lo, hi), windows, {}, settings.chunk_threads
        )
        per_period = outputs["per_period"]
        result = warehouse.write_window(
            eval_periods_table(spec.name),
            per_period,
            date_column="period_end",
            start=formation_start,
            end=formation_end,
        )
        report_partitions(
            context,
            eval_key(spec.name),
            result,
            per_period,
            "period_end",
            _headline(spec),
            rows_lag=step,
            empty_status=f"{warm_up_status(spec, settings)}: no factor value to evaluate yet",
        )
        yield MaterializeResult(asset_key=eval_key(spec.name))
        yield evaluation_check(eval_key(spec.name), outputs["expected"], per_period)

    description = (
        f"Per formation period of {spec.name}: IC (Pearson) and rank IC (Spearman) vs the next period's "
        f"return, {spec.n_quantiles} quantile portfolio returns (equal- and cap-weighted for stocks), long-short "
        "(top - bottom), long-only excess (top - universe) and top-quantile turnover. Partition M holds the "
        "evaluation of the factor formed at the end of M-1 over the returns of M."
    )
    spec_ = asset_spec(
        eval_key(spec.name),
        deps=[
            AssetDep(
                factor_key(spec.name),
                partition_mapping=PREVIOUS_PERIOD,
            ),
            *[key(k) for k in spec.inputs],
        ],
        description=description,
    )
    return partitioned_asset(
        compute,
        name=f"eval__{spec.name}",
        specs=[spec_],
        partitions_def=partitions_def,
        check_specs=[evaluation_check_spec(eval_key(spec.name))],
    )
