"""Barra CNE5 cross-sectional factor returns: WLS of stock returns on country, industry and style exposures.

Source: Orr, Mashtaler and Nagy, "The Barra China Equity Model (CNE5)" empirical notes (MSCI, 2012),
section 2 (factor return estimation), after Menchero and Orr's USE4 (2011): r_n = f_c + sum_k X_nk f_k +
sum_s X_ns f_s + u_n, regression weights v_n proportional to sqrt(cap_n) (minimizing sum_n v_n u_n^2, so
each row is scaled by sqrt(v_n) = cap_n^(1/4)), and the
constraint sum_k w_k f_k = 0 with w_k the cap weight of industry k, which removes the collinearity of the
country factor with the industry dummies (the country factor is then close to the cap-weighted market).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from momentum_dag.core.barra.exposures import STYLE_NAMES

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
    sum_k c_k f_k = 0 with c_k = float cap of industry k over the stocks with exposures at t (CNE5
    constraint, imposed by substituting out the last industry; c_k stays fixed for the month so days with
    missing returns keep the same factor basis). A stock enters only with every style
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
    if dates.to_period("M").has_duplicates:
        raise ValueError("exposures has more than one period_end in a calendar month; pass month ends only")
    for name, panel in (("industry", industry), ("float_mcap", float_mcap)):
        missing = dates.difference(pd.DatetimeIndex(panel.index))
        if len(missing):
            raise ValueError(f"{name} has no row for exposure dates {list(missing[:3].date)}")
    industry_pos, codes_all = _industry_positions(industry.loc[dates])
    columns = [COUNTRY, *codes_all, *styles]
    caps = float_mcap.loc[dates].to_numpy(dtype=float)
    panel_ids = industry.columns.astype(str)
    cap_cols = float_mcap.columns.astype(str).get_indexer(panel_ids)
    by_date = dict(tuple(exposures.groupby("period_end")))
    ret_months = pd.DatetimeIndex(stock_ret.index).to_period("M")

    blocks, used = [], []
    resid_all = np.full(stock_ret.shape if return_residuals else (0, 0), np.nan)
    ret_cols = stock_ret.columns
    for i, t in enumerate(dates):
        rows = np.flatnonzero(ret_months == pd.Timestamp(t).to_period("M") + 1)
        if len(rows) == 0:
            continue
        cap_t = np.where(cap_cols >= 0, caps[i, cap_cols], np.nan)
        ids, pos, x, cap = _cross_section(by_date[t], panel_ids, industry_pos[i], cap_t, styles)
        returns = stock_ret.iloc[rows].reindex(columns=ids).to_numpy(dtype=float).T
        coef, resid = _solve_month(returns, pos, len(codes_all), x, cap)
        blocks.append(pd.DataFrame(coef, index=stock_ret.index[rows], columns=columns))
        if return_residuals:
            at = ret_cols.get_indexer(ids)  # -1: a stock with exposures but no return column
            resid_all[np.ix_(rows, at[at >= 0])] = resid[at >= 0].T
            used.append(rows)
    empty = pd.DataFrame(index=stock_ret.index[:0], columns=columns, dtype=float)
    out = pd.concat(blocks) if blocks else empty
    if not return_residuals:
        return out
    rows = np.concatenate(used) if used else np.array([], dtype=int)
    return out, pd.DataFrame(resid_all[rows], index=stock_ret.index[rows], columns=ret_cols)


def _check_exposures(exposures: pd.DataFrame, styles: list[str]) -> None:
    missing = [c for c in ("period_end", "stock_id", *styles) if c not in exposures.columns]
    if missing:
        raise ValueError(f"exposures lacks columns {missing}")
    if exposures.duplicated(["period_end", "stock_id"]).any():
        raise ValueError("exposures has duplicate (period_end, stock_id) rows")


def _industry_positions(industry: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Industry panel -> (dates x stocks) positions into the sorted code list (-1 = none), and the list."""
    values = industry.to_numpy(dtype=object)
    known = ~pd.isna(values)
    codes = np.where(known, values, "").astype(str)
    codes_all = np.unique(codes[known])
    return np.where(known, np.searchsorted(codes_all, codes), -1), codes_all


