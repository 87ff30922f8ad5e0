"""Count impossible statistics in ``forecast diagnose --json`` on short random seasonal series.

Run: ``.venv/bin/python benchmarks/diagnostics_ranges.py [--seeds 8] [--cli]``

The data: two families of 88 monthly series each, lengths n = 12, 18, 24, 30, 36, 42, 48, 60,
72, 84, 90 and 8 seeds each (the kind of short sales file a new user uploads): ``trend`` (random
level, linear trend, yearly sine of random amplitude and phase, white noise) and ``walk`` (a
random walk plus a yearly sine). They are written to one long CSV (``unique_id``,
``date``, ``sales``) and diagnosed the way the CLI does it: :func:`forecast.ingest.reader.read_csv` then
:func:`forecast.diagnostics.diagnose` (``--cli`` runs the ``forecast diagnose FILE --json``
command itself in a subprocess instead). Printed: per length, how many series have |PACF| > 1,
|ACF| > 1, the largest |PACF|, the lags shown and the PACF method.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

LENGTHS = (12, 18, 24, 30, 36, 42, 48, 60, 72, 84, 90)


FAMILIES = ("trend", "walk")


def make_series(n: int, seed: int, family: str = "trend") -> np.ndarray:
    """One short monthly series of a family (see the module docstring), shape (n,)."""
    rng = np.random.default_rng([n, seed, FAMILIES.index(family)])
    t = np.arange(n)
    level, slope = rng.uniform(50, 500), rng.normal(0, 2)
    amp, phase = rng.uniform(0, 40), rng.uniform(0, 2 * np.pi)
    season = amp * np.sin(2 * np.pi * t / 12 + phase)
    if family == "walk":
        return level + np.cumsum(rng.normal(0, rng.uniform(1, 20), n)) + season
    return level + slope * t + season + rng.normal(0, rng.uniform(1, 20), n)


def make_csv(path: Path, seeds: int) -> int:
    """Write the long CSV of ``2 * len(LENGTHS) * seeds`` series; returns how many."""
    frames = []
    for family in FAMILIES:
        for n in LENGTHS:
            for seed in range(seeds):
                dates = pd.date_range("2015-01-01", periods=n, freq="MS").strftime("%Y-%m-%d")
                frames.append(
                    pd.DataFrame(
                        {
                            "unique_id": f"{family}_n{n:03d}_s{seed}",
                            "date": dates,
                            "sales": make_series(n, seed, family).round(2),
                        }
                    )
                )
    pd.concat(frames).to_csv(path, index=False)
    return len(frames)


def diagnose_file(path: Path, cli: bool) -> list[dict]:
    """The ``series`` list of ``forecast diagnose FILE --json``."""
    if cli:
        exe = Path(sys.executable).with_name("forecast")
        out = subprocess.run(
            [str(exe), "diagnose", str(path), "--json"], capture_output=True, text=True, check=True
        )
        return json.loads(out.stdout)["series"]
    from forecast.diagnostics import diagnose
    from forecast.ingest.reader import read_csv

    df, _ = read_csv(path)
    return [d.to_dict() for d in diagnose(df)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--cli", action="store_true", help="run the CLI in a subprocess")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "short_seasonal.csv"
        total = make_csv(path, args.seeds)
        series = diagnose_file(path, args.cli)
    assert len(series) == total
    rows: dict[tuple[str, int], dict] = {}
    for s in series:
        family, n = s["unique_id"].split("_")[0], int(s["unique_id"].split("_")[1][1:])
        new = {"series": 0, "pacf": 0, "acf": 0, "max": 0.0, "lags": set()}
        r = rows.setdefault((family, n), new)
        pacf, acf = np.abs(s["pacf"][1:]), np.abs(s["acf"][1:])
        r["series"] += 1
        r["pacf"] += bool(len(pacf) and pacf.max() > 1)
        r["acf"] += bool(len(acf) and acf.max() > 1)
        r["max"] = max(r["max"], float(pacf.max()) if len(pacf) else 0.0)
        r["lags"].add(len(s["pacf"]) - 1)
    method = series[0].get("pacf_method", "(not reported)")
    print(f"PACF method: {method}")
    print("| family | n | series | abs(PACF) > 1 | abs(ACF) > 1 | largest abs(PACF) | lags |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for (family, n), r in sorted(rows.items()):
        lags = ",".join(str(k) for k in sorted(r["lags"]))
        cells = f"{r['series']} | {r['pacf']} | {r['acf']} | {r['max']:.2f} | {lags}"
        print(f"| {family} | {n} | {cells} |")
    for family in FAMILIES:
        part = [r for (f, _), r in rows.items() if f == family]
        cells = (
            f"{sum(r['series'] for r in part)} | {sum(r['pacf'] for r in part)} | "
            f"{sum(r['acf'] for r in part)} | {max(r['max'] for r in part):.2f} |"
        )
        print(f"| {family} | all | {cells} |")


if __name__ == "__main__":
    main()
