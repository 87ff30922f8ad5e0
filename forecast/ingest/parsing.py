"""Low-level text parsing for CSV ingestion: bytes to text, delimiters, table cells and numbers.

Each function inspects raw strings and says what it found; :mod:`forecast.ingest.reader` decides what to
do with it. Nothing here reads files. Timestamps are read by :mod:`forecast.ingest.dates`
(:func:`~forecast.ingest.dates.parse_times` and :class:`~forecast.ingest.dates.TimeParse` are re-exported here
for existing callers).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.ingest.dates import TimeParse, parse_times

__all__ = [
    "MISSING_TOKENS",
    "NumberFormat",
    "TimeParse",
    "decode",
    "detect_number_format",
    "parse_numbers",
    "parse_times",
    "read_table",
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
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:  # a field over csv's limit when split this way: not this delimiter
            continue
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
            if row and (row[0].strip() or any(c.strip() for c in row[1:])):  # skip ",,,,"
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
