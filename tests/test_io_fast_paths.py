"""The fast reading paths give what the reference paths give (property tests).

``read_csv`` reads the table with pandas' C tokenizer, parses each distinct timestamp once,
infers ``dd/mm`` orders on a sample and confirms them with one strict parse, and lays the grid in
one vectorised pass. :func:`forecast.ingest.reference.reference_paths` switches back to the
reference (the ``csv`` module, every cell through the regular expressions, a grid per series);
each test reads the same input both ways and wants the same frame, report, or error message.
Files: every file of ``tests/csv_corpus`` as it is and grown into long files of many series (so
the time column repeats and the fast paths are taken), and generated date columns, tables and
series.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.errors import DataError
from forecast.ingest.dates import parse_times
from forecast.ingest.parsing import decode, read_table, sniff_delimiter
from forecast.ingest.reader import read_csv
from forecast.ingest.reference import reference_paths
from forecast.ingest.regular_grid import regularise

CORPUS = sorted((Path(__file__).parent / "csv_corpus").rglob("*.csv"))
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))


def _outcome(fn):
    """What ``fn()`` gives, or the message of the DataError it raises."""
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


def grow(raw: bytes, copies: int) -> bytes:
    """The file as a long file of ``copies`` series: every data line repeated with a key column."""
    try:
        text, _ = decode(raw)
    except DataError:
        return raw
    lines = text.split("\n")
    content = [i for i, line in enumerate(lines) if line.strip()]
    if len(content) < 2:
        return raw
    delim = sniff_delimiter([lines[i] for i in content[:200]])
    head = content[0]
    out = [f"{lines[head]}{delim}series"]
    body = [lines[i] for i in content[1:]]
    for k in range(copies):
        out.extend(f"{line}{delim}s{k:02d}" for line in body)
    return ("\n".join(out) + "\n").encode("utf-8")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
@pytest.mark.parametrize("fill", ["none", "interpolate"])
def test_every_corpus_file_reads_the_same_both_ways(path, fill):
    _assert_same_read(*_read_both(path.read_bytes(), fill=fill))


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_corpus_file_grown_to_forty_series_reads_the_same_both_ways(path):
    data = grow(path.read_bytes(), 40)
    fast, slow = _read_both(data, fill="ffill")
    _assert_same_read(fast, slow)


@SETTINGS
@given(
    path=st.sampled_from(CORPUS),
    copies=st.integers(1, 60),
    fill=st.sampled_from(["none", "interpolate", "ffill"]),
)
def test_corpus_files_grown_to_many_series_read_the_same_both_ways(path, copies, fill):
    _assert_same_read(*_read_both(grow(path.read_bytes(), copies), fill=fill))


#: How a date column may be written (strftime patterns; "{d}" / "{m}" unpadded).
FORMATS = [
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "{d}/{m}/%Y",
    "{m}/{d}/%Y",
    "%d.%m.%Y %H:%M",
    "%m-%d-%Y %H:%M:%S",
    "%Y %b",
    "%Y-%m",
    "%YQ{q}",
    "%Y",
    "%Y-%m-%dT%H:%M:%S%z",
]
FREQS = ["D", "h", "MS", "ME", "W-SUN", "QS", "YS", "12h"]


def _write(ds: pd.DatetimeIndex, fmt: str) -> list[str]:
    out = []
    for d in ds:
        text = fmt.replace("{d}", str(d.day)).replace("{m}", str(d.month))
        text = text.replace("{q}", str((d.month - 1) // 3 + 1))
        out.append(d.strftime(text))
    return out


@st.composite
def date_columns(draw):
    """A column of dates as an export writes it: repeated (a long file) or not, some junk."""
    freq = draw(st.sampled_from(FREQS))
    fmt = draw(st.sampled_from(FORMATS))
    n = draw(st.integers(3, 80))
    start = draw(st.sampled_from(["2019-01-01", "2020-03-29", "1939-01-01", "2021-10-31"]))
    ds = pd.date_range(start, periods=n, freq=freq)
    if "%z" in fmt:
        ds = ds.tz_localize("Europe/Berlin", nonexistent="shift_forward", ambiguous=False)
    cells = _write(ds, fmt)
    repeats = draw(st.sampled_from([1, 2, 30]))
    cells = cells * repeats
    junk = draw(
        st.lists(st.sampled_from(["", "n/a", "Total", "31/02/2020", "13/13/2020"]), max_size=3)
    )
    for j, cell in enumerate(junk):
        at = draw(st.integers(0, len(cells)))
        cells.insert(min(at + j, len(cells)), cell)
    return pd.Series(cells, name="when", dtype=object)


def _times_both(cells: pd.Series, **kwargs):
    fast = parse_times(cells, stripped=True, **kwargs)
    with reference_paths():
        slow = parse_times(cells, stripped=True, **kwargs)
    return fast, slow


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(cells=date_columns(), freq=st.sampled_from([None, "D", "MS"]))
def test_date_columns_parse_the_same_both_ways(cells, freq):
    fast, slow = _times_both(cells, freq=freq)
    assert fast.values.equals(slow.values)
    assert (fast.kind, fast.dayfirst, fast.freq) == (slow.kind, slow.dayfirst, slow.freq)
    assert (fast.notes, fast.problem) == (slow.notes, slow.problem)
    assert (fast.ambiguous, fast.utc_offsets) == (slow.ambiguous, slow.utc_offsets)


def test_the_fast_paths_are_taken_on_a_long_day_first_column():
    """Guard that the property tests compare two paths: here they differ in work, not answer."""
    ds = pd.date_range("2020-01-01", periods=400, freq="D")
    cells = pd.Series(_write(ds, "%d/%m/%Y") * 5, name="Datum", dtype=object)
    fast, slow = _times_both(cells)
    assert fast.dayfirst is True and fast.notes == slow.notes
    assert fast.notes[0] == (
        "Read dates in 'Datum' as day-first (dd/mm/yyyy): '13/01/2020' has a first field above 12."
    )
    assert fast.values.equals(slow.values) and fast.values[12] == pd.Timestamp("2020-01-13")


tricky_cells = st.one_of(
    st.sampled_from(["", " ", "a", " b ", '"q"', '"x,y"', '"multi\nline"', "1,5", "\t", "2020"]),
    st.text(alphabet="ab1 ,;\"'", max_size=5),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rows=st.lists(st.lists(tricky_cells, min_size=1, max_size=4), min_size=1, max_size=10),
    delim=st.sampled_from([",", ";", "\t"]),
    blank=st.booleans(),
)
def test_tables_split_the_same_both_ways(rows, delim, blank):
    lines = [delim.join(row) for row in rows]
    if blank:
        lines.insert(len(lines) // 2, "")
    text = "\n".join(lines) + "\n"
    fast = _outcome(lambda: read_table(text, delim))
    with reference_paths():
        slow = _outcome(lambda: read_table(text, delim))
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)


@st.composite
def long_frames(draw):
    """Observed values of several series on one frequency, with gaps and shifted phases."""
    freq = draw(st.sampled_from(["D", "h", "MS", "W-SUN", "QS-OCT", "2D"]))
    frames = []
    for k in range(draw(st.integers(1, 5))):
        n = draw(st.integers(2, 40))
        offset = draw(st.integers(0, 5))
        ds = pd.date_range("2020-01-05", periods=n + offset, freq=freq)[offset:]
        keep = draw(st.lists(st.booleans(), min_size=len(ds), max_size=len(ds)))
        keep[0] = keep[-1] = True
        ds = ds[np.array(keep)]
        if draw(st.booleans()) and freq in ("D", "h"):
            ds = ds + pd.Timedelta(minutes=30)  # another phase: the reference's grid per series
        y = np.arange(len(ds), dtype=float) * (k + 1)
        frames.append(pd.DataFrame({"unique_id": f"s{k}", "ds": ds, "y": y}))
    long = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=0)
    return long.reset_index(drop=True), draw(st.sampled_from([None, freq]))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=long_frames(), fill=st.sampled_from(["none", "interpolate", "ffill"]))
def test_grids_are_laid_the_same_both_ways(case, fill):
    long, freq = case
    fast = _outcome(lambda: regularise(long, freq, fill))
    with reference_paths():
        slow = _outcome(lambda: regularise(long, freq, fill))
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
        return
    pd.testing.assert_frame_equal(
        fast.frame.assign(ds=fast.frame["ds"].astype("datetime64[ns]")),
        slow.frame.assign(ds=slow.frame["ds"].astype("datetime64[ns]")),
        check_exact=True,
    )
    assert (fast.freq, fast.gaps, fast.missing_filled, fast.repairs) == (
        slow.freq,
        slow.gaps,
        slow.missing_filled,
        slow.repairs,
    )
