"""Monthly operation: any split of a history into runs leaves identical tables.

Warehouse A is one backfill of the whole graph; warehouse B is a backfill to three months before the end
followed by one run per month (what the schedule and the weekly sensor do each month), then a re-run of
a sub-range. Every table of A and B must hold the same rows (floats to 1e-9, NaN equal to NaN), and the
evaluation of a month lands with the next month's run. The estimators' warm-ups are shortened so that
every one of them (the expanding D-MOM LPM, GJR-GARCH and its blend, the in-sample dynamic strategy, PC
factor momentum, the Lasso) produces values in the months run one at a time.
"""

import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions

pytestmark = pytest.mark.integration

FIRST, SPLIT, LAST = "2014-01", "2016-04", "2016-06"
SHORT_WARMUPS = {
    "MOMENTUM_DMOM_MIN_MONTHS": "12",
    "MOMENTUM_CRASH_GARCH_MIN_DAYS": "126",
    "MOMENTUM_CRASH_BLEND_MIN_PAIRS": "6",
    "MOMENTUM_FM_PC_MIN_DAYS": "126",
    "MOMENTUM_FM_PC_MIN_MONTHS": "13",
    "MOMENTUM_CRASH_KF_GARCH_REFIT_EVERY": "12",
}


def tables(path) -> dict[str, pd.DataFrame]:
    """Every base table, rows in a canonical order (all columns, nulls last)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = conn.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        return {n: conn.execute(f"select * from {n} order by all nulls last").df() for (n,) in names}
    finally:
        conn.close()


def differences(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> list[str]:
    """Tables that differ: missing in one, other row counts or columns, or values beyond 1e-9."""
    out = [f"{t}: only in {'A' if t in a else 'B'}" for t in sorted(set(a) ^ set(b))]
    for name in sorted(set(a) & set(b)):
        x, y = a[name], b[name]
        if list(x.columns) != list(y.columns) or len(x) != len(y):
            out.append(f"{name}: {len(x)} vs {len(y)} rows, columns equal: {list(x.columns) == list(y.columns)}")
            continue
        for column in x.columns:
            u, v = x[column], y[column]
            if pd.api.types.is_float_dtype(u) and pd.api.types.is_float_dtype(v):
                same = np.isclose(u.to_numpy(), v.to_numpy(), rtol=1e-9, atol=1e-12, equal_nan=True)
            else:
                same = (u.isna() & v.isna()) | (u == v)
            if not bool(np.all(same)):
                out.append(f"{name}.{column}: {int((~np.asarray(same)).sum())} of {len(u)} rows differ")
                break
    return out


def run(path, home, first: str, last: str) -> None:
    """One CLI backfill of ``first``..``last`` into ``path`` (monthly assets, the weeks closing in those
    months, then the reports), on the Dagster instance in ``home``."""
    home.mkdir(exist_ok=True)
    with DagsterInstance.local_temp(str(home)) as instance:
        backfill(first, last, defs=build_definitions(str(path)), instance=instance)


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    root = tmp_path_factory.mktemp("monthly_operation")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SHORT_WARMUPS.items():
            patch.setenv(name, value)
        a, b = root / "a.duckdb", root / "b.duckdb"
        run(a, root / "home_a", FIRST, LAST)
        run(b, root / "home_b", FIRST, SPLIT)
        until_split = tables(b)
        months = [str(m) for m in pd.period_range(SPLIT, LAST, freq="M")[1:]]
        after_first_month = None
        for month in months:
            run(b, root / "home_b", month, month)
            if after_first_month is None:
                after_first_month = tables(b)
        yield {
            "a": a,
            "b": b,
            "root": root,
            "after_first_month": after_first_month,
            "months": months,
            "until_split": until_split,
        }


def test_one_backfill_equals_a_backfill_then_single_months(warehouses):
    a, b = tables(warehouses["a"]), tables(warehouses["b"])
    assert differences(a, b) == []
    # the estimators did produce values in the months run one at a time
    late = pd.Period(SPLIT, freq="M").end_time.normalize() + pd.Timedelta(days=1)  # the single-month runs
    for table, column in (
        ("factors.dmom", "period_end"),
        ("models.wml_variance_forecast", "period_end"),
        ("factors.momentum_cross_industry_lasso", "period_end"),
        ("models.pc_factor_momentum_monthly", "period_end"),
        ("factors.momentum_pca", "period_end"),
    ):
        assert (pd.to_datetime(a[table][column]) >= late).sum() > 0, table
    blend = a["models.wml_variance_forecast"]
    assert blend.loc[pd.to_datetime(blend["period_end"]) >= late, "blend_var"].notna().all()
    # (no bear market in 2014-2016 on this market, so the out-of-sample dynamic strategy is undefined)
    strategies = set(a["models.momentum_strategy_returns"]["strategy"])
    assert {"static", "cvol_dm", "dyn_is"} <= strategies


# Full-sample analyses: every row changes when a month is added, by definition (ex-post scaling, OLS over
# the whole sample); spells of industry membership get their out_date once the switch happens.
FULL_SAMPLE = (
    "eval.summary",
    "models.momentum_strategy",
    "models.crash_",
    "models.spanning_",
    "models.kenfrench_",
    "models.conditional_",
    "models.factor_autocorrelation",
    "models.pc_factor_momentum_summary",
    "models.factor_momentum_notes",
    "raw.industry_membership",
)
DATE_COLUMNS = ("period_end", "trade_date", "month_end", "week_end", "announce_date")


def test_no_row_up_to_m_changes_when_three_more_months_arrive(warehouses):
    """Look-ahead through the whole graph: the warehouse backfilled to M and the one backfilled to M+3
    hold the same rows for every period up to M, in every partitioned table. (Up to the Monday of the week
    holding M's last day, since that week closes in M+1; evaluations up to M-1, since M's lands with M+1.)"""
    month_end = pd.Period(SPLIT, freq="M").end_time.normalize()
    week_cutoff = month_end - pd.Timedelta(days=month_end.dayofweek)
    eval_cutoff = pd.Period(SPLIT, freq="M").start_time
    early, late = warehouses["until_split"], tables(warehouses["a"])
    compared = 0
    for name, rows in early.items():
        column = next((c for c in DATE_COLUMNS if c in rows.columns), None)
        if column is None or name.startswith(FULL_SAMPLE):
            continue
        cutoff = eval_cutoff if name.startswith("eval.") else week_cutoff
        early_rows = rows[pd.to_datetime(rows[column]) < cutoff].reset_index(drop=True)
        late_rows = late[name][pd.to_datetime(late[name][column]) < cutoff].reset_index(drop=True)
        assert differences({name: early_rows}, {name: late_rows}) == [], name
        compared += 1
    assert compared >= 40


def test_rerunning_a_sub_range_leaves_every_table_identical(warehouses):
    before = tables(warehouses["b"])
    run(warehouses["b"], warehouses["root"] / "home_b", "2015-06", "2015-06")
    assert differences(before, tables(warehouses["b"])) == []


def test_a_months_evaluation_lands_with_the_next_months_run(warehouses):
    """After the May run, the factor formed at the end of May has no evaluation yet (its returns are
    June's); the June run writes it."""
    may, _ = warehouses["months"]
    after_may = warehouses["after_first_month"]
    final = tables(warehouses["b"])
    for name in ("eval.mom_12_2_periods", "eval.momentum_periods"):
        formed = pd.to_datetime(after_may[name]["period_end"]).dt.to_period("M")
        assert formed.max() == pd.Period(SPLIT)  # April's formation, evaluated over May
        assert (pd.to_datetime(final[name]["period_end"]).dt.to_period("M") == pd.Period(may)).any()
    # turnover needs the previous period's top quantile: defined in the period of a one-month run
    periods = final["eval.mom_12_2_periods"]
    last_month = periods[pd.to_datetime(periods["period_end"]).dt.to_period("M") == pd.Period(may)]
    assert last_month["top_turnover"].notna().all() and len(last_month) > 0


def test_each_partition_reports_its_own_figures(warehouses):
    """A range run's metadata is each partition's own: D-MOM's coverage that month = stocks scored / stocks
    with a monthly return, the evaluation's rank IC that month's, and no sentinel dates."""
    a = tables(warehouses["a"])
    scored = a["factors.dmom"].groupby(pd.to_datetime(a["factors.dmom"]["period_end"]).dt.to_period("M")).size()
    monthly = a["marts.stock_returns_monthly"]
    universe = monthly[monthly["ret"].notna()].groupby(pd.to_datetime(monthly["month_end"]).dt.to_period("M")).size()
    periods = a["eval.mom_12_2_periods"]
    periods = periods.assign(month=pd.to_datetime(periods["period_end"]).dt.to_period("M"))
    with DagsterInstance.local_temp(str(warehouses["root"] / "home_a")) as instance:
        events = instance.fetch_materializations(AssetKey(["factors", "dmom"]), limit=1000).records
        coverage = {
            pd.Period(e.partition_key[:7]): e.asset_materialization.metadata["coverage"].value
            for e in events
            if "coverage" in e.asset_materialization.metadata
        }
        assert len(coverage) >= 3 and len(set(coverage.values())) > 1  # a time series, not one copied value
        for month, value in coverage.items():
            # the UI's figures carry 4 significant digits (assets.common.rounded)
            assert value == pytest.approx(scored[month] / universe[month], rel=5e-4), month
        evals = instance.fetch_materializations(AssetKey(["eval", "mom_12_2"]), limit=1000).records
        for e in evals:
            meta = e.asset_materialization.metadata
            if "rank_ic" in meta:  # partition M: the factor formed at the end of M-1
                formed = pd.Period(e.partition_key[:7]) - 1
                assert meta["rank_ic"].value == pytest.approx(
                    float(periods.loc[periods["month"] == formed, "rank_ic"].mean()), rel=5e-4
                )
        raw = instance.fetch_materializations(AssetKey(["raw", "daily_bars"]), limit=1000).records
        windows = [m.metadata.get("window") for m in (e.asset_materialization for e in raw)]
        assert not any(w is not None and "1900" in str(w.value) for w in windows)  # no sentinel dates
