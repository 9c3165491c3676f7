"""``reports/<name>``: a registered factor's full-history summary rows in ``eval.summary`` and its page."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.common import as_metadata
from momentum_dag.assets.fidelity import page_comparison, sample_text, universe_text
from momentum_dag.core.evaluation.costs import DEFAULT_COST_BPS
from momentum_dag.core.evaluation.engine import FactorEvaluation
from momentum_dag.core.fidelity import factor_figures
from momentum_dag.names import EVAL_SUMMARY, eval_key, eval_periods_table, group_of, report_key
from momentum_dag.registry import FactorSpec
from momentum_dag.reports.fidelity import OurSetup
from momentum_dag.reports.html import render_factor_report
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import Warehouse, replace_rows


def factor_summaries(spec: FactorSpec, per_period: pd.DataFrame, cost_bps: float = DEFAULT_COST_BPS) -> pd.DataFrame:
    """One ``eval.summary`` row per factor x window x weighting over the full history (net figures at
    ``cost_bps`` per unit of turnover)."""
    rows = []
    weightings = ("equal", "cap") if "long_short_cw" in per_period.columns else ("equal",)
    for window, table in per_period.groupby("window"):
        table = table.sort_values("period_end").reset_index(drop=True)
        evaluation = FactorEvaluation(table, spec.n_quantiles, spec.periods_per_year, weightings)
        for summary in evaluation.summaries(cost_bps):
            rows.append(
                {
                    "factor": spec.name,
                    "level": spec.level,
                    "frequency": spec.frequency,
                    "window": int(window),
                    **summary,
                }
            )
    return pd.DataFrame(rows)


def build_report_asset(spec: FactorSpec):
    """``reports/<name>``: full-history summary rows in ``eval.summary`` and the factor's HTML page."""

    @asset(
        key=report_key(spec.name),
        deps=[eval_key(spec.name)],
        description=(
            f"Full-history evaluation of {spec.name}: one eval.summary row per window and weighting (IC mean, "
            "ICIR and annualized ICIR, IC>0 share, annualized long-short and long-only excess return, "
            "long-short Sharpe, monotonicity, max drawdown, turnover) and the HTML report."
        ),
        group_name=group_of(report_key(spec.name)),
        kinds={"duckdb", "html"},
    )
    def _report(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings) -> MaterializeResult:
        table = eval_periods_table(spec.name)
        per_period = warehouse.query_if_exists(table, f'select * from {table} order by "window", period_end')
        if per_period is None or per_period.empty:
            context.log.warning(f"{spec.name}: no evaluated period yet (warm-up longer than the history?)")
            return MaterializeResult(metadata={"status": MetadataValue.text("warm-up: no evaluated period yet")})
        per_period["period_end"] = pd.to_datetime(per_period["period_end"])
        label = data_source(settings).label
        summary = factor_summaries(spec, per_period, settings.evaluation.cost_bps).assign(data_source=label)
        with warehouse.get_connection() as conn:
            result = replace_rows(conn, EVAL_SUMMARY, summary, key_column="factor", key_value=spec.name)
        # the page shows the longest window that has evaluated periods; eval.summary has them all
        main_window = int(per_period["window"].max())
        main_summaries = [
            r for r in summary.drop(columns="data_source").to_dict("records") if r["window"] == main_window
        ]
        comparison = page_comparison(
            warehouse,
            settings,
            spec.name,
            factor_figures(main_summaries, spec.periods_per_year),
            OurSetup(
                sample=sample_text(per_period["period_end"]),
                universe=universe_text(settings),
                definition=(
                    f"{spec.n_quantiles} quantiles, long-short = top minus bottom (not halved), long-only excess = "
                    "top minus the mean of all evaluated names, annualized as mean x 12"
                ),
                data_source=label,
            ),
        )
        page = render_factor_report(
            settings.reports_path,
            spec.name,
            title=f"{spec.name} ({spec.level}, {'monthly' if spec.frequency == 'M' else 'weekly'})",
            description=spec.description,
            params={
                "windows": ", ".join(map(str, spec.windows)),
                "report window": main_window,
                "quantiles": spec.n_quantiles,
                "periods per year": spec.periods_per_year,
            },
            per_period=per_period[per_period["window"] == main_window].drop(columns="window").reset_index(drop=True),
            summaries=main_summaries,
            data_source=label,
            paper=spec.paper,
            comparison=comparison,
            cost_bps=settings.evaluation.cost_bps,
            queries={
                "summary": (
                    f"select * exclude (data_source) from {EVAL_SUMMARY}\n"
                    f"where factor = '{spec.name}' and \"window\" = {main_window}\norder by weighting desc"
                ),
                "per_period": (
                    f'select * exclude ("window") from {table}\nwhere "window" = {main_window}\norder by period_end'
                ),
            },
        )
        headline = summary[(summary["window"] == main_window) & (summary["weighting"] == "equal")].iloc[0]
        return MaterializeResult(
            metadata={
                "rows_written": MetadataValue.int(result.rows_written),
                "report": MetadataValue.path(str(page.resolve())),
                "page": MetadataValue.url(page.resolve().as_uri()),
                **as_metadata(
                    {
                        name: float(headline[name])
                        for name in (
                            "rank_ic_mean",
                            "rank_icir_annualized",
                            "long_short_sharpe",
                            "long_short_net_sharpe",
                        )
                    }
                ),
                "summary": MetadataValue.md(summary.drop(columns=["data_source"]).round(4).to_markdown(index=False)),
            },
        )

    return _report
