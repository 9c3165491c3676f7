"""The ``files`` provider: a folder of CSV or Parquet files, one per raw table.

The folder holds ``<table>.csv`` or ``<table>.parquet`` for each contract table: ``daily_bars``,
``market_daily``, ``fundamentals`` and ``industry_membership`` are required, ``factor_returns_monthly``
is optional. Every file is read and validated against :mod:`momentum_dag.sources.contract` before
anything is yielded, so a bad file stops the load with an error naming file, line and column and nothing
reaches the warehouse.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd

from momentum_dag.sources.contract import RAW_TABLES, ContractError, validate

REQUIRED_TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")
OPTIONAL_TABLES = ("factor_returns_monthly",)
SUFFIXES = (".csv", ".parquet")


def find_table_files(folder: Path) -> dict[str, Path]:
    """Map each contract table to its file in ``folder``; optional tables without a file are left out.

    Raises:
        ContractError: the folder is missing, a required table has no file, or a table has both a CSV and
            a Parquet file (which one is meant would be a guess).
    """
    if not folder.is_dir():
        raise ContractError(f"files provider: data folder {folder} does not exist (MOMENTUM_FILES_DIR)")
    found, missing, ambiguous = {}, [], []
    for table in REQUIRED_TABLES + OPTIONAL_TABLES:
        candidates = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").is_file()]
        if len(candidates) == 1:
            found[table] = candidates[0]
        elif len(candidates) > 1:
            ambiguous.append(" and ".join(p.name for p in candidates))
        elif table in REQUIRED_TABLES:
            missing.append(f"{table}.csv or {table}.parquet")
    if missing or ambiguous:
        present = sorted(p.name for p in folder.iterdir())
        lines = [f"files provider: data folder {folder} is not usable:"]
        lines += [f"  - missing {name}" for name in missing]
        lines += [f"  - both {names}: keep one" for names in ambiguous]
        lines.append(f"  files present: {present}")
        raise ContractError("\n".join(lines))
    return found


def read_table(path: Path, table: str, *, max_abs_ret: float = 0.5, max_abs_monthly_ret: float = 1.0) -> pd.DataFrame:
    """Read one CSV (all fields as text) or Parquet (pyarrow) file and validate it as ``table``.

    Raises:
        ContractError: the file cannot be parsed, or its rows break the contract (file, line, column).
    """
    is_csv = path.suffix == ".csv"
    try:
        if is_csv:
            # Text in, typed by the contract: pandas' own inference would drop leading zeros of stock ids.
            # Blank lines are kept so that positions stay equal to file lines; validate drops them.
            # index_col=False + ParserWarning as error: a row longer than the header fails instead of
            # pandas silently taking the first column as the index (shifting every column) or truncating it.
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                raw = pd.read_csv(path, dtype=str, skip_blank_lines=False, encoding="utf-8-sig", index_col=False)
        else:
            raw = pd.read_parquet(path, engine="pyarrow")
    except pd.errors.EmptyDataError:
        raise ContractError(
            f"{table}: {path} is empty: expected a header line with the contract columns "
            f"{list(RAW_TABLES[table].columns)}"
        ) from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserWarning) as exc:
        kind = "CSV (UTF-8)" if is_csv else "Parquet"
        raise ContractError(f"{table}: {path} cannot be read as {kind}: {exc}") from exc
    return validate(
        raw,
        RAW_TABLES[table],
        str(path),
        max_abs_ret=max_abs_ret,
        max_abs_monthly_ret=max_abs_monthly_ret,
        header=is_csv,
    )


class FilesProvider:
    """Raw tables from a folder of ``<table>.csv`` / ``<table>.parquet`` files.

    Same interface as the synthetic market: ``generate(start, end)`` yields dicts table name -> frame in
    the contract's columns and dtypes. Construction only checks that the files exist; the first
    ``generate`` reads and validates every file (all of them, before yielding) and keeps the result until
    a file changes on disk.

    Args:
        folder: the data folder (``MOMENTUM_FILES_DIR``).
        max_abs_ret: bound on |daily return| passed to :func:`contract.validate` (default 0.5).
        max_abs_monthly_ret: bound on |monthly factor return| passed to :func:`contract.validate` (1.0).
    """

    def __init__(self, folder: Path | str, *, max_abs_ret: float = 0.5, max_abs_monthly_ret: float = 1.0):
        self.folder = Path(folder)
        self.paths = find_table_files(self.folder)
        self.max_abs_ret = max_abs_ret
        self.max_abs_monthly_ret = max_abs_monthly_ret
        self._tables: dict[str, pd.DataFrame] | None = None
        self._stamp: tuple | None = None

    def load(self) -> dict[str, pd.DataFrame]:
        """Every table, validated; one ContractError listing the problems of all bad files."""
        stamp = tuple((p, os.stat(p).st_mtime_ns, os.stat(p).st_size) for p in self.paths.values())
        if self._tables is not None and stamp == self._stamp:
            return self._tables
        tables, errors = {}, []
        for table, path in self.paths.items():
            try:
                tables[table] = read_table(
                    path, table, max_abs_ret=self.max_abs_ret, max_abs_monthly_ret=self.max_abs_monthly_ret
                )
            except ContractError as exc:
                errors.append(exc)
        if len(errors) == 1:
            raise errors[0]
        if errors:
            problems = tuple(p for e in errors for p in e.problems)
            raise ContractError("\n".join(str(e) for e in errors), problems)
        self._tables, self._stamp = tables, stamp
        return tables

    def generate(
        self, start: date | str | pd.Timestamp, end: date | str | pd.Timestamp
    ) -> Iterator[dict[str, pd.DataFrame]]:
        """Yield (as one chunk) each table's rows whose date column falls in ``[start, end)``.

        Tables without a file (the optional ``factor_returns_monthly``) are absent from the dict.
        Validation of every file happens before the first yield.
        """
        lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        if lo > hi:
            raise ValueError(f"generate: start {lo.date()} is after end {hi.date()}")
        tables = self.load()
        chunk = {}
        for table, df in tables.items():
            dates = df[RAW_TABLES[table].date_column]
            chunk[table] = df.loc[(dates >= lo) & (dates < hi)].reset_index(drop=True)
        yield chunk
