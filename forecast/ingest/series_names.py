"""A series as people read it: its label, when the file gives one, beside its id.

:func:`forecast.ingest.reader.read_csv` reads a text column that is constant within every series
of a long file as that series' label (``"Total Private"`` for ``CEU0500000001``) and keeps the
labels in the report (``report.labels``) and in the frame (``df.attrs["labels"]``). Every place
that names a series — a verdict, a table, the title of a chart — names it by
:func:`series_name`, so the same series reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["frame_labels", "series_name"]

#: Between a series' label and its id.
SEPARATOR = " · "


def series_name(uid, labels: Mapping | None = None) -> str:
    """The name of a series for people: ``"label · id"`` when it has a label, else its id.

    Parameters
    ----------
    uid : str or object
        The series' ``unique_id`` (converted to text).
    labels : mapping of str to str, optional
        Labels by ``unique_id`` (``report.labels``, ``df.attrs["labels"]``, a run's
        ``recommended["labels"]``).

    Returns
    -------
    str

    Examples
    --------
    >>> series_name("CEU0500000001", {"CEU0500000001": "Total Private"})
    'Total Private · CEU0500000001'
    >>> series_name("y", {})
    'y'
    """
    uid = str(uid)
    label = (labels or {}).get(uid)
    return f"{label}{SEPARATOR}{uid}" if label else uid


def frame_labels(frame: pd.DataFrame | None) -> dict[str, str]:
    """The labels a long frame carries (``frame.attrs["labels"]``; empty when it has none).

    Parameters
    ----------
    frame : DataFrame or None
        A long frame as :func:`~forecast.ingest.reader.read_csv` returns it.

    Returns
    -------
    dict of str to str
    """
    if frame is None:
        return {}
    return {str(k): str(v) for k, v in (frame.attrs.get("labels") or {}).items()}
