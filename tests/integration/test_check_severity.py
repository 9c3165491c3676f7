"""Checks that separate impossible from rare, through Dagster (issue 11).

- The issue's 200-stock synthetic market (31 industries) runs through raw, staging and marts: on 2016-06-17
  a one-stock industry returned +21.3% (the stock's listing day), which the old blocking +-20% range on
  ``industry_daily.ret_ew`` stopped. Now the run completes and the check reports it as a WARN listing that
  row. The range 2014-01..2016-07 gives the same rows as the issue's 2014-01..2019-12 for those months
  (verified when this test was written: raw.daily_bars and marts.stock_returns_daily identical, industry_daily
  equal up to 3e-17 from summation order, the same single +21.3143% row for I29) at half the cost.
- A files-provider market with ChiNext-style +-20% limit days and +44% listing days runs with every
  check passing, except the WARN on a one-stock ChiNext industry's +20% day.
- A negative price still blocks: the check fails with severity ERROR, names the row, and nothing downstream
  is materialized.
"""

import duckdb
import numpy as np
import pandas as pd
import pytest
from dagster import AssetCheckKey, AssetCheckSeverity, AssetKey, DagsterInstance, DagsterRunStatus

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.storage.sql_models import load_models

LAYERS = ("raw", "staging", "marts")


def _evaluations(instance: DagsterInstance) -> dict[tuple[str, str], object]:
    """(model, check) -> latest evaluation, for every schema.yml test that ran."""
    found = {}
    for model in load_models().values():
        for test in model.tests:
            record = instance.get_latest_asset_check_evaluation_record(
                AssetCheckKey(AssetKey([model.layer, model.name]), test.name)
            )
            if record is not None:
                found[(model.name, test.name)] = record.event.asset_check_evaluation
    return found


def _failed(evaluations) -> dict[tuple[str, str], object]:
    return {k: e for k, e in evaluations.items() if not e.passed}


@pytest.fixture(scope="module")
def market_200(tmp_path_factory):
    with pytest.MonkeyPatch.context() as env:
        env.setenv("MOMENTUM_SIM_STOCKS", "200")
        env.setenv("MOMENTUM_SIM_INDUSTRIES", "31")
        env.setenv("MOMENTUM_SIM_PROFILE", "realistic")  # a new user's default (the listing days do not depend on it)
        env.setenv("MOMENTUM_HISTORY_START", "2014-01-01")
        path = tmp_path_factory.mktemp("market_200") / "w.duckdb"
        defs = build_definitions(str(path))  # settings are read now
        instance = DagsterInstance.ephemeral()
        backfill("2014-01", "2016-07", only=LAYERS, weekly=False, reports=False, defs=defs, instance=instance)
    return path, defs, instance


def test_200_stock_market_completes_and_warns_about_the_one_stock_industry_day(market_200):
    path, defs, instance = market_200
    runs = instance.get_runs()
    assert runs and all(r.status == DagsterRunStatus.SUCCESS for r in runs)
    evaluations = _evaluations(instance)
    # every daily/monthly model and view was checked, and every blocking check passed
    assert {m for m, _ in evaluations} >= {"stg_daily_bars", "stock_returns_daily", "industry_daily", "market_monthly"}
    assert len(evaluations) >= 30
    failed = _failed(evaluations)
    assert list(failed) == [("industry_daily", "accepted_range__ret_ew")]
    warning = failed[("industry_daily", "accepted_range__ret_ew")]
    assert warning.severity == AssetCheckSeverity.WARN
    assert warning.metadata["failing_rows"].value == 1
    listed = warning.metadata["first_failing_rows"].value
    assert "2016-06-17" in listed and "I29" in listed and "0.213143" in listed
    # the row itself: a one-stock industry on its stock's listing day
    conn = duckdb.connect(str(path), read_only=True)
    row = conn.execute(
        "select ret_ew, n_constituents from marts.industry_daily "
        "where trade_date = '2016-06-17' and industry_code = 'I29'"
    ).fetchall()
    assert row == [(pytest.approx(0.2131427, abs=1e-7), 1)]
    stock = conn.execute(
        "select stock_id, listed_days from marts.stock_returns_daily "
        "where trade_date = '2016-06-17' and industry_code = 'I29'"
    ).fetchall()
    assert stock == [("S00060", 1)]
    conn.close()
    # the check itself: non-blocking, WARN, and its description states the bounds
    spec = next(
        s
        for s in defs.get_assets_def(AssetKey(["marts", "industry_daily"])).check_specs
        if s.name == "accepted_range__ret_ew"
    )
    assert spec.blocking is False and "WARN" in spec.description and "[-0.2, 0.2]" in spec.description


