"""Within-industry structure factors (sell-side industry momentum, family 5: "虚胖 vs 实壮").

Seed names: ``momentum_industry_component``, ``momentum_pca`` (weekly), ``momentum_lead_lag_enhanced``.
They read constituent-level daily wide panels (index trade_date, columns stock_id) with each stock's
point-in-time industry in ``stock_industry`` (same shape, industry_code string, NaN when not listed), and
return period_end x industry panels on the given ``period_ends``.
"""

from __future__ import annotations

import weakref

import numpy as np
import pandas as pd

from momentum_dag.core.industry.common import (
    check_aligned,
    check_positive_int,
    check_share,
    group_by_industry,
    lagged_ratio,
    period_positions,
    rolling_mean,
    to_industry_panel,
    wide,
    window_stock_returns,
)
from momentum_dag.core.validate import require_wide_panel


def industry_codes(stock_industry: pd.DataFrame) -> pd.Index:
    """Sorted industry codes present anywhere in the point-in-time membership panel.

    The last panel's codes are kept while that panel object lives: the factor computes each of its windows
    from the same panel, and hashing every (date, stock) label took a quarter of its time at 1,500 stocks.
    """
    cached = _last_codes.get(id(stock_industry))
    if cached is not None and cached[0]() is stock_industry and cached[1] == stock_industry.shape:
        return cached[2]
    codes = pd.unique(stock_industry.to_numpy(dtype=object).ravel())
    result = pd.Index(sorted(str(c) for c in codes if pd.notna(c)), dtype=object)
    _last_codes.clear()
    _last_codes[id(stock_industry)] = (weakref.ref(stock_industry), stock_industry.shape, result)
    return result


_last_codes: dict = {}


def momentum_industry_component(
    stock_ret: pd.DataFrame,
    stock_industry: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    months: int = 12,
    days_per_month: int = 21,
    min_stocks: int = 8,
    sigma_floor: float = 0.01,
) -> pd.DataFrame:
    """Component momentum mu/sigma of constituents' N-month returns (``momentum_industry_component``).

    Orient Securities 2022-12-01, 量化策略研究之六：行业动量的刻画: for the stocks in
    the industry at t (point in time), mu and sigma (ddof=1) across stocks of their cumulative return over
    the last N months (equal-weighted); factor = mu / max(sigma, 0.01); NaN with fewer than 8 stocks.
    Choice: N months = ``months * days_per_month`` trading days (21 per month) rather than months on the
    period grid, so the window does not depend on which calendar the caller passes. A stock counts if it
    is listed on the window's first day and at t; suspended days (NaN return) count as flat.
    Windows 1/3/6/12/24/36 months (N = 12 best). Output columns: sorted industry codes of
    ``stock_industry``. Warm-up: months x 21 trading days.
    """
    check_aligned({"stock_ret": stock_ret, "stock_industry": stock_industry})
    check_positive_int("months", months)
    check_positive_int("days_per_month", days_per_month)
    check_positive_int("min_stocks", min_stocks, minimum=2)
    if not sigma_floor > 0:
        raise ValueError(f"sigma_floor must be > 0, got {sigma_floor!r}")
    pos = period_positions(stock_ret.index, period_ends)
    industries = industry_codes(stock_industry)
    cum = window_stock_returns(stock_ret, stock_industry, pos, months * days_per_month)
    grouped = group_by_industry(cum, period_ends, stock_industry.to_numpy(dtype=object)[pos], industries)
    stats = grouped.agg(["mean", "std", "count"])
    ratio = (stats["mean"] / stats["std"].clip(lower=sigma_floor)).where(stats["count"] >= min_stocks)
    return to_industry_panel(ratio, period_ends, industries)


def representative_stocks(
    mcap: pd.Series, *, coverage: float = 0.8, min_names: int = 8, max_names: int = 50
) -> pd.Index:
    """Largest constituents covering ``coverage`` of the industry's float cap, clipped to 8..50 names.

    Industrial Securities 2024-04 分歧和共振 stock selection. Ties keep input order.
    """
    order = _representative_order(
        mcap.to_numpy(dtype=float), coverage=coverage, min_names=min_names, max_names=max_names
    )
    return mcap.index[order]


def _representative_order(values: np.ndarray, *, coverage: float, min_names: int, max_names: int) -> np.ndarray:
    """Positions of the names :func:`representative_stocks` keeps, largest first."""
    order = np.argsort(-values, kind="stable")
    share = np.cumsum(values[order]) / values.sum()
    n_cover = int(np.searchsorted(share, coverage - 1e-12) + 1)
    return order[: int(np.clip(n_cover, min_names, max_names))]


