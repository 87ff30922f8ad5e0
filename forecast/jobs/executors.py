"""Execute one claimed job: read its dataset, run the pipeline, store the result.

:func:`execute_job` is the body of a job's child process (started by
:class:`forecast.jobs.runner.LocalRunner`). It runs :func:`forecast.run.pipeline.run_forecast` — the
pipeline of ``forecast run`` — with

- ``progress`` writing the fraction done and the message (model, epoch, backtest window) into the
  store, throttled to a few writes per second;
- ``should_stop`` polling the store for a cancel request (and for a lost claim or a dead parent
  runner), so a cancel is honoured at the pipeline's next step or epoch;
- ``executor`` from :func:`open_executor`: none (per-series models run in this process), a local
  process pool, or a Dask ``distributed.Client`` executor that fans per-series work out over a
  cluster.

User errors (:class:`forecast.errors.DataError`, :class:`forecast.errors.SpecError`) end the job
``failed`` with their message; :class:`forecast.errors.Cancelled` ends it ``cancelled``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from forecast.errors import Cancelled, DataError, ForecastError
from forecast.jobs.spec import JobSpec
from forecast.jobs.store import JobResult, JobStore
from forecast.run.outputs import write_run

__all__ = [
    "ProgressReporter",
    "execute_job",
    "job_pool_workers",
    "open_executor",
    "read_spec_frame",
    "run_spec",
]


@contextmanager
def open_executor(
    dask_address: str | None = None, pool_workers: int | None = 0
) -> Iterator[Executor | None]:
    """The executor a job hands to the pipeline for per-series work.

    Parameters
    ----------
    dask_address : str, optional
        Scheduler address (``tcp://host:8786``) of a running Dask cluster: yields
        ``distributed.Client(address).get_executor()``.
    pool_workers : int or None
        Without Dask: 0 yields None (work stays in the calling process); N > 0 a process pool
        of N spawned processes; None one of every available core (none on a one-core
        machine). The pools start on their first task
        (:class:`forecast.run.workers.LazyProcessPool`).

    Yields
    ------
    concurrent.futures.Executor or None

    Raises
    ------
    SpecError
        The Dask scheduler cannot be reached.
    """
    from forecast.run.workers import LazyProcessPool, local_pool

    if dask_address:
        from distributed import Client

        from forecast.errors import SpecError

        try:
            client = Client(dask_address, set_as_default=False, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise SpecError(
                f"Cannot reach the Dask scheduler at {dask_address} ({exc}); start one with "
                "`dask scheduler` or fix --dask."
            ) from None
        try:
            yield client.get_executor()
        finally:
            client.close()
    elif pool_workers is None:
        with local_pool(None) as pool:
            yield pool
    elif pool_workers > 0:
        pool = LazyProcessPool(pool_workers)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        yield None


def job_pool_workers(spec: JobSpec, pool_workers: int | None) -> int | None:
    """The local pool size of one job: the spec's ``workers`` when set (1: no pool, the
    per-series work stays in the job's process), else the worker's ``pool_workers``.

    Parameters
    ----------
    spec : JobSpec
    pool_workers : int or None
        The worker's setting (``forecast worker --pool-workers``; 0: no pool, None: every
        available core).

    Returns
    -------
    int or None
        What :func:`open_executor` takes as ``pool_workers``.
    """
    if spec.workers is None:
        return pool_workers
    return 0 if spec.workers <= 1 else int(spec.workers)


class ProgressReporter:
    """``progress`` and ``should_stop`` callables of one claimed job, backed by the store.

    Parameters
    ----------
    store : JobStore
    job_id, token : str
        The job and its claim token.
    min_interval : float
        Seconds between two progress writes within one pipeline step (epochs).
    poll_interval : float
        Seconds between two cancel polls (0: every call; it is one indexed read, so a cancel
        lands before the next epoch).
    """

    def __init__(
        self,
        store: JobStore,
        job_id: str,
        token: str,
        min_interval: float = 0.3,
        poll_interval: float = 0.0,
    ) -> None:
        self.store, self.job_id, self.token = store, job_id, token
        self.min_interval = min_interval
        self.poll_interval = poll_interval
        self._last_write = 0.0
        self._last_step: int | None = None  # the whole step last written
        self._last_poll = 0.0
        self._stop = False

    def progress(self, step: float, total: int, message: str) -> None:
        """Record ``step`` of ``total`` with a message.

        ``step`` may be fractional (the pipeline adds the share of a model's fit done), so the
        fraction is ``step / total``; the message is for people only. Every new whole step is
        written; updates within a step (epochs) at most every ``min_interval`` seconds.
        """
        now = time.monotonic()
        whole = int(step)
        new_step = whole != self._last_step
        if not new_step and step < total and now - self._last_write < self.min_interval:
            return
        self._last_write, self._last_step = now, whole
        # 100 % only when the job is done (the store writes it then): combining, checking,
        # scoring and writing follow the last fit
        fraction = min(float(step) / total, 0.99) if total else 0.0
        if not self.store.report_progress(self.job_id, self.token, fraction, str(message)):
            self._stop = True

    def should_stop(self) -> bool:
        """True once a cancel was requested, the claim was lost or the runner died."""
        if self._stop:
            return True
        now = time.monotonic()
        if now - self._last_poll >= self.poll_interval:
            self._last_poll = now
            if self.store.cancel_requested(self.job_id, self.token):
                self._stop = True
        return self._stop

    def check(self) -> None:
        """Raise :class:`Cancelled` when :meth:`should_stop` says so."""
        if self.should_stop():
            raise Cancelled(f"job {self.job_id} cancelled")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_spec_frame(spec: JobSpec, path: str | Path | None = None):
    """Read a spec's dataset as ``forecast run`` reads its file, drivers and their future included.

    Parameters
    ----------
    spec : JobSpec
    path : str or Path, optional
        The file (default: the spec's stored copy).

    Returns
    -------
    df : DataFrame
        The long frame (with the spec's driver columns).
    x_future : DataFrame or None
        ``unique_id, ds, <known drivers>`` after each series' end (the file's future rows and
        calendar drivers), the ``observed_only`` drivers left out; None without any.

    Raises
    ------
    DataError
        As :func:`forecast.ingest.reader.read_csv`.
    """
    from forecast.ingest.reader import read_csv

    df, report = read_csv(path or spec.dataset_path, **spec.read_kwargs())
    future = getattr(report, "future", None)
    if not getattr(report, "drivers", None) or future is None:
        return df, None
    unknown = {d.name for d in report.drivers if not d.known_in_advance}
    unknown.update(spec.observed_only)
    future = future.drop(columns=[c for c in future.columns if c in unknown])
    if future.empty or len(future.columns) <= 2:
        return df, None
    return df, future.reset_index(drop=True)


def run_spec(
    spec: JobSpec,
    *,
    progress=None,
    should_stop=None,
    executor: Executor | None = None,
):
    """Read a spec's dataset and run the pipeline on it.

    Parameters
    ----------
    spec : JobSpec
    progress, should_stop : callable, optional
        Passed to :func:`forecast.run.pipeline.run_forecast`.
    executor : Executor, optional
        Per-series fan-out (see :func:`open_executor`).

    Returns
    -------
    forecast.run.result.RunResult

    Raises
    ------
    DataError
        The stored dataset is missing, changed since submission, or fails validation.
    SpecError
        A setting the pipeline rejects.
    Cancelled
        ``should_stop()`` returned True.
    """
    from forecast.run.pipeline import run_forecast

    path = Path(spec.dataset_path)
    if not path.exists():
        raise DataError(
            f"The dataset {spec.filename or path.name} is no longer stored at {path}; "
            "upload it again and submit a new job."
        )
    if _sha256(path) != spec.dataset_hash:
        raise DataError(
            f"The stored dataset {path} changed since the job was submitted (content hash "
            "differs); upload it again and submit a new job."
        )
    if progress is not None:
        progress(0, 1, f"reading {spec.filename or path.name}")
    df, x_future = read_spec_frame(spec, path)
    return run_forecast(
        df,
        **spec.run_kwargs(),
        X_future=x_future,
        progress=progress,
        should_stop=should_stop,
        executor=executor,
    )


def _all_failed(result: Any) -> str | None:
    """Message when every model of a run failed, else None."""
    board = getattr(result, "leaderboard", None)
    if board is None or board.empty or "error" not in board.columns:
        return None
    errors = board["error"]
    failed = errors.notna() & (errors.astype(str).str.len() > 0)
    if not failed.all():
        return None
    return "every model failed: " + "; ".join(
        f"{m}: {e}" for m, e in zip(board["model"], errors, strict=False)
    )


def _die_with_runner(runner: tuple[int, float] | None, interval: float = 0.25) -> None:
    """Kill this process as soon as the runner that launched it is gone (no orphaned jobs).

    Parameters
    ----------
    runner : (pid, create_time) or None
        The runner process; its creation time guards against pid reuse.
    interval : float
        Seconds between two checks, on a daemon thread.
    """
    try:  # Linux: SIGKILL when our parent (the runner or its forkserver) exits
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if runner is None:
        return
    import psutil

    pid, created = runner

    def alive() -> bool:
        try:
            proc = psutil.Process(pid)
            return proc.create_time() == created and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def watch() -> None:
        while alive():
            time.sleep(interval)
        os.kill(os.getpid(), signal.SIGKILL)  # die before writing anything more

    threading.Thread(target=watch, name="runner-watchdog", daemon=True).start()


def execute_job(
    url: str,
    job_id: str,
    token: str,
    dask_address: str | None = None,
    pool_workers: int | None = 0,
    home: str | None = None,
    runner: tuple[int, float] | None = None,
) -> None:
    """Body of a job's child process: run the claimed job and store its outcome.

    Parameters
    ----------
    url : str
        Store URL.
    job_id, token : str
        The claimed job and its claim token.
    dask_address : str, optional
        Dask scheduler to fan per-series work out to.
    pool_workers : int or None
        Local process pool size when no Dask address is given (0: none; None: every
        available core, see :func:`open_executor`).
    home : str, optional
        FORECAST_HOME of the runner (artifacts are written under it).
    runner : (pid, create_time), optional
        The supervising runner process; this process kills itself when it is gone.
    """
    _die_with_runner(runner)
    if home:
        os.environ["FORECAST_HOME"] = home
    store = JobStore(url)
    reporter = ProgressReporter(store, job_id, token)
    try:
        spec = JobSpec.validate(store.get(job_id).spec.model_dump())
        with open_executor(dask_address, job_pool_workers(spec, pool_workers)) as executor:
            result = run_spec(
                spec,
                progress=reporter.progress,
                should_stop=reporter.should_stop,
                executor=executor,
            )
        reporter.check()
        failure = _all_failed(result)
        if failure:
            store.finish(job_id, token, "failed", failure)
            return
        artifacts, problems = write_run(result, store.artifact_dir(job_id))
        for problem in problems:
            store.add_event(job_id, "warning", problem)
        store.complete(
            job_id,
            token,
            JobResult(
                leaderboard=result.leaderboard,
                forecasts=result.forecasts,
                actuals=result.actuals,
                history=result.history,
                residual_checks=result.residual_checks,
                artifacts=artifacts,
                level=float(getattr(result, "level", spec.level)),
            ),
        )
    except Cancelled:
        store.finish(job_id, token, "cancelled")
    except ForecastError as exc:
        store.finish(job_id, token, "failed", str(exc))
    except Exception as exc:
        store.add_event(job_id, "warning", traceback.format_exc(limit=8))
        store.finish(
            job_id,
            token,
            "failed",
            f"internal error ({type(exc).__name__}: {exc}); this is a bug, please report it "
            "with the traceback from `forecast jobs show`.",
        )
    finally:
        store.close()
