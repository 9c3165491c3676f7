"""Smoothed ("平稳") industry momentum factors (sell-side industry momentum, family 2: avoiding momentum reversals).

Seed names: ``momentum_turnover_adj``, ``momentum_price_volume_icir``,
``momentum_rebound_with_crowding_filter``, ``momentum_amplitude_cut``. Monthly rebalance on daily industry
panels (index trade_date, columns industry_code). Each function returns a
period_end x industry panel on the given ``period_ends``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from momentum_dag.core.industry.common import (
    check_aligned,
    check_positive_int,
    check_share,
    lagged_ratio,
    period_positions,
    rolling_mean,
    rolling_mean_over_std,
    trailing_block,
    wide,
    zscore_cs,
)
from momentum_dag.core.validate import require_wide_panel


def momentum_turnover_adj(
    ret: pd.DataFrame, turnover: pd.DataFrame, period_ends: pd.DatetimeIndex, *, window: int = 20
) -> pd.DataFrame:
    """Turnover-adjusted momentum: mean / std of x_d = r_d / turnover_d over the window.

    Orient Securities 2022-12-01, 量化策略研究之六: "缩量上涨" beats "放量上涨", so each
    day's return is scaled by that day's turnover before the Sharpe-style ratio. Days with turnover <= 0
    or missing are NaN, and any NaN in the window gives NaN. Warm-up: window days.
    """
    check_aligned({"ret": ret, "turnover": turnover})
    check_positive_int("window", window, minimum=2)
    pos = period_positions(ret.index, period_ends)
    x = ret / turnover.where(turnover > 0)
    return wide(rolling_mean_over_std(x, window).to_numpy()[pos], period_ends, ret.columns)


def amount_cleaned_return(log_ret: np.ndarray, amount: np.ndarray, quantile: float = 0.9) -> np.ndarray:
    """Changjiang Factor_Amt: sum of log returns on days whose amount is below the window's 90th percentile.

    ``log_ret`` and ``amount`` are (P x days x industries) blocks; the percentile is numpy's linear one
    (same as pandas ``quantile``). Any missing value in the window gives NaN.
    """
    cut = np.quantile(amount, quantile, axis=1, keepdims=True)
    total = np.sum(np.where(amount < cut, log_ret, 0.0), axis=1)
    bad = np.isnan(log_ret).any(axis=1) | np.isnan(amount).any(axis=1)
    return np.where(bad, np.nan, total)


def path_efficiency(log_ret: np.ndarray) -> np.ndarray:
    """Changjiang Factor_Pric: log(P_t/P_{t-N}) / sum |daily log r| over a (P x days x industries) block."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.sum(log_ret, axis=1) / np.sum(np.abs(log_ret), axis=1)
    return np.where(np.isfinite(out), out, np.nan)


def cleaned_momentum(log_ret: np.ndarray, amount: np.ndarray, pos: np.ndarray, window: int) -> np.ndarray:
    """M_N = z_cs(Factor_Amt) + z_cs(Factor_Pric) over the N days ending at each position (P x industries)."""
    lr = trailing_block(log_ret, pos, window)
    amt = trailing_block(amount, pos, window)
    return zscore_cs(amount_cleaned_return(lr, amt)) + zscore_cs(path_efficiency(lr))


def rank_ic_by_row(factor: np.ndarray, forward: np.ndarray, min_pairs: int = 3) -> np.ndarray:
    """Spearman correlation per row of two (P x entities) arrays over entities where both are present.

    Same as scipy ``spearmanr`` on each row's complete pairs (Pearson of average ranks); fewer than
    ``min_pairs`` pairs or a constant row -> NaN.
    """
    both = ~np.isnan(factor) & ~np.isnan(forward)
    ranks_f = pd.DataFrame(np.where(both, factor, np.nan)).rank(axis=1).to_numpy()
    ranks_r = pd.DataFrame(np.where(both, forward, np.nan)).rank(axis=1).to_numpy()
    n = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows without pairs are NaN by design
        df = ranks_f - np.nanmean(ranks_f, axis=1, keepdims=True)
        dr = ranks_r - np.nanmean(ranks_r, axis=1, keepdims=True)
        ic = np.nansum(df * dr, axis=1) / np.sqrt(np.nansum(df**2, axis=1) * np.nansum(dr**2, axis=1))
    return np.where((n >= min_pairs) & np.isfinite(ic), ic, np.nan)


