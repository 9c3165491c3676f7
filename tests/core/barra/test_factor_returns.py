"""Cross-sectional CNE5 factor returns (momentum_dag.core.barra.factor_returns)."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.barra.exposures import STYLE_NAMES
from momentum_dag.core.barra.factor_returns import _constrained_wls, factor_returns

T0, T1, T2 = pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29"), pd.Timestamp("2024-03-29")
IDS = ["A", "B", "C", "D"]


def _industry(codes, dates=(T0,)) -> pd.DataFrame:
    return pd.DataFrame([codes] * len(dates), index=pd.DatetimeIndex(dates), columns=IDS[: len(codes)])


def _caps(values, dates=(T0,)) -> pd.DataFrame:
    return pd.DataFrame([values] * len(dates), index=pd.DatetimeIndex(dates), columns=IDS[: len(values)], dtype=float)


def _no_style_exposures() -> pd.DataFrame:
    return pd.DataFrame({"period_end": [T0] * 4, "stock_id": IDS})


def test_industry_constraint_equal_caps_by_hand():
    # A, B in I1; C, D in I2; equal caps -> f_I2 = -f_I1. Each industry's fit = its mean:
    # u + f1 = (.03 + .01)/2 = .02, u - f1 = (0 - .02)/2 = -.01 -> u = .005, f1 = .015, f2 = -.015
    # residuals = [.01, -.01, .01, -.01]
    ret = pd.DataFrame([[0.03, 0.01, 0.00, -0.02]], index=[T1], columns=IDS)
    f, resid = factor_returns(
        ret,
        _no_style_exposures(),
        _industry(["I1", "I1", "I2", "I2"]),
        _caps([1, 1, 1, 1]),
        styles=(),
        return_residuals=True,
    )
    assert list(f.columns) == ["country", "I1", "I2"]
    assert list(f.index) == [T1]
    np.testing.assert_allclose(f.iloc[0], [0.005, 0.015, -0.015], atol=1e-14)
    np.testing.assert_allclose(resid.loc[T1, IDS], [0.01, -0.01, 0.01, -0.01], atol=1e-14)


def test_industry_constraint_uses_cap_weights_by_hand():
    # caps A, B = 4 (weight 2), C, D = 1: c_I1 = 8, c_I2 = 2 -> 8 f1 + 2 f2 = 0 -> f2 = -4 f1
    # industry fits are still the industry means: u + f1 = .02, u - 4 f1 = -.01 -> f1 = .006, u = .014
    ret = pd.DataFrame([[0.03, 0.01, 0.00, -0.02]], index=[T1], columns=IDS)
    f = factor_returns(ret, _no_style_exposures(), _industry(["I1", "I1", "I2", "I2"]), _caps([4, 4, 1, 1]), styles=())
    np.testing.assert_allclose(f.iloc[0], [0.014, 0.006, -0.024], atol=1e-14)


def test_stock_without_returns_counts_in_constraint_only():
    # E (I2, cap 1) has exposures at t but no return column: it is out of the regression, but c_k is the
    # cap over stocks with exposures at t, so c_I1 = 2, c_I2 = 3 -> f2 = -(2/3) f1.
    # u + f1 = .02, u - (2/3) f1 = -.01 -> (5/3) f1 = .03 -> f1 = .018, u = .002, f2 = -.012
    ids = [*IDS, "E"]
    exposures = pd.DataFrame({"period_end": [T0] * 5, "stock_id": ids})
    industry = pd.DataFrame([["I1", "I1", "I2", "I2", "I2"]], index=[T0], columns=ids)
    cap = pd.DataFrame([[1.0] * 5], index=[T0], columns=ids)
    ret = pd.DataFrame([[0.03, 0.01, 0.00, -0.02]], index=[T1], columns=IDS)
    f, resid = factor_returns(ret, exposures, industry, cap, styles=(), return_residuals=True)
    np.testing.assert_allclose(f.iloc[0], [0.002, 0.018, -0.012], atol=1e-14)
    assert list(resid.columns) == IDS
    np.testing.assert_allclose(resid.iloc[0], [0.01, -0.01, 0.01, -0.01], atol=1e-14)


def _constructed(n: int = 40, seed: int = 5):
    """Random exposures at T0 and T1, three industries, and factor returns obeying the cap constraint."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:02d}" for i in range(n)]
    dates = [T0, T1]
    exposures = pd.concat(
        [
            pd.DataFrame({"period_end": t, "stock_id": ids, **{s: rng.normal(size=n) for s in STYLE_NAMES}})
            for t in dates
        ]
    )
    codes = np.array(["I1", "I2", "I3"])[np.arange(n) % 3]
    industry = pd.DataFrame([codes] * 2, index=pd.DatetimeIndex(dates), columns=ids)
    cap = pd.DataFrame(rng.uniform(1, 10, (2, n)), index=pd.DatetimeIndex(dates), columns=ids)
    return exposures, industry, cap, ids, codes


