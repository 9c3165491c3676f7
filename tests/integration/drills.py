"""What the reliability drills share: a backfill in a subprocess, and warehouses compared table by table."""

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
PROVIDER = "raw/daily_bars,raw/market_daily,raw/fundamentals,raw/industry_membership"
DATE_COLUMNS = ("trade_date", "month_end", "week_end", "period_end", "announce_date", "in_date")


def drill_env(folder: Path, **extra: str) -> dict[str, str]:
    """A small synthetic market (50 stocks, 5 industries from 2014-01) in ``folder``: its own DuckDB file and
    Dagster instance."""
    (folder / "dagster_home").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "MOMENTUM_DUCKDB_PATH": str(folder / "w.duckdb"),
        "DAGSTER_HOME": str(folder / "dagster_home"),
        "MOMENTUM_SIM_STOCKS": "50",
        "MOMENTUM_SIM_INDUSTRIES": "5",
        "MOMENTUM_HISTORY_START": "2014-01-01",
        **extra,
    }


def start_backfill(
    folder: Path, start: str, end: str, only: str | None, *, new_session: bool = False, **extra: str
) -> subprocess.Popen:
    """``momentum-dag backfill`` in a subprocess: the monthly assets ``only`` names, or (``only=None``) the
    whole graph, monthly, weekly and reports (``new_session``: in its own session and process group, so that
    a drill can kill the backfill with every process it started)."""
    command = [sys.executable, "-m", "momentum_dag.runtime.cli", "backfill", "--start", start, "--end", end]
    if only is not None:
        command += ["--only", only, "--no-weekly", "--no-reports"]
    return subprocess.Popen(
        command,
        env=drill_env(folder, **extra),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=new_session,
    )


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    out = process.communicate(timeout=timeout)[0].decode()
    return process.returncode, out


def tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every base table but the stamp (meta), rows in a stable order (keys first, floats last)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        names = conn.execute(
            "select schema_name || '.' || table_name from duckdb_tables() where schema_name <> 'meta' order by 1"
        ).fetchall()
        found = {}
        for (name,) in names:
            frame = conn.execute(f"select * from {name}").df()
            keys = [c for c in frame.columns if frame[c].dtype.kind not in "fc"]
            found[name] = frame.sort_values(keys + [c for c in frame.columns if c not in keys]).reset_index(drop=True)
        return found
    finally:
        conn.close()


def months(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows by month of the table's date column (one group when it has none)."""
    column = next((c for c in DATE_COLUMNS if c in frame.columns), None)
    if column is None:
        return {"all": frame}
    month = pd.to_datetime(frame[column]).dt.strftime("%Y-%m")
    return {m: rows.reset_index(drop=True) for m, rows in frame.groupby(month)}


def assert_identical(path: Path, reference: dict[str, pd.DataFrame]) -> None:
    """Same tables, same rows (floats to 1e-9 relative: DuckDB's parallel sums may differ in the last bit)."""
    found = tables(path)
    assert found.keys() == reference.keys()
    for name in reference:
        pd.testing.assert_frame_equal(found[name], reference[name], check_exact=False, rtol=1e-9, obj=name)
