"""Forecasting models, all on the estimator base of :mod:`forecast.models.base`.

:func:`make_model` builds one by its short name, as used by the CLI, jobs and the dashboard;
:mod:`forecast.models.registry` lists them and answers what each one is.
"""

from __future__ import annotations

from forecast.models.registry import MODEL_NAMES, make_model, model_class, model_names

__all__ = ["MODEL_NAMES", "make_model", "model_class", "model_names"]
