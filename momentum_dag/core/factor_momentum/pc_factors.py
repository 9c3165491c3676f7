"""Factor momentum on principal-component factors (Ehsani & Linnainmaa 2022, JF 77(3), section II.B, Table IV).

For each formation month t:
1. eigenvectors of the CORRELATION matrix of daily factor returns from the start of the sample through t
   (expanding; days where every factor has a return);
2. monthly PC returns r^pc_{k,s} = sum_j v^k_j r_{j,s} for months s <= t+1 (raw factor returns, as in E-L);
3. each PC is demeaned and levered with months <= t so its mean through t is 0 and its variance equals the
   average individual factor's monthly variance through t: pc*_{k,s} = c_k (r^pc_{k,s} - m_k);
4. signal s_k = sign(mean of pc*_k over t-11..t) (12 months including t; sign 0 = no position);
5. in t+1 each PC group (PC1-10, 11-20, ... by descending eigenvalue) earns the equal-weight mean of
   s_k pc*_{k,t+1} over its PCs with a position.

Because step 3 subtracts the in-sample mean, pc*_{k,t+1} is not a traded return: the strategy return is
w_g' r_{t+1} - offset_g with factor weights w_g = mean_k s_k c_k v^k and offset_g = mean_k s_k c_k m_k, all
known at t (``pc_momentum_positions``). Eigenvector signs are arbitrary; each is flipped so that its
largest-|loading| entry is positive (stable month to month; the strategy return does not depend on it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.factor_momentum.portfolios import MOMENTUM_FACTORS
from momentum_dag.core.factor_momentum.signals import select_factors
from momentum_dag.core.validate import float_panel

OFFSET = "offset"


def default_pc_groups(n_factors: int) -> tuple[tuple[int, int], ...]:
    """E-L groups PC1-10, 11-20, ... (last clipped to ``n_factors``); with fewer than 20 factors, two halves.

    Halves: PC1..floor(N/2) and floor(N/2)+1..N (12 factors -> PC1-6, PC7-12); one factor -> PC1-1.
    """
    if n_factors < 1:
        raise ValueError("need at least one factor")
    if n_factors == 1:
        return ((1, 1),)
    if n_factors < 20:
        half = n_factors // 2
        return ((1, half), (half + 1, n_factors))
    return tuple((start, min(start + 9, n_factors)) for start in range(1, n_factors + 1, 10))


def _clip_groups(groups: tuple[tuple[int, int], ...], n_factors: int) -> tuple[tuple[int, int], ...]:
    clipped = []
    for first, last in groups:
        if not 1 <= first <= last:
            raise ValueError(f"PC group {(first, last)} must satisfy 1 <= first <= last (1-based, inclusive)")
        if first <= n_factors:
            clipped.append((first, min(last, n_factors)))
    if not clipped:
        raise ValueError(f"no PC group starts within the {n_factors} factors")
    return tuple(clipped)


def group_name(group: tuple[int, int]) -> str:
    """Column name of a PC group, e.g. (1, 10) -> ``pc1_10``."""
    return f"pc{group[0]}_{group[1]}"


def correlation_eigenvectors(daily_returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors (columns) of the correlation matrix of daily returns.

    numpy ``eigh`` on ``corrcoef``; each eigenvector's largest-|loading| entry is made positive.
    """
    corr = np.corrcoef(daily_returns, rowvar=False)
    if not np.isfinite(corr).all():
        raise ValueError("daily factor returns have a constant column: correlation matrix undefined")
    values, vectors = np.linalg.eigh(corr)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    anchor = vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])]
    return values, vectors * np.where(anchor < 0, -1.0, 1.0)


