"""Look-ahead harness: perturb everything after a cut date, recompute, and require that nothing at or before
the cut moves.

A small synthetic market (``momentum_dag.sources.synthetic``) gives the raw tables; :func:`perturb_after`
changes every raw row dated after the cut in every way the future can differ from a guess about it:
values change (prices, volumes, caps, flags, market returns, fundamentals), data go missing, stocks
delist, new stocks list and stocks move to another industry. :func:`build_panels` turns raw tables into
the marts with the project's own SQL models (in an in-memory DuckDB), adds the Barra factor returns the
way ``barra/*`` computes them, and wraps them in ``MarketPanels``: the object registered factors'
``compute(panels, window, settings)`` and the study estimators read. :func:`assert_no_lookahead` then
checks one computation: values exist at the cut, the perturbation did change later values, and every
value dated at or before the cut is unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from momentum_dag.assets.barra import FUNDAMENTALS, compute_exposures
from momentum_dag.assets.factors.features import exchange_calendar
from momentum_dag.assets.panels import MarketPanels
from momentum_dag.core.barra.exposures import STYLE_NAMES
from momentum_dag.core.barra.factor_returns import factor_returns
from momentum_dag.core.stock.dmom import dmom_features as compute_dmom_features
from momentum_dag.names import PROVIDER_TABLES
from momentum_dag.sources.contract import RAW_TABLES, ddl
from momentum_dag.sources.synthetic import SimulatorConfig, SyntheticMarket
from momentum_dag.storage import write_windows
from momentum_dag.storage.sql_models import load_models, materialize, topological_order

FAR_END = date(2100, 1, 1)


@dataclass(frozen=True)
class Market:
    """Raw tables of one market (``PROVIDER_TABLES`` names -> frames in the raw contract) over [start, end)."""

    tables: dict[str, pd.DataFrame]
    start: date
    end: date


def simulate(*, n_stocks: int, n_industries: int, start: date, end: date, seed: int) -> Market:
    """The synthetic market's raw tables for trade dates in [start, end) (effects on, as shipped)."""
    market = SyntheticMarket(SimulatorConfig(n_stocks=n_stocks, n_industries=n_industries, start=start, seed=seed))
    chunks = list(market.generate(start, end))
    tables = {name: pd.concat([c[name] for c in chunks], ignore_index=True) for name in PROVIDER_TABLES}
    return Market(tables, start, end)


# ---- perturbations ---------------------------------------------------------------------------------------


