"""Which column of a CSV table is what: the timestamps, the values and the series id.

Each function looks at a table of raw cell strings (as :func:`forecast.ingest.parsing.read_table` returns
it) and says what it chose; :mod:`forecast.ingest.reader` records the choice in its report. Columns named by
the user are checked and used; the others are detected from their names and their cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.ingest.dates import TimeParse, parse_times
from forecast.ingest.parsing import NumberFormat, detect_number_format, parse_numbers

__all__ = ["ColumnChoice", "choose_time_column", "choose_value_columns"]

_TIME_NAME = re.compile(
    r"^(ds|date|dates|datetime|time|timestamp|period|month|year|week|quarter|day|"
    r"fecha|datum|data|jahr|date_time|obs|observation_date|index)$|date|time",
    re.IGNORECASE,
)
_ID_NAME = re.compile(
    r"^(unique_id|id|series|series_id|item|item_id|sku|store|name|key|group)$", re.I
)


def choose_time_column(
    table: pd.DataFrame, time_col: str | None, freq: str | None = None
) -> tuple[str, TimeParse]:
    """Choose the column of timestamps and parse it.

    Parameters
    ----------
    table : DataFrame
        Raw cell strings, one column per CSV column.
    time_col : str or None
        Column named by the user; detected when None: the column whose first 500 cells parse
        best as timestamps, preferring a date-like name (``date``, ``month``, ``ds`` ...) and then
        the leftmost column. Integer years count only in a date-like or the first column, or
        when they mostly step by one.
    freq : str, optional
        Offset alias asked for; settles dates that read both day-first and month-first.

    Returns
    -------
    name : str
        The time column.
    parsed : TimeParse
        Its cells parsed in full (NaT where a cell is not a timestamp).

    Raises
    ------
    DataError
        ``time_col`` is not in the table or does not hold dates, no column holds dates, or the
        time column mixes day-first and month-first dates.

    Examples
    --------
    >>> table = pd.DataFrame({"sales": ["1", "2"], "month": ["2020-01", "2020-02"]})
    >>> name, parsed = choose_time_column(table, None)
    >>> name, parsed.kind, parsed.freq
    ('month', 'month', 'MS')
    """
    if time_col is not None:
        if time_col not in table.columns:
            raise DataError(
                f"Time column '{time_col}' is not in the file; its columns are "
                f"{list(table.columns)}. Pick one of them."
            )
        parsed = parse_times(table[time_col], allow_years=True, freq=freq)
        if parsed.problem:
            raise DataError(parsed.problem)
        if parsed.success < 0.5:
            example = table[time_col].iloc[0]
            raise DataError(
                f"Column '{time_col}' does not hold dates (first value '{example}'); "
                "use a column with dates like 2001-03-31, 2001-03, 1959Q1 or 1959."
            )
        return time_col, parsed
    best = None
    head = table.iloc[:500]  # choose on the first rows, then parse the winner in full
    for position, name in enumerate(table.columns):
        hinted = bool(_TIME_NAME.search(name))
        parsed = parse_times(head[name], allow_years=hinted or position == 0)
        if parsed.success < 0.8:
            continue
        if parsed.kind == "year" and not hinted:
            years = parsed.values.dropna().year
            steps = np.diff(np.asarray(years))
            if len(steps) == 0 or (steps == 1).mean() < 0.5:
                continue
        score = (parsed.success, hinted, -position)
        if best is None or score > best[0]:
            best = (score, name, hinted or position == 0)
    if best is None:
        raise DataError(
            "No column holds dates: none of "
            f"{list(table.columns)} parses as timestamps. Add a date column "
            "(e.g. 2001-03-31, 2001-03, 1959Q1 or 1959) or name it with time_col."
        )
    parsed = parse_times(table[best[1]], allow_years=best[2], freq=freq)
    if parsed.problem:
        raise DataError(parsed.problem)
    return best[1], parsed


@dataclass
class ColumnChoice:
    """The value and id columns chosen by :func:`choose_value_columns`.

    Attributes
    ----------
    value_cols : list of str
        Columns read as values.
    id_col : str or None
        Series id column of a long file (None for a wide file).
    number_format : NumberFormat
        Decimal mark and thousands separator of the value cells.
    repairs : list of str
        Notable inferences (id column detected, columns ignored), in plain sentences.
    """

    value_cols: list[str]
    id_col: str | None
    number_format: NumberFormat
    repairs: list[str] = field(default_factory=list)


def choose_value_columns(
    table: pd.DataFrame,
    time_name: str,
    value_cols: list[str] | None,
    id_col: str | None,
    delimiter: str,
    drivers: list[str] | None = None,
) -> ColumnChoice:
    """Choose the value columns and the series id column, and how their numbers are written.

    Parameters
    ----------
    table : DataFrame
        Raw cell strings, one column per CSV column.
    time_name : str
        The time column (from :func:`choose_time_column`).
    value_cols : list of str or None
        Value columns named by the user; when None, every column (but the time and id columns)
        whose first 2,000 present cells are mostly numbers.
    id_col : str or None
        Series id column named by the user; when None and timestamps repeat (a long file), the
        first text column, preferring an id-like name (``unique_id``, ``id``, ``series``,
        ``item`` ...), or failing any text column a numeric one with an id-like name.
    delimiter : str
        Field delimiter of the file (a comma delimiter rules out a decimal comma).
    drivers : list of str, optional
        Columns read as drivers: never value columns, and not reported as ignored.

    Returns
    -------
    ColumnChoice
        The value columns, the id column (None for a wide file), the number format and the
        inferences made.

    Raises
    ------
    DataError
        A named column is not in the table, or no column holds numbers.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"date": ["2020-01", "2020-01"], "store": ["a", "b"], "sales": ["1,5", "2,5"]}
    ... )
    >>> choice = choose_value_columns(table, "date", None, None, ";")
    >>> choice.value_cols, choice.id_col, choice.number_format.decimal
    (['sales'], 'store', ',')
    """
    others = [c for c in table.columns if c != time_name]
    for name in [*(value_cols or []), *([id_col] if id_col else [])]:
        if name not in table.columns:
            raise DataError(
                f"Column '{name}' is not in the file; its columns are {list(table.columns)}."
            )
    fmt = detect_number_format(
        [c for name in others for c in table[name].head(500) if c], delimiter
    )
    repairs: list[str] = []
    numeric: list[str] = []
    for name in others:
        _, missing, bad = parse_numbers(table[name].iloc[:2000], fmt)
        present = ~missing
        if present.sum() and (bad[present].mean() < 0.5):
            numeric.append(name)
    if id_col is None:
        text_cols = [c for c in others if c not in numeric and c not in (value_cols or [])]
        repeated = table[time_name].duplicated().any()
        candidates = [c for c in text_cols if _ID_NAME.match(c)] or text_cols
        if repeated and candidates:
            id_col = candidates[0]
            repairs.append(f"Read column '{id_col}' as the series id (long format).")
        elif repeated and not text_cols and len(numeric) >= 2 and not value_cols:
            ints = [c for c in numeric if _ID_NAME.match(c)]
            if ints:
                id_col = ints[0]
                numeric.remove(id_col)
    drivers = drivers or []
    chosen = (
        list(value_cols) if value_cols else [c for c in numeric if c != id_col and c not in drivers]
    )
    if not chosen:
        raise DataError(
            f"No column holds numbers: besides the time column '{time_name}', the columns "
            f"{others} are text. Add a numeric value column or name it with value_cols."
        )
    ignored = [c for c in others if c not in chosen and c != id_col and c not in drivers]
    unused = [c for c in ignored if c in numeric]
    text = [c for c in ignored if c not in numeric]
    if text:
        repairs.append(f"Ignored non-numeric columns {text}.")
    if unused:
        repairs.append(
            f"Ignored numeric columns {unused}: name them with drivers (--drivers) to use them "
            "as drivers of the target, or with value_cols (--value-col) as series."
        )
    return ColumnChoice(chosen, id_col, fmt, repairs)
