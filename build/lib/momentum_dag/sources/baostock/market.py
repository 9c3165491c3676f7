"""``raw.market_daily`` from a baostock index and the risk-free rate.

- ``market_ret`` = the index's ``close / preclose - 1`` (``MOMENTUM_BAOSTOCK_INDEX``, default ``sh.000300``,
  CSI 300, cap-weighted; ``sh.000985`` CSI All Share or ``sz.399106`` SZSE Composite are broader if your
  baostock serves them). A trading day without an index bar is an error naming the setting.
- ``rf`` = the one-year time-deposit benchmark rate in force that day (``query_deposit_rate_data``,
  ``fixedDepositRate1Year`` in percent, effective from its ``pubDate``) / 100 / 252, the convention of the
  synthetic market; ``MOMENTUM_BAOSTOCK_RF_ANNUAL`` (a decimal, e.g. 0.015) replaces it by a constant. The
  one-year deposit rate is the risk-free rate of the CH-3 factors (Liu, Stambaugh and Yuan 2019).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

INDEX_FIELDS = ("date", "code", "open", "high", "low", "close", "preclose", "volume", "amount", "pctChg")
DEPOSIT_FIELDS = (
    "pubDate",
    "demandDepositRate",
    "fixedDepositRate3Month",
    "fixedDepositRate6Month",
    "fixedDepositRate1Year",
)
TRADE_DATE_FIELDS = ("calendar_date", "is_trading_day")
TRADING_DAYS_PER_YEAR = 252


class MarketDataError(ValueError):
    """The index or the rates do not cover the window."""


def trading_days(calendar: pd.DataFrame) -> pd.DatetimeIndex:
    days = calendar.loc[calendar["is_trading_day"].str.strip() == "1", "calendar_date"].str.strip()
    return pd.DatetimeIndex(pd.to_datetime(days).sort_values().unique(), name="trade_date")


def daily_rf(days: pd.DatetimeIndex, deposit: pd.DataFrame | None, constant: float | None) -> np.ndarray:
    """Daily rf on each day: the constant, or the one-year deposit rate in force / 100 / 252."""
    if constant is not None:
        return np.full(len(days), constant / TRADING_DAYS_PER_YEAR)
    assert deposit is not None
    rates = (
        pd.DataFrame(
            {
                "pub": pd.to_datetime(deposit["pubDate"].str.strip().replace("", None), errors="coerce"),
                "rate": pd.to_numeric(deposit["fixedDepositRate1Year"].str.strip().replace("", None), errors="coerce"),
            }
        )
        .dropna()
        .sort_values("pub")
    )
    if rates.empty:
        raise MarketDataError(
            "baostock returned no one-year deposit rate; set MOMENTUM_BAOSTOCK_RF_ANNUAL (e.g. 0.015)"
        )
    pos = np.searchsorted(
        rates["pub"].to_numpy(dtype="datetime64[ns]"), days.to_numpy(dtype="datetime64[ns]"), side="right"
    )
    if (pos == 0).any():
        first = days[pos == 0][0].date()
        raise MarketDataError(
            f"no deposit rate in force on {first} (baostock's first is {rates['pub'].iloc[0].date()}); "
            "set MOMENTUM_BAOSTOCK_RF_ANNUAL"
        )
    return rates["rate"].to_numpy()[pos - 1] / 100 / TRADING_DAYS_PER_YEAR


def market_rows(days: pd.DatetimeIndex, index_bars: pd.DataFrame, rf: np.ndarray, index_code: str) -> pd.DataFrame:
    bars = index_bars.assign(date=pd.to_datetime(index_bars["date"].str.strip()))
    bars = bars.drop_duplicates("date", keep="last").set_index("date").reindex(days)
    close = pd.to_numeric(bars["close"].str.strip().replace("", None), errors="coerce")
    pre = pd.to_numeric(bars["preclose"].str.strip().replace("", None), errors="coerce")
    ret = (close / pre.where(pre > 0) - 1).to_numpy(dtype="float64", na_value=np.nan)
    missing = np.isnan(ret)
    if missing.any():
        raise MarketDataError(
            f"index {index_code} has no usable bar on {int(missing.sum())} of {len(days)} trading days "
            f"(first {days[missing][0].date()}); choose another MOMENTUM_BAOSTOCK_INDEX"
        )
    return pd.DataFrame({"trade_date": days.astype("datetime64[us]"), "market_ret": ret, "rf": rf})
