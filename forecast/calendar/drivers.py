"""Calendar drivers: the columns a date alone determines (day of week, month, hour, holidays).

They are known in advance for any date, so a forecast can use them over any horizon. Which
columns apply depends on the frequency: a column that is constant at that frequency (the day of
week of monthly data) is left out.

===========================  =============================================
frequency                    columns
===========================  =============================================
sub-daily (``h``, ``30min``)  ``hour`` (0-23.99, minutes as a fraction), ``dayofweek``
daily, business-daily        ``dayofweek`` (0 = Monday ... 6 = Sunday), ``month``
weekly                       ``month`` (of the week's first day)
monthly                      ``month`` (1-12)
quarterly                    ``quarter`` (1-4)
yearly                       none
===========================  =============================================

Public holidays come from the maintained ``holidays`` package (``--holidays AU`` or, for a
sub-region it has, ``--holidays AU-VIC``): ``holiday`` is 1.0 on a holiday and 0.0 otherwise for
daily and finer data, and the number of holiday days in the period for weekly and coarser data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import DataError

__all__ = ["calendar_columns", "calendar_drivers", "parse_holidays"]


def _kind(freq: str) -> str:
    """``"subdaily"``, ``"daily"``, ``"weekly"``, ``"monthly"``, ``"quarterly"`` or ``"yearly"``."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.name
    if name.startswith("W"):
        return "weekly"
    if name in {"MS", "ME", "SMS", "SME", "BMS", "BME"}:
        return "monthly"
    if name.startswith(("QS", "QE", "BQS", "BQE")):
        return "quarterly"
    if name.startswith(("YS", "YE", "BYS", "BYE")):
        return "yearly"
    if name in {"D", "B", "C"}:
        return "daily" if offset.n == 1 else "weekly"
    try:
        step = pd.Timedelta(offset)
    except ValueError:
        return "daily"
    return "subdaily" if step < pd.Timedelta(days=1) else "daily"


def calendar_columns(freq: str) -> list[str]:
    """The calendar columns that apply to a frequency (holidays aside).

    Parameters
    ----------
    freq : str
        Offset alias (``h``, ``D``, ``W-SUN``, ``MS``, ``QS-OCT``, ``YS``...).

    Returns
    -------
    list of str
        E.g. ``["dayofweek", "month"]`` for ``D``, ``[]`` for ``YS``.

    Examples
    --------
    >>> calendar_columns("h"), calendar_columns("MS"), calendar_columns("YS")
    (['hour', 'dayofweek'], ['month'], [])
    """
    return {
        "subdaily": ["hour", "dayofweek"],
        "daily": ["dayofweek", "month"],
        "weekly": ["month"],
        "monthly": ["month"],
        "quarterly": ["quarter"],
        "yearly": [],
    }[_kind(freq)]


def parse_holidays(spec: str) -> tuple[str, str | None]:
    """Split ``CC`` or ``CC-SUB`` into a country code and a sub-region, and check both exist.

    Parameters
    ----------
    spec : str
        ISO 3166 country code, optionally followed by ``-`` and a sub-region the ``holidays``
        package has (``AU-VIC``, ``US-CA``, ``DE-BY``).

    Returns
    -------
    country : str
    subdiv : str or None

    Raises
    ------
    DataError
        The country or the sub-region is not in the ``holidays`` package (the message lists the
        sub-regions it has).
    """
    import holidays

    text = spec.strip()
    country, _, subdiv = text.partition("-")
    country = country.upper()
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise DataError(
            f"--holidays {spec}: '{country}' is not a country the holidays package knows; use an "
            "ISO 3166 code such as AU, US, GB, DE or FR."
        )
    if subdiv:
        subs = {s.upper(): s for s in supported[country]}
        if subdiv.upper() not in subs:
            shown = ", ".join(supported[country][:20]) or "none"
            raise DataError(
                f"--holidays {spec}: {country} has no sub-region '{subdiv}' in the holidays "
                f"package; its sub-regions are {shown}. Use one of them, or the country alone."
            )
        subdiv = subs[subdiv.upper()]
    return country, subdiv or None


def calendar_drivers(
    ds: pd.DatetimeIndex | pd.Series | np.ndarray,
    freq: str,
    *,
    calendar: bool = True,
    holidays: str | None = None,
) -> pd.DataFrame:
    """Calendar driver columns for a set of timestamps.

    Parameters
    ----------
    ds : DatetimeIndex or array of datetime64, shape (n,)
        Timestamps (history, future, or both; any order).
    freq : str
        Offset alias of the series.
    calendar : bool
        Add the columns of :func:`calendar_columns`.
    holidays : str, optional
        ``CC`` or ``CC-SUB`` (see :func:`parse_holidays`): add ``holiday``.

    Returns
    -------
    DataFrame, shape (n, k)
        float64 columns in the order of :func:`calendar_columns`, then ``holiday``; a
        ``RangeIndex`` aligned with ``ds``.

    Raises
    ------
    DataError
        An unknown country or sub-region.

    Examples
    --------
    >>> ds = pd.date_range("2024-12-24", periods=3, freq="D")
    >>> calendar_drivers(ds, "D", holidays="AU").to_dict("list")
    {'dayofweek': [1.0, 2.0, 3.0], 'month': [12.0, 12.0, 12.0], 'holiday': [0.0, 1.0, 1.0]}
    """
    idx = pd.DatetimeIndex(ds)
    out: dict[str, np.ndarray] = {}
    if calendar:
        for name in calendar_columns(freq):
            if name == "hour":
                values = idx.hour + idx.minute / 60.0
            elif name == "dayofweek":
                values = idx.dayofweek
            elif name == "month":
                values = idx.month
            else:
                values = idx.quarter
            out[name] = np.asarray(values, dtype="float64")
    if holidays:
        out["holiday"] = _holiday_counts(idx, freq, holidays)
    return pd.DataFrame(out, index=pd.RangeIndex(len(idx)))


def _holiday_counts(idx: pd.DatetimeIndex, freq: str, spec: str) -> np.ndarray:
    """1/0 per day for daily and finer data; holiday days per period for coarser data."""
    import holidays as hol

    country, subdiv = parse_holidays(spec)
    if len(idx) == 0:
        return np.zeros(0)
    kind = _kind(freq)
    days = idx.normalize()
    first, last = days.min(), days.max()
    if kind not in {"subdaily", "daily"}:
        last = last + pd.tseries.frequencies.to_offset(freq)  # the last period's days
    years = range(first.year, last.year + 1)
    calendar = hol.country_holidays(country, subdiv=subdiv, years=years)
    dates = pd.DatetimeIndex(sorted(pd.Timestamp(d) for d in calendar))
    if kind in {"subdaily", "daily"}:
        return np.asarray(days.isin(dates), dtype="float64")
    # coarser: count the holiday days from each timestamp up to the next grid point
    offset = pd.tseries.frequencies.to_offset(freq)
    starts = days
    ends = pd.DatetimeIndex([d + offset for d in days])
    values = dates.to_numpy()
    left = np.searchsorted(values, starts.to_numpy(), side="left")
    right = np.searchsorted(values, ends.to_numpy(), side="left")
    return (right - left).astype("float64")
