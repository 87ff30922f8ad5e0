"""What a model adds to one single-file CLI run: wall and CPU seconds of ``forecast run``.

Runs ``forecast run FILE --horizon H --models M`` (a fresh process each time, as a user runs
it) for every model list given, ``--reps`` times, alternating the lists so that a change in
the machine's load hits them alike, and prints the fastest and the median wall time and the
median CPU time (user + system, of the process and its children) per list.

    .venv/bin/python benchmarks/cli_cost.py --models snaive pretrained snaive,pretrained --reps 5
    .venv/bin/python benchmarks/cli_cost.py --cli /other/checkout/.venv/bin/forecast
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(cli: str, csv: str, horizon: int, models: str, out: str) -> tuple[float, float]:
    """Wall and CPU seconds of one ``forecast run`` (exits non-zero: SystemExit)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [cli, "run", csv, "--horizon", str(horizon), "--models", models, "--out", out],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"forecast run --models {models} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["snaive", "pretrained"], help="model lists, one per run"
    )
    parser.add_argument("--file", default=str(ROOT / "data" / "air_passengers.csv"))
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--cli", default=str(Path(sys.executable).parent / "forecast"))
    args = parser.parse_args(argv)
    lists = list(args.models)
    times: dict[str, list[tuple[float, float]]] = {m: [] for m in lists}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.reps):
            for m in lists:
                out = os.path.join(tmp, m.replace(",", "_"))
                times[m].append(one_run(args.cli, args.file, args.horizon, m, out))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (1 min); {args.reps} runs each")
    print(
        "\n| command | wall s (fastest) | wall s (median) | CPU s (median) |\n|---|---:|---:|---:|"
    )
    name = Path(args.file).name
    for m, runs in times.items():
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(
            f"| `forecast run {name} --horizon {args.horizon} --models {m}` "
            f"| {min(walls):.2f} | {statistics.median(walls):.2f} | {statistics.median(cpus):.2f} |"
        )


if __name__ == "__main__":
    main()
