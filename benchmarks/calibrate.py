"""Calibration of the default synthetic market against the D-MOM note's A-share table, on several seeds.

Usage:

    .venv/bin/python benchmarks/calibrate.py                          # realistic profile, 1,000 stocks, 3 seeds
    .venv/bin/python benchmarks/calibrate.py --seeds 20140101 7 11 --stocks 1000 --profile realistic
    .venv/bin/python benchmarks/calibrate.py --csv /tmp/calibration.csv       # the table as CSV as well

Targets: every figure of the study ``dmom_note_2025`` in ``momentum_dag/reports/published.yaml`` whose
metric is one of ``METRICS`` (IC mean, IC > 0 share, annualized long-short return, long-short Sharpe; equal-
and cap-weighted where the note prints both) for 12-2 momentum, 6-2 momentum, D-MOM and enhanced D-MOM.
The targets are read from that file, never typed here.

The check: the mean of our figure over the seeds lies within the figure's band, and every seed within the
band x sqrt(seeds) (the same two standard errors for one seed). The script exits with status 1 otherwise.
A band is two standard errors of a mean over the seeds (``band``), so a market whose population figures
equal the note's passes most of the time and a market systematically off by more does not:
- IC mean +/- 0.01: our monthly IC's sd is 0.05-0.09 over 83 (D-MOM) to 143 (12-2) months, so one seed's
  SE is 0.004-0.008 and a three-seed mean's 0.003-0.005.
- IC > 0 share +/- 5 percentage points: binomial SE sqrt(p (1 - p) / T) is 3.8-4.1 pp for one seed,
  2.2-2.4 pp for a three-seed mean.
- Long-short return: 2 SE of a mean return with the note's own long-short volatility |return / Sharpe|
  over our sample's years, / sqrt(seeds), at least 5 %/yr. The note's 6-2 row implies a 45 %/yr
  volatility (-10.8 %/yr at a Sharpe of -0.24), so its band is wide: that is the note's own noise.
- Long-short Sharpe: 2 SE (Lo 2002: sqrt((1 + SR^2 / 2) / years)) / sqrt(seeds), at least 0.3.
Bands are not tighter: a mean over three seeds cannot be expected closer to the note than its sampling
error, and the note's own figure (sample not printed in its summary) carries at least as much. Nor are they
wider, though 20 two-SE bands are 20 tests: a market whose figures equal the note's would miss about 3 of
them (``pass_rate_if_equal``); the script prints that scale beside the count and still exits 1 on any miss.

The note's "IC" is read as the rank (Spearman) IC, as the factor pages read it (``core.fidelity.ic_reading``:
the note prints a positive IC beside a negative long-short return for 12-2 and 6-2 momentum, which a rank
IC allows and a Pearson IC, dominated by the extreme names the deciles hold, hardly does). The IC mean and
IC > 0 rows are checked on our rank IC; our Pearson IC's mean over the seeds is printed beside them
(``pearson_mean``), not checked.

Momentum crashes are not a target: WML's Sharpe is whatever the targets above imply. What must stay is
Daniel and Moskowitz's (2016) crash behaviour: WML's worst months fall in rebounds after bear markets
(bear state I_B,t-1 = 1 and the market up in the month; their Table 3: in bear markets WML's up-market beta
is strongly negative). The check, on every seed: WML's mean return in those rebound months is below its
mean in the other months by at least two standard errors (Welch t <= -2), so the rebounds are WML's bad
months beyond sampling noise. The script also prints WML's Sharpe, its five worst months with their state,
how many of them are rebounds, and how many rebound months the sample has: a count of the worst five alone
(e.g. "at least 3 of 5") is no test on a seed whose market was in a bear state in only a few months (seed
20140103: 4 rebound months of 143, so 3 of its 5 worst would need 3 of those 4 among the worst 3.5 %).

Speed: no Dagster run. The synthetic market is written to a temporary DuckDB warehouse, the staging and
mart SQL models are built with the runner the SQL assets use (``storage.sql_models.materialize``), D-MOM's
regressors with ``features_chunk`` (what ``factors/dmom_features`` computes per chunk), and the factors,
their evaluation and summaries with ``compute_factor``, ``evaluate_rows`` and ``factor_summaries``, the
functions the ``factors/*``, ``eval/*`` and ``reports/*`` assets call, over the whole history at once (the
pipeline's invariant: any split of a history into runs leaves identical tables). WML and the market state
come from ``wml_chunk`` and ``market_state_table``, as in ``crashes/wml`` and ``crashes/market_state``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_STUDY = "dmom_note_2025"
FACTORS = ("mom_12_2", "mom_6_2", "dmom", "dmom_enhanced")
DEFAULT_SEEDS = (20140101, 20140102, 20140103)


METRICS = ("ic_mean", "ic_positive_share", "long_short_ann_return", "long_short_sharpe")
BAND_RULES = {
    "ic_mean": "+/- 0.01",
    "ic_positive_share": "+/- 5 pp",
    "long_short_ann_return": "max(5, 2 x |return / Sharpe| / sqrt(years) / sqrt(seeds)) %/yr",
    "long_short_sharpe": "max(0.3, 2 x sqrt((1 + SR^2 / 2) / years) / sqrt(seeds))",
}


def band(figure, figures, months: float, n_seeds: int) -> float:
    """Half-width of ``figure``'s band in its printed unit (rules in the module docstring): ``months`` is
    our sample length for its factor, ``figures`` the note's figures (the Sharpe beside a return)."""
    years = months / 12
    if figure.metric == "ic_mean":
        return 0.01
    if figure.metric == "ic_positive_share":
        return 5.0
    sharpe = next(
        f.value
        for f in figures
        if f.page == figure.page and f.metric == "long_short_sharpe" and f.weighting == figure.weighting
    )
    if figure.metric == "long_short_sharpe":
        return max(0.3, 2 * np.sqrt((1 + sharpe**2 / 2) / years) / np.sqrt(n_seeds))
    volatility = abs(figure.value / sharpe)
    return max(5.0, 2 * volatility / np.sqrt(years) / np.sqrt(n_seeds))


