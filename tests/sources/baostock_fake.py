"""A fake baostock client answering in baostock's documented shapes, built from small in-code fixtures.

Every answer is a ``FakeResult`` like baostock's ``ResultData``: ``error_code`` (``"0"`` = success),
``error_msg``, ``fields`` and ``next()``/``get_row_data()``; every value is a string, ``""`` when missing.
``calls`` counts the calls per method; ``fail_after`` makes the fake raise ``Interrupted`` once that many
data calls have been made (an interrupted download); ``down`` makes every call answer with baostock's
network error code (the service cannot be reached).

The market (prices in yuan, shares in shares):

- calendar 2019-12 .. 2020-06: weekdays minus 2020-01-01 and 2020-01-24..31 (Spring Festival).
- ``sh.600001`` (main board): 10.00 on every day, with a CASH DIVIDEND ex-date 2020-03-10 (0.50 per
  share: close 10.00 on 03-09, ex-rights price 9.50, close 9.60 on 03-10) and a 10-FOR-10 BONUS ISSUE
  ex-date 2020-05-12 (close 9.60 on 05-11, ex-rights 4.80, close 5.04 on 05-12); suspended
  (tradestatus 0) on 2020-02-03..05 and ST from 2020-04-01. backAdjustFactor: 1.0 until 03-09,
  10 / 9.5 from 03-10, 10 / 9.5 * 2 from 05-12.
- ``sz.000002``: 20.00 every day; listed since 2001; DELISTED 2020-03-16 (last trading day 03-13).
- ``sz.300003`` (ChiNext): listed 2020-04-15 (offer price 8.00, first close 9.60: +20%, within the marts' checks).
- ``sh.900901`` (a B-share) and ``sh.000001`` (an index) appear in query_stock_basic and are excluded.
- Reports of sh.600001: 2019Q3 published 2019-10-25 (total 1.0e9, float 0.8e9), 2019Q4 published
  2020-03-20 (total 1.0e9, float 0.8e9), 2020Q1 published 2020-04-28 (total 1.0e9, float 0.9e9). The
  bonus issue (dividStocksPs 1.0) doubles the counts from 2020-05-12.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

SUCCESS = "0"
NETWORK_DOWN = "10002007"


class Interrupted(Exception):
    """Stands for Ctrl-C / kill -9 in the middle of a download."""


class FakeResult:
    def __init__(self, fields, rows, error_code=SUCCESS, error_msg="success"):
        self.error_code, self.error_msg = error_code, error_msg
        self.fields = list(fields)
        self.data = [[str(v) for v in row] for row in rows]
        self.cur_row_num = 0

    def next(self) -> bool:
        return self.cur_row_num < len(self.data)

    def get_row_data(self) -> list[str]:
        row = self.data[self.cur_row_num]
        self.cur_row_num += 1
        return row


K_FIELDS = "date,code,open,high,low,close,preclose,volume,amount,adjustflag,turn,tradestatus,pctChg,isST"
HOLIDAYS = {date(2020, 1, 1)} | {date(2020, 1, d) for d in range(24, 32)}


def trading_days(start: date, end: date) -> list[date]:
    days, d = [], start
    while d <= end:
        if d.weekday() < 5 and d not in HOLIDAYS:
            days.append(d)
        d += timedelta(days=1)
    return days


def _bar(day, code, o, h, lo, c, pre, vol, turn, status="1", st="0"):
    amount = "" if status == "0" else f"{vol * c:.4f}"
    return [
        day.isoformat(),
        code,
        f"{o:.4f}",
        f"{h:.4f}",
        f"{lo:.4f}",
        f"{c:.4f}",
        f"{pre:.4f}",
        "0" if status == "0" else str(vol),
        amount,
        "3",
        "" if status == "0" else f"{turn:.6f}",
        status,
        "",
        st,
    ]


def _bars_600001(day: date) -> list[str] | None:
    code = "sh.600001"
    st = "1" if day >= date(2020, 4, 1) else "0"
    if date(2020, 2, 3) <= day <= date(2020, 2, 5):
        return _bar(day, code, 10, 10, 10, 10, 10, 0, 0, status="0", st=st)
    if day == date(2020, 3, 10):
        return _bar(day, code, 9.5, 9.7, 9.4, 9.6, 9.5, 1_000_000, 0.125, st=st)
    if date(2020, 3, 11) <= day <= date(2020, 5, 11):
        return _bar(day, code, 9.6, 9.6, 9.6, 9.6, 9.6, 1_000_000, 0.111111, st=st)
    if day == date(2020, 5, 12):
        return _bar(day, code, 4.8, 5.04, 4.8, 5.04, 4.8, 2_000_000, 0.111111, st=st)
    if day > date(2020, 5, 12):
        return _bar(day, code, 5.04, 5.04, 5.04, 5.04, 5.04, 2_000_000, 0.111111, st=st)
    return _bar(day, code, 10, 10, 10, 10, 10, 1_000_000, 0.125, st=st)


def _bars_000002(day: date) -> list[str] | None:
    if day >= date(2020, 3, 16):
        return None
    return _bar(day, "sz.000002", 20, 20, 20, 20, 20, 500_000, 0.1)


def _bars_300003(day: date) -> list[str] | None:
    if day < date(2020, 4, 15):
        return None
    if day == date(2020, 4, 15):
        return _bar(day, "sz.300003", 9.0, 9.6, 9.0, 9.6, 8.0, 3_000_000, 60.0)
    return _bar(day, "sz.300003", 9.6, 9.6, 9.6, 9.6, 9.6, 300_000, 6.0)


def _bars_index(day: date) -> list[str] | None:
    i = trading_days(date(2019, 12, 1), day).__len__()
    pre, close = 1000 + i - 1, 1000 + i
    return [day.isoformat(), "sh.000300", str(close), str(close), str(close), str(close), str(pre), "1", "1", ""]


BARS = {"sh.600001": _bars_600001, "sz.000002": _bars_000002, "sz.300003": _bars_300003, "sh.000300": _bars_index}

BASIC = [  # code, code_name, ipoDate, outDate, type, status
    ("sh.600001", "Alpha", "1999-11-10", "", "1", "1"),
    ("sz.000002", "Beta", "2001-01-08", "2020-03-16", "1", "0"),
    ("sz.300003", "Gamma", "2020-04-15", "", "1", "1"),
    ("sh.900901", "Alpha B", "1992-02-21", "", "1", "1"),
    ("sh.000001", "SSE Composite", "1991-07-15", "", "2", "1"),
    ("sh.000300", "CSI 300", "2005-04-08", "", "2", "1"),
]
INDUSTRY = [  # updateDate, code, code_name, industry, industryClassification
    ("2024-06-30", "sh.600001", "Alpha", "J66货币金融服务", "证监会行业分类"),
    ("2024-06-30", "sz.300003", "Gamma", "C39计算机、通信和其他电子设备制造业", "证监会行业分类"),
    ("2024-06-30", "sh.900901", "Alpha B", "J66货币金融服务", "证监会行业分类"),
]
PROFIT = {  # (code, year, quarter) -> row after code
    ("sh.600001", 2019, 3): (
        "2019-10-25",
        "2019-09-30",
        "0.075000",
        "0.200000",
        "0.300000",
        "750000000.000000",
        "1.000000",
        "",
        "1000000000.00",
        "800000000.00",
    ),
    ("sh.600001", 2019, 4): (
        "2020-03-20",
        "2019-12-31",
        "0.100000",
        "0.250000",
        "0.300000",
        "1000000000.000000",
        "1.000000",
        "",
        "1000000000.00",
        "800000000.00",
    ),
    ("sh.600001", 2020, 1): (
        "2020-04-28",
        "2020-03-31",
        "0.020000",
        "0.250000",
        "0.300000",
        "210000000.000000",
        "0.960000",
        "",
        "1000000000.00",
        "900000000.00",
    ),
    ("sh.600001", 2018, 4): (
        "2019-03-28",
        "2018-12-31",
        "0.080000",
        "0.250000",
        "0.300000",
        "800000000.000000",
        "0.800000",
        "",
        "1000000000.00",
        "800000000.00",
    ),
    ("sh.600001", 2019, 1): (
        "2019-04-26",
        "2019-03-31",
        "0.020000",
        "0.250000",
        "0.300000",
        "200000000.000000",
        "0.850000",
        "",
        "1000000000.00",
        "800000000.00",
    ),
}
BALANCE = {  # (code, year, quarter) -> pubDate, statDate, currentRatio, quickRatio, cashRatio, YOYLiability,
    #                                   liabilityToAsset, assetToEquity
    ("sh.600001", 2019, 4): ("2020-03-20", "2019-12-31", "", "", "", "0.05", "0.600000", "2.500000"),
    ("sh.600001", 2020, 1): ("2020-04-28", "2020-03-31", "", "", "", "0.05", "0.500000", "2.000000"),
}
FACTORS = {
    "sh.600001": [
        ("sh.600001", "2020-03-10", "0.475000", f"{10 / 9.5:.6f}", f"{10 / 9.5:.6f}"),
        ("sh.600001", "2020-05-12", "1.000000", f"{20 / 9.5:.6f}", f"{20 / 9.5:.6f}"),
    ],
}
DIVIDENDS = {  # (code, ex-year) -> dividOperateDate, dividStocksPs, dividReserveToStockPs
    ("sh.600001", 2020): [("sh.600001", "2020-03-10", "0.000000", ""), ("sh.600001", "2020-05-12", "1.000000", "")],
}
DEPOSIT = [("2015-10-24", "0.35", "1.10", "1.30", "1.50")]


class FakeBaostock:
    """The fake client (see the module docstring)."""

    def __init__(self, fail_after: int | None = None, down: bool = False):
        self.calls: Counter[str] = Counter()
        self.fail_after = fail_after
        self.down = down
        self.log: list[tuple] = []

    def _answer(self, method, fields, rows, **kwargs) -> FakeResult:
        self.calls[method] += 1
        self.log.append((method, kwargs))
        if self.down:
            return FakeResult([], [], NETWORK_DOWN, "网络接收错误。")
        data_calls = sum(v for k, v in self.calls.items() if k not in ("login", "logout"))
        if self.fail_after is not None and data_calls > self.fail_after:
            raise Interrupted(f"interrupted during call {data_calls}")
        return FakeResult(fields.split(","), rows)

    def login(self):
        self.calls["login"] += 1
        if self.down:
            return FakeResult([], [], NETWORK_DOWN, "网络接收错误。")
        return FakeResult([], [], SUCCESS, "success")

    def logout(self):
        self.calls["logout"] += 1
        return FakeResult([], [])

    def query_trade_dates(self, start_date, end_date):
        days = set(trading_days(date.fromisoformat(start_date), date.fromisoformat(end_date)))
        rows, d = [], date.fromisoformat(start_date)
        while d <= date.fromisoformat(end_date):
            rows.append((d.isoformat(), "1" if d in days else "0"))
            d += timedelta(days=1)
        return self._answer(
            "query_trade_dates", "calendar_date,is_trading_day", rows, start_date=start_date, end_date=end_date
        )

    def query_stock_basic(self, code="", code_name=""):
        return self._answer("query_stock_basic", "code,code_name,ipoDate,outDate,type,status", BASIC)

    def query_stock_industry(self, code="", date=""):
        return self._answer(
            "query_stock_industry", "updateDate,code,code_name,industry,industryClassification", INDUSTRY
        )

    def query_deposit_rate_data(self, start_date="", end_date=""):
        fields = "pubDate,demandDepositRate,fixedDepositRate3Month,fixedDepositRate6Month,fixedDepositRate1Year"
        return self._answer("query_deposit_rate_data", fields, DEPOSIT)

    def query_history_k_data_plus(self, code, fields, start_date, end_date, frequency="d", adjustflag="3"):
        assert frequency == "d" and adjustflag == "3"
        make = BARS.get(code)
        rows = []
        if make is not None:
            for day in trading_days(date.fromisoformat(start_date), date.fromisoformat(end_date)):
                row = make(day)
                if row is not None:
                    rows.append(row)
        return self._answer(
            "query_history_k_data_plus", fields, rows, code=code, start_date=start_date, end_date=end_date
        )

    def query_adjust_factor(self, code, start_date, end_date):
        rows = [r for r in FACTORS.get(code, []) if start_date <= r[1] <= end_date]
        return self._answer(
            "query_adjust_factor",
            "code,dividOperateDate,foreAdjustFactor,backAdjustFactor,adjustFactor",
            rows,
            code=code,
        )

    def query_dividend_data(self, code, year, yearType="report"):  # noqa: N803
        assert yearType == "operate"
        rows = DIVIDENDS.get((code, int(year)), [])
        return self._answer(
            "query_dividend_data",
            "code,dividOperateDate,dividStocksPs,dividReserveToStockPs",
            rows,
            code=code,
            year=year,
        )

    def query_profit_data(self, code, year, quarter):
        row = PROFIT.get((code, int(year), int(quarter)))
        fields = "code,pubDate,statDate,roeAvg,npMargin,gpMargin,netProfit,epsTTM,MBRevenue,totalShare,liqaShare"
        return self._answer(
            "query_profit_data", fields, [(code, *row)] if row else [], code=code, year=year, quarter=quarter
        )

    def query_balance_data(self, code, year, quarter):
        row = BALANCE.get((code, int(year), int(quarter)))
        fields = "code,pubDate,statDate,currentRatio,quickRatio,cashRatio,YOYLiability,liabilityToAsset,assetToEquity"
        return self._answer(
            "query_balance_data", fields, [(code, *row)] if row else [], code=code, year=year, quarter=quarter
        )