def _cross_section(
    rows: pd.DataFrame, panel_ids: pd.Index, industry_pos: np.ndarray, cap: np.ndarray, styles: list[str]
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Stocks usable at t: all style exposures finite, an industry and float cap > 0 (panels' row at t)."""
    ids = pd.Index(rows["stock_id"].astype(str))
    x = rows[styles].to_numpy(dtype=float)
    at = panel_ids.get_indexer(ids)
    pos = np.where(at >= 0, industry_pos[at], -1)
    capv = np.where(at >= 0, cap[at], np.nan)
    keep = np.isfinite(x).all(axis=1) & (pos >= 0) & np.isfinite(capv) & (capv > 0)
    return ids[keep], pos[keep], x[keep], capv[keep]


def _solve_month(
    returns: np.ndarray, industry_pos: np.ndarray, n_industries: int, x: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Factor returns (days x coefficients) and residuals (stocks x days) for one exposure date.

    Each missing-return pattern is solved from the month's normal equations less the missing stocks'
    rows (:class:`_MonthDesign`); a pattern whose system is ill-conditioned, or that loses an industry,
    takes the SVD least squares of :func:`_constrained_wls` instead."""
    n_coef = 1 + n_industries + x.shape[1]
    coef = np.full((returns.shape[1], n_coef), np.nan)
    resid = np.full(returns.shape, np.nan)
    industry_cap = np.bincount(industry_pos, weights=cap, minlength=n_industries)
    month = _MonthDesign(industry_pos, industry_cap, x, cap)
    for present, days in _days_by_pattern(np.isfinite(returns)).values():
        y = returns[np.ix_(present, days)]
        solved = month.solve(present, y)
        if solved is None:
            solved = _constrained_wls(y, industry_pos[present], industry_cap, x[present], cap[present])
        if solved is not None:
            coef[days], resid[np.ix_(present, days)] = solved
    return coef, resid


class _MonthDesign:
    """One month's constrained WLS design (CNE5 section 2, as in :func:`_constrained_wls`) over every stock
    with exposures, and its normal equations G = A'A of the weighted rows A = sqrt(w) X.

    Days on which some stocks miss a return are regressions on a subset of the rows: their normal equations
    are G less the missing rows' outer products (a few suspended stocks), a k x k solve, instead of a
    new SVD least squares of every row per pattern. Only a well-conditioned system is solved this way
    (cond(G) < :data:`MAX_CONDITION`, so the design has full rank and the normal equations lose at most
    ~1e-16 * cond(G) relative precision, i.e. factor returns within ~1e-12 of the SVD solution); the
    rest, and any pattern that leaves an industry without a stock (a different constraint), return None."""

    MAX_CONDITION = 1e8

    def __init__(self, industry_pos: np.ndarray, industry_cap: np.ndarray, x: np.ndarray, cap: np.ndarray):
        self.industries, local = np.unique(industry_pos, return_inverse=True)
        self.industry_pos = industry_pos
        self.n_all = len(industry_cap)
        self.n_styles = x.shape[1]
        k = len(self.industries)
        c = industry_cap[self.industries]
        self.substitution = np.vstack([np.eye(k - 1), -c[:-1] / c[-1]]) if k else np.zeros((0, 0))
        dummies = np.eye(k)[local]
        self.design = np.column_stack([np.ones(len(x)), dummies @ self.substitution, x])
        self.root_w = np.sqrt(np.sqrt(cap))[:, None]  # sqrt of the regression weight sqrt(cap)
        self.weighted = self.design * self.root_w
        self.gram = self.weighted.T @ self.weighted

    def solve(self, present: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """(coefficients, residuals) of the stocks ``present`` on the days of ``y`` (present stocks x days),
        or None where :func:`_constrained_wls` must decide."""
        k = len(self.industries)
        n_free = self.design.shape[1]
        if not k or present.sum() <= n_free:
            return None
        if len(np.unique(self.industry_pos[present])) != k:
            return None
        missing = self.weighted[~present]
        gram = self.gram - missing.T @ missing
        eigenvalues = np.linalg.eigvalsh(gram)
        if not eigenvalues[0] > eigenvalues[-1] / self.MAX_CONDITION:
            return None
        weighted = self.weighted[present]
        g = np.linalg.solve(gram, weighted.T @ (y * self.root_w[present]))
        coef = np.full((y.shape[1], 1 + self.n_all + self.n_styles), np.nan)
        coef[:, 0] = g[0]
        coef[:, 1 + self.industries] = (self.substitution @ g[1:k]).T
        coef[:, 1 + self.n_all :] = g[k:].T
        return coef, y - self.design[present] @ g


def _days_by_pattern(valid: np.ndarray) -> dict[bytes, tuple[np.ndarray, np.ndarray]]:
    """Group the days (columns of ``valid``, stocks x days) that share one set of stocks with a return."""
    groups: dict[bytes, list[int]] = {}
    for day in range(valid.shape[1]):
        groups.setdefault(valid[:, day].tobytes(), []).append(day)
    return {key: (valid[:, days[0]], np.array(days)) for key, days in groups.items()}


def _constrained_wls(
    y: np.ndarray, industry_pos: np.ndarray, industry_cap: np.ndarray, x: np.ndarray, cap: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """WLS of y (stocks x days) on country + industries + styles with sum_k c_k f_k = 0 (CNE5 section 2).

    ``industry_cap`` (c_k, one per industry code) is fixed for the month; the constraint runs over the
    industries that have a stock in this regression.

    The constraint is imposed by substitution, f_K = -sum_{k<K} (c_k / c_K) f_k, so an ordinary WLS on
    K - 1 free industry columns remains; solved with ``numpy.linalg.lstsq`` on sqrt(w)-scaled rows for all
    days at once, where the regression weight w = sqrt(cap) (CNE5 section 2), so rows scale by cap^(1/4).
    Returns None when the design has no more rows than columns or is rank-deficient.
    """
    present, local = np.unique(industry_pos, return_inverse=True)
    n_free = 1 + max(len(present) - 1, 0) + x.shape[1]
    if len(y) <= n_free:
        return None
    dummies = np.eye(len(present))[local]
    c = industry_cap[present]
    substitution = np.vstack([np.eye(len(present) - 1), -c[:-1] / c[-1]])
    design = np.column_stack([np.ones(len(y)), dummies @ substitution, x])
    root_w = np.sqrt(np.sqrt(cap))[:, None]  # sqrt of the regression weight sqrt(cap)
    g, _, rank, _ = np.linalg.lstsq(design * root_w, y * root_w, rcond=None)
    if rank < design.shape[1]:
        return None
    coef = np.full((y.shape[1], 1 + len(industry_cap) + x.shape[1]), np.nan)
    coef[:, 0] = g[0]
    coef[:, 1 + present] = (substitution @ g[1 : len(present)]).T
    coef[:, 1 + len(industry_cap) :] = g[len(present) :].T
    return coef, y - design @ g
