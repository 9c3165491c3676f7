"""The momentum-crash report pages (warehouse WML and the Ken French branch), from the stored tables;
the page layout and charts are in ``reports.crashes``."""

import re

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes.kenfrench import ASSET_NAME as KF_ASSET_NAME
from momentum_dag.assets.crashes.kenfrench import METHOD_PREFIX
from momentum_dag.assets.fidelity import page_comparison, sample_text, universe_text
from momentum_dag.core.crashes.study import wide_strategy_frame
from momentum_dag.core.crashes.volatility import gjr_garch_full_sample
from momentum_dag.core.fidelity import crash_figures
from momentum_dag.core.published import figures_for_page, load_published
from momentum_dag.names import (
    CRASH_MEAN_FORECAST,
    CRASH_NOTES,
    CRASH_REGRESSIONS,
    CRASH_REPORT_KEY,
    KF_CRASH_REPORT_KEY,
    KF_CRASHES_KEY,
    MARKET_STATE,
    STRATEGIES_KEY,
    STRATEGY_RETURNS,
    STRATEGY_SUMMARY,
    STRATEGY_WEIGHTS,
    WML_BETAS,
    WML_DAILY,
    WML_MONTHLY,
    WML_VARIANCE,
    group_of,
    kenfrench_crash_table,
    key,
)
from momentum_dag.reports.crashes import (
    PAPER,
    betas_chart,
    crash_sections,
    variance_forecasts_chart,
)
from momentum_dag.reports.fidelity import OurSetup, weight_sections
from momentum_dag.reports.html import render_tables_report
from momentum_dag.settings import Settings
from momentum_dag.sources import data_source
from momentum_dag.sources.kenfrench import kenfrench_inventory
from momentum_dag.storage import Warehouse

REPORT_SLUG = "momentum_crashes"
KF_REPORT_SLUG = "momentum_crashes_kenfrench"


def _strategy_frames(warehouse: Warehouse, returns_table: str, weights_table: str):
    returns = warehouse.table_or_none(returns_table)
    weights = warehouse.table_or_none(weights_table)
    if returns is None or returns.empty:
        return pd.DataFrame(), pd.DataFrame()
    return wide_strategy_frame(returns, "ret"), wide_strategy_frame(weights, "weight")


def _breakpoints_text(settings: Settings) -> str:
    if settings.crash.breakpoints == "nyse_like":
        return (
            f"NYSE-like breakpoints: set by the largest {settings.crash.large_cap_share:.0%} of stocks by float cap, "
            "standing in for Ken French's NYSE breakpoints"
        )
    return "all-stock breakpoints, as D&M"


def _tradability_text(settings: Settings) -> str:
    """The formation filters, the same settings as the factor evaluation's."""
    filters = settings.evaluation.filters
    dropped = [
        name
        for name, on in (("suspended", filters.suspended), ("ST", filters.st), ("limit-up", filters.limit_up))
        if on
    ]
    if filters.min_listed_days > 0:
        dropped.append(f"listed fewer than {filters.min_listed_days} trading days")
    if not dropped:
        return "Every stock with a return and a cap enters the deciles (tradability filters off)."
    return (
        f"Only stocks tradable at formation enter the deciles: {', '.join(dropped)} stocks are dropped, the same "
        "filters (MOMENTUM_FILTER_*) as the factor evaluation."
    )


def _queries(crash: str, forecast: str, summary: str, wml: str, returns: str, state: str) -> dict[str, str]:
    """The DuckDB queries behind a crash page's tables (the worst months join WML, strategies and state)."""
    return {
        "crash": f"select * from {crash}",
        "forecast": f"select * from {forecast}",
        "summary": f"select * from {summary}",
        "wml": f"select period_end, wml from {wml} order by wml limit 10",
        "returns": f"select * from {returns}; select * from {state}",
    }


