"""Return-sign durations: length of the current run of strictly positive / strictly negative returns.

Del Viva, Sala & Souza (2024), "Directional Information in Equity Returns" (SSRN 4575793), Section 2:
the duration regressors P^{m,w,d} and N^{m,w,d}. Replication code andrebmsouza/dier-replication,
``Preparing_{Daily,Weekly,Monthly}_Variables.do`` and ``Aggregate_Data.do``: ND_1 = 1[r_t < 0],
ND_{j+1} = ND_j * 1[r_{t-j} < 0] and MN = sum_{j=1..12} ND_j, i.e. the run length capped at 12.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.validate import require_wide_panel

DEFAULT_CAP = 12


def run_lengths_at(values: np.ndarray, rows: np.ndarray, *, cap: int = DEFAULT_CAP) -> tuple[np.ndarray, np.ndarray]:
    """Current positive and negative run lengths (capped) ending at the given row positions.

    ``values`` is a (T x N) float array of returns in time order, NaN where the entity did not trade;
    ``rows`` are row positions to evaluate (``-1`` = no row available: both runs are 0). Returns two
    (len(rows) x N) int arrays.

    Del Viva, Sala & Souza (2024), duration variables: run = sum_{j=1..cap} prod_{k<j} 1[sign r_{t-k}],
    where t-k runs over the entity's OWN periods with a return (the replication lags over each stock's
    trading days, so a suspension is skipped, not a break): a run ending at row r ends at the entity's
    last return at or before r. A zero return is neither positive nor negative, so it breaks a run.
    Loops over at most ``cap`` lags (each step vectorized over all rows and entities), so only the rows
    asked for are touched: evaluating daily runs at month ends never scans the full daily panel.
    """
    if cap < 1:
        raise ValueError(f"cap must be >= 1, got {cap}")
    rows = np.asarray(rows, dtype=np.int64)
    n_rows, n_cols = len(rows), values.shape[1]
    present = np.isfinite(values)
    # Each column's returns packed to the top in time order, and how many there are up to each row.
    packed = np.take_along_axis(values, np.argsort(~present, axis=0, kind="stable"), axis=0)
    n_before = np.zeros((n_rows, n_cols), dtype=np.int64)
    n_before[rows >= 0] = present.cumsum(axis=0)[rows[rows >= 0]]
    columns = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    pos_alive = n_before > 0
    neg_alive = pos_alive.copy()
    pos_run = np.zeros((n_rows, n_cols), dtype=np.int64)
    neg_run = np.zeros((n_rows, n_cols), dtype=np.int64)
    for lag in range(cap):
        at = n_before - 1 - lag
        ok = at >= 0
        lagged = np.full((n_rows, n_cols), np.nan)
        lagged[ok] = packed[at[ok], columns[ok]]
        with np.errstate(invalid="ignore"):
            pos_alive &= lagged > 0
            neg_alive &= lagged < 0
        pos_run += pos_alive
        neg_run += neg_alive
        if not (pos_alive.any() or neg_alive.any()):
            break
    return pos_run, neg_run


def run_durations(returns: pd.DataFrame, *, cap: int = DEFAULT_CAP) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Positive and negative return-run durations for every row of a wide return panel.

    Del Viva, Sala & Souza (2024) duration regressors P and N (replication: MP = sum_{j=1..12} MPD_j).
    ``returns``: wide panel (index = sorted unique dates, columns = entity ids) of simple returns at any
    frequency (daily, weekly, monthly). Returns ``(positive_run, negative_run)``, two float64 wide panels
    with the same index and columns: the length of the current run of STRICTLY positive (negative)
    returns ending at each row, capped at ``cap``. Rows count as consecutive in the panel's own order,
    so a monthly run continues across month (and year) boundaries.

    Choices: a zero return breaks both runs (replication: ND_j uses 1[RET < 0], 1[RET > 0]; zeros are
    neither). A missing return (NaN: the entity did not trade, e.g. a suspended day) is skipped, as in the
    replication, which drops missing daily rows and lags over the stock's own trading days; at a missing
    row the run is the one ending at the entity's last return.
    """
    require_wide_panel(returns, "returns")
    values = returns.to_numpy(dtype=np.float64)
    pos, neg = run_lengths_at(values, np.arange(len(returns)), cap=cap)
    pos_df = pd.DataFrame(pos.astype(np.float64), index=returns.index, columns=returns.columns)
    neg_df = pd.DataFrame(neg.astype(np.float64), index=returns.index, columns=returns.columns)
    return pos_df, neg_df
