"""Read any reasonable CSV into the long frame, or refuse it with a message that says what to fix.

The long frame
--------------
:func:`read_csv` returns a ``pandas.DataFrame`` with the columns ``unique_id, ds, y`` — then, when a
long file has several key columns, those columns as text (``df.attrs["keys"]`` names them) — and
these invariants:

1. ``unique_id`` is ``str``; one series per value (a wide file's column name, or a long file's id;
   with several key columns their values joined with ``" / "``: ``"ACT / Female / Remanded"``).
2. ``ds`` is ``datetime64[ns]``, timezone-naive.
3. ``y`` is ``float64``; it is NaN only where a gap was left unfilled (``fill="none"``).
4. Rows are sorted by ``unique_id`` then ``ds``; ``(unique_id, ds)`` pairs are unique.
5. Every series lies on one regular grid of one frequency (``df.attrs["freq"]``, a pandas offset
   alias such as ``MS``, ``QS-OCT``, ``YS``, ``W-SUN``, ``D``): missing timestamps are inserted as
   rows (then filled or left NaN by the ``fill`` policy), so ``len`` of a series is the number of
   grid points from its first to its last observation.
6. Each series has at least ``min_length`` observed (non-missing) values.
7. The index is a ``RangeIndex``.
8. Key columns (when present) hold non-empty text, constant within a series; ``unique_id`` is
   their join, so one key tuple is one series.

Everything inferred or repaired on the way is recorded in a :class:`CsvReport`. This module reads
the file and assembles the frame; the steps it delegates say what they found and it records that:
:mod:`forecast.ingest.parsing` reads bytes, delimiters and numbers, :mod:`forecast.ingest.dates` timestamps,
:mod:`forecast.ingest.columns` chooses the time, value and id columns, and :mod:`forecast.ingest.regular_grid` puts the
series on their grid.
"""

from __future__ import annotations

import copy
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

import forecast.ingest.regular_grid as regular_grid
from forecast.errors import DataError
from forecast.ingest.columns import choose_time_column, choose_value_columns
from forecast.ingest.drivers import (
    DriverFacts,
    choose_drivers,
    finish_drivers,
    numeric_columns,
    parse_driver_spec,
    parse_drivers,
    read_future_file,
    split_future,
)
from forecast.ingest.frame import with_observed
from forecast.ingest.limits import check_header, check_series
from forecast.ingest.parsing import NumberFormat, decode, parse_numbers, read_table, sniff_delimiter
from forecast.ingest.regular_grid import FillPolicy, _snap, regularise

__all__ = ["DEFAULT_MAX_BYTES", "CsvReport", "read_csv", "series_summary"]

#: Default size limit of an input file, in bytes (200 MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

Source = str | os.PathLike | bytes | bytearray | IO


