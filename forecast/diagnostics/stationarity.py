"""Stationarity: ADF and KPSS tests, their joint reading, and ``ndiffs``.

- ADF (:func:`statsmodels.tsa.stattools.adfuller`), null hypothesis *unit root*, with a constant
  (``regression="c"``) and the lag order chosen by AIC up to statsmodels' default maximum
  ``12 (n/100)^{1/4}``. Long series are tested on their most recent :data:`ADF_MAX_OBS` points:
  the regression is O(n · lags²) and the test has all the power it needs well before that.
- KPSS (:func:`statsmodels.tsa.stattools.kpss`), null hypothesis *level stationarity*
  (``regression="c"``), with the short Newey-West lag ``trunc(4 (n/100)^{1/4})`` of R's
  ``urca::ur.kpss(lags="short")``, the test behind ``forecast::ndiffs``. Its p-value is read off
  a table and clipped to [0.01, 0.1]; the clipping is reported, not warned.
- :func:`ndiffs`: difference while KPSS rejects at ``alpha`` (R's ``forecast::ndiffs``, at most 2).
"""

from __future__ import annotations

import inspect
import warnings

import numpy as np
from statsmodels.tsa.stattools import adfuller, kpss

from forecast.diagnostics.prepare import is_constant

# statsmodels >= 0.15 warns that adfuller will return a result object; ask for the tuple
# explicitly where the option exists (warning filters are process-wide, not per thread, so
# catching the warning does not silence it when the dashboard diagnoses in a worker thread)
_ADF_TUPLE = (
    {"result_object": False} if "result_object" in inspect.signature(adfuller).parameters else {}
)

__all__ = [
    "ADF_MAX_OBS",
    "adf_test",
    "kpss_lags",
    "kpss_test",
    "ndiffs",
    "stationarity_reading",
]

#: ADF runs on at most this many of the most recent observations.
ADF_MAX_OBS = 5_000


def adf_test(x: np.ndarray) -> dict:
    """Augmented Dickey-Fuller test (null: unit root) with a constant and AIC lag choice.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values.

    Returns
    -------
    dict
        ``stat, pvalue`` (None when the test cannot run: constant or too short a series),
        ``usedlag``, ``nobs`` (observations in the test regression), ``tail`` (points tested,
        the most recent ones) and ``error`` (why it could not run, or None).
    """
    tail = x[-ADF_MAX_OBS:]
    out = {
        "stat": None,
        "pvalue": None,
        "usedlag": None,
        "nobs": None,
        "tail": len(tail),
        "error": None,
    }
    if is_constant(tail):
        out["error"] = "the series is constant"
        return out
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stat, pvalue, usedlag, nobs, *_ = adfuller(
                tail, regression="c", autolag="AIC", **_ADF_TUPLE
            )
    except (ValueError, np.linalg.LinAlgError) as exc:
        out["error"] = f"too short for the test ({exc})"
        return out
    if not np.isfinite(stat):
        out["error"] = "the test statistic is not finite (a perfectly fitted series)"
        return out
    out.update(stat=float(stat), pvalue=float(pvalue), usedlag=int(usedlag), nobs=int(nobs))
    return out


def kpss_lags(n: int) -> int:
    """Short Newey-West lag of R's ``ur.kpss(lags="short")``: ``trunc(4 (n/100)^{1/4})``.

    Parameters
    ----------
    n : int
        Number of observations.

    Returns
    -------
    int
        Between 0 and ``n - 1``.
    """
    return int(max(0, min(n - 1, int(4 * (n / 100) ** 0.25))))


def kpss_test(x: np.ndarray) -> dict:
    """KPSS test (null: level stationarity) with the short lag of :func:`kpss_lags`.

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values.

    Returns
    -------
    dict
        ``stat, pvalue`` (None when the test cannot run), ``lags`` used, ``pvalue_bound``
        (``"<"`` when the true p-value is below 0.01, ``">"`` when above 0.1, else None) and
        ``error``.
    """
    out = {"stat": None, "pvalue": None, "lags": None, "pvalue_bound": None, "error": None}
    if len(x) < 4 or is_constant(x):
        out["error"] = "the series is constant" if len(x) >= 4 else "too short for the test"
        return out
    lags = kpss_lags(len(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, pvalue, used, _crit = kpss(x, regression="c", nlags=lags)
    out.update(stat=float(stat), pvalue=float(pvalue), lags=int(used))
    if pvalue <= 0.01:
        out["pvalue_bound"] = "<"
    elif pvalue >= 0.1:
        out["pvalue_bound"] = ">"
    return out


def ndiffs(x: np.ndarray, *, alpha: float = 0.05, max_d: int = 2) -> int:
    """Number of first differences needed for level stationarity (KPSS, as ``forecast::ndiffs``).

    Parameters
    ----------
    x : ndarray of float, shape (n,)
        Finite values.
    alpha : float
        KPSS significance level.
    max_d : int
        Most differences allowed.

    Returns
    -------
    int
        0..max_d. A constant (or constant after differencing) series needs no more differences.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ndiffs(rng.normal(size=300)), ndiffs(np.cumsum(rng.normal(size=300)))
    (0, 1)
    """
    d = 0
    z = np.asarray(x, dtype="float64")
    while d < max_d:
        test = kpss_test(z)
        if test["pvalue"] is None or test["pvalue"] >= alpha:
            break
        z = np.diff(z)
        d += 1
    return d


def stationarity_reading(adf: dict, kpss_res: dict, *, alpha: float = 0.05) -> str:
    """One sentence combining the ADF and KPSS results.

    Parameters
    ----------
    adf, kpss_res : dict
        Outputs of :func:`adf_test` and :func:`kpss_test`.
    alpha : float
        Significance level.

    Returns
    -------
    str
    """
    if adf["pvalue"] is None or kpss_res["pvalue"] is None:
        why = adf["error"] or kpss_res["error"]
        return f"Stationarity tests were not run: {why}."
    unit_root = adf["pvalue"] >= alpha
    non_stationary = kpss_res["pvalue"] < alpha
    kp = _kpss_p(kpss_res)
    detail = f"(ADF p = {adf['pvalue']:.3g}, KPSS p {kp})"
    if unit_root and non_stationary:
        return f"Both tests point to a unit root {detail}: difference the series."
    if not unit_root and not non_stationary:
        return f"Both tests agree the series is stationary around its mean {detail}."
    if unit_root:
        return (
            f"The tests disagree {detail}: ADF cannot reject a unit root, KPSS does not reject "
            "stationarity; the series is close to a unit root or too short to tell."
        )
    return (
        f"The tests disagree {detail}: ADF rejects a unit root but KPSS rejects level "
        "stationarity; this suggests a trend or a structural change rather than a unit root."
    )


def _kpss_p(res: dict) -> str:
    bound = res["pvalue_bound"]
    if bound == "<":
        return "< 0.01"
    if bound == ">":
        return "> 0.1"
    return f"= {res['pvalue']:.3g}"
