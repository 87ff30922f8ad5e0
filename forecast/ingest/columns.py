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

__all__ = [
    "ColumnChoice",
    "choose_time_column",
    "choose_value_columns",
    "infer_keys",
    "split_keys",
]

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
        Stripped cell strings, one column per CSV column (as
        :func:`forecast.ingest.parsing.read_table` gives them).
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
        parsed = parse_times(table[time_col], allow_years=True, freq=freq, stripped=True)
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
        parsed = parse_times(head[name], allow_years=hinted or position == 0, stripped=True)
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
    parsed = parse_times(table[best[1]], allow_years=best[2], freq=freq, stripped=True)
    if parsed.problem:
        raise DataError(parsed.problem)
    return best[1], parsed


@dataclass
class ColumnChoice:
    """The value and key columns chosen by :func:`choose_value_columns`.

    Attributes
    ----------
    value_cols : list of str
        Columns read as values.
    keys : list of str
        Series key columns of a long file, in file order of choice (empty for a wide file); one
        column (``store``) or several (``state, gender, legal``).
    number_format : NumberFormat
        Decimal mark and thousands separator of the value cells.
    repairs : list of str
        Notable inferences (key columns detected, columns ignored), in plain sentences.
    """

    value_cols: list[str]
    keys: list[str]
    number_format: NumberFormat
    repairs: list[str] = field(default_factory=list)

    @property
    def id_col(self) -> str | None:
        """The key columns joined with ``,`` (what ``--id-col`` takes), None for a wide file."""
        return ",".join(self.keys) or None


def split_keys(table_columns, id_col: str | list[str] | None) -> list[str]:
    """The key columns named by ``id_col``: a list, or one name, or names joined with ``,``.

    A name that is itself a column (``"a,b"`` in a file whose header has ``"a,b"``) is kept
    whole.

    Parameters
    ----------
    table_columns : sequence of str
        The file's columns.
    id_col : str, list of str or None
        What the user named.

    Returns
    -------
    list of str
        The key columns (empty when ``id_col`` is None or blank).

    Examples
    --------
    >>> split_keys(["t", "state", "gender"], "state, gender")
    ['state', 'gender']
    """
    if id_col is None:
        return []
    if isinstance(id_col, str):
        if id_col in table_columns:
            return [id_col]
        names = [c.strip() for c in id_col.split(",")]
    else:
        names = [str(c).strip() for c in id_col]
    names = [c for c in names if c]
    if len(set(names)) < len(names):
        raise DataError(f"The key columns {names} name a column twice; name each key column once.")
    return names


#: At most this many text columns are tried as keys, in sets of at most MAX_KEYS.
MAX_KEY_CANDIDATES = 8
MAX_KEYS = 4


def infer_keys(
    table: pd.DataFrame, times: pd.Series, candidates: list[str], values: list[str]
) -> list[str] | None:
    """The smallest set of ``candidates`` that makes (keys, time) unique, or None.

    Exact duplicate rows (same time, text and values) do not count against a set. Among sets
    of one size the one with an id-like name wins (``unique_id``, ``series`` …), then the one
    with the fewest series, then the leftmost.

    Parameters
    ----------
    table : DataFrame
        Raw cell strings.
    times : Series, shape (n,)
        The time of each row (parsed timestamps, or the raw cells).
    candidates : list of str
        Text columns that may be keys, in file order.
    values : list of str
        Value columns (exact duplicate rows are judged on them too).

    Returns
    -------
    list of str or None
        The key columns, in file order; None when no set of at most :data:`MAX_KEYS` of the
        first :data:`MAX_KEY_CANDIDATES` candidates makes the rows unique.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"t": ["1", "1", "1", "1"], "state": list("aabb"), "sex": list("fmfm"), "y": list("1234")}
    ... )
    >>> infer_keys(table, table["t"], ["state", "sex"], ["y"])
    ['state', 'sex']
    """
    from itertools import combinations

    candidates = candidates[:MAX_KEY_CANDIDATES]
    if not candidates:
        return None
    time_codes = pd.factorize(pd.Series(times).to_numpy(), use_na_sentinel=False)[0]
    codes = {c: pd.factorize(table[c].to_numpy())[0] for c in candidates}
    extra = (
        [time_codes]
        + [codes[c] for c in candidates]
        + [pd.factorize(table[c].to_numpy())[0] for c in values if c in table.columns]
    )
    distinct = ~pd.Series(_combined(extra)).duplicated().to_numpy()  # drop exact duplicates
    time_codes = time_codes[distinct]
    for size in range(1, min(MAX_KEYS, len(candidates)) + 1):
        found = []
        for combo in combinations(candidates, size):
            series = _combined([codes[c][distinct] for c in combo])
            n_series = int(series.max(initial=-1)) + 1
            both = _combined([series, time_codes])
            if int(both.max(initial=-1)) + 1 == len(both):  # every (keys, time) once
                hinted = any(_ID_NAME.match(c) for c in combo)
                found.append(((not hinted, n_series), list(combo)))
        if found:
            return min(found, key=lambda item: item[0])[1]
    return None


