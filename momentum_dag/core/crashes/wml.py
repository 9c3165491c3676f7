"""Winner-minus-loser (WML) momentum portfolios of Daniel & Moskowitz (2016, JFE 122:221-247), Section 2.

Monthly deciles on the 12-2 prior return, value weighted by market cap at formation, held one month;
and the daily return of the same portfolios for the daily estimators (GARCH, lagged betas).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from momentum_dag.core.frames import exact_row_sums
from momentum_dag.core.validate import (
    require_consecutive_months,
    require_datetime_index,
    require_simple_returns,
)

FORMATION_COLUMNS = ["period_end", "stock_id", "decile", "weight", "past_ret"]


def decile_labels(n_deciles: int) -> list[str]:
    """Column names of the decile portfolios, ``d1`` (losers) .. ``d{n}`` (winners)."""
    return [f"d{k}" for k in range(1, n_deciles + 1)]


def prior_return_12_2(
    monthly_ret: pd.DataFrame,
    *,
    lookback_months: int = 11,
    skip_months: int = 1,
    min_valid_months: int = 8,
) -> pd.DataFrame:
    """Cumulative past return used to rank stocks at formation date ``t`` (Daniel-Moskowitz 2016, Sec. 2.1).

    D&M rank on the cumulative return over months t-12..t-2 where t is the HOLDING month. With the
    formation date t' = t-1 (the last trading day of the month before holding), that window is rows
    t'-11..t'-1 of ``monthly_ret``: 11 months, skipping the formation month t' itself (``skip_months=1``).
    Missing months are skipped in the product; a stock needs at least ``min_valid_months`` (8, D&M) valid
    returns in the window, else NaN.

    Args:
        monthly_ret: wide panel, index period_end (consecutive months), columns stock_id, simple returns.

    Returns:
        Same shape: value at row t' = prod(1 + r) - 1 over the window, known at the close of t'.
    """
    require_consecutive_months(monthly_ret, "monthly_ret")
    require_simple_returns(monthly_ret, "monthly_ret")
    if not 1 <= min_valid_months <= lookback_months:
        raise ValueError(f"min_valid_months must be in 1..lookback_months={lookback_months}, got {min_valid_months}")
    if skip_months < 0:
        raise ValueError(f"skip_months must be >= 0, got {skip_months}")
    n_rows = len(monthly_ret)
    out = np.full(monthly_ret.shape, np.nan)
    span = lookback_months + skip_months
    if n_rows >= span:
        gross = 1.0 + monthly_ret.to_numpy(dtype="float64")
        windows = sliding_window_view(gross, lookback_months, axis=0)  # (n_rows - lookback + 1, N, lookback)
        product = np.nanprod(windows, axis=-1) - 1.0
        valid = (~np.isnan(windows)).sum(axis=-1)
        product[valid < min_valid_months] = np.nan
        # Window j covers rows j..j+lookback-1; the signal at row t ends at t - skip_months.
        out[span - 1 :] = product[: n_rows - span + 1]
    return pd.DataFrame(out, index=monthly_ret.index, columns=monthly_ret.columns)


def assign_deciles(
    signal: pd.DataFrame, *, n_deciles: int = 10, breakpoint_mask: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Decile (1..n) of each stock's signal per row; NaN where the signal is NaN.

    Breakpoints are the k/n quantiles (numpy linear interpolation) of the signals of the stocks selected by
    ``breakpoint_mask`` (all stocks with a signal when None: D&M's all-stock breakpoints; pass an NYSE mask
    for Ken French-style breakpoints). A stock lands in decile 1 + #(breakpoints
    strictly below its signal). Rows with fewer than ``n_deciles`` breakpoint stocks are NaN.
    """
    if n_deciles < 2:
        raise ValueError(f"n_deciles must be >= 2, got {n_deciles}")
    values = signal.to_numpy(dtype="float64")
    if breakpoint_mask is None:
        bp_values = values
    else:
        if not (breakpoint_mask.index.equals(signal.index) and breakpoint_mask.columns.equals(signal.columns)):
            raise ValueError("breakpoint_mask must have the same index and columns as monthly_ret")
        mask = breakpoint_mask.fillna(False).to_numpy(dtype=bool)
        bp_values = np.where(mask, values, np.nan)
    enough = (~np.isnan(bp_values)).sum(axis=1) >= n_deciles
    probs = np.arange(1, n_deciles) / n_deciles
    deciles = np.full(values.shape, np.nan)
    if enough.any():
        breakpoints = np.nanquantile(bp_values[enough], probs, axis=1).T  # (rows, n_deciles - 1)
        rank = 1 + (values[enough][:, :, None] > breakpoints[:, None, :]).sum(axis=-1)
        deciles[enough] = np.where(np.isnan(values[enough]), np.nan, rank)
    return pd.DataFrame(deciles, index=signal.index, columns=signal.columns)


