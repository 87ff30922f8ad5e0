"""The scenario editor's re-forecast, timed: other future drivers, the stored models, no new job.

Run:  nice -n 10 .venv/bin/python benchmarks/scenario.py [--models ets,arima,auto] [--repeats 10]

fpp2 ``elecdemand`` summed to days (``benchmarks/drivers.py``'s ``elec``: demand, the day's
mean temperature, its square, the working-day flag; h = 14), the last 14 days held back as the
drivers' known future. One job's worth of work is run and written as a job writes it
(:func:`forecast.run.pipeline.run_forecast`, :func:`forecast.run.outputs.write_run`), read back
(:func:`forecast.run.outputs.read_run`), and then, side by side in this run:

- ``scenario``: the Results page's re-forecast — temperature +2 °C (its square recomputed), the
  stored models re-applied (:func:`forecast.run.scenario.scenario_forecast`); the median of
  ``--repeats`` calls after the models are loaded once (the page keeps them per job), and the
  first call with the loading;
- ``forecast predict``: the same re-forecast as a fresh ``forecast predict`` process per member
  model on a file holding the edited future (the median of 3), and whether it agrees;
- ``new job``: the job itself (backtest, refit, both ``auto``s), once.

Target: the scenario's median under 1 s. Prints the load average beside the times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DRIVERS = ["temp", "temp2", "workday"]


def _edited(future: pd.DataFrame) -> pd.DataFrame:
    from forecast.run.scenario import apply_shifts

    out = apply_shifts(future, {"temp": "+2"})
    out["temp2"] = (out["temp"] - 20.0) ** 2
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="ets,arima,auto")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--windows", type=int, default=3)
    args = parser.parse_args()

    from drivers import load

    from forecast.run.outputs import read_run, write_run
    from forecast.run.pipeline import run_forecast
    from forecast.run.scenario import load_models, scenario_forecast, scenario_plan

    frame, h, _m, freq = load("elec")
    frame = frame.assign(unique_id="elec")[["unique_id", "ds", "y", *DRIVERS]]
    history = frame.iloc[:-h].reset_index(drop=True)
    history.attrs["freq"] = freq
    future = frame.iloc[-h:][["unique_id", "ds", *DRIVERS]].reset_index(drop=True)
    started = time.perf_counter()
    result = run_forecast(
        history, horizon=h, models=args.models, backtest_windows=args.windows, X_future=future
    )
    job_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="scenario-bench-") as tmp:
        files, _ = write_run(result, Path(tmp) / "run", memory=False)
        run = read_run(files, history=result.history)
        edited = _edited(run.future_drivers)
        started = time.perf_counter()
        plan = scenario_plan(run)
        models = load_models(run, plan.models)
        first = scenario_forecast(run, edited, models, plan)
        first_s = time.perf_counter() - started
        times = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            scenario = scenario_forecast(run, edited, models, plan)
            times.append(time.perf_counter() - started)
        assert np.allclose(first["yhat"], scenario["yhat"])
        # the same through fresh `forecast predict` processes, one per member
        csv = Path(tmp) / "edited.csv"
        rows = pd.concat(
            [
                run.history[["ds", "y", *DRIVERS]],
                edited[["ds", *DRIVERS]].assign(y=np.nan),
            ],
            ignore_index=True,
        ).rename(columns={"y": "demand"})
        rows.to_csv(csv, index=False)
        members = [m for m, _ in plan.members["elec"]]
        predict_times, fresh = [], []
        for repeat in range(3):
            started = time.perf_counter()
            yhats = []
            for name in members:
                out = Path(tmp) / f"predict-{name}-{repeat}"
                subprocess.run(
                    [sys.executable, "-m", "forecast", "predict", str(run.models[name]),
                     str(csv), "--horizon", str(h), "--value-col", "demand",
                     "--drivers", ",".join(DRIVERS), "--out", str(out)],
                    check=True, capture_output=True,
                )  # fmt: skip
                yhats.append(pd.read_csv(out / "forecasts.csv")["yhat"].to_numpy())
            predict_times.append(time.perf_counter() - started)
            fresh = yhats
        agrees = bool(np.allclose(np.mean(fresh, axis=0), scenario["yhat"], atol=1e-6))
    change = float((scenario["yhat"] - scenario["baseline"]).mean())
    median = statistics.median(times)
    load_avg = Path("/proc/loadavg").read_text().split()[:3]
    print(f"elecdemand daily, h = {h}, models {args.models}, members {', '.join(members)}")
    print(f"scenario: temperature +2 °C moves the forecast by {change:+.1f} GWh a day on average")
    print()
    print("| method | seconds | vs scenario |")
    print("|---|---:|---:|")
    print(f"| scenario (median of {args.repeats}) | {median:.3f} | 1.0 |")
    print(f"| scenario, first call with loading | {first_s:.3f} | {first_s / median:.1f} |")
    p = statistics.median(predict_times)
    print(f"| forecast predict per member (median of 3) | {p:.2f} | {p / median:.0f} |")
    print(f"| new job | {job_s:.1f} | {job_s / median:.0f} |")
    print()
    print(f"forecast predict agrees with the scenario: {agrees}")
    print(f"target < 1 s: {'met' if median < 1 else 'missed'}; load average {' '.join(load_avg)}")


if __name__ == "__main__":
    main()
