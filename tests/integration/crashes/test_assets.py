"""The Daniel-Moskowitz (2016) crash assets materialized through Dagster on the small synthetic market.

One module fixture builds a private DuckDB: raw + SQL + crash assets for 2014-01..2018-12 (snapshot),
then 2019, then 2018-01..2019-12 again in one run (2018 rows recomputed with 2019 data present), then
the unpartitioned assets. Checks are identities and independent recomputations from the stored tables
(SQL joins, numpy least squares), never numbers copied from the code's output.
"""

import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance

from momentum_dag.assets.crashes import CRASH_REPORTS
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.storage import Warehouse
from tests.reports.pages import drawn_charts

pytestmark = pytest.mark.integration

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
UPSTREAM = [
    "raw/daily_bars",
    "raw/market_daily",
    "raw/fundamentals",
    "raw/industry_membership",
    "staging/stg_market_daily",
    "staging/stg_daily_bars",
    "staging/stg_industry_membership",
    "staging/stg_fundamentals",
    "marts/stock_returns_daily",
    "marts/stock_returns_monthly",
    "marts/market_monthly",
]
PARTITIONED = ["crashes/wml", "crashes/market_state", "crashes/wml_betas", "crashes/wml_variance_forecast"]
UNPARTITIONED = [
    "crashes/momentum_strategies",
    "crashes/crash_regressions",
    "reports/momentum_crashes",
    "crashes/kenfrench_crashes",
    "reports/momentum_crashes_kenfrench",
]
PARTITIONED_TABLES = {
    "models.wml_monthly": "period_end",
    "models.wml_daily": "trade_date",
    "models.wml_formation": "period_end",
    "models.market_state": "period_end",
    "models.wml_betas": "period_end",
    "models.wml_variance_forecast": "period_end",
}


def _keys(paths):
    return [AssetKey(p.split("/")) for p in paths]


class Pipeline:
    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.defs = build_definitions(warehouse.database)
        self.job = self.defs.resolve_job_def("monthly_job")
        self.instance = DagsterInstance.ephemeral()

    def run(self, paths, first=None, last=None, partition=None, run_config=None):
        tags = {RANGE_START: first, RANGE_END: last} if first else {}
        result = self.job.execute_in_process(
            instance=self.instance,
            tags=tags,
            partition_key=partition,
            asset_selection=_keys(paths),
            run_config=run_config,
        )
        assert result.success
        return result

    def table(self, table: str, order: str) -> pd.DataFrame:
        return self.warehouse.query(f"select * from {table} order by {order}")


def _order(table: str) -> str:
    date_column = PARTITIONED_TABLES[table]
    return f"{date_column}, stock_id" if table == "models.wml_formation" else date_column


def _snapshot(pipe: Pipeline) -> dict[str, pd.DataFrame]:
    return {t: pipe.table(t, _order(t)) for t in PARTITIONED_TABLES}


def _materializations(result, path):
    return [
        e.event_specific_data.materialization
        for e in result.all_events
        if e.event_type_value == "ASSET_MATERIALIZATION"
        and e.event_specific_data.materialization.asset_key == AssetKey(path.split("/"))
    ]


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("crashes")
    # the environment is restored even when the setup fails (a failed run would otherwise leave this
    # module's warehouse path set for every later test module)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MOMENTUM_DUCKDB_PATH", str(root / "crashes.duckdb"))
        mp.setenv("MOMENTUM_REPORTS_DIR", str(root / "reports"))
        # refitting the monthly Ken French GARCH every 12 months keeps the 800-month branch fast
        mp.setenv("MOMENTUM_CRASH_KF_GARCH_REFIT_EVERY", "12")
        pipeline = Pipeline(Warehouse.at(str(root / "crashes.duckdb")))
        pipeline.reports_dir = root / "reports"
        pipeline.run(UPSTREAM + PARTITIONED, "2014-01-01", "2018-12-01")
        pipeline.before_2019 = _snapshot(pipeline)
        pipeline.run(UPSTREAM + PARTITIONED, "2019-01-01", "2019-12-01")
        # 2018 recomputed in one run whose inputs now reach 2019-12: must equal the snapshot (no look-ahead).
        pipeline.run(PARTITIONED, "2018-01-01", "2019-12-01")
        pipeline.unpartitioned = pipeline.run(UNPARTITIONED)
        yield pipeline


