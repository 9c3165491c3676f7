"""benchmarks/calibrate.py's small functions on hand-computed values: the crash check's Welch t, the seeds'
spread, the bands built from it, the check of one figure, and the pass rate of a market equal to the note."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

_spec = importlib.util.spec_from_file_location(
    "calibrate", Path(__file__).resolve().parents[1] / "benchmarks" / "calibrate.py"
)
calibrate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calibrate)


def test_rebound_test_welch_t_by_hand():
    dates = pd.date_range("2020-01-31", periods=6, freq="ME")
    wml = pd.Series([-0.05, -0.03, 0.01, 0.02, 0.03, 0.00], index=dates)
    # state in another order and with a month WML lacks: it is aligned on WML's months
    state = pd.DataFrame(
        {"bear": [1, 1, 1, 0, 0, 0, 1], "up": [1, 1, 0, 1, 1, 0, 1]},
        index=[*dates, pd.Timestamp("2020-07-31")],
    ).iloc[::-1]
    out = calibrate.rebound_test(wml, state)
    # rebounds (bear and up): -0.05, -0.03: mean -0.04, variance 0.0002; others 0.01, 0.02, 0.03, 0.00: mean
    # 0.015, variance 0.0005 / 3; SE sqrt(0.0002 / 2 + 0.0005 / 12) = 0.011902381; t = -0.055 / SE
    assert out["rebound_months"] == 2
    assert out["rebound_mean_pct"] == pytest.approx(-4.0)
    assert out["other_mean_pct"] == pytest.approx(1.5)
    assert out["rebound_t"] == pytest.approx(-0.055 / math.sqrt(0.0002 / 2 + 0.0005 / 12))
    assert out["rebound_t"] == pytest.approx(-4.62092, abs=1e-5)


def test_rebound_test_needs_two_months_each_side():
    dates = pd.date_range("2020-01-31", periods=4, freq="ME")
    wml = pd.Series([-0.05, 0.01, 0.02, 0.03], index=dates)
    state = pd.DataFrame({"bear": [1, 0, 0, 0], "up": [1, 1, 0, 1]}, index=dates)
    out = calibrate.rebound_test(wml, state)
    assert out["rebound_months"] == 1
    assert np.isnan(out["rebound_t"])


def _rows(values: dict[str, list[float]], seeds: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"id": fid, "seed": seed, "ours": v, "pearson": np.nan}
            for fid, vs in values.items()
            for seed, v in zip(seeds, vs, strict=True)
        ]
    )


def test_spread_is_the_sample_sd_over_the_given_seeds():
    rows = _rows({"a": [1.0, 2.0, 3.0, 100.0], "b": [1.0, np.nan, np.nan, 5.0]}, [1, 2, 3, 4])
    sd = calibrate.spread(rows, [1, 2, 3])
    assert sd["a"] == pytest.approx(1.0)  # deviations -1, 0, 1: sum of squares 2 / (3 - 1)
    assert np.isnan(sd["b"])  # one value among the seeds: no sd


def test_band_is_a_multiple_of_the_se_of_a_mean():
    assert calibrate.band(0.01, 4) == pytest.approx(0.01)  # 2 x 0.01 / sqrt(4)
    assert calibrate.band(0.03, 1) == pytest.approx(0.06)
    assert calibrate.band(0.03, 9, multiple=3) == pytest.approx(0.03)


def _figure(fid: str, value: float):
    return SimpleNamespace(id=fid, page="dmom", metric="ic_mean", weighting=None, value=value)


def test_check_by_hand():
    seeds = [1, 2, 3, 4, 5, 6]
    rows = _rows(
        {"in": [0.0, 0.02, 0.04, 0.06, 0.0, 0.0], "far": [0.0, 0.02, 0.04, 0.06, 0.0, 0.0]},
        seeds,
    )
    figures = [_figure("in", 0.03), _figure("far", 0.08)]
    table = calibrate.check(rows, figures, [1, 2, 3], [1, 2, 3, 4])
    by = {f.id: row for f, (_, row) in zip(figures, table.iterrows(), strict=True)}
    # "in": sd over seeds 1-4 of 0, .02, .04, .06 = 0.0258199; mean band 2 sd / sqrt(3) = 0.0298142, seed band
    # 2 sd = 0.0516398; check mean 0.02 (|0.02 - 0.03| = 0.01) and seeds 0.03, 0.01, 0.01 from 0.03: holds
    assert by["in"]["sd"] == pytest.approx(0.0258199, abs=1e-7)
    assert by["in"]["band"] == pytest.approx(0.0298142, abs=1e-7)
    assert by["in"]["seed_band"] == pytest.approx(0.0516398, abs=1e-7)
    assert by["in"]["mean"] == pytest.approx(0.02)
    assert by["in"]["ok"] and by["in"]["mean_ok"] and by["in"]["seeds_ok"]
    # population: seeds 1-4's mean 0.03, z 0
    assert by["in"]["population_mean"] == pytest.approx(0.03)
    assert by["in"]["population_z"] == pytest.approx(0.0)
    # "far": the same values, target 0.08: mean 0.06 off, seed 1 0.08 off (> 0.0516): fails both
    assert not by["far"]["mean_ok"] and not by["far"]["seeds_ok"] and not by["far"]["ok"]
    # population z = (0.03 - 0.08) / (0.0258199 / 2) = -3.87298
    assert by["far"]["population_z"] == pytest.approx(-3.87298, abs=1e-5)


def test_check_one_seed_out():
    rows = _rows({"x": [0.0, 0.0, 0.1, 0.0, 0.0, 0.0]}, [1, 2, 3, 4, 5, 6])
    table = calibrate.check(rows, [_figure("x", 0.0)], [1, 2, 3], [1, 2, 3, 4, 5, 6])
    row = table.iloc[0]
    # sd over six seeds: mean 1/60, squares 5 / 3600 + (5 / 60)^2 = 1 / 120, / 5 -> sd sqrt(1 / 600) = 0.0408248
    assert row["sd"] == pytest.approx(math.sqrt(1 / 600))
    # mean of the check seeds 1/30 = 0.0333 within 2 sd / sqrt(3) = 0.0471405; seed 3's 0.1 beyond 2 sd = 0.0816497
    assert row["mean_ok"] and not row["seeds_ok"] and not row["ok"]


def test_pass_rate_if_equal():
    # one seed, sd known: P(|z| <= 2) = 2 Phi(2) - 1 = 0.9545; P(|z| <= 1) = 0.6827 (Monte Carlo, 100,000 draws)
    assert calibrate.pass_rate_if_equal(1, draws=100_000) == pytest.approx(0.9545, abs=0.003)
    assert calibrate.pass_rate_if_equal(1, multiple=1, draws=100_000) == pytest.approx(0.6827, abs=0.004)
    # the check seeds drawn apart from the spread seeds pass less often than with the sd known (s is noisy)
    known = calibrate.pass_rate_if_equal(3, draws=100_000)
    assert calibrate.pass_rate_if_equal(3, 10, held_out=True, draws=100_000) < known - 0.03


def test_rebound_test_moments_by_hand():
    dates = pd.date_range("2020-01-31", periods=5, freq="ME")
    wml = pd.Series([-0.05, -0.03, -0.04, 0.02, 0.00], index=dates)
    state = pd.DataFrame({"bear": [1, 1, 1, 0, 1], "up": [1, 1, 1, 1, 0]}, index=dates)
    out = calibrate.rebound_test(wml, state)
    # rebounds -5, -3, -4 %: mean -4, squared deviations 1 + 1 + 0 = 2; others 2, 0 %: mean 1, 1 + 1 = 2
    assert (out["rebound_months"], out["other_months"]) == (3, 2)
    assert out["rebound_sum_sq_dev"] == pytest.approx(2.0)
    assert out["other_sum_sq_dev"] == pytest.approx(2.0)
    # Welch t = (-4 - 1) / sqrt(1 / 3 + 2 / 2) = -5 / sqrt(4 / 3) = -4.330127
    assert out["rebound_t"] == pytest.approx(-4.330127, abs=1e-6)


def test_pooled_rebound_test_is_the_test_on_the_stacked_months():
    dates = pd.date_range("2020-01-31", periods=4, freq="ME")
    one = pd.Series([-0.06, 0.01, 0.03, 0.02], index=dates)
    two = pd.Series([-0.02, -0.04, 0.00, 0.05], index=dates + pd.DateOffset(months=4))
    s1 = pd.DataFrame({"bear": [1, 0, 0, 0], "up": [1, 1, 0, 1]}, index=one.index)  # one rebound month
    s2 = pd.DataFrame({"bear": [1, 1, 0, 0], "up": [1, 1, 1, 0]}, index=two.index)  # two
    alone = calibrate.rebound_test(one, s1)
    assert np.isnan(alone["rebound_t"])  # one seed with a single rebound month has no test
    pooled = calibrate.pooled_rebound_test([alone, calibrate.rebound_test(two, s2)])
    stacked = calibrate.rebound_test(pd.concat([one, two]), pd.concat([s1, s2]))
    for key in ("rebound_months", "other_months", "rebound_mean_pct", "other_mean_pct", "rebound_sum_sq_dev"):
        assert pooled[key] == pytest.approx(stacked[key])
    assert pooled["other_sum_sq_dev"] == pytest.approx(stacked["other_sum_sq_dev"])
    # by hand: rebounds -6, -2, -4 %: mean -4, M2 8; others 1, 3, 2, 0, 5 %: mean 2.2, M2 14.8
    # t = -6.2 / sqrt(8 / 2 / 3 + 14.8 / 4 / 5) = -6.2 / sqrt(2.073333) = -4.305832
    assert pooled["rebound_t"] == pytest.approx(-4.305832, abs=1e-6)


def test_family_multiple_is_bonferroni():
    # one figure, one seed, sd known: P(|z| <= m) >= 0.95 -> m = 1.96; twenty figures: each with
    # 1 - 0.05 / 20 = 0.9975 -> the two-sided normal quantile 3.023 (Monte Carlo: to about 0.02)
    assert calibrate.family_multiple(1, 1, draws=200_000) == pytest.approx(1.96, abs=0.02)
    assert calibrate.family_multiple(20, 1, draws=200_000) == pytest.approx(3.02, abs=0.045)
    # an sd estimated from ten seeds that exclude the check seeds needs more (its tails are a t's)
    held_out = calibrate.family_multiple(20, 3, 10, held_out=True, draws=100_000)
    assert held_out > calibrate.family_multiple(20, 3, 10, draws=100_000) + 1


def test_check_uses_the_multiple_it_is_given():
    rows = _rows({"x": [0.0, 0.02, 0.04, 0.06]}, [1, 2, 3, 4])
    # sd 0.0258199; mean of seeds 1-3 = 0.02, target 0.06: 0.04 off; at m = 2 the band is 0.0298, at m = 3 0.0447
    two = calibrate.check(rows, [_figure("x", 0.06)], [1, 2, 3], [1, 2, 3, 4]).iloc[0]
    three = calibrate.check(rows, [_figure("x", 0.06)], [1, 2, 3], [1, 2, 3, 4], multiple=3).iloc[0]
    assert three["band"] == pytest.approx(3 * 0.0258199 / math.sqrt(3), abs=1e-7)
    assert not two["mean_ok"] and three["mean_ok"]
