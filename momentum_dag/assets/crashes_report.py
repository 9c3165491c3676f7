"""The momentum-crash report pages (warehouse WML and the Ken French branch), from the stored tables."""

import re
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from momentum_dag.assets.crashes_common import (
    BETAS_KEY,
    CRASH_MEAN_FORECAST,
    CRASH_REGRESSIONS,
    KF_KEY,
    KF_REPORT_KEY,
    KF_REPORT_SLUG,
    MARKET_STATE,
    PAPER,
    REGRESSIONS_KEY,
    REPORT_KEY,
    REPORT_SLUG,
    STRATEGIES_KEY,
    STRATEGY_RETURNS,
    STRATEGY_SUMMARY,
    STRATEGY_WEIGHTS,
    VARIANCE_KEY,
    WML_BETAS,
    WML_MONTHLY,
    WML_VARIANCE,
    read_dated,
    read_notes,
    table_or_none,
    wide_strategy_frame,
)
from momentum_dag.assets.crashes_kenfrench import KF_TABLES, MONTHLY_ONLY_NOTE
from momentum_dag.reports.crash_plots import (
    plot_betas,
    plot_cumulative_with_bear,
    plot_variance_forecasts,
    plot_weights,
)
from momentum_dag.reports.html import render_tables_report
from momentum_dag.settings import get_settings
from momentum_dag.sources import data_source_label
from momentum_dag.warehouse import Warehouse

N_WORST = 10
CRASH_TABLE_NOTE = (
    "Table 3 (D&M Eq. 3): R_WML,t = (alpha0 + alphaB I_B,t-1) + [beta0 + I_B,t-1 (betaB + I_U,t betaBU)] "
    "R^e_m,t + e_t; models (1)-(4) as in D&M. Table 5 (Eq. 5): R_WML,t = gamma0 + gammaB I_B,t-1 + "
    "gammaSigma2 sigma^2_m,t-1 + gammaInt I_B,t-1 sigma^2_m,t-1 + e_t. OLS with classical t-statistics "
    "(columns *_t). Returns in decimals per month (D&M print % per month); sigma^2_m is a decimal DAILY "
    "variance, so gammaSigma2 and gammaInt are large numbers."
)
STRATEGY_NOTE = (
    "Strategies (D&M Sec. 5): static WML; cvol_dm = 1/sigma_126 (trailing 126-day realized volatility of "
    "WML); cvol_bsc = Barroso and Santa-Clara (2015) 1/sigma with sigma^2 = 21 x mean of 126 squared daily "
    "WML returns; dyn_is = mu/sigma^2 with mu from the FULL-SAMPLE Table 5 column (4) regression (look-ahead "
    "in the coefficients, as in D&M) and sigma^2 from the GARCH/realized blend; dyn_oos = mu from expanding "
    "regressions through t-1 and the 126-day realized variance. Dynamic weights may be negative (no cap). "
    "Every strategy is scaled by ONE full-sample constant to the same annualized volatility: an EX-POST "
    "scalar that leaves Sharpe ratios unchanged but uses the whole sample. For D&M's alternative (p. 233: "
    "the volatility of the baseline WML), multiply by wml_vol_ann / ex_post_target_vol (wml_vol_ann = "
    "unscaled WML volatility on the same months)."
)


def _regression_display(frame: pd.DataFrame | None) -> pd.DataFrame | str:
    if frame is None or frame.empty:
        return "Not available: the sample has too few months with every regressor defined."
    return frame.assign(start=pd.to_datetime(frame["start"]), end=pd.to_datetime(frame["end"]))


def worst_months(
    wml: pd.Series, returns: pd.DataFrame, state: pd.DataFrame, n: int = N_WORST
) -> pd.DataFrame:
    """The ``n`` worst months of unscaled WML over its whole history, with the market state and each
    scaled strategy's return that month (blank outside the strategies' common sample)."""
    worst = wml.dropna().nsmallest(n).rename("wml_unscaled").to_frame()
    context = state.reindex(worst.index)[[c for c in ("bear", "up", "market_excess") if c in state]]
    return worst.join(context).join(returns.reindex(worst.index)).rename_axis("period_end")


