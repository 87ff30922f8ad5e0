"""What a job does when the user says nothing more (no heavy imports: the CLI's help reads it).

The default model set and backtest, chosen by measurement on M3 (``benchmarks/single_series.py``
and ``benchmarks/studies/auto_rules/run.py``; figures in ``benchmarks/README.md``).
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
    "SEARCH",
]

#: Rolling origins of the default backtest.
DEFAULT_WINDOWS = 3
#: How often ARIMA's orders and the ETS model are searched per series
#: (:data:`forecast.run.backtest.SEARCH_MODES`): on the oldest backtest origin, re-estimated at
#: the later origins, and searched again on the whole history for the future. Measured on the
#: single-series benchmark's M3 samples (40 monthly + 40 quarterly, ``benchmarks/per_series.py``):
#: re-estimating the oldest origin's specification for the future too ("once") raised the mean
#: MASE of the future forecasts by 9.5 % (arima) and 8.6 % (ets) on monthly, 28 % and 14 % on
#: quarterly (the oldest origin of a short series holds too little to choose on); searched again
#: on the whole history the future forecasts are those of a search at every fit, bit for bit,
#: at half the searches.
SEARCH = "twice"
#: ``auto``: members per series and how they are combined. With the default set this is the
#: equal-weight mean of ets, stheta, arima and pretrained. Chosen on the tuning part of the M3
#: half kept out of pretraining (200 monthly + 189 quarterly series; benchmarks/studies/auto_rules/run.py,
#: figures in benchmarks/README.md): out of 1,173 rules (every candidate subset of ets, theta,
#: stheta, dotheta, ces, arima, pretrained; best k by backtest error; mean, median, trimmed
#: mean, 1/error weights), this one had the lowest MASE relative to the statsforecast
#: combination averaged over the two frequencies (monthly 0.830, 1.004 x; quarterly 1.047,
#: 0.988 x). On monthly no rule beat that combination by more than 0.6 %, so a per-frequency
#: choice gains nothing measurable and one rule serves every frequency; choosing fewer members
#: by a 3-origin backtest did not help.
AUTO_TOP_K = 4
AUTO_RULE = "mean"
#: Candidates ``auto`` brings when the run names no other model.
AUTO_DEFAULT_CANDIDATES = ("ets", "stheta", "arima", "pretrained")
#: The default model set of a job (CLI, jobs, dashboard): seasonal naive (the reference of
#: ``skill``), the candidates of ``auto``, and ``auto``.
DEFAULT_MODELS = ("snaive", *AUTO_DEFAULT_CANDIDATES, "auto")
#: Reference models: scored and shown, never members of ``auto`` (unless nothing else ran).
REFERENCE_MODELS = frozenset({"naive", "snaive", "drift"})
#: Columns of the backtest forecasts (``backtest.csv``).
BACKTEST_COLUMNS = ["window", "cutoff", "unique_id", "ds", "model", "yhat", "lo", "hi", "y"]