def _true_returns(exposures, cap_t, codes, ids, f_country, f12, f_style):
    """r = f_country + f_industry + X f_style exactly, with f_I3 = -(c1 f1 + c2 f2)/c3 (CNE5 constraint)."""
    c = np.array([cap_t[codes == k].sum() for k in ("I1", "I2", "I3")])
    f_ind = np.array([f12[0], f12[1], -(c[0] * f12[0] + c[1] * f12[1]) / c[2]])
    x = exposures.set_index("stock_id").loc[ids, list(STYLE_NAMES)].to_numpy()
    r = f_country + f_ind[np.searchsorted(["I1", "I2", "I3"], codes)] + x @ f_style
    return r, np.concatenate([[f_country], f_ind, f_style])


def test_monthly_noise_free_cross_section_recovers_factor_returns():
    exposures, industry, cap, ids, codes = _constructed()
    rng = np.random.default_rng(11)
    truths, rows = [], []
    for t in (T0, T1):
        f_ind, f_style = rng.normal(0, 0.02, 2), rng.normal(0, 0.01, len(STYLE_NAMES))
        r, truth = _true_returns(
            exposures[exposures.period_end == t], cap.loc[t].to_numpy(), codes, ids, 0.01, f_ind, f_style
        )
        truths.append(truth)
        rows.append(r)
    ret = pd.DataFrame(rows, index=[T1, T2], columns=ids)  # month t+1 return, indexed by its period_end
    f, resid = factor_returns(ret, exposures, industry, cap, return_residuals=True)
    assert list(f.columns) == ["country", "I1", "I2", "I3", *STYLE_NAMES]
    np.testing.assert_allclose(f.to_numpy(), np.array(truths), atol=1e-12)
    np.testing.assert_allclose(resid.to_numpy(), 0.0, atol=1e-12)


def test_daily_noise_free_with_missing_returns_recovers_factor_returns():
    exposures, industry, cap, ids, codes = _constructed()
    rng = np.random.default_rng(12)
    days = pd.bdate_range("2024-02-01", "2024-02-29")
    exposures.loc[exposures.stock_id == "S09", "growth"] = np.nan  # S09 left out of every regression,
    constraint_cap = cap.loc[T0].where(cap.columns != "S09", 0.0).to_numpy()  # so out of c_k as well
    rows, truths = [], []
    for _ in days:
        f_country, f_ind, f_style = rng.normal(0, 0.01), rng.normal(0, 0.01, 2), rng.normal(0, 0.005, 10)
        r, truth = _true_returns(
            exposures[exposures.period_end == T0], constraint_cap, codes, ids, f_country, f_ind, f_style
        )
        rows.append(r)
        truths.append(truth)
    ret = pd.DataFrame(rows, index=days, columns=ids)
    ret.iloc[3, 0] = np.nan  # S00 misses one day, S05 two others: three day patterns
    ret.iloc[[7, 8], 5] = np.nan
    f, resid = factor_returns(ret, exposures, industry, cap, return_residuals=True)
    assert list(f.index) == list(days)
    np.testing.assert_allclose(f.to_numpy(), np.array(truths), atol=1e-12)
    assert resid["S09"].isna().all() and np.isnan(resid.iloc[3, 0])
    others = resid.drop(columns="S09").to_numpy()
    assert np.isnan(others).sum() == 3  # exactly the three missing returns
    np.testing.assert_allclose(others[np.isfinite(others)], 0.0, atol=1e-12)