def large_cap_mask(mcap: pd.DataFrame, share: float = 0.3) -> pd.DataFrame:
    """ "NYSE-like" breakpoint stocks: at each date, the ``share`` largest stocks by market cap among those
    with a positive cap (ties at the cut included).

    Ken French's 10 Portfolios Prior 12-2 use NYSE breakpoints; a market without an NYSE (A-shares) needs a
    stand-in. NYSE stocks are the larger CRSP stocks, about a third of them by count in recent decades, so
    the default takes the largest 30% by count (our choice; ``share`` is a setting). Breakpoints from large
    caps only put more small stocks in the extreme deciles, as NYSE breakpoints do in CRSP.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    positive = mcap.where(mcap > 0)
    rank_from_top = positive.rank(axis=1, ascending=False, method="min")
    count = positive.notna().sum(axis=1)
    return rank_from_top.le(np.ceil(share * count), axis=0) & positive.notna()


def wml_portfolios(
    monthly_ret: pd.DataFrame,
    lagged_mcap: pd.DataFrame,
    *,
    n_deciles: int = 10,
    min_valid_months: int = 8,
    breakpoint_mask: pd.DataFrame | None = None,
    tradable: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Value-weighted momentum deciles and WML = D10 - D1 (Daniel-Moskowitz 2016, Sec. 2.1).

    At each formation date t (a row of ``monthly_ret``) stocks with a 12-2 prior return (see
    ``prior_return_12_2``: >= ``min_valid_months`` of the 11 months, formation month skipped), a positive
    market cap at t and, when ``tradable`` is given, tradable at t (A-share studies drop suspended, ST,
    limit-up and newly listed stocks at formation) are sorted into deciles (all-stock breakpoints unless
    ``breakpoint_mask``), weighted by market cap at t and held over month t+1 (the next row).

    Buy and hold through the holding month, the same rule as ``decile_daily_returns`` so that the monthly
    decile return equals its daily returns compounded: a stock's month-t+1 return counts with its
    formation weight, and a stock without one (delisted or suspended before the month's first trade)
    earns 0 on its weight, which is NOT redistributed to the others. A stock delisted during the month
    counts with its partial-month (last) return.

    Args:
        monthly_ret: wide panel, index period_end (last trading day, consecutive months), columns stock_id,
            row t = simple return over month t.
        lagged_mcap: same index/columns; row t = market cap at the close of t, i.e. lagged relative to the
            holding month t+1 it weights.
        breakpoint_mask: optional bool panel (same shape), True = stock sets the breakpoints at t (e.g.
            ``large_cap_mask``); only stocks that enter the deciles count.
        tradable: optional bool panel (same shape), True = stock may enter a portfolio formed at t.

    Returns:
        decile_returns: index = HOLDING month's period_end (row t+1 for formation t), columns d1..d{n}.
        wml: Series ``d{n} - d1`` on the same index, named ``wml``.
        formation: long rows (period_end = formation date t, stock_id, decile, weight, past_ret); weight is
            the stock's share of its decile's market cap at t (sums to 1 per decile and date).
    """
    require_consecutive_months(monthly_ret, "monthly_ret")
    if not (lagged_mcap.index.equals(monthly_ret.index) and lagged_mcap.columns.equals(monthly_ret.columns)):
        raise ValueError("lagged_mcap must have the same index and columns as monthly_ret")
    mcap = lagged_mcap.to_numpy(dtype="float64")
    if (mcap[~np.isnan(mcap)] < 0).any():
        raise ValueError("lagged_mcap contains negative market caps")

    past_ret = prior_return_12_2(monthly_ret, min_valid_months=min_valid_months)
    eligible = past_ret.notna() & (lagged_mcap > 0)
    if tradable is not None:
        if not (tradable.index.equals(monthly_ret.index) and tradable.columns.equals(monthly_ret.columns)):
            raise ValueError("tradable must have the same index and columns as monthly_ret")
        eligible &= tradable.fillna(False).astype(bool)
    deciles = assign_deciles(past_ret.where(eligible), n_deciles=n_deciles, breakpoint_mask=breakpoint_mask)

    next_ret = monthly_ret.shift(-1).to_numpy(dtype="float64")  # row t holds the month t+1 return
    has_next = np.isfinite(next_ret).any(axis=1)  # the holding month is in the data
    dec = deciles.to_numpy()
    labels = decile_labels(n_deciles)
    out = np.full((len(monthly_ret), n_deciles), np.nan)
    formation_weight = np.full(dec.shape, np.nan)
    for k in range(1, n_deciles + 1):  # loop over 10 deciles, vectorised over dates and stocks
        in_k = dec == k
        cap_k = np.where(in_k, mcap, 0.0)
        total = exact_row_sums(cap_k)
        with np.errstate(invalid="ignore", divide="ignore"):
            formation_weight[in_k] = (cap_k / total[:, None])[in_k]
            out[:, k - 1] = exact_row_sums(np.where(in_k, cap_k * np.nan_to_num(next_ret), 0.0)) / total
        out[(total == 0) | ~has_next, k - 1] = np.nan

    holding_index = monthly_ret.index[1:]
    decile_returns = pd.DataFrame(out[:-1], index=holding_index, columns=labels)
    decile_returns.index.name = "period_end"
    wml = (decile_returns[labels[-1]] - decile_returns[labels[0]]).rename("wml")
    return decile_returns, wml, _formation_long(deciles, formation_weight, past_ret)


