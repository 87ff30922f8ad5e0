"""Time the full diagnosis of one series of 1k, 100k and 1M points, pinned to one CPU core.

Run: ``.venv/bin/python benchmarks/diagnostics.py [--sizes 1000 100000 1000000] [--repeat 3]``

The series is daily (prior period 7): a trend, a weekly pattern and AR(1) noise. Printed: the
median wall time and CPU time (``time.process_time``, what one core spends, robust to a busy
machine) of :func:`forecast.diagnostics.diagnose_series` over ``--repeat`` runs, and the wall
time of its stages, each timed on its own (the stages run inside ``diagnose_series`` share nothing, so
their sum is close to the total).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from scipy.signal import lfilter  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from forecast.diagnostics import (  # noqa: E402
    adf_test,
    autocorrelation,
    default_nlags,
    diagnose_series,
    ljung_box,
    ljung_box_lags,
    ndiffs,
    seasonal_period,
    strengths,
    suggested_arima_order,
)


def make_series(n: int, seed: int = 0) -> np.ndarray:
    """Daily-like series: trend + weekly pattern + AR(1) noise, shape (n,)."""
    rng = np.random.default_rng(seed)
    noise = lfilter([1.0], [1.0, -0.6], rng.normal(size=n))  # AR(1), phi = 0.6
    t = np.arange(n)
    return 0.001 * t + 2.0 * np.sin(2 * np.pi * t / 7) + noise


def _median_time(fn, repeat: int, clock=time.perf_counter) -> float:
    times = []
    for _ in range(repeat):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def run(sizes: list[int], repeat: int) -> list[dict]:
    """Time every size; returns one row per size (seconds)."""
    rows = []
    for n in sizes:
        x = make_series(n)
        d = diagnose_series(x, freq="D")  # warm-up, and the facts for the table
        k = d.nlags
        with threadpool_limits(limits=1, user_api="blas"):
            stages = {
                "season": lambda x=x: seasonal_period(x, "D"),
                "acf+pacf": lambda x=x, k=k: autocorrelation(x, k),
                "ljung-box": lambda x=x, k=k: ljung_box(x, ljung_box_lags(len(x), k, 7)),
                "adf": lambda x=x: adf_test(x),
                "kpss/ndiffs": lambda x=x: ndiffs(x),
                "stl": lambda x=x: strengths(x, 7),
                "orders": lambda x=x: suggested_arima_order(x, 7, seasonal_diffs=0),
            }
            timed = {name: _median_time(fn, repeat) for name, fn in stages.items()}
        total = _median_time(lambda x=x: diagnose_series(x, freq="D"), repeat)
        cpu = _median_time(lambda x=x: diagnose_series(x, freq="D"), repeat, time.process_time)
        rows.append(
            {"n": n, "m": d.seasonal_period, "nlags": k, "total": total, "cpu": cpu, **timed}
        )
        assert k == default_nlags(n, 7)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    rows = run(args.sizes, args.repeat)
    stages = ["season", "acf+pacf", "ljung-box", "adf", "kpss/ndiffs", "stl", "orders"]
    names = ["points", "m", "lags", "total s", "total CPU s", *(f"{c} s" for c in stages)]
    print("| " + " | ".join(names) + " |")
    print("|" + "|".join("---:" for _ in names) + "|")
    for r in rows:
        cells = [f"{r['n']:,}", str(r["m"]), str(r["nlags"])]
        cells += [f"{r[c]:.3f}" for c in ["total", "cpu", *stages]]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
