"""Granger causality of a target by a driver: does the driver's past help predict the target?

statsmodels underneath: the lag order is chosen from the data by AIC over a VAR of the two series
(:meth:`statsmodels.tsa.api.VAR.select_order`, at least 1), then
:func:`statsmodels.tsa.stattools.grangercausalitytests` compares the target's autoregression
with and without the driver's lags (the SSR F test). Both series must already be stationary: the
caller differences them as the diagnosis suggests. The p-value is stored as computed; it is
written for people by :func:`forecast.diagnostics.pvalues.pvalue_text` (never "0").
"""

from __future__ import annotations

import warnings

import numpy as np
from statsmodels.tsa.api import VAR
from statsmodels.tsa.stattools import grangercausalitytests

__all__ = ["granger_test"]


def granger_test(y: np.ndarray, x: np.ndarray, *, maxlag: int = 12) -> dict:
    """F test that the driver's past adds nothing to the target's own past.

    Parameters
    ----------
    y, x : ndarray of float, shape (n,)
        Target and driver, aligned, stationary, finite.
    maxlag : int
        Largest lag order tried by AIC (capped so the regression keeps enough degrees of freedom).

    Returns
    -------
    dict
        ``pvalue`` (in [0, 1]; None when the test cannot run), ``lags`` (the order used),
        ``stat`` (F), ``df`` ((numerator, denominator) degrees of freedom) and ``error`` (why it
        could not run, or None).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=200); y = np.r_[0.0, x[:-1]] + rng.normal(size=200)
    >>> out = granger_test(y, x)
    >>> out["lags"], out["pvalue"] < 1e-6
    (1, True)
    """
    y = np.asarray(y, dtype="float64")
    x = np.asarray(x, dtype="float64")
    out = {"pvalue": None, "lags": None, "stat": None, "df": None, "error": None}
    n = len(y)
    maxlag = int(min(maxlag, (n - 10) // 4))
    if maxlag < 1:
        out["error"] = f"{n} points are too few for a Granger test."
        return out
    if np.std(y) == 0 or np.std(x) == 0:
        out["error"] = "A constant series cannot be tested."
        return out
    data = np.column_stack([y, x])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            order = VAR(data).select_order(maxlag).selected_orders["aic"]
            lags = int(max(1, order))
            res = grangercausalitytests(data, maxlag=[lags])
        except (ValueError, np.linalg.LinAlgError) as exc:
            out["error"] = f"The Granger test could not run: {exc}"
            return out
    stat, p, df_denom, df_num = res[lags][0]["ssr_ftest"]
    out.update(
        pvalue=float(min(max(p, 0.0), 1.0)),
        lags=lags,
        stat=float(stat),
        df=(int(df_num), int(df_denom)),
    )
    return out
