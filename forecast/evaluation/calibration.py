"""Intervals you can trust: calibrate every model's intervals on its own backtest errors.

A rolling-origin backtest leaves, for every model, forecasts beside the actuals they were made
for. Two calibrations use them:

- :func:`interval_scale` — for a model with intervals of its own: the factor ``c`` by which its
  half-widths (each side measured from ``yhat``) must be stretched or shrunk so that ``level`` %
  of the backtest actuals fall inside; split-conformal on the ratio
  ``|y - ŷ| / half-width`` pooled over series, windows and steps (``c`` is the
  ``ceil((n + 1) level / 100)``-th smallest ratio). The shape of the model's intervals (how they
  widen with the horizon, asymmetry of multiplicative models) is kept.
- :func:`forecast.run.backtest.conformal_quantiles` — for a model without intervals: per-step
  half-widths in units of the series' MASE scale.

:func:`backtest_coverage` is the share of backtest actuals inside the model's own (uncalibrated)
intervals: what the leaderboard reports next to the nominal level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["apply_scale", "backtest_coverage", "interval_scale"]


def _ratios(bt: pd.DataFrame) -> np.ndarray:
    """|y - ŷ| over the half-width on the side of the error, where both are defined."""
    y, yhat = bt["y"].to_numpy(float), bt["yhat"].to_numpy(float)
    lo, hi = bt["lo"].to_numpy(float), bt["hi"].to_numpy(float)
    side = np.where(y >= yhat, hi - yhat, yhat - lo)
    ok = np.isfinite(y) & np.isfinite(yhat) & np.isfinite(side) & (side > 0)
    return np.abs(y - yhat)[ok] / side[ok]


def interval_scale(bt: pd.DataFrame, level: float) -> float | None:
    """The factor that makes a model's intervals cover ``level`` % of its backtest actuals.

    Parameters
    ----------
    bt : DataFrame
        One model's backtest rows: ``yhat, lo, hi, y`` (any number of series and windows).
    level : float
        Nominal level in percent.

    Returns
    -------
    float or None
        ``c`` (1 = the model's intervals were right; > 1 too narrow), None when fewer than
        5 backtest points have an interval (nothing to calibrate on).
    """
    from forecast.evaluation.conformal import conformal_quantile

    ratios = _ratios(bt)
    if len(ratios) < 5:
        return None
    return float(conformal_quantile(ratios, level))


def apply_scale(fc: pd.DataFrame, scale: float) -> pd.DataFrame:
    """Forecasts with each side of the interval stretched by ``scale`` around ``yhat``.

    Parameters
    ----------
    fc : DataFrame
        ``yhat, lo, hi`` (and any other columns, kept).
    scale : float
        Factor from :func:`interval_scale`.

    Returns
    -------
    DataFrame
        A copy with ``lo = yhat - scale (yhat - lo)`` and ``hi = yhat + scale (hi - yhat)``.
    """
    out = fc.copy()
    out["lo"] = out["yhat"] - scale * (out["yhat"] - out["lo"])
    out["hi"] = out["yhat"] + scale * (out["hi"] - out["yhat"])
    return out


def backtest_coverage(bt: pd.DataFrame) -> float:
    """Share (0-1) of backtest actuals inside ``[lo, hi]``; NaN when no row has an interval.

    Parameters
    ----------
    bt : DataFrame
        Backtest rows ``y, lo, hi``.
    """
    y, lo, hi = (bt[c].to_numpy(float) for c in ("y", "lo", "hi"))
    ok = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return float("nan")
    return float(np.mean((y[ok] >= lo[ok]) & (y[ok] <= hi[ok])))
