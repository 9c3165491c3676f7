"""The factor registry: every factor declared once.

Each :class:`FactorSpec` names the factor, its level (stock or industry), frequency, windows, the marts it
reads, the ``core/`` function that computes it and the paper it comes from. The factor-panel assets, their
evaluation assets, the reports and the report index are generated from this list (``assets/factors.py``),
so adding a factor is one ``core/`` function and one entry here.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from momentum_dag.core.frames import period_ends, to_long
from momentum_dag.core.industry import INDUSTRY_MOMENTUM_FACTORS
from momentum_dag.core.stock import momentum as stock_momentum
from momentum_dag.core.stock.dmom import fit_dmom, score_dmom
from momentum_dag.names import (
    BARRA_FACTOR_RETURNS_KEY,
    DMOM_FEATURES,
    INDUSTRY_DAILY,
    INDUSTRY_MONTHLY,
    STG_MARKET_DAILY,
    STOCK_RETURNS_DAILY,
    STOCK_RETURNS_MONTHLY,
    lpm_table,
)
from momentum_dag.partitions import Lookback
from momentum_dag.settings import DmomConfig, IndustryConfig, Settings

STOCK_MONTHLY, STOCK_DAILY, MARKET_DAILY = STOCK_RETURNS_MONTHLY, STOCK_RETURNS_DAILY, STG_MARKET_DAILY
BARRA_FACTOR_RETURNS = BARRA_FACTOR_RETURNS_KEY.to_user_string()


@dataclass(frozen=True)
class FactorOutput:
    """A factor's long rows (``period_end, entity_id, window, value`` + explanations) and side tables."""

    rows: pd.DataFrame
    side_tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class FactorSpec:
    """One registered factor.

    ``compute(panels, window, config)`` gets the warehouse panels from ``lookback(window)`` before the
    run's window start to its end (``assets.panels.MarketPanels``) and returns values for every period end
    it can; the asset keeps the window. ``lookback=None`` reads all history: D-MOM's pooled LPM is
    expanding by definition, and reads only small per-month tables. ``side_tables`` names extra tables
    the factor writes (e.g. ``models.dmom_lpm``). ``min_coverage``: the share of the universe a
    formation date's values should cover (the panel's coverage check warns below it). ``config`` names the
    ``Settings`` group the compute takes (e.g. ``"dmom"``), its only view of the settings; None: it takes
    none (:meth:`evaluate` passes None).
    """

    name: str
    level: str
    frequency: str
    windows: tuple[int, ...]
    compute: Callable
    inputs: tuple[str, ...]
    paper: str
    description: str
    lookback: Callable[[int], Lookback] | None
    side_tables: tuple[str, ...] = ()
    min_coverage: float = 0.5
    config: str | None = None

    def evaluate(self, panels, window: int, settings: Settings) -> FactorOutput:
        """``compute`` with the factor's own settings group only."""
        return self.compute(panels, window, getattr(settings, self.config) if self.config else None)

    def history(self) -> Lookback | None:
        """The lookback of the longest window (what one run reads), or None for all history."""
        if self.lookback is None:
            return None
        result = Lookback()
        for window in self.windows:
            result = result | self.lookback(window)
        return result

    @property
    def n_quantiles(self) -> int:
        return 10 if self.level == "stock" else 5

    @property
    def periods_per_year(self) -> int:
        return 12 if self.frequency == "M" else 52


def _long(wide: pd.DataFrame, window: int) -> FactorOutput:
    return FactorOutput(to_long(wide, window=window))


# ---- stock factors --------------------------------------------------------------------------------


def _mom_12_2(panels, window: int, config: None) -> FactorOutput:
    return _long(stock_momentum.mom_12_2(panels.stock_monthly("ret")), window)


def _mom_6_2(panels, window: int, config: None) -> FactorOutput:
    return _long(stock_momentum.mom_6_2(panels.stock_monthly("ret")), window)


