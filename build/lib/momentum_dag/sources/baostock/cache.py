"""The download cache: baostock's responses as Parquet files (strings, as returned), written atomically.

Layout under the cache folder (``MOMENTUM_BAOSTOCK_CACHE_DIR``, default ``baostock_cache`` beside the
DuckDB file)::

    bars/YYYY-MM/<code>.parquet       one stock's daily bars of one month (an empty file = nothing that month)
    index/<code>/YYYY-MM.parquet      the market index's daily bars of one month
    calendar/YYYY-MM.parquet          query_trade_dates of one month
    profit/<code>/YYYYQn.parquet      query_profit_data of one report period
    balance/<code>/YYYYQn.parquet     query_balance_data of one report period
    dividend/<code>/YYYY.parquet      query_dividend_data by ex-date year ("operate")
    snapshot/<name>@YYYY-MM-DD.parquet  whole-table answers (stock_basic, industry, deposit rates, a stock's
                                      adjustment factors) fetched on that day

A file exists only once its response is complete and final: months that have ended, report periods
past their filing deadline (or already published), ex-date years that have ended. A snapshot fetched on
day D is good for any window ending on or before D. Files are written to a temporary name in the same
folder and renamed, so an interrupted run (Ctrl-C, kill -9) leaves whole files or none; a later run
fetches only what has no file.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd


class Cache:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def bars(self, code: str, month: pd.Period) -> Path:
        return self.root / "bars" / str(month) / f"{code}.parquet"

    def index(self, code: str, month: pd.Period) -> Path:
        return self.root / "index" / code / f"{month}.parquet"

    def calendar(self, month: pd.Period) -> Path:
        return self.root / "calendar" / f"{month}.parquet"

    def report(self, kind: str, code: str, year: int, quarter: int) -> Path:
        return self.root / kind / code / f"{year}Q{quarter}.parquet"

    def dividend(self, code: str, year: int) -> Path:
        return self.root / "dividend" / code / f"{year}.parquet"

    def snapshot(self, name: str, fetched_on: date) -> Path:
        return self.root / "snapshot" / f"{name}@{fetched_on.isoformat()}.parquet"

    def latest_snapshot(self, name: str, good_from: date) -> Path | None:
        """The newest snapshot of ``name`` fetched on or after ``good_from``, or None."""
        folder = self.root / "snapshot"
        if not folder.is_dir():
            return None
        best: tuple[date, Path] | None = None
        for path in folder.glob(f"{name}@*.parquet"):
            try:
                fetched = date.fromisoformat(path.stem.split("@", 1)[1])
            except ValueError:
                continue
            if fetched >= good_from and (best is None or fetched > best[0]):
                best = (fetched, path)
        return best[1] if best else None

    def write_snapshot(self, name: str, fetched_on: date, frame: pd.DataFrame) -> Path:
        """Write a snapshot and remove the older ones of the same name."""
        path = self.snapshot(name, fetched_on)
        write(path, frame)
        for old in (self.root / "snapshot").glob(f"{name}@*.parquet"):
            if old != path:
                old.unlink(missing_ok=True)
        return path


def write(path: Path, frame: pd.DataFrame) -> None:
    """Write ``frame`` (strings) to ``path`` atomically: a temporary file in the same folder, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.astype("str").to_parquet(tmp, index=False)
    os.replace(tmp, path)


def read(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path).astype("str")
