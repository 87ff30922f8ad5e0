"""Turn one series into the clean float array every diagnostic works on.

Diagnostics need a gap-free, finite array. Missing values (NaN on the regular grid, as
:func:`forecast.ingest.reader.read_csv` leaves them with ``fill="none"``) are filled by linear interpolation
for the analysis only, and the fact is reported, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.errors import DataError

__all__ = ["PreparedSeries", "is_constant", "prepare_values", "unit_scale"]


@dataclass
class PreparedSeries:
    """A series ready for analysis.

    Attributes
    ----------
    values : ndarray of float64, shape (n,)
        Finite values, gaps interpolated.
    n_missing : int
        Number of values that were missing and interpolated.
    constant : bool
        True when every value is the same, up to 1e-12 of their largest magnitude
        (autocorrelation is then undefined).
    """

    values: np.ndarray
    n_missing: int
    constant: bool


def is_constant(x: np.ndarray) -> bool:
    """Tell whether a finite array has (numerically) no variation.

    Parameters
    ----------
    x : ndarray, shape (n,)

    Returns
    -------
    bool
        True for an empty array or when ``max - min`` is within 1e-12 of the scale of the values.
    """
    if len(x) == 0:
        return True
    spread = float(np.max(x) - np.min(x))
    scale = max(1.0, float(np.max(np.abs(x))))
    return spread <= 1e-12 * scale


def unit_scale(x: np.ndarray) -> float:
    """A power of two that brings the largest magnitude of ``x`` into [0.5, 1).

    Multiplying by it is exact in floating point, so scale-free statistics (correlations,
    test statistics, strengths) do not change, but squares of huge (1e300) or tiny (1e-300)
    values no longer overflow or underflow.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values.

    Returns
    -------
    float
        ``2**-e`` with ``max|x| = f 2**e``, ``0.5 <= f < 1``; 1.0 for an all-zero array.

    Examples
    --------
    >>> unit_scale(np.array([3.0, -1e300])) * 1e300 < 1
    True
    """
    top = float(np.max(np.abs(x))) if len(x) else 0.0
    if top == 0.0 or not np.isfinite(top):
        return 1.0
    return float(np.ldexp(1.0, -np.frexp(top)[1]))


def prepare_values(y) -> PreparedSeries:
    """Convert values to a finite float array, interpolating missing values linearly.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values of one series in time order; NaN marks a missing value.

    Returns
    -------
    PreparedSeries

    Raises
    ------
    DataError
        If the values are not numeric, contain infinities, or hold fewer than 3 observed values.
    """
    if isinstance(y, pd.DataFrame):
        if "y" not in y.columns:
            raise DataError("Pass one series' values (an array or the 'y' column), not a frame.")
        y = y["y"]
    try:
        x = np.asarray(y, dtype="float64").ravel()
    except (TypeError, ValueError) as exc:
        raise DataError(f"The series values are not numbers ({exc}); pass numeric values.") from exc
    if np.isinf(x).any():
        where = int(np.flatnonzero(np.isinf(x))[0])
        raise DataError(f"The series has an infinite value at position {where}; remove or fix it.")
    missing = np.isnan(x)
    observed = int((~missing).sum())
    if observed < 3:
        raise DataError(
            f"The series has {observed} observed values; at least 3 are needed for diagnostics."
        )
    n_missing = int(missing.sum())
    if n_missing:
        idx = np.arange(len(x))
        x = np.interp(idx, idx[~missing], x[~missing])
    # constant relative to the magnitude of the values: a series in tiny units still varies
    return PreparedSeries(values=x, n_missing=n_missing, constant=is_constant(x * unit_scale(x)))
