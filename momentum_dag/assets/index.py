"""``reports/index``: every factor ranked by |annualized rank ICIR| over ONE common sample, linking each
factor's page and the two studies' pages, and the comparison page (chosen factors over a sample the reader
picks)."""

from datetime import date

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes import CRASH_REPORTS
from momentum_dag.assets.factor_momentum import FACTOR_MOMENTUM_REPORTS
from momentum_dag.core.evaluation.costs import net_of_cost
from momentum_dag.core.evaluation.engine import FactorEvaluation
from momentum_dag.names import PUBLISHED_COMPARISON, REPORT_INDEX_KEY, eval_periods_table, group_of, report_key
from momentum_dag.registry import FACTORS, FactorSpec
from momentum_dag.reports.fidelity import index_block
from momentum_dag.reports.html import render_compare, render_index
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.storage import Warehouse

# Non-factor report pages: (asset key, link text, page).
EXTRA_REPORTS: list[tuple[AssetKey, str, str]] = [*CRASH_REPORTS, *FACTOR_MOMENTUM_REPORTS]
# Factors checked on the comparison page when it opens: the strongest of the index.
COMPARE_DEFAULT_COUNT = 4


def main_window_periods(warehouse: Warehouse, spec: FactorSpec) -> pd.DataFrame | None:
    """The factor's evaluated periods in its longest window (the one its page and the index show)."""
    table = eval_periods_table(spec.name)
    rows = warehouse.query_if_exists(
        table, f'select * from {table} where "window" = (select max("window") from {table}) order by period_end'
    )
    if rows is None or rows.empty:
        return None
    return rows.assign(period_end=pd.to_datetime(rows["period_end"]))


def common_sample(periods: dict[str, pd.DataFrame], bounds: tuple[date | None, date | None]) -> tuple[str, str, str]:
    """(first month, last month, why) of the sample every factor is compared on: by default the longest
    period all of them cover (latest first month to earliest last month), else the settings' bounds."""
    first = max(frame["period_end"].min() for frame in periods.values()).strftime("%Y-%m")
    last = min(frame["period_end"].max() for frame in periods.values()).strftime("%Y-%m")
    start, end = bounds
    if start is None and end is None:
        return first, last, f"the longest period all {len(periods)} factors share"
    chosen_start = start.strftime("%Y-%m") if start else first
    chosen_end = end.strftime("%Y-%m") if end else last
    return chosen_start, chosen_end, "set by MOMENTUM_COMPARE_START / MOMENTUM_COMPARE_END"


