"""Seasonal components for seasonal adjustment before windowing.

Two estimators of the seasonal component ``s`` of one (possibly logged) series, each returning an
array as long as the series (zeros when the series is too short or, for the classical one, not
seasonal):

- :func:`classical_seasonal` — the classical decomposition used by the Theta method (Assimakopoulos
  & Nikolopoulos 2000) and in the M3/M4 benchmarks: a seasonality test on the autocorrelation at
  lag ``m``, then one fixed seasonal index per position in the cycle (detrended by a centred
  ``2 x m`` moving average). Stable: the future repeats the same cycle.
- :func:`stl_seasonal` — STL (LOESS, non-robust), a seasonal shape that may drift over time
  (Hewamalage, Bergmeir & Bandara 2021).

:func:`stl_fit` is the one place the workbench runs STL (the recurrent models' adjustment, the
STL + ARIMA of long seasons and the diagnostics' decomposition all call it), always with the
same settings: statsmodels' defaults, non-robust (fast on thousands of series).
"""

from __future__ import annotations

import numpy as np

from forecast.errors import SpecError

__all__ = [
    "METHODS",
    "classical_seasonal",
    "is_seasonal",
    "seasonal_component",
    "seasonal_method",
    "stl_fit",
    "stl_seasonal",
]

#: Seasonal adjustment methods by name ("none": no adjustment).
METHODS = ("classical", "stl", "none")


def is_seasonal(y: np.ndarray, period: int, z: float = 1.645) -> bool:
    """Whether the autocorrelation at lag ``period`` is significant (one-sided 90% test).

    The test of the M3/M4 benchmark code: ``|r_m| > z * sqrt((1 + 2 * sum_{k<m} r_k^2) / n)``.

    Parameters
    ----------
    y : ndarray, shape (n,)
        The series (logged or not).
    period : int
        Seasonal period ``m``.
    z : float
        Normal quantile of the test (1.645: 90% two-sided).

    Returns
    -------
    bool
        False for ``m < 2``, fewer than ``3 m`` points or a constant series.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if period < 2 or n < 3 * period:
        return False
    x = y - y.mean()
    denom = float(np.sum(x * x))
    if denom <= 0:
        return False
    acf = np.array([np.sum(x[k:] * x[:-k]) / denom for k in range(1, period + 1)])
    limit = z * np.sqrt((1 + 2 * np.sum(acf[:-1] ** 2)) / n)
    return bool(abs(acf[-1]) > limit)


def classical_seasonal(y: np.ndarray, period: int) -> np.ndarray:
    """Additive seasonal indices of a classical decomposition, zeros if :func:`is_seasonal` fails.

    Parameters
    ----------
    y : ndarray, shape (n,)
        The series; pass ``log(y)`` for a multiplicative season.
    period : int
        Seasonal period ``m``.

    Returns
    -------
    ndarray, shape (n,)
        ``s[t] = c[t mod m]`` where ``c`` (summing to zero) is the mean, by position in the
        cycle, of ``y`` minus its centred ``2 x m`` (odd ``m``: ``m``) moving average.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if not is_seasonal(y, period):
        return np.zeros(n)
    if period % 2 == 0:
        weights = np.r_[0.5, np.ones(period - 1), 0.5] / period
    else:
        weights = np.ones(period) / period
    trend = np.convolve(y, weights, mode="valid")
    start = (len(weights) - 1) // 2
    detrended = np.full(n, np.nan)
    detrended[start : start + len(trend)] = y[start : start + len(trend)] - trend
    position = np.arange(n) % period
    cycle = np.array([np.nanmean(detrended[position == j]) for j in range(period)])
    cycle -= cycle.mean()
    return cycle[position]


def stl_fit(y: np.ndarray, period: int):
    """STL decomposition of one series (statsmodels, non-robust LOESS).

    Parameters
    ----------
    y : ndarray, shape (n,)
        Values in time order, no NaN; at least two full periods.
    period : int
        Seasonal period in steps, at least 2.

    Returns
    -------
    statsmodels.tsa.seasonal.DecomposeResult
        ``trend``, ``seasonal`` and ``resid``, each shape (n,).
    """
    from statsmodels.tsa.seasonal import STL

    return STL(np.asarray(y, dtype=float), period=int(period), robust=False).fit()


def stl_seasonal(y: np.ndarray, period: int) -> np.ndarray:
    """Seasonal component by STL (LOESS, non-robust: fast on thousands of series).

    Parameters
    ----------
    y : ndarray, shape (n,)
    period : int

    Returns
    -------
    ndarray, shape (n,)
        Zeros when ``period < 2`` or the series has fewer than ``2 m + 1`` points.
    """
    y = np.asarray(y, dtype=float)
    if period < 2 or len(y) < 2 * period + 1:
        return np.zeros(len(y))
    return np.asarray(stl_fit(y, period).seasonal, dtype=float)


def seasonal_component(y: np.ndarray, period: int, method: str) -> np.ndarray:
    """The seasonal component of ``y`` by ``method`` (one of :data:`METHODS`), shape (n,)."""
    if method == "classical":
        return classical_seasonal(y, period)
    if method == "stl":
        return stl_seasonal(y, period)
    return np.zeros(len(y))


def seasonal_method(deseasonalize: bool | str | None) -> str:
    """Name in :data:`METHODS` of a ``deseasonalize`` setting (True: "stl", False or None:
    "none"); SpecError for anything else."""
    if deseasonalize is True:
        return "stl"
    if deseasonalize is False or deseasonalize is None:
        return "none"
    if deseasonalize in METHODS:
        return str(deseasonalize)
    raise SpecError(
        f"deseasonalize must be one of {list(METHODS)} (or True/False), got {deseasonalize!r}."
    )
