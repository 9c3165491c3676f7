"""A full Ken French folder (tests/fixtures/kenfrench: French's file names and formats, made-up returns for
1961-01..1966-12, written by make_fixture.py there): every file the studies can use is read, and the
studies run on the papers' samples clipped to the data."""

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from momentum_dag.assets.crashes.kenfrench_inputs import kenfrench_crash_inputs
from momentum_dag.core.crashes.study import daily_study
from momentum_dag.core.factor_momentum.signals import cs_factor_signals
from momentum_dag.core.factor_momentum.study import FactorMomentumParams, kenfrench_study
from momentum_dag.core.sample import sample_window
from momentum_dag.settings import Settings
from momentum_dag.sources.kenfrench import (
    DAILY_STANDARD_FILES,
    STANDARD_FILES,
    factor_returns_from_directory,
    kenfrench_inventory,
    load_kenfrench_daily,
    load_kenfrench_monthly,
)

FOLDER = Path(__file__).resolve().parent.parent / "fixtures" / "kenfrench"


def _first_row(name: str) -> list[str]:
    """The first data row of a fixture file, split, read as text (the hand check of the parser)."""
    lines = (FOLDER / name).read_text(encoding="latin-1").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith(","))
    return [c.strip() for c in lines[header + 1].split(",")]


def test_every_monthly_file_is_read_with_reversals():
    rows = factor_returns_from_directory(FOLDER)
    factors = set(rows["factor"])
    assert {"SMB", "HML", "Mom", "ST_Rev", "LT_Rev", "ff5_RMW", "ff5_CMA", "prior_12_2_Hi PRIOR"} <= factors
    key, value = _first_row("F-F_ST_Reversal_Factor.CSV")
    first = rows[(rows["factor"] == "ST_Rev")].iloc[0]
    assert f"{first['month_end']:%Y%m}" == key and first["ret"] == pytest.approx(float(value) / 100)


def test_every_daily_file_is_read():
    daily = load_kenfrench_daily(FOLDER)
    assert {"Mkt-RF", "RF", "Mom", "ST_Rev", "LT_Rev", "ff5_RMW", "prior_12_2_Lo PRIOR"} <= set(daily.columns)
    key, *values = _first_row("F-F_LT_Reversal_Factor_daily.CSV")
    assert f"{daily.index[0]:%Y%m%d}" == key and daily["LT_Rev"].iloc[0] == pytest.approx(float(values[0]) / 100)
    assert load_kenfrench_daily(None) is None
    inventory = kenfrench_inventory(FOLDER)
    assert len(inventory) == len(STANDARD_FILES) + len(DAILY_STANDARD_FILES) and inventory["present"].all()
    assert not kenfrench_inventory(None)["present"].any()


def test_sample_window_clips_a_paper_sample_to_the_data():
    months = pd.date_range("1961-01-31", "1966-12-31", freq="ME")
    assert sample_window(months, "1927-01", "2013-03") == (months[0], months[-1])
    assert sample_window(months, "1964-07", "2019-12") == (pd.Timestamp("1964-07-31"), months[-1])
    with pytest.raises(ValueError, match="holds no month of the data"):
        sample_window(months, "1990-01", "1990-12")


def _fm_params(**overrides) -> FactorMomentumParams:
    return dataclasses.replace(Settings.from_env({}).fm.params(), **overrides)


def test_factor_momentum_uses_every_factor_on_the_papers_sample_with_pc_from_daily_files():
    frame, _ = load_kenfrench_monthly(FOLDER)
    tables, notes = kenfrench_study(frame, _fm_params(), daily=load_kenfrench_daily(FOLDER))
    momentum = tables["momentum"]
    # E-L's 1964-07..2019-12 clipped to the data's 1961-01..1966-12
    assert momentum["period_end"].min() == pd.Timestamp("1964-07-31")
    assert momentum["period_end"].max() == pd.Timestamp("1966-12-31")
    assert (momentum["tsmom_n_long"] + momentum["tsmom_n_short"]).max() == 6  # ff5 SMB HML RMW CMA + ST, LT
    assert any(n.startswith("Sample: 1964-07..1966-12") for n in notes)
    assert len(tables["pc"]) and tables["pc"]["period_end"].min() >= pd.Timestamp("1964-07-31")
    # the signals read the 12 months before the sample: July 1964 = mean_f sign(mean r_f 1963-07..1964-06) r_f,1964-07
    names = ["ff5_SMB", "ff5_HML", "ff5_RMW", "ff5_CMA", "ST_Rev", "LT_Rev"]
    prior = frame.loc["1963-07-31":"1964-06-30", names].mean()
    expected = float((np.sign(prior) * frame.loc["1964-07-31", names]).mean())
    assert momentum.set_index("period_end").loc["1964-07-31", "tsmom"] == pytest.approx(expected)


def test_median_factor_leg_is_a_setting():
    # three factors, 12-month MAs 0.03, 0.02, 0.01: the median factor is b
    returns = pd.DataFrame(
        {"a": [0.03] * 12, "b": [0.02] * 12, "c": [0.01] * 12},
        index=pd.date_range("2000-01-31", periods=12, freq="ME"),
    )
    last = {leg: cs_factor_signals(returns, exclude=(), median_leg=leg).iloc[-1] for leg in ("long", "short", "out")}
    assert last["long"].tolist() == [1.0, 1.0, -1.0]
    assert last["short"].tolist() == [1.0, -1.0, -1.0]
    assert last["out"]["b"] != last["out"]["b"] and last["out"][["a", "c"]].tolist() == [1.0, -1.0]
    with pytest.raises(ValueError, match="median_leg"):
        cs_factor_signals(returns, exclude=(), median_leg="middle")


def test_crash_study_on_a_sample_window_keeps_earlier_data_for_the_state():
    inputs = kenfrench_crash_inputs(FOLDER)
    assert inputs.daily is not None and "Hi PRIOR - Lo PRIOR" in inputs.wml_definition
    params = dataclasses.replace(
        Settings.from_env({}).crash.params(), kf_sample_start="1963-01", kf_sample_end="1965-12"
    )
    monthly, daily = inputs.monthly, inputs.daily
    tables, notes = daily_study(
        monthly["wml"], monthly["market_excess"], monthly["market_total"], daily["wml"], daily["market_total"], params
    )
    state = tables["market_state"]
    assert state["period_end"].min() == pd.Timestamp("1963-01-31")
    assert state["period_end"].max() == pd.Timestamp("1965-12-31")
    # the bear indicator of January 1963 reads 1961-01..1962-12, before the sample: defined, not NaN
    assert state["bear"].iloc[0] in (0.0, 1.0)
    crash = tables["crash_regressions"]
    assert (pd.to_datetime(crash["start"]) >= pd.Timestamp("1963-01-31")).all()
    assert (pd.to_datetime(crash["end"]) <= pd.Timestamp("1965-12-31")).all()
    assert notes[0].startswith("Sample: 1963-01..1965-12 (36 months)")
    assert set(tables["strategy_summary"]["variance_used"]) >= {"blend_var"}  # dyn_oos's default
