"""Performance statistics of a per-period return series (simple returns, decimals).

Conventions: missing periods are dropped from means and
standard deviations (std ddof=1) and count as flat (0 return) on compounded curves, which gives the same
curve as dropping them. Sharpe has no risk-free rate: the series evaluated are self-financing spreads or
excess returns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.evaluation.ic import check_periods_per_year


def _clean(returns: pd.Series) -> pd.Series:
    values = pd.Series(returns, dtype=float)
    if np.isinf(values).any():
        raise ValueError("returns contain inf; expected simple returns in decimals")
    return values.dropna()


def annualized_return(returns: pd.Series, periods_per_year: int) -> float:
    """Geometric annualized return: ``prod(1 + r) ** (periods_per_year / n) - 1`` over n non-missing periods."""
    check_periods_per_year(periods_per_year)
    values = _clean(returns)
    if values.empty:
        return float("nan")
    growth = float(np.prod(1.0 + values.to_numpy()))
    if growth <= 0:
        return -1.0  # wiped out: the geometric rate is -100% (a fractional power of <= 0 is undefined)
    return growth ** (periods_per_year / values.size) - 1.0


def annualized_mean_return(returns: pd.Series, periods_per_year: int) -> float:
    """Arithmetic annualized return: ``mean(r) * periods_per_year``.

    qlib ``risk_analysis`` / ``SigAnaRecord`` ("Long-Short Ann Return" = mean x 252); this is the
    convention of the evaluation summary's ``*_ann_return`` keys.
    """
    check_periods_per_year(periods_per_year)
    values = _clean(returns)
    return float(values.mean()) * periods_per_year if values.size else float("nan")


def annualized_volatility(returns: pd.Series, periods_per_year: int) -> float:
    """``std(r, ddof=1) * sqrt(periods_per_year)``."""
    check_periods_per_year(periods_per_year)
    values = _clean(returns)
    return float(values.std(ddof=1) * np.sqrt(periods_per_year)) if values.size > 1 else float("nan")


def sharpe_ratio(returns: pd.Series, periods_per_year: int) -> float:
    """Annualized Sharpe ratio ``mean(r) / std(r, ddof=1) * sqrt(periods_per_year)`` (qlib IR; no risk-free);
    NaN for a constant series (pandas' std of identical values can be ~1e-17, which gave Sharpe ratios of ~1e16)."""
    check_periods_per_year(periods_per_year)
    values = _clean(returns)
    if values.size < 2:
        return float("nan")
    std = 0.0 if values.nunique() == 1 else float(values.std(ddof=1))  # constant: no risk, not a ~1e-17 one
    return float(values.mean() / std * np.sqrt(periods_per_year)) if std > 0 else float("nan")


def cumulative_returns(returns: pd.Series) -> pd.Series:
    """Compounded cumulative return ``prod_{s<=t}(1 + r_s) - 1`` per period (a missing period is flat)."""
    values = pd.Series(returns, dtype=float)
    if np.isinf(values).any():
        raise ValueError("returns contain inf; expected simple returns in decimals")
    return (1.0 + values.fillna(0.0)).cumprod() - 1.0


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough fall of the compounded curve ``prod(1 + r)``, starting from wealth 1.

    Returns a number in [-1, 0] (e.g. -0.5 = lost half from the peak); 0 when the curve never falls, -1
    when a spread's period loss beyond -100% wipes the curve out. Unlike qlib ``risk_analysis`` (which uses
    cumsum) the curve is compounded.
    """
    values = _clean(returns)
    if values.empty:
        return float("nan")
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + values.to_numpy())])
    peak = np.maximum.accumulate(wealth)
    return float(np.clip(np.min(wealth / peak - 1.0), -1.0, 0.0))
