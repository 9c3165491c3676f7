"""Point-in-time fundamentals and share counts from baostock's quarterly reports.

Sources (one call per stock and report period; values are strings, fractions not percent):

- ``query_profit_data``: ``pubDate`` (publication), ``statDate`` (period end), ``roeAvg`` (parent net
  profit / average parent equity, year to date), ``npMargin`` (net profit / revenue), ``netProfit`` (yuan,
  year to date), ``epsTTM`` (parent net profit TTM / latest total shares), ``MBRevenue`` (main business
  revenue, often empty), ``totalShare``, ``liqaShare`` (float A shares).
- ``query_balance_data``: ``liabilityToAsset`` (total liabilities / total assets) and ``assetToEquity``
  (total assets / shareholders' equity), of the period end.
- ``query_dividend_data(yearType="operate")``: ``dividOperateDate`` (ex-date), ``dividStocksPs`` (bonus
  shares per share) and ``dividReserveToStockPs`` (capitalisation shares per share).

Everything is keyed by publication: a report is usable from its ``pubDate`` (``announce_date``; when the
balance data carries a later ``pubDate``, the later one), never from its period end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PROFIT_FIELDS = (
    "code",
    "pubDate",
    "statDate",
    "roeAvg",
    "npMargin",
    "gpMargin",
    "netProfit",
    "epsTTM",
    "MBRevenue",
    "totalShare",
    "liqaShare",
)
BALANCE_FIELDS = (
    "code",
    "pubDate",
    "statDate",
    "currentRatio",
    "quickRatio",
    "cashRatio",
    "YOYLiability",
    "liabilityToAsset",
    "assetToEquity",
)
DIVIDEND_FIELDS = ("code", "dividOperateDate", "dividStocksPs", "dividReserveToStockPs")
MIN_ABS_ROE = 1e-3  # below this |roeAvg| the net profit / ROE ratio is too unstable to give book equity
FUNDAMENTAL_COLUMNS = ("book_equity", "net_income_ttm", "revenue_ttm", "total_assets", "total_liabilities")


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype("str").str.strip().replace("", None), errors="coerce").astype("float64")


def _day(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series.astype("str").str.strip().replace("", None), errors="coerce")


def reports(profit: pd.DataFrame, balance: pd.DataFrame) -> pd.DataFrame:
    """One row per report period with numbers parsed: period_end, pub, and the fields used below.

    ``pub`` is the later of the profit and balance ``pubDate`` of the period; rows without a usable
    ``pubDate``, or published before their period end, are dropped.
    """
    p = pd.DataFrame(
        {
            "period_end": _day(profit["statDate"]),
            "pub": _day(profit["pubDate"]),
            "roe_avg": _num(profit["roeAvg"]),
            "np_margin": _num(profit["npMargin"]),
            "net_profit": _num(profit["netProfit"]),
            "eps_ttm": _num(profit["epsTTM"]),
            "mb_revenue": _num(profit["MBRevenue"]),
            "total_share": _num(profit["totalShare"]),
            "float_share": _num(profit["liqaShare"]),
        }
    ).dropna(subset=["period_end"])
    b = pd.DataFrame(
        {
            "period_end": _day(balance["statDate"]),
            "pub_balance": _day(balance["pubDate"]),
            "liab_to_asset": _num(balance["liabilityToAsset"]),
            "asset_to_equity": _num(balance["assetToEquity"]),
        }
    ).dropna(subset=["period_end"])
    out = p.drop_duplicates("period_end", keep="last").merge(
        b.drop_duplicates("period_end", keep="last"), on="period_end", how="left"
    )
    out["pub"] = out[["pub", "pub_balance"]].max(axis=1)
    out = out.dropna(subset=["pub"])
    out = out.loc[out["pub"] >= out["period_end"]]
    return out.drop(columns="pub_balance").sort_values("period_end").reset_index(drop=True)


def revenue_ytd(r: pd.DataFrame) -> pd.Series:
    """Year-to-date revenue: ``netProfit / npMargin`` (npMargin = net profit / revenue), else ``MBRevenue``."""
    implied = r["net_profit"] / r["np_margin"].where(r["np_margin"] != 0)
    return implied.where(implied.notna(), r["mb_revenue"])


def fundamentals_rows(stock_id: str, r: pd.DataFrame) -> pd.DataFrame:
    """``raw.fundamentals`` rows of one stock from :func:`reports`, keyed by publication date.

    Derived fields (yuan):

    - ``net_income_ttm`` = ``epsTTM x totalShare`` (baostock's epsTTM is parent net profit over the last
      four quarters divided by the latest total shares).
    - ``revenue_ttm``: Q4 (annual report): year-to-date revenue; Q1-Q3: YTD + previous fiscal year - YTD
      of the same quarter a year earlier, each YTD from :func:`revenue_ytd`, using only reports published
      on or before this one's ``announce_date`` (NULL if any is missing).
    - ``book_equity`` = ``netProfit / roeAvg``: the AVERAGE equity of the year to date, (opening + closing)
      / 2, since roeAvg divides by it; it lags the period-end equity by half the period's change, and
      netProfit includes minority interests while roeAvg uses the parent's share (so it overstates parent
      equity by about the minority share). NULL when |roeAvg| < 0.001 or the result is not positive.
    - ``total_assets`` = book_equity x ``assetToEquity``; ``total_liabilities`` = total_assets x
      ``liabilityToAsset``: levels carry book_equity's approximation, but total_liabilities / total_assets
      is exactly baostock's ratio.

    When two periods are published on the same day (annual report and Q1 together), the later period
    wins: the key is (stock_id, announce_date) and both are public that day.
    """
    if r.empty:
        return _empty()
    r = r.reset_index(drop=True)
    ytd = revenue_ytd(r)
    keyed = pd.Series(
        ytd.to_numpy(), index=pd.MultiIndex.from_arrays([r["period_end"].dt.year, r["period_end"].dt.month])
    )
    pubs = pd.Series(r["pub"].to_numpy(), index=keyed.index)
    ttm = []
    for i, row in r.iterrows():
        year, month = row["period_end"].year, row["period_end"].month
        if month == 12:
            ttm.append(ytd.iloc[i])
            continue
        parts = [(year, month), (year - 1, 12), (year - 1, month)]
        known = [p in keyed.index and pubs[p] <= row["pub"] for p in parts]
        if all(known):
            ttm.append(keyed[parts[0]] + keyed[parts[1]] - keyed[parts[2]])
        else:
            ttm.append(np.nan)
    roe = r["roe_avg"].where(r["roe_avg"].abs() >= MIN_ABS_ROE)
    book = r["net_profit"] / roe
    book = book.where(book > 0)
    assets = book * r["asset_to_equity"]
    out = pd.DataFrame(
        {
            "stock_id": stock_id,
            "announce_date": r["pub"].astype("datetime64[us]"),
            "period_end": r["period_end"].astype("datetime64[us]"),
            "book_equity": book,
            "net_income_ttm": r["eps_ttm"] * r["total_share"],
            "revenue_ttm": np.asarray(ttm, dtype="float64"),
            "total_assets": assets,
            "total_liabilities": assets * r["liab_to_asset"],
        }
    )
    out = out.sort_values(["announce_date", "period_end"]).drop_duplicates("announce_date", keep="last")
    return out.reset_index(drop=True)


def _empty() -> pd.DataFrame:
    frame = {
        "stock_id": pd.Series(dtype="str"),
        "announce_date": pd.Series(dtype="datetime64[us]"),
        "period_end": pd.Series(dtype="datetime64[us]"),
    }
    frame.update({c: pd.Series(dtype="float64") for c in FUNDAMENTAL_COLUMNS})
    return pd.DataFrame(frame)


def split_events(dividends: pd.DataFrame) -> pd.DataFrame:
    """Ex-dates with a share count multiplier ``ratio = 1 + dividStocksPs + dividReserveToStockPs`` (> 1)."""
    ratio = 1 + _num(dividends["dividStocksPs"]).fillna(0) + _num(dividends["dividReserveToStockPs"]).fillna(0)
    events = pd.DataFrame({"ex_date": _day(dividends["dividOperateDate"]), "ratio": ratio})
    events = events.dropna(subset=["ex_date"]).loc[lambda e: e["ratio"] > 1]
    return events.groupby("ex_date", as_index=False)["ratio"].prod().sort_values("ex_date")


def shares_on(days: pd.DatetimeIndex, r: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """Total and float shares in force on each day: point in time, corrected for later bonus issues.

    The count of day d is the one of the latest report published on or before d (``pub <= d``),
    multiplied by the ``ratio`` of every ex-date e with pub < e <= d (a 10-for-10 bonus issue doubles
    the count from its ex-date, not from the next report). NaN before the first published report or
    when the report has no count. Float shares are capped at total shares.
    """
    frame = pd.DataFrame({"day": pd.DatetimeIndex(days).astype("datetime64[ns]")})
    if r.empty:
        return pd.DataFrame({"total": np.nan, "float": np.nan}, index=days)
    counts = r[["pub", "total_share", "float_share"]].copy()
    counts["pub"] = counts["pub"].astype("datetime64[ns]")
    counts = counts.sort_values("pub").drop_duplicates("pub", keep="last")
    merged = pd.merge_asof(frame, counts, left_on="day", right_on="pub", direction="backward")
    cum = _cumulative_ratio(splits)
    factor = _ratio_on(cum, merged["day"]) / _ratio_on(cum, merged["pub"])
    total = (merged["total_share"] * factor).to_numpy()
    flt = (merged["float_share"].where(merged["float_share"] > 0) * factor).to_numpy()
    total = np.where(total > 0, total, np.nan)
    flt = np.fmin(flt, total)
    return pd.DataFrame({"total": total, "float": flt}, index=days)


def _cumulative_ratio(splits: pd.DataFrame) -> pd.DataFrame:
    cum = splits.sort_values("ex_date").assign(cum=lambda s: s["ratio"].cumprod())
    return cum.assign(ex_date=cum["ex_date"].astype("datetime64[ns]"))[["ex_date", "cum"]]


def _ratio_on(cum: pd.DataFrame, days: pd.Series) -> np.ndarray:
    """Product of the split ratios with ex_date <= day (1 before the first); NaN for NaT days."""
    if cum.empty:
        return np.where(days.isna(), np.nan, 1.0)
    pos = np.searchsorted(cum["ex_date"].to_numpy(), days.to_numpy(), side="right")
    values = np.r_[1.0, cum["cum"].to_numpy()][pos]
    return np.where(days.isna(), np.nan, values)