def _formation_long(deciles: pd.DataFrame, weight: np.ndarray, past_ret: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "decile": deciles.stack(future_stack=True),
            "weight": pd.DataFrame(weight, index=deciles.index, columns=deciles.columns).stack(future_stack=True),
            "past_ret": past_ret.stack(future_stack=True),
        }
    ).dropna(subset=["decile"])
    frame.index.names = ["period_end", "stock_id"]
    frame = frame.reset_index()
    frame["period_end"] = pd.to_datetime(frame["period_end"])
    frame["stock_id"] = frame["stock_id"].astype(str)
    frame["decile"] = frame["decile"].astype("int64")
    return frame[FORMATION_COLUMNS].reset_index(drop=True)


def holding_days(daily_ret: pd.DataFrame, start) -> pd.DataFrame:
    """The rows of ``daily_ret`` from ``start`` (the first day of a month) on, every column kept: what
    :func:`decile_daily_returns` needs for the holding months from ``start``'s on. A holding month's buy and
    hold starts afresh at its first day, so its days do not depend on earlier rows; a stock formed at the
    month end before but without a daily return after it (delisted) keeps its column, so its weight stays
    in its decile at 0% (Daniel-Moskowitz 2016, Sec. 2.1: not redistributed)."""
    start = pd.Timestamp(start)
    if start != start.to_period("M").start_time:
        raise ValueError(f"holding days start on the first day of a month, not {start.date()}")
    return daily_ret.loc[daily_ret.index >= start]


def decile_daily_returns(daily_ret: pd.DataFrame, formation: pd.DataFrame) -> pd.DataFrame:
    """Daily buy-and-hold returns of the formation-t deciles over holding month t+1.

    Daniel-Moskowitz (2016) estimate GARCH and lagged betas on daily WML; the project applies the month-t
    formation set with its value weights at t and lets each position drift with its own daily returns
    inside the holding month (buy and hold), so the daily returns compound exactly to the monthly decile
    return. A missing daily return (suspension, after delisting) counts as 0%: the position keeps its last
    value. Days whose calendar month has no formation in the month before are left out.

    Args:
        daily_ret: wide panel, index trade_date, columns stock_id, simple daily returns.
        formation: the long ``formation`` output of ``wml_portfolios``.

    Returns:
        DataFrame index trade_date, columns d1..d{n} (n = max decile in ``formation``).
    """
    require_datetime_index(daily_ret, "daily_ret")
    require_simple_returns(daily_ret, "daily_ret")
    missing = set(FORMATION_COLUMNS[:4]) - set(formation.columns)
    if missing:
        raise ValueError(f"formation lacks columns {sorted(missing)}")
    daily_ret = daily_ret.copy()
    daily_ret.columns = daily_ret.columns.astype(str)
    if formation.empty:  # no formation yet (a history shorter than the 12-month ranking): no day to hold
        return pd.DataFrame(index=daily_ret.index[:0], dtype=float)
    if not formation["stock_id"].astype(str).isin(daily_ret.columns).any():
        raise ValueError("no formation stock_id appears in daily_ret columns: check the stock_id types")

    holding = pd.PeriodIndex(pd.to_datetime(formation["period_end"]), freq="M") + 1
    keyed = formation.assign(holding=holding, stock_id=formation["stock_id"].astype(str))
    weights = keyed.pivot_table(index="holding", columns="stock_id", values="weight", aggfunc="first")
    deciles = keyed.pivot_table(index="holding", columns="stock_id", values="decile", aggfunc="first")
    columns = daily_ret.columns
    day_month = daily_ret.index.to_period("M")
    w0 = weights.reindex(index=day_month, columns=columns).to_numpy()
    dec = deciles.reindex(index=day_month, columns=columns).to_numpy()

    ret = daily_ret.fillna(0.0)
    # Value of 1 invested at the start of the month, just before day d: product of (1 + r) on earlier days.
    growth_before = (1.0 + ret).groupby(day_month).cumprod().groupby(day_month).shift(1).fillna(1.0).to_numpy()
    value = np.nan_to_num(w0) * growth_before
    r = ret.to_numpy()
    n_deciles = int(formation["decile"].max())
    out = np.full((len(daily_ret), n_deciles), np.nan)
    for k in range(1, n_deciles + 1):
        v_k = np.where(dec == k, value, 0.0)
        total = exact_row_sums(v_k)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k - 1] = np.where(total > 0, exact_row_sums(v_k * r) / total, np.nan)
    result = pd.DataFrame(out, index=daily_ret.index, columns=decile_labels(n_deciles))
    return result.loc[result.notna().any(axis=1)]


def wml_daily(daily_ret: pd.DataFrame, formation: pd.DataFrame) -> pd.Series:
    """Daily WML = top minus bottom decile of ``decile_daily_returns`` (Daniel-Moskowitz 2016, App. D input).

    Returns a Series indexed by trade_date, named ``wml``; only days inside a holding month.
    """
    deciles = decile_daily_returns(daily_ret, formation)
    return (deciles.iloc[:, -1] - deciles.iloc[:, 0]).rename("wml")
