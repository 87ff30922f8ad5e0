"""Forecasting models, all following the contract in :mod:`forecast.models.base`.

:func:`make_model` builds one by its short name, as used by the CLI, jobs and the dashboard.
"""

from __future__ import annotations

import importlib

from forecast.errors import SpecError

__all__ = ["MODEL_NAMES", "make_model"]

#: Short name -> (module, class). Modules are imported on first use (torch is heavy).
_REGISTRY: dict[str, tuple[str, str]] = {
    "naive": ("forecast.models.naive", "Naive"),
    "snaive": ("forecast.models.naive", "SeasonalNaive"),
    "drift": ("forecast.models.naive", "Drift"),
    "arima": ("forecast.models.arima", "AutoARIMA"),
    "ets": ("forecast.models.statistical", "AutoETS"),
    "theta": ("forecast.models.statistical", "AutoTheta"),
    "ces": ("forecast.models.statistical", "AutoCES"),
    "mstl": ("forecast.models.statistical", "MSTL"),
    "rnn": ("forecast.models.recurrent", "RNN"),
    "lstm": ("forecast.models.recurrent", "LSTM"),
    "gru": ("forecast.models.recurrent", "GRU"),
    "bilstm": ("forecast.models.recurrent", "BiLSTM"),
    "esn": ("forecast.models.esn", "ESN"),
    "hybrid": ("forecast.models.hybrid", "Hybrid"),
    "ensemble": ("forecast.models.ensemble", "RecurrentEnsemble"),
    "auto": ("forecast.models.auto", "Auto"),
}
MODEL_NAMES = tuple(_REGISTRY)


def make_model(name: str, **params):
    """Build a model by short name.

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`.
    **params
        Hyperparameters passed to the model's ``__init__``.

    Returns
    -------
    object
        An unfitted estimator.

    Raises
    ------
    SpecError
        Unknown name or parameter.
    """
    key = name.strip().lower()
    if key not in _REGISTRY:
        raise SpecError(f"Unknown model '{name}'; choose from {', '.join(MODEL_NAMES)}.")
    module, cls = _REGISTRY[key]
    klass = getattr(importlib.import_module(module), cls)
    try:
        return klass(**params)
    except TypeError as exc:
        raise SpecError(f"Bad parameters for model '{name}': {exc}") from exc