def icir_weights(ic_short: np.ndarray, ic_long: np.ndarray, *, lookback: int = 12, min_ics: int = 3) -> np.ndarray:
    """ICIR weights (w_short, w_long) per rebalance j from rank ICs of rebalances j-lookback .. j-1.

    ``ic_k[i]`` is the rank IC of M_k formed at rebalance i against the return over (s_i, s_{i+1}], so it
    is known at s_{i+1} <= s_j exactly when i <= j-1. IR_k = mean/std (ddof=1) over the rebalances where
    both ICs exist; w_k = max(0, IR_k) / sum. Fewer than ``min_ics`` ICs, or both IR <= 0 -> 0.5/0.5.
    Sequential over rebalances by construction (each weight sees only earlier ICs).
    """
    weights = np.full((len(ic_short), 2), 0.5)
    both = ~np.isnan(ic_short) & ~np.isnan(ic_long)
    for j in range(len(ic_short)):
        past = np.arange(max(0, j - lookback), j)
        past = past[both[past]]
        if len(past) < max(min_ics, 2):
            continue
        ir = []
        for ic in (ic_short[past], ic_long[past]):
            std = np.std(ic, ddof=1)
            ir.append(max(0.0, np.mean(ic) / std) if std > 0 else 0.0)
        if sum(ir) > 0:
            weights[j] = np.array(ir) / sum(ir)
    return weights


def momentum_price_volume_icir(
    close: pd.DataFrame,
    amount: pd.DataFrame,
    period_returns: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    short_window: int = 20,
    long_window: int = 240,
    ic_lookback: int = 12,
    min_ics: int = 3,
) -> pd.DataFrame:
    """Price-volume cleaned momentum with ICIR weights (``momentum_price_volume_icir``).

    Changjiang Securities 2022-04-06, 行业轮动系列(五)：动量篇, log returns:
    Amt_N = sum of daily log returns on days with amount below the window's 90th percentile;
    Pric_N = log(P_t/P_{t-N}) / sum |log r|; M_N = z_cs(Amt_N) + z_cs(Pric_N);
    final = w_s M_short + w_l M_long with w_k = max(0, IR_k)/sum, IR = mean/std of the rank IC of M_k vs
    the next-period industry return over the last ``ic_lookback`` rebalances whose next-period return is
    known at t (at least ``min_ics``, else 0.5/0.5). Short window 20 (seed; newer code uses 10).

    ``period_returns``: industry returns indexed by period end e, row e = return over (previous period
    end, e] (e.g. ``compound_by_period(ret, "M")``), on the same period grid as ``period_ends``; the
    return after ``period_ends[i]`` is read from row ``period_ends[i+1]``.
    Warm-up: long_window days (the first value needs M_long).
    """
    check_aligned({"close": close, "amount": amount})
    require_wide_panel(period_returns, "period_returns")
    check_positive_int("short_window", short_window, minimum=2)
    check_positive_int("long_window", long_window, minimum=2)
    check_positive_int("ic_lookback", ic_lookback, minimum=2)
    check_positive_int("min_ics", min_ics, minimum=2)
    pos = period_positions(close.index, period_ends)
    log_ret = np.log(close).diff().to_numpy(dtype=float)
    amt = amount.to_numpy(dtype=float)
    m_short = cleaned_momentum(log_ret, amt, pos, short_window)
    m_long = cleaned_momentum(log_ret, amt, pos, long_window)
    ends = pd.DatetimeIndex(period_ends)
    nxt = period_returns.reindex(index=ends, columns=close.columns).to_numpy(dtype=float)
    forward = np.vstack([nxt[1:], np.full((1, nxt.shape[1]), np.nan)])
    w = icir_weights(
        rank_ic_by_row(m_short, forward), rank_ic_by_row(m_long, forward), lookback=ic_lookback, min_ics=min_ics
    )
    return wide(w[:, [0]] * m_short + w[:, [1]] * m_long, period_ends, close.columns)


def crowding_percentile(
    amount: pd.DataFrame, pos: np.ndarray, *, ma_window: int = 5, lookback: int = 240
) -> np.ndarray:
    """Share of the past ``lookback`` days (excluding today) whose MA(amount) is below today's MA.

    Huaxin Securities 2024-06-24 crowding gauge. Needs the full history: any missing
    MA in the lookback or today gives NaN.
    """
    ma = rolling_mean(amount.to_numpy(dtype=float), ma_window)
    hist = trailing_block(ma, pos - 1, lookback)
    today = ma[pos][:, None, :]
    share = np.mean(hist < today, axis=1)
    bad = np.isnan(hist).any(axis=1) | np.isnan(ma[pos])
    return np.where(bad, np.nan, share)


def drop_most_crowded(score: np.ndarray, crowding: np.ndarray, share: float) -> np.ndarray:
    """Set NaN for the ceil(share x N) most crowded names among the N with both score and crowding.

    Names without a crowding reading are also NaN (they cannot be cleared). Ties in crowding break by
    column order, so exactly ceil(share x N) names go.
    """
    valid = ~np.isnan(score) & ~np.isnan(crowding)
    n_black = np.ceil(share * valid.sum(axis=1, keepdims=True) - 1e-9)  # 0.15*20 must give 3, not 4
    rank = pd.DataFrame(np.where(valid, crowding, np.nan)).rank(axis=1, ascending=False, method="first")
    blacklisted = rank.to_numpy() <= n_black
    return np.where(valid & ~blacklisted, score, np.nan)


