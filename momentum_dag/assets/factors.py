"""Factor-panel, evaluation and report assets, generated from the registry (``momentum_dag/registry.py``).

Per registered factor ``f``:
- ``factors/f`` (partitioned): the long panel ``factors.f`` (period_end, entity_id, window, value, ...);
- ``eval/f`` (partitioned): IC, rank IC and quantile returns per formation period in ``eval.f_periods``;
  a period's row needs the next period's returns, so a partition waits for the next period's data;
- ``reports/f`` (unpartitioned): the full-history summary rows in ``eval.summary`` and the HTML page.
"""

from datetime import date, timedelta

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from momentum_dag.assets.common import in_window, window_dates, write_metadata
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.evaluation.engine import FactorEvaluation, evaluate_factor
from momentum_dag.core.panels import compound_by_period, to_wide
from momentum_dag.jobs import WEEKLY_TAG
from momentum_dag.partitions import monthly_partitions, weekly_partitions
from momentum_dag.registry import FACTORS, FactorSpec, complete_weeks
from momentum_dag.reports.html import render_factor_report
from momentum_dag.settings import Settings, get_settings
from momentum_dag.sources import data_source_label
from momentum_dag.warehouse import Warehouse, replace_rows

SUMMARY_TABLE = "eval.summary"


def _key(path: str) -> AssetKey:
    return AssetKey(path.split("/"))


def _partitions(spec: FactorSpec):
    return weekly_partitions if spec.frequency == "W" else monthly_partitions


def _tags(spec: FactorSpec):
    return WEEKLY_TAG if spec.frequency == "W" else None


def _coverage(rows: pd.DataFrame, universe: int) -> float:
    if rows.empty or universe == 0:
        return 0.0
    per_period = rows.groupby(["period_end", "window"])["entity_id"].nunique()
    return float(per_period.mean() / universe)


# ---- factor panels ---------------------------------------------------------------------------------


def build_factor_asset(spec: FactorSpec):
    """``factors/<name>`` (+ its side tables, e.g. ``models/dmom_lpm``) for one registered factor."""
    specs = [
        AssetSpec(
            ["factors", spec.name],
            deps=[_key(k) for k in spec.inputs],
            description=f"{spec.description}\n\nSource: {spec.paper}",
            group_name="factors",
            kinds={"duckdb", "pandas"},
            partitions_def=_partitions(spec),
            tags=_tags(spec),
            metadata={"level": spec.level, "frequency": spec.frequency, "windows": str(spec.windows)},
        ),
        *[
            AssetSpec(
                table.split("."),
                deps=[AssetKey(["factors", spec.name])],
                description=f"Model estimates behind {spec.name}, one set per formation month.",
                group_name="models",
                kinds={"duckdb"},
                partitions_def=_partitions(spec),
                tags=_tags(spec),
            )
            for table in spec.side_tables
        ],
    ]

    @multi_asset(
        specs=specs,
        name=f"factor__{spec.name}",
        partitions_def=_partitions(spec),
        backfill_policy=BackfillPolicy.single_run(),
        can_subset=False,
    )
    def _factor(context: AssetExecutionContext, warehouse: Warehouse):
        settings = get_settings()
        start, end = window_dates(context)
        panels = MarketPanels(warehouse, end=end, formation_start=start)
        panel, side = compute_factor(spec, panels, settings, start, end)
        result = warehouse.write_window(f"factors.{spec.name}", panel, date_column="period_end", start=start, end=end)
        universe = _universe_size(panels, spec)
        yield MaterializeResult(
            asset_key=["factors", spec.name],
            metadata=write_metadata(
                result, coverage=_coverage(panel, universe), data_source=data_source_label(settings)
            ),
        )
        for table, frame in side.items():
            side_result = warehouse.write_window(table, frame, date_column="period_end", start=start, end=end)
            yield MaterializeResult(asset_key=table.split("."), metadata=write_metadata(side_result))

    return _factor


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


# ---- evaluation ------------------------------------------------------------------------------------


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
    """A-share tradability at each formation date (DESIGN section 8): True = may enter a portfolio."""
    filters = settings.filters

    def at(column: str) -> pd.DataFrame:
        return panels.stock_at_month_ends(column).reindex(dates)

    suspended = at("is_suspended")
    tradable = suspended.notna()
    if filters.exclude_suspended:
        tradable &= suspended.fillna(True).eq(False)
    if filters.exclude_st:
        tradable &= at("is_st").fillna(True).eq(False)
    if filters.exclude_limit_up:
        tradable &= at("is_limit_up").fillna(True).eq(False)
    if filters.min_listed_days > 0:
        tradable &= at("listed_days").fillna(0) >= filters.min_listed_days
    return tradable.astype(bool)


def _next_period_end(end: date, spec: FactorSpec) -> date:
    # read one more period (and a margin) for the forward returns of the window's last formation date
    return end + timedelta(days=10 if spec.frequency == "W" else 40)


