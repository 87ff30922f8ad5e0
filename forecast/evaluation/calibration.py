"""Intervals you can trust: calibrate every model's intervals on its own backtest errors.

A rolling-origin backtest leaves, for every model, forecasts beside the actuals they were made
for. Three calibrations use them:

- :func:`interval_scale` — for a model with intervals of its own: the factor ``c`` by which its
  half-widths (each side measured from ``yhat``) must be stretched or shrunk so that ``level`` %
  of the backtest actuals fall inside; split-conformal on the ratio
  ``|y - ŷ| / half-width`` pooled over series, windows and steps (``c`` is the
  ``ceil((n + 1) level / 100)``-th smallest ratio). The shape of the model's intervals (how they
  widen with the horizon, asymmetry of multiplicative models) is kept.
- :func:`calibrate_per_series` — what a job applies: the factor of :func:`interval_scale` fitted
  *per series* on that series' own ratios when it has at least :data:`MIN_ERRORS` of them, else on
  the model's ratios pooled over its series (the ratio ``|y - ŷ| / half-width`` is scale-free, so
  series of any units pool), else no rescaling at all (said in ``why``). A factor below 1 shrinks
  intervals on the strength of errors that happened to be small, so it is bounded: never below
  :data:`SHRINK_FLOOR` (×0.5) unless at least :data:`STRONG_EVIDENCE` errors say so. Each
  series also gets ``lowo_coverage``, the coverage its rescaled intervals reach on each backtest
  window when the factor is fitted on the *other* windows only (leave one window out): the
  honest figure for the leaderboard, since the in-sample coverage of a fitted factor is ~level
  by construction.
- :func:`forecast.run.backtest.conformal_quantiles` — for a model without intervals: per-step
  half-widths in units of the series' MASE scale.

:func:`backtest_coverage` is the share of backtest actuals inside the model's own (uncalibrated)
intervals: what the leaderboard reports next to the nominal level.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "MIN_ERRORS",
    "SHRINK_FLOOR",
    "STRONG_EVIDENCE",
    "apply_scale",
    "apply_scales",
    "backtest_coverage",
    "calibrate_per_series",
    "interval_scale",
]

#: Fewest backtest errors (points with an interval) a factor is fitted on.
MIN_ERRORS = 10
#: Smallest factor allowed without strong evidence (intervals at most halved).
SHRINK_FLOOR = 0.5
#: Backtest errors needed to shrink intervals by more than :data:`SHRINK_FLOOR`.
STRONG_EVIDENCE = 60


def _ratios(bt: pd.DataFrame) -> np.ndarray:
    """|y - ŷ| over the half-width on the side of the error, where both are defined."""
    return _ratio_column(bt)[np.isfinite(_ratio_column(bt))]


def _ratio_column(bt: pd.DataFrame) -> np.ndarray:
    """|y - ŷ| over the half-width on the side of the error, where both are defined."""
    y, yhat = bt["y"].to_numpy(float), bt["yhat"].to_numpy(float)
    lo, hi = bt["lo"].to_numpy(float), bt["hi"].to_numpy(float)
    side = np.where(y >= yhat, hi - yhat, yhat - lo)
    ok = np.isfinite(y) & np.isfinite(yhat) & np.isfinite(side) & (side > 0)
    out = np.full(len(y), np.nan)
    out[ok] = np.abs(y - yhat)[ok] / side[ok]
    return out


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
    return _coverage(*(bt[c].to_numpy(float) for c in ("y", "lo", "hi")))


def _coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """:func:`backtest_coverage` of arrays of shape (n,)."""
    ok = np.isfinite(y) & np.isfinite(lo) & np.isfinite(hi)
    if not ok.any():
        return float("nan")
    return float(np.mean((y[ok] >= lo[ok]) & (y[ok] <= hi[ok])))


def _bounded(ratios: np.ndarray, level: float) -> tuple[float | None, str]:
    """The conformal factor of ``ratios``, bounded below; ``(None, why)`` with too few."""
    from forecast.evaluation.conformal import conformal_quantile

    n = len(ratios)
    if n < MIN_ERRORS:
        return None, f"fewer than {MIN_ERRORS} backtest errors ({n})"
    c = float(conformal_quantile(ratios, level))
    if c < SHRINK_FLOOR and n < STRONG_EVIDENCE:
        return SHRINK_FLOOR, (
            f"bounded at ×{SHRINK_FLOOR:g}: shrinking more needs {STRONG_EVIDENCE} backtest errors, "
            f"there are {n}"
        )
    return c, ""


def _positions(uid: np.ndarray) -> dict[str, np.ndarray]:
    """Row positions of each id, ids in order of first appearance, positions ascending.

    One pass (factorize, stable sort), so a job of many series costs linear time, not one scan
    of every row per series."""
    codes, uniques = pd.factorize(uid)
    order = np.argsort(codes, kind="stable")
    bounds = np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1]
    return dict(zip((str(u) for u in uniques), np.split(order, bounds), strict=True))


def _fit(
    ratio: np.ndarray,
    groups: dict[str, np.ndarray],
    level: float,
    rows: np.ndarray | None = None,
) -> dict[str, tuple[float | None, str, str]]:
    """Per group: (factor, group used, why) — its own ratios, else the pool, else none.

    ``ratio`` of shape (n,) holds every row's ratio (NaN where undefined), ``groups`` the rows
    of each series (:func:`_positions`), ``rows`` (bool, shape (n,)) the rows to fit on (all when
    None); a series with no row among them is left out."""
    use = np.isfinite(ratio) if rows is None else np.isfinite(ratio) & rows
    pooled, pooled_why = _bounded(ratio[use], level)
    out = {}
    for uid, pos in groups.items():
        if rows is not None and not rows[pos].any():
            continue
        own = ratio[pos[use[pos]]]
        if len(own) >= MIN_ERRORS:
            scale, why = _bounded(own, level)
            out[uid] = (scale, "series", why)
        elif pooled is not None:
            why = f"{len(own)} backtest errors of its own, fewer than {MIN_ERRORS}: pooled over series"
            out[uid] = (pooled, "pooled", "; ".join(filter(None, [why, pooled_why])))
        else:
            out[uid] = (None, "none", pooled_why)
    return out


def calibrate_per_series(bt: pd.DataFrame, level: float) -> dict[str, dict]:
    """Per series: the factor its future intervals get, and how it did on unseen windows.

    Parameters
    ----------
    bt : DataFrame
        One model's backtest rows ``window, unique_id, yhat, lo, hi, y``.
    level : float
        Nominal level in percent.

    Returns
    -------
    dict
        ``unique_id -> {"scale", "group", "n", "why", "coverage", "lowo_coverage"}``:
        ``scale`` None when there is nothing to fit on (intervals left as they are);
        ``group`` ``"series"`` (its own errors), ``"pooled"`` (the model's series pooled) or
        ``"none"``; ``n`` its backtest errors; ``coverage`` its raw backtest coverage (0-1);
        ``lowo_coverage`` the coverage of its intervals rescaled by the factor fitted without
        each window in turn (NaN with a single window).
    """
    if bt.empty:
        return {}
    groups = _positions(bt["unique_id"].astype(str).to_numpy())
    ratio = _ratio_column(bt)
    fitted = _fit(ratio, groups, level)
    windows = sorted(pd.unique(bt["window"])) if "window" in bt else []
    inside = np.full(len(bt), np.nan)
    if len(windows) > 1:
        window = bt["window"].to_numpy()
        for w in windows:
            held = window == w
            rest = _fit(ratio, groups, level, rows=~held)
            for u, (scale, _g, _w) in rest.items():
                pos = groups[u]
                pos = pos[held[pos]]
                if not len(pos):
                    continue
                r = ratio[pos]
                c = 1.0 if scale is None else scale
                inside[pos] = np.where(np.isfinite(r), (r <= c).astype(float), np.nan)
    y, lo, hi = (bt[c].to_numpy(float) for c in ("y", "lo", "hi"))
    out = {}
    for u, (scale, group, why) in fitted.items():
        pos = groups[u]
        held_out = inside[pos]
        known = np.isfinite(held_out)
        out[u] = {
            "scale": scale,
            "group": group,
            "n": int(np.isfinite(ratio[pos]).sum()),
            "why": why,
            "coverage": _coverage(y[pos], lo[pos], hi[pos]),
            "lowo_coverage": float(held_out[known].mean()) if known.any() else np.nan,
        }
    return out


def apply_scales(fc: pd.DataFrame, scales: dict[str, float | None]) -> pd.DataFrame:
    """:func:`apply_scale` per series (a series with a None factor, or none listed, is kept).

    Parameters
    ----------
    fc : DataFrame
        ``unique_id, yhat, lo, hi``.
    scales : dict
        ``unique_id -> factor or None``.
    """
    factor = fc["unique_id"].astype(str).map(scales).astype(float).fillna(1.0)
    out = fc.copy()
    out["lo"] = out["yhat"] - factor * (out["yhat"] - out["lo"])
    out["hi"] = out["yhat"] + factor * (out["hi"] - out["yhat"])
    return out
