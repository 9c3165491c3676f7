"""Stock price momentum: cumulative past return skipping the most recent month ("prior 12-2")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.validate import require_consecutive_months, require_simple_returns, require_wide_panel


def require_monthly_panel(panel: pd.DataFrame, name: str) -> None:
    """Raise ValueError unless ``panel`` is a wide panel of numeric simple returns with one row per
    consecutive calendar month: monthly lags are row offsets, so a missing month would stretch a window."""
    require_wide_panel(panel, name)
    require_consecutive_months(panel, name)
    if not all(np.issubdtype(dt, np.number) for dt in panel.dtypes):
        raise ValueError(f"{name} must hold numeric returns")
    require_simple_returns(panel, name)


def momentum(
    monthly_ret: pd.DataFrame, *, start_lag: int = 12, end_lag: int = 2, min_valid: int | None = None
) -> pd.DataFrame:
    """Cumulative return over holding-month lags ``start_lag..end_lag``: MOM = prod (1 + r) - 1.

    Jegadeesh & Titman (1993) / Fama-French "prior 12-2"; Western Securities (2025-09-15) 因子手工作坊(3)
    eq. MOM^M_{i,t} = prod_{k=t-12}^{t-2} (1 + r_{i,k}) - 1 (and MOM^s with k = t-6..t-2), where t is the
    HOLDING month (as in the replication's ``MOM = exp(l2.lgret + ... + l12.lgret) - 1``).

    Month mapping in our convention: the value at period_end t is formed at the close of month t and
    held over month t+1 = the report's t. So the window is months t+1-start_lag .. t+1-end_lag, i.e. for
    12-2 the 11 returns of months t-11 .. t-1, skipping month t itself (the most recent month); for 6-2
    the 5 returns of months t-5 .. t-1.

    ``monthly_ret``: wide panel, index = consecutive month period_ends, columns = stock_id, simple
    returns. Returns a wide panel of the same shape. ``min_valid`` (default None = all months of the
    window must be present, our choice; D&M's >=8-of-11 rule belongs to WML): with fewer than ``min_valid``
    present months the value is NaN; otherwise missing months count as a zero return.
    """
    require_monthly_panel(monthly_ret, "monthly_ret")
    if not (isinstance(start_lag, int) and isinstance(end_lag, int) and start_lag > end_lag >= 1):
        raise ValueError(f"need integers start_lag > end_lag >= 1, got start_lag={start_lag}, end_lag={end_lag}")
    n_months = start_lag - end_lag + 1
    min_valid = n_months if min_valid is None else min_valid
    if not 1 <= min_valid <= n_months:
        raise ValueError(f"min_valid must be in 1..{n_months}, got {min_valid}")
    growth = 1.0 + monthly_ret.astype(np.float64)
    product = pd.DataFrame(1.0, index=monthly_ret.index, columns=monthly_ret.columns)
    count = pd.DataFrame(0, index=monthly_ret.index, columns=monthly_ret.columns)
    # Row shift s = holding-month lag - 1; a loop over <= 11 shifts, each vectorized over the panel.
    for shift in range(end_lag - 1, start_lag):
        lagged = growth.shift(shift)
        product *= lagged.fillna(1.0)
        count += lagged.notna()
    return (product - 1.0).where(count >= min_valid)


def mom_12_2(monthly_ret: pd.DataFrame, *, min_valid: int | None = None) -> pd.DataFrame:
    """Prior 12-2 momentum (Jegadeesh-Titman 1993; Western Securities 2025 MOM^M): months t-11..t-1."""
    return momentum(monthly_ret, start_lag=12, end_lag=2, min_valid=min_valid)


def mom_6_2(monthly_ret: pd.DataFrame, *, min_valid: int | None = None) -> pd.DataFrame:
    """Prior 6-2 momentum (Western Securities 2025 MOM^s, k = t-6..t-2): months t-5..t-1."""
    return momentum(monthly_ret, start_lag=6, end_lag=2, min_valid=min_valid)
