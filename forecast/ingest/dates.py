"""Reading timestamps from text cells: years, quarters, months, dates and UTC offsets.

:func:`parse_times` reads one column of raw cells and says how it read them
(:class:`TimeParse`): the calendar units the text implies, whether ``dd/mm`` dates were read
day-first or month-first and why, and whether UTC offsets were converted or dropped. Nothing here
reads files; :mod:`forecast.ingest.columns` chooses the column and :mod:`forecast.ingest.reader` reports the notes.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from forecast.calendar.frequency import calendar_regularity

__all__ = ["TimeParse", "parse_times"]

#: Use the fast paths: each distinct cell parsed once and spread back to its rows, and ``dd/mm``
#: orders inferred on a sample and confirmed by one strict parse of the whole column. The
#: reference paths stay, for the tests that prove both read the same timestamps.
FAST = True


@dataclass(frozen=True)
class TimeParse:
    """Timestamps parsed from one column and how they were read.

    Attributes
    ----------
    values : DatetimeIndex, shape (n,)
        Timezone-naive timestamps, NaT where a cell could not be parsed.
    kind : str
        ``"year"``, ``"quarter"``, ``"month"`` or ``"datetime"``.
    dayfirst : bool or None
        Whether ``dd/mm`` dates were read day-first (None: no such dates).
    freq : str or None
        Exact frequency when the format implies it (years, quarters, months).
    notes : tuple of str
        How the dates were read, in sentences for the report (day or month first and why,
        UTC offsets converted or dropped).
    problem : str or None
        Why the column cannot be read safely (day-first and month-first dates mixed); the
        caller refuses the column with this message.
    ambiguous : bool
        Every date read both month-first and day-first, and both readings were regular.
    utc_offsets : str or None
        ``"utc"`` (converted to UTC), ``"wall"`` (local wall-clock time kept) or None (no
        offsets in the cells).
    """

    values: pd.DatetimeIndex
    kind: str
    dayfirst: bool | None
    freq: str | None
    notes: tuple[str, ...] = ()
    problem: str | None = None
    ambiguous: bool = False
    utc_offsets: str | None = None

    @property
    def success(self) -> float:
        """Share of cells parsed."""
        return float(1 - self.values.isna().mean()) if len(self.values) else 0.0


_YEAR = re.compile(r"^\d{4}(\.0+)?$")
_QUARTER = [
    re.compile(r"^(?P<y>\d{4})\s*[-/ ]?\s*[Qq](?P<q>[1-4])$"),
    re.compile(r"^[Qq](?P<q>[1-4])\s*[-/ ]?\s*(?P<y>\d{4})$"),
]
_MONTH = [
    re.compile(r"^(?P<y>\d{4})[-/](?P<m>\d{1,2})$"),
    re.compile(r"^(?P<y>\d{4})\s*[Mm](?P<m>\d{1,2})$"),
]
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{2,4})(?:[ T].*)?$")


def _repeats(text: pd.Series) -> bool:
    """Whether parsing once per distinct cell may pay: 1,000 cells drawn at random repeat.

    (1,000 cells drawn from 969 distinct months hold about 620 distinct ones; from a column of
    distinct hours, about 1,000. A strided sample would not do: a stride prime to the number
    of months walks through every month once.)
    """
    if not FAST or len(text) < 64:
        return False
    if len(text) < 2000:
        return True
    at = np.random.default_rng(0).integers(0, len(text), 1000)
    return pd.unique(text.to_numpy()[at]).size < 900


def _per_distinct(text: pd.Series, fn):
    """``fn(text)`` computed once per distinct cell and spread back to every row.

    ``fn`` must work cell by cell (its answer for a cell does not depend on the others); it
    returns a Series, DataFrame, DatetimeIndex or array of ``len(cells)``. Used when at least
    half the cells repeat (a long file's time column), else ``fn(text)`` itself.
    """
    if not _repeats(text):
        return fn(text)
    codes, uniques = pd.factorize(text.to_numpy())
    if len(uniques) > len(text) // 2:
        return fn(text)
    out = fn(pd.Series(uniques, name=text.name, dtype=object))
    if isinstance(out, pd.DataFrame):
        spread = out.iloc[codes]
        spread.index = text.index
        return spread
    if isinstance(out, pd.Series):
        return pd.Series(out.to_numpy()[codes], index=text.index, name=out.name, dtype=out.dtype)
    if isinstance(out, pd.Index):
        return out.take(codes)
    return np.asarray(out)[codes]


def _matches(text: pd.Series, pattern: re.Pattern) -> pd.Series:
    """``text.str.match(pattern)``, once per distinct cell."""
    return _per_distinct(text, lambda cells: cells.str.match(pattern))


def _regex_parse(text: pd.Series, patterns: list[re.Pattern], build) -> pd.DatetimeIndex | None:
    sample = text.iloc[:: max(1, len(text) // 500)]
    if not any(sample.str.match(p).mean() >= 0.3 for p in patterns):
        return None  # cheap rejection before the full extraction
    found = _per_distinct(text, lambda cells: _regex_values(cells, patterns, build))
    if found["matched"].mean() < 0.9:
        return None
    return pd.DatetimeIndex(found["value"])


def _regex_values(text: pd.Series, patterns: list[re.Pattern], build) -> pd.DataFrame:
    """Per cell: the timestamp the first matching pattern builds (NaT: none) and whether one did."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    matched = np.zeros(len(text), dtype=bool)
    for pattern in patterns:
        parts = text.str.extract(pattern)
        hit = parts.notna().all(axis=1).to_numpy() & ~matched
        if hit.any():
            out[hit] = build(parts[hit])
            matched |= hit
    return pd.DataFrame({"value": out, "matched": matched}, index=text.index)


def _assemble(years: pd.Series, months: pd.Series) -> pd.Series:
    """Month-start timestamps from year and month numbers; NaT where out of range."""
    valid = months.between(1, 12) & years.between(1678, 2261)
    out = pd.Series(pd.NaT, index=years.index, dtype="datetime64[ns]")
    if valid.any():
        out[valid] = pd.to_datetime(
            pd.DataFrame({"year": years[valid], "month": months[valid], "day": 1}),
            errors="coerce",
        )
    return out


def _build_quarter(parts: pd.DataFrame) -> pd.Series:
    return _assemble(parts["y"].astype(int), (parts["q"].astype(int) - 1) * 3 + 1)


def _build_month(parts: pd.DataFrame) -> pd.Series:
    return _assemble(parts["y"].astype(int), parts["m"].astype(int))


def parse_times(
    cells: pd.Series, *, allow_years: bool = True, freq: str | None = None, stripped: bool = False
) -> TimeParse:
    """Parse a column of text as timestamps.

    Understands integer years (``1959``), quarters (``1959Q1``, ``1959-Q1``, ``Q1 1959``),
    months (``2001-03``, ``2001M03``), and anything ``pandas.to_datetime`` reads.

    ``dd/mm/yyyy`` or ``mm/dd/yyyy``: a first field above 12 somewhere means day-first, a second
    field above 12 month-first (both: the column mixes orders and is refused, see
    ``problem``). When every date reads both ways, the reading whose consecutive dates are one
    calendar step apart (:func:`forecast.calendar.frequency.calendar_regularity`: the first of every
    month is perfectly regular) wins; when both readings are perfectly regular the coarser step
    wins and ``ambiguous`` is set (``1/1/2016, 2/1/2016, …`` reads as months, not as the first
    days of January). A ``freq`` asked for decides first: the reading on its grid wins.

    UTC offsets (``+01:00``, ``Z``): the timestamps are converted to UTC, the grid that stays
    regular through a daylight-saving change for hourly or finer data; when the local
    wall-clock times are more regular (data stamped at local midnight across a DST change), or
    as regular and the steps are a day or longer (the calendar dates the writer meant), the
    wall-clock times are kept and the offsets dropped. Either way ``notes`` says so.

    Parameters
    ----------
    cells : Series of str, shape (n,)
        Raw cells; the Series name is used in the notes.
    allow_years : bool
        Whether bare four-digit integers may be read as years.
    freq : str, optional
        Offset alias the caller wants; decides between day-first and month-first readings of
        ambiguous dates.
    stripped : bool
        The cells are already stripped strings (as :func:`forecast.ingest.parsing.read_table`
        gives them), so they are not converted and stripped again.

    Returns
    -------
    TimeParse

    Examples
    --------
    >>> us = pd.Series(["1/1/2016", "2/1/2016", "3/1/2016", "4/1/2016"], name="Date")
    >>> parsed = parse_times(us)
    >>> parsed.dayfirst, parsed.ambiguous, str(parsed.values[1].date())
    (False, True, '2016-02-01')
    """
    text = cells if stripped else cells.astype(str).str.strip()
    name = str(cells.name) if cells.name is not None else "the time column"
    present = np.asarray(text != "")
    nonempty = text if present.all() else text[present]
    if len(nonempty) == 0:
        return TimeParse(_no_times(len(text)), "datetime", None, None)
    sample = nonempty.iloc[:: max(1, len(nonempty) // 500)]
    if (
        allow_years
        and sample.str.match(_YEAR).mean() >= 0.9
        and _matches(nonempty, _YEAR).mean() >= 0.9
    ):
        return TimeParse(pd.DatetimeIndex(_per_distinct(text, _years)), "year", None, "YS")
    quarters = _regex_parse(text, _QUARTER, _build_quarter)
    if quarters is not None:
        return TimeParse(quarters, "quarter", None, "QS-OCT")
    months = _regex_parse(text, _MONTH, _build_month)
    if months is not None:
        return TimeParse(months, "month", None, "MS")
    if sample.str.match(r"^[-+]?\d+(\.\d+)?$").mean() > 0.5:
        # plain numbers (other than years) are values, not dates
        return TimeParse(_no_times(len(text)), "datetime", None, None)
    if FAST:
        confirmed = _confirm_order(text, nonempty, sample, name, freq)
        if confirmed is not None:
            return confirmed
    numeric = _numeric_dates(nonempty, sample)
    if numeric is None:
        values, notes, mode = _read(text, False, name)
        return TimeParse(values, "datetime", None, None, notes=notes, utc_offsets=mode)
    datelike = nonempty.loc[numeric.index]
    first = pd.to_numeric(numeric[0], errors="coerce") > 12
    second = pd.to_numeric(numeric[1], errors="coerce") > 12
    if first.any() and second.any():
        values, notes, mode = _read(text, True, name)
        problem = (
            f"The dates in '{name}' mix day-first ('{datelike[first].iloc[0]}') and "
            f"month-first ('{datelike[second].iloc[0]}') orders, so some would be misread. "
            "Write them all one way, best as yyyy-mm-dd."
        )
        return TimeParse(values, "datetime", True, None, problem=problem, utc_offsets=mode)
    if first.any() or second.any():
        dayfirst = bool(first.any())
        example = datelike[first if dayfirst else second].iloc[0]
        field_ = "first" if dayfirst else "second"
        note = f"Read dates in '{name}' as {_ORDER[dayfirst]}: '{example}' has a {field_} field above 12."
        values, notes, mode = _read(text, dayfirst, name)
        return TimeParse(values, "datetime", dayfirst, None, (note, *notes), utc_offsets=mode)
    return _ambiguous_order(text, name, freq)


def _no_times(n: int) -> pd.DatetimeIndex:
    """``n`` NaT (from an array: a list of a million NaT objects takes a second)."""
    return pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns")))


def _years(text: pd.Series) -> pd.Series:
    """January 1st of each cell's four-digit year; NaT where the cell is not one."""
    years = pd.to_numeric(text.where(text.str.match(_YEAR)), errors="coerce")
    years = years.fillna(-1).astype(int)
    return _assemble(years, pd.Series(1, index=years.index))


_ORDER = {True: "day-first (dd/mm/yyyy)", False: "month-first (mm/dd/yyyy)"}
_WORDS = re.compile(r"[^\W\d_]{3}")


def _numeric_dates(nonempty: pd.Series, sample: pd.Series) -> pd.DataFrame | None:
    """The three fields of ``dd/mm/yyyy``-like cells, or None when the column is not of them.

    At least 90 % of the cells must be such dates; cells of words (a footer note, a "Total"
    row) do not count against it.
    """
    words = sample.str.contains(_WORDS)
    if words.all() or sample[~words].str.match(_NUMERIC_DATE).mean() < 0.9:
        return None
    fields = nonempty.str.extract(_NUMERIC_DATE)
    ok = fields.notna().all(axis=1)
    if not ok.any():
        return None
    if ok.mean() < 0.9 and not ok[~nonempty.str.contains(_WORDS)].mean() >= 0.9:
        return None
    return fields[ok]


_ORDER_FORMAT = {
    True: re.compile(r"^%d([./-])%m\1%[Yy](?:[ T].*)?$"),
    False: re.compile(r"^%m([./-])%d\1%[Yy](?:[ T].*)?$"),
}


def _confirm_order(
    text: pd.Series, nonempty: pd.Series, sample: pd.Series, name: str, freq: str | None
) -> TimeParse | None:
    """Day-first or month-first inferred on the sample and confirmed on the whole column.

    The fields above 12 in the sample say which order to try; one strict parse of every cell in
    that order's format confirms it (a day-first format that reads every cell means no cell has
    a second field above 12). Gives what the reference (a regular expression over every cell)
    gives, or None to leave the column to it: when a cell does not read in that format, when the
    format is not ``dd/mm/yyyy``-like, or when it carries UTC offsets.
    """
    words = sample.str.contains(_WORDS)
    if words.all() or sample[~words].str.match(_NUMERIC_DATE).mean() < 0.9:
        return None
    fields = sample.str.extract(_NUMERIC_DATE)
    above = fields[[0, 1]].apply(pd.to_numeric, errors="coerce") > 12
    first_any, second_any = bool(above[0].any()), bool(above[1].any())
    if first_any and second_any:
        return None
    flags = [True] if first_any else [False] if second_any else [True, False]
    head = nonempty.iloc[0]
    for dayfirst in flags:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = guess_datetime_format(head, dayfirst=dayfirst)
        if not fmt or not _ORDER_FORMAT[dayfirst].match(fmt) or "%z" in fmt or "%Z" in fmt:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = _per_distinct(
                text, lambda cells, f=fmt: pd.to_datetime(cells, errors="coerce", format=f)
            )
        values = pd.DatetimeIndex(parsed).as_unit("ns")
        if values.isna().sum() != (text == "").sum():
            continue  # a cell does not read in this order
        above_day = np.asarray(values.day > 12) & ~np.asarray(values.isna())
        if not above_day.any():  # no field above 12 anywhere: both orders read every cell
            return _ambiguous_order(text, name, freq) if len(flags) == 2 and dayfirst else None
        example = text.iloc[int(np.flatnonzero(above_day)[0])]
        field_ = "first" if dayfirst else "second"
        note = f"Read dates in '{name}' as {_ORDER[dayfirst]}: '{example}' has a {field_} field above 12."
        return TimeParse(values, "datetime", dayfirst, None, (note,), utc_offsets=None)
    return None


def _ambiguous_order(text: pd.Series, name: str, freq: str | None) -> TimeParse:
    """Day-first or month-first when every date reads both ways (see :func:`parse_times`)."""
    readings = {flag: _read(text, flag, name) for flag in (True, False)}
    values = {flag: readings[flag][0] for flag in readings}
    if freq:
        try:
            share = {flag: calendar_regularity(values[flag], freq)[0] for flag in values}
        except ValueError:  # not an offset alias: read_csv reports it
            share = {True: 0.0, False: 0.0}
        if share[True] != share[False]:
            dayfirst = share[True] > share[False]
            note = (
                f"Read dates in '{name}' as {_ORDER[dayfirst]}: every date reads both ways, and "
                f"the frequency {freq} asked for fits this reading."
            )
            return _order_parse(readings, dayfirst, note, ambiguous=False)
    reg = {flag: calendar_regularity(values[flag]) for flag in values}
    step = {flag: _median_step(values[flag]) for flag in values}
    if reg[True][0] == 1.0 and reg[False][0] == 1.0:
        dayfirst = step[True] > step[False]  # the coarser step; month-first on a tie
        other = reg[not dayfirst][1]
        note = (
            f"The dates in '{name}' are ambiguous: every one reads month-first and day-first, "
            f"and both readings are regular (month-first: {reg[False][1]}, day-first: "
            f"{reg[True][1]}). Read {_ORDER[dayfirst]}, the coarser step {reg[dayfirst][1]}; "
            f"if the data is {other}, set the frequency to {other} (the Data page's override, "
            "or read_csv(freq=...))."
        )
        return _order_parse(readings, dayfirst, note, ambiguous=True)
    # the more regular reading; then the one in file order; then the coarser step
    score = {flag: (reg[flag][0], _monotone(values[flag]), step[flag]) for flag in values}
    dayfirst = score[True] > score[False]
    note = (
        f"Read dates in '{name}' as {_ORDER[dayfirst]}: every date reads both ways, and this "
        f"reading is the more regular ({reg[dayfirst][0]:.0%} of steps are one "
        f"{reg[dayfirst][1] or 'calendar'} step; {_ORDER[not dayfirst].split(' ')[0]}: "
        f"{reg[not dayfirst][0]:.0%})."
    )
    return _order_parse(readings, dayfirst, note, ambiguous=False)


def _order_parse(readings: dict, dayfirst: bool, note: str, *, ambiguous: bool) -> TimeParse:
    values, notes, mode = readings[dayfirst]
    return TimeParse(
        values,
        "datetime",
        dayfirst,
        None,
        notes=(note, *notes),
        ambiguous=ambiguous,
        utc_offsets=mode,
    )


def _median_step(values: pd.DatetimeIndex) -> float:
    """Median step between sorted distinct timestamps, in nanoseconds (0 with fewer than two)."""
    clean = np.unique(values.dropna().asi8)
    return float(np.median(np.diff(clean))) if len(clean) > 1 else 0.0


def _monotone(values: pd.DatetimeIndex) -> float:
    """Share of consecutive cells (in file order) that do not go back in time."""
    clean = values.dropna().asi8
    return float(np.mean(np.diff(clean) >= 0)) if len(clean) > 1 else 0.0


_OFFSET = re.compile(r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)$")


@dataclass(frozen=True)
class _Offsets:
    """Timestamps that carried UTC offsets: their UTC instants and local wall-clock times."""

    utc: pd.DatetimeIndex
    wall: pd.DatetimeIndex | None  # None when the offsets cannot be read off the text
    labels: tuple[str, ...]


def _read(text: pd.Series, dayfirst: bool, name: str) -> tuple[pd.DatetimeIndex, tuple, str | None]:
    """Parse with one day order and settle UTC offsets: (values, notes, "utc"/"wall"/None)."""
    values, offsets = _to_datetime(text, dayfirst=dayfirst)
    if offsets is None:
        return values, (), None
    labels = ", ".join(offsets.labels[:4]) + (", …" if len(offsets.labels) > 4 else "")
    wall, utc = offsets.wall, offsets.utc
    if wall is not None and not (wall == utc).all():
        r_wall, f_wall = calendar_regularity(wall)
        r_utc, _ = calendar_regularity(utc)
        daily = _median_step(wall) >= 86_400e9
        if r_wall > r_utc or (r_wall == r_utc and daily and r_wall > 0):
            why = (
                "in UTC a change of offset (daylight saving time) would move them off their grid"
                if r_wall > r_utc
                else "UTC would shift their calendar dates"
            )
            note = (
                f"Kept the local wall-clock time of the timestamps with UTC offsets in '{name}' "
                f"({labels}) and dropped the offsets: local time is regular ({f_wall}), {why}."
            )
            return wall, (note,), "wall"
    at = int(np.flatnonzero(~utc.isna())[0]) if utc.notna().any() else None
    example = "" if at is None else f"; e.g. '{text.iloc[at]}' is {utc[at]} UTC"
    note = f"Converted timestamps with UTC offsets to UTC ({labels} in '{name}'{example})."
    return utc, (note,), "utc"


def _offset_labels(text: pd.Series) -> tuple[pd.Series, tuple[str, ...]]:
    """Offsets in minutes read off the end of each cell (NaN where none), and their labels."""
    found = text.str.extract(_OFFSET)[0]
    parts = found.str.extract(r"^([+-])(\d{2}):?(\d{2})?$")
    minutes = parts[1].astype(float) * 60 + parts[2].fillna("0").astype(float)
    minutes = minutes.where(parts[0] != "-", -minutes)
    minutes = minutes.where(found != "Z", 0.0)
    labels = sorted(
        {
            "+00:00"
            if m == 0
            else f"{'+' if m > 0 else '-'}{int(abs(m)) // 60:02d}:{int(abs(m)) % 60:02d}"
            for m in minutes.dropna()
        }
    )
    return minutes, tuple(labels)


def _to_datetime(text: pd.Series, *, dayfirst: bool) -> tuple[pd.DatetimeIndex, _Offsets | None]:
    """``pd.to_datetime`` with format inference, tolerant to a few bad cells.

    Returns the timezone-naive timestamps (UTC where the cells carry offsets) and, when they
    do, both readings of them (:class:`_Offsets`). Each distinct cell is parsed once when at
    least half the cells repeat (a long file's time column: 969 distinct months in 143,412
    rows); the shares that decide how to parse count every row, so the answer is the same.
    """
    if _repeats(text):
        codes, uniques = pd.factorize(text.to_numpy())
        if len(uniques) <= len(text) // 2:
            counts = np.bincount(codes, minlength=len(uniques)).astype(float)
            distinct = pd.Series(uniques, name=text.name, dtype=object)
            values, offsets = _to_datetime_cells(distinct, dayfirst=dayfirst, weights=counts)
            if offsets is None:
                return values.take(codes), None
            wall = None if offsets.wall is None else offsets.wall.take(codes)
            return values.take(codes), _Offsets(
                utc=offsets.utc.take(codes), wall=wall, labels=offsets.labels
            )
    return _to_datetime_cells(text, dayfirst=dayfirst)


def _to_datetime_cells(
    text: pd.Series, *, dayfirst: bool, weights: np.ndarray | None = None
) -> tuple[pd.DatetimeIndex, _Offsets | None]:
    """:func:`_to_datetime` on cells that stand for ``weights`` rows each (default: one)."""
    w = np.ones(len(text)) if weights is None else weights
    total = float(w.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed, used = None, "mixed"
            first = next((v for v in text if v), None)
            fmt = guess_datetime_format(first, dayfirst=dayfirst) if first else None
            if fmt:  # fast path: one format for the whole column
                parsed = pd.to_datetime(text, errors="coerce", format=fmt)
                failed = float(w[np.asarray(parsed.isna())].sum()) / total
                if failed > 0.1 and failed > 0.1 + float(w[np.asarray(text == "")].sum()) / total:
                    parsed = None
                else:
                    used = fmt
            if parsed is None:
                parsed = pd.to_datetime(text, errors="coerce", dayfirst=dayfirst, format="mixed")
        except (ValueError, TypeError, OverflowError):
            return _no_times(len(text)), None
        if not isinstance(parsed.dtype, pd.DatetimeTZDtype) and parsed.dtype != object:
            return pd.DatetimeIndex(parsed).as_unit("ns"), None
        try:
            utc = pd.to_datetime(
                text, errors="coerce", utc=True, dayfirst=dayfirst, format=used
            ).dt.tz_localize(None)
        except (ValueError, TypeError, OverflowError):
            return _no_times(len(text)), None
    utc = pd.DatetimeIndex(utc).as_unit("ns")
    minutes, labels = _offset_labels(text)
    wall = None
    with_offset = float(w[np.asarray(minutes.notna())].sum())
    if with_offset >= 0.9 * float(w[np.asarray(utc.notna())].sum()) > 0:
        shift = pd.to_timedelta(minutes.fillna(0.0).to_numpy(), unit="m")
        wall = pd.DatetimeIndex(utc + shift).as_unit("ns")
    return utc, _Offsets(utc=utc, wall=wall, labels=labels or ("offsets",))
