"""One series' fitted ARIMA, three kinds, each able to forecast and to describe itself for a file.

- :class:`SarimaxFit`: statsmodels' SARIMAX at a given order (fixed orders, fallbacks and the
  stepwise search of :mod:`forecast.models.statistical.arima_search`);
- :class:`StatsforecastFit`: statsforecast's ``AutoARIMA`` (the default engine), with known
  drivers a regression with ARIMA errors (``takes_drivers``: ``forecast(h, level, X)``);
- :class:`SeasonalAdjustedFit`: STL removes a long season, a non-seasonal fit models the rest.

Every kind has ``order``, ``seasonal_order``, ``label`` (``ARIMA(0,1,1)(0,1,1)[12]``),
``n_params`` (ARMA coefficients, for the Ljung-Box degrees of freedom), ``resid`` (in-sample
one-step residuals, shape (n,)) and ``forecast(h, level) -> (mean, lo, hi)``. A fit is built by
its ``fit`` class method (which estimates) or by ``from_state`` (which restores what ``to_state``
wrote, without estimating again), so forecasts after loading are identical. Nothing is pickled:
arrays go to safetensors, the rest to JSON (:mod:`forecast.models.statistical.arima_io`).
"""

from __future__ import annotations

import warnings

import numpy as np

from forecast.calendar.seasonal_adjustment import stl_seasonal
from forecast.models.statistical.arima_io import flatten, unflatten

__all__ = [
    "SarimaxFit",
    "SeasonalAdjustedFit",
    "StatsforecastFit",
    "arima_label",
    "fit_sarimax",
    "fits_from_state",
    "fits_to_state",
    "refit",
]


def arima_label(order, seasonal_order=(0, 0, 0), m: int = 1, constant: bool = False) -> str:
    """Readable model string such as ``ARIMA(0,1,1)(0,1,1)[12]`` (``with drift`` appended when
    a differenced model has a constant, ``with mean`` for an undifferenced one)."""
    p, d, q = order
    text = f"ARIMA({p},{d},{q})"
    if m > 1 and any(seasonal_order):
        text += "({},{},{})[{}]".format(*seasonal_order, m)
    if constant:
        text += " with drift" if d + seasonal_order[1] > 0 else " with mean"
    return text


def _sarimax(y, order, seasonal_order, m: int, trend):
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    seasonal = (*seasonal_order, m) if m > 1 and any(seasonal_order) else (0, 0, 0, 0)
    return SARIMAX(
        y,
        order=tuple(order),
        seasonal_order=seasonal,
        trend=trend,
        enforce_stationarity=True,
        enforce_invertibility=True,
    )


def fit_sarimax(y: np.ndarray, order, seasonal_order=(0, 0, 0), m: int = 1, constant=None):
    """Fit one SARIMAX by maximum likelihood (statsmodels), quietly.

    Parameters
    ----------
    y : ndarray of shape (n,)
        The series.
    order : tuple (p, d, q)
    seasonal_order : tuple (P, D, Q)
    m : int
        Seasonal period (ignored when ``seasonal_order`` is all zero).
    constant : bool, optional
        Include a constant (mean, or drift after one difference); default: when ``d + D <= 1``.

    Returns
    -------
    statsmodels results
        With ``.aicc``, ``.resid``, ``.get_forecast``.

    Raises
    ------
    ValueError, LinAlgError
        When statsmodels cannot fit (caught by the callers' fallback).
    """
    d, big_d = order[1], seasonal_order[1]
    if constant is None:
        constant = d + big_d <= 1
    # SARIMAX puts the trend in the differenced equation: "c" is a mean when d + D = 0 and a
    # drift (a constant slope of the levels) when d + D = 1
    trend = "c" if constant and d + big_d <= 1 else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = _sarimax(y, order, seasonal_order, m, trend).fit(disp=False, maxiter=200)
    if not np.isfinite(res.llf):
        raise ValueError("the likelihood is not finite")
    return res