# ---- crashes/wml --------------------------------------------------------------------------------------------


def test_wml_is_top_minus_bottom_decile(pipe):
    monthly = pipe.table("models.wml_monthly", "period_end")
    daily = pipe.table("models.wml_daily", "trade_date")
    assert len(monthly) == 60  # formation needs 12 months (2014), holding months 2015-01..2019-12
    assert monthly["wml"].to_numpy() == pytest.approx((monthly["d10"] - monthly["d1"]).to_numpy(), abs=1e-12)
    assert daily["wml"].to_numpy() == pytest.approx((daily["d10"] - daily["d1"]).to_numpy(), abs=1e-12)


def test_decile_return_recomputed_from_formation_weights(pipe):
    # d10 of holding month June 2018 = sum(w_i r_i) / sum(w_i) over EVERY stock formed into decile 10 at the
    # May 2018 month end, a stock without a June return counting 0 (buy and hold, weight not redistributed).
    expected = pipe.warehouse.query(
        """
        with f as (select * from models.wml_formation
                   where period_end = (select max(period_end) from models.wml_formation
                                       where period_end < '2018-06-01') and decile in (1, 10)),
             r as (select stock_id, ret from marts.stock_returns_monthly
                   where month_end >= '2018-06-01' and month_end < '2018-07-01')
        select decile, sum(weight * coalesce(ret, 0)) / sum(weight) as ret
        from f left join r using (stock_id) group by decile
        """
    ).set_index("decile")["ret"]
    row = pipe.warehouse.query(
        "select d1, d10 from models.wml_monthly where period_end >= '2018-06-01' and period_end < '2018-07-01'"
    ).iloc[0]
    assert row["d10"] == pytest.approx(expected[10], rel=1e-10)
    assert row["d1"] == pytest.approx(expected[1], rel=1e-10)


def test_deciles_hold_only_stocks_tradable_at_formation(pipe):
    """The evaluation's filters (MOMENTUM_FILTER_*): no suspended, ST, limit-up or newly listed stock is
    formed into a decile; recomputed from the daily mart's flags on the formation day."""
    untradable = pipe.warehouse.query(
        """select count(*) as n from models.wml_formation f join marts.stock_returns_daily d
           on d.stock_id = f.stock_id and d.trade_date = f.period_end
           where d.is_suspended or d.is_st or d.is_limit_up or d.listed_days < 60"""
    )["n"][0]
    assert untradable == 0
    excluded = pipe.warehouse.query(
        """select count(*) as n from marts.stock_returns_daily d
           where d.trade_date in (select distinct period_end from models.wml_formation)
           and (d.is_suspended or d.is_st or d.is_limit_up)"""
    )["n"][0]
    assert excluded > 0  # the filters had stocks to remove


def test_formation_weights_and_breakpoints(pipe):
    formation = pipe.table("models.wml_formation", "period_end, stock_id")
    sums = formation.groupby(["period_end", "decile"])["weight"].sum()
    assert sums.to_numpy() == pytest.approx(1.0, abs=1e-12)  # value weights sum to 1 in each decile
    assert set(formation["decile"]) == set(range(1, 11))
    # Sorted on past return: every decile's best stock ranks at or below the next decile's worst.
    bounds = formation.groupby(["period_end", "decile"])["past_ret"].agg(["min", "max"]).unstack("decile")
    assert (bounds["max"].iloc[:, :-1].to_numpy() <= bounds["min"].iloc[:, 1:].to_numpy()).all()


