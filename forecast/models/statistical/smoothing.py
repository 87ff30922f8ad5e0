"""Statistical models users expect beside ARIMA, from statsforecast, fitted series by series.

- ``ets``: ``AutoETS`` — exponential smoothing state-space models (error, trend, season each
  none / additive / multiplicative, damped trends), chosen per series by AICc (Hyndman et al.
  2002; R's ``ets``).
- ``theta``: ``AutoTheta`` — the optimised Theta family (standard, optimised, dynamic standard,
  dynamic optimised), chosen per series by in-sample MSE (Fiorucci et al. 2016); the series is
  deseasonalised multiplicatively when a seasonality test says so.
- ``stheta``: ``Theta`` — the standard Theta method (Assimakopoulos & Nikolopoulos 2000; the
  M3 winner: simple exponential smoothing with drift, half the linear trend's slope), after the
  same seasonality test and multiplicative deseasonalisation.
- ``dotheta``: ``DynamicOptimizedTheta`` — the dynamic optimised Theta model alone (theta and
  the smoothing parameter estimated, the trend updated as data arrive; Fiorucci et al. 2016).
- ``ces``: ``AutoCES`` — complex exponential smoothing (Svetunkov & Kourentzes), chosen per series
  by AICc among the none / simple / partial / full seasonal variants.
- ``mstl``: ``MSTL`` — several seasonal patterns (hourly 24 and 168, half-hourly 48 and 336, daily
  7 and 365) removed by MSTL, the remainder forecast by AutoETS without a season; a period is
  used only when the series holds at least two full cycles of it.

Every model here follows :mod:`forecast.models.base`: ``fit(df)`` per series, ``predict(h,
level)`` with the library's normal intervals, ``residuals_`` (``y - fitted`` in sample),
``n_params_`` 0 (no ARMA terms to take off the Ljung-Box degrees of freedom).

Drivers (known in advance) enter by dynamic regression: per series, least squares of ``y`` on
the drivers (:class:`forecast.models.drivers.LinearDrivers`), the univariate model on
``y - X @ coef`` (the level kept), and the forecast adds ``X_future @ coef`` back; the
intervals are the univariate model's (the coefficients' own uncertainty is not added). A series shorter
than two seasons is fitted without a season; a fit that fails falls back to the naive random
walk, and the fallback is recorded in ``notes_[uid]`` and ``detail_``.

Model files keep the training series (safetensors) and the hyperparameters; loading refits them,
which is deterministic, so a loaded model forecasts exactly what the saved one did (the fits are
milliseconds; statsforecast's fitted state cannot be written without pickling).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from forecast.calendar.frequency import season_length as freq_season_length
from forecast.calendar.seasonal_periods import seasonal_periods
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
from forecast.models.drivers import (
    LinearDrivers,
    fit_drivers,
    future_drivers,
    history_drivers,
)

__all__ = [
    "MSTL",
    "AutoCES",
    "AutoETS",
    "AutoTheta",
    "DynamicOptimizedTheta",
    "StandardTheta",
    "season_lengths",
]


def season_lengths(freq: str | None) -> list[int]:
    """Every seasonal period a frequency implies, shortest first (MSTL's periods).

    A view of :func:`forecast.calendar.seasonal_periods.seasonal_periods`, whose table holds the facts.

    Parameters
    ----------
    freq : str or None
        Offset alias.

    Returns
    -------
    list of int
        ``[24, 168]`` hourly, ``[48, 336]`` half-hourly, ``[7, 365]`` daily, ``[5, 260]``
        business-daily, ``[12]`` monthly; ``[1]`` when there is none (yearly, unknown).
    """
    return list(seasonal_periods(freq)) or [1]


def _level_key(level: float):
    return int(level) if float(level).is_integer() else float(level)


class _NaiveFit:
    """The fallback: a random walk with the residual standard deviation of one-step changes."""

    label = "naive (fallback)"

    def __init__(self, y: np.ndarray) -> None:
        self.last = float(y[-1])
        diff = np.diff(y)
        self.sigma = float(np.sqrt(np.mean(diff**2))) if len(diff) else 0.0
        self.resid = np.concatenate([[np.nan], diff])

    def forecast(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        from forecast.models.statistical.naive import normal_quantile

        se = self.sigma * np.sqrt(np.arange(1, h + 1))
        mean = np.full(h, self.last)
        z = normal_quantile(level)
        return mean, mean - z * se, mean + z * se


class _SFFit:
    """One series fitted by a statsforecast model: forecasts, residuals, label."""

    def __init__(self, model, y: np.ndarray, label_of: Callable[[object], str]) -> None:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            self.model = model.fit(y)
            fitted = np.asarray(self.model.predict_in_sample()["fitted"], dtype=float)
        self.resid = y - fitted
        if not np.isfinite(self.resid).any():
            raise ValueError("the fit returned no finite in-sample values")
        self.label = label_of(self.model)

    def forecast(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        key = _level_key(level)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = self.model.predict(h, level=[key])
        mean = np.asarray(out["mean"], dtype=float)
        lo = np.asarray(next(v for k, v in out.items() if k.startswith("lo-")), dtype=float)
        hi = np.asarray(next(v for k, v in out.items() if k.startswith("hi-")), dtype=float)
        if not np.isfinite(mean).all():
            raise ValueError("the forecast is not finite")
        return mean, lo, hi


class _StatsforecastModel(Forecaster):
    """Shared machinery of the per-series statsforecast models (subclasses build the model)."""

    name = "statistical"
    scope = "per_series"
    drivers_accepted = ("known",)

    def __init__(self, *, season_length: int | None = None) -> None:
        self.season_length = season_length

    # subclasses: the statsforecast model for a series of length n with season m, and its label
    def _make(self, m: int, n: int):  # pragma: no cover - abstract
        raise NotImplementedError

    def _label(self, fitted) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def _season(self) -> int:
        m = (
            int(self.season_length)
            if self.season_length is not None
            else freq_season_length(self.freq_)
        )
        if m < 1:
            raise SpecError(f"{self.name}: season_length must be at least 1, got {m}.")
        return m

    def _fit_one(self, y: np.ndarray, m: int):
        try:
            fit = _SFFit(self._make(m, len(y)), y, self._label)
            fit.forecast(2, 80)  # a fit that cannot forecast falls back now, not at predict
            return fit, ""
        except Exception as exc:  # any engine failure: the random walk, recorded
            fit = _NaiveFit(y)
            return fit, f"fit failed ({type(exc).__name__}: {str(exc)[:100]}); fell back to naive"

    def fit(
        self,
        df: pd.DataFrame,
        *,
        progress: Callable[[int, int, str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ):
        """Fit one model per series.

        Parameters
        ----------
        df : DataFrame
            Long frame ``unique_id, ds, y``; every series needs at least 3 observations.
        progress : callable, optional
            ``progress(i, n_series, message)`` after each series.
        should_stop : callable, optional
            Checked between series; True raises :class:`Cancelled`.

        Returns
        -------
        self
        """
        freq = check_frame(df, min_length=3, model=self.name)
        drivers = fit_drivers(df, self.drivers_accepted)
        xs = history_drivers(df, drivers, model=self.name) if drivers else {}
        series = {
            str(uid): (part["ds"].to_numpy(), part["y"].to_numpy(dtype=float))
            for uid, part in df.groupby("unique_id", sort=False)
        }
        return self._fit_series(
            freq, series, drivers, xs, progress=progress, should_stop=should_stop
        )

    def _fit_series(
        self, freq: str, series: dict, drivers=(), xs=None, *, progress=None, should_stop=None
    ):
        """Fit every series of ``{uid: (ds, y)}`` with drivers ``{uid: X}`` of shape (n, k)
        (what ``fit`` and ``load`` share)."""
        self.freq_ = freq
        m = self._season()
        self.m_ = m
        self.series_ = series
        self.drivers_ = list(drivers)
        self.xs_ = dict(xs or {})
        self.linear_: dict[str, LinearDrivers] = {}
        self.fits_: dict[str, object] = {}
        self.last_ds_: dict[str, pd.Timestamp] = {}
        self.model_strings_: dict[str, str] = {}
        self.notes_: dict[str, str] = {}
        self.n_params_: dict[str, int] = {}
        frames = []
        for i, (uid, (ds, y)) in enumerate(series.items()):
            if should_stop is not None and should_stop():
                raise Cancelled(f"{self.name}: cancelled between series")
            if self.drivers_:
                self.linear_[uid] = LinearDrivers.fit(y, self.xs_[uid])
                y = y - self.linear_[uid].effect(self.xs_[uid])
            fit, note = self._fit_one(y, m)
            self.fits_[uid] = fit
            self.last_ds_[uid] = pd.Timestamp(ds[-1])
            self.model_strings_[uid] = f"regression + {fit.label}" if self.drivers_ else fit.label
            self.n_params_[uid] = 0
            if note:
                self.notes_[uid] = note
            frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "resid": fit.resid}))
            if progress is not None:
                progress(i + 1, len(series), f"{uid}: {fit.label}")
        self.residuals_ = pd.concat(frames, ignore_index=True)[RESIDUAL_COLUMNS]
        self.detail_ = self._summary()
        return self

    def _summary(self) -> str:
        if len(self.model_strings_) == 1:
            uid = next(iter(self.model_strings_))
            text = self.model_strings_[uid]
            return f"{text}; {self.notes_[uid]}" if uid in self.notes_ else text
        label, count = Counter(self.model_strings_.values()).most_common(1)[0]
        text = f"{len(self.model_strings_)} series; most common {label} ({count})"
        if self.notes_:
            text += f"; {len(self.notes_)} fell back to naive"
        return text

    def _fitted_state(self, folder) -> tuple[dict, dict[str, np.ndarray]]:
        ids = list(self.series_)
        arrays = {
            "y": np.concatenate([self.series_[u][1] for u in ids]),
            "ds": np.concatenate(
                [
                    np.asarray(self.series_[u][0], dtype="datetime64[ns]").astype(np.int64)
                    for u in ids
                ]
            ),
            "lengths": np.array([len(self.series_[u][1]) for u in ids], dtype=np.int64),
        }
        if self.drivers_:
            arrays["x"] = np.concatenate([self.xs_[u] for u in ids]).astype(np.float64)
        return {"freq": self.freq_, "ids": ids, "drivers": self.drivers_}, arrays

    def _restore_state(self, fitted: dict, arrays: dict[str, np.ndarray], folder) -> None:
        bounds = np.concatenate([[0], np.cumsum(arrays["lengths"])])
        ds = arrays["ds"].astype("datetime64[ns]")
        series = {
            u: (ds[bounds[i] : bounds[i + 1]], arrays["y"][bounds[i] : bounds[i + 1]])
            for i, u in enumerate(fitted["ids"])
        }
        drivers = list(fitted.get("drivers", []))
        xs = (
            {u: arrays["x"][bounds[i] : bounds[i + 1]] for i, u in enumerate(fitted["ids"])}
            if drivers
            else {}
        )
        self._fit_series(fitted["freq"], series, drivers, xs)

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
            ``unique_id, ds, model, yhat, lo, hi``; ``h`` rows per series.

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
            yhat[i], lo[i], hi[i] = self.fits_[uid].forecast(h, level)
            if self.drivers_:
                add = self.linear_[uid].effect(future[uid])
                yhat[i], lo[i], hi[i] = yhat[i] + add, lo[i] + add, hi[i] + add
        return forecast_frame(self.name, self.last_ds_, self.freq_, yhat, lo, hi)

    def effects(self) -> pd.DataFrame:
        """The estimated effect of each driver, per series (least squares).

        Returns
        -------
        DataFrame
            ``unique_id, driver, coef, se``: the change in ``y`` (its units) per unit of the
            driver and its standard error; empty without drivers.
        """
        check_fitted(self)
        rows = [
            {"unique_id": uid, "driver": name, "coef": float(c), "se": float(e)}
            for uid, lin in self.linear_.items()
            for name, c, e in zip(self.drivers_, lin.coef[1:], lin.se[1:], strict=True)
        ]
        return pd.DataFrame(rows, columns=["unique_id", "driver", "coef", "se"])


def _m_for(m: int, n: int) -> int:
    """The season used on a series of length ``n``: ``m`` with two full cycles, else 1."""
    return m if m > 1 and n >= 2 * m + 1 else 1


class AutoETS(_StatsforecastModel):
    """Exponential smoothing (ETS) with the model chosen per series by AICc.

    Parameters
    ----------
    season_length : int, optional
        Seasonal period; None takes it from the frequency. Series shorter than two seasons, or
        seasons over 24 (weekly data), are fitted without a seasonal component.
    """

    name = "ets"
    label = "ETS (automatic)"

    def _make(self, m: int, n: int):
        from statsforecast.models import AutoETS as SFAutoETS

        m_eff = _m_for(m, n) if m <= 24 else 1
        return SFAutoETS(season_length=m_eff)

    def _label(self, fitted) -> str:
        return str(fitted.model_.get("method", "ETS"))


class AutoTheta(_StatsforecastModel):
    """The optimised Theta family, chosen per series (standard / optimised / dynamic variants).

    Parameters
    ----------
    season_length : int, optional
        Seasonal period; None takes it from the frequency.
    """

    name = "theta"
    label = "Theta (optimised family)"

    def _make(self, m: int, n: int):
        from statsforecast.models import AutoTheta as SFAutoTheta

        return SFAutoTheta(season_length=_m_for(m, n))

    def _label(self, fitted) -> str:
        kind = str(fitted.model_.get("modeltype", ""))
        names = {"STM": "standard", "OTM": "optimised", "DSTM": "dynamic", "DOTM": "dynamic opt."}
        return f"Theta ({names.get(kind, kind)})"


class StandardTheta(_StatsforecastModel):
    """The standard Theta method (statsforecast ``Theta``), deseasonalised when a test says so.

    Parameters
    ----------
    season_length : int, optional
        Seasonal period; None takes it from the frequency.
    """

    name = "stheta"
    label = "Theta (standard method)"

    def _make(self, m: int, n: int):
        from statsforecast.models import Theta as SFTheta

        return SFTheta(season_length=_m_for(m, n))

    def _label(self, fitted) -> str:
        return "Theta (standard)"


class DynamicOptimizedTheta(_StatsforecastModel):
    """The dynamic optimised Theta model (statsforecast ``DynamicOptimizedTheta``).

    Parameters
    ----------
    season_length : int, optional
        Seasonal period; None takes it from the frequency.
    """

    name = "dotheta"
    label = "Theta (dynamic optimised)"

    def _make(self, m: int, n: int):
        from statsforecast.models import DynamicOptimizedTheta as SFDOTheta

        return SFDOTheta(season_length=_m_for(m, n))

    def _label(self, fitted) -> str:
        return "Theta (dynamic optimised)"


class AutoCES(_StatsforecastModel):
    """Complex exponential smoothing with the seasonal variant chosen per series by AICc.

    Parameters
    ----------
    season_length : int, optional
        Seasonal period; None takes it from the frequency.
    """

    name = "ces"
    label = "Complex exponential smoothing"

    def _make(self, m: int, n: int):
        from statsforecast.models import AutoCES as SFAutoCES

        return SFAutoCES(season_length=_m_for(m, n) if m <= 52 else 1)

    def _label(self, fitted) -> str:
        kind = str(fitted.model_.get("seasontype", "N"))
        names = {"N": "none", "S": "simple", "P": "partial", "F": "full"}
        return f"CES ({names.get(kind, kind)} seasonal)"


class MSTL(_StatsforecastModel):
    """Several seasonal patterns removed by MSTL, the remainder forecast by non-seasonal ETS.

    Parameters
    ----------
    season_length : int or list of int, optional
        Seasonal periods; None takes them from the frequency (:func:`season_lengths`). A period
        is used only on series holding at least two full cycles of it; with none left the
        series gets non-seasonal ETS.
    """

    name = "mstl"
    label = "MSTL (several seasons) + ETS"

    def __init__(self, *, season_length: int | list[int] | None = None) -> None:
        self.season_length = season_length

    def _season(self) -> int:
        if self.season_length is None:
            periods = season_lengths(self.freq_)
        elif isinstance(self.season_length, (list, tuple)):
            periods = [int(p) for p in self.season_length]
        else:
            periods = [int(self.season_length)]
        if not periods or min(periods) < 1:
            raise SpecError(f"mstl: season lengths must be whole numbers >= 1, got {periods}.")
        self.periods_ = sorted(set(periods))
        return self.periods_[0]

    def _make(self, m: int, n: int):
        from statsforecast.models import MSTL as SFMSTL
        from statsforecast.models import AutoETS as SFAutoETS

        used = [p for p in self.periods_ if p > 1 and n >= 2 * p + 1]
        if not used:
            return SFAutoETS(season_length=1)
        return SFMSTL(season_length=used, trend_forecaster=SFAutoETS(model="ZZN"))

    def _label(self, fitted) -> str:
        periods = getattr(fitted, "season_length", None)
        if periods is None:
            return "ETS (no season fits)"
        return f"MSTL[{', '.join(str(p) for p in np.atleast_1d(periods))}] + ETS"
