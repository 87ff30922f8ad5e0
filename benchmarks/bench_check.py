"""Accuracy guard: a small fixed slice of the single-file and the M3 benchmarks against the
figures recorded in ``bench_check.json``; exit 1 when one falls beyond the tolerance.

Run:  make bench-check        (or: nice -n 10 .venv/bin/python benchmarks/bench_check.py)
      ... --record            (write the figures of this run as the new record)

The slice (fixed, a few minutes on 2 cores):

- **single file**: :data:`SINGLE` — 12 monthly and 12 quarterly series of the report part of
  the M3 half kept out of pretraining, the sample of ``single_series.py --part report
  --monthly 12 --quarterly 12`` (seed 0): each written to its own CSV and run through
  ``forecast run FILE --horizon H`` with the defaults, beside statsforecast's peers;
- **M3 global**: :data:`GLOBAL` — the first 200 M3 monthly series, the global networks ``esn``
  and ``gru`` trained on them (one thread, seed 0), and statsforecast's SeasonalNaive and
  Theta (``m3.py``).

A figure (mean sMAPE or mean MASE of a method) fails when it is more than :data:`TOLERANCE`
(relative) above its record; a lower figure passes and says so (record it with ``--record``
when the change is meant). The seeds are fixed, so a run on the same code reproduces the record
up to float noise of the thread count; the tolerance is far above that and below any change
worth knowing. Peers are guarded too: a peer that moves means the harness changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import single_series as ss
from competition import held_out_part, load_m3, mase, sample, smape

RECORD = Path(__file__).with_name("bench_check.json")
#: Relative tolerance of every figure: 2 % above the record fails.
TOLERANCE = 0.02
#: The single-file slice: subset -> series from the report part.
SINGLE = {"monthly": 12, "quarterly": 12}
#: The global slice: first N M3 monthly series, and the runners.
GLOBAL = {"subset": "monthly", "limit": 200, "models": ("sf_snaive", "sf_theta", "esn", "gru")}


def single_file_figures(jobs: int = 2) -> dict:
    """``{"monthly": {method: {"smape", "mase"}}, "quarterly": ...}`` of the single-file slice."""
    out = {}
    for subset, n in SINGLE.items():
        m, freq = ss.SUBSETS[subset]
        train_all, test_all, h, ids = load_m3(subset)
        pool = held_out_part(subset, ids, "report")
        idx = pool[sample(len(pool), n, 0)]
        train = [train_all[i] for i in idx]
        test = [np.asarray(test_all[i][:h], dtype=float) for i in idx]
        with tempfile.TemporaryDirectory() as tmp:
            ours = ss.run_ours(train, h, freq, Path(tmp), jobs, [])
        failed = [r["error"] for r in ours if "error" in r]
        if failed:
            raise SystemExit(f"error: {len(failed)} files failed, first: {failed[0]}")
        peers, seconds = ss.run_peers(train, h, m, freq)
        rows = ss.table_rows(train, test, m, ours, peers, seconds)
        out[subset] = {
            r["method"]: {"smape": round(r["smape"], 4), "mase": round(r["mase"], 5)}
            for r in rows
            if "mase" in r
        }
    return out


def global_figures(threads: int = 1) -> dict:
    """``{"monthly-200": {runner: {"smape", "mase"}}}`` of the M3 global slice."""
    import m3

    subset, limit = GLOBAL["subset"], GLOBAL["limit"]
    train, test, h, _ = load_m3(subset)
    train, y = train[:limit], np.stack(test[:limit])
    runners = m3.all_runners()
    figures = {}
    for name in GLOBAL["models"]:
        yhat = np.asarray(runners[name](train, h, m3.SUBSETS[subset], 0, threads), dtype=float)
        figures[name] = {
            "smape": round(smape(y, yhat), 4),
            "mase": round(mase(train, y, yhat, m3.SUBSETS[subset]), 5),
        }
    return {f"{subset}-{limit}": figures}


def compare(record: dict, now: dict, tolerance: float = TOLERANCE) -> tuple[list[str], list[str]]:
    """Rows ``part | method | metric | record | now | verdict`` and the failures among them."""
    rows, failures = [], []
    for part, methods in record.items():
        for method, metrics in methods.items():
            for metric, want in metrics.items():
                got = now.get(part, {}).get(method, {}).get(metric)
                if got is None:
                    verdict = "MISSING"
                elif got > want * (1 + tolerance):
                    verdict = f"WORSE by {100 * (got / want - 1):.1f} %"
                elif got < want * (1 - tolerance):
                    verdict = f"better by {100 * (1 - got / want):.1f} % (record it)"
                else:
                    verdict = "ok"
                row = f"| {part} | {method} | {metric} | {want:.4g} | {got} | {verdict} |"
                rows.append(row)
                if verdict == "MISSING" or verdict.startswith("WORSE"):
                    failures.append(row)
    return rows, failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help="write this run as the record")
    parser.add_argument("--jobs", type=int, default=2, help="CLI processes at a time")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    now = {
        "single-file " + k: v for k, v in single_file_figures(args.jobs).items()
    } | global_figures()
    wall = time.perf_counter() - start
    if args.record or not RECORD.exists():
        RECORD.write_text(json.dumps(now, indent=1) + "\n")
        print(f"recorded {RECORD} ({wall:.0f} s)")
        return 0
    record = json.loads(RECORD.read_text())
    rows, failures = compare(record, now)
    print(f"bench-check: tolerance {100 * TOLERANCE:.0f} % above the record, {wall:.0f} s\n")
    print("| part | method | metric | record | now | verdict |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    if failures:
        print(f"\n{len(failures)} figure(s) beyond the tolerance:", file=sys.stderr)
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