def crash_sections(
    *,
    out_dir: Path,
    slug: str,
    intro: str,
    crash: pd.DataFrame | None,
    forecast: pd.DataFrame | None,
    summary: pd.DataFrame | None,
    returns: pd.DataFrame,
    weights: pd.DataFrame,
    state: pd.DataFrame,
    wml: pd.Series | None,
    legs: pd.DataFrame,
    extra_plots: list[tuple[str, Path]] = (),
    notes: list[str] = (),
) -> list[tuple[str, pd.DataFrame | Path | str]]:
    """Sections of a crash page: regressions, Sharpe table, worst months, weights and cumulative plots."""
    folder = out_dir / slug
    bear = state["bear"] if "bear" in state else None
    sections: list = [("About this page", intro)]
    if notes:
        sections.append(("Notes and missing pieces", "\n\n".join(notes)))
    sections += [
        ("Table 3: WML market timing (crash regressions)", _regression_display(crash)),
        ("Table 5: forecasting WML returns with the market state", _regression_display(forecast)),
        ("How to read the regressions", CRASH_TABLE_NOTE),
    ]
    if summary is not None and len(summary):
        sections.append(("Sharpe ratios side by side (annualized, same sample, ex-post scaled)", summary))
        sections.append(("Strategies", STRATEGY_NOTE))
    else:
        sections.append(
            ("Sharpe ratios side by side", "Not available: no strategy is defined on this sample.")
        )
    if wml is not None and wml.notna().any():
        sections.append(
            (
                f"Worst {N_WORST} months of WML (unscaled), with the state and every strategy",
                worst_months(wml, returns, state),
            )
        )
    if len(returns):
        sections.append(
            (
                "Cumulative returns of the strategies (bear markets shaded)",
                plot_cumulative_with_bear(returns, folder / "cumulative_strategies.png", bear=bear),
            )
        )
        sections.append(
            ("Weights on WML over time", plot_weights(weights, folder / "weights.png", bear=bear))
        )
    if len(legs):
        sections.append(
            (
                "Cumulative returns of winners, losers, WML and the market (unscaled)",
                plot_cumulative_with_bear(
                    legs, folder / "cumulative_legs.png", bear=bear, title="Winners, losers, WML and market"
                ),
            )
        )
    sections += list(extra_plots)
    return sections


def _state_frame(warehouse: Warehouse) -> pd.DataFrame:
    state = read_dated(warehouse, MARKET_STATE, "period_end")
    return state if state is not None else pd.DataFrame(columns=["bear"])


def _strategy_frames(warehouse: Warehouse, returns_table: str, weights_table: str):
    returns = table_or_none(warehouse, returns_table)
    weights = table_or_none(warehouse, weights_table)
    if returns is None or returns.empty:
        empty = pd.DataFrame()
        return empty, empty
    return wide_strategy_frame(returns, "ret"), wide_strategy_frame(weights, "weight")


def _summary(warehouse: Warehouse, table: str) -> pd.DataFrame | None:
    frame = table_or_none(warehouse, table)
    if frame is None or frame.empty:
        return None
    return frame.set_index("strategy")


@asset(
    key=REPORT_KEY,
    deps=[STRATEGIES_KEY, REGRESSIONS_KEY, BETAS_KEY, VARIANCE_KEY],
    group_name="reports",
    kinds={"html"},
    description=(
        "Momentum crashes report page (Daniel-Moskowitz 2016) on the warehouse WML: Table 3 and Table 5 "
        "regressions, Sharpe ratios side by side, worst months, weights over time, cumulative curves with "
        "bear markets shaded, lagged betas and variance forecasts."
    ),
)
def momentum_crashes_report(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    settings = get_settings()
    out_dir = Path(settings.reports_dir)
    state = _state_frame(warehouse)
    returns, weights = _strategy_frames(warehouse, STRATEGY_RETURNS, STRATEGY_WEIGHTS)
    deciles = read_dated(warehouse, WML_MONTHLY, "period_end")
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
    betas = read_dated(warehouse, WML_BETAS, "period_end")
    if betas is not None and len(betas.dropna(how="all")):
        extra.append(
            (
                "126-day lagged betas of winners, losers and WML (D&M Sec. 3.1)",
                plot_betas(betas, out_dir / REPORT_SLUG / "betas.png", bear=state.get("bear")),
            )
        )
    forecasts = read_dated(warehouse, WML_VARIANCE, "period_end")
    if forecasts is not None and len(forecasts.dropna(how="all")):
        extra.append(
            (
                "WML volatility forecasts (GJR-GARCH, 126-day realized, blend; annualized)",
                plot_variance_forecasts(forecasts, out_dir / REPORT_SLUG / "volatility.png"),
            )
        )
    notes = read_notes(warehouse, "momentum_strategies") + read_notes(warehouse, "crash_regressions")
    intro = (
        f"{PAPER}. WML = top minus bottom decile of value-weighted 12-2 momentum deciles (>= 8 valid "
        "months, all-stock breakpoints), held one month; dates are holding months unless stated. Bear = "
        "I_B,t-1 (24-month cumulative market total return to t-1 below zero), up = I_U,t, market variance = "
        "126 daily market returns to t-1 (decimal daily units). GARCH and lagged betas use the daily "
        "buy-and-hold returns of the same portfolios."
    )
    sections = crash_sections(
        out_dir=out_dir,
        slug=REPORT_SLUG,
        intro=intro,
        crash=table_or_none(warehouse, CRASH_REGRESSIONS),
        forecast=table_or_none(warehouse, CRASH_MEAN_FORECAST),
        summary=_summary(warehouse, STRATEGY_SUMMARY),
        returns=returns,
        weights=weights,
        state=state,
        wml=wml,
        legs=legs,
        extra_plots=extra,
        notes=notes,
    )
    source = "synthetic" if settings.data_source == "synthetic" else data_source_label(settings)
    page = render_tables_report(
        out_dir, REPORT_SLUG, "Momentum crashes (Daniel-Moskowitz 2016)", sections, data_source=source
    )
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(page.resolve())),
            "strategies": MetadataValue.text(", ".join(returns.columns) or "none"),
            "sections": MetadataValue.int(len(sections)),
        }
    )


