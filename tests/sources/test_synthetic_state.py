"""Saved simulator states: a month resumed from a state gives the same rows as a replay from the start."""

from __future__ import annotations

import pickle
from datetime import date

import pandas as pd
import pytest

from momentum_dag.sources.synthetic import SimulatorConfig, SyntheticMarket
from momentum_dag.sources.synthetic_state import KEEP, config_key

TABLES = ("daily_bars", "market_daily", "fundamentals", "industry_membership")
CONFIG = SimulatorConfig(n_stocks=60, n_industries=4, start=date(2014, 1, 1), seed=7)
MARCH = (date(2015, 3, 1), date(2015, 4, 1))  # month index 14
MAY = (date(2015, 5, 1), date(2015, 6, 1))


def rows(market: SyntheticMarket, start: date, end: date) -> dict[str, pd.DataFrame]:
    chunks = list(market.generate(start, end))
    return {t: pd.concat([c[t] for c in chunks], ignore_index=True) for t in TABLES}


@pytest.fixture(scope="module")
def replayed() -> dict[str, pd.DataFrame]:
    return rows(SyntheticMarket(CONFIG), *MARCH)


def test_a_resumed_month_equals_the_replayed_one(tmp_path, replayed):
    history = SyntheticMarket(CONFIG, state_dir=tmp_path)
    rows(history, date(2014, 1, 1), MARCH[0])  # a backfill up to February: states at Jan, Feb and March's start
    folder = tmp_path / config_key(CONFIG)
    assert sorted(int(p.stem) for p in folder.iterdir()) == [12, 13, 14]
    resumed = rows(SyntheticMarket(CONFIG, state_dir=tmp_path), *MARCH)  # the next month's run
    for table in TABLES:
        pd.testing.assert_frame_equal(resumed[table], replayed[table], check_exact=True)
    assert sorted(int(p.stem) for p in folder.iterdir()) == [13, 14, 15]  # and April's start saved


def test_the_realistic_market_resumes_too(tmp_path):
    """The default market's own state (the dispersion level, the persistent expected returns, the reversal
    episodes) travels in a saved state: a month resumed from it equals the replayed month to the bit."""
    from dataclasses import replace

    from momentum_dag.sources.synthetic import EffectStrengths

    config = replace(CONFIG, effects=EffectStrengths.profile("realistic"))
    assert config.effects.dispersion_regimes > 0 and config.effects.persistent_drift > 0
    replayed = rows(SyntheticMarket(config), *MARCH)
    rows(SyntheticMarket(config, state_dir=tmp_path), date(2014, 1, 1), MARCH[0])
    resumed = rows(SyntheticMarket(config, state_dir=tmp_path), *MARCH)
    for table in TABLES:
        pd.testing.assert_frame_equal(resumed[table], replayed[table], check_exact=True)


def test_a_rerun_of_the_backfills_last_month_resumes_too(tmp_path, replayed):
    rows(SyntheticMarket(CONFIG, state_dir=tmp_path), date(2014, 1, 1), MARCH[1])  # through March
    assert (tmp_path / config_key(CONFIG) / "14.pkl").exists()  # March's start, which the re-run resumes from
    rerun = rows(SyntheticMarket(CONFIG, state_dir=tmp_path), *MARCH)
    for table in TABLES:
        pd.testing.assert_frame_equal(rerun[table], replayed[table], check_exact=True)


def test_the_saved_state_is_what_a_run_resumes_from(tmp_path, replayed):
    """A tampered state changes the month: the run really resumes (it does not replay and ignore it)."""
    rows(SyntheticMarket(CONFIG, state_dir=tmp_path), date(2014, 1, 1), MARCH[0])
    path = tmp_path / config_key(CONFIG) / "14.pkl"
    state = pickle.loads(path.read_bytes())
    state["close"] = state["close"] * 2
    path.write_bytes(pickle.dumps(state))
    tampered = rows(SyntheticMarket(CONFIG, state_dir=tmp_path), *MARCH)
    assert not tampered["daily_bars"]["close"].equals(replayed["daily_bars"]["close"])