def in_months(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    months = frame["period_end"].dt.strftime("%Y-%m")
    return frame[(months >= start) & (months <= end)].reset_index(drop=True)


def sample_summary(spec: FactorSpec, rows: pd.DataFrame, cost_bps: float) -> dict:
    """The equal-weighted summary of ``rows`` (one factor's periods in the sample)."""
    evaluation = FactorEvaluation(rows, spec.n_quantiles, spec.periods_per_year, ("equal",))
    return evaluation.summary("equal", cost_bps)


def comparison_query(specs: list[FactorSpec], cost_bps: float) -> str:
    """The DuckDB query behind the comparison (and index) figures; ``{factors}``, ``{start}``, ``{end}``
    are filled in by the page."""
    union = "\n  union all\n".join(
        f"  select '{s.name}' as factor, {s.periods_per_year} as ppy, period_end, rank_ic, long_short_ew, "
        f'long_short_turnover_ew\n  from {eval_periods_table(s.name)} where "window" = {max(s.windows)}'
        for s in specs
    )
    return (
        f"with periods as (\n{union}\n)\n"
        "select factor, count(rank_ic) as periods, min(period_end) as first, max(period_end) as last,\n"
        "  avg(rank_ic) as rank_ic_mean, avg(rank_ic) / stddev_samp(rank_ic) * sqrt(any_value(ppy)) as "
        "rank_icir_annualized,\n"
        "  avg(long_short_ew) * any_value(ppy) as long_short_ann_return,\n"
        "  avg(long_short_ew) / stddev_samp(long_short_ew) * sqrt(any_value(ppy)) as long_short_sharpe,\n"
        f"  avg(long_short_ew - {cost_bps:g} * 1e-4 * long_short_turnover_ew) * any_value(ppy) as "
        "long_short_net_ann_return,\n"
        f"  avg(long_short_ew - {cost_bps:g} * 1e-4 * long_short_turnover_ew)\n"
        f"    / stddev_samp(long_short_ew - {cost_bps:g} * 1e-4 * long_short_turnover_ew) * sqrt(any_value(ppy)) "
        "as long_short_net_sharpe\n"
        "from periods\n"
        "where factor in ({factors}) and period_end between date '{start}' and last_day(date '{end}')\n"
        "group by factor order by factor"
    )


@asset(
    key=REPORT_INDEX_KEY,
    deps=[report_key(spec.name) for spec in FACTORS] + [key for key, _, _ in EXTRA_REPORTS],
    group_name=group_of(REPORT_INDEX_KEY),
    kinds={"html"},
)
def report_index(context: AssetExecutionContext, warehouse: Warehouse, settings: Settings) -> MaterializeResult:
    """The index page ranking every factor (longest window, equal-weighted) by |annualized
    rank ICIR| over one common sample, and the comparison page (chosen factors overlaid over a sample the
    reader sets)."""
    periods = {spec.name: rows for spec in FACTORS if (rows := main_window_periods(warehouse, spec)) is not None}
    specs = [spec for spec in FACTORS if spec.name in periods]
    if not specs:
        context.log.warning("no factor has an evaluated period yet: the index is empty")
        return MaterializeResult(metadata={"status": MetadataValue.text("no evaluated factor yet")})
    start, end, why = common_sample(periods, settings.evaluation.compare_bounds)
    source = data_source(settings)
    records = []
    for spec in specs:
        rows = in_months(periods[spec.name], start, end)
        summary = (
            sample_summary(spec, rows, settings.evaluation.cost_bps)
            if len(rows) > 1
            else {"rank_icir_annualized": None}
        )
        records.append(
            {
                "factor_name": spec.name,
                "frequency": spec.frequency,
                **summary,
                "window": max(spec.windows),
            }
        )
    rows = pd.DataFrame(records).drop(columns=["weighting"], errors="ignore")
    sample = (
        f"{start} to {end} ({why}). Every figure below is computed on the periods of this sample only; each "
        "factor's own page covers its whole history. Change it with MOMENTUM_COMPARE_START / "
        "MOMENTUM_COMPARE_END, or pick a sample and factors on the comparison page."
    )
    query = comparison_query(specs, settings.evaluation.cost_bps)
    page = render_index(
        settings.reports_path,
        rows,
        data_source=source.label,
        other_reports=[("Compare factors over one sample", "compare.html")]
        + [(text, href) for _, text, href in EXTRA_REPORTS],
        sample=sample,
        fidelity=index_block(warehouse.table_or_none(PUBLISHED_COMPARISON), settings.source.published_figures),
        planted=source.planted_effects(),
        query=query.replace("{factors}", ", ".join(f"'{s.name}'" for s in specs))
        .replace("{start}", f"{start}-01")
        .replace("{end}", f"{end}-01"),
    )
    ranked = rows.assign(strength=rows["rank_icir_annualized"].astype(float).abs()).sort_values(
        "strength", ascending=False
    )
    compare = render_compare(
        settings.reports_path,
        factors={
            spec.name: {
                "frequency": spec.frequency,
                "periods_per_year": spec.periods_per_year,
                "x": periods[spec.name]["period_end"].dt.strftime("%Y-%m-%d").tolist(),
                "long_short": periods[spec.name]["long_short_ew"].astype(float).tolist(),
                "long_short_net": net_of_cost(
                    periods[spec.name]["long_short_ew"],
                    periods[spec.name]["long_short_turnover_ew"],
                    settings.evaluation.cost_bps,
                ).tolist(),
                "rank_ic": periods[spec.name]["rank_ic"].astype(float).tolist(),
            }
            for spec in specs
        },
        chosen=ranked["factor_name"].head(COMPARE_DEFAULT_COUNT).tolist(),
        user_bounds=(
            start if settings.evaluation.compare_bounds[0] else None,
            end if settings.evaluation.compare_bounds[1] else None,
        ),
        cost_bps=settings.evaluation.cost_bps,
        query=query,
        data_source=source.label,
    )
    return MaterializeResult(
        metadata={
            "index": MetadataValue.path(str(page.resolve())),
            "compare": MetadataValue.path(str(compare.resolve())),
            "page": MetadataValue.url(page.resolve().as_uri()),
            "compare_page": MetadataValue.url(compare.resolve().as_uri()),
            "factors": MetadataValue.int(len(rows)),
            "common_sample": MetadataValue.text(f"{start} to {end} ({why})"),
        }
    )
