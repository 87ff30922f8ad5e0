"""Read any reasonable CSV into the long frame, or refuse it with a message that says what to fix.

The long frame
--------------
:func:`read_csv` returns a ``pandas.DataFrame`` with exactly three columns and these invariants:

1. ``unique_id`` is ``str``; one series per value (a wide file's column name, or a long file's id).
2. ``ds`` is ``datetime64[ns]``, timezone-naive.
3. ``y`` is ``float64``; it is NaN only where a gap was left unfilled (``fill="none"``).
4. Rows are sorted by ``unique_id`` then ``ds``; ``(unique_id, ds)`` pairs are unique.
5. Every series lies on one regular grid of one frequency (``df.attrs["freq"]``, a pandas offset
   alias such as ``MS``, ``QS-OCT``, ``YS``, ``W-SUN``, ``D``): missing timestamps are inserted as
   rows (then filled or left NaN by the ``fill`` policy), so ``len`` of a series is the number of
   grid points from its first to its last observation.
6. Each series has at least ``min_length`` observed (non-missing) values.
7. The index is a ``RangeIndex``.

Everything inferred or repaired on the way is recorded in a :class:`CsvReport`.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Literal

import numpy as np
import pandas as pd

from forecast.errors import DataError
from forecast.frequency import canonical_alias as _canonical_alias
from forecast.frequency import infer_freq, on_grid
from forecast.parsing import (
    decode,
    detect_number_format,
    parse_numbers,
    parse_times,
    read_table,
    sniff_delimiter,
)

__all__ = ["DEFAULT_MAX_BYTES", "CsvReport", "read_csv", "series_summary"]

#: Default size limit of an input file, in bytes (200 MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

FillPolicy = Literal["none", "interpolate", "ffill"]
Source = str | os.PathLike | bytes | bytearray | IO

_TIME_NAME = re.compile(
    r"^(ds|date|dates|datetime|time|timestamp|period|month|year|week|quarter|day|"
    r"fecha|datum|data|jahr|date_time|obs|observation_date|index)$|date|time",
    re.IGNORECASE,
)
_ID_NAME = re.compile(
    r"^(unique_id|id|series|series_id|item|item_id|sku|store|name|key|group)$", re.I
)


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
        Series id column of a long file (None for a wide file).
    dayfirst : bool or None
        Whether ``dd/mm`` dates were read day-first (None when the format was unambiguous).
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
    """

    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str | None = None
    time_col: str = ""
    value_cols: list[str] = field(default_factory=list)
    id_col: str | None = None
    dayfirst: bool | None = None
    freq: str = ""
    fill: str = "none"
    gaps: dict[str, int] = field(default_factory=dict)
    missing_filled: dict[str, int] = field(default_factory=dict)
    dropped_rows: int = 0
    repairs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready dict of the report."""
        return asdict(self)


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


def _choose_time_column(table: pd.DataFrame, time_col: str | None, report: CsvReport):
    if time_col is not None:
        if time_col not in table.columns:
            raise DataError(
                f"Time column '{time_col}' is not in the file; its columns are "
                f"{list(table.columns)}. Pick one of them."
            )
        parsed = parse_times(table[time_col], allow_years=True)
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
    return best[1], parse_times(table[best[1]], allow_years=best[2])


def _choose_columns(
    table: pd.DataFrame,
    time_name: str,
    value_cols: list[str] | None,
    id_col: str | None,
    report: CsvReport,
) -> tuple[list[str], str | None]:
    others = [c for c in table.columns if c != time_name]
    for name in [*(value_cols or []), *([id_col] if id_col else [])]:
        if name not in table.columns:
            raise DataError(
                f"Column '{name}' is not in the file; its columns are {list(table.columns)}."
            )
    fmt = detect_number_format(
        [c for name in others for c in table[name].head(500) if c], report.delimiter
    )
    report.decimal, report.thousands = fmt.decimal, fmt.thousands
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
            report.repairs.append(f"Read column '{id_col}' as the series id (long format).")
        elif repeated and not text_cols and len(numeric) >= 2 and not value_cols:
            ints = [c for c in numeric if _ID_NAME.match(c)]
            if ints:
                id_col = ints[0]
                numeric.remove(id_col)
    chosen = list(value_cols) if value_cols else [c for c in numeric if c != id_col]
    if not chosen:
        raise DataError(
            f"No column holds numbers: besides the time column '{time_name}', the columns "
            f"{others} are text. Add a numeric value column or name it with value_cols."
        )
    ignored = [c for c in others if c not in chosen and c != id_col]
    if ignored:
        report.repairs.append(f"Ignored non-numeric columns {ignored}.")
    return chosen, id_col


def _to_long(
    table: pd.DataFrame,
    times: pd.DatetimeIndex,
    values: list[str],
    id_col: str | None,
    report: CsvReport,
) -> pd.DataFrame:
    from forecast.parsing import NumberFormat

    fmt = NumberFormat(report.decimal, report.thousands)
    frames = []
    for name in values:
        numbers, missing, bad = parse_numbers(table[name], fmt)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Column '{name}', line {table.index[row]} of the file: "
                f"'{table[name].iloc[row]}' is not a number ({int(bad.sum())} such cells). "
                "Fix the value, or leave the cell empty to mark it missing."
            )
        if missing.any():
            tokens = sorted({table[name].iloc[i] or "(empty)" for i in np.flatnonzero(missing)})
            report.repairs.append(
                f"Column '{name}': {int(missing.sum())} missing cells ({', '.join(tokens[:4])}) "
                "read as missing values."
            )
        if id_col is None:
            uid = pd.Series(name, index=table.index)
        elif len(values) == 1:
            uid = table[id_col].astype(str).str.strip()
        else:
            uid = table[id_col].astype(str).str.strip() + ":" + name
        frames.append(pd.DataFrame({"unique_id": uid.to_numpy(), "ds": times, "y": numbers}))
    long = pd.concat(frames, ignore_index=True)
    if id_col is not None and (long["unique_id"] == "").any():
        row = int(np.flatnonzero(table[id_col].astype(str).str.strip() == "")[0])
        raise DataError(
            f"Column '{id_col}' (series id) is empty on line {table.index[row]}; fill in the series id."
        )
    return long


def _deduplicate(long: pd.DataFrame, report: CsvReport) -> pd.DataFrame:
    key = ["unique_id", "ds"]
    dup = long.duplicated(key, keep=False)
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
            "name the series id column if this is a long file with several series."
        )
    before = len(long)
    long = long.drop_duplicates(key)
    report.dropped_rows += before - len(long)
    report.repairs.append(f"Dropped {before - len(long)} exact duplicate rows.")
    return long


def _regularise(
    long: pd.DataFrame, freq: str | None, fill: FillPolicy, report: CsvReport
) -> pd.DataFrame:
    if freq is None:
        freqs = {
            uid: infer_freq(g["ds"])
            for uid, g in long.groupby("unique_id", sort=False)
            if g["ds"].nunique() >= 2
        }
        distinct = sorted(set(freqs.values()))
        if len(distinct) > 1:
            raise DataError(
                f"The series have different frequencies {distinct}; load series of one "
                "frequency together, or pass freq to read them all on one grid."
            )
        freq = distinct[0] if distinct else None
        if freq is None:
            raise DataError("Every series has a single timestamp: a frequency cannot be inferred.")
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                freq = _canonical_alias(freq)
        except ValueError as exc:
            raise DataError(
                f"freq='{freq}' is not a pandas offset alias (try MS, QS, YS, W-SUN, D, h)."
            ) from exc
    report.freq = freq
    pieces = []
    for uid, g in long.groupby("unique_id", sort=True):
        g = g.sort_values("ds")
        ds = pd.DatetimeIndex(g["ds"])
        ok = on_grid(ds, freq)
        if not ok.all():
            snapped = _snap(ds, freq)
            if snapped is not None:
                report.repairs.append(
                    f"Series '{uid}': timestamps moved to the start of each {freq} period."
                )
                ds = snapped
                g = g.assign(ds=ds)
                if g["ds"].duplicated().any():
                    raise DataError(
                        f"Series '{uid}' has two rows in the same {freq} period "
                        f"(e.g. {g.loc[g['ds'].duplicated(), 'ds'].iloc[0].date()}); "
                        "aggregate them first."
                    )
            else:
                bad = ds[~ok]
                raise DataError(
                    f"Series '{uid}': {len(bad)} timestamps are off the {freq} grid "
                    f"(first: {bad[0]}). The timestamps are irregular; resample them to one "
                    "frequency or pass freq."
                )
        grid = pd.date_range(ds[0], ds[-1], freq=freq)
        y = pd.Series(g["y"].to_numpy(), index=ds).reindex(grid)
        n_gaps = int(y.isna().sum())
        report.gaps[str(uid)] = n_gaps
        filled = 0
        if n_gaps and fill == "interpolate":
            y = y.interpolate(method="linear", limit_direction="both")
            filled = n_gaps - int(y.isna().sum())
        elif n_gaps and fill == "ffill":
            y = y.ffill().bfill()
            filled = n_gaps - int(y.isna().sum())
        report.missing_filled[str(uid)] = filled
        if n_gaps:
            action = {
                "none": "left as NaN (fill='none')",
                "interpolate": "filled by linear interpolation",
                "ffill": "filled with the previous value",
            }[fill]
            report.repairs.append(f"Series '{uid}': {n_gaps} gaps on the {freq} grid, {action}.")
        pieces.append(pd.DataFrame({"unique_id": str(uid), "ds": grid, "y": y.to_numpy()}))
    return pd.concat(pieces, ignore_index=True)


def _snap(ds: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex | None:
    """Move mid-period dates (e.g. the 15th of each month) to the period start, if that fits."""
    if freq in {"MS", "ME"} or freq.startswith(("QS", "QE", "YS", "YE")):
        period = {"M": "M", "Q": "Q", "Y": "Y"}[freq[0]]
        snapped = ds.to_period(period).to_timestamp(how="start")
        if freq.endswith("E") or "E-" in freq:
            snapped = ds.to_period(period).to_timestamp(how="end").normalize()
        if on_grid(snapped, freq).all():
            return snapped
    return None


def read_csv(
    source: Source,
    *,
    time_col: str | None = None,
    value_cols: str | list[str] | None = None,
    id_col: str | None = None,
    freq: str | None = None,
    fill: FillPolicy = "none",
    min_length: int = 3,
    max_bytes: int = DEFAULT_MAX_BYTES,
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
    id_col : str, optional
        Series id column of a long file (time, id, value); detected when timestamps repeat.
    freq : str, optional
        Offset alias; inferred from the dominant step when omitted.
    fill : {"none", "interpolate", "ffill"}
        What to do with gaps on the regular grid: leave NaN, interpolate linearly, or carry the
        last value forward. Recorded in the report.
    min_length : int
        Minimum number of observed values per series.
    max_bytes : int
        Size limit of the file in bytes (default 200 MB).

    Returns
    -------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (see the module docstring for its invariants), with
        ``df.attrs["freq"]`` set.
    report : CsvReport
        What was inferred and repaired.

    Raises
    ------
    DataError
        Empty file, header only, no parseable time column, no numeric column, unparseable
        numbers, duplicate timestamps with different values, irregular timestamps, series
        shorter than ``min_length``, non-text bytes, or a file above ``max_bytes``.

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
    report = CsvReport(fill=fill)
    raw = _read_bytes(source, max_bytes)
    if not raw.strip():
        raise DataError("The file is empty. Upload a CSV with a header row and data rows.")
    text, report.encoding = decode(raw)
    lines = [line for line in text.split("\n") if line.strip()][:200]
    if not lines:
        raise DataError("The file is empty. Upload a CSV with a header row and data rows.")
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
    time_name, parsed = _choose_time_column(table, time_col, report)
    report.time_col, report.dayfirst = time_name, parsed.dayfirst
    if parsed.dayfirst:
        report.repairs.append(f"Read dates in '{time_name}' as day-first (dd/mm/yyyy).")
    if parsed.kind != "datetime":
        report.repairs.append(f"Read '{time_name}' as {parsed.kind}s.")
    chosen, id_name = _choose_columns(table, time_name, value_cols, id_col, report)
    report.value_cols, report.id_col = chosen, id_name
    no_time = parsed.values.isna()
    if no_time.any():
        row = int(np.flatnonzero(no_time)[0])
        report.repairs.append(
            f"Dropped {int(no_time.sum())} rows whose '{time_name}' is not a date "
            f"(first: line {table.index[row]}, '{table[time_name].iloc[row]}')."
        )
        report.dropped_rows += int(no_time.sum())
    keep = ~np.asarray(no_time)
    table = table.loc[keep]
    times = pd.DatetimeIndex(parsed.values[keep])
    if table.empty:
        raise DataError(f"No row of '{time_name}' holds a date. Check the time column.")
    long = _to_long(table, times, chosen, id_name, report)
    long = _deduplicate(long, report)
    long = long[long.groupby("unique_id")["y"].transform(lambda s: s.notna().any())]
    if long.empty:
        raise DataError(f"The value columns {chosen} hold no numbers.")
    use_freq = freq or (parsed.freq if parsed.kind != "datetime" else None)
    observed = long.dropna(subset=["y"])
    long = _regularise(observed, use_freq, fill, report)
    counts = long.groupby("unique_id")["y"].count()
    short = counts[counts < min_length]
    if len(short):
        uid, n = short.index[0], int(short.iloc[0])
        raise DataError(
            f"Series '{uid}' has {n} observed values; at least {min_length} are needed. "
            "Use a longer series or drop it."
        )
    long = long.sort_values(["unique_id", "ds"], ignore_index=True)
    long["unique_id"] = long["unique_id"].astype(str)
    long["ds"] = pd.DatetimeIndex(long["ds"]).as_unit("ns")
    long["y"] = long["y"].astype("float64")
    long.attrs["freq"] = report.freq
    return long, report


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
        after filling.
    """
    out = []
    for uid, g in df.groupby("unique_id", sort=True):
        out.append(
            {
                "unique_id": str(uid),
                "n_obs": len(g),
                "freq": report.freq,
                "start": g["ds"].iloc[0].isoformat(),
                "end": g["ds"].iloc[-1].isoformat(),
                "gaps": int(report.gaps.get(str(uid), 0)),
                "missing_filled": int(report.missing_filled.get(str(uid), 0)),
            }
        )
    return out


def read_text(text: str, **kwargs) -> tuple[pd.DataFrame, CsvReport]:
    """Convenience: :func:`read_csv` on CSV text (tests, notebooks)."""
    return read_csv(io.BytesIO(text.encode("utf-8")), **kwargs)
