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
    "REFERENCE_MODELS",
]

#: The default model set of a job (CLI, jobs, dashboard).
DEFAULT_MODELS = ("snaive", "ets", "theta", "ces", "arima", "auto")
#: Rolling origins of the default backtest.
DEFAULT_WINDOWS = 3
#: ``auto``: members per series and how they are combined. With the default set this is the
#: equal-weight mean of ets, theta, ces and arima: on M3, choosing fewer members by a 3-origin
#: backtest was worse than combining them all (benchmarks/auto_rules.py).
AUTO_TOP_K = 4
AUTO_RULE = "mean"
#: Candidates ``auto`` brings when the run names no other model.
AUTO_DEFAULT_CANDIDATES = ("ets", "theta", "ces", "arima")
#: Reference models: scored and shown, never members of ``auto`` (unless nothing else ran).
REFERENCE_MODELS = frozenset({"naive", "snaive", "drift"})
#: Columns of the backtest forecasts (``backtest.csv``).
BACKTEST_COLUMNS = ["window", "cutoff", "unique_id", "ds", "model", "yhat", "lo", "hi", "y"]
