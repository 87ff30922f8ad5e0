"""Evaluation: how forecasts are scored and checked.

Layer 4 (above :mod:`forecast.diagnostics`, below :mod:`forecast.models`): error metrics
(:mod:`~forecast.evaluation.metrics`), the leaderboard's columns
(:mod:`~forecast.evaluation.leaderboard`), residual autocorrelation checks
(:mod:`~forecast.evaluation.residuals`) and interval calibration
(:mod:`~forecast.evaluation.conformal`, :mod:`~forecast.evaluation.calibration`). Nothing here
fits a model.
"""
