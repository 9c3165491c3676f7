"""Calibration of the default synthetic market against the D-MOM note's A-share table, on several seeds.

Usage:

    .venv/bin/python benchmarks/calibrate.py                  # realistic, 1,000 stocks, spread over 10 seeds, check 3
    .venv/bin/python benchmarks/calibrate.py --seeds 20140111 20140112 20140113     # check three other seeds
    .venv/bin/python benchmarks/calibrate.py --cache /tmp/calibration --csv /tmp/calibration.csv --jobs 2

Targets: every figure of the study ``dmom_note_2025`` in ``momentum_dag/reports/published.yaml`` whose
metric is one of ``METRICS`` (IC mean, IC > 0 share, annualized long-short return, long-short Sharpe; equal-
and cap-weighted where the note prints both) for 12-2 momentum, 6-2 momentum, D-MOM and enhanced D-MOM.
The targets are read from that file, never typed here.

Bands from the measured seed-to-seed spread. The script builds the market of every spread seed
(``--spread-seeds``, ten by default) and every check seed (``--seeds``, three by default: 20140101-03, which
are also spread seeds). For each figure, ``sd`` is the sample standard deviation of our figure over the spread
seeds: how far one seed's figure moves from one market of the profile to the next, the months' common
components (market regimes, the AR(1) style and industry drifts) included. Nothing in a band is typed in:
- the check seeds' mean must lie within target +/- m x sd / sqrt(check seeds) (m standard errors of a
  three-seed mean);
- every check seed must lie within target +/- m x sd (m standard errors of one seed).
A figure holds when both do. The script exits 1 when a figure does not hold or the crash check fails.

The multiple m is family-wise (``family_multiple``): the smallest m at which a market whose population
figures all equal the note's holds every one of the n figures with probability at least FAMILY = 0.95,
by Bonferroni (each figure with at least 1 - 0.05 / n; ``pass_rate_if_equal``, which knows how many seeds
the sd is estimated from and whether the check seeds are among them). For 20 figures and three check seeds
among ten spread seeds m = 3.19 (held-out check seeds: 5.0, the sd of ten seeds being itself noisy). A
per-figure 2 (the multiple this script used before) passes each figure with 0.86 and all 20 in about 5 % of
runs of a market equal to the note: its exit status rejected a perfect market 19 times in 20. Bonferroni
holds whatever the figures' correlations (a long-short return and its Sharpe move together), at the cost
of some power: a figure off by about m standard errors of the three-seed mean fails half the time. The
per-figure evidence stays in the **population** estimate below, at two standard errors.

What a band means: a market whose population figures equal the note's passes the whole check in at least 95 %
of runs, and a market whose population figure is off by more than about m standard errors of a three-seed mean
usually fails. The band is our market's noise, not the note's: the note's figure is itself one draw of A-share
history, so a miss says that our market's figure differs from the note's by more than our own seed-to-seed
noise. A noisier market gets wider bands; the sd is printed beside each band so a reader sees it. The spread
seeds also estimate the population figure: the mean over all of them and z = (mean - target) / (sd /
sqrt(spread seeds)) are printed beside the check (not part of the exit status): a figure with |z| > 2 is off
in the population even when the three check seeds happen to pass.

The note's "IC" is read as the rank (Spearman) IC, as the factor pages read it (``core.fidelity.ic_reading``:
the note prints a positive IC beside a negative long-short return for 12-2 and 6-2 momentum, which a rank
IC allows and a Pearson IC, dominated by the extreme names the deciles hold, hardly does). The IC mean and
IC > 0 rows are checked on our rank IC; our Pearson IC's mean over the check seeds is printed beside them
(``pearson_mean``), not checked.

Momentum crashes are not a target: WML's Sharpe is whatever the targets above imply. What must stay is
Daniel and Moskowitz's (2016) crash behaviour: WML's worst months fall in rebounds after bear markets
(bear state I_B,t-1 = 1 and the market up in the month; their Table 3: in bear markets WML's up-market beta
is strongly negative). The check, on the check seeds' months pooled: WML's mean return in those rebound
months is below its mean in the other months by at least two standard errors (Welch t <= -2), so the
rebounds are WML's bad months beyond sampling noise. Pooled, because a seed's test has as many rebound
months as its market happened to spend in bear states: a seed with one such month has no test at all (it
failed the per-seed check this script used before, whatever WML did in that month). The script also prints
the test on every seed alone, how many of WML's five worst months are rebounds and WML's Sharpe; the same
test on all spread seeds' months pooled is printed too.

Speed: no Dagster run. The synthetic market is written to a temporary DuckDB warehouse, the staging and
mart SQL models are built with the runner the SQL assets use (``storage.sql_models.materialize``), D-MOM's
regressors with ``features_chunk`` (what ``factors/dmom_features`` computes per chunk), and the factors,
their evaluation and summaries with ``compute_factor``, ``evaluate_rows`` and ``factor_summaries``, the
functions the ``factors/*``, ``eval/*`` and ``reports/*`` assets call, over the whole history at once (the
pipeline's invariant: any split of a history into runs leaves identical tables). WML and the market state
come from ``wml_chunk`` and ``market_state_table``, as in ``crashes/wml`` and ``crashes/market_state``.
``--jobs N`` builds N seeds at a time in separate processes. ``--cache DIR`` keeps each seed's figures in
DIR, keyed by seed, profile, stocks and a hash of the package's source (``code_fingerprint``), so a second
check on other seeds reuses the spread seeds' markets and any code change builds them again.
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
SPREAD_SEEDS = tuple(range(20140101, 20140111))
MULTIPLE = 2.0  # pass_rate_if_equal's default: two standard errors (of the check seeds' mean; of one seed)
FAMILY = 0.95  # a market equal to the note passes every figure's band with at least this probability
CACHE_FORMAT = "wml2"  # the cached WML figures carry the rebound test's moments (for pooling seeds)
METRICS = ("ic_mean", "ic_positive_share", "long_short_ann_return", "long_short_sharpe")


def spread(rows: pd.DataFrame, seeds) -> pd.Series:
    """Per figure id, the sample standard deviation (ddof 1) of ``ours`` over ``seeds``: one seed's noise.
    NaN when fewer than two of the seeds have the figure."""
    own = rows[rows["seed"].isin(list(seeds))]
    return own.groupby("id", sort=False)["ours"].agg(
        lambda v: v.dropna().std(ddof=1) if v.notna().sum() > 1 else np.nan
    )


def band(sd: float, n_seeds: int, multiple: float = MULTIPLE) -> float:
    """Half-width of a band around the target for the mean of ``n_seeds`` seeds: ``multiple`` standard errors,
    the SE being one seed's sd / sqrt(n_seeds) (``n_seeds`` = 1 gives the band of each seed)."""
    return multiple * sd / np.sqrt(n_seeds)


