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
    "read_table_numbers",
    "sniff_delimiter",
]

#: Cell texts read as a missing value (compared in lower case, stripped).
MISSING_TOKENS = frozenset(
    {"", "na", "n/a", "nan", "null", "none", "-", "--", "?", ".", "#n/a", "missing", "nil", "n.a."}
)

_DELIMITERS = ["\t", ";", "|", ","]

#: Use the vectorised paths (pandas' C tokenizer, stripping only when a cell can need it, plain
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


def read_table(text: str, delimiter: str) -> pd.DataFrame:
    """Split CSV text into a frame of stripped strings, keeping every cell as text.

    :func:`read_table_numbers` gives the same table and, beside it, the columns that read as
    numbers.

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
    return read_table_numbers(text, delimiter)[0]


def read_table_numbers(text: str, delimiter: str) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """:func:`read_table`, and the columns of plain numbers (and blanks), as floats.

    Parameters
    ----------
    text : str
        Decoded file.
    delimiter : str
        Field delimiter.

    Returns
    -------
    table : DataFrame of str
        What :func:`read_table` returns.
    floats : dict of str to Series of float64
        Per column whose cells pyarrow casts to ``float64`` (every cell a finite number written
        plainly, ``-1.5``, ``2e-3``, or empty; no other missing marker, unit or separator), its
        numbers indexed like ``table``, NaN where a cell is empty; pass one to
        :func:`parse_numbers` as ``floats``. Empty where the table is not split by pyarrow
        (text other than ASCII, a reference path).

    Raises
    ------
    DataError
        If the text cannot be split into fields consistently.
    """
    if FAST:
        read = _read_table_arrow(text, delimiter) if text.isascii() else None
        if read is not None:
            return read
        strip, may_be_blank = _edges(text, delimiter)
        table = _read_table_c(text, delimiter, strip, may_be_blank)
        if table is not None:
            return table, {}
    return _read_table_reference(text, delimiter), {}


def _read_table_arrow(
    text: str, delimiter: str
) -> tuple[pd.DataFrame, dict[str, pd.Series]] | None:
    """:func:`read_table_numbers` of ASCII text by pyarrow's CSV reader on one thread (quotes
    doubled inside quoted cells, as the ``csv`` module reads them). None where pyarrow is
    missing, a row is not of the header's width, or a quoted cell spans lines: pandas' reader
    takes those. The cells are stripped and blank rows found on arrow, before any cell
    becomes a Python string."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pcsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    end = text.find("\n")
    first = text if end < 0 else text[:end]
    names = [f"f{i}" for i in range(first.count(delimiter) + 1)]
    quoted = '"' in text
    try:
        data = pcsv.read_csv(
            io.BytesIO(text.encode("ascii")),
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter,
                quote_char='"' if quoted else False,
                double_quote=True,
                escape_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if data.num_rows != n_lines or data.num_rows < 2:
        return None
    stripped = [_ascii_strip(c) for c in data.columns]
    blank = _blank_rows(stripped)
    columns = [pd.Series(c.to_numpy(zero_copy_only=False), dtype=object) for c in stripped]
    table = _table_of_columns(columns, False, False, blank=blank)
    if table is None:
        return None
    return table, _float_columns(stripped, table)


def _ascii_strip(column):
    """``str.strip`` of every cell of an arrow column of ASCII text (no copy when no cell has a
    space at its edge, which one look at each cell's first and last byte tells)."""
    import pyarrow.compute as pc

    space = np.zeros(256, dtype=bool)
    space[[ord(c) for c in _ASCII_SPACE + "\n\r"]] = True
    for chunk in column.chunks:
        starts, ends, data = _cell_bounds(chunk)
        full = ends > starts
        if space[data[starts[full]]].any() or space[data[ends[full] - 1]].any():
            return pc.ascii_trim(column, characters=_ASCII_SPACE + "\n\r")
    return column


def _cell_bounds(chunk) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end (byte offsets) of each cell of an arrow string array, and its bytes."""
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)[
        chunk.offset : chunk.offset + len(chunk) + 1
    ]
    data = chunk.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    return offsets[:-1], offsets[1:], data


def _blank_rows(columns) -> np.ndarray:
    """Rows whose every cell is empty, found on the (stripped) arrow columns' offsets."""
    blank = None
    for col in columns:
        empty = np.concatenate(
            [np.equal(*_cell_bounds(chunk)[:2]) for chunk in col.chunks] or [np.zeros(0, bool)]
        )
        blank = empty if blank is None else blank & empty
    return blank


def _float_columns(columns, table: pd.DataFrame) -> dict[str, pd.Series]:
    """The table's columns that pyarrow casts to float64, blanks aside, by column name.

    Every cell must be a finite plain number or empty (NaN in the result). A column with any
    other cell (``n/a``, ``1,5``, ``12 kg``, ``nan`` or ``inf`` spelled out) fails the cast and
    is left to :func:`parse_numbers`' reading of the text, which says what the cells are.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    lines = table.index.to_numpy()
    whole = len(lines) == len(columns[0]) - 1  # no blank row was dropped
    rows = None if whole else pa.array(lines - 1)
    out: dict[str, pd.Series] = {}
    for name, col in zip(table.columns, columns, strict=True):
        body = col.slice(1) if whole else col.take(rows)
        blank = pc.equal(pc.binary_length(body), 0)
        n_blank = pc.sum(blank).as_py() or 0
        if n_blank == len(body):
            continue
        if n_blank:
            body = pc.if_else(blank, pa.scalar(None, pa.string()), body)
        try:
            numbers = pc.cast(body, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        values = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
        if np.isfinite(values).sum() == len(values) - n_blank:
            out[name] = pd.Series(values, index=table.index, name=name)
    return out


def _column_names(header: list[str]) -> list[str]:
    """Column names from the stripped header cells: ``Unnamed: i`` for a blank, ``.2`` for a repeat."""
    names: list[str] = []
    for i, name in enumerate(header):
        base = name or f"Unnamed: {i}"
        candidate, k = base, 1
        while candidate in names:
            k += 1
            candidate = f"{base}.{k}"
        names.append(candidate)
    return names


def _frame_of_rows(header: list[str], body, line_numbers) -> pd.DataFrame:
    """The table from its header cells and body rows (all of the header's width), stripped."""
    names = _column_names(header)
    table = pd.DataFrame(body, columns=names, dtype=object)
    for name in names:  # strip per column (vectorised), not per cell
        table[name] = table[name].str.strip()
    table.index = pd.Index(line_numbers, name="line")
    return table


#: What ``str.strip`` removes among ASCII characters (besides the line break).
_ASCII_SPACE = " \t\x0b\x0c\x1c\x1d\x1e\x1f"


def _edges(text: str, delimiter: str) -> tuple[bool, bool]:
    """Whether a cell may start or end with white space, and whether a line may be blank.

    Looks at the characters beside every delimiter and line break at once (numpy over the
    text's bytes); anything but ASCII, or a quote, reads as "may" (the cells are then stripped
    and checked one by one).
    """
    if '"' in text or not text.isascii():
        return True, True
    data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    if len(data) == 0:
        return False, False
    space = np.zeros(256, dtype=bool)
    space[[ord(c) for c in _ASCII_SPACE if c != delimiter]] = True
    sep = np.zeros(256, dtype=bool)
    sep[[ord(delimiter), ord("\n")]] = True
    at = np.flatnonzero(sep[data])
    before = data[at[at > 0] - 1]
    after = data[at[at < len(data) - 1] + 1]
    strip = bool(space[data[0]] or space[data[-1]] or space[before].any() or space[after].any())
    breaks = at[data[at] == ord("\n")]
    breaks = breaks[breaks < len(data) - 1]
    blank = bool(sep[data[0]] or data[-1] == ord(delimiter) or sep[data[breaks + 1]].any())
    return strip, blank


def _read_table_c(
    text: str, delimiter: str, strip: bool, may_be_blank: bool
) -> pd.DataFrame | None:
    """:func:`read_table` by pandas' C tokenizer; None where it cannot give the same table.

    It gives up on rows wider than the first one and on quoted cells that span lines (where a
    row's line number is not its position); the reference reader handles both.
    """
    try:
        raw = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=object,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            quotechar='"',
            doublequote=True,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return None
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(raw) != n_lines:
        return None  # a quoted cell holds a line break (or a line was dropped)
    return _table_of_columns([raw[c] for c in raw.columns], strip, may_be_blank)


def _table_of_columns(
    raw: list[pd.Series], strip: bool, may_be_blank: bool, blank: np.ndarray | None = None
) -> pd.DataFrame | None:
    """The table from the split lines (one Series of cells per column, a row per line of the
    file, the header first): cells stripped, blank rows dropped, line numbers as the index.
    ``blank``: the blank rows when the caller found them already."""
    cells = [_strip(col) if strip else col for col in raw]
    n_rows = len(raw[0])
    if blank is None and (strip or may_be_blank):
        blank = np.ones(n_rows, dtype=bool)
        for col in cells:
            blank &= (col == "").to_numpy()
    elif blank is None:  # every line holds a character other than a delimiter: none is blank
        blank = np.zeros(n_rows, dtype=bool)
    if blank[0] or blank[1:].all():
        return None  # the table's width is the header's only when the header is the first line
    header = [str(col.iloc[0]).strip() for col in raw]
    names = _column_names(header)
    if blank.any():
        body = np.flatnonzero(~blank[1:]) + 1
        columns = {name: col.to_numpy()[body] for name, col in zip(names, cells, strict=True)}
    else:
        body = np.arange(1, n_rows)
        columns = {name: col.to_numpy()[1:] for name, col in zip(names, cells, strict=True)}
    table = pd.DataFrame(columns, dtype=object, copy=False)
    table.index = pd.Index(body + 1, name="line")
    return table


def _strip(cells: pd.Series) -> pd.Series:
    """``cells.str.strip()``, once per distinct cell when most cells repeat (keys, months)."""
    if len(cells) >= 2000:
        sample = cells.to_numpy()[np.random.default_rng(0).integers(0, len(cells), 1000)]
        if pd.unique(sample).size < 900:
            codes, uniques = pd.factorize(cells.to_numpy())
            stripped = np.array([u.strip() for u in uniques], dtype=object)
            return pd.Series(stripped[codes], index=cells.index, name=cells.name)
    return cells.str.strip()


def _read_table_reference(text: str, delimiter: str) -> pd.DataFrame:
    """:func:`read_table` by the ``csv`` module, row by row (the reference)."""
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
    return _frame_of_rows(header, body, line_numbers[1:])
