"""Split-conformal interval half-widths: the one rule every interval of the workbench uses.

Given ``n`` calibration scores (absolute errors of forecasts the model made without seeing their
targets, in whatever units the caller scaled them to), the half-width of a ``level`` % interval is
the ``k``-th smallest score with ``k = ceil((n + 1) * level / 100)`` (Vovk et al.; Angelopoulos &
Bates, *A Gentle Introduction to Conformal Prediction*, 2021), the largest score when ``k > n``
(too few scores for the level). Used by the rolling-origin backtest
(:func:`forecast.run.backtest.conformal_quantiles`) and by the windowed networks' validation tail
(:class:`forecast.models.neural.windowed.WindowedForecaster`).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["conformal_quantile"]


def conformal_quantile(scores: np.ndarray, level: float, axis: int = 0) -> np.ndarray | float:
    """The split-conformal quantile of ``scores`` along ``axis``.

    Parameters
    ----------
    scores : array-like of float, shape (n, ...) along ``axis``
        Non-negative calibration scores; NaN sorts last (counted as the largest).
    level : float
        Interval level in percent (0 < level < 100).
    axis : int
        The axis of the ``n`` calibration scores.

    Returns
    -------
    ndarray or float
        ``scores`` reduced along ``axis``: the ``min(k, n)``-th smallest, ``k = ceil((n + 1)
        level / 100)``.

    Examples
    --------
    >>> float(conformal_quantile(np.arange(1.0, 11.0), 80))  # n = 10: k = ceil(8.8) = 9
    9.0
    """
    s = np.sort(np.asarray(scores, dtype=float), axis=axis)
    n = s.shape[axis]
    if n == 0:
        raise ValueError("conformal_quantile needs at least one calibration score")
    k = math.ceil((n + 1) * float(level) / 100)
    return np.take(s, min(k, n) - 1, axis=axis)
