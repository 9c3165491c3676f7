"""Ken French data library: readers for its CSV files, the linearmodels offline sample, and the
``raw.factor_returns_monthly`` contract.

French's CSV files hold a few lines of header text, then blocks, each a header row (``,Mkt-RF,SMB,...``)
followed by rows keyed YYYYMM (monthly) or YYYY (annual), in PERCENT, with -99.99 / -999 for missing.
Everything returned here is monthly, in DECIMALS, indexed by the CALENDAR month end (``month_end``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

MONTH_ROW = re.compile(r"^\s*(\d{6})\s*,")
MISSING_AT_OR_BELOW = -99.99  # French's missing-value codes are -99.99 and -999
FACTOR_RETURNS_COLUMNS = ["month_end", "factor", "ret"]
LINEARMODELS_LABEL = "Ken French data library, monthly sample shipped by linearmodels.datasets.french"

# Files read by ``factor_returns_from_directory`` and the prefix of their factor names in the raw table.
STANDARD_FILES = {
    "F-F_Research_Data_Factors.CSV": "",
    "F-F_Momentum_Factor.CSV": "",
    "F-F_Research_Data_5_Factors_2x3.CSV": "ff5_",
    "10_Portfolios_Prior_12_2.CSV": "prior_12_2_",
}


@dataclass(frozen=True)
class _Block:
    title: str
    header: list[str]
    rows: list[list[str]]


def _monthly_blocks(lines: list[str]) -> list[_Block]:
    """Every block of YYYYMM rows, with its header row and the nearest title line above it."""
    blocks: list[_Block] = []
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip().startswith(",") and MONTH_ROW.match(nxt):
            header = [c.strip() for c in line.strip().split(",")[1:]]
            rows = []
            i += 1
            while i < len(lines) and MONTH_ROW.match(lines[i]):
                rows.append([c.strip() for c in lines[i].split(",")])
                i += 1
            blocks.append(_Block(title, header, rows))
            continue
        if line.strip() and not line.strip().startswith(","):
            title = line.strip()
        i += 1
    return blocks


def read_french_csv(path: str | Path, *, block: str | None = None, percent: bool = True) -> pd.DataFrame:
    """Monthly block of a Ken French data-library CSV as a DataFrame.

    Args:
        path: local path of the CSV (as unzipped from the library).
        block: text contained in the block's title line (case-insensitive), e.g. "Average Equal Weighted
            Returns -- Monthly"; None = the first monthly block (the factors, or value-weighted returns in
            portfolio files). Annual (YYYY) blocks are never read.
        percent: divide by 100 (French stores returns in percent).

    Returns:
        DataFrame index ``month_end`` (calendar month end), one float column per header name; missing
        codes (-99.99, -999) become NaN.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Ken French file not found: {path}")
    lines = path.read_text(encoding="latin-1").splitlines()
    blocks = _monthly_blocks(lines)
    if not blocks:
        raise ValueError(f"{path.name}: no monthly block (a header row followed by YYYYMM rows) found")
    if block is None:
        chosen = blocks[0]
    else:
        matches = [b for b in blocks if block.lower() in b.title.lower()]
        if not matches:
            titles = [b.title for b in blocks]
            raise ValueError(f"{path.name}: no monthly block titled like {block!r}; blocks are {titles}")
        chosen = matches[0]
    return _block_frame(chosen, path.name, percent)


def _block_frame(block: _Block, file_name: str, percent: bool) -> pd.DataFrame:
    width = len(block.header) + 1
    for row in block.rows:
        if len(row) != width:
            raise ValueError(f"{file_name}: row {row[0]} has {len(row) - 1} values, header has {width - 1}")
    try:
        values = np.array([[float(v) for v in row[1:]] for row in block.rows])
    except ValueError as err:
        raise ValueError(f"{file_name}: non-numeric value in block {block.title!r}: {err}") from None
    values[values <= MISSING_AT_OR_BELOW] = np.nan
    if percent:
        values = values / 100.0
    months = pd.PeriodIndex([row[0] for row in block.rows], freq="M")
    index = pd.DatetimeIndex(months.to_timestamp(how="end").normalize(), name="month_end")
    if not index.is_unique or not index.is_monotonic_increasing:
        raise ValueError(f"{file_name}: months in block {block.title!r} are duplicated or out of order")
    return pd.DataFrame(values, index=index, columns=block.header)


