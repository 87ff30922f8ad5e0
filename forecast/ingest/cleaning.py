"""Table-level cleaning before the columns are chosen: what a spreadsheet export adds around the data.

Each function takes the table of stripped cell strings (as
:func:`forecast.ingest.parsing.read_table` gives it) and the :class:`~forecast.ingest.report.CsvReport`,
drops what is not an observation — a leading index column, empty columns, ``Total`` rows, a
units row under the header, footer notes, rows without a date — and says so in the report.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forecast.ingest.parsing import NumberFormat, parse_numbers
from forecast.ingest.report import CsvReport

__all__ = [
    "SUMMARY_LABELS",
    "drop_empty_columns",
    "drop_index_column",
    "drop_summary_rows",
    "drop_units_and_footer",
    "report_undated_rows",
]


def drop_index_column(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    """Drop a leading unnamed column of row numbers (what ``DataFrame.to_csv`` writes)."""
    first = table.columns[0]
    if len(table.columns) < 2 or not (first.startswith("Unnamed") or first in {"", "index"}):
        return table
    numbers = pd.to_numeric(table[first], errors="coerce")
    if numbers.notna().all() and (np.diff(numbers.to_numpy()) == 1).all():
        report.repairs.append(f"Dropped the leading unnamed index column '{first}'.")
        return table.drop(columns=first)
    return table


#: First-cell labels of a spreadsheet's summary rows (compared in lower case, stripped).
SUMMARY_LABELS = frozenset(
    {
        "total",
        "totals",
        "total:",
        "grand total",
        "subtotal",
        "sub-total",
        "sum",
        "summe",
        "gesamt",
        "gesamtsumme",
        "totaal",
        "totale",
        "average",
        "mean",
        "avg",
    }
)


def _spellings(word: str) -> set[str]:
    """Every upper/lower-case spelling of ``word`` (``total``: ``Total``, ``TOTAL``, ``toTal`` …)."""
    from itertools import product

    return {"".join(chars) for chars in product(*({c.lower(), c.upper()} for c in word))}


#: Every case spelling of :data:`SUMMARY_LABELS` (about 4,000 strings).
_SUMMARY_SPELLINGS = frozenset(s for label in SUMMARY_LABELS for s in _spellings(label))


def drop_summary_rows(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    """Drop a spreadsheet's ``Total`` (or ``Average``) rows: one or two rows whose first cell says so.

    More than two such rows are data (a series named "Total" in a long file) and are kept.
    """
    first = table.iloc[:, 0]
    hit = first.isin(_SUMMARY_SPELLINGS).to_numpy()  # a hash look-up, not a lower() per cell
    if not hit.any() or hit.sum() > 2 or hit.all():
        return table
    for line, label in zip(table.index[hit], first[hit], strict=True):
        report.repairs.append(
            f"Dropped the summary row '{label}' (line {line}): a total is not an observation."
        )
    report.dropped_rows += int(hit.sum())
    return table.loc[~hit]


_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]{3}")


def drop_units_and_footer(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    """Drop a units row under the header and footer notes below the data, before detection.

    A units row (``, °C, mm``) is the first data row when none of its cells holds a digit; a
    footer is a trailing row with a single non-empty cell of words (``Source: ledger, 2021``).
    Neither is an observation, and in a short file they would hide the time column.
    """
    if len(table) < 2 or len(table.columns) < 2:
        return table
    keep = np.ones(len(table), dtype=bool)
    first = [str(c) for c in table.iloc[0] if c]
    if first and not any(_DIGIT.search(c) for c in first):
        keep[0] = False
        report.repairs.append(
            f"Dropped the units row under the header (line {table.index[0]}: "
            f"{', '.join(first[:4])})."
        )
    footer = []
    for pos in range(len(table) - 1, 0, -1):
        cells = [str(c) for c in table.iloc[pos] if c]
        if len(cells) != 1 or not _WORD.search(cells[0]):
            break
        footer.append(pos)
    if footer and len(footer) < keep.sum():
        keep[footer] = False
        start = min(footer)
        text = next(str(c) for c in table.iloc[start] if c)
        report.repairs.append(
            f"Dropped {len(footer)} row{'s' if len(footer) > 1 else ''} after the data "
            f"(from line {table.index[start]}: '{text[:60]}'): a footer, not observations."
        )
    report.dropped_rows += int((~keep).sum())
    return table if keep.all() else table.loc[keep]


def report_undated_rows(
    table: pd.DataFrame, no_time: np.ndarray, time_name: str, values: list[str], report: CsvReport
) -> None:
    """Say which rows without a date are dropped: a units row, a footer, or others."""
    where = np.flatnonzero(no_time)
    report.dropped_rows += len(where)
    cells = [c for c in values if c in table.columns]
    if where[0] == 0 and cells:  # right under the header: units (°C, mm, EUR) or notes
        row = table.iloc[0]
        units = [str(row[c]) for c in cells if row[c]]
        fmt = NumberFormat(report.decimal, report.thousands)
        numbers, _, _ = parse_numbers(row[cells].astype(str), fmt)
        if units and not np.isfinite(numbers).any():
            report.repairs.append(
                f"Dropped the units row under the header (line {table.index[0]}: "
                f"{', '.join(units[:4])})."
            )
            where = where[1:]
    dated = np.flatnonzero(~no_time)
    if len(where) and len(dated) and where[-1] > dated[-1]:
        footer = where[where > dated[-1]]
        row = table.iloc[footer[0]]
        text = next((str(v) for v in row if v), "")
        report.repairs.append(
            f"Dropped {len(footer)} row{'s' if len(footer) > 1 else ''} after the data "
            f"(from line {table.index[footer[0]]}: '{text[:60]}'): a footer, not observations."
        )
        where = where[where <= dated[-1]]
    if len(where):
        row = int(where[0])
        report.repairs.append(
            f"Dropped {len(where)} rows whose '{time_name}' is not a date "
            f"(first: line {table.index[row]}, '{table[time_name].iloc[row]}')."
        )


def drop_empty_columns(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    """Drop the columns whose every cell is empty (trailing delimiters), unless all are.

    A column is looked at in full only when its first cell is empty, so a column of data
    costs one cell.
    """
    empty = [c for c in table.columns if _all_empty(table[c])]
    if not empty or len(empty) == len(table.columns):
        return table
    shown = ", ".join(f"'{c}'" for c in empty[:4]) + (", …" if len(empty) > 4 else "")
    report.repairs.append(f"Dropped {len(empty)} empty columns ({shown}).")
    return table.drop(columns=empty)


def _all_empty(cells: pd.Series) -> bool:
    """Whether every cell is ``""`` (the table's cells are stripped strings)."""
    return len(cells) == 0 or (cells.iloc[0] == "" and bool((cells == "").all()))
