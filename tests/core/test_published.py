"""Published figures as data (core.published) and ours in the paper's convention (core.fidelity).

Every expected published value is read from the package's YAML, never typed here; our values are
hand-computed from small frames."""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from momentum_dag.core.fidelity import (
    compare,
    crash_figures,
    factor_figures,
    factor_momentum_figures,
    ic_reading,
    icir_reading,
    weight_distribution,
    within_se_counts,
)
from momentum_dag.core.published import DEFAULT_PATH, PublishedFigure, figures_for_page, load_published
from momentum_dag.reports.fidelity import OurSetup, comparison_block


@pytest.fixture(scope="module")
def studies():
    return load_published()


def test_every_study_has_typed_figures_with_source_sample_universe_unit(studies):
    assert {"daniel_moskowitz_2016", "ehsani_linnainmaa_2022", "dmom_note_2025"} <= set(studies)
    for study in studies.values():
        assert study.figures
        for figure in study.figures:
            assert figure.source and figure.sample and figure.universe and figure.unit
            assert isinstance(figure.value, float)


def test_standard_error_is_value_over_t(studies):
    alpha = next(f for f in studies["daniel_moskowitz_2016"].figures if f.id == "t3_m1_alpha0")
    assert alpha.standard_error == pytest.approx(abs(alpha.value / alpha.t_stat))
    ic = next(f for f in studies["dmom_note_2025"].figures if f.id == "dm_ic")
    assert ic.standard_error is None


def test_pages_find_their_figures(studies):
    study, figures = figures_for_page("dmom", studies)
    assert study.id == "dmom_note_2025" and {f.page for f in figures} == {"dmom"}
    study, figures = figures_for_page("momentum_crashes_kenfrench", studies)
    assert study.id == "daniel_moskowitz_2016" and len(figures) == len(study.figures)
    assert figures_for_page("momentum_calmar_ratio", studies) == (None, [])


def _copy(tmp_path: Path, edit) -> Path:
    document = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    edit(document)
    path = tmp_path / "published.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_bad_files_name_the_file_and_the_figure(tmp_path):
    def unknown_key(d):
        d["studies"][0]["figures"][0]["valeu"] = 1

    with pytest.raises(
        ValueError, match=r"published.yaml: study 'daniel_moskowitz_2016', figure 't3_m1_alpha0'.*valeu"
    ):
        load_published(_copy(tmp_path, unknown_key))

    def bad_unit(d):
        d["studies"][1]["figures"][0]["unit"] = "bps"

    with pytest.raises(ValueError, match="unit must be one of"):
        load_published(_copy(tmp_path, bad_unit))

    def text_value(d):
        d["studies"][2]["figures"][0]["value"] = "0.019"

    with pytest.raises(ValueError, match="value must be a finite number"):
        load_published(_copy(tmp_path, text_value))

    def duplicate(d):
        d["studies"][2]["figures"].append(dict(d["studies"][2]["figures"][0]))

    with pytest.raises(ValueError, match="appears twice"):
        load_published(_copy(tmp_path, duplicate))
    with pytest.raises(ValueError, match="not found"):
        load_published(tmp_path / "missing.yaml")


def test_a_file_is_parsed_once_per_text_and_an_edit_is_read(tmp_path):
    """Report pages share one parse of the file (a month renders ~20 pages), and an edited file is read
    again at the next call, not served from that parse."""
    first, again = load_published(), load_published()
    assert first == again and first is not again  # a new dict per call: a caller may change its own
    assert all(first[k] is again[k] for k in first)  # the same parsed studies

    def edit(d):
        d["studies"][0]["figures"][0]["value"] = 99.5

    path = _copy(tmp_path, lambda d: None)
    before = load_published(path)["daniel_moskowitz_2016"].figures[0].value
    edited = _copy(tmp_path, edit)
    assert edited == path
    assert load_published(path)["daniel_moskowitz_2016"].figures[0].value == 99.5 != before


def test_icir_reading_from_the_ic_positive_share():
    # Phi^-1(0.86) = 1.0803; Phi(1.39) = 0.9177; Phi(1.39 / sqrt 12) = Phi(0.40126) = 0.6559
    reading = icir_reading(1.39, 86)
    assert reading["implied_per_period_icir"] == pytest.approx(1.0803, abs=1e-4)
    assert reading["share_if_per_period"] == pytest.approx(0.9177, abs=1e-4)
    assert reading["share_if_annualized"] == pytest.approx(0.6559, abs=1e-4)
    assert reading["reading"] == "per_period"
    # a share of 55% with a printed 0.6 is nearer the annualized reading: Phi(0.6/sqrt 12) = 0.5688
    assert icir_reading(0.6, 55)["reading"] == "annualized"


