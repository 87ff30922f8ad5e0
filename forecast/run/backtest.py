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

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from forecast.calendar.frequency import frame_freq
from forecast.errors import Cancelled, DataError, SpecError
from forecast.evaluation.conformal import conformal_quantile
from forecast.evaluation.metrics import score_frame
from forecast.ingest.frame import OBSERVED_ATTR, known_drivers
from forecast.models.base import check_horizon, check_level
from forecast.models.fan_out import fit_many
from forecast.models.per_series import PerSeriesForecaster

__all__ = [
    "SEARCH_MODES",
    "backtest",
    "backtest_splits",
    "conformal_quantiles",
    "min_train",
    "window_future",
    "window_scores",
]

#: Fewest training points a backtest window may leave a series, whatever the models.
MIN_TRAIN = 4
#: How often a per-series model with a specification search (ARIMA orders, the ETS model)
#: searches, per series: ``"once"``, on the oldest origin's training data (the later origins and
#: the refit on the whole history re-estimate that specification); ``"twice"``, on the oldest
#: origin (re-estimated at the later origins) and again on the whole history for the future;
#: ``"every"``, at every origin and for the refit.
SEARCH_MODES = ("once", "twice", "every")


def min_train(models: Iterable[object]) -> int:
    """Fewest training points the oldest window must leave: :data:`MIN_TRAIN`, or more when a
    model declares a larger ``min_length``.

    Parameters
    ----------
    models : iterable of model classes or instances
    """
    return max([MIN_TRAIN, *(int(getattr(m, "min_length", 1)) for m in models)])


def check_search(search: str) -> str:
    """Validate a search mode (:data:`SEARCH_MODES`).

    Raises
    ------
    SpecError
        Another value.
    """
    if search not in SEARCH_MODES:
        raise SpecError(
            f"search must be one of {', '.join(SEARCH_MODES)} (once: the specification is "
            f"searched on the oldest origin and re-estimated after; twice: and searched again "
            f"for the future; every: at every fit), got {search!r}."
        )
    return search


def backtest_splits(
    df: pd.DataFrame,
    h: int,
    n_windows: int,
    step: int | None = None,
    *,
    min_train_points: int = MIN_TRAIN,
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
    min_train_points : int
        Fewest training points the oldest window leaves (:func:`min_train` of the models).

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
        A series too short to leave ``min_train_points`` training points in the oldest window.
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
    need = h + (n_windows - 1) * step + max(MIN_TRAIN, int(min_train_points))
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
    executor: Executor | None = None,
    search: str = "every",
    first_fits: dict | None = None,
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
        See :func:`backtest_splits`; the oldest window keeps :func:`min_train` points.
    level : float
        Interval level in percent.
    model_params : mapping, optional
        ``name -> params`` for :func:`make_model` (names only).
    progress, should_stop : callable, optional
        ``progress(step, total, message)`` after each fit (and, within a fit, as its series or
        epochs finish); ``should_stop()`` checked before each fit and between series (raises
        :class:`Cancelled`).
    executor : concurrent.futures.Executor, optional
        Per-series models fan their series, and their windows side by side, out over it (the
        same forecasts as without).
    search : {"every", "once", "twice"}
        ``"once"`` or ``"twice"`` (:data:`SEARCH_MODES`): a per-series model that ``searches``
        a specification (ARIMA orders, ETS model) searches it on the oldest window's training
        data only and re-estimates it in the later windows
        (:meth:`~forecast.models.per_series.PerSeriesForecaster.refit`).
    first_fits : dict, optional
        Filled with ``name -> model fitted on the oldest window`` for those models (the run's
        refit on the whole history keeps their specifications too).

    Returns
    -------
    DataFrame
        ``window, cutoff, unique_id, ds, model, yhat, lo, hi, y`` — every window's forecasts
        beside the actual values.

    Notes
    -----
    Known-in-advance drivers of ``df`` reach each window's forecast as their actual values over
    the window (``X_future``); observed-only drivers and ``y`` never past the cutoff.
    """
    from forecast.models import make_model

    level = check_level(level)
    search = check_search(search)
    if isinstance(models, Mapping):
        factories = dict(models)
    else:
        params = dict(model_params or {})
        factories = {
            name: (lambda name=name: make_model(name, **params.get(name, {}))) for name in models
        }
    built = {name: factory() for name, factory in factories.items()}
    splits = backtest_splits(df, h, n_windows, step, min_train_points=min_train(built.values()))
    total = len(splits) * len(factories)
    done = 0
    fitted: dict[tuple[int, str], object] = {}

    def report(name: str, windows: str, width: int):
        """The model's own progress (series, epochs) within ``width`` fits of this model."""
        if progress is None:
            return None
        base = done

        def inner(s, t, msg):
            frac = min(float(s) / float(t), 0.99) if t else 0.0
            progress(base + frac * width, total, f"backtest {name} {windows}: {msg}")

        return inner

    def finished(name: str, windows: str, width: int = 1) -> None:
        nonlocal done
        done += width
        if progress is not None:
            progress(done, total, f"backtest {name} {windows}/{len(splits)}")

    def stop_check(name: str, w: int) -> None:
        if should_stop is not None and should_stop():
            raise Cancelled(f"backtest cancelled before {name}, window {w + 1}")

    for name, factory in factories.items():
        first = built[name]
        if isinstance(first, PerSeriesForecaster):
            # every window of a per-series model at once: side by side on an executor
            stop_check(name, 0)
            once = search != "every" and type(first).searches and len(splits) > 1
            if once:
                fit_many(
                    [(first, splits[0][1], None)],
                    executor,
                    progress=report(name, "window 1", 1),
                    should_stop=should_stop,
                )
                fitted[(0, name)] = first
                finished(name, "window 1")
                later = [(w, first.refit_job(train)) for w, (_c, train, _t) in enumerate(splits)]
                later = later[1:]
                jobs = [job for _w, job in later]
            else:
                later = [
                    (w, (first if w == 0 else factory(), train, None))
                    for w, (_c, train, _t) in enumerate(splits)
                ]
                jobs = [job for _w, job in later]
            if jobs:
                label = f"windows {later[0][0] + 1}-{later[-1][0] + 1}"
                fit_many(
                    jobs,
                    executor,
                    progress=report(name, label, len(jobs)),
                    should_stop=should_stop,
                )
                finished(name, label, len(jobs))
            for w, job in later:
                fitted[(w, name)] = job[0]
            if first_fits is not None and once:
                first_fits[name] = first
            continue
        for w, (_cutoff, train, _test) in enumerate(splits):
            stop_check(name, w)
            model = first if w == 0 else factory()
            model.fit(train, should_stop=should_stop, progress=report(name, f"window {w + 1}", 1))
            fitted[(w, name)] = model
            finished(name, f"window {w + 1}")
    frames = []
    for w, (cutoff, _train, test) in enumerate(splits):  # window by window, models in order
        for name in factories:
            fc = fitted[(w, name)].predict(h, level=level, X_future=window_future(test))
            fc = fc.merge(test[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="left")
            fc.insert(0, "cutoff", cutoff)
            fc.insert(0, "window", w)
            frames.append(fc)
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
