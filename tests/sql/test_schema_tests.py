"""The schema.yml test vocabulary: severities, expression / relationships / no_calendar_gaps tests, the rows
each test selects as failing, and the bounds every check's description states (issue 11)."""

from datetime import date

import duckdb
import pytest

from momentum_dag.storage.sql_models import (
    ColumnTest,
    _parse_tests,
    check_sql,
    count_failing,
    failing_rows_sql,
    load_models,
)


def _table() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema m")
    conn.execute(
        "create table m.bars (trade_date DATE, stock_id VARCHAR, high DOUBLE, low DOUBLE, ret DOUBLE, "
        "listed_days INTEGER)"
    )
    conn.execute(
        "insert into m.bars values "
        "('2024-01-02', 'A', 10.0, 9.0, 0.05, 1),"
        "('2024-01-03', 'A', 11.0, 10.5, 0.30, 2),"  # +30% after listing: plausible only on listing days
        "('2024-01-03', 'B', 5.0, 6.0, 1.50, 1),"  # high < low; +150% on a listing day
        "('2024-01-05', 'B', -1.0, -2.0, -2.0, 2),"  # negative prices, -200% after listing
        "('2024-02-01', 'B', 5.0, 4.0, null, 3)"
    )
    conn.execute(
        "create table m.calendar as select * from (values (date '2024-01-02'), (date '2024-01-03'), "
        "(date '2024-01-04'), (date '2024-01-05'), (date '2024-02-01')) t(trade_date)"
    )
    return conn


def _failing(conn, test, date_column=None, start=None, end=None):
    sql = failing_rows_sql(test, "m.bars", date_column)
    params = {k: v for k, v in {"window_start": start, "window_end": end}.items() if f"${k}" in sql}
    return conn.execute(sql, params).fetchall()


def test_each_kind_selects_exactly_its_failing_rows():
    conn = _table()
    expression = ColumnTest("expression", (), expression="abs(ret) <= 1 or listed_days <= 1", check_name="x")
    # NULL passes (as in dbt): the 2024-02-01 row has no return
    assert [(r[0], r[1]) for r in _failing(conn, expression)] == [(date(2024, 1, 5), "B")]
    high_low = ColumnTest("expression", (), expression="high >= low", check_name="hl")
    assert [(r[0], r[1]) for r in _failing(conn, high_low)] == [(date(2024, 1, 3), "B")]
    in_range = ColumnTest("accepted_range", ("ret",), -0.2, 0.2, severity="warn")
    assert sorted(r[4] for r in _failing(conn, in_range)) == [-2.0, 0.3, 1.5]
    assert _failing(conn, ColumnTest("not_null", ("ret",)))[0][:2] == (date(2024, 2, 1), "B")
    assert _failing(conn, ColumnTest("unique", ("trade_date",))) == [(date(2024, 1, 3), 2)]
    gaps = ColumnTest(
        "no_calendar_gaps", ("trade_date",), ref_model="calendar", ref_table="m.calendar", ref_column="trade_date"
    )
    assert _failing(conn, gaps) == [(date(2024, 1, 4),)]
    related = ColumnTest(
        "relationships", ("trade_date",), ref_model="calendar", ref_table="m.calendar", ref_column="trade_date"
    )
    assert _failing(conn, related) == []
    conn.execute("delete from m.calendar where trade_date = '2024-01-05'")
    assert _failing(conn, related) == [(date(2024, 1, 5), 1)]
    assert conn.execute(check_sql(related, "m.bars")).fetchall() == [(1,)]


def test_a_partitioned_check_covers_the_window_only():
    conn = _table()
    in_range = ColumnTest("accepted_range", ("ret",), -0.2, 0.2)
    window = (date(2024, 1, 1), date(2024, 1, 4))
    assert sorted(r[4] for r in _failing(conn, in_range, "trade_date", *window)) == [0.3, 1.5]
    gaps = ColumnTest(
        "no_calendar_gaps", ("trade_date",), ref_model="calendar", ref_table="m.calendar", ref_column="trade_date"
    )
    # January 4th is outside this window; every calendar day inside it has rows
    assert _failing(conn, gaps, "trade_date", *window) == []
    assert _failing(conn, gaps, "trade_date", date(2024, 1, 1), date(2024, 2, 1)) == [(date(2024, 1, 4),)]


