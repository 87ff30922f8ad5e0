"""A job on a file of many series, end to end on Dask: submit, a worker on a LocalCluster, outputs.

Run:  nice -n 10 .venv/bin/python benchmarks/dask_job.py --series 10000 --models snaive,stheta,auto
      .venv/bin/python benchmarks/dask_job.py --series 1000 --models default --workers 2

What a team's server does with a big upload: a long CSV of ``--series`` monthly series of
``--months`` points keyed by store and product (``benchmarks/ingest.py``'s keyed file) is
queued with ``forecast jobs submit --id-col store,product`` in a fresh ``FORECAST_HOME``, and
``forecast worker --once --dask ADDRESS`` runs it on a ``distributed.LocalCluster`` of
``--workers`` single-threaded worker processes started here. Printed: the file's size, the
job's wall seconds (the worker command, start-up and reading the file included) and its own
(started to finished, as the store records them), its status, the outputs
it wrote with their rows, the CPU seconds of the worker command's processes (the job's process included; sampled
every 0.5 s, so a process's last half second may be missed) and of the cluster's workers,
cores used (all of it over the wall seconds) and the peak resident memory of each Dask worker
and the largest process of the worker command (the job's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import keyed_csv  # noqa: E402  (benchmarks/ on the path above)


def _usage() -> tuple[float, float]:
    """This process's CPU seconds and peak resident MB (run on each Dask worker)."""
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime, use.ru_maxrss / 1024


def _watch(command: subprocess.Popen, every: float = 0.5) -> tuple[float, float]:
    """Wait for ``command``, sampling its process tree: CPU seconds of every process in it (the
    job's process, a forkserver's child, included) and the largest resident MB seen."""
    import psutil

    cpu: dict[int, float] = {}
    peak = 0.0
    root = psutil.Process(command.pid)
    while command.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for proc in tree:
            try:
                times = proc.cpu_times()
                cpu[proc.pid] = times.user + times.system
                peak = max(peak, proc.memory_info().rss / 1e6)
            except psutil.NoSuchProcess:
                continue
        time.sleep(every)
    command.wait()
    return sum(cpu.values()), peak


def _cli(env: dict, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "forecast", *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--models", default="snaive,stheta,auto", help="'default': the defaults")
    parser.add_argument("--horizon", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    from distributed import Client, LocalCluster

    home = Path(tempfile.mkdtemp(prefix="dask-job-"))
    env = {**os.environ, "FORECAST_HOME": str(home), "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    path = home / f"sales_{args.series}.csv"
    path.write_bytes(keyed_csv(args.series, args.months))
    models = [] if args.models == "default" else ["--models", args.models]
    job = _cli(
        env, "jobs", "submit", str(path), "--horizon", str(args.horizon),
        "--id-col", "store,product", *models,
    )  # fmt: skip
    job_id = job.split()[-1]
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    before = {w: cpu for w, (cpu, _) in client.run(_usage).items()}
    load0 = os.getloadavg()[0]
    start = time.perf_counter()
    worker = subprocess.Popen(
        [sys.executable, "-c", _WORKER, cluster.scheduler_address],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    command_cpu, command_mb = _watch(worker)
    wall = time.perf_counter() - start
    load1 = os.getloadavg()[0]
    after = client.run(_usage)
    client.close()
    cluster.close()
    if worker.returncode != 0:
        print(worker.stderr.read()[-3000:], file=sys.stderr)
        return 1
    dask_cpu = sum(cpu - before.get(w, 0.0) for w, (cpu, _) in after.items())
    status = json.loads(_cli(env, "jobs", "show", job_id, "--json"))["job"]
    outputs = sorted((home / "artifacts" / job_id).glob("*.csv"))
    rows = {p.name: sum(1 for _ in p.open()) - 1 for p in outputs}
    print(f"file: {path.name}, {path.stat().st_size / 1e6:.1f} MB, {args.series:,} series")
    print(f"models: {args.models}; horizon {args.horizon}; {args.workers} Dask workers")
    print(f"load average {load0:.1f} at the start, {load1:.1f} at the end\n")
    started = datetime.fromisoformat(status["started_at"])
    run_s = (datetime.fromisoformat(status["finished_at"]) - started).total_seconds()
    print(
        "| wall s | job run s | status | worker command CPU s | Dask workers CPU s | cores used |"
    )
    print("|---:|---:|---|---:|---:|---:|")
    print(
        f"| {wall:.1f} | {run_s:.1f} | {status['status']} | {command_cpu:.1f} | {dask_cpu:.1f} "
        f"| {(command_cpu + dask_cpu) / wall:.2f} |"
    )
    peaks = ", ".join(f"{mb:.0f}" for _, mb in after.values())
    print(f"\npeak MB per Dask worker: {peaks}; worker command: {command_mb:.0f}")
    print("\n| output | rows |\n|---|---:|")
    for name, n in rows.items():
        print(f"| {name} | {n:,} |")
    return 0


#: The worker command, run in a child so its CPU and memory are its own.
_WORKER = """
import sys
from forecast.cli import main
sys.argv = ["forecast", "worker", "--once", "--dask", sys.argv[1]]
try:
    main()
except SystemExit as exc:
    if exc.code not in (0, None):
        raise

"""


if __name__ == "__main__":
    raise SystemExit(main())