def test_an_unreadable_state_falls_back_to_an_earlier_one_or_the_start(tmp_path, replayed):
    rows(SyntheticMarket(CONFIG, state_dir=tmp_path), date(2014, 1, 1), MARCH[0])
    (tmp_path / config_key(CONFIG) / "14.pkl").write_bytes(b"cut short")
    again = rows(SyntheticMarket(CONFIG, state_dir=tmp_path), *MARCH)
    for table in TABLES:
        pd.testing.assert_frame_equal(again[table], replayed[table], check_exact=True)


def test_a_later_month_resumes_from_an_earlier_state_and_old_states_are_pruned(tmp_path):
    market = SyntheticMarket(CONFIG, state_dir=tmp_path)
    for month in range(1, 6):  # 2015-01 .. 2015-05 one at a time, as the monthly schedule does
        rows(market, date(2015, month, 1), date(2015, month + 1, 1))
    folder = tmp_path / config_key(CONFIG)
    assert sorted(int(p.stem) for p in folder.glob("*.pkl")) == list(range(18 - KEEP, 18))
    may = rows(SyntheticMarket(CONFIG), *MAY)
    resumed = rows(SyntheticMarket(CONFIG, state_dir=tmp_path), *MAY)  # a re-run of May: from index 16
    for table in TABLES:
        pd.testing.assert_frame_equal(resumed[table], may[table], check_exact=True)


def test_another_config_has_its_own_key():
    other = SimulatorConfig(n_stocks=60, n_industries=4, start=date(2014, 1, 1), seed=8)
    assert config_key(other) != config_key(CONFIG)


def test_a_state_keeps_only_the_reports_a_later_month_can_use_and_the_rows_stay_the_same(tmp_path):
    """Three years of history: the saved state drops quarter reports no later month reads (all announced
    before it, and older than the last four), and the quarter resumed from it equals the replay, its
    fundamentals (reports announced in it) included."""
    first_quarter = (date(2017, 1, 1), date(2017, 4, 1))
    rows(SyntheticMarket(CONFIG, state_dir=tmp_path), date(2014, 1, 1), first_quarter[0])
    state = pickle.loads((tmp_path / config_key(CONFIG) / "36.pkl").read_bytes())  # 2017-01's start
    assert 4 <= len(state["reports"]) < 12  # twelve quarters were closed by then
    resumed = rows(SyntheticMarket(CONFIG, state_dir=tmp_path), *first_quarter)
    replayed = rows(SyntheticMarket(CONFIG), *first_quarter)
    assert len(replayed["fundamentals"]) > 0
    for table in TABLES:
        pd.testing.assert_frame_equal(resumed[table], replayed[table], check_exact=True)


def test_only_the_most_recently_used_markets_keep_states(tmp_path):
    from momentum_dag.sources.synthetic_state import KEEP_KEYS

    seeds = range(KEEP_KEYS + 2)
    for seed in seeds:
        config = SimulatorConfig(n_stocks=60, n_industries=4, start=date(2014, 1, 1), seed=100 + seed)
        rows(SyntheticMarket(config, state_dir=tmp_path), date(2014, 1, 1), date(2014, 2, 1))
    kept = {p.name for p in tmp_path.iterdir()}
    newest = [SimulatorConfig(n_stocks=60, n_industries=4, start=date(2014, 1, 1), seed=100 + s) for s in seeds]
    assert kept == {config_key(c) for c in newest[-KEEP_KEYS:]}


def test_a_range_ending_in_the_calendars_last_month_is_generated_and_saves_no_next_state(tmp_path):
    config = SimulatorConfig(n_stocks=8, n_industries=2, start=date(2014, 1, 1), seed=7)
    market = SyntheticMarket(config, state_dir=tmp_path)
    last_day = market.calendar[-1]  # the calendar's last month has no next month to save a state for
    assert last_day.to_period("M") == pd.Period("2073-12", "M")
    december = rows(market, date(2073, 12, 1), date(2074, 1, 1))
    assert december["daily_bars"]["trade_date"].max() == last_day
    assert december["daily_bars"]["trade_date"].min() >= pd.Timestamp(2073, 12, 1)
    again = rows(SyntheticMarket(config, state_dir=tmp_path), date(2073, 12, 1), date(2074, 1, 1))  # resumed
    pd.testing.assert_frame_equal(again["daily_bars"], december["daily_bars"])
