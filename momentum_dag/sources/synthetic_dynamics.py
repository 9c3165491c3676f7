"""The moving parts of the synthetic market, simulated one calendar month at a time.

A month step draws every random number of the month at once (sizes depend only on the month's trading
days and the number of stocks, so a month is identical whatever range was asked for), updates the
monthly states (regime-driven betas, style-factor and industry drifts, sign states, ST and delistings),
walks the days where the model is truly sequential (market GARCH and regimes, per-stock GARCH, shocks,
suspensions) and assembles bars for all stocks as (days x stocks) arrays.

Daily stock return before price limits (magnitudes in the constants below):

    r_i,d = beta_i,m * m_d + sum_j x_i,j,m * f_j,d + g_k(i),d + s_i,m * SIGN_DRIFT + e_i,d + jump + reversal

m_d: latent market (regimes + GARCH); f_j,d: style factors with AR(1) monthly means; g_k,d: industry
component with AR(1) monthly drift and leader->follower links (small caps see it with a lag); s_i,m: a
persistent +/-1 direction state; e_i,d: GARCH idiosyncratic noise; jump and reversal: rare price shocks
with a turnover spike that partly revert. Each planted effect is scaled by its ``EffectStrengths`` field.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri
from scipy.stats import rankdata

from momentum_dag.sources.synthetic_universe import Universe

# --- market: bull / bear / rebound Markov regimes (daily transitions) with GARCH(1,1) volatility ---
BULL, BEAR, REBOUND = 0, 1, 2
REGIME_TRANSITION = np.array(
    [
        [1 - 1 / 375, 1 / 375, 0.0],  # bulls last ~1.5 years
        [0.0, 1 - 1 / 150, 1 / 150],  # bears ~7 months, and end in a rebound
        [1 / 40, 0.0, 1 - 1 / 40],  # rebounds ~2 months of sharp gains
    ]
)
REGIME_DRIFT = np.array([0.0008, -0.0020, 0.0050])
REGIME_VOL = np.array([0.85, 1.35, 1.5])
REGIME_TURNOVER = np.array([1.15, 0.8, 1.5])
BASE_DRIFT = 0.0003  # the market's drift with regimes off (~7.5% a year)
MARKET_VOL = 0.013
MARKET_GARCH = (0.08, 0.90)  # (alpha, beta) at full strength

# --- style factors: daily returns whose monthly means follow an AR(1) (factor momentum) ---
STYLE_FACTORS = ("size", "value", "profitability", "investment", "momentum")
FACTOR_VOL = 0.001
FACTOR_MEAN_SD = 0.0005  # unconditional sd of the daily mean (~1% a month)
FACTOR_MEAN_PHI = 0.9

# --- industries: AR(1) monthly drifts, month-level lead-lag, small caps lag large caps by days ---
INDUSTRY_VOL = 0.008
INDUSTRY_DRIFT_SD = 0.0007
INDUSTRY_DRIFT_PHI = 0.92
LEAD_LAG_COEF = 0.4  # follower's month-t return loads on the leader's month t-1 excess return
INTRA_LAG_WEIGHT = 0.5  # share of the industry move small caps receive over the next days
INTRA_LAG_DAYS = 3

# --- stocks ---
LOSER_BETA = 0.5  # extra beta of the biggest past losers in bear states (winners get -0.5)
IDIO_GARCH = (0.06, 0.90)
SIGN_DRIFT = 0.0015  # daily drift of a stock's direction state
SIGN_STAY = 0.85  # monthly probability the direction state persists
SHOCK_PROB, SHOCK_SD = 0.004, 0.05  # daily probability and size of a temporary price shock
REVERSAL_SHARE, REVERSAL_DAYS = 0.7, 15
SPIKE, SPIKE_DECAY = 6.0, 0.4  # turnover multiplier on a shock day and its daily decay
# short-term reversal: a monthly factor whose exposure is the signed square of last month's return score
REVERSAL_FACTOR_MEAN, REVERSAL_FACTOR_SD = -0.004, 0.012  # per unit exposure a month
# overreaction: an episode (probability a stock-month) moves the price by OVERREACTION_SD x z over the month;
# OVERREACTION_REVERT of it reverts evenly over the next OVERREACTION_MONTHS months
OVERREACTION_PROB, OVERREACTION_SD, OVERREACTION_REVERT, OVERREACTION_MONTHS = 0.012, 0.30, 1.0, 4
# comomentum: stocks whose direction has lasted COMOMENTUM_MONTHS or more share a zero-mean monthly shock
COMOMENTUM_SD, COMOMENTUM_MONTHS = 0.035, 4
# persistent expected returns: each stock's expected monthly return has a slow AR(1) part (sd, monthly phi)
PERSISTENT_DRIFT_SD, PERSISTENT_DRIFT_PHI = 0.006, 0.95
# dispersion regimes: a monthly log-AR(1) level (sd of the log, monthly phi) scaling every stock's return
# relative to the market, so the cross-section is wide in some months and narrow in others
DISPERSION_SD, DISPERSION_PHI = 0.5, 0.85
PRICE_LIMIT, ST_PRICE_LIMIT, IPO_PRICE_LIMIT = 0.10, 0.05, 0.44
SUSPEND_PROB, SUSPEND_MAX_DAYS = 0.0005, 20  # start rate and longest spell (~0.5% of stock-days)
# A year 55% (log -0.8) behind the market may put a stock under ST; delisting mostly follows long ST.
ST_DRAWDOWN, ST_PROB, ST_EXIT_PROB = np.log(0.45), 0.05, 1 / 12
DELIST_AFTER_ST_MONTHS, DELIST_ST_PROB, DELIST_OTHER_PROB = 12, 0.04, 0.00005

# --- fundamentals: announcement lag in calendar days by fiscal quarter (annual report before Q1) ---
ANNOUNCE_LAG = {3: (20, 31), 6: (30, 63), 9: (20, 32), 12: (60, 106)}
FUNDAMENTAL_COLUMNS = ("book_equity", "net_income_ttm", "revenue_ttm", "total_assets", "total_liabilities")


@dataclass(frozen=True)
class Strengths:
    """Effect multipliers as plain floats (mirrors ``synthetic.EffectStrengths``)."""

    market_regimes: float
    market_vol_clustering: float
    factor_momentum: float
    industry_momentum: float
    industry_lead_lag: float
    intra_industry_lead_lag: float
    bear_loser_beta: float
    idio_vol_clustering: float
    sign_persistence: float
    sign_memory: float
    turnover_reversal: float
    short_term_reversal: float = 0.0
    overreaction: float = 0.0
    comomentum: float = 0.0
    persistent_drift: float = 0.0
    dispersion_regimes: float = 0.0


@dataclass
class MonthBars:
    """One month of simulated bars for every stock: (days x stocks) arrays plus market series."""

    dates: pd.DatetimeIndex
    listed: np.ndarray
    fields: dict[str, np.ndarray]  # daily_bars columns (open ... is_suspended), each (days x stocks)
    market_ret: np.ndarray
    rf: np.ndarray


@dataclass
class QuarterReport:
    """A fiscal quarter's accounts for every stock and the date each stock announces them."""

    period_end: pd.Timestamp
    announce_date: np.ndarray  # datetime64[us], per stock
    values: dict[str, np.ndarray]


