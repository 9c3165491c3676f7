"""Factor momentum: time-series and cross-sectional strategies over factor returns, and factor autocorrelation.

Ehsani & Linnainmaa (2022, JF 77(3):1877-1919), "Factor momentum and the momentum factor"; details follow
the official Stata replication code. Input is a wide monthly panel of factor returns
(period end x factor name), one row per consecutive month. A signal formed at month end t uses the factor
returns of months t-11..t (12 months INCLUDING t, no skip month: Stata ``tssmooth ma, window(12)`` on the
holding month) and is applied to the return of month t+1; rows of the output are indexed by the holding
month t+1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import add_constant

from momentum_dag.core.factor_momentum.portfolios import MOMENTUM_FACTORS, is_momentum_name
from momentum_dag.core.validate import float_panel


def select_factors(factor_returns: pd.DataFrame, exclude: tuple[str, ...]) -> pd.DataFrame:
    """Validated factor panel without the excluded (case-insensitive) factor names."""
    returns = float_panel(factor_returns, "factor_returns")
    keep = [c for c in returns.columns if not is_momentum_name(c, exclude)]
    if not keep:
        raise ValueError("no factors left after excluding " + ", ".join(exclude))
    return returns[keep]


def trailing_mean(factor_returns: pd.DataFrame, *, lookback: int = 12, min_obs: int = 12) -> pd.DataFrame:
    """MA_{f,t}: mean factor return over rows t-lookback+1..t (including t), NaN below ``min_obs`` returns.

    E-L (2022) section I.B, Stata ``tssmooth ma MA=ret, window(12)``: 12 months, no skip month.
    """
    returns = float_panel(factor_returns, "factor_returns")
    if not 1 <= min_obs <= lookback:
        raise ValueError(f"need 1 <= min_obs <= lookback, got min_obs={min_obs}, lookback={lookback}")
    return returns.rolling(lookback, min_periods=min_obs).mean()


def ts_factor_signals(
    factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    min_obs: int = 12,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
) -> pd.DataFrame:
    """Time-series factor momentum signal at each formation month t: sign(MA_{f,t}) in {+1, -1}.

    E-L (2022) eq. for TSMom: long factors with a positive average return over the prior year, short those
    with a negative one. A zero average (sign 0) gives no position (NaN), as Stata's sign() = 0 contributes
    nothing; the factor is also left out of the equal-weight count.
    """
    ma = trailing_mean(select_factors(factor_returns, exclude), lookback=lookback, min_obs=min_obs)
    return np.sign(ma).where(ma != 0)


def _apply_next_month(signals: pd.DataFrame, returns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Signals formed at row t lined up with returns of row t+1; both masked to factors with both values."""
    held = signals.shift(1)
    valid = held.notna() & returns.notna()
    return held.where(valid), returns.where(valid)


def _legs(held: pd.DataFrame, r: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            f"{prefix}_winners": r.where(held > 0).mean(axis=1),
            f"{prefix}_losers": r.where(held < 0).mean(axis=1),
            "n_long": (held > 0).sum(axis=1),
            "n_short": (held < 0).sum(axis=1),
        }
    )


def ts_factor_momentum(
    factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    min_obs: int = 12,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
) -> pd.DataFrame:
    """Time-series factor momentum TSMom_{t+1} = mean_f[sign(MA_{f,t}) r_{f,t+1}] (E-L 2022, section I.B).

    Equal weight over every factor with a nonzero signal at t and a return in t+1. Winner leg = EW mean
    return of the positive-signal factors; loser leg = EW mean return of the negative-signal factors,
    reported as the factors' own returns (NOT negated), so
    tsmom = (n_long * winners - n_short * losers) / (n_long + n_short).

    Returns:
        index = holding month t+1 (rows with at least one position), columns
        ``tsmom, tsmom_winners, tsmom_losers, n_long, n_short``.
    """
    returns = select_factors(factor_returns, exclude)
    signals = ts_factor_signals(returns, lookback=lookback, min_obs=min_obs, exclude=())
    held, r = _apply_next_month(signals, returns)
    out = pd.concat([(held * r).mean(axis=1).rename("tsmom"), _legs(held, r, "tsmom")], axis=1)
    return out[out["n_long"] + out["n_short"] > 0]


def cs_factor_signals(
    factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    min_obs: int = 12,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
    median_leg: str = "long",
) -> pd.DataFrame:
    """Cross-sectional factor momentum signal at t: s_f = sign(MA_{f,t} - median_g MA_{g,t}).

    E-L (2022) section I.B (XSMom): long factors whose prior-year average is above the cross-sectional
    median, short those below. The median is over factors with an MA at t. A factor AT the median (the
    median factor itself when their number is odd, or a tie) goes to ``median_leg``: "long" (+1, E-L's
    replication code: ties -> +1), "short" (-1) or "out" (NaN: held by neither leg).
    """
    if median_leg not in ("long", "short", "out"):
        raise ValueError(f"median_leg must be 'long', 'short' or 'out', got {median_leg!r}")
    ma = trailing_mean(select_factors(factor_returns, exclude), lookback=lookback, min_obs=min_obs)
    median = ma.median(axis=1)
    at_median = ma.eq(median, axis=0)
    signs = np.where(ma.gt(median, axis=0), 1.0, -1.0)
    signs = np.where(at_median, {"long": 1.0, "short": -1.0, "out": np.nan}[median_leg], signs)
    return pd.DataFrame(signs, index=ma.index, columns=ma.columns).where(ma.notna())


