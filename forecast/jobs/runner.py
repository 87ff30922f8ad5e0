"""The job runner: claim queued jobs, run each in a child process, supervise, recover.

:class:`LocalRunner` is embedded in the dashboard (``start()`` runs it on a background thread) and
is the ``forecast worker`` command (``run_forever`` / ``run_until_idle`` in the foreground).
Several runners, in several processes or on several machines sharing one store, cooperate:

- a claim is atomic (:meth:`JobStore.claim`), so no job runs twice and none is lost;
- each job runs in its own child process (``forkserver``: fast start, nothing inherited but the
  preloaded modules), so a crash, an out-of-memory kill or a cancel that does not come in time is
  contained; the child kills itself within a quarter second when its runner is gone (a watchdog
  thread, plus Linux ``PR_SET_PDEATHSIG``) and every write it makes names its claim token, so a
  runner declared dead can never overwrite a re-run;
- the runner heartbeats its jobs; on start and then periodically it marks jobs left ``running``
  by a dead runner (same host: its pid is gone; any host: no heartbeat for ``stale_after``
  seconds) as ``interrupted`` and re-queues each at most ``max_retries`` times (events record it);
- a cancel is honoured by the child between pipeline steps/epochs; a child that has not stopped
  ``cancel_grace`` seconds after the request is terminated.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import socket
import threading
import time
from dataclasses import dataclass

import psutil

from forecast.jobs.executors import execute_job
from forecast.jobs.store import JobStore

__all__ = ["LocalRunner", "worker_name"]

log = logging.getLogger(__name__)

#: Modules the forkserver imports once, so each job starts in milliseconds.
_PRELOAD = ["forecast.jobs.executors", "forecast.ingest.reader", "forecast.run.pipeline"]


@dataclass
class _Active:
    process: multiprocessing.process.BaseProcess
    token: str
    cancel_seen: float | None = None


def _pid_alive(pid: int) -> bool:
    try:
        proc = psutil.Process(pid)
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def worker_name() -> str:
    """``host:pid`` of this process (how runners name themselves in the store)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class LocalRunner:
    """Run the store's queued jobs, ``concurrency`` at a time, each in a child process.

    Parameters
    ----------
    store : JobStore, optional
        The store (default: ``JobStore()``).
    concurrency : int
        Jobs run at once by this runner (>= 1).
    dask_address : str, optional
        Dask scheduler address; jobs fan per-series models out over that cluster.
    pool_workers : int or None
        Without Dask, size of a local process pool each job uses for per-series models and
        their backtest windows (0: they run in the job's own process; None, the default:
        every available core, as ``forecast run`` does).
    poll_interval : float
        Seconds between two looks at the queue.
    heartbeat_interval : float
        Seconds between two heartbeats of the running jobs.
    stale_after : float
        A running job whose heartbeat is older than this (seconds) belongs to a dead runner.
    max_retries : int
        Times an interrupted job is re-queued.
    cancel_grace : float
        Seconds a child gets to honour a cancel before it is terminated.
    start_method : str
        ``multiprocessing`` start method of the job processes (``forkserver`` or ``spawn``).

    Examples
    --------
    >>> runner = LocalRunner(JobStore(), concurrency=2)  # doctest: +SKIP
    >>> runner.start(); ...; runner.stop()  # doctest: +SKIP
    """

    def __init__(
        self,
        store: JobStore | None = None,
        concurrency: int = 1,
        dask_address: str | None = None,
        *,
        pool_workers: int | None = None,
        poll_interval: float = 0.25,
        heartbeat_interval: float = 2.0,
        stale_after: float = 30.0,
        max_retries: int = 1,
        cancel_grace: float = 30.0,
        start_method: str = "forkserver",
    ) -> None:
        from forecast.errors import SpecError

        if concurrency < 1:
            raise SpecError(f"concurrency must be at least 1, got {concurrency}.")
        if max_retries < 0:
            raise SpecError(f"max_retries must be 0 or more, got {max_retries}.")
        self.store = store or JobStore()
        self.concurrency = int(concurrency)
        self.dask_address = dask_address
        self.pool_workers = None if pool_workers is None else int(pool_workers)
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.max_retries = max_retries
        self.cancel_grace = cancel_grace
        self.name = worker_name()
        me = psutil.Process()
        self._identity = (me.pid, me.create_time())
        self._ctx = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            self._ctx.set_forkserver_preload(_PRELOAD)
        self._active: dict[str, _Active] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0
        self._last_recover = 0.0
        self.finished: list[str] = []

    # ---------------------------------------------------------------- public
    def start(self) -> LocalRunner:
        """Recover interrupted jobs, then run the loop on a background (daemon) thread."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stopping.clear()
        self.recover()
        self._thread = threading.Thread(target=self._loop, name="forecast-runner", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; terminate running children; their jobs become interrupted (re-queued)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self._shutdown("the runner was stopped")

    def request_stop(self) -> None:
        """Ask the loop to end after its current round (safe from a signal handler)."""
        self._stopping.set()

    @property
    def running(self) -> bool:
        """Whether the background loop is alive."""
        return self._thread is not None and self._thread.is_alive()

    def run_forever(self) -> None:
        """Recover, then run the loop in this thread until :meth:`stop` (or Ctrl-C)."""
        self.recover()
        try:
            self._loop()
        finally:
            self._shutdown("the worker was stopped")

    def run_until_idle(self, timeout: float | None = None) -> list[str]:
        """Recover, then run jobs until none is queued or running here (the ``--once`` mode).

        Parameters
        ----------
        timeout : float, optional
            Give up after this many seconds (running children are then stopped).

        Returns
        -------
        list of str
            Ids of the jobs this runner ran to an end.
        """
        self.recover()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while not self._stopping.is_set():
                claimed = self._tick()
                if not self._active and not claimed:
                    break
                if deadline is not None and time.monotonic() > deadline:
                    break
                time.sleep(self.poll_interval)
        finally:
            self._shutdown("the worker stopped before the job ended")
        return list(self.finished)

    def recover(self) -> list[str]:
        """Mark jobs of dead runners ``interrupted`` and re-queue them (up to ``max_retries``).

        A running job belongs to a dead runner when its runner ran on this host and its pid is
        gone, or when its heartbeat is older than ``stale_after`` seconds.

        Returns
        -------
        list of str
            Ids of the jobs recovered.
        """
        self._last_recover = time.monotonic()
        host = socket.gethostname()
        now = time.time()
        recovered = []
        for job in self.store.running_jobs():
            if job.id in self._active or job.worker == self.name:
                continue
            reason = None
            w_host, _, w_pid = (job.worker or "").rpartition(":")
            if w_host == host and w_pid.isdigit() and not _pid_alive(int(w_pid)):
                reason = f"its worker {job.worker} is gone"
            elif job.heartbeat_at is None or now - job.heartbeat_at.timestamp() > self.stale_after:
                reason = f"no heartbeat from worker {job.worker} for over {self.stale_after:.0f} s"
            if reason is not None:
                status = self.store.interrupt(job.id, reason, max_retries=self.max_retries)
                log.warning("job %s: interrupted, %s; now %s", job.id, reason, status)
                recovered.append(job.id)
        return recovered

    # ---------------------------------------------------------------- the loop
    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._tick()
            except Exception:  # e.g. the database briefly unreachable: log, retry next round
                log.exception("job runner %s: round failed; retrying", self.name)
                self._stopping.wait(max(self.poll_interval, 2.0))
            self._stopping.wait(self.poll_interval)

    def _tick(self) -> bool:
        """One round: reap, heartbeat, enforce cancels, recover, claim. True if a job was claimed."""
        self._reap()
        now = time.monotonic()
        if self._active and now - self._last_beat >= self.heartbeat_interval:
            self._last_beat = now
            self.store.heartbeat(list(self._active), self.name)
        self._enforce_cancels(now)
        if now - self._last_recover >= max(self.stale_after / 2, 1.0):
            self.recover()
        claimed = False
        while len(self._active) < self.concurrency and not self._stopping.is_set():
            got = self.store.claim(self.name)
            if got is None:
                break
            self._launch(*got)
            claimed = True
        return claimed

    def _launch(self, job_id: str, token: str) -> None:
        process = self._ctx.Process(
            target=execute_job,
            args=(
                self.store.url,
                job_id,
                token,
                self.dask_address,
                self.pool_workers,
                str(self.store.home),
                self._identity,
            ),
            name=f"forecast-job-{job_id}",
            daemon=False,
        )
        process.start()
        self._active[job_id] = _Active(process, token)
        log.info("job %s: started (process %s)", job_id, process.pid)

    def _reap(self) -> None:
        for job_id, act in list(self._active.items()):
            if act.process.is_alive():
                continue
            act.process.join()
            code = act.process.exitcode
            del self._active[job_id]
            self.finished.append(job_id)
            job = self.store.get(job_id)
            if job.status != "running":  # the child stored its outcome
                log.info("job %s: %s%s", job_id, job.status, f" ({job.error})" if job.error else "")
                continue
            if job.cancel_requested:
                self.store.finish(job_id, act.token, "cancelled")
            elif code is not None and code < 0:
                self.store.finish(
                    job_id,
                    act.token,
                    "failed",
                    f"the job's process was killed by signal {-code} (out of memory?); "
                    "re-run it with fewer series or models",
                )
            else:
                self.store.finish(
                    job_id,
                    act.token,
                    "failed",
                    f"the job's process exited with status {code} before storing a result",
                )

    def _enforce_cancels(self, now: float) -> None:
        if not self._active:
            return
        for job_id, act in list(self._active.items()):
            job = self.store.get(job_id)
            if not job.cancel_requested:
                continue
            if act.cancel_seen is None:
                act.cancel_seen = now
            elif now - act.cancel_seen > self.cancel_grace and act.process.is_alive():
                act.process.kill()

    def _shutdown(self, reason: str) -> None:
        for job_id, act in list(self._active.items()):
            if act.process.is_alive():
                act.process.kill()
            act.process.join(5)
            self.store.interrupt(job_id, reason, max_retries=self.max_retries, token=act.token)
            del self._active[job_id]

    def __repr__(self) -> str:
        return (
            f"LocalRunner(store={self.store.url!r}, concurrency={self.concurrency}, "
            f"dask_address={self.dask_address!r}, pid={os.getpid()})"
        )
