"""Basic industry momentum factors (sell-side industry momentum, family 1: "how to measure momentum").

Seed names: ``momentum``, ``momentum_zscore``, ``momentum_rank_zscore``, ``momentum_sharpe``,
``momentum_calmar_ratio``. Monthly rebalance, windows 20/60/120/240 trading days, warm-up = window days.
 Inputs are industry daily wide panels (index trade_date, columns
industry_code); each function returns a period_end x industry panel on the given ``period_ends``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.industry.common import (
    check_positive_int,
    lagged_ratio,
    period_positions,
    rolling_mean,
    rolling_mean_over_std,
    trailing_block,
    wide,
    zscore_cs,
)
from momentum_dag.core.validate import require_wide_panel

TRADING_DAYS_PER_YEAR = 240  # Haitong (2018-04-11) annualizes the Calmar return with 240 days


def momentum(close: pd.DataFrame, period_ends: pd.DatetimeIndex, *, window: int = 20) -> pd.DataFrame:
    """Traditional industry momentum ``P_t / P_{t-window} - 1`` (``momentum``).

    Window price momentum (Jegadeesh and Titman 1993, JF 48(1)) on industry indices, as in Moskowitz and
    Grinblatt (1999, JF 54(4)) "Do industries explain momentum?".
    ``close`` is the daily industry index level; warm-up: window + 1 closes.
    """
    require_wide_panel(close, "close")
    check_positive_int("window", window)
    pos = period_positions(close.index, period_ends)
    return wide(lagged_ratio(close, pos, window), period_ends, close.columns)


def momentum_zscore(ret: pd.DataFrame, period_ends: pd.DatetimeIndex, *, window: int = 20) -> pd.DataFrame:
    """Mean over the window of the daily cross-sectional z-score of industry returns (``momentum_zscore``).

    Orient Securities 2022-12-01, 量化策略研究之六: z_d = (r_d - mean_cs) / std_cs
    (ddof=1; a day with all-equal returns scores 0), factor = mean(z_{t-window+1..t}).
    Warm-up: window daily returns, all present.
    """
    require_wide_panel(ret, "ret")
    check_positive_int("window", window)
    pos = period_positions(ret.index, period_ends)
    return wide(rolling_mean(zscore_cs(ret), window)[pos], period_ends, ret.columns)


def standardized_rank(ret: pd.DataFrame) -> pd.DataFrame:
    """Daily cross-sectional rank standardized as (Rank - (N+1)/2) / sqrt((N+1)(N-1)/12).

    Orient Securities 2022-12-01: the mean and std of a uniform rank on 1..N, so the
    score is comparable when N varies; ties take the average rank; N < 2 -> NaN.
    """
    rank = ret.rank(axis=1, method="average")
    n = ret.notna().sum(axis=1)
    scale = np.sqrt((n + 1) * (n - 1).clip(lower=0) / 12.0).where(n >= 2)  # N = 0 would take sqrt(-1/12)
    return rank.sub((n + 1) / 2.0, axis=0).div(scale, axis=0)


def momentum_rank_zscore(ret: pd.DataFrame, period_ends: pd.DatetimeIndex, *, window: int = 20) -> pd.DataFrame:
    """Mean over the window of the daily standardized cross-sectional rank (``momentum_rank_zscore``).

    Orient Securities 2022-12-01, 量化策略研究之六: z_d = (Rank_d - (N+1)/2) / sqrt((N+1)(N-1)/12),
    factor = mean(z_{t-window+1..t}). Warm-up: window daily returns, all present.
    """
    require_wide_panel(ret, "ret")
    check_positive_int("window", window)
    pos = period_positions(ret.index, period_ends)
    return wide(rolling_mean(standardized_rank(ret).to_numpy(), window)[pos], period_ends, ret.columns)


def momentum_sharpe(ret: pd.DataFrame, period_ends: pd.DatetimeIndex, *, window: int = 20) -> pd.DataFrame:
    """Sharpe momentum: mean / std (ddof=1) of the window's daily returns (``momentum_sharpe``).

    Orient Securities 2022-12-01, 量化策略研究之六. No annualization (a monotone rescaling only).
    Zero std -> NaN. Warm-up: window daily returns, all present.
    """
    require_wide_panel(ret, "ret")
    check_positive_int("window", window, minimum=2)
    pos = period_positions(ret.index, period_ends)
    return wide(rolling_mean_over_std(ret, window).to_numpy()[pos], period_ends, ret.columns)


def path_max_drawdown(block: np.ndarray) -> np.ndarray:
    """Max over the path of (running max - P) / running max, along axis 1 of (P x days x entities) levels."""
    peak = np.maximum.accumulate(block, axis=1)
    return np.max((peak - block) / peak, axis=1)


def momentum_calmar_ratio(
    close: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    window: int = 63,
    mdd_floor: float = 1e-3,
    periods_per_year: int = TRADING_DAYS_PER_YEAR,
) -> pd.DataFrame:
    """Calmar momentum: annualized window return / |max drawdown| (``momentum_calmar_ratio``).

    Haitong Securities 2018-04-11, 行业轮动系列研究7:
    ann = (1 + R_N)^(240/N) - 1, R_N = P_t/P_{t-N} - 1; MDD = max of (cummax - P)/cummax over the N+1
    closes P_{t-N..t}; Calmar = ann / |MDD|. Default N = 63 (the report's recommendation).
    Choice: MDD = 0 (a path that never fell) would divide by zero; the reference code drops it (NaN),
    which removes the steadiest industry. Here MDD is floored at ``mdd_floor`` (0.1%) so that industry
    keeps the top rank with a finite value. Warm-up: window + 1 closes, all present.
    """
    require_wide_panel(close, "close")
    check_positive_int("window", window)
    if not mdd_floor > 0:
        raise ValueError(f"mdd_floor must be > 0, got {mdd_floor!r}")
    pos = period_positions(close.index, period_ends)
    block = trailing_block(close.to_numpy(dtype=float), pos, window + 1)
    with np.errstate(invalid="ignore"):
        mdd = path_max_drawdown(block)
    growth = block[:, -1, :] / block[:, 0, :]
    annualized = growth ** (periods_per_year / window) - 1.0
    return wide(annualized / np.maximum(mdd, mdd_floor), period_ends, close.columns)
