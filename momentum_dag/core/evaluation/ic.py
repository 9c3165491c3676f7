"""Information coefficients of a factor panel and their summary statistics.

Conventions (as qlib and alphalens): IC = per-period Pearson
correlation (qlib ``calc_ic``), Rank IC = per-period Spearman correlation (qlib ``calc_ic`` and
alphalens ``factor_information_coefficient``), ICIR = mean/std, not annualized (alphalens "Risk-Adjusted
IC", qlib ``SigAnaRecord``), with the annualized ICIR = ICIR * sqrt(periods per year) labelled separately.

Inputs are wide panels (index = period_end, the formation date t; columns = entity ids). ``forward_returns``
must already be aligned on t (the return over (t, t+1]); these functions never shift anything.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from momentum_dag.core.validate import require_wide_panel


def align_to_factor(factor: pd.DataFrame, other: pd.DataFrame, name: str) -> pd.DataFrame:
    """``other`` reindexed to the factor's dates and entities (missing cells NaN), as float.

    Raises ValueError when ``other`` shares no date or no entity with the factor: that is almost always
    a caller bug (e.g. forward returns indexed by period start), not an empty sample.
    """
    require_wide_panel(other, name)
    if not factor.index.intersection(other.index).size:
        raise ValueError(f"{name} shares no period_end with factor (is it aligned on the formation date t?)")
    if not factor.columns.intersection(other.columns).size:
        raise ValueError(f"{name} shares no entity column with factor")
    return other.reindex(index=factor.index, columns=factor.columns).astype(float)


def _pairwise_complete(x: pd.DataFrame, y: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both panels masked to cells where both are finite (pairwise-complete observations)."""
    both = np.isfinite(x) & np.isfinite(y)
    return x.where(both), y.where(both)


def _rowwise_pearson(x: pd.DataFrame, y: pd.DataFrame, min_obs: int) -> pd.Series:
    """Pearson correlation of each row of ``x`` with the same row of ``y`` (inputs already co-masked).

    Hand-written because no library correlates matching rows of two matrices in one vectorized pass;
    ``DataFrame.corrwith(axis=1)`` does the same row by row in Python and is much slower on long panels.
    """
    n = x.count(axis=1)
    xd = x.sub(x.mean(axis=1), axis=0)
    yd = y.sub(y.mean(axis=1), axis=0)
    cov = (xd * yd).sum(axis=1)
    denom = np.sqrt((xd**2).sum(axis=1) * (yd**2).sum(axis=1))
    # A constant cross-section has no defined correlation: NaN, not inf or a warning.
    corr = cov / denom.where(denom > 0)
    return corr.where(n >= min_obs).clip(-1.0, 1.0)


def _check_min_obs(min_obs: int) -> None:
    if not isinstance(min_obs, int | np.integer) or min_obs < 2:
        raise ValueError(f"min_obs must be an integer >= 2, got {min_obs!r}")


def information_coefficient(factor: pd.DataFrame, forward_returns: pd.DataFrame, *, min_obs: int = 5) -> pd.Series:
    """IC: per-period Pearson correlation of the factor at t with the return over (t, t+1].

    qlib ``qlib/contrib/eva/alpha.py::calc_ic`` (IC = Pearson). Uses the
    pairwise-complete names of each period; a period with fewer than ``min_obs`` (default 5) such names,
    or with a constant factor or return cross-section, is NaN.

    Args:
        factor: wide panel (period_end x entity) of factor values at t.
        forward_returns: wide panel of returns over (t, t+1], already aligned on t.
        min_obs: minimum pairwise-complete names per period.

    Returns:
        Series indexed by the factor's period_end, named ``ic``.
    """
    require_wide_panel(factor, "factor")
    _check_min_obs(min_obs)
    fwd = align_to_factor(factor, forward_returns, "forward_returns")
    x, y = _pairwise_complete(factor.astype(float), fwd)
    return _rowwise_pearson(x, y, min_obs).rename("ic")


def rank_information_coefficient(factor: pd.DataFrame, forward_returns: pd.DataFrame, *, min_obs: int = 5) -> pd.Series:
    """Rank IC: per-period Spearman correlation of the factor at t with the return over (t, t+1].

    alphalens ``performance.factor_information_coefficient`` (scipy ``spearmanr`` per date) and qlib
    ``calc_ic`` (Rank IC). Spearman = Pearson of the average ranks (ties share
    their mean rank, as in scipy), ranked within each period's pairwise-complete names. Fewer than
    ``min_obs`` (default 5) names -> NaN.

    Returns:
        Series indexed by the factor's period_end, named ``rank_ic``.
    """
    require_wide_panel(factor, "factor")
    _check_min_obs(min_obs)
    fwd = align_to_factor(factor, forward_returns, "forward_returns")
    x, y = _pairwise_complete(factor.astype(float), fwd)
    # Rank after co-masking so both sides rank the same set of names (what spearmanr sees).
    xr = x.rank(axis=1, method="average")
    yr = y.rank(axis=1, method="average")
    return _rowwise_pearson(xr, yr, min_obs).rename("rank_ic")


def ic_summary(ic: pd.Series, periods_per_year: int) -> dict[str, float]:
    """Summary of an IC (or Rank IC) series over the non-missing periods.

    Conventions (alphalens ``plotting.plot_information_table``; qlib
    ``SigAnaRecord``): std with ddof=1 (pandas and alphalens; exactly 0 when every IC is the same, so the
    ICIR is then NaN); ``icir`` = mean/std, NOT annualized;
    ``icir_annualized`` = icir * sqrt(periods_per_year); ``t_stat`` = mean/std * sqrt(n), the one-sample
    t statistic of ``scipy.stats.ttest_1samp`` used by alphalens; ``ic_positive_share`` = share of
    periods with IC > 0.

    Returns:
        dict with keys ic_mean, ic_std, icir, icir_annualized, ic_positive_share, t_stat, n_periods.
    """
    check_periods_per_year(periods_per_year)
    values = pd.Series(ic, dtype=float).dropna()
    n = int(values.size)
    mean = float(values.mean()) if n else np.nan
    std = float(values.std(ddof=1)) if n > 1 else np.nan
    if n > 1 and values.nunique() == 1:
        std = 0.0  # identical ICs: no dispersion (pandas gives ~1e-17 from rounding, and an ICIR of ~1e15)
    icir = mean / std if std > 0 else np.nan
    return {
        "ic_mean": mean,
        "ic_std": std,
        "icir": float(icir),
        "icir_annualized": float(icir * np.sqrt(periods_per_year)),
        "ic_positive_share": float((values > 0).mean()) if n else np.nan,
        "t_stat": float(icir * np.sqrt(n)),
        "n_periods": n,
    }


def check_periods_per_year(periods_per_year: int) -> None:
    if not isinstance(periods_per_year, int | np.integer) or periods_per_year <= 0:
        raise ValueError(
            f"periods_per_year must be a positive integer (12 monthly, 52 weekly), got {periods_per_year!r}"
        )