def build_evaluation_asset(spec: FactorSpec):
    """``eval/<name>``: per-period IC, rank IC and quantile returns of one factor."""

    @multi_asset(
        specs=[
            AssetSpec(
                ["eval", spec.name],
                deps=[AssetKey(["factors", spec.name]), *[_key(k) for k in spec.inputs]],
                description=(
                    f"Per formation period of {spec.name}: IC (Pearson) and rank IC (Spearman) vs the next "
                    f"period's return, {spec.n_quantiles} quantile portfolio returns (equal- and cap-weighted for "
                    "stocks), long-short (top - bottom), long-only excess (top - universe) and top-quantile turnover."
                ),
                group_name="evaluation",
                kinds={"duckdb", "pandas"},
                partitions_def=_partitions(spec),
                tags=_tags(spec),
            )
        ],
        name=f"eval__{spec.name}",
        partitions_def=_partitions(spec),
        backfill_policy=BackfillPolicy.single_run(),
    )
    def _evaluation(context: AssetExecutionContext, warehouse: Warehouse):
        settings = get_settings()
        start, end = window_dates(context)
        factor_rows = warehouse.query_if_exists(
            f"factors.{spec.name}",
            f"select period_end, entity_id, \"window\", value from factors.{spec.name} where period_end < ?",
            [end],
        )
        if factor_rows is None:  # no value yet in any materialized window (e.g. still warming up)
            factor_rows = pd.DataFrame({"period_end": [], "entity_id": [], "window": [], "value": []})
        panels = MarketPanels(warehouse, end=_next_period_end(end, spec))
        per_period = evaluate_rows(spec, factor_rows, panels, settings, start, end)
        result = warehouse.write_window(
            f"eval.{spec.name}_periods", per_period, date_column="period_end", start=start, end=end
        )
        headline = {}
        if len(per_period):
            headline = {
                "rank_ic_mean": float(per_period["rank_ic"].mean()),
                "ic_mean": float(per_period["ic"].mean()),
                "long_short_ew_mean": float(per_period["long_short_ew"].mean()),
            }
        yield MaterializeResult(asset_key=["eval", spec.name], metadata=write_metadata(result, **headline))

    return _evaluation


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


# ---- reports ---------------------------------------------------------------------------------------


def factor_summaries(spec: FactorSpec, per_period: pd.DataFrame) -> pd.DataFrame:
    """One ``eval.summary`` row per factor x window x weighting over the full history."""
    rows = []
    weightings = ("equal", "cap") if "long_short_cw" in per_period.columns else ("equal",)
    for window, table in per_period.groupby("window"):
        table = table.sort_values("period_end").reset_index(drop=True)
        evaluation = FactorEvaluation(table, spec.n_quantiles, spec.periods_per_year, weightings)
        for summary in evaluation.summaries():
            rows.append({"factor": spec.name, "level": spec.level, "frequency": spec.frequency,
                         "window": int(window), **summary})
    return pd.DataFrame(rows)


def build_report_asset(spec: FactorSpec):
    """``reports/<name>``: full-history summary rows in ``eval.summary`` and the factor's HTML page."""

    @multi_asset(
        specs=[
            AssetSpec(
                ["reports", spec.name],
                deps=[AssetKey(["eval", spec.name])],
                description=(
                    f"Full-history evaluation of {spec.name}: one eval.summary row per window and weighting "
                    "(IC mean, ICIR and annualized ICIR, IC>0 share, annualized long-short and long-only excess "
                    "return, long-short Sharpe, monotonicity, max drawdown, turnover) and the HTML report."
                ),
                group_name="reports",
                kinds={"duckdb", "html"},
            )
        ],
        name=f"report__{spec.name}",
    )
    def _report(context: AssetExecutionContext, warehouse: Warehouse):
        settings = get_settings()
        per_period = warehouse.query_if_exists(
            f"eval.{spec.name}_periods", f"select * from eval.{spec.name}_periods order by \"window\", period_end"
        )
        if per_period is None or per_period.empty:
            context.log.warning(f"{spec.name}: no evaluated period yet (warm-up longer than the history?)")
            yield MaterializeResult(asset_key=["reports", spec.name], metadata={"evaluated_periods": 0})
            return
        per_period["period_end"] = pd.to_datetime(per_period["period_end"])
        summary = factor_summaries(spec, per_period).assign(data_source=data_source_label(settings))
        with warehouse.get_connection() as conn:
            result = replace_rows(conn, SUMMARY_TABLE, summary, key_column="factor", key_value=spec.name)
        # the page shows the longest window that has evaluated periods; eval.summary has them all
        main_window = int(per_period["window"].max())
        page = render_factor_report(
            settings.reports_dir,
            spec.name,
            title=f"{spec.name} ({spec.level}, {'monthly' if spec.frequency == 'M' else 'weekly'})",
            description=spec.description,
            params={"windows": ", ".join(map(str, spec.windows)), "report window": main_window,
                    "quantiles": spec.n_quantiles, "periods per year": spec.periods_per_year},
            per_period=per_period[per_period["window"] == main_window].drop(columns="window").reset_index(drop=True),
            summaries=[r for r in factor_summaries(spec, per_period).to_dict("records") if r["window"] == main_window],
            data_source="synthetic" if settings.data_source == "synthetic" else settings.data_source,
            paper=spec.paper,
        )
        headline = summary[(summary["window"] == main_window) & (summary["weighting"] == "equal")].iloc[0]
        yield MaterializeResult(
            asset_key=["reports", spec.name],
            metadata={
                "rows_written": MetadataValue.int(result.rows_written),
                "report": MetadataValue.path(str(page.resolve())),
                "rank_ic_mean": MetadataValue.float(float(headline["rank_ic_mean"])),
                "rank_icir_annualized": MetadataValue.float(float(headline["rank_icir_annualized"])),
                "long_short_sharpe": MetadataValue.float(float(headline["long_short_sharpe"])),
                "summary": MetadataValue.md(summary.drop(columns=["data_source"]).round(4).to_markdown(index=False)),
            },
        )

    return _report


def build_factor_assets() -> list:
    assets = []
    for spec in FACTORS:
        assets += [build_factor_asset(spec), build_evaluation_asset(spec), build_report_asset(spec)]
    return assets

