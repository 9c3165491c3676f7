"""Net-of-cost long-short returns by hand: leg weights, turnover (sum of absolute weight changes per leg),
cost = bps x turnover, net annualized return and Sharpe."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.evaluation.costs import leg_turnover, leg_weights, long_short_turnover, net_of_cost
from momentum_dag.core.evaluation.engine import evaluate_factor

DATES = pd.date_range("2020-01-31", periods=3, freq="ME", name="date")
NAMES = ["a", "b", "c", "d"]


def panel(rows) -> pd.DataFrame:
    return pd.DataFrame(np.array(rows, dtype=float), index=DATES, columns=NAMES)


# Two quantiles of four names. t0: {a,b} short, {c,d} long; t1 and t2: {a,c} short, {b,d} long.
FACTOR = panel([[1, 2, 3, 4], [1, 3, 2, 4], [1, 3, 2, 4]])
FORWARD = panel([[0.00, 0.02, 0.04, 0.06], [0.01, 0.01, -0.01, -0.03], [0.00, 0.00, 0.02, 0.00]])
CAPS = panel([[1, 3, 1, 3]] * 3)


def test_leg_weights_and_turnover_by_hand():
    quantiles = pd.DataFrame([[1, 1, 2, 2], [1, 2, 1, 2], [1, 2, 1, 2]], index=DATES, columns=NAMES, dtype=float)
    long_cap = leg_weights(quantiles, 2, CAPS)
    np.testing.assert_allclose(long_cap.to_numpy(), [[0, 0, 0.25, 0.75], [0, 0.5, 0, 0.5], [0, 0.5, 0, 0.5]])
    # built from nothing (1), then |0 - .25| + |.5 - 0| + |.5 - .75| = 1, then unchanged
    np.testing.assert_allclose(leg_turnover(long_cap), [1.0, 1.0, 0.0])
    # short leg a .25 b .75 -> a .5 c .5: .25 + .75 + .5 = 1.5
    np.testing.assert_allclose(leg_turnover(leg_weights(quantiles, 1, CAPS)), [1.0, 1.5, 0.0])
    # equal weights: each leg swaps one of two names (1 per leg) after the build (1 per leg)
    np.testing.assert_allclose(long_short_turnover(quantiles, 2), [2.0, 2.0, 0.0])
    np.testing.assert_allclose(long_short_turnover(quantiles, 2, CAPS), [2.0, 2.5, 0.0])
    # a date with an empty leg has no long-short portfolio; the next one rebuilds it
    gap = quantiles.copy()
    gap.iloc[1] = np.nan
    np.testing.assert_allclose(long_short_turnover(gap, 2), [2.0, np.nan, 2.0])


def test_net_of_cost_long_short_by_hand():
    evaluation = evaluate_factor(FACTOR, FORWARD, n_quantiles=2, periods_per_year=12, weights=CAPS, min_obs=4)
    table = evaluation.per_period
    # gross equal-weighted long-short: q2 - q1 = .05 - .01, -.01 - 0, 0 - .01
    np.testing.assert_allclose(table["long_short_ew"], [0.04, -0.01, -0.01], atol=1e-12)
    np.testing.assert_allclose(table["long_short_turnover_ew"], [2.0, 2.0, 0.0])
    np.testing.assert_allclose(table["long_short_turnover_cw"], [2.0, 2.5, 0.0])

    # 25 bps per unit of turnover: costs .005, .005, 0 -> net .035, -.015, -.01
    summary = evaluation.summary("equal", cost_bps=25.0)
    net = np.array([0.035, -0.015, -0.01])
    assert summary["cost_bps"] == 25.0
    assert summary["long_short_turnover"] == pytest.approx(4.0 / 3)
    assert summary["long_short_net_ann_return"] == pytest.approx(0.01 / 3 * 12)  # mean .01/3 x 12 = 4%
    assert summary["long_short_net_sharpe"] == pytest.approx(net.mean() / net.std(ddof=1) * np.sqrt(12))
    assert summary["long_short_ann_return"] == pytest.approx(0.02 / 3 * 12)  # gross unchanged: 8%

    # cap-weighted: q2 .25x.04+.75x.06 = .055, q1 .25x0+.75x.02 = .015 -> .04; t1 (.5,.5): q2 -.01, q1 0;
    # t2: q2 0, q1 .01. Costs at 25 bps: .005, .00625, 0
    cap = evaluation.summary("cap", cost_bps=25.0)
    cap_net = np.array([0.04 - 0.005, -0.01 - 0.00625, -0.01])
    assert cap["long_short_net_ann_return"] == pytest.approx(cap_net.mean() * 12)
    assert cap["long_short_net_sharpe"] == pytest.approx(cap_net.mean() / cap_net.std(ddof=1) * np.sqrt(12))

    free = evaluation.summary("equal", cost_bps=0.0)
    assert free["long_short_net_sharpe"] == pytest.approx(free["long_short_sharpe"])


def test_net_of_cost_refuses_a_negative_cost():
    with pytest.raises(ValueError, match="cost_bps"):
        net_of_cost(pd.Series([0.01]), pd.Series([1.0]), -5.0)
