"""Rolling-origin backtest: refit every model per window on the past only, score the next ``h``.

Window ``w`` (0 = oldest) of a series of length ``n`` trains on its first
``n - h - (K - 1 - w) * step`` points and is scored on the ``h`` points that follow, so the last
window ends exactly at the end of the series. A model only ever sees a frame cut before its
window's first forecast timestamp (no leakage; ``tests/test_backtest.py`` asserts it).

Drivers: the training frame carries every driver up to the cutoff. A driver known in advance
gets its *actual* values over the window's ``h`` steps as ``X_future`` — the perfect-knowledge
assumption (with forecast temperatures, expect more error than the backtest shows); a driver
observed only (:func:`forecast.ingest.frame.observed_drivers`) is never read past the cutoff,
and neither is ``y`` (``tests/test_backtest_drivers.py`` proves no value after a cutoff reaches a
model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from forecast.calendar.frequency import frame_freq
from forecast.errors import Cancelled, DataError, SpecError
from forecast.evaluation.conformal import conformal_quantile
from forecast.evaluation.metrics import score_frame
from forecast.ingest.frame import OBSERVED_ATTR, known_drivers
from forecast.models.base import check_horizon, check_level

__all__ = ["backtest", "backtest_splits", "conformal_quantiles", "window_future", "window_scores"]

#: Fewest training points a backtest window may leave a series.
MIN_TRAIN = 4


def backtest_splits(
    df: pd.DataFrame, h: int, n_windows: int, step: int | None = None
) -> list[tuple[pd.Timestamp | None, pd.DataFrame, pd.DataFrame]]:
    """Cut a long frame into rolling-origin (train, test) pairs.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y``, sorted by series then time.
    h : int
        Forecast horizon (test length) in steps.
    n_windows : int
        Number of windows ``K`` (at least 1).
    step : int, optional
        Steps between successive origins; default ``h`` (non-overlapping test parts).

    Returns
    -------
    list of (cutoff, train, test)
        ``cutoff`` is the last training timestamp of the first series; ``train`` and ``test``
        are long frames (``attrs["freq"]`` kept).

    Raises
    ------
    SpecError
        Non-positive horizon, window count or step.
    DataError
        A series too short to leave ``MIN_TRAIN`` training points in the oldest window.
    """
    h = check_horizon(h)
    if isinstance(n_windows, bool) or int(n_windows) < 1:
        raise SpecError(f"The number of backtest windows must be at least 1, got {n_windows!r}.")
    n_windows = int(n_windows)
    step = h if step is None else int(step)
    if step < 1:
        raise SpecError(f"The backtest step must be at least 1, got {step}.")
    freq = frame_freq(df)
    sizes = df.groupby("unique_id", sort=False).size()
    need = h + (n_windows - 1) * step + MIN_TRAIN
    if (sizes < need).any():
        uid = sizes.idxmin()
        raise DataError(
            f"Series '{uid}' has {int(sizes.min())} points; {n_windows} backtest windows of "
            f"{h} steps (step {step}) need at least {need}. Use fewer windows or a shorter horizon."
        )
    position = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    length = df["unique_id"].map(sizes).to_numpy()
    observed = tuple(df.attrs.get(OBSERVED_ATTR, ()) or ())
    splits = []
    for w in range(n_windows):
        train_end = length - h - (n_windows - 1 - w) * step  # exclusive, per row's series
        train = df.loc[position < train_end].reset_index(drop=True)
        test = df.loc[(position >= train_end) & (position < train_end + h)].reset_index(drop=True)
        for part in (train, test):
            part.attrs["freq"] = freq
            part.attrs[OBSERVED_ATTR] = observed
        splits.append((pd.Timestamp(train["ds"].iloc[-1]), train, test))
    return splits


def backtest(
    models: Sequence[str] | Mapping[str, Callable[[], object]],
    df: pd.DataFrame,
    h: int,
    n_windows: int = 3,
    step: int | None = None,
    *,
    level: float = 80,
    model_params: Mapping[str, dict] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> pd.DataFrame:
    """Rolling-origin backtest of several models, refitting each per window.

    Parameters
    ----------
    models : sequence of str or mapping of str to factory
        Model names for :func:`forecast.models.make_model`, or ``name -> callable`` returning
        an unfitted estimator.
    df : DataFrame
        Long frame ``unique_id, ds, y``.
    h, n_windows, step
        See :func:`backtest_splits`.
    level : float
        Interval level in percent.
    model_params : mapping, optional
        ``name -> params`` for :func:`make_model` (names only).
    progress, should_stop : callable, optional
        ``progress(step, total, message)`` after each fit; ``should_stop()`` checked before each
        fit (raises :class:`Cancelled`).

    Returns
    -------
    DataFrame
        ``window, cutoff, unique_id, ds, model, yhat, lo, hi, y`` — every window's forecasts
        beside the actual values. A model that fails in a window is skipped there.

    Notes
    -----
    Known-in-advance drivers of ``df`` reach each window's forecast as their actual values over
    the window (``X_future``); observed-only drivers and ``y`` never past the cutoff.
    """
    from forecast.models import make_model

    level = check_level(level)
    if isinstance(models, Mapping):
        factories = dict(models)
    else:
        params = dict(model_params or {})
        factories = {
            name: (lambda name=name: make_model(name, **params.get(name, {}))) for name in models
        }
    splits = backtest_splits(df, h, n_windows, step)
    total = len(splits) * len(factories)
    done = 0
    frames = []
    for w, (cutoff, train, test) in enumerate(splits):
        for name, factory in factories.items():
            if should_stop is not None and should_stop():
                raise Cancelled(f"backtest cancelled before {name}, window {w + 1}")
            model = factory()
            inner = None
            if progress is not None:  # the model's own progress (epochs), within this window

                def inner(s, t, msg, name=name, w=w, done=done):
                    frac = min(float(s) / float(t), 0.99) if t else 0.0
                    progress(done + frac, total, f"backtest {name} window {w + 1}: {msg}")

            model.fit(train, should_stop=should_stop, progress=inner)
            fc = model.predict(h, level=level, X_future=window_future(test))
            fc = fc.merge(test[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left")
            fc.insert(0, "cutoff", cutoff)
            fc.insert(0, "window", w)
            frames.append(fc)
            done += 1
            if progress is not None:
                progress(done, total, f"backtest {name} window {w + 1}/{len(splits)}")
    columns = ["window", "cutoff", "unique_id", "ds", "model", "yhat", "lo", "hi", "y"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def window_future(test: pd.DataFrame) -> pd.DataFrame | None:
    """What a backtest window's forecast may know of its future: the known-in-advance drivers'
    actual values over the window (``unique_id, ds, <known>``), never ``y`` nor an observed-only
    driver; None when there are no known drivers."""
    known = known_drivers(test)
    if not known:
        return None
    return test[["unique_id", "ds", *known]].reset_index(drop=True)


def window_scores(bt: pd.DataFrame, df: pd.DataFrame, *, m: int = 1) -> pd.DataFrame:
    """Per-window, per-series metrics of a :func:`backtest` frame.

    Parameters
    ----------
    bt : DataFrame
        Output of :func:`backtest`.
    df : DataFrame
        The long frame the backtest ran on (each window's MASE scale uses only the points
        before its cutoff).
    m : int
        Seasonal period of the MASE scale.

    Returns
    -------
    DataFrame
        ``window, cutoff, model, unique_id, n, mae, rmse, smape, mase, coverage, width``.
    """
    out = []
    for (w, cutoff), part in bt.groupby(["window", "cutoff"], sort=True):
        first_ds = part.groupby("unique_id")["ds"].min()
        history = df[df["ds"] < df["unique_id"].map(first_ds)]
        actuals = part[["unique_id", "ds", "y"]].drop_duplicates(["unique_id", "ds"])
        scores = score_frame(part.drop(columns="y"), actuals.dropna(), history, m=m)
        scores.insert(0, "cutoff", cutoff)
        scores.insert(0, "window", w)
        out.append(scores)
    if not out:
        return pd.DataFrame()
    return pd.concat(out, ignore_index=True)


def conformal_quantiles(bt: pd.DataFrame, scales: Mapping[str, float], level: float) -> np.ndarray:
    """Split-conformal half-widths per horizon step from backtest errors, in scaled units.

    Parameters
    ----------
    bt : DataFrame
        One model's rows of a :func:`backtest` frame (``unique_id, ds, yhat, y, cutoff``).
    scales : mapping of str to float
        Per-series scale (e.g. the MASE scale) that errors are divided by, so series of
        different sizes pool.
    level : float
        Interval level in percent.

    Returns
    -------
    ndarray of shape (h,)
        The ``k``-th smallest of the ``n`` scores ``|y - ŷ| / scale`` at each step, with
        ``k = ceil((n + 1) level / 100)`` (the largest when ``k > n``: too few errors).
    """
    bt = bt.dropna(subset=["y", "yhat"]).copy()
    bt["step"] = bt.groupby(["window", "unique_id"]).cumcount()
    scale = bt["unique_id"].map(lambda uid: scales.get(str(uid), np.nan)).astype(float)
    bt["score"] = (bt["y"] - bt["yhat"]).abs() / scale.where(scale > 0, 1.0).fillna(1.0)
    return np.asarray(
        [
            float(conformal_quantile(part["score"].to_numpy(), level))
            for _, part in bt.groupby("step", sort=True)
        ]
    )
