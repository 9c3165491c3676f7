"""Ken French data library: readers for its CSV files, the linearmodels offline sample, and the
``raw.factor_returns_monthly`` contract.

French's CSV files hold a few lines of header text, then blocks, each a header row (``,Mkt-RF,SMB,...``)
followed by rows keyed YYYYMM (monthly), YYYY (annual) or, in the ``*_daily`` files, YYYYMMDD (daily;
those files have no annual block), in PERCENT, with -99.99 / -999 for missing. Everything returned here
is in DECIMALS; monthly series are indexed by the CALENDAR month end (``month_end``), daily ones by
``trade_date``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

MONTH_ROW = re.compile(r"^\s*(\d{6})\s*,")
DAY_ROW = re.compile(r"^\s*(\d{8})\s*,")
MISSING_AT_OR_BELOW = -99.99  # French's missing-value codes are -99.99 and -999
FACTOR_RETURNS_COLUMNS = ["month_end", "factor", "ret"]
LINEARMODELS_LABEL = "Ken French data library, monthly sample shipped by linearmodels.datasets.french"

# Files read by ``factor_returns_from_directory`` and the prefix of their factor names in the raw table.
STANDARD_FILES = {
    "F-F_Research_Data_Factors.CSV": "",
    "F-F_Momentum_Factor.CSV": "",
    "F-F_Research_Data_5_Factors_2x3.CSV": "ff5_",
    "10_Portfolios_Prior_12_2.CSV": "prior_12_2_",
    "F-F_ST_Reversal_Factor.CSV": "",
    "F-F_LT_Reversal_Factor.CSV": "",
}
# Their daily versions (same column prefixes), read by ``load_kenfrench_daily``.
DAILY_STANDARD_FILES = {
    "F-F_Research_Data_Factors_daily.CSV": "",
    "F-F_Momentum_Factor_daily.CSV": "",
    "F-F_Research_Data_5_Factors_2x3_daily.CSV": "ff5_",
    "10_Portfolios_Prior_12_2_Daily.CSV": "prior_12_2_",
    "F-F_ST_Reversal_Factor_daily.CSV": "",
    "F-F_LT_Reversal_Factor_daily.CSV": "",
}
LINEARMODELS_LIMITS = (
    "the bundled linearmodels sample has 2 strategy factors (SMB, HML; no RMW, CMA or reversal factors), "
    "monthly data only (no PC factor momentum, no daily variances) and covers 1949-01..2017-03; point "
    "MOMENTUM_KENFRENCH_DIR at French's files for the papers' full samples and factor sets"
)
# French's daily files as unzipped from the library (found case-insensitively: some archives hold ``*.csv``).
DAILY_FACTORS_FILE = "F-F_Research_Data_Factors_daily.CSV"
DAILY_MOMENTUM_FILE = "F-F_Momentum_Factor_daily.CSV"
DAILY_DECILES_FILE = "10_Portfolios_Prior_12_2_Daily.CSV"
WINNERS, LOSERS = "Hi PRIOR", "Lo PRIOR"


@dataclass(frozen=True)
class _Block:
    title: str
    header: list[str]
    rows: list[list[str]]


def _blocks(lines: list[str], row: re.Pattern) -> list[_Block]:
    """Every block of rows keyed as ``row`` matches (YYYYMM or YYYYMMDD), with its header row and the
    nearest title line above it."""
    blocks: list[_Block] = []
    title = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip().startswith(",") and row.match(nxt):
            header = [c.strip() for c in line.strip().split(",")[1:]]
            rows = []
            i += 1
            while i < len(lines) and row.match(lines[i]):
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
    return _read_block(Path(path), block, percent, daily=False)


def read_french_daily_csv(path: str | Path, *, block: str | None = None, percent: bool = True) -> pd.DataFrame:
    """Daily block of a Ken French ``*_daily`` CSV (rows keyed YYYYMMDD) as a DataFrame.

    Args:
        path: local path of the CSV.
        block: text contained in the block's title line (case-insensitive), e.g. "Average Value Weighted
            Returns -- Daily"; None = the first daily block.
        percent: divide by 100.

    Returns:
        DataFrame index ``trade_date``, one float column per header name; -99.99 / -999 become NaN.
    """
    return _read_block(Path(path), block, percent, daily=True)


def _read_block(path: Path, block: str | None, percent: bool, *, daily: bool) -> pd.DataFrame:
    kind, key = ("daily", "YYYYMMDD") if daily else ("monthly", "YYYYMM")
    if not path.is_file():
        raise ValueError(f"Ken French file not found: {path}")
    lines = path.read_text(encoding="latin-1").splitlines()
    blocks = _blocks(lines, DAY_ROW if daily else MONTH_ROW)
    if not blocks:
        raise ValueError(f"{path.name}: no {kind} block (a header row followed by {key} rows) found")
    if block is None:
        chosen = blocks[0]
    else:
        matches = [b for b in blocks if block.lower() in b.title.lower()]
        if not matches:
            titles = [b.title for b in blocks]
            raise ValueError(f"{path.name}: no {kind} block titled like {block!r}; blocks are {titles}")
        chosen = matches[0]
    return _block_frame(chosen, path.name, percent, daily=daily)


def _block_frame(block: _Block, file_name: str, percent: bool, *, daily: bool) -> pd.DataFrame:
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
    keys = [row[0] for row in block.rows]
    if daily:
        try:
            index = pd.DatetimeIndex(pd.to_datetime(keys, format="%Y%m%d"), name="trade_date")
        except ValueError as err:
            raise ValueError(f"{file_name}: invalid date in block {block.title!r}: {err}") from None
    else:
        months = pd.PeriodIndex(keys, freq="M")
        index = pd.DatetimeIndex(months.to_timestamp(how="end").normalize(), name="month_end")
    if not index.is_unique or not index.is_monotonic_increasing:
        unit = "days" if daily else "months"
        raise ValueError(f"{file_name}: {unit} in block {block.title!r} are duplicated or out of order")
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
    return _require_columns(read_french_csv(path), ["Mkt-RF", "SMB", "HML", "RMW", "CMA", "RF"], Path(path).name)


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
    found = [(find_file(directory, name), prefix) for name, prefix in STANDARD_FILES.items()]
    found = [(path, prefix) for path, prefix in found if path is not None]
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


def load_kenfrench_daily(directory: str | Path | None) -> pd.DataFrame | None:
    """Wide daily French series (trade_date x column, decimals) from every file of ``DAILY_STANDARD_FILES``
    in ``directory`` (columns prefixed as the monthly ones; the prior-return deciles' value-weighted block);
    None without a folder or without any daily file."""
    if directory is None:
        return None
    directory = Path(directory)
    parts = []
    for name, prefix in DAILY_STANDARD_FILES.items():
        path = find_file(directory, name)
        if path is None:
            continue
        block = "Average Value Weighted Returns -- Daily" if prefix == "prior_12_2_" else None
        frame = read_french_daily_csv(path, block=block)
        parts.append(frame.add_prefix(prefix))
    if not parts:
        return None
    wide = pd.concat(parts, axis=1).sort_index()
    if wide.columns.has_duplicates:
        raise ValueError(
            f"{directory}: two daily files define the same column {list(wide.columns[wide.columns.duplicated()])}"
        )
    return wide


def kenfrench_inventory(directory: str | Path | None) -> pd.DataFrame:
    """The French files a study can use and whether ``directory`` holds them: file, frequency, present,
    first and last date, columns (what the pages list as the data read)."""
    rows = []
    for files, frequency in ((STANDARD_FILES, "monthly"), (DAILY_STANDARD_FILES, "daily")):
        for name in files:
            path = find_file(Path(directory), name) if directory is not None else None
            row = {
                "file": name,
                "frequency": frequency,
                "present": path is not None,
                "first": "",
                "last": "",
                "columns": "",
            }
            if path is not None:
                reader = read_french_daily_csv if frequency == "daily" else read_french_csv
                block = (
                    f"Average Value Weighted Returns -- {frequency.capitalize()}" if name.startswith("10_") else None
                )
                frame = reader(path, block=block)
                row |= {
                    "first": f"{frame.index.min():%Y-%m-%d}",
                    "last": f"{frame.index.max():%Y-%m-%d}",
                    "columns": ", ".join(map(str, frame.columns)),
                }
            rows.append(row)
    return pd.DataFrame(rows)


# ---- daily files (the Daniel-Moskowitz daily method: assets/crashes/kenfrench_inputs.py) -------------------


def find_file(directory: Path, name: str) -> Path | None:
    """``name`` in ``directory``, case-insensitively (French's archives hold ``.CSV`` or ``.csv``)."""
    exact = directory / name
    if exact.is_file():
        return exact
    return next((p for p in sorted(directory.iterdir()) if p.is_file() and p.name.lower() == name.lower()), None)


def compound_monthly(daily: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
    """Monthly buy-and-hold returns prod(1 + r_d) - 1 of daily returns, indexed by the calendar month end
    (``month_end``); a month with no return is NaN."""
    gross = (1.0 + daily).groupby(daily.index.to_period("M")).prod(min_count=1) - 1.0
    gross.index = pd.DatetimeIndex(gross.index.to_timestamp(how="end").normalize(), name="month_end")
    return gross


def read_daily_market(path: str | Path) -> pd.DataFrame:
    """``F-F_Research_Data_Factors_daily.CSV``: trade_date x (market_excess = Mkt-RF, rf = RF,
    market_total = Mkt-RF + RF), decimals, days with a missing value dropped."""
    frame = _require_columns(read_french_daily_csv(path), ["Mkt-RF", "RF"], Path(path).name)
    out = pd.DataFrame({"market_excess": frame["Mkt-RF"], "rf": frame["RF"]}).dropna()
    return out.assign(market_total=out["market_excess"] + out["rf"])


def read_daily_decile_legs(path: str | Path) -> pd.DataFrame:
    """``10_Portfolios_Prior_12_2_Daily.CSV``, value-weighted block: trade_date x (winners = Hi PRIOR,
    losers = Lo PRIOR), decimals, days with a missing leg dropped."""
    frame = read_french_daily_csv(path, block="Average Value Weighted Returns -- Daily")
    frame = _require_columns(frame, [WINNERS, LOSERS], Path(path).name)
    return pd.DataFrame({"winners": frame[WINNERS], "losers": frame[LOSERS]}).dropna()


def read_daily_momentum(path: str | Path) -> pd.Series:
    """``F-F_Momentum_Factor_daily.CSV``: daily Mom (UMD), decimals, missing days dropped."""
    return _require_columns(read_french_daily_csv(path), ["Mom"], Path(path).name)["Mom"].dropna()
