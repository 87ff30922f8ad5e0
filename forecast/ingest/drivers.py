"""Drivers of a CSV: which columns they are, their history on the target's grid, their known future.

A driver is a numeric column read beside the target (``--drivers price,promo`` or ``--drivers
all``). :mod:`forecast.ingest.reader` hands each step here and records what it says:

1. :func:`choose_drivers` checks the names (in the file, not twice, not the target, time or id
   column) and, for ``all``, takes every other numeric column;
2. :func:`parse_drivers` reads their cells as numbers (a cell that is not a number is an error);
3. :func:`split_future` keeps, per series, the rows after the last observed target that hold a
   driver value: the drivers' known future (a planned price, a weather forecast);
4. :func:`read_future_file` reads a separate ``--future`` file with the same columns;
5. :func:`finish_drivers` checks the future rows continue the grid without gaps, decides per
   driver whether it is *known in advance* (a value on every future row) or *observed only*
   (none), and fills or refuses gaps in the history by the fill policy.

Nothing is guessed silently: every refusal is a :class:`~forecast.errors.DataError` that says
what, where and what to do, and every repair is a line of the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from forecast.calendar.frequency import future_dates, on_grid
from forecast.errors import DataError
from forecast.ingest.parsing import NumberFormat, decode, parse_numbers, read_table, sniff_delimiter

__all__ = [
    "DriverFacts",
    "choose_drivers",
    "finish_drivers",
    "parse_driver_spec",
    "parse_drivers",
    "read_future_file",
    "split_future",
]


@dataclass
class DriverFacts:
    """What the reader found about one driver (one entry of ``report.drivers``).

    Attributes
    ----------
    name : str
        Column name (in the frame and the future frame).
    source : str
        ``"file"`` (a column of the CSV), ``"calendar"`` or ``"holidays"`` (generated).
    known_in_advance : bool
        The driver has a value on every future row of every series (calendar drivers always).
    future_rows : int
        Future rows of the driver (the fewest over the series); 0 for an observed-only driver.
    gaps : int
        Cells of the driver missing in the history (over all series), before filling.
    filled : int
        Of those, cells filled by the policy.
    fill : str
        Gap policy applied to the driver's history: ``"none"``, ``"interpolate"`` or ``"ffill"``.
    """

    name: str
    source: str = "file"
    known_in_advance: bool = False
    future_rows: int = 0
    gaps: int = 0
    filled: int = 0
    fill: str = "none"

    def to_dict(self) -> dict:
        """JSON-ready dict; ``role`` is ``"driver"``."""
        return {"role": "driver", **asdict(self)}


def parse_driver_spec(drivers: str | list[str] | None) -> list[str] | str | None:
    """``"a,b"`` or ``["a", "b"]`` -> ``["a", "b"]``; ``"all"`` -> ``"all"``; empty -> None.

    Raises
    ------
    DataError
        A driver named twice.
    """
    if drivers is None:
        return None
    names = [c.strip() for c in drivers.split(",")] if isinstance(drivers, str) else list(drivers)
    names = [c for c in names if c]
    if not names:
        return None
    if names == ["all"]:
        return "all"
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise DataError(f"Driver '{name}' is named twice in drivers; name each driver once.")
        seen.add(name)
    return names


def choose_drivers(
    table: pd.DataFrame,
    spec: list[str] | str,
    *,
    time_name: str,
    value_cols: list[str] | None,
    keys: list[str],
) -> list[str]:
    """Check the named drivers against the table (or list every candidate for ``"all"``).

    Parameters
    ----------
    table : DataFrame
        Raw cell strings of the CSV.
    spec : list of str or "all"
        From :func:`parse_driver_spec`.
    time_name : str
        The time column.
    value_cols : list of str or None
        Target columns named by the user.
    keys : list of str
        Series key columns named by the user.

    Returns
    -------
    list of str
        The named drivers, or for ``"all"`` every column but the time, id and target columns
        (the caller keeps the numeric ones).

    Raises
    ------
    DataError
        ``all`` without a named target; a driver not in the file, equal to the target, the time
        column or the id column.
    """
    if spec == "all":
        if not value_cols:
            raise DataError(
                "drivers 'all' needs the target named: pass --value-col (value_cols) so the other "
                "numeric columns can be read as its drivers."
            )
        skip = {time_name, *keys, *value_cols}
        return [c for c in table.columns if c not in skip]
    for name in spec:
        if name not in table.columns:
            raise DataError(
                f"Driver '{name}' is not in the file; its columns are {list(table.columns)}. "
                "Name a column of the file."
            )
        if value_cols and name in value_cols:
            raise DataError(
                f"Column '{name}' is named both as the target (value_cols) and as a driver; a "
                "column is one or the other."
            )
        if name == time_name:
            raise DataError(f"Driver '{name}' is the time column; name a numeric column instead.")
        if name in keys:
            raise DataError(f"Driver '{name}' is a series key column; name a numeric column.")
    return list(spec)


def numeric_columns(table: pd.DataFrame, names: list[str], fmt: NumberFormat) -> list[str]:
    """Of ``names``, those whose first 2,000 present cells are mostly numbers (the reader's rule)."""
    out = []
    for name in names:
        _, missing, bad = parse_numbers(table[name].iloc[:2000], fmt)
        present = ~missing
        if present.sum() and bad[present].mean() < 0.5:
            out.append(name)
    return out


def parse_drivers(
    table: pd.DataFrame,
    drivers: list[str],
    fmt: NumberFormat,
    floats: dict[str, pd.Series] | None = None,
) -> dict[str, np.ndarray]:
    """Read each driver column as float64 (NaN where a cell is empty or a missing marker).

    ``floats`` holds the columns the table reader already read as numbers
    (:func:`forecast.ingest.table.read_table_numbers`, indexed like the table it split, before
    any row was dropped): those are taken as they are.

    Raises
    ------
    DataError
        A driver with a cell that is not a number (the message names the line and the cell).
    """
    out = {}
    for name in drivers:
        if floats and name in floats:  # read as numbers by the table reader
            column = floats[name]
            if len(column) != len(table) or not column.index.equals(table.index):
                column = column.reindex(table.index)
            out[name] = column.to_numpy(dtype=np.float64, copy=True)
            continue
        if fmt == NumberFormat():  # fast path: plain numbers in cells read_table already stripped
            try:
                fast = table[name].to_numpy().astype(np.float64)
            except (TypeError, ValueError):  # an empty cell, a marker or text: the full parser
                fast = None
            if fast is not None:
                fast[~np.isfinite(fast)] = np.nan
                out[name] = fast
                continue
        numbers, _, bad = parse_numbers(table[name], fmt)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"Driver '{name}' is not numeric: line {table.index[row]} of the file holds "
                f"'{table[name].iloc[row]}' ({int(bad.sum())} such cells). Drivers are numbers; "
                "fix the cells, leave them empty to mark them missing, or drop the column from "
                "the drivers."
            )
        out[name] = numbers
    return out


