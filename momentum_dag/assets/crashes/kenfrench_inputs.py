"""The Daniel-Moskowitz (2016) study's inputs from Ken French's data library: which WML (French's
value-weighted 12-2 deciles, else Mom), daily and monthly, and the market, read with
``momentum_dag.sources.kenfrench``'s file readers. Used by the Ken French branch of the crash study
(``assets/crashes/kenfrench.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from momentum_dag.sources.kenfrench import (
    DAILY_DECILES_FILE,
    DAILY_FACTORS_FILE,
    DAILY_MOMENTUM_FILE,
    LOSERS,
    STANDARD_FILES,
    WINNERS,
    compound_monthly,
    find_file,
    load_kenfrench_monthly,
    read_daily_decile_legs,
    read_daily_market,
    read_daily_momentum,
    time_series_inputs_from_french,
)


@dataclass(frozen=True)
class CrashInputs:
    """French's series for the Daniel-Moskowitz (2016) study, in decimals.

    ``monthly``: month_end x (wml, market_excess, market_total); ``daily``: trade_date x (wml,
    market_excess, market_total), None without French's daily files; ``wml_definition`` says which WML;
    ``label`` names the data source.
    """

    monthly: pd.DataFrame
    daily: pd.DataFrame | None
    wml_definition: str
    label: str


def _daily_inputs(directory: Path, monthly: pd.DataFrame | None) -> tuple[pd.DataFrame, pd.Series, str] | None:
    """(daily frame, monthly WML, WML definition) from the daily files, or None when they are incomplete."""
    factors = find_file(directory, DAILY_FACTORS_FILE)
    deciles = find_file(directory, DAILY_DECILES_FILE)
    momentum = find_file(directory, DAILY_MOMENTUM_FILE)
    if factors is None or (deciles is None and momentum is None):
        return None
    market = read_daily_market(factors)
    monthly = pd.DataFrame() if monthly is None else monthly
    if deciles is not None:
        legs = read_daily_decile_legs(deciles)
        wml_daily = (legs["winners"] - legs["losers"]).rename("wml")
        decile_columns = [f"prior_12_2_{WINNERS}", f"prior_12_2_{LOSERS}"]
        if set(decile_columns) <= set(monthly.columns):
            wml_monthly = monthly[decile_columns[0]] - monthly[decile_columns[1]]
            origin = "monthly: the same difference in 10_Portfolios_Prior_12_2.CSV"
        else:
            legs_m = compound_monthly(legs)
            wml_monthly = legs_m["winners"] - legs_m["losers"]
            origin = "monthly: each leg's daily returns compounded, then the difference"
        definition = (
            f"decile WML = Hi PRIOR - Lo PRIOR of French's value-weighted 12-2 deciles (NYSE breakpoints); daily "
            f"from {deciles.name} (French re-forms those daily portfolios each day), {origin}"
        )
    else:
        wml_daily = read_daily_momentum(momentum).rename("wml")
        if "Mom" in monthly.columns:
            wml_monthly, origin = monthly["Mom"], "monthly Mom from F-F_Momentum_Factor.CSV"
        else:
            wml_monthly, origin = compound_monthly(wml_daily), "monthly: daily Mom compounded"
        definition = f"French's Mom (UMD, 2x3 size x 12-2 sort) as WML; daily from {momentum.name}, {origin}"
    daily = market[["market_excess", "market_total"]].join(wml_daily, how="inner")
    return daily[["wml", "market_excess", "market_total"]], wml_monthly.rename("wml"), definition


def kenfrench_crash_inputs(directory: str | Path | None) -> CrashInputs:
    """The Daniel-Moskowitz inputs from ``directory`` (French's files), else the linearmodels sample.

    With ``F-F_Research_Data_Factors_daily.CSV`` and a daily WML file (``10_Portfolios_Prior_12_2_Daily.CSV``,
    preferred: the paper's decile WML; else ``F-F_Momentum_Factor_daily.CSV``) the daily series are
    returned too, and the monthly WML is the same definition. The monthly market comes from
    ``F-F_Research_Data_Factors.CSV`` when present, else from the daily file compounded (total =
    prod(1 + Mkt-RF + RF) - 1, excess = total - (prod(1 + RF) - 1)). Without daily files, monthly Mom
    (``F-F_Momentum_Factor.CSV``) is required.
    """
    if directory is None:
        frame, label = load_kenfrench_monthly(None)
        wml, excess, total, _ = time_series_inputs_from_french(frame)
        monthly = pd.concat([wml, excess, total], axis=1)
        return CrashInputs(monthly, None, "French's Mom (UMD, 2x3 size x 12-2 sort, NYSE breakpoints) as WML", label)
    directory = Path(directory)
    if not directory.is_dir():
        raise ValueError(f"MOMENTUM_KENFRENCH_DIR {directory} is not a folder")
    has_monthly = any(find_file(directory, name) is not None for name in STANDARD_FILES)
    monthly_frame = load_kenfrench_monthly(directory)[0] if has_monthly else None
    daily = _daily_inputs(directory, monthly_frame)
    label = f"Ken French data library files in {directory}"
    if daily is None:
        if monthly_frame is None or "Mom" not in monthly_frame:
            raise ValueError(
                f"{directory}: F-F_Momentum_Factor.CSV is required (French's Mom stands in for WML), or the daily "
                f"files {DAILY_FACTORS_FILE} with {DAILY_DECILES_FILE} or {DAILY_MOMENTUM_FILE}"
            )
        wml, excess, total, _ = time_series_inputs_from_french(monthly_frame)
        monthly = pd.concat([wml, excess, total], axis=1)
        return CrashInputs(monthly, None, "French's Mom (UMD, 2x3 size x 12-2 sort, NYSE breakpoints) as WML", label)
    daily_frame, wml_monthly, definition = daily
    if monthly_frame is not None and {"Mkt-RF", "RF"} <= set(monthly_frame.columns):
        excess = monthly_frame["Mkt-RF"]
        total = excess + monthly_frame["RF"]
    else:
        market = read_daily_market(find_file(directory, DAILY_FACTORS_FILE))
        total = compound_monthly(market["market_total"])
        excess = total - compound_monthly(market["rf"])
    monthly = pd.concat(
        [wml_monthly.rename("wml"), excess.rename("market_excess"), total.rename("market_total")], axis=1
    ).sort_index()
    return CrashInputs(monthly, daily_frame, definition, f"{label} (daily and monthly)")
