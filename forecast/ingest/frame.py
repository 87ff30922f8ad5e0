"""The columns of the long frame and their roles: the one rule for which columns are drivers.

The long frame :func:`forecast.ingest.reader.read_csv` returns is
``unique_id, ds, y, <driver>...``: ``unique_id`` (text) names the series, ``ds`` the timestamp,
``y`` the target; every other numeric column is a driver (an exogenous series that may move the
target: a price, a temperature, a calendar flag). Key columns of a file with several ids are text
columns and never drivers. The drivers' known future (rows after the last observed ``y``) travels
apart from the history, in ``report.future`` (``unique_id, ds, <driver>...``).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["FRAME_COLUMNS", "driver_columns"]

#: The columns every long frame has, in this order.
FRAME_COLUMNS = ("unique_id", "ds", "y")


def driver_columns(df: pd.DataFrame) -> list[str]:
    """The driver columns of a long frame: its numeric columns other than ``unique_id, ds, y``.

    Parameters
    ----------
    df : DataFrame
        Long frame (``unique_id, ds, y, <driver>...``) or future frame
        (``unique_id, ds, <driver>...``).

    Returns
    -------
    list of str
        Driver names in the frame's column order (the file's order); empty when there are none.

    Examples
    --------
    >>> df = pd.DataFrame(
    ...     {"unique_id": ["a"], "ds": [pd.Timestamp("2020-01-01")], "y": [1.0],
    ...      "price": [2.0], "state": ["x"], "promo": [0.0]}
    ... )
    >>> driver_columns(df)
    ['price', 'promo']
    """
    return [
        str(c)
        for c in df.columns
        if c not in FRAME_COLUMNS
        and pd.api.types.is_numeric_dtype(df[c])
        and not pd.api.types.is_bool_dtype(df[c])
    ]