@dataclass
class CsvReport:
    """What :func:`read_csv` inferred and repaired.

    Attributes
    ----------
    delimiter, encoding, decimal : str
        Field delimiter, text encoding and decimal mark found in the file.
    thousands : str or None
        Thousands separator, if any.
    time_col : str
        Column read as the timestamps.
    value_cols : list of str
        Columns read as values.
    id_col : str or None
        Series key column(s) of a long file, joined with ``,`` as ``--id-col`` takes them
        (None for a wide file).
    keys : list of str
        The series key columns of a long file, one or several (empty for a wide file); with
        several, the frame carries them as text columns after ``y``.
    dayfirst : bool or None
        Whether ``dd/mm`` dates were read day-first (None when the dates have no such form).
    ambiguous_dates : bool
        Every date read both day-first and month-first and both readings were regular; the
        coarser one was taken (a line of ``repairs`` says which, and how to override it).
    utc_offsets : str or None
        ``"utc"`` when timestamps with UTC offsets were converted to UTC, ``"wall"`` when their
        local wall-clock time was kept, None when the file has no offsets.
    freq : str
        Offset alias of the series.
    fill : str
        Gap policy applied: ``"none"``, ``"interpolate"`` or ``"ffill"``.
    gaps : dict of str to int
        Per series, grid points with no value before filling (missing timestamps and missing cells).
    missing_filled : dict of str to int
        Per series, values filled by the policy.
    dropped_rows : int
        Data rows dropped (no timestamp, exact duplicates).
    repairs : list of str
        Every repair and notable inference, in plain sentences.
    drivers : list of DriverFacts
        Per driver (file columns, then calendar and holiday columns): its role, whether it is
        known in advance, its future rows, gaps and fill policy. Empty without drivers.
    future : DataFrame
        The drivers' known future, ``unique_id, ds, <drivers>`` (rows after each series' last
        observed value; observed-only drivers NaN there); empty when there is none.
    labels : dict of str to str
        Per series of a long file, its label for people: the values of the text columns that
        are constant within every series (``"Total Private"``); empty when there are none.
    """

    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str | None = None
    time_col: str = ""
    value_cols: list[str] = field(default_factory=list)
    id_col: str | None = None
    keys: list[str] = field(default_factory=list)
    dayfirst: bool | None = None
    ambiguous_dates: bool = False
    utc_offsets: str | None = None
    freq: str = ""
    fill: str = "none"
    gaps: dict[str, int] = field(default_factory=dict)
    missing_filled: dict[str, int] = field(default_factory=dict)
    dropped_rows: int = 0
    repairs: list[str] = field(default_factory=list)
    drivers: list[DriverFacts] = field(default_factory=list)
    future: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(), repr=False)
    labels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready dict of the report (the future frame as its number of rows)."""
        skip = ("future", "drivers")
        out = {
            f: copy.deepcopy(getattr(self, f)) for f in self.__dataclass_fields__ if f not in skip
        }
        out["drivers"] = [d.to_dict() for d in self.drivers]
        out["future_rows"] = len(self.future)
        return out


def _read_bytes(source: Source, max_bytes: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise DataError(f"File not found: {path}. Check the path.")
        if path.is_dir():
            raise DataError(f"{path} is a folder, not a CSV file.")
        size = path.stat().st_size
        if size > max_bytes:
            raise DataError(
                f"{path.name} is {size / 1e6:.1f} MB, above the {max_bytes / 1e6:.0f} MB limit; "
                "split the file or raise max_bytes."
            )
        raw = path.read_bytes()
    elif hasattr(source, "read"):
        raw = source.read(max_bytes + 1)
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    else:
        raise DataError(
            f"Cannot read a CSV from a {type(source).__name__}; pass a path, bytes or a file object."
        )
    if len(raw) > max_bytes:
        raise DataError(
            f"The file is over the {max_bytes / 1e6:.0f} MB limit; split it or raise max_bytes."
        )
    return raw


def _first_lines(text: str, n: int) -> list[str]:
    """The first ``n`` non-blank lines of ``text`` (without splitting all of a large file)."""
    parts = text.split("\n", 4 * n)  # the last part holds the rest of the file, unsplit
    lines = [line for line in parts[: 4 * n] if line.strip()][:n]
    if len(lines) < n and len(parts) > 4 * n:  # many blank lines: split it all
        lines = [line for line in text.split("\n") if line.strip()][:n]
    return lines


def _drop_index_column(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
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


def _drop_summary_rows(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
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


def _drop_units_and_footer(table: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
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


def _report_undated_rows(
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


#: Key cells read as missing (compared in lower case): empty, and what spreadsheets and R write.
KEY_MISSING = frozenset({"", "na", "nan", "null", "n/a", "#n/a"})
#: Joins the values of several key columns into the readable ``unique_id``.
KEY_SEPARATOR = " / "


def _series_ids(table: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The readable id of each row: its key (or its keys joined with ``" / "``).

    Raises
    ------
    DataError
        A key cell is missing (empty, ``NA``, ``null`` …), or two different key tuples join to
        the same id.
    """
    for name in keys:
        cells = table[name]
        marked = [v for v in pd.unique(cells.to_numpy()) if str(v).lower() in KEY_MISSING]
        missing = cells.isin(marked).to_numpy()
        if missing.any():
            row = int(np.flatnonzero(missing)[0])
            shown = cells.iloc[row] or "empty"
            what = "series id" if len(keys) == 1 else "series key"
            raise DataError(
                f"Column '{name}' ({what}) is missing on line {table.index[row]} ({shown}; "
                f"{int(missing.sum())} such rows). Fill in the {what}, or drop those rows."
            )
    if len(keys) == 1:
        return table[keys[0]]
    parts = table[keys]
    distinct = parts.drop_duplicates()
    joined = distinct[keys[0]].str.cat([distinct[k] for k in keys[1:]], sep=KEY_SEPARATOR)
    if joined.duplicated().any():
        clash = joined[joined.duplicated(keep=False)].iloc[0]
        raise DataError(
            f"Two different key combinations of {keys} read as the same series '{clash}' "
            f"(a key holds '{KEY_SEPARATOR.strip()}'); remove it from the key values."
        )
    return parts[keys[0]].str.cat([parts[k] for k in keys[1:]], sep=KEY_SEPARATOR)


