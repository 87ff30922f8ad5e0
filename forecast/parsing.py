"""Low-level text parsing for CSV ingestion: bytes to text, delimiters, numbers and timestamps.

Each function inspects raw strings and says what it found; :mod:`forecast.io` decides what to
do with it. Nothing here reads files.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from forecast.errors import DataError

__all__ = [
    "MISSING_TOKENS",
    "NumberFormat",
    "TimeParse",
    "decode",
    "detect_number_format",
    "parse_numbers",
    "parse_times",
    "sniff_delimiter",
]

#: Cell texts read as a missing value (compared in lower case, stripped).
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", ".", "#n/a", "missing", "nil", "n.a."}
)

_DELIMITERS = ["\t", ";", "|", ","]


def decode(raw: bytes) -> tuple[str, str]:
    """Decode file bytes as UTF-8 (with or without BOM) or Latin-1.

    Parameters
    ----------
    raw : bytes
        The whole file.

    Returns
    -------
    text : str
        Decoded text with universal newlines.
    encoding : str
        ``"utf-8"``, ``"utf-8-sig"`` or ``"latin-1"``.

    Raises
    ------
    DataError
        If the bytes are not text (NUL bytes or many control characters).
    """
    sample = raw[:65536]
    if b"\x00" in sample:
        if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise DataError(
                "The file is UTF-16 encoded; save it as UTF-8 (or Latin-1) CSV and upload it again."
            )
        raise DataError(
            "The file is not text (it contains NUL bytes): is it an Excel workbook, a zip or an "
            "image? Export the sheet as CSV and try again."
        )
    bom = sample.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig" if bom else "utf-8")
        encoding = "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw[3 if bom else 0 :].decode("latin-1"), "latin-1"
    control = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if control > max(8, 0.01 * min(len(text), 65536)):
        raise DataError(
            f"The file is not text: {control} control characters in its first 64 KiB. "
            "Export the data as a CSV file and try again."
        )
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def sniff_delimiter(lines: list[str]) -> str:
    """Pick the field delimiter among tab, ``;``, ``|`` and ``,``.

    A candidate wins when it splits (nearly) every line into the same number of at least two
    fields; tab, ``;`` and ``|`` beat ``,`` on a tie because ``,`` is also a decimal mark.

    Parameters
    ----------
    lines : list of str
        The first non-empty lines of the file.

    Returns
    -------
    str
        The delimiter; ``","`` when the file has a single column.
    """
    eligible: list[tuple[float, int, str]] = []
    for priority, delim in enumerate(_DELIMITERS):
        counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        if not counts:
            continue
        values, freq = np.unique(counts, return_counts=True)
        mode = int(values[np.argmax(freq)])
        consistency = float(freq.max()) / len(counts)
        if mode >= 2 and consistency >= 0.9:
            eligible.append((-round(consistency * 20) / 20, priority, delim))
    return min(eligible)[2] if eligible else ","


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written in a file: decimal mark and thousands separator."""

    decimal: str = "."
    thousands: str | None = None


_DOT_THOUSANDS_COMMA_DEC = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+,\d+$|^[-+]?\d{1,3}(\.\d{3}){2,}$")
_COMMA_THOUSANDS_DOT_DEC = re.compile(r"^[-+]?\d{1,3}(,\d{3})+\.\d+$|^[-+]?\d{1,3}(,\d{3}){2,}$")
_COMMA_DECIMAL = re.compile(r"^[-+]?\d*,\d+$")
_COMMA_DECIMAL_STRICT = re.compile(r"^[-+]?\d*,(\d{1,2}|\d{4,})$")
_AMBIGUOUS_COMMA = re.compile(r"^[-+]?\d{1,3},\d{3}$")


def detect_number_format(cells: list[str], delimiter: str) -> NumberFormat:
    """Detect the decimal mark and thousands separator from sample value cells.

    Parameters
    ----------
    cells : list of str
        Stripped cells from the candidate value columns.
    delimiter : str
        The field delimiter (a ``,`` delimiter rules out decimal commas in unquoted cells).

    Returns
    -------
    NumberFormat
    """
    dot_thousands = sum(bool(_DOT_THOUSANDS_COMMA_DEC.match(c)) for c in cells)
    comma_thousands = sum(bool(_COMMA_THOUSANDS_DOT_DEC.match(c)) for c in cells)
    comma_decimal = sum(bool(_COMMA_DECIMAL_STRICT.match(c)) for c in cells)
    ambiguous = sum(bool(_AMBIGUOUS_COMMA.match(c)) for c in cells)
    if dot_thousands > comma_thousands:
        return NumberFormat(decimal=",", thousands=".")
    if comma_thousands > 0:
        return NumberFormat(decimal=".", thousands=",")
    if comma_decimal > 0:
        return NumberFormat(decimal=",", thousands=None)
    if ambiguous > 0:
        # "1,234": European files (";" or tab separated) write decimals this way
        if delimiter in {";", "\t", "|"}:
            return NumberFormat(decimal=",", thousands=None)
        return NumberFormat(decimal=".", thousands=",")
    return NumberFormat()