def _dmom(enhanced: bool) -> Callable:
    def compute(panels, window: int, config: DmomConfig) -> FactorOutput:
        # the regressors of every past month are stored per month (models.dmom_features): the expanding LPM
        # refits on them without re-deriving durations from all daily history
        regressors = panels.dmom_features()
        monthly = panels.stock_monthly("ret").where(panels.stock_monthly("n_days") > 0)  # months with a trade
        params = config.params()
        fit = fit_dmom(
            regressors,
            monthly,
            scheme=params.scheme,
            window=params.rolling_window,
            min_months=params.min_months,
            enhanced=enhanced,
            fit_from=panels.formation_start,  # the run keeps only its own months' forecasts
        )
        forecasts, coefficients = score_dmom(fit), fit.coefficients
        name = "dmom_enhanced" if enhanced else "dmom"
        coefficients = coefficients.assign(scheme=params.scheme)
        return FactorOutput(forecasts, {f"models.{name}_lpm": coefficients})

    return compute


# ---- industry factors -----------------------------------------------------------------------------


STOCK_INPUT_COLUMNS = {
    "stock_ret": "ret",
    "stock_float_mcap": "float_mcap",
    "stock_suspended": "is_suspended",
    "stock_industry": "industry_code",
}
"""The ``marts.stock_returns_daily`` column of each constituent-level industry-factor input."""


class IndustryInputs:
    """The named inputs industry factor functions take, built lazily from the warehouse panels.

    Industry level: cap-weighted daily return ``ret`` and index level ``close`` (cumulated ``ret``),
    ``turnover``, ``amount``, ``amplitude``; monthly ``industry_ret_monthly`` and the Barra style factor
    returns; constituent level: ``stock_ret``, ``stock_float_mcap``, ``stock_suspended`` and the
    point-in-time ``stock_industry`` labels, on the same trade dates.
    """

    def __init__(self, panels, frequency: str, full_history: bool = False):
        self.panels = panels
        self.frequency = frequency
        self.full_history = full_history

    def read_stock_columns(self, names: list[str]) -> None:
        """The constituent-level inputs among ``names`` read in one query (``stock_daily_panels``) when
        there are several: each read on its own scans and copies the (date, stock) keys again."""
        columns = [STOCK_INPUT_COLUMNS[n] for n in names if n in STOCK_INPUT_COLUMNS]
        if len(columns) > 1:
            self.panels.stock_daily_panels(*columns)

    def get(self, name: str):
        p = self.panels
        dates = p.industry_daily("ret_cw").index
        if name == "ret":
            return p.industry_daily("ret_cw")
        if name == "close":
            return (1 + p.industry_daily("ret_cw").fillna(0.0)).cumprod()
        if name in ("turnover", "amount", "amplitude"):
            return p.industry_daily(name).reindex(dates)
        if name in ("industry_ret_monthly", "period_returns") and self.frequency == "M":
            return p.industry_monthly("ret_cw")
        if name == "barra_factor_returns_monthly":
            return p.barra_factor_returns_monthly
        if name.startswith("stock_"):
            return p.stock_daily_on_industry_days(STOCK_INPUT_COLUMNS[name])
        if name == "period_ends":
            ends = period_ends(dates, self.frequency)
            if self.full_history or p.formation_start is None:
                return ends
            return ends[ends >= pd.Timestamp(p.formation_start)]
        raise KeyError(f"no industry input named {name!r}")


def _industry_factor(
    function: Callable,
    window_arg: str | None,
    frequency: str,
    full_history: bool,
    config_options: dict[str, str] | None = None,
) -> Callable:
    """Adapter: pass a core industry factor the inputs its signature names, and the window.

    Formation dates start at the run's window unless ``full_history`` (a factor whose value at t depends
    on its own values at earlier formation dates, e.g. ICIR weights from past rank ICs).
    ``config_options`` maps a keyword of the function to the knob of the factor's config that sets it.
    """
    names = _positional_inputs(function)

    def compute(panels, window: int, config: IndustryConfig | None) -> FactorOutput:
        inputs = IndustryInputs(panels, frequency, full_history)
        inputs.read_stock_columns(names)
        kwargs = {name: inputs.get(name) for name in names}
        if window_arg is not None:
            kwargs[window_arg] = window
        for argument, knob in (config_options or {}).items():
            kwargs[argument] = getattr(config, knob)
        return _long(function(**kwargs), window)

    return compute