def test_factor_figures_in_the_note_units_rank_ic_reading_and_both_icirs(studies):
    _, figures = figures_for_page("dmom", studies)
    ic = {
        "ic_mean": 0.05,
        "rank_ic_mean": 0.06,
        "icir": 0.5,
        "rank_icir": 0.8,
        "ic_positive_share": 0.7,
        "rank_ic_positive_share": 0.8,
        "ic_t_stat": 4.0,
        "rank_ic_t_stat": 6.0,
    }
    summaries = [
        {
            "weighting": "equal",
            **ic,
            "long_short_ann_return": 0.2,
            "long_only_excess_ann_return": 0.1,
            "long_short_sharpe": 1.5,
        },
        {
            "weighting": "cap",
            **ic,
            "long_short_ann_return": 0.3,
            "long_only_excess_ann_return": 0.12,
            "long_short_sharpe": 1.2,
        },
    ]
    table = compare(figures, factor_figures(summaries, 12)).set_index("figure_id")
    by_metric = {f.id: f for f in figures}
    one = {f.metric: i for i, f in by_metric.items() if f.weighting in (None, "equal")}
    # the note's "IC" read as the rank IC: ours is the rank figure, the Pearson one beside it
    assert table.loc[one["ic_mean"], ["ours", "ours_t", "ours_alt"]].tolist() == pytest.approx([0.06, 6.0, 0.05])
    assert table.loc[one["ic_mean"], "ours_alt_label"] == "Pearson"
    assert table.loc[one["ic_positive_share"], ["ours", "ours_alt"]].tolist() == pytest.approx([80.0, 70.0])
    assert table.loc[one["icir_printed"], ["ours", "ours_alt"]].tolist() == pytest.approx([0.8, 0.8 * math.sqrt(12)])
    ls_cap = next(i for i, f in by_metric.items() if f.metric == "long_short_ann_return" and f.weighting == "cap")
    assert table.loc[ls_cap, "ours"] == pytest.approx(30.0)  # percent per year
    assert table["within_se"].isna().all()  # the note prints no standard error


def test_ic_reading_evidence_is_a_positive_ic_beside_a_negative_long_short():
    def fig(page, metric, value, weighting=None):
        unit = "correlation" if metric == "ic_mean" else "percent_per_year"
        return PublishedFigure(
            "s", f"{page}_{metric}_{weighting}", page, metric, metric, value, unit, "", "", "", weighting=weighting
        )

    figures = [
        fig("a", "ic_mean", 0.02),  # positive IC, negative spread: evidence
        fig("a", "long_short_ann_return", -1.0),
        fig("b", "ic_mean", 0.05),  # both positive: no evidence
        fig("b", "long_short_ann_return", 20.0),
        fig("c", "ic_mean", -0.01),  # both negative: no evidence
        fig("c", "long_short_ann_return", -3.0),
        fig("d", "ic_mean", 0.03),  # only the cap-weighted spread is negative: not the equal-weighted one
        fig("d", "long_short_ann_return", -2.0, "cap"),
        fig("d", "long_short_ann_return", 5.0, "equal"),
    ]
    assert ic_reading(figures) == [("a", 0.02, -1.0)]


def test_momentum_page_states_the_ic_reading_and_shows_the_pearson_ic_beside_the_rank_ic(studies):
    study, figures = figures_for_page("mom_12_2", studies)
    summary = {
        "weighting": "equal",
        "ic_mean": 0.011,
        "rank_ic_mean": 0.022,
        "icir": 0.1,
        "rank_icir": 0.2,
        "ic_positive_share": 0.54,
        "rank_ic_positive_share": 0.58,
        "long_short_ann_return": -0.01,
        "long_short_sharpe": -0.1,
    }
    block = comparison_block(study, figures, compare(figures, factor_figures([summary], 12)), OurSetup("s", "u"))
    ic_row = next(r for r in block["table"]["rows"] if r[0] == "IC mean")
    assert ic_row[4] == "0.022; Pearson 0.011"
    assert block["evidence"][0].startswith("IC reading:")
    # the study's own rows are the evidence: every page with a positive IC beside a negative long-short
    for page, ic, ret in ic_reading(study.figures):
        assert f"{page}: IC {ic:g} beside a long-short return of {ret:g} %/yr" in block["evidence"][0]
    # a page without an IC figure gets no IC reading
    no_ic = [f for f in figures if f.metric not in ("ic_mean", "ic_positive_share", "icir_printed")]
    block = comparison_block(study, no_ic, compare(no_ic, factor_figures([summary], 12)), OurSetup("s", "u"))
    assert block["evidence"] == []


