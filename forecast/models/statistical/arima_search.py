"""Hyndman–Khandakar stepwise ARIMA order search over statsmodels' SARIMAX.

The alternative engine of :class:`forecast.models.statistical.arima.AutoARIMA` (``engine="statsmodels"``),
kept so the engine choice is a measurement (``benchmarks/arima_vs_statsforecast.py``):

1. ``D`` (0 or 1) by :func:`forecast.diagnostics.nsdiffs` (STL seasonal strength ``F_S > 0.64``
   and a persistent seasonal autocorrelation), when the series has at least two full seasons;
2. ``d`` by :func:`forecast.diagnostics.ndiffs` (repeated KPSS tests, 5 %) on the seasonally
   differenced series, with ``d + D <= 2``;
3. start from (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0), (0,d,1)(0,D,1) and the orders
   that :func:`forecast.diagnostics.suggested_arima_order` reads off the ACF/PACF, then move to the
   neighbour (±1 on p, q, P, Q, on p and q together, on P and Q together, constant on/off) with
   the lowest AICc until none improves, with ``p, q <= 5``, ``P, Q <= 2``, ``p+q+P+Q <= 5``.
"""

from __future__ import annotations

import numpy as np

from forecast.diagnostics import ndiffs, nsdiffs, suggested_arima_order
from forecast.models.statistical.arima_fits import SarimaxFit

__all__ = ["stepwise_search"]


def _diagnostics_start(y: np.ndarray, m: int) -> tuple[int, int, int, int] | None:
    """Starting (p, q, P, Q) read off the ACF/PACF by :mod:`forecast.diagnostics`, if any."""
    try:
        out = suggested_arima_order(y, m if m > 1 else None)
    except Exception:  # diagnostics unavailable or failing: the fixed starts suffice
        return None
    p, _, q = (int(v) for v in out["order"])
    big_p, _, big_q = (int(v) for v in out["seasonal_order"][:3])
    cand = (min(p, 5), min(q, 5), min(big_p, 2), min(big_q, 2))
    return cand if sum(cand) <= 5 else None


def stepwise_search(y: np.ndarray, m: int = 1, *, max_models: int = 60):
    """Search ARIMA orders stepwise by AICc and return the best fit.

    Parameters
    ----------
    y : ndarray of shape (n,)
        One series.
    m : int
        Seasonal period (1: non-seasonal).
    max_models : int
        Most SARIMAX fits tried.

    Returns
    -------
    forecast.models.statistical.arima_fits.SarimaxFit
        The selected model (``.label``, ``.forecast``, ``.resid``, ``.n_params``).

    Raises
    ------
    ValueError
        When no candidate could be fitted.
    """
    y = np.asarray(y, dtype=float)
    big_d = nsdiffs(y, m)[0] if m > 1 and len(y) >= 2 * m + 2 else 0
    d = ndiffs(y[m:] - y[:-m] if big_d else y, max_d=2 - big_d)
    seasonal = m > 1
    cache: dict[tuple, tuple[float, object]] = {}

    def score(p, q, big_p, big_q, const):
        key = (p, q, big_p, big_q, const)
        if key in cache:
            return cache[key][0]
        if len(cache) >= max_models:
            return np.inf
        try:
            fit = SarimaxFit.fit(y, (p, d, q), (big_p, big_d, big_q), m if seasonal else 1, const)
            aicc = float(fit.res.aicc)
            if not np.isfinite(aicc):
                aicc = np.inf
        except Exception:  # a candidate that does not fit just loses
            fit, aicc = None, np.inf
        cache[key] = (aicc, fit)
        return aicc

    const0 = d + big_d <= 1
    starts = [(2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)]
    seeded = _diagnostics_start(y, m)
    if seeded is not None and seeded not in starts:
        starts.append(seeded)
    if not seasonal:
        starts = list(dict.fromkeys((p, q, 0, 0) for p, q, _, _ in starts))
    best = min(((s, const0) for s in starts), key=lambda s: score(*s[0], s[1]))
    best_aicc = score(*best[0], best[1])
    improved = True
    while improved and len(cache) < max_models:
        improved = False
        (p, q, big_p, big_q), const = best
        moves = [
            (1, 0, 0, 0),
            (-1, 0, 0, 0),
            (0, 1, 0, 0),
            (0, -1, 0, 0),
            (1, 1, 0, 0),
            (-1, -1, 0, 0),
        ]
        if seasonal:
            moves += [
                (0, 0, 1, 0),
                (0, 0, -1, 0),
                (0, 0, 0, 1),
                (0, 0, 0, -1),
                (0, 0, 1, 1),
                (0, 0, -1, -1),
            ]
        candidates = []
        for dp, dq, dbp, dbq in moves:
            cand = (p + dp, q + dq, big_p + dbp, big_q + dbq)
            if min(cand) < 0 or cand[0] > 5 or cand[1] > 5 or cand[2] > 2 or cand[3] > 2:
                continue
            if sum(cand) > 5:
                continue
            candidates.append((cand, const))
        if d + big_d <= 1:
            candidates.append(((p, q, big_p, big_q), not const))
        for cand in candidates:
            value = score(*cand[0], cand[1])
            if value < best_aicc - 1e-9:
                best, best_aicc, improved = cand, value, True
    fit = cache[(*best[0], best[1])][1]
    if fit is None:
        raise ValueError("no ARIMA candidate could be fitted")
    return fit
