"""An approximate A-share trading calendar: weekdays minus the main exchange holidays.

Used by the synthetic market. Deterministic and offline: no holiday files. The closures modelled are
New Year's Day, a Spring-Festival week (lunar new year's eve through the fifth day), Labour Day (May 1-3)
and National Day (Oct 1-7). Qingming, Dragon Boat and Mid-Autumn closures and make-up weekend shifts are
not modelled: the calendar has the right rhythm (about 245 trading days a year, a long gap around the
lunar new year), not the exact exchange dates.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

# Meeus, "Astronomical Algorithms" (2nd ed.), ch. 49: mean new moon k=0 at JDE 2451550.09766 (2000-01-06)
# and the two largest periodic corrections (Moon's and Sun's mean anomaly). Accurate to a few hours: the
# lunar new year comes out right in 2010-2029 (2030 is one day early, its new moon falls near midnight).
_SYNODIC_MONTH = 29.530588861
_NEW_MOON_JDE_2000 = 2451550.09766
_JD_UNIX_EPOCH = 2440587.5
_BEIJING_UTC_OFFSET_DAYS = 8 / 24
_SPRING_FESTIVAL_DAYS = range(-1, 6)  # lunar new year's eve .. fifth day of the first month


def _new_moon_jde(k: np.ndarray) -> np.ndarray:
    moon_anomaly = np.deg2rad(201.5643 + 385.81693528 * k)
    sun_anomaly = np.deg2rad(2.5534 + 29.10535670 * k)
    mean = _NEW_MOON_JDE_2000 + _SYNODIC_MONTH * k
    return mean - 0.40720 * np.sin(moon_anomaly) + 0.17241 * np.sin(sun_anomaly)


def spring_festival(year: int) -> date:
    """Approximate lunar new year's day: the second new moon (Beijing date) after the winter solstice.

    The solstice is taken as December 22; a new moon on the solstice day opens the eleventh month, so
    the twelfth month opens with the first new moon after it and the new year with the next one. Leap
    eleventh/twelfth months (e.g. 2033) are ignored. New-moon times: Meeus ch. 49, mean lunation plus
    the two largest corrections.
    """
    solstice = date(year - 1, 12, 22)
    solstice_jd = (solstice - date(1970, 1, 1)).days + _JD_UNIX_EPOCH
    k0 = np.floor((solstice_jd - _NEW_MOON_JDE_2000) / _SYNODIC_MONTH) - 1
    moons = _new_moon_jde(k0 + np.arange(5)) + _BEIJING_UTC_OFFSET_DAYS
    days = [date(1970, 1, 1) + timedelta(days=int(np.floor(jd - _JD_UNIX_EPOCH))) for jd in moons]
    return [d for d in days if d > solstice][1]


def exchange_holidays(years: range) -> set[date]:
    """The modelled closures (weekday or not) of the given calendar years."""
    holidays: set[date] = set()
    for year in years:
        holidays.add(date(year, 1, 1))
        holidays.update(date(year, 5, day) for day in (1, 2, 3))
        holidays.update(date(year, 10, day) for day in range(1, 8))
        new_year = spring_festival(year)
        holidays.update(new_year + timedelta(days=offset) for offset in _SPRING_FESTIVAL_DAYS)
    return holidays


def trading_calendar(start: date, end: date) -> pd.DatetimeIndex:
    """Trading days in the half-open range ``[start, end)``: weekdays minus the modelled holidays.

    Returns a ``DatetimeIndex`` (``datetime64[us]``, name ``trade_date``), sorted; empty if end <= start.
    """
    start, end = pd.Timestamp(start).date(), pd.Timestamp(end).date()
    if end <= start:
        return pd.DatetimeIndex([], dtype="datetime64[us]", name="trade_date")
    days = pd.date_range(start, end - timedelta(days=1), freq="D")
    holidays = exchange_holidays(range(start.year, end.year + 1))
    keep = (days.dayofweek < 5) & ~days.isin(pd.DatetimeIndex(sorted(holidays)))
    return pd.DatetimeIndex(days[keep], name="trade_date").astype("datetime64[us]")
