"""``reports/factor_momentum``: the Ehsani-Linnainmaa (2022) report page over the full warehouse history,
with the PC-momentum full-sample / first-half / second-half summary (``models.pc_factor_momentum_summary``,
computed here because it needs the whole sample). The page layout and charts are in
``reports.factor_momentum``."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.factor_momentum.common import fm_params
from momentum_dag.assets.fidelity import page_comparison, sample_text
from momentum_dag.core.factor_momentum.summaries import mean_t, page_statistics
from momentum_dag.core.fidelity import factor_momentum_figures
from momentum_dag.names import (
    AUTOCORRELATION,
    CONDITIONAL,
    FACTOR_MOMENTUM,
    FACTOR_MOMENTUM_KEY,
    FACTOR_MOMENTUM_NOTES,
    FACTOR_MOMENTUM_REPORT_KEY,
    GRS,
    NEUTRAL_KEY,
    NEUTRAL_MOMENTUM,
    PC_MOMENTUM,
    PC_MOMENTUM_KEY,
    PC_SUMMARY,
    SPANNING,
    SPANNING_KEY,
    group_of,
    key,
)
from momentum_dag.reports.factor_momentum import factor_momentum_sections, intro_text
from momentum_dag.reports.fidelity import OurSetup
from momentum_dag.reports.html import render_tables_report
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import Warehouse

REPORT_SLUG = "factor_momentum"
ASSET_NAME = "factor_momentum_report"
NOTE_ASSETS = ("factor_autocorrelation", "spanning_tests", ASSET_NAME)


@asset(
    key=FACTOR_MOMENTUM_REPORT_KEY,
    deps=[FACTOR_MOMENTUM_KEY, key(AUTOCORRELATION), PC_MOMENTUM_KEY, NEUTRAL_KEY, SPANNING_KEY],
    group_name=group_of(FACTOR_MOMENTUM_REPORT_KEY),
    kinds={"duckdb", "html"},
    description=(
        "Factor momentum report (Ehsani-Linnainmaa 2022): TS/CS factor momentum by half, Table I, PC factor "
        "momentum by eigenvalue group for the full sample and both halves (stored in "
        "models.pc_factor_momentum_summary), momentum-neutral factors, spanning tests, GRS, conditional "
        "correlations, and cumulative TS / CS / PC curves."
    ),
)
def factor_momentum_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    params = fm_params(settings)
    source = data_source(settings).label
    momentum = warehouse.read_dated(FACTOR_MOMENTUM, "period_end")
    neutral = warehouse.read_dated(NEUTRAL_MOMENTUM, "period_end")
    stats = page_statistics(
        momentum, warehouse.read_dated(PC_MOMENTUM, "period_end"), warehouse.table_or_none(SPANNING), neutral
    )
    notes: list[str] = []
    if stats.pc is None:
        notes.append("PC factor momentum has no month yet (needs pc_min_months of factor returns)")
    results = warehouse.replace_tables(
        {PC_SUMMARY: stats.pc_halves if stats.pc_halves is not None else pd.DataFrame()},
        notes_table=FACTOR_MOMENTUM_NOTES,
        asset=ASSET_NAME,
        notes=notes,
    )
    all_notes = [n for a in NOTE_ASSETS for n in warehouse.read_notes(FACTOR_MOMENTUM_NOTES, a)]
    autocorrelation = warehouse.table_or_none(AUTOCORRELATION)
    n_factors = None
    if momentum is not None and {"tsmom_n_long", "tsmom_n_short"} <= set(momentum.columns) and len(momentum):
        n_factors = (momentum["tsmom_n_long"] + momentum["tsmom_n_short"]).max()
    comparison = page_comparison(
        warehouse,
        settings,
        REPORT_SLUG,
        factor_momentum_figures(momentum, autocorrelation),
        OurSetup(
            sample=sample_text(momentum["tsmom"].dropna().index) if momentum is not None else "no months yet",
            universe="long-short factors built from the warehouse's stocks",
            definition=f"the same TS and CS rules on {params.lookback}-month averages",
            factors=(
                f"up to {int(n_factors)} factors from sources {', '.join(params.strategy_sources)} (paper: 20)"
                if n_factors is not None and pd.notna(n_factors)
                else f"sources {', '.join(params.strategy_sources)} (paper: 20 factors)"
            ),
            data_source=source,
        ),
    )
    sections = factor_momentum_sections(
        intro=intro_text(params, source),
        stats=stats,
        autocorrelation=autocorrelation,
        grs=warehouse.table_or_none(GRS),
        conditional=warehouse.table_or_none(CONDITIONAL),
        neutral_section=neutral is not None,
        notes=all_notes,
    )
    page = render_tables_report(
        settings.reports_path,
        REPORT_SLUG,
        "Factor momentum (Ehsani-Linnainmaa 2022)",
        sections,
        data_source=source,
        comparison=comparison,
    )
    meta = {
        "report": MetadataValue.path(str(page.resolve())),
        "page": MetadataValue.url(page.resolve().as_uri()),
        "pc_summary_rows": MetadataValue.int(results[PC_SUMMARY].rows_written),
    }
    if momentum is not None and len(momentum):
        mean, t = mean_t(momentum["tsmom"])
        meta["tsmom_mean"] = MetadataValue.float(mean)
        meta["tsmom_t"] = MetadataValue.float(t)
        meta["months"] = MetadataValue.int(int(momentum["tsmom"].notna().sum()))
    return MaterializeResult(metadata=meta)
