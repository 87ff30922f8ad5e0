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

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import norm

from forecast.calendar.frequency import season_length as freq_season_length
from forecast.errors import Cancelled, SpecError
from forecast.models.base import (
    RESIDUAL_COLUMNS,
    Forecaster,
    check_fitted,
    check_frame,
    check_horizon,
    check_level,
    forecast_frame,
)

__all__ = ["Drift", "Naive", "SeasonalNaive", "normal_quantile"]


def normal_quantile(level: float) -> float:
    """Two-sided normal multiplier of a ``level`` % interval (80 -> 1.2816)."""
    return float(norm.ppf(0.5 + check_level(level) / 200.0))


class _Baseline(Forecaster):
    """Shared machinery: per-series arrays, residual frame, interval assembly, model files.

    Subclasses implement ``_one_step(y, m) -> fitted`` (in-sample one-step predictions, NaN where
    undefined) and ``_forecast(y, m, sigma, h) -> (yhat, se)``; a seasonal one takes
    ``season_length``.
    """

    name = "baseline"
    scope = "per_series"
    member = False
    #: Period used when the subclass has no ``season_length`` (1: not seasonal).
    season_length: int | None = None
    _uses_season = False

    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> _Baseline:
        """Fit on a long frame ``unique_id, ds, y`` (one pass, no iterations).

        Parameters
        ----------
        df : DataFrame
            Long frame; every series needs at least 2 observations.
        progress : callable, optional
            ``progress(step, total, message)``, called once at the end.
        should_stop : callable, optional
            Checked before fitting; when it returns True, :class:`Cancelled` is raised.

        Returns
        -------
        self
        """
        if should_stop is not None and should_stop():
            raise Cancelled(f"{self.name}: cancelled before fitting")
        self.freq_ = check_frame(df, min_length=2, model=self.name)
        if not self._uses_season:
            m_default = 1
        elif self.season_length is not None:
            m_default = int(self.season_length)
        else:
            m_default = freq_season_length(self.freq_)
        if m_default < 1:
            raise SpecError(
                f"{self.name}: season_length must be a whole number of steps >= 1, got {m_default}."
            )
        self.last_ds_: dict[str, pd.Timestamp] = {}
        self.y_: dict[str, np.ndarray] = {}
        self.m_: dict[str, int] = {}
        self.sigma_: dict[str, float] = {}
        self.n_params_: dict[str, int] = {}
        frames = []
        for uid, part in df.groupby("unique_id", sort=False):
            y = part["y"].to_numpy(dtype=float)
            uid = str(uid)
            # seasonal naive on a series shorter than two seasons falls back to the last value
            m = m_default if self._uses_season and len(y) > m_default else 1
            fitted = self._one_step(y, m)
            resid = y - fitted
            ok = np.isfinite(resid)
            self.sigma_[uid] = float(np.sqrt(np.mean(resid[ok] ** 2))) if ok.any() else np.nan
            self.last_ds_[uid] = pd.Timestamp(part["ds"].iloc[-1])
            self.y_[uid] = y
            self.m_[uid] = m
            self.n_params_[uid] = 0
            frames.append(
                pd.DataFrame({"unique_id": uid, "ds": part["ds"].to_numpy(), "resid": resid})
            )
        self.residuals_ = pd.concat(frames, ignore_index=True)[RESIDUAL_COLUMNS]
        if progress is not None:
            progress(1, 1, f"{self.name} fitted on {len(self.y_)} series")
        return self

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps past the end of every series.

        Parameters
        ----------
        h : int
            Horizon in steps.
        level : float
            Interval level in percent.

        Returns
        -------
        DataFrame
            ``unique_id, ds, model, yhat, lo, hi``; ``h`` rows per series.
        """
        check_fitted(self)
        h = check_horizon(h)
        z = normal_quantile(level)
        yhat = np.empty((len(self.y_), h))
        se = np.empty_like(yhat)
        for i, uid in enumerate(self.last_ds_):
            yhat[i], se[i] = self._forecast(self.y_[uid], self.m_[uid], self.sigma_[uid], h)
        return forecast_frame(
            self.name, self.last_ds_, self.freq_, yhat, yhat - z * se, yhat + z * se
        )

    def _fitted_state(self, folder) -> tuple[dict, dict[str, np.ndarray]]:
        ids = list(self.last_ds_)
        ds = [self.residuals_.loc[self.residuals_["unique_id"] == u, "ds"].to_numpy() for u in ids]
        fitted = {
            "freq": self.freq_,
            "ids": ids,
            "m": [self.m_[u] for u in ids],
            "sigma": [self.sigma_[u] for u in ids],
        }
        arrays = {
            "values": np.concatenate([self.y_[u] for u in ids]).astype(np.float64),
            "lengths": np.array([len(self.y_[u]) for u in ids], dtype=np.int64),
            "ds": np.concatenate(
                [np.asarray(d, dtype="datetime64[ns]").astype(np.int64) for d in ds]
            ),
        }
        return fitted, arrays

    def _restore_state(self, fitted, arrays, folder) -> None:
        ids = [str(u) for u in fitted["ids"]]
        cuts = np.cumsum(arrays["lengths"])[:-1]
        values = np.split(arrays["values"], cuts)
        stamps = [d.astype("datetime64[ns]") for d in np.split(arrays["ds"], cuts)]
        self.freq_ = fitted["freq"]
        self.y_ = dict(zip(ids, values, strict=True))
        self.m_ = {u: int(m) for u, m in zip(ids, fitted["m"], strict=True)}
        self.sigma_ = {
            u: np.nan if s is None else float(s) for u, s in zip(ids, fitted["sigma"], strict=True)
        }
        self.n_params_ = {u: 0 for u in ids}
        frames = []
        for u, y, ds in zip(ids, values, stamps, strict=True):
            frames.append(
                pd.DataFrame({"unique_id": u, "ds": ds, "resid": y - self._one_step(y, self.m_[u])})
            )
        self.residuals_ = pd.concat(frames, ignore_index=True)[RESIDUAL_COLUMNS]
        self.last_ds_ = {u: pd.Timestamp(d[-1]) for u, d in zip(ids, stamps, strict=True)}

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