def _variance_source(method: str, daily: bool) -> str:
    """Where the daily WML behind the variance figures comes from, in words, from the method note."""
    if not daily:
        return (
            "No daily WML: with monthly data only, every variance comes from monthly returns of the monthly WML "
            "(French's Mom), not from 126 daily returns as in the paper."
        )
    if "Hi PRIOR - Lo PRIOR" in method:
        return (
            "The daily WML is Hi PRIOR - Lo PRIOR of French's DAILY prior-return portfolios "
            "(10_Portfolios_Prior_12_2_Daily), which French RE-FORMS EVERY DAY, while the monthly WML whose returns "
            "the strategies earn comes from the monthly-formed portfolios: the variance forecasts describe a "
            "daily-re-formed WML, close to but not the same portfolio (the paper uses the daily returns of its "
            "monthly-formed deciles)."
        )
    return (
        "The daily WML is French's daily Mom (F-F_Momentum_Factor_daily), re-formed daily by French, while the "
        "strategies earn the monthly Mom: the variances describe a daily-re-formed portfolio."
    )


def _with_weight_sections(sections: list, weights, summary, settings: Settings, *, monthly_fallback: bool) -> list:
    """The weight-distribution table and sentences right after the weights chart."""
    _, figures = figures_for_page("momentum_crashes", load_published(settings.source.published_figures))
    extra = weight_sections(weights, summary, figures, monthly_fallback=monthly_fallback)
    at = next(
        (i + 1 for i, (heading, _) in enumerate(sections) if heading == "Weights on WML over time"), len(sections)
    )
    return [*sections[:at], *extra, *sections[at:]]


def _summary(warehouse: Warehouse, table: str) -> pd.DataFrame | None:
    frame = warehouse.table_or_none(table)
    if frame is None or frame.empty:
        return None
    return frame.set_index("strategy")


