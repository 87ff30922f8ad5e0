"""How much of a long series' history the per-series statistical models fit on.

:func:`history_cap` turns a model's ``max_history`` (a number of points, ``"auto"`` or None)
into the number of last points a series is fitted on; :mod:`forecast.models.per_series` applies
it. Why and what is capped: docs/models.md, "Long series: the history cap".
"""

from __future__ import annotations

import numpy as np

from forecast.errors import SpecError

__all__ = ["CAP_POINTS", "CAP_SEASONS", "DRIVERS_CAP_POINTS", "history_cap"]

#: The history cap of ``max_history="auto"`` (:func:`history_cap`): a long series is fitted on
#: its last ``max(CAP_POINTS, CAP_SEASONS * m)`` points (a model class may declare its own
#: ``cap_points`` and ``cap_seasons``). Above every M3 series (at most 144 points), so the
#: competition figures do not move. Chosen on half-hourly elecdemand and monthly us_employment
#: (``benchmarks/long_series.py``; figures in benchmarks/README.md, "Long series").
CAP_POINTS = 240
CAP_SEASONS = 40
#: The least history ``max_history="auto"`` keeps for a model fitted with drivers: the drivers'
#: effects are estimated from the points the model sees, and capped at 240 points the
#: development sets with drivers lost accuracy (``benchmarks/drivers.py``, 3 origins: daily
#: elecdemand, 365 days, MASE 0.623 -> 0.682; FrozenJuice, 600 months, 0.702 -> 0.894). At 1,000
#: points both are fitted whole, and the half-hourly elecdemand job (17,520 points) stays
#: capped.
DRIVERS_CAP_POINTS = 1000


def history_cap(
    max_history: int | str | None,
    m: int,
    *,
    points: int = CAP_POINTS,
    seasons: int = CAP_SEASONS,
) -> int | None:
    """How many of a series' last points a per-series model fits on (None: all of them).

    Parameters
    ----------
    max_history : int, "auto" or None
        The model's ``max_history``: a number of points, ``"auto"`` (the last
        ``max(points, seasons * m)`` points) or None (the whole history).
    m : int
        Season in steps.
    points, seasons : int
        The rule of ``"auto"`` (a model's ``cap_points`` and ``cap_seasons``).

    Returns
    -------
    int or None

    Raises
    ------
    SpecError
        Another value, or fewer points than two seasons plus two.
    """
    if max_history is None:
        return None
    if max_history == "auto":
        return max(int(points), int(seasons) * int(m))
    if isinstance(max_history, bool) or not isinstance(max_history, (int, np.integer)):
        raise SpecError(
            f"max_history must be a number of points, 'auto' or None (the whole history), got "
            f"{max_history!r}."
        )
    least = max(4, 2 * int(m) + 2)
    if max_history < least:
        raise SpecError(
            f"max_history must keep at least two seasons and two points ({least} at season "
            f"{m}), got {max_history}."
        )
    return int(max_history)
