"""Persistent forecasting jobs: a spec, a SQL store, and runners (local processes or Dask).

- :class:`JobSpec` — what to run (dataset by content hash, columns, horizon, models, seed...).
- :class:`JobStore` — jobs, progress events, results and artifact paths in SQLite/PostgreSQL.
- :class:`LocalRunner` — claims queued jobs and runs each in a child process through
  :func:`forecast.run.pipeline.run_forecast`; optional Dask scale-out for per-series models.

Examples
--------
>>> from forecast.jobs import JobSpec, JobStore, LocalRunner  # doctest: +SKIP
>>> store = JobStore()
>>> digest, path = store.save_dataset(open("data/air_passengers.csv", "rb").read(), "air.csv")
>>> job_id = store.submit(JobSpec(dataset_hash=digest, dataset_path=path, horizon=12,
...                               models=["snaive"]))
>>> LocalRunner(store).run_until_idle()
>>> store.result(job_id).leaderboard
"""

from forecast.jobs.home import forecast_home
from forecast.jobs.runner import LocalRunner
from forecast.jobs.spec import JobSpec
from forecast.jobs.store import (
    FINAL_STATUSES,
    STATUSES,
    JobRecord,
    JobResult,
    JobStore,
    default_url,
)

__all__ = [
    "FINAL_STATUSES",
    "STATUSES",
    "JobRecord",
    "JobResult",
    "JobSpec",
    "JobStore",
    "LocalRunner",
    "default_url",
    "forecast_home",
]