def _aligned_inputs(
    daily_factor_returns: pd.DataFrame, monthly_factor_returns: pd.DataFrame, exclude: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    monthly = select_factors(monthly_factor_returns, exclude)
    daily = float_panel(daily_factor_returns, "daily_factor_returns")
    missing = [f for f in monthly.columns if f not in daily.columns]
    if missing:
        raise ValueError(f"daily_factor_returns lacks factors {missing}")
    return daily[list(monthly.columns)], monthly


def pc_momentum_positions(
    daily_factor_returns: pd.DataFrame,
    monthly_factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    min_days: int = 252,
    min_months: int = 36,
    groups: tuple[tuple[int, int], ...] | None = None,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
    formation_dates: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Positions of the PC factor momentum strategies formed at each month end t (E-L 2022, Table IV).

    Args:
        daily_factor_returns: trade date x factor daily returns.
        monthly_factor_returns: month end x factor monthly returns (same factors), consecutive months.
        lookback: months in the signal window t-lookback+1..t.
        min_days: complete daily rows through t needed for the correlation matrix.
        min_months: complete monthly rows through t needed to demean and lever (> lookback, else every
            signal window is the whole history and its demeaned mean is 0).
        groups: 1-based inclusive PC ranges; None = ``default_pc_groups``; ends clipped to the factor count.
        exclude: factor names left out (default: the stock-momentum factor, as E-L exclude UMD).
        formation_dates: month ends at which to form positions (None: every month). Each formation uses
            the data through its own t only, so a subset gives the same positions as the whole history.

    Returns:
        index (period_end = formation month t, group name), columns = factor weights w_g plus ``offset``;
        the group's return over t+1 is w_g' r_{t+1} - offset. Months without enough history are absent; a
        group with no nonzero signal has all-NaN weights.
    """
    daily, monthly = _aligned_inputs(daily_factor_returns, monthly_factor_returns, exclude)
    if not min_months > lookback >= 1:
        raise ValueError(f"need min_months > lookback >= 1, got min_months={min_months}, lookback={lookback}")
    n_factors = monthly.shape[1]
    pc_groups = _clip_groups(groups if groups is not None else default_pc_groups(n_factors), n_factors)
    complete_daily = daily.dropna()
    complete_monthly = monthly.dropna()
    rows = {}
    # Sequential by construction: the eigenvectors and the demean/lever moments are re-estimated each month.
    dates = monthly.index if formation_dates is None else monthly.index[monthly.index.isin(formation_dates)]
    for t in dates:
        window = monthly.loc[:t].tail(lookback)
        history = complete_monthly.loc[:t]
        days = complete_daily.loc[:t]
        if len(window) < lookback or window.isna().any().any():
            continue
        if len(history) < min_months or len(days) < min_days:
            continue
        _, vectors = correlation_eigenvectors(days.to_numpy())
        pcs = history.to_numpy() @ vectors
        mean, std = pcs.mean(axis=0), pcs.std(axis=0, ddof=1)
        target_std = np.sqrt(history.var(ddof=1).mean())
        scale = np.where(std > 1e-12 * target_std, target_std / np.where(std > 0, std, 1.0), np.nan)
        signal = np.sign(((window.to_numpy() @ vectors - mean) * scale).mean(axis=0))
        signal = np.where(signal == 0, np.nan, signal)
        for first, last in pc_groups:
            k = slice(first - 1, last)
            weights = np.nanmean(signal[k] * scale[k] * vectors[:, k], axis=1) if _any(signal[k]) else None
            offset = np.nanmean(signal[k] * scale[k] * mean[k]) if weights is not None else np.nan
            if weights is None:
                weights = np.full(n_factors, np.nan)
            rows[(t, group_name((first, last)))] = np.append(weights, offset)
    index = pd.MultiIndex.from_tuples(list(rows), names=["period_end", "group"])
    return pd.DataFrame(list(rows.values()), index=index, columns=[*monthly.columns, OFFSET])


def _any(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).any())


def pc_factor_momentum(
    daily_factor_returns: pd.DataFrame,
    monthly_factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    min_days: int = 252,
    min_months: int = 36,
    groups: tuple[tuple[int, int], ...] | None = None,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
    formation_dates: pd.DatetimeIndex | None = None,
) -> pd.DataFrame:
    """Monthly returns of PC factor momentum per PC group (E-L 2022, Table IV ``tsmom1`` ... ``tsmom5``).

    See ``pc_momentum_positions`` for the arguments. The return over month t+1 of a group formed at t is
    w_g' r_{t+1} - offset_g, i.e. the EW mean over the group's PCs of s_k times the demeaned, levered PC
    return in t+1. A month t+1 with any factor return missing is NaN.

    Returns:
        index = holding month t+1 (the monthly row after the formation month), columns = group names
        (e.g. ``pc1_10``, ``pc11_20``).
    """
    positions = pc_momentum_positions(
        daily_factor_returns,
        monthly_factor_returns,
        lookback=lookback,
        min_days=min_days,
        min_months=min_months,
        groups=groups,
        exclude=exclude,
        formation_dates=formation_dates,
    )
    return apply_pc_positions(positions, monthly_factor_returns)


def apply_pc_positions(positions: pd.DataFrame, monthly_factor_returns: pd.DataFrame) -> pd.DataFrame:
    """Holding-month returns w_g' r_{t+1} - offset_g of positions from ``pc_momentum_positions``."""
    monthly = float_panel(monthly_factor_returns, "monthly_factor_returns")
    factors = [c for c in positions.columns if c != OFFSET]
    next_month = pd.Series(monthly.index[1:], index=monthly.index[:-1])
    formation = positions.index.get_level_values("period_end")
    keep = formation.isin(next_month.index)
    positions = positions[keep]
    holding = pd.DatetimeIndex(next_month.loc[formation[keep]].to_numpy())
    r_next = monthly.loc[holding, factors].to_numpy()
    values = (positions[factors].to_numpy() * r_next).sum(axis=1) - positions[OFFSET].to_numpy()
    values = np.where(np.isnan(r_next).any(axis=1), np.nan, values)
    long = pd.DataFrame({"date": holding, "group": positions.index.get_level_values("group"), "ret": values})
    wide = long.pivot(index="date", columns="group", values="ret")
    wide = wide[list(dict.fromkeys(long["group"]))]
    wide.columns.name = None
    return wide
