"""``reports/index``: every factor ranked by |annualized rank ICIR|, linking each factor's page and the
two studies' pages."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes import CRASH_REPORTS
from momentum_dag.assets.factor_momentum import FACTOR_MOMENTUM_REPORTS
from momentum_dag.names import EVAL_SUMMARY, PUBLISHED_COMPARISON, REPORT_INDEX_KEY, group_of, report_key
from momentum_dag.registry import FACTORS
from momentum_dag.reports.fidelity import index_block
from momentum_dag.reports.html import render_index
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source_label
from momentum_dag.storage import Warehouse

# Non-factor report pages: (asset key, link text, page).
EXTRA_REPORTS: list[tuple[AssetKey, str, str]] = [*CRASH_REPORTS, *FACTOR_MOMENTUM_REPORTS]


@asset(
    key=REPORT_INDEX_KEY,
    deps=[report_key(spec.name) for spec in FACTORS] + [key for key, _, _ in EXTRA_REPORTS],
    group_name=group_of(REPORT_INDEX_KEY),
    kinds={"html"},
)
def report_index(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings) -> MaterializeResult:
    """Index page ranking every factor (each window, equal-weighted row) by |annualized rank ICIR|."""
    summary = warehouse.query(f"select * from {EVAL_SUMMARY} where weighting = 'equal'")
    summary = summary.loc[summary.groupby("factor")["window"].transform("max") == summary["window"]]
    rows = summary.rename(columns={"factor": "factor_name"})
    page = render_index(
        settings.reports_path,
        rows,
        data_source=data_source_label(settings),
        other_reports=[(text, href) for _, text, href in EXTRA_REPORTS],
        fidelity=index_block(warehouse.table_or_none(PUBLISHED_COMPARISON), settings.published_figures),
    )
    return MaterializeResult(
        metadata={"index": MetadataValue.path(str(page.resolve())), "factors": MetadataValue.int(len(rows))}
    )
