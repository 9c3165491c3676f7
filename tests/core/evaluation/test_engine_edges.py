"""Evaluation details the first mutation run showed untested (mutmut survivors in core/evaluation): every
summary key by value, the cap-weighted column names, label alignment of the tradability mask, min_obs and
n_quantiles passed through, empty quantiles, and the ICIR's edge cases."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.evaluation.engine import evaluate_factor, mask_untradable
from momentum_dag.core.evaluation.ic import ic_summary
from momentum_dag.core.evaluation.performance import (
    annualized_mean_return,
    annualized_return,
    annualized_volatility,
    max_drawdown,
    sharpe_ratio,
)
from momentum_dag.core.evaluation.quantiles import (
    assign_quantiles,
    quantile_returns,
    quantile_turnover,
    universe_mean_return,
)

NAMES = ["a", "b", "c", "d"]
DATES = pd.date_range("2020-01-31", periods=3, freq="ME", name="date")


def _panel(rows) -> pd.DataFrame:
    return pd.DataFrame(np.array(rows, dtype=float), index=DATES, columns=NAMES)


FACTOR = _panel([[1, 2, 3, 4]] * 3)
# period 0: rises with the factor; period 1: falls; period 2: a zero IC (b and d tie, a and c symmetric)
FORWARD = _panel([[0.01, 0.02, 0.03, 0.04], [0.04, 0.03, 0.02, 0.01], [0.0, 0.01, 0.0, 0.01]])


def test_summary_reports_every_key_by_value():
    ev = evaluate_factor(FACTOR, FORWARD, n_quantiles=2, periods_per_year=52, min_obs=4)
    s = ev.summary()
    # Pearson = Spearman here: +1, -1 and period 2: factor dev (-1.5,-.5,.5,1.5), return dev (-.005,.005)x2 ->
    # cov .005 x (1.5 - .5 - .5 + 1.5) / ... = .01 / sqrt(5 x .0001) = 1/sqrt(5)
    ics = np.array([1.0, -1.0, 1 / np.sqrt(5)])
    mean, std = ics.mean(), ics.std(ddof=1)
    expected = {
        "weighting": "equal",
        "ic_mean": mean,
        "rank_ic_mean": mean,
        "icir": mean / std,
        "icir_annualized": mean / std * np.sqrt(52),
        "rank_icir": mean / std,
        "rank_icir_annualized": mean / std * np.sqrt(52),
        "ic_positive_share": 2 / 3,
        "rank_ic_positive_share": 2 / 3,
        "ic_t_stat": mean / std * np.sqrt(3),
        "rank_ic_t_stat": mean / std * np.sqrt(3),
        "n_periods": 3,
    }
    for key, value in expected.items():
        assert s[key] == pytest.approx(value), key
    assert ev.per_period["n_names"].dtype.kind == "i"


def test_quantile_columns_name_each_weighting():
    ev = evaluate_factor(FACTOR, FORWARD, n_quantiles=2, periods_per_year=12, weights=FACTOR, min_obs=4)
    assert ev.quantile_columns() == ["q1", "q2"]
    assert ev.quantile_columns("equal") == ["q1", "q2"]
    assert ev.quantile_columns("cap") == ["q1_cw", "q2_cw"]
    with pytest.raises(ValueError, match="weighting"):
        ev.quantile_columns("value")


def test_tradable_mask_is_aligned_by_labels_not_positions():
    panel = _panel([[1, 2, 3, 4]] * 3)
    mask = pd.DataFrame(True, index=DATES, columns=NAMES)
    mask.loc[DATES[1], "c"] = False
    # a larger mask, dates and names in another order: aligned on labels
    larger = mask.assign(z=False).reindex(columns=["z", "d", "c", "b", "a"])
    larger = pd.concat([pd.DataFrame(False, index=[pd.Timestamp("2019-12-31")], columns=larger.columns), larger])
    out = mask_untradable(panel, larger)
    assert out.index.equals(panel.index) and out.columns.equals(panel.columns)
    assert np.isnan(out.loc[DATES[1], "c"]) and out.notna().sum().sum() == 11


def test_min_obs_reaches_the_ics():
    ev = evaluate_factor(FACTOR, FORWARD, n_quantiles=2, periods_per_year=12, min_obs=4)
    assert ev.per_period["ic"].notna().all()
    ev = evaluate_factor(FACTOR, FORWARD, n_quantiles=2, periods_per_year=12)  # default 5 > 4 names
    assert ev.per_period["ic"].isna().all() and ev.per_period["rank_ic"].isna().all()


def test_an_empty_top_quantile_keeps_its_column_and_gives_no_spread():
    # values 1, 2, 2, 2: average ranks 1, 3, 3, 3 -> quantiles ceil(r x 4 / 4) = 1, 3, 3, 3: q2 and q4 empty
    factor = _panel([[1, 2, 2, 2]] * 3)
    for weights in (None, FACTOR):
        ev = evaluate_factor(factor, FORWARD, n_quantiles=4, periods_per_year=12, weights=weights, min_obs=4)
        table = ev.per_period
        assert {"q1", "q2", "q3", "q4"} <= set(table.columns)
        assert table["q4"].isna().all() and table["long_short_ew"].isna().all()
        assert table["q1"].tolist() == pytest.approx([0.01, 0.04, 0.0])
        if weights is not None:
            assert table["q4_cw"].isna().all() and table["long_short_cw"].isna().all()


def test_icir_edge_cases():
    two = ic_summary(pd.Series([0.1, 0.3]), 12)  # two periods: a sample std exists
    assert two["ic_std"] == pytest.approx(np.sqrt(0.02))
    assert two["icir"] == pytest.approx(0.2 / np.sqrt(0.02))
    one = ic_summary(pd.Series([0.1, np.nan]), 12)
    assert one["n_periods"] == 1 and np.isnan(one["ic_std"]) and np.isnan(one["icir"])
    for flat_ics in ([0.05, 0.05, 0.05], [0.05, 0.05]):  # no dispersion: ICIR undefined, not ~1e15
        flat = ic_summary(pd.Series(flat_ics), 12)
        assert flat["ic_std"] == 0.0 and np.isnan(flat["icir"]) and np.isnan(flat["icir_annualized"])
    zero = ic_summary(pd.Series([0.0, 0.2, -0.1, 0.0]), 12)  # an IC of exactly 0 is not positive
    assert zero["ic_positive_share"] == pytest.approx(0.25)
    empty = ic_summary(pd.Series([], dtype=float), 12)
    assert empty["n_periods"] == 0 and np.isnan(empty["ic_mean"]) and np.isnan(empty["ic_positive_share"])
    ints = ic_summary(pd.Series([1, 0, 1]), 12)  # integer input is read as float
    assert ints["ic_mean"] == pytest.approx(2 / 3)


def test_a_constant_series_has_no_sharpe_ratio():
    assert np.isnan(sharpe_ratio(pd.Series([0.05, 0.05, 0.05]), 12))  # pandas std 8.5e-18: Sharpe 2e16 before
    assert sharpe_ratio(pd.Series([0.01, 0.01, 0.02]), 12) == pytest.approx(
        (0.04 / 3) / np.std([0.01, 0.01, 0.02], ddof=1) * np.sqrt(12)
    )


def test_performance_on_empty_and_short_series():
    empty, one, two = pd.Series([], dtype=float), pd.Series([0.02]), pd.Series([0.01, 0.03])
    for series in (empty, pd.Series([np.nan, np.nan])):
        assert np.isnan(annualized_mean_return(series, 12)) and np.isnan(annualized_return(series, 12))
        assert np.isnan(annualized_volatility(series, 12)) and np.isnan(sharpe_ratio(series, 12))
        assert np.isnan(max_drawdown(series))
    assert np.isnan(annualized_volatility(one, 12)) and np.isnan(sharpe_ratio(one, 12))
    assert annualized_mean_return(one, 52) == pytest.approx(1.04)
    assert annualized_volatility(two, 12) == pytest.approx(np.sqrt(0.0002) * np.sqrt(12))
    assert annualized_return(pd.Series([0.1, -1.0]), 12) == -1.0  # wiped out


def test_quantiles_need_n_names_per_period():
    factor = _panel([[1, 2, 3, 4], [1, 2, np.nan, np.nan], [4, 3, 2, 1]])
    q = assign_quantiles(factor, 3)
    assert q.iloc[1].isna().all()  # 2 names < 3 quantiles: the whole period unassigned
    assert q.iloc[0].tolist() == [1.0, 2.0, 3.0, 3.0]  # ceil(rank x 3 / 4): .75, 1.5, 2.25, 3
    assert q.iloc[2].tolist() == [3.0, 3.0, 2.0, 1.0]


def test_quantile_returns_infer_their_count_and_reject_an_empty_panel():
    q = assign_quantiles(FACTOR, 2)
    out = quantile_returns(q, FORWARD)  # n_quantiles inferred: the largest assigned quantile
    assert list(out.columns) == [1, 2] and list(out.index) == list(DATES)
    assert out.loc[DATES[0]].tolist() == pytest.approx([0.015, 0.035])
    with pytest.raises(ValueError, match="no assigned quantile"):
        quantile_returns(q * np.nan, FORWARD)


def test_cap_weights_below_one_and_zero_are_weights():
    q = assign_quantiles(FACTOR, 2)
    weights = _panel([[0.0, 0.25, 0.1, 0.3]] * 3)  # float caps in any unit; a zero cap holds nothing
    out = quantile_returns(q, FORWARD, weights)
    assert out.loc[DATES[0], 1] == pytest.approx(0.02)  # a (cap 0) carries no weight: b alone
    assert out.loc[DATES[0], 2] == pytest.approx((0.1 * 0.03 + 0.3 * 0.04) / 0.4)
    assert universe_mean_return(q, FORWARD, weights).loc[DATES[0]] == pytest.approx(
        (0.25 * 0.02 + 0.1 * 0.03 + 0.3 * 0.04) / 0.65
    )
    only_zero = _panel([[0.0, 0.0, 1.0, 1.0]] * 3)
    assert quantile_returns(q, FORWARD, only_zero)[1].isna().all()  # no weight in the quantile: no return


def test_turnover_of_a_one_name_quantile():
    # 3 names, 3 quantiles: one name each; the top name changes at period 1 and stays at period 2
    factor = pd.DataFrame([[1, 2, 3], [3, 2, 1], [3, 1, 2]], index=DATES, columns=["a", "b", "c"], dtype=float)
    turnover = quantile_turnover(assign_quantiles(factor, 3), 3)
    assert np.isnan(turnover.iloc[0]) and turnover.iloc[1:].tolist() == [1.0, 0.0]


def test_forward_returns_are_aligned_by_labels():
    # a larger forward panel, names in another order and an extra date: the ICs use the factor's labels
    larger = pd.concat([FORWARD, _panel([[9.0, 9.0, 9.0, 9.0]] * 3).iloc[:1].set_axis([pd.Timestamp("2020-04-30")])])
    larger = larger.assign(z=1.0)[["z", "d", "c", "b", "a"]]
    ev = evaluate_factor(FACTOR, larger, n_quantiles=2, periods_per_year=12, min_obs=4)
    assert list(ev.per_period["period_end"]) == list(DATES)
    assert ev.per_period["ic"].tolist() == pytest.approx([1.0, -1.0, 1 / np.sqrt(5)])


def test_smallest_allowed_parameters():
    two = pd.DataFrame([[1.0, 2.0]], index=DATES[:1], columns=["a", "b"])
    ev = evaluate_factor(two, two * 0.01, n_quantiles=2, periods_per_year=1, min_obs=2)  # annual, 2 names
    assert ev.per_period["ic"].tolist() == [1.0]
    assert ev.summary()["long_short_ann_return"] == pytest.approx(0.01)
    with pytest.raises(ValueError, match="min_obs"):
        evaluate_factor(two, two, n_quantiles=2, periods_per_year=1, min_obs=1)
    with pytest.raises(ValueError, match="periods_per_year"):
        evaluate_factor(two, two, n_quantiles=2, periods_per_year=0, min_obs=2)
