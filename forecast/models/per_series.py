"""The base of every model fitted series by series: one loop, one fallback, one fan-out.

A per-series model (``naive``, ``snaive``, ``drift``, ``arima``, the statsforecast models of
:mod:`forecast.models.statistical.smoothing`) writes two hooks and inherits the rest:

- ``fit_one(y, m) -> fit``: fit one series ``y`` (ndarray of shape ``(n,)``) with season ``m``
  (steps); the fit is a small object with ``label`` (str), ``n_params`` (int), ``resid``
  (ndarray of shape ``(n,)``, in-sample one-step residuals, NaN where undefined) and
  ``forecast(h, level) -> (mean, lo, hi)`` (three ndarrays of shape ``(h,)``);
- ``fallback_one(y, m, failure) -> (fit, note)`` (optional): what a series gets when
  ``fit_one`` raises (a simpler model), with a note for people; without it the error stands.

A model with a *specification search* (ARIMA's orders, ETS's error/trend/season) also writes
``refit_one(prior, y, m) -> fit``: the specification of ``prior`` (a fit of the same model on
another stretch of the series) re-estimated on ``y``, no search. :meth:`PerSeriesForecaster.refit`
uses it: the run searches once per series, on the earliest backtest origin's training data, and
re-estimates at the later origins and on the whole history (``forecast run --search once``).

:meth:`PerSeriesForecaster.fit` loops over the series, or, given a
``concurrent.futures.Executor`` (a local process pool, ``distributed.Client.get_executor()``),
fans chunks of series out over it; every series is fitted by the same code either way, so the
forecasts are the same bit for bit. :func:`fit_many` fits several (model, frame) pairs over one
executor at once (the backtest's windows; :mod:`forecast.models.fan_out`). ``progress`` counts
series as they finish.

The class also declares what the front ends read (see :class:`forecast.models.base.Forecaster`):
``scope = "per_series"``, ``min_length`` (fewest observations a series needs) and
``searches`` (has a specification search that :meth:`~PerSeriesForecaster.refit` skips).

Drivers (models declaring ``drivers_accepted = ("known",)``): the base does the dynamic
regression for every such model — per series, ``y`` on the known drivers with AR(1) errors
(:class:`forecast.models.drivers.LinearDrivers`), ``fit_one`` on ``y - X @ coef`` (the level
kept), and ``predict(h, level, X_future)`` adds ``X_future @ coef`` back; the hooks never see a
driver. A model whose engine takes regressors itself (``arima``: regression with ARIMA errors,
the order searched with the drivers in) also writes ``fit_one_x(y, X, m) -> fit or None`` (and
``refit_one_x(prior, y, X, m)``): a fit with ``takes_drivers = True`` whose
``forecast(h, level, X)`` takes the drivers' future; the base tries it first on the series as it
is and keeps the dynamic regression for the series (or settings) it does not take, or fails on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import clone

from forecast.calendar.frequency import frame_freq
from forecast.calendar.frequency import season_length as freq_season_length
from forecast.errors import SpecError
from forecast.models.base import (
    FORECAST_COLUMNS,
    RESIDUAL_COLUMNS,
    Forecaster,
    check_fitted,
    check_frame,
    check_horizon,
    check_level,
    forecast_frame,
)
from forecast.models.drivers import (
    LinearDrivers,
    fit_drivers,
    future_drivers,
    history_drivers,
)
from forecast.models.fan_out import TASKS_PER_FIT, fit_many
from forecast.models.history_cap import (
    CAP_POINTS,
    CAP_SEASONS,
    DRIVERS_CAP_POINTS,
    history_cap,
)

__all__ = [
    "CAP_POINTS",
    "CAP_SEASONS",
    "DRIVERS_CAP_POINTS",
    "TASKS_PER_FIT",
    "PerSeriesForecaster",
    "fit_many",
    "history_cap",
    "padded_residuals",
    "split_series",
]


def padded_residuals(resid: np.ndarray, n: int) -> np.ndarray:
    """Residuals of the last ``len(resid)`` of ``n`` points, NaN before them: shape (n,)."""
    resid = np.asarray(resid, dtype=float)
    if len(resid) >= n:
        return resid
    return np.concatenate([np.full(n - len(resid), np.nan), resid])


Series = dict[str, tuple[np.ndarray, np.ndarray]]


def split_series(df: pd.DataFrame) -> Series:
    """``{uid: (ds, y)}`` of a long frame, in the frame's series order.

    Parameters
    ----------
    df : DataFrame
        Long frame ``unique_id, ds, y`` sorted by time within each series.

    Returns
    -------
    dict of str to (ndarray of datetime64[ns], ndarray of float), each of shape (n,)
    """
    return {
        str(uid): (part["ds"].to_numpy(), part["y"].to_numpy(dtype=float))
        for uid, part in df.groupby("unique_id", sort=False)
    }


def _takes_drivers(fit) -> bool:
    """Whether a fit forecasts with the drivers' future itself (``forecast(h, level, X)``)."""
    return bool(getattr(fit, "takes_drivers", False))