def _require_columns(frame: pd.DataFrame, columns: list[str], file_name: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{file_name}: expected columns {columns}, missing {missing}")
    return frame


def read_research_factors(path: str | Path) -> pd.DataFrame:
    """``F-F_Research_Data_Factors.CSV``: monthly Mkt-RF, SMB, HML, RF in decimals."""
    return _require_columns(read_french_csv(path), ["Mkt-RF", "SMB", "HML", "RF"], Path(path).name)


def read_five_factors(path: str | Path) -> pd.DataFrame:
    """``F-F_Research_Data_5_Factors_2x3.CSV``: monthly Mkt-RF, SMB, HML, RMW, CMA, RF in decimals."""
    return _require_columns(
        read_french_csv(path), ["Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"], Path(path).name
    )


def read_momentum_factor(path: str | Path) -> pd.DataFrame:
    """``F-F_Momentum_Factor.CSV``: monthly Mom (UMD) in decimals."""
    return _require_columns(read_french_csv(path), ["Mom"], Path(path).name)


def _weighting_block(weighting: str) -> str:
    if weighting not in ("value", "equal"):
        raise ValueError(f"weighting must be 'value' or 'equal', got {weighting!r}")
    return f"Average {weighting.capitalize()} Weighted Returns -- Monthly"


def read_prior_12_2_portfolios(path: str | Path, weighting: str = "value") -> pd.DataFrame:
    """``10_Portfolios_Prior_12_2.CSV`` (NYSE breakpoints): monthly decile returns, Lo PRIOR .. Hi PRIOR."""
    return read_french_csv(path, block=_weighting_block(weighting))


def read_industry_portfolios(path: str | Path, weighting: str = "value") -> pd.DataFrame:
    """``{N}_Industry_Portfolios.CSV``: monthly industry returns in decimals, one column per industry."""
    return read_french_csv(path, block=_weighting_block(weighting))


def load_linearmodels_french() -> pd.DataFrame:
    """The offline Ken French sample shipped with ``linearmodels.datasets.french`` (1949-01 .. 2017-03).

    Columns MktRF, SMB, HML, Mom, RF, 12 industries (total returns) and 18 size x value / size x momentum
    portfolios. The dataset is already in DECIMALS and dated the first of each month; this returns it
    indexed by the calendar month end (``month_end``).
    """
    from linearmodels.datasets import french

    raw = french.load()
    frame = raw.drop(columns="dates").astype("float64")
    frame.index = pd.DatetimeIndex(
        pd.to_datetime(raw["dates"]).dt.to_period("M").dt.to_timestamp(how="end").dt.normalize(),
        name="month_end",
    )
    if frame["MktRF"].abs().max() > 1.0:
        raise ValueError("linearmodels french sample is not in decimals (|MktRF| > 1): its format changed")
    return frame


def to_factor_returns_monthly(frame: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Wide monthly returns (index month_end) -> ``raw.factor_returns_monthly`` rows (month_end, factor, ret).

    ``factor`` = ``prefix`` + column name; missing values are dropped; returns stay in decimals.
    """
    if not isinstance(frame.index, pd.DatetimeIndex):
        raise ValueError("frame must be indexed by month_end dates")
    long = frame.stack(future_stack=True).dropna().rename("ret").reset_index()
    long.columns = FACTOR_RETURNS_COLUMNS
    long["factor"] = prefix + long["factor"].astype(str)
    long["month_end"] = pd.to_datetime(long["month_end"])
    return long.sort_values(["month_end", "factor"]).reset_index(drop=True)


def factor_returns_from_directory(directory: str | Path) -> pd.DataFrame:
    """``raw.factor_returns_monthly`` rows from the standard French files present in ``directory``.

    Reads those of ``STANDARD_FILES`` that exist (at least one must); 5-factor and decile columns get the
    prefixes ``ff5_`` and ``prior_12_2_`` so names stay unique (the 5-factor SMB differs from the 3-factor).
    """
    directory = Path(directory)
    found = [
        (directory / name, prefix) for name, prefix in STANDARD_FILES.items() if (directory / name).is_file()
    ]
    if not found:
        raise ValueError(f"{directory}: none of the Ken French files {list(STANDARD_FILES)} is present")
    parts = [to_factor_returns_monthly(read_french_csv(path), prefix) for path, prefix in found]
    out = pd.concat(parts, ignore_index=True)
    if out.duplicated(["month_end", "factor"]).any():
        raise ValueError(f"{directory}: two files define the same factor name")
    return out.sort_values(["month_end", "factor"]).reset_index(drop=True)


def _pick(frame: pd.DataFrame, names: tuple[str, ...]) -> pd.Series:
    for name in names:
        if name in frame.columns:
            return frame[name].astype("float64")
    raise ValueError(f"frame needs one of the columns {list(names)}; it has {list(frame.columns)}")


def time_series_inputs_from_french(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """Monthly inputs of the Daniel-Moskowitz (2016) time-series analyses from French's factors.

    French's Mom (UMD: 2x3 size x prior-return sort, NYSE breakpoints) stands in for D&M's decile WML; the
    market total return is Mkt-RF + RF (Mkt-RF is an arithmetic excess return). Accepts the file names
    (Mkt-RF, Mom) or the linearmodels names (MktRF, Mom); UMD also accepted.

    Returns:
        (wml_m, market_excess_m, market_total_m, rf): Series on ``df``'s month_end index, decimals.
    """
    if not isinstance(df.index, pd.DatetimeIndex):
        raise ValueError("df must be indexed by month_end dates (use read_* or load_linearmodels_french)")
    wml = _pick(df, ("Mom", "UMD", "WML")).rename("wml")
    excess = _pick(df, ("Mkt-RF", "MktRF")).rename("market_excess")
    rf = _pick(df, ("RF",)).rename("rf")
    return wml, excess, (excess + rf).rename("market_total"), rf


def load_kenfrench_monthly(directory: str | Path | None) -> tuple[pd.DataFrame, str]:
    """Wide monthly French series (month_end x column, decimals) and a data-source label: every standard
    file in ``directory`` (columns named as in ``factor_returns_from_directory``), else the linearmodels
    sample."""
    if directory is None:
        frame = load_linearmodels_french()
        return frame, f"{LINEARMODELS_LABEL} ({frame.index.min():%Y-%m}..{frame.index.max():%Y-%m})"
    rows = factor_returns_from_directory(directory)
    wide = rows.pivot(index="month_end", columns="factor", values="ret")
    wide.index = pd.DatetimeIndex(pd.to_datetime(wide.index), name="month_end")
    wide.columns.name = None
    return wide.sort_index(), f"Ken French data library files in {directory}"
