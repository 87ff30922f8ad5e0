"""Put every series of a long frame on one regular time grid, and fill its gaps by a policy.

:func:`regularise` finds (or checks) the one frequency of the series, moves mid-period dates to
the start of their period where that makes them regular, inserts the missing grid points and fills
them as asked; it says what it did, and :mod:`forecast.ingest.reader` records that in its report.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from forecast.calendar.frequency import canonical_alias, infer_freq, on_grid
from forecast.errors import DataError

__all__ = ["FillPolicy", "Regularised", "regularise", "series_codes"]

FillPolicy = Literal["none", "interpolate", "ffill"]

#: Lay every series on one shared grid in one vectorised pass when their timestamps are all on
#: it (the common case); the reference, a grid per series, stays for the rest (timestamps to
#: snap or refuse, series on grids of other phases) and for the tests that compare the two.
FAST = True

_ACTIONS = {
    "none": "left as NaN (fill='none')",
    "interpolate": "filled by linear interpolation",
    "ffill": "filled with the previous value",
}


@dataclass
class Regularised:
    """Series on a regular grid, as :func:`regularise` returns them.

    Attributes
    ----------
    frame : DataFrame
        Long frame ``unique_id, ds, y`` with one row per grid point of each series, grouped by
        ``unique_id`` in sorted order and sorted by ``ds`` within a series.
    freq : str
        Offset alias of the grid.
    gaps : dict of str to int
        Per series, grid points with no value before filling.
    missing_filled : dict of str to int
        Per series, values filled by the policy.
    repairs : list of str
        Timestamps moved and gaps found, in plain sentences.
    """

    frame: pd.DataFrame
    freq: str
    gaps: dict[str, int] = field(default_factory=dict)
    missing_filled: dict[str, int] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)


def _frequency(long: pd.DataFrame, freq: str | None, encoded=None) -> str:
    """The one frequency of the series (inferred when ``freq`` is None), as a canonical alias.
    ``encoded``: :func:`series_codes` of the rows' ids, when the caller has them."""
    if freq is None:
        freqs = _series_freqs(long, encoded) if FAST else None
        if freqs is None:
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
        return freq
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return canonical_alias(freq)
    except ValueError as exc:
        raise DataError(
            f"freq='{freq}' is not a pandas offset alias (try MS, QS, YS, W-SUN, D, h)."
        ) from exc


def _sorted(codes: np.ndarray, ns: np.ndarray, *others: np.ndarray) -> tuple[np.ndarray, ...]:
    """The arrays in (series code, time) order; no sort when they are in it already."""
    step = np.diff(codes)
    if (step > 0).all() or ((step >= 0) & ((step > 0) | (np.diff(ns) > 0))).all():
        return (codes, ns, *others)
    order = np.lexsort((ns, codes))
    return (codes[order], ns[order], *(o[order] for o in others))


def _series_freqs(long: pd.DataFrame, encoded=None) -> dict[str, str] | None:
    """The frequency of every series with two distinct timestamps, as :func:`_frequency`'s
    reference finds it, from one sort of the frame instead of a group per series (None when a
    timestamp is missing)."""
    ds = pd.DatetimeIndex(long["ds"]).as_unit("ns")
    if ds.hasnans:
        return None
    codes, names = encoded or series_codes(long["unique_id"].to_numpy())
    codes, ns = _sorted(codes, ds.asi8)
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    out, seen = {}, {}
    for part, code in zip(np.split(ns, cuts), codes[np.r_[0, cuts]], strict=True):
        if part[0] != part[-1]:  # two distinct timestamps
            key = part.tobytes()  # series on the same timestamps (most of a long file) ask once
            if key not in seen:
                seen[key] = infer_freq(part.view("datetime64[ns]"))
            out[names[code]] = seen[key]
    return out


