"""Cross-correlation of a target and a driver at lags -L ... +L, raw and prewhitened.

Lag convention: ``r(k) = corr(y_t, x_{t-k})``. A positive ``k`` means the driver *leads* the target
by ``k`` steps (the driver's value ``k`` steps ago goes with today's target); a negative ``k`` means
the target leads the driver. statsmodels' :func:`~statsmodels.tsa.stattools.ccf` is one-sided
(``ccf(a, b)[k] = corr(a_{t+k}, b_t)``, ``k >= 0``), so the positive lags are ``ccf(y, x)`` and the
negative ones ``ccf(x, y)``; both are computed with ``adjusted=False`` (divided by ``n``, as the
ACF), which keeps every value in [-1, 1].

The raw CCF of two autocorrelated series shows spurious peaks at many lags: its variance under
independence is ``(1/n) sum_j rho_x(j) rho_y(j)``, not ``1/n``. **Prewhitening** (Box & Jenkins)
removes that: an autoregression ``phi(B)`` is fitted to the driver (statsmodels'
:func:`~statsmodels.tsa.ar_model.ar_select_order`, order by AIC), both series are filtered with
the same ``phi(B)``, and the residuals are cross-correlated. The driver's residuals are white, so
under independence each prewhitened correlation is about ``N(0, 1/n)`` whatever the target's own
autocorrelation, and ``±1.96/sqrt(n)`` is a 5 % band at each lag. Testing ``2L + 1`` lags at once,
the lags called *significant* clear the Bonferroni band ``z_{1 - alpha/(2(2L+1))} / sqrt(n)``, so
that two independent series show a significant lag in at most ``alpha`` of cases.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter
from scipy.stats import norm
from statsmodels.tsa.ar_model import ar_select_order
from statsmodels.tsa.stattools import ccf

from forecast.errors import DataError

#: A driver whose AR residuals keep less than this share of its variance is deterministic
#: (periodic): it is not prewhitened.
DETERMINISTIC = 1e-3

#: Lags whose |r| is within this share of the strongest count as tied; the shortest one wins.
TIE = 0.05

#: Smallest |prewhitened correlation| from which a sub-daily step names a lead. On a year of
#: half-hours (n = 17,520) the corrected band is about ±0.03, so correlations that explain
#: under 1 % of the variance pass it; below this size the lead is read from the daily means
#: (:mod:`forecast.diagnostics.driver_lags`).
MIN_SUBDAILY_EFFECT = 0.1

__all__ = [
    "MIN_SUBDAILY_EFFECT",
    "CrossCorrelation",
    "bonferroni_band",
    "cross_correlation",
    "default_ccf_lags",
    "prewhiten",
    "prewhitened_cross_correlation",
]


def default_ccf_lags(n: int, season: int | None = None) -> int:
    """Lags each side of 0: ``max(12, 2 m)``, at most ``n/4`` (Box & Jenkins' limit).

    Parameters
    ----------
    n : int
        Observations in the (differenced) series.
    season : int, optional
        Seasonal period ``m``.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> default_ccf_lags(200, 12), default_ccf_lags(40, 12), default_ccf_lags(365, 7)
    (24, 10, 14)
    """
    want = max(12, 2 * (season or 1))
    return max(1, min(want, n // 4))


def bonferroni_band(n: int, n_lags: int, alpha: float = 0.05) -> float:
    """Half-width of the band a correlation must clear when ``n_lags`` lags are tested at once.

    Parameters
    ----------
    n : int
        Pairs the correlations are computed from.
    n_lags : int
        Lags tested (``2L + 1``).
    alpha : float
        Family-wise level.

    Returns
    -------
    float
        ``z_{1 - alpha / (2 n_lags)} / sqrt(n)``; ``1.96 / sqrt(n)`` for one lag at 5 %.
    """
    return float(norm.ppf(1 - alpha / (2 * n_lags)) / np.sqrt(n))


def cross_correlation(y: np.ndarray, x: np.ndarray, nlags: int) -> tuple[np.ndarray, np.ndarray]:
    """Cross-correlation ``corr(y_t, x_{t-k})`` for ``k = -nlags ... nlags``.

    Parameters
    ----------
    y, x : ndarray of float, shape (n,)
        Target and driver, aligned in time, finite.
    nlags : int
        Lags each side of 0, ``1 <= nlags < n``.

    Returns
    -------
    lags : ndarray of int, shape (2 nlags + 1,)
    r : ndarray of float, shape (2 nlags + 1,)
        In [-1, 1]; 0 where a series is constant.

    Examples
    --------
    >>> x = np.sin(np.arange(50.0)); y = np.r_[0.0, x[:-1]]  # y follows x by one step
    >>> lags, r = cross_correlation(y, x, 3)
    >>> int(lags[np.argmax(r)])
    1
    """
    y = np.asarray(y, dtype="float64")
    x = np.asarray(x, dtype="float64")
    if len(y) != len(x):
        raise DataError(f"Target and driver differ in length ({len(y)} and {len(x)}).")
    lags = np.arange(-nlags, nlags + 1)
    if np.std(y) == 0 or np.std(x) == 0:
        return lags, np.zeros(len(lags))
    ahead = ccf(y, x, adjusted=False, fft=True, nlags=nlags + 1)[: nlags + 1]
    behind = ccf(x, y, adjusted=False, fft=True, nlags=nlags + 1)[1 : nlags + 1]
    r = np.r_[behind[::-1], ahead]
    return lags, np.clip(r, -1.0, 1.0)


def prewhiten(
    x: np.ndarray, y: np.ndarray, *, maxlag: int
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Filter driver and target with the autoregression fitted to the driver.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Driver (stationary: difference it first if it needs it).
    y : ndarray of float, shape (n,)
        Target, aligned with ``x``.
    maxlag : int
        Largest AR order tried (AIC chooses, 0 included).

    Returns
    -------
    ex, ey : ndarray of float, shape (n - p,)
        ``phi(B) x`` (about white) and ``phi(B) y``, where ``p`` is the largest AR lag kept.
    ar_lags : list of int
        AR lags of the fitted filter (empty: the driver is already white, or deterministic:
        its AR residuals keep less than :data:`DETERMINISTIC` of its variance, and it is left
        as it is).
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    maxlag = int(max(0, min(maxlag, len(x) // 3)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sel = ar_select_order(x, maxlag=maxlag, ic="aic", trend="c")
        lags = list(sel.ar_lags or [])
        if not lags:
            return x - x.mean(), y - y.mean(), []
        res = sel.model.fit()
    p = max(lags)
    phi = np.zeros(p)
    params = np.asarray(res.params)[-len(lags) :]  # constant first, then the AR lags in order
    for lag, value in zip(lags, params, strict=True):
        phi[lag - 1] = value
    poly = np.r_[1.0, -phi]
    ex = lfilter(poly, [1.0], x)[p:]
    ey = lfilter(poly, [1.0], y)[p:]
    if np.var(ex) < DETERMINISTIC * np.var(x):
        # the autoregression predicts the driver all but exactly (a weekly working-day flag, a
        # day-of-week code): filtering would leave rounding noise, so the driver is kept as it is
        return x - x.mean(), y - y.mean(), []
    return ex, ey, [int(v) for v in lags]


def _strongest(lags: list[int], r: np.ndarray, nlags: int) -> int | None:
    """The lag of the largest |r|; near-ties (within :data:`TIE`) go to the shortest lag, as a
    periodic driver correlates alike at lags 0, m, 2m."""
    if not lags:
        return None
    top = max(abs(r[k + nlags]) for k in lags)
    tied = [k for k in lags if abs(r[k + nlags]) >= (1 - TIE) * top]
    return min(tied, key=abs)


@dataclass
class CrossCorrelation:
    """Raw and prewhitened cross-correlations of a target and a driver.

    Attributes
    ----------
    lags : ndarray of int, shape (2L + 1,)
        ``-L ... L`` (positive: the driver leads).
    ccf : ndarray of float, shape (2L + 1,)
        Raw cross-correlation of the (differenced) series.
    prewhitened_ccf : ndarray of float, shape (2L + 1,)
        Cross-correlation after prewhitening.
    band : float
        ``1.96 / sqrt(n)`` of the prewhitened residuals: the 5 % band of one lag.
    raw_band : float
        ``1.96 / sqrt(n)`` of the raw series.
    band_corrected : float
        Bonferroni band for ``2L + 1`` lags (:func:`bonferroni_band`).
    raw_band_corrected : float
        The same for the raw series' ``n``.
    significant_lags : list of int
        Lags whose prewhitened correlation clears ``band_corrected``.
    raw_significant_lags : list of int
        Lags whose raw correlation clears ``raw_band`` (what a reader of the raw plot sees).
    lead : int or None
        The ``k >= 0`` of the strongest significant prewhitened correlation (near-ties within
        :data:`TIE` to the shortest lag); None when none.
    strongest : int or None
        The lag of the strongest significant prewhitened correlation, negative ones included.
    ar_lags : list of int
        AR lags of the prewhitening filter.
    n : int
        Pairs behind the prewhitened correlations.
    """

    lags: np.ndarray
    ccf: np.ndarray
    prewhitened_ccf: np.ndarray
    band: float
    raw_band: float
    band_corrected: float
    raw_band_corrected: float
    significant_lags: list[int]
    raw_significant_lags: list[int]
    lead: int | None
    strongest: int | None
    ar_lags: list[int]
    n: int

    @property
    def relation(self) -> str:
        """``"contemporaneous"`` (lead 0), ``"lagged"`` (lead > 0), ``"target leads"``
        (only negative lags significant) or ``"absent"``."""
        if self.lead == 0:
            return "contemporaneous"
        if self.lead is not None:
            return "lagged"
        return "target leads" if self.significant_lags else "absent"

    def value_at(self, lag: int, *, prewhitened: bool = True) -> float:
        """The correlation at ``lag``."""
        values = self.prewhitened_ccf if prewhitened else self.ccf
        return float(values[int(lag) + len(self.lags) // 2])


def prewhitened_cross_correlation(
    y: np.ndarray,
    x: np.ndarray,
    *,
    nlags: int | None = None,
    season: int | None = None,
    alpha: float = 0.05,
) -> CrossCorrelation:
    """Raw and prewhitened CCF, their bands, the significant lags and the lead.

    Parameters
    ----------
    y, x : ndarray of float, shape (n,)
        Target and driver, aligned, finite and already stationary (differenced as needed).
    nlags : int, optional
        Lags each side of 0 (default :func:`default_ccf_lags`).
    season : int, optional
        Seasonal period: the AR filter may reach ``season + 1`` lags.
    alpha : float
        Family-wise level of the significant lags.

    Returns
    -------
    CrossCorrelation

    Raises
    ------
    DataError
        Fewer than 8 aligned points, or lengths that differ.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = np.zeros(300)
    >>> for t in range(1, 300):
    ...     x[t] = 0.7 * x[t - 1] + rng.normal()
    >>> y = 0.8 * np.r_[np.zeros(3), x[:-3]] + rng.normal(size=300)
    >>> prewhitened_cross_correlation(y, x, nlags=8).lead
    3
    """
    y = np.asarray(y, dtype="float64")
    x = np.asarray(x, dtype="float64")
    if len(y) != len(x):
        raise DataError(f"Target and driver differ in length ({len(y)} and {len(x)}).")
    if len(y) < 8:
        raise DataError(f"{len(y)} aligned points are too few for a cross-correlation (need 8).")
    n_raw = len(y)
    if nlags is None:
        nlags = default_ccf_lags(n_raw, season)
    nlags = int(max(1, min(nlags, n_raw // 2 - 1)))
    lags, raw = cross_correlation(y, x, nlags)
    maxlag = max(10, (season or 1) + 1)
    maxlag = min(maxlag, max(1, n_raw // 4))
    ex, ey, ar_lags = prewhiten(x, y, maxlag=maxlag)
    n = len(ex)
    _, pw = cross_correlation(ey, ex, min(nlags, n // 2 - 1))
    if len(pw) < len(lags):  # too short after filtering for every lag: pad with 0
        pad = (len(lags) - len(pw)) // 2
        pw = np.r_[np.zeros(pad), pw, np.zeros(pad)]
    n_tests = len(lags)
    band_corrected = bonferroni_band(n, n_tests, alpha)
    significant = [int(k) for k, r in zip(lags, pw, strict=True) if abs(r) > band_corrected]
    strongest = _strongest(significant, pw, nlags)
    lead = _strongest([k for k in significant if k >= 0], pw, nlags)
    raw_band = float(norm.ppf(1 - alpha / 2) / np.sqrt(n_raw))
    return CrossCorrelation(
        lags=lags,
        ccf=raw,
        prewhitened_ccf=pw,
        band=float(norm.ppf(1 - alpha / 2) / np.sqrt(n)),
        raw_band=raw_band,
        band_corrected=band_corrected,
        raw_band_corrected=bonferroni_band(n_raw, n_tests, alpha),
        significant_lags=significant,
        raw_significant_lags=[int(k) for k, r in zip(lags, raw, strict=True) if abs(r) > raw_band],
        lead=lead,
        strongest=strongest,
        ar_lags=ar_lags,
        n=n,
    )
