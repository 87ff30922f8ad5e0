"""Seasonality: seasonal period detection, STL decomposition, trend/seasonal strength, ``nsdiffs``.

Seasonal period
    Candidates come from the calendar (:mod:`forecast.calendar.seasonal_periods`: the frequency prior
    of :func:`forecast.calendar.frequency.season_length` first, then e.g. 365 for daily or 168 for
    hourly data). A candidate ``m`` is accepted when, after removing the trend with a centred moving
    average of length ``m`` (2×m for even ``m``, as in classical decomposition), the ACF at lag
    ``m`` is positive, outside its Bartlett band and a local peak (not below lags m-1 and m+1).
    Bartlett's band assumes an MA(m-1) null, so in a short, strongly seasonal series the seasonal
    autocorrelations widen it past any value; a peak outside the white-noise band ``z/√n`` is
    then accepted when the STL seasonal strength exceeds 0.64 (simulated false-positive rate
    of the two rules together: about 1-2 % for white noise, random walks, AR(1) and MA(1)).
    The periodogram (:func:`scipy.signal.periodogram`, linear detrend) is reported as evidence
    and names a non-calendar *cycle* (e.g. the 11-year sunspot cycle), which is not a season.
STL
    :class:`statsmodels.tsa.seasonal.STL` with ``robust=False`` on the most recent
    :data:`STL_MAX_OBS` points. Strengths are Hyndman's ``F_T = max(0, 1 - Var(R)/Var(T+R))`` and
    ``F_S = max(0, 1 - Var(R)/Var(S+R))``. Without a period the trend is a LOWESS smooth
    (statsmodels, span 10 % of the points) and only ``F_T`` is defined.
nsdiffs
    One seasonal difference when ``F_S > 0.64`` (the rule of R's ``feasts::unitroot_nsdiffs``)
    *and* the seasonal autocorrelation persists: the ACF of the moving-average-detrended series
    at lag ``2m`` is at least :data:`SEASONAL_PERSISTENCE` (0.5). A seasonal unit root keeps it
    near 1, while a stationary seasonal AR(1) with coefficient Φ has Φ² there (0.36 for
    Φ = 0.6), which F_S alone would over-difference. When lag 2m cannot be computed (series
    shorter than 6m + 3), F_S decides alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import signal, stats
from statsmodels.nonparametric.smoothers_lowess import lowess
from statsmodels.tsa.stattools import acf

from forecast.calendar.frequency import season_length
from forecast.calendar.seasonal_adjustment import stl_fit
from forecast.calendar.seasonal_periods import seasonal_periods
from forecast.diagnostics.autocorr import acf_bands
from forecast.diagnostics.prepare import is_constant, prepare_values

__all__ = [
    "NSDIFFS_METHOD",
    "SEASONAL_PERSISTENCE",
    "SEASONAL_STRENGTH_THRESHOLD",
    "STL_MAX_OBS",
    "calendar_periods",
    "nsdiffs",
    "seasonal_period",
    "seasonal_persistence",
    "stl_decompose",
    "strengths",
]

#: STL runs on at most this many of the most recent points.
STL_MAX_OBS = 10_000
#: Fewest points for a trend strength without a seasonal period.
MIN_TREND_OBS = 10
#: Seasonal-period detection looks at most at this many of the most recent points.
SEASON_MAX_OBS = 200_000
#: Seasonal strength above which one seasonal difference is suggested (feasts).
SEASONAL_STRENGTH_THRESHOLD = 0.64
#: ACF at lag 2m (after detrending) needed, besides F_S, for a seasonal difference.
SEASONAL_PERSISTENCE = 0.5
NSDIFFS_METHOD = "F_S > 0.64 (feasts::unitroot_nsdiffs) and detrended ACF at lag 2m >= 0.5"


def calendar_periods(freq: str | None) -> list[int]:
    """Seasonal periods the calendar makes plausible for a frequency, the prior first.

    A view of :func:`forecast.calendar.seasonal_periods.seasonal_periods`, whose table holds the facts.

    Parameters
    ----------
    freq : str or None
        Offset alias.

    Returns
    -------
    list of int
        E.g. ``[12]`` for monthly, ``[7, 365]`` for daily, ``[24, 168]`` for hourly; empty for
        yearly or unknown frequencies.
    """
    return list(seasonal_periods(freq))


def _ma_detrend(x: np.ndarray, m: int) -> np.ndarray:
    """``x`` minus its centred moving average of length m (2×m for even m); shape (n - 2h,)."""
    w = np.r_[0.5, np.ones(m - 1), 0.5] / m if m % 2 == 0 else np.ones(m) / m
    k = len(w)
    c = np.concatenate([[0.0], np.cumsum(x)])
    if m % 2:
        trend = (c[k:] - c[: len(c) - k]) / m
    else:  # even m: window of m + 1 points, half weights at both ends
        inner = (c[k - 1 : len(c) - 1] - c[1 : len(c) - k + 1]) / m
        trend = inner + 0.5 * (x[: len(x) - k + 1] + x[k - 1 :]) / m
    h = (k - 1) // 2
    return x[h : len(x) - h] - trend


def _check_period(x: np.ndarray, m: int, alpha: float, *, use_strength: bool = True) -> dict:
    n = len(x)
    row = {
        "period": int(m),
        "acf": None,
        "band": None,
        "significant": False,
        "peak": False,
        "seasonal_strength": None,
        "accepted": False,
        "rule": None,
        "note": None,
    }
    if n < 3 * m + 3:
        row["note"] = f"too short to check (needs {3 * m + 3} points, has {n})"
        return row
    z = _ma_detrend(x, m)
    if is_constant(z):
        row["note"] = "nothing left after removing the trend"
        return row
    r, ci = acf_bands(z, m + 1, alpha=alpha)
    band = float(ci[m, 1] - r[m])
    row.update(acf=float(r[m]), band=band)
    row["significant"] = bool(r[m] > band)
    row["peak"] = bool(r[m] >= max(r[m - 1], r[m + 1]))
    if row["significant"] and row["peak"]:
        row.update(accepted=True, rule="ACF at lag m outside its Bartlett band")
        return row
    # Bartlett's band assumes an MA(m-1) null: a short, strongly seasonal series inflates it
    # with its own seasonal autocorrelations. Second chance: outside the white-noise band and a
    # strong STL seasonal component.
    white = float(stats.norm.ppf(1 - alpha / 2) / np.sqrt(len(z)))
    if use_strength and row["peak"] and r[m] > white:
        fs = strengths(x, m)["seasonal_strength"]
        row["seasonal_strength"] = fs
        if fs is not None and fs > SEASONAL_STRENGTH_THRESHOLD:
            row.update(
                accepted=True,
                rule=f"ACF at lag m outside the white-noise band ({white:.2f}) and STL "
                f"seasonal strength {fs:.2f} > {SEASONAL_STRENGTH_THRESHOLD}",
            )
    return row


def seasonal_period(y, freq: str | None = None, *, alpha: float = 0.05) -> tuple[int | None, dict]:
    """Detect the seasonal period of a series from the calendar prior, the ACF and periodogram.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order; NaN gaps are interpolated for the analysis.
    freq : str, optional
        Offset alias of the series (``"MS"``, ``"W-SAT"``, ``"D"`` ...).
    alpha : float
        Significance level of the ACF band.

    Returns
    -------
    period : int or None
        The seasonal period, or None when no calendar period is supported by the data.
    evidence : dict
        ``prior`` (frequency prior), ``candidates`` (per period: ``acf`` at that lag after
        moving-average detrending, its Bartlett ``band``, ``significant``, ``peak``,
        ``accepted``, ``note``), ``periodogram_period`` (period of the strongest periodogram
        peak, in observations), ``cycle`` (the periodogram period, rounded, when it is not a calendar period and
        the ACF there is significant; else None),
        ``method`` and ``n_interpolated``.

    Examples
    --------
    >>> t = np.arange(120)
    >>> seasonal_period(np.sin(2 * np.pi * t / 12) + 0.01 * t, "MS")[0]
    12
    """
    prep = prepare_values(y)
    x = prep.values[-SEASON_MAX_OBS:]
    evidence: dict = {
        "prior": season_length(freq),
        "candidates": [],
        "periodogram_period": None,
        "cycle": None,
        "n_interpolated": prep.n_missing,
        "method": "ACF at lag m after centred moving-average detrending: positive, outside the "
        "Bartlett band and a local peak; calendar periods only",
    }
    if prep.constant:
        return None, evidence
    freqs, power = signal.periodogram(x, detrend="linear")
    if len(power) > 2:
        top = int(np.argmax(power[1:])) + 1
        evidence["periodogram_period"] = float(1.0 / freqs[top])
    period = None
    for m in calendar_periods(freq):
        row = _check_period(x, m, alpha)
        evidence["candidates"].append(row)
        if row["accepted"] and period is None:
            period = m
    p_star = evidence["periodogram_period"]
    if p_star is not None and 2 <= round(p_star) <= len(x) / 3:
        m = round(p_star)
        if m != period and m not in calendar_periods(freq):
            row = _check_period(x, m, alpha, use_strength=False)
            if row["significant"]:  # a cycle need not peak at an integer lag
                evidence["cycle"] = int(m)
    return period, evidence


def stl_decompose(y, period: int) -> pd.DataFrame:
    """STL decomposition (statsmodels, ``robust=False``) of the most recent points.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order (NaN interpolated).
    period : int
        Seasonal period, at least 2; the series needs at least two full periods.

    Returns
    -------
    DataFrame, shape (min(n, STL_MAX_OBS), 4)
        Columns ``observed, trend, seasonal, resid``; the index is the position in ``y``.
    """
    x = prepare_values(y).values
    start = max(0, len(x) - STL_MAX_OBS)
    res = stl_fit(x[start:], int(period))  # the one STL of the workbench
    index = np.arange(start, len(x))
    return pd.DataFrame(
        {"observed": x[start:], "trend": res.trend, "seasonal": res.seasonal, "resid": res.resid},
        index=index,
    )


def _strength(resid: np.ndarray, component: np.ndarray) -> float:
    denom = float(np.var(component + resid))
    if denom <= 0:
        return 0.0
    return float(max(0.0, 1.0 - np.var(resid) / denom))


def strengths(y, period: int | None) -> dict:
    """Hyndman's trend and seasonal strengths from STL (or LOWESS without a period).

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order.
    period : int or None
        Seasonal period; None (or < 2) for a non-seasonal series.

    Returns
    -------
    dict
        ``trend_strength`` and ``seasonal_strength`` in [0, 1] (None when undefined: a constant
        series, no period, or fewer than two full periods), ``method`` and ``points`` analysed.
    """
    prep = prepare_values(y)
    x = prep.values[-STL_MAX_OBS:]
    out = {"trend_strength": None, "seasonal_strength": None, "method": None, "points": len(x)}
    if prep.constant:
        out["method"] = "undefined for a constant series"
        return out
    if period and period >= 2 and len(x) >= 2 * period + 1:
        comp = stl_decompose(x, period)
        resid = comp["resid"].to_numpy()
        out["trend_strength"] = _strength(resid, comp["trend"].to_numpy())
        out["seasonal_strength"] = _strength(resid, comp["seasonal"].to_numpy())
        out["method"] = f"STL (period {period}, robust=False)"
        return out
    if len(x) < MIN_TREND_OBS:
        out["method"] = f"undefined for fewer than {MIN_TREND_OBS} points"
        return out
    t = np.arange(len(x), dtype=float)
    trend = lowess(x, t, frac=0.1, it=0, delta=0.01 * len(x), return_sorted=False)
    out["trend_strength"] = _strength(x - trend, trend)
    out["method"] = "LOWESS trend (span 10 %), no seasonal component"
    return out


def seasonal_persistence(y, period: int) -> float | None:
    """ACF at lag ``2 m`` of the series after centred moving-average detrending.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order.
    period : int
        Seasonal period m >= 2.

    Returns
    -------
    float or None
        None when the series is shorter than ``6 m + 3`` or nothing is left after detrending.
    """
    x = prepare_values(y).values[-SEASON_MAX_OBS:]
    m = int(period)
    if len(x) < 6 * m + 3:
        return None
    z = _ma_detrend(x, m)
    if is_constant(z):
        return None
    return float(acf(z, nlags=2 * m, fft=True)[2 * m])


def nsdiffs(y, period: int | None, *, seasonal_strength: float | None = None) -> tuple[int, str]:
    """Seasonal differences needed (0 or 1): strong *and* persistent seasonality.

    Parameters
    ----------
    y : array-like of float, shape (n,)
        Values in time order.
    period : int or None
        Seasonal period.
    seasonal_strength : float, optional
        F_S when already computed (skips the STL).

    Returns
    -------
    D : int
        1 when ``F_S > 0.64`` and the detrended ACF at lag 2m is at least 0.5 (or cannot be
        computed), else 0.
    method : str
        How it was decided.
    """
    if not period or period < 2:
        return 0, "no seasonal period"
    fs = (
        seasonal_strength
        if seasonal_strength is not None
        else strengths(y, period)["seasonal_strength"]
    )
    if fs is None:
        return 0, "series too short or constant for STL"
    if fs <= SEASONAL_STRENGTH_THRESHOLD:
        return 0, NSDIFFS_METHOD
    persistence = seasonal_persistence(y, period)
    if persistence is None:
        return (
            1,
            "F_S > 0.64 (feasts::unitroot_nsdiffs); the series is too short to check lag 2m",
        )
    return int(persistence >= SEASONAL_PERSISTENCE), NSDIFFS_METHOD
