"""A small thread-safe memo for the dashboard's expensive reads (CSV parsing, diagnoses).

Dash serves callbacks on several threads at once; two callbacks that need the same diagnosis
(the Diagnostics page's figures and its ACF panel) must not both compute it. :func:`memo` keeps
the last results like :func:`functools.lru_cache` and makes a second caller with the same
arguments wait for the first one's result instead of repeating the work. :func:`prefetch` starts
such a computation in the background (e.g. the diagnosis of a file just uploaded, before the user
opens the Diagnostics page).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

__all__ = ["memo", "prefetch"]

log = logging.getLogger("dashboard")
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dashboard-prefetch")


def memo(maxsize: int = 16) -> Callable:
    """Decorator: cache the ``maxsize`` latest results by (hashable) arguments, computing each once.

    Exceptions are not cached (the next call tries again).
    """

    def wrap(fn: Callable) -> Callable:
        results: OrderedDict = OrderedDict()
        locks: dict = {}
        guard = threading.Lock()

        @functools.wraps(fn)
        def inner(*args):
            with guard:
                if args in results:
                    results.move_to_end(args)
                    return results[args]
                lock = locks.setdefault(args, threading.Lock())
            with lock:
                with guard:
                    if args in results:
                        return results[args]
                value = fn(*args)
                with guard:
                    results[args] = value
                    while len(results) > maxsize:
                        results.popitem(last=False)
                    locks.pop(args, None)
                return value

        def cache_clear() -> None:
            with guard:
                results.clear()

        def peek(*args):
            """The cached result for ``args``, or None (computes nothing, waits for nothing)."""
            with guard:
                return results.get(args)

        inner.cache_clear = cache_clear
        inner.peek = peek
        return inner

    return wrap


def prefetch(fn: Callable, *args) -> None:
    """Run ``fn(*args)`` on the background thread (errors are logged, never raised)."""

    def run():
        try:
            fn(*args)
        except Exception as exc:  # the page that needs it will show the error
            log.debug("prefetch %s failed: %s", getattr(fn, "__name__", fn), exc)

    _POOL.submit(run)
