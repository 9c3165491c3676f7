"""Barra CNE5 cross-sectional helpers and style exposures (momentum_dag.core.barra.exposures)."""

from math import sqrt

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.barra import exposures as barra
from momentum_dag.core.frames import period_ends

# ---------------------------------------------------------------- helpers


def _row(values, columns=None) -> pd.DataFrame:
    columns = columns or [f"S{i}" for i in range(len(values))]
    return pd.DataFrame([values], index=pd.DatetimeIndex(["2024-01-31"]), columns=columns, dtype=float)


def test_cap_weighted_standardize_by_hand():
    # x = [1, 2, 3, 4], cap = [1, 1, 1, 5]: cap mean = (1 + 2 + 3 + 20)/8 = 3.25
    # equal-weighted std (ddof 0) = sqrt(((1.5)^2 + .5^2 + .5^2 + 1.5^2)/4) = sqrt(1.25)
    x, cap = _row([1, 2, 3, 4]), _row([1, 1, 1, 5])
    z = barra.cap_weighted_standardize(x, cap)
    np.testing.assert_allclose(z.iloc[0], (np.array([1, 2, 3, 4]) - 3.25) / sqrt(1.25))
    assert (z.iloc[0] * cap.iloc[0]).sum() == pytest.approx(0.0, abs=1e-12)  # cap-weighted mean 0


def test_cap_weighted_standardize_skips_missing_and_accepts_series():
    # S2 has no cap, S3 no value: both NaN; the rest [1, 3] with caps [1, 1] -> mean 2, std 1 -> [-1, 1]
    x = pd.Series([1.0, 3.0, 7.0, np.nan], index=["S0", "S1", "S2", "S3"])
    cap = pd.Series([1.0, 1.0, np.nan, 1.0], index=["S0", "S1", "S2", "S3"])
    z = barra.cap_weighted_standardize(x, cap)
    np.testing.assert_allclose(z.to_numpy(), [-1.0, 1.0, np.nan, np.nan])


def test_winsorize_clips_then_restandardizes():
    # clip z = [-1, -1, 0, 1, 5] at 3 -> [-1, -1, 0, 1, 3]; mean .4, deviations [-1.4, -1.4, -.4, .6, 2.6]
    # std = sqrt((1.96 + 1.96 + .16 + .36 + 6.76)/5) = sqrt(2.24) = 1.496663
    z = _row([-1, -1, 0, 1, 5])
    out = barra.winsorize(z, _row([1] * 5), limit=3.0)
    np.testing.assert_allclose(out.iloc[0], np.array([-1.4, -1.4, -0.4, 0.6, 2.6]) / sqrt(2.24))
    assert z.iloc[0, 4] == 5  # input untouched
    with pytest.raises(ValueError, match="limit"):
        barra.winsorize(z, _row([1] * 5), limit=0)


def test_orthogonalize_by_hand():
    # y = [1, 2, 4] on x = [0, 1, 2], equal weights: slope 3/2, intercept 7/3 - 3/2 = 5/6
    # residuals = [1 - 5/6, 2 - 5/6 - 3/2, 4 - 5/6 - 3] = [1/6, -1/3, 1/6]
    e = barra.orthogonalize(_row([1, 2, 4]), [_row([0, 1, 2])], _row([1, 1, 1]))
    np.testing.assert_allclose(e.iloc[0], [1 / 6, -1 / 3, 1 / 6])


def test_orthogonalize_residual_is_weighted_orthogonal():
    rng = np.random.default_rng(3)
    y, x1, x2 = (_row(rng.normal(size=12)) for _ in range(3))
    w = _row(rng.uniform(0.5, 3.0, 12))
    y.iloc[0, 5] = np.nan  # a missing stock is left out and stays NaN
    e = barra.orthogonalize(y, [x1, x2], w).iloc[0]
    assert np.isnan(e.iloc[5])
    keep = e.notna()
    wv = w.iloc[0][keep]
    assert (wv * e[keep]).sum() == pytest.approx(0.0, abs=1e-12)
    assert (wv * e[keep] * x1.iloc[0][keep]).sum() == pytest.approx(0.0, abs=1e-12)
    assert (wv * e[keep] * x2.iloc[0][keep]).sum() == pytest.approx(0.0, abs=1e-12)


def test_composite_renormalizes_missing_descriptors():
    # leverage weights .38/.35/.27; stock B lacks BLEV -> (.38*1 + .35*2)/.73; stock C has none -> NaN
    parts = {"mlev": _row([1, 1, np.nan]), "dtoa": _row([2, 2, np.nan]), "blev": _row([3, np.nan, np.nan])}
    out = barra._composite(parts, barra.LEVERAGE_WEIGHTS).iloc[0]
    np.testing.assert_allclose(out, [0.38 + 0.70 + 0.81, (0.38 + 0.70) / 0.73, np.nan])


# ---------------------------------------------------------------- style exposures

SMALL = barra.BarraParams(
    beta_window=40,
    beta_half_life=10,
    rstr_window=60,
    rstr_lag=5,
    rstr_half_life=20,
    dastd_window=40,
    dastd_half_life=10,
    cmra_months=3,
    days_per_month=10,
)