def test_crash_figures_bear_betas_weights_and_within_se(studies):
    crash = pd.DataFrame(
        {
            "model": [1, 3],
            "alpha0": [0.01, 0.012],
            "alpha0_t": [5.0, 5.0],
            "beta0": [-0.5, -0.1],
            "beta0_t": [-10.0, -1.0],
            "betaB": [np.nan, -0.6],
            "betaB_t": [np.nan, -4.0],
            "betaBU": [np.nan, -0.9],
            "betaBU_t": [np.nan, -3.0],
            "alphaB": [np.nan, 0.0],
            "alphaB_t": [np.nan, 0.0],
        }
    )
    summary = pd.DataFrame(
        {"sharpe": [0.5, 1.0], "ex_post_target_vol": [0.19, 0.19], "wml_vol_ann": [0.38, 0.38]},
        index=pd.Index(["static", "dyn_is"], name="strategy"),
    )
    weights = pd.DataFrame({"static": [0.5, 0.5, 0.5], "dyn_is": [-0.1, 1.0, 2.0]})
    ours = crash_figures(crash, None, summary, weights)
    assert ours[("crash.3.bear_beta_down", None)].value == pytest.approx(-0.7)
    assert ours[("crash.3.bear_beta_up", None)].value == pytest.approx(-1.6)
    # weights scaled to WML's volatility: x 0.38 / 0.19 = 2
    assert ours[("weights.dyn_is.min", None)].value == pytest.approx(-0.2)
    assert ours[("weights.dyn_is.max", None)].value == pytest.approx(4.0)
    assert ours[("weights.dyn_is.negative_months", None)].value == 1
    _, figures = figures_for_page("momentum_crashes", studies)
    table = compare(figures, ours).set_index("figure_id")
    alpha = next(f for f in figures if f.metric == "crash.1.alpha0")
    assert table.loc[alpha.id, "ours"] == pytest.approx(1.0)  # 0.01 per month = 1 % per month
    expected = abs(1.0 - alpha.value) <= alpha.standard_error
    assert bool(table.loc[alpha.id, "within_se"]) is expected
    counts = within_se_counts(table)
    assert counts["figures"] == len(figures) and counts["with_se"] == sum(f.standard_error is not None for f in figures)


def test_weight_distribution_hand_computed():
    dist = weight_distribution(pd.DataFrame({"w": [1.0, -1.0, 3.0, 5.0]}), 0.5)
    assert dist.loc["w", "min"] == -0.5 and dist.loc["w", "max"] == 2.5
    assert dist.loc["w", "median"] == pytest.approx(1.0) and dist.loc["w", "negative_months"] == 1


def test_factor_momentum_figures_per_year_and_t():
    r = pd.Series([0.01, 0.0, 0.02, -0.01])  # mean 0.005, std 0.012910, t = 0.005 / (0.012910 / 2) = 0.7746
    ours = factor_momentum_figures(pd.DataFrame({"tsmom": r}), None)
    assert ours[("momentum.tsmom.mean", None)].value == pytest.approx(0.06)
    assert ours[("momentum.tsmom.mean", None)].t_stat == pytest.approx(0.7746, abs=1e-4)


def test_full_sample_gjr_garch_recovers_a_planted_gamma_and_feeds_the_comparison(studies):
    from arch.univariate import GARCH, ConstantMean, Normal

    from momentum_dag.core.crashes.volatility import gjr_garch_full_sample

    model = ConstantMean(None, volatility=GARCH(p=1, o=1, q=1), distribution=Normal(seed=21))
    simulated = model.simulate([0.05, 0.02, 0.03, 0.10, 0.85], 6000)["data"].to_numpy() / 100
    daily = pd.Series(simulated, index=pd.bdate_range("2000-01-03", periods=6000))
    row = gjr_garch_full_sample(daily).iloc[0]
    assert abs(row["gamma"] - 0.10) < 0.04 and row["gamma_t"] > 3 and row["nobs"] == 6000
    assert gjr_garch_full_sample(daily.iloc[:100]).empty
    ours = crash_figures(None, None, None, None, row)
    assert ours[("garch.gamma", None)].value == pytest.approx(row["gamma"])
    _, figures = figures_for_page("momentum_crashes", studies)
    table = compare(figures, ours).set_index("figure_id")
    gamma = next(f for f in figures if f.metric == "garch.gamma")
    assert table.loc[gamma.id, "ours_t"] == pytest.approx(row["gamma_t"])
