"""Frequencies of time series: inference from timestamps, seasonal priors and future dates.

Frequencies are pandas offset aliases (``MS``, ``QS-OCT``, ``YS``, ``W-SUN``, ``D``, ``h``...).
The inference takes the *dominant* step between consecutive timestamps (the most common one),
so a few gaps never turn a monthly series into an irregular one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from forecast.calendar.seasonal_periods import seasonal_periods
from forecast.errors import DataError

__all__ = [
    "calendar_regularity",
    "canonical_alias",
    "frame_freq",
    "freq_words",
    "future_dates",
    "infer_freq",
    "on_grid",
    "season_length",
]

_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def canonical_alias(alias: str) -> str:
    """Return pandas' canonical spelling of an offset alias, shortened for the common anchors.

    Parameters
    ----------
    alias : str
        Any offset alias pandas accepts (``"M"`` is read as month start ``"MS"``).

    Returns
    -------
    str
        E.g. ``"QS-OCT"`` for ``"QS"``, ``"YS"`` for ``"YS-JAN"``.

    Raises
    ------
    ValueError
        If pandas does not know the alias.
    """
    if alias in {"M", "m"}:
        alias = "MS"
    text = pd.tseries.frequencies.to_offset(alias).freqstr
    return {"YS-JAN": "YS", "YE-DEC": "YE"}.get(text, text)


def infer_freq(ds: pd.Series | pd.DatetimeIndex | np.ndarray) -> str:
    """Infer the frequency alias of a set of timestamps from their dominant step.

    Parameters
    ----------
    ds : array-like of datetime64, shape (n,)
        Timestamps of one series, in any order; duplicates are ignored.

    Returns
    -------
    str
        A pandas offset alias such as ``"MS"``, ``"QS-OCT"``, ``"YS"``, ``"W-SUN"``, ``"D"``,
        ``"B"``, ``"h"`` or ``"15min"``.

    Raises
    ------
    DataError
        If there are fewer than two distinct timestamps.

    Examples
    --------
    >>> infer_freq(pd.date_range("2000-01-01", periods=5, freq="MS").delete(2))
    'MS'
    """
    idx = pd.DatetimeIndex(ds)
    ascending = not idx.hasnans and len(idx) > 1 and bool((np.diff(idx.asi8) > 0).all())
    if not ascending:  # sorted distinct timestamps (they mostly come so already)
        idx = pd.DatetimeIndex(pd.unique(idx)).sort_values()
    if len(idx) < 2:
        raise DataError(
            "Cannot infer a frequency from fewer than two distinct timestamps; "
            "add more rows or pass freq explicitly."
        )
    diffs = np.diff(idx.asi8)
    if diffs.min() == diffs.max():  # one step throughout
        dominant = int(diffs[0])
    else:
        values, counts = np.unique(diffs, return_counts=True)
        dominant = int(values[np.argmax(counts)])
    step = pd.Timedelta(dominant, unit="ns")
    days = step / pd.Timedelta(days=1)
    if days < 1:
        return canonical_alias(pd.tseries.frequencies.to_offset(step).freqstr)
    if days == 1:
        weekend = (idx.dayofweek >= 5).any()
        three_day = (diffs == 3 * 86_400 * 10**9).any()
        return "B" if not weekend and three_day else "D"
    if days < 7 and float(days).is_integer():
        return f"{int(days)}D"
    if days == 7:
        weekday = int(pd.Series(idx.dayofweek).mode().iloc[0])
        return f"W-{_WEEKDAYS[weekday]}"
    month_steps = _month_steps(idx)
    for months, start_alias, end_alias in ((1, "MS", "ME"), (3, "QS", "QE"), (12, "YS", "YE")):
        if month_steps == months:
            if (idx.is_month_end).mean() > 0.5 and not (idx.day == 1).all():
                alias = end_alias
                anchor_month = int(pd.Series(idx.month).mode().iloc[0])
            else:
                alias = start_alias
                anchor_month = int(pd.Series(idx.month).mode().iloc[0])
            if months == 1:
                return alias
            return canonical_alias(f"{alias}-{_MONTHS[anchor_month - 1]}")
    if float(days).is_integer():
        return f"{int(days)}D"
    return canonical_alias(pd.tseries.frequencies.to_offset(step).freqstr)


def _month_steps(idx: pd.DatetimeIndex) -> int | None:
    """Dominant step in calendar months between consecutive timestamps, or None if not monthly."""
    months = idx.year * 12 + idx.month
    steps = np.diff(np.asarray(months))
    if len(steps) == 0:
        return None
    values, counts = np.unique(steps, return_counts=True)
    dominant = int(values[np.argmax(counts)])
    days = np.diff(idx.asi8) / 86_400e9
    typical = float(np.median(days))
    expected = {1: (28, 31), 3: (89, 92), 12: (365, 366)}.get(dominant)
    if expected is None or not expected[0] <= typical <= expected[1]:
        return None
    return dominant


#: Calendar months in one step of the month-based offsets.
_MONTHS_PER_STEP = {
    "MonthBegin": 1,
    "MonthEnd": 1,
    "QuarterBegin": 3,
    "QuarterEnd": 3,
    "YearBegin": 12,
    "YearEnd": 12,
}


def calendar_regularity(ds, freq: str | None = None) -> tuple[float, str | None]:
    """Share of consecutive timestamps exactly one calendar step of ``freq`` apart.

    Calendar-aware: a step of one calendar month (28 to 31 days, same day of the month or both
    month ends), quarter, year, week, business day (Friday to Monday) or fixed duration counts
    as one regular step, so the first of every month is perfectly regular.

    Parameters
    ----------
    ds : array-like of datetime64, shape (n,)
        Timestamps in any order; NaT and duplicates are ignored.
    freq : str, optional
        Offset alias of the step; inferred from the dominant step when omitted.

    Returns
    -------
    share : float
        In [0, 1]; 1.0 for a perfectly regular series, 0.0 with fewer than three distinct
        timestamps (too few to tell) or no frequency.
    freq : str or None
        The step's offset alias.

    Examples
    --------
    >>> months = pd.date_range("2016-01-01", periods=13, freq="MS")
    >>> calendar_regularity(months)
    (1.0, 'MS')
    >>> calendar_regularity(pd.to_datetime(["2016-01-01", "2016-01-02", "2017-01-01"]))
    (0.5, 'D')
    """
    idx = pd.DatetimeIndex(pd.unique(pd.DatetimeIndex(ds).dropna())).sort_values()
    if len(idx) < 3:
        return 0.0, None
    try:
        freq = freq or infer_freq(idx)
        offset = pd.tseries.frequencies.to_offset(freq)
    except (DataError, ValueError):
        return 0.0, None
    months = _MONTHS_PER_STEP.get(type(offset).__name__)
    if months:
        ym = np.asarray(idx.year * 12 + idx.month)
        day, end = np.asarray(idx.day), np.asarray(idx.is_month_end)
        clock = np.asarray(idx - idx.normalize())
        ok = (
            (np.diff(ym) == months * offset.n)
            & ((day[1:] == day[:-1]) | (end[1:] & end[:-1]))
            & (clock[1:] == clock[:-1])
        )
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PerformanceWarning of non-vectorised offsets
            ok = np.asarray(idx[:-1] + offset) == np.asarray(idx[1:])
    return float(np.mean(ok)), freq


def on_grid(ds: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Tell which timestamps lie on the regular grid of ``freq`` started at the first one.

    Parameters
    ----------
    ds : DatetimeIndex, shape (n,)
        Sorted timestamps of one series.
    freq : str
        Offset alias.

    Returns
    -------
    ndarray of bool, shape (n,)
    """
    grid = pd.date_range(ds[0], ds[-1], freq=freq)
    if len(grid) == 0 or grid[0] != ds[0]:
        # the first timestamp is not anchored on this offset (e.g. 15th of the month for "MS")
        return np.zeros(len(ds), dtype=bool)
    return np.asarray(ds.isin(grid))


