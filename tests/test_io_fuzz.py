"""Property tests of read_csv: whatever it gets, the only exception is DataError; dates come back.

Examples per run: 150 random tables, 150 mutated corpus files, 60 random byte strings, 120
regular series with their dates written in one of 10 export formats (US and European, padded
or not, two-digit years, with hours, ISO with UTC offsets through a DST change; quoted, CRLF,
with a Total row, a footer, a units row or trailing empty columns) that must read back to their
exact grid, and 100 of those with rows dropped, swapped or junk dates added: 580 in all.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast import DataError
from forecast.ingest.reader import read_csv

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


# --- date-format mutations: a regular series written the ways exports write dates -------------

#: strftime patterns; "{m}/{d}/{Y}" style entries are unpadded US / European dates.
DATE_FORMATS = {
    "iso": "%Y-%m-%d",
    "iso_hour": "%Y-%m-%d %H:%M",
    "us": "{m}/{d}/{Y}",
    "us_padded": "%m/%d/%Y",
    "us_short_year": "%m/%d/%y",
    "us_hour": "{m}/{d}/{Y} %H:%M",
    "eu": "%d/%m/%Y",
    "eu_dots": "%d.%m.%Y",
    "eu_unpadded": "{d}/{m}/{Y}",
    "iso_offset": "offset",
}
US = {"us", "us_padded", "us_short_year", "us_hour"}
EU = {"eu", "eu_dots", "eu_unpadded"}
SUB_DAILY = {"h", "6h"}


def _render(ds: pd.DatetimeIndex, fmt: str) -> list[str]:
    pattern = DATE_FORMATS[fmt]
    if fmt == "iso_offset":
        return [d.isoformat() for d in ds]
    out = []
    for d in ds:
        text = pattern.format(m=d.month, d=d.day, Y=d.year) if "{" in pattern else pattern
        out.append(d.strftime(text))
    return out


@st.composite
def dated_series(draw):
    """A regular series (dates, values) and the format its dates are written in."""
    fmt = draw(st.sampled_from(sorted(DATE_FORMATS)))
    if fmt in {"iso_hour", "us_hour"}:
        freq = draw(st.sampled_from(sorted(SUB_DAILY)))
    elif fmt == "iso_offset":
        freq = draw(st.sampled_from(["h", "D"]))
    else:
        freq = draw(st.sampled_from(["D", "B", "W-SUN", "MS", "ME", "QS", "YS"]))
    n = draw(st.integers(3, 40))
    start = pd.Timestamp(
        draw(st.dates(pd.Timestamp("1990-01-01").date(), pd.Timestamp("2030-01-01").date()))
    )
    if fmt == "iso_offset":  # through a daylight-saving change
        start = pd.Timestamp(draw(st.sampled_from(["2021-03-26", "2021-10-29", "2022-03-11"])))
        ds = pd.date_range(start, periods=n, freq=freq, tz="America/New_York")
    else:
        ds = pd.date_range(start, periods=n, freq=freq)
    return ds, fmt, freq


def _swap_day_month(ds: pd.DatetimeIndex) -> list:
    out = []
    for d in ds:
        try:
            out.append(d.replace(month=d.day, day=d.month))
        except ValueError:
            return []
    return out


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    case=dated_series(),
    quote=st.booleans(),
    crlf=st.booleans(),
    extra=st.sampled_from(["", "total", "footer", "units", "empty_cols"]),
)
def test_dates_written_any_way_read_back_to_their_grid(case, quote, crlf, extra):
    ds, fmt, freq = case
    cells = _render(ds, fmt)
    q = '"' if quote else ""
    rows = [f"{q}{c}{q},{i + 1}.5" for i, c in enumerate(cells)]
    header = "date,value"
    if extra == "total":
        rows.append(f"Total,{sum(i + 1.5 for i in range(len(cells)))}")
    elif extra == "footer":
        rows.append('"Source: exported from the sales ledger",')
    elif extra == "units":
        rows.insert(0, ",EUR")
    elif extra == "empty_cols":
        header += ",,"
        rows = [r + ",," for r in rows]
    text = (("\r\n" if crlf else "\n").join([header, *rows]) + "\n").encode()
    df, report = read_csv(text)
    got = list(df["ds"])
    repairs = "\n".join(report.repairs)
    if fmt == "iso_offset":
        local = freq not in SUB_DAILY
        assert report.utc_offsets == ("wall" if local else "utc"), report.repairs
        want = ds.tz_localize(None) if local else ds.tz_convert("UTC").tz_localize(None)
        assert got == list(want)
        assert (
            "Kept the local wall-clock time"
            if local
            else "Converted timestamps with UTC offsets to UTC"
        ) in repairs
        return
    want = list(ds)
    if got != want:  # only the reading the rule prefers when both are regular: the coarser one
        assert report.ambiguous_dates, (fmt, freq, cells[:3], report.repairs)
        swapped = pd.DatetimeIndex(sorted(_swap_day_month(pd.DatetimeIndex(want))))
        if report.freq in {"MS", "ME"}:  # mid-month dates are moved to their month's start
            assert list(pd.DatetimeIndex(got).to_period("M")) == list(swapped.to_period("M"))
        else:
            assert got == list(swapped)
    if fmt in US and report.dayfirst is not None:
        assert "month-first" in repairs or report.ambiguous_dates, report.repairs
    if fmt in EU and report.dayfirst is not None:
        assert "day-first" in repairs or report.ambiguous_dates, report.repairs
    assert len(df) == len(ds) and df["y"].notna().all()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    case=dated_series(),
    drops=st.lists(st.integers(0, 39), max_size=5),
    swaps=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=3),
    junk=st.lists(
        st.sampled_from(["13/13/2021", "2/30/2021", "Total", "", "00/00/0000", "1/1"]), max_size=3
    ),
)
def test_mutated_dates_raise_only_data_error(case, drops, swaps, junk):
    ds, fmt, _ = case
    cells = _render(ds, fmt)
    for i, j in swaps:  # swap two cells' day order or positions
        if i < len(cells) and j < len(cells):
            cells[i], cells[j] = cells[j], cells[i]
    rows = [f"{c},{k}" for k, c in enumerate(cells) if k not in set(drops)]
    rows += [f"{c},1" for c in junk]
    _only_data_errors(("date,value\n" + "\n".join(rows)).encode())