def _missing_note(cells, missing, numbers, uid, times, name: str) -> str:
    """The missing cells of a value column in plain words: blanks before a series starts or
    after it ends are left out (that series had not begun, or has stopped); the others are
    gaps, read as missing values."""
    missing = np.asarray(missing, dtype=bool)
    frame = pd.DataFrame({"uid": np.asarray(uid), "ds": np.asarray(times), "y": numbers})
    seen = frame[np.isfinite(frame["y"].to_numpy(dtype=float))]
    first = frame["uid"].map(seen.groupby("uid")["ds"].min())
    last = frame["uid"].map(seen.groupby("uid")["ds"].max())
    outside = missing & ((frame["ds"] < first) | (frame["ds"] > last) | first.isna()).to_numpy()
    inside = missing & ~outside
    words = []
    if outside.any():
        words.append(
            f"{int(outside.sum()):,} blank cells before a series starts or after it ends, left out"
        )
    if inside.any():
        tokens = sorted({str(cells.iloc[i]) or "blank" for i in np.flatnonzero(inside)})
        shown = ", ".join(f"'{t}'" if t != "blank" else t for t in tokens[:4])
        words.append(f"{int(inside.sum()):,} missing cells inside series ({shown}), read as gaps")
    return f"Column '{name}': " + "; ".join(words) + "."