# ---- a ChiNext-style market from files ------------------------------------------------------------------


def _chinext_market(folder) -> dict[str, int]:
    """Four industries: three of eight stocks (some ChiNext, +-20% limits; four listing mid-window at +44%)
    and a one-stock ChiNext industry that closes limit-up on 2014-02-18. Prices round to the cent, as
    exchanges do; returns compound exactly (pre_close = yesterday's close)."""
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2014-01-02", "2014-03-31")
    stocks = [(f"S{i:03d}", f"I0{i // 8 + 1}", "chinext" if i % 2 == 0 else "main") for i in range(24)]
    stocks.append(("S900", "I04", "thin"))
    listing = {"S003": days[20], "S010": days[31], "S017": days[12], "S022": days[40]}
    bars, counts = [], {"limit_days": 0, "listing_days": 0}
    for stock, _, board in stocks:
        first = listing.get(stock, days[0])
        pre = 20.0 if stock not in listing else 12.0  # the offer price on a listing day
        for i, day in enumerate(d for d in days if d >= first):
            limit = 0.1 if board == "main" else 0.2
            if stock in listing and i == 0:
                close = round(pre * 1.44, 2)
                counts["listing_days"] += 1
            elif board == "chinext" and i % 9 == 4:
                close = round(pre * (1 + limit if i % 18 == 4 else 1 - limit), 2)
                counts["limit_days"] += 1
            elif board == "thin" and day == pd.Timestamp("2014-02-18"):
                close = round(pre * 1.2, 2) + 0.01  # the limit price, rounded up to the cent
            else:
                close = round(pre * (1 + float(np.clip(rng.normal(0, 0.02), -limit, limit))), 2)
            bars.append(
                dict(
                    trade_date=day,
                    stock_id=stock,
                    open=pre,
                    high=max(pre, close) * 1.01,
                    low=min(pre, close) * 0.99,
                    close=close,
                    pre_close=pre,
                    volume=1e5,
                    amount=1e5 * close,
                    turnover=0.01,
                    float_mcap=close * 1e7,
                    total_mcap=close * 2e7,
                    is_st=False,
                    is_suspended=False,
                )
            )
            pre = close
    frame = pd.DataFrame(bars).sort_values(["trade_date", "stock_id"])
    frame.to_csv(folder / "daily_bars.csv", index=False)
    ret = frame.assign(ret=frame.close / frame.pre_close - 1, w=frame.float_mcap).groupby("trade_date")
    market = pd.DataFrame({"market_ret": ret.apply(lambda g: np.average(g.ret, weights=g.w)), "rf": 0.00006})
    market.rename_axis("trade_date").reset_index().to_csv(folder / "market_daily.csv", index=False)
    pd.DataFrame(
        [
            dict(
                stock_id=s,
                in_date=listing.get(s, pd.Timestamp("2010-01-04")),
                industry_code=ind,
                industry_name=f"industry {ind}",
                out_date=None,
            )
            for s, ind, _ in stocks
        ]
    ).sort_values(["in_date", "stock_id"]).to_csv(folder / "industry_membership.csv", index=False)
    pd.DataFrame(
        [
            dict(
                stock_id=s,
                announce_date="2013-10-30",
                period_end="2013-09-30",
                book_equity=1e8,
                net_income_ttm=1e7,
                revenue_ttm=5e7,
                total_assets=3e8,
                total_liabilities=2e8,
            )
            for s, _, _ in stocks
        ]
    ).to_csv(folder / "fundamentals.csv", index=False)
    return counts


def test_chinext_limit_days_and_listing_days_run_clean(tmp_path, monkeypatch):
    folder = tmp_path / "files"
    folder.mkdir()
    counts = _chinext_market(folder)
    monkeypatch.setenv("MOMENTUM_DATA_SOURCE", "files")
    monkeypatch.setenv("MOMENTUM_FILES_DIR", str(folder))
    monkeypatch.setenv("MOMENTUM_HISTORY_START", "2014-01-01")
    path = tmp_path / "w.duckdb"
    instance = DagsterInstance.ephemeral()
    backfill("2014-01", "2014-03", only=LAYERS, reports=False, defs=build_definitions(str(path)), instance=instance)
    assert all(r.status == DagsterRunStatus.SUCCESS for r in instance.get_runs())
    conn = duckdb.connect(str(path), read_only=True)
    limit_days, after_listing, listing_days = conn.execute(
        "select count(*) filter (where abs(ret) between 0.199 and 0.21), "
        "count(*) filter (where abs(ret) between 0.199 and 0.21 and listed_days > 5), "
        "count(*) filter (where ret between 0.43 and 0.45 and listed_days = 1) from marts.stock_returns_daily"
    ).fetchall()[0]
    conn.close()
    # the data really has them: every +-20% day (and the thin industry's one) and every +44% listing day
    assert limit_days == counts["limit_days"] + 1 and after_listing > 50
    assert listing_days == counts["listing_days"] == 4
    evaluations = _evaluations(instance)
    assert ("stock_returns_weekly", "accepted_range__ret") in evaluations  # weekly marts ran too
    failed = _failed(evaluations)
    assert list(failed) == [("industry_daily", "accepted_range__ret_ew")]
    assert failed[("industry_daily", "accepted_range__ret_ew")].severity == AssetCheckSeverity.WARN
    listed = failed[("industry_daily", "accepted_range__ret_ew")].metadata["first_failing_rows"].value
    assert "2014-02-18" in listed and "I04" in listed


