"""Could a variant of ARIMA with drivers beat statsforecast's AutoARIMA with ``X``? Scored per origin.

Run:  nice -n 19 .venv/bin/python -m benchmarks.studies.drivers_members.run [--origins 3]
          [--datasets elec,juice,insurance] [--jobs 2]

Per dataset of ``benchmarks/drivers.py`` (its loaders) and rolling origin (step = horizon, the
last ending at the end of the data), each variant below is fitted on the history before the
origin with the drivers and forecasts the next ``h`` steps from their actual values (perfect
knowledge, as there). The peer is statsforecast's ``AutoARIMA(season_length=m)`` fitted with the
drivers as ``X`` (regression with ARIMA errors): the forecast the product's recommendation is
measured against. Variants:

- ``peer``: that model;
- ``full search``: ``stepwise=False`` (every order within the limits);
- ``larger orders``: ``max_p = max_q = 8``, ``max_P = max_Q = 3``, ``max_order = 12`` (the
  defaults are 5, 5, 2, 2 and 5);
- ``d = 1``: one regular difference forced;
- ``no season``: ``seasonal=False``;
- ``log y``: fitted on ``log y``, forecast ``exp`` of the log forecast (where every ``y > 0``);
- ``log y, bias adj.``: ``exp(mu + s^2 / 2)``, ``s`` the per-step forecast standard deviation
  from the model's 95 % interval on the log scale (``(hi - mu) / 1.96``);
- ``fourier K`` (daily data only): ``K`` annual Fourier pairs (period 365.25 days, counted from
  the first day of the data) as extra drivers, ``K = 2, 3``;
- ``mean peer + log``, ``mean peer + fourier 2``: the equal-weight mean of the peer and that
  variant.

MASE (in-sample seasonal-naive scale, ``benchmarks/m3.py``), mean over origins; the ratio is a
variant's mean MASE over the peer's. The per-origin part shows, for each dataset's best variant,
its MASE and the peer's at every origin (origin 1 is the latest), so that a gain made at one
origin shows as such.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))  # benchmarks/drivers.py imports m3 as a module

from benchmarks.drivers import load  # noqa: E402
from benchmarks.m3 import mase  # noqa: E402

PERIOD = 365.25  # days in a year, for the annual Fourier pairs
Z95 = 1.959964  # standard normal quantile of the 95 % interval's upper end

SEARCH = {
    "peer": {},
    "full search": {"stepwise": False},
    "larger orders": {"max_p": 8, "max_q": 8, "max_P": 3, "max_Q": 3, "max_order": 12},
    "d = 1": {"d": 1},
    "no season": {"seasonal": False},
}


def fourier(t: np.ndarray, pairs: int, period: float = PERIOD) -> np.ndarray:
    """``pairs`` sine/cosine pairs of ``period`` at positions ``t``: shape ``(len(t), 2 * pairs)``."""
    angle = 2 * np.pi * np.asarray(t, dtype=float)[:, None] * np.arange(1, pairs + 1) / period
    return np.hstack([np.sin(angle), np.cos(angle)])


def _arima(y, h, X, Xf, m, level=None, **options) -> dict:
    from statsforecast.models import AutoARIMA

    model = AutoARIMA(season_length=m, **options)
    return model.forecast(y, h, X=X, X_future=Xf, level=level)


def one_origin(args: tuple[str, int]) -> dict:
    """Every variant's test MASE at one origin of one dataset."""
    name, origin = args
    warnings.simplefilter("ignore")
    frame, h, m, freq = load(name)
    drivers = [c for c in frame.columns if c not in ("ds", "y")]
    cut = len(frame) - h * origin
    y = frame["y"].to_numpy(float)
    y_train, y_test = y[:cut], y[cut : cut + h]
    X_all = frame[drivers].to_numpy(float)
    X, Xf = X_all[:cut], X_all[cut : cut + h]
    fcs, seconds = {}, {}

    def timed(label, fn):
        start = time.perf_counter()
        fcs[label] = np.asarray(fn(), dtype=float)
        seconds[label] = time.perf_counter() - start

    for label, options in SEARCH.items():
        timed(label, lambda o=options: _arima(y_train, h, X, Xf, m, **o)["mean"])
    if np.all(y_train > 0):
        start = time.perf_counter()
        log = _arima(np.log(y_train), h, X, Xf, m, level=[95])
        mu = np.asarray(log["mean"], dtype=float)
        sd = (np.asarray(log["hi-95"], dtype=float) - mu) / Z95
        fcs["log y"] = np.exp(mu)
        fcs["log y, bias adj."] = np.exp(mu + sd**2 / 2)
        seconds["log y"] = seconds["log y, bias adj."] = time.perf_counter() - start
        fcs["mean peer + log"] = (fcs["peer"] + fcs["log y"]) / 2
    if freq == "D":
        t = np.arange(len(frame))
        for pairs in (2, 3):
            F = np.hstack([X_all, fourier(t, pairs)])
            timed(
                f"fourier {pairs}",
                lambda F=F: _arima(y_train, h, F[:cut], F[cut : cut + h], m)["mean"],
            )
        fcs["mean peer + fourier 2"] = (fcs["peer"] + fcs["fourier 2"]) / 2
    scores = {k: mase([y_train], y_test[None, :], v[None, :], m) for k, v in fcs.items()}
    return {"dataset": name, "origin": origin, "scores": scores, "seconds": seconds}


