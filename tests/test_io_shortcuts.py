"""Shortcuts for a file of one series give what the general computation gives.

One series in ascending time needs no hashing: its ids are one code, its timestamps cannot repeat,
its frequency needs no sort. Each test puts the shortcut beside the general answer (pandas'
``factorize``, ``duplicated``, a sort of the distinct timestamps) on inputs that take it and on
inputs that do not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.calendar.frequency import infer_freq
from forecast.errors import DataError
from forecast.ingest.long_frame import deduplicate
from forecast.ingest.reader import read_text
from forecast.ingest.regular_grid import series_codes
from forecast.ingest.report import CsvReport


@pytest.mark.parametrize(
    "ids",
    [
        ["a"] * 5,
        ["a", "a", "b", "a", "a"],  # first, middle and last agree; one row does not
        ["b", "a", "b"],
        ["a", "a", "a", "b"],
        ["x"],
        [],
        ["a", None, "a"],
        [1, 1, 1],
    ],
)
def test_series_codes_are_factorize(ids):
    array = np.asarray(ids, dtype=object)
    codes, uniques = series_codes(array)
    want_codes, want_uniques = pd.factorize(array)
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(uniques, want_uniques)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    steps=st.lists(st.sampled_from([3600, 3600, 3600, 7200, 86_400]), min_size=1, max_size=40),
    shuffle=st.booleans(),
    repeat=st.booleans(),
)
def test_the_frequency_of_ascending_timestamps_needs_no_sort(steps, shuffle, repeat):
    ns = pd.Timestamp("2020-03-01").value + np.cumsum([0, *steps]) * 10**9
    ds = pd.DatetimeIndex(ns)
    general = pd.DatetimeIndex(pd.unique(ds)).sort_values()
    step = pd.Series(np.diff(general.asi8)).mode().min()
    given_ds = ds
    if repeat:
        given_ds = given_ds.append(ds[:2])
    if shuffle:
        given_ds = given_ds[np.random.default_rng(len(steps)).permutation(len(given_ds))]
    assert infer_freq(given_ds) == infer_freq(general)
    alias = infer_freq(ds)
    assert pd.tseries.frequencies.to_offset(alias).nanos == int(step)


def test_one_series_in_time_order_has_no_duplicates_to_drop():
    ds = pd.date_range("2020-01-01", periods=6, freq="D")
    long = pd.DataFrame({"unique_id": "y", "ds": ds, "y": np.arange(6.0)})
    report = CsvReport()
    assert deduplicate(long, report) is long and report.dropped_rows == 0
    doubled = pd.concat([long, long.iloc[[2]]]).sort_values("ds", kind="stable")
    out = deduplicate(doubled, report)
    assert len(out) == 6 and report.dropped_rows == 1
    clash = doubled.assign(y=np.r_[np.arange(6.0), 9.0])
    with pytest.raises(DataError, match="Duplicate timestamp 2020-01-03"):
        deduplicate(clash, CsvReport())


def test_a_short_series_is_named_as_before():
    text = "t,id,y\n" + "".join(
        f"2020-01-{d:02d},{uid},{d}\n"
        for uid, n in (("b", 5), ("a", 2), ("c", 1))
        for d in range(1, n + 1)
    )
    with pytest.raises(DataError, match="Series 'a' has 2 observed values; at least 3"):
        read_text(text)
