"""Per-series models fanned out over a ``concurrent.futures.Executor`` in chunks of series.

A local process pool, or ``distributed.Client.get_executor()``: each chunk of series is fitted by
its own estimator in a worker; :class:`ChunkedModel` puts the chunks back together as one model.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Executor

import numpy as np
import pandas as pd

from forecast.calendar.frequency import frame_freq
from forecast.errors import Cancelled
from forecast.ingest.frame import observed_drivers
from forecast.models import make_model

__all__ = ["ChunkedModel", "fit_on_executor"]


class ChunkedModel:
    """Per-series model fitted in chunks of series (one estimator per chunk), used as one."""

    def __init__(self, name: str, parts: list) -> None:
        self.name = name
        self.parts = parts
        self.residuals_ = pd.concat([p.residuals_ for p in parts], ignore_index=True)
        self.n_params_ = {k: v for p in parts for k, v in p.n_params_.items()}
        self.model_strings_ = {
            k: v for p in parts for k, v in getattr(p, "model_strings_", {}).items()
        }
        self.notes_ = {k: v for p in parts for k, v in getattr(p, "notes_", {}).items()}
        if len(parts) == 1:
            self.detail_ = getattr(parts[0], "detail_", None)
        elif self.model_strings_:
            label, count = Counter(self.model_strings_.values()).most_common(1)[0]
            self.detail_ = f"{len(self.model_strings_)} series; most common {label} ({count})"
            if self.notes_:
                self.detail_ += f"; {len(self.notes_)} fell back to a simpler order"
        else:
            self.detail_ = None

    def predict(
        self, h: int, level: float = 80, X_future: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Concatenated forecasts of every chunk (see the model's own ``predict``)."""
        return pd.concat(
            [p.predict(h, level=level, X_future=X_future) for p in self.parts], ignore_index=True
        )


def _fit_predict(name: str, params: dict, frame: pd.DataFrame, h: int, level: float, X_future):
    """Fit one model on a frame and forecast (module level so executors can pickle it)."""
    model = make_model(name, **params)
    model.fit(frame)
    return model, model.predict(h, level=level, X_future=X_future)


def fit_on_executor(
    executor: Executor, name, params, frame, h, level, should_stop, *, X_future=None
):
    uids = list(pd.unique(frame["unique_id"]))
    n_chunks = min(len(uids), 32)
    chunks = [list(c) for c in np.array_split(np.asarray(uids, dtype=object), n_chunks)]
    freq = frame_freq(frame)  # set in attrs by run_forecast: no inference here
    observed = observed_drivers(frame)
    futures = []
    for chunk in chunks:
        part = frame[frame["unique_id"].isin(chunk)].reset_index(drop=True)
        part = part.drop(columns=observed)  # roles in attrs may not survive the trip
        part.attrs.update(frame.attrs)  # the frequency and the drivers' roles
        part.attrs["freq"] = freq
        future = None if X_future is None else X_future[X_future["unique_id"].isin(chunk)]
        futures.append(executor.submit(_fit_predict, name, params, part, h, level, future))
    results = []
    try:
        for fut in futures:
            while True:
                if should_stop is not None and should_stop():
                    raise Cancelled(f"{name}: cancelled")
                try:
                    results.append(fut.result(timeout=0.5))
                    break
                except TimeoutError:
                    continue
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    model = ChunkedModel(name, [r[0] for r in results])
    return model, pd.concat([r[1] for r in results], ignore_index=True)
