"""Low-level text parsing for CSV ingestion: bytes to text, delimiters and numbers.

Each function inspects raw strings and says what it found; :mod:`forecast.ingest.reader` decides
what to do with it. Nothing here reads files. The table of cells is split by
:mod:`forecast.ingest.table` and timestamps are read by :mod:`forecast.ingest.dates`
(:func:`~forecast.ingest.table.read_table`, :func:`~forecast.ingest.table.read_table_numbers`,
:func:`~forecast.ingest.dates.parse_times` and :class:`~forecast.ingest.dates.TimeParse` are
re-exported here for existing callers).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.ingest.dates import TimeParse, parse_times
from forecast.ingest.table import read_table, read_table_numbers

__all__ = [
    "MISSING_TOKENS",
    "NumberFormat",
    "TimeParse",
    "decode",
    "detect_number_format",
    "parse_numbers",
    "parse_times",
    "read_table",
    "read_table_numbers",
    "sniff_delimiter",
]

#: Cell texts read as a missing value (compared in lower case, stripped).
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", ".", "#n/a", "missing", "nil", "n.a."}
)

_DELIMITERS = ["\t", ";", "|", ","]

#: Use the vectorised paths (a column's floats from the table reader, plain numbers and plain
#: decimal-comma numbers in one call). The reference paths they replace stay, for the tests that
#: prove both give the same frame.
FAST = True


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
    if "\r" not in text:  # one scan; the replacements copy the whole text
        return text, encoding
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


def parse_numbers(
    cells: pd.Series,
    fmt: NumberFormat,
    *,
    stripped: bool = False,
    floats: pd.Series | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Parse text cells as floats in the given number format.

    Parameters
    ----------
    cells : Series of str, shape (n,)
        Raw cells.
    fmt : NumberFormat
        Decimal mark and thousands separator.
    stripped : bool
        The cells are already stripped strings (as :func:`read_table` gives them).
    floats : Series of float64, optional
        The column read as numbers by the table reader (:func:`read_table_numbers`), indexed by
        line like the table: taken as the answer, without parsing the text, when the format is
        plain and it covers the cells' lines (it exists only when every cell of the column is a
        finite plain number or empty; NaN marks the empty ones, missing values).

    Returns
    -------
    values : ndarray of float64, shape (n,)
        Parsed numbers, NaN where missing or unparseable.
    missing : ndarray of bool, shape (n,)
        Cells that are a missing-value marker (``""``, ``n/a``, ``NA``...).
    bad : ndarray of bool, shape (n,)
        Cells that are neither a number nor a missing marker.
    """
    if floats is not None and FAST and fmt == NumberFormat():
        known = _lines_of(floats, cells.index)
        if known is not None:  # NaN where a cell is empty: a missing value
            return known, np.isnan(known), np.zeros(len(cells), dtype=bool)
    text = cells if stripped else cells.astype(str).str.strip()
    if fmt == NumberFormat():  # fast path: plain numbers need no regex
        fast = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
        if not np.isnan(fast).any():
            fast = _as_float(text, fast)
            fast[~np.isfinite(fast)] = np.nan
            none = np.zeros(len(text), dtype=bool)
            return fast, none, none.copy()
        plain = np.isfinite(fast)
        if FAST and plain.mean() > 0.5:
            # the plain numbers as float() reads them (what the full path below gives them);
            # the full path only for the other cells (missing markers, units, text)
            values, missing, bad = _parse_cells(text[~plain], fmt)
            out = np.empty(len(text))
            out[plain] = text.to_numpy()[plain].astype(float)
            out[~plain] = values
            full_missing = np.zeros(len(text), dtype=bool)
            full_missing[~plain] = missing
            full_bad = np.zeros(len(text), dtype=bool)
            full_bad[~plain] = bad
            out[~np.isfinite(out)] = np.nan
            return out, full_missing, full_bad
    elif FAST and fmt == NumberFormat(decimal=","):  # fast path: plain decimal-comma numbers
        fast = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
        fast = fast.to_numpy(dtype=float)
        if np.isfinite(fast).all():
            none = np.zeros(len(text), dtype=bool)
            return fast, none, none.copy()
    return _parse_cells(text, fmt)


def _as_float(text: pd.Series, checked: np.ndarray) -> np.ndarray:
    """The cells as ``float()`` reads them (correctly rounded, like every other path here and
    the table reader's float cast; ``pd.to_numeric``, which ``checked`` holds, can be a unit
    in the last place off for 17 significant digits)."""
    try:
        return text.to_numpy().astype(np.float64)
    except (TypeError, ValueError):  # pragma: no cover - to_numeric read every cell
        return checked


def _lines_of(floats: pd.Series, lines: pd.Index) -> np.ndarray | None:
    """``floats`` at ``lines`` (a table's index: line numbers, in file order), None where one
    is not in it."""
    at = floats.index.to_numpy()
    want = lines.to_numpy()
    if len(at) == len(want) and np.array_equal(at, want):
        return floats.to_numpy()
    pos = np.searchsorted(at, want)
    if (pos >= len(at)).any() or (at[pos] != want).any():
        return None
    return floats.to_numpy()[pos]


def _parse_cells(text: pd.Series, fmt: NumberFormat) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The full path of :func:`parse_numbers`: missing markers, units and separators cell by cell."""
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
