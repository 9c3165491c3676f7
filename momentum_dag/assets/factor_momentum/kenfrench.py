"""The Ken French branch of Ehsani-Linnainmaa (2022): TS/CS factor momentum, Table I, spanning tests of Mom
on the Fama-French factors + TSMom (and the reverse), GRS on momentum-sorted portfolios and Table VIII, on
French's MONTHLY factors.

Source: French's CSV files in ``MOMENTUM_KENFRENCH_DIR`` when set (every standard file present, whole
history - not the partition-clipped ``raw.factor_returns_monthly``), else the real 1949-01..2017-03 sample
shipped by ``linearmodels.datasets.french``. No PC factor momentum here: PC factors need DAILY factor
returns for the correlation matrix, and only monthly series exist in this branch.
"""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.factor_momentum.common import fm_params
from momentum_dag.assets.fidelity import page_comparison, sample_text
from momentum_dag.core.factor_momentum.study import kenfrench_study
from momentum_dag.core.factor_momentum.summaries import mean_t, page_statistics
from momentum_dag.core.fidelity import factor_momentum_figures
from momentum_dag.names import (
    FACTOR_MOMENTUM_NOTES,
    KF_FACTOR_MOMENTUM_KEY,
    KF_FACTOR_MOMENTUM_REPORT_KEY,
    group_of,
    kenfrench_fm_table,
)
from momentum_dag.reports.factor_momentum import factor_momentum_sections
from momentum_dag.reports.fidelity import OurSetup
from momentum_dag.reports.html import render_tables_report
from momentum_dag.settings import Settings
from momentum_dag.sources.kenfrench import (
    LINEARMODELS_LIMITS,
    kenfrench_inventory,
    load_kenfrench_daily,
    load_kenfrench_monthly,
)
from momentum_dag.storage import Warehouse

ASSET_NAME = "kenfrench_factor_momentum"
HEADLINE_NOTES = ("Sample: ", "Strategy factors: ", "Limits: ")  # shown in the page's first paragraph
KF_REPORT_SLUG = "factor_momentum_kenfrench"
MONTHLY_ONLY_NOTE = (
    "French's Mom (2x3 size x prior-return sort) is the momentum factor; it is excluded from the strategies. "
    "PC factor momentum (E-L Table IV) needs French's DAILY factor files (its PCs come from the correlation "
    "matrix of daily factor returns)."
)


