"""Split CSV text into a table of stripped cell strings, and read its columns of plain numbers.

:func:`read_table` gives the cells of every row as text (a row per line of the file, the line
number as the index, blank rows dropped), whatever the cells hold; :func:`read_table_numbers`
gives, beside it, the columns pyarrow reads as floats whole. pyarrow's CSV reader splits ASCII
text, pandas' C tokenizer the rest, the ``csv`` module what neither can (a quoted cell spanning
lines, a row wider than the header). :mod:`forecast.ingest.parsing` re-exports both functions.
"""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from forecast.errors import DataError

__all__ = ["read_table", "read_table_numbers"]

#: Use the vectorised readers (pyarrow, pandas' C tokenizer, stripping only when a cell can need
#: it, the float columns). The reference reader (the ``csv`` module, row by row) stays, for the
#: tests that prove both give the same table.
FAST = True


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
        :func:`forecast.ingest.parsing.parse_numbers` as ``floats``. Empty where the table is not split by pyarrow
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
    is left to :func:`~forecast.ingest.parsing.parse_numbers`' reading of the text, which says what the cells are.
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
