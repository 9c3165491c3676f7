"""Ehsani-Linnainmaa (2022) factor-momentum assets materialized through Dagster on the small synthetic market
(tests/conftest.py: 120 stocks, 8 industries, history from 2014), and the Ken French branch end to end."""

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance, Definitions, MonthlyPartitionsDefinition

from momentum_dag.assets.factor_momentum import FACTOR_MOMENTUM_REPORTS
from momentum_dag.assets.factor_momentum.common import fm_params
from momentum_dag.core.factor_momentum.study import SpanningInputs, spanning_tables
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.settings import Settings
from momentum_dag.sources.kenfrench import load_linearmodels_french
from tests.reports.pages import drawn_charts

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
MINE_MONTHLY = [
    AssetKey(["factor_momentum", n])
    for n in ("factor_returns", "factor_momentum", "pc_factor_momentum", "momentum_neutral_factors")
]
MINE_FULL = [
    AssetKey(["factor_momentum", "factor_autocorrelation"]),
    AssetKey(["factor_momentum", "spanning_tests"]),
    AssetKey(["reports", "factor_momentum"]),
]
KF_KEYS = [
    AssetKey(["factor_momentum", "kenfrench_factor_momentum"]),
    AssetKey(["reports", "factor_momentum_kenfrench"]),
]
TABLES = [
    "models.factor_returns_monthly",
    "models.factor_returns_daily",
    "models.factor_formation_weights",
    "models.factor_momentum_monthly",
    "models.pc_factor_momentum_monthly",
    "models.momentum_neutral_factor_returns",
    "models.momentum_neutral_factor_momentum",
]


def _defs(path: Path) -> Definitions:
    return build_definitions(str(path))


def _run(defs: Definitions, keys: list, first: str | None = None, last: str | None = None) -> None:
    tags = {RANGE_START: first, RANGE_END: last} if first else {}
    result = defs.resolve_job_def("monthly_job").execute_in_process(
        instance=DagsterInstance.ephemeral(), tags=tags, asset_selection=keys
    )
    assert result.success


def _upstream_keys(defs: Definitions) -> list:
    graph = defs.resolve_asset_graph()
    keys = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not node.is_materializable or key.path[0] not in ("raw", "staging", "marts", "barra"):
            continue
        if isinstance(node.partitions_def, MonthlyPartitionsDefinition) or (
            node.partitions_def is None and key.path[0] == "staging"
        ):
            keys.append(key)
    keys.append(AssetKey(["crashes", "wml"]))
    return keys


