"""The asset checks of factor panels, evaluations and the crash models, on frames with a planted fault."""

from datetime import date

import numpy as np
import pandas as pd
from dagster import AssetCheckSeverity, AssetKey

from momentum_dag.assets.checks import (
    COVERAGE,
    NOT_AFTER,
    UNIQUE,
    crash_nobs_check,
    evaluation_check,
    expected_evaluations,
    panel_check_specs,
    panel_checks,
    wml_check,
    wml_check_spec,
)

KEY = AssetKey(["factors", "f"])
DATES = pd.to_datetime(["2020-01-31", "2020-02-28"])


def panel(entities: int = 8, window: int = 20) -> pd.DataFrame:
    rows = [
        {"period_end": d, "entity_id": f"e{i}", "window": window, "value": float(i)}
        for d in DATES
        for i in range(entities)
    ]
    return pd.DataFrame(rows)


def by_name(results):
    return {r.check_name: r for r in results}


UNIVERSE = pd.Series([10, 10], index=DATES)


def test_a_clean_panel_passes_every_check_with_its_coverage():
    results = by_name(panel_checks(KEY, panel(8), UNIVERSE, date(2020, 3, 1), 0.5))
    assert all(r.passed for r in results.values())
    assert results[COVERAGE].metadata["min_coverage"].value == 0.8
    assert results[COVERAGE].metadata["formation_dates"].value == 2


def test_thin_coverage_warns_and_names_the_dates():
    rows = panel(8)
    rows = rows[~((rows["period_end"] == DATES[1]) & (rows["entity_id"].isin(["e0", "e1", "e2", "e3", "e4"])))]
    result = by_name(panel_checks(KEY, rows, UNIVERSE, date(2020, 3, 1), 0.5))[COVERAGE]
    assert not result.passed and result.severity == AssetCheckSeverity.WARN
    assert result.metadata["min_coverage"].value == 0.3
    assert "2020-02-28" in result.description and "2020-01-31" not in result.description
    # a value that is NaN does not count as covered
    rows = panel(8)
    rows.loc[rows["entity_id"].isin(["e0", "e1", "e2", "e3"]), "value"] = np.nan
    assert (
        by_name(panel_checks(KEY, rows, UNIVERSE, date(2020, 3, 1), 0.5))[COVERAGE].metadata["min_coverage"].value
        == 0.4
    )


def test_a_duplicate_row_fails_the_blocking_uniqueness_check():
    rows = pd.concat([panel(8), panel(8).iloc[[3]]], ignore_index=True)
    result = by_name(panel_checks(KEY, rows, UNIVERSE, date(2020, 3, 1), 0.5))[UNIQUE]
    assert not result.passed and result.metadata["duplicate_rows"].value == 2
    # the same entity in another window is no duplicate
    two_windows = pd.concat([panel(8, 20), panel(8, 60)], ignore_index=True)
    assert by_name(panel_checks(KEY, two_windows, UNIVERSE, date(2020, 3, 1), 0.5))[UNIQUE].passed


def test_a_value_dated_after_the_partition_fails():
    result = by_name(panel_checks(KEY, panel(8), UNIVERSE, date(2020, 2, 1), 0.5))[NOT_AFTER]
    assert not result.passed and result.metadata["rows_after_partition"].value == 8
    assert "2020-02-28" in result.description
    # the partition's end is outside it: [start, end)
    assert not by_name(panel_checks(KEY, panel(8), UNIVERSE, date(2020, 2, 28), 0.5))[NOT_AFTER].passed
    assert by_name(panel_checks(KEY, panel(8), UNIVERSE, date(2020, 2, 29), 0.5))[NOT_AFTER].passed


def test_blocking_where_the_data_cannot_be_right_and_bounds_in_the_descriptions():
    specs = {s.name: s for s in panel_check_specs(KEY, 0.25)}
    assert not specs[COVERAGE].blocking and specs[UNIQUE].blocking and specs[NOT_AFTER].blocking
    assert "25%" in specs[COVERAGE].description
    assert wml_check_spec(AssetKey(["crashes", "wml"])).blocking