def test_daily_buy_and_hold_compounds_to_monthly(pipe):
    """One rule for both: the daily returns of each decile compound to its monthly return in every month,
    delisting months included (a delisted stock's last return counts, its weight is not redistributed)."""
    daily = pipe.table("models.wml_daily", "trade_date").set_index("trade_date")
    daily.index = pd.to_datetime(daily.index)
    compounded = (1 + daily[["d1", "d10"]]).groupby(daily.index.to_period("M")).prod() - 1
    monthly = pipe.table("models.wml_monthly", "period_end").set_index("period_end")
    monthly.index = pd.to_datetime(monthly.index).to_period("M")
    joined = compounded.join(monthly[["d1", "d10"]], rsuffix="_m").dropna()
    assert len(joined) == 60
    without_return = pipe.warehouse.query(
        """select count(*) as n from models.wml_formation f where f.decile in (1, 10)
           and not exists (select 1 from marts.stock_returns_monthly m where m.stock_id = f.stock_id
                           and m.month_end > f.period_end and m.month_end < f.period_end + interval 40 day)"""
    )["n"][0]
    assert without_return > 0  # delisted right after formation: held at 0% in both
    assert joined["d10"].to_numpy() == pytest.approx(joined["d10_m"].to_numpy(), rel=1e-9, abs=1e-12)
    assert joined["d1"].to_numpy() == pytest.approx(joined["d1_m"].to_numpy(), rel=1e-9, abs=1e-12)


# ---- crashes/market_state and crashes/wml_betas --------------------------------------------------------------


def test_market_state_matches_the_market_mart_one_month_earlier(pipe):
    state = pipe.table("models.market_state", "period_end")
    mart = pipe.table("marts.market_monthly", "month_end")
    assert len(state) == len(mart) == 72
    # Row t: market_var = var_126d of month t-1 (both sample variances of the same 126 days), bear =
    # 24-month cumulative TOTAL return to t-1 below 0, up = month t's own excess return above 0.
    np.testing.assert_allclose(state["market_var"].iloc[1:], mart["var_126d"].iloc[:-1], rtol=1e-9)
    prior_cum = mart["cum_ret_24m"].shift(1)
    expected_bear = (prior_cum < 0).astype(float).where(prior_cum.notna())
    pd.testing.assert_series_equal(state["bear"], expected_bear, check_names=False)
    assert (state["up"] == (mart["market_excess"] > 0).astype(float)).all()


def test_wml_beta_is_winner_minus_loser_beta(pipe):
    betas = pipe.table("models.wml_betas", "period_end").dropna()
    assert len(betas) >= 40
    # OLS is linear in y and WML excess = (d10 - rf) - (d1 - rf) on the same days and regressors.
    np.testing.assert_allclose(betas["beta_wml"], betas["beta_winner"] - betas["beta_loser"], atol=1e-9)


# ---- no look-ahead and idempotence -------------------------------------------------------------------------


def test_2018_rows_unchanged_after_later_months_materialized(pipe):
    for table, date_column in PARTITIONED_TABLES.items():
        before = pipe.before_2019[table]
        before = before.loc[pd.to_datetime(before[date_column]) < pd.Timestamp("2019-01-01")]
        after = pipe.table(table, _order(table))
        after = after.loc[pd.to_datetime(after[date_column]) < pd.Timestamp("2019-01-01")]
        assert len(before) > 0, table
        pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True), obj=table)
    forecasts = pipe.before_2019["models.wml_variance_forecast"]
    assert forecasts["garch_var"].notna().sum() >= 24  # the GARCH forecasts compared above exist


def test_rerunning_a_partition_leaves_rows_identical(pipe):
    before = _snapshot(pipe)
    result = pipe.run(PARTITIONED, partition="2019-06-01")
    for table in PARTITIONED_TABLES:
        pd.testing.assert_frame_equal(before[table], pipe.table(table, _order(table)), obj=table)
    meta = _materializations(result, "crashes/wml")[0].metadata
    assert meta["rows"].value == "1"  # the partition's own row: one holding month (text: no flat plot)
    monthly = before["models.wml_monthly"]
    june = monthly.loc[pd.to_datetime(monthly["period_end"]).dt.strftime("%Y-%m") == "2019-06", "wml"]
    assert meta["wml"].value == pytest.approx(float(june.iloc[0]), rel=5e-4)  # that month's own figure, 4 digits


# ---- unpartitioned: strategies and regressions -------------------------------------------------------------


def _wide(table: str, value: str, pipe) -> pd.DataFrame:
    frame = pipe.warehouse.query(f"select * from {table}")
    return frame.pivot(index="period_end", columns="strategy", values=value)


