"""The "nothing lost" guard: a raw window is never replaced by markedly fewer rows (every provider)."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.sources.guard import RawShrinkError, row_count_guard
from momentum_dag.sources.synthetic import SimulatorConfig, SyntheticMarket
from momentum_dag.storage import write_windows

TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")


def _rows(n: int) -> pd.DataFrame:
    return pd.DataFrame({"d": pd.date_range("2020-01-01", periods=n, freq="D"), "x": range(n)})


def _write(conn, n: int, force: bool = False):
    return write_windows(
        conn,
        {"raw.t": ("d", None)},
        [{"raw.t": _rows(n)}],
        start=date(2020, 1, 1),
        end=date(2020, 3, 1),
        guard=row_count_guard(force),
    )


def test_guard_threshold_and_message():
    conn = duckdb.connect()
    _write(conn, 50)
    _write(conn, 45)  # 90% of 50: allowed
    with pytest.raises(RawShrinkError) as error:
        _write(conn, 40)  # 40 < 0.9 x 45 = 40.5
    message = str(error.value)
    assert "raw.t [2020-01-01, 2020-03-01): 40 new rows would replace 45 (88.9%)" in message
    assert "MOMENTUM_RAW_FORCE=1" in message and "nothing was written" in message
    assert conn.execute("select count(*) from raw.t").fetchone()[0] == 45  # rolled back
    _write(conn, 41)  # shortfall of 4 rows (< 5): a small window's restatement, allowed
    _write(conn, 10, force=True)
    assert conn.execute("select count(*) from raw.t").fetchone()[0] == 10
    _write(conn, 60)  # growth is always fine


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    market = SyntheticMarket(SimulatorConfig(n_stocks=60, n_industries=4, start=date(2014, 1, 1)))
    chunks = list(market.generate(date(2014, 1, 1), date(2014, 3, 1)))
    path = tmp_path_factory.mktemp("guard_files")
    for table in TABLES:
        pd.concat([c[table] for c in chunks], ignore_index=True).to_csv(path / f"{table}.csv", index=False)
    return path


def test_files_provider_half_a_file_changes_nothing_unless_forced(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("MOMENTUM_DATA_SOURCE", "files")
    monkeypatch.setenv("MOMENTUM_FILES_DIR", str(folder))
    db = tmp_path / "w.duckdb"
    defs = build_definitions(str(db))
    backfill("2014-01", "2014-02", only=("raw",), defs=defs)
    full = pd.read_csv(folder / "daily_bars.csv")
    half = tmp_path / "half"
    half.mkdir()
    full.iloc[: len(full) // 2].to_csv(half / "daily_bars.csv", index=False)  # a download cut in the middle
    for table in TABLES[1:]:
        (half / f"{table}.csv").write_bytes((folder / f"{table}.csv").read_bytes())
    monkeypatch.setenv("MOMENTUM_FILES_DIR", str(half))
    with pytest.raises(SystemExit, match="failed"):  # RawShrinkError inside the run (message: unit test above)
        backfill("2014-01", "2014-02", only=("raw",), defs=build_definitions(str(db)))
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.daily_bars").fetchone()[0] == len(full)
    monkeypatch.setenv("MOMENTUM_RAW_FORCE", "1")  # settings are read when the definitions are built
    backfill("2014-01", "2014-02", only=("raw",), defs=build_definitions(str(db)))
    with duckdb.connect(str(db), read_only=True) as conn:
        assert conn.execute("select count(*) from raw.daily_bars").fetchone()[0] == len(full) // 2