def _read(path: Path, sql: str) -> pd.DataFrame:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql).df()
    finally:
        conn.close()


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    return {t: _read(path, f"select * from {t} order by all") for t in TABLES}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Upstream 2014-01..2018-12; my monthly assets for 2014-01..2018-06 (snapshot), then the whole range
    in one run (reads history through 2018-12), then the unpartitioned assets."""
    path = tmp_path_factory.mktemp("factor_momentum") / "fm.duckdb"
    defs = _defs(path)
    _run(defs, _upstream_keys(defs), "2014-01-01", "2018-12-01")
    _run(defs, MINE_MONTHLY, "2014-01-01", "2018-06-01")
    early = _tables(path)
    _run(defs, MINE_MONTHLY, "2014-01-01", "2018-12-01")
    _run(defs, MINE_FULL)
    return {"path": path, "defs": defs, "early": early}


def _wide_factor_returns(path: Path) -> pd.DataFrame:
    rows = _read(
        path,
        "select period_end, factor, ret from models.factor_returns_monthly "
        "where role = 'factor' and source in ('barra', 'characteristic')",
    )
    wide = rows.pivot(index="period_end", columns="factor", values="ret")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index))
    return wide.sort_index()


def test_factor_returns_carry_every_source_and_role(built):
    path = built["path"]
    monthly = _read(path, "select distinct source, role, factor from models.factor_returns_monthly")
    assert {"barra", "characteristic", "market"} <= set(monthly["source"])
    # Ken French rows (linearmodels sample, 2014-01..2017-03) loaded by raw/factor_returns_monthly
    assert {"SMB", "HML", "Mom", "MktRF"} <= set(monthly.loc[monthly["source"] == "kenfrench", "factor"])
    roles = monthly.set_index("factor")["role"]
    assert roles["momentum"] == "momentum" and roles["barra_momentum"] == "momentum"
    assert roles["mkt_rf"] == "market" and roles["size"] == "factor" and roles["barra_size"] == "factor"
    daily = _read(path, "select distinct source from models.factor_returns_daily")
    assert set(daily["source"]) == {"barra", "characteristic", "market"}
    dup = _read(
        path,
        "select count(*) n from (select period_end, factor from models.factor_returns_monthly "
        "group by all having count(*) > 1)",
    )
    assert dup["n"].iloc[0] == 0


def test_characteristic_return_is_weights_times_next_month_returns(built):
    path = built["path"]
    # value factor held over 2017-06: sum_i w_i,2017-05 * R_i,2017-06 (held stock without a return counts 0)
    w = _read(
        path,
        "select stock_id, weight from models.factor_formation_weights where factor = 'value' "
        "and date_trunc('month', period_end) = date '2017-05-01'",
    )
    r = _read(
        path,
        "select stock_id, ret from marts.stock_returns_monthly where date_trunc('month', month_end) "
        "= date '2017-06-01'",
    )
    legs = w.groupby(w["weight"] > 0)["weight"].sum()
    assert legs[True] == pytest.approx(1.0) and w.loc[w["weight"] < 0, "weight"].sum() == pytest.approx(-1.0)
    expected = float(
        (w.set_index("stock_id")["weight"] * r.set_index("stock_id")["ret"].reindex(w["stock_id"]).fillna(0.0)).sum()
    )
    stored = _read(
        path,
        "select ret from models.factor_returns_monthly where factor = 'value' and "
        "date_trunc('month', period_end) = date '2017-06-01'",
    )["ret"].iloc[0]
    assert stored == pytest.approx(expected, abs=1e-12)


def test_tsmom_row_equals_mean_of_sign_times_return(built):
    path = built["path"]
    wide = _wide_factor_returns(path)
    t = wide.index.get_loc(wide.index[wide.index.to_period("M") == pd.Period("2018-03", "M")][0])
    # signal at Feb 2018 = sign of the mean of the 12 months Mar 2017..Feb 2018 (no skip), applied to Mar 2018
    window = wide.iloc[t - 12 : t]
    ma = window.mean().where(window.notna().sum() == 12)
    signed = (np.sign(ma) * wide.iloc[t]).dropna()
    stored = _read(
        path,
        "select * from models.factor_momentum_monthly where date_trunc('month', period_end) = date '2018-03-01'",
    ).iloc[0]
    assert stored["tsmom"] == pytest.approx(signed.mean(), abs=1e-12)
    assert stored["tsmom_n_long"] == int((ma > 0).sum()) and stored["tsmom_n_short"] == int((ma < 0).sum())
    assert stored["tsmom_winners"] == pytest.approx(wide.iloc[t][ma > 0].mean(), abs=1e-12)
    # XS: long at or above the median MA, short below
    s = np.where(ma.dropna() >= ma.dropna().median(), 1.0, -1.0)
    assert stored["xsmom"] == pytest.approx(float((s * wide.iloc[t][ma.dropna().index]).mean()), abs=1e-12)


def test_earlier_months_unchanged_after_later_months_are_materialized(built):
    """PC momentum (expanding eigenvectors) and factor momentum at t <= 2018-06, written by a run ending
    2018-06, equal the values from a run over 2014-01..2018-12 that read history through 2018-12."""
    late = _tables(built["path"])
    for table in (
        "models.pc_factor_momentum_monthly",
        "models.factor_momentum_monthly",
        "models.factor_returns_monthly",
        "models.momentum_neutral_factor_momentum",
    ):
        early = built["early"][table]
        assert len(early) > 0, table
        cut = late[table][pd.to_datetime(late[table]["period_end"]) < pd.Timestamp("2018-07-01")]
        pd.testing.assert_frame_equal(early.reset_index(drop=True), cut.reset_index(drop=True), obj=table)
    pc = late["models.pc_factor_momentum_monthly"]
    assert pd.to_datetime(pc["period_end"]).max() >= pd.Timestamp("2018-12-01")
    assert set(pc["group_rank"]) == {1, 2}


def test_rerunning_a_window_leaves_rows_identical(built):
    path, defs = built["path"], built["defs"]
    before = _tables(path)
    _run(defs, MINE_MONTHLY, "2016-01-01", "2016-12-01")
    after = _tables(path)
    for table in TABLES:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


def test_momentum_neutral_return_uses_projected_weights(built):
    path = built["path"]
    # Independent projection: residual of an OLS of w on [1, r_{t-12,t-2}] (numpy lstsq), formation 2017-05.
    w = _read(
        path,
        "select stock_id, weight from models.factor_formation_weights where factor = 'size' "
        "and date_trunc('month', period_end) = date '2017-05-01'",
    ).set_index("stock_id")["weight"]
    monthly = _read(path, "select month_end, stock_id, ret from marts.stock_returns_monthly")
    ret = monthly.pivot(index="month_end", columns="stock_id", values="ret").sort_index()
    ret.index = pd.DatetimeIndex(pd.to_datetime(ret.index))
    t = int(np.flatnonzero(ret.index.to_period("M") == pd.Period("2017-05", "M"))[0])
    past = np.expm1(np.log1p(ret.iloc[t - 11 : t]).sum(min_count=11))  # months t-11..t-1 all present
    past = past[ret.iloc[t - 11 : t].notna().all()]
    common = w.index.intersection(past.index)
    design = np.column_stack([np.ones(len(common)), past[common].to_numpy()])
    coef = np.linalg.lstsq(design, w[common].to_numpy(), rcond=None)[0]
    x = pd.Series(w[common].to_numpy() - design @ coef, index=common)
    assert abs(x.sum()) < 1e-12 and abs((x * past[common]).sum()) < 1e-12
    expected = float((x * ret.iloc[t + 1].reindex(common).fillna(0.0)).sum())
    stored = _read(
        path,
        "select ret from models.momentum_neutral_factor_returns where factor = 'size' and "
        "date_trunc('month', period_end) = date '2017-06-01'",
    )["ret"].iloc[0]
    assert stored == pytest.approx(expected, abs=1e-10)
    sets = _read(path, "select distinct factor_set from models.momentum_neutral_factor_momentum")
    assert set(sets["factor_set"]) == {"characteristic", "momentum_neutral"}


def test_full_sample_tables_and_report(built):
    path = built["path"]
    auto = _read(path, "select * from models.factor_autocorrelation").set_index("factor")
    assert "pooled" in auto.index and auto.loc["momentum", "role"] == "momentum"
    assert auto.loc["pooled", "n"] == auto.loc[auto["role"] == "factor", "n"].sum()
    # mean after up years equals the mean of the returns whose prior 12 months summed > 0 (one factor by hand)
    size = _wide_factor_returns(path)["size"]
    prior = size.rolling(12, min_periods=12).sum().shift(1)
    assert auto.loc["size", "mean_after_up"] == pytest.approx(size[(prior > 0) & size.notna()].mean(), abs=1e-12)
    spanning = _read(path, "select * from models.spanning_regressions")
    assert "umd" in set(spanning["y"]) and "tsmom" in set(spanning["y"])
    assert "tsmom" in set(spanning["term"]) and "mkt_rf" in set(spanning["term"])
    assert "wml" in set(spanning["y"])
    grs = _read(path, "select * from models.spanning_grs")
    assert {"ff", "ff+wml", "ff+tsmom"} <= set(grs["model"]) and (grs["p_value"].between(0, 1)).all()
    cond = _read(path, "select * from models.conditional_correlations")
    assert (cond["n_up"] + cond["n_down"] == cond["n_all"]).all()
    pc_summary = _read(path, "select * from models.pc_factor_momentum_summary")
    assert set(pc_summary["sample"]) == {"full", "first_half", "second_half"}
    html = (Path(_settings_reports_dir()) / "factor_momentum.html").read_text()
    assert "Cumulative TS and CS factor momentum" in html and "PC factor momentum" in html and "synthetic" in html
    drawn = drawn_charts(Path(_settings_reports_dir()) / "factor_momentum.html")
    assert {"TS and CS factor momentum (wealth of 1)", "PC factor momentum (wealth of 1)"} <= set(drawn), sorted(drawn)
    assert [k for k, _, _ in FACTOR_MOMENTUM_REPORTS] == [
        AssetKey(["reports", "factor_momentum"]),
        AssetKey(["reports", "factor_momentum_kenfrench"]),
    ]


def _settings_reports_dir() -> str:
    return str(Settings.from_env().storage.reports_dir)


def test_kenfrench_branch_runs_end_to_end(tmp_path):
    path = tmp_path / "kf.duckdb"
    _run(_defs(path), KF_KEYS)
    french = load_linearmodels_french()[["SMB", "HML"]]
    mom = _read(path, "select * from models.kenfrench_fm_momentum").set_index("period_end")
    mom.index = pd.DatetimeIndex(pd.to_datetime(mom.index))
    # Jan 1990: signals from the mean of Jan..Dec 1989 of SMB and HML
    t = french.index.get_loc(pd.Timestamp("1990-01-31"))
    ma = french.iloc[t - 12 : t].mean()
    assert mom.loc["1990-01-31", "tsmom"] == pytest.approx(float((np.sign(ma) * french.iloc[t]).mean()), abs=1e-12)
    # E-L's sample (MOMENTUM_FM_KF_SAMPLE_START/END, 1964-07..2019-12) clipped to the data's 1949-01..2017-03
    assert mom.index.min() == pd.Timestamp("1964-07-31") and mom.index.max() == pd.Timestamp("2017-03-31")
    auto = _read(path, "select * from models.kenfrench_fm_autocorrelation").set_index("factor")
    assert {"SMB", "HML", "pooled", "Mom"} <= set(auto.index)
    spanning = _read(path, "select * from models.kenfrench_fm_spanning")
    assert {"Mom", "tsmom"} <= set(spanning["y"])
    grs = _read(path, "select * from models.kenfrench_fm_grs")
    assert set(grs["model"]) == {"ff", "ff+Mom", "ff+tsmom"} and (grs["n_assets"] == 9).all()
    notes = _read(path, "select note from models.factor_momentum_notes where asset = 'kenfrench_factor_momentum'")
    assert notes["note"].str.contains("No PC factor momentum").any()
    html = (Path(_settings_reports_dir()) / "factor_momentum_kenfrench.html").read_text()
    assert "linearmodels" in html and "No PC factor momentum" in html and "2 strategy factors (SMB, HML" in html


def test_short_sample_degrades_with_notes_instead_of_failing():
    dates = pd.date_range("2014-01-31", periods=6, freq="ME")
    series = pd.Series([0.01, -0.02, 0.03, 0.0, 0.01, 0.02], index=dates)
    size = pd.Series([0.02, 0.01, -0.01, 0.03, -0.02, 0.0], index=dates)
    ff = pd.DataFrame({"mkt_rf": series, "size": size})
    deciles = pd.DataFrame({"d1": size * 2, "d2": series - size}, index=dates)
    wml = pd.Series([0.03, -0.01, 0.02, 0.01, -0.02, 0.04], index=dates)
    inputs = SpanningInputs({"wml": wml}, ff, {"tsmom": series.iloc[:2]}, deciles, size.to_frame("size"))
    tables, notes = spanning_tables(inputs, fm_params(Settings.from_env()))
    # 6 months for 2 regressors + intercept: wml on ff runs; with tsmom only 2 months remain -> skipped
    # with a note
    assert set(tables["spanning"]["model"]) == {"ff(mkt_rf,size)"}
    assert any("tsmom" in n and "skipped" in n for n in notes)
    # GRS needs T > N + K: 6 > 2 + 2 for ff and ff+wml; ff+tsmom has 2 complete months -> skipped with a note
    assert set(tables["grs"]["model"]) == {"ff", "ff+wml"}
    assert any("GRS on ff+tsmom skipped" in n for n in notes)
    assert set(tables["conditional"]["factor"]) == {"size"}


def test_kenfrench_files_layout_picks_five_factors_and_prior_deciles():
    from momentum_dag.core.factor_momentum.study import kenfrench_inputs

    dates = pd.date_range("2000-01-31", periods=30, freq="ME")
    rng = np.random.default_rng(0)
    names = [
        "Mkt-RF",
        "SMB",
        "HML",
        "RF",
        "Mom",
        "ff5_Mkt-RF",
        "ff5_SMB",
        "ff5_HML",
        "ff5_RMW",
        "ff5_CMA",
        "ff5_RF",
        "prior_12_2_Lo PRIOR",
        "prior_12_2_Hi PRIOR",
    ]
    frame = pd.DataFrame(rng.normal(0, 0.02, (30, len(names))), index=dates, columns=names)
    factors, momentum, inputs, notes = kenfrench_inputs(frame)
    # the 5-factor set replaces the 3-factor SMB/HML (never both), market from the 5-factor file
    assert list(factors.columns) == ["ff5_SMB", "ff5_HML", "ff5_RMW", "ff5_CMA"]
    assert list(inputs.ff.columns) == ["mkt_rf", "ff5_SMB", "ff5_HML", "ff5_RMW", "ff5_CMA"]
    pd.testing.assert_series_equal(inputs.ff["mkt_rf"], frame["ff5_Mkt-RF"].rename("mkt_rf"))
    # test assets = prior (12-2) deciles minus the 3-factor file's RF
    expected = frame["prior_12_2_Lo PRIOR"] - frame["RF"]
    pd.testing.assert_series_equal(inputs.deciles["prior_12_2_Lo PRIOR"], expected, check_names=False)
    assert list(momentum.columns) == ["Mom"] and any("prior (12-2) deciles" in n for n in notes)
    with pytest.raises(ValueError, match="Mom"):
        kenfrench_inputs(frame.drop(columns="Mom"))


def test_three_month_history_writes_what_it_can_and_notes_the_rest(tmp_path):
    """A sample far shorter than every warm-up: no asset fails; missing pieces are recorded as notes."""
    path = tmp_path / "short.duckdb"
    defs = _defs(path)
    upstream = [k for k in _upstream_keys(defs) if k.path[-1] != "wml"]
    _run(defs, upstream, "2014-01-01", "2014-03-01")
    _run(defs, MINE_MONTHLY, "2014-01-01", "2014-01-01")  # first month: no formation month before it
    _run(defs, MINE_MONTHLY, "2014-02-01", "2014-03-01")
    _run(defs, MINE_FULL)
    sources = _read(path, "select distinct source from models.factor_returns_monthly")
    assert {"characteristic", "market"} <= set(sources["source"])
    assert _read(path, "select count(*) n from models.factor_momentum_monthly")["n"].iloc[0] == 0
    notes = _read(path, "select asset, note from models.factor_momentum_notes")
    assert notes["note"].str.contains("wml_monthly has no rows").any()
    assert notes["note"].str.contains("PC factor momentum has no month yet").any()
