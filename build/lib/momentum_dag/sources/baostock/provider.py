"""``MOMENTUM_DATA_SOURCE=baostock``: real A-shares from baostock, cached, resumable, point in time.

``BaostockProvider(api, cache_dir, history_start=...).generate(start, end)`` first downloads what the
cache lacks for the window (progress bar with counts and ETA), then builds the raw contract tables from
the cache alone, validates them with :func:`contract.validate` and yields one chunk per calendar year.
A failure while downloading (service down, an interruption) raises before anything is yielded, so the
warehouse is never written; the files already downloaded stay in the cache and the next run fetches only
what is missing. The real client and a test fake follow the same code path.

What is fetched for a window [start, end) (``cache.py`` has the layout):

- the trading calendar, ``query_stock_basic`` (the universe, see ``universe.py``), the industry snapshot
  and the deposit rates: once, as snapshots good for windows ending on or before their fetch day;
- the index's daily bars per month (``market.py``);
- for every stock listed in a month of the window or the month before it: its unadjusted daily bars
  (one call per run of missing months, at most 72 months so one answer fits baostock's 2,000-row page),
  its adjustment factors (a snapshot), its profit and balance data per report period ending in the 15
  months before the window or in it, and its dividend data for the ex-date years with a factor event
  (bonus shares correct the share counts), see ``fundamentals.py`` and ``bars.py``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from momentum_dag.sources.baostock import bars as bars_mod
from momentum_dag.sources.baostock import fundamentals as fund
from momentum_dag.sources.baostock import market, universe
from momentum_dag.sources.baostock.cache import Cache, read, write
from momentum_dag.sources.baostock.client import BaostockAPI, BaostockModule, Session
from momentum_dag.sources.contract import RAW_TABLES, validate

MAX_MONTHS_PER_CALL = 72
FUNDAMENTALS_LOOKBACK_MONTHS = 15
PREVIOUS_CLOSE_LOOKBACK_MONTHS = 24
EMPTY_REPORT_GRACE_DAYS = 31
# A-share listing days on the registration-based boards have no price limit (first-day gains of several
# hundred percent happen): validate only catches unit errors, not large genuine moves.
MAX_ABS_DAILY_RET = 20.0


@dataclass
class Summary:
    """The end-of-run summary: what was downloaded and what the tables hold."""

    stocks: int = 0
    trading_days: int = 0
    fundamentals: int = 0
    memberships: int = 0
    no_industry: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    bars: bars_mod.BarStats = field(default_factory=bars_mod.BarStats)
    seconds: float = 0.0

    def text(self) -> str:
        b = self.bars
        calls = sum(self.calls.values())
        lines = [
            f"[baostock] {self.stocks} stocks, {self.trading_days} trading days, {b.rows} bar rows "
            f"({b.suspended} suspended, of which {b.synthesized} had no baostock bar), {self.fundamentals} "
            f"fundamentals rows, {self.memberships} industry memberships ({self.no_industry} stocks without one)",
            f"[baostock] gaps: {b.gaps} listed trading days left out (no close or share count yet); "
            f"{b.implied_shares} rows with turnover-implied shares (no report published yet); "
            f"{b.preclose_mismatch} pre_close values differ from baostock's preclose by > "
            f"{bars_mod.PRECLOSE_TOLERANCE:.1%}",
            f"[baostock] {calls} calls to baostock in {self.seconds:.0f} s"
            + (
                f" ({', '.join(f'{k} {v}' for k, v in sorted(self.calls.items()))})"
                if calls
                else " (all from the cache)"
            ),
        ]
        lines += [f"[baostock]   e.g. {e}" for e in b.examples[:3]]
        return "\n".join(lines)


def industry_caveat(cache_dir: Path | str) -> str:
    """The caveat reports show: the industry table is a snapshot, with its date when it is cached."""
    path = Cache(cache_dir).latest_snapshot("stock_industry", date.min)
    when = universe.snapshot_date(read(path)) if path else "the download day"
    return (
        f"industries are baostock's CSRC classification as of {when}, applied to all history "
        "(a snapshot, not point in time)"
    )


class BaostockProvider:
    """Raw contract tables for A-shares from baostock (see the module docstring).

    Args:
        api: the client; None = the real ``baostock`` package (:class:`BaostockModule`).
        cache_dir: the cache folder (``MOMENTUM_BAOSTOCK_CACHE_DIR``).
        history_start: the first partition's day; a window starting there also yields the memberships
            and fundamentals announced before it (the first partition owns them).
        index_code: the market index (``MOMENTUM_BAOSTOCK_INDEX``).
        rf_annual: a constant annual risk-free rate, or None for baostock's one-year deposit rate.
        retries: network retries per call (``MOMENTUM_BAOSTOCK_RETRIES``).
        today: the fetch day (tests fix it); months, periods and years are cached once over by then.
        sleep: the backoff sleep (tests pass a no-op).
        progress: show the tqdm progress bar (on stderr).
    """

    def __init__(
        self,
        api: BaostockAPI | None,
        cache_dir: Path | str,
        *,
        history_start: date,
        index_code: str = "sh.000300",
        rf_annual: float | None = None,
        retries: int = 5,
        today: date | None = None,
        sleep: Callable[[float], None] = time.sleep,
        progress: bool = True,
    ) -> None:
        self.api = api
        self.cache = Cache(cache_dir)
        self.history_start = pd.Timestamp(history_start)
        self.index_code = index_code
        self.rf_annual = rf_annual
        self.retries = retries
        self.today = today
        self.sleep = sleep
        self.progress = progress
        self.summary: Summary | None = None
        self._current_dividends: dict[tuple[str, int], pd.DataFrame] = {}

    # --- public -------------------------------------------------------------------------------

    def generate(
        self, start: date | str | pd.Timestamp, end: date | str | pd.Timestamp
    ) -> Iterator[dict[str, pd.DataFrame]]:
        """Download what is missing, then yield the raw tables of [start, end), one chunk per year."""
        lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
        today = self.today or date.today()
        if hi <= lo:
            raise ValueError(f"generate: end {hi.date()} must be after start {lo.date()}")
        if hi.date() > today:
            raise ValueError(f"generate: end {hi.date()} is after today ({today}): months must be complete")
        began = time.perf_counter()
        context = self._fetch(lo, hi, today)
        yield from self._build(context, lo, hi, began)

    # --- download -------------------------------------------------------------------------------

    def _fetch(self, lo: pd.Timestamp, hi: pd.Timestamp, today: date) -> dict:
        months = pd.period_range(lo, hi - pd.Timedelta(days=1), freq="M")
        look = months[0] - 1
        fund_from = (months[0] - FUNDAMENTALS_LOOKBACK_MONTHS).start_time
        session = Session(
            self.api if self.api is not None else BaostockModule(), retries=self.retries, sleep=self.sleep
        )
        with session:
            calendar = self._calendar(session, pd.period_range(look, months[-1], freq="M"), today)
            days = market.trading_days(calendar)
            good_from = hi.date()
            stocks = universe.a_shares(
                self._snapshot(session, "stock_basic", good_from, today, "query_stock_basic", universe.BASIC_FIELDS)
            )
            industry = self._snapshot(
                session, "stock_industry", good_from, today, "query_stock_industry", universe.INDUSTRY_FIELDS
            )
            deposit = None
            if self.rf_annual is None:
                deposit = self._snapshot(
                    session,
                    "deposit_rate",
                    good_from,
                    today,
                    "query_deposit_rate_data",
                    market.DEPOSIT_FIELDS,
                    start_date="1990-01-01",
                    end_date=hi.date().isoformat(),
                )
            self._months_of(session, "index", self.index_code, months, today)
            members = self._members(stocks, days, pd.period_range(look, months[-1], freq="M"))
            quarters = [p for p in pd.period_range(fund_from, hi - pd.Timedelta(days=1), freq="Q")]
            plan = self._plan(members, months, look, quarters, hi, today)
            with tqdm(
                total=sum(len(p) for p in plan.values()),
                desc="baostock download",
                unit="call",
                disable=not self.progress,
                file=sys.stderr,
                mininterval=1.0,
            ) as bar:
                for code, tasks in plan.items():
                    for task in tasks:
                        task(session)
                        bar.update(1)
                    extra = self._dividend_tasks(code, fund_from.year, hi, today, members[code])
                    bar.total += len(extra)
                    for task in extra:
                        task(session)
                        bar.update(1)
            calls = dict(session.calls)
        return {
            "days": days,
            "stocks": stocks,
            "industry": industry,
            "deposit": deposit,
            "members": members,
            "calls": calls,
        }

    def _calendar(self, session: Session, months: pd.PeriodIndex, today: date) -> pd.DataFrame:
        missing = [m for m in months if not self.cache.calendar(m).exists()]
        if missing:
            answer = session.query(
                "query_trade_dates",
                market.TRADE_DATE_FIELDS,
                start_date=missing[0].start_time.date().isoformat(),
                end_date=missing[-1].end_time.date().isoformat(),
            )
            dates = pd.to_datetime(answer["calendar_date"].str.strip(), errors="coerce")
            for m in missing:
                if m.end_time.date() < today:
                    write(self.cache.calendar(m), answer.loc[dates.dt.to_period("M") == m])
            extra = answer
        else:
            extra = None
        parts = [read(self.cache.calendar(m)) for m in months if self.cache.calendar(m).exists()]
        if extra is not None:
            parts.append(extra)
        calendar = pd.concat(parts, ignore_index=True).drop_duplicates("calendar_date")
        return calendar.reset_index(drop=True)

    def _snapshot(
        self, session: Session, name: str, good_from: date, today: date, method: str, fields: tuple[str, ...], **kwargs
    ) -> pd.DataFrame:
        path = self.cache.latest_snapshot(name, good_from)
        if path is not None:
            return read(path)
        frame = session.query(method, fields, **kwargs)
        self.cache.write_snapshot(name, today, frame)
        return frame

    def _months_of(self, session: Session, kind: str, code: str, months: pd.PeriodIndex, today: date) -> None:
        """Fetch the missing months of ``code`` (index or stock bars), one call per run of missing months."""
        path = self.cache.index if kind == "index" else self.cache.bars
        fields = market.INDEX_FIELDS if kind == "index" else bars_mod.K_FIELDS
        missing = [m for m in months if not path(code, m).exists()]
        for run in _runs(missing):
            answer = session.query(
                "query_history_k_data_plus",
                fields,
                code=code,
                fields=",".join(fields),
                start_date=run[0].start_time.date().isoformat(),
                end_date=run[-1].end_time.date().isoformat(),
                frequency="d",
                adjustflag="3",
            )
            month_of = pd.to_datetime(answer["date"].str.strip(), errors="coerce").dt.to_period("M")
            for m in run:
                if m.end_time.date() < today:
                    write(path(code, m), answer.loc[month_of == m])

    def _members(self, stocks: pd.DataFrame, days: pd.DatetimeIndex, months: pd.PeriodIndex) -> dict[str, list]:
        """code -> the months (of ``months``) in which the stock is listed on at least one trading day."""
        members: dict[str, list] = {}
        periods = days.to_period("M")
        for m in months:
            in_month = days[periods == m]
            if len(in_month) == 0:
                continue
            for code in universe.listed_in(stocks, in_month[0], in_month[-1])["code"]:
                members.setdefault(code, []).append(m)
        return members

    def _plan(
        self,
        members: dict[str, list],
        months: pd.PeriodIndex,
        look: pd.Period,
        quarters: list,
        hi: pd.Timestamp,
        today: date,
    ) -> dict[str, list[Callable[[Session], None]]]:
        plan: dict[str, list[Callable[[Session], None]]] = {}
        for code, listed_months in members.items():
            tasks: list[Callable[[Session], None]] = []
            missing = [m for m in listed_months if not self.cache.bars(code, m).exists()]
            for run in _runs(missing):
                tasks.append(lambda s, c=code, r=run: self._months_of(s, "stock", c, pd.PeriodIndex(r), today))
            if self.cache.latest_snapshot(f"factor_{code}", hi.date()) is None:
                tasks.append(
                    lambda s, c=code: self._snapshot(
                        s,
                        f"factor_{c}",
                        hi.date(),
                        today,
                        "query_adjust_factor",
                        bars_mod.FACTOR_FIELDS,
                        code=c,
                        start_date="1990-01-01",
                        end_date=hi.date().isoformat(),
                    )
                )
            first_listed = listed_months[0].start_time - pd.DateOffset(months=12)
            last_listed = listed_months[-1].end_time
            for q in quarters:
                if q.end_time < first_listed or q.start_time > last_listed:
                    continue
                for kind, method, fields in (
                    ("profit", "query_profit_data", fund.PROFIT_FIELDS),
                    ("balance", "query_balance_data", fund.BALANCE_FIELDS),
                ):
                    if not self.cache.report(kind, code, q.year, q.quarter).exists():
                        tasks.append(
                            lambda s, c=code, q=q, k=kind, m=method, f=fields: self._report(s, k, m, f, c, q, today)
                        )
            plan[code] = tasks
        return plan

    def _report(
        self, session: Session, kind: str, method: str, fields: tuple[str, ...], code: str, q: pd.Period, today: date
    ) -> None:
        answer = session.query(method, fields, code=code, year=q.year, quarter=q.quarter)
        if len(answer) or pd.Timestamp(today) > _filing_deadline(q) + pd.Timedelta(days=EMPTY_REPORT_GRACE_DAYS):
            write(self.cache.report(kind, code, q.year, q.quarter), answer)

    def _dividend_tasks(
        self, code: str, first_year: int, hi: pd.Timestamp, today: date, listed_months: list
    ) -> list[Callable[[Session], None]]:
        path = self.cache.latest_snapshot(f"factor_{code}", hi.date())
        if path is None:
            return []
        factors = read(path)
        ex = pd.to_datetime(factors["dividOperateDate"].str.strip().replace("", None), errors="coerce").dropna()
        years = sorted({d.year for d in ex if first_year <= d.year <= hi.year})
        tasks = []
        for year in years:
            if not self.cache.dividend(code, year).exists():

                def task(s: Session, y: int = year) -> None:
                    answer = s.query(
                        "query_dividend_data", fund.DIVIDEND_FIELDS, code=code, year=str(y), yearType="operate"
                    )
                    if today > date(y, 12, 31):
                        write(self.cache.dividend(code, y), answer)
                    else:
                        self._current_dividends[(code, y)] = answer

                tasks.append(task)
        return tasks

    # --- build (cache only) ---------------------------------------------------------------------

    def _build(self, ctx: dict, lo: pd.Timestamp, hi: pd.Timestamp, began: float) -> Iterator[dict[str, pd.DataFrame]]:
        first_window = lo <= self.history_start
        days_all = ctx["days"][(ctx["days"] >= lo) & (ctx["days"] < hi)]
        stocks = ctx["stocks"].set_index("code")
        members = ctx["members"]
        summary = Summary(calls=ctx["calls"], trading_days=len(days_all))
        static = {code: self._static(code) for code in members}
        memberships = universe.industry_rows(ctx["industry"], stocks.loc[sorted(members)].reset_index())
        summary.no_industry = len(members) - memberships["stock_id"].nunique()
        rf = market.daily_rf(days_all, ctx["deposit"], self.rf_annual)
        index_bars = self._concat(
            [self.cache.index(self.index_code, m) for m in pd.period_range(lo, hi - pd.Timedelta(days=1), freq="M")]
        )
        market_all = market.market_rows(days_all, index_bars, rf, self.index_code)
        previous = {code: self._previous_trade(code, lo) for code in members}
        with_rows: set[str] = set()
        years = range(lo.year, (hi - pd.Timedelta(days=1)).year + 1)
        for year in years:
            seg_lo, seg_hi = max(lo, pd.Timestamp(year, 1, 1)), min(hi, pd.Timestamp(year + 1, 1, 1))
            own_before = first_window and year == years[0]
            days = days_all[(days_all >= seg_lo) & (days_all < seg_hi)]
            seg_months = pd.period_range(seg_lo, seg_hi - pd.Timedelta(days=1), freq="M")
            bar_parts, fund_parts = [], []
            for code in sorted(members):
                info = stocks.loc[code]
                listed = days[(days >= info["ipo"]) & (pd.isna(info["out"]) | (days < info["out"]))]
                raw = self._concat(
                    [self.cache.bars(code, m) for m in seg_months if m in members[code]], bars_mod.K_FIELDS
                )
                reports, splits, factors, fundamentals = static[code]
                shares = fund.shares_on(listed, reports, splits)
                rows, stats = bars_mod.stock_rows(code, listed, raw, factors, shares, previous[code])
                summary.bars.add(stats)
                if len(rows):
                    with_rows.add(code)
                    bar_parts.append(rows)
                trade = (
                    bars_mod.last_trade(raw.loc[pd.to_datetime(raw["date"].str.strip()) < seg_hi]) if len(raw) else None
                )
                previous[code] = trade or previous[code]
                ann = fundamentals["announce_date"]
                fund_parts.append(fundamentals.loc[((ann >= seg_lo) | own_before) & (ann < seg_hi)])
            ind = memberships.loc[((memberships["in_date"] >= seg_lo) | own_before) & (memberships["in_date"] < seg_hi)]
            mkt = market_all.loc[(market_all["trade_date"] >= seg_lo) & (market_all["trade_date"] < seg_hi)]
            chunk = {
                "daily_bars": _sorted(bar_parts, ["trade_date", "stock_id"], bars_mod._empty()),
                "market_daily": mkt.reset_index(drop=True),
                "fundamentals": _sorted(fund_parts, ["announce_date", "stock_id"], fund._empty()),
                "industry_membership": ind.reset_index(drop=True),
            }
            summary.fundamentals += len(chunk["fundamentals"])
            summary.memberships += len(chunk["industry_membership"])
            if year == years[-1]:
                summary.stocks = len(with_rows)
                summary.seconds = time.perf_counter() - began
                self.summary = summary
                print(summary.text(), file=sys.stderr, flush=True)
            yield {
                name: validate(
                    frame, RAW_TABLES[name], f"baostock {name} {year}", header=False, max_abs_ret=MAX_ABS_DAILY_RET
                )
                for name, frame in chunk.items()
            }

    def _static(self, code: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """A stock's reports, bonus-share events, adjustment factors and fundamentals rows (from the cache)."""
        profit = self._concat(sorted((self.cache.root / "profit" / code).glob("*.parquet")), fund.PROFIT_FIELDS)
        balance = self._concat(sorted((self.cache.root / "balance" / code).glob("*.parquet")), fund.BALANCE_FIELDS)
        dividend_paths = sorted((self.cache.root / "dividend" / code).glob("*.parquet"))
        dividends = self._concat(dividend_paths, fund.DIVIDEND_FIELDS)
        current = [v for (c, _), v in self._current_dividends.items() if c == code]
        if current:
            dividends = pd.concat([dividends, *current], ignore_index=True)
        factor_path = self.cache.latest_snapshot(f"factor_{code}", date.min)
        factors = read(factor_path) if factor_path else _empty_text(bars_mod.FACTOR_FIELDS)
        reports = fund.reports(profit, balance)
        return reports, fund.split_events(dividends), factors, fund.fundamentals_rows(code, reports)

    def _previous_trade(self, code: str, lo: pd.Timestamp) -> tuple[float, pd.Timestamp] | None:
        month = lo.to_period("M") - 1
        for _ in range(PREVIOUS_CLOSE_LOOKBACK_MONTHS):
            path = self.cache.bars(code, month)
            if path.exists():
                found = bars_mod.last_trade(read(path))
                if found is not None:
                    return found
            month -= 1
        return None

    @staticmethod
    def _concat(paths: list[Path], fields: tuple[str, ...] | None = None) -> pd.DataFrame:
        frames = [read(p) for p in paths if p.exists()]
        frames = [f for f in frames if len(f)]
        if not frames:
            return _empty_text(fields or market.INDEX_FIELDS)
        return pd.concat(frames, ignore_index=True)


def _empty_text(fields: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="str") for c in fields})


def _sorted(parts: list[pd.DataFrame], by: list[str], empty: pd.DataFrame) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty
    return pd.concat(parts, ignore_index=True).sort_values(by, kind="stable").reset_index(drop=True)


def _runs(months: list[pd.Period]) -> list[list[pd.Period]]:
    """Consecutive months grouped, each group at most MAX_MONTHS_PER_CALL long."""
    runs: list[list[pd.Period]] = []
    for m in months:
        if runs and m == runs[-1][-1] + 1 and len(runs[-1]) < MAX_MONTHS_PER_CALL:
            runs[-1].append(m)
        else:
            runs.append([m])
    return runs


def _filing_deadline(q: pd.Period) -> pd.Timestamp:
    """Statutory deadline of a report period: Q1 Apr 30, H1 Aug 31, Q3 Oct 31, annual Apr 30 next year."""
    return {
        1: pd.Timestamp(q.year, 4, 30),
        2: pd.Timestamp(q.year, 8, 31),
        3: pd.Timestamp(q.year, 10, 31),
        4: pd.Timestamp(q.year + 1, 4, 30),
    }[q.quarter]