@asset(
    key=KF_FACTOR_MOMENTUM_KEY,
    group_name=group_of(KF_FACTOR_MOMENTUM_KEY),
    kinds={"duckdb", "pandas"},
    description=(
        "Ehsani-Linnainmaa (2022) on Ken French's MONTHLY factors (MOMENTUM_KENFRENCH_DIR files, else the "
        "linearmodels.datasets.french 1949-2017 sample) on E-L's sample (MOMENTUM_FM_KF_SAMPLE_START/END, clipped "
        "to the data): TS/CS factor momentum on SMB, HML (+ RMW, CMA with the 5-factor file, + ST_Rev, LT_Rev "
        "with the reversal files), Mom excluded; Table I; Mom on Mkt-RF + factors (+ TSMom) and the reverse; GRS "
        "on momentum-sorted portfolios; Table VIII; PC factor momentum with French's daily factor files. Tables "
        "models.kenfrench_fm_{momentum, autocorrelation, spanning, grs, conditional, pc, files}."
    ),
)
def kenfrench_factor_momentum_asset(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    frame, label = load_kenfrench_monthly(settings.source.kenfrench_path)
    daily = load_kenfrench_daily(settings.source.kenfrench_path)
    tables, notes = kenfrench_study(frame, fm_params(settings), daily=daily)
    limits = [f"Limits: {LINEARMODELS_LIMITS}"] if settings.source.kenfrench_path is None else []
    notes = [f"Data source: {label}", MONTHLY_ONLY_NOTE, *limits, *notes]
    files = kenfrench_inventory(settings.source.kenfrench_path)
    results = warehouse.replace_tables(
        {**{kenfrench_fm_table(k): v for k, v in tables.items()}, kenfrench_fm_table("files"): files},
        notes_table=FACTOR_MOMENTUM_NOTES,
        asset=ASSET_NAME,
        notes=notes,
    )
    ts = tables["momentum"]["tsmom"].dropna()
    meta = {f"{t.split('.')[1]}_rows": MetadataValue.int(r.rows_written) for t, r in results.items()}
    meta |= {
        "data_source": MetadataValue.text(label),
        "months": MetadataValue.int(len(ts)),
        "notes": MetadataValue.md("\n".join(f"- {n}" for n in notes)),
    }
    if len(ts) > 1:
        mean, t = mean_t(ts)
        meta["tsmom_mean"] = MetadataValue.float(mean)
        meta["tsmom_t"] = MetadataValue.float(t)
    return MaterializeResult(metadata=meta)


@asset(
    key=KF_FACTOR_MOMENTUM_REPORT_KEY,
    deps=[KF_FACTOR_MOMENTUM_KEY],
    group_name=group_of(KF_FACTOR_MOMENTUM_REPORT_KEY),
    kinds={"html"},
    description=(
        "Factor momentum report page on Ken French's factors: sample, factors and files read, paper | ours, "
        "TS/CS momentum, Table I, PC momentum (with daily files), spanning tests."
    ),
)
def kenfrench_factor_momentum_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    notes = warehouse.read_notes(FACTOR_MOMENTUM_NOTES, ASSET_NAME)
    source = next((n.removeprefix("Data source: ") for n in notes if n.startswith("Data source: ")), "Ken French")
    momentum = warehouse.read_dated(kenfrench_fm_table("momentum"), "period_end")
    stats = page_statistics(
        momentum,
        warehouse.read_dated(kenfrench_fm_table("pc"), "period_end"),
        warehouse.table_or_none(kenfrench_fm_table("spanning")),
    )
    autocorrelation = warehouse.table_or_none(kenfrench_fm_table("autocorrelation"))
    factors = []
    if autocorrelation is not None and len(autocorrelation):
        factors = autocorrelation.loc[autocorrelation["role"] == "factor", "factor"].astype(str).tolist()
    comparison = page_comparison(
        warehouse,
        settings,
        KF_REPORT_SLUG,
        factor_momentum_figures(momentum, autocorrelation),
        OurSetup(
            sample=sample_text(momentum["tsmom"].dropna().index) if momentum is not None else "no months yet",
            universe="Ken French's US long-short factors",
            definition="the same TS and CS rules on 12-month averages",
            factors=f"{len(factors)} factors ({', '.join(factors)}; Mom excluded) against the paper's 20",
            data_source=source,
        ),
    )
    sections = factor_momentum_sections(
        intro=" ".join(
            [
                "Ehsani-Linnainmaa (2022) factor momentum on Ken French's factors.",
                *[n.rstrip(".") + "." for n in notes if n.startswith(HEADLINE_NOTES)],
                MONTHLY_ONLY_NOTE,
            ]
        ),
        stats=stats,
        autocorrelation=autocorrelation,
        grs=warehouse.table_or_none(kenfrench_fm_table("grs")),
        conditional=warehouse.table_or_none(kenfrench_fm_table("conditional")),
        pc_section=stats.pc is not None,
        neutral_section=False,
        notes=[n for n in notes if not n.startswith(("Data source: ", *HEADLINE_NOTES)) and n != MONTHLY_ONLY_NOTE],
    )
    files = warehouse.table_or_none(kenfrench_fm_table("files"))
    if files is not None and len(files):
        sections.append(("Ken French files the studies can use, and those read", files))
    page = render_tables_report(
        settings.reports_path,
        KF_REPORT_SLUG,
        "Factor momentum on Ken French monthly factors",
        sections,
        data_source=source,
        comparison=comparison,
    )
    return MaterializeResult(
        metadata={"report": MetadataValue.path(str(page.resolve())), "page": MetadataValue.url(page.resolve().as_uri())}
    )
