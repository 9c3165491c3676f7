"""A-share tradability at formation: which stocks may enter a portfolio.

A-share momentum studies drop, at the formation date, stocks that are suspended, under special treatment
(ST), at limit-up (they cannot be bought) or listed for fewer than N trading days; each filter is a
switch. Inputs are wide (formation date x stock) panels of the formation-day flags.
"""

from __future__ import annotations

import pandas as pd


def tradable_mask(
    is_suspended: pd.DataFrame,
    is_st: pd.DataFrame,
    is_limit_up: pd.DataFrame,
    listed_days: pd.DataFrame,
    *,
    exclude_suspended: bool,
    exclude_st: bool,
    exclude_limit_up: bool,
    min_listed_days: int,
) -> pd.DataFrame:
    """True where a stock may enter a portfolio formed at that date.

    A stock without a bar that day (``is_suspended`` missing) is never tradable; a missing ST or limit-up
    flag counts as set, a missing listing age as 0 days, so missing data never lets a stock in.
    """
    tradable = is_suspended.notna()
    if exclude_suspended:
        tradable &= is_suspended.fillna(True).eq(False)
    if exclude_st:
        tradable &= is_st.reindex_like(is_suspended).fillna(True).eq(False)
    if exclude_limit_up:
        tradable &= is_limit_up.reindex_like(is_suspended).fillna(True).eq(False)
    if min_listed_days > 0:
        tradable &= listed_days.reindex_like(is_suspended).fillna(0) >= min_listed_days
    return tradable.astype(bool)
