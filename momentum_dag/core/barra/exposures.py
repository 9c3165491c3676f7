"""Barra CNE5 style exposures: cross-sectional standardization, winsorization, orthogonalization and the
ten style factors built from the raw descriptors in ``barra_descriptors``.

Sources: MSCI, "Barra China Equity Model (CNE5) — Descriptor Definitions" (Sept 2013) for descriptors and
composite weights; Menchero, Orr & Wang, "The Barra US Equity Model (USE4) Methodology Notes" (2011) for
standardization and orthogonalization practice. Where the two leave a choice, the docstring says which is taken.

Cross-sectional helpers take wide panels (rows = dates, columns = stocks) and work row by row, vectorized
across dates; a Series is treated as one cross-section.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from momentum_dag.core.barra import descriptors as d

STYLE_NAMES: tuple[str, ...] = (
    "size",
    "beta",
    "momentum",
    "residual_volatility",
    "non_linear_size",
    "liquidity",
    "book_to_price",
    "earnings_yield",
    "growth",
    "leverage",
)

# CNE5 composite weights. Earnings Yield = 0.68 EPIBS + 0.11 ETOP + 0.21 CETOP and Growth = 0.47 SGRO +
# 0.24 EGRO + 0.18 EGIBS + 0.11 EGIBS_s: analyst (EPIBS, EGIBS*) and cash-earnings (CETOP) data are not in
# the raw contract, so those terms are absent and the remaining weights renormalize.
RESIDUAL_VOLATILITY_WEIGHTS = {"dastd": 0.74, "cmra": 0.16, "hsigma": 0.10}
LIQUIDITY_WEIGHTS = {"stom": 0.35, "stoq": 0.35, "stoa": 0.30}
EARNINGS_YIELD_WEIGHTS = {"etop": 0.11}
GROWTH_WEIGHTS = {"sgro": 0.47, "egro": 0.24}
LEVERAGE_WEIGHTS = {"mlev": 0.38, "dtoa": 0.35, "blev": 0.27}

# Style -> descriptor weights (CNE5). Residual volatility, liquidity and NLSIZE are then orthogonalized.
STYLE_DESCRIPTORS: dict[str, dict[str, float]] = {
    "size": {"lncap": 1.0},
    "beta": {"beta": 1.0},
    "momentum": {"rstr": 1.0},
    "residual_volatility": RESIDUAL_VOLATILITY_WEIGHTS,
    "liquidity": LIQUIDITY_WEIGHTS,
    "book_to_price": {"btop": 1.0},
    "earnings_yield": EARNINGS_YIELD_WEIGHTS,
    "growth": GROWTH_WEIGHTS,
    "leverage": LEVERAGE_WEIGHTS,
}


@dataclass(frozen=True)
class BarraParams:
    """Descriptor windows (trading days) and half-lives; defaults are CNE5.

    ``min_coverage`` is the share of each window that must hold data (our choice); ``cmra_log_form``
    selects the USE4 ln(1 + Z) form of CMRA; ``winsor_limit`` clips standardized values at +/- limit.
    """

    beta_window: int = 252
    beta_half_life: float = 63
    rstr_window: int = 504
    rstr_lag: int = 21
    rstr_half_life: float = 126
    dastd_window: int = 252
    dastd_half_life: float = 42
    cmra_months: int = 12
    days_per_month: int = 21
    cmra_log_form: bool = True
    min_coverage: float = 0.5
    winsor_limit: float = 3.0


# ---------------------------------------------------------------- cross-sectional helpers


def cap_weighted_standardize(x: pd.DataFrame | pd.Series, cap: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """(x - cap-weighted mean) / equal-weighted std, per cross-section (USE4 Methodology Notes, section 3).

    The cap-weighted mean makes the cap-weighted market portfolio style-neutral; the std is the
    equal-weighted population std (ddof=0) about the equal-weighted mean, so a few mega caps cannot shrink
    the scale (USE4 practice; some CNE5 summaries use cap weights for both).
    Only stocks with finite x and cap > 0 enter; others are NaN. A cross-section with < 2 stocks or zero
    dispersion is NaN.
    """
    if isinstance(x, pd.Series):
        return cap_weighted_standardize(_as_row(x), _as_row(cap)).iloc[0].rename(x.name)
    xv, cv = _aligned_values(x, cap, "cap")
    valid = np.isfinite(xv) & np.isfinite(cv) & (cv > 0)
    xz, cw = np.where(valid, xv, 0.0), np.where(valid, cv, 0.0)
    count = valid.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        cap_mean = (cw * xz).sum(axis=1, keepdims=True) / cw.sum(axis=1, keepdims=True)
        eq_mean = xz.sum(axis=1, keepdims=True) / count
        eq_std = np.sqrt((np.where(valid, xz - eq_mean, 0.0) ** 2).sum(axis=1, keepdims=True) / count)
        z = (xv - cap_mean) / np.where((count >= 2) & (eq_std > 0), eq_std, np.nan)
    return pd.DataFrame(np.where(valid, z, np.nan), index=x.index, columns=x.columns)


def winsorize(z: pd.DataFrame | pd.Series, cap: pd.DataFrame | pd.Series, limit: float = 3.0) -> pd.DataFrame:
    """Clip standardized values at +/- ``limit`` then re-standardize with ``cap_weighted_standardize``.

    USE4 Methodology Notes, section 3 (outlier treatment), simplified to one clip-and-restandardize pass:
    after re-standardizing a value can sit slightly beyond the limit again.
    """
    if not limit > 0:
        raise ValueError(f"winsorize limit must be > 0, got {limit!r}")
    return cap_weighted_standardize(z.clip(-limit, limit), cap)


def orthogonalize(
    y: pd.DataFrame | pd.Series,
    regressors: Sequence[pd.DataFrame | pd.Series],
    weights: pd.DataFrame | pd.Series,
) -> pd.DataFrame:
    """Residual of the cross-sectional WLS of ``y`` on an intercept and ``regressors``, per date.

    USE4 Methodology Notes: a style is made orthogonal to others by regressing it on them with regression
    weights and keeping the residual, so sum_i w_i e_i = 0 and sum_i w_i e_i x_i = 0. Stocks missing y,
    any regressor or a positive weight are NaN; a date with fewer stocks than coefficients is NaN.
    Solved with ``numpy.linalg.lstsq`` on sqrt(w)-scaled rows (the WLS estimate statsmodels also computes),
    one solve per date.
    """
    if isinstance(y, pd.Series):
        rows = [_as_row(x) for x in regressors]
        return orthogonalize(_as_row(y), rows, _as_row(weights)).iloc[0].rename(y.name)
    yv, wv = _aligned_values(y, weights, "weights")
    xs = np.stack([_aligned_values(y, x, "regressor")[1] for x in regressors], axis=2)
    valid = np.isfinite(yv) & np.isfinite(wv) & (wv > 0) & np.isfinite(xs).all(axis=2)
    out = np.full(yv.shape, np.nan)
    for row in range(yv.shape[0]):
        keep = valid[row]
        if keep.sum() <= xs.shape[2] + 1:
            continue
        design = np.column_stack([np.ones(keep.sum()), xs[row, keep]])
        root_w = np.sqrt(wv[row, keep])
        coef = np.linalg.lstsq(design * root_w[:, None], yv[row, keep] * root_w, rcond=None)[0]
        out[row, keep] = yv[row, keep] - design @ coef
    return pd.DataFrame(out, index=y.index, columns=y.columns)


def _aligned_values(x: pd.DataFrame, other: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of x and of ``other`` aligned to x's dates and stocks; other must cover x's dates."""
    if not isinstance(other, pd.DataFrame):
        raise ValueError(f"{name} must be a wide DataFrame like x, got {type(other).__name__}")
    missing = x.index.difference(other.index)
    if len(missing):
        raise ValueError(f"{name} has no row for dates {list(missing[:3])}")
    return x.to_numpy(dtype=float), other.reindex(index=x.index, columns=x.columns).to_numpy(dtype=float)


