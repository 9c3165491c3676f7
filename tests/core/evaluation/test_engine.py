"""Factor-evaluation engine: hand-computed values on tiny panels, plus alphalens equality for Rank IC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.evaluation.engine import (
    annualized_mean_return,
    annualized_return,
    annualized_volatility,
    assign_quantiles,
    cumulative_returns,
    evaluate_factor,
    ic_summary,
    information_coefficient,
    long_only_excess,
    long_short_returns,
    max_drawdown,
    monotonicity,
    quantile_returns,
    quantile_turnover,
    rank_information_coefficient,
    sharpe_ratio,
    universe_mean_return,
)

NAMES = ["a", "b", "c", "d", "e", "f"]


def panel(rows: list[list[float]], names: list[str] | None = None) -> pd.DataFrame:
    """Wide panel with month-end period_end index and the given rows."""
    cols = (names or NAMES)[: len(rows[0])]
    index = pd.date_range("2020-01-31", periods=len(rows), freq="ME", name="date")
    return pd.DataFrame(np.array(rows, dtype=float), index=index, columns=cols)


# ---------------------------------------------------------------- IC and Rank IC


def ic_example() -> tuple[pd.DataFrame, pd.DataFrame]:
    factor = panel(
        [
            [1, 2, 3, 4, 5],
            [5, 4, 3, 2, 1],
            [1, 1, 2, 3, 4],
            [1, 2, np.nan, 4, 5],
        ]
    )
    fwd = panel(
        [
            [0.01, 0.03, 0.02, 0.05, 0.14],
            [0.01, 0.02, 0.03, 0.04, 0.05],
            [0.01, 0.02, 0.03, 0.04, 0.05],
            [0.01, 0.02, 0.03, 0.04, 0.05],
        ]
    )
    return factor, fwd


def test_information_coefficient_by_hand():
    factor, fwd = ic_example()
    ic = information_coefficient(factor, fwd)
    # Period 1: f dev = [-2,-1,0,1,2]; r mean 0.05, dev = [-.04,-.02,-.03,0,.09].
    # cov sum = .08 + .02 + 0 + 0 + .18 = .28; sum f dev^2 = 10; sum r dev^2 = .0016+.0004+.0009+0+.0081 = .011
    # IC = .28 / sqrt(10 * .011) = .28 / sqrt(.11)
    assert ic.iloc[0] == pytest.approx(0.28 / np.sqrt(0.11), abs=1e-12)
    # Period 2: r falls exactly linearly in f -> -1.
    assert ic.iloc[1] == pytest.approx(-1.0, abs=1e-12)
    # Period 4: only 4 pairwise-complete names < min_obs 5 -> NaN.
    assert np.isnan(ic.iloc[3])
    assert ic.name == "ic"


def test_rank_information_coefficient_by_hand():
    factor, fwd = ic_example()
    ric = rank_information_coefficient(factor, fwd)
    # Period 1: r ranks = [1,3,2,4,5], dev [-2,0,-1,1,2]; cov = 4+0+0+1+4 = 9; 9 / sqrt(10*10) = 0.9
    assert ric.iloc[0] == pytest.approx(0.9, abs=1e-12)
    assert ric.iloc[1] == pytest.approx(-1.0, abs=1e-12)
    # Period 3 (tie): f ranks [1.5,1.5,3,4,5] dev [-1.5,-1.5,0,1,2]; r rank dev [-2,-1,0,1,2]
    # cov = 3+1.5+0+1+4 = 9.5; sum f dev^2 = 9.5; sum r dev^2 = 10 -> 9.5/sqrt(95) = sqrt(0.95)
    assert ric.iloc[2] == pytest.approx(np.sqrt(0.95), abs=1e-12)
    assert np.isnan(ric.iloc[3])
    # With min_obs=4, period 4 uses names a,b,d,e: both strictly increasing -> 1.
    assert rank_information_coefficient(factor, fwd, min_obs=4).iloc[3] == pytest.approx(1.0)


def test_constant_cross_section_gives_nan_ic():
    factor = panel([[1, 1, 1, 1, 1]])
    fwd = panel([[0.01, 0.02, 0.03, 0.04, 0.05]])
    assert np.isnan(information_coefficient(factor, fwd).iloc[0])
    assert np.isnan(rank_information_coefficient(factor, fwd).iloc[0])


def test_rank_ic_equals_alphalens():
    from alphalens.performance import factor_information_coefficient

    rng = np.random.default_rng(7)
    dates = pd.date_range("2019-01-31", periods=8, freq="ME", name="date")
    assets = [f"s{i:02d}" for i in range(30)]
    factor = pd.DataFrame(rng.normal(size=(8, 30)), index=dates, columns=assets)
    fwd = 0.3 * factor + pd.DataFrame(rng.normal(size=(8, 30)), index=dates, columns=assets)
    factor = factor.round(1)  # create ties, which spearmanr averages
    factor = factor.mask(rng.uniform(size=factor.shape) < 0.1)
    fwd = fwd.mask(rng.uniform(size=fwd.shape) < 0.1)

    stacked = pd.DataFrame({"1D": fwd.stack(), "factor": factor.stack()}).dropna()
    stacked.index = stacked.index.set_names(["date", "asset"])
    expected = factor_information_coefficient(stacked, group_adjust=False, by_group=False)["1D"]

    ours = rank_information_coefficient(factor, fwd)
    pd.testing.assert_series_equal(
        ours.rename(None), expected.rename(None), check_names=False, check_freq=False, atol=1e-9, rtol=0
    )


def test_ic_summary_by_hand():
    ic = pd.Series([0.1, 0.3, -0.1, 0.3, np.nan])
    out = ic_summary(ic, periods_per_year=12)
    # mean = 0.6/4 = 0.15; dev = [-.05,.15,-.25,.15]; sum sq = .0025+.0225+.0625+.0225 = .11; std = sqrt(.11/3)
    std = np.sqrt(0.11 / 3)
    assert out["ic_mean"] == pytest.approx(0.15)
    assert out["ic_std"] == pytest.approx(std)
    assert out["icir"] == pytest.approx(0.15 / std)
    assert out["icir_annualized"] == pytest.approx(0.15 / std * np.sqrt(12))
    assert out["ic_positive_share"] == pytest.approx(0.75)
    assert out["t_stat"] == pytest.approx(0.15 / std * 2.0)  # sqrt(n) = sqrt(4)
    assert out["n_periods"] == 4
    # Weekly annualization: sqrt(52).
    assert ic_summary(ic, 52)["icir_annualized"] == pytest.approx(0.15 / std * np.sqrt(52))


# ---------------------------------------------------------------- quantiles


def test_assign_quantiles_ties_and_small_periods():
    factor = panel(
        [
            [1, 2, 2, 3, 4, 5],
            [np.nan, 1, 2, 3, 4, 5],
            [np.nan, np.nan, np.nan, np.nan, 1, 2],
            [7, 7, 7, 7, 7, 7],
        ]
    )
    q = assign_quantiles(factor, 3)
    # Row 1: N=6, avg ranks [1,2.5,2.5,4,5,6]; ceil(rank*3/6) = ceil([.5,1.25,1.25,2,2.5,3]) = [1,2,2,2,3,3]
    assert q.iloc[0].tolist() == [1, 2, 2, 2, 3, 3]
    # Row 2: N=5, ranks 1..5; ceil(rank*3/5) = ceil([.6,1.2,1.8,2.4,3]) = [1,2,2,3,3]; NaN stays NaN
    assert np.isnan(q.iloc[1, 0])
    assert q.iloc[1, 1:].tolist() == [1, 2, 2, 3, 3]
    # Row 3: 2 valid names < 3 quantiles -> all NaN
    assert q.iloc[2].isna().all()
    # Row 4: all tied, avg rank 3.5 -> ceil(3.5*3/6) = ceil(1.75) = 2 for everyone
    assert q.iloc[3].tolist() == [2] * 6


def test_assign_quantiles_exact_multiples():
    # 10 names into 10 quantiles must be 1..10 (a pct rank 0.3 * 10 would round up to 4).
    factor = panel([list(range(10))], names=[f"s{i}" for i in range(10)])
    assert assign_quantiles(factor, 10).iloc[0].tolist() == list(range(1, 11))


def test_quantile_returns_equal_and_cap_weighted():
    quantiles = panel([[1, 1, 2, 2]])
    fwd = panel([[0.1, 0.2, -0.1, 0.3]])
    weights = panel([[1, 3, 2, np.nan]])
    ew = quantile_returns(quantiles, fwd)
    # EW: q1 = (.1+.2)/2 = .15; q2 = (-.1+.3)/2 = .1
    assert ew.loc[:, 1].iloc[0] == pytest.approx(0.15)
    assert ew.loc[:, 2].iloc[0] == pytest.approx(0.10)
    cw = quantile_returns(quantiles, fwd, weights)
    # CW: q1 = (.1*1 + .2*3)/(1+3) = .7/4 = .175; q2: d has NaN weight -> dropped -> -.1
    assert cw.loc[:, 1].iloc[0] == pytest.approx(0.175)
    assert cw.loc[:, 2].iloc[0] == pytest.approx(-0.1)
    # Universe: EW (.1+.2-.1+.3)/4 = .125; CW (.1+.6-.2)/(1+3+2) = .5/6
    uni_ew = universe_mean_return(quantiles, fwd)
    uni_cw = universe_mean_return(quantiles, fwd, weights)
    assert uni_ew.iloc[0] == pytest.approx(0.125)
    assert uni_cw.iloc[0] == pytest.approx(0.5 / 6)
    # Long-short = top - bottom: EW .1 - .15 = -.05; CW -.1 - .175 = -.275 (no /2)
    assert long_short_returns(ew).iloc[0] == pytest.approx(-0.05)
    assert long_short_returns(cw).iloc[0] == pytest.approx(-0.275)
    # Long-only excess = top - universe: EW .1 - .125 = -.025; CW -.1 - .5/6
    assert long_only_excess(ew, uni_ew).iloc[0] == pytest.approx(-0.025)
    assert long_only_excess(cw, uni_cw).iloc[0] == pytest.approx(-0.1 - 0.5 / 6)


def test_quantile_returns_empty_quantile_is_nan_and_n_quantiles_sets_columns():
    quantiles = panel([[1, 1, 3, 3]])
    fwd = panel([[0.1, 0.2, 0.3, 0.4]])
    out = quantile_returns(quantiles, fwd, n_quantiles=4)
    assert list(out.columns) == [1, 2, 3, 4]
    assert np.isnan(out.loc[:, 2].iloc[0]) and np.isnan(out.loc[:, 4].iloc[0])


def test_quantile_turnover_by_hand():
    quantiles = panel(
        [
            [1, 1, 2, 2],
            [1, 2, 1, 2],
            [2, 2, 1, 1],
            [np.nan, 2, np.nan, 1],
            [np.nan, np.nan, np.nan, np.nan],
            [2, 2, 1, 1],
        ]
    )
    turnover = quantile_turnover(quantiles, 2)
    # top sets: {c,d} -> {b,d}: new {b} = 1/2; -> {a,b}: new {a} = 1/2; -> {b}: new {} = 0;
    # -> {} : empty quantile NaN; -> {a,b} after an empty period: no prior portfolio, NaN. First period NaN.
    expected = [np.nan, 0.5, 0.5, 0.0, np.nan, np.nan]
    np.testing.assert_allclose(turnover.to_numpy(), expected)


def test_monotonicity_by_hand():
    qret = pd.DataFrame({1: [0.01, 0.01], 2: [0.03, 0.01], 3: [0.02, 0.01], 4: [0.05, 0.01]})
    # means [.01, .02, .015, .03] -> ranks [1,3,2,4]; d = [0,1,-1,0]; rho = 1 - 6*2/(4*15) = 0.8
    assert monotonicity(qret) == pytest.approx(0.8)
    assert monotonicity(qret[[4, 3, 2, 1]].set_axis([1, 2, 3, 4], axis=1)) == pytest.approx(-0.8)
    assert np.isnan(monotonicity(pd.DataFrame({1: [0.01], 2: [0.01]})))


# ---------------------------------------------------------------- performance statistics


def test_max_drawdown_equals_a_loop_over_wealth_from_one():
    """Random paths, many starting with losses: the largest fall of wealth W_t = prod(1 + r) from its
    running peak, with W_0 = 1 counted as a peak (a loop written independently of the vectorised form)."""
    rng = np.random.default_rng(4)
    for _ in range(50):
        r = rng.normal(-0.01, 0.05, rng.integers(1, 30))
        wealth, peak, worst = 1.0, 1.0, 0.0
        for x in r:
            wealth *= 1.0 + x
            peak = max(peak, wealth)
            worst = min(worst, wealth / peak - 1.0)
        assert max_drawdown(pd.Series(r)) == pytest.approx(worst, abs=1e-14)


def test_max_drawdown_and_cumulative_on_hand_path():
    r = pd.Series([0.1, -0.5, 0.2])
    # curve 1.1, 0.55, 0.66 -> peak 1.1, trough 0.55 -> -0.5
    assert max_drawdown(r) == pytest.approx(-0.5)
    np.testing.assert_allclose(cumulative_returns(r).to_numpy(), [0.1, -0.45, -0.34])
    # Never falls -> 0; a fall from the initial wealth counts: 1 -> 0.8 -> 1.2 -> 0.6 gives -0.5
    assert max_drawdown(pd.Series([0.1, 0.1])) == 0.0
    assert max_drawdown(pd.Series([-0.2, 0.5, -0.5])) == pytest.approx(-0.5)
    # A spread losing more than 100% in a period wipes the curve out: 1 -> 1.1 -> -0.11 gives -1, not -1.1
    assert max_drawdown(pd.Series([0.1, -1.1])) == -1.0
    # A loss in the first period is a fall from the starting wealth 1: 1 -> 0.7 -> 0.77 gives -0.3
    assert max_drawdown(pd.Series([-0.3, 0.1])) == pytest.approx(-0.3)
    # A missing period is flat on the curve
    np.testing.assert_allclose(cumulative_returns(pd.Series([0.1, np.nan, 0.1])).to_numpy(), [0.1, 0.1, 0.21])


def test_annualized_return_volatility_sharpe_by_hand():
    r = pd.Series([0.1, -0.5, 0.2])
    # geometric: 0.66 ** (12/3) - 1 = 0.66**4 - 1 = 0.18974736 - 1
    assert annualized_return(r, 12) == pytest.approx(0.18974736 - 1)
    # arithmetic: mean -0.2/3 * 12 = -0.8
    assert annualized_mean_return(r, 12) == pytest.approx(-0.8)
    # std: mean -1/15; dev [1/6, -13/30, 4/15]; sum sq = .0277778+.1877778+.0711111 = .2866667; /2
    assert annualized_volatility(r, 12) == pytest.approx(np.sqrt(0.2866667 / 2) * np.sqrt(12), rel=1e-6)
    # Sharpe of [.01, .03]: mean .02, std sqrt(2 * .01**2 / 1) = .01*sqrt(2); .02/(.01 sqrt 2) * sqrt 12 = sqrt(24)
    assert sharpe_ratio(pd.Series([0.01, 0.03]), 12) == pytest.approx(np.sqrt(24))
    assert annualized_return(pd.Series([-1.0, 0.1]), 12) == -1.0


# ---------------------------------------------------------------- evaluate_factor


def small_evaluation_inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    factor = panel([[1, 2, 3, 4]] * 3)
    fwd = panel(
        [
            [0.00, 0.02, 0.04, 0.06],
            [0.01, 0.01, -0.01, -0.03],
            [0.00, 0.00, 0.02, 0.00],
        ]
    )
    return factor, fwd


def test_evaluate_factor_summary_by_hand():
    factor, fwd = small_evaluation_inputs()
    ev = evaluate_factor(factor, fwd, n_quantiles=2, periods_per_year=12, min_obs=4)
    table = ev.per_period
    # Quantiles every period [1,1,2,2]. q1, q2 per period: (.01,.05), (.01,-.02), (0,.01)
    np.testing.assert_allclose(table["q1"], [0.01, 0.01, 0.0], atol=1e-12)
    np.testing.assert_allclose(table["q2"], [0.05, -0.02, 0.01], atol=1e-12)
    # long-short = q2-q1 = [.04,-.03,.01]; universe = [.03,-.005,.005]; long-only = q2-universe = [.02,-.015,.005]
    np.testing.assert_allclose(table["long_short_ew"], [0.04, -0.03, 0.01], atol=1e-12)
    np.testing.assert_allclose(table["long_only_excess_ew"], [0.02, -0.015, 0.005], atol=1e-12)
    assert table["n_names"].tolist() == [4, 4, 4]
    # Top set {c,d} never changes: turnover NaN, 0, 0
    np.testing.assert_allclose(table["top_turnover"], [np.nan, 0.0, 0.0])

    s = ev.summary("equal")
    # Rank IC: t0 = 1; t1 r ranks [3.5,3.5,2,1]: cov -4.5, var sums 5 and 4.5 -> -sqrt(.9);
    # t2 r ranks [2,2,4,2]: cov 1, var sums 5 and 3 -> 1/sqrt(15)
    rank_ics = np.array([1.0, -np.sqrt(0.9), 1 / np.sqrt(15)])
    assert s["rank_ic_mean"] == pytest.approx(rank_ics.mean())
    assert s["rank_icir"] == pytest.approx(rank_ics.mean() / rank_ics.std(ddof=1))
    assert s["rank_icir_annualized"] == pytest.approx(rank_ics.mean() / rank_ics.std(ddof=1) * np.sqrt(12))
    # Ann. long-short (arithmetic, qlib) = mean(.04,-.03,.01) * 12 = .02/3*12 = .08; long-only .01/3*12 = .04
    assert s["long_short_ann_return"] == pytest.approx(0.08)
    assert s["long_only_excess_ann_return"] == pytest.approx(0.04)
    # Sharpe: dev [.1/3, -.11/3, .01/3] -> sum sq = (.01+.0121+.0001)/9 = .0222/9; std = sqrt(.0222/18)
    assert s["long_short_sharpe"] == pytest.approx(0.02 / 3 / np.sqrt(0.0222 / 18) * np.sqrt(12))
    # Wealth 1, 1.04, 1.0088, 1.018888: mdd = .97 - 1 = -.03
    assert s["long_short_max_drawdown"] == pytest.approx(-0.03)
    assert s["monotonicity"] == pytest.approx(1.0)  # mean q1 .02/3 < mean q2 .04/3
    assert s["top_turnover"] == pytest.approx(0.0)
    assert s["n_periods"] == 3
    assert ev.weightings == ("equal",)
    with pytest.raises(ValueError, match="weighting"):
        ev.summary("cap")


def test_evaluate_factor_cap_weighted_columns_and_summary():
    factor, fwd = small_evaluation_inputs()
    weights = panel([[1, 1, 1, 3]] * 3)
    ev = evaluate_factor(factor, fwd, n_quantiles=2, periods_per_year=12, weights=weights, min_obs=4)
    # q2_cw = (c + 3d)/4: t0 (.04+.18)/4 = .055; t1 (-.01-.09)/4 = -.025; t2 .02/4 = .005
    np.testing.assert_allclose(ev.per_period["q2_cw"], [0.055, -0.025, 0.005], atol=1e-12)
    # universe_cw = (a+b+c+3d)/6: t0 .24/6 = .04
    assert ev.per_period["universe_cw"].iloc[0] == pytest.approx(0.04)
    assert ev.per_period["long_only_excess_cw"].iloc[0] == pytest.approx(0.015)
    assert [s["weighting"] for s in ev.summaries()] == ["equal", "cap"]
    assert ev.summary_frame()["weighting"].tolist() == ["equal", "cap"]
    # long_short_cw = q2_cw - q1 = [.045, -.035, .005]; mean .015/3 * 12 = .06
    assert ev.summary("cap")["long_short_ann_return"] == pytest.approx(0.06)


def test_tradable_mask_excludes_names_at_formation():
    factor = panel([[1, 2, 3, 4, 5, 6]])
    fwd = panel([[0.01, 0.02, 0.03, 0.04, 0.05, 0.99]])
    tradable = pd.DataFrame(True, index=factor.index, columns=factor.columns)
    tradable.loc[:, "f"] = False  # e.g. limit-up at t: cannot be bought, its 99% must not count
    ev = evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12, tradable=tradable)
    row = ev.per_period.iloc[0]
    # 5 tradable names, r = 0.01 * f exactly -> IC = Rank IC = 1; quantiles 1..5 one name each
    assert row["n_names"] == 5
    assert row["ic"] == pytest.approx(1.0)
    assert row["q5"] == pytest.approx(0.05)
    assert row["universe_ew"] == pytest.approx(0.03)  # (.01+...+.05)/5
    assert row["long_short_ew"] == pytest.approx(0.04)
    with pytest.raises(ValueError, match="cover"):
        evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12, tradable=tradable.iloc[:, :3])
    with pytest.raises(ValueError, match="boolean"):
        evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12, tradable=tradable.astype(float))


def test_evaluate_factor_row_t_uses_only_row_t():
    rng = np.random.default_rng(3)
    dates = pd.date_range("2020-01-31", periods=6, freq="ME", name="date")
    names = [f"s{i}" for i in range(20)]
    factor = pd.DataFrame(rng.normal(size=(6, 20)), index=dates, columns=names)
    fwd = pd.DataFrame(rng.normal(scale=0.05, size=(6, 20)), index=dates, columns=names)
    weights = pd.DataFrame(rng.uniform(1, 5, size=(6, 20)), index=dates, columns=names)
    base = evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12, weights=weights).per_period

    t = 2  # perturb every input strictly after row t
    later = dates > dates[t]
    f2, r2, w2 = factor.copy(), fwd.copy(), weights.copy()
    f2.loc[later] = rng.normal(size=(3, 20))
    r2.loc[later] = rng.normal(size=(3, 20))
    w2.loc[later] = rng.uniform(1, 5, size=(3, 20))
    moved = evaluate_factor(f2, r2, n_quantiles=5, periods_per_year=12, weights=w2).per_period
    pd.testing.assert_frame_equal(base.iloc[: t + 1], moved.iloc[: t + 1])
    assert not base.iloc[t + 1 :].equals(moved.iloc[t + 1 :])  # the perturbation did bite


def test_industry_level_is_same_api():
    rng = np.random.default_rng(11)
    dates = pd.date_range("2020-01-31", periods=4, freq="ME", name="date")
    inds = [f"ind{i:02d}" for i in range(31)]
    factor = pd.DataFrame(rng.normal(size=(4, 31)), index=dates, columns=inds)
    fwd = pd.DataFrame(rng.normal(scale=0.05, size=(4, 31)), index=dates, columns=inds)
    ev = evaluate_factor(factor, fwd, n_quantiles=5, periods_per_year=12)
    table = ev.per_period
    assert [c for c in table.columns if c.startswith("q")] == ["q1", "q2", "q3", "q4", "q5"]
    # Top quintile vs the equal-weighted average of all 31 industries
    np.testing.assert_allclose(table["universe_ew"], fwd.mean(axis=1).to_numpy())
    np.testing.assert_allclose(table["long_only_excess_ew"], table["q5"] - fwd.mean(axis=1).to_numpy())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_quantiles": 1}, "n_quantiles"),
        ({"periods_per_year": 0}, "periods_per_year"),
        ({"min_obs": 1}, "min_obs"),
    ],
)
def test_evaluate_factor_rejects_bad_parameters(kwargs, message):
    factor, fwd = small_evaluation_inputs()
    args = {"n_quantiles": 2, "periods_per_year": 12, **kwargs}
    with pytest.raises(ValueError, match=message):
        evaluate_factor(factor, fwd, **args)


def test_bad_panels_raise_value_errors():
    factor, fwd = small_evaluation_inputs()
    with pytest.raises(ValueError, match="DatetimeIndex"):
        information_coefficient(factor.reset_index(drop=True), fwd)
    with pytest.raises(ValueError, match="sorted"):
        information_coefficient(factor.iloc[::-1], fwd)
    shifted = fwd.set_axis(fwd.index + pd.Timedelta(days=1))
    with pytest.raises(ValueError, match="no period_end"):
        evaluate_factor(factor, shifted, n_quantiles=2, periods_per_year=12)
    with pytest.raises(ValueError, match="non-negative"):
        evaluate_factor(factor, fwd, n_quantiles=2, periods_per_year=12, weights=-factor)
    with pytest.raises(ValueError, match="DataFrame"):
        information_coefficient(factor.iloc[:, 0], fwd)