# The mart each named industry-factor input is read from, so a factor's upstream assets follow from its
# function's signature.
INPUT_SOURCES = {
    "ret": INDUSTRY_DAILY,
    "close": INDUSTRY_DAILY,
    "turnover": INDUSTRY_DAILY,
    "amount": INDUSTRY_DAILY,
    "amplitude": INDUSTRY_DAILY,
    "period_ends": INDUSTRY_DAILY,
    "industry_ret_monthly": INDUSTRY_MONTHLY,
    "period_returns": INDUSTRY_MONTHLY,
    "barra_factor_returns_monthly": BARRA_FACTOR_RETURNS,
    "stock_ret": STOCK_DAILY,
    "stock_float_mcap": STOCK_DAILY,
    "stock_suspended": STOCK_DAILY,
    "stock_industry": STOCK_DAILY,
}


def _positional_inputs(function: Callable) -> list[str]:
    return [n for n, prm in inspect.signature(function).parameters.items() if prm.kind != prm.KEYWORD_ONLY]


def _industry(
    name: str,
    windows: tuple[int, ...],
    window_arg: str | None,
    paper: str,
    description: str,
    lookback: Callable[[int], Lookback],
    frequency: str = "M",
    full_history: bool = False,
    min_coverage: float = 0.5,
    config_options: dict[str, str] | None = None,
    **options,
) -> FactorSpec:
    function = functools.partial(INDUSTRY_MOMENTUM_FACTORS[name], **options)
    return FactorSpec(
        name=name,
        level="industry",
        frequency=frequency,
        windows=windows,
        compute=_industry_factor(function, window_arg, frequency, full_history, config_options),
        inputs=tuple(dict.fromkeys(INPUT_SOURCES[n] for n in _positional_inputs(function))),
        paper=paper,
        description=description,
        lookback=lookback,
        min_coverage=min_coverage,
        config="industry" if config_options else None,
    )


STOCK_FACTORS: list[FactorSpec] = [
    FactorSpec(
        name="mom_12_2",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_mom_12_2,
        inputs=(STOCK_MONTHLY,),
        lookback=lambda window: Lookback(months=13),
        paper="Jegadeesh & Titman (1993); Western Securities (2025) 因子手工作坊(3), MOM^M = prod_{t-12}^{t-2}(1+r)-1",
        description="Stock momentum 12-2: cumulative return over months t-11..t-1 at formation t (skips month t).",
    ),
    FactorSpec(
        name="mom_6_2",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_mom_6_2,
        inputs=(STOCK_MONTHLY,),
        lookback=lambda window: Lookback(months=7),
        paper="Western Securities (2025) 因子手工作坊(3), short-term momentum MOM^s = prod_{t-6}^{t-2}(1+r)-1",
        description="Stock momentum 6-2: cumulative return over months t-5..t-1 at formation t (skips month t).",
    ),
    FactorSpec(
        name="dmom",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_dmom(enhanced=False),
        inputs=(DMOM_FEATURES, STOCK_MONTHLY),
        lookback=None,
        paper="Del Viva, Sala & Souza (2024) 'Directional Information in Equity Returns', LPM eq. (1)",
        description=(
            "Directional momentum: out-of-sample fitted P(r_{t+1} > 0) of a pooled linear probability model on "
            "monthly/weekly/daily positive and negative run durations, lagged idiosyncratic variance and "
            "lagged market excess return; refitted every month on past data only."
        ),
        side_tables=(lpm_table("dmom"),),
        config="dmom",
    ),
    FactorSpec(
        name="dmom_enhanced",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_dmom(enhanced=True),
        inputs=(DMOM_FEATURES, STOCK_MONTHLY),
        lookback=None,
        paper="Western Securities (2025) 因子手工作坊(3): D-MOM LPM plus the stock's lagged return r_{i,t-1}",
        description="Enhanced directional momentum: the D-MOM model with the stock's own month-t return added.",
        side_tables=(lpm_table("dmom_enhanced"),),
        config="dmom",
    ),
]

