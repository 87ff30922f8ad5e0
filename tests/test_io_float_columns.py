"""Columns of plain numbers read as floats by the table reader give what parsing their text gives.

:func:`forecast.ingest.parsing.read_table_numbers` casts each column of an ASCII table to float64
on arrow; a column whose every cell is a finite plain number is taken as floats and its text is
not parsed again. Anything else (a blank, ``NA``, ``nan``, ``1,5``, ``12 kg``, a junk cell far
down the file) leaves the column to the text path, which says what the cells are. Each test reads
the same input both ways (:func:`forecast.ingest.reference.reference_paths` switches the fast
paths off) and wants the same numbers, frame, report or error message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.errors import DataError
from forecast.ingest.parsing import NumberFormat, parse_numbers, read_table, read_table_numbers
from forecast.ingest.reader import read_csv
from forecast.ingest.reference import reference_paths


def _outcome(fn):
    try:
        return fn()
    except DataError as exc:
        return f"DataError: {exc}"


def _read_both(data: bytes, **kwargs):
    fast = _outcome(lambda: read_csv(data, **kwargs))
    with reference_paths():
        slow = _outcome(lambda: read_csv(data, **kwargs))
    return fast, slow


def _assert_same_read(fast, slow) -> None:
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    (df_fast, rep_fast), (df_slow, rep_slow) = fast, slow
    pd.testing.assert_frame_equal(df_fast, df_slow, check_exact=True)
    assert df_fast.attrs == df_slow.attrs
    assert rep_fast.to_dict() == rep_slow.to_dict()


def _text_numbers(cells: list[str]) -> np.ndarray:
    """The reference reading of the cells (regular expressions, no float cast)."""
    with reference_paths():
        values, _, bad = parse_numbers(pd.Series(cells, dtype=object), NumberFormat())
    assert not bad.any()
    return values


def _hourly(values: list[str], *, time: str = "timestamp") -> bytes:
    ds = pd.date_range("2021-03-01", periods=len(values), freq="h").strftime("%Y-%m-%d %H:%M:%S")
    lines = [f"{time},value"] + [f"{d},{v}" for d, v in zip(ds, values, strict=True)]
    return ("\n".join(lines) + "\n").encode()


def test_a_column_of_plain_numbers_is_read_as_floats():
    cells = ["-1.5", "2e-3", "+4", "1E5", ".25", "7.", "-0", "003", "-6.02e+23", "12345678901"]
    text = "t,a,b\n" + "".join(f"2020-01-{i + 1:02d},{c},x{i}\n" for i, c in enumerate(cells))
    table, floats = read_table_numbers(text, ",")
    assert list(floats) == ["a"]  # the dates and the text column stay text
    assert floats["a"].index.equals(table.index)
    np.testing.assert_array_equal(floats["a"].to_numpy(), _text_numbers(cells))
    assert floats["a"].iloc[0] == -1.5 and floats["a"].iloc[1] == 0.002
    pd.testing.assert_frame_equal(table, read_table(text, ","), check_exact=True)


@pytest.mark.parametrize(
    "odd",
    ["NA", "nan", "NaN", "inf", "-inf", "n/a", "-", '"1,5"', "12 kg", "1.2.3", "abc", "0x10"],
)
def test_a_column_with_any_other_cell_is_left_to_the_text_path(odd):
    cells = [str(i) for i in range(50)]
    cells[37] = odd
    text = "t,a,b\n" + "".join(f"{2000 + i},{c},{i}\n" for i, c in enumerate(cells))
    _, floats = read_table_numbers(text, ",")
    assert "a" not in floats and "b" in floats
    assert "t" in floats  # years are numbers too: the time column reads its text regardless


def test_blank_cells_are_missing_values_of_a_float_column():
    cells = [str(i / 4) for i in range(50)]
    cells[0] = cells[37] = ""
    text = "t,a\n" + "".join(f"{2000 + i},{c}\n" for i, c in enumerate(cells))
    table, floats = read_table_numbers(text, ",")
    assert np.isnan(floats["a"].to_numpy()).tolist() == [c == "" for c in cells]
    fast = parse_numbers(table["a"], NumberFormat(), stripped=True, floats=floats["a"])
    with reference_paths():
        slow = parse_numbers(table["a"], NumberFormat(), stripped=True)
    for got, want in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(got, want)
    assert fast[1].sum() == 2 and not fast[2].any()


def test_a_junk_cell_far_down_a_numeric_looking_column_is_still_reported():
    values = [f"{v:.3f}" for v in np.random.default_rng(1).normal(100, 10, 6000)]
    values[5500] = "12O.5"  # a letter O typed for a zero, far past every sample
    fast, slow = _read_both(_hourly(values))
    assert fast == slow
    assert "line 5502" in fast and "'12O.5' is not a number (1 such cells)" in fast


@pytest.mark.parametrize("spelling", ["", "NA", "nan", "NaN", "null", "-", "n/a", "#N/A"])
def test_missing_value_spellings_read_the_same_both_ways(spelling):
    values = [f"{v:.2f}" for v in np.linspace(-5, 5, 300)]
    values[10] = values[200] = spelling
    fast, slow = _read_both(_hourly(values), fill="interpolate")
    _assert_same_read(fast, slow)
    df, report = fast
    assert report.gaps == {"value": 2} and df["y"].notna().all()


def test_negative_and_exponent_numbers_read_the_same_both_ways():
    rng = np.random.default_rng(2)
    values = [
        f"{v:.6e}" if i % 3 else repr(float(v)) for i, v in enumerate(rng.normal(0, 1e4, 500))
    ]
    values[:4] = ["-1e-300", "+2.5E+10", "-.5", "7."]
    fast, slow = _read_both(_hourly(values))
    _assert_same_read(fast, slow)
    assert fast[0]["y"].iloc[0] == -1e-300 and fast[0]["y"].iloc[1] == 2.5e10


def test_rows_dropped_around_a_numeric_column_keep_each_value_on_its_line():
    """A total row, an undated row and a blank row drop rows of a column read as floats."""
    ds = pd.date_range("2020-01-01", periods=40, freq="D").strftime("%Y-%m-%d").tolist()
    lines = ["date,sales,units"] + [f"{d},{i * 1.5:.1f},{i}" for i, d in enumerate(ds)]
    lines.insert(12, "not a date,999,999")
    lines.insert(20, ",,")
    lines.append("Total,1234.5,780")
    data = ("\n".join(lines) + "\n").encode()
    _, floats = read_table_numbers(data.decode(), ",")
    assert {"sales", "units"} <= set(floats)
    fast, slow = _read_both(data, value_cols="sales")
    _assert_same_read(fast, slow)
    df, report = fast
    assert df["y"].tolist() == [i * 1.5 for i in range(40)]
    assert report.dropped_rows == 2


def test_a_wide_file_of_numeric_columns_reads_the_same_both_ways():
    rng = np.random.default_rng(3)
    ds = pd.date_range("2019-01-01", periods=200, freq="MS").strftime("%Y-%m")
    frame = pd.DataFrame({"month": ds, **{f"s{k}": rng.normal(0, 10**k, 200) for k in range(4)}})
    frame["s2"] = frame["s2"].round().astype(int)
    fast, slow = _read_both(frame.to_csv(index=False).encode())
    _assert_same_read(fast, slow)
    assert fast[0]["unique_id"].nunique() == 4


plain_numbers = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: f"{v:.3f}"),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda v: f"{v:.17e}"),
    st.integers(-(10**20), 10**20).map(str),
    st.from_regex(r"\A[-+]?([0-9]{1,25}\.?[0-9]{0,25}|\.[0-9]{1,25})([eE][-+]?[0-9]{1,3})?\Z"),
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells=st.lists(st.one_of(plain_numbers, st.just("")), min_size=1, max_size=30))
def test_cast_numbers_equal_the_text_reading_to_the_bit(cells):
    text = "t,v\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells))
    table, floats = read_table_numbers(text, ",")
    with reference_paths():
        values, missing, bad = parse_numbers(table["v"], NumberFormat(), stripped=True)
    fast, fast_missing, fast_bad = parse_numbers(
        table["v"], NumberFormat(), stripped=True, floats=floats.get("v")
    )
    if np.isfinite(values[~missing]).all() and not missing.all():  # numbers and blanks
        assert "v" in floats
    np.testing.assert_array_equal(fast, values)
    np.testing.assert_array_equal(fast_missing, missing)
    np.testing.assert_array_equal(fast_bad, bad)


@pytest.mark.parametrize("cell", [" ", "\t", "\x0b", "\x0c", "\x1c\x1d", "\x1e \x1f"])
def test_lines_of_white_space_are_blank_on_arrow_as_in_python(cell):
    text = f"a,b\n1,2\n{cell},{cell}\n3,4\n{cell}\n5, 6\n"
    fast = read_table(text, ",")
    with reference_paths():
        slow = read_table(text, ",")
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    assert fast.index.tolist() == [2, 4, 6]


@pytest.mark.parametrize(
    "temp",
    [
        ["1.5", "-2e-3", "3", "0", "4.25", "5", "6.5"],  # plain numbers: read as floats
        ["1.5", "-2e-3", "3", "0", "4.25", "5", "NA"],  # a marker: the text path (an error)
    ],
)
def test_drivers_from_float_columns_equal_the_text_path(temp):
    """A driver column read as floats by the table reader gives the frame, the future rows and
    the report (or the error) of the text path; the last two rows are the drivers' future."""
    ds = pd.date_range("2021-03-01", periods=len(temp), freq="D").strftime("%Y-%m-%d")
    ys = ["10", "11.5", "12", "13", "14", "", ""]
    lines = ["date,y,temp,promo"]
    lines += [f"{d},{y},{t},{i % 2}" for i, (d, y, t) in enumerate(zip(ds, ys, temp, strict=True))]
    fast, slow = _read_both(
        ("\n".join(lines) + "\n").encode(), value_cols="y", drivers="temp,promo"
    )
    _assert_same_read(fast, slow)
    if temp[-1] == "6.5":
        df, _ = fast
        assert {"temp", "promo"} <= set(df.columns)
        assert df["temp"].tolist()[:5] == [1.5, -2e-3, 3.0, 0.0, 4.25]
