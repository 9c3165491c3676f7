"""Barra CNE5 cross-sectional factor returns: WLS of stock returns on country, industry and style exposures.

Source: MSCI, "Barra China Equity Model (CNE5)" empirical notes (2012), section 2 (factor return
estimation): r_n = f_c + sum_k X_nk f_k + sum_s X_ns f_s + u_n, regression weights sqrt(cap), and the
constraint sum_k w_k f_k = 0 with w_k the cap weight of industry k, which removes the collinearity of the
country factor with the industry dummies (the country factor is then close to the cap-weighted market).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from momentum_dag.core.barra import STYLE_NAMES

COUNTRY = "country"


def factor_returns(
    stock_ret: pd.DataFrame,
    exposures: pd.DataFrame,
    industry: pd.DataFrame,
    float_mcap: pd.DataFrame,
    *,
    styles: Sequence[str] = STYLE_NAMES,
    return_residuals: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Country, industry and style factor returns by cross-sectional WLS, CNE5 style.

    ``exposures``: long rows ``period_end, stock_id`` + ``styles`` (``barra.style_exposures``).
    ``industry`` / ``float_mcap``: monthly wide panels (index period_end, columns stock_id) holding each
    stock's industry code and float cap at t. ``stock_ret``: wide simple returns, either monthly (index =
    period_end) or daily (index = trade_date). Every return row dated in the calendar month after an
    exposure date t is regressed on the exposures at t, so a monthly row is the return over month t+1
    indexed by t+1's period_end and daily rows are each day of month t+1.

    Per period: r = f_country + D f_industry + X f_style + u, weights sqrt(float cap at t), subject to
    sum_k c_k f_k = 0 with c_k = float cap of industry k among the stocks in that regression (CNE5
    constraint, imposed by substituting out the last industry). A stock enters only with every style
    exposure, an industry and float cap > 0 at t; no missing exposure is filled. Industries with no stock
    in a regression get NaN. A period with no more stocks than coefficients, or a rank-deficient design,
    is NaN.

    Daily rows share one design per month, so the month is solved once with all its days as right-hand
    sides; days on which some stocks miss a return are grouped by their missing-stock pattern and each
    pattern is solved once on the stocks present (a per-day solve only when patterns differ).

    Returns a DataFrame indexed by the return dates, columns ``country``, the industry codes (sorted, as
    str) and ``styles``; with ``return_residuals=True`` also the wide residuals u (return dates x stock_id,
    NaN for stocks outside the regression).
    """
    styles = list(styles)
    _check_exposures(exposures, styles)
    stock_ret = stock_ret.set_axis(stock_ret.columns.astype(str), axis=1)
    dates = pd.DatetimeIndex(exposures["period_end"].unique()).sort_values()
    for name, panel in (("industry", industry), ("float_mcap", float_mcap)):
        missing = dates.difference(pd.DatetimeIndex(panel.index))
        if len(missing):
            raise ValueError(f"{name} has no row for exposure dates {list(missing[:3].date)}")
    industry = industry.set_axis(industry.columns.astype(str), axis=1)
    float_mcap = float_mcap.set_axis(float_mcap.columns.astype(str), axis=1)
    codes_all = np.array(sorted({str(c) for c in industry.loc[dates].stack().dropna().unique()}))
    columns = [COUNTRY, *codes_all, *styles]
    by_date = dict(tuple(exposures.groupby("period_end")))
    ret_months = pd.DatetimeIndex(stock_ret.index).to_period("M")

    blocks, resid_blocks = [], []
    for t in dates:
        rows = np.flatnonzero(ret_months == pd.Timestamp(t).to_period("M") + 1)
        if len(rows) == 0:
            continue
        ids, codes, x, cap = _cross_section(by_date[t], industry.loc[t], float_mcap.loc[t], styles)
        returns = stock_ret.iloc[rows].reindex(columns=ids).to_numpy(dtype=float).T
        coef, resid = _solve_month(returns, np.searchsorted(codes_all, codes), len(codes_all), x, cap)
        index = stock_ret.index[rows]
        blocks.append(pd.DataFrame(coef, index=index, columns=columns))
        resid_blocks.append(pd.DataFrame(resid.T, index=index, columns=ids))
    empty = pd.DataFrame(index=stock_ret.index[:0], columns=columns, dtype=float)
    out = pd.concat(blocks) if blocks else empty
    if not return_residuals:
        return out
    residuals = pd.concat(resid_blocks) if resid_blocks else empty[[]]
    return out, residuals.reindex(columns=stock_ret.columns)