class PerSeriesForecaster(Forecaster):
    """Base of the models fitted one series at a time (see the module docstring).

    Attributes (after ``fit``)
    --------------------------
    fits_ : dict of str to fit
        Per series, the fitted object of ``fit_one``.
    series_ : dict of str to (ds, y)
        The training series (model files keep them).
    model_strings_ : dict of str to str
        Per series, the fitted specification in words (``ARIMA(0,1,1)(0,1,1)[12]``).
    notes_ : dict of str to str
        Per series, the fallback taken (only series that fell back).
    n_params_ : dict of str to int
        ARMA-type parameters per series (Ljung-Box degrees of freedom).
    residuals_ : DataFrame
        ``unique_id, ds, resid``.
    detail_ : str
        The summary line of the leaderboard, written by :meth:`_summary` alone.
    """

    scope: ClassVar[str] = "per_series"
    reapplies: ClassVar[bool] = True
    #: The model file template keeps the drivers' regression (``drivers_``, ``linear_``).
    _drivers_in_template: ClassVar[bool] = True
    #: Fewest observations per series ``fit`` accepts.
    min_length: ClassVar[int] = 2
    #: Whether fits go to an executor when one is given: a model whose fit of a series costs
    #: less than shipping it to a worker (the baselines, ~1 ms per series: benchmarks/README.md,
    #: "Scale-out") stays in this process.
    fans_out: ClassVar[bool] = True
    #: ``max_history="auto"`` fits a series on its last ``max(cap_points, cap_seasons * m)``
    #: points (:func:`history_cap`; only models with a ``max_history`` parameter are capped).
    cap_points: ClassVar[int] = CAP_POINTS
    cap_seasons: ClassVar[int] = CAP_SEASONS
    #: What the summary says of the series that fell back.
    fallback_words: ClassVar[str] = "fell back to a simpler model"
    #: Learned attributes removed when a fit starts (a failed fit leaves the model unfitted).
    _learned: ClassVar[tuple[str, ...]] = (
        "drivers_",
        "linear_",
        "last_ds_",
        "fits_",
        "series_",
        "model_strings_",
        "notes_",
        "n_params_",
        "residuals_",
        "detail_",
    )

    # ------------------------------------------------------------------ hooks
    def _check_params(self) -> None:
        """Refuse bad hyperparameters before any series is fitted (default: nothing to check)."""

    def _season(self) -> int:
        """The season ``m`` in steps: ``season_length`` when set, else the frequency's."""
        given = getattr(self, "season_length", None)
        m = int(given) if given is not None else freq_season_length(self.freq_)
        if m < 1:
            raise SpecError(f"{self.name}: season_length must be at least 1, got {m}.")
        return m

    def _cap(self, m: int) -> int | None:
        """The points this model fits a series on at season ``m`` (:func:`history_cap` of its
        ``max_history``; None: the whole history). Fitted with drivers, ``"auto"`` keeps at
        least :data:`DRIVERS_CAP_POINTS`."""
        max_history = getattr(self, "max_history", None)
        cap = history_cap(
            max_history,
            self._longest_season(m),
            points=self.cap_points,
            seasons=self.cap_seasons,
        )
        if cap is not None and max_history == "auto" and getattr(self, "drivers_", None):
            cap = max(cap, DRIVERS_CAP_POINTS)
        return cap

    def _longest_season(self, m: int) -> int:
        """The longest season the fits model, which the history cap keeps cycles of (default
        ``m``; MSTL: its longest period)."""
        return m

    def fit_one(self, y: np.ndarray, m: int):  # pragma: no cover - abstract
        """Fit one series (see the module docstring for what the fit holds)."""
        raise NotImplementedError

    def refit_one(self, prior, y: np.ndarray, m: int):
        """Re-estimate ``prior``'s specification on ``y`` (default: fit afresh)."""
        return self.fit_one(y, m)

    def fallback_one(self, y: np.ndarray, m: int, failure: str) -> tuple[object, str]:
        """What a series gets when its fit fails (default: the failure stands)."""
        raise ValueError(f"{self.name} could not fit the series: {failure}")

    def fit_one_x(self, y: np.ndarray, X: np.ndarray, m: int):
        """Fit one series with its known drivers by the engine itself (default: no such path).

        Parameters
        ----------
        y : ndarray of shape (n,)
            The series as it is (no driver effect removed).
        X : ndarray of shape (n, k)
            The known drivers over the history.
        m : int
            Season in steps.

        Returns
        -------
        fit or None
            A fit with ``takes_drivers = True`` and ``forecast(h, level, X_future)`` (``X_future``
            of shape (h, k)); None where the model (with these settings) has no such path, and
            the base's dynamic regression is used.
        """
        return None

    def refit_one_x(self, prior, y: np.ndarray, X: np.ndarray, m: int):
        """Re-estimate ``prior``'s specification (a ``fit_one_x`` fit) on ``y`` and ``X``
        (default: fit afresh)."""
        return self.fit_one_x(y, X, m)

    @classmethod
    def _native_drivers(cls) -> bool:
        return cls.fit_one_x is not PerSeriesForecaster.fit_one_x

    def _fit_guarded(self, y: np.ndarray, m: int, prior=None, native=None) -> tuple[object, str]:
        """One series, never raising for an engine failure: the fit and a note ('' or the
        fallback taken). A prior whose specification no longer fits is searched afresh.

        ``native`` is ``(y as it is, X)`` for a model with :meth:`fit_one_x`: tried first (a
        prior of that kind re-estimated, else a fresh fit); where it declines or fails
        (collinear or constant drivers), ``y`` (what the regression on the drivers leaves) is
        fitted as without it.

        A model with ``max_history`` fits on the last :func:`history_cap` points only (the
        residuals of the older points are NaN: :meth:`_finish` pads them)."""
        cap = self._cap(m)
        if cap is not None and len(y) > cap:
            y = y[-cap:]
            if native is not None:
                native = (native[0][-cap:], native[1][-cap:])
        if native is not None and (prior is None or _takes_drivers(prior)):
            raw, X = native
            try:
                if prior is not None:
                    try:
                        return self.refit_one_x(prior, raw, X, m), ""
                    except Exception:  # the specification does not fit these data
                        pass
                fit = self.fit_one_x(raw, X, m)
                if fit is not None:
                    return fit, ""
            except Exception:  # collinear or constant drivers: the dynamic regression
                pass
            prior = None
        try:
            if prior is not None:
                try:
                    return self.refit_one(prior, y, m), ""
                except Exception:  # the specification does not fit these data: search again
                    pass
            return self.fit_one(y, m), ""
        except Exception as exc:  # any engine failure: the fallback, recorded
            return self.fallback_one(y, m, f"{type(exc).__name__}: {str(exc)[:120]}")

    # ------------------------------------------------------------------ contract
    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        executor: Executor | None = None,
    ):
        """Fit every series of a long frame.

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y``; every series needs at least :attr:`min_length`
            observations.
        progress : callable, optional
            ``progress(i, n_series, message)`` as series finish.
        should_stop : callable, optional
            Checked between series (between chunks on an executor); True raises
            :class:`Cancelled`.
        executor : concurrent.futures.Executor, optional
            Fan chunks of series out over it (same forecasts as without).

        Returns
        -------
        self
        """
        return fit_many([(self, df, None)], executor, progress=progress, should_stop=should_stop)[0]

    def refit(
        self,
        df: pd.DataFrame,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        executor: Executor | None = None,
    ):
        """A new model fitted on ``df`` keeping each series' specification of this one.

        Each series of ``df`` that this model fitted gets :meth:`refit_one` (the specification
        re-estimated, no search); a series it did not fit, or whose fit fell back, is fitted
        afresh. This model is left unchanged.

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y``.
        progress, should_stop, executor
            As for :meth:`fit`.

        Returns
        -------
        PerSeriesForecaster
            A fitted clone.
        """
        return fit_many([self.refit_job(df)], executor, progress=progress, should_stop=should_stop)[
            0
        ]

    def refit_job(self, df: pd.DataFrame) -> tuple[PerSeriesForecaster, pd.DataFrame, dict]:
        """``(unfitted clone, df, priors)``: :meth:`refit` as one job of :func:`fit_many`."""
        check_fitted(self)
        return clone(self), df, self._priors()

    def _priors(self) -> dict[str, object]:
        """The fits a refit may keep the specification of (none that fell back)."""
        return {u: f for u, f in self.fits_.items() if u not in self.notes_}

    def _start(self, df: pd.DataFrame) -> tuple[Series, int, dict]:
        """Validate, reset the learned state, and return the series (less the drivers' effect),
        the season and, for a model with :meth:`fit_one_x`, per series ``(y, X)``."""
        self._check_params()
        freq = check_frame(df, min_length=self.min_length, model=self.name)
        for attr in self._learned:
            vars(self).pop(attr, None)
        self.freq_ = freq
        series = split_series(df)
        self.drivers_ = fit_drivers(df, self.drivers_accepted)
        self.linear_ = {}
        native = {}
        if self.drivers_:  # dynamic regression: the fits see what the drivers leave
            xs = history_drivers(df, self.drivers_, model=self.name)
            m = self._season()
            for uid, (ds, y) in series.items():
                if self._native_drivers():
                    native[uid] = (y, xs[uid])
                self.linear_[uid] = LinearDrivers.fit(y, xs[uid], m=m)
                series[uid] = (ds, y - self.linear_[uid].effect(xs[uid]))
        m = self._season()
        # a bad cap fails before any fit
        self._cap(m)
        return series, m, native

    def _finish(self, series: Series, m: int, results: list[tuple[object, str]]) -> None:
        """Store the fits of every series (in ``series`` order) and write the summary."""
        self.m_ = m
        self.series_ = series
        self.fits_ = {}
        self.model_strings_ = {}
        self.notes_ = {}
        self.n_params_ = {}
        frames = []
        for (uid, (ds, _y)), (fit, note) in zip(series.items(), results, strict=True):
            self.fits_[uid] = fit
            drivers = getattr(self, "drivers_", None) and not _takes_drivers(fit)
            self.model_strings_[uid] = f"regression + {fit.label}" if drivers else fit.label
            self.n_params_[uid] = int(fit.n_params)
            if note:
                self.notes_[uid] = note
            resid = padded_residuals(fit.resid, len(ds))  # NaN before a capped history
            frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "resid": resid}))
        self.residuals_ = pd.concat(frames, ignore_index=True)[RESIDUAL_COLUMNS]
        self.detail_ = self._summary()
        self.last_ds_ = {uid: pd.Timestamp(ds[-1]) for uid, (ds, _y) in series.items()}

    def _summary(self) -> str:
        """The one line of the leaderboard: the fit of a single series, or the most common."""
        if len(self.model_strings_) == 1:
            uid = next(iter(self.model_strings_))
            text = self.model_strings_[uid]
            return f"{text}; {self.notes_[uid]}" if uid in self.notes_ else text
        label, count = Counter(self.model_strings_.values()).most_common(1)[0]
        text = f"{len(self.model_strings_)} series; most common {label} ({count})"
        if self.notes_:
            text += f"; {len(self.notes_)} {self.fallback_words}"
        return text

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps with ``level`` % intervals from each series' fit.

        Parameters
        ----------
        h : int
            Horizon in steps.
        level : float
            Interval level in percent.
        X_future : DataFrame, optional
            ``unique_id, ds, <drivers>`` over the ``h`` steps; required when fitted with drivers
            (their effect ``X_future @ coef`` is added to each series' forecast).

        Returns
        -------
        DataFrame
            ``unique_id, ds, model, yhat, lo, hi``; ``h`` rows per series.

        Raises
        ------
        DataError
            Fitted with drivers and ``X_future`` is missing or does not cover the ``h`` steps.

        Notes
        -----
        A fit of :meth:`fit_one_x` (``takes_drivers``) forecasts with ``X_future`` itself.
        """
        check_fitted(self)
        h = check_horizon(h)
        level = check_level(level)
        drivers = getattr(self, "drivers_", None) or []
        future = (
            future_drivers(X_future, drivers, self.last_ds_, self.freq_, h, model=self.name)
            if drivers
            else {}
        )
        yhat, lo, hi = (np.empty((len(self.fits_), h)) for _ in range(3))
        for i, uid in enumerate(self.last_ds_):
            fit = self.fits_[uid]
            if drivers and _takes_drivers(fit):
                yhat[i], lo[i], hi[i] = fit.forecast(h, level, future[uid])
                continue
            yhat[i], lo[i], hi[i] = fit.forecast(h, level)
            if drivers:
                add = self.linear_[uid].effect(future[uid])
                yhat[i], lo[i], hi[i] = yhat[i] + add, lo[i] + add, hi[i] + add
        return forecast_frame(self.name, self.last_ds_, self.freq_, yhat, lo, hi)

    def effects(self) -> pd.DataFrame:
        """The estimated effect of each driver, per series.

        Returns
        -------
        DataFrame
            ``unique_id, driver, coef, se``: the change in ``y`` (its units) per unit of the
            driver (regression with AR(1) errors, feasible GLS; the engine's own regression for
            a :meth:`fit_one_x` fit) and its standard error; empty without drivers.
        """
        check_fitted(self)
        rows = []
        for uid, lin in (getattr(self, "linear_", None) or {}).items():
            fit = self.fits_.get(uid)
            coef, se = lin.coef[1:], lin.se[1:]
            if _takes_drivers(fit) and hasattr(fit, "effects"):
                coef, se = fit.effects()
            rows += [
                {"unique_id": uid, "driver": name, "coef": float(c), "se": float(e)}
                for name, c, e in zip(self.drivers_, coef, se, strict=True)
            ]
        return pd.DataFrame(rows, columns=["unique_id", "driver", "coef", "se"])

    def forecast_from(
        self, df: pd.DataFrame, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast the series of a new frame with this model's specifications.

        Each new series takes the specification fitted for the series of the same id (or the
        one specification of a one-series model), re-estimated on the new data
        (:meth:`refit_one`; ARIMA's orders, with the STL step of a long season; ETS's model),
        or, for the baselines, their method and settings.

        Raises
        ------
        SpecError
            Another frequency than the model was fitted on, or a series id the model holds no
            fit for.
        """
        check_fitted(self)
        freq = frame_freq(df)
        if freq != self.freq_:
            raise SpecError(
                f"{self.name}: this model was fitted on data of frequency {self.freq_}, but the "
                f"file's frequency is {freq}; use a model fitted on {freq} data."
            )
        priors = {}
        for uid in pd.unique(df["unique_id"]):
            prior = self.fits_.get(str(uid))
            if prior is None and len(self.fits_) == 1:
                prior = next(iter(self.fits_.values()))
            if prior is None:
                raise SpecError(
                    f"{self.name}: specifications are fitted per series, and the model holds "
                    f"none for series '{uid}' (it holds {', '.join(list(self.fits_)[:5])}); "
                    "name the series alike or run a job on the new file."
                )
            priors[str(uid)] = prior
        drivers = list(getattr(self, "drivers_", None) or [])  # this model's, no others
        frame = df[["unique_id", "ds", "y", *drivers]].copy()
        frame.attrs["freq"] = freq
        new = clone(self)
        fit_many([(new, frame, priors)], None)
        return new.predict(h, level=level, X_future=X_future)[FORECAST_COLUMNS]

    # ------------------------------------------------------------------ persistence
    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        """A model file written before ``max_history`` existed fitted the whole history: it
        loads so, and forecasts what it did."""
        params = dict(params)
        if "max_history" in cls.param_names():
            params.setdefault("max_history", None)
        return params

    def _series_arrays(self) -> dict[str, np.ndarray]:
        """The training series as arrays ``y``, ``ds`` (int64 ns) and ``lengths``."""
        ids = list(self.series_)
        return {
            "y": np.concatenate([self.series_[u][1] for u in ids]).astype(np.float64),
            "ds": np.concatenate(
                [
                    np.asarray(self.series_[u][0], dtype="datetime64[ns]").astype(np.int64)
                    for u in ids
                ]
            ),
            "lengths": np.array([len(self.series_[u][1]) for u in ids], dtype=np.int64),
        }

    @staticmethod
    def _series_from_arrays(
        ids: Sequence[str], y: np.ndarray, ds: np.ndarray, lengths: np.ndarray
    ) -> Series:
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        stamps = np.asarray(ds).astype("datetime64[ns]")
        return {
            str(u): (stamps[bounds[i] : bounds[i + 1]], np.asarray(y[bounds[i] : bounds[i + 1]]))
            for i, u in enumerate(ids)
        }

    def _refit_series(self, freq: str, series: Series) -> None:
        """Fit ``{uid: (ds, y)}`` again (``load`` of models whose fits are cheap and
        deterministic: the loaded model forecasts exactly what the saved one did)."""
        self.freq_ = freq
        m = self._season()
        self._finish(series, m, [self._fit_guarded(y, m) for _ds, y in series.values()])
