"""Factor-momentum details the first mutation run left untested (mutmut survivors in signals.py): the paper's
12-month default window, a minimum below the window, a position without a next-month return, months with
a single position, the CS window actually used, and Table I's HAC, clustered and down-year numbers against
statsmodels."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from momentum_dag.core.factor_momentum.signals import (
    cs_factor_momentum,
    cs_factor_signals,
    factor_autocorrelation,
    prior_year_return,
    trailing_mean,
    ts_factor_momentum,
    ts_factor_signals,
)

IDX = pd.date_range("2019-01-31", periods=30, freq="ME", name="date")


def _returns(seed: int = 1, n_factors: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.normal(0.002, 0.03, (len(IDX), n_factors)), index=IDX, columns=[f"f{k}" for k in range(n_factors)]
    )


def test_default_window_is_twelve_months_including_t():
    r = _returns()
    ma = trailing_mean(r)
    assert ma.iloc[:11].isna().all().all()
    assert ma.iloc[11].to_numpy() == pytest.approx(r.iloc[:12].mean().to_numpy())
    assert ma.iloc[20].to_numpy() == pytest.approx(r.iloc[9:21].mean().to_numpy())
    signals = ts_factor_signals(r, exclude=())
    assert signals.iloc[20].tolist() == np.sign(r.iloc[9:21].mean()).tolist()
    # TS and CS factor momentum with the defaults: first holding month is row 12, from MA over rows 0..11
    first = r.iloc[12]
    assert ts_factor_momentum(r, exclude=()).index[0] == IDX[12]
    assert ts_factor_momentum(r, exclude=())["tsmom"].iloc[0] == pytest.approx(
        (np.sign(r.iloc[:12].mean()) * first).mean()
    )
    cs = cs_factor_signals(r, exclude=()).iloc[11]
    expected = np.where(r.iloc[:12].mean() >= r.iloc[:12].mean().median(), 1.0, -1.0)
    assert cs.tolist() == expected.tolist()
    assert cs_factor_momentum(r, exclude=())["xsmom"].iloc[0] == pytest.approx((expected * first).mean())
    # later rows tell a 12-month window from a 13-month one with a 12-month minimum
    ma = r.iloc[9:21].mean()
    assert ts_factor_momentum(r, exclude=()).loc[IDX[21], "tsmom"] == pytest.approx((np.sign(ma) * r.iloc[21]).mean())
    xs = np.where(ma >= ma.median(), 1.0, -1.0)
    assert cs_factor_signals(r, exclude=()).iloc[20].tolist() == xs.tolist()
    assert cs_factor_momentum(r, exclude=()).loc[IDX[21], "xsmom"] == pytest.approx((xs * r.iloc[21]).mean())
    assert prior_year_return(r).iloc[20].to_numpy() == pytest.approx(r.iloc[8:20].sum().to_numpy())


def test_cs_momentum_keeps_a_momentum_factor_when_told_to():
    r = _returns(seed=6).rename(columns={"f3": "momentum"})
    kept = cs_factor_momentum(r, lookback=3, min_obs=3, exclude=())
    assert (kept["n_long"] + kept["n_short"] == 4).all()
    dropped = cs_factor_momentum(r, lookback=3, min_obs=3)  # the default leaves stock momentum out
    assert (dropped["n_long"] + dropped["n_short"] == 3).all()


def test_minimum_below_the_window():
    r = _returns()
    ma = trailing_mean(r, lookback=3, min_obs=1)
    assert ma.iloc[0].to_numpy() == pytest.approx(r.iloc[0].to_numpy())  # one month is enough
    assert ma.iloc[1].to_numpy() == pytest.approx(r.iloc[:2].mean().to_numpy())
    assert ma.iloc[5].to_numpy() == pytest.approx(r.iloc[3:6].mean().to_numpy())
    with pytest.raises(ValueError, match="min_obs"):
        trailing_mean(r, lookback=3, min_obs=0)


def test_cs_signals_use_the_given_window():
    r = _returns(seed=4)
    for lookback in (3, 6):
        s = cs_factor_signals(r, lookback=lookback, min_obs=lookback, exclude=())
        for row in (lookback - 1, 15, 29):
            ma = r.iloc[row - lookback + 1 : row + 1].mean()
            assert s.iloc[row].tolist() == np.where(ma >= ma.median(), 1.0, -1.0).tolist(), (lookback, row)
        held = s.shift(1)
        xs = cs_factor_momentum(r, lookback=lookback, min_obs=lookback, exclude=())
        assert xs.loc[IDX[20], "xsmom"] == pytest.approx((held.loc[IDX[20]] * r.loc[IDX[20]]).mean())


def test_a_position_without_a_next_month_return_is_not_held():
    r = pd.DataFrame({"a": [0.02, 0.03, 0.01], "b": [0.01, 0.02, np.nan], "c": [-0.01, -0.02, 0.04]}, index=IDX[:3])
    out = ts_factor_momentum(r, lookback=2, min_obs=2, exclude=())
    # signals at row 1: a +, b +, c -; b has no return in row 2: held long by a only, short c
    assert (out.loc[IDX[2], "n_long"], out.loc[IDX[2], "n_short"]) == (1, 1)
    assert out.loc[IDX[2], "tsmom"] == pytest.approx((0.01 - 0.04) / 2)
    assert out.loc[IDX[2], "tsmom_winners"] == pytest.approx(0.01)


def test_a_month_with_one_position_is_kept():
    r = pd.DataFrame({"a": [0.02, 0.03, 0.01], "b": [np.nan, 0.02, 0.05]}, index=IDX[:3])
    ts = ts_factor_momentum(r, lookback=2, min_obs=2, exclude=())
    assert list(ts.index) == [IDX[2]] and ts.loc[IDX[2], "tsmom"] == pytest.approx(0.01)  # only a has 2 months
    cs = cs_factor_momentum(r, lookback=2, min_obs=2, exclude=())
    assert cs.loc[IDX[2], "xsmom"] == pytest.approx(0.01)  # one factor: at its own median, long
    assert cs.loc[IDX[2], "xsmom_weighted"] == 0.0  # MA minus the mean of one MA: weight 0, not NaN


# ---- Table I -----------------------------------------------------------------------------------------


def _table_one_panel() -> pd.DataFrame:
    rng = np.random.default_rng(9)
    return pd.DataFrame(
        rng.normal(0.004, 0.03, (60, 3)),
        index=pd.date_range("2010-01-31", periods=60, freq="ME"),
        columns=["x", "y", "z"],
    )


def _by_statsmodels(r: pd.Series, hac_lags=None, groups=None):
    prior = r.rolling(12, min_periods=12).sum().shift(1)
    ok = prior.notna() & r.notna()
    up = (prior[ok] > 0).astype(float)
    design = sm.add_constant(up.to_numpy(), has_constant="add")
    if groups is not None:
        return sm.OLS(r[ok].to_numpy(), design).fit(cov_type="cluster", cov_kwds={"groups": groups})
    if hac_lags is None:
        return sm.OLS(r[ok].to_numpy(), design).fit()
    return sm.OLS(r[ok].to_numpy(), design).fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags})


@pytest.mark.parametrize("hac_lags", [None, 3])
def test_autocorrelation_rows_equal_statsmodels(hac_lags):
    panel = _table_one_panel()
    out = factor_autocorrelation(panel, hac_lags=hac_lags)
    for f in panel.columns:
        fit = _by_statsmodels(panel[f], hac_lags)
        row = out.loc[f]
        assert [row["alpha"], row["beta"]] == pytest.approx(list(fit.params))
        assert [row["t_alpha"], row["t_beta"]] == pytest.approx(list(fit.tvalues))
        prior = panel[f].rolling(12).sum().shift(1)
        after_down = panel[f][(prior <= 0) & prior.notna()]
        assert row["mean_after_down"] == pytest.approx(after_down.mean())
        assert row["alpha"] == pytest.approx(row["mean_after_down"])
        assert row["n_down"] == len(after_down)
    assert out[["n", "n_up", "n_down"]].dtypes.eq("int64").all()


def test_pooled_row_clusters_by_month():
    panel = _table_one_panel()
    out = factor_autocorrelation(panel).loc["pooled"]
    prior = panel.rolling(12, min_periods=12).sum().shift(1)
    up = (prior > 0).astype(float).where(prior.notna())
    stacked = pd.DataFrame({"r": panel.stack(), "up": up.stack()}).dropna()
    codes = pd.factorize(stacked.index.get_level_values(0))[0]
    design = sm.add_constant(stacked["up"].to_numpy(), has_constant="add")
    fit = sm.OLS(stacked["r"].to_numpy(), design).fit(cov_type="cluster", cov_kwds={"groups": codes})
    assert [out["alpha"], out["beta"]] == pytest.approx(list(fit.params))
    assert [out["t_alpha"], out["t_beta"]] == pytest.approx(list(fit.tvalues))
    assert out["t_beta"] != pytest.approx(sm.OLS(stacked["r"].to_numpy(), design).fit().tvalues[1])


def test_a_flat_prior_year_is_a_down_year_and_two_of_each_suffice():
    # lookback 2; prior sums at rows 2..7: .1, 0 (flat), -.1, .1, .1, -.1 -> up at 2, 5, 6; down at 3, 4, 7
    r = pd.Series(
        [0.05, 0.05, -0.05, -0.05, 0.15, -0.05, -0.05, 0.2], index=pd.date_range("2020-01-31", periods=8, freq="ME")
    )
    row = factor_autocorrelation(r.to_frame("a"), lookback=2).loc["a"]
    assert (row["n_up"], row["n_down"]) == (3, 3)
    assert row["mean_after_up"] == pytest.approx((-0.05 - 0.05 - 0.05) / 3)
    assert row["mean_after_down"] == pytest.approx((-0.05 + 0.15 + 0.2) / 3)
    two_up = factor_autocorrelation(r.iloc[:7].to_frame("a"), lookback=2).loc["a"]  # ups at 2, 5 and 6 ...
    assert two_up["n_up"] == 3 and np.isfinite(two_up["beta"])
    short = r.iloc[:6].to_frame("a")  # ups at rows 2 and 5 only: 2 of each, still estimated
    est = factor_autocorrelation(short, lookback=2).loc["a"]
    assert (est["n_up"], est["n_down"]) == (2, 2) and np.isfinite(est["t_beta"])
    assert est["beta"] == pytest.approx((-0.05 - 0.05) / 2 - (-0.05 + 0.15) / 2)