def _check_exposures(exposures: pd.DataFrame, styles: list[str]) -> None:
    missing = [c for c in ("period_end", "stock_id", *styles) if c not in exposures.columns]
    if missing:
        raise ValueError(f"exposures lacks columns {missing}")
    if exposures.duplicated(["period_end", "stock_id"]).any():
        raise ValueError("exposures has duplicate (period_end, stock_id) rows")


def _cross_section(
    rows: pd.DataFrame, industry: pd.Series, cap: pd.Series, styles: list[str]
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Stocks usable at t: all style exposures finite, an industry code and float cap > 0."""
    rows = rows.set_index(rows["stock_id"].astype(str))
    x = rows[styles].to_numpy(dtype=float)
    ind = industry.reindex(rows.index)
    capv = cap.reindex(rows.index).to_numpy(dtype=float)
    keep = np.isfinite(x).all(axis=1) & ind.notna().to_numpy() & np.isfinite(capv) & (capv > 0)
    return rows.index[keep], ind[keep].astype(str).to_numpy(), x[keep], capv[keep]


def _solve_month(
    returns: np.ndarray, industry_pos: np.ndarray, n_industries: int, x: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Factor returns (days x coefficients) and residuals (stocks x days) for one exposure date."""
    n_coef = 1 + n_industries + x.shape[1]
    coef = np.full((returns.shape[1], n_coef), np.nan)
    resid = np.full(returns.shape, np.nan)
    patterns, inverse = np.unique(np.isfinite(returns).T, axis=0, return_inverse=True)
    for j, present in enumerate(patterns):
        days = np.flatnonzero(inverse.ravel() == j)
        solved = _constrained_wls(returns[np.ix_(present, days)], industry_pos[present], n_industries,
                                  x[present], cap[present])  # fmt: skip
        if solved is not None:
            coef[days], resid[np.ix_(present, days)] = solved
    return coef, resid


def _constrained_wls(
    y: np.ndarray, industry_pos: np.ndarray, n_industries: int, x: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """WLS of y (stocks x days) on country + industries + styles with sum_k c_k f_k = 0 (CNE5 section 2).

    The constraint is imposed by substitution, f_K = -sum_{k<K} (c_k / c_K) f_k, so an ordinary WLS on
    K - 1 free industry columns remains; solved with ``numpy.linalg.lstsq`` on sqrt(w)-scaled rows for all
    days at once. Returns None when the design has no more rows than columns or is rank-deficient.
    """
    present, local = np.unique(industry_pos, return_inverse=True)
    n_free = 1 + max(len(present) - 1, 0) + x.shape[1]
    if len(y) <= n_free:
        return None
    dummies = np.eye(len(present))[local]
    industry_cap = np.bincount(local, weights=cap)
    substitution = np.vstack([np.eye(len(present) - 1), -industry_cap[:-1] / industry_cap[-1]])
    design = np.column_stack([np.ones(len(y)), dummies @ substitution, x])
    root_w = np.sqrt(cap)[:, None]
    g, _, rank, _ = np.linalg.lstsq(design * root_w, y * root_w, rcond=None)
    if rank < design.shape[1]:
        return None
    coef = np.full((y.shape[1], 1 + n_industries + x.shape[1]), np.nan)
    coef[:, 0] = g[0]
    coef[:, 1 + present] = (substitution @ g[1 : len(present)]).T
    coef[:, 1 + n_industries :] = g[len(present) :].T
    return coef, y - design @ g
