"""One page of a table, filtered and sorted on the server with a Dash DataTable's query syntax.

The Results page's per-series table stays quick with 10,000 series and more by sending the
browser one page at a time: :func:`table_page` filters (``filter_query``), sorts (``sort_by``)
and slices a frame (``benchmarks/series_table.py`` times it).
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["filter_frame", "table_page"]

_OPERATORS = [
    (">=", "ge"),
    ("<=", "le"),
    ("!=", "ne"),
    (">", "gt"),
    ("<", "lt"),
    ("=", "eq"),
    ("contains", "contains"),
    ("datestartswith", "contains"),
]
_TERM = re.compile(
    r"^\s*\{(?P<col>[^}]+)\}\s*(?P<op>[si]?(?:>=|<=|!=|=|>|<|contains|datestartswith|"
    r"eq|ne|gt|ge|lt|le))\s*(?P<value>.*?)\s*$"
)


def filter_frame(frame: pd.DataFrame, query: str | None) -> pd.DataFrame:
    """Rows of ``frame`` matching a DataTable ``filter_query`` (terms joined by ``&&``).

    Numbers compare numerically, text case-insensitively (``contains`` as a substring); a term
    on an unknown column or an unreadable term is ignored.
    """
    if not query:
        return frame
    mask = pd.Series(True, index=frame.index)
    for term in query.split(" && "):
        match = _TERM.match(term)
        if not match or match["col"] not in frame.columns:
            continue
        col, value = frame[match["col"]], match["value"].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
            value = value[1:-1]
        op = match["op"].lstrip("si") if match["op"][:1] in "si" else match["op"]
        op = dict(_OPERATORS).get(op, op)
        if op == "contains":
            mask &= col.astype(str).str.contains(value, case=False, regex=False, na=False)
            continue
        number = pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]
        if pd.api.types.is_numeric_dtype(col) and pd.notna(number):
            left, right = col.astype(float), float(number)
        else:
            left, right = col.astype(str).str.lower(), value.lower()
        mask &= {
            "eq": left == right,
            "ne": left != right,
            "gt": left > right,
            "ge": left >= right,
            "lt": left < right,
            "le": left <= right,
        }[op]
    return frame[mask]


def table_page(
    frame: pd.DataFrame,
    page: int = 0,
    page_size: int = 15,
    sort_by: list[dict] | None = None,
    query: str | None = None,
) -> tuple[pd.DataFrame, int, int]:
    """One page of ``frame`` after filtering and sorting (what a server-paged table shows).

    Parameters
    ----------
    frame : DataFrame
    page : int
        Page number from 0 (a page past the end gives the last).
    page_size : int
        Rows per page.
    sort_by : list of dict, optional
        ``[{"column_id", "direction": "asc" | "desc"}, ...]`` (a DataTable's ``sort_by``);
        missing values last.
    query : str, optional
        A DataTable ``filter_query`` (:func:`filter_frame`).

    Returns
    -------
    (DataFrame, int, int)
        The page's rows, the number of pages (at least 1), the rows after filtering.
    """
    shown = filter_frame(frame, query)
    if sort_by:
        shown = shown.sort_values(
            [s["column_id"] for s in sort_by],
            ascending=[s["direction"] == "asc" for s in sort_by],
            na_position="last",
            kind="stable",
        )
    rows = len(shown)
    pages = max(1, -(-rows // page_size))
    page = min(max(int(page or 0), 0), pages - 1)
    return shown.iloc[page * page_size : (page + 1) * page_size], pages, rows