def needed_multiples(
    n_seeds: int, spread_seeds: int | None = None, held_out: bool = False, draws: int = 400_000
) -> np.ndarray:
    """Monte Carlo draws (fixed seed) of the smallest multiple at which one figure holds when our market's
    population figure EQUALS the note's: each seed's figure is z ~ N(0, 1) in units of one seed's true sd;
    the mean of the ``n_seeds`` check seeds must lie within m x s / sqrt(n_seeds) and every check seed within
    m x s, so a draw needs m = max(|mean| sqrt(n_seeds) / s, max |z| / s). s is the true sd when
    ``spread_seeds`` is None, else the sample sd of ``spread_seeds`` seeds: the first ``n_seeds`` of them are
    the check seeds (as ``main`` runs the defaults), or, with ``held_out``, the check seeds are drawn apart."""
    rng = np.random.default_rng(0)
    extra = n_seeds if held_out or spread_seeds is None else 0
    z = rng.standard_normal((draws, (spread_seeds or 0) + extra))
    s = np.ones(draws) if spread_seeds is None else z[:, :spread_seeds].std(axis=1, ddof=1)
    check = z[:, -n_seeds:] if extra else z[:, :n_seeds]
    return np.maximum(np.abs(check.mean(axis=1)) / band(s, n_seeds, 1), np.abs(check).max(axis=1) / s)


def pass_rate_if_equal(
    n_seeds: int,
    spread_seeds: int | None = None,
    held_out: bool = False,
    multiple: float = MULTIPLE,
    draws: int = 400_000,
) -> float:
    """The chance that one figure holds at ``multiple`` when our market's population figure EQUALS the
    note's (``needed_multiples``). One seed, sd known: P(|z| <= 2) = 0.954; three: 0.852."""
    return float((needed_multiples(n_seeds, spread_seeds, held_out, draws) <= multiple).mean())