@asset(
    key=CRASH_REPORT_KEY,
    deps=[STRATEGIES_KEY, key(CRASH_REGRESSIONS), key(WML_BETAS), key(WML_VARIANCE)],
    group_name=group_of(CRASH_REPORT_KEY),
    kinds={"html"},
    description=(
        "Momentum crashes report page (Daniel-Moskowitz 2016) on the warehouse WML: Table 3 and Table 5 "
        "regressions, Sharpe ratios side by side, worst months, weights over time, cumulative curves with "
        "bear markets shaded, lagged betas and variance forecasts."
    ),
)
def momentum_crashes_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    out_dir = settings.reports_path
    origin = data_source(settings)
    state = warehouse.read_dated(MARKET_STATE, "period_end")
    state = state if state is not None else pd.DataFrame(columns=["bear"])
    returns, weights = _strategy_frames(warehouse, STRATEGY_RETURNS, STRATEGY_WEIGHTS)
    deciles = warehouse.read_dated(WML_MONTHLY, "period_end")
    legs, wml = pd.DataFrame(), None
    if deciles is not None and len(deciles):
        wml = deciles["wml"]
        labels = sorted((c for c in deciles.columns if re.fullmatch(r"d\d+", c)), key=lambda c: int(c[1:]))
        legs = pd.DataFrame(
            {"winners (top decile)": deciles[labels[-1]], "losers (d1)": deciles[labels[0]], "WML": wml}
        )
        if "market_ret" in state:
            legs["market"] = state["market_ret"].reindex(legs.index)
    extra = []
    betas = warehouse.read_dated(WML_BETAS, "period_end")
    if betas is not None and len(betas.dropna(how="all")):
        extra.append(
            (
                "126-day lagged betas of winners, losers and WML (D&M Sec. 3.1)",
                betas_chart(betas, bear=state.get("bear")),
            )
        )
    forecasts = warehouse.read_dated(WML_VARIANCE, "period_end")
    if forecasts is not None and len(forecasts.dropna(how="all")):
        extra.append(
            (
                "WML volatility forecasts (GJR-GARCH, 126-day realized, blend; annualized)",
                variance_forecasts_chart(forecasts),
            )
        )
        extra.append(
            (
                "The daily WML behind these variances",
                "Daily WML = the daily buy-and-hold returns of the SAME monthly-formed deciles as the monthly WML "
                "(formation at each month end, value weights drifting with prices within the month).",
            )
        )
    notes = warehouse.read_notes(CRASH_NOTES, "momentum_strategies") + warehouse.read_notes(
        CRASH_NOTES, "crash_regressions"
    )
    intro = (
        f"{PAPER}. WML = top minus bottom decile of value-weighted 12-2 momentum deciles (>= 8 valid "
        f"months, {_breakpoints_text(settings)}), held one month; dates are holding months unless stated. "
        f"{_tradability_text(settings)} Bear = "
        "I_B,t-1 (24-month cumulative market total return to t-1 below zero), up = I_U,t, market variance = "
        "126 daily market returns to t-1 (decimal daily units). GARCH and lagged betas use the daily "
        "buy-and-hold returns of the same portfolios."
    )
    crash = warehouse.table_or_none(CRASH_REGRESSIONS)
    forecast = warehouse.table_or_none(CRASH_MEAN_FORECAST)
    summary = _summary(warehouse, STRATEGY_SUMMARY)
    daily_wml = warehouse.read_dated(WML_DAILY, "trade_date")
    garch = gjr_garch_full_sample(daily_wml["wml"]) if daily_wml is not None else None
    comparison = page_comparison(
        warehouse,
        settings,
        REPORT_SLUG,
        crash_figures(crash, forecast, summary, weights, garch.iloc[0] if garch is not None and len(garch) else None),
        OurSetup(
            sample=f"strategies {sample_text(returns.index)}; WML {sample_text(wml.index if wml is not None else [])}",
            universe=universe_text(settings),
            definition=f"the same decile WML, {_breakpoints_text(settings)}",
            data_source=origin.label,
        ),
    )
    sections = crash_sections(
        intro=intro,
        crash=crash,
        forecast=forecast,
        summary=summary,
        returns=returns,
        weights=weights,
        state=state,
        wml=wml,
        legs=legs,
        extra_plots=extra,
        notes=notes,
        queries=_queries(
            CRASH_REGRESSIONS, CRASH_MEAN_FORECAST, STRATEGY_SUMMARY, WML_MONTHLY, STRATEGY_RETURNS, MARKET_STATE
        ),
    )
    sections = _with_weight_sections(sections, weights, summary, settings, monthly_fallback=False)
    source = "synthetic" if origin.synthetic else origin.label
    page = render_tables_report(
        out_dir,
        REPORT_SLUG,
        "Momentum crashes (Daniel-Moskowitz 2016)",
        sections,
        data_source=source,
        comparison=comparison,
    )
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(page.resolve())),
            "page": MetadataValue.url(page.resolve().as_uri()),
            "strategies": MetadataValue.text(", ".join(returns.columns) or "none"),
            "sections": MetadataValue.int(len(sections)),
        }
    )


