"""Our statistical models (naive, snaive, drift, arima) as M3 runners (signature in m3.py).

ARIMA fits are spread over ``threads`` worker processes in chunks of series, the way
``forecast.run.pipeline.run_forecast`` fans per-series models out over an executor.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

__all__ = ["STAT_RUNNERS", "frame_of", "stat_runner"]

_FREQ = {12: "MS", 4: "QS", 1: "YS"}


def frame_of(train: list[np.ndarray], m: int, offset: int = 0) -> pd.DataFrame:
    """M3 training parts as one long frame with dates of the subset's frequency."""
    freq = _FREQ.get(m, "YS")
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"{offset + i:05d}",
                "ds": pd.date_range("1800-01-01", periods=len(x), freq=freq),
                "y": np.asarray(x, dtype=float),
            }
        )
        for i, x in enumerate(train)
    ]
    df = pd.concat(frames, ignore_index=True)
    df.attrs["freq"] = freq
    return df


def _fit_chunk(name: str, params: dict, train: list[np.ndarray], h: int, m: int, offset: int):
    from forecast.models import make_model

    model = make_model(name, season_length=m, **params)
    fc = model.fit(frame_of(train, m, offset)).predict(h)
    return fc["yhat"].to_numpy().reshape(len(train), h)


def stat_runner(name: str, **params):
    """Runner for one of our per-series models; ``threads > 1`` fans chunks out to processes."""

    def run(train, h, m, seed, threads):
        if threads <= 1 or name != "arima":
            return _fit_chunk(name, params, train, h, m, 0)
        n_chunks = min(len(train), threads * 8)
        bounds = np.linspace(0, len(train), n_chunks + 1).astype(int)
        with ProcessPoolExecutor(max_workers=threads) as pool:
            futures = [
                pool.submit(_fit_chunk, name, params, train[a:b], h, m, int(a))
                for a, b in itertools.pairwise(bounds)
                if b > a
            ]
            return np.concatenate([f.result() for f in futures])

    return run


STAT_RUNNERS = {
    "naive": stat_runner("naive"),
    "snaive": stat_runner("snaive"),
    "drift": stat_runner("drift"),
    "arima": stat_runner("arima"),
    "arima_statsmodels": stat_runner("arima", engine="statsmodels"),
}
