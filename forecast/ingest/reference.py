"""Switch :func:`~forecast.ingest.reader.read_csv` to its reference paths, to check the fast ones.

The fast paths (pandas' C tokenizer for the table, each distinct timestamp parsed once, ``dd/mm``
orders inferred on a sample and confirmed by one strict parse, the grid laid in one vectorised
pass) must give the frame and report the reference paths give: cell by cell with the ``csv``
module, every cell through the regular expressions, a grid per series. The tests compare them
on the CSV corpus; ``benchmarks/ingest.py --reference`` times the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import forecast.ingest.dates as dates
import forecast.ingest.parsing as parsing
import forecast.ingest.regular_grid as regular_grid
import forecast.ingest.table as table

__all__ = ["reference_paths"]

_MODULES = (dates, parsing, regular_grid, table)


@contextmanager
def reference_paths() -> Iterator[None]:
    """Within the block, read with the reference paths only (not thread-safe: tests, benchmarks).

    Examples
    --------
    >>> from forecast.ingest.reader import read_csv
    >>> with reference_paths():
    ...     df, _ = read_csv(b"month,y\\n2020-01,1\\n2020-02,2\\n2020-03,3\\n")
    >>> df["y"].tolist()
    [1.0, 2.0, 3.0]
    """
    saved = [m.FAST for m in _MODULES]
    for m in _MODULES:
        m.FAST = False
    try:
        yield
    finally:
        for m, flag in zip(_MODULES, saved, strict=True):
            m.FAST = flag