@asset(
    key=KF_CRASH_REPORT_KEY,
    deps=[KF_CRASHES_KEY],
    group_name=group_of(KF_CRASH_REPORT_KEY),
    kinds={"html"},
    description=(
        "Momentum crashes report page on Ken French's data: Table 3 and 5 regressions, Sharpe ratios, worst "
        "months, weights and cumulative curves with bear markets shaded. It states the method: the paper's "
        "daily one when French's daily files are given, else the monthly fallback and its variance windows."
    ),
)
def momentum_crashes_kenfrench_report(
    context: AssetExecutionContext, warehouse: Warehouse, settings: Settings
) -> MaterializeResult:
    out_dir = settings.reports_path
    state = warehouse.read_dated(kenfrench_crash_table("market_state"), "period_end")
    if state is None:
        raise ValueError(
            f"{kenfrench_crash_table('market_state')} has no rows: materialize {KF_CRASHES_KEY.to_user_string()} first"
        )
    returns, weights = _strategy_frames(
        warehouse, kenfrench_crash_table("strategy_returns"), kenfrench_crash_table("strategy_weights")
    )
    notes = warehouse.read_notes(CRASH_NOTES, KF_ASSET_NAME)
    source = next(
        (n.removeprefix("Data source: ") for n in notes if n.startswith("Data source: ")), "Ken French data library"
    )
    method = next((n for n in notes if n.startswith(METHOD_PREFIX)), "")
    daily = "DAILY method" in method
    notes = [n for n in notes if not n.startswith("Data source: ") and n != method]
    legs = pd.DataFrame({"WML": state["wml"], "market": state["market_total"]})
    extra = []
    forecasts = warehouse.read_dated(kenfrench_crash_table("variance_forecast"), "period_end")
    if forecasts is not None and len(forecasts.dropna(how="all")):
        what = "daily GJR-GARCH, 126-day realized" if daily else "monthly GJR-GARCH, 12-month realized"
        extra.append(
            (
                f"WML volatility forecasts ({what}, blend; annualized)",
                variance_forecasts_chart(forecasts, periods_per_year=252 if daily else 12),
            )
        )
        extra.append(("The WML behind these variances", _variance_source(method, daily)))
    headline = [n.rstrip(".") + "." for n in notes if n.startswith(("Sample: ", "Limits: "))]
    notes = [n for n in notes if not n.startswith(("Sample: ", "Limits: "))]
    intro = " ".join(
        [
            f"{PAPER}: the time-series analyses on Ken French's data.",
            *headline,
            method,
            "Dates are calendar month ends (holding months).",
        ]
    )
    crash = warehouse.table_or_none(kenfrench_crash_table("crash_regressions"))
    forecast = warehouse.table_or_none(kenfrench_crash_table("crash_mean_forecast"))
    summary = _summary(warehouse, kenfrench_crash_table("strategy_summary"))
    garch = warehouse.table_or_none(kenfrench_crash_table("garch_full_sample"))
    comparison = page_comparison(
        warehouse,
        settings,
        KF_REPORT_SLUG,
        crash_figures(crash, forecast, summary, weights, garch.iloc[0] if garch is not None and len(garch) else None),
        OurSetup(
            sample=f"strategies {sample_text(returns.index)}; WML {sample_text(state['wml'].dropna().index)}",
            universe="US stocks in Ken French's portfolios (CRSP NYSE/AMEX/Nasdaq, NYSE breakpoints)",
            definition=method.removeprefix(METHOD_PREFIX).split(". ")[1] if ". " in method else method,
            data_source=source,
        ),
    )
    sections = crash_sections(
        intro=intro,
        crash=crash,
        forecast=forecast,
        summary=summary,
        returns=returns,
        weights=weights,
        state=state,
        wml=state["wml"],
        legs=legs,
        extra_plots=extra,
        notes=notes,
        queries=_queries(
            *(
                kenfrench_crash_table(name)
                for name in (
                    "crash_regressions",
                    "crash_mean_forecast",
                    "strategy_summary",
                    "market_state",
                    "strategy_returns",
                    "market_state",
                )
            )
        ),
    )
    sections = _with_weight_sections(sections, weights, summary, settings, monthly_fallback=not daily)
    sections.append(
        ("Ken French files the studies can use, and those read", kenfrench_inventory(settings.source.kenfrench_path))
    )
    page = render_tables_report(
        out_dir,
        KF_REPORT_SLUG,
        "Momentum crashes on Ken French data",
        sections,
        data_source=source,
        comparison=comparison,
    )
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(page.resolve())),
            "page": MetadataValue.url(page.resolve().as_uri()),
            "data_source": MetadataValue.text(source),
            "strategies": MetadataValue.text(", ".join(returns.columns) or "none"),
        }
    )