_UNIT_WORDS = {
    "Y": "yearly",
    "YS": "yearly",
    "A": "yearly",
    "AS": "yearly",
    "BYS": "yearly",
    "Q": "quarterly",
    "QS": "quarterly",
    "BQS": "quarterly",
    "M": "monthly",
    "MS": "monthly",
    "ME": "monthly",
    "BMS": "monthly",
    "SMS": "twice a month",
    "W": "weekly",
    "D": "daily",
    "B": "business-daily",
    "H": "hourly",
    "h": "hourly",
    "T": "every minute",
    "min": "every minute",
    "S": "every second",
    "s": "every second",
}
_UNIT_PLURAL = {
    "h": "hours",
    "H": "hours",
    "min": "minutes",
    "T": "minutes",
    "s": "seconds",
    "S": "seconds",
    "D": "days",
    "W": "weeks",
    "MS": "months",
    "M": "months",
    "QS": "quarters",
    "Q": "quarters",
    "YS": "years",
    "Y": "years",
    "B": "business days",
}
_DAY_NAMES = dict(
    zip(
        _WEEKDAYS,
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        strict=True,
    )
)


def freq_words(freq: str | None) -> str:
    """A frequency alias in words, for people.

    Parameters
    ----------
    freq : str or None
        Offset alias (``"QS-OCT"``, ``"W-SUN"``, ``"30min"``).

    Returns
    -------
    str
        ``"quarterly"``, ``"weekly (Sundays)"``, ``"every 30 minutes"``; the alias itself when it
        has no words here, ``"unknown"`` for None.

    Examples
    --------
    >>> [freq_words(f) for f in ("QS-OCT", "MS", "W-SAT", "D", "30min", "2h", "YS-JAN")]
    ['quarterly', 'monthly', 'weekly (Saturdays)', 'daily', 'every 30 minutes', 'every 2 hours', 'yearly']
    """
    if not freq:
        return "unknown"
    base, _, anchor = str(freq).partition("-")
    digits = ""
    while base and base[0].isdigit():
        digits, base = digits + base[0], base[1:]
    if digits and int(digits) != 1:
        plural = _UNIT_PLURAL.get(base)
        return f"every {int(digits)} {plural}" if plural else str(freq)
    words = _UNIT_WORDS.get(base)
    if words is None:
        return str(freq)
    if base == "W" and anchor in _DAY_NAMES:
        return f"weekly ({_DAY_NAMES[anchor]}s)"
    return words


