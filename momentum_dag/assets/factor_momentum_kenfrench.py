"""The Ken French branch of Ehsani-Linnainmaa (2022): TS/CS factor momentum, Table I, spanning tests of
Mom on the Fama-French factors + TSMom (and the reverse), GRS on momentum-sorted portfolios and Table VIII,
on French's MONTHLY factors.

Source: French's CSV files in ``settings.kenfrench_dir`` when set (every standard file present, whole
history - not the partition-clipped ``raw.factor_returns_monthly``), else the real 1949-01..2017-03 sample
shipped by ``linearmodels.datasets.french`` (MktRF, SMB, HML, Mom, RF, 12 industries, 3x3 size x value and
size x momentum portfolios). No PC factor momentum here: PC factors need DAILY factor returns for the
correlation matrix, and only monthly series exist in this branch.
"""

import re
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.factor_momentum_common import (
    KF_KEY,
    KF_PREFIX,
    KF_REPORT_KEY,
    KF_REPORT_SLUG,
    FactorMomentumParams,
    SpanningInputs,
    autocorrelation_table,
    fm_params,
    momentum_frame,
    momentum_rows,
    read_dated,
    read_notes,
    replace_tables,
    spanning_tables,
    table_or_none,
)
from momentum_dag.assets.factor_momentum_models import consecutive_months
from momentum_dag.assets.factor_momentum_report import factor_momentum_sections
from momentum_dag.reports.html import render_tables_report
from momentum_dag.settings import Settings, get_settings
from momentum_dag.sources.kenfrench import factor_returns_from_directory, load_linearmodels_french
from momentum_dag.warehouse import Warehouse

GROUP = "factor_momentum"
ASSET_NAME = "kenfrench_factor_momentum"
KF_TABLES = {
    name: f"{KF_PREFIX}{name}" for name in ("momentum", "autocorrelation", "spanning", "grs", "conditional")
}
MONTHLY_ONLY_NOTE = (
    "Monthly data only: no PC factor momentum in the Ken French branch (E-L's PC factors come from the "
    "correlation matrix of DAILY factor returns). French's Mom (2x3 size x prior-return sort) is the "
    "momentum "
    "factor; it is excluded from the strategies."
)
FF5 = ("ff5_SMB", "ff5_HML", "ff5_RMW", "ff5_CMA")
FF3 = ("SMB", "HML")
MARKET = ("ff5_Mkt-RF", "Mkt-RF", "MktRF")
SIZE_MOMENTUM = re.compile(r"^S\dM\d$")


def kenfrench_frame(settings: Settings) -> tuple[pd.DataFrame, str]:
    """Wide monthly French series (month_end x column, decimals) and a data-source label."""
    if settings.kenfrench_dir is not None:
        rows = factor_returns_from_directory(settings.kenfrench_dir)
        wide = rows.pivot(index="month_end", columns="factor", values="ret")
        wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="month_end")
        wide.columns.name = None
        return wide.sort_index(), f"Ken French data library files in {settings.kenfrench_dir}"
    frame = load_linearmodels_french()
    span = f"{frame.index.min():%Y-%m}..{frame.index.max():%Y-%m}"
    return frame, f"Ken French data library, monthly sample shipped by linearmodels.datasets.french ({span})"


def kenfrench_inputs(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, SpanningInputs, list[str]]:
    """(strategy factors, momentum factor, spanning inputs, notes) from French's wide monthly series.

    Strategy factors: the 5-factor SMB, HML, RMW, CMA when the 5-factor file is present, else the 3-factor
    SMB, HML (one size and one value factor, never both versions). Test assets: the prior (12-2) deciles
    when present, else the nine size x momentum portfolios, minus RF.
    """
    notes = [MONTHLY_ONLY_NOTE]
    names = [c for c in FF5 if c in frame] or [c for c in FF3 if c in frame]
    if not names:
        raise ValueError(
            f"Ken French data has none of the factors {FF5 + FF3}; columns: {list(frame.columns)}"
        )
    if len(names) < 3:
        notes.append(
            f"only {len(names)} strategy factors ({', '.join(names)}): XS momentum is long one, short one"
        )
    if "Mom" not in frame:
        raise ValueError("Ken French data has no Mom column (F-F_Momentum_Factor.CSV)")
    market = next((c for c in MARKET if c in frame), None)
    rf = next((c for c in ("RF", "ff5_RF") if c in frame), None)
    if market is None or rf is None:
        raise ValueError("Ken French data needs the market excess return (Mkt-RF/MktRF) and RF")
    frame = consecutive_months(frame.astype(float))
    factors, momentum = frame[names], frame[["Mom"]]
    deciles = [c for c in frame.columns if c.startswith("prior_12_2_")]
    test_label = "prior (12-2) deciles"
    if not deciles:
        deciles, test_label = (
            [c for c in frame.columns if SIZE_MOMENTUM.match(c)],
            "3x3 size x momentum portfolios",
        )
    test_assets = frame[deciles].sub(frame[rf], axis=0) if deciles else None
    notes.append(
        f"GRS test assets: {test_label} minus RF" if deciles else "no momentum-sorted portfolios: no GRS"
    )
    ff = pd.concat([frame[market].rename("mkt_rf"), factors], axis=1)
    inputs = SpanningInputs({"Mom": frame["Mom"]}, ff, {}, test_assets, factors)
    return factors, momentum, inputs, notes


