"""Per-series statistical models: baselines (:mod:`~forecast.models.statistical.naive`),
ARIMA (:mod:`~forecast.models.statistical.arima` and its search, fits and files) and the
statsforecast smoothing family (:mod:`~forecast.models.statistical.smoothing`: ETS, Theta, CES,
MSTL)."""