def test_a_dated_key_counted_chunk_by_chunk_finds_what_the_whole_window_finds():
    conn = _table()
    conn.execute("insert into m.bars values ('2024-02-01', 'B', 5.0, 4.0, 0.0, 4), ('2024-01-02', 'A', 1, 1, 0, 1)")
    key = ColumnTest("unique", ("trade_date", "stock_id"))
    window = {"window_start": date(2024, 1, 1), "window_end": date(2024, 3, 1)}
    chunks = [
        (date(2024, 1, 1), date(2024, 1, 3)),
        (date(2024, 1, 3), date(2024, 2, 1)),
        (date(2024, 2, 1), date(2024, 3, 1)),
    ]
    whole = count_failing(conn, key, "m.bars", "trade_date", window)
    assert whole == 2  # one duplicate in the first chunk, one in the last
    assert count_failing(conn, key, "m.bars", "trade_date", window, chunks) == whole
    assert count_failing(conn, key, "m.bars", "trade_date", window, chunks[1:2]) == whole  # one chunk: the window
    other = ColumnTest("unique", ("stock_id",))  # a key without the date is counted over the whole window
    assert count_failing(conn, other, "m.bars", "trade_date", window, chunks) == 2


def test_severity_and_vocabulary_are_parsed_and_typos_refused():
    spec = {
        "columns": [
            {
                "name": "ret",
                "tests": ["not_null", {"accepted_range": {"min_value": -0.2, "max_value": 0.2, "severity": "warn"}}],
            }
        ],
        "tests": [{"unique": ["d", "s"]}, {"expression": {"name": "hl", "expression": "high >= low"}}],
    }
    tests = _parse_tests(spec, "m")
    assert [(t.name, t.severity, t.blocking) for t in tests] == [
        ("not_null__ret", "error", True),
        ("accepted_range__ret", "warn", False),
        ("unique__d__s", "error", True),
        ("hl", "error", True),
    ]
    bad = [
        ({"tests": [{"expression": {"name": "x", "expression": "1=1", "severty": "warn"}}]}, "severty"),
        ({"tests": [{"expression": {"name": "x", "expression": "1=1", "severity": "info"}}]}, "severity must be"),
        ({"tests": [{"not_a_test": {}}]}, "unknown test 'not_a_test'"),
        ({"tests": [{"expression": {"expression": "1=1"}}]}, "needs `name`"),
        ({"columns": [{"name": "r", "tests": [{"accepted_range": {}}]}]}, "min_value and/or max_value"),
    ]
    for spec, message in bad:
        with pytest.raises(ValueError, match=message):
            _parse_tests(spec, "m")


def test_every_check_description_states_severity_and_bounds():
    models = load_models()
    ret_ew = next(t for t in models["industry_daily"].tests if t.name == "accepted_range__ret_ew")
    assert ret_ew.severity == "warn" and not ret_ew.blocking
    text = ret_ew.describe(partitioned=True)
    assert text.startswith("WARN, never blocks") and "ret_ew within [-0.2, 0.2]" in text and "window" in text
    daily = {t.name: t for t in models["stock_returns_daily"].tests}
    listing = daily["abs_return_at_most_100pct_after_listing"]
    assert listing.blocking and "abs(ret) <= 1 or listed_days <= 5" in listing.describe(True)
    for model in models.values():
        for test in model.tests:
            assert test.describe(model.materialized == "partitioned").startswith(("ERROR", "WARN")), test.name
            assert test.ref_model is None or test.ref_table == models[test.ref_model].table


def test_impossible_data_blocks_and_plausibility_ranges_warn():
    """The split issue 11 asks for: which schema.yml tests block and which only warn."""
    models = load_models()
    severity = {(m.name, t.name): t.severity for m in models.values() for t in m.tests}
    for blocking in [
        ("stg_daily_bars", "positive_prices"),
        ("stg_daily_bars", "high_not_below_low"),
        ("stock_returns_daily", "abs_return_at_most_100pct_after_listing"),
        ("stock_returns_daily", "unique__trade_date__stock_id"),
        ("stock_returns_daily", "no_calendar_gaps__trade_date"),
        ("industry_daily", "cap_weights_sum_to_one"),
    ]:
        assert severity[blocking] == "error", blocking
    for warning in [
        ("industry_daily", "accepted_range__ret_ew"),
        ("stock_returns_daily", "return_within_limits_after_listing"),
        ("stg_market_daily", "accepted_range__market_ret"),
        ("stock_returns_weekly", "accepted_range__ret"),
        ("stock_returns_monthly", "accepted_range__ret"),
        ("stg_market_daily", "calendar_gap_at_most_14_days"),
        ("industry_daily", "no_calendar_gaps__trade_date"),
    ]:
        assert severity[warning] == "warn", warning
