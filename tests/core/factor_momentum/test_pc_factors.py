"""PC factor momentum (E-L 2022, Table IV): hand-computed 2-factor case, groups and look-ahead."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.factor_momentum.pc_factors import (
    OFFSET,
    correlation_eigenvectors,
    default_pc_groups,
    pc_factor_momentum,
    pc_momentum_positions,
)

SQRT2 = np.sqrt(2.0)


def test_default_groups():
    assert default_pc_groups(12) == ((1, 6), (7, 12))
    assert default_pc_groups(20) == ((1, 10), (11, 20))
    assert default_pc_groups(47) == ((1, 10), (11, 20), (21, 30), (31, 40), (41, 47))
    assert default_pc_groups(1) == ((1, 1),)


def test_correlation_eigenvectors_two_factors():
    x = np.array([[0.01, 0.02], [0.02, 0.01], [-0.01, -0.02], [0.03, 0.02]])
    values, vectors = correlation_eigenvectors(x)
    rho = np.corrcoef(x, rowvar=False)[0, 1]
    # 2x2 correlation matrix: eigenvalues 1 +/- rho, eigenvectors (1,1)/sqrt2 and (1,-1)/sqrt2 (up to sign).
    assert values == pytest.approx([1 + rho, 1 - rho])
    assert vectors[:, 0] == pytest.approx([1 / SQRT2, 1 / SQRT2])
    assert np.abs(vectors[:, 1]) == pytest.approx([1 / SQRT2, 1 / SQRT2])
    assert vectors[0, 1] * vectors[1, 1] < 0


def _two_factor_case():
    months = pd.DatetimeIndex(["2020-01-31", "2020-02-28", "2020-03-31", "2020-04-30"], name="date")
    monthly = pd.DataFrame({"f1": [0.02, 0.00, 0.04, 0.01], "f2": [0.00, 0.02, 0.02, 0.03]}, index=months)
    days = pd.DatetimeIndex(["2020-01-15", "2020-02-14", "2020-03-13", "2020-03-31"], name="date")
    daily = pd.DataFrame({"f1": [0.01, 0.02, -0.01, 0.03], "f2": [0.02, 0.01, -0.02, 0.02]}, index=days)
    return daily, monthly


def test_pc_factor_momentum_hand_computed():
    """Formation at March (history Jan-Mar, window Feb-Mar), holding April.

    PC1 = (f1+f2)/sqrt2: Jan-Mar (.02,.02,.06)/sqrt2, mean (.1/3)/sqrt2, sample var .000533/2 = .000267.
    PC2 = (f1-f2)/sqrt2: (.02,-.02,.02)/sqrt2, mean (.02/3)/sqrt2, sample var .000267.
    Average factor variance: var(.02,0,.04) = .0004, var(0,.02,.02) = .000133 -> .000267, so c1 = c2 = 1.
    Signals (Feb-Mar mean minus full mean): PC1 (.04 - .0333)/sqrt2 > 0 -> +1; PC2 (0 - .00667)/sqrt2 -> -1.
    April: PC1 (.04 - .0333)/sqrt2 = .00667/sqrt2; PC2 -(-.02 - .00667)/sqrt2 = .02667/sqrt2.
    """
    daily, monthly = _two_factor_case()
    kwargs = {"lookback": 2, "min_days": 3, "min_months": 3}
    out = pc_factor_momentum(daily, monthly, groups=((1, 1), (2, 2), (1, 2)), **kwargs)
    april = out.loc["2020-04-30"]
    assert april["pc1_1"] == pytest.approx((0.04 - 0.1 / 3) / SQRT2)
    assert april["pc2_2"] == pytest.approx((0.02 + 0.02 / 3) / SQRT2)
    assert april["pc1_2"] == pytest.approx(((0.04 - 0.1 / 3) + (0.02 + 0.02 / 3)) / 2 / SQRT2)
    assert list(out.index) == [pd.Timestamp("2020-04-30")]
    positions = pc_momentum_positions(daily, monthly, groups=((1, 1),), **kwargs)
    first = positions.loc[(pd.Timestamp("2020-03-31"), "pc1_1")]
    # PC1 weights s*c*v = (1,1)/sqrt2 and offset s*c*mean = (.1/3)/sqrt2
    assert first[["f1", "f2"]].tolist() == pytest.approx([1 / SQRT2, 1 / SQRT2])
    assert first[OFFSET] == pytest.approx(0.1 / 3 / SQRT2)


def test_default_groups_and_momentum_excluded():
    daily, monthly = _two_factor_case()
    daily["umd"], monthly["umd"] = 0.5, [0.1, -0.3, 0.2, 0.1]
    out = pc_factor_momentum(daily, monthly, lookback=2, min_days=3, min_months=3)
    assert list(out.columns) == ["pc1_1", "pc2_2"]  # halves of the 2 non-momentum factors
    assert out.loc["2020-04-30", "pc1_1"] == pytest.approx((0.04 - 0.1 / 3) / SQRT2)


def test_pc_look_ahead():
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2018-01-01", "2020-12-31", name="date")
    common = rng.normal(0, 0.005, len(days))
    daily = pd.DataFrame(rng.normal(0, 0.005, (len(days), 4)) + common[:, None], index=days, columns=list("abcd"))
    monthly = (1 + daily).groupby(daily.index.to_period("M")).prod() - 1
    monthly.index = daily.groupby(daily.index.to_period("M")).apply(lambda g: g.index.max())
    monthly.index.name = "date"
    kwargs = {"min_days": 100, "min_months": 13}
    base_pos = pc_momentum_positions(daily, monthly, **kwargs)
    base_ret = pc_factor_momentum(daily, monthly, **kwargs)
    t = monthly.index[20]
    d2, m2 = daily.copy(), monthly.copy()
    d2.loc[d2.index > t] = -3 * d2.loc[d2.index > t] + 0.01
    m2.loc[m2.index > t] = -3 * m2.loc[m2.index > t] + 0.02
    pos2 = pc_momentum_positions(d2, m2, **kwargs)
    formed = base_pos.index.get_level_values("period_end") <= t
    pd.testing.assert_frame_equal(pos2[formed], base_pos[formed])  # signals, weights, offsets at <= t
    ret2 = pc_factor_momentum(d2, m2, **kwargs)
    pd.testing.assert_frame_equal(ret2.loc[:t], base_ret.loc[:t])
    # Month t+1 legitimately uses r_{t+1}: it equals the unchanged positions applied to the new returns.
    t1 = monthly.index[21]
    for group in ret2.columns:
        row = base_pos.loc[(t, group)]
        expected = float(row[list("abcd")] @ m2.loc[t1, list("abcd")]) - row[OFFSET]
        assert ret2.loc[t1, group] == pytest.approx(expected)


def test_pc_bad_inputs():
    daily, monthly = _two_factor_case()
    with pytest.raises(ValueError, match="min_months"):
        pc_factor_momentum(daily, monthly, lookback=3, min_days=3, min_months=3)
    with pytest.raises(ValueError, match="lacks factors"):
        pc_factor_momentum(daily[["f1"]], monthly, lookback=2, min_days=3, min_months=3)
    with pytest.raises(ValueError, match="PC group"):
        pc_factor_momentum(daily, monthly, lookback=2, min_days=3, min_months=3, groups=((2, 1),))
