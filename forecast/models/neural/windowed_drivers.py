"""Drivers of the windowed forecasters: dynamic regression or input channels.

:class:`WindowedDrivers` is the drivers half of
:class:`~forecast.models.neural.windowed.WindowedForecaster` (``fit``, ``predict``, ``effects``,
and what a model file keeps of the drivers). A model takes its drivers one of two ways, by its
``drivers`` hyperparameter (models without one use regression):

- ``"channels"``: the drivers are channels of the network's input window and the known ones
  reach its output layer over the horizon (:mod:`forecast.models.neural.channels`). No
  coefficients: :meth:`WindowedDrivers.effects` is empty.
- ``"regression"``: per series, ``y`` on the known-in-advance drivers with AR(1) errors
  (:class:`forecast.models.drivers.LinearDrivers`); the network forecasts ``y - X @ coef`` and
  the forecast adds ``X_future @ coef`` back (the effect linear and the same at every step).

Observed-only drivers have no future to regress on: with either setting they are channels of
the input window (models that accept them: ``drivers_accepted`` holds "observed").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.calendar.frequency import frame_freq
from forecast.calendar.frequency import season_length as freq_season_length
from forecast.errors import SpecError
from forecast.ingest.frame import observed_drivers
from forecast.models.base import check_frame
from forecast.models.drivers import (
    LinearDrivers,
    fit_drivers,
    future_drivers,
    history_drivers,
)
from forecast.models.neural.channels import Channels, DriverScaler

__all__ = ["DRIVER_MODES", "WindowedDrivers"]

#: The values of a windowed model's ``drivers`` hyperparameter.
DRIVER_MODES = ("channels", "regression")


class WindowedDrivers:
    """Drivers handling of the windowed forecasters; see the module docstring.

    Expects the series engine of :class:`~forecast.models.neural.windowed.WindowedForecaster`:
    ``_fit_series(df)``, ``_predict_series(h, level, future=None)``, ``_forecast_from_series``,
    ``_series_state`` and ``_restore_series``.
    """

    #: Known-in-advance drivers by dynamic regression (models with a ``drivers`` setting take
    #: observed-only ones as channels too and declare both).
    drivers_accepted = ("known",)

    def _drivers_mode(self) -> str:
        mode = getattr(self, "drivers", "regression")
        if mode not in DRIVER_MODES:
            raise SpecError(
                f"{self.name}: drivers must be 'channels' or 'regression', got {mode!r}."
            )
        return mode

    def fit(self, df: pd.DataFrame, *, progress=None, should_stop=None):
        """Fit on ``df`` (``unique_id, ds, y`` and any drivers, which enter by ``drivers``:
        regression or channels); see :meth:`_fit_series`."""
        mode = self._drivers_mode()
        names = fit_drivers(df, self.drivers_accepted)
        observed = set(observed_drivers(df))
        known = [c for c in names if c not in observed]
        seen = [c for c in names if c in observed]
        # known drivers: channels or regression; observed-only ones: channels either way
        in_channels = [*known, *seen] if mode == "channels" else seen
        regressed = [] if mode == "channels" else known
        linear, channels = {}, None
        if known or seen:
            check_frame(df, min_length=3, model=self.name)
        if in_channels:
            ordered = df.sort_values(["unique_id", "ds"], kind="stable")
            xs = history_drivers(ordered, in_channels, model=self.name)
            ids = [str(u) for u in pd.unique(df["unique_id"])]
            history = [xs[u] for u in ids]
            channels = Channels(
                [c for c in in_channels if c not in observed],
                seen,
                DriverScaler.fit(history),
                history,
            )
        if regressed:
            xs = history_drivers(df, regressed, model=self.name)
            m = int(getattr(self, "season_length", None) or freq_season_length(frame_freq(df)))
            df = df.copy()
            codes = df["unique_id"].astype(str).to_numpy()
            for uid, X in xs.items():
                rows = codes == uid
                linear[uid] = LinearDrivers.fit(df.loc[rows, "y"].to_numpy(float), X, m=m)
                df.loc[rows, "y"] = df.loc[rows, "y"].to_numpy(float) - linear[uid].effect(X)
        self.channels_ = channels
        self._fit_series(df, progress=progress, should_stop=should_stop)
        self.drivers_ = [*known, *seen]
        self.regressed_ = regressed
        self.linear_ = linear
        return self

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast ``h`` steps; ``X_future`` (``unique_id, ds, <known drivers>``) is required
        when fitted with known-in-advance drivers (only its ``h`` steps after each series' end
        are read; observed-only drivers in it are ignored)."""
        channels = getattr(self, "channels_", None)
        regressed = self._regressed()
        known = [*(channels.known if channels is not None else []), *regressed]
        future = {}
        if known:
            future = future_drivers(X_future, known, self.last_ds_, self.freq_, h, model=self.name)
        kk = len(known) - len(regressed)
        fc = self._predict_series(h, level, future={u: v[:, :kk] for u, v in future.items()})
        if not regressed:
            return fc
        add = np.concatenate(
            [self.linear_[str(u)].effect(future[str(u)][:, kk:]) for u in self.ids_]
        )
        for col in ("yhat", "lo", "hi"):
            fc[col] = fc[col].to_numpy() + add
        return fc

    def effects(self) -> pd.DataFrame:
        """``unique_id, driver, coef, se``: each driver's estimated effect on ``y`` per series
        (regression; empty with channels, whose effects are the network's)."""
        rows = [
            {"unique_id": uid, "driver": name, "coef": float(c), "se": float(e)}
            for uid, lin in getattr(self, "linear_", {}).items()
            for name, c, e in zip(self._regressed(), lin.coef[1:], lin.se[1:], strict=True)
        ]
        return pd.DataFrame(rows, columns=["unique_id", "driver", "coef", "se"])

    def _regressed(self) -> list[str]:
        """The known drivers taken by regression (files written before channels existed hold
        only those, as ``drivers``)."""
        if "regressed_" in vars(self):
            return list(self.regressed_)
        return list(getattr(self, "drivers_", [])) if getattr(self, "linear_", None) else []

    def forecast_from(
        self, df: pd.DataFrame, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Forecast the series of another frame from their last windows (see
        :meth:`~forecast.models.neural.windowed.WindowedForecaster._forecast_from_series`);
        a model fitted with drivers refuses (``X_future`` is accepted for the common call)."""
        if getattr(self, "drivers_", []):
            raise SpecError(
                f"{self.name}: this model was fitted with the drivers "
                f"{', '.join(self.drivers_)}, whose effects are per series; run a job on the "
                "new file instead."
            )
        return self._forecast_from_series(df, h, level)

    # ------------------------------------------------------------------ persistence
    def _fitted_state(self, folder):
        fitted, arrays = self._series_state(folder)
        drivers = getattr(self, "drivers_", [])
        fitted["drivers"] = list(drivers)
        fitted["regressed"] = self._regressed()
        channels = getattr(self, "channels_", None)
        if channels is not None:
            fitted["channels"] = {"known": channels.known, "observed": channels.observed}
            arrays["channels.mean"] = channels.scaler.mean.astype(np.float64)
            arrays["channels.std"] = channels.scaler.std.astype(np.float64)
            arrays["channels.history"] = np.concatenate(channels.history).astype(np.float64)
        if fitted["regressed"]:
            arrays["drivers.coef"] = np.stack([self.linear_[u].coef for u in self.ids_])
            arrays["drivers.se"] = np.stack([self.linear_[u].se for u in self.ids_])
        return fitted, arrays

    def _restore_state(self, fitted, arrays, folder) -> None:
        spec = fitted.get("channels")
        self.channels_ = None
        if spec:  # before the members: their networks are shaped by the channels
            cuts = np.cumsum(arrays["lengths"])[:-1]
            self.channels_ = Channels(
                list(spec["known"]),
                list(spec["observed"]),
                DriverScaler(arrays["channels.mean"], arrays["channels.std"]),
                list(np.split(arrays["channels.history"], cuts)),
            )
        self._restore_series(fitted, arrays, folder)
        self.drivers_ = list(fitted.get("drivers") or [])
        # files written before channels existed: every driver was regressed
        self.regressed_ = list(fitted.get("regressed", [] if spec else self.drivers_))
        self.linear_ = {
            u: LinearDrivers(arrays["drivers.coef"][i], arrays["drivers.se"][i])
            for i, u in enumerate(self.ids_)
            if self.regressed_
        }
