"""The long frame of observations: a row per (series, timestamp) cell, duplicates settled.

:func:`to_long` parses the value columns of the dated rows and stacks them as
``unique_id, ds, y`` (a wide file's column is its series; a long file's key is); it says in the
report where cells are missing. :func:`deduplicate` drops exact duplicate rows and refuses a
timestamp given twice with different values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.ingest.parsing import NumberFormat, parse_numbers
from forecast.ingest.regular_grid import series_codes
from forecast.ingest.report import CsvReport

__all__ = ["deduplicate", "to_long"]


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


def to_long(
    table: pd.DataFrame,
    times: pd.DatetimeIndex,
    values: list[str],
    keys: list[str],
    report: CsvReport,
    drivers: dict[str, np.ndarray] | None = None,
    ids: pd.Series | None = None,
    floats: dict[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Stack the value columns of the dated rows into ``unique_id, ds, y`` (and the drivers).

    Parameters
    ----------
    table : DataFrame
        The dated rows, cells as stripped strings.
    times : DatetimeIndex, shape (n,)
        The timestamp of each row.
    values : list of str
        The value columns; with several in a long file a series is ``id:column``.
    keys : list of str
        The key columns (empty for a wide file, whose column names are its series).
    report : CsvReport
        Gives the number format; the missing cells are said in its ``repairs``.
    drivers : dict of str to ndarray, optional
        Driver values of each row, shape (n,), carried beside every value column.
    ids : Series of str, shape (n,), optional
        The series id of each row (:func:`forecast.ingest.keys.series_ids`); needed with keys.
    floats : dict of str to Series of float64, optional
        The columns the table reader read as numbers
        (:func:`forecast.ingest.parsing.read_table_numbers`): their text is not parsed again.

    Returns
    -------
    DataFrame
        ``unique_id, ds, y, <drivers>``: ``len(values) * n`` rows, ``y`` NaN where a cell is
        missing.

    Raises
    ------
    DataError
        A value cell is neither a number nor a missing marker (its line and text said).
    """
    fmt = NumberFormat(report.decimal, report.thousands)
    if keys and ids is None:
        raise ValueError("to_long: the series ids are needed with key columns")
    if not keys:
        ids = None
    frames = []
    for name in values:
        cast = (floats or {}).get(name)
        numbers, missing, bad = parse_numbers(table[name], fmt, stripped=True, floats=cast)
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


def deduplicate(long: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    """Drop exact duplicate ``(unique_id, ds, y)`` rows (counted in the report).

    Raises
    ------
    DataError
        A timestamp of a series holds different values.
    """
    key = ["unique_id", "ds"]
    ids = series_codes(long["unique_id"].to_numpy())[0]
    if ids.max(initial=0) == 0:  # one series: its timestamps alone
        ds = pd.DatetimeIndex(long["ds"])
        if not ds.hasnans and (np.diff(ds.asi8) > 0).all():  # in time order: none repeats
            return long
        flags = ds.duplicated(keep=False)
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