def regularise(
    long: pd.DataFrame, freq: str | None, fill: FillPolicy, extra: Sequence[str] = ()
) -> Regularised:
    """Put each series on a regular grid of one frequency and fill its gaps.

    Parameters
    ----------
    long : DataFrame
        Long frame ``unique_id, ds, y`` of observed values, with unique ``(unique_id, ds)`` pairs
        (in any order).
    freq : str or None
        Offset alias of the grid; inferred from the dominant step of each series when None (the
        series must agree).
    fill : {"none", "interpolate", "ffill"}
        What to do with the inserted grid points: leave NaN, interpolate linearly, or carry the
        last value forward (and the first value backward).
    extra : sequence of str
        Further columns of ``long`` (drivers) carried onto the grid unfilled: NaN at inserted
        grid points. ``y`` may be NaN in ``long`` on rows that carry them.

    Returns
    -------
    Regularised
        The frame on the grid, its frequency, gaps and values filled per series, and what was
        done.

    Raises
    ------
    DataError
        Series of different frequencies, no series with two timestamps, ``freq`` not an offset
        alias, timestamps off the grid, or two rows in one period after moving mid-period dates.

    Examples
    --------
    >>> long = pd.DataFrame(
    ...     {"unique_id": "a", "ds": pd.to_datetime(["2020-01-01", "2020-03-01"]), "y": [1.0, 3.0]}
    ... )
    >>> out = regularise(long, "MS", "interpolate")
    >>> out.frame["y"].tolist(), out.gaps
    ([1.0, 2.0, 3.0], {'a': 1})
    """
    encoded = series_codes(long["unique_id"].to_numpy()) if FAST else None  # once, for both
    freq = _frequency(long, freq, encoded)
    if FAST:
        fast = _on_one_grid(long, freq, fill, extra, encoded)
        if fast is not None:
            return fast
    out = Regularised(frame=pd.DataFrame(), freq=freq)
    pieces = []
    for uid, g in long.groupby("unique_id", sort=True):
        g = g.sort_values("ds")
        ds = pd.DatetimeIndex(g["ds"])
        ok = on_grid(ds, freq)
        if not ok.all():
            snapped = _snap(ds, freq)
            if snapped is not None:
                out.repairs.append(
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
        carried = {c: pd.Series(g[c].to_numpy(), index=ds).reindex(grid).to_numpy() for c in extra}
        n_gaps = int(y.isna().sum())
        out.gaps[str(uid)] = n_gaps
        filled = 0
        if n_gaps and fill == "interpolate":
            y = y.interpolate(method="linear", limit_direction="both")
            filled = n_gaps - int(y.isna().sum())
        elif n_gaps and fill == "ffill":
            y = y.ffill().bfill()
            filled = n_gaps - int(y.isna().sum())
        out.missing_filled[str(uid)] = filled
        if n_gaps:
            action = _ACTIONS[fill]
            out.repairs.append(f"Series '{uid}': {n_gaps} gaps on the {freq} grid, {action}.")
        pieces.append(
            pd.DataFrame({"unique_id": str(uid), "ds": grid, "y": y.to_numpy(), **carried})
        )
    out.frame = pd.concat(pieces, ignore_index=True)
    return out


def _on_one_grid(
    long: pd.DataFrame, freq: str, fill: FillPolicy, extra: Sequence[str] = (), encoded=None
) -> Regularised | None:
    """:func:`regularise` in one pass over all series, or None where the reference is needed.

    One grid of ``freq`` from the earliest to the latest timestamp; when every timestamp lies on
    it, each series' own grid (from its first to its last timestamp) is a slice of it, so the
    rows, gaps and fills are those of the reference. Linear interpolation and carrying forward
    never cross from one series to the next, because every series starts and ends with an
    observation (with carried columns, a missing ``y`` leaves the frame to the reference).
    """
    if long.empty:
        return None
    codes, names = _series_codes(long["unique_id"].to_numpy(), encoded)
    ns = pd.DatetimeIndex(long["ds"]).as_unit("ns").asi8
    carried = [long[c].to_numpy() for c in extra]
    codes, ns, y, *carried = _sorted(codes, ns, long["y"].to_numpy(dtype=float), *carried)
    if np.isnan(y).any():
        return None
    first, last = pd.Timestamp(ns[0] if len(ns) == 1 else ns.min()), pd.Timestamp(ns.max())
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        return None
    if (
        isinstance(offset, pd.offsets.Tick)
        and (last - first).value // offset.nanos > 10 * len(ns) + 1_000_000
    ):
        return None  # a sparse grid: the per-series grids are smaller
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grid = pd.date_range(first, last, freq=freq).as_unit("ns")
    if len(grid) == 0 or grid[0] != first:
        return None
    grid_ns = grid.asi8
    if len(ns) == len(grid_ns) and np.array_equal(ns, grid_ns):  # one series, no gap
        pos = np.arange(len(ns))
    else:
        pos = np.searchsorted(grid_ns, ns)
    if (pos >= len(grid_ns)).any() or (grid_ns[pos] != ns).any():
        return None
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)] - 1
    first_pos, last_pos = pos[starts], pos[ends]
    lengths = last_pos - first_pos + 1
    gaps = lengths - (ends - starts + 1)
    out_start = np.r_[0, np.cumsum(lengths)[:-1]]
    row_series = np.repeat(np.arange(len(starts)), lengths)
    grid_pos = first_pos[row_series] + np.arange(int(lengths.sum())) - out_start[row_series]
    values = np.full(len(grid_pos), np.nan)
    at_obs = out_start[codes] + pos - first_pos[codes]
    values[at_obs] = y
    columns = {}
    for name, column in zip(extra, carried, strict=True):  # NaN at inserted points, unfilled
        index = np.full(len(grid_pos), len(column))
        index[at_obs] = np.arange(len(column))
        if (index == len(column)).any():  # a gap: upcast as the reference's reindex does
            column = pd.Series(column).reindex(pd.RangeIndex(len(column) + 1)).to_numpy()
        columns[name] = column[index]
    missing = np.isnan(values)
    if missing.any() and fill == "interpolate":
        at = np.arange(len(values))
        values[missing] = np.interp(at[missing], at[~missing], values[~missing])
    elif missing.any() and fill == "ffill":
        values = pd.Series(values).ffill().to_numpy()
    left = np.bincount(row_series[np.isnan(values)], minlength=len(starts))
    ids = [str(u) for u in names]
    out = Regularised(
        frame=pd.DataFrame(
            {
                "unique_id": np.asarray(ids, dtype=object)[row_series],
                "ds": grid[grid_pos],
                "y": values,
                **columns,
            }
        ),
        freq=freq,
    )
    for uid, n_gaps, n_left in zip(ids, gaps.tolist(), left.tolist(), strict=True):
        out.gaps[uid] = int(n_gaps)
        out.missing_filled[uid] = int(n_gaps - n_left) if fill != "none" else 0
        if n_gaps:
            out.repairs.append(
                f"Series '{uid}': {n_gaps} gaps on the {freq} grid, {_ACTIONS[fill]}."
            )
    return out


def series_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(ids)``: a code per row (0, 1, … in order of first appearance) and the
    distinct ids; one comparison pass instead of hashing every row when all are one series.

    Parameters
    ----------
    ids : ndarray of object, shape (n,)
        The series id of each row.

    Returns
    -------
    codes : ndarray of intp, shape (n,)
    uniques : ndarray of object
    """
    first = ids[0] if len(ids) else None
    if (
        isinstance(first, str)
        and ids[-1] == first
        and ids[len(ids) // 2] == first
        and bool((ids == first).all())
    ):
        return np.zeros(len(ids), dtype=np.intp), np.asarray([ids[0]], dtype=object)
    return pd.factorize(ids)


def _series_codes(ids: np.ndarray, encoded=None) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize(ids.astype(str), sort=True)``, converting only the distinct ids to text
    (``encoded``: :func:`series_codes` of ``ids``, when known)."""
    codes, uniques = encoded or series_codes(ids)
    names = np.array([str(u) for u in uniques], dtype=object)
    if (codes < 0).any() or len(set(names.tolist())) < len(names):  # NaN; 1 and "1" as one
        return pd.factorize(ids.astype(str), sort=True)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return rank[codes], names[order]


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