_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_STRIP = re.compile(r"[\s\u00a0\u202f'%$€£]")


def parse_numbers(cells: pd.Series, fmt: NumberFormat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse text cells as floats in the given number format.

    Parameters
    ----------
    cells : Series of str, shape (n,)
        Raw cells.
    fmt : NumberFormat
        Decimal mark and thousands separator.

    Returns
    -------
    values : ndarray of float64, shape (n,)
        Parsed numbers, NaN where missing or unparseable.
    missing : ndarray of bool, shape (n,)
        Cells that are a missing-value marker (``""``, ``n/a``, ``NA``...).
    bad : ndarray of bool, shape (n,)
        Cells that are neither a number nor a missing marker.
    """
    text = cells.astype(str).str.strip()
    if fmt == NumberFormat():  # fast path: plain numbers need no regex
        fast = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        if not np.isnan(fast).any():
            fast[~np.isfinite(fast)] = np.nan
            none = np.zeros(len(text), dtype=bool)
            return fast, none, none.copy()
    missing = text.str.lower().isin(MISSING_TOKENS).to_numpy()
    cleaned = text.str.replace(_STRIP, "", regex=True)
    if fmt.thousands:
        cleaned = cleaned.str.replace(fmt.thousands, "", regex=False)
    if fmt.decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    ok = cleaned.str.match(_NUMBER).to_numpy() & ~missing
    values = np.full(len(text), np.nan)
    if ok.any():
        values[ok] = cleaned[ok].astype(float).to_numpy()
    bad = ~ok & ~missing
    values[~np.isfinite(values)] = np.nan
    return values, missing, bad


@dataclass(frozen=True)
class TimeParse:
    """Timestamps parsed from one column and how they were read."""

    values: pd.DatetimeIndex  # NaT where a cell could not be parsed
    kind: str  # "year", "quarter", "month", "datetime"
    dayfirst: bool | None
    freq: str | None  # exact frequency when the format implies it (years, quarters, months)

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


def _regex_parse(text: pd.Series, patterns: list[re.Pattern], build) -> pd.DatetimeIndex | None:
    sample = text.iloc[:: max(1, len(text) // 500)]
    if not any(sample.str.match(p).mean() >= 0.3 for p in patterns):
        return None  # cheap rejection before the full extraction
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    matched = np.zeros(len(text), dtype=bool)
    for pattern in patterns:
        parts = text.str.extract(pattern)
        hit = parts.notna().all(axis=1).to_numpy() & ~matched
        if hit.any():
            out[hit] = build(parts[hit])
            matched |= hit
    if matched.mean() < 0.9:
        return None
    return pd.DatetimeIndex(out)


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


def _regularity(values: pd.DatetimeIndex) -> float:
    """Share of consecutive steps equal to the dominant one (1.0 = perfectly regular)."""
    clean = values.dropna()
    if len(clean) < 3:
        return 0.0
    diffs = np.diff(np.sort(clean.asi8))
    diffs = diffs[diffs > 0]
    if len(diffs) == 0:
        return 0.0
    _, counts = np.unique(diffs, return_counts=True)
    monotone = float(np.mean(np.diff(clean.asi8) >= 0))
    return counts.max() / len(diffs) + monotone


def parse_times(cells: pd.Series, *, allow_years: bool = True) -> TimeParse:
    """Parse a column of text as timestamps.

    Understands integer years (``1959``), quarters (``1959Q1``, ``1959-Q1``, ``Q1 1959``),
    months (``2001-03``, ``2001M03``), and anything ``pandas.to_datetime`` reads, choosing
    day-first or month-first for ``dd/mm/yyyy``-style dates from the values themselves (a first
    field above 12 means day-first) or, when every date is ambiguous, from which reading gives
    the more regular series.

    Parameters
    ----------
    cells : Series of str, shape (n,)
        Raw cells.
    allow_years : bool
        Whether bare four-digit integers may be read as years.

    Returns
    -------
    TimeParse
    """
    text = cells.astype(str).str.strip()
    nonempty = text[text != ""]
    if len(nonempty) == 0:
        return TimeParse(pd.DatetimeIndex([pd.NaT] * len(text)), "datetime", None, None)
    sample = nonempty.iloc[:: max(1, len(nonempty) // 500)]
    if (
        allow_years
        and sample.str.match(_YEAR).mean() >= 0.9
        and nonempty.str.match(_YEAR).mean() >= 0.9
    ):
        years = pd.to_numeric(text.where(text.str.match(_YEAR)), errors="coerce")
        years = years.fillna(-1).astype(int)
        out = _assemble(years, pd.Series(1, index=years.index))
        return TimeParse(pd.DatetimeIndex(out), "year", None, "YS")
    quarters = _regex_parse(text, _QUARTER, _build_quarter)
    if quarters is not None:
        return TimeParse(quarters, "quarter", None, "QS-OCT")
    months = _regex_parse(text, _MONTH, _build_month)
    if months is not None:
        return TimeParse(months, "month", None, "MS")
    if sample.str.match(r"^[-+]?\d+(\.\d+)?$").mean() > 0.5:
        # plain numbers (other than years) are values, not dates
        return TimeParse(pd.DatetimeIndex([pd.NaT] * len(text)), "datetime", None, None)
    numeric = (
        nonempty.str.extract(_NUMERIC_DATE)
        if sample.str.match(_NUMERIC_DATE).mean() >= 0.9
        else None
    )
    dayfirst: bool | None = None
    if numeric is not None and numeric.notna().all(axis=1).mean() >= 0.9:
        first = pd.to_numeric(numeric[0], errors="coerce")
        second = pd.to_numeric(numeric[1], errors="coerce")
        if (first > 12).any():
            dayfirst = True
        elif (second > 12).any():
            dayfirst = False
        else:
            readings = {flag: _to_datetime(text, dayfirst=flag) for flag in (True, False)}
            dayfirst = _regularity(readings[True]) > _regularity(readings[False])
            return TimeParse(readings[dayfirst], "datetime", dayfirst, None)
    values = _to_datetime(text, dayfirst=bool(dayfirst))
    return TimeParse(values, "datetime", dayfirst, None)


def _to_datetime(text: pd.Series, *, dayfirst: bool) -> pd.DatetimeIndex:
    """``pd.to_datetime`` with format inference, tolerant to a few bad cells, tz dropped."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = None
            first = next((v for v in text if v), None)
            fmt = guess_datetime_format(first, dayfirst=dayfirst) if first else None
            if fmt:  # fast path: one format for the whole column
                parsed = pd.to_datetime(text, errors="coerce", format=fmt)
                if parsed.isna().mean() > 0.1 + (text == "").mean():
                    parsed = None
            if parsed is None:
                parsed = pd.to_datetime(text, errors="coerce", dayfirst=dayfirst, format="mixed")
        except (ValueError, TypeError, OverflowError):
            return pd.DatetimeIndex([pd.NaT] * len(text))
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        elif parsed.dtype == object:
            try:
                parsed = pd.to_datetime(parsed, errors="coerce", utc=True).dt.tz_localize(None)
            except (ValueError, TypeError):
                return pd.DatetimeIndex([pd.NaT] * len(text))
    return pd.DatetimeIndex(parsed).as_unit("ns")


def read_table(text: str, delimiter: str) -> pd.DataFrame:
    """Split CSV text into a frame of stripped strings, keeping every cell as text.

    Parameters
    ----------
    text : str
        Decoded file.
    delimiter : str
        Field delimiter.

    Returns
    -------
    DataFrame of str
        Header row taken as column names; short rows padded with ``""``; the index holds each
        row's line number in the file (1-based), for error messages.

    Raises
    ------
    DataError
        If the text cannot be split into fields consistently.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows, line_numbers = [], []
    try:
        for row in reader:
            if row and (len(row) > 1 or row[0].strip()):
                rows.append(row)
                line_numbers.append(reader.line_num)
    except csv.Error as exc:
        raise DataError(
            f"Line {reader.line_num}: the CSV text cannot be split into fields ({exc}). "
            "Check the quoting."
        ) from exc
    if not rows:
        raise DataError("The file is empty: it has no rows. Upload a CSV with a header and data.")
    width = max(len(r) for r in rows)
    header = [c.strip() for c in rows[0]] + [""] * (width - len(rows[0]))
    body = [r if len(r) == width else r + [""] * (width - len(r)) for r in rows[1:]]
    names: list[str] = []
    for i, name in enumerate(header):
        base = name or f"Unnamed: {i}"
        candidate, k = base, 1
        while candidate in names:
            k += 1
            candidate = f"{base}.{k}"
        names.append(candidate)
    table = pd.DataFrame(body, columns=names, dtype=object)
    for name in names:  # strip per column (vectorised), not per cell
        table[name] = table[name].str.strip()
    table.index = pd.Index(line_numbers[1:], name="line")
    return table