def momentum_rebound_with_crowding_filter(
    close: pd.DataFrame,
    amount: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    window: int = 240,
    ma_window: int = 5,
    crowding_lookback: int = 240,
    blacklist_share: float = 0.15,
) -> pd.DataFrame:
    """Rebound + traditional momentum with a crowding blacklist (``momentum_rebound_with_crowding_filter``).

    Huaxin Securities 2024-06-24, 动量、拥挤度、轮动速率的统一："电风扇"行情下的行业轮动:
    composite = z_cs(P_t/P_{t-N} - 1) + z_cs(P_t / min(P_{t-N..t}) - 1) (the min over the same N+1 closes as
    the traditional leg); crowding = percentile of MA5(amount) within its own past 240 days excluding
    today; the ceil(15%) most crowded industries are removed (NaN), not down-weighted. Default N = 240 (the
    report's best, 12 months). Warm-up: max(window + 1, crowding_lookback + ma_window) days.
    """
    check_aligned({"close": close, "amount": amount})
    check_positive_int("window", window)
    check_positive_int("ma_window", ma_window)
    check_positive_int("crowding_lookback", crowding_lookback)
    check_share("blacklist_share", blacklist_share)
    pos = period_positions(close.index, period_ends)
    levels = trailing_block(close.to_numpy(dtype=float), pos, window + 1)
    rebound = levels[:, -1, :] / np.min(levels, axis=1) - 1.0  # NaN in the window propagates
    composite = zscore_cs(lagged_ratio(close, pos, window)) + zscore_cs(rebound)
    crowding = crowding_percentile(amount, pos, ma_window=ma_window, lookback=crowding_lookback)
    return wide(drop_most_crowded(composite, crowding, blacklist_share), period_ends, close.columns)


def low_amplitude_return(log_ret: np.ndarray, amplitude: np.ndarray, keep: int) -> np.ndarray:
    """Sum of log returns on the ``keep`` lowest-amplitude days of each (P x days x industries) window.

    Ties in amplitude keep the earlier day (stable sort); any missing value in the window gives NaN.
    """
    order = np.argsort(np.nan_to_num(amplitude, nan=np.inf), axis=1, kind="stable")[:, :keep, :]
    total = np.sum(np.take_along_axis(log_ret, order, axis=1), axis=1)
    bad = np.isnan(log_ret).any(axis=1) | np.isnan(amplitude).any(axis=1)
    return np.where(bad, np.nan, total)


def momentum_amplitude_cut(
    ret: pd.DataFrame,
    amplitude: pd.DataFrame,
    period_ends: pd.DatetimeIndex,
    *,
    window: int = 160,
    keep_share: float = 0.7,
    vol_scale: bool = True,
    vol_window: int = 20,
) -> pd.DataFrame:
    """Amplitude-cut momentum: the sum of log returns on the lambda lowest-amplitude days of the last N
    days, divided by the recent volatility (Mom_raw / Vol_recent).

    Kaiyuan Securities 2020-07-21, 开源量化评论(3)：A股市场中如何构造动量因子？:
    of the N days ending at t (t included: it is known at the close), keep floor(lambda N) days with the
    lowest amplitude (lambda = 0.7; ``amplitude`` = float-cap-weighted constituent High/Low - 1, the
    definition the report's code quotes) and sum their log(1 + r) (Mom_raw). Defaults N = 160, lambda =
    70% (the report's optimum). With ``vol_scale`` (the default) Mom_raw is divided by Vol_recent, the std
    (ddof=1) of the last ``vol_window`` (20) daily log returns, as a risk penalty; ``vol_scale=False`` is
    the report's plain sum. Warm-up: max(window, vol_window) days (window days without vol_scale); a
    window with no variation (Vol_recent = 0) is NaN.
    """
    check_aligned({"ret": ret, "amplitude": amplitude})
    check_positive_int("window", window)
    check_share("keep_share", keep_share)
    check_positive_int("vol_window", vol_window, minimum=2)
    pos = period_positions(ret.index, period_ends)
    keep = max(1, int(np.floor(keep_share * window + 1e-9)))
    log_ret = np.log1p(ret.to_numpy(dtype=float))
    raw = low_amplitude_return(
        trailing_block(log_ret, pos, window), trailing_block(amplitude.to_numpy(dtype=float), pos, window), keep
    )
    if vol_scale:
        vol = np.std(trailing_block(log_ret, pos, vol_window), axis=1, ddof=1)
        raw = raw / np.where(vol > 0, vol, np.nan)
    return wide(raw, period_ends, ret.columns)
