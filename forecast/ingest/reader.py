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

Everything inferred or repaired on the way is recorded in a :class:`CsvReport`
(:mod:`forecast.ingest.report`). This module reads the file and runs the steps in order; each
step says what it found and the report records it: :mod:`forecast.ingest.parsing` reads bytes,
delimiters and numbers, :mod:`forecast.ingest.table` splits the table,
:mod:`forecast.ingest.cleaning` drops what a spreadsheet adds around the data (index column,
empty columns, totals, units rows, footers, undated rows), :mod:`forecast.ingest.dates` reads
timestamps, :mod:`forecast.ingest.columns` chooses the time,
value and key columns, :mod:`forecast.ingest.keys` gives each row its series id and label,
:mod:`forecast.ingest.long_frame` stacks the observations, and :mod:`forecast.ingest.regular_grid`
puts the series on their grid.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

import forecast.ingest.regular_grid as regular_grid
from forecast.errors import DataError
from forecast.ingest.cleaning import (
    drop_empty_columns,
    drop_index_column,
    drop_summary_rows,
    drop_units_and_footer,
    report_undated_rows,
)
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
from forecast.ingest.keys import key_table, series_ids, series_labels
from forecast.ingest.limits import check_header, check_series
from forecast.ingest.long_frame import deduplicate, to_long
from forecast.ingest.parsing import decode, read_table_numbers, sniff_delimiter
from forecast.ingest.regular_grid import FillPolicy, _snap, regularise, series_codes
from forecast.ingest.report import CsvReport, series_summary

__all__ = ["DEFAULT_MAX_BYTES", "CsvReport", "read_csv", "read_text", "series_summary"]

#: Default size limit of an input file, in bytes (200 MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

Source = str | os.PathLike | bytes | bytearray | IO


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
    table, floats = read_table_numbers(text, report.delimiter)
    if table.empty:
        raise DataError(
            f"The file has a header ({', '.join(table.columns[:6])}) but no data rows. "
            "Add rows of data below the header."
        )
    table = drop_index_column(table, report)
    table = drop_empty_columns(table, report)
    table = drop_summary_rows(table, report)
    table = drop_units_and_footer(table, report)
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
        report_undated_rows(table, no_time, time_name, chosen, report)
        table = table.loc[~no_time]
        times = pd.DatetimeIndex(parsed.values[~no_time])
    else:
        times = pd.DatetimeIndex(parsed.values)
    if table.empty:
        raise DataError(f"No row of '{time_name}' holds a date. Check the time column.")
    driver_values = parse_drivers(table, driver_names, fmt, floats) if driver_names else None
    ids = series_ids(table, keys) if keys else None  # once: every step below takes them
    long = to_long(table, times, chosen, keys, report, driver_values, ids=ids, floats=floats)
    check_series(len(chosen) if ids is None else long["unique_id"].nunique())
    keys_per_series = key_table(table, keys, chosen, ids) if ids is not None else None
    if ids is not None:
        skip = [time_name, *keys, *chosen, *driver_names]
        labels = series_labels(table, ids, skip, report)
        if len(chosen) > 1:  # several value columns: series 'id:column'
            labels = {f"{u}:{c}": f"{text} · {c}" for u, text in labels.items() for c in chosen}
        report.labels = labels
    long = deduplicate(long, report)
    gaps = bool(np.isnan(long["y"].to_numpy()).any())
    if gaps:  # a series without a number is left out
        long = long[long.groupby("unique_id")["y"].transform("count").to_numpy() > 0]
    if long.empty:
        raise DataError(f"The value columns {chosen} hold no numbers.")
    use_freq = freq or (parsed.freq if parsed.kind != "datetime" else None)
    if driver_names:
        observed, future_rows = split_future(long, driver_names)
    else:
        observed = long.dropna(subset=["y"]) if gaps else long
    regular = regularise(observed, use_freq, fill, extra=driver_names)
    report.freq, report.gaps = regular.freq, regular.gaps
    report.missing_filled = regular.missing_filled
    report.repairs.extend(regular.repairs)
    long = regular.frame
    codes, names = series_codes(long["unique_id"].to_numpy())
    observed_rows = codes[~np.isnan(long["y"].to_numpy(dtype=float))]
    counts = pd.Series(np.bincount(observed_rows, minlength=len(names)), index=names).sort_index()
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
    if pd.api.types.infer_dtype(long["unique_id"], skipna=False) != "string":
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
                series_ids=series_ids,
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
    if keys_per_series is not None:
        long = long.merge(keys_per_series, on="unique_id", how="left", sort=False)
    long.attrs["freq"] = report.freq
    long.attrs["keys"] = list(keys) if keys_per_series is not None else []
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


def read_text(text: str, **kwargs) -> tuple[pd.DataFrame, CsvReport]:
    """Convenience: :func:`read_csv` on CSV text (tests, notebooks)."""
    return read_csv(io.BytesIO(text.encode("utf-8")), **kwargs)
