"""The raw-data contract: the single source of truth of the ``raw.*`` tables.

Every provider (synthetic, files, kenfrench, ...) yields frames in these shapes; everything downstream
reads only these tables. ``validate`` turns an untrusted frame (a CSV or Parquet file as read by pandas)
into one with the exact contract dtypes, or raises :class:`ContractError` naming the file, the line and
the column of each problem.

Decisions (documented here because users meet them as errors):

- Line numbers are those a user sees in a text editor: the header is line 1, the first data row line 2
  (for Parquet, which has no header, rows are numbered from 1). Blank lines keep their numbers and are
  skipped. Quoted fields spanning several lines would shift the numbers; the contract has no such fields.
- Every file must be sorted by the table's date column (non-decreasing); the first line that goes back in
  time is named. Together with the unique key this makes each stock's trade dates strictly increasing.
- Columns in ``TableSpec.required`` must be present and non-null in every row. The other contract columns
  may be absent (they are filled with NULL) or blank. Columns the contract does not know are ignored with
  a ``UserWarning`` naming them (a typo in an optional column name is then visible).
- Dates must be calendar dates (``YYYY-MM-DD`` or ``YYYYMMDD``); a time of day is rejected rather than
  silently truncated. Booleans accept true/false, t/f, yes/no, y/n, 1/0 (any case).
- Tables carry no PRIMARY KEY in DuckDB (delete+insert of a window in one transaction is simpler without
  it); uniqueness of ``TableSpec.key`` is enforced here and by asset checks.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from momentum_dag.storage.stamp import declare_columns

DATE, VARCHAR, DOUBLE, BOOLEAN = "DATE", "VARCHAR", "DOUBLE", "BOOLEAN"
# pandas dtype each DuckDB type is returned as; datetime64[us] is what pandas 3 and DuckDB both produce.
PANDAS_DTYPES = {DATE: "datetime64[us]", VARCHAR: "str", DOUBLE: "float64", BOOLEAN: "bool"}
PRICE_COLUMNS = ("open", "high", "low", "close", "pre_close")

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})


@dataclass(frozen=True)
class TableSpec:
    """One raw table: name, the date column that partitions it in time, key, typed columns.

    ``columns`` maps column name -> DuckDB type in table order; ``required`` columns must be present and
    non-null; ``key`` is unique (checked by :func:`validate`, not by a DuckDB constraint).
    """

    name: str
    date_column: str
    key: tuple[str, ...]
    columns: dict[str, str]
    required: tuple[str, ...]
    description: str

    def __post_init__(self) -> None:
        unknown = {self.date_column, *self.key, *self.required} - set(self.columns)
        if unknown:
            raise ValueError(f"TableSpec {self.name}: {sorted(unknown)} are not among its columns")
        if not set(self.key) <= set(self.required) or self.date_column not in self.required:
            raise ValueError(f"TableSpec {self.name}: key and date column must be required columns")
        bad_types = {c: t for c, t in self.columns.items() if t not in PANDAS_DTYPES}
        if bad_types:
            raise ValueError(f"TableSpec {self.name}: unsupported types {bad_types}")


RAW_TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            name="daily_bars",
            date_column="trade_date",
            key=("trade_date", "stock_id"),
            columns={
                "trade_date": DATE,
                "stock_id": VARCHAR,
                "open": DOUBLE,
                "high": DOUBLE,
                "low": DOUBLE,
                "close": DOUBLE,
                "pre_close": DOUBLE,
                "volume": DOUBLE,
                "amount": DOUBLE,
                "turnover": DOUBLE,
                "float_mcap": DOUBLE,
                "total_mcap": DOUBLE,
                "is_st": BOOLEAN,
                "is_suspended": BOOLEAN,
            },
            required=(
                "trade_date",
                "stock_id",
                "open",
                "high",
                "low",
                "close",
                "pre_close",
                "volume",
                "amount",
                "turnover",
                "float_mcap",
                "total_mcap",
                "is_st",
                "is_suspended",
            ),
            description=(
                "Daily stock bars on one adjustment basis (ret = close / pre_close - 1); turnover is a "
                "fraction of float shares; a suspended day has a row with is_suspended and volume 0."
            ),
        ),
        TableSpec(
            name="market_daily",
            date_column="trade_date",
            key=("trade_date",),
            columns={"trade_date": DATE, "market_ret": DOUBLE, "rf": DOUBLE},
            required=("trade_date", "market_ret", "rf"),
            description="Daily cap-weighted market index return and daily risk-free rate, in decimals.",
        ),
        TableSpec(
            name="fundamentals",
            date_column="announce_date",
            key=("stock_id", "announce_date"),
            columns={
                "stock_id": VARCHAR,
                "announce_date": DATE,
                "period_end": DATE,
                "book_equity": DOUBLE,
                "net_income_ttm": DOUBLE,
                "revenue_ttm": DOUBLE,
                "total_assets": DOUBLE,
                "total_liabilities": DOUBLE,
            },
            required=("stock_id", "announce_date", "period_end"),
            description=(
                "Point-in-time fundamentals of the fiscal period ending period_end, usable from "
                "announce_date; accounting items may be NULL."
            ),
        ),
        TableSpec(
            name="industry_membership",
            date_column="in_date",
            key=("stock_id", "in_date"),
            columns={
                "stock_id": VARCHAR,
                "in_date": DATE,
                "industry_code": VARCHAR,
                "industry_name": VARCHAR,
                "out_date": DATE,
            },
            required=("stock_id", "in_date", "industry_code", "industry_name"),
            description=(
                "Point-in-time industry membership over [in_date, out_date); out_date NULL = current. "
                "A stock's memberships do not overlap."
            ),
        ),
        TableSpec(
            name="factor_returns_monthly",
            date_column="month_end",
            key=("month_end", "factor"),
            columns={"month_end": DATE, "factor": VARCHAR, "ret": DOUBLE},
            required=("month_end", "factor", "ret"),
            description="Optional external monthly factor returns in decimals (e.g. Ken French library).",
        ),
    )
}
# a warehouse whose raw tables have other columns stops every run, even under the right version stamp
declare_columns(
    {f"raw.{name}": spec.columns for name, spec in RAW_TABLES.items()},
    contract="this code's raw contract (momentum_dag/sources/contract.py)",
)


def ddl(spec: TableSpec, schema: str = "raw") -> str:
    """``CREATE TABLE IF NOT EXISTS`` for a raw table: contract types, NOT NULL on required columns.

    No PRIMARY KEY: windows are replaced by DELETE + INSERT in one transaction, and key uniqueness is
    enforced by :func:`validate` and asset checks.
    """
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"schema must be a lower-case SQL identifier, got {schema!r}")
    lines = [f"    {col} {typ}{' NOT NULL' if col in spec.required else ''}" for col, typ in spec.columns.items()]
    return f"CREATE TABLE IF NOT EXISTS {schema}.{spec.name} (\n" + ",\n".join(lines) + "\n)"


@dataclass(frozen=True)
class Problem:
    """One contract violation: where (file, line or row, column) and what."""

    source: str
    line: int | None
    column: str | None
    message: str
    count: int = 1
    unit: str = "line"

    def __str__(self) -> str:
        where = [self.source]
        if self.line is not None:
            where.append(f"{self.unit} {self.line}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        more = f" [{self.count} rows; first shown]" if self.count > 1 else ""
        return f"{', '.join(where)}: {self.message}{more}"


class ContractError(ValueError):
    """Raw data that breaks the contract. ``problems`` lists each violation with file, line and column."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems

    @classmethod
    def from_problems(cls, table: str, source: str, problems: list[Problem], header: bool) -> ContractError:
        convention = "line numbers count the header as line 1" if header else "rows are numbered from 1"
        head = f"{table}: {source} does not meet the raw-data contract ({convention}):"
        return cls("\n  - ".join([head, *map(str, problems)]), tuple(problems))