def rank_normal(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Cross-sectional normal scores of ``x`` over ``mask`` (0 elsewhere): robust standardization."""
    out = np.zeros(len(x))
    m = int(mask.sum())
    if m > 1:
        out[mask] = ndtri((rankdata(x[mask]) - 0.5) / m)
    return out


def garch_params(strength: float, alpha_beta: tuple[float, float]) -> tuple[float, float]:
    """GARCH (alpha, beta) scaled by an effect strength in [0, 1]; 0 gives constant variance."""
    return alpha_beta[0] * strength, alpha_beta[1] * strength


class MarketSimulation:
    """Mutable state of one simulation run, advanced by :meth:`step_month` from the first month on."""

    def __init__(self, universe: Universe, strengths: Strengths, seed: int) -> None:
        self.u, self.s, self.seed = universe, strengths, seed
        n, k = universe.n_stocks, universe.n_industries
        rng = np.random.default_rng([seed, 2])
        # market
        self.regime = BULL
        self.market_var = MARKET_VOL**2
        self.market_shock = 0.0
        self.market_log_months: deque[float] = deque(maxlen=24)
        self.rf_annual = 0.025
        # style factors and industries
        self.factor_mean = np.zeros(len(STYLE_FACTORS))
        self.industry_drift = np.zeros(k)
        self._industry_ar = np.zeros(k)  # the AR(1) part of the drift, without lead-lag
        self.industry_prev_excess = np.zeros(k)
        self.industry_tail = np.zeros((INTRA_LAG_DAYS, k))
        # stocks
        self.close = universe.first_price.copy()
        self.log_close_months = np.tile(np.log(self.close), (13, 1))  # month-end log closes, oldest first
        self.idio_var = universe.idio_vol**2
        self.idio_shock = np.zeros(n)
        self.direction = rng.choice([-1.0, 1.0], size=n)
        self.direction_months = np.ones(n, dtype=np.int64)  # months the direction has lasted
        self.reversal_rate = np.zeros(n)
        self.overreaction_rate = np.zeros(n)  # monthly reversal of the last overreaction episode
        self.overreaction_left = np.zeros(n, dtype=np.int64)
        # the persistent expected-return part in units of PERSISTENT_DRIFT_SD, started from its stationary law
        self.expected_drift = (
            np.random.default_rng([seed, 4]).standard_normal(n) if strengths.persistent_drift else np.zeros(n)
        )
        # the dispersion level in units of its sd, started from its stationary law
        self.dispersion = (
            float(np.random.default_rng([seed, 5]).standard_normal()) if strengths.dispersion_regimes else 0.0
        )
        self.reversal_left = np.zeros(n, dtype=np.int64)
        self.spike = np.zeros(n)
        self.suspended_left = np.zeros(n, dtype=np.int64)
        self.is_st = np.zeros(n, dtype=bool)
        self.st_months = np.zeros(n, dtype=np.int64)
        self.delisted = np.zeros(n, dtype=bool)
        self.delist_date = np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
        # fundamentals: latent accounts, and the latest announced values the style exposures use
        book = universe.book_to_market * universe.first_price * universe.total_shares
        self.equity_ratio = universe.equity_ratio.copy()
        self.assets = book / self.equity_ratio
        self.roe = universe.roe_mean + 0.03 * rng.standard_normal(n)
        self.growth = universe.growth_mean.copy()
        self.assets_past = self.assets * np.exp(-np.outer(np.arange(4, 0, -1), universe.growth_mean))
        self.announced_book = book
        self.announced_roe = self.roe.copy()
        self.announced_growth = np.expm1(4 * universe.growth_mean)
        self.reports: list[QuarterReport] = []

    # ---------------------------------------------------------------- month step

    def step_month(self, dates: pd.DatetimeIndex, first_day: int, rng: np.random.Generator) -> MonthBars:
        """Simulate the trading days ``dates`` (one whole calendar month; day indices from ``first_day``)."""
        n_days, n = len(dates), self.u.n_stocks
        days = first_day + np.arange(n_days)
        month_start = dates[0].to_period("M").to_timestamp()
        self._apply_announcements(month_start)
        self._update_st_and_delistings(days[0], dates[0], rng)
        listed_before = (self.u.ipo_day < days[0]) & ~self.delisted
        exposures = self._style_exposures(listed_before)
        beta = self._betas(listed_before)
        self._update_directions(rng)
        self._update_factor_means(rng)
        self._update_industry_drifts(n_days, rng)
        self.rf_annual = float(np.clip(self.rf_annual + 0.0008 * rng.standard_normal(), 0.015, 0.03))

        market, market_var, regimes = self.market_path(n_days, rng)
        factors = self.factor_mean + FACTOR_VOL * rng.standard_normal((n_days, len(STYLE_FACTORS)))
        industries = self.industry_drift + INDUSTRY_VOL * rng.standard_normal((n_days, self.u.n_industries))
        industry_part = self._industry_component(industries, days, listed_before)

        listed = (self.u.ipo_day[None, :] <= days[:, None]) & ~self.delisted[None, :]
        ipo_today = self.u.ipo_day[None, :] == days[:, None]
        idio, idio_var, jump, reversal, spike, suspended = self._stock_days(listed, ipo_today, rng)
        spread = self._dispersion_scale(first_day)
        idio_var = idio_var * spread**2  # the bars' intraday range follows the month's dispersion

        raw = (
            beta * market[:, None]
            + factors @ exposures.T
            + industry_part
            + SIGN_DRIFT * self.s.sign_persistence * self.direction
            + idio
            + jump
            + reversal
            + self._reversal_and_overreaction(listed_before, n_days, first_day)
            + self._persistent_drift(n_days, first_day)
        )
        if self.s.dispersion_regimes:  # off leaves every return's bits as they were
            raw = market[:, None] + spread * (raw - market[:, None])
        limit = np.where(self.is_st, ST_PRICE_LIMIT, PRICE_LIMIT)
        ret = np.clip(raw, -limit, limit)
        ret = np.where(ipo_today, self.u.ipo_return, ret)
        ret = np.where(listed & ~suspended, ret, 0.0)
        day_limit = np.where(ipo_today, IPO_PRICE_LIMIT, limit)
        sigma = np.sqrt(beta**2 * market_var[:, None] + idio_var + INDUSTRY_VOL**2)
        fields = self._bars(ret, sigma, day_limit, suspended, spike, regimes, rng)
        fields["is_st"] = np.broadcast_to(self.is_st, (n_days, n)).copy()
        fields["is_suspended"] = suspended

        weight = fields["pre_close"] * self.u.float_shares * (listed & ~suspended & ~ipo_today)
        market_ret = (weight * ret).sum(axis=1) / np.maximum(weight.sum(axis=1), 1e-300)
        self._close_month(fields["close"][-1], market_ret, industries)
        return MonthBars(dates, listed, fields, market_ret, np.full(n_days, self.rf_annual / 252))

    def _reversal_and_overreaction(self, listed: np.ndarray, n_days: int, first_day: int) -> np.ndarray:
        """(stocks,) daily drift of the month from the short-term reversal factor and overreaction episodes.

        Short-term reversal (Jegadeesh 1990; Lehmann 1990): a monthly factor return (mean
        REVERSAL_FACTOR_MEAN, sd REVERSAL_FACTOR_SD, x ``short_term_reversal``) on an exposure equal to the
        signed square of the normal score of last month's return, so it is concentrated in the tails.
        Overreaction (De Bondt and Thaler 1985; Poterba and Summers 1988 fads): with probability
        OVERREACTION_PROB a month a stock moves by OVERREACTION_SD x z x ``overreaction`` over the month,
        and OVERREACTION_REVERT of that move reverts evenly over the next OVERREACTION_MONTHS months.
        Comomentum (Lou and Polk 2022): stocks whose direction state has lasted COMOMENTUM_MONTHS months or
        more (the long sign runs D-MOM ranks at its extremes) move together: a zero-mean monthly shock of sd
        COMOMENTUM_SD x ``comomentum``, signed by the direction, so the trend's payoff is volatile.
        All draw from their own stream (seed, 3, first day), so turning them off leaves every other
        random number of the market unchanged.
        """
        n = self.u.n_stocks
        drift = np.zeros(n)
        if self.s.short_term_reversal == 0 and self.s.overreaction == 0 and self.s.comomentum == 0:
            return drift
        rng = np.random.default_rng([self.seed, 3, first_day])
        z_factor, u, z = rng.standard_normal(), rng.random(n), rng.standard_normal(n)
        z_comomentum = rng.standard_normal()
        if self.s.comomentum:
            trending = self.direction_months >= COMOMENTUM_MONTHS
            drift += self.s.comomentum * COMOMENTUM_SD * z_comomentum * np.where(trending, self.direction, 0.0)
        if self.s.short_term_reversal:
            score = rank_normal(self.log_close_months[-1] - self.log_close_months[-2], listed)
            factor = self.s.short_term_reversal * (REVERSAL_FACTOR_MEAN + REVERSAL_FACTOR_SD * z_factor)
            drift += factor * score * np.abs(score)
        if self.s.overreaction:
            reverting = self.overreaction_left > 0
            drift += np.where(reverting, self.overreaction_rate, 0.0)
            self.overreaction_left = np.maximum(self.overreaction_left - 1, 0)
            start = listed & (u < OVERREACTION_PROB)
            move = self.s.overreaction * OVERREACTION_SD * z
            drift += np.where(start, move, 0.0)
            self.overreaction_rate = np.where(
                start, -OVERREACTION_REVERT * move / OVERREACTION_MONTHS, self.overreaction_rate
            )
            self.overreaction_left = np.where(start, OVERREACTION_MONTHS, self.overreaction_left)
        return drift / n_days

    def _persistent_drift(self, n_days: int, first_day: int) -> np.ndarray:
        """(stocks,) daily drift of the month from each stock's persistent expected return.

        Conrad and Kaul (1998) trace much of momentum's profit to cross-sectional dispersion in expected
        returns, and Johnson (2002) to persistent, slowly changing expected growth: past winners are, in
        part, stocks whose expected return is high and stays high for a while. Each stock's expected monthly
        return has a part PERSISTENT_DRIFT_SD x ``persistent_drift`` x a_i,m, where a_i,m is a unit AR(1)
        (a_m = PERSISTENT_DRIFT_PHI a_m-1 + sqrt(1 - phi^2) e_m, started from its stationary law): a slow
        continuation over the 6-12 month windows that 12-2 and 6-2 momentum rank on, across the whole
        cross-section rather than its tails. Its own stream (seed, 4, first day), so turning it off leaves
        every other random number of the market unchanged.
        """
        if not self.s.persistent_drift:
            return np.zeros(self.u.n_stocks)
        e = np.random.default_rng([self.seed, 4, first_day]).standard_normal(self.u.n_stocks)
        phi = PERSISTENT_DRIFT_PHI
        self.expected_drift = phi * self.expected_drift + np.sqrt(1 - phi**2) * e
        return self.s.persistent_drift * PERSISTENT_DRIFT_SD * self.expected_drift / n_days

    def _dispersion_scale(self, first_day: int) -> float:
        """This month's multiplier of every stock's return relative to the latent market (1.0 when off).

        Cross-sectional return dispersion moves in persistent regimes (Stivers and Sun 2010, JFQA), and
        firms' idiosyncratic volatilities share one strong common factor (Herskovic, Kelly, Lustig and Van
        Nieuwerburgh 2016, JFE). A monthly level h_m (a unit AR(1), phi DISPERSION_PHI, from its own stream
        (seed, 5, first day)) gives s_m = exp(sd h_m - sd^2 / 2), sd = DISPERSION_SD x ``dispersion_regimes``,
        so E[s_m] = 1; each stock's return becomes m_d + s_m (r_i,d - m_d). Everything that sets a stock
        apart from the market (its beta's excess, styles, industry, direction drift, noise, episodes) is
        wider in some months and narrower in others, so a long-short portfolio's payoff, which is not
        scale-free, varies with s_m while a ranking of return magnitudes hardly does; a ranking of return
        signs (D-MOM) loses accuracy in a narrow month, where the market decides more of the signs.
        """
        if not self.s.dispersion_regimes:
            return 1.0
        e = np.random.default_rng([self.seed, 5, first_day]).standard_normal()
        phi, sd = DISPERSION_PHI, DISPERSION_SD * self.s.dispersion_regimes
        self.dispersion = phi * self.dispersion + np.sqrt(1 - phi**2) * e
        return float(np.exp(sd * self.dispersion - sd**2 / 2))

    def market_path(self, n_days: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Latent daily market return, its variance and the regime, walking regimes and GARCH day by day.

        Regime effect (strength ``market_regimes``) moves drift, volatility and turnover from the
        constant-drift baseline toward the regime's values; GARCH(1,1) (strength ``market_vol_clustering``,
        Bollerslev 1986) keeps the unconditional variance at MARKET_VOL**2.
        """
        s_reg = self.s.market_regimes
        alpha, beta = garch_params(self.s.market_vol_clustering, MARKET_GARCH)
        omega = MARKET_VOL**2 * (1 - alpha - beta)
        uniform, normal = rng.random(n_days), rng.standard_normal(n_days)
        cum_transition = np.cumsum(REGIME_TRANSITION, axis=1)
        out, variance, regimes = np.empty(n_days), np.empty(n_days), np.empty(n_days, dtype=np.int64)
        for t in range(n_days):  # sequential: Markov chain and GARCH recursion
            self.regime = int(np.searchsorted(cum_transition[self.regime], uniform[t], side="right"))
            self.market_var = omega + alpha * self.market_shock**2 + beta * self.market_var
            self.market_shock = np.sqrt(self.market_var) * normal[t]
            vol_mult = 1 + s_reg * (REGIME_VOL[self.regime] - 1)
            drift = BASE_DRIFT + s_reg * (REGIME_DRIFT[self.regime] - BASE_DRIFT)
            out[t] = drift + vol_mult * self.market_shock
            variance[t] = vol_mult**2 * self.market_var
            regimes[t] = self.regime
        return out, variance, regimes

    # ---------------------------------------------------------------- monthly states

    def _apply_announcements(self, month_start: pd.Timestamp) -> None:
        """Latest accounts announced before the month starts (older quarters first, newest wins)."""
        cutoff = np.datetime64(month_start, "us")
        for report in self.reports[-4:]:
            known = report.announce_date < cutoff
            v = report.values
            self.announced_book = np.where(known, v["book_equity"], self.announced_book)
            self.announced_roe = np.where(known, v["net_income_ttm"] / v["book_equity"], self.announced_roe)
            self.announced_growth = np.where(known, v["asset_growth"], self.announced_growth)

    def _update_st_and_delistings(self, day: int, date: pd.Timestamp, rng: np.random.Generator) -> None:
        """Month-start ST flags after a bad year relative to the market, and delistings (mostly after long ST).

        A stock due to switch industry is not delisted before its switch, so industry spells are fixed at
        construction. Delisted stocks simply stop having bars: no survivorship filter anywhere.
        """
        n = self.u.n_stocks
        u = rng.random((4, n))
        listed = (self.u.ipo_day < day) & ~self.delisted
        market_year = sum(list(self.market_log_months)[-12:])
        past_year = self.log_close_months[-1] - self.log_close_months[0] - market_year
        becomes_st = listed & ~self.is_st & (past_year < ST_DRAWDOWN) & (u[0] < ST_PROB)
        self.is_st = (self.is_st | becomes_st) & ~(self.is_st & (u[1] < ST_EXIT_PROB))
        self.st_months = np.where(self.is_st, self.st_months + 1, 0)
        switch_pending = self.u.switch_day >= day
        long_st = self.is_st & (self.st_months > DELIST_AFTER_ST_MONTHS) & (u[2] < DELIST_ST_PROB)
        delist = listed & ~switch_pending & (long_st | (u[3] < DELIST_OTHER_PROB))
        self.delisted |= delist
        self.delist_date[delist] = np.datetime64(date, "us")

    def _style_exposures(self, listed: np.ndarray) -> np.ndarray:
        """(stocks x factors) exposures from observable characteristics: normal scores over listed stocks,
        shifted to a cap-weighted mean of zero.

        size = -log float cap (small minus big), value = book / total cap, profitability = announced
        net income TTM / book, investment = -announced yoy asset growth (conservative minus aggressive),
        momentum = cumulative return t-12..t-2 (month-end closes).
        """
        log_float_cap = np.log(self.close * self.u.float_shares)
        book_to_market = self.announced_book / (self.close * self.u.total_shares)
        past = self.log_close_months[-2] - self.log_close_months[0]
        chars = (-log_float_cap, book_to_market, self.announced_roe, -self.announced_growth, past)
        scores = np.column_stack([rank_normal(c, listed) for c in chars])
        # Cap-weighted mean zero (Barra convention): the cap-weighted market carries no style exposure,
        # so style factors do not leak into market_ret and from there into betas.
        weight = np.where(listed, np.exp(log_float_cap), 0.0)
        scores -= weight @ scores / weight.sum()
        return np.where(listed[:, None], scores, 0.0)

    def _betas(self, listed: np.ndarray) -> np.ndarray:
        """Market betas for the month: base beta, plus LOSER_BETA x loser score in bear states.

        Daniel and Moskowitz (2016, JFE), Section 3.1: after bear markets past losers carry high beta,
        so WML has a strongly negative beta and crashes when the market rebounds. Bear state = cumulative
        market return over the past 24 months < 0, exactly their ex-ante indicator I_B (a bear regime
        alone does not count: its months would load on WML's unconditional beta, not on beta_B).
        """
        past = self.log_close_months[-2] - self.log_close_months[0]
        loser_score = np.zeros(self.u.n_stocks)
        m = int(listed.sum())
        if m > 1:
            loser_score[listed] = 1 - 2 * (rankdata(past[listed]) - 0.5) / m
        bear = len(self.market_log_months) == self.market_log_months.maxlen and sum(self.market_log_months) < 0
        return self.u.beta + LOSER_BETA * self.s.bear_loser_beta * bear * loser_score

    def _update_directions(self, rng: np.random.Generator) -> None:
        """Two-state Markov direction per stock (monthly persistence 0.5 + (SIGN_STAY - 0.5) x sign_memory):
        planted sign persistence that D-MOM's return-sign durations pick up (Del Viva, Sala and Souza 2024)."""
        stay = 0.5 + (SIGN_STAY - 0.5) * self.s.sign_memory
        flip = rng.random(self.u.n_stocks) > stay
        self.direction = np.where(flip, -self.direction, self.direction)
        self.direction_months = np.where(flip, 1, self.direction_months + 1)

    def _update_factor_means(self, rng: np.random.Generator) -> None:
        """AR(1) monthly means of the style factors: persistence that Ehsani and Linnainmaa (2022)
        factor momentum exploits."""
        shock = np.sqrt(1 - FACTOR_MEAN_PHI**2) * FACTOR_MEAN_SD * self.s.factor_momentum
        self.factor_mean = FACTOR_MEAN_PHI * self.factor_mean + shock * rng.standard_normal(len(STYLE_FACTORS))

    def _update_industry_drifts(self, n_days: int, rng: np.random.Generator) -> None:
        """AR(1) relative industry drifts (industry momentum), plus each follower's load on its leader's
        previous-month excess return spread over this month's days (the lead-lag a Lasso can find)."""
        shock = np.sqrt(1 - INDUSTRY_DRIFT_PHI**2) * INDUSTRY_DRIFT_SD * self.s.industry_momentum
        ar = INDUSTRY_DRIFT_PHI * self._industry_ar + shock * rng.standard_normal(self.u.n_industries)
        self._industry_ar = ar - ar.mean()
        lead = np.zeros(self.u.n_industries)
        lead[self.u.lead_lag_followers] = (
            LEAD_LAG_COEF * self.s.industry_lead_lag * self.industry_prev_excess[self.u.lead_lag_leaders] / n_days
        )
        self.industry_drift = self._industry_ar + lead

    def _industry_component(self, industries: np.ndarray, days: np.ndarray, listed: np.ndarray) -> np.ndarray:
        """(days x stocks) industry return of each stock; small caps get part of it over the next days.

        Within each industry the half with the smaller float cap (at month start) receives a share
        ``INTRA_LAG_WEIGHT x intra_industry_lead_lag`` of the industry move as the mean of the previous
        INTRA_LAG_DAYS days' moves: large-cap leaders lead small-cap followers (Everbright 2018 leader-lag).
        """
        u = self.u
        switched = (u.switch_day[None, :] >= 0) & (days[:, None] >= u.switch_day[None, :])
        industry = np.where(switched, u.switch_industry[None, :], u.industry[None, :])
        extended = np.vstack([self.industry_tail, industries])
        lagged = sum(extended[j : j + len(days)] for j in range(INTRA_LAG_DAYS)) / INTRA_LAG_DAYS
        self.industry_tail = extended[-INTRA_LAG_DAYS:]
        weight = min(1.0, INTRA_LAG_WEIGHT * self.s.intra_industry_lead_lag)
        blended = (1 - weight) * industries + weight * lagged
        cap = pd.Series(np.log(self.close * u.float_shares)[listed])
        small = np.zeros(u.n_stocks, dtype=bool)
        small[listed] = (cap.groupby(industry[0][listed]).rank(pct=True) <= 0.5).to_numpy()
        rows = np.arange(len(days))[:, None]
        return np.where(small[None, :], blended[rows, industry], industries[rows, industry])

    # ---------------------------------------------------------------- daily stock loop

    def _stock_days(self, listed: np.ndarray, ipo_today: np.ndarray, rng: np.random.Generator):
        """Walk the month's days for the per-stock sequential states.

        Idiosyncratic GARCH(1,1) (strength ``idio_vol_clustering``); suspensions (spells of 1-20 days);
        rare price shocks with a turnover spike, of which REVERSAL_SHARE x ``turnover_reversal`` reverts
        linearly over the next REVERSAL_DAYS days.
        """
        n_days, n = listed.shape
        normal, shock_u, shock_z, suspend_u = (
            rng.standard_normal((n_days, n)),
            rng.random((n_days, n)),
            rng.standard_normal((n_days, n)),
            rng.random((n_days, n)),
        )
        suspend_len = rng.integers(1, SUSPEND_MAX_DAYS + 1, size=(n_days, n))
        alpha, beta = garch_params(self.s.idio_vol_clustering, IDIO_GARCH)
        omega = self.u.idio_vol**2 * (1 - alpha - beta)
        revert = REVERSAL_SHARE * self.s.turnover_reversal / REVERSAL_DAYS
        idio, idio_var, jump, reversal, spike = (np.empty((n_days, n)) for _ in range(5))
        suspended = np.zeros((n_days, n), dtype=bool)
        for t in range(n_days):  # sequential: GARCH recursion, shock and suspension states
            start = listed[t] & ~ipo_today[t] & (self.suspended_left == 0) & (suspend_u[t] < SUSPEND_PROB)
            self.suspended_left = np.where(start, suspend_len[t], self.suspended_left)
            suspended[t] = listed[t] & (self.suspended_left > 0)
            self.suspended_left = np.maximum(self.suspended_left - 1, 0)

            self.idio_var = omega + alpha * self.idio_shock**2 + beta * self.idio_var
            self.idio_shock = np.sqrt(self.idio_var) * normal[t]
            idio[t], idio_var[t] = self.idio_shock, self.idio_var

            reversal[t] = np.where(self.reversal_left > 0, self.reversal_rate, 0.0)
            self.reversal_left = np.maximum(self.reversal_left - 1, 0)
            shocked = listed[t] & ~suspended[t] & ~ipo_today[t] & (shock_u[t] < SHOCK_PROB)
            jump[t] = np.where(shocked, SHOCK_SD * shock_z[t], 0.0)
            self.reversal_rate = np.where(shocked, -revert * jump[t], self.reversal_rate)
            self.reversal_left = np.where(shocked, REVERSAL_DAYS, self.reversal_left)
            self.spike = SPIKE_DECAY * self.spike + SPIKE * shocked
            spike[t] = self.spike
        return idio, idio_var, jump, reversal, spike, suspended

    # ---------------------------------------------------------------- bars

    def _bars(
        self,
        ret: np.ndarray,
        sigma: np.ndarray,
        limit: np.ndarray,
        suspended: np.ndarray,
        spike: np.ndarray,
        regimes: np.ndarray,
        rng: np.random.Generator,
    ) -> dict[str, np.ndarray]:
        """OHLC, volume, amount, turnover and caps from the day's return and volatility.

        Open near pre_close (part of the day's move happens overnight); high/low extend beyond
        open/close by half-normal amounts proportional to volatility, within the price limits.
        Turnover rises with |return| / volatility, in bull and rebound regimes and after shocks.
        """
        n_days, n = ret.shape
        z_open, z_high, z_low, z_turn = (rng.standard_normal((n_days, n)) for _ in range(4))
        close = self.close * np.cumprod(1 + ret, axis=0)
        pre_close = np.vstack([self.close, close[:-1]])
        self.close = close[-1].copy()
        gap = np.clip(0.4 * ret + 0.3 * sigma * z_open, -limit, limit)
        open_ = np.where(suspended, pre_close, pre_close * (1 + gap))
        top, bottom = np.maximum(open_, close), np.minimum(open_, close)
        high = np.maximum(np.minimum(top * (1 + np.abs(0.5 * sigma * z_high)), pre_close * (1 + limit)), top)
        low = np.minimum(np.maximum(bottom * (1 - np.abs(0.5 * sigma * z_low)), pre_close * (1 - limit)), bottom)
        high, low = np.where(suspended, close, high), np.where(suspended, close, low)

        regime_turn = 1 + self.s.market_regimes * (REGIME_TURNOVER[regimes] - 1)
        turnover = (
            self.u.turnover
            * regime_turn[:, None]
            * np.exp(0.3 * z_turn - 0.045)
            * (1 + 0.5 * np.abs(ret) / sigma)
            * (1 + spike)
        )
        turnover = np.where(suspended, 0.0, np.clip(turnover, 1e-4, 0.5))
        volume = turnover * self.u.float_shares
        return {
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "pre_close": pre_close,
            "volume": volume,
            "amount": volume * (open_ + high + low + close) / 4,
            "turnover": turnover,
            "float_mcap": close * self.u.float_shares,
            "total_mcap": close * self.u.total_shares,
        }

    def _close_month(self, last_close: np.ndarray, market_ret: np.ndarray, industries: np.ndarray) -> None:
        self.market_log_months.append(float(np.log1p(market_ret).sum()))
        self.log_close_months = np.vstack([self.log_close_months[1:], np.log(last_close)])
        month_industry = industries.sum(axis=0)
        self.industry_prev_excess = month_industry - month_industry.mean()

    # ---------------------------------------------------------------- fundamentals

    def close_quarter(self, period_end: pd.Timestamp, rng: np.random.Generator) -> QuarterReport:
        """Advance the accounts one quarter and schedule their announcement.

        ROE and asset growth are stock-specific AR(1)s around long-run means; book = equity ratio x
        assets (equity ratio drifts slowly, stays positive); revenue = assets x asset turnover.
        """
        n, u = self.u.n_stocks, self.u
        z = rng.standard_normal((4, n))
        self.roe = u.roe_mean + 0.8 * (self.roe - u.roe_mean) + 0.03 * z[0]
        self.growth = u.growth_mean + 0.6 * (self.growth - u.growth_mean) + 0.03 * z[1]
        self.assets = self.assets * np.exp(self.growth)
        self.equity_ratio = np.clip(self.equity_ratio * np.exp(0.04 * z[2]), 0.03, 0.9)
        book = self.equity_ratio * self.assets
        values = {
            "book_equity": book,
            "net_income_ttm": self.roe * book,
            "revenue_ttm": self.assets * u.asset_turnover * np.exp(0.05 * z[3]),
            "total_assets": self.assets.copy(),
            "total_liabilities": self.assets - book,
            "asset_growth": self.assets / self.assets_past[0] - 1,
        }
        self.assets_past = np.vstack([self.assets_past[1:], self.assets])
        low, high = ANNOUNCE_LAG[period_end.month]
        lag = rng.integers(low, high, size=n).astype("timedelta64[D]")
        announce = np.datetime64(period_end, "D") + lag
        report = QuarterReport(period_end, announce.astype("datetime64[us]"), values)
        self.reports.append(report)
        return report