def _as_row(values: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """One cross-section (Series over stocks) as a one-row wide panel."""
    if not isinstance(values, pd.Series):
        raise ValueError("with a Series cross-section, pass cap, weights and regressors as Series too")
    return pd.DataFrame([values.to_numpy(dtype=float)], columns=values.index)


def _standardized(x: pd.DataFrame, cap: pd.DataFrame, limit: float) -> pd.DataFrame:
    """Standardize then winsorize: the treatment every descriptor and style gets (USE4 section 3)."""
    return winsorize(cap_weighted_standardize(x, cap), cap, limit)


def _composite(parts: dict[str, pd.DataFrame], weights: dict[str, float]) -> pd.DataFrame:
    """sum_k w_k d_k / sum_{k present} w_k: missing descriptors drop out and the weights renormalize."""
    num = sum(weights[k] * parts[k].fillna(0.0) for k in weights)
    den = sum(weights[k] * parts[k].notna() for k in weights)
    return num / den.where(den > 0)


# ---------------------------------------------------------------- style exposures


def style_exposures(
    *,
    ret: pd.DataFrame,
    rf: pd.Series,
    market_excess: pd.Series,
    turnover: pd.DataFrame,
    total_mcap: pd.DataFrame,
    float_mcap: pd.DataFrame,
    book_equity: pd.DataFrame,
    net_income_ttm: pd.DataFrame,
    revenue_ttm: pd.DataFrame,
    total_assets: pd.DataFrame,
    total_liabilities: pd.DataFrame,
    net_income_ttm_lag1y: pd.DataFrame,
    revenue_ttm_lag1y: pd.DataFrame,
    month_ends: pd.DatetimeIndex,
    params: BarraParams = BarraParams(),
) -> pd.DataFrame:
    """The ten CNE5 style exposures of every stock at each month end (CNE5 descriptor doc; USE4 notes).

    Inputs: daily wide panels ``ret`` (simple), ``turnover``, ``total_mcap``, ``float_mcap`` (index trade
    dates, columns stock_id; ``ret`` sets the stock list), daily Series ``rf`` and ``market_excess``;
    fundamentals as monthly wide panels whose index contains ``month_ends`` (point in time at t), with
    ``*_lag1y`` the same items one year earlier. Values at t use data dated <= t only.

    Procedure per month end: each descriptor is standardized (cap-weighted mean, equal-weighted std; cap =
    float mcap) and winsorized at +/- ``winsor_limit``; composites are weighted sums with weights
    renormalized over the descriptors a stock has; each style is standardized and winsorized again.
    Residual volatility is orthogonalized to Beta and Size (USE4 practice), Liquidity to Size, and
    NLSIZE = (standardized Size)^3 orthogonalized to Size; orthogonalizations are WLS with regression
    weights sqrt(float mcap), then re-standardized. Universe = stocks with total and float mcap > 0 at t.
    A stock with no descriptor for a style is NaN for that style (no fill), and a style orthogonalized to
    Beta/Size is NaN where those are.

    Returns long rows ``period_end, stock_id`` + ``STYLE_NAMES`` for every stock in the universe at t.
    """
    month_ends = pd.DatetimeIndex(month_ends)
    d._month_end_positions(ret.index, month_ends)

    def at_month_ends(panel: pd.DataFrame) -> pd.DataFrame:
        return panel.reindex(index=month_ends, columns=ret.columns).rename_axis("date")

    me, cap = at_month_ends(total_mcap), at_month_ends(float_mcap)
    universe = (me > 0) & (cap > 0)
    fundamentals = {
        "book_equity": book_equity,
        "net_income_ttm": net_income_ttm,
        "revenue_ttm": revenue_ttm,
        "total_assets": total_assets,
        "total_liabilities": total_liabilities,
        "net_income_ttm_lag1y": net_income_ttm_lag1y,
        "revenue_ttm_lag1y": revenue_ttm_lag1y,
    }
    for name, panel in fundamentals.items():
        missing = month_ends.difference(pd.DatetimeIndex(panel.index))
        if len(missing):
            raise ValueError(f"{name} has no row for month ends {list(missing[:3].date)}")
    with d.shared_inputs():
        price_volume = _price_volume_descriptors(ret, rf, market_excess, turnover.reindex_like(ret), month_ends, params)
    raw = {
        **price_volume,
        **_fundamental_descriptors({k: at_month_ends(v) for k, v in fundamentals.items()}, me.where(universe)),
    }
    styles = _combine_styles(raw, cap.where(universe), universe, params.winsor_limit)
    return _to_long_styles(styles, universe)


def _price_volume_descriptors(
    ret: pd.DataFrame,
    rf: pd.Series,
    market_excess: pd.Series,
    turnover: pd.DataFrame,
    month_ends: pd.DatetimeIndex,
    p: BarraParams,
) -> dict[str, pd.DataFrame]:
    """Raw daily-data descriptors at the month ends (``barra_descriptors``), keyed by descriptor name."""
    cover = {"min_coverage": p.min_coverage}
    beta, hsigma = d.beta_hsigma(
        ret, rf, market_excess, month_ends, window=p.beta_window, half_life=p.beta_half_life, **cover
    )
    rstr = d.rstr(ret, rf, month_ends, window=p.rstr_window, lag=p.rstr_lag, half_life=p.rstr_half_life, **cover)
    dastd = d.dastd(ret, rf, month_ends, window=p.dastd_window, half_life=p.dastd_half_life, **cover)
    cmra = d.cmra(
        ret,
        rf,
        month_ends,
        months=p.cmra_months,
        days_per_month=p.days_per_month,
        log_form=p.cmra_log_form,
        **cover,
    )
    turnover_by_months = {
        name: d.share_turnover(turnover, month_ends, months=months, days_per_month=p.days_per_month, **cover)
        for name, months in (("stom", 1), ("stoq", 3), ("stoa", 12))
    }
    return {"beta": beta, "hsigma": hsigma, "rstr": rstr, "dastd": dastd, "cmra": cmra, **turnover_by_months}


def _fundamental_descriptors(f: dict[str, pd.DataFrame], me: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Size and the fundamental descriptors at the month ends; ``me`` = total market cap at t."""
    return {
        "lncap": d.lncap(me),
        "btop": d.btop(f["book_equity"], me),
        "etop": d.etop(f["net_income_ttm"], me),
        "sgro": d.yoy_growth(f["revenue_ttm"], f["revenue_ttm_lag1y"]),
        "egro": d.yoy_growth(f["net_income_ttm"], f["net_income_ttm_lag1y"]),
        "mlev": d.mlev(me, f["total_liabilities"]),
        "dtoa": d.dtoa(f["total_liabilities"], f["total_assets"]),
        "blev": d.blev(f["book_equity"], f["total_liabilities"]),
    }


def _combine_styles(
    raw: dict[str, pd.DataFrame], cap: pd.DataFrame, universe: pd.DataFrame, limit: float
) -> dict[str, pd.DataFrame]:
    """Descriptors -> styles: standardize + winsorize each descriptor, combine (CNE5 weights, renormalized
    over the descriptors present), standardize + winsorize, then orthogonalize with sqrt(cap) weights
    (USE4) and standardize + winsorize once more."""

    def std(x: pd.DataFrame) -> pd.DataFrame:
        return _standardized(x.where(universe), cap, limit)

    z = {name: std(x) for name, x in raw.items()}
    styles = {style: std(_composite(z, weights)) for style, weights in STYLE_DESCRIPTORS.items()}
    reg_w = np.sqrt(cap)
    size, beta = styles["size"], styles["beta"]
    styles["residual_volatility"] = std(orthogonalize(styles["residual_volatility"], [beta, size], reg_w))
    styles["liquidity"] = std(orthogonalize(styles["liquidity"], [size], reg_w))
    styles["non_linear_size"] = std(orthogonalize(size**3, [size], reg_w))
    return styles


def _to_long_styles(styles: dict[str, pd.DataFrame], universe: pd.DataFrame) -> pd.DataFrame:
    """Wide style panels -> long rows (period_end, stock_id, one column per style) for universe stocks."""
    keep = universe.to_numpy().ravel()
    dates = np.repeat(universe.index.to_numpy(), universe.shape[1])
    ids = np.tile(universe.columns.astype(str).to_numpy(), universe.shape[0])
    out = pd.DataFrame({"period_end": dates[keep], "stock_id": ids[keep]})
    for name in STYLE_NAMES:
        out[name] = styles[name].to_numpy(dtype=float).ravel()[keep]
    return out