def nan_mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.nanmean(values, axis=0)`` and ``np.nanstd(values, axis=0)`` of a 2-D float array, bit for bit:
    numpy's own steps (NaN set to 0 in a copy, sums over the rows divided by the counts, squared deviations
    with NaN cells set to 0), done once for both and without their per-call checks, which were a third of
    the weekly PCA's time (one call per industry and scoring day). A column without values gives NaN."""
    missing = np.isnan(values)
    filled = np.array(values, copy=True)  # the input's memory order, as numpy's copy: the same sums
    np.copyto(filled, 0.0, where=missing)
    count = np.sum(~missing, axis=0, dtype=np.intp, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.divide(np.sum(filled, axis=0, keepdims=True), count, casting="unsafe")
        deviation = np.subtract(filled, mean, out=filled)
        np.copyto(deviation, 0.0, where=missing)
        variance = np.sum(np.multiply(deviation, deviation, out=deviation), axis=0)
        variance = np.divide(variance, count[0], out=variance, casting="unsafe")
    return mean[0], np.sqrt(variance, out=variance)


def pca_score(returns: np.ndarray, n_components: int = 2) -> float:
    """Sum of the first ``n_components`` explained-variance ratios of a PCA of z-scored returns.

    ``returns`` is (days x stocks) with NaN on suspended days; each stock is z-scored over its own traded
    days and missing days are set to 0 (its mean), so they add no co-movement. Constant stocks are dropped.
    """
    mean, std = nan_mean_std(returns)
    keep = std > 0
    if keep.sum() < 2:
        return np.nan
    z = np.nan_to_num((returns[:, keep] - mean[keep]) / std[keep], nan=0.0)
    # PCA's explained-variance ratios are the squared singular values of the centred data over their sum;
    # numpy's SVD gives them directly (what sklearn PCA(svd_solver="full") computes, without its per-fit
    # overhead, which dominated a weekly backfill: ~20,000 fits).
    singular = np.linalg.svd(z - z.mean(axis=0), compute_uv=False)
    variance = singular**2
    return float(variance[:n_components].sum() / variance.sum())


def pca_scores(blocks: list[np.ndarray], n_components: int = 2) -> np.ndarray:
    """:func:`pca_score` of every (days x stocks) block over the same days, computed together: the z-scores of all the
    blocks' columns in one pass, and the eigenvalues of every block's Gram matrix in one batched call, the blocks
    padded with zero columns to the widest (a zero column adds a zero eigenvalue, so neither the leading
    variances nor their total change). One call per scoring day instead of one per industry: the per-call
    overhead was most of the weekly PCA's time. Equal to ``[pca_score(b, n_components) for b in blocks]`` up to
    rounding (eigenvalues of the Gram matrix instead of an SVD).
    """
    if not blocks:
        return np.empty(0)
    widths = np.array([block.shape[1] for block in blocks])
    joined = np.concatenate(blocks, axis=1)
    mean, std = nan_mean_std(joined)
    keep = std > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(keep, (joined - mean) / np.where(keep, std, 1.0), 0.0)
    z = np.nan_to_num(z, nan=0.0)
    z -= z.mean(axis=0)
    group = np.repeat(np.arange(len(blocks)), widths)
    slot = np.arange(joined.shape[1]) - np.repeat(np.cumsum(widths) - widths, widths)
    padded = np.zeros((len(blocks), int(widths.max()), joined.shape[0]))
    padded[group, slot] = z.T
    # the squared singular values are the eigenvalues of each block's Gram matrix (stocks x stocks, at most
    # 50 x 50: half the SVD's time on 120 x 50 blocks); their total is the sum of squares
    leading = np.linalg.eigvalsh(padded @ padded.transpose(0, 2, 1))[:, ::-1][:, :n_components].sum(axis=1)
    total = np.bincount(group, weights=np.einsum("ij,ij->j", z, z), minlength=len(blocks))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = leading / total
    scores[np.bincount(group, weights=keep, minlength=len(blocks)) < 2] = np.nan
    return scores


def industry_pca_scores(
    day: int,
    stock_ret: np.ndarray,
    stock_mcap: np.ndarray,
    missing: np.ndarray,
    labels: np.ndarray,
    industries: pd.Index,
    params: dict,
) -> np.ndarray:
    """PcaScore of every industry on trade-date position ``day`` from rows day-window+1..day only.

    Rule for dropping an industry: its constituents at ``day`` (float cap > 0) with a full window, i.e.
    missing (suspended or no return) on at most ``max_suspended_share`` of the window's days, are the
    candidates; fewer than ``min_names`` candidates -> NaN (the industry is left out that week). Otherwise
    the largest candidates covering ``coverage`` of their float cap (``min_names``..``max_names`` names)
    enter the PCA. Filtering before selecting means a new listing among the largest names never costs an
    industry that has enough stocks with a full window its score.
    """
    out = np.full(len(industries), np.nan)
    start = day - params["pca_window"] + 1
    if start < 0:
        return out
    # constituents at ``day`` by industry, in stock order within each (a stable sort of the industry
    # positions, -1 = none or not one of ``industries``); the window's missing share once for all stocks
    position = industries.get_indexer(pd.Index(labels[day], dtype=object))
    mcap_day = stock_mcap[day]
    members = np.flatnonzero((position >= 0) & (mcap_day > 0))
    members = members[np.argsort(position[members], kind="stable")]
    bounds = np.flatnonzero(np.diff(position[members])) + 1
    full_window = missing[start : day + 1].mean(axis=0) <= params["max_suspended_share"]
    rows = slice(start, day + 1)
    blocks, scored = [], []
    for group in np.split(members, bounds) if len(members) else []:
        candidates = group[full_window[group]]
        if len(candidates) < params["min_names"]:
            continue
        picked = candidates[
            _representative_order(
                mcap_day[candidates],
                coverage=params["coverage"],
                min_names=params["min_names"],
                max_names=params["max_names"],
            )
        ]
        blocks.append(np.where(missing[rows, picked], np.nan, stock_ret[rows, picked]))
        scored.append(position[group[0]])
    out[scored] = pca_scores(blocks, params["n_components"])
    return out


def momentum_pca(
    close: pd.DataFrame,
    stock_ret: pd.DataFrame,
    stock_float_mcap: pd.DataFrame,
    stock_suspended: pd.DataFrame,
    stock_industry: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    mom_window: int = 10,
    pca_window: int = 120,
    lag: int = 5,
    coverage: float = 0.8,
    min_names: int = 8,
    max_names: int = 50,
    max_suspended_share: float = 0.2,
    n_components: int = 2,
) -> pd.DataFrame:
    """PcaMom = Mom_10d x PcaScore_t / PcaScore_{t-lag} (``momentum_pca``, weekly).

    Industrial Securities 2024-04, 分歧和共振——直击行业轮动痛点: PcaScore = sum of
    the first two explained-variance ratios of PCA on z-scored daily returns over 120 days of the
    industry's top constituents covering 80% of float cap (8-50 names, chosen at the scoring date)
    among those missing (suspended or NaN return) on at most 20% of those days. An industry with fewer
    than ``min_names`` (8) such stocks is dropped that week (NaN; :func:`industry_pca_scores`). Ratio > 1:
    the industry moves more as one block (共振).
    ``lag`` = 5 trading days by default (one week); Mom_10d = P_t/P_{t-10} - 1 of the industry index.
    ``period_ends``: last trading day of each Monday-start week. Warm-up: pca_window + lag days.
    """
    check_aligned(
        {
            "stock_ret": stock_ret,
            "stock_float_mcap": stock_float_mcap,
            "stock_suspended": stock_suspended,
            "stock_industry": stock_industry,
        }
    )
    require_wide_panel(close, "close")
    if not close.index.equals(stock_ret.index):
        raise ValueError("stock panels and industry panels (close) must share the same trade dates")
    for name, value in {"mom_window": mom_window, "pca_window": pca_window, "lag": lag}.items():
        check_positive_int(name, value)
    check_positive_int("min_names", min_names, minimum=2)
    check_positive_int("max_names", max_names, minimum=min_names)
    check_positive_int("n_components", n_components)
    check_share("coverage", coverage)
    check_share("max_suspended_share", max_suspended_share, low=-1e-12)
    pos = period_positions(close.index, period_ends)
    params = {
        "pca_window": pca_window,
        "coverage": coverage,
        "min_names": min_names,
        "max_names": max_names,
        "max_suspended_share": max_suspended_share,
        "n_components": n_components,
    }
    ret = stock_ret.to_numpy(dtype=float)
    missing = stock_suspended.fillna(True).to_numpy(dtype=bool) | np.isnan(ret)
    arrays = (ret, stock_float_mcap.to_numpy(dtype=float), missing, stock_industry.to_numpy(dtype=object))
    scores: dict[int, np.ndarray] = {}
    # Each scoring date needs its own constituent selection and PCA; weeks share no computation.
    for day in sorted(set(pos) | {p - lag for p in pos if p - lag >= 0}):
        scores[day] = industry_pca_scores(day, *arrays, close.columns, params)
    nan_row = np.full(close.shape[1], np.nan)
    ratio = np.array([scores[p] / scores.get(p - lag, nan_row) for p in pos]).reshape(len(pos), close.shape[1])
    return wide(lagged_ratio(close, pos, mom_window) * ratio, period_ends, close.columns)


def leader_follower_gap(
    window_ret: np.ndarray,
    mcap: np.ndarray,
    labels: np.ndarray,
    period_ends: pd.DatetimeIndex,
    industries: pd.Index,
    *,
    leader_share: float,
    min_stocks: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(mean r_leaders - mean r_followers, std of constituent returns) per period_end x industry.

    Leaders are the floor(leader_share x n) largest constituents by float cap at t (at least one), the
    rest are followers; std has ddof=1; fewer than ``min_stocks`` constituents -> NaN.
    """
    long = pd.DataFrame(
        {
            "period_end": np.repeat(np.arange(len(period_ends)), window_ret.shape[1]),
            "industry": labels.ravel(),
            "ret": window_ret.ravel(),
            "mcap": mcap.ravel(),
        }
    )
    long = long[long["industry"].isin(industries) & long["ret"].notna() & long["mcap"].notna()]
    groups = long.groupby(["period_end", "industry"])
    size_rank = groups["mcap"].rank(ascending=False, method="first")
    n = groups["ret"].transform("count")
    long = long.assign(leader=size_rank <= np.maximum(1, np.floor(leader_share * n + 1e-9)))
    side = long.groupby(["period_end", "industry", "leader"])["ret"].mean().unstack("leader")
    side = side.reindex(columns=[True, False])  # a group may have no followers
    stats = groups["ret"].agg(["std", "count"])
    enough = stats["count"] >= min_stocks
    gap = (side[True] - side[False]).reindex(stats.index).where(enough)
    return (
        to_industry_panel(gap, period_ends, industries),
        to_industry_panel(stats["std"].where(enough), period_ends, industries),
    )


def momentum_lead_lag_enhanced(
    close: pd.DataFrame,
    turnover: pd.DataFrame,
    stock_ret: pd.DataFrame,
    stock_float_mcap: pd.DataFrame,
    stock_industry: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    window: int = 20,
    leader_share: float = 0.5,
    min_stocks: int = 8,
) -> pd.DataFrame:
    """Leader-lag augmented momentum AugMom = |Lead| x industry window return (``momentum_lead_lag_enhanced``).

    Everbright Securities 2018-05-28, 行业轮动：从动量谈起——技术指标系列报告之五:
    leaders = top 50% of the industry's constituents at t by float cap, followers the rest; over the
    window's N trading days, Lead = demean_cs(mean r_L - mean r_F) / (std of constituent window returns x
    volume term); AugMom = |Lead| x (P_t/P_{t-N} - 1).
    Choice (volume term): the industry's mean daily float-cap-weighted turnover over the window. The
    report's raw monthly volume scales with industry size and would mechanically penalize large
    industries; turnover is the scale-free measure of the same "heat". Constituent window returns follow
    ``momentum_industry_component`` (listed through the window, suspended days flat); >= 8 stocks.
    Warm-up: window + 1 days.
    """
    check_aligned({"close": close, "turnover": turnover})
    check_aligned({"stock_ret": stock_ret, "stock_float_mcap": stock_float_mcap, "stock_industry": stock_industry})
    if not close.index.equals(stock_ret.index):
        raise ValueError("stock panels and industry panels (close) must share the same trade dates")
    check_positive_int("window", window, minimum=2)
    check_share("leader_share", leader_share)
    check_positive_int("min_stocks", min_stocks, minimum=2)
    pos = period_positions(close.index, period_ends)
    window_ret = window_stock_returns(stock_ret, stock_industry, pos, window)
    gap, dispersion = leader_follower_gap(
        window_ret,
        stock_float_mcap.to_numpy(dtype=float)[pos],
        stock_industry.to_numpy(dtype=object)[pos],
        period_ends,
        close.columns,
        leader_share=leader_share,
        min_stocks=min_stocks,
    )
    demeaned = gap.sub(gap.mean(axis=1), axis=0)
    heat = rolling_mean(turnover.to_numpy(dtype=float), window)[pos]
    denominator = dispersion.to_numpy() * heat
    lead = demeaned.to_numpy() / np.where(denominator > 0, denominator, np.nan)
    return wide(np.abs(lead) * lagged_ratio(close, pos, window), period_ends, close.columns)
