"""One stock's ``raw.daily_bars`` rows from baostock's unadjusted daily bars and adjustment factors.

Adjustment basis (the contract wants ret = close / pre_close - 1 to be the total return):

- ``open``, ``high``, ``low``, ``close``, ``volume``, ``amount`` are baostock's UNADJUSTED values
  (``adjustflag="3"``): the prices that traded that day, so price limits and market caps are right.
- ``pre_close`` is the previous close restated on the day's share basis with baostock's cumulative
  backward adjustment factors: ``pre_close(d) = close(p) x B(p) / B(d)``, p the stock's previous trading
  day and ``B(d)`` the ``backAdjustFactor`` of the latest ex-date on or before d (1 before the first).
  baostock's factors follow the "percentage change" method, B(e) / B(e-1) = close(e-1) / ex-rights
  reference price, so on an ex-date pre_close is the exchange's ex-rights price and close / pre_close - 1
  is the total return with the cash dividend reinvested at that price; a 10-for-10 bonus issue halves
  pre_close. Backward factors never change once published (forward factors are restated at every new
  event), so cached months stay valid.
- Suspended days (``tradestatus == "0"``) and trading days of a listed stock that baostock has no bar for
  get a row with ``is_suspended``, volume 0 and open = high = low = close = pre_close = the previous
  close on the day's basis (return 0). Days before the stock's first known close are left out (gaps).
- The stock's first row ever (usually its listing day) takes baostock's ``preclose`` (the offer price on
  a listing day), or the open if that is empty.

Shares: ``float_mcap = close x float shares``, ``total_mcap = close x total shares`` with the point-in-time
counts of :func:`fundamentals.shares_on`. Before the first report is published (new listings) the float
count is implied by the day's turnover, ``volume / (turn / 100)`` (baostock's turn is volume over float
shares, in percent), carried over non-trading days, and total shares are taken equal to it (a lower
bound); rows with neither are left out. ``turnover`` = ``turn / 100`` (a fraction), 0 when suspended.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

K_FIELDS = (
    "date",
    "code",
    "open",
    "high",
    "low",
    "close",
    "preclose",
    "volume",
    "amount",
    "adjustflag",
    "turn",
    "tradestatus",
    "pctChg",
    "isST",
)
FACTOR_FIELDS = ("code", "dividOperateDate", "foreAdjustFactor", "backAdjustFactor", "adjustFactor")
PRECLOSE_TOLERANCE = 0.005  # |computed pre_close / baostock preclose - 1| above this counts as a mismatch


@dataclass
class BarStats:
    """What building the rows met: counted over all stocks for the end-of-run summary."""

    rows: int = 0
    suspended: int = 0
    synthesized: int = 0  # listed trading days without a baostock bar (filled as suspended)
    gaps: int = 0  # listed trading days left out: no close known yet, or no share count
    implied_shares: int = 0  # rows whose caps use turnover-implied shares (no report published yet)
    preclose_mismatch: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, other: BarStats) -> None:
        for name in ("rows", "suspended", "synthesized", "gaps", "implied_shares", "preclose_mismatch"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.examples.extend(other.examples[: max(0, 5 - len(self.examples))])


def _num(series: pd.Series) -> np.ndarray:
    values = pd.to_numeric(series.astype("str").str.strip().replace("", None), errors="coerce")
    return values.to_numpy(dtype="float64", na_value=np.nan)


def back_factor(factors: pd.DataFrame, days: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """B(d): ``backAdjustFactor`` of the latest ``dividOperateDate`` on or before each day; 1 before any."""
    events = (
        pd.DataFrame(
            {
                "ex": pd.to_datetime(factors["dividOperateDate"].str.strip().replace("", None), errors="coerce"),
                "b": _num(factors["backAdjustFactor"]),
            }
        )
        .dropna()
        .sort_values("ex")
        .drop_duplicates("ex", keep="last")
    )
    events = events.loc[events["b"] > 0]
    day_values = pd.DatetimeIndex(days).to_numpy(dtype="datetime64[ns]")
    if events.empty:
        return np.ones(len(day_values))
    pos = np.searchsorted(events["ex"].to_numpy(dtype="datetime64[ns]"), day_values, side="right")
    return np.r_[1.0, events["b"].to_numpy()][pos]


def last_trade(raw: pd.DataFrame) -> tuple[float, pd.Timestamp] | None:
    """(close, date) of the last traded day (tradestatus 1, positive close) in ``raw``, or None."""
    if raw.empty:
        return None
    close = _num(raw["close"])
    traded = (raw["tradestatus"].str.strip().to_numpy() == "1") & (close > 0)
    if not traded.any():
        return None
    i = int(np.flatnonzero(traded)[-1])
    return float(close[i]), pd.Timestamp(raw["date"].iloc[i].strip())


def stock_rows(
    stock_id: str,
    days: pd.DatetimeIndex,
    raw: pd.DataFrame,
    factors: pd.DataFrame,
    shares: pd.DataFrame,
    previous: tuple[float, pd.Timestamp] | None,
) -> tuple[pd.DataFrame, BarStats]:
    """``raw.daily_bars`` rows of one stock on ``days`` (its listed trading days in the window).

    Args:
        raw: baostock's bars (``K_FIELDS``, strings) covering ``days``; other dates are ignored.
        factors: ``query_adjust_factor`` answer for the stock (``FACTOR_FIELDS``).
        shares: :func:`fundamentals.shares_on` for ``days`` (columns total, float; NaN = no report yet).
        previous: the last traded (close, date) before ``days[0]``, or None (then the first traded
            row's pre_close is baostock's preclose).
    """
    stats = BarStats()
    n = len(days)
    if n == 0:
        return _empty(), stats
    bars = raw.assign(date=pd.to_datetime(raw["date"].str.strip())).drop_duplicates("date", keep="last")
    bars = bars.set_index("date").reindex(days)
    have = bars["close"].notna().to_numpy()
    close_raw = _num(bars["close"].fillna(""))
    traded = have & (bars["tradestatus"].fillna("").str.strip().to_numpy() == "1") & (close_raw > 0)
    b = back_factor(factors, days)

    # Last traded close and its factor at or before each day (positions within the window).
    pos = np.where(traded, np.arange(n), -1)
    last_pos = np.maximum.accumulate(pos)
    prior_pos = np.r_[-1, last_pos[:-1]]  # strictly before the day
    prev_close = np.where(prior_pos >= 0, close_raw[np.maximum(prior_pos, 0)], np.nan)
    prev_b = np.where(prior_pos >= 0, b[np.maximum(prior_pos, 0)], np.nan)
    if previous is not None:
        before = np.isnan(prev_close)
        prev_close[before] = previous[0]
        prev_b[before] = back_factor(factors, pd.DatetimeIndex([previous[1]]))[0]
    carried = prev_close * prev_b / b  # the previous close on each day's basis

    source_pre = _num(bars["preclose"].fillna(""))
    opens, highs, lows = (_num(bars[c].fillna("")) for c in ("open", "high", "low"))
    first_ever = traded & np.isnan(carried)
    fallback = np.where(source_pre > 0, source_pre, opens)
    pre_close = np.where(first_ever, fallback, carried)
    close = np.where(traded, close_raw, carried)
    suspended = ~traded
    keep = ~np.isnan(close) & (pre_close > 0)

    opens = np.where(traded & (opens > 0), opens, close)
    highs = np.where(traded & (highs > 0), np.fmax(highs, np.fmax(opens, close)), close)
    lows = np.where(traded & (lows > 0), np.fmin(lows, np.fmin(opens, close)), close)
    highs, lows = np.fmax(highs, np.fmax(opens, close)), np.fmin(lows, np.fmin(opens, close))
    pre_close = np.where(traded, pre_close, close)

    volume = np.where(traded, np.nan_to_num(_num(bars["volume"].fillna(""))), 0.0)
    amount = np.where(traded, np.nan_to_num(_num(bars["amount"].fillna(""))), 0.0)
    turn = _num(bars["turn"].fillna(""))
    turnover = np.where(traded, np.nan_to_num(turn) / 100, 0.0)
    st_text = bars["isST"].fillna("").str.strip()
    is_st = pd.Series(np.where(st_text == "", None, st_text == "1"), dtype="object").ffill().fillna(False)

    implied = np.where(traded & (turn > 0) & (volume > 0), volume / (turn / 100), np.nan)
    implied = pd.Series(implied).ffill().to_numpy()
    total_rep, float_rep = shares["total"].to_numpy(), shares["float"].to_numpy()
    float_sh = np.where(np.isnan(float_rep), implied, float_rep)
    total_sh = np.where(np.isnan(total_rep), float_sh, total_rep)
    float_sh = np.fmin(float_sh, total_sh)
    uses_implied = np.isnan(total_rep) & ~np.isnan(total_sh)
    keep &= ~np.isnan(float_sh) & (float_sh > 0)

    mismatch = traded & ~first_ever & (source_pre > 0) & (np.abs(pre_close / source_pre - 1) > PRECLOSE_TOLERANCE)
    stats.rows = int(keep.sum())
    stats.suspended = int((keep & suspended).sum())
    stats.synthesized = int((keep & ~have).sum())
    stats.gaps = int((~keep).sum())
    stats.implied_shares = int((keep & uses_implied).sum())
    stats.preclose_mismatch = int((keep & mismatch).sum())
    if stats.preclose_mismatch:
        i = int(np.flatnonzero(keep & mismatch)[0])
        stats.examples.append(
            f"{stock_id} {days[i].date()}: pre_close {pre_close[i]:.4f} from factors vs baostock preclose "
            f"{source_pre[i]:.4f}"
        )
    out = pd.DataFrame(
        {
            "trade_date": days.astype("datetime64[us]"),
            "stock_id": stock_id,
            "open": opens,
            "high": highs,
            "low": lows,
            "close": close,
            "pre_close": pre_close,
            "volume": volume,
            "amount": amount,
            "turnover": turnover,
            "float_mcap": close * float_sh,
            "total_mcap": close * total_sh,
            "is_st": is_st.to_numpy(dtype=bool),
            "is_suspended": suspended,
        }
    )
    return out.loc[keep].reset_index(drop=True), stats


def _empty() -> pd.DataFrame:
    columns = {"trade_date": "datetime64[us]", "stock_id": "str"}
    columns.update(
        {
            c: "float64"
            for c in (
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
            )
        }
    )
    columns.update({"is_st": "bool", "is_suspended": "bool"})
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
