"""Forecast Workbench: autocorrelation analysis, recurrent forecasters and baselines for CSV series.

The interchange format everywhere is a long pandas DataFrame with columns ``unique_id`` (str),
``ds`` (datetime64[ns]) and ``y`` (float64); see :mod:`forecast.ingest.reader` for its invariants.
"""

from forecast.errors import DataError, ForecastError, SpecError

__all__ = ["DataError", "ForecastError", "SpecError", "__version__"]
__version__ = "0.1.0"
