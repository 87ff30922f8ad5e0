"""What one fit of each model costs, in CPU seconds, by series length: the table behind the Run
page's estimate (``forecast/run/cost.py``, :data:`forecast.run.cost.FIT_COST`).

Run:  nice -n 10 .venv/bin/python benchmarks/job_cost.py [--models snaive,ets,...] [--reps 2]

For every model and every (frequency, length) of a small grid of synthetic seasonal series
(monthly m = 12 and quarterly m = 4, lengths 40-960), one ``fit`` on a one-series frame plus
``predict(h)`` is timed in CPU seconds of this process (``time.process_time``: on a shared
machine the load changes wall time, not the work), the fastest of ``--reps``. A least-squares
line ``a + b * n / 100`` per model is printed beside the measurements; those are the numbers to
copy into ``FIT_COST``. Global (neural) models are timed on a frame of 8 series and reported per
100 points of the whole frame.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

os.environ.setdefault("OMP_NUM_THREADS", "1")

from forecast.models import make_model
from forecast.models.registry import model_class

GRID = {"MS": (12, (40, 120, 400, 960)), "QS": (4, (24, 80, 200))}


def frame(n: int, freq: str, m: int, series: int = 1, seed: int = 0) -> pd.DataFrame:
    """``series`` seasonal series with trend and noise, ``n`` points each."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    parts = [
        pd.DataFrame(
            {
                "unique_id": f"s{k}",
                "ds": pd.date_range("1940-01-01", periods=n, freq=freq),
                "y": 100 + k + 0.2 * t + 8 * np.sin(2 * np.pi * t / m) + rng.normal(0, 2, n),
            }
        )
        for k in range(series)
    ]
    df = pd.concat(parts, ignore_index=True)
    df.attrs["freq"] = freq
    return df


def cpu_seconds(name: str, df: pd.DataFrame, h: int, reps: int) -> float:
    """Fastest CPU time of ``fit`` + ``predict`` over ``reps`` tries."""
    params = {"horizon": h} if "horizon" in model_class(name).run_options() else {}
    best = np.inf
    for _ in range(reps):
        start = time.process_time()
        make_model(name, **params).fit(df).predict(h)
        best = min(best, time.process_time() - start)
    return float(best)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="snaive,naive,drift,ets,stheta,theta,arima,pretrained")
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; CPU seconds")
    print("\n| model | freq | length | CPU s per fit |\n|---|---|---|---|")
    fits = {}
    for name in args.models.split(","):
        xs, ys = [], []
        scope = model_class(name).scope
        for freq, (m, lengths) in GRID.items():
            for n in lengths:
                series = 1 if scope == "per_series" else 8
                df = frame(n, freq, m, series)
                h = 2 * m
                if n < 3 * h:
                    continue
                try:
                    s = cpu_seconds(name, df, h, args.reps)
                except Exception as exc:  # a model refusing a length is reported, not fatal
                    print(f"| {name} | {freq} | {n} | failed: {type(exc).__name__} |")
                    continue
                points = n * series
                print(f"| {name} | {freq} | {n} x {series} | {s:.3f} |")
                xs.append(points / 100)
                ys.append(s)
        if len(xs) >= 2:
            b, a = np.polyfit(xs, ys, 1)
            fits[name] = (max(a, 0.0), max(b, 0.0))
    print("\n| model | a (s per fit) | b (s per 100 points) |\n|---|---|---|")
    for name, (a, b) in fits.items():
        print(f"| {name} | {a:.4f} | {b:.4f} |")
    print("\nFIT_COST = {")
    for name, (a, b) in fits.items():
        print(f'    "{name}": ({a:.4f}, {b:.4f}),')
    print("}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