def test_short_sample_strategies_report_what_is_missing(pipe):
    # 2014-2019 on this market has no bear month, so the out-of-sample mean regression on I_B x sigma^2
    # (identically 0) is undefined; the asset keeps the other strategies and says what is missing.
    meta = _materializations(pipe.unpartitioned, "crashes/momentum_strategies")[0].metadata
    assert meta["missing_strategies"].value == "dyn_oos"
    notes = pipe.warehouse.query("select note from models.crash_notes where asset = 'momentum_strategies'")
    assert notes["note"].str.contains("dyn_oos undefined").any()
    assert notes["note"].str.contains("missing strategies: dyn_oos").any()
    returns, weights = (
        _wide(f"models.momentum_strategy_{t}", v, pipe) for t, v in (("returns", "ret"), ("weights", "weight"))
    )
    assert sorted(returns.columns) == ["cvol_bsc", "cvol_dm", "dyn_is", "static"]
    # common months = where the blend variance (36 pairs after a year of daily GARCH) is defined
    blend = pipe.warehouse.query("select period_end from models.wml_variance_forecast where blend_var > 0 order by 1")
    holding = pd.to_datetime(blend["period_end"]).dt.to_period("M") + 1
    assert list(returns.index.to_period("M")) == [m for m in holding if m <= pd.Period("2019-12", "M")]
    wml = pipe.warehouse.query("select period_end, wml from models.wml_monthly").set_index("period_end")["wml"]
    # returns = weight x WML, every strategy scaled ex post to 19% a year: std x sqrt(12) = 0.19
    np.testing.assert_allclose(returns, weights.mul(wml.reindex(weights.index), axis=0), rtol=1e-12)
    np.testing.assert_allclose(returns.std(ddof=1) * np.sqrt(12), 0.19, rtol=1e-10)
    assert weights["static"].nunique() == 1


def test_a_run_overrides_the_target_volatility_in_its_config(pipe):
    # as from the launchpad: one knob in the run's config; every other setting keeps the environment's value
    override = {"resources": {"settings": {"config": {"crash": {"target_vol": 0.10}}}}}
    try:
        pipe.run(["crashes/momentum_strategies"], run_config=override)
        summary = pipe.warehouse.query("select * from models.momentum_strategy_summary").set_index("strategy")
        assert summary["vol_ann"].to_numpy() == pytest.approx(0.10)
        assert (summary["nobs"] == summary["nobs"].iloc[0]).all()  # one common sample
    finally:
        pipe.run(["crashes/momentum_strategies"])  # back to the default for the other tests, whatever failed
    summary = pipe.warehouse.query("select * from models.momentum_strategy_summary").set_index("strategy")
    assert summary["vol_ann"].to_numpy() == pytest.approx(0.19)


def test_crash_regression_model_1_matches_least_squares(pipe):
    table = pipe.warehouse.query("select * from models.crash_regressions order by model").set_index("model")
    data = pipe.warehouse.query(
        """select s.period_end, w.wml, s.market_excess from models.market_state s
           join models.wml_monthly w using (period_end) where s.bear is not null and s.up is not null"""
    )
    # model (1): WML on [1, R^e_m] over the months with every regressor defined
    x = np.column_stack([np.ones(len(data)), data["market_excess"]])
    coef = np.linalg.lstsq(x, data["wml"].to_numpy(), rcond=None)[0]
    assert table.loc[1, "nobs"] == len(data) == 48  # bear needs 24 months: 2016-01..2019-12
    assert table.loc[1, "alpha0"] == pytest.approx(coef[0], rel=1e-9)
    assert table.loc[1, "beta0"] == pytest.approx(coef[1], rel=1e-9)
    # no bear month in 2016-2019 on this market: the bear terms are not identified and say so
    assert table.loc[2, ["alphaB", "betaB"]].isna().all()
    notes = pipe.warehouse.query("select note from models.crash_notes where asset = 'crash_regressions'")
    assert notes["note"].str.contains("not identified").any()
    forecast = pipe.warehouse.query("select * from models.crash_mean_forecast order by model")
    assert list(forecast["model"]) == [1, 2, 3, 4, 5]