def test_days_with_missing_returns_equal_a_least_squares_fit_of_each_day():
    # the month's normal equations less the missing stocks' rows (_MonthDesign) against an SVD least
    # squares of each day on its own stocks, with noise: days missing a few stocks, a day missing a whole
    # industry (another constraint: solved the SVD way) and a complete day
    exposures, industry, cap, ids, codes = _constructed(n=60, seed=21)
    rng = np.random.default_rng(22)
    days = pd.bdate_range("2024-02-01", "2024-02-29")
    ret = pd.DataFrame(rng.normal(0, 0.02, (len(days), len(ids))), index=days, columns=ids)
    ret.iloc[2, [1, 4]] = np.nan
    ret.iloc[[5, 6], 7] = np.nan
    ret.iloc[9, np.flatnonzero(codes == "I2")] = np.nan
    f = factor_returns(ret, exposures, industry, cap)
    x = exposures[exposures.period_end == T0].set_index("stock_id").loc[ids, list(STYLE_NAMES)].to_numpy()
    positions = np.searchsorted(["I1", "I2", "I3"], codes)
    industry_cap = np.bincount(positions, weights=cap.loc[T0].to_numpy(), minlength=3)
    for i, day in enumerate(days):
        keep = ret.iloc[i].notna().to_numpy()
        y = ret.iloc[i].to_numpy()[keep][:, None]
        coef, _ = _constrained_wls(y, positions[keep], industry_cap, x[keep], cap.loc[T0].to_numpy()[keep])
        np.testing.assert_allclose(f.loc[day].to_numpy(), coef[0], rtol=0, atol=1e-12, equal_nan=True)
    assert np.isnan(f.loc[days[9], "I2"]) and f.drop(index=days[9]).notna().all().all()


def test_factor_return_ignores_data_after_its_period():
    exposures, industry, cap, ids, _ = _constructed()
    rng = np.random.default_rng(13)
    days = pd.bdate_range("2024-02-01", "2024-03-29")
    ret = pd.DataFrame(rng.normal(0, 0.02, (len(days), len(ids))), index=days, columns=ids)
    base = factor_returns(ret, exposures, industry, cap)
    moved_ret = ret.copy()
    moved_ret.loc[moved_ret.index > T1] = 0.3  # returns after period t+1 = Feb
    moved_exp = exposures.copy()
    moved_exp.loc[moved_exp.period_end > T0, "beta"] = 5.0  # exposures dated after t
    moved = factor_returns(moved_ret, moved_exp, industry, cap)
    pd.testing.assert_frame_equal(base.loc[:T1], moved.loc[:T1])
    assert base.loc[:T1].notna().all().all()
    assert not np.allclose(base.loc[T2], moved.loc[T2])


def test_rank_deficient_period_is_nan():
    # a style equal for every stock duplicates the country column -> no unique solution
    exposures, industry, cap, ids, _ = _constructed()
    exposures["size"] = 1.0
    ret = pd.DataFrame(np.zeros((1, len(ids))), index=[T1], columns=ids)
    assert factor_returns(ret, exposures, industry, cap).isna().all().all()


