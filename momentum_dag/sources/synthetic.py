"""The embedded synthetic A-share-like market: raw tables in the section-6 contract.

``SyntheticMarket(config).generate(start, end)`` yields one chunk per calendar year of the requested
range, each a dict ``daily_bars``, ``market_daily``, ``fundamentals``, ``industry_membership``.

Determinism: every call simulates from ``config.start`` month by month (each month's random numbers
come from its own stream seeded by ``(seed, month index)``) and only emits the requested dates, so the
same config gives identical rows for any month whatever range was asked for and in whatever order. With a
``state_dir`` a call resumes from the newest saved state at or before its first month (``synthetic_state``)
instead of simulating from ``config.start``: the same rows, without replaying the history.

Planted effects and their strengths are listed on :class:`EffectStrengths`; the model and its constants
are in ``synthetic_dynamics``. Realism features (price limits, suspensions, ST, IPOs, delistings,
fundamentals, high/low ranges, size dispersion) are always on: they are not predictive by construction.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from momentum_dag.sources.calendar import trading_calendar
from momentum_dag.sources.synthetic_dynamics import (
    FUNDAMENTAL_COLUMNS,
    SIGN_STAY,
    MarketSimulation,
    MonthBars,
    Strengths,
)
from momentum_dag.sources.synthetic_state import StateCache, config_key, saved_starts
from momentum_dag.sources.synthetic_universe import Universe, draw_universe, membership_rows

CALENDAR_YEARS = 60  # the simulator's calendar horizon from config.start
BAR_COLUMNS = (
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
)


@dataclass(frozen=True)
class EffectStrengths:
    """Multiplier of each planted effect: 1.0 = the default magnitude, 0.0 = off, 2.0 = twice as strong.

    Fields (base magnitudes are the constants in ``synthetic_dynamics``):
        market_regimes: bull/bear/rebound Markov regimes moving the market's drift (+0.08%, -0.20%,
            +0.50% a day), volatility and turnover; off = constant drift 0.03%/day.
        market_vol_clustering: market GARCH(1,1), alpha 0.08, beta 0.90; off = constant volatility.
        factor_momentum: AR(1) (phi 0.9) monthly means of the size, value, profitability, investment and
            momentum style factors (sd ~1%/month per unit exposure; daily factor noise 0.1%); off = zero-mean factors.
        industry_momentum: AR(1) (phi 0.92) relative industry drifts (sd ~1.5%/month).
        industry_lead_lag: follower industries' month-t drift = 0.4 x leader's month t-1 excess return.
        intra_industry_lead_lag: small caps get 50% of their industry's daily move over the next 3 days.
        bear_loser_beta: past losers' beta +0.5 (winners -0.5) in bear states (Daniel-Moskowitz).
        idio_vol_clustering: per-stock GARCH(1,1), alpha 0.06, beta 0.90.
        sign_persistence: +/-0.15%/day drift of a monthly two-state direction (stays with prob 0.85).
        sign_memory: the direction's month-to-month autocorrelation, 0.7 x sign_memory (stays with prob
            0.5 + 0.35 x sign_memory; at most 1/0.7): lower memory keeps last month's direction informative
            but fades it over the 12-2 window.
        turnover_reversal: 70% of a rare price shock (0.4% of days, sd 5%, with turnover x7 decaying)
            reverts over the next 15 days.
        short_term_reversal: a monthly factor (mean -0.4%, sd 1.2% per unit exposure) on the signed square
            of last month's return score (Jegadeesh 1990). Off by default (0.0) and in every profile: it
            erases the last-month direction D-MOM rides on.
        overreaction: about 1.2% of stocks a month move by 30% x z over the month and the whole move
            reverts over the next 4 months (De Bondt-Thaler 1985; Poterba-Summers 1988 fads). Off by
            default (0.0): the realistic profile turns it on so 12-2 and 6-2 momentum's extremes revert.
        comomentum: stocks whose direction has lasted 4 months or more share a zero-mean monthly shock
            (sd 3.5%) signed by their direction (Lou-Polk 2022). Off by default (0.0): the realistic profile
            turns it on so the payoff of the long sign runs D-MOM buys and sells is volatile.
        persistent_drift: each stock's expected monthly return has a slow AR(1) part (sd 0.6%, monthly phi
            0.95) (Conrad-Kaul 1998; Johnson 2002). Off by default (0.0): the realistic profile turns it on
            so the bulk of 12-2 and 6-2 momentum's ranking continues while their extremes revert.
        dispersion_regimes: every return's distance from the market is scaled by a monthly level s_m
            (log-AR(1), sd 0.5 of the log, phi 0.85, mean 1) (Stivers-Sun 2010; Herskovic-Kelly-Lustig-Van
            Nieuwerburgh 2016). Off by default (0.0): the realistic profile turns it on so a long-short
            portfolio's payoff varies from month to month (without it D-MOM's equal-weighted long-short
            Sharpe sat far above the A-share figure at the A-share rank IC). A ranking of return signs
            (D-MOM) also loses accuracy in a narrow month, where the market decides more of the signs.

    The two vol-clustering strengths must be in [0, 1] (a GARCH needs alpha + beta < 1); the others >= 0.
    The last five default to 0.0, so ``EffectStrengths()`` (the strong profile, the tests' market) keeps
    every momentum-type effect unopposed.
    """

    market_regimes: float = 1.0
    market_vol_clustering: float = 1.0
    factor_momentum: float = 1.0
    industry_momentum: float = 1.0
    industry_lead_lag: float = 1.0
    intra_industry_lead_lag: float = 1.0
    bear_loser_beta: float = 1.0
    idio_vol_clustering: float = 1.0
    sign_persistence: float = 1.0
    sign_memory: float = 1.0
    turnover_reversal: float = 1.0
    short_term_reversal: float = 0.0
    overreaction: float = 0.0
    comomentum: float = 0.0
    persistent_drift: float = 0.0
    dispersion_regimes: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not np.isfinite(value) or value < 0:
                raise ValueError(f"EffectStrengths.{f.name} must be a finite number >= 0, got {value!r}")
        for name in ("market_vol_clustering", "idio_vol_clustering"):
            if getattr(self, name) > 1:
                raise ValueError(
                    f"EffectStrengths.{name} must be <= 1 (GARCH alpha + beta < 1), got {getattr(self, name)!r}"
                )
        if self.sign_memory > 1 / 0.7:
            raise ValueError(f"EffectStrengths.sign_memory must be <= 1/0.7 (a probability), got {self.sign_memory!r}")

    @classmethod
    def off(cls) -> EffectStrengths:
        """Every planted effect off: stock returns are beta x market + style/industry noise + iid noise."""
        return cls(**{f.name: 0.0 for f in fields(cls)})

    def times(self, factor: float) -> EffectStrengths:
        """These strengths with every predictive effect multiplied by ``factor`` (market regimes, volatility
        clustering, dispersion regimes and the direction's memory, a persistence rather than a magnitude,
        unchanged)."""
        keep = ("market_regimes", "market_vol_clustering", "idio_vol_clustering", "dispersion_regimes", "sign_memory")
        return EffectStrengths(
            **{f.name: getattr(self, f.name) * (1.0 if f.name in keep else float(factor)) for f in fields(self)}
        )

    @classmethod
    def profile(cls, name: str) -> EffectStrengths:
        """The named profile (``PROFILES``): ``realistic``, ``strong`` or ``null``."""
        if name not in PROFILES:
            raise ValueError(f"unknown synthetic market profile {name!r}; profiles are {sorted(PROFILES)}")
        return PROFILES[name]


# The market's profiles (``MOMENTUM_SIM_PROFILE``):
#   strong    every effect at its base magnitude, the reversal effects off: each effect is detectable on a
#             small market (the tests' profile);
#   realistic the default: style, industry and lead-lag effects weakened, the direction state's memory
#             shortened, overreaction (1.7x), comomentum, persistent expected returns (2.5x) and dispersion
#             regimes on, the crash beta 2.5x,
#             tuned toward the D-MOM note's A-share table (12-2, 6-2, D-MOM, enhanced D-MOM: rank IC, IC > 0,
#             long-short return and Sharpe) on seeds 20140101-10 and checked on held-out seeds 20140111-20
#             (benchmarks/calibrate.py: bands from the seeds' measured spread; the README quotes both);
#             WML's Sharpe is what follows;
#   null      every planted effect off: no factor may show a significant IC (the look-ahead guard).
PROFILES: dict[str, EffectStrengths] = {
    "strong": EffectStrengths(),
    "realistic": EffectStrengths(
        factor_momentum=0.3,
        industry_momentum=0.25,
        industry_lead_lag=0.5,
        intra_industry_lead_lag=0.5,
        bear_loser_beta=2.5,
        sign_persistence=1.2,
        sign_memory=0.6,
        overreaction=1.7,
        comomentum=1.0,
        persistent_drift=2.5,
        dispersion_regimes=1.0,
    ),
    "null": EffectStrengths.off(),
}


# What each planted effect does, in words a report reader can check against a factor's result: the index
# page lists those of the market it was built on (``planted_effects``). Keys are EffectStrengths fields.
PLANTED_EFFECTS: dict[str, tuple[str, str]] = {
    "market_regimes": (
        "market regimes",
        "bull, bear and rebound regimes move the market's drift (+0.08%, -0.20%, +0.50% a day) and volatility",
    ),
    "market_vol_clustering": ("market volatility clustering", "GARCH(1,1) market volatility"),
    "factor_momentum": (
        "factor momentum",
        "the monthly means of the size, value, profitability, investment and momentum style factors follow "
        "an AR(1) (phi 0.9): what factor momentum (Ehsani-Linnainmaa) finds",
    ),
    "industry_momentum": ("industry momentum", "AR(1) relative industry drifts (phi 0.92)"),
    "industry_lead_lag": (
        "industry lead-lag",
        "follower industries' month-t drift loads on their leader's month t-1 excess return",
    ),
    "intra_industry_lead_lag": (
        "small caps lag their industry",
        "the smaller half of an industry receives part of the industry's daily move over the next 3 days",
    ),
    "bear_loser_beta": (
        "crash beta",
        "past losers' market beta rises (winners' falls) after a bear market, so WML crashes in rebounds "
        "(Daniel-Moskowitz)",
    ),
    "idio_vol_clustering": ("idiosyncratic volatility clustering", "per-stock GARCH(1,1)"),
    "sign_persistence": (
        "return-sign persistence",
        "each stock drifts up or down with a monthly two-state direction that tends to persist: what D-MOM's "
        "sign durations (Del Viva-Sala-Souza) and, more weakly, 12-2 and 6-2 momentum find",
    ),
    "turnover_reversal": (
        "shock reversal",
        "rare daily price shocks with a turnover spike partly revert over the next 15 days",
    ),
    "short_term_reversal": (
        "short-term reversal",
        "a monthly factor with a negative mean and a volatile return, loading on the signed square of last "
        "month's return score (largest in the tails)",
    ),
    "overreaction": (
        "overreaction",
        "about 1.2% of stocks a month move sharply (sd 30%) and the move reverts over the next 4 months, so "
        "the extreme past winners and losers of 6-2 and 12-2 momentum revert",
    ),
    "comomentum": (
        "comomentum",
        "stocks whose direction has lasted 4 months or more share a zero-mean monthly shock signed by their "
        "direction (sd 3.5%), so the payoff of long sign runs is volatile",
    ),
    "dispersion_regimes": (
        "dispersion regimes",
        "every stock's return relative to the market is scaled by a persistent monthly level (mean 1, sd of its "
        "log 0.5), so the cross-section is wide in some months and narrow in others: a long-short portfolio's "
        "payoff varies with it; a narrow month also leaves more of the return signs to the market",
    ),
    "persistent_drift": (
        "persistent expected returns",
        "each stock's expected return has a slow AR(1) part (sd 0.6%/month, monthly phi 0.95), so past "
        "winners across the cross-section tend to keep outperforming for months (Conrad-Kaul; Johnson): what "
        "12-2 and 6-2 momentum's rank IC picks up",
    ),
}


def planted_effects(effects: EffectStrengths) -> list[dict[str, str]]:
    """The effects planted in a market with these strengths (strength > 0): name, strength and how, in
    words (``PLANTED_EFFECTS``), for the index page. ``sign_memory`` is part of sign persistence."""
    rows = []
    for name, (label, how) in PLANTED_EFFECTS.items():
        strength = getattr(effects, name)
        if strength > 0:
            if name == "sign_persistence":
                stay = 0.5 + (SIGN_STAY - 0.5) * effects.sign_memory
                how = f"{how} (stays with probability {stay:.2f} a month)"
            rows.append({"effect": label, "strength": f"{strength:g}", "how": how})
    return rows


@dataclass(frozen=True)
class SimulatorConfig:
    """Size, start, seed and effect strengths of a synthetic market.

    ``start`` is the first simulated calendar day (the history start); about 60% of the stocks are
    listed then, the rest IPO over the next 10 years.
    """

    n_stocks: int = 1000
    n_industries: int = 31
    start: date = date(2014, 1, 1)
    seed: int = 20140101
    effects: EffectStrengths = field(default_factory=EffectStrengths)

    def __post_init__(self) -> None:
        if not isinstance(self.n_industries, int) or self.n_industries < 2:
            raise ValueError(f"SimulatorConfig.n_industries must be an integer >= 2, got {self.n_industries!r}")
        if not isinstance(self.n_stocks, int) or self.n_stocks < 2 * self.n_industries:
            raise ValueError(
                f"SimulatorConfig.n_stocks must be an integer >= 2 x n_industries "
                f"({2 * self.n_industries}), got {self.n_stocks!r}"
            )
        if not isinstance(self.start, date):
            raise ValueError(f"SimulatorConfig.start must be a datetime.date, got {self.start!r}")
        if not isinstance(self.effects, EffectStrengths):
            raise ValueError(f"SimulatorConfig.effects must be an EffectStrengths, got {self.effects!r}")


class SyntheticMarket:
    """Deterministic synthetic market; ``generate`` yields raw-contract tables for a date range.

    Attributes:
        config: the :class:`SimulatorConfig`.
        universe: static draws (stock ids, industries, IPO days, lead-lag industry pairs ...); tests
            and docs may read ``universe.lead_lag_followers`` / ``lead_lag_leaders`` (industry indices
            into ``universe.industry_codes``).
        calendar: the trading calendar from ``config.start`` (60 years).
    """

    def __init__(self, config: SimulatorConfig, state_dir: Path | None = None) -> None:
        if not isinstance(config, SimulatorConfig):
            raise ValueError(f"SyntheticMarket needs a SimulatorConfig, got {type(config).__name__}")
        self.config = config
        self.universe: Universe = draw_universe(config.n_stocks, config.n_industries, config.seed)
        self.horizon = pd.Timestamp(config.start.year + CALENDAR_YEARS, 1, 1)  # the first day after it
        self.calendar = trading_calendar(config.start, self.horizon.date())
        # saved simulator states (``synthetic_state``): a later range resumes instead of replaying
        self.states = StateCache(state_dir, config_key(config)) if state_dir is not None else None

    def generate(self, start: date, end: date) -> Iterator[dict[str, pd.DataFrame]]:
        """Yield the raw tables for trade dates in ``[start, end)``, one chunk per calendar year.

        Each chunk covers [max(start, Jan 1), min(end, next Jan 1)) of one year and holds:

        - ``daily_bars``: one row per (trade_date, listed stock), sorted by trade_date then stock_id;
          columns trade_date, stock_id, open, high, low, close, pre_close, volume, amount, turnover,
          float_mcap, total_mcap, is_st, is_suspended. ret = close / pre_close - 1 within +/-10% (+/-5%
          under ST; up to +44% on an IPO day, whose pre_close is the offer price). Suspended rows have
          volume = amount = turnover = 0 and open = high = low = close = pre_close.
        - ``market_daily``: trade_date, market_ret (weighted by previous-day float cap over listed,
          non-suspended stocks; IPO-day stocks excluded), rf (daily, annual rate 1.5-3% / 252).
        - ``fundamentals``: stock_id, announce_date, period_end, book_equity, net_income_ttm, revenue_ttm,
          total_assets, total_liabilities for announce dates in the chunk, for stocks listed on the
          announce date; announce_date = quarter end + 20-105 days (annual report before next Q1).
        - ``industry_membership``: stock_id, in_date, industry_code, industry_name, out_date for spells
          whose in_date is in the chunk. A stock's first spell starts at its listing day (``config.start``
          for stocks listed before it). About 2% of stocks switch industry once, at a day fixed at
          construction; the earlier spell's out_date is filled only when the switch is before ``end``
          (else NULL), so concatenating the chunks of one request gives each spell once and a row never
          reveals a later switch. Delisted stocks keep their last spell (their bars just stop).

        Dates are ``datetime64[us]``, ids ``str``, numbers ``float64``, flags ``bool``.
        """
        lo, hi = _as_timestamp(start, "start"), _as_timestamp(end, "end")
        first = pd.Timestamp(self.config.start)
        if hi <= lo:
            raise ValueError(f"generate: end ({hi.date()}) must be after start ({lo.date()})")
        if lo < first:
            raise ValueError(
                f"generate: start ({lo.date()}) is before the simulator's history start config.start ({first.date()})"
            )
        if hi > self.horizon:
            raise ValueError(
                f"generate: end ({hi.date()}) is beyond the simulator's calendar "
                f"(config.start + {CALENDAR_YEARS} years)"
            )
        strengths = Strengths(**asdict(self.config.effects))
        months = self.calendar.to_period("M")
        last_month = (hi - pd.Timedelta(days=1)).to_period("M")
        bounds = np.flatnonzero(np.r_[True, months[1:] != months[:-1], True])
        # the first month with a requested day: the state at its start is all the history that matters
        month_starts = months[bounds[:-1]]
        first_wanted = int(np.sum(month_starts < lo.to_period("M")))
        last_wanted = int(np.sum(month_starts <= last_month)) - 1
        resumed = self.states.latest(first_wanted, self.universe, strengths) if self.states else None
        resume_at, sim = resumed or (0, MarketSimulation(self.universe, strengths, self.config.seed))
        pending: list[pd.DataFrame] = []
        pending_market: list[pd.DataFrame] = []
        for month_index, (a, b) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
            month = months[a]
            if month > last_month:
                break
            if month_index < resume_at:
                continue
            if self.states is not None and month_index != resume_at and month_index in saved_starts(last_wanted):
                self.states.save(month_index, sim, month.start_time)  # a re-run of the last months resumes here
            rng = np.random.default_rng([self.config.seed, 1, month_index])
            bars = sim.step_month(self.calendar[a:b], int(a), rng)
            if month.month % 3 == 0:
                sim.close_quarter(month.end_time.normalize(), rng)
            if month.end_time >= lo:
                rows, market = self._rows(bars, lo, hi)
                pending.append(rows)
                pending_market.append(market)
            if (month.month == 12 or month == last_month) and month.end_time >= lo:
                window = (max(lo, pd.Timestamp(month.year, 1, 1)), min(hi, pd.Timestamp(month.year + 1, 1, 1)))
                yield self._chunk(sim, pending, pending_market, window, hi)
                pending, pending_market = [], []
        # the loop always steps last_wanted (resume_at <= first_wanted); after the calendar's last
        # month there is no next month to resume
        if self.states is not None and last_wanted + 1 < len(month_starts):
            self.states.save(last_wanted + 1, sim, month_starts[last_wanted + 1].start_time)

    def _rows(self, bars: MonthBars, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Long daily_bars rows (listed stocks only) and market_daily rows for dates in [lo, hi)."""
        in_range = np.asarray((bars.dates >= lo) & (bars.dates < hi))
        mask = bars.listed & in_range[:, None]
        day_idx, stock_idx = np.nonzero(mask)
        data = {
            "trade_date": bars.dates[day_idx].astype("datetime64[us]"),
            "stock_id": pd.array(self.universe.stock_ids[stock_idx], dtype="str"),
        }
        for name in BAR_COLUMNS:
            data[name] = bars.fields[name][mask]
        market = pd.DataFrame(
            {
                "trade_date": bars.dates[in_range].astype("datetime64[us]"),
                "market_ret": bars.market_ret[in_range],
                "rf": bars.rf[in_range],
            }
        )
        return pd.DataFrame(data), market

    def _chunk(
        self,
        sim: MarketSimulation,
        rows: list[pd.DataFrame],
        market: list[pd.DataFrame],
        window: tuple[pd.Timestamp, pd.Timestamp],
        request_end: pd.Timestamp,
    ) -> dict[str, pd.DataFrame]:
        return {
            "daily_bars": pd.concat(rows, ignore_index=True),
            "market_daily": pd.concat(market, ignore_index=True),
            "fundamentals": self._fundamentals(sim, window),
            "industry_membership": membership_rows(
                self.universe, self.calendar, self.config.start, window, request_end
            ),
        }

    def _fundamentals(self, sim: MarketSimulation, window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
        """Quarterly reports announced in ``window`` by stocks listed on their announce date."""
        lo, hi = (np.datetime64(t, "us") for t in window)
        u = self.universe
        days = self.calendar.to_numpy().astype("datetime64[us]")
        listed_from = np.where(u.ipo_day >= 0, days[np.maximum(u.ipo_day, 0)], np.datetime64("NaT", "us"))
        listed_from = np.where(np.isnat(listed_from), lo - 1, listed_from)  # listed before the start
        parts = []
        for report in sim.reports:
            ann = report.announce_date
            listed = (ann >= listed_from) & (np.isnat(sim.delist_date) | (ann < sim.delist_date))
            keep = np.flatnonzero((ann >= lo) & (ann < hi) & listed)
            if len(keep) == 0:
                continue
            part = {
                "stock_id": pd.array(u.stock_ids[keep], dtype="str"),
                "announce_date": ann[keep],
                "period_end": np.full(len(keep), np.datetime64(report.period_end, "us")),
            }
            part.update({col: report.values[col][keep] for col in FUNDAMENTAL_COLUMNS})
            parts.append(pd.DataFrame(part))
        if not parts:
            return _empty_fundamentals()
        out = pd.concat(parts, ignore_index=True)
        return out.sort_values(["announce_date", "stock_id"], kind="stable").reset_index(drop=True)


def _empty_fundamentals() -> pd.DataFrame:
    columns = {
        "stock_id": pd.Series(dtype="str"),
        "announce_date": pd.Series(dtype="datetime64[us]"),
        "period_end": pd.Series(dtype="datetime64[us]"),
    }
    columns.update({col: pd.Series(dtype="float64") for col in FUNDAMENTAL_COLUMNS})
    return pd.DataFrame(columns)


def _as_timestamp(value: date | str | pd.Timestamp, name: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ValueError(f"generate: {name} must be a date, got {value!r}") from None
    if ts is pd.NaT or ts != ts.normalize():
        raise ValueError(f"generate: {name} must be a calendar date without time of day, got {value!r}")
    return ts
