"""MOMENTUM_DATA_SOURCE=baostock through Dagster, with the fake client in place of the real module.

Only the client object differs from a real run (``BaostockModule`` is replaced by the fake): settings,
provider, cache, raw asset, guard and the graph downstream are the production code.
"""

import duckdb
import pandas as pd
import pytest

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.sources.baostock import provider as provider_module
from tests.sources.baostock_fake import FakeBaostock

TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")


def _snapshot(path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(path), read_only=True) as conn:
        return {t: conn.execute(f"select * from raw.{t} order by all").df() for t in TABLES}


@pytest.fixture
def baostock_env(tmp_path, monkeypatch):
    fakes: list[FakeBaostock] = []

    def make(**kwargs):
        def factory():
            fakes.append(FakeBaostock(**kwargs))
            return fakes[-1]

        monkeypatch.setattr(provider_module, "BaostockModule", factory)

    monkeypatch.setenv("MOMENTUM_DATA_SOURCE", "baostock")
    monkeypatch.setenv("MOMENTUM_HISTORY_START", "2020-01-01")
    monkeypatch.setenv("MOMENTUM_BAOSTOCK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MOMENTUM_BAOSTOCK_RETRIES", "0")
    return make, fakes


def test_raw_and_marts_from_the_fake_then_from_the_cache_and_service_down_changes_nothing(baostock_env, tmp_path):
    make, fakes = baostock_env
    make()
    db = tmp_path / "w.duckdb"
    defs = build_definitions(str(db))
    backfill("2020-01", "2020-06", only=("raw", "staging", "marts"), defs=defs)
    first = _snapshot(db)
    assert sorted(set(first["daily_bars"]["stock_id"])) == ["sh.600001", "sz.000002", "sz.300003"]
    assert len(first["market_daily"]) == first["daily_bars"]["trade_date"].nunique()
    assert len(first["fundamentals"]) == 5 and len(first["industry_membership"]) == 2
    with duckdb.connect(str(db), read_only=True) as conn:
        ret = conn.execute(
            "select ret from marts.stock_returns_daily where stock_id = 'sh.600001' and trade_date = '2020-05-12'"
        ).fetchone()[0]
    assert ret == pytest.approx(0.05, abs=1e-6)  # the 10-for-10 ex-date is a +5% day, not -47.5%

    make()  # again: everything final comes from the cache
    backfill("2020-01", "2020-06", only=("raw",), defs=defs)
    assert fakes[-1].calls["query_history_k_data_plus"] == 0
    for table, frame in _snapshot(db).items():
        pd.testing.assert_frame_equal(frame, first[table], obj=table)

    make(down=True)  # the service cannot be reached: the run fails and the warehouse is unchanged
    (tmp_path / "cache" / "snapshot").rename(tmp_path / "cache" / "snapshot_moved")  # force a download
    with pytest.raises(SystemExit, match="failed"):
        backfill("2020-01", "2020-06", only=("raw",), defs=defs)
    for table, frame in _snapshot(db).items():
        pd.testing.assert_frame_equal(frame, first[table], obj=table)
