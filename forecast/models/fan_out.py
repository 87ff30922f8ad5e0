"""Fitting per-series models over an executor: chunks of series, progress, cancellation.

:func:`fit_many` fits several (model, frame) pairs of
:class:`forecast.models.per_series.PerSeriesForecaster` at once: in this process series by
series, or over a ``concurrent.futures.Executor`` (a local process pool,
``distributed.Client.get_executor()``) in chunks of series from every pair, so the backtest's
windows run side by side. Each series goes through the model's own guarded fit either way, so
the forecasts are the same bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import TYPE_CHECKING, Any

import pandas as pd

from forecast.errors import Cancelled

if TYPE_CHECKING:
    from forecast.models.per_series import PerSeriesForecaster

__all__ = ["TASKS_PER_FIT", "fit_many"]

#: Series per task, at most, when a fit fans out over an executor: about this many tasks per
#: call keeps every worker busy to the end and still counts progress in small steps.
TASKS_PER_FIT = 64


def _fit_chunk(model: PerSeriesForecaster, m: int, items: list) -> list[tuple[object, str]]:
    """Fit a chunk of series ``[(y, prior or None, native or None)]`` (module level: executors
    pickle it)."""
    return [model._fit_guarded(y, m, prior, native) for y, prior, native in items]


def _chunks(n: int, size: int) -> list[range]:
    return [range(i, min(i + size, n)) for i in range(0, n, size)]


def fit_many(
    jobs: Sequence[tuple[PerSeriesForecaster, pd.DataFrame, dict[str, Any] | None]],
    executor: Executor | None,
    *,
    progress: Callable[[int, int, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> list[PerSeriesForecaster]:
    """Fit several per-series models, each on its frame, over one executor at once.

    Parameters
    ----------
    jobs : sequence of (model, frame, priors)
        ``priors`` maps a series id to a fit whose specification :meth:`refit_one`
        re-estimates (None: search every series).
    executor : Executor, optional
        None fits in this process, series by series; otherwise chunks of series (of every job)
        are submitted together, so backtest windows run side by side. Frames of a single
        series (the windows of a one-series file), and models that do not declare
        ``fans_out`` (the baselines), stay in this process: a pool's start and the shipping
        cost more than such fits.
    progress : callable, optional
        ``progress(done, total, message)`` as series finish, counted over every job.
    should_stop : callable, optional
        Polled between series or finished chunks; True raises :class:`Cancelled`.

    Returns
    -------
    list of PerSeriesForecaster
        The models of ``jobs``, fitted (each ``fit`` returned ``self``).
    """
    prepared = []
    for model, df, priors in jobs:
        series, m, native = model._start(df)
        items = [(y, (priors or {}).get(uid), native.get(uid)) for uid, (_ds, y) in series.items()]
        prepared.append((model, series, m, items))
    total = sum(len(items) for *_rest, items in prepared)
    results: list[list] = [[None] * len(items) for *_rest, items in prepared]
    done = 0

    def tick(model, uid: str, fit) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, f"series {done} of {total}: {uid}: {fit.label}")

    widest = max((len(items) for *_rest, items in prepared), default=0)
    if executor is None or widest < 2 or not any(type(m).fans_out for m, *_r in prepared):
        for j, (model, series, m, items) in enumerate(prepared):
            uids = list(series)
            for i, (y, prior, native) in enumerate(items):
                if should_stop is not None and should_stop():
                    raise Cancelled(f"{model.name}: cancelled between series")
                results[j][i] = model._fit_guarded(y, m, prior, native)
                tick(model, uids[i], results[j][i][0])
    else:
        size = max(1, math.ceil(total / TASKS_PER_FIT))
        pending: dict[Future, tuple[int, range]] = {}
        try:
            for j, (model, _series, m, items) in enumerate(prepared):
                for part in _chunks(len(items), size):
                    fut = executor.submit(_fit_chunk, model, m, [items[i] for i in part])
                    pending[fut] = (j, part)
            while pending:
                if should_stop is not None and should_stop():
                    raise Cancelled(f"{prepared[0][0].name}: cancelled")
                finished, _ = wait(list(pending), timeout=0.5, return_when=FIRST_COMPLETED)
                for fut in finished:
                    j, part = pending.pop(fut)
                    uids = list(prepared[j][1])
                    for i, out in zip(part, fut.result(), strict=True):
                        results[j][i] = out
                        tick(prepared[j][0], uids[i], out[0])
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    for (model, series, m, _items), out in zip(prepared, results, strict=True):
        model._finish(series, m, out)
    return [model for model, *_rest in prepared]
