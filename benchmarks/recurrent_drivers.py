"""Drivers in the recurrent networks, measured: covariate channels against dynamic regression
against no drivers.

Run:  nice -n 10 .venv/bin/python benchmarks/recurrent_drivers.py [--origins 3]
          [--models gru,esn (any of rnn,lstm,gru,bilstm,esn)] [--datasets sim-known,sim-observed,insurance,elec]

For each dataset and each of ``--origins`` rolling origins (step = horizon, the last one ending
at the end of the data), every model is fitted three times on the history before the origin —
``drivers="channels"``, ``drivers="regression"`` and on ``unique_id, ds, y`` alone — and
forecasts the next ``h`` steps, given the known drivers' actual values over them (the
perfect-knowledge assumption, for every variant alike). One torch thread, seed 0, the models'
default settings otherwise.

Datasets:

- ``sim-known``: 6 daily series of 200 days, ``y_t = 20 + 2 sin(2 pi t / 7) + AR(1) noise + 3 x_t`` with
  ``x`` white noise known in advance, h = 7;
- ``sim-observed``: 6 daily series of 200 days, ``y_t = 20 + AR(1) noise + 2 x_{t-1}`` with ``x`` observed
  only (no future given; regression cannot use it), h = 1;
- ``insurance``: fpp2 ``insurance``, quotes ~ TV advertising and its lag (known), h = 4;
- ``elec``: fpp2 ``elecdemand`` aggregated to daily, drivers temperature, its square and the
  working-day flag (known), h = 14 (as ``benchmarks/drivers.py`` builds them).

MASE (in-sample seasonal-naive scale, m = 7 daily, 12 monthly), mean over series and origins.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from competition import mase

MODES = ("channels", "regression", "none")


def _simulated(observed: bool, n: int = 200, series: int = 6, seed: int = 11):
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(series):
        x = rng.normal(0, 1, n + 1)  # x[t + 1] is x_t
        noise = np.zeros(n)
        for t in range(1, n):
            noise[t] = 0.6 * noise[t - 1] + rng.normal(0, 0.5)
        t = np.arange(n)
        if observed:
            y = 20 + noise + 2 * x[:-1]
        else:
            y = 20 + 2 * np.sin(2 * np.pi * t / 7) + noise + 3 * x[1:]
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": f"s{k}",
                    "ds": pd.date_range("2021-01-01", periods=n, freq="D"),
                    "y": y + 5 * k,
                    "x": x[1:],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def load(name: str) -> tuple[pd.DataFrame, int, int, str, list[str]]:
    """``(long frame, h, m, freq, observed-only drivers)``."""
    if name == "sim-known":
        return _simulated(False), 7, 7, "D", []
    if name == "sim-observed":
        return _simulated(True), 1, 7, "D", ["x"]
    from drivers import load as load_dev

    frame, h, m, freq = load_dev(name)
    return frame.assign(unique_id="series")[["unique_id", *frame.columns]], h, m, freq, []


def one_origin(name: str, origin: int, models: list[str]) -> list[dict]:
    from forecast.ingest.frame import with_observed
    from forecast.models import make_model

    df, h, m, freq, observed = load(name)
    drivers = [c for c in df.columns if c not in ("unique_id", "ds", "y")]
    known = [c for c in drivers if c not in observed]
    pos = df.groupby("unique_id").cumcount()
    size = df.groupby("unique_id")["y"].transform("size")
    cut = size - h * origin
    train = df[pos < cut].reset_index(drop=True)
    test = df[(pos >= cut) & (pos < cut + h)].reset_index(drop=True)
    train.attrs["freq"] = freq
    with_observed(train, observed)
    plain = train[["unique_id", "ds", "y"]].copy()
    plain.attrs["freq"] = freq
    future = test[["unique_id", "ds", *known]] if known else None
    ids = list(pd.unique(train["unique_id"]))
    y_train = [train.loc[train["unique_id"] == u, "y"].to_numpy(float) for u in ids]
    y_test = np.stack([test.loc[test["unique_id"] == u, "y"].to_numpy(float) for u in ids])
    rows = []
    for model in models:
        for mode in MODES:
            params = {"horizon": h, "seed": 0, "threads": 1}
            if mode != "none":
                params["drivers"] = mode
            start = time.perf_counter()
            est = make_model(model, **params).fit(plain if mode == "none" else train)
            fc = est.predict(h, X_future=None if mode == "none" else future)
            seconds = time.perf_counter() - start
            yhat = np.stack([fc.loc[fc["unique_id"] == u, "yhat"].to_numpy(float) for u in ids])
            rows.append(
                {
                    "dataset": name,
                    "origin": origin,
                    "model": model,
                    "mode": mode,
                    "mase": mase(y_train, y_test, yhat, m),
                    "seconds": seconds,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--models", default="gru,esn")
    parser.add_argument("--datasets", default="sim-known,sim-observed,insurance,elec")
    opts = parser.parse_args()
    warnings.simplefilter("ignore")
    models = [s.strip() for s in opts.models.split(",") if s.strip()]
    names = [s.strip() for s in opts.datasets.split(",") if s.strip()]
    start = time.perf_counter()
    rows = []
    for name in names:
        for origin in range(1, opts.origins + 1):
            part = one_origin(name, origin, models)
            rows.extend(part)
            print(
                f"{name} origin {origin}: "
                + ", ".join(f"{r['model']}/{r['mode']} {r['mase']:.3f}" for r in part),
                flush=True,
            )
    raw = pd.DataFrame(rows)
    table = raw.pivot_table(index=["dataset", "model"], columns="mode", values="mase")
    table = table[list(MODES)].reindex(
        pd.MultiIndex.from_product([names, models], names=["dataset", "model"])
    )
    table["channels / regression"] = table["channels"] / table["regression"]
    table["channels / none"] = table["channels"] / table["none"]
    seconds = raw.pivot_table(index=["dataset", "model"], columns="mode", values="seconds")
    table["s channels"] = seconds["channels"]
    table["s regression"] = seconds["regression"]
    pd.set_option("display.width", 200)
    print()
    print("MASE, mean over series and origins")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    summary = raw.pivot_table(index="dataset", columns="mode", values="mase")[list(MODES)]
    summary = summary.reindex(names)
    print()
    print("mean over models")
    print(summary.to_string(float_format=lambda v: f"{v:.3f}"))
    wins = (table["channels"] < table["regression"]).sum()
    print(
        f"\nchannels beat regression in {wins} of {len(table)} (dataset, model) cells; "
        f"{len(raw)} fits in {time.perf_counter() - start:.0f} s; "
        f"load {' '.join(f'{v:.2f}' for v in os.getloadavg())}"
    )


if __name__ == "__main__":
    main()
