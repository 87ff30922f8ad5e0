"""A time limit for slow work in a request: wait a while, then answer "still working".

A page callback that may be slow (reading a big file) hands the work to :func:`within`: it runs
on a background thread, and the request waits for it at most ``seconds``. Done in time, the
result is returned; not done, :class:`StillWorking` is raised and the work goes on, so the page
can say so and ask again (a poll), and the next request for the same key joins the same work
instead of starting it again. The request's thread is thus never held longer than ``seconds``,
however big the file: a handful of such pages cannot take every thread of a web process.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

__all__ = ["StillWorking", "within"]

_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="forecast-budget")
_RUNNING: dict[Hashable, Future] = {}
# re-entrant: a future already done when its callback is added runs the callback at once, in
# the thread that holds the lock
_LOCK = threading.RLock()


class StillWorking(Exception):
    """The work of :func:`within` is not done yet; it goes on in the background."""


def within(seconds: float, key: Hashable, fn: Callable[[], Any]) -> Any:
    """``fn()``, if it is done within ``seconds``; else :class:`StillWorking`.

    Parameters
    ----------
    seconds : float
        Longest wait, in seconds.
    key : hashable
        Names the work: a call with the same key while it runs waits for the same work.
    fn : callable
        The work; its result should be cached by ``fn`` itself (the next call, after it is
        done, calls it again and must find it quickly).

    Returns
    -------
    Any
        What ``fn`` returned (its exception is raised).

    Raises
    ------
    StillWorking
        Not done within ``seconds``.
    """
    with _LOCK:
        future = _RUNNING.get(key)
        if future is None:
            future = _POOL.submit(fn)
            _RUNNING[key] = future
            future.add_done_callback(lambda _f: _forget(key, _f))
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        raise StillWorking from None


def _forget(key: Hashable, future: Future) -> None:
    with _LOCK:
        if _RUNNING.get(key) is future:
            del _RUNNING[key]
