"""A long file's series keys: the readable id of each row, the key columns per series, labels.

:func:`series_ids` joins the key cells of each row into its ``unique_id`` (refusing missing
keys and joins that clash), :func:`key_table` keeps the key columns once per series (a file with
several keys), and :func:`series_labels` finds the text columns constant within every series
(fpp3's ``Title`` beside its ``Series_ID``), the series' labels for people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.ingest.report import CsvReport

__all__ = ["KEY_MISSING", "KEY_SEPARATOR", "key_table", "series_ids", "series_labels"]


#: Key cells read as missing (compared in lower case): empty, and what spreadsheets and R write.
KEY_MISSING = frozenset({"", "na", "nan", "null", "n/a", "#n/a"})
#: Joins the values of several key columns into the readable ``unique_id``.
KEY_SEPARATOR = " / "


def series_ids(table: pd.DataFrame, keys: list[str]) -> pd.Series:
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


def series_labels(
    table: pd.DataFrame, ids: pd.Series, skip: list[str], report: CsvReport
) -> dict[str, str]:
    """Series labels from the text columns constant within every series (fpp3's us_employment:
    ``Title`` "Total Private" beside the id ``CEU0500000001``): ``uid -> "Total Private"``.

    The columns so read leave the report's "Ignored non-numeric columns" note, and a note says
    which they are.
    """
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


def key_table(
    table: pd.DataFrame, keys: list[str], values: list[str], ids: pd.Series
) -> pd.DataFrame | None:
    """One row per series: ``unique_id`` and its key columns (None unless there are several).

    Parameters
    ----------
    table : DataFrame
        The dated rows, cells as stripped strings.
    keys : list of str
        The key columns.
    values : list of str
        The value columns (with several, a series is ``id:column``).
    ids : Series of str, shape (n,)
        :func:`series_ids` of the table's rows.
    """
    if len(keys) < 2:
        return None
    parts = table[keys]
    frames = []
    for name in values:
        uid = ids if len(values) == 1 else ids + ":" + name
        frames.append(parts.assign(unique_id=uid.to_numpy()))
    out = pd.concat(frames, ignore_index=True).drop_duplicates("unique_id")
    return out[["unique_id", *keys]].reset_index(drop=True)
