"""Save and load fitted ARIMA models as JSON + safetensors (never pickle).

A statsforecast fit is its ``model_`` state (coefficients, state-space matrices, residuals):
arrays go to safetensors, everything else (orders, scalars, key order) to JSON, and loading
rebuilds the exact state, so forecasts are identical. A statsmodels fit is stored as its series,
orders, trend and estimated parameters and rebuilt by ``SARIMAX(...).filter(params)`` (no
re-estimation), again with identical forecasts.

Used by :meth:`AutoARIMA.save` / :meth:`AutoARIMA.load` and by the hybrid model.
"""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["fits_from_state", "fits_to_state"]


def _flatten(obj, name: str, arrays: dict[str, np.ndarray]):
    """JSON-ready description of ``obj``; arrays and numpy scalars go to ``arrays``."""
    if isinstance(obj, dict):
        return {"__dict__": [[str(k), _flatten(v, f"{name}.{k}", arrays)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [_flatten(v, f"{name}.{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_flatten(v, f"{name}.{i}", arrays) for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        arrays[name] = np.ascontiguousarray(obj)
        return {"__array__": name}
    if isinstance(obj, np.generic):
        arrays[name] = np.asarray([obj])
        return {"__scalar__": name}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} in a model file")


def _unflatten(obj, arrays: dict[str, np.ndarray]):
    """Inverse of :func:`_flatten`."""
    if isinstance(obj, list):
        return [_unflatten(v, arrays) for v in obj]
    if isinstance(obj, dict):
        if "__dict__" in obj:
            return {k: _unflatten(v, arrays) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(_unflatten(v, arrays) for v in obj["__tuple__"])
        if "__array__" in obj:
            return np.array(arrays[obj["__array__"]])
        if "__scalar__" in obj:
            return arrays[obj["__scalar__"]][0]
    return obj


def _fit_to_state(fit, name: str, arrays: dict[str, np.ndarray]) -> dict:
    from forecast.models.arima import _SarimaxFit, _SeasonalAdjustedFit, _StatsforecastFit

    entry = {
        "label": fit.label,
        "order": list(fit.order),
        "seasonal_order": list(fit.seasonal_order),
        "n_params": int(fit.n_params),
    }
    arrays[f"{name}.resid"] = np.asarray(fit.resid, dtype=np.float64)
    if isinstance(fit, _StatsforecastFit):
        entry["kind"] = "statsforecast"
        entry["season_length"] = int(fit.model.season_length)
        entry["state"] = _flatten(fit.model.model_, f"{name}.state", arrays)
    elif isinstance(fit, _SarimaxFit):
        arrays[f"{name}.y"] = np.asarray(fit.res.model.endog, dtype=np.float64).ravel()
        arrays[f"{name}.params"] = np.asarray(fit.res.params, dtype=np.float64)
        entry.update(kind="statsmodels", m=int(fit.m), trend=fit.res.model.trend)
    elif isinstance(fit, _SeasonalAdjustedFit):
        arrays[f"{name}.season"] = np.asarray(fit.season, dtype=np.float64)
        entry.update(
            kind="stl", m=int(fit.m), inner=_fit_to_state(fit.inner, f"{name}.inner", arrays)
        )
    else:  # pragma: no cover - no other fit kinds exist
        raise TypeError(f"cannot save a {type(fit).__name__}")
    return entry


def _fit_from_state(entry: dict, name: str, arrays: dict[str, np.ndarray]):
    from statsforecast.models import AutoARIMA as SFAutoARIMA
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    from forecast.models.arima import _SarimaxFit, _SeasonalAdjustedFit, _StatsforecastFit

    if entry["kind"] == "statsforecast":
        fit = object.__new__(_StatsforecastFit)
        fit.model = SFAutoARIMA(season_length=entry["season_length"])
        fit.model.model_ = _unflatten(entry["state"], arrays)
    elif entry["kind"] == "statsmodels":
        fit = object.__new__(_SarimaxFit)
        order, seasonal = tuple(entry["order"]), tuple(entry["seasonal_order"])
        m = entry["m"]
        seasonal4 = (*seasonal, m) if m > 1 and any(seasonal) else (0, 0, 0, 0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = SARIMAX(
                arrays[f"{name}.y"],
                order=order,
                seasonal_order=seasonal4,
                trend=entry["trend"],
                enforce_stationarity=True,
                enforce_invertibility=True,
            )
            fit.res = model.filter(arrays[f"{name}.params"])
        fit.m = m
    else:
        fit = object.__new__(_SeasonalAdjustedFit)
        fit.inner = _fit_from_state(entry["inner"], f"{name}.inner", arrays)
        fit.season = np.array(arrays[f"{name}.season"])
        fit.m = entry["m"]
    fit.order, fit.seasonal_order = tuple(entry["order"]), tuple(entry["seasonal_order"])
    fit.label = entry["label"]
    fit.n_params = entry["n_params"]
    fit.resid = np.array(arrays[f"{name}.resid"])
    return fit


def fits_to_state(fits: dict[str, object], prefix: str = "arima") -> tuple[dict, dict]:
    """Describe per-series ARIMA fits for a model file.

    Parameters
    ----------
    fits : dict of str to fit
        ``AutoARIMA.fits_`` (statsforecast, statsmodels or STL-adjusted fits).
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
        config[uid] = {**_fit_to_state(fit, f"{prefix}.{i}", arrays), "index": i}
    return config, arrays


def fits_from_state(config: dict, arrays: dict[str, np.ndarray], prefix: str = "arima") -> dict:
    """Rebuild per-series fits written by :func:`fits_to_state` (same forecasts)."""
    return {
        uid: _fit_from_state(entry, f"{prefix}.{entry['index']}", arrays)
        for uid, entry in config.items()
    }
