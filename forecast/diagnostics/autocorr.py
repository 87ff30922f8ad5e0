"""Autocorrelation: ACF and PACF with confidence bands, significant lags, Ljung-Box/Box-Pierce.

Thin wrappers over :mod:`statsmodels.tsa.stattools` and
:func:`statsmodels.stats.diagnostic.acorr_ljungbox`; the numbers are statsmodels' own.

- ACF: ``acf(x, nlags, fft=True, alpha)`` — Bartlett bands (the band widens with the squared ACF
  of the earlier lags, as in statsmodels' ``plot_acf``).
- PACF: Durbin-Levinson on the *biased* autocovariances (statsmodels'
  ``pacf(x, nlags, method="ldb", alpha)``, the estimator of R's ``pacf``), bands ``±z/√n``, only
  up to the lags shown. The biased autocovariance sequence is positive semi-definite, so every
  partial autocorrelation is a reflection coefficient in [-1, 1]; the "adjusted" one
  (``method="ywadjusted"``) is not, and gave |PACF| of 3 to 20 on short series. Computed with
  statsmodels' own ``levinson_durbin`` on the FFT ``acovf(adjusted=False)`` (equal to
  ``pacf(method="ldb")`` to 1e-10, O(nlags²)); values are clipped to [-1, 1] against rounding
  only.
- Lags shown (:func:`default_nlags`): ``min(max(3 m, 20), max(n // 4, m + 1), n // 2 - 1)``:
  three seasonal periods or 20, but no more than a quarter of the series (Box & Jenkins: beyond
  n/4 the estimates carry little information), except that a detected seasonal lag ``m`` is
  always shown; never ``n // 2`` or more, the most the method supports.
- Ljung-Box / Box-Pierce: ``acorr_ljungbox(x, lags, boxpierce=True)``. statsmodels computes its
  ACF there by direct correlation, O(n²); above :data:`LJUNG_BOX_DIRECT_MAX` points the same
  statistics are computed from the FFT ACF with the same formulas (equal to 1e-10).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.tsa.stattools import acf, acovf, levinson_durbin

__all__ = [
    "LJUNG_BOX_DIRECT_MAX",
    "PACF_METHOD",
    "Autocorrelation",
    "acf_bands",
    "autocorrelation",
    "default_nlags",
    "ljung_box",
    "ljung_box_lags",
    "pacf_ldb",
    "significant",
]

#: Series longer than this get Ljung-Box from the FFT ACF (statsmodels' direct ACF is O(n²)).
LJUNG_BOX_DIRECT_MAX = 5_000
#: PACF estimator, as statsmodels names it: Durbin-Levinson on the biased autocovariances.
PACF_METHOD = "ldb"


def default_nlags(n: int, season: int | None = None) -> int:
    """Number of lags shown: three seasonal periods or 20, at most a quarter of the series.

    Box & Jenkins (1976) advise looking at no more than ``n/4`` autocorrelations: beyond it each
    estimate rests on too few pairs to carry information. A seasonal lag ``m`` that the data
    supports is shown even when it lies beyond ``n/4``; nothing reaches ``n/2``, the most the
    PACF method supports.

    Parameters
    ----------
    n : int
        Number of observations.
    season : int, optional
        Seasonal period (None or 1 when there is none).

    Returns
    -------
    int
        ``min(max(3 m, 20), max(n // 4, m + 1), n // 2 - 1)`` (the ``m + 1`` only with a
        seasonal period), and 0 when the series is too short for any lag.

    Examples
    --------
    >>> default_nlags(144, 12), default_nlags(30), default_nlags(40, 12), default_nlags(3)
    (36, 7, 13, 0)
    """
    m = season if season and season > 1 else 1
    informative = max(n // 4, m + 1 if m > 1 else 0)
    return int(max(0, min(max(3 * m, 20), informative, n // 2 - 1)))


@dataclass
class Autocorrelation:
    """ACF and PACF of one series with their 1 - alpha bands.

    Attributes
    ----------
    nlags : int
        Largest lag computed.
    acf, pacf : ndarray, shape (nlags + 1,)
        Values at lags 0..nlags (lag 0 is 1).
    acf_confint, pacf_confint : ndarray, shape (nlags + 1, 2)
        Confidence intervals centred on the estimates, as statsmodels returns them; a lag is
        significant when its interval excludes 0.
    significant_acf, significant_pacf : list of int
        Significant lags (lag 0 excluded).
    alpha : float
        Significance level.
    """

    nlags: int
    acf: np.ndarray
    acf_confint: np.ndarray
    pacf: np.ndarray
    pacf_confint: np.ndarray
    significant_acf: list[int]
    significant_pacf: list[int]
    alpha: float


def significant(values: np.ndarray, confint: np.ndarray) -> list[int]:
    """Lags >= 1 whose confidence interval excludes zero.

    Parameters
    ----------
    values : ndarray, shape (k,)
        Estimates at lags 0..k-1.
    confint : ndarray, shape (k, 2)
        Intervals centred on the estimates.

    Returns
    -------
    list of int
    """
    if len(values) < 2:
        return []
    lo, hi = confint[1:, 0], confint[1:, 1]
    return [int(k) + 1 for k in np.flatnonzero((lo > 0) | (hi < 0))]


def autocorrelation(x: np.ndarray, nlags: int, *, alpha: float = 0.05) -> Autocorrelation:
    """ACF (FFT, Bartlett bands) and PACF (Durbin-Levinson, biased, ±z/√n bands) up to ``nlags``.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite, non-constant values.
    nlags : int
        Largest lag, ``0 <= nlags < n // 2``.
    alpha : float
        Significance level of the bands (0.05 gives 95 % bands).

    Returns
    -------
    Autocorrelation
    """
    nlags = int(nlags)
    av, aci = acf_bands(x, nlags, alpha=alpha)
    pv, pci = pacf_ldb(x, nlags, alpha=alpha)
    return Autocorrelation(
        nlags=nlags,
        acf=av,
        acf_confint=aci,
        pacf=pv,
        pacf_confint=pci,
        significant_acf=significant(av, aci),
        significant_pacf=significant(pv, pci),
        alpha=alpha,
    )


def acf_bands(x: np.ndarray, nlags: int, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """statsmodels' ``acf(x, nlags, fft=True, alpha)``: values and Bartlett intervals.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite, non-constant values.
    nlags : int
        Largest lag.
    alpha : float
        Significance level.

    Returns
    -------
    acf : ndarray, shape (nlags + 1,)
    confint : ndarray, shape (nlags + 1, 2)
        Centred on the estimates.
    """
    try:  # statsmodels >= 0.15: ask for the result object (the tuple form is deprecated)
        res = acf(x, nlags=nlags, fft=True, alpha=alpha, result_object=True)
        values, confint = np.asarray(res.acf), np.asarray(res.confint)
    except TypeError:  # statsmodels 0.14
        values, confint = acf(x, nlags=nlags, fft=True, alpha=alpha)
        values, confint = np.asarray(values), np.asarray(confint)
    clipped = np.clip(values, -1.0, 1.0)  # a correlation; only rounding can leave [-1, 1]
    return clipped, confint + (clipped - values)[:, None]


def pacf_ldb(x: np.ndarray, nlags: int, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """PACF by Durbin-Levinson on the biased autocovariances, as ``pacf(method="ldb")``.

    Every value is a reflection coefficient of a positive semi-definite Toeplitz system, so it
    lies in [-1, 1] (R's ``pacf`` uses the same estimator).

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite, non-constant values.
    nlags : int
        Largest lag, ``0 <= nlags < n // 2``.
    alpha : float
        Significance level.

    Returns
    -------
    pacf : ndarray, shape (nlags + 1,)
        Lag 0 is 1; every value in [-1, 1].
    confint : ndarray, shape (nlags + 1, 2)
        ``pacf ± z_{1-alpha/2}/√n``; lag 0 is [1, 1].
    """
    if nlags < 1:
        return np.ones(1), np.ones((1, 2))
    acv = acovf(x, adjusted=False, fft=True, nlag=nlags)
    values = np.asarray(levinson_durbin(acv, nlags=nlags, isacov=True)[2], dtype="float64")
    values = np.clip(values, -1.0, 1.0)  # guaranteed in theory; clipping only undoes rounding
    half = stats.norm.ppf(1.0 - alpha / 2.0) * np.sqrt(1.0 / len(x))
    confint = np.column_stack([values - half, values + half])
    confint[0] = values[0]
    return values, confint


def ljung_box_lags(n: int, nlags: int, season: int | None = None) -> list[int]:
    """A sensible set of lags for the portmanteau tests.

    Lags 10 and 20 (short memory), ``m`` and ``2m`` for a seasonal period ``m``, kept within the
    lags shown and below ``n/2``; the largest available lag when none fits (short series).

    Parameters
    ----------
    n : int
        Number of observations.
    nlags : int
        Lags shown for the series.
    season : int, optional
        Seasonal period.

    Returns
    -------
    list of int
        Sorted, possibly empty when ``nlags < 1``.
    """
    top = min(nlags, max(1, n // 2 - 1))
    if top < 1:
        return []
    wanted = {10, 20}
    if season and season > 1:
        wanted |= {season, 2 * season}
    lags = sorted(k for k in wanted if k <= top)
    return lags or [top]


def ljung_box(
    x: np.ndarray, lags: list[int], *, acf_values: np.ndarray | None = None
) -> list[dict]:
    """Ljung-Box and Box-Pierce statistics with their chi-squared p-values.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite, non-constant values.
    lags : list of int
        Lags at which to test (each the number of autocorrelations summed).
    acf_values : ndarray, optional
        FFT ACF of ``x`` up to at least ``max(lags)``; used for long series instead of
        statsmodels' O(n²) direct ACF.

    Returns
    -------
    list of dict
        One per lag: ``lag, stat, pvalue`` (Ljung-Box) and ``bp_stat, bp_pvalue`` (Box-Pierce).
    """
    if not lags:
        return []
    n = len(x)
    lags_arr = np.asarray(lags, dtype=int)
    if n <= LJUNG_BOX_DIRECT_MAX:
        table = acorr_ljungbox(x, lags=lags_arr, boxpierce=True)
        lb, lbp = table["lb_stat"].to_numpy(), table["lb_pvalue"].to_numpy()
        bp, bpp = table["bp_stat"].to_numpy(), table["bp_pvalue"].to_numpy()
    else:
        maxlag = int(lags_arr.max())
        r = acf_values if acf_values is not None and len(acf_values) > maxlag else None
        if r is None:
            r = acf(x, nlags=maxlag, fft=True)
        r = np.asarray(r)[1 : maxlag + 1]
        lb = n * (n + 2) * np.cumsum(r**2 / (n - np.arange(1, maxlag + 1)))[lags_arr - 1]
        bp = n * np.cumsum(r**2)[lags_arr - 1]
        lbp, bpp = stats.chi2.sf(lb, lags_arr), stats.chi2.sf(bp, lags_arr)
    return [
        {
            "lag": int(k),
            "stat": float(lb[i]),
            "pvalue": float(lbp[i]),
            "bp_stat": float(bp[i]),
            "bp_pvalue": float(bpp[i]),
        }
        for i, k in enumerate(lags_arr)
    ]
