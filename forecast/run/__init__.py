"""The run: backtest, refit, forecast the future, combine and recommend.

Layer 6 (above :mod:`forecast.models`): the rolling-origin backtest
(:mod:`~forecast.run.backtest`), the job's steps (:mod:`~forecast.run.steps`) and their
orchestration (:mod:`~forecast.run.pipeline`), the local process pool per-series work fans out
over (:mod:`~forecast.run.workers`; the fan-out itself is the per-series models' base,
:mod:`forecast.models.per_series`), combinations (:mod:`~forecast.run.combination`), the
recommendation (:mod:`~forecast.run.recommend`), the defaults (:mod:`~forecast.run.defaults`)
and ``auto`` (:mod:`~forecast.run.auto`), which is a run over candidate models behind the
estimator contract.
"""