def cs_factor_momentum(
    factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    min_obs: int = 12,
    exclude: tuple[str, ...] = MOMENTUM_FACTORS,
    median_leg: str = "long",
) -> pd.DataFrame:
    """Cross-sectional factor momentum XSMom_{t+1} = mean_f(s_f r_{f,t+1}) and its linear-weight variant.

    E-L (2022) section I.B. ``xsmom`` uses the median-split signs of ``cs_factor_signals`` (the median
    factor in ``median_leg``; "out" leaves it out of the mean).
    ``xsmom_weighted`` = sum_f w_f r_{f,t+1} with w_f = (MA_{f,t} - mean_g MA_{g,t}) / N_t (the Lo-MacKinlay
    1990 weights E-L use to decompose momentum profits); mean and N_t are over factors with an MA at t.
    Winner/loser legs are EW mean returns of the factors with s = +1 / -1, not negated.

    Returns:
        index = holding month t+1, columns
        ``xsmom, xsmom_weighted, xsmom_winners, xsmom_losers, n_long, n_short``.
    """
    returns = select_factors(factor_returns, exclude)
    signals = cs_factor_signals(returns, lookback=lookback, min_obs=min_obs, exclude=(), median_leg=median_leg)
    ma = trailing_mean(returns, lookback=lookback, min_obs=min_obs)
    linear = ma.sub(ma.mean(axis=1), axis=0).div(ma.count(axis=1), axis=0)
    held, r = _apply_next_month(signals, returns)
    held_linear = linear.shift(1).where(r.notna())
    out = pd.concat(
        [
            (held * r).mean(axis=1).rename("xsmom"),
            (held_linear * r).sum(axis=1, min_count=1).rename("xsmom_weighted"),
            _legs(held, r, "xsmom"),
        ],
        axis=1,
    )
    return out[out["n_long"] + out["n_short"] > 0]


def prior_year_return(factor_returns: pd.DataFrame, *, lookback: int = 12) -> pd.DataFrame:
    """Sum of returns over t-lookback..t-1 (excluding t), NaN unless all ``lookback`` months are present.

    The conditioning variable of E-L (2022) Table I and Table VIII ("prior-year return").
    """
    returns = float_panel(factor_returns, "factor_returns")
    return returns.rolling(lookback, min_periods=lookback).sum().shift(1)


def _fit(y: pd.Series, x: pd.Series, hac_lags: int | None):
    design = add_constant(x.to_numpy(), has_constant="add")
    if hac_lags is None:
        return OLS(y.to_numpy(), design).fit()
    return OLS(y.to_numpy(), design).fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags})


def factor_autocorrelation(
    factor_returns: pd.DataFrame,
    *,
    lookback: int = 12,
    hac_lags: int | None = None,
    exclude: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Factor returns after up and down years: OLS r_{f,t} = a + b 1[sum r_{f,t-12..t-1} > 0] + e.

    E-L (2022) Table I: the intercept a is the mean return after a down (non-positive) prior year, the slope
    b the difference between up-year and down-year means. statsmodels OLS with classical standard errors,
    or Newey-West with ``hac_lags``. The ``pooled`` row stacks all factors and clusters standard errors by
    month (statsmodels ``cov_type='cluster'``). A factor whose prior years are all up or all down gets NaN
    estimates (the slope is not identified).

    Returns:
        index = factor names + ``pooled``, columns
        ``alpha, t_alpha, beta, t_beta, mean_after_up, mean_after_down, n, n_up, n_down``.
    """
    returns = select_factors(factor_returns, exclude)
    prior = prior_year_return(returns, lookback=lookback)
    up = (prior > 0).astype(float).where(prior.notna() & returns.notna())
    rows = {f: _autocorrelation_row(returns[f], up[f], hac_lags) for f in returns.columns}
    stacked = pd.DataFrame({"r": returns.stack(), "up": up.stack()}).dropna()
    month_codes = pd.factorize(stacked.index.get_level_values(0))[0]
    rows["pooled"] = _autocorrelation_row(stacked["r"], stacked["up"], None, groups=month_codes)
    return pd.DataFrame(rows).T.astype({"n": int, "n_up": int, "n_down": int})


def _autocorrelation_row(
    r: pd.Series, up: pd.Series, hac_lags: int | None, groups: np.ndarray | None = None
) -> dict[str, float]:
    ok = r.notna() & up.notna()
    r, up = r[ok], up[ok]
    n_up, n_down = int((up == 1).sum()), int((up == 0).sum())
    row = {
        "alpha": np.nan,
        "t_alpha": np.nan,
        "beta": np.nan,
        "t_beta": np.nan,
        "mean_after_up": float(r[up == 1].mean()) if n_up else np.nan,
        "mean_after_down": float(r[up == 0].mean()) if n_down else np.nan,
        "n": n_up + n_down,
        "n_up": n_up,
        "n_down": n_down,
    }
    if n_up < 2 or n_down < 2:
        return row
    if groups is None:
        fit = _fit(r, up, hac_lags)
    else:
        design = add_constant(up.to_numpy(), has_constant="add")
        fit = OLS(r.to_numpy(), design).fit(cov_type="cluster", cov_kwds={"groups": groups})
    row.update(alpha=fit.params[0], t_alpha=fit.tvalues[0], beta=fit.params[1], t_beta=fit.tvalues[1])
    return row
