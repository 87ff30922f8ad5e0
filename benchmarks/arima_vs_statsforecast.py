"""Our ARIMA (both engines) and baselines beside statsforecast's AutoARIMA on M3, with ratios.

Run:  .venv/bin/python benchmarks/arima_vs_statsforecast.py [--subset monthly] [--limit N]
      [--models arima,arima_statsmodels,snaive] [--threads K]

Prints sMAPE, MASE and seconds per model (M3 definitions, see m3.py) and each model's ratios to
``sf_autoarima``: sMAPE ratio (goal: within 1.02) and time ratio (goal: at most 2.0), all on the
same cores (``--threads``, default every core).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from baseline_runners import STAT_RUNNERS
from m3 import SUBSETS, _peer_runners, load_m3, mase, smape


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", default="monthly", choices=sorted(SUBSETS))
    parser.add_argument("--limit", type=int, default=None, help="first N series only")
    parser.add_argument("--models", default="arima,snaive,naive", help="our runners to compare")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)

    train, test, h, _ = load_m3(args.subset)
    if args.limit:
        train, test = train[: args.limit], test[: args.limit]
    m = SUBSETS[args.subset]
    y = np.stack(test)
    runners = {"sf_autoarima": _peer_runners()["sf_autoarima"]}
    for name in args.models.split(","):
        if name not in STAT_RUNNERS:
            raise SystemExit(f"error: unknown model '{name}'; choose from {sorted(STAT_RUNNERS)}")
        runners[name] = STAT_RUNNERS[name]
    rows = {}
    for name, run in runners.items():
        start = time.perf_counter()
        yhat = np.asarray(run(train, h, m, 0, args.threads), dtype=float)
        seconds = time.perf_counter() - start
        rows[name] = (smape(y, yhat), mase(train, y, yhat, m), seconds)
        print(
            f"  {name:<18} sMAPE {rows[name][0]:7.2f}  MASE {rows[name][1]:6.3f}  {seconds:8.1f} s",
            file=sys.stderr,
            flush=True,
        )
    ref = rows["sf_autoarima"]
    print(f"\nM3 {args.subset}: {len(train)} series, h={h}, m={m}, threads={args.threads}\n")
    print(
        f"| {'model':<18} | {'sMAPE':>7} | {'MASE':>6} | {'seconds':>8} | "
        f"{'sMAPE ratio':>11} | {'time ratio':>10} |"
    )
    print(f"|{'-' * 20}|{'-' * 9}|{'-' * 8}|{'-' * 10}|{'-' * 13}|{'-' * 12}|")
    for name, (s, ms, sec) in rows.items():
        print(
            f"| {name:<18} | {s:7.2f} | {ms:6.3f} | {sec:8.1f} | {s / ref[0]:11.3f} | "
            f"{sec / ref[2]:10.2f} |"
        )


if __name__ == "__main__":
    main()