def season_length(freq: str | None) -> int:
    """Seasonal period implied by a frequency alone (the prior of seasonal detection).

    The first period of :func:`forecast.calendar.seasonal_periods.seasonal_periods`, whose table holds
    the facts.

    Parameters
    ----------
    freq : str or None
        Offset alias.

    Returns
    -------
    int
        12 for monthly, 4 quarterly, 52 weekly, 7 daily, 5 business-daily, 24 hourly,
        1 for yearly or unknown.
    """
    periods = seasonal_periods(freq)
    return periods[0] if periods else 1


def future_dates(last: pd.Timestamp, h: int, freq: str) -> pd.DatetimeIndex:
    """The ``h`` timestamps that follow ``last`` at frequency ``freq``.

    Parameters
    ----------
    last : Timestamp
        Last observed timestamp.
    h : int
        Number of future steps, at least 1.
    freq : str
        Offset alias.

    Returns
    -------
    DatetimeIndex, shape (h,)
    """
    return pd.date_range(last, periods=h + 1, freq=freq)[1:]


def frame_freq(df: pd.DataFrame) -> str:
    """Frequency of a long frame: ``df.attrs["freq"]`` when set, else inferred from its dates.

    Parameters
    ----------
    df : DataFrame
        Long frame with ``unique_id`` and ``ds``.

    Returns
    -------
    str
        Offset alias.
    """
    freq = df.attrs.get("freq") if hasattr(df, "attrs") else None
    if freq:
        return str(freq)
    first = df["unique_id"].iloc[0]
    return infer_freq(df.loc[df["unique_id"] == first, "ds"])