def test_bad_inputs_raise():
    ret = pd.DataFrame([[0.0] * 4], index=[T1], columns=IDS)
    with pytest.raises(ValueError, match="lacks columns"):
        factor_returns(ret, _no_style_exposures(), _industry(["I1"] * 4), _caps([1] * 4))
    two_in_january = pd.DataFrame({"period_end": [T0, pd.Timestamp("2024-01-15")], "stock_id": ["A", "A"]})
    with pytest.raises(ValueError, match="more than one period_end in a calendar month"):
        factor_returns(ret, two_in_january, _industry(["I1"] * 4), _caps([1] * 4), styles=())
    with pytest.raises(ValueError, match="industry has no row"):
        factor_returns(ret, _no_style_exposures(), _industry(["I1"] * 4, dates=(T1,)), _caps([1] * 4), styles=())


def _noisy_cross_section(n: int = 40, seed: int = 21):
    """40 stocks, caps spread over two orders of magnitude, returns = factors + noise (weights matter)."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:02d}" for i in range(n)]
    x = rng.normal(size=(n, len(STYLE_NAMES)))
    exposures = pd.DataFrame({"period_end": T0, "stock_id": ids, **dict(zip(STYLE_NAMES, x.T, strict=True))})
    cap = np.exp(rng.uniform(np.log(1.0), np.log(300.0), n))
    r = 0.01 + x @ rng.normal(0, 0.01, len(STYLE_NAMES)) + rng.normal(0, 0.05, n) * (1 + 2 * (cap < 20))
    ret = pd.DataFrame([r], index=[T1], columns=ids)
    return ids, x, cap, r, exposures, ret


def test_weights_are_sqrt_cap_statsmodels_wls_one_industry():
    # One industry: the constraint c f_I = 0 sets f_I = 0, so the fit is a plain WLS of r on [1, X] with
    # weights sqrt(cap) (CNE5 section 2), statsmodels' WLS being the reference.
    import statsmodels.api as sm

    ids, x, cap, r, exposures, ret = _noisy_cross_section()
    industry = pd.DataFrame([["I1"] * len(ids)], index=[T0], columns=ids)
    f = factor_returns(ret, exposures, industry, pd.DataFrame([cap], index=[T0], columns=ids))
    ref = sm.WLS(r, sm.add_constant(x), weights=np.sqrt(cap)).fit().params
    np.testing.assert_allclose(f.loc[T1, ["country", *STYLE_NAMES]].to_numpy(), ref, rtol=1e-9, atol=1e-12)
    assert f.loc[T1, "I1"] == 0.0
    # the weights matter here: cap weights or equal weights give another size return
    for other in (cap, np.ones_like(cap)):
        wrong = sm.WLS(r, sm.add_constant(x), weights=other).fit().params
        assert abs(wrong[1 + STYLE_NAMES.index("size")] - ref[1 + STYLE_NAMES.index("size")]) > 1e-3


def test_weights_are_sqrt_cap_statsmodels_constrained_three_industries():
    # Three industries with sum_k c_k f_k = 0 (c_k = industry cap): statsmodels' constrained fit of a
    # Gaussian GLM with variance weights sqrt(cap) (the WLS estimate under a linear constraint).
    import statsmodels.api as sm

    ids, x, cap, r, exposures, ret = _noisy_cross_section(seed=22)
    codes = np.array(["I1", "I2", "I3"])[np.arange(len(ids)) % 3]
    industry = pd.DataFrame([codes], index=[T0], columns=ids)
    f = factor_returns(ret, exposures, industry, pd.DataFrame([cap], index=[T0], columns=ids))
    dummies = (codes[:, None] == np.array(["I1", "I2", "I3"])).astype(float)
    design = np.column_stack([np.ones(len(ids)), dummies, x])
    c = np.array([cap[codes == k].sum() for k in ("I1", "I2", "I3")])
    constraint = np.concatenate([[0.0], c, np.zeros(len(STYLE_NAMES))])[None, :]
    model = sm.GLM(r, design, family=sm.families.Gaussian(), var_weights=np.sqrt(cap))
    ref = np.asarray(model.fit_constrained((constraint, np.zeros(1))).params)
    np.testing.assert_allclose(f.loc[T1].to_numpy(), ref, rtol=1e-7, atol=1e-10)
