"""The local process pool a run fans its per-series work out over (``--workers N``).

:func:`local_pool` yields the executor :func:`forecast.run.pipeline.run_forecast` takes: None
for one worker (today's in-process run), else a process pool of N spawned processes that starts
only when the first task is submitted, so a run with nothing to fan out (one series, global
models only) pays nothing for it. The default is every core this process may run on.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager

from forecast.errors import SpecError

__all__ = ["LazyProcessPool", "available_cores", "check_workers", "local_pool"]


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity; the CPU count where there is none)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(1, os.cpu_count() or 1)


def check_workers(workers: int | None) -> int:
    """The number of worker processes: ``workers``, or :func:`available_cores` when None.

    Raises
    ------
    SpecError
        Not a whole number >= 1.
    """
    if workers is None:
        return available_cores()
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SpecError(
            f"workers must be a whole number >= 1 (1: no worker processes), got {workers!r}."
        )
    return int(workers)


class LazyProcessPool(Executor):
    """A ``ProcessPoolExecutor`` of ``max_workers`` spawned processes, started on first use.

    Parameters
    ----------
    max_workers : int
        Worker processes.
    """

    def __init__(self, max_workers: int) -> None:
        self.max_workers = int(max_workers)
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn, /, *args, **kwargs) -> Future:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                self.max_workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool.submit(fn, *args, **kwargs)

    @property
    def started(self) -> bool:
        """Whether the processes were started (a task was submitted)."""
        return self._pool is not None

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
            self._pool = None


@contextmanager
def local_pool(workers: int | None = None) -> Iterator[Executor | None]:
    """The executor of a run with ``workers`` processes (None: every available core).

    Yields
    ------
    Executor or None
        None for one worker (per-series work stays in this process), else a
        :class:`LazyProcessPool`, shut down on exit.

    Raises
    ------
    SpecError
        ``workers`` is not a whole number >= 1.
    """
    n = check_workers(workers)
    if n == 1:
        yield None
        return
    pool = LazyProcessPool(n)
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