def pass_rate_if_equal(n_seeds: int, draws: int = 400_000) -> float:
    """The chance that one figure passes the check when our market's population figure EQUALS the note's and
    the band is exactly two standard errors: each seed's figure z_i ~ N(0, 1) in one-seed SE units, the mean
    must be within 2 SE of a mean (|sum z| / sqrt(n) <= 2) and every seed within 2 SE (|z_i| <= 2).
    0.852 for three seeds: such a market misses about 3 of 20 figures, at most 6 in 95 % of runs, and
    passes all 20 in about 4 % (figures taken as independent)."""
    z = np.random.default_rng(0).standard_normal((draws, n_seeds))
    passed = (np.abs(z.sum(axis=1)) / np.sqrt(n_seeds) <= 2) & (np.abs(z) <= 2).all(axis=1)
    return float(passed.mean())


def targets(path: Path | None = None):
    """The note's figures that the calibration checks (``PublishedFigure`` records from published.yaml)."""
    from momentum_dag.core.published import load_published

    study = load_published(path)[TARGET_STUDY]
    return [f for f in study.figures if f.metric in METRICS and f.page in FACTORS]


def history_window(settings) -> tuple[date, date]:
    """The default history: the first to the last monthly partition (as ``momentum-dag backfill``)."""
    from momentum_dag.partitions import Partitions

    monthly = Partitions.starting(settings.source.history_start_date).monthly
    keys = monthly.get_partition_keys()
    return pd.Timestamp(keys[0]).date(), monthly.time_window_for_partition_key(keys[-1]).end.date()


def build_warehouse(folder: Path, settings, start: date, end: date):
    """Raw tables from the configured provider, the staging and mart SQL models and D-MOM's regressors,
    written to a DuckDB file in ``folder`` with the pipeline's own writers."""
    from momentum_dag.assets.factors.features import features_chunk
    from momentum_dag.names import DMOM_FEATURES, PROVIDER_TABLES
    from momentum_dag.sources.contract import RAW_TABLES, ddl
    from momentum_dag.storage import Warehouse
    from momentum_dag.storage.sql_models import load_models, materialize, topological_order

    warehouse = Warehouse.at(str(folder / "calibrate.duckdb"))
    tables = {f"raw.{name}": (RAW_TABLES[name].date_column, ddl(RAW_TABLES[name])) for name in PROVIDER_TABLES}
    chunks = ({f"raw.{n}": f for n, f in chunk.items() if n in PROVIDER_TABLES} for chunk in _generate(settings, end))
    warehouse.write_windows(tables, chunks, start=date(1900, 1, 1), end=end)
    models = load_models()
    with warehouse.get_connection() as conn:
        for model in topological_order(models):
            if model.materialized == "partitioned":
                materialize(conn, model, models, start, end, chunk_months=settings.run.chunk_months)
            else:
                materialize(conn, model, models)
    features = features_chunk(warehouse, start, end)
    warehouse.write_window(DMOM_FEATURES, features, date_column="period_end", start=start, end=end)
    return warehouse


def _generate(settings, end: date):
    from momentum_dag.sources import data_source

    yield from data_source(settings).provider().generate(settings.source.history_start_date, end)


