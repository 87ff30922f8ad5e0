"""The long frame's columns by role: the target ``y`` and the drivers beside it.

A long frame is ``unique_id, ds, y, <driver>...``. Which columns are drivers is decided here and
nowhere else: every numeric column other than ``unique_id``, ``ds`` and ``y``, in frame order.

A driver is *known in advance* (a calendar flag, a planned price, a weather forecast: its values
over the forecast horizon are supplied) unless the frame names it *observed only* in
``df.attrs["observed_drivers"]`` (its values exist up to the last observation and never after).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

__all__ = [
    "OBSERVED_ATTR",
    "driver_columns",
    "known_drivers",
    "observed_drivers",
    "with_observed",
]

#: ``DataFrame.attrs`` key naming the drivers that are observed only (tuple of column names).
OBSERVED_ATTR = "observed_drivers"

_RESERVED = ("unique_id", "ds", "y")


def driver_columns(df: pd.DataFrame) -> list[str]:
    """The driver columns of a long frame: numeric columns other than ``unique_id, ds, y``.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y, <drivers>``.

    Returns
    -------
    list of str
        In frame order (booleans count as numeric: a 0/1 flag is a driver).

    Examples
    --------
    >>> frame = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2024-01-01")],
    ...                       "y": [1.0], "temp": [20.5], "note": ["x"], "workday": [1]})
    >>> driver_columns(frame)
    ['temp', 'workday']
    """
    return [
        str(c)
        for c in df.columns
        if c not in _RESERVED
        and (pd.api.types.is_numeric_dtype(df[c].dtype) or pd.api.types.is_bool_dtype(df[c].dtype))
    ]


def observed_drivers(df: pd.DataFrame) -> list[str]:
    """The drivers of ``df`` that are observed only (named in ``attrs["observed_drivers"]``)."""
    named = set(df.attrs.get(OBSERVED_ATTR, ()) or ())
    return [c for c in driver_columns(df) if c in named]


def known_drivers(df: pd.DataFrame) -> list[str]:
    """The drivers of ``df`` that are known in advance (every driver not observed only)."""
    observed = set(observed_drivers(df))
    return [c for c in driver_columns(df) if c not in observed]


def with_observed(df: pd.DataFrame, observed: Iterable[str]) -> pd.DataFrame:
    """``df`` with ``observed`` recorded as its observed-only drivers (same object, for chaining).

    Parameters
    ----------
    df : DataFrame
        Long frame.
    observed : iterable of str
        Driver columns whose future is not known.

    Returns
    -------
    DataFrame
        ``df`` itself, ``attrs["observed_drivers"]`` set.
    """
    df.attrs[OBSERVED_ATTR] = tuple(str(c) for c in observed)
    return df
