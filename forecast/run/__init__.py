"""The run: backtest, refit, forecast the future, combine and recommend.

Layer 6 (above :mod:`forecast.models`): the rolling-origin backtest
(:mod:`~forecast.run.backtest`), the job's steps (:mod:`~forecast.run.steps`) and their
orchestration (:mod:`~forecast.run.pipeline`), per-series fan-out over processes or Dask
(:mod:`~forecast.run.fanout`), combinations (:mod:`~forecast.run.combination`), the
recommendation (:mod:`~forecast.run.recommend`), the defaults (:mod:`~forecast.run.defaults`)
and ``auto`` (:mod:`~forecast.run.auto`), which is a run over candidate models behind the
estimator contract.
"""
