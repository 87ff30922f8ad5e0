"""The Results page's per-series table with many series: server time per page, sort and filter.

Writes a ``leaderboard_by_series.csv`` of N synthetic series (keys store x product), then times
what the page's callback does: reading the CSV once (the page caches it per job), the first page,
a multi-column sort, a filter, and a page deep in the table. Seconds are wall time of the median
of 5 repetitions.

Usage::

    nice -n 10 .venv/bin/python benchmarks/series_table.py --series 1000,10000,100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.run.table_page import table_page as series_page


def write_table(n: int, path: Path) -> None:
    rng = np.random.default_rng(0)
    mase = rng.gamma(2.0, 0.5, n)
    stores = [f"S{i % 100:03d}" for i in range(n)]
    products = [f"P{i // 100:04d}" for i in range(n)]
    pd.DataFrame(
        {
            "unique_id": [f"{s} / {p}" for s, p in zip(stores, products, strict=True)],
            "model": rng.choice(["auto", "ets", "snaive"], n),
            "mase": mase,
            "skill": 1 - mase / rng.gamma(2.0, 0.6, n),
            "coverage": rng.uniform(0.5, 1.0, n),
            "residuals_white": rng.random(n) > 0.3,
            "residual_verdict": "no autocorrelation left (Ljung-Box p = 0.31 at lags 10, 24)",
            "best_model": "ets",
            "best_mase": mase * 0.9,
            "evaluation": "backtest of 3 windows",
            "store": stores,
            "product": products,
            "level": "store/product",
        }
    ).sort_values("mase", ascending=False).to_csv(path, index=False)


def timed(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", default="1000,10000,100000")
    args = parser.parse_args()
    print("| series | read CSV s | first page s | sort 2 columns s | filter s | page 500 s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.series.split(",")]:
            path = Path(tmp) / f"by_series_{n}.csv"
            write_table(n, path)
            read = timed(lambda path=path: pd.read_csv(path, dtype={"unique_id": str}))
            frame = pd.read_csv(path, dtype={"unique_id": str})
            sort = [
                {"column_id": "model", "direction": "asc"},
                {"column_id": "skill", "direction": "asc"},
            ]
            cells = [
                read,
                timed(lambda frame=frame: series_page(frame)),
                timed(lambda frame=frame, sort=sort: series_page(frame, sort_by=sort)),
                timed(lambda frame=frame: series_page(frame, query="{mase} > 1 && {store} = S042")),
                timed(lambda frame=frame: series_page(frame, page=500)),
            ]
            print(f"| {n:,} | " + " | ".join(f"{c:.3f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