def factor_rows(warehouse, settings, start: date, end: date) -> tuple[dict, pd.DataFrame]:
    """Ours for the note's metrics, per factor (``core.fidelity.factor_figures`` of the main window's
    summaries, as the factor pages), and the summaries themselves."""
    from momentum_dag.assets.factors.evaluation import evaluate_rows
    from momentum_dag.assets.factors.panel import compute_factor
    from momentum_dag.assets.factors.report import factor_summaries
    from momentum_dag.assets.panels import MarketPanels
    from momentum_dag.core.fidelity import factor_figures
    from momentum_dag.registry import FACTORS as REGISTRY

    panels = MarketPanels(warehouse, end=end)
    ours, frames = {}, []  # frames: the main window's summaries (n_periods = our sample's months)
    for spec in (s for s in REGISTRY if s.name in FACTORS):
        rows, _ = compute_factor(spec, panels, settings, start, end)
        per_period = evaluate_rows(spec, rows, panels, settings, start, end)
        summary = factor_summaries(spec, per_period, settings.evaluation.cost_bps)
        main = summary[summary["window"] == summary["window"].max()]
        ours[spec.name] = factor_figures(main.to_dict("records"), spec.periods_per_year)
        frames.append(main)
    return ours, pd.concat(frames, ignore_index=True)


def crash_rows(warehouse, settings, start: date, end: date) -> tuple[pd.Series, pd.DataFrame]:
    """WML's Sharpe and its five worst months with the market state (``crashes/wml``, ``crashes/market_state``)."""
    from momentum_dag.assets.crashes.series import crash_params, wml_chunk
    from momentum_dag.assets.panels import MarketPanels
    from momentum_dag.core.crashes.study import market_state_table
    from momentum_dag.names import WML_MONTHLY

    params = crash_params(settings)
    wml = wml_chunk(warehouse, start, end, params, settings)[WML_MONTHLY].set_index("period_end")["wml"]
    panels = MarketPanels(warehouse, end=end)
    state = market_state_table(panels.market_monthly, panels.market_daily["market_ret"], params)
    state = state.set_index("period_end") if "period_end" in state else state
    wml.index = pd.to_datetime(wml.index)
    state.index = pd.to_datetime(state.index)
    worst = wml.nsmallest(5).to_frame().join(state[["bear", "up", "market_excess"]])
    figures = pd.Series(
        {
            "wml_sharpe": wml.mean() / wml.std() * np.sqrt(12),
            "wml_mean_pct_month": 100 * wml.mean(),
            "months": len(wml),
            "worst5_in_bear_rebounds": int(((worst["bear"] == 1) & (worst["up"] == 1)).sum()),
            **rebound_test(wml, state),
        }
    )
    return figures, worst


def rebound_test(wml: pd.Series, state: pd.DataFrame) -> dict:
    """WML's mean return (%/month) in bear-market rebounds (I_B,t-1 = 1, market up in t) and in the other
    months, the number of rebound months, and the Welch t of the difference (Daniel-Moskowitz 2016, Table 3:
    WML's up-market beta in bear markets is strongly negative, so rebounds are its worst months)."""
    state = state.reindex(wml.index)
    rebound = ((state["bear"] == 1) & (state["up"] == 1)).to_numpy()
    inside, outside = wml[rebound].dropna(), wml[~rebound].dropna()
    if len(inside) < 2 or len(outside) < 2:
        return {
            "rebound_months": int(len(inside)),
            "rebound_mean_pct": np.nan,
            "other_mean_pct": np.nan,
            "rebound_t": np.nan,
        }
    se = np.sqrt(inside.var() / len(inside) + outside.var() / len(outside))
    return {
        "rebound_months": int(len(inside)),
        "rebound_mean_pct": 100 * inside.mean(),
        "other_mean_pct": 100 * outside.mean(),
        "rebound_t": float((inside.mean() - outside.mean()) / se),
    }


def seed_rows(figures, ours: dict, summaries: pd.DataFrame) -> pd.DataFrame:
    """Target | ours rows of one seed in the note's printed units (``core.fidelity.compare``), with our
    sample length (months) for the factor."""
    from momentum_dag.core.fidelity import PEARSON_LABEL, compare

    rows = []
    months = summaries.groupby("factor")["n_periods"].max()
    for name in FACTORS:
        own = [f for f in figures if f.page == name]
        table = compare(own, ours[name])
        for figure, (_, row) in zip(own, table.iterrows(), strict=True):
            rows.append(
                {
                    "factor": name,
                    "metric": figure.metric,
                    "weighting": figure.weighting or "equal",
                    "id": figure.id,
                    "target": figure.value,
                    "ours": row["ours"],
                    "pearson": row["ours_alt"] if row["ours_alt_label"] == PEARSON_LABEL else np.nan,
                    "months": months[name],
                }
            )
    return pd.DataFrame(rows)