def family_multiple(
    n_figures: int,
    n_seeds: int,
    spread_seeds: int | None = None,
    held_out: bool = False,
    family: float = FAMILY,
    draws: int = 400_000,
) -> float:
    """The smallest multiple m (rounded up to 0.01) at which a market whose population figures all equal the
    note's holds every one of ``n_figures`` bands with probability >= ``family``: Bonferroni, each figure with
    ``pass_rate_if_equal(..., m) >= 1 - (1 - family) / n_figures``, so it holds whatever the figures'
    correlations: that quantile of ``needed_multiples``."""
    need = 1 - (1 - family) / n_figures
    needed = needed_multiples(n_seeds, spread_seeds, held_out, draws)
    return float(np.ceil(np.quantile(needed, need, method="higher") * 100) / 100)


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
    months, the number of months of each and their sums of squared deviations (%^2, for pooling seeds:
    ``pooled_rebound_test``), and the Welch t of the difference (Daniel-Moskowitz 2016, Table 3: WML's
    up-market beta in bear markets is strongly negative, so rebounds are its worst months). The means and t
    are NaN with fewer than two months on a side."""
    state = state.reindex(wml.index)
    rebound = ((state["bear"] == 1) & (state["up"] == 1)).to_numpy()
    inside, outside = 100 * wml[rebound].dropna(), 100 * wml[~rebound].dropna()
    moments = {
        "rebound_months": int(len(inside)),
        "rebound_sum_sq_dev": float(((inside - inside.mean()) ** 2).sum()) if len(inside) else 0.0,
        "other_months": int(len(outside)),
        "other_sum_sq_dev": float(((outside - outside.mean()) ** 2).sum()) if len(outside) else 0.0,
    }
    means = {"rebound_mean_pct": float(inside.mean()) if len(inside) else np.nan}
    means["other_mean_pct"] = float(outside.mean()) if len(outside) else np.nan
    return {**moments, **means, "rebound_t": _welch_t({**moments, **means})}


def _welch_t(m: dict) -> float:
    """Welch t of rebound vs other months from the counts, means and sums of squared deviations."""
    n_in, n_out = m["rebound_months"], m["other_months"]
    if n_in < 2 or n_out < 2:
        return np.nan
    se = np.sqrt(m["rebound_sum_sq_dev"] / (n_in - 1) / n_in + m["other_sum_sq_dev"] / (n_out - 1) / n_out)
    return float((m["rebound_mean_pct"] - m["other_mean_pct"]) / se)


def pooled_rebound_test(seeds: list[dict]) -> dict:
    """``rebound_test`` on the seeds' months stacked, from each seed's counts, means and sums of squared
    deviations (the exact pooled moments: M2 = sum of M2_i + n_i (mean_i - mean)^2 on each side)."""
    out = {}
    for side in ("rebound", "other"):
        n = np.array([s[f"{side}_months"] for s in seeds], dtype=float)
        total = n.sum()
        if total == 0:
            out |= {f"{side}_months": 0, f"{side}_mean_pct": np.nan, f"{side}_sum_sq_dev": 0.0}
            continue
        means = np.array([s[f"{side}_mean_pct"] if k else 0.0 for s, k in zip(seeds, n, strict=True)])
        mean = float((n * means).sum() / total)
        m2 = sum(s[f"{side}_sum_sq_dev"] for s in seeds) + float((n * (means - mean) ** 2).sum())
        out |= {f"{side}_months": int(total), f"{side}_mean_pct": mean, f"{side}_sum_sq_dev": m2}
    return {**out, "rebound_t": _welch_t(out)}


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


def check(
    rows: pd.DataFrame, figures, seeds: list[int], spread_seeds: list[int], multiple: float = MULTIPLE
) -> pd.DataFrame:
    """One row per figure: target, the spread seeds' sd, the band of the check seeds' mean and of each seed
    (``multiple`` standard errors), ours per check seed, their mean, whether the mean lies within its band and
    every seed within its own, and the population estimate: the spread seeds' mean and its z against the
    target."""
    by_id = {f.id: f for f in figures}
    sd = spread(rows, spread_seeds)
    out = []
    for fid, group in rows.groupby("id", sort=False):
        figure = by_id[fid]
        values = group.set_index("seed")["ours"]
        own = values.reindex(seeds).astype(float)
        population = values.reindex(spread_seeds).astype(float)
        mean, half, each = float(own.mean()), band(sd[fid], len(seeds), multiple), band(sd[fid], 1, multiple)
        checked = group[group["seed"].isin(seeds)]["pearson"]
        out.append(
            {
                "factor": figure.page,
                "metric": figure.metric,
                "weighting": figure.weighting or "equal",
                "target": figure.value,
                "sd": sd[fid],
                "band": half,
                "seed_band": each,
                **{str(seed): own[seed] for seed in seeds},
                "mean": mean,
                "ok": bool(
                    np.isfinite(mean)
                    and abs(mean - figure.value) <= half
                    and own.notna().all()
                    and (own - figure.value).abs().le(each).all()
                ),
                "mean_ok": bool(np.isfinite(mean) and abs(mean - figure.value) <= half),
                "seeds_ok": bool(own.notna().all() and (own - figure.value).abs().le(each).all()),
                "population_mean": float(population.mean()),
                "population_z": float((population.mean() - figure.value) / band(sd[fid], population.notna().sum(), 1)),
                "pearson_mean": float(checked.mean()) if checked.notna().any() else np.nan,
            }
        )
    return pd.DataFrame(out)


def code_fingerprint() -> str:
    """A hash of the package's and the SQL models' source (.py, .sql, .yaml, .yml): the cache key's code part."""
    import hashlib

    import momentum_dag

    digest = hashlib.sha256()
    for package in (Path(momentum_dag.__file__).parent, Path(momentum_dag.__file__).parent.parent / "dbt_like_sql"):
        for path in sorted(p for p in package.rglob("*") if p.suffix in {".py", ".sql", ".yaml", ".yml"}):
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


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


