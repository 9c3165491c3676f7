"""The factor registry: every factor declared once.

Each :class:`FactorSpec` names the factor, its level (stock or industry), frequency, windows, the marts it
reads, the ``core/`` function that computes it and the paper it comes from. The factor-panel assets, their
evaluation assets, the reports and the report index are generated from this list (``assets/factors.py``),
so adding a factor is one ``core/`` function and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from momentum_dag.core import stock_momentum
from momentum_dag.core.dmom import dmom_forecasts, dmom_regressors, idiosyncratic_variance
from momentum_dag.core.panels import compound_by_period, period_ends, to_long
from momentum_dag.settings import Settings

STOCK_MONTHLY = "marts/stock_returns_monthly"
STOCK_DAILY = "marts/stock_returns_daily"
INDUSTRY_DAILY = "marts/industry_daily"
INDUSTRY_MONTHLY = "marts/industry_monthly"
MARKET_MONTHLY = "marts/market_monthly"
MARKET_DAILY = "staging/stg_market_daily"
BARRA_FACTOR_RETURNS = "barra/factor_returns"


@dataclass(frozen=True)
class FactorOutput:
    """A factor's long rows (``period_end, entity_id, window, value`` + explanations) and side tables."""

    rows: pd.DataFrame
    side_tables: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass(frozen=True)
class FactorSpec:
    """One registered factor.

    ``compute(panels, window, settings)`` gets the warehouse panels of all history before the run's window
    end (``assets.panels.MarketPanels``) and returns values for every period end it can; the asset keeps
    the window. ``side_tables`` names extra tables the factor writes (e.g. ``models.dmom_lpm``).
    """

    name: str
    level: str
    frequency: str
    windows: tuple[int, ...]
    compute: Callable
    inputs: tuple[str, ...]
    paper: str
    description: str
    side_tables: tuple[str, ...] = ()

    @property
    def n_quantiles(self) -> int:
        return 10 if self.level == "stock" else 5

    @property
    def periods_per_year(self) -> int:
        return 12 if self.frequency == "M" else 52


def _long(wide: pd.DataFrame, window: int) -> FactorOutput:
    return FactorOutput(to_long(wide, window=window))


# ---- stock factors --------------------------------------------------------------------------------


def _mom_12_2(panels, window: int, settings: Settings) -> FactorOutput:
    return _long(stock_momentum.mom_12_2(panels.stock_monthly("ret")), window)


def _mom_6_2(panels, window: int, settings: Settings) -> FactorOutput:
    return _long(stock_momentum.mom_6_2(panels.stock_monthly("ret")), window)


def complete_weeks(daily_ret: pd.DataFrame) -> pd.DataFrame:
    """Weekly (Monday-start) compounded returns of the weeks complete in the data.

    The last week is dropped when its Friday lies after the last date of the data: it is still in
    progress, and using it would make a value at t depend on whether later days have been loaded.
    """
    weekly = compound_by_period(daily_ret, "W")
    last_day = daily_ret.index.max()
    last_monday = last_day - pd.Timedelta(days=last_day.dayofweek)
    if last_monday + pd.Timedelta(days=4) > last_day:
        weekly = weekly.loc[weekly.index < last_monday]
    return weekly


def _dmom(enhanced: bool) -> Callable:
    def compute(panels, window: int, settings: Settings) -> FactorOutput:
        daily = panels.stock_daily("ret")
        monthly = panels.stock_monthly("ret")
        market = panels.market_daily
        idio = idiosyncratic_variance(panels.stock_daily("excess_ret"), market["market_excess"])
        regressors = dmom_regressors(
            daily, complete_weeks(daily), monthly, idio, panels.market_monthly["market_excess"]
        )
        forecasts, coefficients = dmom_forecasts(
            regressors,
            monthly,
            scheme=settings.dmom_scheme,
            window=settings.dmom_rolling_window,
            min_months=settings.dmom_min_months,
            enhanced=enhanced,
        )
        name = "dmom_enhanced" if enhanced else "dmom"
        coefficients = coefficients.assign(scheme=settings.dmom_scheme)
        return FactorOutput(forecasts, {f"models.{name}_lpm": coefficients})

    return compute


# ---- industry factors -----------------------------------------------------------------------------


def _industry_daily_factor(function: Callable, *columns: str) -> Callable:
    """Adapter for industry factors of daily industry series evaluated at month ends."""

    def compute(panels, window: int, settings: Settings) -> FactorOutput:
        ret = panels.industry_daily("ret_cw")
        inputs = {"close": (1 + ret.fillna(0.0)).cumprod(), "ret": ret}
        for column in columns:
            inputs[column] = panels.industry_daily(column)
        ends = period_ends(ret.index, "M")
        wide = function(**{c: inputs[c] for c in ("close", "ret", *columns) if c in _params(function)},
                        period_ends=ends, window=window)
        return _long(wide, window)

    return compute


def _params(function: Callable) -> set[str]:
    import inspect

    return set(inspect.signature(function).parameters)


STOCK_FACTORS: list[FactorSpec] = [
    FactorSpec(
        name="mom_12_2",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_mom_12_2,
        inputs=(STOCK_MONTHLY,),
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
        paper="Western Securities (2025) 因子手工作坊(3), short-term momentum MOM^s = prod_{t-6}^{t-2}(1+r)-1",
        description="Stock momentum 6-2: cumulative return over months t-5..t-1 at formation t (skips month t).",
    ),
    FactorSpec(
        name="dmom",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_dmom(enhanced=False),
        inputs=(STOCK_MONTHLY, STOCK_DAILY, MARKET_MONTHLY, MARKET_DAILY),
        paper="Del Viva, Sala & Souza (2024) 'Directional Information in Equity Returns', LPM eq. (1)",
        description=(
            "Directional momentum: out-of-sample fitted P(r_{t+1} > 0) of a pooled linear probability model on "
            "monthly/weekly/daily positive and negative run durations, lagged idiosyncratic variance and "
            "lagged market excess return; refitted every month on past data only."
        ),
        side_tables=("models.dmom_lpm",),
    ),
    FactorSpec(
        name="dmom_enhanced",
        level="stock",
        frequency="M",
        windows=(0,),
        compute=_dmom(enhanced=True),
        inputs=(STOCK_MONTHLY, STOCK_DAILY, MARKET_MONTHLY, MARKET_DAILY),
        paper="Western Securities (2025) 因子手工作坊(3): D-MOM LPM plus the stock's lagged return r_{i,t-1}",
        description="Enhanced directional momentum: the D-MOM model with the stock's own month-t return added.",
        side_tables=("models.dmom_enhanced_lpm",),
    ),
]

FACTORS: list[FactorSpec] = [*STOCK_FACTORS]


def factor(name: str) -> FactorSpec:
    for spec in FACTORS:
        if spec.name == name:
            return spec
    raise KeyError(f"no registered factor {name!r}; known: {[s.name for s in FACTORS]}")