def check(rows: pd.DataFrame, figures, seeds: list[int]) -> pd.DataFrame:
    """One row per figure: target, band, ours per seed, their mean, and whether the mean lies within the band
    and every seed within band x sqrt(seeds)."""
    by_id = {f.id: f for f in figures}
    out = []
    for fid, group in rows.groupby("id", sort=False):
        figure = by_id[fid]
        half = band(figure, figures, float(group["months"].mean()), len(seeds))
        values = group.set_index("seed")["ours"].reindex(seeds).astype(float)
        mean = float(values.mean())
        out.append(
            {
                "factor": figure.page,
                "metric": figure.metric,
                "weighting": figure.weighting or "equal",
                "target": figure.value,
                "band": half,
                **{str(seed): values[seed] for seed in seeds},
                "mean": mean,
                "pearson_mean": float(group["pearson"].mean()) if group["pearson"].notna().any() else np.nan,
                "mean_ok": bool(np.isfinite(mean) and abs(mean - figure.value) <= half),
                "seeds_ok": bool(
                    values.notna().all() and (values - figure.value).abs().le(half * np.sqrt(len(seeds))).all()
                ),
            }
        )
    return pd.DataFrame(out)


def run_seed(seed: int, profile: str, stocks: int) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    from momentum_dag.settings import Settings

    with tempfile.TemporaryDirectory(prefix="momentum_calibrate_") as folder:
        settings = Settings.from_env(
            {
                **os.environ,
                "MOMENTUM_SIM_SEED": str(seed),
                "MOMENTUM_SIM_PROFILE": profile,
                "MOMENTUM_SIM_STOCKS": str(stocks),
                "MOMENTUM_DATA_SOURCE": "synthetic",
                "MOMENTUM_DUCKDB_PATH": str(Path(folder) / "calibrate.duckdb"),
            }
        )
        start, end = history_window(settings)
        warehouse = build_warehouse(Path(folder), settings, start, end)
        ours, summaries = factor_rows(warehouse, settings, start, end)
        crash, worst = crash_rows(warehouse, settings, start, end)
        return seed_rows(targets(), ours, summaries), crash, worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="realistic", choices=["realistic", "strong", "null"])
    parser.add_argument("--stocks", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS))
    parser.add_argument("--csv", type=Path, help="also write the per-figure table (and WML's per-seed figures) here")
    args = parser.parse_args()
    pd.set_option("display.width", 200)
    print(f"profile {args.profile}, {args.stocks} stocks, seeds {args.seeds}")
    for metric, rule in BAND_RULES.items():
        print(f"  band {metric}: {rule}")
    tables, crashes = [], {}
    for seed in args.seeds:
        t0 = time.perf_counter()
        table, crash, worst = run_seed(seed, args.profile, args.stocks)
        print(f"\nseed {seed} ({time.perf_counter() - t0:.0f} s): WML {crash.to_dict()}")
        print("worst WML months (bear = I_B,t-1, up = I_U,t):")
        print(worst.to_string())
        tables.append(table.assign(seed=seed))
        crashes[seed] = crash
    table = check(pd.concat(tables, ignore_index=True), targets(), args.seeds)
    print("\ntarget | band | ours per seed | mean (printed units: IC, %, %/yr, Sharpe)")
    print(table.round(3).to_string(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False)
        pd.DataFrame(crashes).T.rename_axis("seed").to_csv(args.csv.with_suffix(".wml.csv"))
    crash_ok = all(c["rebound_t"] <= -2 for c in crashes.values())
    ok = table["mean_ok"] & table["seeds_ok"]
    print("\nWML per seed: Sharpe; mean %/month in bear-market rebounds vs other months (Welch t); worst 5 months")
    for seed, c in crashes.items():
        print(
            f"  {seed}: Sharpe {c['wml_sharpe']:.2f}; rebounds {c['rebound_mean_pct']:.2f} ({c['rebound_months']:.0f} "
            f"months) vs {c['other_mean_pct']:.2f}, t {c['rebound_t']:.2f}; {c['worst5_in_bear_rebounds']:.0f} of "
            f"the 5 worst in rebounds"
        )
    print(
        f"\n{int(ok.sum())} of {len(table)} figures within their band (mean) and 2 SE (each seed); "
        f"WML's bear-market rebounds its bad months (t <= -2) on every seed: {crash_ok}"
    )
    from scipy.stats import binom

    rate = pass_rate_if_equal(len(args.seeds))
    misses = binom(len(table), 1 - rate)
    print(
        f"For scale: a market whose figures equal the note's passes each figure with probability {rate:.3f} on "
        f"{len(args.seeds)} seeds, so it misses {misses.mean():.1f} of {len(table)} on average, at most "
        f"{misses.ppf(0.95):.0f} in 95 % of runs, and none in {misses.pmf(0):.0%} (figures taken as independent). "
        "The exit status stays strict: every figure in its band."
    )
    return 0 if ok.all() and crash_ok else 1


if __name__ == "__main__":
    sys.exit(main())