def seed_figures(seed: int, profile: str, stocks: int, cache: Path | None) -> tuple[pd.DataFrame, dict, str]:
    """One seed's rows and WML figures, from ``cache`` when it holds them; the third item says what happened."""
    import json

    key = cache / f"{profile}-{stocks}-{seed}-{code_fingerprint()}-{CACHE_FORMAT}" if cache else None
    if key is not None and key.with_suffix(".csv").exists():
        rows = pd.read_csv(key.with_suffix(".csv"))
        return rows, json.loads(key.with_suffix(".json").read_text()), f"seed {seed}: from {key}.csv"
    t0 = time.perf_counter()
    rows, crash, worst = run_seed(seed, profile, stocks)
    rows = rows.assign(seed=seed)
    crash = {k: float(v) for k, v in crash.items()}
    if key is not None:
        cache.mkdir(parents=True, exist_ok=True)
        rows.to_csv(key.with_suffix(".csv"), index=False)
        key.with_suffix(".json").write_text(json.dumps(crash))
    text = f"seed {seed} ({time.perf_counter() - t0:.0f} s); worst WML months (bear = I_B,t-1, up = I_U,t):\n{worst}"
    return rows, crash, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="realistic", choices=["realistic", "strong", "null"])
    parser.add_argument("--stocks", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=list(DEFAULT_SEEDS), help="the check seeds")
    parser.add_argument(
        "--spread-seeds", type=int, nargs="+", default=list(SPREAD_SEEDS), help="the seeds whose sd sets the bands"
    )
    parser.add_argument("--jobs", type=int, default=1, help="seeds built at a time, each in its own process")
    parser.add_argument("--cache", type=Path, help="keep each seed's figures here (keyed by the code's hash)")
    parser.add_argument("--csv", type=Path, help="also write the per-figure table (and WML's per-seed figures) here")
    args = parser.parse_args()
    pd.set_option("display.width", 220)
    every = list(dict.fromkeys([*args.spread_seeds, *args.seeds]))
    n_figures = len(targets())
    held_out = not set(args.seeds) & set(args.spread_seeds)
    if held_out or list(args.spread_seeds[: len(args.seeds)]) == list(args.seeds):
        sampled = (len(args.spread_seeds), held_out)
        where = "apart from" if held_out else "among"
        how = f"{len(args.seeds)} check seeds {where} {len(args.spread_seeds)} spread seeds"
    else:
        sampled, how = (None, False), f"{len(args.seeds)} check seeds, sd taken as known"
    multiple = family_multiple(n_figures, len(args.seeds), *sampled)
    print(
        f"profile {args.profile}, {args.stocks} stocks; sd over spread seeds {args.spread_seeds}; check seeds "
        f"{args.seeds}: their mean within m x sd / sqrt({len(args.seeds)}), each within m x sd, m = {multiple:.2f} "
        f"(a market equal to the note holds all {n_figures} figures with >= {FAMILY:.0%}; {how})"
    )
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        from functools import partial

        with ProcessPoolExecutor(args.jobs) as pool:
            build = partial(seed_figures, profile=args.profile, stocks=args.stocks, cache=args.cache)
            done = list(pool.map(build, every))
    else:
        done = [seed_figures(seed, args.profile, args.stocks, args.cache) for seed in every]
    for _, _, text in done:
        print(text)
    rows = pd.concat([r for r, _, _ in done], ignore_index=True)
    crashes = {seed: c for seed, (_, c, _) in zip(every, done, strict=True)}
    table = check(rows, targets(), args.seeds, args.spread_seeds, multiple)
    print("\ntarget | sd over the spread seeds | band of the mean | band of a seed | ours per check seed | mean | ok |")
    print("population: the spread seeds' mean and z (printed units: IC, %, %/yr, Sharpe)")
    print(table.drop(columns=["mean_ok", "seeds_ok"]).round(3).to_string(index=False))
    if args.csv:
        table.to_csv(args.csv, index=False)
        pd.DataFrame(crashes).T.rename_axis("seed").to_csv(args.csv.with_suffix(".wml.csv"))
    print("\nWML per seed: Sharpe; mean %/month in bear-market rebounds vs other months (Welch t); worst 5 months")
    for seed, c in crashes.items():
        print(
            f"  {seed}{' (check)' if seed in args.seeds else ''}: Sharpe {c['wml_sharpe']:.2f}; rebounds "
            f"{c['rebound_mean_pct']:.2f} ({c['rebound_months']:.0f} months) vs {c['other_mean_pct']:.2f}, t "
            f"{c['rebound_t']:.2f}; {c['worst5_in_bear_rebounds']:.0f} of the 5 worst in rebounds"
        )
    pooled = pooled_rebound_test([crashes[seed] for seed in args.seeds])
    crash_ok = bool(pooled["rebound_t"] <= -2)
    spread_pooled = pooled_rebound_test([crashes[seed] for seed in args.spread_seeds])
    alone = sum(crashes[seed]["rebound_t"] <= -2 for seed in args.spread_seeds)
    for name, test in (("check seeds", pooled), ("spread seeds", spread_pooled)):
        print(
            f"  {name} pooled: rebounds {test['rebound_mean_pct']:.2f} ({test['rebound_months']} months) vs "
            f"{test['other_mean_pct']:.2f} ({test['other_months']}), t {test['rebound_t']:.2f}"
        )
    print(f"  spread seeds alone: t <= -2 on {alone} of {len(args.spread_seeds)}")
    off = table["population_z"].abs() > 2
    print(
        f"\n{int(table['ok'].sum())} of {len(table)} figures hold on the check seeds (m = {multiple:.2f}); WML's "
        f"bear-market rebounds its bad months on the check seeds pooled (t <= -2): {crash_ok}. Population (mean of "
        f"{len(args.spread_seeds)} spread seeds): {int(off.sum())} figures more than 2 SE from the note"
        + (f" ({', '.join(table.loc[off, 'factor'] + ' ' + table.loc[off, 'metric'])})" if off.any() else "")
    )
    from scipy.stats import binom

    rate = pass_rate_if_equal(len(args.seeds), sampled[0], sampled[1], multiple)
    misses = binom(len(table), 1 - rate)
    print(
        f"For scale: a market whose figures equal the note's holds each figure with probability {rate:.4f} at "
        f"m = {multiple:.2f} ({how}), all {len(table)} in at least {1 - len(table) * (1 - rate):.0%} of runs "
        f"(Bonferroni), none missed in {misses.pmf(0):.0%} if the figures were independent."
    )
    return 0 if table["ok"].all() and crash_ok else 1


if __name__ == "__main__":
    sys.exit(main())
