"""CSV files for people: no cell that a spreadsheet would run as a formula.

A CSV written by the product may carry text that came from someone else's upload (series ids
from a header, column names, file names). Opened in a spreadsheet, a cell such as
``=HYPERLINK("http://evil.example", "click")``, ``@SUM(1+1)`` or ``+cmd|' /C calc'!A0`` is read
as a formula and run. :func:`neutralise_formulas` applies the OWASP rule to every text cell: a
cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
single quote, which spreadsheets read as "this is text" and do not show. Numbers stay numbers:
numeric columns are untouched, and so is text that is a plain decimal number (``-1.5``, which a
spreadsheet reads as that number, not as a formula). A text cell that already starts with a
quote gets a second one, so :func:`restore_formulas` gives back the original text exactly.

:func:`to_csv_for_people` is the one way the product writes a CSV meant to be opened by a person
(``forecast run --out``, ``forecast predict``, the job's downloads, the dashboard's and the
API's downloads).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_TRIGGERS",
    "neutralise_formulas",
    "neutralise_text",
    "restore_formulas",
    "to_csv_for_people",
]

#: First characters that make a spreadsheet read a cell as a formula (OWASP's list).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Text that a spreadsheet reads as a plain number: safe as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_QUOTE = "'"


def neutralise_text(cell: Any) -> Any:
    """One cell, neutralised: a ``str`` starting with a trigger (or a quote) gets a leading quote.

    Examples
    --------
    >>> neutralise_text("=1+1"), neutralise_text("-1.5"), neutralise_text("air"), neutralise_text(3)
    ("'=1+1", '-1.5', 'air', 3)
    """
    if not isinstance(cell, str) or not cell:
        return cell
    if cell.startswith(_QUOTE) or (
        cell.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(cell)
    ):
        return _QUOTE + cell
    return cell


def _text_columns(frame: pd.DataFrame) -> list:
    return [
        col
        for col, dtype in frame.dtypes.items()
        if pd.api.types.is_object_dtype(dtype)
        or isinstance(dtype, (pd.StringDtype, pd.CategoricalDtype))
    ]


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot be read as formulas.

    Parameters
    ----------
    frame : DataFrame
        Any frame, shape (n, k).

    Returns
    -------
    DataFrame
        Same shape, index and dtypes for numeric and datetime columns (untouched); text cells
        (object, string or categorical columns) and text column names neutralised by
        :func:`neutralise_text`.

    Examples
    --------
    >>> neutralise_formulas(pd.DataFrame({"unique_id": ["=A1", "b"], "y": [-1.0, 2.0]}))
      unique_id    y
    0      '=A1 -1.0
    1         b  2.0
    """
    out = frame.copy()
    for col in _text_columns(frame):
        series = frame[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype(object)
        out[col] = series.map(neutralise_text, na_action="ignore")
    out.columns = [neutralise_text(c) for c in frame.columns]
    return out


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_formulas` on a frame read back from such a CSV (text cells)."""
    out = frame.copy()

    def restore(cell: Any) -> Any:
        return cell[1:] if isinstance(cell, str) and cell.startswith(_QUOTE) else cell

    for col in _text_columns(frame):
        out[col] = frame[col].astype(object).map(restore, na_action="ignore")
    out.columns = [restore(c) for c in frame.columns]
    return out


def to_csv_for_people(frame: pd.DataFrame, path_or_buffer: Any = None, **to_csv_kwargs: Any):
    """``frame.to_csv(path_or_buffer, **to_csv_kwargs)`` after :func:`neutralise_formulas`.

    Parameters
    ----------
    frame : DataFrame
        What to write.
    path_or_buffer : str, Path, file-like or None
        Where (None: return the text, as :meth:`DataFrame.to_csv` does).
    **to_csv_kwargs
        Passed to :meth:`DataFrame.to_csv` (e.g. ``index=False``).

    Returns
    -------
    str or None
        The CSV text when ``path_or_buffer`` is None.
    """
    return neutralise_formulas(frame).to_csv(path_or_buffer, **to_csv_kwargs)
