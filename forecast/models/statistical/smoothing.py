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
``n_params_`` 0 (no ARMA terms to take off the Ljung-Box degrees of freedom). A series shorter
than two seasons is fitted without a season; a fit that fails falls back to the naive random
walk, and the fallback is recorded in ``notes_[uid]`` and ``detail_``.

Model files keep the training series (safetensors) and the hyperparameters; loading refits them,
which is deterministic, so a loaded model forecasts exactly what the saved one did (the fits are
milliseconds; statsforecast's fitted state cannot be written without pickling).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from forecast.calendar.seasonal_periods import seasonal_periods
from forecast.errors import SpecError
from forecast.models.per_series import PerSeriesForecaster

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
    n_params = 0

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

    n_params = 0

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


class _StatsforecastModel(PerSeriesForecaster):
    """Shared machinery of the per-series statsforecast models (subclasses build the model)."""

    name = "statistical"
    drivers_accepted = ("known",)
    min_length = 3
    fallback_words = "fell back to naive"

    def __init__(
        self, *, season_length: int | None = None, max_history: int | str | None = None
    ) -> None:
        self.season_length = season_length
        self.max_history = max_history

    #: The statsforecast model (its name in :mod:`statsforecast.models`) built for each series
    #: at the season :func:`_m_for` allows, and the label of every fit; a subclass that builds
    #: or labels its fits otherwise overrides :meth:`_make` or :meth:`_label`.
    _sf_model = ""
    _fit_label = ""

    def _make(self, m: int, n: int):
        """The statsforecast model for a series of length ``n`` with season ``m``."""
        import statsforecast.models as sf_models

        return getattr(sf_models, self._sf_model)(season_length=_m_for(m, n))

    def _label(self, fitted) -> str:
        """The label of one series' fit (the model it chose, where it chooses)."""
        return self._fit_label

    def fit_one(self, y: np.ndarray, m: int) -> _SFFit:
        fit = _SFFit(self._make(m, len(y)), y, self._label)
        fit.forecast(2, 80)  # a fit that cannot forecast falls back now, not at predict
        return fit

    def fallback_one(self, y: np.ndarray, m: int, failure: str) -> tuple[_NaiveFit, str]:
        """The random walk, recorded."""
        return _NaiveFit(y), f"fit failed ({failure[:100]}); fell back to naive"

    def _fitted_state(self, folder) -> tuple[dict, dict[str, np.ndarray]]:
        return {"freq": self.freq_, "ids": list(self.series_)}, self._series_arrays()

    def _restore_state(self, fitted: dict, arrays: dict[str, np.ndarray], folder) -> None:
        ids = fitted["ids"]
        series = self._series_from_arrays(ids, arrays["y"], arrays["ds"], arrays["lengths"])
        self._refit_series(fitted["freq"], series)


def _ets_components(method: str) -> tuple[str, str, str]:
    """``"ETS(M,Ad,N)"`` -> ``("M", "Ad", "N")``."""
    inside = method[method.index("(") + 1 : method.rindex(")")]
    error, trend, season = (part.strip() for part in inside.split(","))
    return error, trend, season


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
    searches = True

    def __init__(
        self, *, season_length: int | None = None, max_history: int | str | None = "auto"
    ) -> None:
        self.season_length = season_length
        self.max_history = max_history

    def _make(self, m: int, n: int):
        from statsforecast.models import AutoETS as SFAutoETS

        m_eff = _m_for(m, n) if m <= 24 else 1
        return SFAutoETS(season_length=m_eff)

    def refit_one(self, prior, y: np.ndarray, m: int) -> _SFFit:
        """The error, trend (damped or not) and season of ``prior``'s model re-estimated on
        ``y`` (smoothing parameters and initial states), no model selection."""
        from statsforecast.models import AutoETS as SFAutoETS

        if not isinstance(prior, _SFFit):
            raise ValueError("the prior fell back; search again")
        error, trend, season = _ets_components(prior.label)
        model = SFAutoETS(
            season_length=int(prior.model.season_length) if season != "N" else 1,
            model=f"{error}{trend[0]}{season}",
            damped=trend.endswith("d"),
        )
        fit = _SFFit(model, y, self._label)
        fit.forecast(2, 80)
        return fit

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
    _sf_model = "AutoTheta"

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
    _sf_model = "Theta"
    _fit_label = "Theta (standard)"
    #: The last max(240, 20 m) points (240 months, 960 half-hours): on the last 12 months of
    #: us_employment 0.81 x the MASE of the whole history, on half-hourly elecdemand 1.01 x;
    #: statsforecast's seasonality test costs n² (21 CPU s a fit on 35,040 half-hours).
    cap_seasons = 20

    def __init__(
        self, *, season_length: int | None = None, max_history: int | str | None = "auto"
    ) -> None:
        self.season_length = season_length
        self.max_history = max_history


class DynamicOptimizedTheta(_StatsforecastModel):
    """The dynamic optimised Theta model (statsforecast ``DynamicOptimizedTheta``).

    Parameters
    ----------
    season_length : int, optional
        Seasonal period; None takes it from the frequency.
    """

    name = "dotheta"
    label = "Theta (dynamic optimised)"
    _sf_model = "DynamicOptimizedTheta"
    _fit_label = "Theta (dynamic optimised)"


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

    def __init__(
        self,
        *,
        season_length: int | list[int] | None = None,
        max_history: int | str | None = None,
    ) -> None:
        self.season_length = season_length
        self.max_history = max_history

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

    def _longest_season(self, m: int) -> int:
        return max(getattr(self, "periods_", None) or [m])

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
