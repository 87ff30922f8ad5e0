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

Known drivers (the default engine, a searched order, a season up to ``max_season``): a
regression with ARIMA errors (statsforecast's ``AutoARIMA`` with ``X``: the orders searched with
the regressors in, the coefficients estimated with the ARMA errors by maximum likelihood). Where
that cannot be fitted (a constant or collinear driver in a window), and for fixed orders, long
seasons or the other engine, the base's dynamic regression
(:mod:`forecast.models.per_series`: feasible GLS with AR(1) errors, ARIMA on what it leaves).

Robustness: when a fit fails, the series falls back to a simpler order —
``(0,1,1)(0,1,1)[m]`` (airline), then ``(0,1,1)``, then the naive random walk ``(0,1,0)`` — and
the fallback is recorded in ``notes_[uid]`` and ``detail_``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.errors import SpecError
from forecast.models.base import RESIDUAL_COLUMNS, check_fitted
from forecast.models.per_series import PerSeriesForecaster, padded_residuals
from forecast.models.statistical.arima_fits import (
    SarimaxFit,
    SeasonalAdjustedFit,
    StatsforecastFit,
    arima_label,
    fit_sarimax,
    fits_from_state,
    fits_to_state,
    refit,
)
from forecast.models.statistical.arima_search import stepwise_search

__all__ = ["AutoARIMA", "arima_label", "fit_sarimax"]

_ENGINES = ("statsforecast", "statsmodels")


class AutoARIMA(PerSeriesForecaster):
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
    drivers_accepted = ("known",)
    label = "ARIMA (automatic)"
    min_length = 4
    searches = True
    fallback_words = "fell back to a simpler order"
    #: The last max(240, 20 m) points (240 months, 960 half-hours): the search costs in
    #: proportion to the points, and the MASE held (0.95 x on us_employment's last 12 months,
    #: 1.01 x on half-hourly elecdemand; benchmarks/README.md, "Long series").
    cap_seasons = 20

    def __init__(
        self,
        *,
        season_length: int | None = None,
        order: tuple[int, int, int] | None = None,
        seasonal_order: tuple[int, int, int] | None = None,
        engine: str = "statsforecast",
        stepwise: bool = True,
        max_season: int = 24,
        max_history: int | str | None = "auto",
    ) -> None:
        self.season_length = season_length
        self.order = order
        self.seasonal_order = seasonal_order
        self.engine = engine
        self.stepwise = stepwise
        self.max_season = max_season
        self.max_history = max_history

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

    def fit_one(self, y: np.ndarray, m: int):
        """Search and fit one series (a fixed ``order`` is fitted directly)."""
        seasonal_ok = m > 1 and len(y) >= 2 * m + 2
        m_eff = m if seasonal_ok else 1
        if self.order is not None:
            seasonal = tuple(self.seasonal_order or (0, 0, 0)) if seasonal_ok else (0, 0, 0)
            return SarimaxFit.fit(y, self.order, seasonal, m_eff)
        if m_eff > self.max_season:
            return SeasonalAdjustedFit.fit(y, m_eff, lambda x: self._search(x, 1))
        return self._search(y, m_eff)

    def fit_one_x(self, y: np.ndarray, X: np.ndarray, m: int):
        """Regression with ARIMA errors (statsforecast's ``AutoARIMA`` with ``X``), or None for
        fixed orders, the statsmodels engine and long seasons (the base's dynamic regression)."""
        seasonal_ok = m > 1 and len(y) >= 2 * m + 2
        m_eff = m if seasonal_ok else 1
        if self.engine != "statsforecast" or self.order is not None or m_eff > self.max_season:
            return None
        return StatsforecastFit.fit(y, m_eff, X=X, stepwise=self.stepwise)

    def refit_one_x(self, prior, y: np.ndarray, X: np.ndarray, m: int):
        """The orders of a regression with ARIMA errors re-estimated on ``y`` and ``X``."""
        return refit(prior, y, X)

    def refit_one(self, prior, y: np.ndarray, m: int):
        """The orders of ``prior`` (and its STL step, mean or drift) re-estimated on ``y``."""
        return refit(prior, y)

    def fallback_one(self, y: np.ndarray, m: int, failure: str) -> tuple[object, str]:
        """The airline model, then ``(0,1,1)``, then the random walk ``(0,1,0)``."""
        seasonal_ok = m > 1 and len(y) >= 2 * m + 2
        m_eff = m if seasonal_ok else 1
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

    # ------------------------------------------------------------------ persistence
    @classmethod
    def _params_from_json(cls, params: dict) -> dict:
        params = super()._params_from_json(params)
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
            "ids": list(self.last_ds_),
            "last_ds": [self.last_ds_[u].isoformat() for u in self.last_ds_],
            "notes": self.notes_,
            "fits": fits_config,
        }
        return fitted, arrays

    def _restore_state(self, fitted: dict, arrays: dict, folder=None, prefix: str = "arima"):
        self.freq_ = fitted["freq"]
        self.m_ = fitted["m"]
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
                        "resid": padded_residuals(self.fits_[u].resid, bounds[i + 1] - bounds[i]),
                    }
                )
                for i, u in enumerate(ids)
            ],
            ignore_index=True,
        )[RESIDUAL_COLUMNS]
        self.series_ = {u: (ds[bounds[i] : bounds[i + 1]], None) for i, u in enumerate(ids)}
        self.detail_ = self._summary()
        self.last_ds_ = {u: pd.Timestamp(t) for u, t in zip(ids, fitted["last_ds"], strict=True)}
