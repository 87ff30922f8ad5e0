"""How wide and how many: the limits on one file's columns and series, checked before the work.

A file of 20,000 value columns is 20,000 series, each diagnosed, plotted and listed; a long
file of a million ids likewise. Such files are refused with a message saying how many there are
and what to do, as early as they can be counted: the header's columns before the file is split
into a table (and at upload, from the first bytes), the series once the ids are known.
"""

from __future__ import annotations

from forecast.errors import DataError

__all__ = ["MAX_COLUMNS", "MAX_SERIES", "check_columns", "check_header", "check_series"]

#: Most columns of a file (a time column, an id column and value columns).
MAX_COLUMNS = 2_000
#: Most series in one file (value columns of a wide file, ids of a long one). 10,000 monthly
#: series of 60 points (a 17 MB long file keyed by two columns) read in 2.1 CPU s and give the
#: Data page a 1.7 MB table of series (`benchmarks/ingest.py --keyed 10000`).
MAX_SERIES = 10_000


#: The delimiters a file may use (as :func:`forecast.ingest.parsing.sniff_delimiter` knows).
_DELIMITERS = (",", ";", "\t", "|")


def check_header(header: str, where: str = "The file") -> None:
    """Refuse a header line of more than :data:`MAX_COLUMNS` fields, before anything splits it.

    Counts the fields for each possible delimiter and takes the most (a plain count: no CSV
    parser is run on a line that may be megabytes long).

    Raises
    ------
    DataError
        As :func:`check_columns`.

    Examples
    --------
    >>> check_header("month,a,b")
    """
    check_columns(max(header.count(d) for d in _DELIMITERS) + 1, where)


def check_columns(n_columns: int, where: str = "The file") -> None:
    """Refuse a file of more than :data:`MAX_COLUMNS` columns.

    Raises
    ------
    DataError
        Saying how many, the most, and to use a long file (time, id, value) instead.

    Examples
    --------
    >>> check_columns(3)
    """
    if n_columns > MAX_COLUMNS:
        raise DataError(
            f"{where} has {n_columns:,} columns: at most {MAX_COLUMNS - 1:,} value columns; use "
            "a long file (one row per time and series: time, id, value columns)."
        )


def check_series(n_series: int, where: str = "The file") -> None:
    """Refuse a file of more than :data:`MAX_SERIES` series.

    Raises
    ------
    DataError
        Saying how many, the most, and to split the file.
    """
    if n_series > MAX_SERIES:
        raise DataError(
            f"{where} holds {n_series:,} series: at most {MAX_SERIES:,} in one file; split it "
            "into several files (or choose fewer value columns)."
        )