DAYS = (20, 60, 120, 240)
# history the industry functions reach back beyond their window (their defaults; see each docstring)
LONG_ICIR_WINDOW = 240  # momentum_price_volume_icir: long leg, ICIR over the last 12 rebalances
CROWDING_DAYS = 240  # momentum_rebound_with_crowding_filter: MA5 amount percentile in its own 240 days
ANOMALY_ZSCORE_DAYS = 240  # momentum_pure_liquidity_stripped: time-series z-scores over 240 days
LASSO_TRAIN_MONTHS = 36  # momentum_cross_industry_lasso: last 36 training months
PCA_DAYS = 120  # momentum_pca: explained variance over 120 days, compared with 5 weeks earlier
# The source reports' own windows join the common grid: Haitong's Calmar N = 63 days, Kaiyuan's amplitude
# cut N = 160 days (with lambda = 70%, the function's default).
CALMAR_DAYS = (20, 60, 63, 120, 240)
AMPLITUDE_DAYS = (20, 60, 120, 160, 240)

INDUSTRY_FACTORS: list[FactorSpec] = [
    _industry(
        "momentum",
        DAYS,
        "window",
        "Moskowitz & Grinblatt (1999) industry momentum: P_t/P_{t-N} - 1",
        "Industry momentum: cap-weighted industry index return over the last N trading days.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
    _industry(
        "momentum_zscore",
        DAYS,
        "window",
        "Orient Securities (2022-12-01) 量化策略研究之六: mean of the daily cross-industry z-score",
        "Mean over the last N days of the daily cross-industry z-score of industry returns.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
    _industry(
        "momentum_rank_zscore",
        DAYS,
        "window",
        "Orient Securities (2022-12-01) 量化策略研究之六: (Rank-(N+1)/2)/sqrt((N+1)(N-1)/12)",
        "Mean over the last N days of the standardized daily cross-industry rank of returns.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
    _industry(
        "momentum_sharpe",
        DAYS,
        "window",
        "Orient Securities (2022-12-01) 量化策略研究之六: mean(r)/std(r)",
        "Mean over standard deviation of the industry's daily returns over the last N days.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
    _industry(
        "momentum_calmar_ratio",
        CALMAR_DAYS,
        "window",
        "Haitong Securities (2018-04-11) 行业轮动系列7: Calmar = ann. return / |MDD|",
        "Annualized N-day return over the absolute maximum drawdown of the N+1 closes.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
    _industry(
        "momentum_turnover_adj",
        DAYS,
        "window",
        "Orient Securities (2022-12-01) 量化策略研究之六: mean/std of r_d / turnover_d",
        "Turnover-adjusted momentum: mean/std over N days of daily return divided by turnover.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
    _industry(
        "momentum_price_volume_icir",
        (20,),
        "short_window",
        "Changjiang Securities (2022-04-06) 行业轮动(五) 动量篇: amount-cleaned + path-efficiency, ICIR-weighted",
        "Short (20d) and long (240d) momentum cleaned of the top-10% amount days and scaled by path "
        "efficiency, blended by the ICIR of their past rank ICs (past rebalances only).",
        full_history=True,
        lookback=lambda w: Lookback(months=13, days=LONG_ICIR_WINDOW + 1),
    ),
    _industry(
        "momentum_rebound_with_crowding_filter",
        DAYS,
        "window",
        "Huaxin Securities (2024-06-24) 动量、拥挤度、轮动速率的统一",
        "z(N-day return) + z(rebound from the N-day low); the 15% most crowded industries (MA5 amount "
        "percentile in its own 240-day history) are removed.",
        lookback=lambda w: Lookback(days=max(w + 1, CROWDING_DAYS + 5)),
    ),
    _industry(
        "momentum_amplitude_cut",
        AMPLITUDE_DAYS,
        "window",
        "Kaiyuan Securities (2020-07-21) 开源量化评论(3): low-amplitude-day momentum",
        "Sum of log returns of the 70% lowest-amplitude (high/low - 1) days among the last N days, divided "
        "by the std of the last 20 daily log returns (Mom_raw / Vol_recent). Setting "
        "MOMENTUM_INDUSTRY_AMPLITUDE_CUT_VOL_SCALE=false (industry.amplitude_cut_vol_scale) gives the "
        "report's undivided sum.",
        lookback=lambda w: Lookback(days=max(w, 20) + 1),
        config_options={"vol_scale": "amplitude_cut_vol_scale"},
    ),
    _industry(
        "momentum_pure_liquidity_stripped",
        DAYS,
        "window",
        "Everbright Securities 再论动量因子: residual of R on turnover and volatility anomalies",
        "N-day return residual of a cross-industry OLS on turnover and volatility anomaly z-scores.",
        lookback=lambda w: Lookback(days=w + ANOMALY_ZSCORE_DAYS),
    ),
    _industry(
        "momentum_residual",
        (36, 12),
        "lookback",
        "Industrial Securities (2022-03-27); Blitz, Huij & Martens (2011) residual momentum",
        "Current-month residual of a rolling regression (36 or 12 months) of the industry's monthly "
        "return on the Barra style factor returns.",
        lookback=lambda w: Lookback(months=w + 1),
    ),
    _industry(
        "momentum_cross_industry_lasso",
        (0,),
        None,
        "Orient Securities (2022-12-01) 量化策略研究之六: Lasso lead-lag, LassoLarsIC(criterion='aic')",
        "Per-industry Lasso (AIC) forecast of next-month excess return from all industries' "
        "current-month excess returns, trained on the last 36 months (fallback: historical mean).",
        n_jobs=-1,
        lookback=lambda w: Lookback(months=LASSO_TRAIN_MONTHS + 2),
    ),
    _industry(
        "momentum_industry_component",
        (1, 3, 6, 12, 24, 36),
        "months",
        "Orient Securities (2022-12-01) 量化策略研究之六: constituent momentum mu/sigma",
        "Mean over dispersion of the point-in-time constituents' N-month cumulative returns.",
        lookback=lambda w: Lookback(days=w * 21 + 1),
    ),
    _industry(
        "momentum_pca",
        (10,),
        "mom_window",
        "Industrial Securities (2024-04) 分歧和共振: PcaMom = Mom_10d x PcaScore_t / PcaScore_{t-5}",
        "Weekly: 10-day momentum times the change in the first-two-PC explained variance of the "
        "top constituents' daily returns over 120 days (concentration rising = resonance). Constituents "
        "missing on more than 20% of the 120 days are left out; an industry with fewer than 8 stocks with "
        "such a full window is dropped that week (no value); from the rest, the largest covering 80% of "
        "their float cap (8-50 names) enter the PCA. Dated on the last trading day of each week.",
        frequency="W",
        # an industry needs enough listed constituents for the PCA: about a third of them score
        min_coverage=0.25,
        lookback=lambda w: Lookback(days=PCA_DAYS + 5 * 5 + w),
    ),
    _industry(
        "momentum_lead_lag_enhanced",
        DAYS,
        "window",
        "Everbright Securities (2018-05-28) 行业轮动：从动量谈起: AugMom = |Lead| x industry return",
        "Industry N-day return times the absolute leader-minus-follower (top/bottom half by float cap) "
        "spread, normalized by constituent dispersion and turnover.",
        lookback=lambda w: Lookback(days=w + 1),
    ),
]

FACTORS: list[FactorSpec] = [*STOCK_FACTORS, *INDUSTRY_FACTORS]


def factor(name: str) -> FactorSpec:
    for spec in FACTORS:
        if spec.name == name:
            return spec
    raise KeyError(f"no registered factor {name!r}; known: {[s.name for s in FACTORS]}")