# ---- Ken French branch -------------------------------------------------------------------------------------


def test_kenfrench_branch_finds_daniel_moskowitz_signs(pipe):
    crash = pipe.warehouse.query("select * from models.kenfrench_crash_regressions").set_index("model")
    assert crash.loc[1, "alpha0"] > 0 and crash.loc[1, "alpha0_t"] > 2  # unconditional alpha
    assert crash.loc[2, "betaB"] < 0 and crash.loc[2, "betaB_t"] < -3  # bear-market beta
    summary = pipe.warehouse.query("select * from models.kenfrench_strategy_summary").set_index("strategy")
    assert list(summary.index) == ["static", "cvol_dm", "cvol_bsc", "dyn_is", "dyn_oos"]
    assert summary.loc["dyn_is", "sharpe"] > summary.loc["static", "sharpe"]
    state = pipe.warehouse.query("select * from models.kenfrench_market_state order by period_end")
    assert f"{state['period_end'].min():%Y-%m}" == "1949-01"  # the whole sample, monthly


def test_raw_factor_returns_window(pipe):
    from linearmodels.datasets import french

    result = pipe.run(["raw/factor_returns_monthly"], partition="2016-05-01")
    rows = pipe.warehouse.query("select * from raw.factor_returns_monthly order by factor")
    assert (pd.to_datetime(rows["month_end"]) == pd.Timestamp("2016-05-31")).all()
    raw = french.load()
    may = raw.loc[pd.to_datetime(raw["dates"]).dt.strftime("%Y-%m") == "2016-05"].iloc[0]
    mom = rows.set_index("factor").loc["Mom", "ret"]
    assert mom == pytest.approx(float(may["Mom"]))  # the sample is already in decimals
    assert _materializations(result, "raw/factor_returns_monthly")[0].metadata["rows"].value == len(rows)
    first = pipe.run(["raw/factor_returns_monthly"], partition="2014-01-01")  # owns all earlier months
    months = pipe.warehouse.query("select min(month_end) as lo, max(month_end) as hi from raw.factor_returns_monthly")
    assert f"{months['lo'][0]:%Y-%m}" == "1949-01" and f"{months['hi'][0]:%Y-%m}" == "2016-05"
    assert _materializations(first, "raw/factor_returns_monthly")[0].metadata["rows"].value > 10_000
    later = pipe.run(["raw/factor_returns_monthly"], partition="2019-03-01")  # the sample ends 2017-03
    assert _materializations(later, "raw/factor_returns_monthly")[0].metadata["rows"].value == 0


# ---- report pages ------------------------------------------------------------------------------------------


def test_report_pages(pipe):
    assert [href for _, _, href in CRASH_REPORTS] == [
        "momentum_crashes.html",
        "momentum_crashes_kenfrench.html",
    ]
    page = (pipe.reports_dir / CRASH_REPORTS[0][2]).read_text()
    for text in (
        "Table 3",
        "Table 5",
        "Sharpe ratios side by side",
        "Worst 10 months",
        "bear markets shaded",
        "Data source: synthetic",
        "EX-POST",
        "missing strategies: dyn_oos",
    ):
        assert text in page, text
    drawn = drawn_charts(pipe.reports_dir / CRASH_REPORTS[0][2])
    for title in ("Strategies", "Weights on WML", "Winners, losers, WML and market", "126-day lagged betas"):
        assert any(t.startswith(title) for t in drawn), (title, sorted(drawn))
    kf = (pipe.reports_dir / "momentum_crashes_kenfrench.html").read_text()
    assert "linearmodels.datasets.french" in kf
    assert "MONTHLY fallback (no daily files)" in kf and "12 monthly returns to t-1" in kf


# ---- the planted loser-beta effect on the default-size market ----------------------------------------------


