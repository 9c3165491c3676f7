"""The files provider through Dagster: a good folder loads; a bad file fails the run and changes nothing."""

from datetime import date

import duckdb
import pandas as pd
import pytest

from momentum_dag.runtime.cli import backfill
from momentum_dag.runtime.definitions import build_definitions
from momentum_dag.sources.synthetic import SimulatorConfig, SyntheticMarket

TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two months of a small synthetic market written as CSV files in the raw contract."""
    market = SyntheticMarket(SimulatorConfig(n_stocks=60, n_industries=4, start=date(2014, 1, 1)))
    chunks = list(market.generate(date(2014, 1, 1), date(2014, 3, 1)))
    path = tmp_path_factory.mktemp("files")
    for table in TABLES:
        frame = pd.concat([c[table] for c in chunks], ignore_index=True)
        frame.to_csv(path / f"{table}.csv", index=False)
    return path


def _snapshot(path) -> dict[str, pd.DataFrame]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return {t: conn.execute(f"select * from raw.{t} order by all").df() for t in TABLES}
    finally:
        conn.close()


def test_good_folder_loads_and_bad_file_changes_nothing(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("MOMENTUM_DATA_SOURCE", "files")
    monkeypatch.setenv("MOMENTUM_FILES_DIR", str(folder))
    db = tmp_path / "w.duckdb"
    defs = build_definitions(str(db))
    backfill("2014-01", "2014-02", only=("raw",), defs=defs)
    before = _snapshot(db)
    assert len(before["daily_bars"]) == len(pd.read_csv(folder / "daily_bars.csv"))

    bars = pd.read_csv(folder / "daily_bars.csv")
    bars.loc[5, "high"] = bars.loc[5, "low"] / 2  # high < low on data line 7 (header is line 1)
    bad = tmp_path / "bad"
    bad.mkdir()
    bars.to_csv(bad / "daily_bars.csv", index=False)
    for table in TABLES[1:]:
        (bad / f"{table}.csv").write_bytes((folder / f"{table}.csv").read_bytes())
    monkeypatch.setenv("MOMENTUM_FILES_DIR", str(bad))
    with pytest.raises(SystemExit, match="failed"):  # the settings are read when the definitions are built
        backfill("2014-01", "2014-02", only=("raw",), defs=build_definitions(str(db)))
    after = _snapshot(db)
    for table in TABLES:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


def test_bad_file_error_names_file_line_and_column(folder, tmp_path):
    from momentum_dag.sources.files import FilesProvider

    bars = pd.read_csv(folder / "daily_bars.csv")
    bars.loc[5, "high"] = bars.loc[5, "low"] / 2
    for table in TABLES[1:]:
        (tmp_path / f"{table}.csv").write_bytes((folder / f"{table}.csv").read_bytes())
    bars.to_csv(tmp_path / "daily_bars.csv", index=False)
    with pytest.raises(ValueError) as error:
        list(FilesProvider(tmp_path).generate(date(2014, 1, 1), date(2014, 3, 1)))
    message = str(error.value)
    assert "daily_bars.csv" in message and "line 7" in message and "high" in message