def _labels(table: pd.DataFrame, ids: pd.Series, skip: list[str], report: CsvReport) -> dict:
    """Series labels from the text columns constant within every series (fpp3's us_employment:
    ``Title`` "Total Private" beside the id ``CEU0500000001``): ``uid -> "Total Private"``."""
    cols = [
        c
        for c in table.columns
        if c not in skip and table[c].dtype == object and table[c].notna().any()
    ]
    found = []
    series, n_series = _codes(ids)
    for c in cols:  # constant within every series, and not one value for all of them
        values, n_values = _codes(table[c])  # read_table's cells are stripped strings
        pairs = np.unique(series * max(n_values, 1) + values)
        per = np.bincount(pairs // max(n_values, 1), minlength=n_series)
        if n_series > 1 and (per == 1).all() and n_values > 1:
            found.append(c)
    if not found:
        return {}
    first = table[found].groupby(ids.to_numpy(), sort=False).first()
    labels = {str(u): " · ".join(row) for u, row in zip(first.index, first.to_numpy(), strict=True)}
    example = next(iter(labels))
    report.repairs = [
        _without(r, found) if r.startswith("Ignored non-numeric columns") else r
        for r in report.repairs
    ]
    report.repairs = [r for r in report.repairs if r]
    report.repairs.append(
        f"Column{'s' if len(found) > 1 else ''} {', '.join(repr(c) for c in found)} "
        f"{'are' if len(found) > 1 else 'is'} constant within each series: read as the series' "
        f"label ('{labels[example]} · {example}')."
    )
    return labels


def _codes(cells: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of the cells (int64) and how many distinct cells there are."""
    codes, uniques = pd.factorize(cells.to_numpy())
    return codes.astype(np.int64), len(uniques)


def _without(line: str, names: list[str]) -> str:
    """An "Ignored non-numeric columns [...]" note without ``names`` ('' when none is left)."""
    import ast

    try:
        listed = ast.literal_eval(line[line.index("[") : line.rindex("]") + 1])
    except (ValueError, SyntaxError):
        return line
    rest = [c for c in listed if c not in names]
    return f"Ignored non-numeric columns {rest}." if rest else ""


def _to_long(
    table: pd.DataFrame,
    times: pd.DatetimeIndex,
    values: list[str],
    keys: list[str],
    report: CsvReport,
    drivers: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    fmt = NumberFormat(report.decimal, report.thousands)
    ids = _series_ids(table, keys) if keys else None
    frames = []
    for name in values:
        numbers, missing, bad = parse_numbers(table[name], fmt, stripped=True)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Column '{name}', line {table.index[row]} of the file: "
                f"'{table[name].iloc[row]}' is not a number ({int(bad.sum())} such cells). "
                "Fix the value, or leave the cell empty to mark it missing."
            )
        if ids is None:
            uid = pd.Series(name, index=table.index)
        elif len(values) == 1:
            uid = ids
        else:
            uid = ids + ":" + name
        if missing.any():
            report.repairs.append(_missing_note(table[name], missing, numbers, uid, times, name))
        frames.append(
            pd.DataFrame(
                {"unique_id": uid.to_numpy(), "ds": times, "y": numbers, **(drivers or {})}
            )
        )
    return pd.concat(frames, ignore_index=True)


def _key_table(table: pd.DataFrame, keys: list[str], values: list[str]) -> pd.DataFrame | None:
    """One row per series: ``unique_id`` and its key columns (None unless there are several)."""
    if len(keys) < 2:
        return None
    parts = table[keys]
    ids = _series_ids(table, keys)
    frames = []
    for name in values:
        uid = ids if len(values) == 1 else ids + ":" + name
        frames.append(parts.assign(unique_id=uid.to_numpy()))
    out = pd.concat(frames, ignore_index=True).drop_duplicates("unique_id")
    return out[["unique_id", *keys]].reset_index(drop=True)


def _deduplicate(long: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    key = ["unique_id", "ds"]
    ids = pd.factorize(long["unique_id"].to_numpy())[0]
    if ids.max(initial=0) == 0:  # one series: its timestamps alone
        flags = pd.DatetimeIndex(long["ds"]).duplicated(keep=False)
    else:
        flags = pd.DataFrame({"id": ids, "ds": long["ds"].to_numpy()}).duplicated(keep=False)
    dup = pd.Series(np.asarray(flags), index=long.index)
    if not dup.any():
        return long
    groups = long[dup].groupby(key, sort=True)["y"]
    conflicting = groups.nunique(dropna=False) > 1
    if conflicting.any():
        uid, ds = conflicting[conflicting].index[0]
        vals = long.loc[(long["unique_id"] == uid) & (long["ds"] == ds), "y"].tolist()
        where = (
            ""
            if uid == long["unique_id"].iloc[0] and long["unique_id"].nunique() == 1
            else f" in series '{uid}'"
        )
        raise DataError(
            f"Duplicate timestamp {ds}{where} with different values {vals} "
            f"({int(conflicting.sum())} such timestamps). Keep one row per timestamp, or "
            "name the series id column — or all its key columns, e.g. 'state,gender' — if "
            "this is a long file with several series."
        )
    before = len(long)
    long = long.drop_duplicates(key)
    report.dropped_rows += before - len(long)
    report.repairs.append(f"Dropped {before - len(long)} exact duplicate rows.")
    return long


def read_csv(
    source: Source,
    *,
    time_col: str | None = None,
    value_cols: str | list[str] | None = None,
    id_col: str | list[str] | None = None,
    freq: str | None = None,
    fill: FillPolicy = "none",
    min_length: int = 3,
    max_bytes: int = DEFAULT_MAX_BYTES,
    drivers: str | list[str] | None = None,
    future: Source | None = None,
    calendar: bool = False,
    holidays: str | None = None,
) -> tuple[pd.DataFrame, CsvReport]:
    """Read a CSV of one or many time series into the long frame.

    Parameters
    ----------
    source : path, bytes or file object
        The CSV. Delimiter (``,`` ``;`` tab ``|``), encoding (UTF-8 with or without BOM,
        Latin-1), decimal comma, thousands separators, a leading unnamed index column,
        day-first dates, integer years and period strings (``1959Q1``, ``2001-03``) are detected.
    time_col : str, optional
        Column with the timestamps; detected when omitted.
    value_cols : str or list of str, optional
        Value columns; every numeric column when omitted. In a wide file each becomes a series.
    id_col : str or list of str, optional
        Series key column(s) of a long file (time, keys, value): one name, several joined with
        ``,`` (``"state,gender,legal"``) or a list. Detected when timestamps repeat: the
        smallest set of text columns that makes (keys, time) unique. With several keys the
        frame keeps them as text columns and ``unique_id`` joins their values with ``" / "``.
    freq : str, optional
        Offset alias; inferred from the dominant step when omitted.
    fill : {"none", "interpolate", "ffill"}
        What to do with gaps on the regular grid: leave NaN, interpolate linearly, or carry the
        last value forward. Recorded in the report.
    min_length : int
        Minimum number of observed values per series.
    max_bytes : int
        Size limit of the file in bytes (default 200 MB).
    drivers : str or list of str, optional
        Driver columns (``"price,promo"``), or ``"all"``: every numeric column but the targets
        (which must then be named with ``value_cols``). In a wide file the drivers are shared by
        every series; in a long file each series has its own values. Rows after a series' last
        observed value that hold driver values are the drivers' known future
        (``report.future``). See :mod:`forecast.ingest.drivers`.
    future : path or bytes, optional
        A file of future driver values with the columns of this one (the targets empty).
    calendar : bool
        Add calendar drivers (day of week, month, hour, quarter as the frequency has them).
    holidays : str, optional
        ``CC`` or ``CC-SUB`` (``AU``, ``AU-VIC``): add a ``holiday`` driver from the
        ``holidays`` package.

    Returns
    -------
    df : DataFrame
        Long frame ``unique_id, ds, y``, then the drivers (float64, file order, then the calendar
        ones), then the key columns of a file with several (see the module docstring for its
        invariants), with ``df.attrs["freq"]`` and
        ``df.attrs["keys"]`` (the key columns in the frame, ``[]`` when none) set; with drivers,
        ``df.attrs["observed_drivers"]`` names the observed-only ones
        (:func:`forecast.ingest.frame.observed_drivers`).
    report : CsvReport
        What was inferred and repaired.

    Raises
    ------
    DataError
        Empty file, header only, no parseable time column, no numeric column, unparseable
        numbers, a key column not in the file or with missing cells, duplicate timestamps with different values, irregular timestamps, series
        shorter than ``min_length``, non-text bytes, or a file above ``max_bytes``; a driver
        not numeric, named twice or equal to the target; future rows off the grid or with
        gaps; a driver missing in the history with ``fill="none"``; a ``future`` file whose
        columns do not match.

    Examples
    --------
    >>> df, report = read_csv(b"month,sales\\n2020-01,1\\n2020-02,2\\n2020-03,3\\n")
    >>> report.freq, df["y"].tolist()
    ('MS', [1.0, 2.0, 3.0])
    """
    if fill not in ("none", "interpolate", "ffill"):
        raise DataError(f"fill='{fill}' is not a gap policy; use 'none', 'interpolate' or 'ffill'.")
    if isinstance(value_cols, str):
        value_cols = [c.strip() for c in value_cols.split(",") if c.strip()]
    driver_spec = parse_driver_spec(drivers)
    if future is not None and driver_spec is None:
        raise DataError("A future file carries drivers' values: name the drivers too (--drivers).")
    report = CsvReport(fill=fill)
    raw = _read_bytes(source, max_bytes)
    if not raw.strip():
        raise DataError("The file is empty. Upload a CSV with a header row and data rows.")
    text, report.encoding = decode(raw)
    lines = _first_lines(text, 200)
    if not lines:
        raise DataError("The file is empty. Upload a CSV with a header row and data rows.")
    check_header(lines[0])  # before anything splits it
    report.delimiter = sniff_delimiter(lines)
    table = read_table(text, report.delimiter)
    if table.empty:
        raise DataError(
            f"The file has a header ({', '.join(table.columns[:6])}) but no data rows. "
            "Add rows of data below the header."
        )
    table = _drop_index_column(table, report)
    empty_cols = [c for c in table.columns if (table[c] == "").all()]
    if empty_cols and len(empty_cols) < len(table.columns):
        table = table.drop(columns=empty_cols)
        shown = ", ".join(f"'{c}'" for c in empty_cols[:4]) + (", …" if len(empty_cols) > 4 else "")
        report.repairs.append(f"Dropped {len(empty_cols)} empty columns ({shown}).")
    table = _drop_summary_rows(table, report)
    table = _drop_units_and_footer(table, report)
    time_name, parsed = choose_time_column(table, time_col, freq)
    report.time_col, report.dayfirst = time_name, parsed.dayfirst
    report.ambiguous_dates, report.utc_offsets = parsed.ambiguous, parsed.utc_offsets
    report.repairs.extend(parsed.notes)
    if parsed.kind != "datetime":
        report.repairs.append(f"Read '{time_name}' as {parsed.kind}s.")
    named_drivers: list[str] = []
    if driver_spec is not None:
        named_keys = (
            [c.strip() for c in id_col.split(",")] if isinstance(id_col, str) else id_col or []
        )
        named_drivers = choose_drivers(
            table, driver_spec, time_name=time_name, value_cols=value_cols, keys=named_keys
        )
    columns = choose_value_columns(
        table,
        time_name,
        value_cols,
        id_col,
        report.delimiter,
        times=parsed.values,
        drivers=named_drivers,
    )
    chosen, keys = columns.value_cols, columns.keys
    fmt = columns.number_format
    driver_names = [c for c in named_drivers if c not in keys]
    if driver_spec == "all":
        driver_names = numeric_columns(table, driver_names, fmt)
        text = [c for c in named_drivers if c not in driver_names and c not in keys]
        if text:
            report.repairs.append(f"Ignored non-numeric columns {text}.")
        if not driver_names:
            raise DataError(
                f"drivers 'all': no numeric column besides the target {chosen}; the file has "
                "no driver to read."
            )
    elif len(driver_names) < len(named_drivers):
        key = next(c for c in named_drivers if c in keys)
        raise DataError(f"Driver '{key}' is a series key column; name a numeric column.")
    report.decimal, report.thousands = fmt.decimal, fmt.thousands
    report.repairs.extend(columns.repairs)
    report.value_cols, report.id_col, report.keys = chosen, columns.id_col, list(keys)
    no_time = np.asarray(parsed.values.isna())
    if no_time.any():
        _report_undated_rows(table, no_time, time_name, chosen, report)
    keep = ~no_time
    table = table.loc[keep]
    times = pd.DatetimeIndex(parsed.values[keep])
    if table.empty:
        raise DataError(f"No row of '{time_name}' holds a date. Check the time column.")
    driver_values = parse_drivers(table, driver_names, fmt) if driver_names else None
    long = _to_long(table, times, chosen, keys, report, driver_values)
    check_series(long["unique_id"].nunique())
    key_table = _key_table(table, keys, chosen)
    if keys:
        skip = [time_name, *keys, *chosen, *driver_names]
        labels = _labels(table, _series_ids(table, keys), skip, report)
        if len(chosen) > 1:  # several value columns: series 'id:column'
            labels = {f"{u}:{c}": f"{text} · {c}" for u, text in labels.items() for c in chosen}
        report.labels = labels
    long = _deduplicate(long, report)
    long = long[long.groupby("unique_id")["y"].transform("count").to_numpy() > 0]
    if long.empty:
        raise DataError(f"The value columns {chosen} hold no numbers.")
    use_freq = freq or (parsed.freq if parsed.kind != "datetime" else None)
    if driver_names:
        observed, future_rows = split_future(long, driver_names)
    else:
        observed = long.dropna(subset=["y"])
    regular = regularise(observed, use_freq, fill, extra=driver_names)
    report.freq, report.gaps = regular.freq, regular.gaps
    report.missing_filled = regular.missing_filled
    report.repairs.extend(regular.repairs)
    long = regular.frame
    counts = long.groupby("unique_id")["y"].count()
    short = counts[counts < min_length]
    if len(short):
        uid, n = short.index[0], int(short.iloc[0])
        raise DataError(
            f"Series '{uid}' has {n} observed values; at least {min_length} are needed. "
            "Use a longer series or drop it."
        )
    if not regular_grid.FAST:  # the reference; the grid's frame is sorted already
        long = long.sort_values(["unique_id", "ds"], ignore_index=True)
    else:
        long = long.reset_index(drop=True)
    long["unique_id"] = long["unique_id"].astype(str)
    long["ds"] = pd.DatetimeIndex(long["ds"]).as_unit("ns")
    long["y"] = long["y"].astype("float64")
    if driver_names:
        if future is not None:
            given = read_future_file(
                future,
                time_name=time_name,
                keys=keys,
                targets=chosen,
                series=sorted(long["unique_id"].unique()),
                drivers=driver_names,
                fmt=fmt,
                freq=report.freq,
                series_ids=_series_ids,
            )
            both = future_rows.merge(given[["unique_id", "ds"]], on=["unique_id", "ds"])
            if len(both):
                raise DataError(
                    f"The future row {both['ds'].iloc[0]} of series '{both['unique_id'].iloc[0]}' "
                    "is both in the file and in the future file; give it once."
                )
            future_rows = pd.concat([future_rows, given], ignore_index=True)
        long, future_frame, facts, notes = finish_drivers(
            long, future_rows, driver_names, freq=report.freq, fill=fill, snap=_snap
        )
        report.drivers, report.future = facts, future_frame
        report.repairs.extend(notes)
    if calendar or holidays:
        long = _add_calendar(long, report, calendar=calendar, holidays=holidays)
    if key_table is not None:
        long = long.merge(key_table, on="unique_id", how="left", sort=False)
    long.attrs["freq"] = report.freq
    long.attrs["keys"] = list(keys) if key_table is not None else []
    if report.labels:
        long.attrs["labels"] = dict(report.labels)
    if report.drivers:  # the models' rule: a driver not named here is known in advance
        with_observed(long, [f.name for f in report.drivers if not f.known_in_advance])
    return long, report


def _add_calendar(
    long: pd.DataFrame, report: CsvReport, *, calendar: bool, holidays: str | None
) -> pd.DataFrame:
    """Append calendar and holiday drivers to the frame and the future frame (known in advance)."""
    from forecast.calendar.drivers import calendar_drivers

    cal = calendar_drivers(long["ds"], report.freq, calendar=calendar, holidays=holidays)
    clash = [c for c in cal.columns if c in long.columns]
    if clash:
        raise DataError(
            f"The file already has columns {clash}, which the calendar drivers would add; rename "
            "them in the file, or do not ask for calendar drivers."
        )
    if cal.columns.empty:
        report.repairs.append(f"No calendar driver applies to {report.freq} data.")
        return long
    long = pd.concat([long, cal.set_axis(long.index)], axis=1)
    future = report.future
    if not len(future.columns):
        future = pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="M8[ns]")})
    fut = calendar_drivers(future["ds"], report.freq, calendar=calendar, holidays=holidays)
    report.future = pd.concat([future.reset_index(drop=True), fut], axis=1)
    n_future = int(future.groupby("unique_id").size().min()) if len(future) else 0
    for name in cal.columns:
        source = "holidays" if name == "holiday" else "calendar"
        report.drivers.append(
            DriverFacts(name, source=source, known_in_advance=True, future_rows=n_future)
        )
    report.repairs.append(
        f"Added calendar drivers {list(cal.columns)} (known in advance"
        + (f", holidays of {holidays}" if holidays else "")
        + ")."
    )
    return long


def series_summary(df: pd.DataFrame, report: CsvReport) -> list[dict]:
    """One JSON-ready summary per series: id, size, frequency, span, gaps.

    Parameters
    ----------
    df : DataFrame
        Long frame from :func:`read_csv`.
    report : CsvReport
        Its report.

    Returns
    -------
    list of dict
        Keys ``unique_id, n_obs, freq, start, end, gaps, missing_filled``; ``n_obs`` counts rows
        after filling. When the frame has several key columns, also ``keys``: the series' key
        values by column (``{"state": "ACT", "gender": "Female"}``).
    """
    named = df.attrs.get("keys") or (report.keys if len(report.keys) > 1 else [])
    keys = [k for k in named if k in df.columns]
    grouped = df.groupby("unique_id", sort=True)  # one pass for every series (thousands)
    sizes = grouped.size()
    starts, ends = grouped["ds"].first(), grouped["ds"].last()
    firsts = grouped[keys].first() if keys else None
    out = []
    for uid, n in sizes.items():
        extra = {"keys": {k: str(firsts.at[uid, k]) for k in keys}} if keys else {}
        out.append(
            {
                "unique_id": str(uid),
                "n_obs": int(n),
                "freq": report.freq,
                "start": starts[uid].isoformat(),
                "end": ends[uid].isoformat(),
                "gaps": int(report.gaps.get(str(uid), 0)),
                "missing_filled": int(report.missing_filled.get(str(uid), 0)),
                **extra,
            }
        )
    return out


def read_text(text: str, **kwargs) -> tuple[pd.DataFrame, CsvReport]:
    """Convenience: :func:`read_csv` on CSV text (tests, notebooks)."""
    return read_csv(io.BytesIO(text.encode("utf-8")), **kwargs)