def test_bear_market_beta_on_default_synthetic_market(tmp_path, monkeypatch):
    """Issue: "On the synthetic market with its planted loser-beta effect, WML's bear-market beta (beta_B)
    is negative with t < -3" -- default size (1,000 stocks, 31 industries), whole default history."""
    monkeypatch.setenv("MOMENTUM_DUCKDB_PATH", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("MOMENTUM_SIM_STOCKS", "1000")
    monkeypatch.setenv("MOMENTUM_SIM_INDUSTRIES", "31")
    pipeline = Pipeline(Warehouse.at(str(tmp_path / "default.duckdb")))
    keys = pipeline.job.partitions_def.get_partition_keys()
    pipeline.run(UPSTREAM + ["crashes/wml", "crashes/market_state"], keys[0], keys[-1])
    pipeline.run(["crashes/crash_regressions"])
    crash = pipeline.warehouse.query("select * from models.crash_regressions").set_index("model")
    assert crash.loc[2, "betaB"] < 0
    assert crash.loc[2, "betaB_t"] < -3


# ---- inputs: Ken French files and gaps in the daily WML ----------------------------------------------------

FACTORS_CSV = """This file was created by CMPT_ME_BEME_RETS.

,Mkt-RF,SMB,HML,RF
201601,   -5.77,   -3.41,    2.07,    0.01
201602,   -0.07,    0.83,   -0.57,    0.02

 Annual Factors: January-December
,Mkt-RF,SMB,HML,RF
 2016,   13.30,    6.62,   22.75,    0.20
"""
MOM_CSV = """Missing data are indicated by -99.99.

,Mom
201601,    1.97
201602,   -99.99
"""


def test_kenfrench_files_source(tmp_path, monkeypatch):
    from momentum_dag.assets.crashes.kenfrench_inputs import kenfrench_crash_inputs

    (tmp_path / "F-F_Research_Data_Factors.CSV").write_text(FACTORS_CSV)
    with pytest.raises(ValueError, match="F-F_Momentum_Factor.CSV"):
        kenfrench_crash_inputs(tmp_path)  # the momentum file is required for WML
    (tmp_path / "F-F_Momentum_Factor.CSV").write_text(MOM_CSV)
    inputs = kenfrench_crash_inputs(tmp_path)
    assert str(tmp_path) in inputs.label and inputs.daily is None
    # percent -> decimals: -5.77% and 1.97%; French's -99.99 missing code -> NaN
    assert inputs.monthly.loc["2016-01-31", "market_excess"] == pytest.approx(-0.0577)
    assert inputs.monthly.loc["2016-01-31", "wml"] == pytest.approx(0.0197)
    assert np.isnan(inputs.monthly.loc["2016-02-29", "wml"])


def _french_daily_file(header: str, columns: list[str], frame: pd.DataFrame, title: str = "") -> str:
    """``frame`` (decimals, index trade_date) as one of French's daily CSV files (percent, YYYYMMDD)."""
    lines = [header, "", *([f"  {title}"] if title else []), "," + ",".join(columns)]
    for day, row in zip(frame.index, frame.to_numpy(), strict=True):
        lines.append(f"{day:%Y%m%d}," + ",".join(f"{100 * v:8.4f}" for v in row))
    return "\n".join([*lines, "", "Copyright 2024 Kenneth R. French", ""])


def _french_daily_files(folder, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """French's daily factor and decile files (2001-2004, random) written to ``folder``."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2001-01-01", "2004-12-31")
    market = pd.DataFrame({"Mkt-RF": rng.normal(0.0003, 0.01, len(days)), "RF": 0.0001}, index=days)
    legs = pd.DataFrame(
        {"Lo PRIOR": rng.normal(0.0, 0.015, len(days)), "Hi PRIOR": rng.normal(0.0005, 0.012, len(days))}, index=days
    )
    (folder / "F-F_Research_Data_Factors_daily.CSV").write_text(
        _french_daily_file("This file was created by CMPT_ME_BEME_RETS_DAILY.", ["Mkt-RF", "RF"], market)
    )
    (folder / "10_Portfolios_Prior_12_2_Daily.CSV").write_text(
        _french_daily_file(
            "It contains value- and equal-weighted returns for 10 prior return portfolios.",
            ["Lo PRIOR", "Hi PRIOR"],
            legs,
            title="Average Value Weighted Returns -- Daily",
        )
    )
    return market, legs


def _kenfrench_pipeline(tmp_path, monkeypatch) -> Pipeline:
    monkeypatch.setenv("MOMENTUM_KENFRENCH_DIR", str(tmp_path))
    monkeypatch.setenv("MOMENTUM_DUCKDB_PATH", str(tmp_path / "kf.duckdb"))
    monkeypatch.setenv("MOMENTUM_REPORTS_DIR", str(tmp_path / "reports"))
    monkeypatch.setenv("MOMENTUM_CRASH_BLEND_MIN_PAIRS", "6")
    monkeypatch.setenv("MOMENTUM_CRASH_OOS_MIN_MONTHS", "6")
    return Pipeline(Warehouse.at(str(tmp_path / "kf.duckdb")))


def test_kenfrench_page_uses_the_daily_method_with_daily_files(tmp_path, monkeypatch):
    """French's daily factor and decile files in MOMENTUM_KENFRENCH_DIR: the asset runs the daily method
    (126-day market variance from the daily file) and the page says so."""
    market, legs = _french_daily_files(tmp_path)
    pipeline = _kenfrench_pipeline(tmp_path, monkeypatch)
    pipeline.run(["crashes/kenfrench_crashes", "reports/momentum_crashes_kenfrench"])
    state = pipeline.table("models.kenfrench_market_state", "period_end").set_index("period_end")
    total = (market["Mkt-RF"] + market["RF"]).round(6)  # the file holds 4 decimals of a percent
    expected = total.loc[:"2003-05-31"].iloc[-126:].var(ddof=1)
    assert state.loc["2003-06-30", "market_var"] == pytest.approx(expected, rel=1e-9)
    june = (1 + legs.round(6)).loc["2003-06"].prod()
    wml_june = june["Hi PRIOR"] - june["Lo PRIOR"]
    assert state.loc["2003-06-30", "wml"] == pytest.approx(wml_june, rel=1e-9)
    page = (tmp_path / "reports" / "momentum_crashes_kenfrench.html").read_text()
    assert "DAILY method" in page and "Hi PRIOR - Lo PRIOR" in page and "MONTHLY fallback" not in page


def test_kenfrench_study_is_kept_until_french_files_or_parameters_change(tmp_path, monkeypatch):
    """A monthly run does not refit the study on unchanged French series; a changed file or parameter does."""
    _french_daily_files(tmp_path)
    pipeline = _kenfrench_pipeline(tmp_path, monkeypatch)

    def run(run_config=None) -> tuple[bool, pd.DataFrame]:
        result = pipeline.run(["crashes/kenfrench_crashes"], run_config=run_config)
        metadata = _materializations(result, "crashes/kenfrench_crashes")[-1].metadata
        return metadata["recomputed"].value, pipeline.table("models.kenfrench_variance_forecast", "period_end")

    recomputed, first = run()
    assert recomputed
    recomputed, again = run()
    assert not recomputed
    pd.testing.assert_frame_equal(again, first)
    _french_daily_files(tmp_path, seed=5)  # French revises the files
    recomputed, revised = run()
    assert recomputed and not revised["rv_var"].equals(first["rv_var"])
    recomputed, shorter = run({"resources": {"settings": {"config": {"crash": {"rv_window_days": 63}}}}})
    assert recomputed and not shorter["rv_var"].equals(revised["rv_var"])


def test_gap_in_daily_wml_is_an_error(tmp_path):
    from momentum_dag.assets.crashes.series import read_wml_daily

    warehouse = Warehouse.at(str(tmp_path / "gap.duckdb"))
    days = pd.to_datetime(["2016-01-29", "2016-03-31"])  # February missing
    with warehouse.get_connection() as conn:
        conn.execute("create schema models")
        conn.register("d", pd.DataFrame({"trade_date": days, "wml": [0.01, -0.02]}))
        conn.execute("create table models.wml_daily as select * from d")
    month_ends = pd.to_datetime(["2016-01-29", "2016-02-29", "2016-03-31"])
    with pytest.raises(ValueError, match="2016-02.*materialize crashes/wml"):
        read_wml_daily(warehouse, pd.Timestamp("2016-04-01").date(), month_ends)
