"""The A-share tradability mask at formation, by hand: each filter, its switch, and missing data never
letting a stock in (the first mutation run found this function without a unit test)."""

import numpy as np
import pandas as pd
import pytest

from momentum_dag.core.evaluation.tradability import tradable_mask

DATES = pd.DatetimeIndex(["2020-01-31"])
# a: clean; b: suspended; c: ST; d: limit-up; e: listed 59 days; f: listed exactly 60; g: no bar that day;
# h: a bar but every flag and the listing age missing
NAMES = list("abcdefgh")
SUSPENDED = pd.DataFrame([[False, True, False, False, False, False, np.nan, False]], index=DATES, columns=NAMES)
ST = pd.DataFrame([[False, False, True, False, False, False, False, np.nan]], index=DATES, columns=NAMES)
LIMIT_UP = pd.DataFrame([[False, False, False, True, False, False, False, np.nan]], index=DATES, columns=NAMES)
LISTED = pd.DataFrame([[100, 100, 100, 100, 59, 60, 100, np.nan]], index=DATES, columns=NAMES)


def _mask(**switches) -> dict[str, bool]:
    options = {"exclude_suspended": True, "exclude_st": True, "exclude_limit_up": True, "min_listed_days": 60}
    out = tradable_mask(
        SUSPENDED.astype(object), ST.astype(object), LIMIT_UP.astype(object), LISTED, **{**options, **switches}
    )
    assert out.dtypes.eq(bool).all()
    return out.iloc[0].to_dict()


def test_every_filter_on():
    assert _mask() == dict(zip(NAMES, [True, False, False, False, False, True, False, False], strict=True))


@pytest.mark.parametrize(
    ("switch", "now_tradable"),
    [
        ({"exclude_suspended": False}, {"b"}),
        ({"exclude_st": False}, {"c"}),
        ({"exclude_limit_up": False}, {"d"}),
        ({"min_listed_days": 0}, {"e"}),
        ({"min_listed_days": 59}, {"e"}),
    ],
    ids=["suspended", "st", "limit_up", "no_min_age", "min_age_59"],
)
def test_each_switch_lets_in_only_its_own_names(switch, now_tradable):
    base, out = _mask(), _mask(**switch)
    assert {n for n in NAMES if out[n] and not base[n]} == now_tradable
    assert all(out[n] for n in NAMES if base[n])


def test_a_stock_without_a_bar_is_never_tradable_and_missing_flags_count_as_set():
    out = _mask(exclude_suspended=False, exclude_st=False, exclude_limit_up=False, min_listed_days=0)
    assert out["g"] is False  # no bar that day, whatever the switches
    assert out["h"] is True  # it has a bar; with every filter off nothing else can exclude it
    for switch in ({"exclude_st": True}, {"exclude_limit_up": True}, {"min_listed_days": 1}):
        off = {"exclude_suspended": False, "exclude_st": False, "exclude_limit_up": False, "min_listed_days": 0}
        assert _mask(**{**off, **switch})["h"] is False, switch
