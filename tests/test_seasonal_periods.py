"""The frequency -> seasonal-period table and its three views (frequency, MSTL, diagnostics)."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.calendar.frequency import season_length
from forecast.calendar.seasonal_periods import SEASONAL_PERIODS, seasonal_key, seasonal_periods
from forecast.diagnostics.seasonality import calendar_periods
from forecast.models.statistical.smoothing import season_lengths

KEYS = sorted(SEASONAL_PERIODS)
HOUR, DAY, WEEK = pd.Timedelta(hours=1), pd.Timedelta(days=1), pd.Timedelta(days=7)


@pytest.mark.parametrize("freq", KEYS)
def test_the_three_views_read_the_table(freq):
    periods = seasonal_periods(freq)
    assert seasonal_key(freq) == freq  # every key is the canonical spelling of itself
    assert season_length(freq) == season_lengths(freq)[0] == calendar_periods(freq)[0]
    assert season_lengths(freq) == calendar_periods(freq) == list(periods)
    assert season_length(freq) in calendar_periods(freq)
    assert list(periods) == sorted(set(periods)) and periods[0] >= 2


@pytest.mark.parametrize("freq", KEYS)
def test_every_period_spans_one_calendar_cycle(freq):
    offset = pd.tseries.frequencies.to_offset(freq)
    for m in seasonal_periods(freq):
        if freq in {"D", "B"}:  # a week or a year of (business) days
            per_week = 7 if freq == "D" else 5
            assert m == per_week or 52 * per_week <= m <= 53 * per_week
        elif isinstance(offset, pd.offsets.Tick):  # hours, minutes: an hour, a day or a week
            assert m * pd.Timedelta(offset) in {HOUR, DAY, WEEK}
        else:  # months, quarters, weeks: one year
            start = pd.Timestamp("2001-01-01")
            span = (
                pd.date_range(start, periods=m + 1, freq=freq)[-1]
                - pd.date_range(start, periods=1, freq=freq)[0]
            )
            assert abs(span.days - 365) <= 7, (freq, m, span)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("QS", "QS-OCT"),
        ("QE", "QE-MAR"),
        ("W", "W-MON"),
        ("2W", "2W-WED"),
        ("h", "60min"),
        ("2h", "120min"),
        ("3h", "180min"),
    ],
)
def test_anchor_and_spelling_do_not_change_the_periods(one, other):
    assert seasonal_periods(one) == seasonal_periods(other) != ()
    assert season_length(one) == season_length(other) > 1


@pytest.mark.parametrize("freq", [None, "", "YS", "YE", "s", "2D", "7D", "5h", "BMS", "SME", "5MS"])
def test_frequencies_without_a_season(freq):
    assert seasonal_periods(freq) == ()
    assert season_length(freq) == 1
    assert season_lengths(freq) == [1]
    assert calendar_periods(freq) == []


def test_multiples_divide_the_year_or_the_day():
    assert [season_length(f) for f in ("MS", "2MS", "3MS", "6MS", "12MS")] == [12, 6, 4, 2, 1]
    assert [season_length(f) for f in ("W", "2W", "3W", "4W")] == [52, 26, 1, 13]
    assert [season_length(f) for f in ("QS", "2QS", "3QS")] == [4, 2, 1]
    assert season_lengths("5min") == [288]  # a week (2016 steps) is left out below 15 min
    assert season_lengths("20min") == [72, 504]


def test_unknown_alias_is_a_value_error():
    with pytest.raises(ValueError):
        season_length("fortnightly")
