"""Barra CNE5 raw descriptors, evaluated at month ends from daily and monthly wide panels.

Source: MSCI, "Barra China Equity Model (CNE5) — Descriptor Definitions" (Sept 2013), with the USE4
practice of Menchero, Orr & Wang, "The Barra US Equity Model (USE4) Methodology Notes" (2011) where the
CNE5 text leaves a detail open.

Daily inputs are wide panels (index trade_date, columns stock_id); ``rf`` and ``market_excess`` are daily
Series on the same dates. Monthly inputs are wide panels indexed by period_end (the month ends) with the same
columns. Every function returns a wide panel indexed by ``month_ends``: the value at t uses rows dated <= t.

Time-series descriptors are computed only at month ends, each over its trailing window matrix
(window x stocks) with the exponential weight vector applied to it: one numpy pass per month end,
vectorized across stocks. Missing days are allowed; ``min_coverage`` is the share of the window that must
hold data (our choice: CNE5 only says a descriptor needs "sufficient history"). A suspended day has no
return (NaN in ``marts.stock_returns_daily``), so volatility, beta and residual-volatility descriptors use
the days the stock traded and count their minimum days on those.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- weights and weighted moments


def exp_weights(window: int, half_life: float) -> np.ndarray:
    """Exponential weights over a trailing window, oldest row first, summing to one.

    CNE5 "exponentially weighted with half-life h": w_age ∝ 0.5 ** (age / h), age 0 = the most recent row,
    so the weight halves every ``half_life`` rows back in time.
    """
    if int(window) < 1:
        raise ValueError(f"window must be a positive integer, got {window!r}")
    if not half_life > 0:
        raise ValueError(f"half_life must be > 0, got {half_life!r}")
    age = np.arange(int(window) - 1, -1, -1, dtype=float)
    weights = 0.5 ** (age / half_life)
    return weights / weights.sum()


def weighted_std(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted standard deviation of each column of ``x`` (rows = time) about its weighted mean.

    sigma = sqrt(sum_t w_t (x_t - mu_w)^2 / sum_t w_t), mu_w = sum_t w_t x_t / sum_t w_t, summing over the
    non-missing rows of each column (weights renormalize over them; no degrees-of-freedom correction).
    A column with no data is NaN. ``x`` may be 1-D (one series) or 2-D (time x entities).
    """
    x = np.asarray(x, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or len(weights) != x.shape[0]:
        raise ValueError(f"weights must be 1-D, one per row of x ({x.shape[0]} rows), got {weights.shape}")
    masked = _masked(x)
    return _weighted_std_masked(weights, masked.values, masked.present)


class _Masked(NamedTuple):
    """A panel split into zero-filled values and a 0/1 presence mask, so weighted sums over the present
    rows are plain vector-matrix products (weights @ block) instead of NaN-aware reductions."""

    values: np.ndarray
    present: np.ndarray


def _masked(x: np.ndarray) -> _Masked:
    present = np.isfinite(x)
    values = np.ascontiguousarray(np.where(present, x, 0.0))
    return _Masked(values, np.ascontiguousarray(present, dtype=float))


_SHARED: ContextVar[dict | None] = ContextVar("barra_descriptor_inputs", default=None)


@contextmanager
def shared_inputs() -> Iterator[None]:
    """Inside the block, descriptors of the same panels prepare each masked input once: BETA, HSIGMA and
    DASTD read the excess returns, RSTR and CMRA the log excess returns, STOM/STOQ/STOA the turnover (a
    full pass over the daily panel each, most of the descriptors' time at 5,000 stocks). Nothing is kept
    after the block."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _prepared(kind: str, panels: tuple, make: Callable[[], _Masked]) -> _Masked:
    """``make()``, or inside :func:`shared_inputs` the one already made for these panel objects."""
    shared = _SHARED.get()
    if shared is None:
        return make()
    key = (kind, *map(id, panels))
    if key not in shared:
        shared[key] = (panels, make())  # the panels held too, so their ids stay theirs inside the block
    return shared[key][1]


def _weighted_std_masked(weights: np.ndarray, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Two-pass weighted std over the present rows (the deviation pass keeps it accurate for any mean)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        total = weights @ present
        mean = weights @ values / total
        dev = (values - mean) * present
        return np.sqrt(weights @ (dev * dev) / total)


# ---------------------------------------------------------------- input handling


def _month_end_positions(index: pd.DatetimeIndex, month_ends: pd.DatetimeIndex) -> np.ndarray:
    """Row position of each month end in the daily index; every month end must be a trade date."""
    if not isinstance(index, pd.DatetimeIndex) or not index.is_monotonic_increasing or not index.is_unique:
        raise ValueError("daily panels need a sorted, unique DatetimeIndex of trade dates")
    month_ends = pd.DatetimeIndex(month_ends)
    pos = index.get_indexer(month_ends)
    if (pos < 0).any():
        missing = list(month_ends[pos < 0][:3].date)
        raise ValueError(f"month_ends not found among the daily trade dates: {missing}")
    return pos


def _daily_series(series: pd.Series, index: pd.DatetimeIndex, name: str) -> np.ndarray:
    """A daily Series aligned to the trade dates of the panel; a gap is an error, not a silent NaN."""
    aligned = series.reindex(index)
    if aligned.isna().any():
        first = aligned.index[aligned.isna()][0].date()
        raise ValueError(f"{name} is missing on trade date {first} (needed for every trade date of ret)")
    return aligned.to_numpy(dtype=float)


def _log_excess_returns(ret: pd.DataFrame, rf: pd.Series) -> np.ndarray:
    """ln(1 + r) - ln(1 + r_f), the CNE5 excess log return (time x stocks)."""
    values = ret.to_numpy(dtype=float)
    if (values <= -1).any():
        raise ValueError("ret has simple returns <= -1; cannot take ln(1 + r)")
    return np.log1p(values) - np.log1p(_daily_series(rf, ret.index, "rf"))[:, None]


def _excess_returns(ret: pd.DataFrame, rf: pd.Series) -> np.ndarray:
    """r - r_f in simple returns (time x stocks)."""
    return ret.to_numpy(dtype=float) - _daily_series(rf, ret.index, "rf")[:, None]


def _window(values: np.ndarray, end: int, length: int) -> np.ndarray:
    """Rows end-length+1 .. end of a zero-filled array, zero-padded (= absent) before the first row."""
    start = end - length + 1
    block = values[max(start, 0) : end + 1]
    if start >= 0:
        return block
    return np.concatenate([np.zeros((-start,) + values.shape[1:]), block])


def _at_month_ends(values: np.ndarray, like: pd.DataFrame, month_ends: pd.DatetimeIndex) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.DatetimeIndex(month_ends, name="date"), columns=like.columns)


def _check_coverage(min_coverage: float) -> None:
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage!r}")


def _min_obs(min_coverage: float, length: int, floor: int = 1) -> int:
    _check_coverage(min_coverage)
    return max(floor, int(np.ceil(min_coverage * length)))


# ---------------------------------------------------------------- price / volume descriptors


def lncap(total_mcap: pd.DataFrame) -> pd.DataFrame:
    """Size descriptor LNCAP = ln(total market cap) (CNE5 descriptor doc, Size). Non-positive cap -> NaN."""
    return np.log(total_mcap.where(total_mcap > 0))


def beta_hsigma(
    ret: pd.DataFrame,
    rf: pd.Series,
    market_excess: pd.Series,
    month_ends: pd.DatetimeIndex,
    *,
    window: int = 252,
    half_life: float = 63,
    min_coverage: float = 0.5,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """BETA and HSIGMA (CNE5 descriptor doc, Beta and Residual Volatility).

    Time-series WLS r_t - r_ft = alpha + beta R_t + e_t over the trailing ``window`` days with exponential
    weights of half-life ``half_life``; R_t = cap-weighted universe excess return (``market_excess``).
    BETA = beta; HSIGMA = weighted std of e_t, sqrt(sum w e^2 / sum w). Days a stock misses are dropped
    and its weights renormalize; fewer than ``min_coverage * window`` days (or < 3) -> NaN.

    Hand-written closed-form WLS: each stock has its own missing-day mask, and a per-stock statsmodels fit
    would be one Python call per stock per month.
    """
    min_obs = _min_obs(min_coverage, window, floor=3)
    pos = _month_end_positions(ret.index, month_ends)
    y = _prepared("excess", (ret, rf), lambda: _masked(_excess_returns(ret, rf)))
    x = _daily_series(market_excess, ret.index, "market_excess")
    weights = exp_weights(window, half_life)
    beta = np.full((len(pos), ret.shape[1]), np.nan)
    hsigma = np.full_like(beta, np.nan)
    for i, end in enumerate(pos):
        beta[i], hsigma[i] = _wls_beta(
            _window(y.values, end, window),
            _window(y.present, end, window),
            _window(x, end, window),
            weights,
            min_obs,
        )
    return _at_month_ends(beta, ret, month_ends), _at_month_ends(hsigma, ret, month_ends)


def _wls_beta(
    y: np.ndarray, present: np.ndarray, x: np.ndarray, weights: np.ndarray, min_obs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-column weighted simple regression of y (time x stocks, zero-filled) on x (time): slope, resid std.

    Weighted moments are vector-matrix products (weights @ window), a few BLAS passes per month end.
    x is first shifted by its weighted mean (a common shift that leaves beta and residuals unchanged) to
    limit cancellation in the moment formulas; resid var = var_y - cov^2 / var_x.
    """
    x = x - weights @ x
    wx = weights * x
    with np.errstate(invalid="ignore", divide="ignore"):
        total = weights @ present
        mean_x, mean_y = wx @ present / total, weights @ y / total
        var_x = (wx * x) @ present / total - mean_x**2
        cov = wx @ y / total - mean_x * mean_y
        var_y = weights @ (y * y) / total - mean_y**2
        beta = cov / var_x
        hsigma = np.sqrt(np.clip(var_y - beta * cov, 0.0, None))
    enough = present.sum(axis=0) >= min_obs
    return np.where(enough, beta, np.nan), np.where(enough, hsigma, np.nan)


def rstr(
    ret: pd.DataFrame,
    rf: pd.Series,
    month_ends: pd.DatetimeIndex,
    *,
    window: int = 504,
    lag: int = 21,
    half_life: float = 126,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """Relative strength RSTR = sum_{t=L}^{T+L} w_t [ln(1 + r_t) - ln(1 + r_ft)] (CNE5 descriptors, Momentum).

    T = ``window`` days ending ``lag`` (L) days before the month end, exponential weights of half-life
    ``half_life`` summing to one over the window. A missing day is skipped and the weights renormalize over
    the days present, so RSTR is the weighted mean daily excess log return; it needs at least
    ``min_coverage * window`` days, a shorter requirement than CNE5's full history (our choice,
    so stocks listed about a year still get a value; set 1.0 for the strict rule).
    """
    min_obs = _min_obs(min_coverage, window)
    pos = _month_end_positions(ret.index, month_ends)
    log_excess = _prepared("log_excess", (ret, rf), lambda: _masked(_log_excess_returns(ret, rf)))
    weights = exp_weights(window, half_life)
    out = np.full((len(pos), ret.shape[1]), np.nan)
    for i, end in enumerate(pos):
        if end - lag < 0:
            continue
        values = _window(log_excess.values, end - lag, window)
        present = _window(log_excess.present, end - lag, window)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = weights @ values / (weights @ present)
        out[i] = np.where(present.sum(axis=0) >= min_obs, value, np.nan)
    return _at_month_ends(out, ret, month_ends)


def dastd(
    ret: pd.DataFrame,
    rf: pd.Series,
    month_ends: pd.DatetimeIndex,
    *,
    window: int = 252,
    half_life: float = 42,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """Daily standard deviation DASTD (CNE5 descriptor doc, Residual Volatility).

    Weighted std (``weighted_std``) of daily excess returns r_t - r_ft over the trailing ``window`` days,
    half-life ``half_life``; fewer than ``min_coverage * window`` days (or < 2) -> NaN.
    """
    min_obs = _min_obs(min_coverage, window, floor=2)
    pos = _month_end_positions(ret.index, month_ends)
    excess = _prepared("excess", (ret, rf), lambda: _masked(_excess_returns(ret, rf)))
    weights = exp_weights(window, half_life)
    out = np.full((len(pos), ret.shape[1]), np.nan)
    for i, end in enumerate(pos):
        present = _window(excess.present, end, window)
        value = _weighted_std_masked(weights, _window(excess.values, end, window), present)
        out[i] = np.where(present.sum(axis=0) >= min_obs, value, np.nan)
    return _at_month_ends(out, ret, month_ends)


def cmra(
    ret: pd.DataFrame,
    rf: pd.Series,
    month_ends: pd.DatetimeIndex,
    *,
    months: int = 12,
    days_per_month: int = 21,
    log_form: bool = True,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """Cumulative range CMRA (CNE5 descriptor doc, Residual Volatility; USE4 Methodology Notes).

    Z(T) = sum_{tau=1}^{T} [ln(1 + r_tau) - ln(1 + r_f,tau)] over the last T "months" of ``days_per_month``
    trading days, T = 1..``months``. With ``log_form=True`` (default, USE4) CMRA = ln(1 + Z_max) -
    ln(1 + Z_min); the CNE5 doc prints Z_max - Z_min (``log_form=False``). In the log form a stock with
    1 + Z_min <= 0 is NaN. Missing days count as zero excess log return; fewer than
    ``min_coverage * months * days_per_month`` days with data -> NaN.
    """
    length = months * days_per_month
    min_obs = _min_obs(min_coverage, length)
    pos = _month_end_positions(ret.index, month_ends)
    log_excess = _prepared("log_excess", (ret, rf), lambda: _masked(_log_excess_returns(ret, rf)))
    out = np.full((len(pos), ret.shape[1]), np.nan)
    for i, end in enumerate(pos):
        monthly = _window(log_excess.values, end, length).reshape(months, days_per_month, -1).sum(axis=1)
        z = np.cumsum(monthly[::-1], axis=0)  # row T-1 = sum over the most recent T months
        z_max, z_min = z.max(axis=0), z.min(axis=0)
        value = _log_range(z_max, z_min) if log_form else z_max - z_min
        out[i] = np.where(_window(log_excess.present, end, length).sum(axis=0) >= min_obs, value, np.nan)
    return _at_month_ends(out, ret, month_ends)


def _masked_turnover(turnover: pd.DataFrame) -> _Masked:
    values = turnover.to_numpy(dtype=float)
    if (values < 0).any():
        raise ValueError("turnover has negative values")
    return _masked(values)


def _log_range(z_max: np.ndarray, z_min: np.ndarray) -> np.ndarray:
    """ln(1 + Z_max) - ln(1 + Z_min), NaN where 1 + Z_min <= 0 (log undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log1p(z_max) - np.log(np.where(1 + z_min > 0, 1 + z_min, np.nan))


def share_turnover(
    turnover: pd.DataFrame,
    month_ends: pd.DatetimeIndex,
    *,
    months: int,
    days_per_month: int = 21,
    min_coverage: float = 0.5,
) -> pd.DataFrame:
    """Share turnover STOM / STOQ / STOA (CNE5 descriptor doc, Liquidity) for ``months`` = 1 / 3 / 12.

    STOM = ln sum_{21 days} V_t / S_t; STO_T = ln((1/T) sum_{tau=1}^{T} exp(STOM_tau)) over the last T
    non-overlapping 21-day months, which equals ln(sum of daily turnover over 21 T days / T).
    ``turnover`` is daily volume over float shares. Missing days count as zero turnover (suspended);
    fewer than ``min_coverage * 21 T`` days with data, or zero total turnover -> NaN.
    """
    length = months * days_per_month
    min_obs = _min_obs(min_coverage, length)
    pos = _month_end_positions(turnover.index, month_ends)
    masked = _prepared("turnover", (turnover,), lambda: _masked_turnover(turnover))
    out = np.full((len(pos), turnover.shape[1]), np.nan)
    for i, end in enumerate(pos):
        total = _window(masked.values, end, length).sum(axis=0) / months
        with np.errstate(divide="ignore"):
            value = np.log(np.where(total > 0, total, np.nan))
        out[i] = np.where(_window(masked.present, end, length).sum(axis=0) >= min_obs, value, np.nan)
    return _at_month_ends(out, turnover, month_ends)


# ---------------------------------------------------------------- fundamental descriptors (monthly panels)


def btop(book_equity: pd.DataFrame, total_mcap: pd.DataFrame) -> pd.DataFrame:
    """Book-to-price BTOP = book equity / total market cap (CNE5 descriptors, Value). Negative book kept."""
    return book_equity / total_mcap.where(total_mcap > 0)


def etop(net_income_ttm: pd.DataFrame, total_mcap: pd.DataFrame) -> pd.DataFrame:
    """Trailing earnings-to-price ETOP = TTM net income / total market cap (CNE5, Earnings Yield)."""
    return net_income_ttm / total_mcap.where(total_mcap > 0)


def yoy_growth(current: pd.DataFrame, lagged: pd.DataFrame) -> pd.DataFrame:
    """Year-on-year growth (x_t - x_{t-12m}) / |x_{t-12m}|: the project's proxy for CNE5 SGRO and EGRO.

    CNE5 regresses five fiscal years of per-share sales (earnings) on time and divides the slope by the
    mean absolute value; only one year of TTM history is assumed here (a stand-in: the synthetic and
    free data hold one year).
    The absolute denominator keeps the sign meaningful when last year's value was negative; zero -> NaN.
    """
    base = lagged.abs()
    return (current - lagged) / base.where(base > 0)


def mlev(total_mcap: pd.DataFrame, total_liabilities: pd.DataFrame) -> pd.DataFrame:
    """Market leverage MLEV = (ME + PE + LD) / ME (CNE5 descriptor doc, Leverage), with PE + LD replaced by
    total liabilities: the raw contract has no preferred-equity / long-term-debt split."""
    me = total_mcap.where(total_mcap > 0)
    return (me + total_liabilities) / me


def dtoa(total_liabilities: pd.DataFrame, total_assets: pd.DataFrame) -> pd.DataFrame:
    """Debt-to-assets DTOA = total debt / total assets (CNE5, Leverage), debt = total liabilities."""
    return total_liabilities / total_assets.where(total_assets > 0)


def blev(book_equity: pd.DataFrame, total_liabilities: pd.DataFrame) -> pd.DataFrame:
    """Book leverage BLEV = (BE + PE + LD) / BE (CNE5, Leverage); PE + LD = total liabilities; BE<=0: NaN."""
    be = book_equity.where(book_equity > 0)
    return (be + total_liabilities) / be