def _change_values(bars: pd.DataFrame, later: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Rescale later bars: prices by a common factor, the close by a further shock (so returns change),
    volumes and caps by independent factors; flip a few suspension and ST flags."""
    bars = bars.copy()
    n = int(later.sum())
    level = rng.uniform(0.7, 1.4, n)
    shock = 1 + rng.normal(0, 0.03, n)
    for column in ("open", "high", "low", "pre_close"):
        bars.loc[later, column] = bars.loc[later, column].to_numpy() * level
    bars.loc[later, "close"] = bars.loc[later, "close"].to_numpy() * level * shock
    bars.loc[later, "high"] = np.maximum(bars.loc[later, "high"], bars.loc[later, "close"])
    bars.loc[later, "low"] = np.minimum(bars.loc[later, "low"], bars.loc[later, "close"])
    for column in ("volume", "amount", "turnover", "float_mcap", "total_mcap"):
        bars.loc[later, column] = bars.loc[later, column].to_numpy() * rng.uniform(0.3, 3.0, n)
    flip = later & (rng.random(len(bars)) < 0.02)
    bars.loc[flip, "is_suspended"] = ~bars.loc[flip, "is_suspended"].astype(bool)
    flip = later & (rng.random(len(bars)) < 0.01)
    bars.loc[flip, "is_st"] = ~bars.loc[flip, "is_st"].astype(bool)
    return bars


def _delist(bars: pd.DataFrame, cut: pd.Timestamp, stocks: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Each stock in ``stocks`` trades for a random 0-15 days after the cut, then never again."""
    days = np.sort(bars.loc[bars["trade_date"] > cut, "trade_date"].unique())
    last_day = {s: days[rng.integers(0, 15)] for s in stocks}
    limit = bars["stock_id"].map(last_day)
    return bars[limit.isna() | (bars["trade_date"] <= limit)]


def _list_new(
    tables: dict[str, pd.DataFrame], cut: pd.Timestamp, templates: np.ndarray, rng: np.random.Generator
) -> dict[str, pd.DataFrame]:
    """New stocks listing after the cut: each copies a template stock's later bars (prices rescaled) from
    a listing day 1-20 trading days after the cut, with its own industry spell from that day."""
    bars, members = tables["daily_bars"], tables["industry_membership"]
    days = np.sort(bars.loc[bars["trade_date"] > cut, "trade_date"].unique())
    codes = members[["industry_code", "industry_name"]].drop_duplicates().to_numpy()
    new_bars, new_members = [], []
    for k, template in enumerate(templates):
        listing = days[rng.integers(1, 20)]
        rows = bars[(bars["stock_id"] == template) & (bars["trade_date"] >= listing)].copy()
        scale = rng.uniform(0.2, 5.0)
        for column in ("open", "high", "low", "close", "pre_close", "float_mcap", "total_mcap"):
            rows[column] = rows[column] * scale
        rows["stock_id"] = f"N{k:05d}"
        new_bars.append(rows)
        code, name = codes[rng.integers(len(codes))]
        new_members.append(
            {
                "stock_id": f"N{k:05d}",
                "in_date": listing,
                "industry_code": code,
                "industry_name": name,
                "out_date": pd.NaT,
            }
        )
    out = dict(tables)
    out["daily_bars"] = pd.concat([bars, *new_bars], ignore_index=True)
    out["industry_membership"] = pd.concat([members, pd.DataFrame(new_members)], ignore_index=True)
    return out


def _move_industries(
    members: pd.DataFrame, cut: pd.Timestamp, days: np.ndarray, stocks: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Each stock in ``stocks`` leaves its current industry on a day after the cut for another industry
    (the old spell gets that out_date, a new spell starts that day)."""
    members = members.copy()
    codes = members[["industry_code", "industry_name"]].drop_duplicates().to_numpy()
    new = []
    for stock in stocks:
        current = members.index[(members["stock_id"] == stock) & members["out_date"].isna()]
        if len(current) == 0:
            continue
        row = members.loc[current[-1]]
        switch = days[rng.integers(0, 20)]
        if switch <= row["in_date"]:
            continue
        others = codes[codes[:, 0] != row["industry_code"]]
        code, name = others[rng.integers(len(others))]
        members.loc[current[-1], "out_date"] = switch
        new.append(
            {"stock_id": stock, "in_date": switch, "industry_code": code, "industry_name": name, "out_date": pd.NaT}
        )
    return pd.concat([members, pd.DataFrame(new)], ignore_index=True)


def perturb_after(market: Market, cut: pd.Timestamp, *, seed: int = 1) -> Market:
    """The market with every row dated after ``cut`` changed in every way at once.

    Daily bars: values rescaled and flags flipped, 10% of later stock-days missing (plus a whole later
    month of one stock in five), one stock in eight delisted within 15 days of the cut, new stocks listed
    after it, one stock in eight moved to another industry. Market: later returns and rates changed. One
    later trading day missing everywhere. Fundamentals announced later: values rescaled, one in five missing,
    and one stock in eight publishes a report after the cut for a period ending on the cut day.
    """
    rng = np.random.default_rng(seed)
    cut = pd.Timestamp(cut)
    tables = {k: v.copy() for k, v in market.tables.items()}
    bars = tables["daily_bars"]
    later_days = np.sort(bars.loc[bars["trade_date"] > cut, "trade_date"].unique())
    if len(later_days) < 40:
        raise ValueError("perturb_after: the cut leaves fewer than 40 later trading days")
    alive = np.sort(
        bars.loc[bars["trade_date"] == bars.loc[bars["trade_date"] <= cut, "trade_date"].max(), "stock_id"].unique()
    )
    if len(alive) < 20:
        raise ValueError("perturb_after: fewer than 20 stocks trade on the cut day")
    chosen = rng.permutation(alive)
    eighth = len(alive) // 8

    bars = _change_values(bars, (bars["trade_date"] > cut).to_numpy(), rng)
    later = bars["trade_date"] > cut
    bars = bars[~(later & (rng.random(len(bars)) < 0.10))]
    gap_month = pd.Timestamp(later_days[25]).to_period("M")
    in_gap = (bars["trade_date"].dt.to_period("M") == gap_month) & bars["stock_id"].isin(chosen[: len(alive) // 5])
    bars = bars[~in_gap]
    bars = _delist(bars, cut, chosen[:eighth], rng)
    tables["daily_bars"] = bars
    tables = _list_new(tables, cut, chosen[eighth : 2 * eighth], rng)
    tables["industry_membership"] = _move_industries(
        tables["industry_membership"], cut, later_days, chosen[2 * eighth : 3 * eighth], rng
    )
    tables["daily_bars"] = tables["daily_bars"].sort_values(["trade_date", "stock_id"], ignore_index=True)

    daily = tables["market_daily"]
    later = daily["trade_date"] > cut
    daily.loc[later, "market_ret"] = daily.loc[later, "market_ret"] + rng.normal(0, 0.01, int(later.sum()))
    daily.loc[later, "rf"] = daily.loc[later, "rf"] * rng.uniform(0.5, 2.0, int(later.sum()))
    # one later trading day missing everywhere (market and bars), as a day not loaded yet
    tables["market_daily"] = daily[daily["trade_date"] != later_days[30]].reset_index(drop=True)
    tables["daily_bars"] = tables["daily_bars"][tables["daily_bars"]["trade_date"] != later_days[30]]

    fundamentals = tables["fundamentals"]
    later = fundamentals["announce_date"] > cut
    for column in FUNDAMENTALS:
        fundamentals.loc[later, column] = fundamentals.loc[later, column] * rng.uniform(0.5, 2.0, int(later.sum()))
    fundamentals = fundamentals[~(later & (rng.random(len(fundamentals)) < 0.2))]
    tables["fundamentals"] = _late_reports(fundamentals, cut, later_days, chosen[3 * eighth : 4 * eighth], rng)
    return Market(tables, market.start, market.end)


def _late_reports(
    fundamentals: pd.DataFrame, cut: pd.Timestamp, days: np.ndarray, stocks: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    """Each stock in ``stocks`` publishes, 1-20 trading days after the cut, a report for a fiscal period
    that ended on the cut day (its values its latest earlier report's, rescaled): known only after the
    cut, so a join on ``period_end`` instead of ``announce_date`` would hand it to the cut's month end."""
    new = []
    for stock in stocks:
        own = fundamentals[fundamentals["stock_id"] == stock].sort_values("announce_date")
        if own.empty:
            continue
        row = own.iloc[-1].copy()
        row["announce_date"] = pd.Timestamp(days[rng.integers(1, 20)])
        if (own["announce_date"] == row["announce_date"]).any():
            continue
        row["period_end"] = cut
        for column in FUNDAMENTALS:
            row[column] = row[column] * rng.uniform(0.5, 2.0)
        new.append(row)
    return pd.concat([fundamentals, pd.DataFrame(new).astype(fundamentals.dtypes.to_dict())], ignore_index=True)


# ---- panels ----------------------------------------------------------------------------------------------


class MemoryWarehouse:
    """The two ``Warehouse`` methods ``MarketPanels`` calls, on an in-memory DuckDB connection."""

    def __init__(self, conn: duckdb.DuckDBPyConnection):
        self.conn = conn

    # a cursor per query, as the warehouse's own connections: a step computes its chunks in threads, and
    # one DuckDB connection must not be used by two threads at once
    def query(self, sql: str, params=None) -> pd.DataFrame:
        with self.conn.cursor() as cursor:
            return cursor.execute(sql, list(params or [])).df()

    def query_arrow(self, sql: str, params=None):
        with self.conn.cursor() as cursor:
            return cursor.execute(sql, list(params or [])).to_arrow_table()


def build_marts(market: Market) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with ``market``'s raw tables and the marts the project's SQL models build."""
    # One thread: DuckDB's parallel sums add in a varying order, and the marts would differ by ~1e-16 from
    # run to run, which some factors amplify (the Lasso's model selection flips).
    conn = duckdb.connect(config={"threads": 1})
    tables = {f"raw.{name}": (RAW_TABLES[name].date_column, ddl(RAW_TABLES[name])) for name in PROVIDER_TABLES}
    write_windows(conn, tables, [{f"raw.{k}": v for k, v in market.tables.items()}], start=market.start, end=market.end)
    models = load_models()
    for model in topological_order(models):
        materialize(conn, model, models, market.start, market.end)
    return conn


def build_panels(market: Market) -> MarketPanels:
    """``MarketPanels`` (all history) over marts built from ``market`` by the project's SQL models, with
    ``barra.factor_returns_monthly`` computed as the Barra assets do (exposures at each month end, WLS of
    the next month's returns)."""
    conn = build_marts(market)
    panels = MarketPanels(MemoryWarehouse(conn), end=FAR_END)
    exposures = compute_exposures(panels)  # what barra/exposures computes
    monthly = factor_returns(
        panels.stock_monthly("ret"),
        exposures,
        panels.stock_monthly("industry_code"),
        panels.stock_monthly("float_mcap"),
    )
    styles = monthly[list(STYLE_NAMES)].rename_axis("period_end").reset_index()
    long = styles.melt(id_vars="period_end", var_name="factor", value_name="ret").dropna(subset=["ret"])
    conn.register("styles", long.assign(kind="style"))
    conn.execute("create schema if not exists barra")
    conn.execute("create table barra.factor_returns_monthly as select * from styles")
    conn.unregister("styles")
    # the D-MOM regressors the pipeline stores per month (factors/dmom_features)
    features = compute_dmom_features(
        panels.stock_daily("ret"),
        panels.stock_daily("excess_ret"),
        panels.market_daily["market_excess"],
        panels.stock_monthly("ret").where(panels.stock_monthly("n_days") > 0),
        panels.market_monthly["market_excess"],
        calendar=exchange_calendar(market.start, market.end),
    )
    conn.register("features", features)
    conn.execute("create schema if not exists models")
    conn.execute("create table models.dmom_features as select * from features")
    conn.unregister("features")
    return MarketPanels(MemoryWarehouse(conn), end=FAR_END)


def _splice(early: pd.DataFrame, late: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    columns = early.columns.union(late.columns, sort=False)
    if all(isinstance(c, str) for c in columns):
        columns = columns.sort_values()
    out = pd.concat(
        [early.loc[early.index <= cut].reindex(columns=columns), late.loc[late.index > cut].reindex(columns=columns)]
    )
    return out.rename_axis(late.index.name)


class SplicedPanels:
    """The panels of a perturbed market with every row at or before ``cut`` taken from the base market.

    Why: DuckDB sums a group in an order that depends on the table's layout, so marts built from two
    markets that agree up to the cut still differ by ~1e-16 there, and some estimators amplify that (the
    Lasso's AIC model choice flips, maximum likelihood stops elsewhere within its tolerance). The marts
    themselves are checked to 1e-9 separately; through this object a factor sees inputs identical to the
    bit up to the cut and the perturbed market's rows, listings, delistings and gaps after it. Offers the
    ``MarketPanels`` methods the registry and the studies call; anything else is an AttributeError.
    """

    tradable_at = MarketPanels.tradable_at  # the real mask, over the spliced flags

    def __init__(self, base: MarketPanels, perturbed: MarketPanels, cut: pd.Timestamp):
        self.base, self.perturbed, self.cut = base, perturbed, pd.Timestamp(cut)
        self.formation_start = None
        self._cache: dict = {}

    def _spliced(self, key: tuple, read: Callable[[MarketPanels], pd.DataFrame]) -> pd.DataFrame:
        if key not in self._cache:
            self._cache[key] = _splice(read(self.base), read(self.perturbed), self.cut)
        return self._cache[key]

    def stock_daily(self, value: str) -> pd.DataFrame:
        return self._spliced(("stock_daily", value), lambda p: p.stock_daily(value))

    def stock_daily_panels(self, *values: str) -> list[pd.DataFrame]:
        return [self.stock_daily(value) for value in values]

    def stock_daily_on_industry_days(self, value: str) -> pd.DataFrame:
        # the spliced panel on the spliced calendar, as MarketPanels builds it from its own two
        key = ("stock_daily_on_industry_days", value)
        if key not in self._cache:
            self._cache[key] = self.stock_daily(value).reindex(self.industry_daily("ret_cw").index)
        return self._cache[key]

    def stock_at_month_ends(self, value: str) -> pd.DataFrame:
        return self._spliced(("stock_at_month_ends", value), lambda p: p.stock_at_month_ends(value))

    def stock_monthly(self, value: str) -> pd.DataFrame:
        return self._spliced(("stock_monthly", value), lambda p: p.stock_monthly(value))

    def industry_daily(self, value: str) -> pd.DataFrame:
        return self._spliced(("industry_daily", value), lambda p: p.industry_daily(value))

    def industry_monthly(self, value: str) -> pd.DataFrame:
        return self._spliced(("industry_monthly", value), lambda p: p.industry_monthly(value))

    def fundamentals_at_month_ends(self, value: str) -> pd.DataFrame:
        return self._spliced(("fundamentals", value), lambda p: p.fundamentals_at_month_ends(value))

    @property
    def market_daily(self) -> pd.DataFrame:
        return self._spliced(("market_daily",), lambda p: p.market_daily)

    @property
    def market_monthly(self) -> pd.DataFrame:
        return self._spliced(("market_monthly",), lambda p: p.market_monthly)

    @property
    def barra_factor_returns_monthly(self) -> pd.DataFrame:
        return self._spliced(("barra",), lambda p: p.barra_factor_returns_monthly)

    @property
    def month_ends(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.market_monthly.index, name="date")

    def dmom_features(self) -> pd.DataFrame:
        """The D-MOM regressors the pipeline stores per month (``factors/dmom_features``), from these panels."""
        if "dmom_features" not in self._cache:
            monthly = self.stock_monthly("ret").where(self.stock_monthly("n_days") > 0)
            self._cache["dmom_features"] = compute_dmom_features(
                self.stock_daily("ret"),
                self.stock_daily("excess_ret"),
                self.market_daily["market_excess"],
                monthly,
                self.market_monthly["market_excess"],
                calendar=exchange_calendar(self.month_ends[0].date(), self.month_ends[-1].date()),
            )
        return self._cache["dmom_features"]


# the panel reads the registry and the studies use, for the marts check
PANEL_READS: dict[str, Callable[[MarketPanels], pd.DataFrame]] = {
    **{
        f"stock_daily.{v}": (lambda p, v=v: p.stock_daily(v))
        for v in ("ret", "excess_ret", "float_mcap", "total_mcap", "turnover", "is_suspended", "industry_code")
    },
    **{
        f"stock_at_month_ends.{v}": (lambda p, v=v: p.stock_at_month_ends(v))
        for v in ("is_suspended", "is_st", "is_limit_up", "listed_days")
    },
    **{
        f"stock_monthly.{v}": (lambda p, v=v: p.stock_monthly(v))
        for v in ("ret", "float_mcap", "total_mcap", "industry_code")
    },
    **{
        f"industry_daily.{v}": (lambda p, v=v: p.industry_daily(v))
        for v in ("ret_cw", "turnover", "amount", "amplitude")
    },
    "industry_monthly.ret_cw": lambda p: p.industry_monthly("ret_cw"),
    **{f"fundamentals.{v}": (lambda p, v=v: p.fundamentals_at_month_ends(v)) for v in FUNDAMENTALS},
    "market_daily": lambda p: p.market_daily,
    "market_monthly": lambda p: p.market_monthly,
    "barra_factor_returns_monthly": lambda p: p.barra_factor_returns_monthly,
}


# ---- the check -------------------------------------------------------------------------------------------


def dated_rows(result: pd.DataFrame | pd.Series, date_column: str | None = None) -> pd.DataFrame:
    """A computation's output as long rows ``date, key..., value`` sorted, NaN values dropped.

    Wide frames and Series (dates on the index) are stacked; long frames are keyed by ``date_column``
    and every non-float column, one row per float column value.
    """
    if isinstance(result, pd.Series):
        result = result.to_frame()
    if date_column is None:
        frame = result.copy()
        frame.index = pd.DatetimeIndex(frame.index, name="date")
        frame.columns = [str(c) for c in frame.columns]
        long = frame.stack(future_stack=True).rename("value").reset_index()
        long.columns = ["date", "key", "value"]
    else:
        frame = result.rename(columns={date_column: "date"})
        frame["date"] = pd.to_datetime(frame["date"])
        values = [c for c in frame.columns if c != "date" and pd.api.types.is_float_dtype(frame[c])]
        keys = [c for c in frame.columns if c not in values and c != "date"]
        long = frame.melt(id_vars=["date", *keys], value_vars=values, var_name="column", value_name="_value")
        long = long.astype({k: str for k in keys}).rename(columns={"_value": "value"})
    long = long.dropna(subset=["value"])
    long["value"] = long["value"].astype(float)
    return long.sort_values(list(long.columns[:-1])).reset_index(drop=True)


def assert_no_lookahead(
    compute: Callable[[MarketPanels], pd.DataFrame | pd.Series],
    base: MarketPanels,
    perturbed: MarketPanels | SplicedPanels,
    cut: pd.Timestamp,
    *,
    date_column: str | None = None,
    through: pd.Timestamp | None = None,
    max_gap_days: int = 7,
    rtol: float = 1e-9,
    name: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``compute`` on ``base`` and on ``perturbed`` (changed only after ``cut``) agree on every value dated
    <= ``through`` (default ``cut``; a computation that legitimately reads one more period, such as the
    evaluation's forward returns, passes the previous period end).

    First it checks that the check can fail: values exist on the last date <= ``through`` (at most
    ``max_gap_days`` before it) and values dated after ``cut`` differ between the two runs. Returns both
    runs' rows.
    """
    cut = pd.Timestamp(cut)
    through = cut if through is None else pd.Timestamp(through)
    before = dated_rows(compute(base), date_column)
    after = dated_rows(compute(perturbed), date_column)
    early = before[before["date"] <= through]
    assert len(early), f"{name}: no value dated <= {through.date()}: the market is too short for it"
    last = early["date"].max()
    assert (through - last).days <= max_gap_days, (
        f"{name}: the last value <= {through.date()} is dated {last.date()}: nothing to check at the cut"
    )
    late_before, late_after = before[before["date"] > cut], after[after["date"] > cut]
    assert len(late_before), f"{name}: no value after the cut: the check could not fail"
    keys = list(before.columns[:-1])
    merged = late_before.merge(late_after, on=keys, how="outer", suffixes=("_base", "_perturbed"))
    # a value present in one run only counts as changed (NaN is never close)
    changed = ~np.isclose(merged["value_base"], merged["value_perturbed"], rtol=1e-6, atol=0, equal_nan=False)
    assert changed.any(), f"{name}: the perturbation changed no value after the cut: the check could not fail"
    pd.testing.assert_frame_equal(
        before[before["date"] <= through].reset_index(drop=True),
        after[after["date"] <= through].reset_index(drop=True),
        rtol=rtol,
        atol=1e-12,
        obj=f"{name}: values dated <= {through.date()} after perturbing the data after {cut.date()}",
    )
    return before, after
