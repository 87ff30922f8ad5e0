"""Time forecast.ingest.reader.read_csv on generated CSVs of 10k, 100k and 1M rows and print a table.

Run:  .venv/bin/python benchmarks/ingest.py [--sizes 10000,100000,1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from forecast.ingest.reader import read_csv


def make_csv(n: int, kind: str) -> bytes:
    """A one-series CSV of n rows: ISO hourly timestamps, or day-first hourly dates with decimal commas."""
    rng = np.random.default_rng(0)
    values = rng.normal(100, 10, n).round(3)
    if kind == "iso-hourly":
        ds = pd.date_range("2000-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M:%S")
        return pd.DataFrame({"timestamp": ds, "value": values}).to_csv(index=False).encode()
    ds = pd.date_range("1900-01-01", periods=n, freq="h").strftime("%d/%m/%Y %H:%M")
    text = pd.DataFrame({"Datum": ds, "Wert": [f"{v:.3f}".replace(".", ",") for v in values]})
    return text.to_csv(index=False, sep=";").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"| {'rows':>9} | {'format':<26} | {'MB':>6} | {'median s':>8} | {'rows/s':>10} |")
    print(f"|{'-' * 11}|{'-' * 28}|{'-' * 8}|{'-' * 10}|{'-' * 12}|")
    for n in (int(x) for x in args.sizes.split(",")):
        for kind in ("iso-hourly", "dayfirst-hourly-dec-comma"):
            data = make_csv(n, kind)
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                read_csv(data, max_bytes=10**9)
                times.append(time.perf_counter() - start)
            med = float(np.median(times))
            print(
                f"| {n:>9,} | {kind:<26} | {len(data) / 1e6:6.1f} | {med:8.2f} | {n / med:10,.0f} |"
            )


if __name__ == "__main__":
    main()
