"""Automatic seasonal ARIMA, series by series, that never takes a run down.

Engines (chosen by measurement, see ``benchmarks/arima_vs_statsforecast.py`` and the README):

- ``"statsforecast"`` (default): statsforecast's ``AutoARIMA``, a C++/numba port of R's
  ``auto.arima`` — Hyndman–Khandakar stepwise search, KPSS for ``d``, a seasonal-strength test
  for ``D``, AICc, drift/mean handled. It is ~60× faster than the same search over
  statsmodels' SARIMAX with the same accuracy.
- ``"statsmodels"``: our own stepwise Hyndman–Khandakar search over statsmodels' ``SARIMAX``
  (:mod:`forecast.models.statistical.arima_search`); kept for the measurement and as the fallback engine.
- Fixed orders typed by a user (``order=(p, d, q)``, ``seasonal_order=(P, D, Q)``) are fitted
  with ``SARIMAX`` directly.

Long seasons (``m > max_season``, default 24: weekly data with m = 52) are removed by STL and
the adjusted series gets a non-seasonal ARIMA (``STL[52] + ARIMA(2,1,2)``, R's ``stlf``): a
seasonal ARIMA with m = 52 costs minutes per series, this seconds.

Robustness: when a fit fails, the series falls back to a simpler order —
``(0,1,1)(0,1,1)[m]`` (airline), then ``(0,1,1)``, then the naive random walk ``(0,1,0)`` — and
the fallback is recorded in ``notes_[uid]`` and ``detail_``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

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
from forecast.models.drivers import fit_drivers, future_drivers, history_drivers
from forecast.models.statistical.arima_fits import (
    RegressionFit,
    SarimaxFit,
    SeasonalAdjustedFit,
    StatsforecastFit,
    arima_label,
    fit_sarimax,
    fits_from_state,
    fits_to_state,
)
from forecast.models.statistical.arima_search import stepwise_search

__all__ = ["AutoARIMA", "arima_label", "fit_sarimax"]

_ENGINES = ("statsforecast", "statsmodels")


class AutoARIMA(Forecaster):
    """Seasonal ARIMA with automatic order selection per series.

    Parameters
    ----------
    season_length : int, optional
        Seasonal period ``m``; None takes it from the frequency. Series shorter than ``2m + 2``
        are fitted without a seasonal part.
    order : tuple (p, d, q), optional
        Fix the order instead of searching (fitted with statsmodels).
    seasonal_order : tuple (P, D, Q), optional
        Seasonal order with a fixed ``order`` (default ``(0, 0, 0)``).
    engine : {"statsforecast", "statsmodels"}
        Engine of the automatic search (see the module docstring).
    stepwise : bool
        Stepwise search (True) or a wider search (statsforecast engine only).
    max_season : int
        Longest period modelled inside the ARIMA; a longer one (weekly data, m = 52) is removed
        by STL first and added back to a non-seasonal ARIMA's forecast (``STL[52] + ARIMA(...)``).

    Attributes
    ----------
    model_strings_ : dict of str to str
        ``ARIMA(p,d,q)(P,D,Q)[m]`` per series.
    notes_ : dict of str to str
        Fallbacks taken, per series (empty when none).
    detail_ : str
        One line summarising the fitted models, for the leaderboard.
    """

    name = "arima"
    label = "ARIMA (automatic)"
    scope = "per_series"
    drivers_accepted = ("known",)

    def __init__(
        self,
        *,
        season_length: int | None = None,
        order: tuple[int, int, int] | None = None,
        seasonal_order: tuple[int, int, int] | None = None,
        engine: str = "statsforecast",
        stepwise: bool = True,
        max_season: int = 24,
    ) -> None:
        self.season_length = season_length
        self.order = order
        self.seasonal_order = seasonal_order
        self.engine = engine
        self.stepwise = stepwise
        self.max_season = max_season

    def _check_params(self) -> None:
        if self.engine not in _ENGINES:
            raise SpecError(
                f"arima: engine must be one of {', '.join(_ENGINES)}, got {self.engine!r}."
            )
        for label, value in (("order", self.order), ("seasonal_order", self.seasonal_order)):
            if value is None:
                continue
            ok = len(tuple(value)) == 3 and all(
                isinstance(v, (int, np.integer)) and 0 <= v <= 5 for v in value
            )
            if not ok:
                raise SpecError(
                    f"arima: {label} must be three whole numbers between 0 and 5, e.g. (0, 1, 1); "
                    f"got {value!r}."
                )
        if not isinstance(self.max_season, (int, np.integer)) or self.max_season < 1:
            raise SpecError(
                f"arima: max_season must be a whole number >= 1, got {self.max_season!r}."
            )
        if self.seasonal_order is not None and self.order is None:
            raise SpecError("arima: seasonal_order needs order too (or neither, to search).")

    def _search(self, y: np.ndarray, m: int):
        """Automatic order selection with the chosen engine."""
        if self.engine == "statsforecast":
            return StatsforecastFit.fit(y, m, stepwise=self.stepwise)
        return stepwise_search(y, m)

    def _fit_one(self, y: np.ndarray, m: int, X: np.ndarray | None = None) -> tuple[object, str]:
        """Fit one series; return the fit and a note ('' unless a fallback was taken).

        With drivers ``X`` of shape (n, k): statsforecast's regression with ARIMA errors, or
        (fixed orders, long seasons, the other engine, a failed fit) least squares on the
        drivers and the univariate fit on what they leave (:class:`RegressionFit`)."""
        if X is None:
            return self._fit_univariate(y, m)
        if self.engine == "statsforecast" and self.order is None and m <= self.max_season:
            seasonal_ok = m > 1 and len(y) >= 2 * m + 2
            try:
                fit = StatsforecastFit.fit(y, m if seasonal_ok else 1, X=X, stepwise=self.stepwise)
                if np.isfinite(fit.forecast(1, 80, X[-1:])[0]).all():
                    return fit, ""
            except Exception:  # collinear or constant drivers: regress first, then ARIMA
                pass
        notes = []

        def inner(rest):
            fit, note = self._fit_univariate(rest, m)
            notes.append(note)
            return fit

        return RegressionFit.fit(y, X, inner), notes[0] if notes else ""

    def _fit_univariate(self, y: np.ndarray, m: int) -> tuple[object, str]:
        seasonal_ok = m > 1 and len(y) >= 2 * m + 2
        m_eff = m if seasonal_ok else 1
        failure = ""
        try:
            if self.order is not None:
                seasonal = tuple(self.seasonal_order or (0, 0, 0)) if seasonal_ok else (0, 0, 0)
                return SarimaxFit.fit(y, self.order, seasonal, m_eff), ""
            if m_eff > self.max_season:
                return SeasonalAdjustedFit.fit(y, m_eff, lambda x: self._search(x, 1)), ""
            return self._search(y, m_eff), ""
        except Exception as exc:  # any engine failure: fall back to a simpler order
            failure = f"{type(exc).__name__}: {str(exc)[:120]}"
        candidates = []
        if seasonal_ok and m_eff <= self.max_season:
            candidates.append(((0, 1, 1), (0, 1, 1)))
        candidates += [((0, 1, 1), (0, 0, 0)), ((0, 1, 0), (0, 0, 0))]
        for order, seasonal in candidates:
            try:
                fit = SarimaxFit.fit(y, order, seasonal, m_eff, constant=False)
                return fit, f"fit failed ({failure}); fell back to {fit.label}"
            except Exception as exc:  # try the next, simpler order
                failure = f"{type(exc).__name__}: {str(exc)[:120]}"
        raise ValueError(f"arima could not fit even a random walk: {failure}")

    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> AutoARIMA:
        """Select and fit an ARIMA per series.

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y`` and any drivers; every series needs at least 4
            observations. Known-in-advance drivers enter as regressors (regression with ARIMA
            errors); observed-only ones are not used.
        progress : callable, optional
            ``progress(i, n_series, message)`` after each series.
        should_stop : callable, optional
            Checked between series; True raises :class:`Cancelled`.

        Returns
        -------
        self
        """
        self._check_params()
        self.freq_ = check_frame(df, min_length=4, model=self.name)
        m = (
            int(self.season_length)
            if self.season_length is not None
            else freq_season_length(self.freq_)
        )
        if m < 1:
            raise SpecError(f"arima: season_length must be at least 1, got {m}.")
        self.m_ = m
        self.drivers_ = fit_drivers(df, self.drivers_accepted)
        xs = history_drivers(df, self.drivers_, model=self.name) if self.drivers_ else {}
        self.fits_: dict[str, object] = {}
        self.last_ds_: dict[str, pd.Timestamp] = {}
        self.model_strings_: dict[str, str] = {}
        self.notes_: dict[str, str] = {}
        self.n_params_: dict[str, int] = {}
        frames = []
        groups = list(df.groupby("unique_id", sort=False))
        for i, (uid, part) in enumerate(groups):
            if should_stop is not None and should_stop():
                raise Cancelled("arima: cancelled between series")
            uid = str(uid)
            y = part["y"].to_numpy(dtype=float)
            fit, note = self._fit_one(y, m, xs.get(uid))
            self.fits_[uid] = fit
            self.last_ds_[uid] = pd.Timestamp(part["ds"].iloc[-1])
            self.model_strings_[uid] = fit.label
            self.n_params_[uid] = fit.n_params
            if note:
                self.notes_[uid] = note
            frames.append(
                pd.DataFrame({"unique_id": uid, "ds": part["ds"].to_numpy(), "resid": fit.resid})
            )
            if progress is not None:
                progress(i + 1, len(groups), f"{uid}: {fit.label}")
        self.residuals_ = pd.concat(frames, ignore_index=True)[RESIDUAL_COLUMNS]
        self.detail_ = self._summary()
        return self

    def _summary(self) -> str:
        if len(self.model_strings_) == 1:
            uid = next(iter(self.model_strings_))
            text = self.model_strings_[uid]
            return f"{text}; {self.notes_[uid]}" if uid in self.notes_ else text
        common = Counter(self.model_strings_.values()).most_common(1)[0]
        text = f"{len(self.model_strings_)} series; most common {common[0]} ({common[1]})"
        if self.notes_:
            text += f"; {len(self.notes_)} fell back to a simpler order"
        return text

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps with ``level`` % intervals from each series' fitted model.

        Parameters
        ----------
        h : int
            Horizon in steps.
        level : float
            Interval level in percent.
        X_future : DataFrame, optional
            ``unique_id, ds, <drivers>`` over the ``h`` steps; required when fitted with drivers.

        Returns
        -------
        DataFrame
            ``unique_id, ds, model, yhat, lo, hi``.

        Raises
        ------
        DataError
            Fitted with drivers and ``X_future`` is missing or does not cover the ``h`` steps.
        """
        check_fitted(self)
        h = check_horizon(h)
        level = check_level(level)
        future = (
            future_drivers(X_future, self.drivers_, self.last_ds_, self.freq_, h, model=self.name)
            if self.drivers_
            else {}
        )
        yhat, lo, hi = (np.empty((len(self.fits_), h)) for _ in range(3))
        for i, uid in enumerate(self.last_ds_):
            if self.drivers_:
                yhat[i], lo[i], hi[i] = self.fits_[uid].forecast(h, level, future[uid])
            else:
                yhat[i], lo[i], hi[i] = self.fits_[uid].forecast(h, level)
        return forecast_frame(self.name, self.last_ds_, self.freq_, yhat, lo, hi)

    def effects(self) -> pd.DataFrame:
        """The estimated effect of each driver, per series.

        Returns
        -------
        DataFrame
            ``unique_id, driver, coef, se``: the change in ``y`` (its units) per unit of the
            driver, and its standard error; empty without drivers.
        """
        check_fitted(self)
        rows = []
        for uid, fit in self.fits_.items():
            if not self.drivers_ or not hasattr(fit, "effects"):
                continue
            coef, se = fit.effects()
            for name, c, e in zip(self.drivers_, coef, se, strict=False):
                rows.append({"unique_id": uid, "driver": name, "coef": float(c), "se": float(e)})
        return pd.DataFrame(rows, columns=["unique_id", "driver", "coef", "se"])

    # ------------------------------------------------------------------ persistence
    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        params = dict(params)
        for key in ("order", "seasonal_order"):
            if params.get(key) is not None:
                params[key] = tuple(params[key])
        return params

    def _fitted_state(self, folder=None, prefix: str = "arima") -> tuple[dict, dict]:
        """Fitted metadata and arrays (``prefix`` names the arrays; the hybrid's model file
        holds its ARIMA's under the same prefix)."""
        check_fitted(self)
        fits_config, arrays = fits_to_state(self.fits_, prefix)
        ds = [
            self.residuals_.loc[self.residuals_["unique_id"] == uid, "ds"].to_numpy()
            for uid in self.last_ds_
        ]
        arrays[f"{prefix}.lengths"] = np.array([len(d) for d in ds], dtype=np.int64)
        arrays[f"{prefix}.ds"] = np.concatenate(
            [np.asarray(d, dtype="datetime64[ns]").astype(np.int64) for d in ds]
        )
        fitted = {
            "freq": self.freq_,
            "m": self.m_,
            "drivers": list(self.drivers_),
            "ids": list(self.last_ds_),
            "last_ds": [self.last_ds_[u].isoformat() for u in self.last_ds_],
            "notes": self.notes_,
            "fits": fits_config,
        }
        return fitted, arrays

    def _restore_state(self, fitted: dict, arrays: dict, folder=None, prefix: str = "arima"):
        self.freq_ = fitted["freq"]
        self.m_ = fitted["m"]
        self.drivers_ = list(fitted.get("drivers", []))
        self.fits_ = fits_from_state(fitted["fits"], arrays, prefix)
        ids = fitted["ids"]
        self.model_strings_ = {u: self.fits_[u].label for u in ids}
        self.n_params_ = {u: int(self.fits_[u].n_params) for u in ids}
        self.notes_ = dict(fitted["notes"])
        ds = arrays[f"{prefix}.ds"].astype("datetime64[ns]")
        bounds = np.concatenate([[0], np.cumsum(arrays[f"{prefix}.lengths"])])
        self.residuals_ = pd.concat(
            [
                pd.DataFrame(
                    {
                        "unique_id": u,
                        "ds": ds[bounds[i] : bounds[i + 1]],
                        "resid": self.fits_[u].resid,
                    }
                )
                for i, u in enumerate(ids)
            ],
            ignore_index=True,
        )[RESIDUAL_COLUMNS]
        self.detail_ = self._summary()
        self.last_ds_ = {u: pd.Timestamp(t) for u, t in zip(ids, fitted["last_ds"], strict=True)}