def tables(rows: list[dict], names: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The mean-MASE table (dataset, variant, mean MASE, ratio to peer) and, per dataset, the
    best variant's MASE and the peer's at every origin."""
    long = pd.DataFrame(
        [
            {"dataset": r["dataset"], "origin": r["origin"], "variant": k, "MASE": v}
            for r in rows
            for k, v in r["scores"].items()
        ]
    )
    summary, per_origin = [], []
    for name in names:
        part = long[long["dataset"] == name]
        means = part.groupby("variant", sort=False)["MASE"].mean()
        for variant, value in means.items():
            summary.append(
                {
                    "dataset": name,
                    "variant": variant,
                    "mean MASE": value,
                    "ratio to peer": value / means["peer"],
                }
            )
        best = means.drop("peer").idxmin()
        wide = part.pivot(index="origin", columns="variant", values="MASE").sort_index()
        for origin, row in wide.iterrows():
            per_origin.append(
                {
                    "dataset": name,
                    "best variant": best,
                    "origin": origin,
                    "variant MASE": row[best],
                    "peer MASE": row["peer"],
                    "ratio": row[best] / row["peer"],
                }
            )
    return pd.DataFrame(summary), pd.DataFrame(per_origin)


def _markdown(table: pd.DataFrame) -> str:
    def cell(v):
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(table.columns) + " |"]
    lines.append(
        "|" + "|".join("---:" if table[c].dtype.kind in "fi" else "---" for c in table) + "|"
    )
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=3)
    parser.add_argument("--datasets", default="elec,juice,insurance")
    parser.add_argument("--jobs", type=int, default=2)
    opts = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    names = [n.strip() for n in opts.datasets.split(",") if n.strip()]
    tasks = [(n, k) for n in names for k in range(1, opts.origins + 1)]
    start = time.perf_counter()
    rows = []
    with ProcessPoolExecutor(opts.jobs) as pool:
        for fut in as_completed([pool.submit(one_origin, t) for t in tasks]):
            row = fut.result()
            rows.append(row)
            print(
                f"{row['dataset']} origin {row['origin']}: "
                + ", ".join(f"{k} {v:.3f}" for k, v in row["scores"].items())
                + f"; {sum(row['seconds'].values()):.0f} s",
                flush=True,
            )
    summary, per_origin = tables(rows, names)
    print()
    print(_markdown(summary))
    print()
    print(_markdown(per_origin))
    print(f"\n{len(tasks)} origins in {time.perf_counter() - start:.0f} s; load {os.getloadavg()}")


if __name__ == "__main__":
    main()