class SarimaxFit:
    """One series fitted by statsmodels' SARIMAX (``res`` the statsmodels results)."""

    kind = "statsmodels"

    def __init__(self, res, order, seasonal_order, m: int) -> None:
        self.res = res
        self.m = m if any(seasonal_order) else 1
        self.order, self.seasonal_order = tuple(order), tuple(seasonal_order)
        names = res.model.param_names
        self.label = arima_label(order, seasonal_order, m, "const" in names or "drift" in names)
        self.n_params = int(order[0] + order[2] + seasonal_order[0] + seasonal_order[2])
        resid = np.asarray(res.resid, dtype=float).copy()
        burn = order[1] + self.m * seasonal_order[1]
        resid[: min(burn, len(resid))] = np.nan  # diffuse start of a differenced model
        self.resid = resid

    @classmethod
    def fit(cls, y, order, seasonal_order, m: int, constant=None) -> SarimaxFit:
        """Estimate by maximum likelihood (see :func:`fit_sarimax`)."""
        return cls(fit_sarimax(y, order, seasonal_order, m, constant), order, seasonal_order, m)

    def refit(self, y) -> SarimaxFit:
        """The same orders and constant re-estimated on ``y``."""
        constant = self.res.model.trend == "c"
        return SarimaxFit.fit(y, self.order, self.seasonal_order, self.m, constant)

    def forecast(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fc = self.res.get_forecast(h)
            ci = np.asarray(fc.conf_int(alpha=1 - level / 100))
        return np.asarray(fc.predicted_mean, dtype=float), ci[:, 0], ci[:, 1]

    def to_state(self, name: str, arrays: dict[str, np.ndarray]) -> dict:
        arrays[f"{name}.y"] = np.asarray(self.res.model.endog, dtype=np.float64).ravel()
        arrays[f"{name}.params"] = np.asarray(self.res.params, dtype=np.float64)
        return {"m": int(self.m), "trend": self.res.model.trend}

    @classmethod
    def from_state(cls, entry: dict, name: str, arrays: dict[str, np.ndarray]) -> SarimaxFit:
        """Rebuild by ``SARIMAX(...).filter(params)``: no re-estimation, same forecasts."""
        order, seasonal = tuple(entry["order"]), tuple(entry["seasonal_order"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _sarimax(arrays[f"{name}.y"], order, seasonal, entry["m"], entry["trend"])
            res = model.filter(arrays[f"{name}.params"])
        return cls(res, order, seasonal, entry["m"])


class StatsforecastFit:
    """One series fitted by statsforecast's AutoARIMA (``model`` the fitted statsforecast model)."""

    kind = "statsforecast"

    def __init__(self, model) -> None:
        from statsforecast.arima import arima_string

        self.model = model
        info = model.model_
        p, q, big_p, big_q, _m, d, big_d = (int(v) for v in info["arma"])
        self.order, self.seasonal_order = (p, d, q), (big_p, big_d, big_q)
        self.label = " ".join(arima_string(info).split())
        self.n_params = p + q + big_p + big_q
        self.resid = np.asarray(info["residuals"], dtype=float)
        #: Fitted with drivers (a regression with ARIMA errors): ``forecast`` needs their future.
        #: (statsforecast keeps a drift as a column of ``xreg`` too; the drivers are ``ex_*``.)
        self.takes_drivers = any(str(k).startswith("ex_") for k in info["coef"])

    @staticmethod
    def _checked(fit: StatsforecastFit, X: np.ndarray | None) -> StatsforecastFit:
        if not np.isfinite(fit.resid).any():
            raise ValueError("statsforecast returned no residuals")
        if X is not None and not np.isfinite(fit.forecast(1, 80, X[-1:])[0]).all():
            raise ValueError("the regression with ARIMA errors forecasts no finite value")
        return fit

    @classmethod
    def fit(cls, y, m: int, X: np.ndarray | None = None, **kwargs) -> StatsforecastFit:
        """Search and estimate (Hyndman–Khandakar, statsforecast's C++/numba port); with
        drivers ``X`` of shape (n, k), a regression with ARIMA errors, the orders searched with
        the regressors in.

        Raises
        ------
        ValueError
            No residuals, or (with drivers) no finite forecast: collinear or constant drivers.
        """
        from statsforecast.models import AutoARIMA as SFAutoARIMA

        X = None if X is None else np.asarray(X, dtype=float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = cls(SFAutoARIMA(season_length=m, **kwargs).fit(y, X=X))
        return cls._checked(fit, X)

    def refit(self, y, X: np.ndarray | None = None) -> StatsforecastFit:
        """The same orders, season, mean and drift re-estimated on ``y`` (statsforecast's
        ``ARIMA``: maximum likelihood, no search); a fit with drivers needs ``X`` of shape
        (n, k) with the same drivers."""
        from statsforecast.models import ARIMA as SFARIMA

        if self.takes_drivers and X is None:
            raise ValueError("a regression with ARIMA errors is re-estimated with its drivers")
        X = None if X is None or not self.takes_drivers else np.asarray(X, dtype=float)

        p, q, big_p, big_q, m, d, big_d = (int(v) for v in self.model.model_["arma"])
        coef = self.model.model_["coef"]
        model = SFARIMA(
            order=(p, d, q),
            season_length=m,
            seasonal_order=(big_p, big_d, big_q),
            include_mean="intercept" in coef,
            include_drift="drift" in coef,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = StatsforecastFit(model.fit(np.asarray(y, dtype=float), X=X))
        return self._checked(fit, X)

    def effects(self) -> tuple[np.ndarray, np.ndarray]:
        """The drivers' coefficients and their standard errors, each of shape (k,) (NaN where
        statsforecast estimated no Hessian); empty without drivers."""
        info = self.model.model_
        keys = list(info["coef"])
        names = [k for k in keys if str(k).startswith("ex_")]
        coef = np.array([float(info["coef"][k]) for k in names])
        var = np.asarray(info.get("var_coef"), dtype=float)
        se = np.full(len(coef), np.nan)
        if var.ndim == 2 and len(var) == len(keys) and names:
            diag = np.diag(var)[[keys.index(k) for k in names]]
            # statsforecast leaves a multiple of the identity (1 / n) where it estimated no
            # Hessian: not a standard error
            off = var - np.diag(np.diag(var))
            placeholder = np.allclose(off, 0, atol=1e-15) and np.allclose(diag, diag[0])
            if not placeholder:
                se = np.sqrt(np.clip(diag, 0, None))
        return coef, se

    def forecast(
        self, h: int, level: float, X: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, lower and upper bound, each of shape (h,); ``X`` of shape (h, k), the drivers'
        future, for a fit with drivers."""
        lvl = int(level) if float(level).is_integer() else float(level)
        X = None if X is None or not self.takes_drivers else np.asarray(X, dtype=float)[:h]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = self.model.predict(h, X=X, level=[lvl])
        lo = next(v for k, v in out.items() if k.startswith("lo-"))
        hi = next(v for k, v in out.items() if k.startswith("hi-"))
        return np.asarray(out["mean"], float), np.asarray(lo, float), np.asarray(hi, float)

    def to_state(self, name: str, arrays: dict[str, np.ndarray]) -> dict:
        return {
            "season_length": int(self.model.season_length),
            "state": flatten(self.model.model_, f"{name}.state", arrays),
        }

    @classmethod
    def from_state(cls, entry: dict, name: str, arrays: dict[str, np.ndarray]) -> StatsforecastFit:
        """Rebuild from the stored ``model_`` state (coefficients, state space, residuals)."""
        from statsforecast.models import AutoARIMA as SFAutoARIMA

        model = SFAutoARIMA(season_length=entry["season_length"])
        model.model_ = unflatten(entry["state"], arrays)
        return cls(model)


class SeasonalAdjustedFit:
    """Long seasons (``m > max_season``, e.g. weekly data with m = 52): STL
    (:func:`forecast.calendar.seasonal_adjustment.stl_seasonal`) removes the seasonal pattern, a non-seasonal fit
    models the adjusted series, and the forecast adds the last seasonal cycle back (R's
    ``stlf``). Seasonal ARIMA with m = 52 costs minutes per series; this costs seconds."""

    kind = "stl"

    def __init__(self, inner, season: np.ndarray, m: int) -> None:
        self.inner = inner
        self.season = np.asarray(season, dtype=float)
        self.m = m
        self.order, self.seasonal_order = inner.order, (0, 0, 0)
        self.label = f"STL[{m}] + {inner.label}"
        self.n_params = inner.n_params
        self.resid = inner.resid

    @classmethod
    def fit(cls, y, m: int, inner_factory) -> SeasonalAdjustedFit:
        """Decompose, then ``inner_factory(adjusted series)`` fits the rest."""
        seasonal = stl_seasonal(np.asarray(y, dtype=float), m)
        return cls(inner_factory(y - seasonal), seasonal[-m:].copy(), m)

    def refit(self, y) -> SeasonalAdjustedFit:
        """STL again on ``y``, the inner fit's specification re-estimated on the adjusted
        series."""
        return SeasonalAdjustedFit.fit(y, self.m, self.inner.refit)

    def forecast(self, h: int, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean, lo, hi = self.inner.forecast(h, level)
        add = self.season[np.arange(h) % self.m]
        return mean + add, lo + add, hi + add

    def to_state(self, name: str, arrays: dict[str, np.ndarray]) -> dict:
        arrays[f"{name}.season"] = np.asarray(self.season, dtype=np.float64)
        return {"m": int(self.m), "inner": fit_to_state(self.inner, f"{name}.inner", arrays)}

    @classmethod
    def from_state(cls, entry: dict, name: str, arrays: dict[str, np.ndarray]):
        inner = fit_from_state(entry["inner"], f"{name}.inner", arrays)
        return cls(inner, np.array(arrays[f"{name}.season"]), entry["m"])


def refit(prior, y: np.ndarray, X: np.ndarray | None = None):
    """``prior``'s specification (orders, season, constant, STL step) re-estimated on ``y``
    (with its drivers ``X``, shape (n, k), for a regression with ARIMA errors).

    Parameters
    ----------
    prior : SarimaxFit, StatsforecastFit or SeasonalAdjustedFit
        A fit of the same series on other data (an earlier backtest origin, a saved model).
    y : ndarray of shape (n,)
        The series to estimate on.

    Returns
    -------
    a fit of the same kind

    Raises
    ------
    ValueError, LinAlgError
        When the specification cannot be estimated on ``y`` (callers search afresh).
    """
    if X is not None:
        return prior.refit(np.asarray(y, dtype=float), X)
    return prior.refit(np.asarray(y, dtype=float))


_KINDS = {k.kind: k for k in (SarimaxFit, StatsforecastFit, SeasonalAdjustedFit)}


def fit_to_state(fit, name: str, arrays: dict[str, np.ndarray]) -> dict:
    """JSON-ready description of one fit; its arrays go to ``arrays`` under ``name.*``."""
    arrays[f"{name}.resid"] = np.asarray(fit.resid, dtype=np.float64)
    return {
        "kind": fit.kind,
        "label": fit.label,
        "order": list(fit.order),
        "seasonal_order": list(fit.seasonal_order),
        "n_params": int(fit.n_params),
        **fit.to_state(name, arrays),
    }


def fit_from_state(entry: dict, name: str, arrays: dict[str, np.ndarray]):
    """Inverse of :func:`fit_to_state` (same forecasts, same residuals)."""
    fit = _KINDS[entry["kind"]].from_state(entry, name, arrays)
    fit.resid = np.array(arrays[f"{name}.resid"])  # as fitted (burn-in NaN included)
    fit.label = entry["label"]
    return fit


def fits_to_state(fits: dict[str, object], prefix: str = "arima") -> tuple[dict, dict]:
    """Describe per-series fits for a model file.

    Parameters
    ----------
    fits : dict of str to fit
        ``AutoARIMA.fits_``.
    prefix : str
        Name prefix of the arrays.

    Returns
    -------
    config : dict
        JSON-ready, one entry per series (``index`` names its arrays).
    arrays : dict of str to ndarray
    """
    arrays: dict[str, np.ndarray] = {}
    config = {}
    for i, (uid, fit) in enumerate(fits.items()):
        config[uid] = {**fit_to_state(fit, f"{prefix}.{i}", arrays), "index": i}
    return config, arrays


def fits_from_state(config: dict, arrays: dict[str, np.ndarray], prefix: str = "arima") -> dict:
    """Rebuild per-series fits written by :func:`fits_to_state` (same forecasts)."""
    return {
        uid: fit_from_state(entry, f"{prefix}.{entry['index']}", arrays)
        for uid, entry in config.items()
    }