@asset(
    key=KF_REPORT_KEY,
    deps=[KF_KEY],
    group_name="reports",
    kinds={"html"},
    description=(
        "Momentum crashes report page on Ken French's monthly data (Mom as WML): Table 3 and 5 regressions, "
        "Sharpe ratios, worst months, weights and cumulative curves with bear markets shaded. Only monthly "
        "data exist there: the GARCH runs on monthly returns and the market variance comes from monthly "
        "returns."
    ),
)
def momentum_crashes_kenfrench_report(
    context: AssetExecutionContext, warehouse: Warehouse
) -> MaterializeResult:
    settings = get_settings()
    out_dir = Path(settings.reports_dir)
    state = read_dated(warehouse, KF_TABLES["market_state"], "period_end")
    if state is None:
        raise ValueError(
            f"{KF_TABLES['market_state']} has no rows: materialize {KF_KEY.to_user_string()} first"
        )
    returns, weights = _strategy_frames(
        warehouse, KF_TABLES["strategy_returns"], KF_TABLES["strategy_weights"]
    )
    notes = read_notes(warehouse, "kenfrench_crashes")
    source = next(
        (n.removeprefix("Data source: ") for n in notes if n.startswith("Data source: ")),
        "Ken French data library",
    )
    notes = [n for n in notes if not n.startswith("Data source: ") and n != MONTHLY_ONLY_NOTE]
    legs = pd.DataFrame({"Mom (WML)": state["wml"], "market": state["market_total"]})
    extra = []
    forecasts = read_dated(warehouse, KF_TABLES["variance_forecast"], "period_end")
    if forecasts is not None and len(forecasts.dropna(how="all")):
        extra.append(
            (
                "Mom volatility forecasts (monthly GJR-GARCH, 6-month realized, blend; annualized)",
                plot_variance_forecasts(
                    forecasts, out_dir / KF_REPORT_SLUG / "volatility.png", periods_per_year=12
                ),
            )
        )
    intro = (
        f"{PAPER}: the time-series analyses on external monthly series. {MONTHLY_ONLY_NOTE} Dates are "
        "calendar month ends (holding months)."
    )
    sections = crash_sections(
        out_dir=out_dir,
        slug=KF_REPORT_SLUG,
        intro=intro,
        crash=table_or_none(warehouse, KF_TABLES["crash_regressions"]),
        forecast=table_or_none(warehouse, KF_TABLES["crash_mean_forecast"]),
        summary=_summary(warehouse, KF_TABLES["strategy_summary"]),
        returns=returns,
        weights=weights,
        state=state,
        wml=state["wml"],
        legs=legs,
        extra_plots=extra,
        notes=notes,
    )
    page = render_tables_report(
        out_dir, KF_REPORT_SLUG, "Momentum crashes on Ken French monthly data", sections, data_source=source
    )
    return MaterializeResult(
        metadata={
            "report": MetadataValue.path(str(page.resolve())),
            "data_source": MetadataValue.text(source),
            "strategies": MetadataValue.text(", ".join(returns.columns) or "none"),
        }
    )


REPORT_ASSETS = [momentum_crashes_report, momentum_crashes_kenfrench_report]