def kenfrench_analyses(
    frame: pd.DataFrame, params: FactorMomentumParams
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """Tables by short name (see ``KF_TABLES``) and notes."""
    factors, momentum, inputs, notes = kenfrench_inputs(frame)
    fm = momentum_frame(factors, params)
    inputs.factor_momentum = {"tsmom": fm["tsmom"]} if len(fm) else {}
    tables, more = spanning_tables(inputs, params)
    return {
        "momentum": momentum_rows(fm),
        "autocorrelation": autocorrelation_table(factors, momentum, params),
        **tables,
    }, notes + more


@asset(
    key=KF_KEY,
    group_name=GROUP,
    kinds={"duckdb", "pandas"},
    description=(
        "Ehsani-Linnainmaa (2022) on Ken French's MONTHLY factors (settings.kenfrench_dir files, else the "
        "linearmodels.datasets.french 1949-2017 sample): TS/CS factor momentum on SMB, HML (+ RMW, CMA with "
        "the "
        "5-factor file), Mom excluded; Table I; Mom on Mkt-RF + factors (+ TSMom) and the reverse; GRS on "
        "momentum-sorted portfolios; Table VIII. No PC factors (monthly data only). Tables "
        "models.kenfrench_fm_{momentum, autocorrelation, spanning, grs, conditional}."
    ),
)
def kenfrench_factor_momentum_asset(
    context: AssetExecutionContext, warehouse: Warehouse
) -> MaterializeResult:
    settings = get_settings()
    frame, label = kenfrench_frame(settings)
    tables, notes = kenfrench_analyses(frame, fm_params(settings))
    notes = [f"Data source: {label}", *notes]
    counts = replace_tables(
        warehouse, {KF_TABLES[k]: v for k, v in tables.items()}, asset=ASSET_NAME, notes=notes
    )
    ts = tables["momentum"]["tsmom"].dropna()
    meta = {f"{t.split('.')[1]}_rows": MetadataValue.int(n) for t, n in counts.items()}
    meta |= {
        "data_source": MetadataValue.text(label),
        "months": MetadataValue.int(len(ts)),
        "notes": MetadataValue.md("\n".join(f"- {n}" for n in notes)),
    }
    if len(ts) > 1:
        meta["tsmom_mean"] = MetadataValue.float(float(ts.mean()))
        meta["tsmom_t"] = MetadataValue.float(float(ts.mean() / (ts.std(ddof=1) / len(ts) ** 0.5)))
    return MaterializeResult(metadata=meta)


@asset(
    key=KF_REPORT_KEY,
    deps=[KF_KEY],
    group_name="reports",
    kinds={"html"},
    description="Factor momentum report page on Ken French's monthly factors (no PC factors: monthly only).",
)
def kenfrench_factor_momentum_report(
    context: AssetExecutionContext, warehouse: Warehouse
) -> MaterializeResult:
    settings = get_settings()
    notes = read_notes(warehouse, ASSET_NAME)
    source = next(
        (n.removeprefix("Data source: ") for n in notes if n.startswith("Data source: ")), "Ken French"
    )
    momentum = read_dated(warehouse, KF_TABLES["momentum"], "period_end")
    sections = factor_momentum_sections(
        out_dir=Path(settings.reports_dir),
        slug=KF_REPORT_SLUG,
        intro=(
            "Ehsani-Linnainmaa (2022) factor momentum on Ken French's monthly factors. " + MONTHLY_ONLY_NOTE
        ),
        momentum=momentum,
        autocorrelation=table_or_none(warehouse, KF_TABLES["autocorrelation"]),
        spanning=table_or_none(warehouse, KF_TABLES["spanning"]),
        grs=table_or_none(warehouse, KF_TABLES["grs"]),
        conditional=table_or_none(warehouse, KF_TABLES["conditional"]),
        notes=[n for n in notes if not n.startswith("Data source: ") and n != MONTHLY_ONLY_NOTE],
    )
    page = render_tables_report(
        Path(settings.reports_dir),
        KF_REPORT_SLUG,
        "Factor momentum on Ken French monthly factors",
        sections,
        data_source=source,
    )
    return MaterializeResult(metadata={"report": MetadataValue.path(str(page.resolve()))})


KENFRENCH_ASSETS = [kenfrench_factor_momentum_asset, kenfrench_factor_momentum_report]