def _repeated(cells: pd.Series, times: pd.Series | None) -> bool:
    """Whether a time cell repeats (a long file); distinct parsed times settle it without hashing
    every string (equal cells parse to equal times)."""
    if times is not None and len(times) == len(cells):
        index = pd.DatetimeIndex(times)
        if not index.hasnans and (np.diff(index.asi8) > 0).all():  # ascending: no hashing
            return False
        if index.is_unique:
            return False
    return bool(cells.duplicated().any())


def _combined(codes: list[np.ndarray]) -> np.ndarray:
    """One code per row for the tuple of codes in ``codes`` (0 … distinct tuples − 1)."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for part in codes:
        part = np.asarray(part, dtype=np.int64)
        key = key * (int(part.max(initial=0)) + 1) + part
        key = pd.factorize(key)[0].astype(np.int64)  # renumber: the product stays small
    return key


def choose_value_columns(
    table: pd.DataFrame,
    time_name: str,
    value_cols: list[str] | None,
    id_col: str | list[str] | None,
    delimiter: str,
    times: pd.Series | None = None,
    drivers: list[str] | None = None,
) -> ColumnChoice:
    """Choose the value columns and the series key columns, and how their numbers are written.

    Parameters
    ----------
    table : DataFrame
        Raw cell strings, one column per CSV column.
    time_name : str
        The time column (from :func:`choose_time_column`).
    value_cols : list of str or None
        Value columns named by the user; when None, every column (but the time and key columns)
        whose first 2,000 present cells are mostly numbers.
    id_col : str, list of str or None
        Series key column(s) named by the user (``"state,gender,legal"`` or a list); when None
        and timestamps repeat (a long file), the smallest set of text columns that makes
        (keys, time) unique (:func:`infer_keys`; an id-like name such as ``unique_id``, ``id``,
        ``series``, ``item`` wins a tie), or failing any text column a numeric one with an
        id-like name.
    delimiter : str
        Field delimiter of the file (a comma delimiter rules out a decimal comma).
    times : Series, optional
        Parsed timestamps of the rows, shape (n,); the raw time cells when omitted.
    drivers : list of str, optional
        Columns read as drivers: never value columns, and not reported as ignored.

    Returns
    -------
    ColumnChoice
        The value columns, the key columns (empty for a wide file), the number format and the
        inferences made.

    Raises
    ------
    DataError
        A named column is not in the table, a key column is named twice, or no column holds
        numbers.

    Examples
    --------
    >>> table = pd.DataFrame(
    ...     {"date": ["2020-01", "2020-01"], "store": ["a", "b"], "sales": ["1,5", "2,5"]}
    ... )
    >>> choice = choose_value_columns(table, "date", None, None, ";")
    >>> choice.value_cols, choice.keys, choice.number_format.decimal
    (['sales'], ['store'], ',')
    """
    others = [c for c in table.columns if c != time_name]
    keys = split_keys(list(table.columns), id_col)
    for name in [*(value_cols or []), *keys]:
        if name not in table.columns:
            raise DataError(
                f"Column '{name}' is not in the file; its columns are {list(table.columns)}."
            )
    if time_name in keys:
        raise DataError(
            f"Column '{time_name}' is the time column and cannot also be a key column; "
            "name the series key columns without it."
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
    if not keys:
        text_cols = [c for c in others if c not in numeric and c not in (value_cols or [])]
        repeated = _repeated(table[time_name], times)
        candidates = [c for c in text_cols if _ID_NAME.match(c)] + [
            c for c in text_cols if not _ID_NAME.match(c)
        ]
        if repeated and candidates:
            found = infer_keys(
                table,
                table[time_name] if times is None else times,
                candidates,
                list(value_cols) if value_cols else numeric,
            )
            keys = found or [candidates[0]]
            if len(keys) == 1:
                repairs.append(f"Read column '{keys[0]}' as the series id (long format).")
            else:
                shown = ", ".join(f"'{k}'" for k in keys)
                repairs.append(
                    f"Read columns {shown} as the series keys (long format): together with "
                    f"'{time_name}' they make every row unique."
                )
        elif repeated and not text_cols and len(numeric) >= 2 and not value_cols:
            ints = [c for c in numeric if _ID_NAME.match(c)]
            if ints:
                keys = [ints[0]]
                numeric.remove(ints[0])
    drivers = drivers or []
    chosen = (
        list(value_cols)
        if value_cols
        else [c for c in numeric if c not in keys and c not in drivers]
    )
    if not chosen:
        raise DataError(
            f"No column holds numbers: besides the time column '{time_name}', the columns "
            f"{others} are text. Add a numeric value column or name it with value_cols."
        )
    overlap = [c for c in chosen if c in keys]
    if overlap:
        raise DataError(
            f"Column '{overlap[0]}' is named both as a value column and as a key column; "
            "name it as one of them."
        )
    ignored = [c for c in others if c not in chosen and c not in keys and c not in drivers]
    unused = [c for c in ignored if c in numeric]
    text = [c for c in ignored if c not in numeric]
    if text:
        repairs.append(f"Ignored non-numeric columns {text}.")
    if unused:
        repairs.append(
            f"Ignored numeric columns {unused}: name them with drivers (--drivers) to use them "
            "as drivers of the target, or with value_cols (--value-col) as series."
        )
    return ColumnChoice(chosen, keys, fmt, repairs)
