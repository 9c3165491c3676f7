"""The report index: every factor ranked by |annualized rank ICIR|, linking each factor's page."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes import CRASH_REPORTS
from momentum_dag.assets.factor_momentum import FACTOR_MOMENTUM_REPORTS
from momentum_dag.assets.factors import SUMMARY_TABLE
from momentum_dag.registry import FACTORS
from momentum_dag.reports.html import render_index
from momentum_dag.settings import get_settings
from momentum_dag.warehouse import Warehouse

# Non-factor report pages: (asset key, link text, page).
EXTRA_REPORTS: list[tuple[AssetKey, str, str]] = [*CRASH_REPORTS, *FACTOR_MOMENTUM_REPORTS]


@asset(
    key=["reports", "index"],
    deps=[AssetKey(["reports", spec.name]) for spec in FACTORS] + [key for key, _, _ in EXTRA_REPORTS],
    group_name="reports",
    kinds={"html"},
)
def report_index(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    """Index page ranking every factor (each window, equal-weighted row) by |annualized rank ICIR|."""
    settings = get_settings()
    summary = warehouse.query(f"select * from {SUMMARY_TABLE} where weighting = 'equal'")
    summary = summary.loc[summary.groupby("factor")["window"].transform("max") == summary["window"]]
    rows = summary.rename(columns={"factor": "factor_name"})
    page = render_index(
        settings.reports_dir,
        rows,
        data_source="synthetic" if settings.data_source == "synthetic" else settings.data_source,
        other_reports=[(text, href) for _, text, href in EXTRA_REPORTS],
    )
    return MaterializeResult(
        metadata={"index": MetadataValue.path(str(page.resolve())), "factors": MetadataValue.int(len(rows))}
    )
