"""Seasonal periods of the calendar, by frequency: the one table models and diagnostics read.

A frequency's seasonal periods are the calendar cycles one of its steps divides, counted in
steps, the *prior* (the cycle a model uses when it takes one period) first:

========================  ==========================  =====================================
frequency                 periods                     cycles
========================  ==========================  =====================================
``MS``, ``ME``            12                          year
``QS``, ``QE``            4                           year
``W``                     52                          year (52.18 weeks, rounded down)
``B``                     5, 260                      week, year (52 × 5 business days)
``D``                     7, 365                      week, year
``h``                     24, 168                     day, week
``min``                   60, 1440                    hour, day
``15min``, ``30min``      96, 672 / 48, 336           day, week
========================  ==========================  =====================================

Multiples: ``k`` months, quarters or weeks a step have the year divided by ``k`` when it is
whole (``2MS`` 6, ``2W`` 26, ``3W`` none); a step of ``k`` hours or minutes that divides the day
has the day, and the week too from 15 minutes on (``3h`` 8 and 56, as ``180min``; ``5min`` 288;
``20min`` 72 and 504; ``60min`` as ``h``). Multiples of days and business days, yearly and every
other frequency (seconds, business months...) have none: seasonal period 1.

Three views read this table and nothing else: :func:`forecast.calendar.frequency.season_length` (the
prior, 1 when none), :func:`forecast.models.statistical.smoothing.season_lengths` (every period, for MSTL)
and :func:`forecast.diagnostics.seasonality.calendar_periods` (the candidates the diagnostics
test).
"""

from __future__ import annotations

import pandas as pd

__all__ = ["SEASONAL_PERIODS", "seasonal_key", "seasonal_periods"]

#: pandas offset class -> the anchor-free alias of one step, the stem of the table's keys.
_UNITS = {
    "MonthBegin": "MS",
    "MonthEnd": "ME",
    "QuarterBegin": "QS",
    "QuarterEnd": "QE",
    "Week": "W",
    "BusinessDay": "B",
    "Day": "D",
    "Hour": "h",
    "Minute": "min",
}


def _key(unit: str, n: int) -> str:
    return unit if n == 1 else f"{n}{unit}"


def _divisors(total: int) -> list[int]:
    """Divisors of ``total`` below it, ascending."""
    return [n for n in range(1, total) if total % n == 0]


def _build() -> dict[str, tuple[int, ...]]:
    table: dict[str, tuple[int, ...]] = {}
    for unit, per_year in (("MS", 12), ("ME", 12), ("QS", 4), ("QE", 4), ("W", 52)):
        for n in _divisors(per_year):  # the year, when a step divides it
            table[_key(unit, n)] = (per_year // n,)
    table["B"] = (5, 260)  # the business week, the business year
    table["D"] = (7, 365)  # the week, the year
    for n in _divisors(24):  # hours dividing the day: the day, the week
        table[_key("h", n)] = (24 // n, 168 // n)
    for n in _divisors(1440)[1:]:  # minutes dividing the day: the day, the week from 15 min
        table[_key("min", n)] = (1440 // n, 10080 // n) if n >= 15 else (1440 // n,)
    table["min"] = (60, 1440)  # minutely: the hour, then the day
    return table


#: Seasonal periods in steps, the prior first, keyed by :func:`seasonal_key`; frequencies
#: missing from it have none.
SEASONAL_PERIODS: dict[str, tuple[int, ...]] = _build()


def seasonal_key(freq: str) -> str | None:
    """The table's key of an offset alias: its unit without anchor, with the step count.

    Parameters
    ----------
    freq : str
        Any offset alias pandas accepts.

    Returns
    -------
    str or None
        E.g. ``"QS"`` for ``"QS-OCT"``, ``"W"`` for ``"W-SAT"``, ``"2W"`` for ``"2W-SUN"``,
        ``"15min"``; None for a unit the table does not know (years, seconds...).

    Raises
    ------
    ValueError
        If pandas does not know the alias.
    """
    offset = pd.tseries.frequencies.to_offset(freq)
    unit = _UNITS.get(type(offset).__name__)
    if unit is None or offset.n < 1:
        return None
    return _key(unit, int(offset.n))


def seasonal_periods(freq: str | None) -> tuple[int, ...]:
    """Every seasonal period the calendar gives a frequency, in steps, the prior first.

    Parameters
    ----------
    freq : str or None
        Offset alias.

    Returns
    -------
    tuple of int
        Each at least 2, ascending; empty for yearly, unknown or missing frequencies.

    Raises
    ------
    ValueError
        If pandas does not know the alias.

    Examples
    --------
    >>> seasonal_periods("h")
    (24, 168)
    >>> seasonal_periods("QS-OCT")
    (4,)
    >>> seasonal_periods("YS")
    ()
    """
    if not freq:
        return ()
    return SEASONAL_PERIODS.get(seasonal_key(freq), ())