def split_future(long: pd.DataFrame, drivers: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the rows of each series into its history and the drivers' future.

    Parameters
    ----------
    long : DataFrame
        ``unique_id, ds, y, <drivers>`` with unique ``(unique_id, ds)``; ``y`` NaN where the
        target is missing.
    drivers : list of str
        Driver columns.

    Returns
    -------
    history : DataFrame
        Rows from the first to the last observed ``y`` of each series.
    future : DataFrame
        Rows after the last observed ``y`` with at least one driver value
        (``unique_id, ds, <drivers>``).
    """
    observed = long["y"].notna().to_numpy()
    uid = long["unique_id"].to_numpy()
    ds = long["ds"].to_numpy()
    if len(uid) and (uid == uid[0]).all():  # one series (a wide file's target): numpy alone
        stamps = ds[observed]
        first, last = stamps.min(), stamps.max()
    else:
        span = long.loc[observed].groupby("unique_id", sort=False)["ds"].agg(["min", "max"])
        first = long["unique_id"].map(span["min"]).to_numpy()
        last = long["unique_id"].map(span["max"]).to_numpy()
    hist_mask = (ds >= first) & (ds <= last)
    has_driver = np.zeros(len(long), dtype=bool)
    for name in drivers:
        has_driver |= ~np.isnan(long[name].to_numpy(dtype="float64"))
    fut_mask = (ds > last) & has_driver
    keep = hist_mask & (observed | has_driver)
    history = long if keep.all() else long.loc[keep]
    future = long.loc[fut_mask, ["unique_id", "ds", *drivers]]
    return history, future


def read_future_file(
    source,
    *,
    time_name: str,
    keys: list[str],
    targets: list[str],
    series: list[str],
    drivers: list[str],
    fmt: NumberFormat,
    freq: str | None,
    series_ids=None,
) -> pd.DataFrame:
    """Read a ``--future`` file: the drivers' future values, in the columns of the history file.

    Parameters
    ----------
    source : path or bytes
        The future CSV: the time column, the id column of a long file, every file driver, and
        optionally the target columns left empty.
    time_name : str
        Time column of the history file.
    keys : list of str
        Series key columns of the history file (empty for a wide file).
    targets : list of str
        Target columns of the history file.
    series : list of str
        Series ids of a wide file (each future row applies to all of them).
    drivers : list of str
        Driver columns of the history file.
    fmt : NumberFormat
        Number format of the history file.
    freq : str or None
        Frequency asked for (settles ambiguous dates).
    series_ids : callable, optional
        ``series_ids(table, keys) -> Series of str``: the reader's readable id of each row.

    Returns
    -------
    DataFrame
        ``unique_id, ds, <drivers>``.

    Raises
    ------
    DataError
        The file cannot be read, its columns do not match the history file's, a date or a number
        does not parse, or a target column holds values.
    """
    from forecast.ingest.dates import parse_times

    if isinstance(source, (bytes, bytearray)):
        raw = bytes(source)
    else:
        try:
            with open(source, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            raise DataError(
                f"Cannot read the future file {source}: {exc.strerror or exc}. Check the path."
            ) from exc
    text, _ = decode(raw)
    lines = [line for line in text.split("\n") if line.strip()][:200]
    if len(lines) < 2:
        raise DataError("The future file has no data rows; add rows of future driver values.")
    table = read_table(text, sniff_delimiter(lines))
    need = [time_name, *keys, *drivers]
    missing = [c for c in need if c not in table.columns]
    extra = [c for c in table.columns if c not in need and c not in targets]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"lacks {missing}")
        if extra:
            parts.append(f"has columns {extra} the history file does not read")
        raise DataError(
            f"The future file's columns do not match the history file: it {' and '.join(parts)}. "
            f"Give it the columns {need} (the target columns may be there, empty)."
        )
    for name in targets:
        if name in table.columns and (table[name] != "").any():
            row = int(np.flatnonzero((table[name] != "").to_numpy())[0])
            raise DataError(
                f"The future file holds a value of the target '{name}' on line "
                f"{table.index[row]}; future rows carry drivers only. Leave the target empty."
            )
    parsed = parse_times(table[time_name], allow_years=True, freq=freq)
    bad = np.asarray(parsed.values.isna())
    if parsed.problem or bad.any():
        row = int(np.flatnonzero(bad)[0]) if bad.any() else 0
        raise DataError(
            parsed.problem
            or f"The future file's '{time_name}' on line {table.index[row]} "
            f"('{table[time_name].iloc[row]}') is not a date; fix it."
        )
    values = parse_drivers(table, drivers, fmt)
    ds = pd.DatetimeIndex(parsed.values).as_unit("ns")
    if keys:
        ids = series_ids(table, keys) if series_ids else table[keys[0]].astype(str).str.strip()
        frame = pd.DataFrame({"unique_id": ids.to_numpy(), "ds": ds, **values})
        if len(targets) > 1:
            frame = pd.concat(
                [frame.assign(unique_id=frame["unique_id"] + ":" + t) for t in targets],
                ignore_index=True,
            )
    else:
        frame = pd.concat(
            [pd.DataFrame({"unique_id": uid, "ds": ds, **values}) for uid in series],
            ignore_index=True,
        )
    dup = frame.duplicated(["unique_id", "ds"])
    if dup.any():
        row = frame[dup].iloc[0]
        raise DataError(
            f"The future file gives {row['ds']} twice for series '{row['unique_id']}'; keep one row "
            "per timestamp."
        )
    return frame


def _continue_grid(
    future: pd.DataFrame, last: pd.Series, freq: str, snap
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Check each series' future rows continue its grid after its last observation, without gaps."""
    pieces, counts = [], {}
    for uid, g in future.groupby("unique_id", sort=True):
        g = g.sort_values("ds")
        end = last.get(uid)
        if end is None:
            raise DataError(
                f"Future rows are given for series '{uid}', which is not in the history file; "
                "use the series ids of the history."
            )
        ds = pd.DatetimeIndex(g["ds"])
        if (ds <= end).any():
            raise DataError(
                f"Series '{uid}': a future row at {_stamp(ds[ds <= end][0])} is not after the last "
                f"observed value ({_stamp(end)}); future rows follow the history."
            )
        ok = on_grid(pd.DatetimeIndex([end, *ds]), freq)[1:]
        if not ok.all() and snap is not None:
            snapped = snap(ds, freq)
            if snapped is not None and on_grid(pd.DatetimeIndex([end, *snapped]), freq)[1:].all():
                ds, ok = snapped, np.ones(len(ds), dtype=bool)
                g = g.assign(ds=ds)
        if not ok.all():
            raise DataError(
                f"Series '{uid}': the future row at {_stamp(ds[~ok][0])} does not continue the {freq} "
                f"grid after the last observed value ({_stamp(end)}); give future rows at the series' "
                "frequency."
            )
        expected = future_dates(end, len(ds), freq)
        if not ds.equals(expected):
            hole = expected[~expected.isin(ds)][0]
            raise DataError(
                f"Series '{uid}': the future rows have a gap: no row for {_stamp(hole)} (the future runs "
                f"from {_stamp(expected[0])} to {_stamp(ds[-1])}). Give every future step, without gaps."
            )
        pieces.append(g)
        counts[str(uid)] = len(g)
    return pd.concat(pieces, ignore_index=True), counts


def _stamp(ts) -> str:
    """A timestamp as text: the date alone at midnight."""
    ts = pd.Timestamp(ts)
    return str(ts.date()) if ts == ts.normalize() else str(ts)


def _cells(n: int) -> str:
    return f"{n} cell" + ("" if n == 1 else "s")


def _where(frame: pd.DataFrame, mask: np.ndarray, limit: int = 3) -> str:
    rows = frame.loc[mask, ["unique_id", "ds"]].head(limit)
    shown = ", ".join(f"{_stamp(r.ds)} (series '{r.unique_id}')" for r in rows.itertuples())
    more = int(mask.sum()) - len(rows)
    return shown + (f" and {more} more" if more > 0 else "")


def finish_drivers(
    history: pd.DataFrame,
    future: pd.DataFrame,
    drivers: list[str],
    *,
    freq: str,
    fill: str,
    snap=None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[DriverFacts], list[str]]:
    """Check the future rows, fill the history's driver gaps by the policy, describe each driver.

    Parameters
    ----------
    history : DataFrame
        Long frame on the grid, ``unique_id, ds, y, <drivers>`` (drivers NaN where missing).
    future : DataFrame
        Candidate future rows ``unique_id, ds, <drivers>`` (from the file and ``--future``).
    drivers : list of str
        Driver columns.
    freq : str
        Offset alias of the grid.
    fill : {"none", "interpolate", "ffill"}
        Gap policy of the history.
    snap : callable, optional
        Moves mid-period dates to their period start (the grid's own rule).

    Returns
    -------
    history : DataFrame
        With the drivers' history gaps filled (``fill`` other than ``"none"``).
    future : DataFrame
        ``unique_id, ds, <drivers>`` sorted, on the grid; observed-only drivers NaN there.
    facts : list of DriverFacts
        One per driver, in order.
    repairs : list of str
        What was found and done, in sentences.

    Raises
    ------
    DataError
        Future rows off the grid or with gaps; a driver with values on only some future rows;
        a driver missing in the history where the target is observed with ``fill="none"``.
    """
    repairs: list[str] = []
    last = history.groupby("unique_id")["ds"].max()
    counts: dict[str, int] = {}
    if len(future):
        future, counts = _continue_grid(future, last, freq, snap)
    else:
        future = pd.DataFrame({"unique_id": pd.Series(dtype=str), "ds": pd.Series(dtype="M8[ns]")})
        for name in drivers:
            future[name] = pd.Series(dtype="float64")
    n_future = min((counts.get(str(u), 0) for u in last.index), default=0)
    if counts and n_future == 0:
        without = [str(u) for u in last.index if counts.get(str(u), 0) == 0]
        repairs.append(
            f"Future rows are given for {len(counts)} series but not for {without[:4]}: no "
            "driver counts as known in advance."
        )
    facts = []
    observed = history["y"].notna().to_numpy()
    for name in drivers:
        fact = DriverFacts(name=name, fill=fill)
        present = future[name].notna().to_numpy()
        if present.any() and not present.all():
            hole = future.loc[~present].iloc[0]
            raise DataError(
                f"Driver '{name}' has values on {int(present.sum())} of the {len(future)} future "
                f"rows (none at {_stamp(hole['ds'])} in series '{hole['unique_id']}'): give it a value on "
                "every future row (known in advance) or on none (observed only)."
            )
        fact.known_in_advance = bool(present.all() and n_future > 0)
        fact.future_rows = n_future if fact.known_in_advance else 0
        gaps = history[name].isna().to_numpy()
        fact.gaps = int(gaps.sum())
        hard = gaps & observed
        if hard.any() and fill == "none":
            raise DataError(
                f"Driver '{name}' is missing in {_cells(int(hard.sum()))} of the history where the "
                f"target is observed: {_where(history, hard)}. Fill the cells, or pass --fill "
                "interpolate or --fill ffill (fill=...) to fill them by that policy (recorded)."
            )
        if gaps.any() and fill != "none":
            col = history[name].groupby(history["unique_id"], sort=False)
            if fill == "interpolate":
                filled = col.transform(lambda s: s.interpolate(limit_direction="both"))
            else:
                filled = col.transform(lambda s: s.ffill().bfill())
            history[name] = filled
            fact.filled = int(gaps.sum() - history[name].isna().sum())
            how = "by linear interpolation" if fill == "interpolate" else "with the previous value"
            repairs.append(
                f"Driver '{name}': {_cells(fact.gaps)} missing in the history "
                f"({_where(history, gaps)}), filled {how} (fill='{fill}')."
            )
        elif gaps.any():
            repairs.append(
                f"Driver '{name}': {_cells(fact.gaps)} missing where the target is missing too, "
                "left as NaN (fill='none')."
            )
        facts.append(fact)
    future = future.sort_values(["unique_id", "ds"], ignore_index=True)
    known = [f.name for f in facts if f.known_in_advance]
    if len(future):
        repairs.append(
            f"{n_future} future rows after the last observed value: drivers "
            f"{known or 'none'} known in advance"
            + (
                f", {[f.name for f in facts if not f.known_in_advance]} observed only."
                if len(known) < len(facts)
                else "."
            )
        )
    return history, future, facts, repairs
