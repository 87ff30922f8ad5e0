"""What :func:`~forecast.ingest.reader.read_csv` inferred and repaired, and a summary per series.

:class:`CsvReport` is filled step by step while a file is read (every repair a sentence in
``repairs``); :func:`series_summary` turns a read frame and its report into one JSON-ready dict
per series, for ``forecast inspect`` and the Data page.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import pandas as pd

from forecast.ingest.drivers import DriverFacts

__all__ = ["CsvReport", "series_summary"]


@dataclass
class CsvReport:
    """What :func:`~forecast.ingest.reader.read_csv` inferred and repaired.

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


def series_summary(df: pd.DataFrame, report: CsvReport) -> list[dict]:
    """One JSON-ready summary per series: id, size, frequency, span, gaps.

    Parameters
    ----------
    df : DataFrame
        Long frame from :func:`~forecast.ingest.reader.read_csv`.
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
