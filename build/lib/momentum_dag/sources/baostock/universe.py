"""Which stocks a month holds (no survivorship) and baostock's industry snapshot.

The universe of a month is every A-share listed on at least one of its trading days, delisted ones
included: ``query_stock_basic()`` (one call, all securities ever listed, with ``ipoDate``, ``outDate``,
``type`` 1 = stock, 2 = index, 3 = other, 4 = convertible, 5 = ETF, and ``status`` 1 = listed, 0 = delisted)
filtered to ``type == "1"`` and to the codes of the Shanghai main board (``sh.60xxxx``), STAR
(``sh.688xxx``, ``sh.689xxx``), the Shenzhen main board incl. the former SME board (``sz.000``-``sz.003``)
and ChiNext (``sz.300``/``sz.301``). B-shares (``sh.900``, ``sz.200``), indices (``sh.000``, ``sz.399``),
funds and bonds fail one or both tests. A stock is listed on day d when ``ipoDate <= d`` and (``outDate`` is
empty or ``d < outDate``).
"""

from __future__ import annotations

import re

import pandas as pd

BASIC_FIELDS = ("code", "code_name", "ipoDate", "outDate", "type", "status")
INDUSTRY_FIELDS = ("updateDate", "code", "code_name", "industry", "industryClassification")
A_SHARE_CODE = re.compile(r"^(sh\.(60\d|688|689)\d{3}|sz\.(00[0-3]|30[01])\d{3})$")
_INDUSTRY = re.compile(r"^([A-Z]\d{0,2})\s*(.*)$")


def a_shares(basic: pd.DataFrame) -> pd.DataFrame:
    """The A-shares of a ``query_stock_basic`` answer: code, name, ipo (Timestamp) and out (NaT = listed).

    Rows without an ``ipoDate`` (never listed) are dropped.
    """
    keep = (basic["type"].str.strip() == "1") & basic["code"].str.strip().str.match(A_SHARE_CODE)
    stocks = basic.loc[keep]
    out = pd.DataFrame(
        {
            "code": stocks["code"].str.strip(),
            "name": stocks["code_name"],
            "ipo": pd.to_datetime(stocks["ipoDate"].str.strip().replace("", None), errors="coerce"),
            "out": pd.to_datetime(stocks["outDate"].str.strip().replace("", None), errors="coerce"),
        }
    )
    out = out.dropna(subset=["ipo"]).drop_duplicates("code", keep="last")
    return out.sort_values("code").reset_index(drop=True)


def listed_in(stocks: pd.DataFrame, first_day: pd.Timestamp, last_day: pd.Timestamp) -> pd.DataFrame:
    """Stocks listed on at least one day of [first_day, last_day] (a month's trading days)."""
    listed = (stocks["ipo"] <= last_day) & (stocks["out"].isna() | (stocks["out"] > first_day))
    return stocks.loc[listed]


def industry_rows(industry: pd.DataFrame, stocks: pd.DataFrame) -> pd.DataFrame:
    """``raw.industry_membership`` rows from baostock's industry snapshot: ONE spell per stock.

    The snapshot (``query_stock_industry()``, CSRC classification as of ``updateDate``) is not a history:
    each stock's current industry is applied from its listing day (``in_date = ipoDate``) to its delisting
    (``out_date = outDate``, NULL while listed). ``industry`` strings such as ``"J66货币金融服务"`` are split
    into ``industry_code`` ``J66`` and ``industry_name`` ``货币金融服务``; stocks with an empty industry, or
    absent from the snapshot (often delisted ones), get no membership.
    """
    snap = industry.assign(code=industry["code"].str.strip(), industry=industry["industry"].str.strip())
    snap = snap.loc[snap["industry"] != ""].drop_duplicates("code", keep="last")
    merged = stocks.merge(snap[["code", "industry"]], on="code", how="inner")
    parts = merged["industry"].str.extract(_INDUSTRY)
    code = parts[0].where(parts[0].notna(), merged["industry"])
    name = parts[1].where(parts[1].notna() & (parts[1] != ""), merged["industry"])
    rows = pd.DataFrame(
        {
            "stock_id": merged["code"].astype("str"),
            "in_date": merged["ipo"].astype("datetime64[us]"),
            "industry_code": code.astype("str"),
            "industry_name": name.astype("str"),
            "out_date": merged["out"].astype("datetime64[us]"),
        }
    )
    rows = rows.loc[rows["out_date"].isna() | (rows["out_date"] > rows["in_date"])]
    return rows.sort_values(["in_date", "stock_id"], kind="stable").reset_index(drop=True)


def snapshot_date(industry: pd.DataFrame) -> str:
    """The snapshot's ``updateDate`` (the latest one if they differ), or ``"unknown"``."""
    dates = industry["updateDate"].str.strip()
    dates = dates[dates != ""]
    return str(dates.max()) if len(dates) else "unknown"
