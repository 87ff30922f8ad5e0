"""The floor every model must clear: naive, seasonal naive and drift, with prediction intervals.

Forecasts and interval widths follow Hyndman & Athanasopoulos, *Forecasting: Principles and
Practice* (3rd ed.), section 5.5: with ``sigma`` the root mean square of the in-sample one-step
residuals (``T`` observations, season ``m``, ``k = floor((h - 1) / m)``):

=========  ==================================  ==================================
model      point forecast ``yhat[T+h]``        standard error at step ``h``
=========  ==================================  ==================================
naive      ``y[T]``                            ``sigma * sqrt(h)``
snaive     ``y[T + h - m (k + 1)]``            ``sigma * sqrt(k + 1)``
drift      ``y[T] + h (y[T] - y[1]) / (T-1)``  ``sigma * sqrt(h (1 + h / (T-1)))``
=========  ==================================  ==================================

Intervals are normal: ``yhat ± z * se`` with ``z`` the ``(1 + level/100) / 2`` quantile.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from forecast.errors import SpecError
from forecast.models.base import check_level
from forecast.models.per_series import PerSeriesForecaster

__all__ = ["Drift", "Naive", "SeasonalNaive", "normal_quantile"]


def normal_quantile(level: float) -> float:
    """Two-sided normal multiplier of a ``level`` % interval (80 -> 1.2816)."""
    return float(norm.ppf(0.5 + check_level(level) / 200.0))


class _BaselineFit:
    """One series under a baseline method: the series, its season, the residual scale."""

    n_params = 0

    def __init__(self, method: _Baseline, y: np.ndarray, m: int) -> None:
        self.method = method
        self.y = y
        self.m = m
        self.resid = y - method._one_step(y, m)
        ok = np.isfinite(self.resid)
        self.sigma = float(np.sqrt(np.mean(self.resid[ok] ** 2))) if ok.any() else np.nan
        self.label = method.label

    def forecast(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        yhat, se = self.method._forecast(self.y, self.m, self.sigma, h)
        z = normal_quantile(level)
        return yhat, yhat - z * se, yhat + z * se


class _Baseline(PerSeriesForecaster):
    """Shared machinery: the per-series base (:mod:`forecast.models.per_series`) with one pass
    per series and no fallback.

    Subclasses implement ``_one_step(y, m) -> fitted`` (in-sample one-step predictions, NaN where
    undefined) and ``_forecast(y, m, sigma, h) -> (yhat, se)``; a seasonal one takes
    ``season_length``.

    Attributes (after ``fit``, besides the per-series base's)
    ---------------------------------------------------------
    y_, m_, sigma_ : dict of str
        Per series: the values, the season used (1 when the series is too short for one) and
        the root mean square of the one-step residuals.
    """

    name = "baseline"
    member = False
    min_length = 2
    fans_out = False  # ~1 ms per series: cheaper here than shipped to a worker
    #: Period used when the subclass has no ``season_length`` (1: not seasonal).
    season_length: int | None = None
    _uses_season = False

    def _season(self) -> int:
        return super()._season() if self._uses_season else 1

    def _check_params(self) -> None:
        m = self.season_length
        if self._uses_season and m is not None and int(m) < 1:
            raise SpecError(
                f"{self.name}: season_length must be a whole number of steps >= 1, got {m}."
            )

    def fit_one(self, y: np.ndarray, m: int) -> _BaselineFit:
        # seasonal naive on a series no longer than one season falls back to the last value
        return _BaselineFit(self, y, m if self._uses_season and len(y) > m else 1)

    def _finish(self, series, m, results) -> None:
        super()._finish(series, m, results)
        self.y_ = {u: f.y for u, f in self.fits_.items()}
        self.m_ = {u: f.m for u, f in self.fits_.items()}
        self.sigma_ = {u: f.sigma for u, f in self.fits_.items()}

    def _fitted_state(self, folder) -> tuple[dict, dict[str, np.ndarray]]:
        ids = list(self.series_)
        arrays = self._series_arrays()
        fitted = {
            "freq": self.freq_,
            "ids": ids,
            "m": [self.m_[u] for u in ids],
            "sigma": [self.sigma_[u] for u in ids],
        }
        return fitted, {"values": arrays["y"], "lengths": arrays["lengths"], "ds": arrays["ds"]}

    def _restore_state(self, fitted, arrays, folder) -> None:
        ids = [str(u) for u in fitted["ids"]]
        series = self._series_from_arrays(ids, arrays["values"], arrays["ds"], arrays["lengths"])
        self.freq_ = fitted["freq"]
        ms = {u: int(m) for u, m in zip(ids, fitted["m"], strict=True)}
        self._finish(
            series, 1, [(_BaselineFit(self, y, ms[u]), "") for u, (_d, y) in series.items()]
        )

    def _one_step(self, y: np.ndarray, m: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _forecast(self, y, m, sigma, h):  # pragma: no cover - abstract
        raise NotImplementedError


class Naive(_Baseline):
    """Last value carried forward (random-walk forecast); no hyperparameters."""

    name = "naive"
    label = "Naive"

    def _one_step(self, y: np.ndarray, m: int) -> np.ndarray:
        fitted = np.full(len(y), np.nan)
        fitted[1:] = y[:-1]
        return fitted

    def _forecast(self, y, m, sigma, h):
        steps = np.arange(1, h + 1)
        return np.full(h, y[-1]), sigma * np.sqrt(steps)


class SeasonalNaive(_Baseline):
    """The value of the same season one period earlier.

    Parameters
    ----------
    season_length : int, optional
        Period ``m`` in steps; None takes it from the frequency (12 monthly, 4 quarterly...).
        A series no longer than ``m`` is forecast with the naive method (``m_[uid] == 1``).
    """

    name = "snaive"
    label = "Seasonal naive"
    _uses_season = True

    def __init__(self, *, season_length: int | None = None) -> None:
        self.season_length = season_length

    def _one_step(self, y: np.ndarray, m: int) -> np.ndarray:
        fitted = np.full(len(y), np.nan)
        fitted[m:] = y[:-m]
        return fitted

    def _forecast(self, y, m, sigma, h):
        steps = np.arange(1, h + 1)
        k = (steps - 1) // m
        idx = len(y) + steps - 1 - m * (k + 1)
        return y[idx], sigma * np.sqrt(k + 1)


class Drift(_Baseline):
    """A straight line through the first and last observations, extended; no hyperparameters."""

    name = "drift"
    label = "Drift"

    @staticmethod
    def _slope(y: np.ndarray) -> float:
        return float((y[-1] - y[0]) / (len(y) - 1))

    def _one_step(self, y: np.ndarray, m: int) -> np.ndarray:
        fitted = np.full(len(y), np.nan)
        fitted[1:] = y[:-1] + self._slope(y)
        return fitted

    def _forecast(self, y, m, sigma, h):
        steps = np.arange(1, h + 1)
        n = len(y)
        return y[-1] + steps * self._slope(y), sigma * np.sqrt(steps * (1 + steps / (n - 1)))
