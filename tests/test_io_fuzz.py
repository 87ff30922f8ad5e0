"""Property test: whatever text or bytes read_csv gets, the only exception is DataError."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast import DataError
from forecast.io import read_csv

GOOD = sorted((Path(__file__).parent / "csv_corpus" / "good").glob("*.csv"))
SEEDS = [p.read_bytes() for p in GOOD]

cells = st.one_of(
    st.sampled_from(
        [
            "2021-01-01",
            "1959Q1",
            "2001-03",
            "1999",
            "13/01/2020",
            "n/a",
            "",
            "1,5",
            "1.234,5",
            "abc",
            "-",
            "1e3",
            "NaN",
            "inf",
            "2021-02-30",
            "Q5 2001",
            '"x,y"',
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers(-(10**6), 10**6).map(str),
    st.text(max_size=8),
)
rows = st.lists(st.lists(cells, min_size=1, max_size=5), min_size=0, max_size=12)
delims = st.sampled_from([",", ";", "\t", "|"])


def _only_data_errors(data: bytes, **kwargs) -> None:
    try:
        df, report = read_csv(data, **kwargs)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must carry a message"
        return
    # when it succeeds, the frame invariants hold
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert not df.duplicated(["unique_id", "ds"]).any()
    assert df["ds"].dtype == "datetime64[ns]"
    assert df.groupby("unique_id")["y"].count().min() >= 3
    assert isinstance(report.freq, str) and report.freq


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=rows, delim=delims, header=st.booleans())
def test_random_tables_raise_only_data_error(rows, delim, header):
    lines = [delim.join(r) for r in rows]
    if header:
        lines.insert(0, delim.join(["date", "value", "x"][: max(1, len(rows[0]) if rows else 1)]))
    _only_data_errors("\n".join(lines).encode("utf-8"))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.sampled_from(SEEDS),
    cuts=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 12), st.binary(max_size=6)), max_size=4
    ),
)
def test_mutated_good_files_raise_only_data_error(seed, cuts):
    data = bytearray(seed)
    for pos, length, insert in cuts:
        pos = pos % (len(data) + 1)
        data[pos : pos + length] = insert
    _only_data_errors(bytes(data))


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_raise_only_data_error(data):
    _only_data_errors(data)


def test_only_data_error_for_bad_options():
    data = SEEDS[0]
    for kwargs in (
        {"time_col": "x"},
        {"value_cols": ["zz"]},
        {"id_col": "zz"},
        {"freq": "bogus"},
        {"fill": "nope"},
        {"min_length": 100},
    ):
        try:
            read_csv(data, **kwargs)
        except DataError:
            continue
        raise AssertionError(f"{kwargs} should be refused")
    assert isinstance(read_csv(data)[0], pd.DataFrame)
