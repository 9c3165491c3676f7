"""``eval/<name>``: per-period IC, rank IC and quantile returns of a registered factor.

A formation period's row needs the next period's returns, so a partition waits for the next period's data.
"""

from datetime import date, timedelta

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, PartitionsDefinition

from momentum_dag.assets.common import asset_spec, partitioned_asset, window_dates, write_metadata
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.evaluation.engine import FactorEvaluation, evaluate_factor
from momentum_dag.core.evaluation.tradability import tradable_mask
from momentum_dag.core.panels import compound_by_period, to_wide
from momentum_dag.names import eval_key, eval_periods_table, factor_key, factor_table, key
from momentum_dag.registry import FactorSpec, complete_weeks
from momentum_dag.settings import Settings
from momentum_dag.warehouse import Warehouse


def evaluation_inputs(panels: MarketPanels, spec: FactorSpec, settings: Settings) -> dict:
    """Forward returns over (t, t+1] on row t, cap weights at t and the tradability mask at t."""
    if spec.level == "stock":
        monthly = panels.stock_monthly("ret")
        forward = monthly.shift(-1)
        weights = panels.stock_monthly("float_mcap")
        tradable = tradable_at(panels, monthly.index, settings)
        return {"forward_returns": forward, "weights": weights, "tradable": tradable}
    daily = panels.industry_daily("ret_cw")
    period = complete_weeks(daily) if spec.frequency == "W" else compound_by_period(daily, "M")
    return {"forward_returns": period.shift(-1), "weights": None, "tradable": None}


def tradable_at(panels: MarketPanels, dates: pd.DatetimeIndex, settings: Settings) -> pd.DataFrame:
    """The A-share tradability mask at each formation date, with the filters the settings switch on."""
    filters = settings.filters

    def at(column: str) -> pd.DataFrame:
        return panels.stock_at_month_ends(column).reindex(dates)

    return tradable_mask(
        at("is_suspended"),
        at("is_st"),
        at("is_limit_up"),
        at("listed_days"),
        exclude_suspended=filters.suspended,
        exclude_st=filters.st,
        exclude_limit_up=filters.limit_up,
        min_listed_days=filters.min_listed_days,
    )


def _next_period_end(end: date, spec: FactorSpec) -> date:
    # read one more period (and a margin) for the forward returns of the window's last formation date
    return end + timedelta(days=10 if spec.frequency == "W" else 40)


def evaluate_rows(
    spec: FactorSpec, factor_rows: pd.DataFrame, panels: MarketPanels, settings: Settings, start: date, end: date
) -> pd.DataFrame:
    """Per-period evaluation (every window) of the factor rows with formation dates in [start, end).

    ``panels`` must reach one period past ``end`` for the last formation date's forward return; periods
    without one are left out.
    """
    inputs = evaluation_inputs(panels, spec, settings)
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


def build_evaluation_asset(spec: FactorSpec, partitions_def: PartitionsDefinition):
    """``eval/<name>``: per-period IC, rank IC and quantile returns of one factor."""

    def compute(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings):
        start, end = window_dates(context)
        table = factor_table(spec.name)
        factor_rows = warehouse.query_if_exists(
            table, f'select period_end, entity_id, "window", value from {table} where period_end < ?', [end]
        )
        if factor_rows is None:  # no value yet in any materialized window (e.g. still warming up)
            factor_rows = pd.DataFrame({"period_end": [], "entity_id": [], "window": [], "value": []})
        panels = MarketPanels(warehouse, end=_next_period_end(end, spec))
        per_period = evaluate_rows(spec, factor_rows, panels, settings, start, end)
        result = warehouse.write_window(
            eval_periods_table(spec.name), per_period, date_column="period_end", start=start, end=end
        )
        headline = {}
        if len(per_period):
            headline = {
                "rank_ic_mean": float(per_period["rank_ic"].mean()),
                "ic_mean": float(per_period["ic"].mean()),
                "long_short_ew_mean": float(per_period["long_short_ew"].mean()),
            }
        yield MaterializeResult(asset_key=eval_key(spec.name), metadata=write_metadata(result, **headline))

    description = (
        f"Per formation period of {spec.name}: IC (Pearson) and rank IC (Spearman) vs the next period's "
        f"return, {spec.n_quantiles} quantile portfolio returns (equal- and cap-weighted for stocks), long-short "
        "(top - bottom), long-only excess (top - universe) and top-quantile turnover."
    )
    spec_ = asset_spec(
        eval_key(spec.name),
        deps=[factor_key(spec.name), *[key(k) for k in spec.inputs]],
        description=description,
        group="evaluation",
    )
    return partitioned_asset(compute, name=f"eval__{spec.name}", specs=[spec_], partitions_def=partitions_def)
