"""How should the members without a regression of their own estimate the drivers' effect?

Run:  nice -n 10 .venv/bin/python -m benchmarks.studies.drivers_rules.regression
          [--origins 3] [--datasets elec,...] [--methods ar1,diff,arima] [--save FILE]

``ets``, ``stheta`` and ``pretrained`` take known drivers by dynamic regression
(:class:`forecast.models.drivers.LinearDrivers`: the effect estimated, the member forecasting
what it leaves). Per dataset of ``benchmarks/drivers.py`` and rolling origin (step = horizon,
the last ending at the end of the data), each member is fitted once on the history with the
drivers by each estimation method (:data:`forecast.models.drivers.METHODS`) and once without,
and scored on the next ``h`` steps (their actual driver values given: perfect knowledge).
``arima`` (its own regression with ARIMA errors) is fitted once. ``mean``: the equal-weight
mean of the four members with drivers, the combination ``auto`` makes by default. No backtest
and no with/without choice: the members' own accuracy, cheaply; ``benchmarks/drivers.py``
confirms a method in the product's job. MASE (in-sample seasonal-naive scale), mean over
origins.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchmarks.competition import mase  # noqa: E402

MEMBERS = ("ets", "stheta", "pretrained")


def _bench():
    spec = importlib.util.spec_from_file_location("drivers_bench", ROOT / "benchmarks/drivers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def one(name: str, origin: int, methods: list[str]) -> dict:
    """Every member and method at one origin: the test MASE and the forecasts."""
    import forecast.models.drivers as drv
    from forecast.models import make_model

    warnings.simplefilter("ignore")
    bench = _bench()
    frame, h, m, freq = bench.load(name)
    drivers = [c for c in frame.columns if c not in ("ds", "y")]
    cut = len(frame) - h * origin
    train, test = frame.iloc[:cut], frame.iloc[cut : cut + h]
    y_train, y_test = train["y"].to_numpy(float), test["y"].to_numpy(float)
    history = bench._long(train, freq)
    future = bench._long(test[["ds", *drivers]], freq)
    plain = bench._long(train[["ds", "y"]], freq)
    fcs, cpu = {}, {}

    def run(label, model, df, xf):
        start = resource.getrusage(resource.RUSAGE_SELF).ru_utime
        fitted = model.fit(df)
        fcs[label] = fitted.predict(h, X_future=xf)["yhat"].to_numpy(float)
        cpu[label] = resource.getrusage(resource.RUSAGE_SELF).ru_utime - start

    run("arima", make_model("arima"), history, future)
    run("arima none", make_model("arima"), plain, None)
    for member in MEMBERS:
        run(f"{member} none", make_model(member), plain, None)
        for method in methods:
            drv.METHOD = method
            run(f"{member} {method}", make_model(member), history, future)
    drv.METHOD = "ar1"
    for method in methods:
        fcs[f"mean {method}"] = np.mean([fcs["arima"], *(fcs[f"{x} {method}"] for x in MEMBERS)], 0)
    fcs["mean none"] = np.mean([fcs["arima none"], *(fcs[f"{x} none"] for x in MEMBERS)], 0)
    scores = {k: mase([y_train], y_test[None, :], v[None, :], m) for k, v in fcs.items()}
    return {
        "dataset": name,
        "origin": origin,
        "scores": scores,
        "cpu": cpu,
        "y_test": y_test.tolist(),
        "forecasts": {k: v.tolist() for k, v in fcs.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--datasets", default="elec,insurance,juice,uschange,sim,sim-unrelated")
    parser.add_argument("--methods", default="ar1,diff,arima")
    parser.add_argument("--save", default="")
    opts = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    methods = [v for v in opts.methods.split(",") if v]
    rows = []
    start = time.perf_counter()
    for name in [v for v in opts.datasets.split(",") if v]:
        for origin in range(1, opts.origins + 1):
            rec = one(name, origin, methods)
            if opts.save:
                with open(opts.save, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(rec) + "\n")
            rows.append({"dataset": name, "origin": origin, **rec["scores"]})
            print(
                f"{name} origin {origin}: "
                + ", ".join(f"{k} {v:.3f}" for k, v in rec["scores"].items())
                + f"; cpu s {sum(rec['cpu'].values()):.0f}",
                flush=True,
            )
    raw = pd.DataFrame(rows).drop(columns="origin").groupby("dataset", sort=False).mean()
    pd.set_option("display.width", 220)
    for group in (*MEMBERS, "mean"):
        cols = [c for c in raw.columns if c.split()[0] == group]
        print(f"\n{group} (MASE; arima = AutoARIMA + X)")
        print(raw[[*cols, "arima", "arima none"]].to_string(float_format=lambda v: f"{v:.3f}"))
    print(f"\n{time.perf_counter() - start:.0f} s; load {os.getloadavg()}")


if __name__ == "__main__":
    main()