def _market(n_stocks: int = 30, n_days: int = 130, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2023-01-02", periods=n_days, name="date")
    cols = [f"S{i:02d}" for i in range(n_stocks)]
    mkt = rng.normal(0, 0.01, n_days)
    noise = rng.normal(0, 0.02, (n_days, n_stocks))
    ret = pd.DataFrame(mkt[:, None] * rng.uniform(0.5, 1.5, n_stocks) + noise, index=dates, columns=cols)
    total = pd.DataFrame(
        np.exp(rng.normal(22, 1, n_stocks)) * np.exp(ret.cumsum().to_numpy()), index=dates, columns=cols
    )
    month_ends = period_ends(dates, "M")[:-1]
    fund = {
        name: pd.DataFrame(rng.uniform(0.5, 1.5, (len(month_ends), n_stocks)) * scale, index=month_ends, columns=cols)
        for name, scale in [
            ("book_equity", 1e9),
            ("net_income_ttm", 1e8),
            ("revenue_ttm", 1e9),
            ("total_assets", 3e9),
            ("total_liabilities", 1e9),
            ("net_income_ttm_lag1y", 1e8),
            ("revenue_ttm_lag1y", 1e9),
        ]
    }
    return dict(
        ret=ret,
        rf=pd.Series(1e-4, index=dates),
        market_excess=pd.Series(mkt, index=dates),
        turnover=pd.DataFrame(rng.uniform(0.001, 0.05, (n_days, n_stocks)), index=dates, columns=cols),
        total_mcap=total,
        float_mcap=total * rng.uniform(0.3, 1.0, n_stocks),
        month_ends=month_ends,
        **fund,
    )


def test_style_exposures_are_standardized_with_documented_missing_rule():
    data = _market()
    data["book_equity"].iloc[-1, 0] = np.nan  # S00 lacks book equity at the last month end
    out = barra.style_exposures(**data, params=SMALL)
    assert list(out.columns) == ["period_end", "stock_id", *barra.STYLE_NAMES]
    last = data["month_ends"][-1]
    cs = out[out["period_end"] == last].set_index("stock_id")
    assert len(cs) == 30
    cap = data["float_mcap"].loc[last]
    for style in barra.STYLE_NAMES:
        x = cs[style].dropna()
        assert len(x) >= 29, style
        assert (x * cap[x.index]).sum() / cap[x.index].sum() == pytest.approx(0.0, abs=1e-10), style
        assert x.std(ddof=0) == pytest.approx(1.0, abs=1e-10), style
    assert np.isnan(cs.loc["S00", "book_to_price"])  # missing descriptor -> missing style, no fill
    assert np.isfinite(cs.loc["S00", "leverage"])  # BLEV missing, MLEV and DTOA renormalize
    # single-descriptor styles are non-decreasing in their descriptor (winsorizing may tie the extremes)
    me = data["total_mcap"].loc[last]
    etop = data["net_income_ttm"].loc[last] / me
    assert (np.diff(cs["size"][me.sort_values().index]) > 0).all()
    assert (np.diff(cs["earnings_yield"][etop.sort_values().index]) >= -1e-12).all()


def test_style_exposures_first_month_lacks_history():
    # first month end (~21 days): beta needs 20 of 40 days (present); RSTR 30 of 60 lagged days (absent)
    out = barra.style_exposures(**_market(), params=SMALL)
    first = out[out["period_end"] == out["period_end"].min()]
    assert first["momentum"].isna().all()
    assert first["beta"].notna().all()
    assert first["size"].notna().all()


def test_style_exposures_ignore_data_after_month_end():
    data = _market()
    t = data["month_ends"][3]
    base = barra.style_exposures(**data, params=SMALL)
    rng = np.random.default_rng(99)
    changed = dict(data)
    for name in ("ret", "turnover", "total_mcap", "float_mcap"):
        panel = data[name].copy()
        after = panel.index > t
        panel.loc[after] = panel.loc[after] * rng.uniform(0.5, 1.5, panel.loc[after].shape)
        changed[name] = panel
    changed["market_excess"] = data["market_excess"].where(data["market_excess"].index <= t, 0.05)
    changed["rf"] = data["rf"].where(data["rf"].index <= t, 0.01)
    for name in ("book_equity", "net_income_ttm", "total_liabilities", "revenue_ttm_lag1y"):
        panel = data[name].copy()
        panel.loc[panel.index > t] *= -1.0
        changed[name] = panel
    moved = barra.style_exposures(**changed, params=SMALL)
    upto = base["period_end"] <= t
    pd.testing.assert_frame_equal(
        base[upto].reset_index(drop=True), moved[moved["period_end"] <= t].reset_index(drop=True)
    )
    assert base[upto]["momentum"].notna().any()
    later = moved[moved["period_end"] > t].reset_index(drop=True)
    assert not base[~upto].reset_index(drop=True).equals(later)  # the perturbation does reach later months


def test_style_exposures_reject_fundamentals_without_month_end():
    data = _market()
    data["book_equity"] = data["book_equity"].iloc[1:]
    with pytest.raises(ValueError, match="book_equity has no row"):
        barra.style_exposures(**data, params=SMALL)
