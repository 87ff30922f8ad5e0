"""Autocorrelation analysis of time series, built on statsmodels (never re-implemented).

Modules: :mod:`~forecast.diagnostics.autocorr` (ACF, PACF, Ljung-Box),
:mod:`~forecast.diagnostics.stationarity` (ADF, KPSS, ndiffs),
:mod:`~forecast.diagnostics.seasonality` (period, STL, strengths, nsdiffs),
:mod:`~forecast.diagnostics.window` (suggested window and ARIMA order),
:mod:`~forecast.diagnostics.decisions` (differencing, order and window decided together),
:mod:`~forecast.diagnostics.diagnosis` (the full per-series diagnosis) and
:mod:`~forecast.diagnostics.readings` (plain sentences).
"""

from forecast.diagnostics.autocorr import (
    Autocorrelation,
    autocorrelation,
    default_nlags,
    ljung_box,
    ljung_box_lags,
)
from forecast.diagnostics.decisions import Decisions, decide, suggested_window
from forecast.diagnostics.diagnosis import (
    CONTRACT_KEYS,
    SeriesDiagnosis,
    diagnose,
    diagnose_series,
)
from forecast.diagnostics.prepare import prepare_values
from forecast.diagnostics.seasonality import (
    calendar_periods,
    nsdiffs,
    seasonal_period,
    stl_decompose,
    strengths,
)
from forecast.diagnostics.stationarity import adf_test, kpss_test, ndiffs
from forecast.diagnostics.window import suggested_arima_order

__all__ = [
    "CONTRACT_KEYS",
    "Autocorrelation",
    "Decisions",
    "SeriesDiagnosis",
    "adf_test",
    "autocorrelation",
    "calendar_periods",
    "decide",
    "default_nlags",
    "diagnose",
    "diagnose_series",
    "kpss_test",
    "ljung_box",
    "ljung_box_lags",
    "ndiffs",
    "nsdiffs",
    "prepare_values",
    "seasonal_period",
    "stl_decompose",
    "strengths",
    "suggested_arima_order",
    "suggested_window",
]
