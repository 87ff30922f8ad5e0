"""What a job does when the user says nothing more (no heavy imports: the CLI's help reads it).

The default model set and backtest, chosen by measurement on M3 (``benchmarks/single_series.py``
and ``benchmarks/auto_rules.py``; figures in ``benchmarks/README.md``).
"""

from __future__ import annotations

__all__ = [
    "AUTO_DEFAULT_CANDIDATES",
    "AUTO_RULE",
    "AUTO_TOP_K",
    "BACKTEST_COLUMNS",
    "DEFAULT_MODELS",
    "DEFAULT_WINDOWS",
]

#: The default model set of a job (CLI, jobs, dashboard).
DEFAULT_MODELS = ("snaive", "ets", "theta", "arima", "auto")
#: Rolling origins of the default backtest.
DEFAULT_WINDOWS = 3
#: ``auto``: members per series and how they are combined.
AUTO_TOP_K = 2
AUTO_RULE = "mean"
#: Candidates ``auto`` brings when the run names no other member model.
AUTO_DEFAULT_CANDIDATES = ("ets", "theta", "arima")
#: Columns of the backtest forecasts (``backtest.csv``).
BACKTEST_COLUMNS = ["window", "cutoff", "unique_id", "ds", "model", "yhat", "lo", "hi", "y"]
