"""Sliding windows over many series, time-ordered splits and reversible scaling.

Everything a windowed forecaster (recurrent nets, echo state networks) needs between the long
frame and the tensors it trains on:

1. :class:`SeriesTransform` — per-series transforms fitted on the training data only: an
   optional log (positive series) and an optional seasonal component (classical decomposition
   after a seasonality test, or STL; :mod:`forecast.calendar.seasonal_adjustment`) that is subtracted before
   windowing and added back, repeated by season, afterwards.
2. :func:`make_windows` — every (input, target) window of length ``L + H`` of every series,
   built with ``numpy.lib.stride_tricks.sliding_window_view`` (no Python loop per window).
3. :func:`split_windows` — a time-ordered validation tail: the last ``k`` windows of each series
   are held out and no training target overlaps a validation target (no leakage).
4. :func:`normalize_windows` / :func:`denormalize` — per-window normalisation by the last input
   value (or the input mean) and, outside log space, division by the window's scale; the inverse
   is exact.

Invariants: series are 1-D float arrays in time order; window ``j`` of series ``i`` has inputs
``z[i][t - L:t]`` and targets ``z[i][t:t + H]`` with ``t = ends[j]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecast.calendar.seasonal_adjustment import seasonal_component, seasonal_method
from forecast.errors import DataError, SpecError

__all__ = [
    "SeriesTransform",
    "WindowSet",
    "check_window",
    "denormalize",
    "frame_to_arrays",
    "last_windows",
    "make_windows",
    "max_input_size",
    "normalize_windows",
    "pad_left",
    "padded_windows",
    "split_windows",
]

_EPS = 1e-8


def frame_to_arrays(
    df: pd.DataFrame,
) -> tuple[list[str], list[np.ndarray], dict[str, pd.Timestamp]]:
    """Split a long frame into one float array per series.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` (sorted or not).

    Returns
    -------
    ids : list of str
        Series ids in order of first appearance.
    values : list of ndarray, each shape (n_i,)
        Values of each series in time order.
    last_ds : dict of str to Timestamp
        Last timestamp of each series.
    """
    ordered = df.sort_values(["unique_id", "ds"], kind="stable")
    ids = [str(u) for u in pd.unique(df["unique_id"])]
    groups = {str(k): g for k, g in ordered.groupby("unique_id", sort=False)}
    values = [groups[u]["y"].to_numpy(dtype=float) for u in ids]
    last_ds = {u: pd.Timestamp(groups[u]["ds"].iloc[-1]) for u in ids}
    return ids, values, last_ds


def max_input_size(lengths: list[int] | np.ndarray, horizon: int) -> int:
    """Largest input length ``L`` for which the shortest series still yields one window.

    Parameters
    ----------
    lengths : array-like of int, shape (n_series,)
        Series lengths.
    horizon : int
        Forecast horizon ``H`` in steps.

    Returns
    -------
    int
        ``min(lengths) - H`` (may be below 1 when no window fits).
    """
    return int(np.min(lengths)) - int(horizon)


def check_window(
    lengths: list[int] | np.ndarray, ids: list[str], input_size: int, horizon: int
) -> None:
    """Refuse window settings that do not fit every series.

    Parameters
    ----------
    lengths : array-like of int, shape (n_series,)
        Series lengths.
    ids : list of str
        Series ids (for the message).
    input_size : int
        Input length ``L`` in steps.
    horizon : int
        Horizon ``H`` in steps.

    Raises
    ------
    SpecError
        ``L < 1``, ``H < 1``, or a series shorter than ``L + H``; the message names the shortest
        series and the largest ``L`` that would work.
    """
    if (
        isinstance(input_size, bool)
        or not isinstance(input_size, (int, np.integer))
        or input_size < 1
    ):
        raise SpecError(
            f"input_size (the look-back window) must be a positive integer, got {input_size!r}."
        )
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise SpecError(f"The horizon must be a positive whole number of steps, got {horizon!r}.")
    lengths = np.asarray(lengths)
    shortest = int(np.argmin(lengths))
    if lengths[shortest] < input_size + horizon:
        largest = max_input_size(lengths, horizon)
        fix = (
            f"use input_size <= {largest}"
            if largest >= 1
            else f"shorten the horizon below {int(lengths[shortest])} or drop that series"
        )
        raise SpecError(
            f"Window too long: input_size {input_size} + horizon {horizon} = "
            f"{input_size + horizon} steps, but series '{ids[shortest]}' (the shortest) has only "
            f"{int(lengths[shortest])} observations; {fix}."
        )


@dataclass
class WindowSet:
    """All windows of a list of series.

    Attributes
    ----------
    X : ndarray, shape (n_windows, L)
        Inputs.
    Y : ndarray, shape (n_windows, H)
        Targets (H may be 0 for input-only windows).
    series : ndarray of int, shape (n_windows,)
        Index of the series each window comes from.
    ends : ndarray of int, shape (n_windows,)
        Position ``t`` of the first target point in its series (inputs end at ``t - 1``).
    """

    X: np.ndarray
    Y: np.ndarray
    series: np.ndarray
    ends: np.ndarray

    def __len__(self) -> int:
        return len(self.X)

    def take(self, index: np.ndarray) -> WindowSet:
        """The subset of windows at ``index``."""
        return WindowSet(self.X[index], self.Y[index], self.series[index], self.ends[index])


def make_windows(
    series: list[np.ndarray], input_size: int, horizon: int, *, stride: int = 1
) -> WindowSet:
    """Every window of ``input_size + horizon`` consecutive points of every series.

    Parameters
    ----------
    series : list of ndarray, each shape (n_i,)
        Series in time order.
    input_size : int
        Input length ``L``.
    horizon : int
        Target length ``H`` (0 gives input-only windows).
    stride : int
        Step between window starts, counted back from the end of each series so the most recent
        window is always included.

    Returns
    -------
    WindowSet
        Windows ordered by series, then time. Series shorter than ``L + H`` contribute none.
    """
    width = input_size + horizon
    xs, ss, es = [], [], []
    for i, z in enumerate(series):
        z = np.asarray(z, dtype=np.float64)
        if len(z) < width:
            continue
        view = sliding_window_view(z, width)
        start = (len(view) - 1) % stride
        view = view[start::stride]
        xs.append(view)
        ss.append(np.full(len(view), i, dtype=np.int64))
        es.append(
            np.arange(start, start + stride * len(view), stride, dtype=np.int64)[: len(view)]
            + input_size
        )
    if not xs:
        empty = np.zeros((0, width))
        return WindowSet(
            empty[:, :input_size],
            empty[:, input_size:],
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    allw = np.concatenate(xs)
    return WindowSet(
        allw[:, :input_size].copy(),
        allw[:, input_size:].copy(),
        np.concatenate(ss),
        np.concatenate(es),
    )


def pad_left(z: np.ndarray, input_size: int) -> np.ndarray:
    """The last ``input_size`` points of ``z``, left-padded with its first value when shorter.

    Parameters
    ----------
    z : ndarray, shape (n,), n >= 1
    input_size : int

    Returns
    -------
    ndarray, shape (input_size,)
    """
    z = np.asarray(z, dtype=np.float64)
    if len(z) >= input_size:
        return z[len(z) - input_size :]
    return np.concatenate([np.full(input_size - len(z), z[0]), z])


def padded_windows(
    series: list[np.ndarray],
    input_size: int,
    horizon: int,
    *,
    min_input: int = 1,
    max_per_series: int | None = None,
    full_targets: bool = False,
    rng: np.random.Generator | None = None,
) -> WindowSet:
    """Windows of series of any length: short inputs are left-padded, short targets NaN-padded.

    Window ``j`` of series ``i`` cut at ``t`` (``min_input <= t <= n_i - 1``) has inputs
    ``pad_left(z[:t], L)`` and targets ``z[t:t + H]`` followed by NaN where the series ends, so
    series shorter than ``L + H`` still train a model (with a loss that skips NaN targets) and
    are forecast from whatever history they have.

    Parameters
    ----------
    series : list of ndarray, each shape (n_i,)
    input_size : int
        Input length ``L``.
    horizon : int
        Target length ``H``.
    min_input : int
        Fewest real (unpadded) input points of a window.
    max_per_series : int, optional
        At most this many cuts per series, drawn at random by ``rng`` (the latest cut is
        always kept); None: every cut.
    full_targets : bool
        Only cuts whose ``H`` targets all exist (no NaN).
    rng : numpy Generator, optional
        Needed with ``max_per_series``.

    Returns
    -------
    WindowSet
        ``X`` (n, L), ``Y`` (n, H) with NaN padding; ``ends`` are the cuts ``t``.
    """
    xs, ys, ss, es = [], [], [], []
    for i, z in enumerate(series):
        z = np.asarray(z, dtype=np.float64)
        n = len(z)
        last = n - horizon if full_targets else n - 1
        if last < min_input:
            continue
        cuts = np.arange(max(min_input, 1), last + 1)
        if max_per_series is not None and len(cuts) > max_per_series:
            gen = rng or np.random.default_rng(0)
            pick = gen.choice(len(cuts) - 1, max_per_series - 1, replace=False)
            cuts = np.sort(np.r_[cuts[pick], cuts[-1]])
        ext = np.concatenate([np.full(input_size, z[0]), z, np.full(horizon, np.nan)])
        view = sliding_window_view(ext, input_size + horizon)
        w = view[cuts]  # cut t: ext[t : t + L + H] = pad(z[:t]) + z[t:t+H]
        xs.append(w[:, :input_size])
        ys.append(w[:, input_size:])
        ss.append(np.full(len(cuts), i, dtype=np.int64))
        es.append(cuts.astype(np.int64))
    if not xs:
        return WindowSet(
            np.zeros((0, input_size)),
            np.zeros((0, horizon)),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    return WindowSet(np.concatenate(xs), np.concatenate(ys), np.concatenate(ss), np.concatenate(es))


def last_windows(series: list[np.ndarray], input_size: int) -> np.ndarray:
    """The most recent ``input_size`` points of every series (the forecast inputs).

    Parameters
    ----------
    series : list of ndarray, each shape (n_i,) with ``n_i >= input_size``
    input_size : int

    Returns
    -------
    ndarray, shape (n_series, input_size)
    """
    return np.stack([np.asarray(z, dtype=np.float64)[len(z) - input_size :] for z in series])


def split_windows(
    windows: WindowSet, lengths: list[int] | np.ndarray, horizon: int, val_windows: int
) -> tuple[np.ndarray, np.ndarray]:
    """Time-ordered validation tail: the last ``val_windows`` windows of each series.

    A window is in validation when its target ends among the last ``val_windows`` points of its
    series; it is in training when its whole target lies before every validation target of that
    series (``ends + H <= n - (H + val_windows - 1)``). Windows in between are dropped, so no
    training target overlaps a validation target.

    Parameters
    ----------
    windows : WindowSet
    lengths : array-like of int, shape (n_series,)
    horizon : int
        Target length ``H`` of the windows.
    val_windows : int
        Validation windows per series (0: everything is training).

    Returns
    -------
    train_index, val_index : ndarray of int
        Positions in ``windows``.
    """
    n = np.asarray(lengths)[windows.series]
    target_end = windows.ends + horizon  # one past the last target point
    if val_windows <= 0:
        return np.arange(len(windows)), np.zeros(0, dtype=np.int64)
    val = target_end > n - val_windows
    train = target_end <= n - (horizon + val_windows - 1)
    return np.flatnonzero(train), np.flatnonzero(val)


def normalize_windows(
    X: np.ndarray,
    Y: np.ndarray | None = None,
    *,
    method: str = "last",
    scale: bool = True,
    period: int = 1,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Per-window normalisation: ``(x - level) / scale`` with statistics of the input only.

    Parameters
    ----------
    X : ndarray, shape (n, L)
        Input windows.
    Y : ndarray, shape (n, H), optional
        Targets, normalised with the statistics of their input window.
    method : {"last", "mean", "season", "none"}
        Level: the last input value, the input mean, the mean of the last ``period`` inputs
        (the last season: a level free of the seasonal shape), or 0.
    scale : bool
        Divide by the window's scale ``max(mean |x|, std x)`` (floored at 1e-8); use False in log
        space, where subtracting the level already removes the scale.
    period : int
        Seasonal period for ``method="season"`` (capped by the window length).

    Returns
    -------
    Xn : ndarray, shape (n, L)
    Yn : ndarray, shape (n, H) or None
    level : ndarray, shape (n, 1)
    scl : ndarray, shape (n, 1)
    """
    if method == "last":
        level = X[:, -1:]
    elif method == "mean":
        level = X.mean(axis=1, keepdims=True)
    elif method == "season":
        level = X[:, -max(1, min(int(period), X.shape[1])) :].mean(axis=1, keepdims=True)
    elif method == "none":
        level = np.zeros((len(X), 1))
    else:
        raise SpecError(f"normalize must be 'last', 'mean', 'season' or 'none', got {method!r}.")
    if scale:
        scl = np.maximum(np.abs(X).mean(axis=1, keepdims=True), X.std(axis=1, keepdims=True))
        scl = np.where(scl > _EPS, scl, 1.0)
    else:
        scl = np.ones((len(X), 1))
    Xn = (X - level) / scl
    Yn = None if Y is None else (Y - level) / scl
    return Xn, Yn, level, scl


def denormalize(Yn: np.ndarray, level: np.ndarray, scl: np.ndarray) -> np.ndarray:
    """Exact inverse of :func:`normalize_windows` for outputs ``Yn`` of shape (n, H)."""
    return Yn * scl + level


@dataclass
class SeriesTransform:
    """Log and seasonal adjustment of each series, fitted on training data only.

    ``z = log(y) - s`` (or ``y - s`` without log) where ``s`` is the seasonal component of each
    series (:mod:`forecast.calendar.seasonal_adjustment`); the future seasonal component repeats the last cycle.

    Attributes
    ----------
    log : bool
        Whether values are logged (all values of the frame must be positive).
    period : int
        Seasonal period (1: no seasonal adjustment).
    seasonal : list of ndarray, each shape (n_i,)
        Seasonal component of each training series (zeros when not adjusted).
    """

    log: bool
    period: int
    seasonal: list[np.ndarray]

    @classmethod
    def fit(
        cls,
        series: list[np.ndarray],
        *,
        log: bool | str = "auto",
        period: int = 1,
        deseasonalize: bool | str = False,
        ids: list[str] | None = None,
    ) -> SeriesTransform:
        """Choose and fit the transforms.

        Parameters
        ----------
        series : list of ndarray, each shape (n_i,)
            Training series.
        log : bool or "auto"
            True: log every series (DataError unless all values are positive); "auto": log when
            every value of every series is positive; False: never.
        period : int
            Seasonal period ``m``.
        deseasonalize : {"classical", "stl", "none"} or bool
            Seasonal component removed from each series (True means "stl", False "none"):
            classical indices where the lag-``m`` autocorrelation is significant (series with
            fewer than ``3 m`` points are left alone), or STL (left alone under ``2 m + 1``).
        ids : list of str, optional
            Series ids for messages.

        Returns
        -------
        SeriesTransform
        """
        positive = all(np.all(np.asarray(z) > 0) for z in series)
        if log is True and not positive:
            bad = next(i for i, z in enumerate(series) if np.any(np.asarray(z) <= 0))
            name = ids[bad] if ids else str(bad)
            raise DataError(
                f"log=True needs positive values, but series '{name}' has values <= 0; "
                "use log='auto' or log=False."
            )
        use_log = bool(positive) if log == "auto" else bool(log)
        method = seasonal_method(deseasonalize)
        seasonal = []
        for z in series:
            base = np.log(z) if use_log else np.asarray(z, dtype=float)
            seasonal.append(seasonal_component(base, int(period), method))
        return cls(log=use_log, period=int(period), seasonal=seasonal)

    def forward(self, series: list[np.ndarray]) -> list[np.ndarray]:
        """Transformed training series ``z_i`` (same lengths as the fitted ones)."""
        out = []
        for z, s in zip(series, self.seasonal, strict=True):
            base = np.log(z) if self.log else np.asarray(z, dtype=float)
            out.append(base - s)
        return out

    def future_seasonal(self, h: int) -> np.ndarray:
        """Seasonal component of the ``h`` steps after each series, shape (n_series, h)."""
        out = np.zeros((len(self.seasonal), h))
        for i, s in enumerate(self.seasonal):
            if self.period > 1 and len(s) >= self.period and np.any(s != 0):
                cycle = s[len(s) - self.period :]
                out[i] = cycle[np.arange(h) % self.period]
        return out

    def inverse(self, z: np.ndarray, seasonal: np.ndarray) -> np.ndarray:
        """Back to the original scale: ``exp(z + s)`` (or ``z + s``), any shape."""
        base = z + seasonal
        return np.exp(np.clip(base, -700, 700)) if self.log else base