def test_every_formation_period_with_values_needs_an_evaluation_row():
    factor = panel(12)
    evaluated = pd.DataFrame({"period_end": DATES, "window": [20, 20], "rank_ic": [0.1, 0.2]})

    def check(rows, evaluated, end=date(2020, 3, 1), complete=None):
        return evaluation_check(KEY, expected_evaluations(rows, 10, date(2020, 1, 1), end, complete), evaluated)

    ok = check(factor, evaluated)
    assert ok.passed and ok.metadata["formation_periods_expected"].value == 2
    missing = check(factor, evaluated.iloc[:1])
    assert not missing.passed and missing.metadata["periods_missing"].value == 1
    assert "2020-02-28" in missing.description
    # fewer entities than quantiles: no evaluation is owed; outside the window: neither
    assert check(panel(9), evaluated.iloc[:0]).passed
    assert check(factor, evaluated.iloc[:1], end=date(2020, 2, 1)).passed
    # a formation date whose holding-period returns are not loaded yet is not complete
    assert check(factor, evaluated.iloc[:1], complete=DATES[:1]).passed
    assert not check(factor, evaluated.iloc[:1], complete=DATES).passed


def test_pairs_owed_by_consecutive_windows_add_up_to_the_whole_window():
    """An evaluation computed chunk by chunk owes, over its chunks, exactly what the whole window owes."""
    factor = panel(12)
    whole = expected_evaluations(factor, 10, date(2020, 1, 1), date(2020, 3, 1))
    parts = pd.concat(
        [
            expected_evaluations(factor, 10, date(2020, 1, 1), date(2020, 2, 1)),
            expected_evaluations(factor, 10, date(2020, 2, 1), date(2020, 3, 1)),
        ],
        ignore_index=True,
    )
    assert len(whole) == 2
    pd.testing.assert_frame_equal(parts, whole)


def test_wml_needs_every_decile_every_month():
    monthly = pd.DataFrame({"period_end": DATES, "wml": [0.01, 0.02], **{f"d{i}": [0.0, 0.0] for i in range(1, 11)}})
    formation = pd.DataFrame({"period_end": np.repeat(DATES, 10), "decile": list(range(1, 11)) * 2})
    wml = AssetKey(["crashes", "wml"])
    assert wml_check(wml, monthly, formation, 10).passed
    broken = monthly.copy()
    broken.loc[1, "d10"] = np.nan
    result = wml_check(wml, broken, formation, 10)
    assert not result.passed and result.metadata["months_missing_a_decile"].value == 1
    nine = formation[~((formation["period_end"] == DATES[0]) & (formation["decile"] == 4))]
    result = wml_check(wml, monthly, nine, 10)
    assert not result.passed and result.metadata["formations_without_every_decile"].value == 1


def test_crash_regressions_use_every_complete_month():
    index = pd.date_range("2020-01-31", periods=6, freq="ME")
    variables = pd.DataFrame({"wml": 0.01, "mkt": 0.02, "bear": 0.0, "up": 1.0}, index=index)
    variables.iloc[0, 2] = np.nan  # one month without the bear indicator
    key = AssetKey(["crashes", "crash_regressions"])
    regressions = pd.DataFrame({"nobs": [5, 5, 5, 5]}, index=[1, 2, 3, 4])
    assert crash_nobs_check(key, regressions, variables).passed
    result = crash_nobs_check(key, regressions.assign(nobs=[5, 5, 6, 5]), variables)
    assert not result.passed and "3: 6" in result.description
    assert not crash_nobs_check(key, None, variables).passed  # complete months but no regression
    assert crash_nobs_check(key, None, variables.iloc[:0]).passed


def test_sql_checks_state_their_bounds():
    from momentum_dag.storage.sql_models import load_models

    tests = {t.name: t for t in load_models()["industry_daily"].tests}
    assert "WARN" in tests["accepted_range__ret_ew"].describe(True)
    assert "ret_ew within [-0.2, 0.2]" in tests["accepted_range__ret_ew"].describe(True)
    assert tests["accepted_range__n_constituents"].describe(False).startswith("ERROR, blocks downstream")
    assert "n_constituents >= 1; checked on every row" in tests["accepted_range__n_constituents"].describe(False)