def validate(
    df: pd.DataFrame,
    spec: TableSpec,
    source: str,
    *,
    max_abs_ret: float = 0.5,
    max_abs_monthly_ret: float = 1.0,
    header: bool = True,
) -> pd.DataFrame:
    """Check ``df`` against ``spec`` and return it with exact contract dtypes, in file order.

    Args:
        df: the table as read (any dtypes; strings from CSV), one row per data line, in file order.
        spec: the contract table, e.g. ``RAW_TABLES["daily_bars"]``.
        source: shown in every message, normally the file path.
        max_abs_ret: bound on |daily return| (daily_bars close/pre_close - 1, market_daily market_ret
            and rf), "returns beyond sane bounds". Default 0.5: A-share daily limits are
            ±10-20%, but IPO days on unlimited boards can exceed it: raise it for such data.
        max_abs_monthly_ret: bound on |ret| in factor_returns_monthly. Default 1.0, which also catches
            most files left in percent.
        header: True for text files (line 1 is the header, data from line 2); False for Parquet (row 1).

    Returns:
        Columns of ``spec.columns`` in contract order (absent optional columns filled with NULL), dates as
        ``datetime64[us]``, ids as ``str``, numbers as ``float64``, required booleans as ``bool``;
        fully blank rows dropped; a fresh RangeIndex.

    Raises:
        ContractError: naming source, line and column for a missing required column, an unparseable
            value, a missing required value, a duplicate key (both lines), dates out of order, and the
            table's value checks (see ``_ROW_CHECKS``). All problems of a stage are reported together.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    unit = "line" if header else "row"
    df = df.set_axis([str(c).strip() for c in df.columns], axis=1)
    _check_columns(df, spec, source, header)
    df = df.loc[:, [c for c in spec.columns if c in df.columns]]
    lines = np.arange(len(df)) + (2 if header else 1)
    blank = _blank_mask(df).to_numpy()
    df, lines = df.loc[~blank].reset_index(drop=True), lines[~blank]

    def problem(mask: pd.Series | np.ndarray, column: str | None, describe: Callable[[int], str]) -> Problem:
        mask = np.asarray(mask, dtype=bool)
        first = int(np.argmax(mask))
        return Problem(source, int(lines[first]), column, describe(first), int(mask.sum()), unit)

    def fail_if(problems: list[Problem]) -> None:
        if problems:
            raise ContractError.from_problems(spec.name, source, problems, header)

    typed, problems = {}, []
    for col, typ in spec.columns.items():
        raw = df[col] if col in df.columns else pd.Series(pd.NA, index=df.index, dtype="object")
        typed[col], bad, expected = _PARSERS[typ](raw)
        if bad.any():
            problems.append(problem(bad, col, lambda i, r=raw, e=expected: f"cannot read {r.iloc[i]!r} as {e}"))
    fail_if(problems)
    out = pd.DataFrame(typed)

    for col in spec.required:
        missing = out[col].isna()
        if missing.any():
            problems.append(problem(missing, col, lambda i: "missing value (required column)"))
    fail_if(problems)
    for col, typ in spec.columns.items():
        if typ == BOOLEAN:
            out[col] = out[col].astype("bool" if col in spec.required else "boolean")

    problems += _key_and_order_problems(out, spec, lines, unit, problem)
    limits = {"max_abs_ret": max_abs_ret, "max_abs_monthly_ret": max_abs_monthly_ret}
    for mask, column, describe in _ROW_CHECKS.get(spec.name, _no_checks)(out, limits):
        if np.asarray(mask, dtype=bool).any():
            problems.append(problem(mask, column, describe))
    fail_if(problems)
    return out


def _check_columns(df: pd.DataFrame, spec: TableSpec, source: str, header: bool) -> None:
    extra = [c for c in df.columns if c not in spec.columns]
    if extra:
        warnings.warn(f"{source}: ignoring columns not in the {spec.name} contract: {extra}", stacklevel=3)
    missing = [c for c in spec.required if c not in df.columns]
    if missing:
        problems = [
            Problem(source, 1 if header else None, c, "required column is missing", unit="line") for c in missing
        ]
        err = ContractError.from_problems(spec.name, source, problems, header)
        raise ContractError(f"{err}\n  columns found: {list(df.columns)}", err.problems)
    duplicated = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if duplicated:
        raise ContractError(f"{spec.name}: {source}: columns appear more than once: {duplicated}")


def _blank_mask(df: pd.DataFrame) -> pd.Series:
    """Rows whose every field is empty: blank lines in a text file (pandas reads them as all-NaN)."""
    if df.columns.empty:
        return pd.Series(False, index=df.index)
    return df.isna().all(axis=1)


# --- parsers: raw Series -> (typed Series, mask of unreadable non-empty values, what was expected) ---


def _as_text(raw: pd.Series) -> pd.Series:
    """Stripped strings, empty -> NA; integers (e.g. Parquet int dates 20240102) become their digits."""
    text = raw.astype("str").str.strip().where(raw.notna())
    return text.where(text != "")


def _parse_date(raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    expected = "a date (YYYY-MM-DD or YYYYMMDD)"
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        raw = raw.dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        parsed = raw.astype("datetime64[us]")
        present = raw.notna()
    else:
        text = _as_text(raw)
        present = text.notna()
        # Few distinct dates: parse each once (a 25M-row bar file has ~5,000 dates).
        codes, uniques = pd.factorize(text)
        values = pd.to_datetime(pd.Series(uniques, dtype="str"), format="ISO8601", errors="coerce")
        # NaT appended last, so that the -1 code of a missing value picks it.
        values = np.append(values.to_numpy(dtype="datetime64[us]"), np.datetime64("NaT", "us"))
        parsed = pd.Series(values[codes], index=raw.index, dtype="datetime64[us]")
    # A time of day is rejected, not truncated: a 15:00 timestamp is not a date.
    bad = present & (parsed.isna() | (parsed != parsed.dt.normalize()))
    return parsed.where(~bad), bad, expected


def _parse_double(raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return pd.Series(np.nan, index=raw.index), raw.notna(), "a number"
    if pd.api.types.is_numeric_dtype(raw.dtype):
        parsed, present = raw.astype("float64"), raw.notna()
    else:
        parsed, present = _cast_float(raw), raw.notna()
        if parsed is None:  # something is not a plain number: the slow path finds which rows
            text = _as_text(raw)
            parsed, present = pd.to_numeric(text, errors="coerce").astype("float64"), text.notna()
    bad = present & ~np.isfinite(parsed)
    return parsed.where(~bad), bad, "a finite number"


def _cast_float(raw: pd.Series) -> pd.Series | None:
    """Arrow's string -> float64 cast (25x faster than ``pd.to_numeric``), or None if any value fails."""
    try:
        values = pc.cast(pa.array(raw, from_pandas=True), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    return pd.Series(values.to_numpy(zero_copy_only=False), index=raw.index, dtype="float64")


def _parse_bool(raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), pd.Series(False, index=raw.index), "a boolean"
    text = _as_text(raw).str.lower()
    parsed = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    parsed[text.isin(_TRUE)] = True
    parsed[text.isin(_FALSE)] = False
    bad = text.notna() & parsed.isna()
    return parsed, bad, "a boolean (true/false, 1/0, yes/no)"


def _parse_varchar(raw: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    return _as_text(raw).astype("str"), pd.Series(False, index=raw.index), "text"


_PARSERS = {DATE: _parse_date, DOUBLE: _parse_double, BOOLEAN: _parse_bool, VARCHAR: _parse_varchar}


# --- checks on typed rows ---

RowCheck = tuple[pd.Series, str, Callable[[int], str]]


def _fmt(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    return str(value)


def _key_and_order_problems(
    out: pd.DataFrame, spec: TableSpec, lines: np.ndarray, unit: str, problem: Callable[..., Problem]
) -> list[Problem]:
    problems = []
    key = list(spec.key)
    repeated = out.duplicated(key, keep="first").to_numpy()
    if repeated.any():
        group = out.groupby(key, sort=False).ngroup().to_numpy()
        first_line = pd.Series(lines).groupby(group).transform("first").to_numpy()

        def duplicate(i: int) -> str:
            shown = ", ".join(f"{c}={_fmt(out[c].iloc[i])}" for c in key)
            return f"duplicate key ({shown}): same as {unit} {first_line[i]}"

        problems.append(problem(repeated, ", ".join(key), duplicate))
    dates = out[spec.date_column]
    earlier = (dates < dates.cummax().shift()).to_numpy()
    if earlier.any():

        def out_of_order(i: int) -> str:
            return (
                f"{_fmt(dates.iloc[i])} is earlier than {_fmt(dates.iloc[i - 1])} on {unit} {lines[i - 1]}: "
                f"the file must be sorted by {spec.date_column}"
            )

        problems.append(problem(earlier, spec.date_column, out_of_order))
    return problems


def _no_checks(out: pd.DataFrame, limits: dict[str, float]) -> list[RowCheck]:
    return []


def _cells(df: pd.DataFrame, i: int, *columns: str) -> str:
    """``col=value`` pairs of row ``i``, for messages."""
    return ", ".join(f"{c}={_fmt(df[c].iloc[i])}" for c in columns)


def _daily_bars_checks(b: pd.DataFrame, limits: dict[str, float]) -> list[RowCheck]:
    bound = limits["max_abs_ret"]
    ret = b["close"] / b["pre_close"] - 1
    checks: list[RowCheck] = [
        (b[c] <= 0, c, lambda i, c=c: f"non-positive price {_cells(b, i, c)}") for c in PRICE_COLUMNS
    ]
    checks += [
        (b["high"] < b["low"], "high", lambda i: f"high < low ({_cells(b, i, *PRICE_COLUMNS[:4])})"),
        (
            b["high"] < b[["open", "close"]].max(axis=1),
            "high",
            lambda i: f"high < max(open, close) ({_cells(b, i, *PRICE_COLUMNS[:4])})",
        ),
        (
            b["low"] > b[["open", "close"]].min(axis=1),
            "low",
            lambda i: f"low > min(open, close) ({_cells(b, i, *PRICE_COLUMNS[:4])})",
        ),
        (
            ret.abs() > bound,
            "close",
            lambda i: (
                f"return close/pre_close - 1 = {ret.iloc[i]:.4g} ({_cells(b, i, 'close', 'pre_close')}) "
                f"is beyond max_abs_ret={bound:g}"
            ),
        ),
    ]
    checks += [(b[c] < 0, c, lambda i, c=c: f"negative {_cells(b, i, c)}") for c in ("volume", "amount", "turnover")]
    checks += [
        (b[c] <= 0, c, lambda i, c=c: f"non-positive market cap {_cells(b, i, c)}")
        for c in ("float_mcap", "total_mcap")
    ]
    # Relative tolerance: both caps are often computed as shares * close and may differ in the last bit.
    checks.append(
        (
            b["float_mcap"] > b["total_mcap"] * (1 + 1e-9),
            "float_mcap",
            lambda i: f"{_cells(b, i, 'float_mcap')} > {_cells(b, i, 'total_mcap')}",
        )
    )
    return checks


def _market_daily_checks(m: pd.DataFrame, limits: dict[str, float]) -> list[RowCheck]:
    bound = limits["max_abs_ret"]
    return [
        (m[c].abs() > bound, c, lambda i, c=c: f"{_cells(m, i, c)} is beyond max_abs_ret={bound:g}")
        for c in ("market_ret", "rf")
    ]


def _fundamentals_checks(f: pd.DataFrame, limits: dict[str, float]) -> list[RowCheck]:
    def describe(i: int) -> str:
        announced, period_end = _fmt(f["announce_date"].iloc[i]), _fmt(f["period_end"].iloc[i])
        return f"announce_date {announced} is before period_end {period_end}"

    return [(f["announce_date"] < f["period_end"], "announce_date", describe)]


def _industry_membership_checks(m: pd.DataFrame, limits: dict[str, float]) -> list[RowCheck]:
    # Overlap: a stock's next membership must start on or after the previous one's out_date.
    s = m.sort_values(["stock_id", "in_date"], kind="stable")
    prev_in, prev_out = s["in_date"].shift(), s["out_date"].shift()
    overlap = s["stock_id"].eq(s["stock_id"].shift()) & (prev_out.isna() | (prev_out > s["in_date"]))
    overlap, prev_in, prev_out = (x.reindex(m.index) for x in (overlap, prev_in, prev_out))

    def reversed_dates(i: int) -> str:
        return f"out_date {_fmt(m['out_date'].iloc[i])} is before in_date {_fmt(m['in_date'].iloc[i])}"

    def overlapping(i: int) -> str:
        previous_end = _fmt(prev_out.iloc[i]) if pd.notna(prev_out.iloc[i]) else "NULL"
        return (
            f"membership of {m['stock_id'].iloc[i]} from {_fmt(m['in_date'].iloc[i])} overlaps the one "
            f"from {_fmt(prev_in.iloc[i])} (out_date {previous_end})"
        )

    return [(m["out_date"] < m["in_date"], "out_date", reversed_dates), (overlap, "in_date", overlapping)]


def _factor_returns_checks(f: pd.DataFrame, limits: dict[str, float]) -> list[RowCheck]:
    bound = limits["max_abs_monthly_ret"]

    def describe(i: int) -> str:
        return f"{_cells(f, i, 'ret')} is beyond max_abs_monthly_ret={bound:g} (percent instead of decimals?)"

    return [(f["ret"].abs() > bound, "ret", describe)]


_ROW_CHECKS: dict[str, Callable[[pd.DataFrame, dict[str, float]], list[RowCheck]]] = {
    "daily_bars": _daily_bars_checks,
    "market_daily": _market_daily_checks,
    "fundamentals": _fundamentals_checks,
    "industry_membership": _industry_membership_checks,
    "factor_returns_monthly": _factor_returns_checks,
}