# ---- impossible data still blocks ---------------------------------------------------------------------


def test_a_negative_price_blocks_and_names_the_row(tmp_path, monkeypatch):
    from momentum_dag.sources.synthetic import SyntheticMarket

    original = SyntheticMarket.generate

    def with_a_negative_close(self, start, end):
        for chunk in original(self, start, end):
            bars = chunk["daily_bars"]
            bad = (bars.trade_date == pd.Timestamp("2014-02-12")) & (bars.stock_id == "S00007")
            assert bad.sum() == 1
            bars.loc[bad, "close"] = -3.5
            yield chunk

    monkeypatch.setattr(SyntheticMarket, "generate", with_a_negative_close)
    path = tmp_path / "w.duckdb"
    instance = DagsterInstance.ephemeral()
    with pytest.raises(SystemExit, match="positive_prices"):
        backfill(
            "2014-01",
            "2014-02",
            only=LAYERS,
            weekly=False,
            reports=False,
            defs=build_definitions(str(path)),
            instance=instance,
        )
    evaluation = _evaluations(instance)[("stg_daily_bars", "positive_prices")]
    assert not evaluation.passed and evaluation.severity == AssetCheckSeverity.ERROR
    assert evaluation.metadata["failing_rows"].value == 1
    listed = evaluation.metadata["first_failing_rows"].value
    assert "2014-02-12" in listed and "S00007" in listed and "-3.5" in listed
    # blocked: no mart was computed from the bad bar; market_monthly (from market_daily alone) was
    conn = duckdb.connect(str(path), read_only=True)
    marts = conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
    conn.close()
    assert marts == [("market_monthly",)]


# ---- a view over raw.daily_bars is checked over the months the run wrote ----------------------------------


def test_a_monthly_run_checks_its_months_of_the_daily_bars_view_and_a_plain_run_every_row(tmp_path, monkeypatch):
    """``stg_daily_bars`` (check_window: trade_date): a month's run checks that month's bars, not the whole
    history (20 years of bars were a 10 s unique test in every month's run); a run of the view alone, with
    no partition, checks every row. A bad January bar planted after the backfill is therefore seen by the
    plain run and not by February's run, which did not write January."""
    from dagster import materialize

    monkeypatch.setenv("MOMENTUM_SIM_STOCKS", "62")
    monkeypatch.setenv("MOMENTUM_HISTORY_START", "2014-01-01")
    path = tmp_path / "w.duckdb"
    defs = build_definitions(str(path))
    instance = DagsterInstance.ephemeral()
    view = ("stg_daily_bars", "positive_prices")
    backfill("2014-01", "2014-02", only=("raw", "staging"), weekly=False, reports=False, defs=defs, instance=instance)
    first = _evaluations(instance)[view]
    assert first.passed and first.metadata["window"].value == "[1900-01-01, 2014-03-01)"  # the first run: all of it

    conn = duckdb.connect(str(path))
    conn.execute(
        "update raw.daily_bars set close = -1 where (trade_date, stock_id) = "
        "(select (trade_date, stock_id) from raw.daily_bars where trade_date = '2014-01-15' order by stock_id limit 1)"
    )
    conn.close()
    backfill("2014-02", "2014-02", only=("raw", "staging"), weekly=False, reports=False, defs=defs, instance=instance)
    february = _evaluations(instance)[view]
    assert february.passed and february.metadata["window"].value == "[2014-02-01, 2014-03-01)"

    key = AssetKey(["staging", "stg_daily_bars"])
    result = materialize(
        [defs.get_assets_def(key)], resources=dict(defs.resources), instance=instance, raise_on_error=False
    )
    plain = _evaluations(instance)[view]
    assert not plain.passed and plain.metadata["failing_rows"].value == 1 and "window" not in plain.metadata
    assert "2014-01-15" in plain.metadata["first_failing_rows"].value
    assert not result.success  # the blocking check failed the run
