"""Forecast accuracy metrics: small functions with one signature, and a frame-level scorer.

Every metric is ``metric(y, yhat, *, lo=None, hi=None, insample=None, m=1) -> float`` on one
series' arrays of shape ``(h,)``; the keywords a metric does not need are ignored, so they can be
called in a loop. Definitions (the M3/M4 conventions):

- ``mae``   mean |y - ŷ|, in the series' units;
- ``rmse``  sqrt(mean (y - ŷ)²), in the series' units;
- ``smape`` mean 200 |y - ŷ| / (|y| + |ŷ|), on the 0–200 scale (a 0/0 term counts as 0);
- ``mase``  MAE / mean |x_t - x_{t-m}| over the in-sample series ``x`` (seasonal naive scale;
  lag 1 when the series is no longer than ``m``); NaN when that scale is 0;
- ``coverage`` share (0–1) of ``y`` inside ``[lo, hi]``; ``width`` mean ``hi - lo``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "METRICS",
    "coverage",
    "mae",
    "mase",
    "mase_by_series",
    "mase_scale",
    "rmse",
    "score_frame",
    "smape",
    "smape_by_series",
    "width",
]


def _arrays(y, yhat) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=float)
    yhat = np.asarray(yhat, dtype=float)
    if y.shape != yhat.shape:
        raise ValueError(f"y has shape {y.shape} but yhat has shape {yhat.shape}")
    return y, yhat


def mae(y, yhat, *, lo=None, hi=None, insample=None, m: int = 1) -> float:
    """Mean absolute error. ``y, yhat``: arrays of shape (h,). Returns a float in y's units."""
    y, yhat = _arrays(y, yhat)
    return float(np.mean(np.abs(y - yhat)))


def rmse(y, yhat, *, lo=None, hi=None, insample=None, m: int = 1) -> float:
    """Root mean squared error. ``y, yhat``: arrays of shape (h,). Returns a float in y's units."""
    y, yhat = _arrays(y, yhat)
    return float(np.sqrt(np.mean((y - yhat) ** 2)))


def smape(y, yhat, *, lo=None, hi=None, insample=None, m: int = 1) -> float:
    """Symmetric MAPE on the 0–200 scale. ``y, yhat``: arrays of shape (h,)."""
    y, yhat = _arrays(y, yhat)
    denom = np.abs(y) + np.abs(yhat)
    ratio = np.divide(200 * np.abs(y - yhat), denom, out=np.zeros_like(denom), where=denom > 0)
    return float(np.mean(ratio))


def mase_scale(insample, m: int = 1) -> float:
    """In-sample MAE of the seasonal naive method at lag ``m`` (lag 1 if too short).

    Parameters
    ----------
    insample : array of shape (n,)
        The training part of the series.
    m : int
        Seasonal period in steps.

    Returns
    -------
    float
        The scale (NaN when it cannot be computed or is 0).
    """
    x = np.asarray(insample, dtype=float)
    lag = m if len(x) > m else 1
    if len(x) <= lag:
        return float("nan")
    scale = float(np.mean(np.abs(x[lag:] - x[:-lag])))
    return scale if scale > 0 else float("nan")


def mase(y, yhat, *, lo=None, hi=None, insample=None, m: int = 1) -> float:
    """Mean absolute scaled error: MAE over the seasonal-naive in-sample MAE (``insample``)."""
    if insample is None:
        raise ValueError("mase needs the in-sample series (insample=...)")
    return mae(y, yhat) / mase_scale(insample, m)


def coverage(y, yhat, *, lo=None, hi=None, insample=None, m: int = 1) -> float:
    """Share of observations inside ``[lo, hi]`` (0–1); NaN when the model gave no interval."""
    y, _ = _arrays(y, yhat)
    if lo is None or hi is None:
        return float("nan")
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
        return float("nan")
    return float(np.mean((y >= lo) & (y <= hi)))


def width(y, yhat, *, lo=None, hi=None, insample=None, m: int = 1) -> float:
    """Mean interval width ``hi - lo`` in y's units; NaN without an interval."""
    if lo is None or hi is None:
        return float("nan")
    return float(np.mean(np.asarray(hi, dtype=float) - np.asarray(lo, dtype=float)))


def smape_by_series(y, yhat) -> np.ndarray:
    """:func:`smape` of each series of a panel (the competition tables' per-series figure).

    Parameters
    ----------
    y, yhat : array-like of shape (n_series, h)
        Actuals and forecasts.

    Returns
    -------
    ndarray of shape (n_series,)
        sMAPE of each series, 0–200; their mean is the M3 table's figure.
    """
    y, yhat = _arrays(np.atleast_2d(y), np.atleast_2d(yhat))
    return np.array([smape(a, b) for a, b in zip(y, yhat, strict=True)], dtype=float)


def mase_by_series(insample, y, yhat, m: int = 1) -> np.ndarray:
    """:func:`mase` of each series of a panel.

    Parameters
    ----------
    insample : sequence of n_series arrays of shape (n_i,)
        The training part of each series (lengths may differ).
    y, yhat : array-like of shape (n_series, h)
        Actuals and forecasts.
    m : int
        Seasonal period in steps (the scale's lag).

    Returns
    -------
    ndarray of shape (n_series,)
        MASE of each series (NaN where the scale is 0 or cannot be computed); the M3 table's
        figure is their mean ignoring NaN.
    """
    y, yhat = _arrays(np.atleast_2d(y), np.atleast_2d(yhat))
    return np.array(
        [mae(a, b) / mase_scale(x, m) for x, a, b in zip(insample, y, yhat, strict=True)],
        dtype=float,
    )


#: Name -> metric function, in the order the leaderboard shows them.
METRICS = {
    "mae": mae,
    "rmse": rmse,
    "smape": smape,
    "mase": mase,
    "coverage": coverage,
    "width": width,
}


def score_frame(
    forecasts: pd.DataFrame, actuals: pd.DataFrame, history: pd.DataFrame, *, m: int = 1
) -> pd.DataFrame:
    """Score forecasts against actuals, one row per (model, series).

    Only timestamps present in both frames are scored (a horizon shorter than the held-out part
    scores its first ``h`` points).

    Parameters
    ----------
    forecasts : DataFrame
        ``unique_id, ds, model, yhat, lo, hi``.
    actuals : DataFrame
        ``unique_id, ds, y`` of the held-out part.
    history : DataFrame
        ``unique_id, ds, y`` of the training part (for the MASE scale).
    m : int
        Seasonal period of the MASE scale.

    Returns
    -------
    DataFrame
        ``model, unique_id, n`` and one column per entry of :data:`METRICS`.
    """
    merged = forecasts.merge(actuals[["unique_id", "ds", "y"]], on=["unique_id", "ds"])
    scales = {
        str(uid): part["y"].to_numpy(dtype=float)
        for uid, part in history.groupby("unique_id", sort=False)
    }
    rows = []
    for (model, uid), part in merged.groupby(["model", "unique_id"], sort=False):
        y, yhat = part["y"].to_numpy(), part["yhat"].to_numpy()
        lo, hi = part["lo"].to_numpy(), part["hi"].to_numpy()
        row = {"model": model, "unique_id": uid, "n": len(part)}
        for name, fn in METRICS.items():
            row[name] = fn(y, yhat, lo=lo, hi=hi, insample=scales[str(uid)], m=m)
        rows.append(row)
    return pd.DataFrame(rows, columns=["model", "unique_id", "n", *METRICS])
