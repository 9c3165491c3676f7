"""Headline figures of the synthetic market, to calibrate its profiles against published A-share numbers.

Usage:

    .venv/bin/python benchmarks/calibrate.py                       # the default profile, 1,000 stocks
    .venv/bin/python benchmarks/calibrate.py --profile strong --stocks 1000

Builds the raw, SQL, Barra, factor-momentum and WML layers of a market through Dagster (the project's
``backfill``) in a temporary warehouse over the default history, then computes the factors and their
evaluation with the functions the factor and evaluation assets call, and prints: rank IC mean and
annualized rank ICIR of 12-2 momentum, D-MOM and industry momentum; D-MOM's equal-weighted long-short
Sharpe; WML's Sharpe and worst months with their market state; the time-series factor momentum return.

Published A-share references: Western Securities (2025-09-15) 因子手工作坊(3): MOM 12-2 rank IC 0.019,
annualized ICIR 0.30; D-MOM rank IC 0.059, annualized ICIR 1.39, long-short Sharpe 1.66 (EW). Industry
momentum ICs in the sell-side reports are a few hundredths; Daniel & Moskowitz (2016) WML Sharpe 0.68
(US) with its worst months in rebounds after bear markets; Ehsani & Linnainmaa (2022) factor momentum
a few tenths of a percent a month.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd


def _build(folder: Path, profile: str, stocks: int):
    os.environ.update(
        {
            "MOMENTUM_SIM_STOCKS": str(stocks),
            "MOMENTUM_SIM_PROFILE": profile,
            "MOMENTUM_DUCKDB_PATH": str(folder / "calibrate.duckdb"),
            "MOMENTUM_REPORTS_DIR": str(folder / "reports"),
            "DAGSTER_HOME": str(folder / "dagster_home"),
        }
    )
    (folder / "dagster_home").mkdir()
    from dagster import DagsterInstance

    from momentum_dag.runtime.cli import backfill
    from momentum_dag.runtime.definitions import build_definitions
    from momentum_dag.settings import Settings
    from momentum_dag.storage import Warehouse

    only = (
        "raw",
        "staging",
        "marts",
        "barra",
        "factor_momentum/factor_returns",
        "factor_momentum/factor_momentum",
        "crashes/wml",
        "crashes/market_state",
    )
    defs = build_definitions(str(folder / "calibrate.duckdb"))
    backfill(None, None, weekly=False, reports=False, only=only, defs=defs, instance=DagsterInstance.ephemeral())
    return Warehouse(database=str(folder / "calibrate.duckdb")), Settings.from_env()


def _factor_figures(warehouse, settings, names: list[str]) -> pd.DataFrame:
    from momentum_dag.assets.factors.evaluation import evaluate_rows
    from momentum_dag.assets.factors.panel import compute_factor
    from momentum_dag.assets.panels import MarketPanels
    from momentum_dag.core.evaluation.ic import ic_summary
    from momentum_dag.partitions import Partitions
    from momentum_dag.registry import FACTORS

    monthly = Partitions.starting(settings.history_start_date).monthly
    keys = monthly.get_partition_keys()
    start = pd.Timestamp(keys[0]).date()
    end = monthly.time_window_for_partition_key(keys[-1]).end.date()
    panels = MarketPanels(warehouse, end=end)
    rows = []
    for spec in (s for s in FACTORS if s.name in names):
        factor_rows, _ = compute_factor(spec, panels, settings, start, end)
        per_period = evaluate_rows(spec, factor_rows, panels, settings, start, end)
        for window, table in per_period.groupby("window"):
            summary = ic_summary(table["rank_ic"], spec.periods_per_year)
            ls = table["long_short_ew"].dropna()
            rows.append(
                {
                    "factor": spec.name,
                    "window": window,
                    "rank_ic": summary["ic_mean"],
                    "rank_icir_ann": summary["icir_annualized"],
                    "ls_sharpe_ew": ls.mean() / ls.std() * np.sqrt(spec.periods_per_year),
                    "months": summary["n_periods"],
                }
            )
    return pd.DataFrame(rows)


def _wml_figures(warehouse) -> tuple[pd.Series, pd.DataFrame]:
    wml = warehouse.read_dated("models.wml_monthly", "period_end")["wml"]
    state = warehouse.read_dated("models.market_state", "period_end")
    sharpe = wml.mean() / wml.std() * np.sqrt(12)
    worst = wml.nsmallest(5).to_frame().join(state[["bear", "up", "market_excess"]])
    return pd.Series({"wml_sharpe": sharpe, "wml_mean_monthly": wml.mean(), "months": len(wml)}), worst


def _factor_momentum(warehouse) -> pd.Series:
    frame = warehouse.table_or_none("models.factor_momentum_monthly")
    ts = frame.groupby("period_end")["tsmom"].first() if "source" not in frame else frame.set_index("period_end")
    if "source" in frame:
        return frame.groupby("source")["tsmom"].agg(["mean", "std", "count"])
    return pd.Series({"tsmom_mean_monthly": ts.mean(), "months": ts.count()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="realistic", choices=["realistic", "strong", "null"])
    parser.add_argument("--stocks", type=int, default=1000)
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    with tempfile.TemporaryDirectory(prefix="momentum_calibrate_") as folder:
        warehouse, settings = _build(Path(folder), args.profile, args.stocks)
        print(f"profile {args.profile}, {args.stocks} stocks, history from {settings.history_start}")
        print(_factor_figures(warehouse, settings, ["mom_12_2", "dmom", "momentum"]).to_string(index=False))
        wml, worst = _wml_figures(warehouse)
        print(wml.to_string())
        print("worst WML months (bear = I_B,t-1, up = I_U,t):")
        print(worst.to_string())
        print("time-series factor momentum (monthly return):")
        print(_factor_momentum(warehouse).to_string())


if __name__ == "__main__":
    main()
